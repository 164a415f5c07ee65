package sesame

// The WIT 1.0 additions through Call against the real component: signing in with a mailed code
// or link on an account without a password, email as the second factor, and changing the
// address. Codes and links are read from the mails the outbox received.

import (
	"regexp"
	"strings"
	"testing"
)

var (
	eightDigits = regexp.MustCompile(`\b(\d{8})\b`)
	noClient    = map[string]any{"address": nil, "user_agent": nil}
)

// deployment is a Sesame offering the sign-in methods (SESAME_US_METHODS), or the default ones.
func deployment(t *testing.T, methods string) (*Sesame, *MemoryOutbox) {
	t.Helper()
	config := map[string]string{}
	for k, v := range testConfig(t) {
		config[k] = v
	}
	if methods != "" {
		config["SESAME_US_METHODS"] = methods
	}
	s := newSesame(t, config, nil)
	return s, s.Outbox().(*MemoryOutbox)
}

// lastMailTo is the text of the last mail to `to` that matches `pattern`; its first group.
func lastMailTo(t *testing.T, outbox *MemoryOutbox, to string, pattern *regexp.Regexp) string {
	t.Helper()
	mails := outbox.Mails()
	for i := len(mails) - 1; i >= 0; i-- {
		if mails[i].To != to {
			continue
		}
		if m := pattern.FindStringSubmatch(mails[i].Text); m != nil {
			return m[1]
		}
	}
	t.Fatalf("no mail to %s matching %s", to, pattern)
	return ""
}

func linkPattern(path string) *regexp.Regexp {
	return regexp.MustCompile(regexp.QuoteMeta(path) + `\?token=([\w.~-]+)`)
}

// wrongCode is another code of the same shape.
func wrongCode(code string) string {
	var b strings.Builder
	for _, c := range code {
		b.WriteByte(byte('0' + (c-'0'+1)%10))
	}
	return b.String()
}

func TestPasswordlessSignInWithTheMailedCodeAndLink(t *testing.T) {
	s, outbox := deployment(t, "password,email")
	methods, err := s.Call("unified-sign-in", "methods")
	if err != nil || len(methods.([]any)) != 2 || methods.([]any)[1] != "email" {
		t.Fatalf("methods: %v %v", methods, err)
	}
	if _, err := s.Call("unified-sign-in", "register-without-password", "ada@example.com", nil); err != nil {
		t.Fatal(err)
	}
	var sent struct {
		Token       string `wit:"token"`
		DeviceCode  string `wit:"device-code"`
		ExpiresAtMS uint64 `wit:"expires-at-ms"`
	}
	v, err := s.Call("unified-sign-in", "send-code", "ada@example.com", noClient)
	if err != nil || Decode(v, &sent) != nil || len(sent.Token) != 43 || len(sent.DeviceCode) != 6 {
		t.Fatalf("send-code: %v %v", v, err)
	}
	code := lastMailTo(t, outbox, "ada@example.com", eightDigits)
	_, err = s.Call("unified-sign-in", "sign-in-with-code", sent.Token, wrongCode(code), noClient)
	wantCode(t, err, "invalid-code")
	outcome, err := s.Call("unified-sign-in", "sign-in-with-code", sent.Token, code, noClient)
	if err != nil {
		t.Fatal(err)
	}
	var session IssuedSession
	if v, ok := outcome.(Variant); !ok || v.Case != "signed-in" || Decode(v.Value, &session) != nil ||
		session.User.Email != "ada@example.com" {
		t.Fatalf("sign-in-with-code: %#v", outcome)
	}

	// The link opened on another device needs the device code shown where it was asked for.
	v, err = s.Call("unified-sign-in", "send-code", "ada@example.com", noClient)
	if err != nil || Decode(v, &sent) != nil {
		t.Fatalf("send-code: %v %v", v, err)
	}
	link := lastMailTo(t, outbox, "ada@example.com", linkPattern("/us-verify-link"))
	opened, err := s.Call("unified-sign-in", "open-link", link, nil, nil, noClient)
	if v, ok := opened.(Variant); err != nil || !ok || v.Case != "device-code-needed" {
		t.Fatalf("open-link without a device code: %#v %v", opened, err)
	}
	opened, err = s.Call("unified-sign-in", "open-link", link, nil, sent.DeviceCode, noClient)
	if v, ok := opened.(Variant); err != nil || !ok || v.Case != "signed-in" {
		t.Fatalf("open-link with the device code: %#v %v", opened, err)
	}
	_, err = s.Call("unified-sign-in", "open-link", link, sent.Token, nil, noClient)
	wantCode(t, err, "invalid-token")
}

func TestEmailAsTheSecondFactor(t *testing.T) {
	s, outbox := deployment(t, "")
	if err := s.Register("ada@example.com", "analytical engine", ""); err != nil {
		t.Fatal(err)
	}
	login, err := s.Login("ada@example.com", "analytical engine", ClientInfo{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Call("two-factor", "start-email", login.Token); err != nil {
		t.Fatal(err)
	}
	code := lastMailTo(t, outbox, "ada@example.com", eightDigits)
	if _, err := s.Call("two-factor", "confirm-email", login.Token, code); err != nil {
		t.Fatal(err)
	}
	var status struct {
		EmailEnabled bool `wit:"email-enabled"`
	}
	if v, err := s.Call("two-factor", "status", login.Token); err != nil || Decode(v, &status) != nil || !status.EmailEnabled {
		t.Fatalf("status: %v %v", v, err)
	}
	outcome, err := s.Call("two-factor", "begin-login", "ada@example.com", "analytical engine", noClient)
	var pending struct {
		Token   string   `wit:"token"`
		Methods []string `wit:"methods"`
	}
	if v, ok := outcome.(Variant); err != nil || !ok || v.Case != "second-factor" || Decode(v.Value, &pending) != nil ||
		!contains(pending.Methods, "email") {
		t.Fatalf("begin-login: %#v %v", outcome, err)
	}
	if _, err := s.Call("two-factor", "send-email-code", pending.Token); err != nil {
		t.Fatal(err)
	}
	code = lastMailTo(t, outbox, "ada@example.com", eightDigits)
	_, err = s.Call("two-factor", "complete-email", pending.Token, wrongCode(code), noClient)
	wantCode(t, err, "invalid-code")
	if _, err := s.Call("two-factor", "complete-email", pending.Token, code, noClient); err != nil {
		t.Fatal(err)
	}
}

func TestChangingTheAddressAndRecoveringTheUsername(t *testing.T) {
	s, outbox := deployment(t, "")
	if err := s.Register("ada@example.com", "analytical engine", "ada"); err != nil {
		t.Fatal(err)
	}
	login, err := s.Login("ada", "analytical engine", ClientInfo{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Call("accounts", "request-email-change", login.Token, "lovelace@example.com", noClient); err != nil {
		t.Fatal(err)
	}
	link := lastMailTo(t, outbox, "lovelace@example.com", linkPattern("/change-email/confirm"))
	var user User
	if v, err := s.Call("accounts", "confirm-email-change", link); err != nil || Decode(v, &user) != nil ||
		user.Email != "lovelace@example.com" {
		t.Fatalf("confirm-email-change: %v %v", v, err)
	}
	_, err = s.Call("accounts", "confirm-email-change", link)
	wantCode(t, err, "invalid-token")
	if _, err := s.Call("accounts", "recover-username", "lovelace@example.com"); err != nil {
		t.Fatal(err)
	}
	mails := outbox.Mails()
	if last := mails[len(mails)-1]; last.To != "lovelace@example.com" || !strings.Contains(last.Text, "ada") {
		t.Fatalf("recover-username mail: %+v", last)
	}
	kinds := map[string]bool{}
	for _, e := range outbox.Events() {
		kinds[e.Kind] = true
	}
	if !kinds["email-changed"] {
		t.Fatalf("events: %v", kinds)
	}
}
