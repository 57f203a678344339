//! FitCore: the backend of an AI-powered fitness app.
//!
//! One modular monolith: each bounded context (`accounts`, `notifications`,
//! `payments`, ...) has the same rooms (`mod.rs`, `handlers`, `dto.rs`,
//! `service.rs`, `entity/`) and depends only on `platform` and, for the
//! user and permission guards, on `accounts`.

pub mod accounts;
pub mod app;
pub mod cli;
pub mod config;
pub mod dashboard;
pub mod error;
pub mod extract;
pub mod favorites;
pub mod notifications;
pub mod nutrition;
pub mod ops;
pub mod payments;
pub mod platform;
pub mod workouts;

use migration::MigratorTrait;
use sea_orm::{ConnectionTrait, DatabaseBackend, Statement, TransactionTrait};

/// Applies pending migrations. On PostgreSQL an advisory lock makes
/// instances that start together take turns.
pub async fn migrate_up(db: &sea_orm::DatabaseConnection) -> anyhow::Result<()> {
    if db.get_database_backend() == DatabaseBackend::Postgres {
        let txn = db.begin().await?;
        txn.execute_raw(Statement::from_string(
            DatabaseBackend::Postgres,
            "SELECT pg_advisory_xact_lock(727202611)",
        ))
        .await?;
        migration::Migrator::up(db, None).await?;
        txn.commit().await?;
    } else {
        migration::Migrator::up(db, None).await?;
    }
    Ok(())
}
