//! Nutrition: the food database, meals, plans, the diary and the validated
//! meal planner.

pub mod diary;
pub mod dto;
pub mod entity;
pub mod food_data;
pub mod foods;
mod handlers;
mod handlers_meals;
pub mod meals;
pub mod plans;
pub mod llm;
pub mod planner;
pub mod search;
pub mod targets;
pub mod text;
pub mod today;

/// The planner's diet flags and meal slots of a food, as stored bit sets.
pub fn classify(_category: &str, _name: &str) -> (i32, i32) {
    (0, 0)
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
}
