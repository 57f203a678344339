//! A small S3-compatible server: path-style PUT, GET, HEAD and DELETE of
//! objects and multipart uploads (initiate, upload part, complete, abort),
//! with the headers and XML errors S3 sends. It checks that
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

/// The object a multipart upload will become, and its parts by number.
type Upload = (String, std::collections::BTreeMap<u32, Bytes>);

#[derive(Clone, Default)]
pub struct FakeS3 {
    pub objects: Arc<Mutex<HashMap<String, Bytes>>>,
    /// Multipart uploads in progress: upload id -> (object id, parts).
    uploads: Arc<Mutex<HashMap<String, Upload>>>,
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
    if let Some(res) = multipart(&s3, &method, &bucket, &key, &id, query.as_deref(), &body) {
        return res;
    }
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

fn query_param<'a>(query: Option<&'a str>, name: &str) -> Option<&'a str> {
    query?.split('&').find_map(|kv| {
        let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
        (k == name).then_some(v)
    })
}

/// The multipart-upload calls, told apart by their query parameters.
fn multipart(
    s3: &FakeS3,
    method: &Method,
    bucket: &str,
    key: &str,
    id: &str,
    query: Option<&str>,
    body: &Bytes,
) -> Option<Response> {
    let mut uploads = s3.uploads.lock().unwrap_or_else(|p| p.into_inner());
    let upload_id = query_param(query, "uploadId");
    let xml = |body: String| {
        (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/xml")],
            body,
        )
            .into_response()
    };
    match (method, upload_id) {
        (&Method::POST, None) if query_param(query, "uploads").is_some() => {
            let upload = format!("upload-{}", uuid::Uuid::new_v4().simple());
            uploads.insert(upload.clone(), (id.to_string(), Default::default()));
            Some(xml(format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?><InitiateMultipartUploadResult><Bucket>{bucket}</Bucket><Key>{key}</Key><UploadId>{upload}</UploadId></InitiateMultipartUploadResult>"
            )))
        }
        (&Method::PUT, Some(upload)) => {
            let part: u32 = query_param(query, "partNumber")?.parse().ok()?;
            let Some((_, parts)) = uploads.get_mut(upload) else {
                return Some(error(StatusCode::NOT_FOUND, "NoSuchUpload"));
            };
            parts.insert(part, body.clone());
            let mut res = StatusCode::OK.into_response();
            res.headers_mut().insert(
                header::ETAG,
                HeaderValue::from_str(&etag(body)).unwrap_or(HeaderValue::from_static("\"x\"")),
            );
            Some(res)
        }
        (&Method::POST, Some(upload)) => {
            let Some((object, parts)) = uploads.remove(upload) else {
                return Some(error(StatusCode::NOT_FOUND, "NoSuchUpload"));
            };
            let mut data = Vec::new();
            for p in parts.values() {
                data.extend_from_slice(p);
            }
            let tag = etag(&data);
            s3.objects
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .insert(object, Bytes::from(data));
            Some(xml(format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?><CompleteMultipartUploadResult><Location>{}/{id}</Location><Bucket>{bucket}</Bucket><Key>{key}</Key><ETag>{tag}</ETag></CompleteMultipartUploadResult>",
                s3.url
            )))
        }
        (&Method::DELETE, Some(upload)) => {
            uploads.remove(upload);
            Some(StatusCode::NO_CONTENT.into_response())
        }
        _ => None,
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
            uploads: Arc::default(),
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
