//! Nutrition: foods (bundled USDA SR28, imports and users' own) with their
//! household portions, meals and their items, meal plans with scheduled
//! meals, and the food diary. Searching names uses a trigram index on
//! PostgreSQL when `pg_trgm` can be installed; SQLite scans the (small)
//! table.

use crate::helpers::{fk, index, table, user_fk};
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            table("foods")
                .col(string("name"))
                // Lower-case, accents folded: what search compares.
                .col(string("name_search"))
                .col(string_null("brand"))
                .col(string("category"))
                .col(double("serving_size"))
                .col(string("serving_unit"))
                .col(string_null("serving_description"))
                .col(double("calories"))
                .col(double("protein_g"))
                .col(double("carbs_g"))
                .col(double("fat_g"))
                // Null: not analysed (unknown), never zero by default.
                .col(double_null("fiber_g"))
                .col(double_null("sugar_g"))
                .col(double_null("sodium_mg"))
                .col(boolean("is_public").default(false))
                .col(big_integer_null("owner_id"))
                // usda_sr28 | import | custom
                .col(string("source"))
                .col(string_null("source_id"))
                // Bit sets the planner reads (see nutrition::planner).
                .col(integer("diet_flags").default(0))
                .col(integer("meal_slots").default(0))
                .foreign_key(&mut user_fk("foods", "owner_id", ForeignKeyAction::Cascade))
                .to_owned(),
        )
        .await?;
        m.create_index(index("foods", "idx_foods_owner", &["owner_id", "id"]))
            .await?;
        m.create_index(index("foods", "idx_foods_category", &["category", "id"]))
            .await?;
        m.create_index(
            index("foods", "uq_foods_source", &["source", "source_id"])
                .unique()
                .to_owned(),
        )
        .await?;
        if m.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
            let db = m.get_connection();
            // pg_trgm makes `LIKE '%word%'` an index scan. Managed databases
            // may refuse the extension: search then scans, still correct.
            db.execute_unprepared(
                "DO $$ BEGIN CREATE EXTENSION IF NOT EXISTS pg_trgm; \
                 EXCEPTION WHEN OTHERS THEN RAISE NOTICE 'pg_trgm unavailable: %', SQLERRM; END $$;",
            )
            .await?;
            db.execute_unprepared(
                "DO $$ BEGIN IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm') THEN \
                 CREATE INDEX IF NOT EXISTS idx_foods_name_trgm ON foods USING gin (name_search gin_trgm_ops); \
                 END IF; END $$;",
            )
            .await?;
        }

        m.create_table(
            table("food_portions")
                .col(big_integer("food_id"))
                .col(integer("seq"))
                .col(string("description"))
                .col(double("grams"))
                .foreign_key(&mut fk(
                    "food_portions",
                    "food_id",
                    "foods",
                    ForeignKeyAction::Cascade,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "food_portions",
            "idx_food_portions_food",
            &["food_id", "seq"],
        ))
        .await?;

        m.create_table(
            table("meals")
                .col(big_integer_null("owner_id"))
                .col(string("name"))
                .col(text("description"))
                // breakfast | lunch | dinner | snack
                .col(string("meal_time_category"))
                .col(boolean("is_template").default(false))
                // Staff-made templates every user sees and may copy.
                .col(boolean("is_public").default(false))
                .foreign_key(&mut user_fk("meals", "owner_id", ForeignKeyAction::Cascade))
                .to_owned(),
        )
        .await?;
        m.create_index(index("meals", "idx_meals_owner", &["owner_id", "id"]))
            .await?;
        m.create_table(
            table("meal_items")
                .col(big_integer("meal_id"))
                .col(big_integer("food_id"))
                .col(integer("position"))
                .col(double("number_of_servings"))
                .foreign_key(&mut fk(
                    "meal_items",
                    "meal_id",
                    "meals",
                    ForeignKeyAction::Cascade,
                ))
                // A food in use cannot be deleted (409), so no meal changes
                // silently.
                .foreign_key(&mut fk(
                    "meal_items",
                    "food_id",
                    "foods",
                    ForeignKeyAction::Restrict,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "meal_items",
            "idx_meal_items_meal",
            &["meal_id", "position"],
        ))
        .await?;
        m.create_index(index("meal_items", "idx_meal_items_food", &["food_id"]))
            .await?;

        m.create_table(
            table("meal_plans")
                .col(big_integer_null("owner_id"))
                .col(string("name"))
                .col(string_null("goal"))
                .col(integer("duration_days"))
                .col(date("start_date"))
                .col(double_null("target_daily_calories"))
                .col(double_null("target_protein_g"))
                .col(double_null("target_carbs_g"))
                .col(double_null("target_fat_g"))
                .col(boolean("is_ai_generated").default(false))
                .col(boolean("is_template").default(false))
                .col(boolean("is_public").default(false))
                .foreign_key(&mut user_fk(
                    "meal_plans",
                    "owner_id",
                    ForeignKeyAction::Cascade,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "meal_plans",
            "idx_meal_plans_owner",
            &["owner_id", "id"],
        ))
        .await?;
        m.create_table(
            table("scheduled_meals")
                .col(big_integer("plan_id"))
                .col(big_integer("meal_id"))
                .col(integer("day_of_plan"))
                .col(integer("position"))
                .foreign_key(&mut fk(
                    "scheduled_meals",
                    "plan_id",
                    "meal_plans",
                    ForeignKeyAction::Cascade,
                ))
                .foreign_key(&mut fk(
                    "scheduled_meals",
                    "meal_id",
                    "meals",
                    ForeignKeyAction::Cascade,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "scheduled_meals",
            "idx_scheduled_meals_plan",
            &["plan_id", "day_of_plan", "position"],
        ))
        .await?;

        m.create_table(
            table("food_log")
                .col(big_integer("user_id"))
                .col(date("date"))
                .col(string("meal_time_category"))
                .col(big_integer_null("food_id"))
                .col(big_integer_null("meal_id"))
                .col(double("number_of_servings"))
                // What was eaten, as it was then: later edits of the food
                // or meal do not rewrite the diary.
                .col(string("name"))
                .col(double("calories"))
                .col(double("protein_g"))
                .col(double("carbs_g"))
                .col(double("fat_g"))
                .col(double_null("fiber_g"))
                .col(double_null("sugar_g"))
                .col(double_null("sodium_mg"))
                .foreign_key(&mut user_fk(
                    "food_log",
                    "user_id",
                    ForeignKeyAction::Cascade,
                ))
                .foreign_key(&mut fk(
                    "food_log",
                    "food_id",
                    "foods",
                    ForeignKeyAction::SetNull,
                ))
                .foreign_key(&mut fk(
                    "food_log",
                    "meal_id",
                    "meals",
                    ForeignKeyAction::SetNull,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "food_log",
            "idx_food_log_user_date",
            &["user_id", "date", "id"],
        ))
        .await?;
        m.create_index(index(
            "food_log",
            "idx_food_log_user_created",
            &["user_id", "created_at", "id"],
        ))
        .await?;
        Ok(())
    }
}
