//! [`Db`] on PostgreSQL (the synchronous `postgres` client: it fits this blocking code base).

use super::db::{Db, DbError, Dialect, Row, Value};
use postgres::fallible_iterator::FallibleIterator;
use postgres::types::{ToSql, Type};
use std::collections::HashMap;

/// One PostgreSQL connection.
pub struct Postgres {
    client: postgres::Client,
    prepared: HashMap<String, postgres::Statement>,
    /// Channels this connection LISTENs on.
    listening: Vec<String>,
}

impl Postgres {
    /// Connects; gives up after `timeout` (a worker with no database fails in seconds).
    pub fn connect(url: &str, timeout: std::time::Duration) -> Result<Self, DbError> {
        let mut config: postgres::Config = url.parse().map_err(|e| DbError(format!("{e}")))?;
        config.connect_timeout(timeout);
        let client = config
            .connect(postgres::NoTls)
            .map_err(|e| DbError(describe(&e)))?;
        Ok(Postgres {
            client,
            prepared: HashMap::new(),
            listening: Vec::new(),
        })
    }

    fn statement(&mut self, sql: &str) -> Result<postgres::Statement, DbError> {
        if let Some(s) = self.prepared.get(sql) {
            return Ok(s.clone());
        }
        let s = self
            .client
            .prepare(sql)
            .map_err(|e| DbError(describe(&e)))?;
        self.prepared.insert(sql.to_string(), s.clone());
        Ok(s)
    }
}

/// The server's message when there is one (the driver's own text is often just "db error").
fn describe(e: &postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => format!("{}: {}", db.code().code(), db.message()),
        None => {
            let mut text = e.to_string();
            let mut source = std::error::Error::source(e);
            while let Some(s) = source {
                text = format!("{text}: {s}");
                source = s.source();
            }
            text
        }
    }
}

/// A parameter as the statement's declared type wants it.
fn param(v: &Value, ty: &Type) -> Result<Box<dyn ToSql + Sync>, DbError> {
    let wrong = || DbError(format!("a {v:?} cannot go into a {ty} parameter"));
    Ok(match (v, ty) {
        (Value::Null, &Type::INT8) => Box::new(None::<i64>),
        (Value::Null, &Type::INT4) => Box::new(None::<i32>),
        (Value::Null, &Type::FLOAT8) => Box::new(None::<f64>),
        (Value::Null, _) => Box::new(None::<String>),
        (Value::Int(n), &Type::INT8) => Box::new(*n),
        (Value::Int(n), &Type::INT4) => Box::new(i32::try_from(*n).map_err(|_| wrong())?),
        (Value::Int(n), &Type::FLOAT8) => Box::new(*n as f64),
        (Value::Real(r), &Type::FLOAT8) => Box::new(*r),
        (Value::Text(t), _) => Box::new(t.clone()),
        _ => return Err(wrong()),
    })
}

/// The parameters of a statement, each as its declared type wants it.
fn bind(
    stmt: &postgres::Statement,
    params: &[Value],
) -> Result<Vec<Box<dyn ToSql + Sync>>, DbError> {
    params
        .iter()
        .zip(stmt.params())
        .map(|(v, t)| param(v, t))
        .collect()
}

fn column(row: &postgres::Row, i: usize) -> Result<Value, DbError> {
    let ty = row.columns()[i].type_();
    let fail = |e: postgres::Error| DbError(format!("column {i} ({ty}): {}", describe(&e)));
    Ok(match *ty {
        Type::VOID => Value::Null,
        Type::INT8 => row
            .try_get::<_, Option<i64>>(i)
            .map_err(fail)?
            .map_or(Value::Null, Value::Int),
        Type::INT4 => row
            .try_get::<_, Option<i32>>(i)
            .map_err(fail)?
            .map_or(Value::Null, |n| Value::Int(i64::from(n))),
        Type::BOOL => row
            .try_get::<_, Option<bool>>(i)
            .map_err(fail)?
            .map_or(Value::Null, |b| Value::Int(i64::from(b))),
        Type::FLOAT8 => row
            .try_get::<_, Option<f64>>(i)
            .map_err(fail)?
            .map_or(Value::Null, Value::Real),
        _ => row
            .try_get::<_, Option<String>>(i)
            .map_err(fail)?
            .map_or(Value::Null, Value::Text),
    })
}

impl Db for Postgres {
    fn dialect(&self) -> Dialect {
        Dialect::Postgres
    }

    fn batch(&mut self, sql: &str) -> Result<(), DbError> {
        self.client
            .batch_execute(sql)
            .map_err(|e| DbError(describe(&e)))
    }

    fn wait(&mut self, channel: &str, timeout: std::time::Duration) -> Result<bool, DbError> {
        if !self.listening.iter().any(|c| c == channel) {
            self.batch(&format!("LISTEN {channel}"))?;
            self.listening.push(channel.to_string());
        }
        let mut notifications = self.client.notifications();
        let came = notifications
            .timeout_iter(timeout)
            .next()
            .map_err(|e| DbError(describe(&e)))?
            .is_some();
        // One wake-up is enough: drop the ones already queued behind it.
        let mut pending = notifications.iter();
        while let Ok(Some(_)) = pending.next() {}
        Ok(came)
    }

    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64, DbError> {
        let stmt = self.statement(sql)?;
        let boxed = bind(&stmt, params)?;
        let refs: Vec<&(dyn ToSql + Sync)> = boxed.iter().map(|b| b.as_ref()).collect();
        self.client
            .execute(&stmt, &refs)
            .map_err(|e| DbError(describe(&e)))
    }

    fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>, DbError> {
        let stmt = self.statement(sql)?;
        let boxed = bind(&stmt, params)?;
        let refs: Vec<&(dyn ToSql + Sync)> = boxed.iter().map(|b| b.as_ref()).collect();
        let rows = self
            .client
            .query(&stmt, &refs)
            .map_err(|e| DbError(describe(&e)))?;
        rows.iter()
            .map(|r| {
                (0..r.len())
                    .map(|i| column(r, i))
                    .collect::<Result<Vec<_>, _>>()
                    .map(|values| Row { values })
            })
            .collect()
    }
}
