//! Forward-only schema migrations, one set for SQLite and PostgreSQL.
//!
//! Every migration uses the portable SeaQuery DSL; where a dialect needs its
//! own SQL the migration branches on `manager.get_database_backend()`.

pub use sea_orm_migration::prelude::*;

mod helpers;
mod m20261126_000001_accounts;
mod m20261126_000002_platform;
mod m20261126_000003_payments;
mod m20261126_000004_notifications;
mod m20261126_000005_payment_events;
mod m20261126_000006_workouts;
mod m20261126_000007_nutrition;
mod m20261127_000008_plan_revision;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261126_000001_accounts::Migration),
            Box::new(m20261126_000002_platform::Migration),
            Box::new(m20261126_000003_payments::Migration),
            Box::new(m20261126_000004_notifications::Migration),
            Box::new(m20261126_000005_payment_events::Migration),
            Box::new(m20261126_000006_workouts::Migration),
            Box::new(m20261126_000007_nutrition::Migration),
            Box::new(m20261127_000008_plan_revision::Migration),
        ]
    }
}
