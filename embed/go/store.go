package sesame

import (
	"errors"
	"sort"
	"strings"
	"sync"
	"time"
)

// Store is the durable key-value storage the component imports (`sesame:auth/store`). Every
// read-modify-write Sesame performs is a compare-and-swap loop over it.
//
// Implementations keep the WIT contract:
//   - a version is never 0 for an existing entry, and every successful Put returns a version
//     the key never had before;
//   - an entry whose time-to-live has passed behaves as absent for every method;
//   - keys are at most MaxKeyBytes and values at most MaxValueBytes, otherwise ErrTooLarge.
//
// Errors other than ErrConflict and ErrTooLarge reach the component as `unavailable` (their
// text is for logs only) and Sesame answers `store-unavailable`. Methods are called while a
// call into the component is running, so they must not call back into Sesame.
type Store interface {
	// Get returns the live entry under key, or nil when it is absent or expired.
	Get(key string) (*Entry, error)
	// Put writes value under key and returns the new version. expect nil writes
	// unconditionally; *expect == 0 writes only if the key is absent (or expired); any other
	// *expect writes only if that is the current version; otherwise ErrConflict. ttlMS, when
	// not nil, makes the entry expire that many milliseconds after this write.
	Put(key string, value []byte, expect *uint64, ttlMS *uint64) (uint64, error)
	// Delete removes key and reports whether a live entry was removed. With expect not nil,
	// a live entry at another version is kept and the call fails with ErrConflict; an absent
	// entry gives false.
	Delete(key string, expect *uint64) (bool, error)
	// Scan lists live entries whose key starts with prefix, in ascending byte order of the
	// key, strictly after *after when given, at most limit of them (capped at MaxScanLimit).
	Scan(prefix string, after *string, limit uint32) ([]KeyEntry, error)
}

// Entry is a stored value and its current version.
type Entry struct {
	Value   []byte
	Version uint64
}

// KeyEntry is one entry found by Scan.
type KeyEntry struct {
	Key string
	Entry
}

// The WIT contract's limits.
const (
	// MaxKeyBytes is the longest key accepted, in UTF-8 bytes.
	MaxKeyBytes = 512
	// MaxValueBytes is the largest value accepted.
	MaxValueBytes = 1 << 20
	// MaxScanLimit is the most entries one Scan returns, whatever its limit asks for.
	MaxScanLimit = 1000
)

var (
	// ErrConflict means a Put or Delete found another version than expected; nothing was
	// written.
	ErrConflict = errors.New("sesame: store version conflict")
	// ErrTooLarge means a key or value exceeds the contract's limits; nothing was written.
	ErrTooLarge = errors.New("sesame: store key or value too large")
)

// MemoryStore is a Store held in memory, safe for concurrent use. Everything is lost when
// the process ends: it suits tests, development and single-process apps that accept that.
// The zero value is not usable; call NewMemoryStore.
type MemoryStore struct {
	mu      sync.Mutex
	entries map[string]memoryEntry
	// keys holds every key of entries in ascending byte (UTF-8) order, so a scan costs the
	// entries it returns rather than the size of the store.
	keys []string
	// version is the last version handed out, for any key: versions are never reused, so a
	// key deleted and written again never gets back a version it had.
	version uint64
	now     func() time.Time
}

type memoryEntry struct {
	value   []byte
	version uint64
	expires time.Time // zero: never
}

// NewMemoryStore returns an empty MemoryStore.
func NewMemoryStore() *MemoryStore {
	return &MemoryStore{entries: map[string]memoryEntry{}, now: time.Now}
}

// live returns the entry under key unless it is absent or expired; the lock must be held.
func (m *MemoryStore) live(key string, now time.Time) (memoryEntry, bool) {
	e, ok := m.entries[key]
	if ok && !e.expires.IsZero() && !now.Before(e.expires) {
		m.drop(key)
		return memoryEntry{}, false
	}
	return e, ok
}

// drop removes key from the entries and from the sorted keys.
func (m *MemoryStore) drop(key string) {
	delete(m.entries, key)
	if at := sort.SearchStrings(m.keys, key); at < len(m.keys) && m.keys[at] == key {
		m.keys = append(m.keys[:at], m.keys[at+1:]...)
	}
}

// Get implements Store.
func (m *MemoryStore) Get(key string) (*Entry, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e, ok := m.live(key, m.now())
	if !ok {
		return nil, nil
	}
	return &Entry{Value: append([]byte(nil), e.value...), Version: e.version}, nil
}

// Put implements Store.
func (m *MemoryStore) Put(key string, value []byte, expect *uint64, ttlMS *uint64) (uint64, error) {
	if len(key) > MaxKeyBytes || len(value) > MaxValueBytes {
		return 0, ErrTooLarge
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	current, _ := m.live(key, now)
	if expect != nil && *expect != current.version {
		return 0, ErrConflict
	}
	m.version++
	if _, exists := m.entries[key]; !exists {
		at := sort.SearchStrings(m.keys, key)
		m.keys = append(m.keys, "")
		copy(m.keys[at+1:], m.keys[at:])
		m.keys[at] = key
	}
	e := memoryEntry{value: append([]byte(nil), value...), version: m.version}
	if ttlMS != nil {
		e.expires = expiry(now, *ttlMS)
	}
	m.entries[key] = e
	return e.version, nil
}

// expiry is now plus ms milliseconds, saturating far in the future instead of overflowing.
func expiry(now time.Time, ms uint64) time.Time {
	const maxMS = uint64(1<<63-1) / uint64(time.Millisecond)
	if ms > maxMS {
		ms = maxMS
	}
	return now.Add(time.Duration(ms) * time.Millisecond)
}

// Delete implements Store.
func (m *MemoryStore) Delete(key string, expect *uint64) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	current, ok := m.live(key, m.now())
	if !ok {
		return false, nil
	}
	if expect != nil && *expect != current.version {
		return false, ErrConflict
	}
	m.drop(key)
	return true, nil
}

// Scan implements Store: from the first key at or after prefix (strictly after `after` when
// that is further), in ascending byte order, while keys start with prefix.
func (m *MemoryStore) Scan(prefix string, after *string, limit uint32) ([]KeyEntry, error) {
	if limit > MaxScanLimit {
		limit = MaxScanLimit
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	at := sort.SearchStrings(m.keys, prefix)
	if after != nil && *after >= prefix {
		// Go compares strings byte by byte: the contract's UTF-8 byte order.
		at = sort.Search(len(m.keys), func(i int) bool { return m.keys[i] > *after })
	}
	var found []KeyEntry
	var expired []string
	for ; at < len(m.keys) && uint32(len(found)) < limit && strings.HasPrefix(m.keys[at], prefix); at++ {
		k := m.keys[at]
		e := m.entries[k]
		if !e.expires.IsZero() && !now.Before(e.expires) {
			expired = append(expired, k)
			continue
		}
		found = append(found, KeyEntry{Key: k, Entry: Entry{Value: append([]byte(nil), e.value...), Version: e.version}})
	}
	for _, k := range expired {
		m.drop(k)
	}
	return found, nil
}
