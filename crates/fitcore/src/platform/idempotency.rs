//! `Idempotency-Key` for creating POSTs: the same key from the same caller
//! within 24 hours returns the first response and does nothing again.
//!
//! Only JSON requests take part (bodies are hashed and responses kept);
//! uploads are streamed and cannot be replayed this way.

use super::entity::idempotency_key as key_row;
use crate::error::AppError;
use axum::{
    body::{Body, to_bytes},
    extract::Request,
    http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};
use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter,
};

pub const HEADER: HeaderName = HeaderName::from_static("idempotency-key");
const TTL: Duration = Duration::hours(24);
const MAX_BODY: usize = 1024 * 1024;
const MAX_STORED_RESPONSE: usize = 4 * 1024 * 1024;

pub async fn apply(
    db: &DatabaseConnection,
    now: DateTime<Utc>,
    scope: String,
    key: &HeaderValue,
    req: Request,
    next: Next,
) -> Response {
    match apply_inner(db, now, scope, key, req, next).await {
        Ok(r) => r,
        Err(e) => e.into_response(),
    }
}

async fn apply_inner(
    db: &DatabaseConnection,
    now: DateTime<Utc>,
    scope: String,
    key: &HeaderValue,
    req: Request,
    next: Next,
) -> Result<Response, AppError> {
    let key = key
        .to_str()
        .ok()
        .filter(|k| !k.is_empty() && k.len() <= 255)
        .ok_or_else(|| {
            AppError::bad_request(
                "validation_error",
                "Idempotency-Key must be 1 to 255 visible characters.",
            )
        })?
        .to_string();
    let (parts, body) = req.into_parts();
    let bytes = to_bytes(body, MAX_BODY + 1).await.map_err(|_| {
        AppError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            "Request body is too large.",
        )
    })?;
    if bytes.len() > MAX_BODY {
        return Err(AppError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            "Request body is too large.",
        ));
    }
    let method = parts.method.to_string();
    let path = parts.uri.path().to_string();
    let hash = super::crypto::sha256_hex(
        [method.as_bytes(), b"\n", path.as_bytes(), b"\n", &bytes].concat(),
    );

    let existing = key_row::Entity::find()
        .filter(key_row::Column::Scope.eq(&scope))
        .filter(key_row::Column::Key.eq(&key))
        .one(db)
        .await?;
    if let Some(row) = existing {
        if row.created_at + TTL > now {
            return replay(row, &hash);
        }
        key_row::Entity::delete_by_id(row.id).exec(db).await?;
    }
    let inserted = key_row::ActiveModel {
        scope: Set(scope.clone()),
        key: Set(key.clone()),
        method: Set(method),
        path: Set(path),
        request_hash: Set(hash.clone()),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await;
    let row = match inserted {
        Ok(r) => r,
        Err(e) if super::db::is_unique_violation(&e) => {
            return Err(AppError::conflict(
                "conflict",
                "A request with this Idempotency-Key is still in progress.",
            ));
        }
        Err(e) => return Err(e.into()),
    };

    let res = next
        .run(Request::from_parts(parts, Body::from(bytes)))
        .await;
    let status = res.status();
    if status.is_server_error() {
        key_row::Entity::delete_by_id(row.id).exec(db).await?;
        return Ok(res);
    }
    let (res_parts, res_body) = res.into_parts();
    let body = match to_bytes(res_body, MAX_STORED_RESPONSE).await {
        Ok(b) => b,
        Err(_) => {
            key_row::Entity::delete_by_id(row.id).exec(db).await?;
            return Err(AppError::internal(anyhow::anyhow!(
                "response too large to keep for idempotency"
            )));
        }
    };
    let headers = keep_headers(&res_parts.headers);
    let mut am: key_row::ActiveModel = row.into();
    am.status_code = Set(Some(i32::from(status.as_u16())));
    am.response_headers = Set(Some(headers));
    am.response_body = Set(Some(body.to_vec()));
    am.update(db).await?;
    Ok(Response::from_parts(res_parts, Body::from(body)))
}

fn keep_headers(h: &HeaderMap) -> serde_json::Value {
    let mut out = serde_json::Map::new();
    for name in [header::CONTENT_TYPE, header::LOCATION] {
        if let Some(v) = h.get(&name).and_then(|v| v.to_str().ok()) {
            out.insert(name.to_string(), v.into());
        }
    }
    out.into()
}

fn replay(row: key_row::Model, hash: &str) -> Result<Response, AppError> {
    if row.request_hash != hash {
        return Err(AppError::conflict(
            "conflict",
            "This Idempotency-Key was used with a different request.",
        ));
    }
    let (Some(status), Some(body)) = (row.status_code, row.response_body) else {
        return Err(AppError::conflict(
            "conflict",
            "A request with this Idempotency-Key is still in progress.",
        ));
    };
    let status = u16::try_from(status)
        .ok()
        .and_then(|s| StatusCode::from_u16(s).ok())
        .unwrap_or(StatusCode::OK);
    let mut res = (status, body).into_response();
    if let Some(serde_json::Value::Object(h)) = row.response_headers {
        for (k, v) in h {
            if let (Ok(name), Some(Ok(value))) = (
                HeaderName::try_from(k),
                v.as_str().map(HeaderValue::from_str),
            ) {
                res.headers_mut().insert(name, value);
            }
        }
    }
    res.headers_mut().insert(
        HeaderName::from_static("idempotent-replayed"),
        HeaderValue::from_static("true"),
    );
    Ok(res)
}
