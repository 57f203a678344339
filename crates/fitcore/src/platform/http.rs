//! Cross-cutting HTTP behaviour: request ids, trailing slashes, security
//! headers, metrics and problem+json for every error response.

use crate::error::{default_code, problem_response};
use axum::{
    body::Body,
    extract::{MatchedPath, Request},
    http::{HeaderName, HeaderValue, StatusCode, Uri, header},
    middleware::Next,
    response::Response,
};
use std::time::Instant;

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

tokio::task_local! {
    static CURRENT_REQUEST_ID: String;
}

/// The id of the request being served on this task ("-" outside one).
pub fn current_request_id() -> String {
    CURRENT_REQUEST_ID
        .try_with(Clone::clone)
        .unwrap_or_else(|_| "-".into())
}

fn valid_client_id(v: &HeaderValue) -> Option<String> {
    let s = v.to_str().ok()?;
    (!s.is_empty() && s.len() <= 128 && s.bytes().all(|b| b.is_ascii_graphic()))
        .then(|| s.to_string())
}

/// Outermost layer: assigns the request id, makes every error a problem
/// document, and echoes the id on the response.
pub async fn request_id_and_problems(mut req: Request, next: Next) -> Response {
    let id = req
        .headers()
        .get(&REQUEST_ID)
        .and_then(valid_client_id)
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    if let Ok(v) = HeaderValue::from_str(&id) {
        req.headers_mut().insert(REQUEST_ID, v);
    }
    let mut res = CURRENT_REQUEST_ID.scope(id.clone(), next.run(req)).await;
    let status = res.status();
    if (status.is_client_error() || status.is_server_error())
        && !is_problem(&res)
        && status != StatusCode::RANGE_NOT_SATISFIABLE
    {
        let detail = match status.as_u16() {
            404 => "Not found.".to_string(),
            405 => "Method not allowed.".to_string(),
            408 | 503 => "The request took too long and was stopped.".to_string(),
            413 => "Request body is too large.".to_string(),
            _ => status.canonical_reason().unwrap_or("Error").to_string(),
        };
        let status = if status == StatusCode::REQUEST_TIMEOUT {
            StatusCode::SERVICE_UNAVAILABLE
        } else {
            status
        };
        let mut replaced = problem_response(status, default_code(status), detail, None);
        for name in [header::ALLOW, header::RETRY_AFTER] {
            if let Some(v) = res.headers().get(&name) {
                replaced.headers_mut().insert(name, v.clone());
            }
        }
        for (name, value) in res.headers() {
            if name.as_str().starts_with("ratelimit-")
                || name.as_str().starts_with("access-control-")
            {
                replaced.headers_mut().insert(name.clone(), value.clone());
            }
        }
        res = replaced;
    }
    if let Ok(v) = HeaderValue::from_str(&id) {
        res.headers_mut().insert(REQUEST_ID, v);
    }
    res
}

fn is_problem(res: &Response) -> bool {
    res.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/problem+json"))
}

/// Serves `/api/v1/x` as `/api/v1/x/` (no redirect, any method).
pub fn add_trailing_slash(mut req: Request<Body>) -> Request<Body> {
    let uri = req.uri();
    let path = uri.path();
    let wants_slash = (path.starts_with("/api/v1/") || path.starts_with("/admin"))
        && !path.ends_with('/')
        && !path.rsplit('/').next().unwrap_or("").contains('.');
    if wants_slash {
        let new = match uri.query() {
            Some(q) => format!("{path}/?{q}"),
            None => format!("{path}/"),
        };
        if let Ok(parsed) = new.parse::<Uri>() {
            *req.uri_mut() = parsed;
        }
    }
    req
}

pub async fn security_headers(production: bool, req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    h.insert(
        HeaderName::from_static("cross-origin-opener-policy"),
        HeaderValue::from_static("same-origin"),
    );
    if production {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
    res
}

/// Counts requests and their latency by route template (never by raw path,
/// which would let clients create unbounded series).
pub async fn record_metrics(req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_string())
        .unwrap_or_else(|| "unmatched".into());
    let method = req.method().to_string();
    let start = Instant::now();
    let res = next.run(req).await;
    let status = res.status().as_u16().to_string();
    let labels = [("method", method), ("route", route), ("status", status)];
    metrics::counter!("http_requests_total", &labels).increment(1);
    metrics::histogram!("http_request_duration_seconds", &labels)
        .record(start.elapsed().as_secs_f64());
    res
}
