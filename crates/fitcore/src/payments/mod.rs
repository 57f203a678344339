//! Payments: subscriptions on Stripe and PayPal (checkout, cancel, resume,
//! portal, webhooks), the transaction ledger and the entitlement rule every
//! context asks.

pub mod checkout;
pub mod dto;
pub mod entity;
mod handlers;
pub mod paypal;
pub mod service;
pub mod stripe;
pub mod stripe_signature;
pub mod webhooks;

use crate::app::AppState;
use utoipa_axum::{router::OpenApiRouter, routes};

pub use service::{access_from, has_active_access, response_of, subscription_response};

/// Published after a user gains access (payment, activation).
#[derive(Debug, Clone)]
pub struct SubscriptionActivated {
    pub user_id: i64,
}

/// Published after a user loses access (cancellation ended, refund, deletion).
#[derive(Debug, Clone)]
pub struct SubscriptionEnded {
    pub user_id: i64,
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(handlers::get_subscription))
        .routes(routes!(handlers::list_transactions))
        .routes(routes!(handlers::stripe_webhook))
        .routes(routes!(handlers::paypal_webhook))
        .routes(routes!(handlers::create_checkout))
        .routes(routes!(handlers::cancel_subscription))
        .routes(routes!(handlers::resume_subscription))
        .routes(routes!(handlers::billing_portal))
}
