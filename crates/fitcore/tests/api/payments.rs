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
    let body = subscription(&app, &u.access).await;
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
    let body = subscription(&app, &u.access).await;
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

// -- Stripe webhooks -----------------------------------------------------------

const WHSEC: &str = "whsec_fitcore_test";

async fn stripe_app() -> TestApp {
    TestApp::spawn_with(|c| c.stripe_webhook_secret = Some(WHSEC.into())).await
}

fn event(id: &str, kind: &str, created: i64, object: Value) -> Vec<u8> {
    serde_json::to_vec(&json!({"id": id, "object": "event", "type": kind, "created": created, "data": {"object": object}}))
        .expect("event json")
}

async fn subscription(app: &TestApp, token: &str) -> Value {
    json_body(app.get("payments/subscriptions/", Some(token)).await, 200).await
}

async fn deliver(app: &TestApp, body: Vec<u8>) -> reqwest::Response {
    app.deliver_stripe_event(WHSEC, body).await
}

fn lifetime_checkout(user_id: i64) -> Value {
    json!({"id": "cs_test_1", "object": "checkout.session", "mode": "payment", "client_reference_id": user_id.to_string(),
           "customer": "cus_1", "amount_total": 14900, "currency": "usd", "payment_intent": "pi_1"})
}

fn stripe_subscription(user_id: i64, status: &str, period_end: i64) -> Value {
    json!({"id": "sub_1", "object": "subscription", "customer": "cus_1", "status": status,
           "current_period_end": period_end, "cancel_at_period_end": false, "metadata": {"user_id": user_id.to_string()}})
}

#[tokio::test]
async fn a_completed_lifetime_checkout_grants_access_records_the_payment_and_notifies() {
    let app = stripe_app().await;
    let u = app.register("buyer@example.com", PASSWORD).await;
    let res = deliver(
        &app,
        event(
            "evt_1",
            "checkout.session.completed",
            app.now().timestamp(),
            lifetime_checkout(u.id),
        ),
    )
    .await;
    let ack = json_body(res, 200).await;
    assert_eq!(ack, json!({"received": true, "duplicate": false}));
    assert_eq!(app.me(&u.access).await["has_active_access"], true);
    let sub = subscription(&app, &u.access).await;
    assert_eq!(
        (sub["plan"].as_str(), sub["status"].as_str()),
        (Some("lifetime"), Some("active"))
    );
    let txs = json_body(
        app.get("payments/transactions/", Some(&u.access)).await,
        200,
    )
    .await;
    assert_eq!(txs["results"][0]["amount"], "149.00");
    assert_eq!(txs["results"][0]["gateway_transaction_id"], "pi_1");
    let notes = json_body(
        app.get("notifications/list/?type=payment", Some(&u.access))
            .await,
        200,
    )
    .await;
    assert_eq!(notes["results"].as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn an_event_delivered_twice_is_applied_once() {
    let app = stripe_app().await;
    let u = app.register("twice@example.com", PASSWORD).await;
    let body = event(
        "evt_dup",
        "checkout.session.completed",
        app.now().timestamp(),
        lifetime_checkout(u.id),
    );
    assert_eq!(
        json_body(deliver(&app, body.clone()).await, 200).await["duplicate"],
        false
    );
    assert_eq!(
        json_body(deliver(&app, body).await, 200).await["duplicate"],
        true
    );
    let txs = json_body(
        app.get("payments/transactions/", Some(&u.access)).await,
        200,
    )
    .await;
    assert_eq!(txs["results"].as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn a_late_subscription_event_does_not_roll_the_state_back() {
    let app = stripe_app().await;
    let u = app.register("late-event@example.com", PASSWORD).await;
    let t = app.now().timestamp();
    let period_end = t + 20 * 86_400;
    // Newer: past_due. Then, arriving late, an older "active".
    deliver(
        &app,
        event(
            "evt_new",
            "customer.subscription.updated",
            t - 10,
            stripe_subscription(u.id, "past_due", period_end),
        ),
    )
    .await;
    deliver(
        &app,
        event(
            "evt_old",
            "customer.subscription.updated",
            t - 60,
            stripe_subscription(u.id, "active", period_end),
        ),
    )
    .await;
    let sub = subscription(&app, &u.access).await;
    assert_eq!(sub["status"], "past_due");
    assert_eq!(sub["plan"], "monthly");
}

#[tokio::test]
async fn stripe_states_map_onto_ours_and_deletion_cancels() {
    let app = stripe_app().await;
    let u = app.register("states@example.com", PASSWORD).await;
    let t = app.now().timestamp();
    let end = t + 86_400;
    deliver(
        &app,
        event(
            "evt_a",
            "customer.subscription.created",
            t - 30,
            stripe_subscription(u.id, "trialing", end),
        ),
    )
    .await;
    let sub = subscription(&app, &u.access).await;
    assert_eq!(
        (sub["status"].as_str(), sub["has_active_access"].as_bool()),
        (Some("active"), Some(true))
    );
    deliver(
        &app,
        event(
            "evt_b",
            "customer.subscription.deleted",
            t - 20,
            stripe_subscription(u.id, "canceled", end),
        ),
    )
    .await;
    let sub = subscription(&app, &u.access).await;
    assert_eq!(sub["status"], "cancelled");
    assert_eq!(
        sub["has_active_access"], true,
        "a cancelled month runs to its end"
    );
}

#[tokio::test]
async fn webhooks_with_bad_signatures_are_400_and_change_nothing() {
    let app = stripe_app().await;
    let u = app.register("forged@example.com", PASSWORD).await;
    let body = event(
        "evt_forged",
        "checkout.session.completed",
        app.now().timestamp(),
        lifetime_checkout(u.id),
    );
    let post = |sig: Option<String>, body: Vec<u8>| {
        let mut rb = app
            .req(reqwest::Method::POST, "payments/webhooks/stripe/", None)
            .header("content-type", "application/json");
        if let Some(s) = sig {
            rb = rb.header("stripe-signature", s);
        }
        app.send(rb.body(body))
    };
    let now = app.now().timestamp();
    let cases = [
        (None, body.clone()),
        (Some("t=1,v1=zz".to_string()), body.clone()),
        (
            Some(fitcore::payments::stripe_signature::sign(
                &body,
                "whsec_wrong",
                now,
            )),
            body.clone(),
        ),
        (
            Some(fitcore::payments::stripe_signature::sign(
                &body,
                WHSEC,
                now - 600,
            )),
            body.clone(),
        ),
        (
            Some(fitcore::payments::stripe_signature::sign(&body, WHSEC, now)),
            event(
                "evt_forged",
                "checkout.session.completed",
                now,
                lifetime_checkout(u.id + 1),
            ),
        ),
    ];
    for (i, (sig, b)) in cases.into_iter().enumerate() {
        let res = post(sig, b).await;
        assert_eq!(res.status(), 400, "case {i}");
        let p: Value = res.json().await.expect("json");
        assert_eq!(p["code"], "invalid_signature", "case {i}");
    }
    assert_eq!(app.me(&u.access).await["has_active_access"], false);
}

#[tokio::test]
async fn unknown_event_types_and_customers_are_acknowledged() {
    let app = stripe_app().await;
    let t = app.now().timestamp();
    let res = deliver(
        &app,
        event("evt_x", "payment_method.attached", t, json!({"id": "pm_1"})),
    )
    .await;
    assert_eq!(json_body(res, 200).await["received"], true);
    let res = deliver(
        &app,
        event(
            "evt_y",
            "customer.subscription.updated",
            t,
            stripe_subscription(999_999, "active", t + 100),
        ),
    )
    .await;
    assert_eq!(json_body(res, 200).await["received"], true);
}

fn invoice(id: &str, amount: i64, period_end: i64) -> Value {
    json!({"id": id, "object": "invoice", "customer": "cus_1", "subscription": "sub_1", "currency": "usd",
           "amount_paid": amount, "amount_due": amount, "lines": {"data": [{"period": {"end": period_end}}]}})
}

/// An invoice as newer Stripe API versions shape it: the subscription and
/// its metadata under `parent.subscription_details`.
fn invoice_for(user_id: i64, id: &str, amount: i64, period_end: i64) -> Value {
    json!({"id": id, "object": "invoice", "customer": "cus_1", "currency": "usd",
           "amount_paid": amount, "amount_due": amount, "lines": {"data": [{"period": {"end": period_end}}]},
           "parent": {"subscription_details": {"subscription": "sub_1", "metadata": {"user_id": user_id.to_string()}}}})
}

#[tokio::test]
async fn a_paid_invoice_renews_the_period_and_a_failed_one_starts_the_grace_period() {
    let app = stripe_app().await;
    let u = app.register("renew@example.com", PASSWORD).await;
    let t = app.now().timestamp();
    let first_end = t + 2 * 86_400;
    let second_end = t + 32 * 86_400;
    deliver(
        &app,
        event(
            "evt_s",
            "customer.subscription.created",
            t - 100,
            stripe_subscription(u.id, "active", first_end),
        ),
    )
    .await;
    deliver(
        &app,
        event(
            "evt_i2",
            "invoice.paid",
            t - 50,
            invoice("in_2", 999, second_end),
        ),
    )
    .await;
    // An older invoice arriving late does not shorten the period.
    deliver(
        &app,
        event(
            "evt_i1",
            "invoice.paid",
            t - 90,
            invoice("in_1", 999, first_end),
        ),
    )
    .await;
    let sub = subscription(&app, &u.access).await;
    let end: DateTime<Utc> = sub["end_date"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .expect("end_date");
    assert_eq!(end.timestamp(), second_end);

    deliver(
        &app,
        event(
            "evt_f",
            "invoice.payment_failed",
            t - 10,
            invoice("in_3", 999, second_end),
        ),
    )
    .await;
    let sub = subscription(&app, &u.access).await;
    assert_eq!(sub["status"], "past_due");
    assert_eq!(sub["has_active_access"], true, "still inside the period");

    let txs = json_body(
        app.get("payments/transactions/", Some(&u.access)).await,
        200,
    )
    .await;
    let statuses: Vec<&str> = txs["results"]
        .as_array()
        .expect("results")
        .iter()
        .filter_map(|t| t["status"].as_str())
        .collect();
    assert_eq!(statuses, ["failed", "succeeded", "succeeded"]);
}

#[tokio::test]
async fn refunding_a_lifetime_purchase_ends_access() {
    let app = stripe_app().await;
    let u = app.register("refund@example.com", PASSWORD).await;
    let t = app.now().timestamp();
    deliver(
        &app,
        event(
            "evt_buy",
            "checkout.session.completed",
            t - 100,
            lifetime_checkout(u.id),
        ),
    )
    .await;
    assert_eq!(app.me(&u.access).await["has_active_access"], true);
    let charge = json!({"id": "ch_1", "object": "charge", "payment_intent": "pi_1", "amount_refunded": 14900, "currency": "usd"});
    assert_eq!(
        json_body(
            deliver(&app, event("evt_refund", "charge.refunded", t - 10, charge)).await,
            200
        )
        .await["duplicate"],
        false
    );
    assert_eq!(app.me(&u.access).await["has_active_access"], false);
    let txs = json_body(
        app.get("payments/transactions/", Some(&u.access)).await,
        200,
    )
    .await;
    assert_eq!(txs["results"][0]["status"], "refunded");
    assert_eq!(txs["results"][0]["amount"], "149.00");
    let notes = json_body(
        app.get("notifications/list/?type=payment", Some(&u.access))
            .await,
        200,
    )
    .await;
    assert_eq!(notes["results"][0]["title"], "Subscription ended");
}

/// A month of a subscription's life as Stripe reports it, oldest first.
fn lifecycle(user_id: i64, t: i64) -> Vec<Vec<u8>> {
    let month = 30 * 86_400;
    let mut sub_deleted = stripe_subscription(user_id, "canceled", t + month);
    sub_deleted["ended_at"] = json!(t - 100);
    vec![
        event(
            "evt_l1",
            "customer.subscription.created",
            t - 1000,
            stripe_subscription(user_id, "active", t + month),
        ),
        event(
            "evt_l2",
            "invoice.paid",
            t - 900,
            invoice_for(user_id, "in_l1", 999, t + month),
        ),
        event(
            "evt_l3",
            "invoice.payment_failed",
            t - 500,
            invoice_for(user_id, "in_l2", 999, t + 2 * month),
        ),
        event(
            "evt_l4",
            "invoice.paid",
            t - 400,
            invoice_for(user_id, "in_l3", 999, t + 2 * month),
        ),
        event(
            "evt_l5",
            "customer.subscription.deleted",
            t - 100,
            sub_deleted,
        ),
    ]
}

async fn final_state(app: &TestApp, token: &str) -> (Value, usize) {
    let sub = json_body(app.get("payments/subscriptions/", Some(token)).await, 200).await;
    let txs = json_body(app.get("payments/transactions/", Some(token)).await, 200).await;
    let state = json!({"status": sub["status"], "end_date": sub["end_date"], "access": sub["has_active_access"],
                       "cancel_at_period_end": sub["cancel_at_period_end"]});
    (state, txs["results"].as_array().map(Vec::len).unwrap_or(0))
}

#[tokio::test]
async fn events_delivered_late_twice_and_out_of_order_end_in_the_same_state() {
    let reference = stripe_app().await;
    let r = reference.register("order@example.com", PASSWORD).await;
    let t = reference.now().timestamp();
    for e in lifecycle(r.id, t) {
        deliver(&reference, e).await;
    }
    let expected = final_state(&reference, &r.access).await;
    assert_eq!(expected.0["status"], "cancelled");
    assert_eq!(expected.0["access"], false, "ended before now");
    assert_eq!(expected.1, 3, "three invoices in the ledger");

    for order in [[4usize, 3, 2, 1, 0], [2, 0, 4, 1, 3], [1, 4, 0, 3, 2]] {
        let app = stripe_app().await;
        let u = app.register("order@example.com", PASSWORD).await;
        app.clock.set(reference.now());
        let events = lifecycle(u.id, t);
        for i in order {
            deliver(&app, events[i].clone()).await;
            deliver(&app, events[i].clone()).await;
        }
        assert_eq!(
            final_state(&app, &u.access).await,
            expected,
            "order {order:?}"
        );
    }
}
