use crate::helpers::{index, table};
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            table("jobs")
                .col(string("kind"))
                .col(json("payload"))
                // pending | running | succeeded | failed
                .col(string("status").default("pending"))
                .col(integer("attempts").default(0))
                .col(integer("max_attempts").default(5))
                .col(timestamp_with_time_zone("run_at"))
                .col(string_null("locked_by"))
                .col(timestamp_with_time_zone_null("locked_until"))
                .col(text_null("last_error"))
                .col(json_null("result"))
                .col(timestamp_with_time_zone_null("finished_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("jobs", "idx_jobs_claim", &["status", "run_at"]))
            .await?;

        m.create_table(
            table("idempotency_keys")
                // "user:<id>"; keys are per caller.
                .col(string("scope"))
                .col(string("key"))
                .col(string("method"))
                .col(string("path"))
                .col(string("request_hash"))
                // null while the first request is still running.
                .col(integer_null("status_code"))
                .col(json_null("response_headers"))
                .col(blob_null("response_body"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            index(
                "idempotency_keys",
                "uq_idempotency_scope_key",
                &["scope", "key"],
            )
            .unique()
            .to_owned(),
        )
        .await?;
        Ok(())
    }
}
