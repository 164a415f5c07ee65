package sesame

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

func u64(n uint64) *uint64 { return &n }

// fakeClock is a MemoryStore clock the test moves by hand.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time { return c.t }

func newTestStore() (*MemoryStore, *fakeClock) {
	clock := &fakeClock{t: time.Unix(1_700_000_000, 0)}
	m := NewMemoryStore()
	m.now = clock.now
	return m, clock
}

func mustPut(t *testing.T, m *MemoryStore, key, value string, expect, ttl *uint64) uint64 {
	t.Helper()
	v, err := m.Put(key, []byte(value), expect, ttl)
	if err != nil {
		t.Fatalf("put %s: %v", key, err)
	}
	if v == 0 {
		t.Fatalf("put %s: version 0", key)
	}
	return v
}

func TestMemoryStoreVersionsAreNeverReused(t *testing.T) {
	m, _ := newTestStore()
	seen := map[uint64]bool{}
	for i := 0; i < 3; i++ {
		v := mustPut(t, m, "k", fmt.Sprint(i), nil, nil)
		if seen[v] {
			t.Fatalf("version %d handed out twice", v)
		}
		seen[v] = true
		if removed, err := m.Delete("k", nil); err != nil || !removed {
			t.Fatalf("delete: %v %v", removed, err)
		}
	}
	other := mustPut(t, m, "other", "x", nil, nil)
	if seen[other] {
		t.Fatalf("another key got version %d again", other)
	}
}

func TestMemoryStoreCompareAndSwap(t *testing.T) {
	m, _ := newTestStore()
	v1 := mustPut(t, m, "k", "one", u64(0), nil) // 0: only if absent
	if _, err := m.Put("k", []byte("again"), u64(0), nil); !errors.Is(err, ErrConflict) {
		t.Fatalf("put expecting absence over a live entry: %v", err)
	}
	if _, err := m.Put("k", []byte("stale"), u64(v1+100), nil); !errors.Is(err, ErrConflict) {
		t.Fatalf("put expecting another version: %v", err)
	}
	v2 := mustPut(t, m, "k", "two", u64(v1), nil)
	if v2 == v1 {
		t.Fatal("a write kept the version")
	}
	got, err := m.Get("k")
	if err != nil || got == nil || string(got.Value) != "two" || got.Version != v2 {
		t.Fatalf("get after CAS: %+v %v", got, err)
	}
	if removed, err := m.Delete("k", u64(v1)); !errors.Is(err, ErrConflict) || removed {
		t.Fatalf("delete at a stale version: %v %v", removed, err)
	}
	if got, _ := m.Get("k"); got == nil {
		t.Fatal("a conflicting delete removed the entry")
	}
	if removed, err := m.Delete("k", u64(v2)); err != nil || !removed {
		t.Fatalf("delete at the current version: %v %v", removed, err)
	}
	if removed, err := m.Delete("k", u64(v2)); err != nil || removed {
		t.Fatalf("delete of an absent key: %v %v", removed, err)
	}
	if _, err := m.Put("k", []byte("x"), u64(v2), nil); !errors.Is(err, ErrConflict) {
		t.Fatalf("put expecting a version of a deleted key: %v", err)
	}
	mustPut(t, m, "k", "three", nil, nil) // nil: unconditional
}

func TestMemoryStoreTTL(t *testing.T) {
	m, clock := newTestStore()
	v := mustPut(t, m, "session/a", "x", nil, u64(1000))
	clock.t = clock.t.Add(999 * time.Millisecond)
	if got, _ := m.Get("session/a"); got == nil || got.Version != v {
		t.Fatalf("entry gone before its time-to-live: %+v", got)
	}
	clock.t = clock.t.Add(time.Millisecond)
	if got, _ := m.Get("session/a"); got != nil {
		t.Fatalf("expired entry still read: %+v", got)
	}
	if found, _ := m.Scan("session/", nil, 10); len(found) != 0 {
		t.Fatalf("expired entry still scanned: %+v", found)
	}
	if removed, err := m.Delete("session/a", u64(v)); err != nil || removed {
		t.Fatalf("delete of an expired entry: %v %v", removed, err)
	}
	// Expired counts as absent for compare-and-swap too.
	mustPut(t, m, "session/b", "x", nil, u64(1))
	clock.t = clock.t.Add(time.Millisecond)
	mustPut(t, m, "session/b", "y", u64(0), nil)
	// A write without ttl keeps the entry for good, however large the clock moves.
	clock.t = clock.t.Add(1000 * time.Hour)
	if got, _ := m.Get("session/b"); got == nil || string(got.Value) != "y" {
		t.Fatalf("entry without ttl expired: %+v", got)
	}
	mustPut(t, m, "far", "x", nil, u64(^uint64(0))) // saturates instead of overflowing
	if got, _ := m.Get("far"); got == nil {
		t.Fatal("entry with the largest ttl expired at once")
	}
}

func TestMemoryStoreScanOrderAndPaging(t *testing.T) {
	m, _ := newTestStore()
	for _, k := range []string{"u/é", "u/b", "u/Z", "u/a", "u/aa", "v/a", "u", "t/z"} {
		mustPut(t, m, k, "value of "+k, nil, nil)
	}
	keys := func(found []KeyEntry) string {
		var ks []string
		for _, f := range found {
			ks = append(ks, f.Key)
		}
		return strings.Join(ks, " ")
	}
	all, err := m.Scan("u/", nil, 100)
	if err != nil {
		t.Fatal(err)
	}
	// Ascending UTF-8 byte order: 'Z' < 'a' < "aa" < 'b' < "é" (0xC3 0xA9).
	if got := keys(all); got != "u/Z u/a u/aa u/b u/é" {
		t.Fatalf("scan order: %s", got)
	}
	if string(all[0].Value) != "value of u/Z" || all[0].Version == 0 {
		t.Fatalf("scan entry: %+v", all[0])
	}
	var paged []string
	var after *string
	for pages := 0; ; pages++ {
		if pages > 5 {
			t.Fatalf("paging does not end: %v", paged)
		}
		page, err := m.Scan("u/", after, 2)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) > 2 {
			t.Fatalf("page of %d over a limit of 2", len(page))
		}
		if len(page) == 0 {
			break
		}
		paged = append(paged, keys(page))
		last := page[len(page)-1].Key
		after = &last
	}
	if got := strings.Join(paged, " | "); got != "u/Z u/a | u/aa u/b | u/é" {
		t.Fatalf("pages: %s", got)
	}
	if found, _ := m.Scan("u/", nil, 0); len(found) != 0 {
		t.Fatalf("limit 0 gave %d entries", len(found))
	}
	before := "u/a"
	if got, _ := m.Scan("u/", &before, 100); keys(got) != "u/aa u/b u/é" {
		t.Fatalf("scan strictly after u/a: %s", keys(got))
	}
}

func TestMemoryStoreScanLimitIsCapped(t *testing.T) {
	m, _ := newTestStore()
	for i := 0; i < MaxScanLimit+5; i++ {
		mustPut(t, m, fmt.Sprintf("k/%05d", i), "x", nil, nil)
	}
	found, err := m.Scan("k/", nil, 1<<31)
	if err != nil {
		t.Fatal(err)
	}
	if len(found) != MaxScanLimit || found[0].Key != "k/00000" {
		t.Fatalf("scan gave %d entries from %s", len(found), found[0].Key)
	}
}

func TestMemoryStoreLimits(t *testing.T) {
	m, _ := newTestStore()
	mustPut(t, m, strings.Repeat("k", MaxKeyBytes), "x", nil, nil)
	if _, err := m.Put(strings.Repeat("é", MaxKeyBytes/2)+"k", nil, nil, nil); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("key of %d bytes: %v", MaxKeyBytes+1, err)
	}
	if _, err := m.Put("big", make([]byte, MaxValueBytes), nil, nil); err != nil {
		t.Fatalf("value of exactly the limit: %v", err)
	}
	if _, err := m.Put("bigger", make([]byte, MaxValueBytes+1), nil, nil); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("value over the limit: %v", err)
	}
	if got, _ := m.Get("bigger"); got != nil {
		t.Fatal("a refused write was stored")
	}
}

func TestMemoryStoreCopiesValues(t *testing.T) {
	m, _ := newTestStore()
	written := []byte("xyz")
	if _, err := m.Put("k2", written, nil, nil); err != nil {
		t.Fatal(err)
	}
	written[0] = '!'
	got, _ := m.Get("k2")
	if !bytes.Equal(got.Value, []byte("xyz")) {
		t.Fatalf("stored value changed with the caller's slice: %q", got.Value)
	}
	got.Value[0] = '?'
	again, _ := m.Get("k2")
	if !bytes.Equal(again.Value, []byte("xyz")) {
		t.Fatalf("stored value changed with a returned slice: %q", again.Value)
	}
}
