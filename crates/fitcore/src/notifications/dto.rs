use super::entity::notification;
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

pub const TYPES: &[&str] = &[
    "system",
    "workout_reminder",
    "meal_plan_update",
    "payment",
    "achievement",
];

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NotificationResponse {
    pub id: i64,
    /// `system`, `workout_reminder`, `meal_plan_update`, `payment` or `achievement`.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub message: String,
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
    pub is_read: bool,
    pub read_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl From<notification::Model> for NotificationResponse {
    fn from(n: notification::Model) -> Self {
        Self {
            id: n.id,
            kind: n.kind,
            title: n.title,
            message: n.message,
            data: n.data,
            is_read: n.is_read,
            read_at: n.read_at,
            created_at: n.created_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UnreadCount {
    pub unread: u64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NotificationPage {
    pub next: Option<String>,
    pub previous: Option<String>,
    pub results: Vec<NotificationResponse>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MarkedRead {
    pub marked: u64,
}
