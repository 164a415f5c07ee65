// The `sesame:auth/store` contract over a JavaScript Map: versions never reused,
// compare-and-swap, time-to-live and prefix scans with paging. Data lives as long as the
// process; for durable storage pass an object with the same four methods over your database.

/** Longest key accepted, in UTF-8 bytes (the WIT contract's limit). */
export const MAX_KEY_BYTES = 512;
/** Largest value accepted (the WIT contract's limit). */
export const MAX_VALUE_BYTES = 1024 * 1024;
/** Most entries one scan returns, whatever `limit` asks for. */
export const MAX_SCAN_LIMIT = 1000;

/**
 * Why a storage call did not happen (the WIT `store-error`): `tag` is `conflict`,
 * `unavailable` (with a reason in `message`) or `too-large`. The component receives
 * `payload`, which is what jco lowers into the error case of the import's result.
 */
export class StoreError extends Error {
  constructor(tag, message = tag) {
    super(message);
    this.name = 'StoreError';
    this.tag = tag;
    this.payload = tag === 'unavailable' ? { tag, val: message } : { tag };
  }
}

const utf8 = new TextEncoder();

/** Orders keys by their UTF-8 bytes, as the contract (and SQLite) do; JavaScript's own
 * string order is by UTF-16 unit and differs above U+FFFF. */
function compareKeys(a, b) {
  return Buffer.compare(Buffer.from(utf8.encode(a)), Buffer.from(utf8.encode(b)));
}

/** Where `key` is, or would go, in the sorted array `keys`: the first index whose key is not
 * smaller (`strictlyAfter`: not smaller or equal). */
function position(keys, key, strictlyAfter = false) {
  let low = 0;
  let high = keys.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    const order = compareKeys(keys[mid], key);
    if (order < 0 || (strictlyAfter && order === 0)) low = mid + 1;
    else high = mid;
  }
  return low;
}

/** A `sesame:auth/store` in memory. Versions are BigInts, as the WIT `u64` is in jco. Keys are
 * also kept sorted, so a scan costs the entries it returns, not the size of the store. */
export class MemoryStore {
  #entries = new Map();
  #keys = []; // sorted by UTF-8 bytes
  // One counter for the whole store: a key deleted and written again never gets back a
  // version it had, so a stale compare-and-swap cannot succeed by accident.
  #lastVersion = 0n;

  #drop(key) {
    this.#entries.delete(key);
    const at = position(this.#keys, key);
    if (this.#keys[at] === key) this.#keys.splice(at, 1);
  }

  #live(key) {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt !== undefined && entry.expiresAt <= Date.now()) {
      this.#drop(key);
      return undefined;
    }
    return entry;
  }

  /** The live entry `{ value, version }` under `key`, or undefined. */
  get(key) {
    const entry = this.#live(key);
    return entry && { value: entry.value, version: entry.version };
  }

  /** Writes and returns the new version; `expectVersion` undefined = unconditional,
   * 0n = only if absent, v = only if the live version is v. */
  put(key, value, expectVersion, ttlMs) {
    if (utf8.encode(key).length > MAX_KEY_BYTES || value.length > MAX_VALUE_BYTES) {
      throw new StoreError('too-large');
    }
    const current = this.#live(key)?.version ?? 0n;
    if (expectVersion !== undefined && expectVersion !== current) {
      throw new StoreError('conflict');
    }
    this.#lastVersion += 1n;
    const expiresAt = ttlMs === undefined ? undefined : Date.now() + Number(ttlMs);
    if (!this.#entries.has(key)) this.#keys.splice(position(this.#keys, key), 0, key);
    this.#entries.set(key, { value: Uint8Array.from(value), version: this.#lastVersion, expiresAt });
    return this.#lastVersion;
  }

  /** Removes `key`; whether a live entry was removed. */
  delete(key, expectVersion) {
    const entry = this.#live(key);
    if (entry === undefined) return false;
    if (expectVersion !== undefined && expectVersion !== entry.version) {
      throw new StoreError('conflict');
    }
    this.#drop(key);
    return true;
  }

  /** Live `[key, entry]` pairs under `prefix`, in key order, strictly after `after`. */
  scan(prefix, after, limit) {
    const wanted = Math.min(limit, MAX_SCAN_LIMIT);
    const keys = this.#keys;
    let at =
      after !== undefined && compareKeys(after, prefix) >= 0
        ? position(keys, after, true)
        : position(keys, prefix);
    const out = [];
    const expired = [];
    const now = Date.now();
    for (; at < keys.length && out.length < wanted && keys[at].startsWith(prefix); at++) {
      const key = keys[at];
      const entry = this.#entries.get(key);
      if (entry.expiresAt !== undefined && entry.expiresAt <= now) expired.push(key);
      else out.push([key, { value: entry.value, version: entry.version }]);
    }
    for (const key of expired) this.#drop(key);
    return out;
  }
}
