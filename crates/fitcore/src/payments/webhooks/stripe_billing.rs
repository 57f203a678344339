//! Invoices and refunds: every payment, renewal, failure and refund becomes
//! a ledger row; renewals extend the period, failures start the grace
//! period, and a refunded lifetime purchase ends access.

use super::{Change, LedgerEntry, add_to_ledger, save_with_access, str_of, ts};
use crate::{
    error::AppResult,
    payments::{
        entity::{subscription, transaction},
        service::access_of,
    },
};
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter,
    QueryOrder,
};
use serde_json::Value;

/// The subscription an invoice bills: by subscription id (older and newer
/// API shapes), else by customer, else by the user id in its metadata.
async fn billed_subscription(
    txn: &DatabaseTransaction,
    invoice: &Value,
    now: DateTime<Utc>,
) -> AppResult<Option<subscription::Model>> {
    let sub_id = str_of(invoice, "subscription").or_else(|| {
        invoice
            .pointer("/parent/subscription_details/subscription")
            .and_then(Value::as_str)
    });
    if let Some(id) = sub_id
        && let Some(s) = subscription::Entity::find()
            .filter(subscription::Column::GatewaySubscriptionId.eq(id))
            .one(txn)
            .await?
    {
        return Ok(Some(s));
    }
    if let Some(c) = str_of(invoice, "customer")
        && let Some(s) = subscription::Entity::find()
            .filter(subscription::Column::GatewayCustomerId.eq(c))
            .one(txn)
            .await?
    {
        return Ok(Some(s));
    }
    // The invoice may come before any subscription event: Stripe copies the
    // subscription's metadata (our user id) onto it.
    let user_ref = [
        "/parent/subscription_details/metadata/user_id",
        "/subscription_details/metadata/user_id",
    ]
    .iter()
    .find_map(|p| invoice.pointer(p).and_then(Value::as_str))
    .and_then(|s| s.parse::<i64>().ok());
    let Some(user_id) = user_ref else {
        return Ok(None);
    };
    if crate::accounts::entity::user::Entity::find_by_id(user_id)
        .one(txn)
        .await?
        .is_none()
    {
        return Ok(None);
    }
    if let Some(s) = super::subscription_of(txn, user_id).await? {
        return Ok(Some(s));
    }
    let created = subscription::ActiveModel {
        user_id: Set(user_id),
        plan: Set(Some("monthly".into())),
        status: Set("inactive".into()),
        gateway: Set(Some("stripe".into())),
        gateway_subscription_id: Set(sub_id.map(String::from)),
        gateway_customer_id: Set(str_of(invoice, "customer").map(String::from)),
        cancel_at_period_end: Set(false),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    Ok(Some(created))
}

/// `invoice.paid` (`paid = true`) or `invoice.payment_failed`.
pub(super) async fn invoice_settled(
    txn: &DatabaseTransaction,
    invoice: &Value,
    paid: bool,
    occurred: DateTime<Utc>,
    now: DateTime<Utc>,
) -> AppResult<Change> {
    let Some(sub) = billed_subscription(txn, invoice, now).await? else {
        tracing::warn!(invoice = ?str_of(invoice, "id"), "invoice for an unknown subscription acknowledged");
        return Ok(None);
    };
    let user_id = sub.user_id;
    let before = access_of(&sub, now);
    let amount_key = if paid { "amount_paid" } else { "amount_due" };
    add_to_ledger(
        txn,
        LedgerEntry {
            user_id,
            plan: Some("monthly".into()),
            amount_minor: invoice.get(amount_key).and_then(Value::as_i64).unwrap_or(0),
            currency: str_of(invoice, "currency").unwrap_or("usd"),
            status: if paid { "succeeded" } else { "failed" },
            gateway: "stripe",
            gateway_id: str_of(invoice, "id"),
            raw: invoice,
        },
        now,
    )
    .await?;
    let period_end = invoice.pointer("/lines/data/0/period/end").and_then(ts);
    if sub.gateway_state_at.is_some_and(|seen| seen > occurred) || super::is_lifetime(&sub) {
        // A newer state (with its own period end) is already applied: the
        // payment is in the ledger, the state stays.
        return Ok(Some((user_id, before, before)));
    }
    let old_end = sub.end_date;
    let mut am: subscription::ActiveModel = sub.into();
    if paid
        && let Some(end) = period_end
        && old_end.is_none_or(|old| end > old)
    {
        am.end_date = Set(Some(end));
    }
    am.status = Set(if paid { "active" } else { "past_due" }.into());
    am.gateway_state_at = Set(Some(occurred));
    am.plan = Set(Some("monthly".into()));
    am.updated_at = Set(now);
    let after = save_with_access(txn, am, now, before).await?;
    Ok(Some((user_id, before, after)))
}

/// `charge.refunded`: a refund row in the ledger; refunding the lifetime
/// purchase ends access.
pub(super) async fn charge_refunded(
    txn: &DatabaseTransaction,
    charge: &Value,
    occurred: DateTime<Utc>,
    now: DateTime<Utc>,
) -> AppResult<Change> {
    let refs: Vec<&str> = ["payment_intent", "invoice", "id"]
        .iter()
        .filter_map(|k| str_of(charge, k))
        .collect();
    let original = transaction::Entity::find()
        .filter(transaction::Column::GatewayTransactionId.is_in(refs))
        .filter(transaction::Column::Status.eq("succeeded"))
        .order_by_desc(transaction::Column::Id)
        .one(txn)
        .await?;
    let Some(original) = original else {
        tracing::warn!(charge = ?str_of(charge, "id"), "refund of an unknown payment acknowledged");
        return Ok(None);
    };
    let Some(user_id) = original.user_id else {
        return Ok(None);
    };
    add_to_ledger(
        txn,
        LedgerEntry {
            user_id,
            plan: original.plan_at_purchase.clone(),
            amount_minor: charge
                .get("amount_refunded")
                .and_then(Value::as_i64)
                .unwrap_or(original.amount_minor),
            currency: str_of(charge, "currency").unwrap_or(&original.currency),
            status: "refunded",
            gateway: "stripe",
            gateway_id: str_of(charge, "id"),
            raw: charge,
        },
        now,
    )
    .await?;
    let Some(sub) = super::subscription_of(txn, user_id).await? else {
        return Ok(Some((user_id, false, false)));
    };
    let before = access_of(&sub, now);
    if original.plan_at_purchase.as_deref() != Some("lifetime")
        || sub.plan.as_deref() != Some("lifetime")
    {
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
