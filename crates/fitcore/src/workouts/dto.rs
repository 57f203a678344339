//! Request and response shapes of `workouts/` (API.md section 2: Workout,
//! WorkoutProgress).

use crate::accounts::dto::FitnessGoal;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Difficulty {
    Beginner,
    Intermediate,
    Advanced,
}

impl Difficulty {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Beginner => "beginner",
            Self::Intermediate => "intermediate",
            Self::Advanced => "advanced",
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CategoryResponse {
    pub id: i64,
    pub name: String,
    pub slug: String,
    pub workout_count: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CategoryRef {
    pub id: i64,
    pub name: String,
    pub slug: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CategoryCreate {
    pub name: String,
    /// Derived from the name when left out.
    pub slug: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CategoryUpdate {
    pub name: Option<String>,
    pub slug: Option<String>,
}

/// The caller's progress on a workout, as lists show it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProgressSummary {
    pub id: i64,
    pub progress_percentage: f64,
    pub completed_videos: Vec<i64>,
    pub started_at: DateTime<Utc>,
    pub completed_at: Option<DateTime<Utc>>,
    pub times_completed: i32,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WorkoutResponse {
    pub id: i64,
    pub title: String,
    pub description: String,
    pub duration_minutes: i32,
    pub difficulty: String,
    pub category: CategoryRef,
    pub goals: Vec<String>,
    pub is_premium: bool,
    pub thumbnail_url: Option<String>,
    pub video_count: i32,
    /// Present for authenticated callers only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_favorite: Option<bool>,
    /// The caller's progress, or null (always null for anonymous callers).
    pub progress: Option<ProgressSummary>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct VideoResponse {
    pub id: i64,
    pub title: String,
    pub order_index: i32,
    /// Null until the media job has read the file (or without ffprobe).
    pub duration_seconds: Option<i32>,
    pub thumbnail_url: Option<String>,
    pub is_free: bool,
    pub locked: bool,
    /// A 10-minute URL bound to this video and the caller; null when locked.
    pub stream_url: Option<String>,
    pub content_type: String,
    pub size_bytes: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WorkoutDetail {
    #[serde(flatten)]
    pub workout: WorkoutResponse,
    pub videos: Vec<VideoResponse>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WorkoutCreate {
    pub title: String,
    #[serde(default)]
    pub description: String,
    pub duration_minutes: i32,
    pub difficulty: Difficulty,
    pub category_id: i64,
    #[serde(default)]
    pub goals: Vec<FitnessGoal>,
    #[serde(default)]
    pub is_premium: bool,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WorkoutUpdate {
    pub title: Option<String>,
    pub description: Option<String>,
    pub duration_minutes: Option<i32>,
    pub difficulty: Option<Difficulty>,
    pub category_id: Option<i64>,
    pub goals: Option<Vec<FitnessGoal>>,
    pub is_premium: Option<bool>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VideoUpdate {
    pub title: Option<String>,
    pub is_free: Option<bool>,
    pub order_index: Option<i32>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReorderRequest {
    /// Every video of the workout, each once, in the new order.
    pub video_ids: Vec<i64>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProgressCreate {
    pub workout_id: i64,
    /// Marks this video done (or not done with `completed: false`).
    pub video_id: Option<i64>,
    pub completed: Option<bool>,
    /// Sets the percentage directly (0-100).
    pub progress_percentage: Option<f64>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProgressUpdate {
    pub video_id: Option<i64>,
    pub completed: Option<bool>,
    pub progress_percentage: Option<f64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WorkoutRef {
    pub id: i64,
    pub title: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProgressResponse {
    pub id: i64,
    pub workout: WorkoutRef,
    pub progress_percentage: f64,
    pub completed_videos: Vec<i64>,
    pub started_at: DateTime<Utc>,
    pub completed_at: Option<DateTime<Utc>>,
    pub times_completed: i32,
}
