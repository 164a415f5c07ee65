## Unified sign-in: a code mailed to the account's address, the link mailed with it, and the
## device code that link asks for when it is opened in another browser.

login-mail-code = Email me a sign-in code
us-send-code = Email me a code
us-title = Sign in with a code
us-intro = Enter your email or username. We will email a sign-in code and link to the account's address.
us-with-password = Sign in with a password
us-code-title = Check your email
us-code-sent = If an account uses this email or username, a sign-in code is on its way to its address. It works for { $minutes } minutes, in this browser.
us-code-label = Sign-in code
us-code-submit = Sign in
us-device-title = Opening the link on another device?
us-device-intro = The link in the email signs in this browser. Opened anywhere else, it asks for this device code:
us-code-again = Send a new code
us-link-title = Sign in on this device?
us-link-intro = This link was opened in another browser than the one that asked for it, so nothing was signed in. To sign in here, type the device code shown in the browser that asked.
us-link-code-label = Device code
us-link-submit = Sign in here
us-link-start-here = Ask for a code in this browser instead
us-setup-title = Ways to sign in
us-setup-active = You can sign in with: { $methods }.
us-method-password = your password
us-method-email = a code emailed to you
us-method-authenticator = your authenticator app
us-method-passkey = a passkey
register-password-optional = Leave the password empty to sign in with codes emailed to you.

mail-us-code-subject = Your sign-in code
mail-us-code-body =
    Your { $product } sign-in code is { $code }. It works for { $minutes } minutes, once, in the browser where you asked for it.

    Or open this link in that browser (it works for { $link_minutes } minutes):
    { $link }

    If you did not ask to sign in, ignore this email: nobody can use the code without the browser that asked for it.
