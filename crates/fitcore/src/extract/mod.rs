//! Request extractors: JSON bodies with problem+json rejections, the
//! authenticated caller and the permission guards.

mod auth;
mod json;

pub use auth::{AuthUser, MaybeAuthUser, StaffUser, SubscribedUser};
pub use json::{AppJson, optional as optional_json};

use crate::{error::AppError, platform::pagination::QueryMap};
use axum::{extract::FromRequestParts, http::request::Parts};

/// The raw query string as a map; endpoints validate what they accept.
pub struct Query(pub QueryMap);

impl<S: Send + Sync> FromRequestParts<S> for Query {
    type Rejection = AppError;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, AppError> {
        Ok(Self(QueryMap::parse(parts.uri.query())))
    }
}

/// The absolute URL of this request without its query, for pagination links.
pub struct RequestUrl(pub String);

impl FromRequestParts<crate::app::AppState> for RequestUrl {
    type Rejection = AppError;
    async fn from_request_parts(
        parts: &mut Parts,
        state: &crate::app::AppState,
    ) -> Result<Self, AppError> {
        let host = parts
            .headers
            .get(axum::http::header::HOST)
            .and_then(|h| h.to_str().ok())
            .filter(|h| {
                h.chars()
                    .all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c))
            })
            .map(String::from);
        let base = match host {
            Some(h) => {
                let scheme = if state.config.is_production() {
                    "https"
                } else {
                    "http"
                };
                format!("{scheme}://{h}")
            }
            None => state.config.public_url(),
        };
        // Inside a nested router `uri` has lost its prefix; the original has not.
        let path = parts
            .extensions
            .get::<axum::extract::OriginalUri>()
            .map(|o| o.0.path().to_string())
            .unwrap_or_else(|| parts.uri.path().to_string());
        Ok(Self(format!("{base}{path}")))
    }
}
