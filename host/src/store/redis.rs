//! The Redis back end, for several `sesame serve` nodes sharing one user base.
//!
//! Each entry is a hash `{P}:kv:<key>` holding the value and its version, with Redis's own
//! expiry as the time to live. Every write is one Lua script, which Redis runs atomically, so
//! a compare-and-swap is checked and applied with nothing in between. Versions come from one
//! counter (`INCR {P}:version`), so a key deleted and created again never gets an old version.
//! Scans need key order, which Redis keys lack: an ordered index (`{P}:idx`, a sorted set
//! read with `ZRANGEBYLEX`) lists every key, and a scan drops members whose entry has expired.
//! All keys carry the hash tag `{P}`, so they share one slot on a cluster.
//!
//! Durability is the server's setting: run Redis with `appendonly yes` and
//! `appendfsync always`, or an acknowledged write can be lost in a crash.
//! Plain TCP only (no TLS stack is linked): run Redis on loopback or a private network.

use std::time::Duration;

use redis::AsyncCommands;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};

use super::{
    BackendError, Entry, MAX_SCAN_LIMIT, Page, Record, StoreBackend, Write, is_plain_name,
    prefix_upper_bound,
};

/// Key prefix when the URL names none.
const DEFAULT_PREFIX: &str = "sesame";
/// How long connecting may take; a server that is down answers within this (per attempt).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// How long one command may take before the call answers `unavailable`.
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(10);
/// Longest time to live passed to Redis (about 31 000 years): larger ones would overflow
/// Redis's expiry arithmetic, and mean "forever" anyway.
const MAX_TTL_MS: u64 = 1_000_000_000_000_000;
/// Index members one purge step looks at, so a purge never blocks Redis for long.
const PURGE_BATCH: u32 = 500;

/// Writes `ARGV[1]` with version check `ARGV[2]` ('' = none) and time to live `ARGV[3]`
/// ('' = none). Returns the new version, or 0 on a conflict.
const PUT: &str = r"
local current = redis.call('HGET', KEYS[1], 'n')
if ARGV[2] ~= '' then
  if ARGV[2] == '0' then
    if current then return 0 end
  elseif current ~= ARGV[2] then
    return 0
  end
end
local version = redis.call('INCR', KEYS[2])
redis.call('HSET', KEYS[1], 'v', ARGV[1], 'n', string.format('%.0f', version))
if ARGV[3] ~= '' then
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
else
  redis.call('PERSIST', KEYS[1])
end
redis.call('ZADD', KEYS[3], 0, ARGV[4])
return version
";

/// Deletes the entry if its version is `ARGV[1]` ('' = any). Returns 1 if deleted, 0 if
/// absent, -1 on a conflict.
const DELETE: &str = r"
local current = redis.call('HGET', KEYS[1], 'n')
if not current then return 0 end
if ARGV[1] ~= '' and ARGV[1] ~= current then return -1 end
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[2])
return 1
";

/// Lists up to `ARGV[3]` live entries with index members in the `ZRANGEBYLEX` range
/// `ARGV[1]`..`ARGV[2]`, entry keys being `ARGV[4] .. member`, as a flat list of
/// key, value, version, milliseconds to live (-1: none). Drops index members whose entry expired.
const SCAN: &str = r"
local out = {}
local min = ARGV[1]
local limit = tonumber(ARGV[3])
local done = false
while not done and #out < limit * 4 do
  local batch = redis.call('ZRANGEBYLEX', KEYS[1], min, ARGV[2], 'LIMIT', 0, limit)
  if #batch == 0 then break end
  for _, name in ipairs(batch) do
    local entry = redis.call('HMGET', ARGV[4] .. name, 'v', 'n')
    if entry[2] then
      out[#out + 1] = name
      out[#out + 1] = entry[1]
      out[#out + 1] = entry[2]
      out[#out + 1] = tostring(redis.call('PTTL', ARGV[4] .. name))
      if #out >= limit * 4 then
        done = true
        break
      end
    else
      redis.call('ZREM', KEYS[1], name)
    end
  end
  min = '(' .. batch[#batch]
end
return out
";

/// Looks at up to `ARGV[2]` index members after `ARGV[1]` and drops those whose entry expired.
/// Returns the number dropped and the last member looked at ('' when the index is exhausted).
const PURGE: &str = r"
local batch = redis.call('ZRANGEBYLEX', KEYS[1], ARGV[1], '+', 'LIMIT', 0, tonumber(ARGV[2]))
local removed = 0
for _, name in ipairs(batch) do
  if redis.call('EXISTS', ARGV[3] .. name) == 0 then
    redis.call('ZREM', KEYS[1], name)
    removed = removed + 1
  end
end
local last = ''
if #batch > 0 then last = batch[#batch] end
return {removed, last}
";

/// A Redis server as a [`StoreBackend`].
pub(crate) struct RedisBackend {
    conn: ConnectionManager,
    /// `{prefix}:kv:`, the start of every entry's key.
    entry_prefix: String,
    index: String,
    counter: String,
    meta: String,
    put: redis::Script,
    delete: redis::Script,
    scan: redis::Script,
    purge: redis::Script,
}

fn unavailable(e: redis::RedisError) -> BackendError {
    BackendError::Unavailable(format!("redis: {e}"))
}

impl RedisBackend {
    /// Connects to `url` (`redis://[:password@]host:port/db`, optionally `?prefix=NAME` to
    /// keep Sesame's keys apart from other users of the server).
    pub(crate) async fn open(url: &str) -> Result<Self, BackendError> {
        let (url, prefix) = sesame_core::store::take_url_param(url, "prefix");
        let prefix = prefix.unwrap_or_else(|| DEFAULT_PREFIX.to_owned());
        if !is_plain_name(&prefix) {
            return Err(BackendError::Unavailable(format!(
                "redis: prefix '{prefix}' must be 1 to 48 of a-z, 0-9 and _"
            )));
        }
        let client = redis::Client::open(url.as_str()).map_err(unavailable)?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(CONNECT_TIMEOUT))
            .set_response_timeout(Some(RESPONSE_TIMEOUT))
            .set_number_of_retries(2);
        let conn = client
            .get_connection_manager_with_config(config)
            .await
            .map_err(unavailable)?;
        let tag = format!("{{{prefix}}}");
        Ok(RedisBackend {
            conn,
            entry_prefix: format!("{tag}:kv:"),
            index: format!("{tag}:idx"),
            counter: format!("{tag}:version"),
            meta: format!("{tag}:meta"),
            put: redis::Script::new(PUT),
            delete: redis::Script::new(DELETE),
            scan: redis::Script::new(SCAN),
            purge: redis::Script::new(PURGE),
        })
    }

    /// The server's id for this back end's connection (tests kill it to simulate a failure).
    #[cfg(test)]
    pub(crate) async fn client_id(&self) -> Result<i64, BackendError> {
        redis::cmd("CLIENT")
            .arg("ID")
            .query_async(&mut self.conn.clone())
            .await
            .map_err(unavailable)
    }

    fn entry_key(&self, key: &str) -> String {
        format!("{}{key}", self.entry_prefix)
    }

    /// Runs the scan script over the index range `min`..`max`.
    async fn scan_range(
        &self,
        min: String,
        max: String,
        limit: u32,
    ) -> Result<Vec<(String, Entry, Option<u64>)>, BackendError> {
        let limit = limit.min(MAX_SCAN_LIMIT);
        if limit == 0 {
            return Ok(Vec::new());
        }
        let flat: Vec<Vec<u8>> = self
            .scan
            .key(&self.index)
            .arg(min)
            .arg(max)
            .arg(limit)
            .arg(&self.entry_prefix)
            .invoke_async(&mut self.conn.clone())
            .await
            .map_err(unavailable)?;
        let malformed = || BackendError::Unavailable("redis: malformed scan reply".to_owned());
        flat.chunks(4)
            .map(|chunk| {
                let [key, value, version, ttl] = chunk else {
                    return Err(malformed());
                };
                let key = String::from_utf8(key.clone()).map_err(|_| malformed())?;
                let version = parse_number(version).ok_or_else(malformed)?;
                let ttl = parse_number::<i64>(ttl).ok_or_else(malformed)?;
                let entry = Entry {
                    value: value.clone(),
                    version,
                };
                Ok((key, entry, u64::try_from(ttl).ok().map(|t| t.max(1))))
            })
            .collect()
    }
}

fn parse_number<T: std::str::FromStr>(bytes: &[u8]) -> Option<T> {
    std::str::from_utf8(bytes).ok()?.parse().ok()
}

#[async_trait::async_trait]
impl StoreBackend for RedisBackend {
    async fn get(&self, key: &str) -> Result<Option<Entry>, BackendError> {
        let (value, version): (Option<Vec<u8>>, Option<String>) = redis::cmd("HMGET")
            .arg(self.entry_key(key))
            .arg("v")
            .arg("n")
            .query_async(&mut self.conn.clone())
            .await
            .map_err(unavailable)?;
        match (value, version) {
            (Some(value), Some(version)) => Ok(Some(Entry {
                value,
                version: version.parse().map_err(|_| {
                    BackendError::Unavailable(format!("redis: bad version for '{key}'"))
                })?,
            })),
            _ => Ok(None),
        }
    }

    async fn write(&self, write: Write<'_>) -> Result<u64, BackendError> {
        let (key, value) = (write.key, write.value);
        let (expect_version, ttl_ms) = (write.expect_version, write.ttl_ms);
        let version: i64 = self
            .put
            .key(self.entry_key(key))
            .key(&self.counter)
            .key(&self.index)
            .arg(value)
            .arg(expect_version.map(|v| v.to_string()).unwrap_or_default())
            .arg(
                ttl_ms
                    .map(|t| t.min(MAX_TTL_MS).to_string())
                    .unwrap_or_default(),
            )
            .arg(key)
            .invoke_async(&mut self.conn.clone())
            .await
            .map_err(unavailable)?;
        match u64::try_from(version) {
            Ok(0) | Err(_) => Err(BackendError::Conflict),
            Ok(version) => Ok(version),
        }
    }

    async fn delete(&self, key: &str, expect_version: Option<u64>) -> Result<bool, BackendError> {
        let outcome: i64 = self
            .delete
            .key(self.entry_key(key))
            .key(&self.index)
            .arg(expect_version.map(|v| v.to_string()).unwrap_or_default())
            .arg(key)
            .invoke_async(&mut self.conn.clone())
            .await
            .map_err(unavailable)?;
        match outcome {
            1 => Ok(true),
            0 => Ok(false),
            _ => Err(BackendError::Conflict),
        }
    }

    async fn list(&self, page: Page<'_>) -> Result<Vec<(String, Entry)>, BackendError> {
        let (prefix, after, limit) = (page.prefix, page.after, page.limit);
        let min = match after {
            Some(after) if after >= prefix => format!("({after}"),
            _ if prefix.is_empty() => "-".to_owned(),
            _ => format!("[{prefix}"),
        };
        let max = prefix_upper_bound(prefix).map_or_else(|| "+".to_owned(), |u| format!("({u}"));
        Ok(self
            .scan_range(min, max, limit)
            .await?
            .into_iter()
            .map(|(key, entry, _)| (key, entry))
            .collect())
    }

    async fn purge_expired(&self) -> Result<usize, BackendError> {
        // Redis drops expired entries itself; what is left are their index members.
        let mut min = "-".to_owned();
        let mut purged = 0usize;
        loop {
            let (removed, last): (usize, String) = self
                .purge
                .key(&self.index)
                .arg(&min)
                .arg(PURGE_BATCH)
                .arg(&self.entry_prefix)
                .invoke_async(&mut self.conn.clone())
                .await
                .map_err(unavailable)?;
            purged += removed;
            if last.is_empty() {
                return Ok(purged);
            }
            min = format!("({last}");
        }
    }

    async fn host_secret(&self, name: &str, fresh: Vec<u8>) -> Result<Vec<u8>, BackendError> {
        let mut conn = self.conn.clone();
        // HSETNX is atomic: of several nodes starting at once, exactly one value is kept.
        let _: bool = conn
            .hset_nx(&self.meta, name, fresh)
            .await
            .map_err(unavailable)?;
        let value: Option<Vec<u8>> = conn.hget(&self.meta, name).await.map_err(unavailable)?;
        value.ok_or_else(|| {
            BackendError::Unavailable(format!("redis: host secret '{name}' vanished"))
        })
    }

    async fn export(&self, after: Option<&str>, limit: u32) -> Result<Vec<Record>, BackendError> {
        let min = after.map_or_else(|| "-".to_owned(), |a| format!("({a}"));
        Ok(self
            .scan_range(min, "+".to_owned(), limit)
            .await?
            .into_iter()
            .map(|(key, entry, ttl_ms)| Record {
                key,
                value: entry.value,
                ttl_ms,
            })
            .collect())
    }

    async fn forget_host_secret(&self, name: &str) -> Result<bool, BackendError> {
        let mut conn = self.conn.clone();
        let deleted: u32 = conn.hdel(&self.meta, name).await.map_err(unavailable)?;
        Ok(deleted > 0)
    }

    async fn host_secrets(&self) -> Result<Vec<(String, Vec<u8>)>, BackendError> {
        let mut all: Vec<(String, Vec<u8>)> = self
            .conn
            .clone()
            .hgetall(&self.meta)
            .await
            .map_err(unavailable)?;
        all.sort();
        Ok(all)
    }
}
