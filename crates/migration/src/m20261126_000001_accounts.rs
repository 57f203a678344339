use crate::helpers::{index, table, user_fk};
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            table("users")
                .col(string("email"))
                // Lower-cased copy: e-mails are unique without regard to case.
                .col(string_uniq("email_normalized"))
                .col(string_null("password_hash"))
                .col(string("first_name").default(""))
                .col(string("last_name").default(""))
                .col(boolean("is_active").default(true))
                .col(boolean("is_staff").default(false))
                .col(boolean("is_superuser").default(false))
                .col(boolean("is_email_verified").default(false))
                .col(timestamp_with_time_zone("date_joined"))
                .col(timestamp_with_time_zone_null("last_login"))
                // Bumped on password change/reset and deactivation: access
                // tokens carry it and older ones stop working at once.
                .col(integer("auth_version").default(0))
                .col(string_null("totp_secret"))
                .col(boolean("totp_enabled").default(false))
                .col(big_integer_null("totp_last_step"))
                .to_owned(),
        )
        .await?;

        m.create_table(
            table("profiles")
                .col(big_integer_uniq("user_id"))
                .col(date_null("birth_date"))
                .col(double_null("weight_kg"))
                .col(double_null("height_cm"))
                .col(string("gender").default("unspecified"))
                .col(string("fitness_goal").default("general_fitness"))
                .col(string("activity_level").default("moderate"))
                .col(json("dietary_preferences"))
                .col(json("allergies"))
                .col(string_null("profile_image"))
                .col(string("timezone").default("UTC"))
                .col(string("units").default("metric"))
                .col(string_null("reminder_time"))
                .col(string("language").default("en"))
                .foreign_key(&mut user_fk(
                    "profiles",
                    "user_id",
                    ForeignKeyAction::Cascade,
                ))
                .to_owned(),
        )
        .await?;

        m.create_table(
            table("refresh_tokens")
                .col(string_uniq("jti"))
                .col(big_integer("user_id"))
                // Every token rotated out of one login shares the family.
                .col(string("family_id"))
                .col(string_null("parent_jti"))
                .col(timestamp_with_time_zone("expires_at"))
                .col(timestamp_with_time_zone_null("rotated_at"))
                .col(timestamp_with_time_zone_null("revoked_at"))
                .foreign_key(&mut user_fk(
                    "refresh_tokens",
                    "user_id",
                    ForeignKeyAction::Cascade,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "refresh_tokens",
            "idx_refresh_tokens_family",
            &["family_id"],
        ))
        .await?;
        m.create_index(index(
            "refresh_tokens",
            "idx_refresh_tokens_user",
            &["user_id"],
        ))
        .await?;

        m.create_table(
            table("email_verifications")
                .col(big_integer("user_id"))
                .col(string_uniq("key_hash"))
                .col(string("email"))
                .col(timestamp_with_time_zone("expires_at"))
                .col(timestamp_with_time_zone_null("used_at"))
                .foreign_key(&mut user_fk(
                    "email_verifications",
                    "user_id",
                    ForeignKeyAction::Cascade,
                ))
                .to_owned(),
        )
        .await?;

        m.create_table(
            table("recovery_codes")
                .col(big_integer("user_id"))
                .col(string("code_hash"))
                .col(timestamp_with_time_zone_null("used_at"))
                .foreign_key(&mut user_fk(
                    "recovery_codes",
                    "user_id",
                    ForeignKeyAction::Cascade,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "recovery_codes",
            "idx_recovery_codes_user",
            &["user_id"],
        ))
        .await?;

        m.create_table(
            table("oauth_identities")
                .col(big_integer("user_id"))
                .col(string("provider"))
                .col(string("subject"))
                .col(string_null("email"))
                .foreign_key(&mut user_fk(
                    "oauth_identities",
                    "user_id",
                    ForeignKeyAction::Cascade,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            index(
                "oauth_identities",
                "uq_oauth_identities_subject",
                &["provider", "subject"],
            )
            .unique()
            .to_owned(),
        )
        .await?;
        Ok(())
    }
}
