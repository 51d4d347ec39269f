//! The results store: every run, execution, attempt, step and verdict, in an SQLite file (one host, the
//! default: `reports/mynacert.sqlite`) or in PostgreSQL (`postgres://…`: many hosts, with the shared
//! work queue of [`queue`]). One interface over both: the store's SQL is written once over [`db::Db`].
//!
//! The journal stays the source of truth of a run directory; the store holds the same records (its JSON
//! columns are the journal's lines), so reports built from either are the same.

pub mod db;
pub mod history;
mod pg;
pub mod queue;
mod record;
pub mod schema;
mod sqlite;
pub mod tokens;

pub use record::{Imported, RunRow};

use db::Db;
use std::path::{Path, PathBuf};
use thiserror::Error;

/// Where a store lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    Sqlite(PathBuf),
    Postgres(String),
}

impl Location {
    /// `postgres://…` or `postgresql://…`; `sqlite:PATH` or a plain path (relative to `base`).
    pub fn parse(text: &str, base: &Path) -> Location {
        if text.starts_with("postgres://") || text.starts_with("postgresql://") {
            return Location::Postgres(text.to_string());
        }
        let path = Path::new(text.strip_prefix("sqlite:").unwrap_or(text));
        Location::Sqlite(if path.is_absolute() {
            path.to_path_buf()
        } else {
            base.join(path)
        })
    }

    /// For messages: a PostgreSQL password is never shown.
    pub fn display(&self) -> String {
        match self {
            Location::Sqlite(p) => p.display().to_string(),
            Location::Postgres(url) => redact_url(url),
        }
    }
}

/// `postgres://user:secret@host/db` → `postgres://user:***@host/db`; a `password=` parameter too.
pub fn redact_url(url: &str) -> String {
    let mut out = url.to_string();
    if let Some(scheme_end) = out.find("://") {
        let rest_start = scheme_end + 3;
        let authority_end = out[rest_start..]
            .find(['/', '?'])
            .map_or(out.len(), |i| rest_start + i);
        if let Some(at) = out[rest_start..authority_end].rfind('@') {
            let userinfo = &out[rest_start..rest_start + at];
            if let Some(colon) = userinfo.find(':') {
                let from = rest_start + colon + 1;
                out.replace_range(from..rest_start + at, "***");
            }
        }
    }
    if let Some(i) = out.find("password=") {
        let from = i + "password=".len();
        let to = out[from..].find('&').map_or(out.len(), |j| from + j);
        out.replace_range(from..to, "***");
    }
    out
}

/// What went wrong with a store, and whose fault it is.
#[derive(Debug, Error)]
pub enum StoreError {
    /// The database cannot be reached or opened (infrastructure).
    #[error("cannot open the store {location}: {detail}")]
    Unreachable { location: String, detail: String },
    /// The database was written by a newer mynacert (input: use a newer mynacert).
    #[error(
        "the store {location} has schema version {found}; this mynacert knows up to {supported}: use a newer mynacert (nothing was changed)"
    )]
    NewerSchema {
        location: String,
        found: i64,
        supported: i64,
    },
    /// A statement failed (infrastructure).
    #[error("store {location}: {what}: {detail}")]
    Query {
        location: String,
        what: String,
        detail: String,
    },
    /// A row does not hold what the schema says (a damaged or foreign database).
    #[error("store {location}: {table} row {key}: {detail}")]
    BadRow {
        location: String,
        table: &'static str,
        key: String,
        detail: String,
    },
    /// No such run.
    #[error("run {run_id} is not in the store {location}")]
    NoRun { location: String, run_id: String },
    /// What was asked cannot be done with this store or these records (input).
    #[error("store {location}: {detail}")]
    Refused { location: String, detail: String },
}

impl StoreError {
    /// True when the user can fix it by changing what they asked (exit 2), not the machine (exit 3).
    pub fn is_input(&self) -> bool {
        matches!(
            self,
            StoreError::NewerSchema { .. } | StoreError::NoRun { .. } | StoreError::Refused { .. }
        )
    }
}

/// An open store.
pub struct Store {
    db: Box<dyn Db>,
    location: Location,
}

/// How long opening a PostgreSQL store may take before it is called unreachable.
pub const CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

impl Store {
    /// Opens a store and brings its schema up to date.
    pub fn open(location: &Location) -> Result<Store, StoreError> {
        Self::open_at(location, schema::LATEST)
    }

    /// Opens a store with its schema at `version` at most (tests make older databases with it).
    #[doc(hidden)]
    pub fn open_at(location: &Location, version: i64) -> Result<Store, StoreError> {
        let shown = location.display();
        let unreachable = |detail: String| StoreError::Unreachable {
            location: shown.clone(),
            detail,
        };
        let mut db: Box<dyn Db> = match location {
            Location::Sqlite(path) => {
                Box::new(sqlite::Sqlite::open(path).map_err(|e| unreachable(e.0))?)
            }
            Location::Postgres(url) => Box::new(
                pg::Postgres::connect(url, CONNECT_TIMEOUT)
                    .map_err(|e| unreachable(redact_url(&e.0)))?,
            ),
        };
        match schema::migrate(db.as_mut(), version) {
            Ok(_) => {}
            Err(schema::SchemaError::Newer { found }) => {
                return Err(StoreError::NewerSchema {
                    location: shown,
                    found,
                    supported: schema::LATEST,
                });
            }
            Err(schema::SchemaError::Db(e)) => {
                return Err(StoreError::Query {
                    location: shown,
                    what: "migrating the schema".into(),
                    detail: e.0,
                });
            }
        }
        Ok(Store {
            db,
            location: location.clone(),
        })
    }

    /// Where it is (password hidden).
    pub fn location(&self) -> String {
        self.location.display()
    }

    /// The schema version the database holds.
    pub fn schema_version(&mut self) -> Result<i64, StoreError> {
        schema::version(self.db.as_mut()).map_err(|e| self.query_error("reading the schema", e))
    }

    fn query_error(&self, what: &str, e: db::DbError) -> StoreError {
        StoreError::Query {
            location: self.location.display(),
            what: what.to_string(),
            detail: e.0,
        }
    }

    fn bad_row(&self, table: &'static str, key: String, detail: impl ToString) -> StoreError {
        StoreError::BadRow {
            location: self.location.display(),
            table,
            key,
            detail: detail.to_string(),
        }
    }
}

/// The default store of a reports directory.
pub fn default_location(reports: &Path) -> Location {
    Location::Sqlite(reports.join("mynacert.sqlite"))
}

#[cfg(test)]
mod tests;
