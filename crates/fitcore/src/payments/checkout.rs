//! Checkout, cancel, resume and the billing portal at the gateway.
//! PayPal's side comes in a later step; asking for it is a clear 503.

use super::{
    dto::SubscriptionResponse,
    entity::subscription,
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
    if req.gateway == Gateway::Paypal {
        return Err(AppError::unavailable(
            "PayPal checkout is not available yet; use Stripe.",
        ));
    }
    let client = stripe(state)?;
    let (plan, price) = match req.plan {
        Plan::Monthly => ("monthly", state.config.stripe_price_monthly.as_deref()),
        Plan::Lifetime => ("lifetime", state.config.stripe_price_lifetime.as_deref()),
    };
    let price = price.ok_or_else(|| {
        AppError::unavailable(format!("The {plan} plan has no Stripe price configured."))
    })?;
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
    let checkout_url = session.url.ok_or_else(|| {
        AppError::new(
            axum::http::StatusCode::BAD_GATEWAY,
            "bad_gateway",
            "The payment provider sent no checkout URL.",
        )
    })?;
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
        && s.gateway.as_deref() == Some("stripe")
        && s.gateway_subscription_id.is_some()
        && access_of(&s, now)
        && s.cancel_at_period_end != cancel
        && (s.status == "active" || s.status == "past_due" || (!cancel && s.status == "cancelled"));
    if !eligible {
        return Err(nothing());
    }
    let sub_id = s.gateway_subscription_id.clone().unwrap_or_default();
    let key = format!(
        "fitcore-cancel-{}-{}-{}",
        sub_id,
        cancel,
        uuid::Uuid::new_v4().simple()
    );
    let remote = stripe(state)?
        .set_cancel_at_period_end(&sub_id, cancel, &key)
        .await?;
    let mut am: subscription::ActiveModel = s.into();
    am.cancel_at_period_end = Set(remote.cancel_at_period_end);
    am.updated_at = Set(now);
    am.update(&state.db).await?;
    Ok(subscription_response(&state.db, u.id, now).await?)
}

pub async fn portal(state: &AppState, u: &user::Model) -> AppResult<PortalResponse> {
    let customer = subscription_row(state, u.id)
        .await?
        .and_then(|s| s.gateway_customer_id)
        .ok_or_else(|| {
            AppError::conflict(
                "conflict",
                "There is no billing account yet; subscribe first.",
            )
        })?;
    let key = format!("fitcore-portal-{}", uuid::Uuid::new_v4().simple());
    let session = stripe(state)?
        .create_portal_session(&customer, &state.config.frontend_url, &key)
        .await?;
    Ok(PortalResponse { url: session.url })
}
