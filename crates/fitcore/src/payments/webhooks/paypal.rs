//! PayPal webhooks, verified the way PayPal documents: the five
//! `PAYPAL-TRANSMISSION-*` headers and the exact body go to PayPal's
//! verify-webhook-signature call, and only `SUCCESS` is applied.
//!
//! Monthly plans are PayPal subscriptions (activated, renewed by a completed
//! sale, suspended, cancelled, payment failed); the lifetime plan is an
//! order that is captured when the buyer approves it. Refunds of either are
//! ledger rows, and a refunded lifetime purchase ends access.

use super::{
    Change, LedgerEntry, Outcome, add_to_ledger, begin_event, blank, find_user, finish_event,
    in_ledger, is_lifetime, save_with_access, str_of, subscription_of,
};
use crate::{
    app::AppState,
    error::{AppError, AppResult},
    payments::{
        entity::{subscription, transaction},
        paypal::{PaypalClient, Transmission},
        service::{access_of, parse_amount_minor, queue_gateway_cancellation},
    },
};
use axum::http::HeaderMap;
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder,
};
use serde::Deserialize;
use serde_json::Value;

const GATEWAY: &str = "paypal";

#[derive(Debug, Deserialize)]
struct PaypalEvent {
    id: String,
    event_type: String,
    create_time: DateTime<Utc>,
    #[serde(default)]
    resource: Value,
}

fn transmission(headers: &HeaderMap) -> Option<Transmission<'_>> {
    let h = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .filter(|s| !s.is_empty())
    };
    Some(Transmission {
        auth_algo: h("paypal-auth-algo")?,
        cert_url: h("paypal-cert-url")?,
        transmission_id: h("paypal-transmission-id")?,
        transmission_sig: h("paypal-transmission-sig")?,
        transmission_time: h("paypal-transmission-time")?,
    })
}

fn time_of(v: &Value, key: &str) -> Option<DateTime<Utc>> {
    str_of(v, key).and_then(|s| DateTime::parse_from_rfc3339(s).ok().map(|t| t.to_utc()))
}

/// A PayPal money object (`{value, currency_code}` or v1's `{total, currency}`)
/// in minor units and lower-case currency.
fn money(v: Option<&Value>) -> Option<(i64, String)> {
    let v = v?;
    let value = str_of(v, "value").or_else(|| str_of(v, "total"))?;
    let currency = str_of(v, "currency_code").or_else(|| str_of(v, "currency"))?;
    Some((
        parse_amount_minor(value.trim_start_matches('-'))?,
        currency.to_lowercase(),
    ))
}

pub async fn handle_paypal(
    state: &AppState,
    headers: &HeaderMap,
    body: &[u8],
) -> AppResult<Outcome> {
    let (Some(client), Some(webhook_id)) = (
        PaypalClient::from_state(state),
        state.config.paypal_webhook_id.as_deref(),
    ) else {
        return Err(AppError::unavailable("PayPal webhooks are not configured."));
    };
    let t = transmission(headers).ok_or_else(|| {
        AppError::bad_request(
            "invalid_signature",
            "The PAYPAL-TRANSMISSION-* and PAYPAL-AUTH-ALGO/CERT-URL headers are required.",
        )
    })?;
    let malformed =
        || AppError::bad_request("malformed_json", "The body is not a PayPal event object.");
    let raw = std::str::from_utf8(body).map_err(|_| malformed())?;
    let event: PaypalEvent = serde_json::from_str(raw).map_err(|_| malformed())?;
    if !client.verify_webhook(webhook_id, &t, raw).await? {
        return Err(AppError::bad_request(
            "invalid_signature",
            "PayPal did not confirm this event's signature.",
        ));
    }
    let res = &event.resource;
    // Calls to PayPal happen before the transaction: if PayPal cannot
    // answer, the event is not recorded and PayPal delivers it again.
    let mut captured: Option<Value> = None;
    let mut remote_sub: Option<Value> = None;
    match event.event_type.as_str() {
        "CHECKOUT.ORDER.APPROVED" => {
            if let Some(order) = str_of(res, "id") {
                captured = client.capture_order(order).await?;
            }
        }
        "PAYMENT.SALE.COMPLETED" => {
            if let Some(sub) = str_of(res, "billing_agreement_id") {
                remote_sub = Some(client.get_subscription(sub).await?);
            }
        }
        _ => {}
    }
    let occurred = event.create_time;
    let Some(txn) =
        begin_event(state, GATEWAY, &event.id, &event.event_type, occurred, res).await?
    else {
        return Ok(Outcome::Duplicate);
    };
    let now = state.now();
    let change = match event.event_type.as_str() {
        "BILLING.SUBSCRIPTION.ACTIVATED"
        | "BILLING.SUBSCRIPTION.RE-ACTIVATED"
        | "BILLING.SUBSCRIPTION.UPDATED"
        | "BILLING.SUBSCRIPTION.SUSPENDED"
        | "BILLING.SUBSCRIPTION.CANCELLED"
        | "BILLING.SUBSCRIPTION.EXPIRED" => subscription_state(&txn, res, occurred, now).await?,
        "BILLING.SUBSCRIPTION.PAYMENT.FAILED" => {
            payment_failed(&txn, res, &event.id, occurred, now).await?
        }
        "PAYMENT.SALE.COMPLETED" => {
            sale_completed(&txn, res, remote_sub.as_ref(), occurred, now).await?
        }
        "CHECKOUT.ORDER.APPROVED" => {
            let order_user = res
                .pointer("/purchase_units/0/custom_id")
                .and_then(Value::as_str);
            let mut change = None;
            let units = captured
                .as_ref()
                .and_then(|o| o.get("purchase_units"))
                .and_then(Value::as_array);
            for unit in units.into_iter().flatten() {
                let caps = unit.pointer("/payments/captures").and_then(Value::as_array);
                for cap in caps.into_iter().flatten() {
                    let user = str_of(cap, "custom_id")
                        .or_else(|| str_of(unit, "custom_id"))
                        .or(order_user);
                    change = change.or(lifetime_paid(&txn, cap, user, occurred, now).await?);
                }
            }
            change
        }
        "PAYMENT.CAPTURE.COMPLETED" => {
            lifetime_paid(&txn, res, str_of(res, "custom_id"), occurred, now).await?
        }
        "PAYMENT.SALE.REFUNDED" => {
            refunded(&txn, res, str_of(res, "sale_id"), occurred, now).await?
        }
        "PAYMENT.CAPTURE.REFUNDED" => {
            let capture = res
                .get("links")
                .and_then(Value::as_array)
                .and_then(|l| l.iter().find(|l| l["rel"] == "up"))
                .and_then(|l| l["href"].as_str())
                .and_then(|h| h.rsplit('/').next());
            refunded(&txn, res, capture, occurred, now).await?
        }
        _ => None,
    };
    finish_event(state, txn, GATEWAY, change).await
}

/// The subscription row a PayPal subscription id belongs to, else the row
/// of the user named in `custom_id` (created when missing).
async fn target(
    txn: &DatabaseTransaction,
    sub_id: &str,
    custom_id: Option<&str>,
    now: DateTime<Utc>,
) -> AppResult<Option<(subscription::Model, bool)>> {
    if let Some(s) = subscription::Entity::find()
        .filter(subscription::Column::GatewaySubscriptionId.eq(sub_id))
        .one(txn)
        .await?
    {
        return Ok(Some((s, true)));
    }
    let Some(u) = find_user(txn, custom_id).await? else {
        tracing::warn!(
            subscription = sub_id,
            "PayPal event for an unknown user acknowledged"
        );
        return Ok(None);
    };
    if let Some(s) = subscription_of(txn, u.id).await? {
        return Ok(Some((s, false)));
    }
    let am = blank(u.id, now);
    let s = sea_orm::ActiveModelTrait::insert(am, txn).await?;
    Ok(Some((s, false)))
}

async fn subscription_state(
    txn: &DatabaseTransaction,
    res: &Value,
    event_time: DateTime<Utc>,
    now: DateTime<Utc>,
) -> AppResult<Change> {
    let Some(sub_id) = str_of(res, "id") else {
        return Ok(None);
    };
    let Some((sub, _)) = target(txn, sub_id, str_of(res, "custom_id"), now).await? else {
        return Ok(None);
    };
    // The object's own clock orders its states, not the delivery.
    let occurred = time_of(res, "status_update_time")
        .or_else(|| time_of(res, "update_time"))
        .unwrap_or(event_time);
    if sub.gateway_state_at.is_some_and(|seen| seen > occurred) || is_lifetime(&sub) {
        return Ok(None);
    }
    let user_id = sub.user_id;
    let before = access_of(&sub, now);
    let cancel_pending = sub.cancel_at_period_end;
    let mut am: subscription::ActiveModel = sub.into();
    let status = match str_of(res, "status").unwrap_or("") {
        "ACTIVE" => "active",
        // We suspend a subscription to cancel it at period end: it stays
        // active until then. PayPal suspends after failed payments.
        "SUSPENDED" if cancel_pending => "active",
        "SUSPENDED" => "past_due",
        "CANCELLED" | "EXPIRED" => "cancelled",
        _ => "inactive",
    };
    if status == "active" && str_of(res, "status") == Some("ACTIVE") {
        am.cancel_at_period_end = Set(false);
    }
    am.status = Set(status.into());
    am.plan = Set(Some("monthly".into()));
    am.gateway = Set(Some(GATEWAY.into()));
    am.gateway_subscription_id = Set(Some(sub_id.into()));
    if let Some(start) = time_of(res, "start_time") {
        am.start_date = Set(Some(start));
    }
    if let Some(next) = res
        .pointer("/billing_info/next_billing_time")
        .and_then(Value::as_str)
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
    {
        am.end_date = Set(Some(next.to_utc()));
    }
    am.gateway_state_at = Set(Some(occurred));
    am.updated_at = Set(now);
    let after = save_with_access(txn, am, now, before).await?;
    Ok(Some((user_id, before, after)))
}

async fn payment_failed(
    txn: &DatabaseTransaction,
    res: &Value,
    event_id: &str,
    occurred: DateTime<Utc>,
    now: DateTime<Utc>,
) -> AppResult<Change> {
    let Some(sub_id) = str_of(res, "id") else {
        return Ok(None);
    };
    let Some((sub, _)) = target(txn, sub_id, str_of(res, "custom_id"), now).await? else {
        return Ok(None);
    };
    let user_id = sub.user_id;
    let before = access_of(&sub, now);
    let (amount, currency) =
        money(res.pointer("/billing_info/last_failed_payment/amount")).unwrap_or((0, "usd".into()));
    add_to_ledger(
        txn,
        LedgerEntry {
            user_id,
            plan: Some("monthly".into()),
            amount_minor: amount,
            currency: &currency,
            status: "failed",
            gateway: GATEWAY,
            gateway_id: Some(event_id),
            raw: res,
        },
        now,
    )
    .await?;
    if sub.gateway_state_at.is_some_and(|seen| seen > occurred) || is_lifetime(&sub) {
        return Ok(Some((user_id, before, before)));
    }
    let mut am: subscription::ActiveModel = sub.into();
    am.status = Set("past_due".into());
    am.gateway_state_at = Set(Some(occurred));
    am.updated_at = Set(now);
    let after = save_with_access(txn, am, now, before).await?;
    Ok(Some((user_id, before, after)))
}

/// A subscription payment (first or renewal): a ledger row, and the period
/// PayPal now reports as paid.
async fn sale_completed(
    txn: &DatabaseTransaction,
    sale: &Value,
    remote: Option<&Value>,
    occurred: DateTime<Utc>,
    now: DateTime<Utc>,
) -> AppResult<Change> {
    let (Some(sale_id), Some(sub_id)) = (str_of(sale, "id"), str_of(sale, "billing_agreement_id"))
    else {
        return Ok(None);
    };
    let custom = remote
        .and_then(|r| str_of(r, "custom_id"))
        .or_else(|| str_of(sale, "custom"));
    let Some((sub, _)) = target(txn, sub_id, custom, now).await? else {
        return Ok(None);
    };
    let user_id = sub.user_id;
    let before = access_of(&sub, now);
    if in_ledger(txn, sale_id, "succeeded").await? {
        return Ok(Some((user_id, before, before)));
    }
    let (amount, currency) = money(sale.get("amount")).unwrap_or((0, "usd".into()));
    add_to_ledger(
        txn,
        LedgerEntry {
            user_id,
            plan: Some("monthly".into()),
            amount_minor: amount,
            currency: &currency,
            status: "succeeded",
            gateway: GATEWAY,
            gateway_id: Some(sale_id),
            raw: sale,
        },
        now,
    )
    .await?;
    if sub.gateway_state_at.is_some_and(|seen| seen > occurred) || is_lifetime(&sub) {
        return Ok(Some((user_id, before, before)));
    }
    let old_end = sub.end_date;
    let mut am: subscription::ActiveModel = sub.into();
    let paid_until = remote
        .and_then(|r| r.pointer("/billing_info/next_billing_time"))
        .and_then(Value::as_str)
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|t| t.to_utc());
    if let Some(end) = paid_until
        && old_end.is_none_or(|old| end > old)
    {
        am.end_date = Set(Some(end));
    }
    am.status = Set("active".into());
    am.plan = Set(Some("monthly".into()));
    am.gateway = Set(Some(GATEWAY.into()));
    am.gateway_subscription_id = Set(Some(sub_id.into()));
    am.gateway_state_at = Set(Some(occurred));
    am.updated_at = Set(now);
    let after = save_with_access(txn, am, now, before).await?;
    Ok(Some((user_id, before, after)))
}

/// A completed capture of the lifetime order: the ledger row and lifetime
/// access. A monthly subscription the user still pays is cancelled at its
/// gateway by a job.
async fn lifetime_paid(
    txn: &DatabaseTransaction,
    capture: &Value,
    user_ref: Option<&str>,
    occurred: DateTime<Utc>,
    now: DateTime<Utc>,
) -> AppResult<Change> {
    let Some(capture_id) = str_of(capture, "id") else {
        return Ok(None);
    };
    if str_of(capture, "status") != Some("COMPLETED") {
        // Pending (e.g. an eCheck): PAYMENT.CAPTURE.COMPLETED follows.
        return Ok(None);
    }
    let Some(u) = find_user(txn, user_ref).await? else {
        tracing::warn!(
            capture = capture_id,
            "PayPal capture for an unknown user acknowledged"
        );
        return Ok(None);
    };
    let existing = subscription_of(txn, u.id).await?;
    let before = existing.as_ref().is_some_and(|s| access_of(s, now));
    if in_ledger(txn, capture_id, "succeeded").await? {
        return Ok(Some((u.id, before, before)));
    }
    let (amount, currency) = money(capture.get("amount")).unwrap_or((0, "usd".into()));
    add_to_ledger(
        txn,
        LedgerEntry {
            user_id: u.id,
            plan: Some("lifetime".into()),
            amount_minor: amount,
            currency: &currency,
            status: "succeeded",
            gateway: GATEWAY,
            gateway_id: Some(capture_id),
            raw: capture,
        },
        now,
    )
    .await?;
    queue_gateway_cancellation(txn, u.id, now).await?;
    let mut am: subscription::ActiveModel = match existing {
        Some(s) => s.into(),
        None => blank(u.id, now),
    };
    am.plan = Set(Some("lifetime".into()));
    am.status = Set("active".into());
    am.gateway = Set(Some(GATEWAY.into()));
    am.gateway_subscription_id = Set(None);
    am.start_date = Set(Some(occurred));
    am.end_date = Set(None);
    am.cancel_at_period_end = Set(false);
    am.gateway_state_at = Set(Some(occurred));
    am.updated_at = Set(now);
    let after = save_with_access(txn, am, now, before).await?;
    Ok(Some((u.id, before, after)))
}

/// A refund of a sale or a capture: a ledger row; refunding the lifetime
/// purchase ends access.
async fn refunded(
    txn: &DatabaseTransaction,
    refund: &Value,
    original_id: Option<&str>,
    occurred: DateTime<Utc>,
    now: DateTime<Utc>,
) -> AppResult<Change> {
    let original = match original_id {
        Some(id) => {
            transaction::Entity::find()
                .filter(transaction::Column::GatewayTransactionId.eq(id))
                .filter(transaction::Column::Status.eq("succeeded"))
                .order_by_desc(transaction::Column::Id)
                .one(txn)
                .await?
        }
        None => None,
    };
    let Some(original) = original else {
        tracing::warn!(refund = ?str_of(refund, "id"), "PayPal refund of an unknown payment acknowledged");
        return Ok(None);
    };
    let Some(user_id) = original.user_id else {
        return Ok(None);
    };
    let refund_id = str_of(refund, "id");
    let sub = subscription_of(txn, user_id).await?;
    let before = sub.as_ref().is_some_and(|s| access_of(s, now));
    if let Some(id) = refund_id
        && in_ledger(txn, id, "refunded").await?
    {
        return Ok(Some((user_id, before, before)));
    }
    let (amount, currency) =
        money(refund.get("amount")).unwrap_or((original.amount_minor, original.currency.clone()));
    add_to_ledger(
        txn,
        LedgerEntry {
            user_id,
            plan: original.plan_at_purchase.clone(),
            amount_minor: amount,
            currency: &currency,
            status: "refunded",
            gateway: GATEWAY,
            gateway_id: refund_id,
            raw: refund,
        },
        now,
    )
    .await?;
    let Some(sub) = sub else {
        return Ok(Some((user_id, false, false)));
    };
    if original.plan_at_purchase.as_deref() != Some("lifetime") || !is_lifetime(&sub) {
        return Ok(Some((user_id, before, before)));
    }
    let mut am: subscription::ActiveModel = sub.into();
    am.status = Set("cancelled".into());
    am.end_date = Set(Some(occurred));
    am.gateway_state_at = Set(Some(occurred));
    am.updated_at = Set(now);
    let after = save_with_access(txn, am, now, before).await?;
    Ok(Some((user_id, before, after)))
}

#[cfg(test)]
mod tests {
    use super::money;
    use serde_json::json;

    #[test]
    fn paypal_money_objects_of_both_api_versions_read_as_minor_units() {
        assert_eq!(
            money(Some(&json!({"value": "9.99", "currency_code": "USD"}))),
            Some((999, "usd".into()))
        );
        assert_eq!(
            money(Some(&json!({"total": "-149.00", "currency": "EUR"}))),
            Some((14900, "eur".into()))
        );
        assert_eq!(
            money(Some(&json!({"value": "abc", "currency_code": "USD"}))),
            None
        );
        assert_eq!(money(None), None);
    }
}
