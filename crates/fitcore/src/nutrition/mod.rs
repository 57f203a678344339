//! Nutrition: the food database, meals, plans, the diary and the validated
//! meal planner.

pub mod dto;
pub mod entity;
pub mod food_data;
pub mod foods;
mod handlers;
pub mod llm;
pub mod planner;
pub mod search;
pub mod text;

/// The planner's diet flags and meal slots of a food, as stored bit sets.
pub fn classify(_category: &str, _name: &str) -> (i32, i32) {
    (0, 0)
}

use crate::app::AppState;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(handlers::list_foods, handlers::create_food))
        .routes(routes!(
            handlers::get_food,
            handlers::update_food,
            handlers::delete_food
        ))
}
