//! `nutrition/` food endpoints: thin; the rules live in `foods`.

use super::{
    dto::{FoodCreate, FoodResponse, FoodUpdate},
    foods,
};
use crate::{
    app::AppState,
    error::{AppResult, ErrorBody},
    extract::{AppJson, AuthUser, MaybeAuthUser, Query, RequestUrl},
    platform::pagination::{Page, PageParams},
};
use axum::{
    extract::{Path, State},
    http::StatusCode,
};

/// Public foods plus the caller's own, page-numbered. `search` is ranked:
/// the exact name, then names starting with it, then names where every
/// word starts a word, then the rest; shorter names first among equals;
/// case- and accent-insensitive. `category` is an exact category name;
/// `mine=true` lists only the caller's foods.
#[utoipa::path(get, path = "/nutrition/foods/", tag = "nutrition",
    params(("search" = Option<String>, Query), ("category" = Option<String>, Query),
        ("mine" = Option<bool>, Query), ("page" = Option<u64>, Query), ("page_size" = Option<u64>, Query)),
    responses((status = 200, body = Page<FoodResponse>), (status = 400, body = ErrorBody)))]
pub async fn list_foods(
    State(state): State<AppState>,
    MaybeAuthUser(user): MaybeAuthUser,
    Query(q): Query,
    RequestUrl(url): RequestUrl,
) -> AppResult<AppJson<Page<FoodResponse>>> {
    let p = PageParams::from_query(&q)?;
    let (rows, count) = foods::list(&state, user.as_ref(), &q, p).await?;
    Ok(AppJson(Page::new(rows, count, p, &url, &q)))
}

/// Creates a custom food, private to the caller (staff may set
/// `is_public`). Nutrients are per serving; negative or impossible values
/// are 400.
#[utoipa::path(post, path = "/nutrition/foods/", tag = "nutrition", request_body = FoodCreate,
    responses((status = 201, body = FoodResponse), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn create_food(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    AppJson(req): AppJson<FoodCreate>,
) -> AppResult<(StatusCode, AppJson<FoodResponse>)> {
    Ok((
        StatusCode::CREATED,
        AppJson(foods::create(&state, &user, req).await?),
    ))
}

/// A public food or one of the caller's own (another user's is 404).
#[utoipa::path(get, path = "/nutrition/foods/{id}/", tag = "nutrition", params(("id" = i64, Path)),
    responses((status = 200, body = FoodResponse), (status = 404, body = ErrorBody)))]
pub async fn get_food(
    State(state): State<AppState>,
    MaybeAuthUser(user): MaybeAuthUser,
    Path(id): Path<i64>,
) -> AppResult<AppJson<FoodResponse>> {
    Ok(AppJson(foods::get(&state, user.as_ref(), id).await?))
}

/// Changes the caller's own food; public foods are staff-only (403).
#[utoipa::path(patch, path = "/nutrition/foods/{id}/", tag = "nutrition", request_body = FoodUpdate,
    params(("id" = i64, Path)),
    responses((status = 200, body = FoodResponse), (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn update_food(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(id): Path<i64>,
    AppJson(req): AppJson<FoodUpdate>,
) -> AppResult<AppJson<FoodResponse>> {
    Ok(AppJson(foods::update(&state, &user, id, req).await?))
}

/// Deletes the caller's own food (public: staff); 409 while a meal uses it.
#[utoipa::path(delete, path = "/nutrition/foods/{id}/", tag = "nutrition", params(("id" = i64, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn delete_food(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(id): Path<i64>,
) -> AppResult<StatusCode> {
    foods::delete(&state, &user, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
