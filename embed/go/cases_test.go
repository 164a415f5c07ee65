package sesame

// The shared table of cases (embed/cases.json) through the generic Call path: the same inputs
// give the same outcomes as under the Rust, Python and Node hosts. Table calls reach exports
// by name only: named arguments become positional ones by the parameter names the component
// declares, so no export has Go code of its own here.

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base32"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// table is embed/cases.json; its "about" field defines the format.
type table struct {
	Config map[string]string `json:"config"`
	Cases  []struct {
		Name  string `json:"name"`
		Steps []step `json:"steps"`
	} `json:"cases"`
}

type step struct {
	Call   string         `json:"call"`
	Args   map[string]any `json:"args"`
	Save   any            `json:"save"`
	Expect map[string]any `json:"expect"`
}

// tableCalls maps each call of the table to its export: "interface.function".
var tableCalls = map[string]string{
	"register":                 "accounts.register",
	"create_user":              "accounts.create-user",
	"import_user":              "accounts.import-user",
	"get_user":                 "accounts.get-user",
	"list_users":               "accounts.list-users",
	"verify_password":          "accounts.verify-password",
	"change_password":          "accounts.change-password",
	"set_active":               "accounts.set-active",
	"login":                    "sessions.login",
	"validate":                 "sessions.validate",
	"logout":                   "sessions.logout",
	"list_sessions":            "sessions.list-sessions",
	"revoke":                   "sessions.revoke",
	"revoke_all":               "sessions.revoke-all",
	"put_role":                 "roles.put-role",
	"delete_role":              "roles.delete-role",
	"list_roles":               "roles.list-roles",
	"grant_role":               "roles.grant-role",
	"revoke_role":              "roles.revoke-role",
	"two_factor_required":      "two-factor.required",
	"two_factor_status":        "two-factor.status",
	"start_totp":               "two-factor.start-totp",
	"confirm_totp":             "two-factor.confirm-totp",
	"disable_two_factor":       "two-factor.disable",
	"generate_recovery_codes":  "two-factor.generate-recovery-codes",
	"begin_login":              "two-factor.begin-login",
	"complete_totp":            "two-factor.complete-totp",
	"complete_recovery":        "two-factor.complete-recovery",
	"issue_tokens":             "tokens.issue",
	"issue_tokens_for_session": "tokens.issue-for-session",
	"refresh_tokens":           "tokens.refresh",
	"revoke_token":             "tokens.revoke",
	"verify_access":            "tokens.verify-access",
	"rotate_keys":              "tokens.rotate-keys",
	"list_keys":                "tokens.list-keys",
	"create_api_key":           "api-keys.create",
	"list_api_keys":            "api-keys.list",
	"revoke_api_key":           "api-keys.revoke",
	"verify_api_key":           "api-keys.verify",
	"sign":                     "signer.sign",
	"verify_signed":            "signer.verify",
}

func loadTable(t *testing.T) table {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "cases.json"))
	if err != nil {
		t.Fatal(err)
	}
	var tab table
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&tab); err != nil {
		t.Fatal(err)
	}
	return tab
}

// newSesame is a Sesame over a fresh memory store, with config as its settings.
func newSesame(t *testing.T, config map[string]string, store Store) *Sesame {
	t.Helper()
	if os.Getenv(ComponentEnv) == "" {
		t.Fatalf("%s must name sesame_guest_embed.wasm (scripts/test-embed-go sets it)", ComponentEnv)
	}
	s, err := New(Options{Config: config, Store: store})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestCases(t *testing.T) {
	tab := loadTable(t)
	if len(tab.Cases) == 0 {
		t.Fatal("the table has no cases")
	}
	for _, c := range tab.Cases {
		c := c
		t.Run(c.Name, func(t *testing.T) {
			s := newSesame(t, tab.Config, NewMemoryStore())
			saved := map[string]any{}
			for i, st := range c.Steps {
				where := fmt.Sprintf("step %d (%s)", i, st.Call)
				args := map[string]any{}
				for k, v := range st.Args {
					if ref, ok := v.(string); ok && strings.HasPrefix(ref, "@") {
						found, ok := saved[ref[1:]]
						if !ok {
							t.Fatalf("%s: nothing saved as %s", where, ref)
						}
						v = found
					}
					args[k] = v
				}
				result, err := runStep(s, st.Call, args)
				if want, ok := st.Expect["error"]; ok {
					var e *Error
					if !errors.As(err, &e) {
						t.Fatalf("%s: want error %v, got %v (result %v)", where, want, err, result)
					}
					if e.Code != want || e.Message == "" {
						t.Fatalf("%s: want error %v with a message, got %q: %q", where, want, e.Code, e.Message)
					}
					continue
				}
				if err != nil {
					t.Fatalf("%s: %v", where, err)
				}
				actual := normalise(result)
				if !matches(st.Expect["ok"], actual) {
					got, _ := json.Marshal(actual)
					t.Fatalf("%s: want %v, got %s", where, st.Expect["ok"], got)
				}
				switch save := st.Save.(type) {
				case string:
					saved[save] = pick(t, actual, "token")
				case map[string]any:
					for name, path := range save {
						saved[name] = pick(t, actual, path.(string))
					}
				}
			}
		})
	}
}

// runStep runs one table call: the runner's own totp_code, or the export it names.
func runStep(s *Sesame, call string, args map[string]any) (any, error) {
	if call == "totp_code" {
		return tableTOTPCode(args)
	}
	target, ok := tableCalls[call]
	if !ok {
		return nil, fmt.Errorf("unknown call in cases.json: %s", call)
	}
	iface, fn, _ := strings.Cut(target, ".")
	ty, err := s.FuncType(iface, fn)
	if err != nil {
		return nil, err
	}
	positional, err := positionalArgs(ty, args)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", target, err)
	}
	result, err := s.Call(iface, fn, positional...)
	if err == nil && call == "verify_password" {
		// Until when the login counts as fresh: a time, so the table checks only that one
		// came back (as the other hosts' runners do).
		until, ok := result.(uint64)
		return ok && until > 0, nil
	}
	return result, err
}

// positionalArgs orders the table's named arguments by the function's parameters. A
// parameter the table does not name is built from the arguments when it is a record (from
// its fields: client-info from address and user_agent, new-user from email, password...) or
// a variant (the case the arguments name), or is none when optional. Every argument must be
// used.
func positionalArgs(ty *FuncType, args map[string]any) ([]any, error) {
	used := map[string]bool{}
	take := func(witName string) (any, bool) {
		name := strings.ReplaceAll(witName, "-", "_")
		v, ok := args[name]
		if ok {
			used[name] = true
		}
		return v, ok
	}
	out := make([]any, len(ty.Params))
	for i, p := range ty.Params {
		if v, ok := take(p.Name); ok {
			out[i] = tableValue(v, p.Type)
			continue
		}
		switch p.Type.Kind {
		case KindRecord:
			record := map[string]any{}
			for _, f := range p.Type.Fields {
				if v, ok := take(f.Name); ok {
					record[f.Name] = tableValue(v, f.Type)
				}
			}
			out[i] = record
		case KindVariant:
			for _, c := range p.Type.Cases {
				if v, ok := take(c.Name); ok {
					out[i] = Variant{Case: c.Name, Value: tableValue(v, c.Type)}
				}
			}
		}
	}
	for name := range args {
		if !used[name] {
			return nil, fmt.Errorf("argument %q matches no parameter", name)
		}
	}
	return out, nil
}

// tableValue is a JSON argument as Call takes it: numbers as int64 (or float64), and text
// for list<u8> as its UTF-8 bytes.
func tableValue(v any, ty *Type) any {
	switch x := v.(type) {
	case json.Number:
		if n, err := x.Int64(); err == nil {
			return n
		}
		f, _ := x.Float64()
		return f
	case string:
		if ty != nil && ty.Kind == KindList && ty.Elem.Kind == KindU8 {
			return []byte(x)
		}
	case []any:
		var elem *Type
		if ty != nil && ty.Kind == KindList {
			elem = ty.Elem
		}
		out := make([]any, len(x))
		for i, item := range x {
			out[i] = tableValue(item, elem)
		}
		return out
	}
	return v
}

// normalise turns a Call result into the table's JSON-like vocabulary: snake_case field
// names, a variant as {case: payload}, bytes as UTF-8 text.
func normalise(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, item := range x {
			out[strings.ReplaceAll(k, "-", "_")] = normalise(item)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, item := range x {
			out[i] = normalise(item)
		}
		return out
	case Variant:
		return map[string]any{strings.ReplaceAll(x.Case, "-", "_"): normalise(x.Value)}
	case []byte:
		return string(x)
	}
	return v
}

// matches is the table's subset comparison.
func matches(expected, actual any) bool {
	switch want := expected.(type) {
	case map[string]any:
		if n, ok := want["$len"]; ok && len(want) == 1 {
			list, isList := actual.([]any)
			return isList && fmt.Sprint(len(list)) == n.(json.Number).String()
		}
		if _, ok := want["$string"]; ok && len(want) == 1 {
			s, isString := actual.(string)
			return isString && s != ""
		}
		got, ok := actual.(map[string]any)
		if !ok {
			return false
		}
		for k, v := range want {
			a, present := got[k]
			if !present || !matches(v, a) {
				return false
			}
		}
		return true
	case []any:
		got, ok := actual.([]any)
		if !ok || len(got) != len(want) {
			return false
		}
		for i := range want {
			if !matches(want[i], got[i]) {
				return false
			}
		}
		return true
	case json.Number:
		switch n := actual.(type) {
		case uint64:
			return strconv.FormatUint(n, 10) == want.String()
		case int64:
			return strconv.FormatInt(n, 10) == want.String()
		}
		return false
	}
	return expected == actual
}

// pick follows the table's field path (dotted; list indexes as numbers; "" for the value).
func pick(t *testing.T, v any, path string) any {
	t.Helper()
	if path == "" {
		return v
	}
	for _, part := range strings.Split(path, ".") {
		switch x := v.(type) {
		case map[string]any:
			v = x[part]
		case []any:
			i, err := strconv.Atoi(part)
			if err != nil || i < 0 || i >= len(x) {
				t.Fatalf("no item %q in a list of %d", part, len(x))
			}
			v = x[i]
		default:
			t.Fatalf("cannot follow %q into %T", part, v)
		}
	}
	return v
}

// tableTOTPCode is the table's totp_code step: the code `offset` steps from now, or with
// `wrong` the lowest code matching no step from two before to two after now.
func tableTOTPCode(args map[string]any) (string, error) {
	secret, _ := args["secret"].(string)
	now := time.Now().Unix() / 30
	if wrong, _ := args["wrong"].(bool); wrong {
		near := map[string]bool{}
		for d := int64(-2); d <= 2; d++ {
			code, err := totpCode(secret, now+d)
			if err != nil {
				return "", err
			}
			near[code] = true
		}
		for n := 0; ; n++ {
			if code := fmt.Sprintf("%06d", n); !near[code] {
				return code, nil
			}
		}
	}
	offset, err := args["offset"].(json.Number).Int64()
	if err != nil {
		return "", err
	}
	return totpCode(secret, now+offset)
}

// totpCode is RFC 6238 (HMAC-SHA-1, 6 digits) of an unpadded base32 secret at a 30 s step,
// computed here rather than by Sesame so that the table checks the component against an
// independent authenticator.
func totpCode(secret string, step int64) (string, error) {
	key, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(secret)
	if err != nil {
		return "", fmt.Errorf("secret is not base32: %w", err)
	}
	var counter [8]byte
	binary.BigEndian.PutUint64(counter[:], uint64(step))
	mac := hmac.New(sha1.New, key)
	mac.Write(counter[:])
	digest := mac.Sum(nil)
	offset := digest[len(digest)-1] & 0x0f
	code := binary.BigEndian.Uint32(digest[offset:offset+4]) & 0x7fffffff
	return fmt.Sprintf("%06d", code%1_000_000), nil
}
