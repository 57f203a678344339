//! `AppJson<T>`: axum's JSON extractor with every rejection turned into the
//! problem the contract names (415, 413, 400 malformed_json, 400
//! validation_error with the offending field).

use crate::error::{AppError, FieldErrors};
use axum::{
    body::Bytes,
    extract::{FromRequest, Request},
    http::{StatusCode, header},
    response::{IntoResponse, Response},
};
use serde::{Serialize, de::DeserializeOwned};

pub struct AppJson<T>(pub T);

impl<T: Serialize> IntoResponse for AppJson<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

fn is_json(req: &Request) -> bool {
    let Some(ct) = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let Ok(mime) = ct.parse::<mime::Mime>() else {
        return false;
    };
    mime.type_() == "application"
        && (mime.subtype() == "json" || mime.suffix().is_some_and(|s| s == "json"))
}

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for AppJson<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, AppError> {
        if !is_json(&req) {
            return Err(AppError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "Send the body as application/json.",
            ));
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|e| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                AppError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "payload_too_large",
                    "JSON bodies are limited to 1 MiB.",
                )
            } else {
                AppError::bad_request("malformed_json", "The request body could not be read.")
            }
        })?;
        parse(&bytes).map(AppJson)
    }
}

pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, AppError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(AppError::bad_request(
            "malformed_json",
            "The request body is empty; send a JSON object.",
        ));
    }
    // Serde would read an array as a struct's fields in order; the
    // contract's bodies are objects.
    if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        if serde_json::from_slice::<serde_json::Value>(bytes).is_err() {
            return Err(AppError::bad_request(
                "malformed_json",
                "The request body is not valid JSON.",
            ));
        }
        return Err(FieldErrors::single(
            "non_field_errors",
            "Invalid data: expected a JSON object.",
        ));
    }
    // PostgreSQL cannot store NUL in text, and no field has a use for it.
    if bytes.windows(6).any(|w| w.eq_ignore_ascii_case(b"\\u0000")) {
        return Err(nul_error(bytes));
    }
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    let value: T = serde_path_to_error::deserialize(&mut *de).map_err(from_serde)?;
    de.end().map_err(|_| {
        AppError::bad_request("malformed_json", "Unexpected data after the JSON value.")
    })?;
    Ok(value)
}

fn nul_error(bytes: &[u8]) -> AppError {
    let field = serde_json::from_slice::<serde_json::Value>(bytes)
        .ok()
        .and_then(|v| find_nul(&v, String::new()))
        .unwrap_or_else(|| "non_field_errors".into());
    FieldErrors::single(field, "Null characters are not allowed.")
}

fn find_nul(v: &serde_json::Value, path: String) -> Option<String> {
    let join = |k: &str| {
        if path.is_empty() {
            k.to_string()
        } else {
            format!("{path}.{k}")
        }
    };
    match v {
        serde_json::Value::String(s) if s.contains('\0') => Some(if path.is_empty() {
            "non_field_errors".into()
        } else {
            path
        }),
        serde_json::Value::Object(m) => m.iter().find_map(|(k, v)| {
            if k.contains('\0') {
                Some("non_field_errors".into())
            } else {
                find_nul(v, join(k))
            }
        }),
        serde_json::Value::Array(a) => a
            .iter()
            .enumerate()
            .find_map(|(i, v)| find_nul(v, join(&i.to_string()))),
        _ => None,
    }
}

fn between_backticks(msg: &str) -> Option<&str> {
    let start = msg.find('`')? + 1;
    let len = msg[start..].find('`')?;
    Some(&msg[start..start + len])
}

fn from_serde(err: serde_path_to_error::Error<serde_json::Error>) -> AppError {
    use serde_json::error::Category;
    let path = err.path().to_string();
    let inner = err.into_inner();
    match inner.classify() {
        Category::Syntax | Category::Eof | Category::Io => {
            AppError::bad_request("malformed_json", format!("JSON parse error: {inner}."))
        }
        Category::Data => {
            let msg = inner.to_string();
            let msg = msg.split(" at line ").next().unwrap_or(&msg).to_string();
            let parent = if path == "." { String::new() } else { path };
            // serde_path_to_error stops at the struct for a missing field
            // but at the field itself for unknown and duplicate ones.
            let join = |k: &str| {
                if parent.is_empty() {
                    k.to_string()
                } else if parent == k || parent.ends_with(&format!(".{k}")) {
                    parent.clone()
                } else {
                    format!("{parent}.{k}")
                }
            };
            if msg.starts_with("missing field") {
                let f = between_backticks(&msg).unwrap_or("non_field_errors");
                FieldErrors::single(join(f), "This field is required.")
            } else if msg.starts_with("unknown field") {
                let f = between_backticks(&msg).unwrap_or("non_field_errors");
                FieldErrors::single(join(f), "Unknown field.")
            } else if msg.starts_with("duplicate field") {
                let f = between_backticks(&msg).unwrap_or("non_field_errors");
                FieldErrors::single(join(f), "This field appears more than once.")
            } else if msg.starts_with("unknown variant") {
                let got = between_backticks(&msg).unwrap_or("");
                let choices = msg
                    .split("expected ")
                    .nth(1)
                    .unwrap_or("")
                    .replace('`', "\"");
                let field = if parent.is_empty() {
                    "non_field_errors".into()
                } else {
                    parent
                };
                FieldErrors::single(
                    field,
                    format!("\"{got}\" is not a valid choice; expected {choices}."),
                )
            } else {
                let field = if parent.is_empty() {
                    "non_field_errors".into()
                } else {
                    parent
                };
                let msg = if msg.starts_with("invalid type") {
                    let expected = msg.split("expected ").nth(1).unwrap_or("another type");
                    format!("Invalid type: expected {expected}.")
                } else {
                    let mut m = msg;
                    if let Some(first) = m.get_mut(0..1) {
                        first.make_ascii_uppercase();
                    }
                    format!("{m}.")
                };
                FieldErrors::single(field, msg)
            }
        }
    }
}

/// An optional JSON body: empty means `None`; anything else must be JSON.
pub fn optional<T: DeserializeOwned>(
    headers: &axum::http::HeaderMap,
    body: &[u8],
) -> Result<Option<T>, AppError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|ct| ct.parse::<mime::Mime>().ok())
        .is_some_and(|m| {
            m.type_() == "application"
                && (m.subtype() == "json" || m.suffix().is_some_and(|s| s == "json"))
        });
    if !is_json {
        return Err(AppError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "Send the body as application/json.",
        ));
    }
    parse(body).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Body {
        email: String,
        age: Option<u32>,
    }

    fn field_errors(r: Result<Body, AppError>) -> Vec<String> {
        match r {
            Err(AppError::Validation(e)) => e.0.keys().cloned().collect(),
            other => panic!("expected validation error, got {other:?}"),
        }
    }

    #[test]
    fn missing_unknown_duplicate_and_wrong_type_name_the_field() {
        assert_eq!(field_errors(parse(br#"{}"#)), ["email"]);
        assert_eq!(field_errors(parse(br#"{"email":"a","x":1}"#)), ["x"]);
        assert_eq!(
            field_errors(parse(br#"{"email":"a","email":"b"}"#)),
            ["email"]
        );
        assert_eq!(
            field_errors(parse(br#"{"email":"a","age":"old"}"#)),
            ["age"]
        );
        assert_eq!(field_errors(parse(br#"{"email":"a\u0000"}"#)), ["email"]);
    }

    #[test]
    fn syntax_errors_and_empty_bodies_are_malformed_json() {
        for body in [
            &b"{"[..],
            b"",
            b"  ",
            b"{\"email\":\"a\"} trailing",
            b"{\"email\":\"a\",\"age\":1e400}",
        ] {
            match parse::<Body>(body) {
                Err(AppError::Problem { code, .. }) => {
                    assert_eq!(code, "malformed_json", "{body:?}")
                }
                other => panic!("{body:?}: {other:?}"),
            }
        }
    }
}
