use crate::helpers::{index, table, user_fk};
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            table("subscriptions")
                .col(big_integer_uniq("user_id"))
                .col(string_null("plan"))
                .col(string("status").default("inactive"))
                .col(timestamp_with_time_zone_null("start_date"))
                .col(timestamp_with_time_zone_null("end_date"))
                .col(string_null("gateway"))
                .col(string_null("gateway_subscription_id"))
                .col(string_null("gateway_customer_id"))
                .col(boolean("cancel_at_period_end").default(false))
                .foreign_key(&mut user_fk(
                    "subscriptions",
                    "user_id",
                    ForeignKeyAction::Cascade,
                ))
                .to_owned(),
        )
        .await?;

        m.create_table(
            table("transactions")
                // Kept when the person is deleted: detached, not removed.
                .col(big_integer_null("user_id"))
                .col(string_null("plan_at_purchase"))
                // Minor units (cents); the API shows a two-place decimal string.
                .col(big_integer("amount_minor"))
                .col(string("currency"))
                .col(string("status"))
                .col(string_null("gateway"))
                .col(string_null("gateway_transaction_id"))
                .col(json_null("gateway_response"))
                .foreign_key(&mut user_fk(
                    "transactions",
                    "user_id",
                    ForeignKeyAction::SetNull,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "transactions",
            "idx_transactions_user",
            &["user_id", "id"],
        ))
        .await?;
        Ok(())
    }
}
