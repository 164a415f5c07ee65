## Passkeys and security keys: signing in with one, confirming it is you with one, and the
## list to add and delete them. `wan-` messages the script shows travel in the page.

wan-signin-title = Sign in with a passkey
wan-signin-intro = Leave the field empty to pick one of the passkeys on this device.
wan-signin-identity = Email or username (optional)
wan-signin-submit = Use my passkey
wan-signin-password = Sign in with a password
wan-second-title = Confirm with your passkey
wan-second-intro = Your password was right. Now use your passkey or security key.

wan-verify-title = Confirm it is you
wan-verify-intro = Some changes need a recent sign-in. Use one of your passkeys or security keys.
wan-verify-submit = Verify with my passkey
wan-verify-list = My passkeys

wan-register-title = My passkeys
wan-register-caption = My passkeys and security keys
wan-register-none = You have no passkeys or security keys yet.
wan-column-name = Name
wan-column-use = Use
wan-column-algorithm = Algorithm
wan-column-added = Added
wan-column-last-used = Last used
wan-column-action = Action
wan-use-passkey = passkey (first factor)
wan-use-passkey-synced = passkey (first factor), synced
wan-use-second-factor = second factor
wan-use-second-factor-synced = second factor, synced
wan-never-used = never
wan-delete-button = Delete “{ $name }”
wan-deleted = Deleted “{ $name }”.
wan-needs-fresh = Adding or deleting a passkey needs a recent sign-in.
wan-needs-fresh-link = Confirm it is you first
wan-add-title = Add one
wan-add-name = Name (like “my laptop”)
wan-add-use = Use it
wan-add-first = to sign in without a password (passkey)
wan-add-secondary = as a second step after my password (security key)
wan-add-submit = Add passkey

wan-creating = Follow your browser to create the passkey…
wan-using = Follow your browser to use your passkey…
wan-added = Added “{ $name }”.
wan-signed-in = Signed in.
wan-verified = Verified.
wan-unsupported = This browser does not support passkeys.
wan-cancelled = The passkey request was cancelled or timed out.
wan-failed = Something went wrong. Try again.
