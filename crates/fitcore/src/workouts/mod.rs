//! Workouts: catalogue, videos and streaming, progress, stats, achievements.

pub mod access;
pub mod catalogue;
pub mod catalogue_index;
pub mod categories;
pub mod demo;
pub mod detail;
pub mod dto;
pub mod entity;
mod handlers;
mod listing;
pub mod media;
pub mod order_cache;
pub mod progress;
pub mod stats;
pub mod streaming;
pub mod summary;
pub mod videos;

use crate::{accounts::entity::user, app::AppState, error::AppResult};
use access::Viewer;
use axum::extract::DefaultBodyLimit;
use sea_orm::ConnectionTrait;
use utoipa_axum::{router::OpenApiRouter, routes};

pub use progress::WorkoutCompleted;

/// The caller as the access rules see them (one subscription lookup for a
/// signed-in user).
pub async fn viewer_of(state: &AppState, u: Option<&user::Model>) -> AppResult<Viewer> {
    Ok(match u {
        None => Viewer::Anonymous,
        Some(u) => Viewer::User {
            id: u.id,
            subscribed: crate::payments::has_active_access(&state.db, u.id, state.now()).await?,
            staff: u.is_staff,
        },
    })
}

/// The caller before their subscription is known: enough where it does
/// not matter (lists) or is looked up only when it does (premium detail).
pub fn viewer_unchecked(u: Option<&user::Model>) -> Viewer {
    match u {
        None => Viewer::Anonymous,
        Some(u) => Viewer::User {
            id: u.id,
            subscribed: false,
            staff: u.is_staff,
        },
    }
}

/// The user's profile time zone (UTC when unset or unknown).
pub async fn user_tz<C: ConnectionTrait>(db: &C, user_id: i64) -> AppResult<chrono_tz::Tz> {
    use crate::accounts::entity::profile;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let tz = profile::Entity::find()
        .filter(profile::Column::UserId.eq(user_id))
        .one(db)
        .await?
        .and_then(|p| p.timezone.parse::<chrono_tz::Tz>().ok());
    Ok(tz.unwrap_or(chrono_tz::UTC))
}

/// The caller's stats as of now, in their local days.
pub async fn stats_of<C: ConnectionTrait>(
    db: &C,
    user_id: i64,
    now: chrono::DateTime<chrono::Utc>,
) -> AppResult<stats::WorkoutStats> {
    let tz = user_tz(db, user_id).await?;
    Ok(stats::compute(
        &progress::completions_of(db, user_id).await?,
        tz,
        now,
    ))
}

pub fn router() -> OpenApiRouter<AppState> {
    // Uploads enforce their own limit while streaming.
    let upload = OpenApiRouter::new()
        .routes(routes!(handlers::upload_video))
        .layer(DefaultBodyLimit::disable());
    OpenApiRouter::new()
        .merge(upload)
        .routes(routes!(
            handlers::list_categories,
            handlers::create_category
        ))
        .routes(routes!(handlers::update_category))
        .routes(routes!(handlers::list_workouts, handlers::create_workout))
        .routes(routes!(
            handlers::get_workout,
            handlers::update_workout,
            handlers::delete_workout
        ))
        .routes(routes!(handlers::reorder_videos))
        .routes(routes!(handlers::update_video, handlers::delete_video))
        .routes(routes!(handlers::stream_video, handlers::head_video))
        .routes(routes!(handlers::list_progress, handlers::record_progress))
        .routes(routes!(handlers::get_progress, handlers::update_progress))
        .routes(routes!(handlers::reset_progress))
        .routes(routes!(handlers::workout_stats))
}
