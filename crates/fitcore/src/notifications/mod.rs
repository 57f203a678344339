//! Notifications: the in-app inbox every context writes to.

pub mod dto;
pub mod entity;
mod handlers;
pub mod service;

use crate::app::AppState;
use utoipa_axum::{router::OpenApiRouter, routes};

pub use service::{create, unread_count};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(handlers::list_notifications))
        .routes(routes!(handlers::unread_notification_count))
        .routes(routes!(handlers::mark_notification_read))
        .routes(routes!(handlers::mark_all_notifications_read))
        .routes(routes!(handlers::delete_notification))
}
