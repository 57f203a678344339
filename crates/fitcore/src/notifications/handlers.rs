use super::{dto::*, service};
use crate::{
    app::AppState,
    error::AppResult,
    extract::{AppJson, AuthUser, Query, RequestUrl},
    platform::pagination::{CursorKey, CursorPage, CursorParams},
};
use axum::{
    extract::{Path, State},
    http::StatusCode,
};

/// The caller's notifications, newest first (cursor-paginated).
#[utoipa::path(get, path = "/notifications/list/", tag = "notifications",
    params(
        ("is_read" = Option<bool>, Query, description = "Only read or unread ones"),
        ("type" = Option<String>, Query, description = "One notification type"),
        ("cursor" = Option<String>, Query, description = "Opaque cursor from `next`/`previous`"),
        ("page_size" = Option<u64>, Query, description = "1-100, default 50"),
    ),
    responses((status = 200, body = NotificationPage), (status = 400, description = "Bad filter or cursor")),
    security(("bearer" = [])))]
pub async fn list_notifications(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Query(q): Query,
    RequestUrl(url): RequestUrl,
) -> AppResult<AppJson<CursorPage<NotificationResponse>>> {
    let p = CursorParams::from_query(&q, 50)?;
    let (rows, more) = service::list(&state.db, user.id, &q, p).await?;
    let rows: Vec<NotificationResponse> = rows.into_iter().map(Into::into).collect();
    Ok(AppJson(CursorPage::newest_first(
        rows,
        more,
        |n| CursorKey::new(n.created_at, n.id),
        p,
        &url,
        &q,
    )))
}

#[utoipa::path(get, path = "/notifications/list/unread-count/", tag = "notifications",
    responses((status = 200, body = UnreadCount)), security(("bearer" = [])))]
pub async fn unread_notification_count(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
) -> AppResult<AppJson<UnreadCount>> {
    Ok(AppJson(UnreadCount {
        unread: service::unread_count(&state.db, user.id).await?,
    }))
}

#[utoipa::path(post, path = "/notifications/list/{id}/read/", tag = "notifications",
    params(("id" = i64, Path)),
    responses((status = 200, body = NotificationResponse), (status = 404, description = "Not yours or absent")),
    security(("bearer" = [])))]
pub async fn mark_notification_read(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(id): Path<i64>,
) -> AppResult<AppJson<NotificationResponse>> {
    Ok(AppJson(
        service::mark_read(&state.db, user.id, id, state.now())
            .await?
            .into(),
    ))
}

#[utoipa::path(post, path = "/notifications/list/read-all/", tag = "notifications",
    responses((status = 200, body = MarkedRead)), security(("bearer" = [])))]
pub async fn mark_all_notifications_read(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
) -> AppResult<AppJson<MarkedRead>> {
    Ok(AppJson(MarkedRead {
        marked: service::mark_all_read(&state.db, user.id, state.now()).await?,
    }))
}

#[utoipa::path(delete, path = "/notifications/list/{id}/", tag = "notifications",
    params(("id" = i64, Path)),
    responses((status = 204), (status = 404, description = "Not yours or absent")),
    security(("bearer" = [])))]
pub async fn delete_notification(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(id): Path<i64>,
) -> AppResult<StatusCode> {
    service::delete(&state.db, user.id, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
