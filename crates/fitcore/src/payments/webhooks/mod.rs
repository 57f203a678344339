//! Stripe webhooks: verified over the raw body, each event applied once
//! (its id stored under a unique constraint in the same transaction as its
//! effect), and subscription state applied by the gateway's own time so a
//! late or repeated event never rolls a subscription back.

use super::{
    SubscriptionActivated, SubscriptionEnded,
    entity::{payment_event, subscription, transaction},
    service::access_of,
    stripe_signature::{self, SignatureError},
};
use crate::{
    accounts::entity::user,
    app::AppState,
    error::{AppError, AppResult},
    notifications,
};
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction,
    EntityTrait, QueryFilter, TransactionTrait, TryIntoModel,
};
use serde::Deserialize;

mod billing;
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

#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    Applied,
    /// Seen before: acknowledged, nothing done again.
    Duplicate,
    /// Acknowledged: a type we do not act on, an unknown customer, or a
    /// state older than the one already applied.
    Ignored,
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

pub(super) fn ts(v: &Value) -> Option<DateTime<Utc>> {
    v.as_i64().and_then(|t| DateTime::from_timestamp(t, 0))
}

pub(super) fn str_of<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str).filter(|s| !s.is_empty())
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
            match super::stripe::StripeClient::from_state(state) {
                Some(client) => Some(client.get_subscription(sub_id).await?),
                None => None,
            }
        }
        _ => None,
    };

    let txn = state.db.begin().await?;
    let recorded = payment_event::ActiveModel {
        gateway: Set("stripe".into()),
        event_id: Set(event.id.clone()),
        event_type: Set(event.kind.clone()),
        occurred_at: Set(occurred),
        payload: Set(event.data.object.clone()),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await;
    match recorded {
        Ok(_) => {}
        Err(e) if crate::platform::db::is_unique_violation(&e) => {
            txn.rollback().await?;
            return Ok(Outcome::Duplicate);
        }
        Err(e) => return Err(e.into()),
    }
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
        "invoice.paid" => billing::invoice_settled(&txn, obj, true, occurred, now).await?,
        "invoice.payment_failed" => {
            billing::invoice_settled(&txn, obj, false, occurred, now).await?
        }
        "charge.refunded" => billing::charge_refunded(&txn, obj, occurred, now).await?,
        _ => None,
    };
    let Some((user_id, before, after)) = change else {
        txn.commit().await?;
        return Ok(Outcome::Ignored);
    };
    if before != after {
        let (title, message) = if after {
            (
                "Subscription active",
                "Your FitCore subscription is active. Enjoy every workout and meal plan.",
            )
        } else {
            ("Subscription ended", "Your FitCore subscription has ended.")
        };
        notifications::create(
            &txn,
            now,
            user_id,
            "payment",
            title,
            message,
            serde_json::json!({"gateway": "stripe"}),
        )
        .await?;
        // The confirmation mail leaves only if this change commits.
        if let Some(u) = user::Entity::find_by_id(user_id).one(&txn).await? {
            let email = crate::platform::mail::action_email(
                &u.email,
                &format!("FitCore: {}", title.to_lowercase()),
                "Hello,",
                &[message],
                Some(("Open FitCore", &state.config.frontend_url)),
            );
            crate::platform::mail::queue(&txn, now, &email).await?;
        }
    }
    txn.commit().await?;
    state.wake_workers();
    match (before, after) {
        (false, true) => {
            state
                .events
                .publish(SubscriptionActivated { user_id })
                .await;
        }
        (true, false) => {
            state.events.publish(SubscriptionEnded { user_id }).await;
        }
        _ => {}
    }
    Ok(Outcome::Applied)
}

async fn find_user(txn: &DatabaseTransaction, id: Option<&str>) -> AppResult<Option<user::Model>> {
    match id.and_then(|s| s.parse::<i64>().ok()) {
        Some(id) => Ok(user::Entity::find_by_id(id).one(txn).await?),
        None => Ok(None),
    }
}

/// Saves the subscription and says whether it now grants access.
pub(super) async fn save_with_access(
    txn: &DatabaseTransaction,
    am: subscription::ActiveModel,
    now: DateTime<Utc>,
    before: bool,
) -> AppResult<bool> {
    let saved = am.save(txn).await?;
    Ok(saved
        .try_into_model()
        .map(|s| access_of(&s, now))
        .unwrap_or(before))
}

pub(super) async fn subscription_of<C: ConnectionTrait>(
    conn: &C,
    user_id: i64,
) -> AppResult<Option<subscription::Model>> {
    Ok(subscription::Entity::find()
        .filter(subscription::Column::UserId.eq(user_id))
        .one(conn)
        .await?)
}

fn blank(user_id: i64, now: DateTime<Utc>) -> subscription::ActiveModel {
    subscription::ActiveModel {
        user_id: Set(user_id),
        status: Set("inactive".into()),
        cancel_at_period_end: Set(false),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
}

/// Returns (user, had access before, has access after).
async fn checkout_completed(
    txn: &DatabaseTransaction,
    obj: &Value,
    occurred: DateTime<Utc>,
    now: DateTime<Utc>,
) -> AppResult<Option<(i64, bool, bool)>> {
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
) -> AppResult<Option<(i64, bool, bool)>> {
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
            if s.gateway_state_at.is_some_and(|seen| seen > occurred) {
                // A newer state is already applied; this event arrived late.
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
