## Signing up and in: the start page, the sign-in and registration forms, password reset,
## email confirmation, changing the password and confirming it is you.

index-intro = Sign in to your account, or create one.
index-sign-in = Sign in
index-passkey = Sign in with a passkey
index-register = Create an account

login-title = Sign in
login-identity = Email or username
login-password = Password
login-submit = Sign in
login-or = or
login-passkey = Sign in with a passkey
login-passkey-page = More ways to use a passkey
login-register = Create an account
login-forgot = Forgot your password?

register-title = Create an account
register-email = Email
register-username = Username (optional)
register-username-hint = 3 to 32 letters, digits, “_”, “.” or “-”, starting with a letter or digit.
register-password = Password
register-password-hint = { $min } to { $max } characters.
register-submit = Create account
register-sign-in = Sign in instead
register-done-title = Registration received
register-done = Registration received. If the address was new, the account now exists and you can sign in.

reset-title = Reset password
reset-intro = Enter the email address of your account, and we will send you a link to choose a new password.
reset-email = Email
reset-send = Send me a link
reset-new-intro = Choose a new password.
reset-password = New password
reset-password-hint = { $min } to { $max } characters.
reset-password-confirm = New password again
reset-submit = Set password
reset-sign-in = Sign in
reset-sent-title = Check your email
reset-sent = If an account uses this address, a link to reset its password is on its way.
reset-done-title = Password changed
reset-done = Your password was changed and every session was signed out. Sign in with the new password.

confirm-done-title = Email confirmed
confirm-done = Your email address is confirmed.

change-title = Change password
change-current = Current password
change-new = New password
change-new-hint = { $min } to { $max } characters.
change-confirm = New password again
change-submit = Change password
change-done-title = Password changed
change-done = Your password was changed and every other session was signed out.

verify-title = Confirm it is you
verify-intro = Some changes (passkeys, two-factor, recovery codes) need a recent sign-in. Enter your password again.
verify-password = Password
verify-submit = Confirm
verify-passkey = Confirm with a passkey instead
verify-done-title = Confirmed
verify-done = Thank you. For the next few minutes you can change passkeys, two-factor and recovery codes.
verify-continue-title = Signed in
verify-continue = Continue to the application
