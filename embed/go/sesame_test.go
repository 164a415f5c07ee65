package sesame

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// testConfig is the shared table's configuration: a fixed secret and cheap argon2.
func testConfig(t *testing.T) map[string]string {
	t.Helper()
	return loadTable(t).Config
}

// flakyStore is a MemoryStore that fails, or panics, while told to.
type flakyStore struct {
	*MemoryStore
	mu    sync.Mutex
	fail  error
	panic bool
}

func (f *flakyStore) set(fail error, panics bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fail, f.panic = fail, panics
}

func (f *flakyStore) check() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.panic {
		panic("the store broke")
	}
	return f.fail
}

func (f *flakyStore) Get(key string) (*Entry, error) {
	if err := f.check(); err != nil {
		return nil, err
	}
	return f.MemoryStore.Get(key)
}

func (f *flakyStore) Put(key string, value []byte, expect, ttl *uint64) (uint64, error) {
	if err := f.check(); err != nil {
		return 0, err
	}
	return f.MemoryStore.Put(key, value, expect, ttl)
}

func (f *flakyStore) Scan(prefix string, after *string, limit uint32) ([]KeyEntry, error) {
	if err := f.check(); err != nil {
		return nil, err
	}
	return f.MemoryStore.Scan(prefix, after, limit)
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) || e.Code != code || e.Message == "" {
		t.Fatalf("want a %s error with a message, got %v", code, err)
	}
}

func TestStoreFailureReachesTheComponentAsStoreUnavailable(t *testing.T) {
	store := &flakyStore{MemoryStore: NewMemoryStore()}
	s := newSesame(t, testConfig(t), store)
	if err := s.Register("ada@example.com", "analytical engine", ""); err != nil {
		t.Fatal(err)
	}
	store.set(errors.New("disk on fire \xff"), false)
	_, err := s.Login("ada@example.com", "analytical engine", ClientInfo{})
	wantCode(t, err, "store-unavailable")
	if errors.Is(err, ErrTrap) {
		t.Fatalf("a store error trapped: %v", err)
	}
	// The same instance goes on once the store is back.
	store.set(nil, false)
	session, err := s.Login("ada@example.com", "analytical engine", ClientInfo{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Validate(session.Token); err != nil {
		t.Fatal(err)
	}
}

func TestStorePanicTrapsTheCallAndTheNextCallGetsAFreshInstance(t *testing.T) {
	store := &flakyStore{MemoryStore: NewMemoryStore()}
	s := newSesame(t, testConfig(t), store)
	if err := s.Register("ada@example.com", "analytical engine", ""); err != nil {
		t.Fatal(err)
	}
	store.set(nil, true)
	_, err := s.Login("ada@example.com", "analytical engine", ClientInfo{})
	if !errors.Is(err, ErrTrap) || !strings.Contains(err.Error(), "the store broke") {
		t.Fatalf("want a trap naming the panic, got %v", err)
	}
	store.set(nil, false)
	if _, err := s.Login("ada@example.com", "analytical engine", ClientInfo{}); err != nil {
		t.Fatalf("after a trap: %v", err)
	}
}

func TestTypedShortcuts(t *testing.T) {
	s := newSesame(t, testConfig(t), nil)
	if err := s.Register("ada@example.com", "analytical engine", "ada"); err != nil {
		t.Fatal(err)
	}
	wantCode(t, s.Register("bob@example.com", "short", ""), "weak-password")
	session, err := s.Login("ada", "analytical engine", ClientInfo{Address: "192.0.2.7", UserAgent: "test"})
	if err != nil {
		t.Fatal(err)
	}
	u := session.User
	if session.Token == "" || session.CSRFToken == "" || session.ExpiresAtMS == 0 || len(u.ID) != 32 ||
		u.Email != "ada@example.com" || u.Username == nil || *u.Username != "ada" || !u.Active ||
		u.Tracking.LoginCount != 1 || u.Tracking.CurrentLoginIP == nil || *u.Tracking.CurrentLoginIP != "192.0.2.7" {
		t.Fatalf("login: %+v", session)
	}
	info, err := s.Validate(session.Token)
	if err != nil {
		t.Fatal(err)
	}
	if info.User.ID != u.ID || info.CSRFToken != session.CSRFToken || info.CreatedAtMS == 0 {
		t.Fatalf("validate: %+v", info)
	}
	_, err = s.Login("ada@example.com", "wrong password", ClientInfo{})
	wantCode(t, err, "invalid-credentials")
	_, err = s.Validate("not-a-token")
	wantCode(t, err, "unauthenticated")
}

func TestOutboxReceivesEvents(t *testing.T) {
	s := newSesame(t, testConfig(t), nil)
	outbox := s.Outbox().(*MemoryOutbox)
	if err := s.Register("ada@example.com", "analytical engine", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Login("ada@example.com", "wrong password", ClientInfo{Address: "192.0.2.9"}); err == nil {
		t.Fatal("a wrong password signed in")
	}
	events := outbox.Events()
	kinds := make([]string, len(events))
	for i, e := range events {
		kinds[i] = e.Kind
	}
	if len(events) != 2 || kinds[0] != "registered" || kinds[1] != "login-failed" {
		t.Fatalf("events: %v", kinds)
	}
	if events[0].UserID == nil || len(*events[0].UserID) != 32 || events[0].AtMS == 0 {
		t.Fatalf("registered event: %+v", events[0])
	}
	if events[1].Address == nil || *events[1].Address != "192.0.2.9" {
		t.Fatalf("login-failed event: %+v", events[1])
	}
	// The confirmation mail has its HTML part (WIT 1.0) beside the text.
	mails := outbox.Mails()
	if len(mails) != 1 || mails[0].HTML == nil || !strings.HasPrefix(*mails[0].HTML, "<!DOCTYPE html>") ||
		!strings.Contains(mails[0].Text, "/confirm?token=") || !strings.Contains(*mails[0].HTML, "/confirm?token=") {
		t.Fatalf("mail: %+v", mails)
	}
}

func TestCallRefusesArgumentsThatDoNotFit(t *testing.T) {
	s := newSesame(t, testConfig(t), nil)
	bad := []struct {
		name, iface, fn string
		args            []any
	}{
		{"too few", "sessions", "validate", nil},
		{"too many", "sessions", "validate", []any{"a", "b"}},
		{"wrong type", "sessions", "validate", []any{42}},
		{"invalid UTF-8", "sessions", "validate", []any{"\xff\xfe"}},
		{"missing record field", "roles", "put-role", []any{map[string]any{"name": "x"}}},
		{"unknown record field", "sessions", "login", []any{"a", "b", map[string]any{"adress": "x"}}},
		{"out of range", "accounts", "list-users", []any{nil, -1}},
		{"too large for u32", "accounts", "list-users", []any{nil, uint64(1) << 32}},
		{"unknown variant case", "two-factor", "disable", []any{"t", Variant{Case: "pin", Value: "1"}}},
		{"unknown interface", "nope", "validate", []any{"a"}},
		{"unknown function", "sessions", "nope", []any{"a"}},
	}
	for _, b := range bad {
		_, err := s.Call(b.iface, b.fn, b.args...)
		var e *Error
		if err == nil || errors.As(err, &e) || errors.Is(err, ErrTrap) {
			t.Errorf("%s: want an argument error, got %v", b.name, err)
		}
	}
	// None of that reached the component: it still answers.
	_, err := s.Call("sessions", "validate", "not-a-token")
	wantCode(t, err, "unauthenticated")
}

func TestCallConvertsEveryShapeBothWays(t *testing.T) {
	s := newSesame(t, testConfig(t), nil)
	// record with list<string> in, record out; snake_case keys and a []string are accepted.
	role, err := s.Call("roles", "put-role", map[string]any{
		"name": "admin", "description": "Administrators", "permissions": []string{"b", "a", "a"},
	})
	if err != nil {
		t.Fatal(err)
	}
	perms := role.(map[string]any)["permissions"].([]any)
	if len(perms) != 2 || perms[0] != "a" || perms[1] != "b" {
		t.Fatalf("put-role: %v", role)
	}
	// list<u8> in and out, u64 in from a Go int.
	token, err := s.Call("signer", "sign", "invite", []byte("payload \x00\xff"))
	if err != nil {
		t.Fatal(err)
	}
	verified, err := s.Call("signer", "verify", "invite", token, 60)
	if err != nil {
		t.Fatal(err)
	}
	if got := verified.(map[string]any)["payload"].([]byte); string(got) != "payload \x00\xff" {
		t.Fatalf("signed payload came back as %q", got)
	}
	// variant out (login-outcome), option none in, list of enum out.
	if err := s.Register("ada@example.com", "analytical engine", ""); err != nil {
		t.Fatal(err)
	}
	outcome, err := s.Call("two-factor", "begin-login", "ada@example.com", "analytical engine",
		map[string]any{"address": nil, "user_agent": nil})
	if err != nil {
		t.Fatal(err)
	}
	v, ok := outcome.(Variant)
	if !ok || v.Case != "signed-in" {
		t.Fatalf("begin-login: %#v", outcome)
	}
	var session IssuedSession
	if err := Decode(v.Value, &session); err != nil || session.User.Email != "ada@example.com" {
		t.Fatalf("decode: %v %+v", err, session)
	}
	// option<user> some and none.
	found, err := s.Call("accounts", "get-user", session.User.ID)
	if err != nil || found.(map[string]any)["email"] != "ada@example.com" {
		t.Fatalf("get-user: %v %v", found, err)
	}
	missing, err := s.Call("accounts", "get-user", strings.Repeat("0", 32))
	if err != nil || missing != nil {
		t.Fatalf("get-user of nobody: %v %v", missing, err)
	}
	// variant in: reauth.password(string).
	_, err = s.Call("two-factor", "disable", session.Token, Variant{Case: "password", Value: "analytical engine"})
	wantCode(t, err, "not-found")
}

func TestFuncTypeDescribesExports(t *testing.T) {
	s := newSesame(t, testConfig(t), nil)
	ty, err := s.FuncType("sessions", "login")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range ty.Params {
		names = append(names, p.Name+": "+p.Type.String())
	}
	want := "identity: string, password: string, client: record {address, user-agent}"
	if got := strings.Join(names, ", "); got != want {
		t.Fatalf("params: %s", got)
	}
	if ty.Result.Kind != KindResult || ty.Result.Err.Kind != KindRecord {
		t.Fatalf("result: %s", ty.Result)
	}
	code, ok := ty.Result.Err.field("code")
	if !ok || code.Type.Kind != KindEnum || !contains(code.Type.Names, "weak-password") {
		t.Fatalf("auth-error code: %+v", code)
	}
}

func TestNewAndClose(t *testing.T) {
	component := newSesame(t, testConfig(t), nil) // fails the test early without a component
	_ = component
	if _, err := New(Options{Store: NewMemoryStore()}); err == nil {
		t.Fatal("a durable store was accepted without SESAME_SECRET")
	}
	if _, err := New(Options{Config: map[string]string{"PATH": "/"}}); err == nil {
		t.Fatal("a setting outside SESAME_* was accepted")
	}
	if _, err := New(Options{Component: "/nonexistent/sesame.wasm"}); err == nil {
		t.Fatal("a missing component file was accepted")
	}
	s, err := New(Options{}) // generated secret, memory store
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Register("ada@example.com", "analytical engine", ""); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s.Close()
	if _, err := s.Call("sessions", "validate", "x"); !errors.Is(err, ErrClosed) {
		t.Fatalf("call after Close: %v", err)
	}
}

func TestDecodeRefusesMismatches(t *testing.T) {
	var u User
	if err := Decode("text", &u); err == nil {
		t.Fatal("text decoded into a struct")
	}
	if err := Decode(map[string]any{"login-count": int64(-1)}, &u.Tracking); err == nil {
		t.Fatal("a negative number decoded into a uint64")
	}
	if err := Decode(map[string]any{}, u); err == nil {
		t.Fatal("decoded into a non-pointer")
	}
}

func TestReadmeSnippetIsTheExample(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	example, err := os.ReadFile(filepath.Join("example", "main.go"))
	if err != nil {
		t.Fatal(err)
	}
	_, rest, found := strings.Cut(string(readme), "```go\n")
	snippet, _, closed := strings.Cut(rest, "```")
	if !found || !closed || !strings.HasPrefix(string(readme), "# ") {
		t.Fatal("README.md does not open with a ```go block")
	}
	if snippet != string(example) {
		t.Fatal("README.md's snippet differs from example/main.go")
	}
}
