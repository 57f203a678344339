use crate::helpers::{index, table, user_fk};
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            table("notifications")
                .col(big_integer("user_id"))
                .col(string("type"))
                .col(string("title"))
                .col(text("message"))
                .col(json("data"))
                .col(boolean("is_read").default(false))
                .col(timestamp_with_time_zone_null("read_at"))
                .foreign_key(&mut user_fk(
                    "notifications",
                    "user_id",
                    ForeignKeyAction::Cascade,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "notifications",
            "idx_notifications_user",
            &["user_id", "id"],
        ))
        .await?;
        Ok(())
    }
}
