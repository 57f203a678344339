//! Payments: subscriptions and the transaction ledger. This issue ships the
//! tables and the entitlement rule every context asks; the gateways,
//! checkout and webhooks come with the payments issue.

pub mod dto;
pub mod entity;
pub mod service;

pub use service::{has_active_access, subscription_response};
