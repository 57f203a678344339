//! `GET`/`HEAD workouts/videos/{id}/stream/`: the access rules first (for
//! header and token callers alike), then the file with Range and
//! conditional requests from local storage, or a 302 to a short-lived
//! signed URL with object storage. A locked video never yields a URL or a
//! byte.

use super::{
    access::{self, TokenError, Viewer},
    entity::{video, workout},
};
use crate::{
    accounts::entity::user,
    app::AppState,
    error::{AppError, AppResult},
    platform::http_range::{self, Decision, Representation},
};
use axum::{
    body::Body,
    http::{HeaderMap, HeaderValue, Method, StatusCode, header},
    response::{IntoResponse, Response},
};
use sea_orm::EntityTrait;
use tokio::io::{AsyncReadExt, AsyncSeekExt};

/// The viewer a `?token=` names, checked against the token's video.
async fn viewer_from_token(state: &AppState, video_id: i64, token: &str) -> AppResult<Viewer> {
    let user_id = access::verify_stream_token(&state.secret, video_id, token, state.now())
        .map_err(|e| match e {
            TokenError::Expired => {
                AppError::unauthorized("token_expired", "The stream link has expired.")
            }
            TokenError::Invalid => {
                AppError::unauthorized("token_invalid", "The stream link is not valid.")
            }
        })?;
    if user_id == 0 {
        return Ok(Viewer::Anonymous);
    }
    let u = user::Entity::find_by_id(user_id)
        .one(&state.db)
        .await?
        .filter(|u| u.is_active)
        .ok_or_else(|| AppError::unauthorized("token_invalid", "The stream link is not valid."))?;
    super::viewer_of(state, Some(&u)).await
}

pub async fn stream_video(
    state: &AppState,
    id: i64,
    method: &Method,
    headers: &HeaderMap,
    token: Option<&str>,
    header_user: Option<user::Model>,
) -> AppResult<Response> {
    let v = video::Entity::find_by_id(id)
        .one(&state.db)
        .await?
        .ok_or_else(AppError::not_found)?;
    let w = workout::Entity::find_by_id(v.workout_id)
        .one(&state.db)
        .await?
        .ok_or_else(AppError::not_found)?;
    // The rules are read only when the video is not free, so free videos
    // cost no user or subscription lookups.
    if !v.is_free {
        let viewer = match token {
            Some(t) => viewer_from_token(state, v.id, t).await?,
            None => super::viewer_of(state, header_user.as_ref()).await?,
        };
        if !access::can_watch(v.is_free, w.is_premium, viewer) {
            return Err(match viewer {
                Viewer::Anonymous => AppError::not_authenticated(),
                Viewer::User { .. } => AppError::forbidden(
                    "subscription_required",
                    "This video needs an active subscription.",
                ),
            });
        }
    } else if let Some(t) = token {
        // A bad token is refused even on a free video: it says the link
        // was tampered with.
        viewer_from_token(state, v.id, t).await?;
    }
    let ttl = access::STREAM_TOKEN_TTL
        .to_std()
        .unwrap_or(std::time::Duration::from_secs(600));
    if let Some(url) = state
        .storage
        .signed_url(&v.storage_key, ttl)
        .await
        .map_err(AppError::internal)?
    {
        let mut res = StatusCode::FOUND.into_response();
        if let Ok(loc) = HeaderValue::from_str(&url) {
            res.headers_mut().insert(header::LOCATION, loc);
        }
        res.headers_mut().insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("private, no-store"),
        );
        return Ok(res);
    }
    let path = state
        .storage
        .local_path(&v.storage_key)
        .ok_or_else(AppError::not_found)?;
    serve_file(&v, &path, method, headers).await
}

async fn serve_file(
    v: &video::Model,
    path: &std::path::Path,
    method: &Method,
    headers: &HeaderMap,
) -> AppResult<Response> {
    let mut file = tokio::fs::File::open(path).await.map_err(|e| {
        tracing::error!(error = %e, key = %v.storage_key, "video file missing");
        AppError::not_found()
    })?;
    let len = file.metadata().await.map_err(AppError::internal)?.len();
    let rep = Representation {
        len,
        etag: format!("\"v{}-{}-{}\"", v.id, len, v.created_at.timestamp()),
        last_modified: v.created_at,
    };
    let decision = http_range::decide(method, headers, &rep);
    let (status, range) = match decision {
        Decision::Full => (StatusCode::OK, Some((0, len.saturating_sub(1)))),
        Decision::Partial { start, end } => (StatusCode::PARTIAL_CONTENT, Some((start, end))),
        Decision::NotModified => (StatusCode::NOT_MODIFIED, None),
        Decision::PreconditionFailed => (StatusCode::PRECONDITION_FAILED, None),
        Decision::Unsatisfiable => (StatusCode::RANGE_NOT_SATISFIABLE, None),
    };
    let body_len = match (range, len) {
        (_, 0) => 0,
        (Some((start, end)), _) => end - start + 1,
        (None, _) => 0,
    };
    let body = match range {
        Some((start, _)) if *method != Method::HEAD && body_len > 0 => {
            file.seek(std::io::SeekFrom::Start(start))
                .await
                .map_err(AppError::internal)?;
            Body::from_stream(tokio_util::io::ReaderStream::with_capacity(
                file.take(body_len),
                64 * 1024,
            ))
        }
        _ => Body::empty(),
    };
    let mut res = Response::new(body);
    *res.status_mut() = status;
    let h = res.headers_mut();
    for (name, value) in http_range::validator_headers(&rep) {
        h.insert(name, value);
    }
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=600"),
    );
    if let Some(cr) = http_range::content_range(&decision, len)
        && let Ok(value) = HeaderValue::from_str(&cr)
    {
        h.insert(header::CONTENT_RANGE, value);
    }
    if range.is_some() {
        if let Ok(ct) = HeaderValue::from_str(&v.content_type) {
            h.insert(header::CONTENT_TYPE, ct);
        }
        h.insert(header::CONTENT_LENGTH, HeaderValue::from(body_len));
    }
    Ok(res)
}
