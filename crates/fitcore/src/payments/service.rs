use super::{
    dto::{SubscriptionResponse, TransactionResponse},
    entity::{subscription, transaction},
};
use crate::{
    error::AppResult,
    platform::pagination::{CursorParams, QueryMap, fetch_newest_first},
};
use chrono::{DateTime, Duration, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder};

/// How long a past-due subscription keeps access after its end date.
pub const GRACE: Duration = Duration::days(3);

/// API.md's rule: lifetime + active; monthly + active or cancelled with an
/// end date in the future; past_due before end date + grace.
pub fn access_of(s: &subscription::Model, now: DateTime<Utc>) -> bool {
    access_from(s.plan.as_deref(), &s.status, s.end_date, now)
}

/// `access_of` from the three columns it reads.
pub fn access_from(
    plan: Option<&str>,
    status: &str,
    end_date: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> bool {
    match (plan, status) {
        (Some("lifetime"), "active") => true,
        (Some("monthly"), "active" | "cancelled") => end_date.is_some_and(|e| e > now),
        (_, "past_due") => end_date.is_some_and(|e| now < e + GRACE),
        _ => false,
    }
}

pub async fn has_active_access<C: ConnectionTrait>(
    db: &C,
    user_id: i64,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let sub = subscription::Entity::find()
        .filter(subscription::Column::UserId.eq(user_id))
        .one(db)
        .await?;
    Ok(sub.is_some_and(|s| access_of(&s, now)))
}

pub async fn subscription_response<C: ConnectionTrait>(
    db: &C,
    user_id: i64,
    now: DateTime<Utc>,
) -> Result<SubscriptionResponse, DbErr> {
    let sub = subscription::Entity::find()
        .filter(subscription::Column::UserId.eq(user_id))
        .one(db)
        .await?;
    Ok(response_of(sub, now))
}

/// The subscription as the API shows it (`None`: never subscribed).
pub fn response_of(sub: Option<subscription::Model>, now: DateTime<Utc>) -> SubscriptionResponse {
    match sub {
        Some(s) => SubscriptionResponse {
            has_active_access: access_of(&s, now),
            plan: s.plan,
            status: s.status,
            start_date: s.start_date,
            end_date: s.end_date,
            gateway: s.gateway,
            cancel_at_period_end: s.cancel_at_period_end,
        },
        None => SubscriptionResponse {
            plan: None,
            status: "inactive".into(),
            start_date: None,
            end_date: None,
            gateway: None,
            cancel_at_period_end: false,
            has_active_access: false,
        },
    }
}

pub fn format_amount(minor: i64) -> String {
    let sign = if minor < 0 { "-" } else { "" };
    let m = minor.unsigned_abs();
    format!("{sign}{}.{:02}", m / 100, m % 100)
}

/// A gateway's decimal amount ("9.99", "10", "10.5") in minor units.
/// None for anything else: negative, more than two decimals, not a number.
pub fn parse_amount_minor(s: &str) -> Option<i64> {
    let s = s.trim();
    let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
    let digits = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || whole.len() > 12 || frac.len() > 2 || !digits(whole) || !digits(frac) {
        return None;
    }
    let cents = format!("{frac:0<2}").parse::<i64>().ok()?;
    whole
        .parse::<i64>()
        .ok()?
        .checked_mul(100)?
        .checked_add(cents)
}

pub const CANCEL_AT_GATEWAY_JOB: &str = "payments.cancel_at_gateway";

/// Queues the cancellation of the user's gateway subscription, inside the
/// caller's transaction (account deletion): the person stops being billed
/// exactly when the account is gone, and the job retries until the gateway
/// confirms.
pub async fn queue_gateway_cancellation<C: ConnectionTrait>(
    conn: &C,
    user_id: i64,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let sub = subscription::Entity::find()
        .filter(subscription::Column::UserId.eq(user_id))
        .one(conn)
        .await?;
    let Some(sub) = sub else { return Ok(false) };
    let live = matches!(sub.status.as_str(), "active" | "past_due")
        && sub.plan.as_deref() == Some("monthly");
    match (sub.gateway.as_deref(), sub.gateway_subscription_id, live) {
        (Some(gateway), Some(id), true) => {
            let payload = serde_json::json!({"gateway": gateway, "subscription_id": id});
            crate::platform::jobs::enqueue(
                conn,
                now,
                crate::platform::jobs::NewJob::new(CANCEL_AT_GATEWAY_JOB, payload),
            )
            .await?;
            Ok(true)
        }
        _ => Ok(false),
    }
}

/// The job behind [`queue_gateway_cancellation`].
pub async fn run_cancel_at_gateway(
    state: crate::app::AppState,
    payload: serde_json::Value,
) -> anyhow::Result<Option<serde_json::Value>> {
    let id = payload["subscription_id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    match payload["gateway"].as_str() {
        Some("stripe") => {
            let client = super::stripe::StripeClient::from_state(&state)
                .ok_or_else(|| anyhow::anyhow!("STRIPE_SECRET_KEY is not set"))?;
            client
                .cancel_now(&id)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            Ok(Some(serde_json::json!({"cancelled": id})))
        }
        Some("paypal") => {
            let client = super::paypal::PaypalClient::from_state(&state)
                .ok_or_else(|| anyhow::anyhow!("PAYPAL_CLIENT_ID is not set"))?;
            client
                .transition(&id, "cancel", "Cancelled by FitCore")
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            Ok(Some(serde_json::json!({"cancelled": id})))
        }
        other => anyhow::bail!("cannot cancel at unknown gateway {other:?}"),
    }
}

/// A ledger row as the API shows it; `with_raw` adds the gateway's answer (staff).
pub fn transaction_response(t: transaction::Model, with_raw: bool) -> TransactionResponse {
    TransactionResponse {
        id: t.id,
        plan_at_purchase: t.plan_at_purchase,
        amount: format_amount(t.amount_minor),
        currency: t.currency,
        status: t.status,
        gateway: t.gateway,
        gateway_transaction_id: t.gateway_transaction_id,
        gateway_response: if with_raw { t.gateway_response } else { None },
        created_at: t.created_at,
    }
}

/// Every transaction of a user, oldest first (data export).
pub async fn transactions_of<C: ConnectionTrait>(
    db: &C,
    user_id: i64,
) -> Result<Vec<TransactionResponse>, DbErr> {
    let rows = transaction::Entity::find()
        .filter(transaction::Column::UserId.eq(user_id))
        .order_by_asc(transaction::Column::Id)
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|t| transaction_response(t, false))
        .collect())
}

/// One newest-first page of a user's transactions.
pub async fn list_transactions<C: ConnectionTrait>(
    db: &C,
    user_id: i64,
    q: &QueryMap,
    p: CursorParams,
) -> AppResult<(Vec<transaction::Model>, bool)> {
    q.only(&["cursor", "page_size"])?;
    let select = transaction::Entity::find().filter(transaction::Column::UserId.eq(user_id));
    Ok(fetch_newest_first(
        select,
        transaction::Column::CreatedAt,
        transaction::Column::Id,
        p,
        db,
    )
    .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sub(plan: Option<&str>, status: &str, end: Option<DateTime<Utc>>) -> subscription::Model {
        let now = Utc::now();
        subscription::Model {
            id: 1,
            user_id: 1,
            plan: plan.map(String::from),
            status: status.into(),
            start_date: None,
            end_date: end,
            gateway: None,
            gateway_subscription_id: None,
            gateway_customer_id: None,
            cancel_at_period_end: false,
            gateway_state_at: None,
            created_at: now,
            updated_at: now,
        }
    }

    #[test]
    fn access_follows_the_contract_table() {
        let now = Utc::now();
        let future = Some(now + Duration::days(5));
        let past = Some(now - Duration::days(1));
        let cases = [
            (sub(Some("lifetime"), "active", None), true),
            (sub(Some("lifetime"), "cancelled", None), false),
            (sub(Some("monthly"), "active", future), true),
            (sub(Some("monthly"), "active", past), false),
            (sub(Some("monthly"), "cancelled", future), true),
            (sub(Some("monthly"), "cancelled", past), false),
            (sub(Some("monthly"), "past_due", past), true),
            (
                sub(Some("monthly"), "past_due", Some(now - Duration::days(4))),
                false,
            ),
            (sub(Some("monthly"), "inactive", future), false),
            (sub(None, "inactive", None), false),
        ];
        for (i, (s, expected)) in cases.iter().enumerate() {
            assert_eq!(access_of(s, now), *expected, "case {i}");
        }
    }

    #[test]
    fn amounts_are_two_place_decimal_strings() {
        assert_eq!(format_amount(999), "9.99");
        assert_eq!(format_amount(5), "0.05");
        assert_eq!(format_amount(-1250), "-12.50");
    }

    #[test]
    fn gateway_decimal_strings_become_minor_units() {
        assert_eq!(parse_amount_minor("9.99"), Some(999));
        assert_eq!(parse_amount_minor("10"), Some(1000));
        assert_eq!(parse_amount_minor("10.5"), Some(1050));
        assert_eq!(parse_amount_minor("0.05"), Some(5));
        for bad in ["", "-1.00", "1.234", "abc", "1e3", ".5", "99999999999999"] {
            assert_eq!(parse_amount_minor(bad), None, "{bad}");
        }
    }
}
