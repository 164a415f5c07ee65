## The account page (/account).

account-title = My account
account-profile = Profile
account-email = Email
account-email-confirmed = confirmed
account-email-unconfirmed = not confirmed yet
account-username = Username
account-change-password = Change password
account-security = Sign-in security
account-fresh-needed = Changing passkeys, two-factor or recovery codes needs a recent sign-in.
account-verify = Confirm it is you
account-two-factor = Two-factor authentication
account-two-factor-on = On (authenticator app)
account-two-factor-off = Off
account-two-factor-manage = Manage two-factor authentication
account-two-factor-set-up = Set up two-factor authentication
account-recovery-codes = Recovery codes
account-recovery-codes-left = { $count ->
    [0] None left: make new ones now
    [one] One left
   *[other] { $count } left
}
account-recovery-codes-manage = New recovery codes
account-passkeys = Passkeys and security keys
account-passkeys-caption = My passkeys and security keys
account-passkeys-none = You have no passkeys or security keys yet.
account-passkeys-manage = Add or remove passkeys
account-passkey-name = Name
account-passkey-use = Use
account-passkey-added = Added
account-passkey-last-used = Last used
account-passkey-first = signs in without a password
account-passkey-second = second step after the password
account-passkey-synced = synced
account-never = never
account-sessions = Where you are signed in
account-sessions-caption = { $count ->
    [one] One session
   *[other] { $count } sessions
}
account-session-device = Device
account-session-address = Address
account-session-signed-in = Signed in
account-session-last-seen = Last active
account-session-action = Action
account-session-this-one = this device
account-session-unknown-device = Unknown device
account-session-end = Sign out there
account-sessions-details = All session details
account-sign-out-everywhere = Sign out everywhere
