//! core's [`Store`] over the host's `sesame:auth/store` import.

use sesame_core::store::{Entry, Page, Store, StoreError, Write};

use crate::bindings::wit_store;

/// The host's store, seen through core's trait.
pub(crate) struct WitStore;

impl Store for WitStore {
    fn get(&self, key: &str) -> Result<Option<Entry>, StoreError> {
        wit_store::get(key).map(|e| e.map(entry)).map_err(error)
    }

    fn write(&self, write: Write<'_>) -> Result<u64, StoreError> {
        wit_store::put(write.key, write.value, write.expect_version, write.ttl_ms).map_err(error)
    }

    fn delete(&self, key: &str, expect_version: Option<u64>) -> Result<bool, StoreError> {
        wit_store::delete(key, expect_version).map_err(error)
    }

    fn list(&self, page: Page<'_>) -> Result<Vec<(String, Entry)>, StoreError> {
        let (prefix, after, limit) = (page.prefix, page.after, page.limit);
        wit_store::scan(prefix, after, limit)
            .map(|list| list.into_iter().map(|(k, e)| (k, entry(e))).collect())
            .map_err(error)
    }
}

fn entry(e: wit_store::Entry) -> Entry {
    Entry {
        value: e.value,
        version: e.version,
    }
}

fn error(e: wit_store::StoreError) -> StoreError {
    match e {
        wit_store::StoreError::Conflict => StoreError::Conflict,
        wit_store::StoreError::Unavailable(why) => StoreError::Unavailable(why),
        wit_store::StoreError::TooLarge => StoreError::TooLarge,
    }
}
