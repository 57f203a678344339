//! Checkout, cancel, resume and portal against the fake Stripe API; the
//! webhook then completes the purchase.

use crate::{
    fakes::stripe::{FakeStripe, SECRET_KEY},
    helpers::{PASSWORD, TestApp, json_body},
};
use serde_json::{Value, json};

const WHSEC: &str = "whsec_checkout_test";

async fn spawn() -> (TestApp, FakeStripe) {
    let stripe = FakeStripe::start().await;
    let base = stripe.url.clone();
    let app = TestApp::spawn_with(move |c| {
        c.stripe_secret_key = Some(SECRET_KEY.into());
        c.stripe_api_base = base;
        c.stripe_webhook_secret = Some(WHSEC.into());
        c.stripe_price_monthly = Some("price_monthly_test".into());
        c.stripe_price_lifetime = Some("price_lifetime_test".into());
    })
    .await;
    (app, stripe)
}

fn body(plan: &str) -> Value {
    json!({"plan": plan, "gateway": "stripe", "success_url": "https://app.test/ok", "cancel_url": "https://app.test/cancel"})
}

/// Starts a checkout and asserts 201.
async fn checkout(app: &TestApp, token: &str, plan: &str) -> Value {
    json_body(
        app.post("payments/subscriptions/checkout/", body(plan), Some(token))
            .await,
        201,
    )
    .await
}

async fn webhook(app: &TestApp, id: &str, kind: &str, object: Value) {
    let body = serde_json::to_vec(&json!({"id": id, "type": kind, "created": app.now().timestamp(), "data": {"object": object}}))
        .expect("json");
    let res = app.deliver_stripe_event(WHSEC, body).await;
    let status = res.status();
    let text = res.text().await.unwrap_or_default();
    assert_eq!(status, 200, "{text}");
}

#[tokio::test]
async fn checkout_creates_a_customer_once_and_a_session_with_the_right_mode() {
    let (app, stripe) = spawn().await;
    let u = app.register("checkout@example.com", PASSWORD).await;
    let first = checkout(&app, &u.access, "monthly").await;
    assert!(
        first["checkout_url"]
            .as_str()
            .is_some_and(|s| s.starts_with("https://checkout.stripe.test/")),
        "{first}"
    );
    let second = checkout(&app, &u.access, "lifetime").await;
    assert_ne!(first["session_id"], second["session_id"]);

    let reqs = stripe.requests();
    let paths: Vec<&str> = reqs.iter().map(|r| r.path.as_str()).collect();
    assert_eq!(
        paths,
        ["customers", "checkout/sessions", "checkout/sessions"],
        "the customer is reused"
    );
    assert!(
        reqs.iter().all(|r| r.idempotency_key.is_some()),
        "every Stripe call carries an Idempotency-Key"
    );
    assert_eq!(
        reqs[1].form.get("mode").map(String::as_str),
        Some("subscription")
    );
    assert_eq!(
        reqs[1].form.get("line_items[0][price]").map(String::as_str),
        Some("price_monthly_test")
    );
    assert_eq!(
        reqs[2].form.get("mode").map(String::as_str),
        Some("payment")
    );
    assert_eq!(
        reqs[2].form.get("client_reference_id"),
        Some(&u.id.to_string())
    );
}

#[tokio::test]
async fn checkout_through_the_webhook_unlocks_access_and_cancel_and_resume_reach_stripe() {
    let (app, stripe) = spawn().await;
    let u = app.register("journey@example.com", PASSWORD).await;
    checkout(&app, &u.access, "monthly").await;
    let customer = stripe.requests()[0].form.get("email").cloned();
    assert_eq!(customer.as_deref(), Some("journey@example.com"));
    let end = app.now().timestamp() + 30 * 86_400;
    webhook(&app, "evt_c1", "checkout.session.completed", json!({"id": "cs_1", "mode": "subscription",
        "client_reference_id": u.id.to_string(), "customer": "cus_test_1", "subscription": "sub_live"})).await;
    webhook(
        &app,
        "evt_c2",
        "customer.subscription.created",
        json!({"id": "sub_live", "customer": "cus_test_1",
        "status": "active", "current_period_end": end, "metadata": {"user_id": u.id.to_string()}}),
    )
    .await;
    assert_eq!(app.me(&u.access).await["has_active_access"], true);

    let cancelled = json_body(
        app.post("payments/subscriptions/cancel/", json!({}), Some(&u.access))
            .await,
        200,
    )
    .await;
    assert_eq!(cancelled["cancel_at_period_end"], true);
    assert_eq!(
        cancelled["has_active_access"], true,
        "access runs to the period end"
    );
    assert_eq!(
        app.post("payments/subscriptions/cancel/", json!({}), Some(&u.access))
            .await
            .status(),
        409
    );
    let resumed = json_body(
        app.post("payments/subscriptions/resume/", json!({}), Some(&u.access))
            .await,
        200,
    )
    .await;
    assert_eq!(resumed["cancel_at_period_end"], false);
    let updates: Vec<_> = stripe
        .requests()
        .into_iter()
        .filter(|r| r.path == "subscriptions/sub_live")
        .collect();
    assert_eq!(updates.len(), 2);
    assert_eq!(
        updates[0]
            .form
            .get("cancel_at_period_end")
            .map(String::as_str),
        Some("true")
    );

    let portal = json_body(
        app.post("payments/subscriptions/portal/", json!({}), Some(&u.access))
            .await,
        200,
    )
    .await;
    assert!(
        portal["url"]
            .as_str()
            .is_some_and(|s| s.starts_with("https://billing.stripe.test/"))
    );
}

#[tokio::test]
async fn cancel_resume_and_portal_with_nothing_to_act_on_are_409() {
    let (app, _stripe) = spawn().await;
    let u = app.register("nothing@example.com", PASSWORD).await;
    for path in [
        "payments/subscriptions/cancel/",
        "payments/subscriptions/resume/",
        "payments/subscriptions/portal/",
    ] {
        let res = app.post(path, json!({}), Some(&u.access)).await;
        assert_eq!(res.status(), 409, "{path}");
        let p: Value = res.json().await.expect("json");
        assert_eq!(p["code"], "conflict");
    }
}

#[tokio::test]
async fn unknown_plans_and_gateways_and_bad_urls_are_400() {
    let (app, stripe) = spawn().await;
    let u = app.register("bad-checkout@example.com", PASSWORD).await;
    for b in [
        json!({"plan": "weekly", "gateway": "stripe", "success_url": "https://a.test/", "cancel_url": "https://a.test/"}),
        json!({"plan": "monthly", "gateway": "bitcoin", "success_url": "https://a.test/", "cancel_url": "https://a.test/"}),
        json!({"plan": "monthly", "gateway": "stripe", "success_url": "javascript:alert(1)", "cancel_url": "https://a.test/"}),
        json!({"plan": "monthly", "gateway": "stripe", "success_url": "https://a.test/"}),
    ] {
        let res = app
            .post(
                "payments/subscriptions/checkout/",
                b.clone(),
                Some(&u.access),
            )
            .await;
        assert_eq!(res.status(), 400, "{b}");
    }
    assert!(stripe.requests().is_empty(), "nothing reached the gateway");
}

#[tokio::test]
async fn a_failing_gateway_is_a_502_and_nothing_is_half_stored() {
    let (app, stripe) = spawn().await;
    let u = app.register("gateway-down@example.com", PASSWORD).await;
    stripe.fail_with(Some(500));
    let res = app
        .post(
            "payments/subscriptions/checkout/",
            body("monthly"),
            Some(&u.access),
        )
        .await;
    assert_eq!(res.status(), 502);
    let p: Value = res.json().await.expect("json");
    assert_eq!(p["code"], "bad_gateway");
    let sub = json_body(
        app.get("payments/subscriptions/", Some(&u.access)).await,
        200,
    )
    .await;
    assert_eq!(sub["status"], "inactive");

    stripe.fail_with(None);
    checkout(&app, &u.access, "monthly").await;
}

#[tokio::test]
async fn an_unreachable_gateway_is_a_503() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let dead = format!("http://{}", listener.local_addr().expect("addr"));
    drop(listener);
    let app = TestApp::spawn_with(move |c| {
        c.stripe_secret_key = Some(SECRET_KEY.into());
        c.stripe_api_base = dead;
        c.stripe_price_monthly = Some("price_monthly_test".into());
    })
    .await;
    let u = app.register("unreachable@example.com", PASSWORD).await;
    let res = app
        .post(
            "payments/subscriptions/checkout/",
            body("monthly"),
            Some(&u.access),
        )
        .await;
    assert_eq!(res.status(), 503);
}

#[tokio::test]
async fn deleting_the_account_cancels_the_subscription_at_stripe() {
    let (app, stripe) = spawn().await;
    let u = app.register("leaving@example.com", PASSWORD).await;
    let end = app.now().timestamp() + 30 * 86_400;
    webhook(
        &app,
        "evt_l1",
        "customer.subscription.created",
        json!({"id": "sub_leaving", "customer": "cus_9",
        "status": "active", "current_period_end": end, "metadata": {"user_id": u.id.to_string()}}),
    )
    .await;
    let res = app
        .delete(
            "users/me/",
            Some(json!({"password": PASSWORD})),
            Some(&u.access),
        )
        .await;
    assert_eq!(res.status(), 204);
    app.drain_jobs().await;
    let cancels: Vec<_> = stripe
        .requests()
        .into_iter()
        .filter(|r| r.path == "DELETE subscriptions/sub_leaving")
        .collect();
    assert_eq!(cancels.len(), 1);
    assert!(cancels[0].idempotency_key.is_some());
}

#[tokio::test]
async fn a_completed_subscription_checkout_alone_grants_access_for_the_period_stripe_reports() {
    let (app, stripe) = spawn().await;
    let u = app.register("alone@example.com", PASSWORD).await;
    webhook(&app, "evt_only", "checkout.session.completed", json!({"id": "cs_9", "mode": "subscription",
        "client_reference_id": u.id.to_string(), "customer": "cus_test_1", "subscription": "sub_alone"})).await;
    assert!(
        stripe
            .requests()
            .iter()
            .any(|r| r.path == "GET subscriptions/sub_alone")
    );
    let sub = json_body(
        app.get("payments/subscriptions/", Some(&u.access)).await,
        200,
    )
    .await;
    assert_eq!(
        (sub["plan"].as_str(), sub["status"].as_str()),
        (Some("monthly"), Some("active"))
    );
    assert_eq!(sub["has_active_access"], true);
}

#[tokio::test]
async fn a_checkout_event_is_not_recorded_while_stripe_cannot_answer_so_its_retry_applies() {
    let (app, stripe) = spawn().await;
    let u = app.register("retry@example.com", PASSWORD).await;
    let object = json!({"id": "cs_r", "mode": "subscription", "client_reference_id": u.id.to_string(),
                        "customer": "cus_test_1", "subscription": "sub_retry"});
    let body = serde_json::to_vec(&json!({"id": "evt_retry", "type": "checkout.session.completed",
                                          "created": app.now().timestamp(), "data": {"object": object}})).expect("json");
    let post = || app.deliver_stripe_event(WHSEC, body.clone());
    stripe.fail_with(Some(500));
    assert!(
        post().await.status().is_server_error(),
        "Stripe is told to try again"
    );
    stripe.fail_with(None);
    let ack = json_body(post().await, 200).await;
    assert_eq!(
        ack["duplicate"], false,
        "the retry is applied, not taken for a duplicate"
    );
    assert_eq!(app.me(&u.access).await["has_active_access"], true);
}
