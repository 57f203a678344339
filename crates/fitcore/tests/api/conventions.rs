//! API.md section 1: the conventions every endpoint shares, and Operations.

use crate::helpers::*;
use reqwest::{Method, header};
use serde_json::json;

// -- bad JSON -----------------------------------------------------------------

#[tokio::test]
async fn malformed_json_is_400_malformed_json() {
    let app = TestApp::spawn().await;
    let resp = app
        .post_raw(
            "auth/login/",
            "application/json",
            "{\"email\": \"a@example.com\",",
            None,
        )
        .await;
    problem(resp, 400, "malformed_json").await;
}

#[tokio::test]
async fn wrong_field_type_is_400_naming_the_field() {
    let app = TestApp::spawn().await;
    let resp = app
        .post(
            "auth/login/",
            json!({"email": 12345, "password": PASSWORD}),
            None,
        )
        .await;
    validation_error(resp, "email").await;
}

#[tokio::test]
async fn missing_field_is_400_naming_the_field() {
    let app = TestApp::spawn().await;
    let resp = app
        .post("auth/login/", json!({"email": "ana@example.com"}), None)
        .await;
    validation_error(resp, "password").await;
}

#[tokio::test]
async fn unknown_field_is_400_naming_the_field() {
    let app = TestApp::spawn().await;
    let body = json!({"email": "ana@example.com", "password": PASSWORD, "remember_me": true});
    let resp = app.post("auth/login/", body, None).await;
    validation_error(resp, "remember_me").await;
}

#[tokio::test]
async fn duplicated_field_is_400_naming_the_field() {
    let app = TestApp::spawn().await;
    let raw = format!(
        r#"{{"email": "ana@example.com", "email": "eve@example.com", "password": "{PASSWORD}"}}"#
    );
    let resp = app
        .post_raw("auth/login/", "application/json", raw, None)
        .await;
    validation_error(resp, "email").await;
}

#[tokio::test]
async fn empty_body_is_400_problem() {
    let app = TestApp::spawn().await;
    let resp = app
        .post_raw("auth/login/", "application/json", "", None)
        .await;
    problem_one_of(resp, 400, &["malformed_json", "validation_error"]).await;
}

#[tokio::test]
async fn json_array_instead_of_object_is_400_problem() {
    let app = TestApp::spawn().await;
    let resp = app
        .post("auth/login/", json!(["ana@example.com", PASSWORD]), None)
        .await;
    problem_one_of(resp, 400, &["malformed_json", "validation_error"]).await;
}

#[tokio::test]
async fn body_over_one_mebibyte_is_413_payload_too_large() {
    let app = TestApp::spawn().await;
    let big = "a".repeat(2 * 1024 * 1024);
    let raw = serde_json::to_string(
        &json!({"email": format!("{big}@example.com"), "password": PASSWORD}),
    )
    .expect("JSON");
    let resp = app
        .post_raw("auth/login/", "application/json", raw, None)
        .await;
    problem(resp, 413, "payload_too_large").await;
}

#[tokio::test]
async fn non_json_content_type_is_415_unsupported_media_type() {
    let app = TestApp::spawn().await;
    let raw = format!(r#"{{"email": "ana@example.com", "password": "{PASSWORD}"}}"#);
    let resp = app.post_raw("auth/login/", "text/plain", raw, None).await;
    problem(resp, 415, "unsupported_media_type").await;
}

// -- routing ----------------------------------------------------------------------

#[tokio::test]
async fn unknown_route_is_404_not_found_problem() {
    let app = TestApp::spawn().await;
    problem(app.get("no-such-thing/", None).await, 404, "not_found").await;
    problem(
        app.get("/definitely/not/here", None).await,
        404,
        "not_found",
    )
    .await;
}

#[tokio::test]
async fn wrong_method_is_405_problem() {
    let app = TestApp::spawn().await;
    let resp = app.delete("auth/login/", None, None).await;
    any_problem(resp, 405).await;
}

#[tokio::test]
async fn path_without_trailing_slash_is_served_for_post_too() {
    let app = TestApp::spawn().await;
    app.user("ana@example.com").await;
    let resp = app
        .post(
            "auth/login",
            json!({"email": "ana@example.com", "password": PASSWORD}),
            None,
        )
        .await;
    let body = json_body(resp, 200).await;
    assert!(body["access"].is_string(), "{body}");
}

#[tokio::test]
async fn path_without_trailing_slash_is_served_for_get() {
    let app = TestApp::spawn().await;
    let ana = app.user("ana@example.com").await;
    let body = json_body(app.get("users/me", Some(&ana.access)).await, 200).await;
    assert_eq!(body["email"], "ana@example.com");
}

// -- headers ----------------------------------------------------------------------

#[tokio::test]
async fn request_id_is_generated_when_the_client_sends_none() {
    let app = TestApp::spawn().await;
    let resp = app.get("/healthz", None).await;
    let id = header_str(&resp, "x-request-id").expect("X-Request-Id on /healthz");
    assert!(!id.trim().is_empty());
    let resp = app.get("no-such-thing/", None).await;
    assert!(
        header_str(&resp, "x-request-id").is_some_and(|v| !v.is_empty()),
        "X-Request-Id on a 404"
    );
}

#[tokio::test]
async fn request_id_sent_by_the_client_is_echoed() {
    let app = TestApp::spawn().await;
    let resp = app
        .send(
            app.req(Method::GET, "/healthz", None)
                .header("x-request-id", "client-req-4711"),
        )
        .await;
    assert_eq!(
        header_str(&resp, "x-request-id").as_deref(),
        Some("client-req-4711")
    );
    let resp = app
        .send(
            app.req(Method::POST, "auth/login/", None)
                .header("x-request-id", "client-req-4712")
                .json(&json!({})),
        )
        .await;
    assert_eq!(
        header_str(&resp, "x-request-id").as_deref(),
        Some("client-req-4712")
    );
}

#[tokio::test]
async fn security_headers_are_set() {
    let app = TestApp::spawn().await;
    for path in ["/healthz", "users/me/"] {
        let resp = app.get(path, None).await;
        assert_eq!(
            header_str(&resp, "x-content-type-options").as_deref(),
            Some("nosniff"),
            "{path}"
        );
        assert_eq!(
            header_str(&resp, "x-frame-options")
                .map(|v| v.to_ascii_uppercase())
                .as_deref(),
            Some("DENY"),
            "{path}"
        );
    }
}

#[tokio::test]
async fn unauthenticated_request_is_401_not_authenticated_with_www_authenticate() {
    let app = TestApp::spawn().await;
    let resp = app.get("users/me/", None).await;
    let www = header_str(&resp, "www-authenticate").unwrap_or_default();
    assert!(www.starts_with("Bearer"), "WWW-Authenticate is {www:?}");
    problem(resp, 401, "not_authenticated").await;
}

// -- CORS ---------------------------------------------------------------------------

fn preflight(app: &TestApp, origin: &str) -> reqwest::RequestBuilder {
    app.req(Method::OPTIONS, "auth/login/", None)
        .header(header::ORIGIN, origin)
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "content-type,authorization",
        )
}

#[tokio::test]
async fn cors_preflight_from_an_allowed_origin_is_allowed() {
    let app = TestApp::spawn().await;
    let resp = app.send(preflight(&app, "http://localhost:3000")).await;
    assert!(
        resp.status().is_success(),
        "preflight status {}",
        resp.status()
    );
    assert_eq!(
        header_str(&resp, "access-control-allow-origin").as_deref(),
        Some("http://localhost:3000")
    );
    assert_eq!(
        header_str(&resp, "access-control-allow-credentials").as_deref(),
        Some("true")
    );
    let methods = header_str(&resp, "access-control-allow-methods")
        .unwrap_or_default()
        .to_ascii_uppercase();
    assert!(
        methods.contains("POST") || methods == "*",
        "allow-methods {methods:?}"
    );
}

#[tokio::test]
async fn cors_preflight_from_another_origin_is_not_allowed() {
    let app = TestApp::spawn().await;
    let resp = app.send(preflight(&app, "http://evil.example")).await;
    let allowed = header_str(&resp, "access-control-allow-origin");
    assert!(
        allowed.as_deref() != Some("http://evil.example") && allowed.as_deref() != Some("*"),
        "a foreign origin was allowed: {allowed:?}"
    );
}

#[tokio::test]
async fn cors_headers_on_a_simple_request_from_an_allowed_origin() {
    let app = TestApp::spawn().await;
    let resp = app
        .send(
            app.req(Method::GET, "users/me/", None)
                .header(header::ORIGIN, "http://localhost:3000"),
        )
        .await;
    assert_eq!(
        header_str(&resp, "access-control-allow-origin").as_deref(),
        Some("http://localhost:3000")
    );
}

// -- rate limits ----------------------------------------------------------------------

fn assert_numeric_header(resp: &reqwest::Response, name: &str) -> u64 {
    let v = header_str(resp, name).unwrap_or_else(|| panic!("{name} missing on {}", resp.url()));
    v.trim()
        .parse::<u64>()
        .unwrap_or_else(|_| panic!("{name} is not a number: {v:?}"))
}

#[tokio::test]
async fn ratelimit_headers_are_present_under_api_v1() {
    let app = TestApp::spawn_with(|c| c.rate_limit_disabled = false).await;
    let ana = app.user("ana@example.com").await;

    let anon = app.get("users/me/", None).await;
    let limit = assert_numeric_header(&anon, "ratelimit-limit");
    let remaining = assert_numeric_header(&anon, "ratelimit-remaining");
    assert_numeric_header(&anon, "ratelimit-reset");
    assert!(remaining <= limit);

    let authed = app.get("users/me/", Some(&ana.access)).await;
    assert_eq!(authed.status(), 200);
    let limit = assert_numeric_header(&authed, "ratelimit-limit");
    let remaining = assert_numeric_header(&authed, "ratelimit-remaining");
    assert_numeric_header(&authed, "ratelimit-reset");
    assert!(
        remaining < limit,
        "remaining {remaining} should have gone down from {limit}"
    );
}

#[tokio::test]
async fn exceeding_the_login_limit_is_429_rate_limited_with_retry_after() {
    let app = TestApp::spawn_with(|c| {
        c.rate_limit_disabled = false;
        c.rate_limit_auth_per_min = 3;
    })
    .await;
    for i in 0..3 {
        let resp = app
            .login_response(&format!("nobody{i}@example.com"), PASSWORD, None)
            .await;
        problem(resp, 401, "invalid_credentials").await;
    }
    let resp = app
        .login_response("nobody9@example.com", PASSWORD, None)
        .await;
    let retry = header_str(&resp, "retry-after").expect("Retry-After on 429");
    let secs: u64 = retry
        .trim()
        .parse()
        .unwrap_or_else(|_| panic!("Retry-After is not seconds: {retry:?}"));
    assert!((1..=60).contains(&secs), "Retry-After {secs}");
    problem(resp, 429, "rate_limited").await;
}

// -- operations ----------------------------------------------------------------------

#[tokio::test]
async fn healthz_is_200() {
    let app = TestApp::spawn().await;
    assert_eq!(app.get("/healthz", None).await.status(), 200);
}

#[tokio::test]
async fn readyz_is_200_when_database_is_migrated() {
    let app = TestApp::spawn().await;
    assert_eq!(app.get("/readyz", None).await.status(), 200);
}

#[tokio::test]
async fn metrics_expose_http_requests_total() {
    let app = TestApp::spawn().await;
    app.get("users/me/", None).await;
    app.get("/healthz", None).await;
    let resp = app.get("/metrics", None).await;
    assert_eq!(resp.status(), 200);
    let text = resp.text().await.expect("metrics body");
    assert!(text.contains("http_requests_total"), "metrics:\n{text}");
}

#[tokio::test]
async fn openapi_document_is_3_1_and_describes_auth() {
    let app = TestApp::spawn().await;
    let doc = json_body(app.get("openapi.json", None).await, 200).await;
    let version = doc["openapi"].as_str().unwrap_or_default();
    assert!(version.starts_with("3.1"), "openapi version {version:?}");
    let paths = doc["paths"].as_object().expect("paths");
    for p in [
        "/api/v1/auth/register/",
        "/api/v1/auth/login/",
        "/api/v1/auth/refresh/",
        "/api/v1/users/me/",
        "/api/v1/users/profile/",
        "/api/v1/notifications/list/",
    ] {
        assert!(
            paths.contains_key(p),
            "OpenAPI lacks {p}; has {:?}",
            paths.keys().collect::<Vec<_>>()
        );
    }
}

#[tokio::test]
async fn docs_page_is_html_served_without_a_cdn() {
    let app = TestApp::spawn().await;
    let resp = app.get("/api/docs/", None).await;
    assert_eq!(resp.status(), 200);
    let ct = header_str(&resp, "content-type").unwrap_or_default();
    assert!(ct.starts_with("text/html"), "content type {ct:?}");
    let html = resp.text().await.expect("docs body");
    assert!(
        html.to_ascii_lowercase().contains("<html"),
        "not HTML: {html:.200}"
    );
    for cdn in ["unpkg.com", "cdn.jsdelivr", "cdnjs.cloudflare"] {
        assert!(!html.contains(cdn), "docs page loads assets from {cdn}");
    }
}

#[tokio::test]
async fn garbage_refresh_token_is_401_token_invalid_with_request_id() {
    let app = TestApp::spawn().await;
    let resp = app
        .post("auth/refresh/", json!({"refresh": "garbage"}), None)
        .await;
    assert!(header_str(&resp, "x-request-id").is_some());
    problem(resp, 401, "token_invalid").await;
}
