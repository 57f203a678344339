use super::{
    dto::{FavoriteCreated, FavoriteKind, FavoriteRequest, FavoritesResponse},
    service,
};
use crate::{
    app::AppState,
    error::{AppError, AppResult, ErrorBody},
    extract::{AppJson, AuthUser},
    workouts::viewer_of,
};
use axum::{
    extract::{Path, State},
    http::StatusCode,
};

/// The caller's favorite workouts (and meals), newest first.
#[utoipa::path(get, path = "/users/favorites/", tag = "users",
    responses((status = 200, body = FavoritesResponse), (status = 401, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn list_favorites(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
) -> AppResult<AppJson<FavoritesResponse>> {
    let viewer = viewer_of(&state, Some(&user)).await?;
    Ok(AppJson(service::list(&state, viewer).await?))
}

/// Marks a workout or meal as favorite: 201 the first time, 200 when it
/// already was; 404 when there is no such object the caller can see.
#[utoipa::path(post, path = "/users/favorites/", tag = "users", request_body = FavoriteRequest,
    responses((status = 201, body = FavoriteCreated), (status = 200, body = FavoriteCreated),
        (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn add_favorite(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    AppJson(req): AppJson<FavoriteRequest>,
) -> AppResult<(StatusCode, AppJson<FavoriteCreated>)> {
    let (fav, new) = service::add(&state, user.id, req.kind, req.id).await?;
    let status = if new {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, AppJson(fav)))
}

/// Removes a favorite; 404 when it was not one.
#[utoipa::path(delete, path = "/users/favorites/{kind}/{id}/", tag = "users",
    params(("kind" = String, Path, description = "`workout` or `meal`"), ("id" = i64, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn remove_favorite(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path((kind, id)): Path<(String, i64)>,
) -> AppResult<StatusCode> {
    let kind = match kind.as_str() {
        "workout" => FavoriteKind::Workout,
        "meal" => FavoriteKind::Meal,
        _ => return Err(AppError::not_found()),
    };
    service::remove(&state, user.id, kind, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
