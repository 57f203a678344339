//! Payments: subscriptions, the transaction ledger and the entitlement rule
//! every context asks. The gateways (Stripe, PayPal), checkout and webhook
//! handling come with the payments issue; this holds the read side and the
//! pieces they build on.

pub mod dto;
pub mod entity;
mod handlers;
pub mod service;
pub mod stripe_signature;

use crate::app::AppState;
use utoipa_axum::{router::OpenApiRouter, routes};

pub use service::{has_active_access, subscription_response};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(handlers::get_subscription))
        .routes(routes!(handlers::list_transactions))
}
