//! Checkout, cancel, resume and the billing portal at the gateway.
//! Access itself starts and ends with the gateway's webhooks.

use super::{
    dto::SubscriptionResponse,
    entity::subscription,
    paypal::PaypalClient,
    service::{access_of, subscription_response},
    stripe::StripeClient,
};
use crate::{
    accounts::entity::user,
    app::AppState,
    error::{AppError, AppResult, FieldErrors},
};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Clone, Copy, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Plan {
    Monthly,
    Lifetime,
}

#[derive(Debug, Clone, Copy, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Gateway {
    Stripe,
    Paypal,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckoutRequest {
    pub plan: Plan,
    pub gateway: Gateway,
    pub success_url: String,
    pub cancel_url: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CheckoutResponse {
    pub checkout_url: String,
    pub session_id: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PortalResponse {
    pub url: String,
}

fn valid_return_url(u: &str) -> bool {
    u.len() <= 2000
        && url::Url::parse(u)
            .is_ok_and(|p| matches!(p.scheme(), "http" | "https") && p.host().is_some())
}

fn paypal(state: &AppState) -> AppResult<PaypalClient<'_>> {
    PaypalClient::from_state(state)
        .ok_or_else(|| AppError::unavailable("PayPal is not configured."))
}

fn stripe(state: &AppState) -> AppResult<StripeClient<'_>> {
    StripeClient::from_state(state)
        .ok_or_else(|| AppError::unavailable("Stripe is not configured."))
}

async fn subscription_row(
    state: &AppState,
    user_id: i64,
) -> AppResult<Option<subscription::Model>> {
    Ok(subscription::Entity::find()
        .filter(subscription::Column::UserId.eq(user_id))
        .one(&state.db)
        .await?)
}

pub async fn checkout(
    state: &AppState,
    u: &user::Model,
    req: CheckoutRequest,
) -> AppResult<CheckoutResponse> {
    let mut errors = FieldErrors::new();
    if !valid_return_url(&req.success_url) {
        errors.add("success_url", "Enter a valid http(s) URL.");
    }
    if !valid_return_url(&req.cancel_url) {
        errors.add("cancel_url", "Enter a valid http(s) URL.");
    }
    errors.into_result()?;
    let plan = match req.plan {
        Plan::Monthly => "monthly",
        Plan::Lifetime => "lifetime",
    };
    let now = state.now();
    let existing = subscription_row(state, u.id).await?;
    if let Some(s) = &existing
        && access_of(s, now)
        && (s.plan.as_deref() == Some("lifetime") || plan == "monthly")
    {
        return Err(AppError::conflict(
            "conflict",
            "You already have an active subscription.",
        ));
    }
    match req.gateway {
        Gateway::Stripe => stripe_checkout(state, u, &req, existing).await,
        Gateway::Paypal => paypal_checkout(state, u, &req).await,
    }
}

fn no_approval_link() -> AppError {
    AppError::new(
        axum::http::StatusCode::BAD_GATEWAY,
        "bad_gateway",
        "The payment provider sent no checkout URL.",
    )
}

/// A PayPal subscription (monthly) or order (lifetime); the user id rides
/// in `custom_id` so the webhook finds the buyer.
async fn paypal_checkout(
    state: &AppState,
    u: &user::Model,
    req: &CheckoutRequest,
) -> AppResult<CheckoutResponse> {
    let client = paypal(state)?;
    let request_id = format!("fitcore-checkout-{}", uuid::Uuid::new_v4().simple());
    let created = match req.plan {
        Plan::Monthly => {
            let plan_id = state.config.paypal_plan_monthly.as_deref().ok_or_else(|| {
                AppError::unavailable("The monthly plan has no PayPal plan configured.")
            })?;
            client
                .create_subscription(
                    plan_id,
                    u.id,
                    &u.email,
                    &req.success_url,
                    &req.cancel_url,
                    &request_id,
                )
                .await?
        }
        Plan::Lifetime => {
            let price = state
                .config
                .paypal_price_lifetime
                .as_deref()
                .ok_or_else(|| {
                    AppError::unavailable("The lifetime plan has no PayPal price configured.")
                })?;
            client
                .create_order(
                    u.id,
                    price,
                    &state.config.paypal_currency,
                    &req.success_url,
                    &req.cancel_url,
                    &request_id,
                )
                .await?
        }
    };
    let checkout_url = created
        .approve_url()
        .ok_or_else(no_approval_link)?
        .to_string();
    Ok(CheckoutResponse {
        checkout_url,
        session_id: created.id,
    })
}

async fn stripe_checkout(
    state: &AppState,
    u: &user::Model,
    req: &CheckoutRequest,
    existing: Option<subscription::Model>,
) -> AppResult<CheckoutResponse> {
    let client = stripe(state)?;
    let now = state.now();
    let (plan, price) = match req.plan {
        Plan::Monthly => ("monthly", state.config.stripe_price_monthly.as_deref()),
        Plan::Lifetime => ("lifetime", state.config.stripe_price_lifetime.as_deref()),
    };
    let price = price.ok_or_else(|| {
        AppError::unavailable(format!("The {plan} plan has no Stripe price configured."))
    })?;
    let customer = match existing
        .as_ref()
        .and_then(|s| s.gateway_customer_id.clone())
    {
        Some(c) => c,
        None => {
            let created = client.create_customer(&u.email, u.id).await?;
            let mut am: subscription::ActiveModel = match existing {
                Some(s) => s.into(),
                None => subscription::ActiveModel {
                    user_id: Set(u.id),
                    status: Set("inactive".into()),
                    cancel_at_period_end: Set(false),
                    created_at: Set(now),
                    ..Default::default()
                },
            };
            am.gateway_customer_id = Set(Some(created.id.clone()));
            am.updated_at = Set(now);
            am.save(&state.db).await?;
            created.id
        }
    };
    let key = format!("fitcore-checkout-{}", uuid::Uuid::new_v4().simple());
    let session = client
        .create_checkout_session(
            &customer,
            u.id,
            plan,
            price,
            &req.success_url,
            &req.cancel_url,
            &key,
        )
        .await?;
    let checkout_url = session.url.ok_or_else(no_approval_link)?;
    Ok(CheckoutResponse {
        checkout_url,
        session_id: session.id,
    })
}

/// Sets or clears cancel-at-period-end at Stripe, then here.
pub async fn set_cancel(
    state: &AppState,
    u: &user::Model,
    cancel: bool,
) -> AppResult<SubscriptionResponse> {
    let now = state.now();
    let nothing = || {
        let what = if cancel { "cancel" } else { "resume" };
        AppError::conflict("conflict", format!("There is no subscription to {what}."))
    };
    let s = subscription_row(state, u.id).await?.ok_or_else(nothing)?;
    let eligible = s.plan.as_deref() == Some("monthly")
        && matches!(s.gateway.as_deref(), Some("stripe" | "paypal"))
        && s.gateway_subscription_id.is_some()
        && access_of(&s, now)
        && s.cancel_at_period_end != cancel
        && (s.status == "active" || s.status == "past_due" || (!cancel && s.status == "cancelled"));
    if !eligible {
        return Err(nothing());
    }
    let sub_id = s.gateway_subscription_id.clone().unwrap_or_default();
    let cancel_at_period_end = if s.gateway.as_deref() == Some("paypal") {
        // PayPal has no cancel-at-period-end: a suspended subscription bills
        // no more and can be activated again, which is what resume needs.
        let (action, reason) = if cancel {
            ("suspend", "Cancelled at period end by the subscriber")
        } else {
            ("activate", "Resumed by the subscriber")
        };
        paypal(state)?.transition(&sub_id, action, reason).await?;
        cancel
    } else {
        let key = format!(
            "fitcore-cancel-{}-{}-{}",
            sub_id,
            cancel,
            uuid::Uuid::new_v4().simple()
        );
        stripe(state)?
            .set_cancel_at_period_end(&sub_id, cancel, &key)
            .await?
            .cancel_at_period_end
    };
    let mut am: subscription::ActiveModel = s.into();
    am.cancel_at_period_end = Set(cancel_at_period_end);
    am.updated_at = Set(now);
    am.update(&state.db).await?;
    Ok(subscription_response(&state.db, u.id, now).await?)
}

pub async fn portal(state: &AppState, u: &user::Model) -> AppResult<PortalResponse> {
    let no_account = || {
        AppError::conflict(
            "conflict",
            "There is no billing account yet; subscribe first.",
        )
    };
    let s = subscription_row(state, u.id)
        .await?
        .ok_or_else(no_account)?;
    if s.gateway.as_deref() == Some("paypal") {
        // PayPal has no portal API; subscribers manage automatic payments
        // on their PayPal account page.
        let web = if state.config.paypal_api_base.contains("sandbox") {
            "https://www.sandbox.paypal.com"
        } else {
            "https://www.paypal.com"
        };
        return Ok(PortalResponse {
            url: format!("{web}/myaccount/autopay/"),
        });
    }
    let customer = s.gateway_customer_id.ok_or_else(no_account)?;
    let key = format!("fitcore-portal-{}", uuid::Uuid::new_v4().simple());
    let session = stripe(state)?
        .create_portal_session(&customer, &state.config.frontend_url, &key)
        .await?;
    Ok(PortalResponse { url: session.url })
}
