## Two-factor authentication: setting up an authenticator app, the second step of signing in,
## and recovery codes.

tf-title = Two-factor authentication
tf-status-on = Two-factor authentication is on: signing in needs a code from your authenticator app as well as your password.
tf-status-off = Two-factor authentication is off. With it on, signing in needs a code from an authenticator app as well as your password.
tf-recovery-left = Recovery codes left: { $count }.
tf-recovery-manage = Manage recovery codes
tf-reauth-link = Confirm it is you
tf-off-heading = Turn it off
tf-off-password = Password
tf-off-button = Turn two-factor off
tf-set-up-button = Set up an authenticator app
tf-enrol-add = Add the key to your app
tf-enrol-scan = Scan this code with your authenticator app, then type the { $digits }-digit code it shows.
tf-enrol-qr = QR code of the key shown below as text
tf-enrol-key = Or type this key
tf-enrol-settings = Settings
tf-enrol-settings-value = { $algorithm }, { $digits } digits, { $period } seconds
tf-enrol-confirm-heading = Confirm with a code
tf-enrol-code = Code from the app
tf-enrol-confirm = Turn two-factor on
tf-enrol-restart = Start over with a new key
tf-on-title = Two-factor on
tf-on = Two-factor authentication is on. Generate recovery codes now, in case you lose your phone.
tf-generate-codes = Generate recovery codes
tf-off-title = Two-factor off
tf-off = Two-factor authentication is off and your recovery codes are deleted.
tf-select-title = Second step
tf-select-legend = How do you want to confirm it is you?
tf-select-choose = Choose one of the ways below.
tf-method-totp = A code from my authenticator app
tf-method-recovery-code = One of my recovery codes
tf-method-webauthn = My passkey or security key
tf-select-continue = Continue
tf-code-title = Enter your code
tf-code-label = { $digits }-digit code from your authenticator app
tf-code-submit = Sign in
tf-other-method = Use another method
tf-start-over = Start over

recovery-title = Recovery codes
recovery-sign-in-title = Use a recovery code
recovery-code-label = Recovery code
recovery-code-hint = It looks like abcd-efgh-ijkl-mnop.
recovery-fresh-warning = Write these codes down or print them now: they are shown only this once.
recovery-fresh-once = Each code works once; your previous codes no longer work.
recovery-fresh-heading = Your new recovery codes
recovery-left = Unused recovery codes: { $count }.
recovery-generate = Generate a new set (the old one stops working)
recovery-need-two-factor = Set up two-factor authentication first; recovery codes back it up.
recovery-set-up = Set up two-factor authentication

## Email as a second factor.

tf-method-email = A code emailed to me
tf-email-title = Enter the emailed code
tf-email-sent = We emailed a code to the address of your account. It works for 10 minutes, for this sign-in only.
tf-email-code-label = 8-digit code from the email
tf-set-up-email-button = Use codes sent by email
tf-email-enrol-heading = Check your email
tf-email-enrol-intro = We emailed a code to the address of your account. Type it here to turn email on as a second factor.
tf-email-enrol-confirm = Turn email codes on
tf-status-on-email = Signing in needs a code emailed to your address as well as your password.
