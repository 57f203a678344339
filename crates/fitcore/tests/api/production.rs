//! Behaviour that changes with `FITCORE_ENV=production`, and the request
//! timeout.

use crate::{
    fakes::oauth::IdToken,
    helpers::{PASSWORD, TestApp},
};
use fitcore::config::Environment;
use serde_json::json;

#[tokio::test]
async fn production_sends_hsts_and_secure_cookies() {
    let app = TestApp::spawn_with(|c| c.env = Environment::Production).await;
    let res = app
        .post(
            "auth/register/",
            json!({"email": "prod@example.com", "password": PASSWORD}),
            None,
        )
        .await;
    assert_eq!(res.status(), 201);
    let hsts = res
        .headers()
        .get("strict-transport-security")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    assert!(hsts.contains("max-age="), "HSTS: {hsts:?}");
    let cookies: Vec<&str> = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    assert_eq!(cookies.len(), 3, "{cookies:?}");
    assert!(
        cookies.iter().all(|c| c.contains("; Secure")),
        "{cookies:?}"
    );
}

#[tokio::test]
async fn development_sends_neither_hsts_nor_secure_cookies() {
    let app = TestApp::spawn().await;
    let res = app
        .post(
            "auth/register/",
            json!({"email": "dev@example.com", "password": PASSWORD}),
            None,
        )
        .await;
    assert_eq!(res.status(), 201);
    assert!(res.headers().get("strict-transport-security").is_none());
    assert!(
        res.headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .all(|c| !c.contains("Secure"))
    );
}

#[tokio::test]
async fn a_request_that_runs_too_long_is_stopped_with_a_503_problem() {
    // A JWKS endpoint that accepts connections and never answers.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let silent_url = format!("http://{}/certs", silent.local_addr().expect("addr"));
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((sock, _)) = silent.accept().await {
            held.push(sock);
        }
    });
    let app = TestApp::spawn_with(move |c| {
        c.request_timeout_secs = 1;
        c.google_jwks_url = silent_url;
    })
    .await;
    let token = IdToken::google(app.now(), "slow-sub", "slow@example.com").sign();
    let started = std::time::Instant::now();
    let res = app
        .post("auth/oauth/google/", json!({"id_token": token}), None)
        .await;
    assert_eq!(res.status(), 503);
    assert!(
        started.elapsed() < std::time::Duration::from_secs(5),
        "stopped at the timeout, not the client's"
    );
    assert_eq!(
        res.headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("application/problem+json")
    );
    let body: serde_json::Value = res.json().await.expect("json");
    assert_eq!(body["code"], "unavailable");
}
