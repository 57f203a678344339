//! `users/favorites/`: a user's favorite workouts (and, with nutrition,
//! meals).

pub mod dto;
pub mod entity;
mod handlers;
pub mod service;

use crate::app::AppState;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(handlers::list_favorites, handlers::add_favorite))
        .routes(routes!(handlers::remove_favorite))
}
