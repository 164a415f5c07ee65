## Mail. Every mail names the service by `$product`, the deployment's product name; numbers
## choose their plural form with a selector.

# The subject line as sent: the mail's own subject and the product's name.
mail-subject = { $subject } - { $product }
# The closing line, when the deployment has a support address.
mail-support = Help and support: { $url }
# Closes mail about something someone did with the recipient's address.
mail-not-you = If it was not you, no action is needed.

## Security notices: what changed, then what to do.

mail-notice-password-changed-subject = Your password was changed
mail-notice-password-changed = Your { $product } password was changed.
mail-notice-password-reset-subject = Your password was reset
mail-notice-password-reset = Your { $product } password was reset through a link sent to this address.
mail-notice-two-factor-on-subject = Two-factor authentication is on
mail-notice-two-factor-on = Two-factor authentication was turned on for your { $product } account.
mail-notice-two-factor-off-subject = Two-factor authentication is off
mail-notice-two-factor-off = Two-factor authentication was turned off for your { $product } account, and its recovery codes were deleted.
mail-notice-recovery-codes-subject = New recovery codes
mail-notice-recovery-codes = A new set of recovery codes was generated for your { $product } account; the old codes no longer work.
mail-notice-passkey-added-subject = A passkey or security key was added
mail-notice-passkey-added = A passkey or security key was added to your { $product } account.
mail-notice-passkey-removed-subject = A passkey or security key was removed
mail-notice-passkey-removed = A passkey or security key was removed from your { $product } account.
# Follows what changed, when the client's address is known.
mail-notice-origin = The request came from the address { $address }.
mail-notice-advice =
    If this was you, no action is needed.

    If it was not you, reset your password at { $reset } now, then sign in at { $login } and sign out every other session.

## Links and registration.

mail-confirm-subject = Confirm your email address
mail-confirm-body =
    Welcome to { $product }! Confirm your email address by opening this link within { $hours ->
        [one] { $hours } hour
       *[other] { $hours } hours
    }:

    { $link }

    If you did not create an account, ignore this message.
mail-reset-subject = Reset your password
mail-reset-body =
    Someone asked to reset the password of your { $product } account. To choose a new one, open this link within { $minutes ->
        [one] { $minutes } minute
       *[other] { $minutes } minutes
    }:

    { $link }

    The link works once. If you did not ask, ignore this message; your password stays as it is.
mail-already-registered-subject = Someone tried to register with your email address
mail-already-registered-body = Someone tried to register with this address at { $product }, but it already has an account. If it was you, sign in at { $login }, or reset your password at { $reset }.
mail-username-taken-subject = Your account was not created
mail-username-taken-body = Someone, probably you, asked { $product } to create an account for this address with a username that is already taken, so no account was created. Register again at { $register } with another username, or without one.

## A code that finishes a sign-in whose second factor is email.

mail-tf-code-subject = Your verification code
mail-tf-code-body = Your { $product } verification code is { $code }. It works for { $minutes } minutes, once, to finish the sign-in that asked for it. If you are not signing in, someone has your password: change it.
mail-tf-enrol-body = Your { $product } code to turn on email as a second factor is { $code }. It works for { $minutes } minutes, once. If you did not ask for it, someone is signed in to your account: change your password and sign out everywhere.
