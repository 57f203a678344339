use super::{
    dto::{SubscriptionResponse, TransactionPage, TransactionResponse},
    service,
};
use crate::{
    app::AppState,
    error::{AppResult, ErrorBody},
    extract::{AppJson, AuthUser, Query, RequestUrl},
    platform::pagination::{CursorKey, CursorPage, CursorParams},
};
use axum::{body::Bytes, extract::State, http::HeaderMap};

/// The caller's subscription (an inactive one when there is none).
#[utoipa::path(get, path = "/payments/subscriptions/", tag = "payments",
    responses((status = 200, body = SubscriptionResponse), (status = 401, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn get_subscription(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
) -> AppResult<AppJson<SubscriptionResponse>> {
    Ok(AppJson(
        service::subscription_response(&state.db, user.id, state.now()).await?,
    ))
}

/// The caller's payments, refunds and failures, newest first. The gateway's
/// raw answer (`gateway_response`) is shown to staff only.
#[utoipa::path(get, path = "/payments/transactions/", tag = "payments",
    params(
        ("cursor" = Option<String>, Query, description = "Opaque cursor from `next`/`previous`"),
        ("page_size" = Option<u64>, Query, description = "1-100, default 50"),
    ),
    responses((status = 200, body = TransactionPage), (status = 400, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn list_transactions(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Query(q): Query,
    RequestUrl(url): RequestUrl,
) -> AppResult<AppJson<CursorPage<TransactionResponse>>> {
    let p = CursorParams::from_query(&q, 50)?;
    let (rows, more) = service::list_transactions(&state.db, user.id, &q, p).await?;
    let rows: Vec<TransactionResponse> = rows
        .into_iter()
        .map(|t| service::transaction_response(t, user.is_staff))
        .collect();
    Ok(AppJson(CursorPage::newest_first(
        rows,
        more,
        |t| CursorKey::new(t.created_at, t.id),
        p,
        &url,
        &q,
    )))
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct WebhookAck {
    pub received: bool,
    /// True when this event id was applied before.
    pub duplicate: bool,
}

/// Stripe events. Verified over the raw body with `Stripe-Signature`
/// (HMAC-SHA256 of `"{t}.{body}"`, any `v1`, 5-minute tolerance); each event
/// id is applied once; unknown types and customers are acknowledged.
#[utoipa::path(post, path = "/payments/webhooks/stripe/", tag = "payments",
    request_body(content = Object, description = "A Stripe event object"),
    responses((status = 200, body = WebhookAck), (status = 400, body = ErrorBody, description = "`invalid_signature` or `malformed_json`")))]
pub async fn stripe_webhook(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> AppResult<AppJson<WebhookAck>> {
    let signature = headers
        .get("stripe-signature")
        .and_then(|v| v.to_str().ok());
    let outcome = super::webhooks::handle_stripe(&state, signature, &body).await?;
    Ok(AppJson(WebhookAck {
        received: true,
        duplicate: outcome == super::webhooks::Outcome::Duplicate,
    }))
}
