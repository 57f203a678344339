//! `payments/` read side: the caller's subscription and transactions.

use crate::helpers::{PASSWORD, TestApp, json_body};
use chrono::{DateTime, Duration, Utc};
use sea_orm::{ConnectionTrait, Statement};
use serde_json::{Value, json};

fn ph(app: &TestApp, n: usize) -> Vec<String> {
    (1..=n)
        .map(|i| {
            if app.is_postgres() {
                format!("${i}")
            } else {
                "?".into()
            }
        })
        .collect()
}

async fn add_transaction(
    app: &TestApp,
    user_id: i64,
    amount_minor: i64,
    status: &str,
    at: DateTime<Utc>,
    raw: Option<Value>,
) {
    let p = ph(app, 7);
    let sql = format!(
        "INSERT INTO transactions (user_id, plan_at_purchase, amount_minor, currency, status, gateway, gateway_transaction_id, gateway_response, created_at, updated_at) \
         VALUES ({}, 'monthly', {}, 'usd', {}, 'stripe', {}, {}, {}, {})",
        p[0], p[1], p[2], p[3], p[4], p[5], p[6]
    );
    let values: Vec<sea_orm::Value> = vec![
        user_id.into(),
        amount_minor.into(),
        status.into(),
        format!("in_{amount_minor}").into(),
        sea_orm::Value::Json(raw.map(Box::new)),
        at.into(),
        at.into(),
    ];
    app.db()
        .execute_raw(Statement::from_sql_and_values(app.backend(), sql, values))
        .await
        .expect("insert transaction");
}

#[tokio::test]
async fn a_user_without_a_subscription_sees_an_inactive_one() {
    let app = TestApp::spawn().await;
    let u = app.register("free@example.com", PASSWORD).await;
    let body = json_body(
        app.get("payments/subscriptions/", Some(&u.access)).await,
        200,
    )
    .await;
    assert_eq!(body["status"], "inactive");
    assert_eq!(body["plan"], Value::Null);
    assert_eq!(body["has_active_access"], false);
}

#[tokio::test]
async fn an_active_monthly_subscription_is_reported_with_its_end_date() {
    let app = TestApp::spawn().await;
    let u = app.register("monthly@example.com", PASSWORD).await;
    let end = app.now() + Duration::days(12);
    let p = ph(&app, 4);
    let sql = format!(
        "INSERT INTO subscriptions (user_id, plan, status, gateway, end_date, cancel_at_period_end, created_at, updated_at) \
         VALUES ({}, 'monthly', 'active', 'stripe', {}, false, {}, {})",
        p[0], p[1], p[2], p[3]
    );
    let values: Vec<sea_orm::Value> =
        vec![u.id.into(), end.into(), app.now().into(), app.now().into()];
    app.db()
        .execute_raw(Statement::from_sql_and_values(app.backend(), sql, values))
        .await
        .expect("insert");
    let body = json_body(
        app.get("payments/subscriptions/", Some(&u.access)).await,
        200,
    )
    .await;
    assert_eq!(body["plan"], "monthly");
    assert_eq!(body["gateway"], "stripe");
    assert_eq!(body["has_active_access"], true);
    let shown: DateTime<Utc> = body["end_date"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .expect("end_date");
    assert_eq!(shown.timestamp(), end.timestamp());
}

#[tokio::test]
async fn transactions_are_the_callers_own_newest_first_with_decimal_amounts() {
    let app = TestApp::spawn().await;
    let a = app.register("payer@example.com", PASSWORD).await;
    let b = app.register("other@example.com", PASSWORD).await;
    let t0 = app.now() - Duration::days(3);
    add_transaction(
        &app,
        a.id,
        999,
        "succeeded",
        t0,
        Some(json!({"id": "in_secret"})),
    )
    .await;
    add_transaction(&app, a.id, 1999, "failed", t0 + Duration::days(1), None).await;
    add_transaction(&app, a.id, 5, "refunded", t0 + Duration::days(2), None).await;
    add_transaction(&app, b.id, 4242, "succeeded", t0, None).await;

    let body = json_body(
        app.get("payments/transactions/", Some(&a.access)).await,
        200,
    )
    .await;
    let amounts: Vec<&str> = body["results"]
        .as_array()
        .expect("results")
        .iter()
        .filter_map(|t| t["amount"].as_str())
        .collect();
    assert_eq!(amounts, ["0.05", "19.99", "9.99"]);
    assert!(
        body["results"]
            .as_array()
            .expect("results")
            .iter()
            .all(|t| t.get("gateway_response").is_none()),
        "raw responses are staff-only"
    );
    assert_eq!(body["results"][0]["currency"], "usd");
    assert_eq!(body["next"], Value::Null);
}

#[tokio::test]
async fn staff_see_the_gateways_raw_response() {
    let app = TestApp::spawn().await;
    let s = app.register("staff-payer@example.com", PASSWORD).await;
    app.make_staff(s.id).await;
    add_transaction(
        &app,
        s.id,
        999,
        "succeeded",
        app.now(),
        Some(json!({"id": "in_raw"})),
    )
    .await;
    let body = json_body(
        app.get("payments/transactions/", Some(&s.access)).await,
        200,
    )
    .await;
    assert_eq!(body["results"][0]["gateway_response"]["id"], "in_raw");
}

#[tokio::test]
async fn transaction_pages_walk_by_cursor_and_bad_cursors_are_400() {
    let app = TestApp::spawn().await;
    let a = app.register("pages@example.com", PASSWORD).await;
    for i in 0..5 {
        add_transaction(
            &app,
            a.id,
            100 + i,
            "succeeded",
            app.now() - Duration::hours(i),
            None,
        )
        .await;
    }
    let mut url = "payments/transactions/?page_size=2".to_string();
    let mut seen = Vec::new();
    for _ in 0..10 {
        let body = json_body(app.get(&url, Some(&a.access)).await, 200).await;
        seen.extend(
            body["results"]
                .as_array()
                .expect("results")
                .iter()
                .filter_map(|t| t["amount"].as_str().map(String::from)),
        );
        match body["next"].as_str() {
            Some(next) => url = next.to_string(),
            None => break,
        }
    }
    assert_eq!(seen, ["1.00", "1.01", "1.02", "1.03", "1.04"]);
    assert_eq!(
        app.get("payments/transactions/?cursor=%%%", Some(&a.access))
            .await
            .status(),
        400
    );
    assert_eq!(
        app.get("payments/transactions/?status=paid", Some(&a.access))
            .await
            .status(),
        400
    );
}
