//! Accounts: users, profiles, sign-in, tokens, OAuth and 2FA. Depends only
//! on the platform.

pub mod auth_cache;
pub mod cookies;
pub mod dto;
pub mod entity;
mod handlers;
pub mod image;
pub mod oauth;
pub mod password;
pub mod recovery;
mod rotation;
pub mod service;
pub mod tokens;
pub mod twofactor;
pub mod users;
pub mod verification;

use crate::app::{AppState, JSON_LIMIT};
use axum::{extract::DefaultBodyLimit, http::HeaderMap};
use utoipa_axum::{router::OpenApiRouter, routes};

pub use users::AccountDeleted;

pub fn router() -> OpenApiRouter<AppState> {
    use handlers::{auth, users};
    let image = OpenApiRouter::new()
        .routes(routes!(users::upload_profile_image))
        .layer(DefaultBodyLimit::max(image::MAX_BYTES + 64 * 1024));
    OpenApiRouter::new()
        .routes(routes!(auth::register))
        .routes(routes!(auth::login))
        .routes(routes!(auth::refresh))
        .routes(routes!(auth::logout))
        .routes(routes!(auth::password_reset))
        .routes(routes!(auth::password_reset_confirm))
        .routes(routes!(auth::password_change))
        .routes(routes!(auth::verify_email))
        .routes(routes!(auth::resend_verification))
        .routes(routes!(auth::oauth_google))
        .routes(routes!(auth::oauth_apple))
        .routes(routes!(auth::twofa_setup))
        .routes(routes!(auth::twofa_confirm))
        .routes(routes!(auth::twofa_disable))
        .routes(routes!(users::get_me, users::update_me, users::delete_me))
        .routes(routes!(users::export_me))
        .routes(routes!(users::get_profile, users::update_profile))
        .routes(routes!(users::get_settings, users::update_settings))
        .layer(DefaultBodyLimit::max(JSON_LIMIT))
        .merge(image)
}

/// The user id of a valid access token in the request, without touching
/// the database (rate limits and idempotency keys are per user).
pub fn peek_user_id(state: &AppState, headers: &HeaderMap) -> Option<i64> {
    let token = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::to_string)
        .or_else(|| cookies::read(headers, cookies::ACCESS_COOKIE))?;
    state
        .tokens
        .decode(&token, tokens::ACCESS, state.now())
        .ok()
        .map(|c| c.user_id)
}
