use crate::helpers::{index, table};
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // Each gateway event is applied once: its id is stored under a
        // unique constraint in the same transaction as its effect.
        m.create_table(
            table("payment_events")
                .col(string("gateway"))
                .col(string("event_id"))
                .col(string("event_type"))
                .col(timestamp_with_time_zone("occurred_at"))
                .col(json("payload"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            index(
                "payment_events",
                "uq_payment_events_gateway_event",
                &["gateway", "event_id"],
            )
            .unique()
            .to_owned(),
        )
        .await?;
        // The gateway time of the newest subscription state applied; older
        // events arriving late do not overwrite it.
        m.alter_table(
            Table::alter()
                .table("subscriptions")
                .add_column(timestamp_with_time_zone_null("gateway_state_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "subscriptions",
            "idx_subscriptions_gateway_subscription",
            &["gateway_subscription_id"],
        ))
        .await?;
        Ok(())
    }
}
