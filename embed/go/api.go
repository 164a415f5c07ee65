package sesame

// Typed shortcuts for the commonest calls. Every other export is reached with Call, and its
// result can be read into a struct with Decode.

// User is a user account as shown to its owner or an administrator (WIT `types.user`).
type User struct {
	ID            string   `wit:"id"`
	Email         string   `wit:"email"`
	Username      *string  `wit:"username"`
	Roles         []string `wit:"roles"`
	Active        bool     `wit:"active"`
	CreatedAtMS   uint64   `wit:"created-at-ms"`
	ConfirmedAtMS *uint64  `wit:"confirmed-at-ms"`
	Tracking      Tracking `wit:"tracking"`
}

// Tracking is a user's sign-in history (WIT `types.tracking`).
type Tracking struct {
	LoginCount       uint64  `wit:"login-count"`
	CurrentLoginAtMS *uint64 `wit:"current-login-at-ms"`
	CurrentLoginIP   *string `wit:"current-login-ip"`
	LastLoginAtMS    *uint64 `wit:"last-login-at-ms"`
	LastLoginIP      *string `wit:"last-login-ip"`
}

// IssuedSession is a session just created (WIT `types.issued-session`). Token is the only
// copy of the secret.
type IssuedSession struct {
	Token       string `wit:"token"`
	User        User   `wit:"user"`
	CSRFToken   string `wit:"csrf-token"`
	ExpiresAtMS uint64 `wit:"expires-at-ms"`
}

// SessionInfo is a live session as Validate finds it (WIT `types.session-info`).
type SessionInfo struct {
	User        User   `wit:"user"`
	CSRFToken   string `wit:"csrf-token"`
	CreatedAtMS uint64 `wit:"created-at-ms"`
	ExpiresAtMS uint64 `wit:"expires-at-ms"`
}

// ClientInfo describes the client making a request, recorded with its session (WIT
// `types.client-info`); empty fields are unknown.
type ClientInfo struct {
	Address   string
	UserAgent string
}

func (c ClientInfo) value() map[string]any {
	optional := func(s string) any {
		if s == "" {
			return nil
		}
		return s
	}
	return map[string]any{"address": optional(c.Address), "user-agent": optional(c.UserAgent)}
}

// Register is self-service registration (accounts.register). It succeeds alike whether or
// not the email is taken; it fails with an *Error coded "invalid-email", "invalid-username",
// "weak-password", or "already-exists" for a taken username. An empty username means none.
func (s *Sesame) Register(email, password, username string) error {
	var name any
	if username != "" {
		name = username
	}
	_, err := s.Call("accounts", "register", email, password, name)
	return err
}

// Login signs in with an email (or username) and password (sessions.login). A wrong
// password, an unknown or a disabled account all fail alike with "invalid-credentials";
// an account with two-factor on fails with "second-factor-required".
func (s *Sesame) Login(identity, password string, client ClientInfo) (*IssuedSession, error) {
	v, err := s.Call("sessions", "login", identity, password, client.value())
	if err != nil {
		return nil, err
	}
	var session IssuedSession
	if err := Decode(v, &session); err != nil {
		return nil, err
	}
	return &session, nil
}

// Validate checks a session token (sessions.validate); "unauthenticated" when it is unknown,
// malformed, expired or its user was disabled.
func (s *Sesame) Validate(token string) (*SessionInfo, error) {
	v, err := s.Call("sessions", "validate", token)
	if err != nil {
		return nil, err
	}
	var info SessionInfo
	if err := Decode(v, &info); err != nil {
		return nil, err
	}
	return &info, nil
}
