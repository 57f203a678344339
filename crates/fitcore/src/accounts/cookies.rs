//! The web client's cookies: HTTP-only access and refresh tokens and a
//! script-readable CSRF token for the double-submit check.

use axum::http::{HeaderMap, HeaderValue, header};

pub const ACCESS_COOKIE: &str = "fitcore-access-token";
pub const REFRESH_COOKIE: &str = "fitcore-refresh-token";
pub const CSRF_COOKIE: &str = "fitcore-csrf";

fn cookie(
    name: &str,
    value: &str,
    max_age: i64,
    http_only: bool,
    secure: bool,
) -> Option<HeaderValue> {
    let mut c = format!("{name}={value}; Path=/; Max-Age={max_age}; SameSite=Lax");
    if http_only {
        c.push_str("; HttpOnly");
    }
    if secure {
        c.push_str("; Secure");
    }
    HeaderValue::from_str(&c).ok()
}

pub fn set_auth(
    headers: &mut HeaderMap,
    access: &str,
    refresh: &str,
    access_secs: i64,
    refresh_secs: i64,
    secure: bool,
) {
    let csrf = crate::platform::crypto::random_token(24);
    for c in [
        cookie(ACCESS_COOKIE, access, access_secs, true, secure),
        cookie(REFRESH_COOKIE, refresh, refresh_secs, true, secure),
        cookie(CSRF_COOKIE, &csrf, refresh_secs, false, secure),
    ]
    .into_iter()
    .flatten()
    {
        headers.append(header::SET_COOKIE, c);
    }
}

pub fn clear_auth(headers: &mut HeaderMap, secure: bool) {
    for (name, http_only) in [
        (ACCESS_COOKIE, true),
        (REFRESH_COOKIE, true),
        (CSRF_COOKIE, false),
    ] {
        if let Some(c) = cookie(name, "", 0, http_only, secure) {
            headers.append(header::SET_COOKIE, c);
        }
    }
}

pub fn read(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}
