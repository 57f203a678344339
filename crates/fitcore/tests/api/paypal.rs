//! PayPal: checkout, cancel, resume and portal against the fake PayPal API,
//! and webhooks verified through its verify-webhook-signature call.

use crate::{
    fakes::paypal::{CLIENT_ID, CLIENT_SECRET, FakePaypal, PLAN_MONTHLY, Signer, WEBHOOK_ID},
    helpers::{PASSWORD, Registered, TestApp, json_body, problem},
};
use chrono::{DateTime, Duration, SecondsFormat, Utc};
use reqwest::{Method, Response, header};
use serde_json::{Value, json};

async fn spawn() -> (TestApp, FakePaypal) {
    let paypal = FakePaypal::start().await;
    let base = paypal.url.clone();
    let app = TestApp::spawn_with(move |c| {
        c.paypal_client_id = Some(CLIENT_ID.into());
        c.paypal_client_secret = Some(CLIENT_SECRET.into());
        c.paypal_webhook_id = Some(WEBHOOK_ID.into());
        c.paypal_api_base = base;
        c.paypal_plan_monthly = Some(PLAN_MONTHLY.into());
        c.paypal_price_lifetime = Some("149.00".into());
        c.paypal_currency = "EUR".into();
    })
    .await;
    (app, paypal)
}

fn checkout_body(plan: &str) -> Value {
    json!({"plan": plan, "gateway": "paypal", "success_url": "https://app.test/ok", "cancel_url": "https://app.test/cancel"})
}

async fn checkout(app: &TestApp, token: &str, plan: &str) -> Value {
    json_body(
        app.post(
            "payments/subscriptions/checkout/",
            checkout_body(plan),
            Some(token),
        )
        .await,
        201,
    )
    .await
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn event(app: &TestApp, id: &str, kind: &str, resource: Value) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "id": id, "event_version": "1.0", "create_time": rfc3339(app.now()),
        "resource_type": "subscription", "event_type": kind, "summary": "test", "resource": resource,
    }))
    .expect("json")
}

async fn deliver_signed(
    app: &TestApp,
    paypal: &FakePaypal,
    signed: &[u8],
    sent: Vec<u8>,
    signer: Signer,
) -> Response {
    let mut rb = app
        .req(Method::POST, "payments/webhooks/paypal/", None)
        .header(header::CONTENT_TYPE, "application/json");
    for (k, v) in paypal.sign_delivery(signed, app.now(), signer) {
        rb = rb.header(k, v);
    }
    app.send(rb.body(sent)).await
}

async fn deliver(app: &TestApp, paypal: &FakePaypal, body: Vec<u8>) -> Value {
    let res = deliver_signed(app, paypal, &body, body.clone(), Signer::Paypal).await;
    json_body(res, 200).await
}

async fn webhook(
    app: &TestApp,
    paypal: &FakePaypal,
    id: &str,
    kind: &str,
    resource: Value,
) -> Value {
    deliver(app, paypal, event(app, id, kind, resource)).await
}

fn subscription_resource(
    id: &str,
    user: &Registered,
    status: &str,
    next: DateTime<Utc>,
    at: DateTime<Utc>,
) -> Value {
    json!({"id": id, "status": status, "plan_id": PLAN_MONTHLY, "custom_id": user.id.to_string(),
           "start_time": rfc3339(at), "status_update_time": rfc3339(at),
           "billing_info": {"next_billing_time": rfc3339(next)}})
}

/// A fresh access token: the test clock moves past the old one's expiry.
async fn relogin(app: &TestApp, u: &mut Registered) {
    u.access = app.login(&u.email, PASSWORD).await.access;
}

async fn subscription(app: &TestApp, token: &str) -> Value {
    json_body(app.get("payments/subscriptions/", Some(token)).await, 200).await
}

async fn transactions(app: &TestApp, token: &str) -> Vec<Value> {
    let page = json_body(app.get("payments/transactions/", Some(token)).await, 200).await;
    page["results"].as_array().cloned().unwrap_or_default()
}

/// Checkout, then PayPal's activation event.
async fn subscribed(app: &TestApp, paypal: &FakePaypal, email: &str) -> (Registered, String) {
    let u = app.register(email, PASSWORD).await;
    let created = checkout(app, &u.access, "monthly").await;
    let id = created["session_id"]
        .as_str()
        .expect("subscription id")
        .to_string();
    let next = app.now() + Duration::days(30);
    webhook(
        app,
        paypal,
        &format!("WH-act-{id}"),
        "BILLING.SUBSCRIPTION.ACTIVATED",
        subscription_resource(&id, &u, "ACTIVE", next, app.now()),
    )
    .await;
    (u, id)
}

#[tokio::test]
async fn monthly_checkout_creates_a_paypal_subscription_and_returns_its_approval_link() {
    let (app, paypal) = spawn().await;
    let u = app.register("pp-monthly@example.com", PASSWORD).await;
    let created = checkout(&app, &u.access, "monthly").await;
    assert!(
        created["checkout_url"]
            .as_str()
            .is_some_and(|s| s.contains("ba_token=")),
        "{created}"
    );
    let reqs = paypal.requests();
    let create = reqs
        .iter()
        .find(|r| r.path == "/v1/billing/subscriptions")
        .expect("created");
    assert_eq!(create.body["plan_id"], PLAN_MONTHLY);
    assert_eq!(create.body["custom_id"], u.id.to_string());
    assert_eq!(
        create.body["application_context"]["return_url"],
        "https://app.test/ok"
    );
    assert!(
        create.request_id.is_some(),
        "PayPal-Request-Id makes the call idempotent"
    );
    assert!(
        created["session_id"]
            .as_str()
            .is_some_and(|s| s.starts_with("I-")),
        "{created}"
    );
}

#[tokio::test]
async fn lifetime_checkout_creates_an_order_at_the_configured_price() {
    let (app, paypal) = spawn().await;
    let u = app.register("pp-lifetime@example.com", PASSWORD).await;
    let created = checkout(&app, &u.access, "lifetime").await;
    assert!(
        created["checkout_url"]
            .as_str()
            .is_some_and(|s| s.contains("checkoutnow?token=")),
        "{created}"
    );
    let order = paypal
        .requests()
        .into_iter()
        .find(|r| r.path == "/v2/checkout/orders")
        .expect("order");
    assert_eq!(order.body["intent"], "CAPTURE");
    assert_eq!(
        order.body["purchase_units"][0]["amount"],
        json!({"currency_code": "EUR", "value": "149.00"})
    );
    assert_eq!(
        order.body["purchase_units"][0]["custom_id"],
        u.id.to_string()
    );
}

#[tokio::test]
async fn the_oauth_token_is_fetched_once_and_reused() {
    let (app, paypal) = spawn().await;
    let u = app.register("pp-token@example.com", PASSWORD).await;
    checkout(&app, &u.access, "monthly").await;
    checkout(&app, &u.access, "lifetime").await;
    assert_eq!(paypal.tokens_issued(), 1);
}

#[tokio::test]
async fn activation_grants_access_until_the_next_billing_time_and_announces_it() {
    let (app, paypal) = spawn().await;
    let (u, _) = subscribed(&app, &paypal, "pp-active@example.com").await;
    let sub = subscription(&app, &u.access).await;
    assert_eq!(
        (
            sub["plan"].as_str(),
            sub["status"].as_str(),
            sub["gateway"].as_str()
        ),
        (Some("monthly"), Some("active"), Some("paypal"))
    );
    assert_eq!(sub["has_active_access"], true);
    let end: DateTime<Utc> = sub["end_date"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .expect("end date");
    assert!((end - (app.now() + Duration::days(30))).num_seconds().abs() <= 1);
    let n = json_body(
        app.get("notifications/list/?type=payment", Some(&u.access))
            .await,
        200,
    )
    .await;
    assert_eq!(n["results"][0]["data"]["gateway"], "paypal");
    app.drain_jobs().await;
    assert!(
        app.emails()
            .iter()
            .any(|e| e.to.iter().any(|t| t.contains("pp-active@example.com")))
    );
}

#[tokio::test]
async fn a_completed_sale_is_a_ledger_row_and_extends_the_period_paypal_reports() {
    let (app, paypal) = spawn().await;
    let (mut u, id) = subscribed(&app, &paypal, "pp-renew@example.com").await;
    app.advance(Duration::days(29));
    relogin(&app, &mut u).await;
    webhook(
        &app,
        &paypal,
        "WH-sale-1",
        "PAYMENT.SALE.COMPLETED",
        json!({
        "id": "SALE-1", "state": "completed", "amount": {"total": "9.99", "currency": "EUR"},
        "billing_agreement_id": id, "create_time": rfc3339(app.now())}),
    )
    .await;
    assert!(
        paypal
            .calls()
            .contains(&format!("GET /v1/billing/subscriptions/{id}"))
    );
    let rows = transactions(&app, &u.access).await;
    assert_eq!(rows.len(), 1);
    assert_eq!(
        (
            rows[0]["amount"].as_str(),
            rows[0]["currency"].as_str(),
            rows[0]["status"].as_str()
        ),
        (Some("9.99"), Some("eur"), Some("succeeded"))
    );
    assert_eq!(rows[0]["gateway_transaction_id"], "SALE-1");
    assert_eq!(
        subscription(&app, &u.access).await["has_active_access"],
        true
    );
}

#[tokio::test]
async fn a_replayed_event_is_acknowledged_and_applied_once() {
    let (app, paypal) = spawn().await;
    let (u, id) = subscribed(&app, &paypal, "pp-replay@example.com").await;
    let body = event(
        &app,
        "WH-sale-dup",
        "PAYMENT.SALE.COMPLETED",
        json!({
        "id": "SALE-DUP", "state": "completed", "amount": {"total": "9.99", "currency": "EUR"},
        "billing_agreement_id": id}),
    );
    assert_eq!(
        deliver(&app, &paypal, body.clone()).await["duplicate"],
        false
    );
    assert_eq!(deliver(&app, &paypal, body).await["duplicate"], true);
    assert_eq!(transactions(&app, &u.access).await.len(), 1);
}

#[tokio::test]
async fn cancel_suspends_at_paypal_keeps_access_to_the_period_end_and_resume_activates() {
    let (app, paypal) = spawn().await;
    let (mut u, id) = subscribed(&app, &paypal, "pp-cancel@example.com").await;
    let cancelled = json_body(
        app.post("payments/subscriptions/cancel/", json!({}), Some(&u.access))
            .await,
        200,
    )
    .await;
    assert_eq!(cancelled["cancel_at_period_end"], true);
    assert!(
        paypal
            .calls()
            .contains(&format!("POST /v1/billing/subscriptions/{id}/suspend"))
    );
    // PayPal then reports the suspension; access runs to the period end.
    let end = app.now() + Duration::days(30);
    app.advance(Duration::seconds(5));
    webhook(
        &app,
        &paypal,
        "WH-susp",
        "BILLING.SUBSCRIPTION.SUSPENDED",
        subscription_resource(&id, &u, "SUSPENDED", end, app.now()),
    )
    .await;
    let sub = subscription(&app, &u.access).await;
    assert_eq!(
        (sub["status"].as_str(), sub["has_active_access"].as_bool()),
        (Some("active"), Some(true))
    );

    let resumed = json_body(
        app.post("payments/subscriptions/resume/", json!({}), Some(&u.access))
            .await,
        200,
    )
    .await;
    assert_eq!(resumed["cancel_at_period_end"], false);
    assert!(
        paypal
            .calls()
            .contains(&format!("POST /v1/billing/subscriptions/{id}/activate"))
    );

    app.advance(Duration::days(31));

    relogin(&app, &mut u).await;
    assert_eq!(
        subscription(&app, &u.access).await["has_active_access"],
        false,
        "nothing renewed it"
    );
}

#[tokio::test]
async fn a_failed_payment_is_past_due_with_three_days_of_grace() {
    let (app, paypal) = spawn().await;
    let (mut u, id) = subscribed(&app, &paypal, "pp-failed@example.com").await;
    app.advance(Duration::days(30));
    relogin(&app, &mut u).await;
    let mut res = subscription_resource(&id, &u, "ACTIVE", app.now(), app.now());
    res["billing_info"]["last_failed_payment"] =
        json!({"amount": {"value": "9.99", "currency_code": "EUR"}, "time": rfc3339(app.now())});
    webhook(
        &app,
        &paypal,
        "WH-fail",
        "BILLING.SUBSCRIPTION.PAYMENT.FAILED",
        res,
    )
    .await;
    let sub = subscription(&app, &u.access).await;
    assert_eq!(
        (sub["status"].as_str(), sub["has_active_access"].as_bool()),
        (Some("past_due"), Some(true))
    );
    let rows = transactions(&app, &u.access).await;
    assert_eq!(
        (rows[0]["status"].as_str(), rows[0]["amount"].as_str()),
        (Some("failed"), Some("9.99"))
    );
    app.advance(Duration::days(3) + Duration::minutes(1));
    relogin(&app, &mut u).await;
    assert_eq!(
        subscription(&app, &u.access).await["has_active_access"],
        false
    );
}

#[tokio::test]
async fn an_older_state_delivered_late_does_not_roll_the_subscription_back() {
    let (app, paypal) = spawn().await;
    let (u, id) = subscribed(&app, &paypal, "pp-order@example.com").await;
    let earlier = app.now() - Duration::hours(1);
    webhook(
        &app,
        &paypal,
        "WH-late",
        "BILLING.SUBSCRIPTION.CANCELLED",
        subscription_resource(&id, &u, "CANCELLED", app.now(), earlier),
    )
    .await;
    assert_eq!(subscription(&app, &u.access).await["status"], "active");
}

#[tokio::test]
async fn cancellation_at_paypal_keeps_access_until_the_paid_period_ends() {
    let (app, paypal) = spawn().await;
    let (mut u, id) = subscribed(&app, &paypal, "pp-cancelled@example.com").await;
    app.advance(Duration::days(2));
    relogin(&app, &mut u).await;
    let mut res = subscription_resource(&id, &u, "CANCELLED", app.now(), app.now());
    res["billing_info"] = json!({});
    webhook(
        &app,
        &paypal,
        "WH-cancel",
        "BILLING.SUBSCRIPTION.CANCELLED",
        res,
    )
    .await;
    let sub = subscription(&app, &u.access).await;
    assert_eq!(
        (sub["status"].as_str(), sub["has_active_access"].as_bool()),
        (Some("cancelled"), Some(true))
    );
    app.advance(Duration::days(29));
    relogin(&app, &mut u).await;
    assert_eq!(
        subscription(&app, &u.access).await["has_active_access"],
        false
    );
}

#[tokio::test]
async fn an_approved_lifetime_order_is_captured_once_and_a_refund_ends_access() {
    let (app, paypal) = spawn().await;
    let u = app.register("pp-life@example.com", PASSWORD).await;
    let order = checkout(&app, &u.access, "lifetime").await["session_id"]
        .as_str()
        .expect("order id")
        .to_string();
    let approved = json!({"id": order, "status": "APPROVED", "intent": "CAPTURE",
        "purchase_units": [{"reference_id": "lifetime", "custom_id": u.id.to_string(),
                            "amount": {"currency_code": "EUR", "value": "149.00"}}]});
    webhook(
        &app,
        &paypal,
        "WH-approved",
        "CHECKOUT.ORDER.APPROVED",
        approved.clone(),
    )
    .await;
    assert!(
        paypal
            .calls()
            .contains(&format!("POST /v2/checkout/orders/{order}/capture"))
    );
    let sub = subscription(&app, &u.access).await;
    assert_eq!(
        (sub["plan"].as_str(), sub["has_active_access"].as_bool()),
        (Some("lifetime"), Some(true))
    );

    // PayPal's own capture event and a second approval change nothing more.
    let capture_id = format!("CAP-{order}");
    webhook(
        &app,
        &paypal,
        "WH-cap",
        "PAYMENT.CAPTURE.COMPLETED",
        json!({"id": capture_id, "status": "COMPLETED",
        "amount": {"currency_code": "EUR", "value": "149.00"}, "custom_id": u.id.to_string()}),
    )
    .await;
    webhook(
        &app,
        &paypal,
        "WH-approved-2",
        "CHECKOUT.ORDER.APPROVED",
        approved,
    )
    .await;
    let rows = transactions(&app, &u.access).await;
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(
        (
            rows[0]["amount"].as_str(),
            rows[0]["plan_at_purchase"].as_str()
        ),
        (Some("149.00"), Some("lifetime"))
    );

    webhook(&app, &paypal, "WH-refund", "PAYMENT.CAPTURE.REFUNDED", json!({"id": "REF-1", "status": "COMPLETED",
        "amount": {"currency_code": "EUR", "value": "149.00"},
        "links": [{"rel": "self", "href": format!("{}/v2/payments/refunds/REF-1", paypal.url)},
                  {"rel": "up", "href": format!("{}/v2/payments/captures/{capture_id}", paypal.url)}]})).await;
    let sub = subscription(&app, &u.access).await;
    assert_eq!(
        (sub["status"].as_str(), sub["has_active_access"].as_bool()),
        (Some("cancelled"), Some(false))
    );
    let rows = transactions(&app, &u.access).await;
    assert_eq!(rows[0]["status"], "refunded");
}

#[tokio::test]
async fn a_refunded_monthly_sale_is_a_ledger_row_and_leaves_the_period_alone() {
    let (app, paypal) = spawn().await;
    let (u, id) = subscribed(&app, &paypal, "pp-sale-refund@example.com").await;
    webhook(
        &app,
        &paypal,
        "WH-s",
        "PAYMENT.SALE.COMPLETED",
        json!({"id": "SALE-R", "state": "completed",
        "amount": {"total": "9.99", "currency": "EUR"}, "billing_agreement_id": id}),
    )
    .await;
    webhook(
        &app,
        &paypal,
        "WH-r",
        "PAYMENT.SALE.REFUNDED",
        json!({"id": "REFUND-R", "state": "completed",
        "amount": {"total": "-9.99", "currency": "EUR"}, "sale_id": "SALE-R"}),
    )
    .await;
    let rows = transactions(&app, &u.access).await;
    assert_eq!(
        (rows[0]["status"].as_str(), rows[0]["amount"].as_str()),
        (Some("refunded"), Some("9.99"))
    );
    assert_eq!(
        subscription(&app, &u.access).await["has_active_access"],
        true
    );
}

#[tokio::test]
async fn deliveries_without_a_genuine_signature_are_400_and_change_nothing() {
    let (app, paypal) = spawn().await;
    let u = app.register("pp-forged@example.com", PASSWORD).await;
    let body = event(
        &app,
        "WH-forged",
        "BILLING.SUBSCRIPTION.ACTIVATED",
        subscription_resource(
            "I-FORGED",
            &u,
            "ACTIVE",
            app.now() + Duration::days(30),
            app.now(),
        ),
    );
    // Signed by a key PayPal does not hold.
    let res = deliver_signed(&app, &paypal, &body, body.clone(), Signer::Impostor).await;
    problem(res, 400, "invalid_signature").await;
    // A genuine signature over a different body.
    let changed = String::from_utf8(body.clone())
        .expect("utf8")
        .replace("\"summary\":\"test\"", "\"summary\":\"tost\"")
        .into_bytes();
    assert_ne!(changed, body);
    let res = deliver_signed(&app, &paypal, &body, changed, Signer::Paypal).await;
    problem(res, 400, "invalid_signature").await;
    // No transmission headers at all.
    let res = app
        .post_raw(
            "payments/webhooks/paypal/",
            "application/json",
            body.clone(),
            None,
        )
        .await;
    problem(res, 400, "invalid_signature").await;
    // Not JSON.
    let res = deliver_signed(
        &app,
        &paypal,
        b"{not json",
        b"{not json".to_vec(),
        Signer::Paypal,
    )
    .await;
    problem(res, 400, "malformed_json").await;
    assert_eq!(
        subscription(&app, &u.access).await["has_active_access"],
        false
    );
    // Only the genuine one is applied.
    deliver(&app, &paypal, body).await;
    assert_eq!(
        subscription(&app, &u.access).await["has_active_access"],
        true
    );
}

#[tokio::test]
async fn unknown_event_types_and_unknown_users_are_acknowledged() {
    let (app, paypal) = spawn().await;
    let ack = webhook(
        &app,
        &paypal,
        "WH-odd",
        "CUSTOMER.DISPUTE.CREATED",
        json!({"dispute_id": "PP-D-1"}),
    )
    .await;
    assert_eq!(ack["received"], true);
    let ack = webhook(
        &app,
        &paypal,
        "WH-nobody",
        "BILLING.SUBSCRIPTION.ACTIVATED",
        json!({"id": "I-NOBODY", "status": "ACTIVE", "custom_id": "999999"}),
    )
    .await;
    assert_eq!(ack["received"], true);
}

#[tokio::test]
async fn when_paypal_cannot_verify_the_event_is_refused_with_503_so_it_is_sent_again() {
    let (app, paypal) = spawn().await;
    let u = app.register("pp-verify-down@example.com", PASSWORD).await;
    let body = event(
        &app,
        "WH-later",
        "BILLING.SUBSCRIPTION.ACTIVATED",
        subscription_resource(
            "I-LATER",
            &u,
            "ACTIVE",
            app.now() + Duration::days(30),
            app.now(),
        ),
    );
    paypal.fail_with(Some(500));
    let res = deliver_signed(&app, &paypal, &body, body.clone(), Signer::Paypal).await;
    assert_eq!(res.status(), 503);
    paypal.fail_with(None);
    assert_eq!(deliver(&app, &paypal, body).await["duplicate"], false);
    assert_eq!(
        subscription(&app, &u.access).await["has_active_access"],
        true
    );
}

#[tokio::test]
async fn paypal_webhooks_without_configuration_are_503() {
    let app = TestApp::spawn().await;
    let res = app
        .post_raw("payments/webhooks/paypal/", "application/json", "{}", None)
        .await;
    assert_eq!(res.status(), 503);
}

#[tokio::test]
async fn a_failing_paypal_during_checkout_is_a_502_and_nothing_is_stored() {
    let (app, paypal) = spawn().await;
    let u = app.register("pp-down@example.com", PASSWORD).await;
    // Fetch the token first so the failure hits the create call.
    checkout(&app, &u.access, "monthly").await;
    paypal.fail_with(Some(500));
    let res = app
        .post(
            "payments/subscriptions/checkout/",
            checkout_body("lifetime"),
            Some(&u.access),
        )
        .await;
    problem(res, 502, "bad_gateway").await;
    assert_eq!(subscription(&app, &u.access).await["status"], "inactive");
}

#[tokio::test]
async fn paypal_subscribers_manage_billing_on_paypal() {
    let (app, paypal) = spawn().await;
    let (u, _) = subscribed(&app, &paypal, "pp-portal@example.com").await;
    let portal = json_body(
        app.post("payments/subscriptions/portal/", json!({}), Some(&u.access))
            .await,
        200,
    )
    .await;
    assert!(
        portal["url"]
            .as_str()
            .is_some_and(|s| s.ends_with("/myaccount/autopay/")),
        "{portal}"
    );
}

#[tokio::test]
async fn deleting_the_account_cancels_the_subscription_at_paypal() {
    let (app, paypal) = spawn().await;
    let (u, id) = subscribed(&app, &paypal, "pp-leaving@example.com").await;
    let res = app
        .delete(
            "users/me/",
            Some(json!({"password": PASSWORD})),
            Some(&u.access),
        )
        .await;
    assert_eq!(res.status(), 204);
    app.drain_jobs().await;
    assert!(
        paypal
            .calls()
            .contains(&format!("POST /v1/billing/subscriptions/{id}/cancel"))
    );
}

#[tokio::test]
async fn buying_lifetime_cancels_the_monthly_subscription_still_billed_at_paypal() {
    let (app, paypal) = spawn().await;
    let (u, id) = subscribed(&app, &paypal, "pp-upgrade@example.com").await;
    let order = checkout(&app, &u.access, "lifetime").await["session_id"]
        .as_str()
        .expect("order")
        .to_string();
    webhook(
        &app,
        &paypal,
        "WH-up",
        "CHECKOUT.ORDER.APPROVED",
        json!({"id": order, "status": "APPROVED",
        "purchase_units": [{"custom_id": u.id.to_string()}]}),
    )
    .await;
    app.drain_jobs().await;
    assert!(
        paypal
            .calls()
            .contains(&format!("POST /v1/billing/subscriptions/{id}/cancel"))
    );
    // PayPal's cancellation event no longer touches the lifetime plan.
    webhook(
        &app,
        &paypal,
        "WH-up-c",
        "BILLING.SUBSCRIPTION.CANCELLED",
        subscription_resource(
            &id,
            &u,
            "CANCELLED",
            app.now(),
            app.now() + Duration::seconds(1),
        ),
    )
    .await;
    let sub = subscription(&app, &u.access).await;
    assert_eq!(
        (sub["plan"].as_str(), sub["has_active_access"].as_bool()),
        (Some("lifetime"), Some(true))
    );
}
