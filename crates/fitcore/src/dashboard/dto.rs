use crate::{accounts::dto::UserResponse, payments::dto::SubscriptionResponse};
use chrono::NaiveDate;
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub struct DashboardResponse {
    pub user: UserResponse,
    pub subscription: SubscriptionResponse,
    pub today: Today,
    pub workouts: WorkoutsSummary,
    pub unread_notifications: u64,
    /// Up to three scheduled meals from today on (the next seven days), in
    /// date and meal-time order.
    pub next_meals: Vec<crate::nutrition::today::NextMeal>,
}

/// Today in the user's time zone. Values a context does not know yet are null.
#[derive(Debug, Serialize, ToSchema)]
pub struct Today {
    pub date: NaiveDate,
    pub calories_target: Option<f64>,
    pub calories_logged: f64,
    pub calories_planned: f64,
    pub steps: Option<f64>,
    pub active_minutes: Option<f64>,
    pub weight_kg: Option<f64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WorkoutsSummary {
    /// Up to three workouts started and not completed, most recent first.
    pub in_progress: Vec<crate::workouts::dto::ProgressResponse>,
    pub completed_total: u64,
    pub streak_days: u32,
}
