//! The permission extractors, on routes of their own, against the real
//! application state and database.

use crate::helpers::{PASSWORD, TestApp};
use axum::{Router, body::Body, http::Request, routing::get};
use chrono::{DateTime, Duration, Utc};
use fitcore::extract::{MaybeAuthUser, StaffUser, SubscribedUser};
use sea_orm::{ConnectionTrait, Statement};
use serde_json::Value;
use tower::ServiceExt;

fn guarded(app: &TestApp) -> Router {
    Router::new()
        .route(
            "/staff",
            get(|StaffUser(u): StaffUser| async move { u.email }),
        )
        .route(
            "/premium",
            get(|SubscribedUser(u): SubscribedUser| async move { u.email }),
        )
        .route(
            "/maybe",
            get(|MaybeAuthUser(u): MaybeAuthUser| async move {
                u.map(|u| u.email).unwrap_or_else(|| "anonymous".into())
            }),
        )
        .with_state(app.state.clone())
}

async fn call(app: &TestApp, path: &str, token: Option<&str>) -> (u16, String) {
    let mut req = Request::builder().uri(path);
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    let res = guarded(app)
        .oneshot(req.body(Body::empty()).expect("request"))
        .await
        .expect("response");
    let status = res.status().as_u16();
    let bytes = axum::body::to_bytes(res.into_body(), 1 << 20)
        .await
        .expect("body");
    (status, String::from_utf8_lossy(&bytes).into_owned())
}

fn code(body: &str) -> String {
    serde_json::from_str::<Value>(body)
        .ok()
        .and_then(|v| v["code"].as_str().map(String::from))
        .unwrap_or_default()
}

async fn give_subscription(
    app: &TestApp,
    user_id: i64,
    plan: &str,
    status: &str,
    end: Option<DateTime<Utc>>,
) {
    let ph: Vec<String> = (1..=6)
        .map(|i| {
            if app.is_postgres() {
                format!("${i}")
            } else {
                "?".into()
            }
        })
        .collect();
    let sql = format!(
        "INSERT INTO subscriptions (user_id, plan, status, end_date, cancel_at_period_end, created_at, updated_at) \
         VALUES ({}, {}, {}, {}, false, {}, {})",
        ph[0], ph[1], ph[2], ph[3], ph[4], ph[5]
    );
    let now = app.now();
    let values: Vec<sea_orm::Value> = vec![
        user_id.into(),
        plan.into(),
        status.into(),
        end.into(),
        now.into(),
        now.into(),
    ];
    app.db()
        .execute_raw(Statement::from_sql_and_values(app.backend(), sql, values))
        .await
        .expect("insert subscription");
}

#[tokio::test]
async fn staff_routes_refuse_anonymous_callers_and_ordinary_users() {
    let app = TestApp::spawn().await;
    let user = app.register("plain@example.com", PASSWORD).await;
    let (status, body) = call(&app, "/staff", None).await;
    assert_eq!((status, code(&body).as_str()), (401, "not_authenticated"));
    let (status, body) = call(&app, "/staff", Some(&user.access)).await;
    assert_eq!((status, code(&body).as_str()), (403, "permission_denied"));
}

#[tokio::test]
async fn staff_routes_admit_staff() {
    let app = TestApp::spawn().await;
    let staff = app.register("coach@example.com", PASSWORD).await;
    app.make_staff(staff.id).await;
    assert_eq!(
        call(&app, "/staff", Some(&staff.access)).await,
        (200, "coach@example.com".into())
    );
}

#[tokio::test]
async fn premium_routes_need_active_access() {
    let app = TestApp::spawn().await;
    let user = app.register("member@example.com", PASSWORD).await;
    let (status, body) = call(&app, "/premium", Some(&user.access)).await;
    assert_eq!(
        (status, code(&body).as_str()),
        (403, "subscription_required")
    );
    give_subscription(
        &app,
        user.id,
        "monthly",
        "active",
        Some(app.now() + Duration::days(20)),
    )
    .await;
    assert_eq!(call(&app, "/premium", Some(&user.access)).await.0, 200);
}

#[tokio::test]
async fn a_past_due_subscription_keeps_access_for_three_days_of_grace() {
    let app = TestApp::spawn().await;
    let user = app.register("late@example.com", PASSWORD).await;
    give_subscription(
        &app,
        user.id,
        "monthly",
        "past_due",
        Some(app.now() - Duration::days(1)),
    )
    .await;
    assert_eq!(call(&app, "/premium", Some(&user.access)).await.0, 200);
    app.advance(Duration::days(3));
    let fresh = app.login("late@example.com", PASSWORD).await;
    assert_eq!(call(&app, "/premium", Some(&fresh.access)).await.0, 403);
}

#[tokio::test]
async fn a_lifetime_plan_has_access_and_shows_on_the_user() {
    let app = TestApp::spawn().await;
    let user = app.register("forever@example.com", PASSWORD).await;
    give_subscription(&app, user.id, "lifetime", "active", None).await;
    assert_eq!(call(&app, "/premium", Some(&user.access)).await.0, 200);
    assert_eq!(app.me(&user.access).await["has_active_access"], true);
}

#[tokio::test]
async fn optional_authentication_names_the_caller_or_nobody() {
    let app = TestApp::spawn().await;
    let user = app.register("maybe@example.com", PASSWORD).await;
    assert_eq!(call(&app, "/maybe", None).await, (200, "anonymous".into()));
    assert_eq!(
        call(&app, "/maybe", Some(&user.access)).await,
        (200, "maybe@example.com".into())
    );
    let (status, body) = call(&app, "/maybe", Some("not-a-token")).await;
    assert_eq!(
        (status, code(&body).as_str()),
        (401, "token_invalid"),
        "bad credentials are never silently ignored"
    );
}

#[tokio::test]
async fn the_docs_page_and_its_assets_are_served_from_the_binary() {
    let app = TestApp::spawn().await;
    let page = app.get("/api/docs/", None).await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.expect("html");
    let mut assets = Vec::new();
    for attr in ["src=\"", "href=\""] {
        for part in html.split(attr).skip(1) {
            let target = part.split('"').next().unwrap_or_default().to_string();
            assert!(
                !target.starts_with("http:")
                    && !target.starts_with("https:")
                    && !target.starts_with("//"),
                "external asset {target}"
            );
            assets.push(target);
        }
    }
    assert!(
        assets.iter().any(|a| a.ends_with(".js")),
        "the page loads scripts: {assets:?}"
    );
    for asset in &assets {
        let url = format!("/api/docs/{}", asset.trim_start_matches("./"));
        assert_eq!(app.get(&url, None).await.status(), 200, "{url}");
    }
    let init = app
        .get("/api/docs/swagger-initializer.js", None)
        .await
        .text()
        .await
        .expect("js");
    assert!(init.contains("/api/v1/openapi.json"), "{init}");
}
