//! PostgreSQL for the store and queue tests: `scripts/test` starts a throw-away cluster and exports
//! `MYNACERT_TEST_POSTGRES` (its `postgres` database); each test makes a database of its own in it.

use std::sync::atomic::{AtomicUsize, Ordering};

/// A fresh, empty database for `test`, as a URL; `None` (after a loud SKIP) when no server was given,
/// a panic instead when `MYNACERT_REQUIRE_SERVICES=1`.
pub fn fresh_database(test: &str) -> Option<String> {
    let Ok(admin) = std::env::var("MYNACERT_TEST_POSTGRES") else {
        if super::require_services() {
            panic!(
                "{test}: PostgreSQL required but MYNACERT_TEST_POSTGRES is not set (run scripts/test)"
            );
        }
        eprintln!(
            "\n!!!!!!!! SKIPPED {test}: needs PostgreSQL (MYNACERT_TEST_POSTGRES=postgres://…; scripts/test starts one) !!!!!!!!\n"
        );
        return None;
    };
    static N: AtomicUsize = AtomicUsize::new(0);
    let name = format!(
        "t_{}_{}_{}",
        test.replace(|c: char| !c.is_ascii_alphanumeric(), "_"),
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    );
    let mut client = postgres::Client::connect(&admin, postgres::NoTls)
        .unwrap_or_else(|e| panic!("{test}: cannot reach {admin}: {e}"));
    client
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .unwrap_or_else(|e| panic!("{test}: CREATE DATABASE {name}: {e}"));
    let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
    Some(format!("{base}/{name}"))
}

/// A query's first column of the first row, as text (`psql -tA` style), for assertions.
pub fn scalar(url: &str, sql: &str) -> String {
    let mut client = postgres::Client::connect(url, postgres::NoTls).expect("connect");
    let row = client
        .query_one(sql, &[])
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    let col = &row.columns()[0];
    match *col.type_() {
        postgres::types::Type::INT8 => row.get::<_, i64>(0).to_string(),
        postgres::types::Type::INT4 => row.get::<_, i32>(0).to_string(),
        _ => row.get::<_, Option<String>>(0).unwrap_or_default(),
    }
}
