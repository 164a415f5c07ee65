//! Which store the component keeps its records in, chosen by the `store` Spin variable:
//! Spin's SQLite database `default` (the default, [`SqliteStore`]) or PostgreSQL
//! (`store = "postgres"` with the address in the secret variable `postgres_url`,
//! [`PostgresStore`]).

use sesame_core::Error;
use sesame_core::store::{Entry, Page, Store, StoreError, Write};

use crate::postgres_store::PostgresStore;
use crate::sqlite_store::SqliteStore;

/// Where the records are, from the Spin variables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreChoice {
    /// Spin's SQLite database `default`.
    Sqlite,
    /// PostgreSQL at this address (see [`PostgresStore`]).
    Postgres(String),
}

impl StoreChoice {
    /// The choice the `store` and `postgres_url` variables make. An unknown store, or
    /// `postgres` without an address, is a configuration error naming the variable.
    pub fn from_variables(variables: &[(String, String)]) -> Result<Self, Error> {
        let value = |name: &str| {
            variables
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.trim())
                .unwrap_or_default()
        };
        match value("store") {
            "" | "sqlite" => Ok(StoreChoice::Sqlite),
            "postgres" => match value("postgres_url") {
                "" => Err(Error::Config(
                    "Spin variable `postgres_url` is empty but `store` is \"postgres\"".into(),
                )),
                url => Ok(StoreChoice::Postgres(url.to_owned())),
            },
            other => Err(Error::Config(format!(
                "Spin variable `store` is \"{other}\"; it must be \"sqlite\" or \"postgres\""
            ))),
        }
    }
}

/// The chosen store, opened for one request.
pub enum SpinStore {
    /// Spin's SQLite database.
    Sqlite(SqliteStore),
    /// PostgreSQL through Spin's outbound interface.
    Postgres(PostgresStore),
}

impl SpinStore {
    /// Opens the store `choice` names.
    pub fn open(choice: &StoreChoice) -> Result<Self, Error> {
        Ok(match choice {
            StoreChoice::Sqlite => SpinStore::Sqlite(SqliteStore::open()?),
            StoreChoice::Postgres(url) => SpinStore::Postgres(PostgresStore::open(url)?),
        })
    }

    /// Deletes a batch of expired records (they already read as absent).
    pub fn sweep_expired(&self) -> Result<(), StoreError> {
        match self {
            SpinStore::Sqlite(store) => store.sweep_expired(),
            SpinStore::Postgres(store) => store.sweep_expired(),
        }
    }

    fn inner(&self) -> &dyn Store {
        match self {
            SpinStore::Sqlite(store) => store,
            SpinStore::Postgres(store) => store,
        }
    }
}

impl Store for SpinStore {
    fn get(&self, key: &str) -> Result<Option<Entry>, StoreError> {
        self.inner().get(key)
    }

    fn write(&self, write: Write<'_>) -> Result<u64, StoreError> {
        self.inner().write(write)
    }

    fn delete(&self, key: &str, expect_version: Option<u64>) -> Result<bool, StoreError> {
        self.inner().delete(key, expect_version)
    }

    fn list(&self, page: Page<'_>) -> Result<Vec<(String, Entry)>, StoreError> {
        self.inner().list(page)
    }
}
