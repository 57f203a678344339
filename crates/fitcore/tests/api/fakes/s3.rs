//! A small S3-compatible server: path-style PUT, GET, HEAD and DELETE of
//! objects, with the headers and XML errors S3 sends. It checks that
//! requests carry a SigV4 `Authorization` header (or a presigned query), as
//! a real bucket would, without verifying the signature itself.

use axum::{
    Router,
    body::Bytes,
    extract::{Path, RawQuery, State},
    http::{HeaderMap, HeaderValue, Method, StatusCode, header},
    response::{IntoResponse, Response},
    routing::any,
};
use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

#[derive(Clone, Default)]
pub struct FakeS3 {
    pub objects: Arc<Mutex<HashMap<String, Bytes>>>,
    pub url: String,
}

fn error(status: StatusCode, code: &str) -> Response {
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>{code}</Code><Message>{code}</Message></Error>"
    );
    (status, [(header::CONTENT_TYPE, "application/xml")], body).into_response()
}

fn etag(data: &[u8]) -> String {
    format!(
        "\"{}\"",
        fitcore::platform::crypto::sha256_hex(data)
            .get(..32)
            .unwrap_or_default()
    )
}

async fn object(
    State(s3): State<FakeS3>,
    method: Method,
    Path((bucket, key)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let signed = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("AWS4-HMAC-SHA256"))
        || query
            .as_deref()
            .is_some_and(|q| q.contains("X-Amz-Signature="));
    if !signed {
        return error(StatusCode::FORBIDDEN, "AccessDenied");
    }
    let id = format!("{bucket}/{key}");
    let mut objects = s3.objects.lock().unwrap_or_else(|p| p.into_inner());
    match method {
        Method::PUT => {
            let tag = etag(&body);
            objects.insert(id, body);
            let mut res = StatusCode::OK.into_response();
            res.headers_mut().insert(
                header::ETAG,
                HeaderValue::from_str(&tag).unwrap_or(HeaderValue::from_static("\"x\"")),
            );
            res
        }
        Method::GET | Method::HEAD => match objects.get(&id) {
            Some(data) => {
                let mut res = if method == Method::GET {
                    data.clone().into_response()
                } else {
                    StatusCode::OK.into_response()
                };
                let h = res.headers_mut();
                h.insert(
                    header::ETAG,
                    HeaderValue::from_str(&etag(data)).unwrap_or(HeaderValue::from_static("\"x\"")),
                );
                h.insert(
                    header::LAST_MODIFIED,
                    HeaderValue::from_static("Wed, 25 Nov 2026 10:00:00 GMT"),
                );
                h.insert(header::CONTENT_LENGTH, HeaderValue::from(data.len()));
                h.insert(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/octet-stream"),
                );
                res
            }
            None => error(StatusCode::NOT_FOUND, "NoSuchKey"),
        },
        Method::DELETE => {
            objects.remove(&id);
            StatusCode::NO_CONTENT.into_response()
        }
        _ => error(StatusCode::METHOD_NOT_ALLOWED, "MethodNotAllowed"),
    }
}

impl FakeS3 {
    pub async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind fake S3");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let s3 = FakeS3 {
            objects: Arc::default(),
            url,
        };
        let app = Router::new()
            .route("/{bucket}/{*key}", any(object))
            .with_state(s3.clone());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        s3
    }

    pub fn keys(&self) -> Vec<String> {
        let mut k: Vec<String> = self
            .objects
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .keys()
            .cloned()
            .collect();
        k.sort();
        k
    }
}
