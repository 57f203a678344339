//! A meal plan's revision: bumped in the same transaction as any change to
//! what its detail shows (the plan, its scheduled meals, those meals and
//! their items), so a cached detail is checked with one primary-key read.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table("meal_plans")
                .add_column(big_integer("revision").default(0))
                .to_owned(),
        )
        .await
    }
}
