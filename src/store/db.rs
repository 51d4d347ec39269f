//! The little a store needs from a SQL engine, written once for both back ends: statements with `$1…$n`
//! parameters, rows of four kinds of value, transactions. Everything the store does (schema, import,
//! reports, history, the queue) is SQL over this trait, so SQLite and PostgreSQL run the same code.

use thiserror::Error;

/// A value in or out of a statement.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Int(i64),
    Real(f64),
    Text(String),
}

impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Value::Int(v)
    }
}
impl From<usize> for Value {
    fn from(v: usize) -> Self {
        Value::Int(i64::try_from(v).unwrap_or(i64::MAX))
    }
}
impl From<u32> for Value {
    fn from(v: u32) -> Self {
        Value::Int(i64::from(v))
    }
}
impl From<f64> for Value {
    fn from(v: f64) -> Self {
        Value::Real(v)
    }
}
impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::Text(v.to_string())
    }
}
impl From<String> for Value {
    fn from(v: String) -> Self {
        Value::Text(v)
    }
}
impl From<&String> for Value {
    fn from(v: &String) -> Self {
        Value::Text(v.clone())
    }
}
impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Self {
        v.map_or(Value::Null, Into::into)
    }
}

/// A row read back: values by column position, with the statement named in errors.
#[derive(Debug, Clone)]
pub struct Row {
    pub values: Vec<Value>,
}

/// A column that is not what the schema says: which one, and what was there.
#[derive(Debug, Error)]
#[error("column {column}: expected {expected}, found {found}")]
pub struct ColumnError {
    pub column: usize,
    pub expected: &'static str,
    pub found: String,
}

impl Row {
    fn get(&self, i: usize) -> Result<&Value, ColumnError> {
        self.values.get(i).ok_or_else(|| ColumnError {
            column: i,
            expected: "a value",
            found: format!("a row of {} columns", self.values.len()),
        })
    }
    fn wrong(i: usize, expected: &'static str, v: &Value) -> ColumnError {
        ColumnError {
            column: i,
            expected,
            found: match v {
                Value::Null => "NULL".into(),
                Value::Int(n) => format!("integer {n}"),
                Value::Real(r) => format!("real {r}"),
                Value::Text(t) => format!("text of {} bytes", t.len()),
            },
        }
    }
    /// Column `i` as text.
    pub fn text(&self, i: usize) -> Result<String, ColumnError> {
        match self.get(i)? {
            Value::Text(t) => Ok(t.clone()),
            v => Err(Self::wrong(i, "text", v)),
        }
    }
    /// Column `i` as text, or `None` for NULL.
    pub fn opt_text(&self, i: usize) -> Result<Option<String>, ColumnError> {
        match self.get(i)? {
            Value::Null => Ok(None),
            Value::Text(t) => Ok(Some(t.clone())),
            v => Err(Self::wrong(i, "text or NULL", v)),
        }
    }
    /// Column `i` as an integer.
    pub fn int(&self, i: usize) -> Result<i64, ColumnError> {
        match self.get(i)? {
            Value::Int(n) => Ok(*n),
            v => Err(Self::wrong(i, "an integer", v)),
        }
    }
    /// Column `i` as a real number (integers widen).
    pub fn real(&self, i: usize) -> Result<f64, ColumnError> {
        match self.get(i)? {
            Value::Real(r) => Ok(*r),
            Value::Int(n) => Ok(*n as f64),
            v => Err(Self::wrong(i, "a number", v)),
        }
    }
    /// Column `i` as a real number, or `None` for NULL.
    pub fn opt_real(&self, i: usize) -> Result<Option<f64>, ColumnError> {
        match self.get(i)? {
            Value::Null => Ok(None),
            _ => self.real(i).map(Some),
        }
    }
}

/// What the engine reported.
#[derive(Debug, Error)]
#[error("{0}")]
pub struct DbError(pub String);

/// Which engine: the few places SQL differs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

/// A connection to one database.
pub trait Db: Send {
    fn dialect(&self) -> Dialect;
    /// Several statements with no parameters (schema).
    fn batch(&mut self, sql: &str) -> Result<(), DbError>;
    /// One statement; how many rows it changed.
    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64, DbError>;
    /// One query; every row.
    fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>, DbError>;
    /// Waits up to `timeout` for a notification on `channel` (PostgreSQL's LISTEN/NOTIFY); `true` when
    /// one came. Engines without notifications just wait.
    fn wait(&mut self, channel: &str, timeout: std::time::Duration) -> Result<bool, DbError> {
        let _ = channel;
        std::thread::sleep(timeout);
        Ok(false)
    }
}

/// Runs `f` in a transaction: committed when it returns `Ok`, rolled back otherwise. On SQLite the
/// transaction takes the write lock at once (`BEGIN IMMEDIATE`), so two writers queue instead of failing.
pub fn transaction<T, E: From<DbError>>(
    db: &mut dyn Db,
    f: impl FnOnce(&mut dyn Db) -> Result<T, E>,
) -> Result<T, E> {
    let begin = match db.dialect() {
        Dialect::Sqlite => "BEGIN IMMEDIATE",
        Dialect::Postgres => "BEGIN",
    };
    db.batch(begin)?;
    match f(db) {
        Ok(v) => {
            db.batch("COMMIT")?;
            Ok(v)
        }
        Err(e) => {
            // The error that made us roll back is the one worth reporting.
            let _ = db.batch("ROLLBACK");
            Err(e)
        }
    }
}
