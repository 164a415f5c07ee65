## Changing the email address or the username, and recovering a forgotten username.

account-change-email = Change email address
account-change-username = Change username
login-forgot-username = Forgot your username?

change-email-title = Change email address
change-email-intro = Your address is { $email }. We will mail a link to the new address; the change happens when you open it. Your current address is told and can undo it.
change-email-new = New email address
change-email-submit = Send the confirmation link
change-email-sent-title = Check the new address
change-email-sent = If the address can be used, a link to confirm it is on its way. Your address changes when you open it.
change-email-confirmed-title = Email address changed
change-email-confirmed = Your account now uses this address, and it counts as confirmed.

restore-email-title = Undo the email change
restore-email-intro = This puts your account's old address back (or cancels a change not yet confirmed), signs out every session and device, and asks you to reset your password.
restore-email-submit = Undo the change and sign out everywhere
restore-email-done-title = Email change undone
restore-email-done = Your old address is back and every session was signed out. Reset your password now.

change-username-title = Change username
change-username-intro = Your username is used to sign in instead of your email address.
change-username-new = New username
change-username-hint = 3 to 32 letters, digits, '_', '.' or '-', starting with a letter or digit.
change-username-submit = Change username
change-username-done-title = Username changed
change-username-done = Sign in with your new username from now on.

recover-username-title = Forgot your username?
recover-username-intro = Give your account's email address and we will mail its username there.
recover-username-email = Email address
recover-username-submit = Mail my username
recover-username-sent-title = Check your email
recover-username-sent = If an account with a username uses this address, its username is on its way.

## Mail about these changes.

mail-change-email-confirm-subject = Confirm your new email address
mail-change-email-confirm-body =
    Someone asked to move a { $product } account to this address. To confirm it, open this link within { $hours ->
        [one] { $hours } hour
       *[other] { $hours } hours
    }:

    { $link }
mail-change-email-requested-subject = Your email address is about to change
mail-change-email-requested = Someone signed in to your { $product } account asked to change its email address to { $new }.
mail-change-email-undo =
    If this was you, no action is needed. If it was not you, open this link within { $days ->
        [one] { $days } day
       *[other] { $days } days
    } to keep or get back this address and sign out every session, then reset your password:

    { $link }
mail-change-email-taken-subject = Someone tried to move an account to your address
mail-change-email-taken-body = Someone asked to move another { $product } account to this address, which your account already uses. Nothing was changed; you can sign in at { $login }.
mail-email-restored-subject = Your email address was restored
mail-email-restored = The email address of your { $product } account is this one again, and every session was signed out. Reset your password now at { $reset }.
mail-email-change-cancelled = The requested change of your { $product } account's email address was cancelled, and every session was signed out. Reset your password now at { $reset }.
mail-notice-username-changed-subject = Your username was changed
mail-notice-username-changed = The username of your { $product } account was changed.
mail-recover-username-subject = Your username
mail-recover-username-body = The username of your { $product } account is { $username }. Sign in at { $login }.
