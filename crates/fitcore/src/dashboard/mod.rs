//! `users/dashboard/`: one read across contexts. It may read every context;
//! none depends on it. Each context adds its part as it ships.

pub mod dto;
mod handlers;
pub mod service;

use crate::app::AppState;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(handlers::get_dashboard))
}
