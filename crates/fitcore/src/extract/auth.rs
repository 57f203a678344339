//! The caller, from `Authorization: Bearer` or the access cookie (with the
//! double-submit CSRF check on unsafe methods), and the permission guards.

use crate::{
    accounts::{self, entity::user},
    app::AppState,
    error::AppError,
};
use axum::{extract::FromRequestParts, http::request::Parts};
use sea_orm::EntityTrait;

pub struct AuthUser(pub user::Model);
pub struct MaybeAuthUser(pub Option<user::Model>);
pub struct StaffUser(pub user::Model);
pub struct SubscribedUser(pub user::Model);

enum Credential {
    Bearer(String),
    Cookie(String),
}

fn credential(parts: &Parts) -> Result<Option<Credential>, AppError> {
    if let Some(h) = parts.headers.get(axum::http::header::AUTHORIZATION) {
        let h = h.to_str().map_err(|_| {
            AppError::unauthorized("token_invalid", "Invalid Authorization header.")
        })?;
        let token = h
            .strip_prefix("Bearer ")
            .or_else(|| h.strip_prefix("bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| {
                AppError::unauthorized("token_invalid", "Use `Authorization: Bearer <token>`.")
            })?;
        return Ok(Some(Credential::Bearer(token.to_string())));
    }
    Ok(
        accounts::cookies::read(&parts.headers, accounts::cookies::ACCESS_COOKIE)
            .map(Credential::Cookie),
    )
}

async fn authenticate(parts: &Parts, state: &AppState) -> Result<Option<user::Model>, AppError> {
    let Some(cred) = credential(parts)? else {
        return Ok(None);
    };
    let token = match &cred {
        Credential::Bearer(t) | Credential::Cookie(t) => t,
    };
    let claims = state
        .tokens
        .decode(token, accounts::tokens::ACCESS, state.now())?;
    // Reads may reuse a recently loaded user (see `auth_cache`); a cached
    // copy that disagrees with the token is checked against the database.
    let cached = parts
        .method
        .is_safe()
        .then(|| state.auth_cache.get(claims.user_id))
        .flatten()
        .filter(|u| u.auth_version == claims.ver);
    let user = match cached {
        Some(u) => user::Model::clone(&u),
        None => {
            let fresh = user::Entity::find_by_id(claims.user_id)
                .one(&state.db)
                .await?
                .filter(|u| u.is_active)
                .ok_or_else(|| {
                    AppError::unauthorized("token_invalid", "User not found or inactive.")
                })?;
            state.auth_cache.put(std::sync::Arc::new(fresh.clone()));
            fresh
        }
    };
    if user.auth_version != claims.ver {
        return Err(AppError::unauthorized(
            "token_invalid",
            "Token has been revoked.",
        ));
    }
    if let Credential::Cookie(_) = cred
        && !parts.method.is_safe()
    {
        let header = parts
            .headers
            .get("x-csrf-token")
            .and_then(|v| v.to_str().ok());
        let cookie = accounts::cookies::read(&parts.headers, accounts::cookies::CSRF_COOKIE);
        let ok = matches!((header, cookie), (Some(h), Some(c)) if !h.is_empty()
            && crate::platform::crypto::constant_time_eq(h.as_bytes(), c.as_bytes()));
        if !ok {
            return Err(AppError::forbidden(
                "permission_denied",
                "CSRF token missing or incorrect.",
            ));
        }
    }
    Ok(Some(user))
}

impl FromRequestParts<AppState> for AuthUser {
    type Rejection = AppError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        authenticate(parts, state)
            .await?
            .map(AuthUser)
            .ok_or_else(AppError::not_authenticated)
    }
}

impl FromRequestParts<AppState> for MaybeAuthUser {
    type Rejection = AppError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        Ok(MaybeAuthUser(authenticate(parts, state).await?))
    }
}

impl FromRequestParts<AppState> for StaffUser {
    type Rejection = AppError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let AuthUser(user) = AuthUser::from_request_parts(parts, state).await?;
        if !user.is_staff {
            return Err(AppError::forbidden("permission_denied", "Staff only."));
        }
        Ok(StaffUser(user))
    }
}

impl FromRequestParts<AppState> for SubscribedUser {
    type Rejection = AppError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let AuthUser(user) = AuthUser::from_request_parts(parts, state).await?;
        if !crate::payments::has_active_access(&state.db, user.id, state.now()).await? {
            return Err(AppError::forbidden(
                "subscription_required",
                "An active subscription is required.",
            ));
        }
        Ok(SubscribedUser(user))
    }
}
