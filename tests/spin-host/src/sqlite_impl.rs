//! Implementation of the `fermyon:spin/sqlite@2.0.0` interface on rusqlite, as Spin's local
//! SQLite databases work: every `open` of a database file is a new connection with SQLite's
//! defaults (no busy timeout; the journal mode the file has), so requests running in parallel
//! meet "database is locked" as they do under `spin up`. An in-memory database is one shared
//! connection instead (see [`Database`]).

use std::sync::{Arc, Mutex, MutexGuard};

use rusqlite::types::{Value as SqlValue, ValueRef};
use wasmtime::component::Resource;

use crate::bindings::sqlite::{self, Error, QueryResult, RowResult, Value};
use crate::ctx::{Database, SpinView};

/// An open database, as handed to the component.
#[allow(
    unreachable_pub,
    reason = "bindgen's `with` re-exports it from the generated module"
)]
pub enum Connection {
    /// A connection of this instance's own to a database file.
    Own(rusqlite::Connection),
    /// The in-memory database's one connection.
    Shared(Arc<Mutex<rusqlite::Connection>>),
}

/// A new connection to `path` as Spin opens one: rusqlite's default busy timeout (5 s) is
/// taken off, since Spin's runtime sets none and a component must cope with that.
fn open_file(path: &std::path::Path) -> rusqlite::Result<rusqlite::Connection> {
    let connection = rusqlite::Connection::open(path)?;
    connection.busy_timeout(std::time::Duration::ZERO)?;
    Ok(connection)
}

impl sqlite::Host for SpinView<'_> {}

impl sqlite::HostConnection for SpinView<'_> {
    fn open(&mut self, database: String) -> wasmtime::Result<Result<Resource<Connection>, Error>> {
        // Spin tells databases the component may not use (not in its `sqlite_databases`)
        // from ones that do not exist; the test host knows only the granted ones.
        let connection = match self.resources.databases.get(&database) {
            None => return Ok(Err(Error::AccessDenied)),
            Some(Database::Memory(shared)) => Connection::Shared(shared.clone()),
            Some(Database::File(path)) => match open_file(path) {
                Ok(own) => Connection::Own(own),
                Err(e) => return Ok(Err(Error::Io(e.to_string()))),
            },
        };
        Ok(Ok(self.table.push(connection)?))
    }

    fn execute(
        &mut self,
        connection: Resource<Connection>,
        statement: String,
        parameters: Vec<Value>,
    ) -> wasmtime::Result<Result<QueryResult, Error>> {
        let result = match self.table.get(&connection)? {
            Connection::Own(own) => run(own, &statement, parameters),
            Connection::Shared(shared) => run(&lock(shared), &statement, parameters),
        };
        Ok(result.map_err(|e| Error::Io(e.to_string())))
    }

    fn drop(&mut self, connection: Resource<Connection>) -> wasmtime::Result<()> {
        self.table.delete(connection)?;
        Ok(())
    }
}

/// A database's connection. A panic while it was held cannot have left a statement half-run
/// (SQLite rolls an unfinished statement back), so a poisoned lock is still usable.
fn lock(database: &Mutex<rusqlite::Connection>) -> MutexGuard<'_, rusqlite::Connection> {
    database
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Runs one statement with its parameters and collects every row.
fn run(
    db: &rusqlite::Connection,
    statement: &str,
    parameters: Vec<Value>,
) -> rusqlite::Result<QueryResult> {
    let mut prepared = db.prepare_cached(statement)?;
    let columns: Vec<String> = prepared.column_names().map(str::to_owned).collect();
    let params = rusqlite::params_from_iter(parameters.into_iter().map(sql_value));
    let mut rows = prepared.query(params)?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        let values = (0..columns.len())
            .map(|i| row.get_ref(i).map(wit_value))
            .collect::<rusqlite::Result<Vec<Value>>>()?;
        out.push(RowResult { values });
    }
    Ok(QueryResult { columns, rows: out })
}

fn sql_value(value: Value) -> SqlValue {
    match value {
        Value::Integer(i) => SqlValue::Integer(i),
        Value::Real(r) => SqlValue::Real(r),
        Value::Text(t) => SqlValue::Text(t),
        Value::Blob(b) => SqlValue::Blob(b),
        Value::Null => SqlValue::Null,
    }
}

fn wit_value(value: ValueRef<'_>) -> Value {
    match value {
        ValueRef::Integer(i) => Value::Integer(i),
        ValueRef::Real(r) => Value::Real(r),
        ValueRef::Text(t) => Value::Text(String::from_utf8_lossy(t).into_owned()),
        ValueRef::Blob(b) => Value::Blob(b.to_vec()),
        ValueRef::Null => Value::Null,
    }
}
