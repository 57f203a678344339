//! Gateway webhooks. Each is verified the gateway's way, each event id is
//! applied once (stored under a unique constraint in the same transaction
//! as its effect), and subscription state is applied by the gateway's own
//! time so a late or repeated event never rolls a subscription back.
//! What follows is shared by the Stripe and PayPal handlers.

mod paypal;
mod stripe;
mod stripe_billing;

pub use paypal::handle_paypal;
pub use stripe::{handle_stripe, map_status};

use super::{
    SubscriptionActivated, SubscriptionEnded,
    entity::{payment_event, subscription, transaction},
    service::access_of,
};
use crate::{accounts::entity::user, app::AppState, error::AppResult, notifications};
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction,
    EntityTrait, QueryFilter, TransactionTrait, TryIntoModel,
};
use serde_json::Value;

#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    Applied,
    /// Seen before: acknowledged, nothing done again.
    Duplicate,
    /// Acknowledged: a type we do not act on, an unknown customer, or a
    /// state older than the one already applied.
    Ignored,
}

/// What an event did to a user's access: (user, had access, has access).
pub(super) type Change = Option<(i64, bool, bool)>;

pub(super) fn ts(v: &Value) -> Option<DateTime<Utc>> {
    v.as_i64().and_then(|t| DateTime::from_timestamp(t, 0))
}

pub(super) fn str_of<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str).filter(|s| !s.is_empty())
}

/// Opens the event's transaction and stores its id; None when the id was
/// stored before (the event is a replay).
pub(super) async fn begin_event(
    state: &AppState,
    gateway: &str,
    event_id: &str,
    kind: &str,
    occurred: DateTime<Utc>,
    payload: &Value,
) -> AppResult<Option<DatabaseTransaction>> {
    let now = state.now();
    let txn = state.db.begin().await?;
    let recorded = payment_event::ActiveModel {
        gateway: Set(gateway.into()),
        event_id: Set(event_id.into()),
        event_type: Set(kind.into()),
        occurred_at: Set(occurred),
        payload: Set(payload.clone()),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await;
    match recorded {
        Ok(_) => Ok(Some(txn)),
        Err(e) if crate::platform::db::is_unique_violation(&e) => {
            txn.rollback().await?;
            Ok(None)
        }
        Err(e) => Err(e.into()),
    }
}

/// Commits the event; when access changed, a `payment` notification and a
/// confirmation e-mail go in the same transaction and the matching event is
/// published after it.
pub(super) async fn finish_event(
    state: &AppState,
    txn: DatabaseTransaction,
    gateway: &str,
    change: Change,
) -> AppResult<Outcome> {
    let Some((user_id, before, after)) = change else {
        txn.commit().await?;
        return Ok(Outcome::Ignored);
    };
    let now = state.now();
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
            serde_json::json!({"gateway": gateway}),
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

/// One ledger row, as a gateway reported it.
pub(super) struct LedgerEntry<'a> {
    pub user_id: i64,
    pub plan: Option<String>,
    pub amount_minor: i64,
    pub currency: &'a str,
    pub status: &'a str,
    pub gateway: &'a str,
    pub gateway_id: Option<&'a str>,
    pub raw: &'a Value,
}

pub(super) async fn add_to_ledger(
    txn: &DatabaseTransaction,
    e: LedgerEntry<'_>,
    now: DateTime<Utc>,
) -> AppResult<()> {
    transaction::ActiveModel {
        user_id: Set(Some(e.user_id)),
        plan_at_purchase: Set(e.plan),
        amount_minor: Set(e.amount_minor),
        currency: Set(e.currency.to_lowercase()),
        status: Set(e.status.into()),
        gateway: Set(Some(e.gateway.into())),
        gateway_transaction_id: Set(e.gateway_id.map(String::from)),
        gateway_response: Set(Some(e.raw.clone())),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    Ok(())
}

/// True when the ledger already holds this gateway payment as `status`.
pub(super) async fn in_ledger(
    txn: &DatabaseTransaction,
    gateway_id: &str,
    status: &str,
) -> AppResult<bool> {
    Ok(transaction::Entity::find()
        .filter(transaction::Column::GatewayTransactionId.eq(gateway_id))
        .filter(transaction::Column::Status.eq(status))
        .one(txn)
        .await?
        .is_some())
}

pub(super) async fn find_user(
    txn: &DatabaseTransaction,
    id: Option<&str>,
) -> AppResult<Option<user::Model>> {
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

pub(super) fn blank(user_id: i64, now: DateTime<Utc>) -> subscription::ActiveModel {
    subscription::ActiveModel {
        user_id: Set(user_id),
        status: Set("inactive".into()),
        cancel_at_period_end: Set(false),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
}

/// A lifetime purchase outranks any monthly event that arrives after it.
pub(super) fn is_lifetime(s: &subscription::Model) -> bool {
    s.plan.as_deref() == Some("lifetime") && s.status == "active"
}
