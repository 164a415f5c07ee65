//! Implementation of the `spin:postgres/postgres@3.0.0` interface on tokio-postgres, as Spin's
//! outbound PostgreSQL works: an address is allowed only when the component's
//! `allowed_outbound_hosts` lists its host and port (`postgres://host:port`), connections come
//! from a pool kept per address, each `open` holds one until the component drops it, parameters
//! and columns convert by PostgreSQL type, and a failed statement reports the driver's error
//! (`Debug`, as Spin does) in `query-failed`.

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::Mutex;
use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use tokio_postgres::types::{IsNull, ToSql, Type, to_sql_checked};
use tokio_postgres::{NoTls, Row};
use wasmtime::component::Resource;

use crate::allowed_hosts::{AllowedHosts, default_port};
use crate::bindings::postgres::{self, Column, DbDataType, DbValue, Error, ParameterValue, RowSet};
use crate::ctx::SpinView;

/// Connections one address's pool keeps at most.
const POOL_SIZE: usize = 16;
/// How long an `open` waits for a pooled connection or a new one.
const WAIT: Duration = Duration::from_secs(10);

/// Pools of connections, one per address the component opened.
#[derive(Default)]
pub(crate) struct PostgresPools {
    pools: Mutex<HashMap<String, Pool>>,
}

impl PostgresPools {
    /// The pool for `address` (made on first use).
    fn pool(&self, address: &str, config: tokio_postgres::Config) -> Result<Pool, Error> {
        let mut pools = self
            .pools
            .lock()
            .map_err(|_| Error::Other("the pool table is poisoned".into()))?;
        if let Some(pool) = pools.get(address) {
            return Ok(pool.clone());
        }
        let manager = Manager::from_config(
            config,
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(POOL_SIZE)
            .runtime(Runtime::Tokio1)
            .wait_timeout(Some(WAIT))
            .create_timeout(Some(WAIT))
            .build()
            .map_err(|e| Error::ConnectionFailed(e.to_string()))?;
        pools.insert(address.to_owned(), pool.clone());
        Ok(pool)
    }
}

/// An open connection, as handed to the component: a pooled client, back in the pool when the
/// component drops it.
#[allow(
    unreachable_pub,
    reason = "bindgen's `with` re-exports it from the generated module"
)]
pub struct PgConnection(deadpool_postgres::Object);

impl postgres::Host for SpinView<'_> {}

impl postgres::HostConnection for SpinView<'_> {
    async fn open(
        &mut self,
        address: String,
    ) -> wasmtime::Result<Result<Resource<PgConnection>, Error>> {
        let config = match tokio_postgres::Config::from_str(&address) {
            Ok(config) => config,
            Err(e) => return Ok(Err(Error::ConnectionFailed(format!("bad address: {e}")))),
        };
        if let Err(denied) = permitted(&config, self.resources.allowed_outbound_hosts()) {
            return Ok(Err(denied));
        }
        let pool = match self.resources.postgres.pool(&address, config) {
            Ok(pool) => pool,
            Err(e) => return Ok(Err(e)),
        };
        match pool.get().await {
            Ok(client) => Ok(Ok(self.table.push(PgConnection(client))?)),
            Err(e) => Ok(Err(Error::ConnectionFailed(format!("{e:?}")))),
        }
    }

    async fn query(
        &mut self,
        connection: Resource<PgConnection>,
        statement: String,
        params: Vec<ParameterValue>,
    ) -> wasmtime::Result<Result<RowSet, Error>> {
        let client = &self.table.get(&connection)?.0;
        let params = match bound(params) {
            Ok(params) => params,
            Err(e) => return Ok(Err(e)),
        };
        let refs = as_refs(&params);
        let rows = match client.query(&statement, &refs).await {
            Ok(rows) => rows,
            Err(e) => return Ok(Err(Error::QueryFailed(format!("{e:?}")))),
        };
        Ok(row_set(&rows))
    }

    async fn execute(
        &mut self,
        connection: Resource<PgConnection>,
        statement: String,
        params: Vec<ParameterValue>,
    ) -> wasmtime::Result<Result<u64, Error>> {
        let client = &self.table.get(&connection)?.0;
        let params = match bound(params) {
            Ok(params) => params,
            Err(e) => return Ok(Err(e)),
        };
        let refs = as_refs(&params);
        Ok(client
            .execute(&statement, &refs)
            .await
            .map_err(|e| Error::QueryFailed(format!("{e:?}"))))
    }

    async fn drop(&mut self, connection: Resource<PgConnection>) -> wasmtime::Result<()> {
        self.table.delete(connection)?;
        Ok(())
    }
}

/// Whether every host of `config` is allowed; Spin's refusal otherwise.
fn permitted(config: &tokio_postgres::Config, allowed: &AllowedHosts) -> Result<(), Error> {
    let ports = config.get_ports();
    for (index, host) in config.get_hosts().iter().enumerate() {
        let tokio_postgres::config::Host::Tcp(name) = host else {
            return Err(Error::ConnectionFailed(
                "Unix sockets are not outbound hosts".into(),
            ));
        };
        let port = match ports {
            [] => default_port("postgres").unwrap_or(5432),
            [one] => *one,
            many => many
                .get(index)
                .copied()
                .or(default_port("postgres"))
                .unwrap_or(5432),
        };
        if !allowed.allows("postgres", name, port) {
            return Err(Error::ConnectionFailed(format!(
                "address postgres://{name}:{port} is not permitted"
            )));
        }
    }
    Ok(())
}

/// A statement's parameters as the driver binds them.
type Bound = Vec<Box<dyn ToSql + Sync + Send>>;

/// The parameters bound, or the interface's refusal of the first it cannot bind.
fn bound(params: Vec<ParameterValue>) -> Result<Bound, Error> {
    params.into_iter().map(to_sql).collect()
}

/// The bound parameters as the driver's calls take them.
fn as_refs(params: &Bound) -> Vec<&(dyn ToSql + Sync)> {
    params
        .iter()
        .map(|p| p.as_ref() as &(dyn ToSql + Sync))
        .collect()
}

/// A parameter as the driver binds it.
fn to_sql(value: ParameterValue) -> Result<Box<dyn ToSql + Sync + Send>, Error> {
    Ok(match value {
        ParameterValue::Boolean(v) => Box::new(v),
        ParameterValue::Int8(v) => Box::new(v),
        ParameterValue::Int16(v) => Box::new(v),
        ParameterValue::Int32(v) => Box::new(v),
        ParameterValue::Int64(v) => Box::new(v),
        ParameterValue::Floating32(v) => Box::new(v),
        ParameterValue::Floating64(v) => Box::new(v),
        ParameterValue::Str(v) => Box::new(v),
        ParameterValue::Binary(v) => Box::new(v),
        ParameterValue::DbNull => Box::new(Null),
        other => {
            return Err(Error::BadParameter(format!(
                "the test host does not bind {other:?}"
            )));
        }
    })
}

/// SQL `NULL` for a parameter of any type.
#[derive(Debug)]
struct Null;

impl ToSql for Null {
    fn to_sql(
        &self,
        _: &Type,
        _: &mut bytes::BytesMut,
    ) -> Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        Ok(IsNull::Yes)
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    to_sql_checked!();
}

/// The rows as the interface returns them, or a conversion failure.
fn row_set(rows: &[Row]) -> Result<RowSet, Error> {
    let columns = rows
        .first()
        .map(|row| {
            row.columns()
                .iter()
                .map(|c| Column {
                    name: c.name().to_owned(),
                    data_type: data_type(c.type_()),
                })
                .collect()
        })
        .unwrap_or_default();
    let rows = rows
        .iter()
        .map(|row| (0..row.len()).map(|i| value(row, i)).collect())
        .collect::<Result<_, _>>()?;
    Ok(RowSet { columns, rows })
}

fn data_type(t: &Type) -> DbDataType {
    match *t {
        Type::BOOL => DbDataType::Boolean,
        Type::CHAR => DbDataType::Int8,
        Type::INT2 => DbDataType::Int16,
        Type::INT4 => DbDataType::Int32,
        Type::INT8 => DbDataType::Int64,
        Type::FLOAT4 => DbDataType::Floating32,
        Type::FLOAT8 => DbDataType::Floating64,
        Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME => DbDataType::Str,
        Type::BYTEA => DbDataType::Binary,
        _ => DbDataType::Other,
    }
}

/// Column `i` of `row` by its type; `NULL` as `db-null`.
fn value(row: &Row, i: usize) -> Result<DbValue, Error> {
    fn get<'a, T: tokio_postgres::types::FromSql<'a>>(
        row: &'a Row,
        i: usize,
    ) -> Result<Option<T>, Error> {
        row.try_get(i)
            .map_err(|e| Error::ValueConversionFailed(e.to_string()))
    }
    let t = row.columns()[i].type_().clone();
    let value = match t {
        Type::BOOL => get::<bool>(row, i)?.map(DbValue::Boolean),
        Type::CHAR => get::<i8>(row, i)?.map(DbValue::Int8),
        Type::INT2 => get::<i16>(row, i)?.map(DbValue::Int16),
        Type::INT4 => get::<i32>(row, i)?.map(DbValue::Int32),
        Type::INT8 => get::<i64>(row, i)?.map(DbValue::Int64),
        Type::FLOAT4 => get::<f32>(row, i)?.map(DbValue::Floating32),
        Type::FLOAT8 => get::<f64>(row, i)?.map(DbValue::Floating64),
        Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME => {
            get::<String>(row, i)?.map(DbValue::Str)
        }
        Type::BYTEA => get::<Vec<u8>>(row, i)?.map(DbValue::Binary),
        _ => return Ok(DbValue::Unsupported),
    };
    Ok(value.unwrap_or(DbValue::DbNull))
}
