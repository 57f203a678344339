//! A small, typed Stripe client for the calls FitCore makes, over reqwest
//! with Stripe's form encoding. Every call carries an `Idempotency-Key`, so
//! a retried request never creates a second customer or session.

use crate::error::AppError;
use axum::http::StatusCode;
use serde::Deserialize;

pub struct StripeClient<'a> {
    pub http: &'a reqwest::Client,
    pub base: &'a str,
    pub secret_key: &'a str,
}

#[derive(Debug, Deserialize)]
pub struct Customer {
    pub id: String,
}

#[derive(Debug, Deserialize)]
pub struct CheckoutSession {
    pub id: String,
    pub url: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct PortalSession {
    pub url: String,
}

#[derive(Debug, Deserialize)]
pub struct Subscription {
    pub id: String,
    pub status: String,
    #[serde(default)]
    pub cancel_at_period_end: bool,
}

#[derive(Debug, Deserialize)]
struct ErrorEnvelope {
    error: ErrorDetail,
}

#[derive(Debug, Deserialize)]
struct ErrorDetail {
    #[serde(default)]
    message: Option<String>,
}

impl<'a> StripeClient<'a> {
    /// The configured client, or None when `STRIPE_SECRET_KEY` is unset.
    pub fn from_state(state: &'a crate::app::AppState) -> Option<Self> {
        let secret_key = state.config.stripe_secret_key.as_deref()?;
        Some(Self {
            http: &state.http,
            base: &state.config.stripe_api_base,
            secret_key,
        })
    }

    async fn post<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        form: &[(&str, String)],
        idempotency_key: &str,
    ) -> Result<T, AppError> {
        let url = format!("{}/v1/{path}", self.base.trim_end_matches('/'));
        let res = self
            .http
            .post(&url)
            .bearer_auth(self.secret_key)
            .header("Idempotency-Key", idempotency_key)
            .form(form)
            .send()
            .await
            .map_err(|e| {
                tracing::warn!(error = %e, path, "Stripe unreachable");
                AppError::unavailable("The payment provider cannot be reached; try again shortly.")
            })?;
        let status = res.status();
        if status.is_success() {
            return res.json::<T>().await.map_err(|e| {
                tracing::error!(error = %e, path, "unreadable Stripe answer");
                AppError::new(
                    StatusCode::BAD_GATEWAY,
                    "bad_gateway",
                    "The payment provider sent an unreadable answer.",
                )
            });
        }
        let message = res
            .json::<ErrorEnvelope>()
            .await
            .ok()
            .and_then(|e| e.error.message);
        tracing::warn!(status = %status, path, message = ?message, "Stripe refused a request");
        Err(AppError::new(
            StatusCode::BAD_GATEWAY,
            "bad_gateway",
            if status.is_server_error() {
                "The payment provider failed; try again shortly.".to_string()
            } else {
                format!(
                    "The payment provider refused the request{}.",
                    message.map(|m| format!(": {m}")).unwrap_or_default()
                )
            },
        ))
    }

    /// The subscription object as Stripe holds it now.
    pub async fn get_subscription(
        &self,
        subscription: &str,
    ) -> Result<serde_json::Value, AppError> {
        let url = format!(
            "{}/v1/subscriptions/{subscription}",
            self.base.trim_end_matches('/')
        );
        let res = self
            .http
            .get(&url)
            .bearer_auth(self.secret_key)
            .send()
            .await
            .map_err(|_| AppError::unavailable("The payment provider cannot be reached."))?;
        if !res.status().is_success() {
            return Err(AppError::new(
                StatusCode::BAD_GATEWAY,
                "bad_gateway",
                format!("Stripe answered {} for a subscription.", res.status()),
            ));
        }
        res.json().await.map_err(|_| {
            AppError::new(
                StatusCode::BAD_GATEWAY,
                "bad_gateway",
                "Stripe sent an unreadable subscription.",
            )
        })
    }

    /// Cancels a subscription at once (account deletion). A subscription
    /// Stripe no longer knows counts as cancelled.
    pub async fn cancel_now(&self, subscription: &str) -> Result<(), AppError> {
        let url = format!(
            "{}/v1/subscriptions/{subscription}",
            self.base.trim_end_matches('/')
        );
        let res = self
            .http
            .delete(&url)
            .bearer_auth(self.secret_key)
            .header(
                "Idempotency-Key",
                format!("fitcore-cancel-now-{subscription}"),
            )
            .send()
            .await
            .map_err(|_| AppError::unavailable("The payment provider cannot be reached."))?;
        if res.status().is_success() || res.status() == StatusCode::NOT_FOUND {
            return Ok(());
        }
        Err(AppError::new(
            StatusCode::BAD_GATEWAY,
            "bad_gateway",
            format!("Stripe answered {} to a cancellation.", res.status()),
        ))
    }

    pub async fn create_customer(&self, email: &str, user_id: i64) -> Result<Customer, AppError> {
        self.post(
            "customers",
            &[
                ("email", email.to_string()),
                ("metadata[user_id]", user_id.to_string()),
            ],
            &format!("fitcore-customer-{user_id}"),
        )
        .await
    }

    #[allow(clippy::too_many_arguments)]
    pub async fn create_checkout_session(
        &self,
        customer: &str,
        user_id: i64,
        plan: &str,
        price: &str,
        success_url: &str,
        cancel_url: &str,
        idempotency_key: &str,
    ) -> Result<CheckoutSession, AppError> {
        let mode = if plan == "lifetime" {
            "payment"
        } else {
            "subscription"
        };
        let mut form = vec![
            ("mode", mode.to_string()),
            ("customer", customer.to_string()),
            ("client_reference_id", user_id.to_string()),
            ("metadata[user_id]", user_id.to_string()),
            ("metadata[plan]", plan.to_string()),
            ("line_items[0][price]", price.to_string()),
            ("line_items[0][quantity]", "1".to_string()),
            ("success_url", success_url.to_string()),
            ("cancel_url", cancel_url.to_string()),
        ];
        if mode == "subscription" {
            form.push(("subscription_data[metadata][user_id]", user_id.to_string()));
        }
        self.post("checkout/sessions", &form, idempotency_key).await
    }

    pub async fn set_cancel_at_period_end(
        &self,
        subscription: &str,
        cancel: bool,
        idempotency_key: &str,
    ) -> Result<Subscription, AppError> {
        self.post(
            &format!("subscriptions/{subscription}"),
            &[("cancel_at_period_end", cancel.to_string())],
            idempotency_key,
        )
        .await
    }

    pub async fn create_portal_session(
        &self,
        customer: &str,
        return_url: &str,
        idempotency_key: &str,
    ) -> Result<PortalSession, AppError> {
        self.post(
            "billing_portal/sessions",
            &[
                ("customer", customer.to_string()),
                ("return_url", return_url.to_string()),
            ],
            idempotency_key,
        )
        .await
    }
}
