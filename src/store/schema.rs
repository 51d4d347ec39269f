//! The store's schema, as numbered migrations applied in order when a store is opened. A database at
//! an older version is brought up to date; one at a newer version (a newer mynacert wrote it) is refused
//! rather than misread.

use super::db::{Db, DbError, Dialect, transaction};

/// The newest schema this mynacert knows.
pub const LATEST: i64 = 2;

/// Migration `n` (1-based) for a dialect.
fn migration(n: i64, d: Dialect) -> Option<String> {
    let id = match d {
        Dialect::Sqlite => "INTEGER PRIMARY KEY AUTOINCREMENT",
        Dialect::Postgres => "BIGSERIAL PRIMARY KEY",
    };
    let sql = match n {
        // Results: every run, execution, attempt, step and verdict. The JSON columns hold the journal's
        // own lines, so a run's reports rebuilt from the store are the ones its journal gives.
        1 => format!(
            "CREATE TABLE runs (
                run_id TEXT PRIMARY KEY,
                started TEXT NOT NULL,
                finished TEXT,
                lab TEXT NOT NULL,
                hosts TEXT NOT NULL,
                harness_version TEXT NOT NULL,
                suite_version TEXT,
                suites TEXT NOT NULL,
                header TEXT NOT NULL,
                run_dir TEXT
            );
            CREATE TABLE executions (
                run_id TEXT NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE,
                idx BIGINT NOT NULL,
                scenario TEXT NOT NULL,
                model TEXT NOT NULL,
                unit TEXT,
                host TEXT,
                status TEXT NOT NULL,
                attempts BIGINT NOT NULL,
                duration_ms DOUBLE PRECISION NOT NULL,
                rules TEXT NOT NULL,
                message TEXT,
                finished TEXT NOT NULL,
                entry TEXT NOT NULL,
                PRIMARY KEY (run_id, idx)
            );
            CREATE INDEX executions_by_model ON executions (model, scenario);
            CREATE TABLE attempts (
                run_id TEXT NOT NULL,
                idx BIGINT NOT NULL,
                number BIGINT NOT NULL,
                host TEXT,
                status TEXT NOT NULL,
                started TEXT NOT NULL,
                duration_ms DOUBLE PRECISION NOT NULL,
                rules_broken TEXT NOT NULL,
                reason TEXT,
                PRIMARY KEY (run_id, idx, number),
                FOREIGN KEY (run_id, idx) REFERENCES executions (run_id, idx) ON DELETE CASCADE
            );
            CREATE TABLE steps (
                id {id},
                run_id TEXT NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE,
                idx BIGINT,
                scenario TEXT NOT NULL,
                model TEXT NOT NULL,
                unit TEXT,
                attempt BIGINT NOT NULL,
                phase TEXT NOT NULL,
                step BIGINT NOT NULL,
                name TEXT NOT NULL,
                status TEXT NOT NULL,
                duration_ms DOUBLE PRECISION NOT NULL,
                message TEXT NOT NULL,
                at TEXT NOT NULL,
                evidence TEXT NOT NULL,
                entry TEXT NOT NULL
            );
            CREATE INDEX steps_by_run ON steps (run_id, id);
            CREATE TABLE verdicts (
                run_id TEXT NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE,
                model TEXT NOT NULL,
                verdict TEXT NOT NULL,
                suite_version TEXT,
                detail TEXT NOT NULL,
                PRIMARY KEY (run_id, model)
            );"
        ),
        // The shared work queue: a queued run's plan, its executions with their requirements and
        // leases, the workers with their capabilities and heartbeats.
        2 => "CREATE TABLE queue_runs (
                run_id TEXT PRIMARY KEY REFERENCES runs(run_id) ON DELETE CASCADE,
                plan TEXT NOT NULL,
                total BIGINT NOT NULL
            );
            CREATE TABLE queue (
                run_id TEXT NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE,
                idx BIGINT NOT NULL,
                scenario TEXT NOT NULL,
                model TEXT NOT NULL,
                carrier TEXT,
                requires TEXT NOT NULL,
                state TEXT NOT NULL,
                worker TEXT,
                host TEXT,
                lease_until DOUBLE PRECISION,
                claims BIGINT NOT NULL,
                lost TEXT NOT NULL,
                PRIMARY KEY (run_id, idx)
            );
            CREATE INDEX queue_by_state ON queue (state, run_id, idx);
            CREATE TABLE workers (
                worker TEXT PRIMARY KEY,
                host TEXT NOT NULL,
                capabilities TEXT NOT NULL,
                started DOUBLE PRECISION NOT NULL,
                seen DOUBLE PRECISION NOT NULL
            );"
        .to_string(),
        _ => return None,
    };
    Some(sql)
}

/// Why a schema could not be used.
#[derive(Debug)]
pub enum SchemaError {
    Db(DbError),
    /// The database was written by a newer mynacert.
    Newer {
        found: i64,
    },
}

impl From<DbError> for SchemaError {
    fn from(e: DbError) -> Self {
        SchemaError::Db(e)
    }
}

/// Brings the schema up to `target` (normally [`LATEST`]); returns the version found before. Two
/// processes opening one database at once migrate it once: the migration runs under a lock (an
/// advisory lock on PostgreSQL, the write lock on SQLite) and re-reads the version inside it.
pub fn migrate(db: &mut dyn Db, target: i64) -> Result<i64, SchemaError> {
    db.batch("CREATE TABLE IF NOT EXISTS mynacert_schema (version BIGINT NOT NULL)")?;
    transaction(db, |db| {
        if db.dialect() == Dialect::Postgres {
            // Any fixed key: "myna" in ASCII.
            db.query("SELECT pg_advisory_xact_lock(1836677473)", &[])?;
        }
        let found = version(db)?;
        if found > LATEST {
            return Err(SchemaError::Newer { found });
        }
        for n in (found + 1)..=target {
            let Some(sql) = migration(n, db.dialect()) else {
                break;
            };
            db.batch(&sql)?;
        }
        if target > found {
            db.execute("DELETE FROM mynacert_schema", &[])?;
            db.execute(
                "INSERT INTO mynacert_schema (version) VALUES ($1)",
                &[target.into()],
            )?;
        }
        Ok(found)
    })
}

/// The schema version recorded (0: an empty database).
pub fn version(db: &mut dyn Db) -> Result<i64, DbError> {
    let rows = db.query("SELECT MAX(version) FROM mynacert_schema", &[])?;
    Ok(rows
        .first()
        .and_then(|r| r.values.first())
        .and_then(|v| match v {
            super::db::Value::Int(n) => Some(*n),
            _ => None,
        })
        .unwrap_or(0))
}
