use super::checkout::{self, CheckoutRequest, CheckoutResponse, PortalResponse};
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
use axum::{
    body::Bytes,
    extract::State,
    http::{HeaderMap, StatusCode},
};

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

/// PayPal events, verified the way PayPal documents: the
/// `PAYPAL-TRANSMISSION-*`, `PAYPAL-AUTH-ALGO` and `PAYPAL-CERT-URL` headers
/// and the exact body go to PayPal's verify-webhook-signature call. Each
/// event id is applied once; subscription activated, updated, suspended,
/// cancelled, payment failed, sale completed (renewal), order approved
/// (captured here), capture completed and refunds are handled; other types
/// are acknowledged.
#[utoipa::path(post, path = "/payments/webhooks/paypal/", tag = "payments",
    request_body(content = Object, description = "A PayPal webhook event"),
    responses((status = 200, body = WebhookAck),
        (status = 400, body = ErrorBody, description = "`invalid_signature` or `malformed_json`"),
        (status = 503, body = ErrorBody, description = "PayPal could not be asked; PayPal delivers the event again")))]
pub async fn paypal_webhook(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> AppResult<AppJson<WebhookAck>> {
    let outcome = super::webhooks::handle_paypal(&state, &headers, &body).await?;
    Ok(AppJson(WebhookAck {
        received: true,
        duplicate: outcome == super::webhooks::Outcome::Duplicate,
    }))
}

/// Starts a checkout at the gateway and returns where to send the user.
/// Stripe: a Checkout Session (mode `subscription` for monthly, `payment`
/// for lifetime). PayPal: a subscription (monthly) or an order (lifetime);
/// `checkout_url` is PayPal's approval link and `session_id` the PayPal
/// subscription or order id.
/// Access starts when the gateway's webhook confirms the payment.
#[utoipa::path(post, path = "/payments/subscriptions/checkout/", tag = "payments", request_body = CheckoutRequest,
    responses(
        (status = 201, body = CheckoutResponse),
        (status = 400, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "Already subscribed"),
        (status = 502, body = ErrorBody, description = "The gateway failed"),
        (status = 503, body = ErrorBody, description = "The gateway is unreachable or not configured"),
    ),
    security(("bearer" = [])))]
pub async fn create_checkout(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    AppJson(req): AppJson<CheckoutRequest>,
) -> AppResult<(StatusCode, AppJson<CheckoutResponse>)> {
    Ok((
        StatusCode::CREATED,
        AppJson(checkout::checkout(&state, &user, req).await?),
    ))
}

/// Cancels at the end of the paid period (at the gateway too).
#[utoipa::path(post, path = "/payments/subscriptions/cancel/", tag = "payments",
    responses((status = 200, body = SubscriptionResponse), (status = 409, body = ErrorBody, description = "Nothing to cancel")),
    security(("bearer" = [])))]
pub async fn cancel_subscription(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
) -> AppResult<AppJson<SubscriptionResponse>> {
    Ok(AppJson(checkout::set_cancel(&state, &user, true).await?))
}

/// Undoes a pending cancellation.
#[utoipa::path(post, path = "/payments/subscriptions/resume/", tag = "payments",
    responses((status = 200, body = SubscriptionResponse), (status = 409, body = ErrorBody, description = "Nothing to resume")),
    security(("bearer" = [])))]
pub async fn resume_subscription(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
) -> AppResult<AppJson<SubscriptionResponse>> {
    Ok(AppJson(checkout::set_cancel(&state, &user, false).await?))
}

/// Where the caller manages billing: a Stripe billing-portal session, or
/// PayPal's automatic-payments page for PayPal subscribers.
#[utoipa::path(post, path = "/payments/subscriptions/portal/", tag = "payments",
    responses((status = 200, body = PortalResponse), (status = 409, body = ErrorBody, description = "No billing account yet")),
    security(("bearer" = [])))]
pub async fn billing_portal(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
) -> AppResult<AppJson<PortalResponse>> {
    Ok(AppJson(checkout::portal(&state, &user).await?))
}
