//! Workouts: categories, workouts, their videos, each user's progress and
//! completion log, achievements, and favorites (workouts now, meals later).

use crate::helpers::{fk, index, table, user_fk};
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            table("workout_categories")
                .col(string("name"))
                .col(string_uniq("slug"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            table("workouts")
                .col(string("title"))
                .col(text("description"))
                .col(integer("duration_minutes"))
                .col(string("difficulty"))
                .col(big_integer("category_id"))
                // A JSON array of fitness-goal values, kept as text so one
                // LIKE filter works on both databases.
                .col(text("goals"))
                .col(boolean("is_premium").default(false))
                .col(string_null("thumbnail_key"))
                // Kept with the videos so a catalogue page needs no count.
                .col(integer("video_count").default(0))
                .col(big_integer_null("created_by"))
                .foreign_key(&mut fk(
                    "workouts",
                    "category_id",
                    "workout_categories",
                    ForeignKeyAction::Restrict,
                ))
                .foreign_key(&mut user_fk(
                    "workouts",
                    "created_by",
                    ForeignKeyAction::SetNull,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "workouts",
            "idx_workouts_category",
            &["category_id", "id"],
        ))
        .await?;
        m.create_index(index(
            "workouts",
            "idx_workouts_created",
            &["created_at", "id"],
        ))
        .await?;
        m.create_index(index("workouts", "idx_workouts_title", &["title", "id"]))
            .await?;
        m.create_index(index(
            "workouts",
            "idx_workouts_duration",
            &["duration_minutes", "id"],
        ))
        .await?;

        m.create_table(
            table("workout_videos")
                .col(big_integer("workout_id"))
                .col(string("title"))
                .col(integer("order_index"))
                .col(string("storage_key"))
                .col(string("content_type"))
                .col(big_integer("size_bytes"))
                .col(boolean("is_free").default(false))
                .col(integer_null("duration_seconds"))
                .col(string_null("thumbnail_key"))
                .foreign_key(&mut fk(
                    "workout_videos",
                    "workout_id",
                    "workouts",
                    ForeignKeyAction::Cascade,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "workout_videos",
            "idx_workout_videos_workout",
            &["workout_id", "order_index"],
        ))
        .await?;

        m.create_table(
            table("workout_progress")
                .col(big_integer("user_id"))
                .col(big_integer("workout_id"))
                .col(double("progress_percentage").default(0.0))
                // True when the client set the percentage itself.
                .col(boolean("percentage_set").default(false))
                // JSON array of completed video ids.
                .col(text("completed_videos"))
                .col(timestamp_with_time_zone("started_at"))
                .col(timestamp_with_time_zone_null("completed_at"))
                .col(integer("times_completed").default(0))
                .foreign_key(&mut user_fk(
                    "workout_progress",
                    "user_id",
                    ForeignKeyAction::Cascade,
                ))
                .foreign_key(&mut fk(
                    "workout_progress",
                    "workout_id",
                    "workouts",
                    ForeignKeyAction::Cascade,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            index(
                "workout_progress",
                "uq_workout_progress_user_workout",
                &["user_id", "workout_id"],
            )
            .unique()
            .to_owned(),
        )
        .await?;
        m.create_index(index(
            "workout_progress",
            "idx_workout_progress_user_updated",
            &["user_id", "updated_at"],
        ))
        .await?;

        m.create_table(
            table("workout_completions")
                .col(big_integer("user_id"))
                .col(big_integer("workout_id"))
                .col(timestamp_with_time_zone("completed_at"))
                .col(integer("duration_minutes"))
                .foreign_key(&mut user_fk(
                    "workout_completions",
                    "user_id",
                    ForeignKeyAction::Cascade,
                ))
                .foreign_key(&mut fk(
                    "workout_completions",
                    "workout_id",
                    "workouts",
                    ForeignKeyAction::Cascade,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "workout_completions",
            "idx_workout_completions_user",
            &["user_id", "completed_at"],
        ))
        .await?;

        m.create_table(
            table("user_achievements")
                .col(big_integer("user_id"))
                .col(string("code"))
                .col(timestamp_with_time_zone("earned_at"))
                .foreign_key(&mut user_fk(
                    "user_achievements",
                    "user_id",
                    ForeignKeyAction::Cascade,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            index(
                "user_achievements",
                "uq_user_achievements_code",
                &["user_id", "code"],
            )
            .unique()
            .to_owned(),
        )
        .await?;

        m.create_table(
            table("favorites")
                .col(big_integer("user_id"))
                .col(string("kind"))
                .col(big_integer("object_id"))
                .foreign_key(&mut user_fk(
                    "favorites",
                    "user_id",
                    ForeignKeyAction::Cascade,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            index(
                "favorites",
                "uq_favorites_user_kind_object",
                &["user_id", "kind", "object_id"],
            )
            .unique()
            .to_owned(),
        )
        .await?;
        Ok(())
    }
}
