## The signed-in person's sessions: where they are signed in, and ending those sessions.

sessions-title = My sessions
sessions-intro = These are the browsers and apps signed in to your account. End any session you do not recognise, then change your password.
sessions-caption = { $count ->
    [one] One session, times in UTC
   *[other] { $count } sessions, times in UTC
}
sessions-device = Device
sessions-address = Address
sessions-signed-in = Signed in
sessions-last-seen = Last seen
sessions-action = Action
sessions-this-one = this session
sessions-unknown-device = Unknown device
sessions-unknown-address = Unknown
sessions-end = End session
sessions-end-current = Sign out here
sessions-sign-out-everywhere = Sign out everywhere
