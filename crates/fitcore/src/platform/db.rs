//! Database connections for SQLite (embedded default) and PostgreSQL.

use crate::config::Config;
use sea_orm::{ConnectOptions, Database, DatabaseConnection, DbErr, SqlErr};
use std::time::Duration;

pub async fn connect(config: &Config) -> Result<DatabaseConnection, DbErr> {
    connect_url(&config.database_url(), config.database_max_connections).await
}

pub async fn connect_url(url: &str, max_connections: u32) -> Result<DatabaseConnection, DbErr> {
    let mut opts = ConnectOptions::new(url.to_string());
    opts.max_connections(max_connections.max(1))
        .min_connections(1)
        .acquire_timeout(Duration::from_secs(10))
        // A ping on every checkout doubled the round trips of a one-query
        // request; only connections idle long enough to have been dropped
        // (by the server, a proxy, a firewall) are checked.
        .test_before_acquire_if_idle_for(Duration::from_secs(30))
        .sqlx_logging(false);
    if url.starts_with("sqlite:") {
        if let Some(path) = sqlite_file(url)
            && let Some(dir) = std::path::Path::new(&path).parent()
            && !dir.as_os_str().is_empty()
        {
            let _ = std::fs::create_dir_all(dir);
        }
        opts.map_sqlx_sqlite_opts(|o| {
            use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
            o.create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true)
        });
    }
    if url.starts_with("postgres") {
        // Every statement here is prepared with parameters; PostgreSQL's
        // default re-plans each execution for the first five and keeps
        // weighing custom plans after. One cached generic plan per
        // statement roughly doubles throughput on small, indexed queries.
        opts.map_sqlx_postgres_opts(|o| o.options([("plan_cache_mode", "force_generic_plan")]));
    }
    Database::connect(opts).await
}

fn sqlite_file(url: &str) -> Option<String> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next()?;
    (!path.is_empty() && path != ":memory:").then(|| path.to_string())
}

pub fn is_unique_violation(err: &DbErr) -> bool {
    matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_)))
}

/// SQLite has one writer at a time; connections that race for it wait in
/// SQLite's busy handler, which sleeps in steps of up to 100 ms. Hot write
/// paths take this in-process gate first so writers queue without sleeping.
/// PostgreSQL needs no gate (`None`).
pub async fn sqlite_write_gate(
    db: &DatabaseConnection,
) -> Option<tokio::sync::MutexGuard<'static, ()>> {
    static GATE: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    (db.get_database_backend() == sea_orm::DatabaseBackend::Sqlite).then_some(GATE.lock().await)
}
