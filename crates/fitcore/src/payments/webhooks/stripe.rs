//! Stripe webhooks: `Stripe-Signature` verified over the raw body, then
//! checkout, subscription, invoice and refund events.

use super::{
    Change, Outcome, begin_event, blank, find_user, finish_event, is_lifetime, save_with_access,
    str_of, stripe_billing, subscription_of, ts,
};
use crate::{
    app::AppState,
    error::{AppError, AppResult},
    payments::{
        entity::{subscription, transaction},
        service::access_of,
        stripe_signature::{self, SignatureError},
    },
};
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter,
};
use serde::Deserialize;
use serde_json::Value;

#[derive(Debug, Deserialize)]
struct StripeEvent {
    id: String,
    #[serde(rename = "type")]
    kind: String,
    created: i64,
    data: EventData,
}

#[derive(Debug, Deserialize)]
struct EventData {
    object: Value,
}

/// Stripe's eight subscription states on our four (API.md).
pub fn map_status(stripe: &str) -> &'static str {
    match stripe {
        "trialing" | "active" => "active",
        "past_due" | "unpaid" => "past_due",
        "canceled" => "cancelled",
        _ => "inactive",
    }
}

pub async fn handle_stripe(
    state: &AppState,
    signature: Option<&str>,
    body: &[u8],
) -> AppResult<Outcome> {
    let secret = state
        .config
        .stripe_webhook_secret
        .as_deref()
        .ok_or_else(|| AppError::unavailable("Stripe webhooks are not configured."))?;
    stripe_signature::verify(signature, body, secret, state.now()).map_err(|e| {
        let why = match e {
            SignatureError::Malformed => "Missing or malformed Stripe-Signature header.",
            SignatureError::Mismatch => "The signature does not match the body.",
            SignatureError::Stale => "The signature timestamp is outside the 5-minute tolerance.",
        };
        AppError::bad_request("invalid_signature", why)
    })?;
    let event: StripeEvent = serde_json::from_slice(body).map_err(|_| {
        AppError::bad_request("malformed_json", "The event is not a Stripe event object.")
    })?;
    let occurred = DateTime::from_timestamp(event.created, 0)
        .ok_or_else(|| AppError::bad_request("validation_error", "The event time is invalid."))?;
    let now = state.now();
    // A completed subscription checkout carries no period end: read the
    // subscription from Stripe first (outside the transaction). If Stripe
    // cannot answer, the event is not recorded and Stripe delivers it again.
    let fetched = match (
        event.kind.as_str(),
        str_of(&event.data.object, "mode"),
        str_of(&event.data.object, "subscription"),
    ) {
        ("checkout.session.completed", Some("subscription"), Some(sub_id)) => {
            match crate::payments::stripe::StripeClient::from_state(state) {
                Some(client) => Some(client.get_subscription(sub_id).await?),
                None => None,
            }
        }
        _ => None,
    };

    let Some(txn) = begin_event(
        state,
        "stripe",
        &event.id,
        &event.kind,
        occurred,
        &event.data.object,
    )
    .await?
    else {
        return Ok(Outcome::Duplicate);
    };
    let obj = &event.data.object;
    let change = match event.kind.as_str() {
        "checkout.session.completed" => {
            let done = checkout_completed(&txn, obj, occurred, now).await?;
            match (done, fetched) {
                (Some((user_id, before, after_checkout)), Some(sub)) => Some(
                    subscription_changed(&txn, &sub, false, occurred, now)
                        .await?
                        .map_or((user_id, before, after_checkout), |(_, _, after)| {
                            (user_id, before, after)
                        }),
                ),
                (done, _) => done,
            }
        }
        "customer.subscription.created"
        | "customer.subscription.updated"
        | "customer.subscription.deleted" => {
            subscription_changed(&txn, obj, event.kind.ends_with("deleted"), occurred, now).await?
        }
        "invoice.paid" => stripe_billing::invoice_settled(&txn, obj, true, occurred, now).await?,
        "invoice.payment_failed" => {
            stripe_billing::invoice_settled(&txn, obj, false, occurred, now).await?
        }
        "charge.refunded" => stripe_billing::charge_refunded(&txn, obj, occurred, now).await?,
        _ => None,
    };
    finish_event(state, txn, "stripe", change).await
}

/// Returns (user, had access before, has access after).
async fn checkout_completed(
    txn: &DatabaseTransaction,
    obj: &Value,
    occurred: DateTime<Utc>,
    now: DateTime<Utc>,
) -> AppResult<Change> {
    let reference = str_of(obj, "client_reference_id")
        .or_else(|| obj.get("metadata").and_then(|m| str_of(m, "user_id")));
    let Some(u) = find_user(txn, reference).await? else {
        tracing::warn!(session = ?str_of(obj, "id"), "checkout for an unknown user acknowledged");
        return Ok(None);
    };
    let existing = subscription_of(txn, u.id).await?;
    let before = existing.as_ref().is_some_and(|s| access_of(s, now));
    let mut am = match existing {
        Some(s) => s.into(),
        None => blank(u.id, now),
    };
    am.gateway = Set(Some("stripe".into()));
    if let Some(c) = str_of(obj, "customer") {
        am.gateway_customer_id = Set(Some(c.into()));
    }
    match str_of(obj, "mode") {
        Some("payment") => {
            // A monthly subscription still billed elsewhere is cancelled.
            crate::payments::service::queue_gateway_cancellation(txn, u.id, now).await?;
            am.plan = Set(Some("lifetime".into()));
            am.status = Set("active".into());
            am.start_date = Set(Some(occurred));
            am.end_date = Set(None);
            am.cancel_at_period_end = Set(false);
            am.gateway_state_at = Set(Some(occurred));
            transaction::ActiveModel {
                user_id: Set(Some(u.id)),
                plan_at_purchase: Set(Some("lifetime".into())),
                amount_minor: Set(obj.get("amount_total").and_then(Value::as_i64).unwrap_or(0)),
                currency: Set(str_of(obj, "currency").unwrap_or("usd").to_lowercase()),
                status: Set("succeeded".into()),
                gateway: Set(Some("stripe".into())),
                gateway_transaction_id: Set(str_of(obj, "payment_intent")
                    .or(str_of(obj, "id"))
                    .map(String::from)),
                gateway_response: Set(Some(obj.clone())),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            }
            .insert(txn)
            .await?;
        }
        Some("subscription") => {
            // The period end comes with the subscription's own events.
            am.plan = Set(Some("monthly".into()));
            if let Some(id) = str_of(obj, "subscription") {
                am.gateway_subscription_id = Set(Some(id.into()));
            }
        }
        _ => return Ok(None),
    }
    am.updated_at = Set(now);
    let after = save_with_access(txn, am, now, before).await?;
    Ok(Some((u.id, before, after)))
}

enum Target {
    Existing(subscription::Model),
    New(i64),
}

async fn subscription_changed(
    txn: &DatabaseTransaction,
    obj: &Value,
    deleted: bool,
    occurred: DateTime<Utc>,
    now: DateTime<Utc>,
) -> AppResult<Change> {
    let Some(sub_id) = str_of(obj, "id") else {
        return Ok(None);
    };
    let by_id = subscription::Entity::find()
        .filter(subscription::Column::GatewaySubscriptionId.eq(sub_id))
        .one(txn)
        .await?;
    let target = match by_id {
        Some(s) => Some(Target::Existing(s)),
        None => {
            let reference = obj.get("metadata").and_then(|m| str_of(m, "user_id"));
            match find_user(txn, reference).await? {
                Some(u) => Some(match subscription_of(txn, u.id).await? {
                    Some(s) => Target::Existing(s),
                    None => Target::New(u.id),
                }),
                None => None,
            }
        }
    };
    let Some(target) = target else {
        tracing::warn!(
            subscription = sub_id,
            "event for an unknown subscription acknowledged"
        );
        return Ok(None);
    };
    let (user_id, before, mut am): (i64, bool, subscription::ActiveModel) = match target {
        Target::Existing(s) => {
            if s.gateway_state_at.is_some_and(|seen| seen > occurred) || is_lifetime(&s) {
                // A newer state is already applied (this event arrived
                // late), or a lifetime purchase outranks the monthly plan.
                return Ok(None);
            }
            (s.user_id, access_of(&s, now), s.into())
        }
        Target::New(uid) => (uid, false, blank(uid, now)),
    };
    let period_end = ts(obj.get("current_period_end").unwrap_or(&Value::Null))
        .or_else(|| obj.pointer("/items/data/0/current_period_end").and_then(ts));
    am.plan = Set(Some("monthly".into()));
    am.gateway = Set(Some("stripe".into()));
    am.gateway_subscription_id = Set(Some(sub_id.into()));
    if let Some(c) = str_of(obj, "customer") {
        am.gateway_customer_id = Set(Some(c.into()));
    }
    let status = if deleted {
        "cancelled"
    } else {
        map_status(str_of(obj, "status").unwrap_or(""))
    };
    am.status = Set(status.into());
    if let Some(start) = obj.get("start_date").and_then(ts) {
        am.start_date = Set(Some(start));
    }
    let end = if deleted {
        obj.get("ended_at").and_then(ts).or(period_end)
    } else {
        period_end
    };
    if end.is_some() {
        am.end_date = Set(end);
    }
    am.cancel_at_period_end = Set(obj
        .get("cancel_at_period_end")
        .and_then(Value::as_bool)
        .unwrap_or(false));
    am.gateway_state_at = Set(Some(occurred));
    am.updated_at = Set(now);
    let after = save_with_access(txn, am, now, before).await?;
    Ok(Some((user_id, before, after)))
}

#[cfg(test)]
mod tests {
    use super::map_status;

    #[test]
    fn stripes_eight_states_map_onto_our_four() {
        let cases = [
            ("trialing", "active"),
            ("active", "active"),
            ("past_due", "past_due"),
            ("unpaid", "past_due"),
            ("canceled", "cancelled"),
            ("incomplete", "inactive"),
            ("incomplete_expired", "inactive"),
            ("paused", "inactive"),
            ("something_new", "inactive"),
        ];
        for (stripe, ours) in cases {
            assert_eq!(map_status(stripe), ours, "{stripe}");
        }
    }
}
