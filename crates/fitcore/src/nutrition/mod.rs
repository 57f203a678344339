//! Nutrition: the food database, meals, plans, the diary and the validated
//! meal planner.

pub mod diary;
pub mod dto;
pub mod entity;
pub mod food_data;
pub mod food_index;
pub mod foods;
pub mod generate;
mod handlers;
mod handlers_meals;
pub mod llm;
pub mod meals;
pub mod plan_cache;
pub mod planner;
pub mod plans;
pub mod search;
pub mod targets;
pub mod text;
pub mod today;

/// Clears the way for deleting a user's account (inside its transaction):
/// other users' plans that schedule the user's (template) meals change;
/// public foods a staff member added stay in the catalogue (other users'
/// meals may hold them); the user's meals go before their foods (a food
/// in a meal cannot be deleted, and PostgreSQL checks that row by row
/// within the cascade).
pub async fn before_account_deletion<C: sea_orm::ConnectionTrait>(
    db: &C,
    user_id: i64,
) -> Result<(), sea_orm::DbErr> {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    plan_cache::touch_plans_of_owner(db, user_id).await?;
    foods::detach_public_foods(db, user_id).await?;
    entity::meal::Entity::delete_many()
        .filter(entity::meal::Column::OwnerId.eq(user_id))
        .exec(db)
        .await?;
    Ok(())
}

/// The planner's diet flags and meal slots of a food, as stored bit sets
/// (diet: vegan 1, vegetarian 2, pescatarian 4, gluten-free 8, dairy-free
/// 16, keto 32, paleo 64, halal 128, kosher 256; slots: breakfast 1, lunch
/// 2, dinner 4, snack 8). They describe the food to staff tools and SQL;
/// the planner derives its own from name and category at planning time.
pub fn classify(category: &str, name: &str, kcal_per_100g: f64, carbs_per_100g: f64) -> (i32, i32) {
    let mut f = planner::diet_flags(category, name);
    f.keto = f.keto && planner::keto_by_nutrients(kcal_per_100g, carbs_per_100g);
    let diet = [
        f.vegan,
        f.vegetarian,
        f.pescatarian,
        f.gluten_free,
        f.dairy_free,
        f.keto,
        f.paleo,
        f.halal,
        f.kosher,
    ]
    .iter()
    .enumerate()
    .fold(0, |acc, (i, on)| if *on { acc | (1 << i) } else { acc });
    let slots = planner::meal_slots(category, name)
        .iter()
        .fold(0, |acc, s| {
            acc | match s {
                planner::MealSlot::Breakfast => 1,
                planner::MealSlot::Lunch => 2,
                planner::MealSlot::Dinner => 4,
                planner::MealSlot::Snack => 8,
            }
        });
    (diet, slots)
}

use crate::app::AppState;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    use handlers_meals as m;
    OpenApiRouter::new()
        .routes(routes!(handlers::list_foods, handlers::create_food))
        .routes(routes!(
            handlers::get_food,
            handlers::update_food,
            handlers::delete_food
        ))
        .routes(routes!(m::list_meals, m::create_meal))
        .routes(routes!(m::get_meal, m::update_meal, m::delete_meal))
        .routes(routes!(m::copy_meal))
        .routes(routes!(m::list_plans, m::create_plan))
        .routes(routes!(m::get_plan, m::update_plan, m::delete_plan))
        .routes(routes!(m::schedule_meal))
        .routes(routes!(m::unschedule_meal))
        .routes(routes!(m::copy_plan))
        .routes(routes!(m::shopping_list))
        .routes(routes!(m::get_targets))
        .routes(routes!(m::list_log, m::create_log))
        .routes(routes!(m::log_summary))
        .routes(routes!(m::update_log, m::delete_log))
        .routes(routes!(m::generate_plan))
        .routes(routes!(m::generation_status))
}
