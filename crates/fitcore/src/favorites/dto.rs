use crate::workouts::dto::WorkoutResponse;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Clone, Copy, Deserialize, Serialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum FavoriteKind {
    Workout,
    Meal,
}

impl FavoriteKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Workout => "workout",
            Self::Meal => "meal",
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FavoriteRequest {
    pub kind: FavoriteKind,
    pub id: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FavoritesResponse {
    pub workouts: Vec<WorkoutResponse>,
    pub meals: Vec<crate::nutrition::dto::MealResponse>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FavoriteCreated {
    pub kind: FavoriteKind,
    pub id: i64,
    pub created_at: chrono::DateTime<chrono::Utc>,
}
