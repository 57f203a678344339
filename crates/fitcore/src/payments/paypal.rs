//! A small, typed PayPal REST client for the calls FitCore makes: an OAuth2
//! client-credentials token (cached until shortly before it expires),
//! subscriptions (create, read, suspend, activate, cancel), orders (create,
//! capture) and webhook signature verification. Every creating call carries
//! a `PayPal-Request-Id`, PayPal's idempotency key.

use crate::{app::AppState, error::AppError};
use axum::http::StatusCode;
use chrono::{DateTime, Duration, Utc};
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::sync::Mutex;

/// The access token shared by every request of this process.
#[derive(Default)]
pub struct TokenCache(Mutex<Option<(String, DateTime<Utc>)>>);

pub struct PaypalClient<'a> {
    http: &'a reqwest::Client,
    base: &'a str,
    client_id: &'a str,
    client_secret: &'a str,
    cache: &'a TokenCache,
    now: DateTime<Utc>,
}

#[derive(Debug, Deserialize)]
pub struct Link {
    pub href: String,
    pub rel: String,
}

/// A created subscription or order: its id and where the buyer approves it.
#[derive(Debug, Deserialize)]
pub struct Approvable {
    pub id: String,
    #[serde(default)]
    pub links: Vec<Link>,
}

impl Approvable {
    pub fn approve_url(&self) -> Option<&str> {
        self.links
            .iter()
            .find(|l| l.rel == "approve" || l.rel == "payer-action")
            .map(|l| l.href.as_str())
    }
}

#[derive(Debug, Deserialize)]
struct Token {
    access_token: String,
    #[serde(default)]
    expires_in: i64,
}

#[derive(Debug, Deserialize)]
struct Verification {
    verification_status: String,
}

/// The five `PAYPAL-*` transmission headers of a webhook delivery.
#[derive(Debug)]
pub struct Transmission<'h> {
    pub auth_algo: &'h str,
    pub cert_url: &'h str,
    pub transmission_id: &'h str,
    pub transmission_sig: &'h str,
    pub transmission_time: &'h str,
}

fn unreachable_err(e: reqwest::Error, what: &str) -> AppError {
    tracing::warn!(error = %e, what, "PayPal unreachable");
    AppError::unavailable("The payment provider cannot be reached; try again shortly.")
}

fn bad_gateway(detail: impl Into<String>) -> AppError {
    AppError::new(StatusCode::BAD_GATEWAY, "bad_gateway", detail)
}

impl<'a> PaypalClient<'a> {
    /// The configured client, or None when the PayPal credentials are unset.
    pub fn from_state(state: &'a AppState) -> Option<Self> {
        Some(Self {
            http: &state.http,
            base: state.config.paypal_api_base.trim_end_matches('/'),
            client_id: state.config.paypal_client_id.as_deref()?,
            client_secret: state.config.paypal_client_secret.as_deref()?,
            cache: &state.paypal_token,
            now: state.now(),
        })
    }

    async fn token(&self) -> Result<String, AppError> {
        let mut cached = self.cache.0.lock().await;
        if let Some((token, until)) = cached.as_ref()
            && *until > self.now
        {
            return Ok(token.clone());
        }
        let res = self
            .http
            .post(format!("{}/v1/oauth2/token", self.base))
            .basic_auth(self.client_id, Some(self.client_secret))
            .form(&[("grant_type", "client_credentials")])
            .send()
            .await
            .map_err(|e| unreachable_err(e, "token"))?;
        if res.status().is_server_error() {
            tracing::warn!(status = %res.status(), "PayPal could not issue a token");
            return Err(AppError::unavailable(
                "The payment provider is unavailable; try again shortly.",
            ));
        }
        if !res.status().is_success() {
            tracing::error!(status = %res.status(), "PayPal refused our credentials");
            return Err(bad_gateway("The payment provider refused our credentials."));
        }
        let token: Token = res
            .json()
            .await
            .map_err(|_| bad_gateway("The payment provider sent an unreadable token."))?;
        // Renew a minute early so a token never expires mid-request.
        let until = self.now + Duration::seconds((token.expires_in - 60).max(0));
        *cached = Some((token.access_token.clone(), until));
        Ok(token.access_token)
    }

    /// Sends a JSON request; `None` body sends none. Returns the status and
    /// the JSON answer (`Null` for an empty one).
    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
        request_id: Option<&str>,
    ) -> Result<(StatusCode, Value), AppError> {
        let token = self.token().await?;
        let mut rb = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(token);
        if let Some(id) = request_id {
            rb = rb.header("PayPal-Request-Id", id);
        }
        if let Some(b) = body {
            rb = rb.json(&b);
        }
        let res = rb.send().await.map_err(|e| unreachable_err(e, path))?;
        let status = StatusCode::from_u16(res.status().as_u16()).unwrap_or(StatusCode::BAD_GATEWAY);
        let bytes = res
            .bytes()
            .await
            .map_err(|_| bad_gateway("The payment provider's answer broke off."))?;
        let value = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap_or(Value::Null)
        };
        Ok((status, value))
    }

    /// Like [`call`](Self::call) but any non-2xx answer is an error.
    async fn ok(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
        request_id: Option<&str>,
    ) -> Result<Value, AppError> {
        let (status, value) = self.call(method, path, body, request_id).await?;
        if status.is_success() {
            return Ok(value);
        }
        let message = value
            .get("message")
            .and_then(Value::as_str)
            .map(String::from);
        tracing::warn!(%status, path, message = ?message, "PayPal refused a request");
        Err(bad_gateway(if status.is_server_error() {
            "The payment provider failed; try again shortly.".to_string()
        } else {
            format!(
                "The payment provider refused the request{}.",
                message.map(|m| format!(": {m}")).unwrap_or_default()
            )
        }))
    }

    fn approvable(v: Value) -> Result<Approvable, AppError> {
        serde_json::from_value(v)
            .map_err(|_| bad_gateway("The payment provider sent an unreadable answer."))
    }

    /// A monthly subscription on `plan_id`, awaiting the buyer's approval.
    pub async fn create_subscription(
        &self,
        plan_id: &str,
        user_id: i64,
        email: &str,
        return_url: &str,
        cancel_url: &str,
        request_id: &str,
    ) -> Result<Approvable, AppError> {
        let body = json!({
            "plan_id": plan_id,
            "custom_id": user_id.to_string(),
            "subscriber": {"email_address": email},
            "application_context": {
                "brand_name": "FitCore",
                "user_action": "SUBSCRIBE_NOW",
                "shipping_preference": "NO_SHIPPING",
                "return_url": return_url,
                "cancel_url": cancel_url,
            },
        });
        let v = self
            .ok(
                reqwest::Method::POST,
                "/v1/billing/subscriptions",
                Some(body),
                Some(request_id),
            )
            .await?;
        Self::approvable(v)
    }

    /// A one-off order for the lifetime plan (`amount` like "149.00").
    pub async fn create_order(
        &self,
        user_id: i64,
        amount: &str,
        currency: &str,
        return_url: &str,
        cancel_url: &str,
        request_id: &str,
    ) -> Result<Approvable, AppError> {
        let body = json!({
            "intent": "CAPTURE",
            "purchase_units": [{
                "reference_id": "lifetime",
                "custom_id": user_id.to_string(),
                "description": "FitCore lifetime access",
                "amount": {"currency_code": currency, "value": amount},
            }],
            "payment_source": {"paypal": {"experience_context": {
                "brand_name": "FitCore",
                "shipping_preference": "NO_SHIPPING",
                "user_action": "PAY_NOW",
                "return_url": return_url,
                "cancel_url": cancel_url,
            }}},
        });
        let v = self
            .ok(
                reqwest::Method::POST,
                "/v2/checkout/orders",
                Some(body),
                Some(request_id),
            )
            .await?;
        Self::approvable(v)
    }

    /// Captures an approved order. `Ok(None)` when PayPal says it was
    /// captured already (a repeated approval event).
    pub async fn capture_order(&self, order_id: &str) -> Result<Option<Value>, AppError> {
        let (status, v) = self
            .call(
                reqwest::Method::POST,
                &format!("/v2/checkout/orders/{order_id}/capture"),
                Some(json!({})),
                Some(&format!("fitcore-capture-{order_id}")),
            )
            .await?;
        if status.is_success() {
            return Ok(Some(v));
        }
        let already = v
            .get("details")
            .and_then(Value::as_array)
            .is_some_and(|d| d.iter().any(|i| i["issue"] == "ORDER_ALREADY_CAPTURED"));
        if already {
            return Ok(None);
        }
        tracing::warn!(%status, order_id, "PayPal refused a capture");
        Err(bad_gateway(format!(
            "PayPal answered {status} to a capture."
        )))
    }

    /// The subscription as PayPal holds it now.
    pub async fn get_subscription(&self, id: &str) -> Result<Value, AppError> {
        self.ok(
            reqwest::Method::GET,
            &format!("/v1/billing/subscriptions/{id}"),
            None,
            None,
        )
        .await
    }

    /// `suspend`, `activate` or `cancel` a subscription, with a reason.
    /// PayPal answers 422 when the subscription is already in that state;
    /// that counts as done.
    pub async fn transition(&self, id: &str, action: &str, reason: &str) -> Result<(), AppError> {
        let (status, v) = self
            .call(
                reqwest::Method::POST,
                &format!("/v1/billing/subscriptions/{id}/{action}"),
                Some(json!({"reason": reason})),
                None,
            )
            .await?;
        let already = status == StatusCode::UNPROCESSABLE_ENTITY
            && v.get("details").and_then(Value::as_array).is_some_and(|d| {
                d.iter()
                    .any(|i| i["issue"] == "SUBSCRIPTION_STATUS_INVALID")
            });
        if status.is_success() || already || (action == "cancel" && status == StatusCode::NOT_FOUND)
        {
            return Ok(());
        }
        tracing::warn!(%status, id, action, "PayPal refused a subscription change");
        Err(bad_gateway(format!(
            "PayPal answered {status} to {action}."
        )))
    }

    /// Asks PayPal whether a webhook delivery is genuine, as PayPal
    /// documents (`/v1/notifications/verify-webhook-signature`). The event
    /// is passed as the exact bytes received: re-encoding it could change
    /// the CRC the signature covers.
    pub async fn verify_webhook(
        &self,
        webhook_id: &str,
        t: &Transmission<'_>,
        raw_event: &str,
    ) -> Result<bool, AppError> {
        let head = json!({
            "auth_algo": t.auth_algo,
            "cert_url": t.cert_url,
            "transmission_id": t.transmission_id,
            "transmission_sig": t.transmission_sig,
            "transmission_time": t.transmission_time,
            "webhook_id": webhook_id,
        })
        .to_string();
        // `{...head fields..., "webhook_event": <raw>}`
        let body = format!(
            "{},\"webhook_event\":{raw_event}}}",
            head.trim_end_matches('}')
        );
        let token = self.token().await?;
        let res = self
            .http
            .post(format!(
                "{}/v1/notifications/verify-webhook-signature",
                self.base
            ))
            .bearer_auth(token)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body)
            .send()
            .await
            .map_err(|e| unreachable_err(e, "verify-webhook-signature"))?;
        if !res.status().is_success() {
            tracing::warn!(status = %res.status(), "PayPal could not verify a webhook");
            return Err(AppError::unavailable(
                "The payment provider could not verify the event; deliver it again.",
            ));
        }
        let v: Verification = res.json().await.map_err(|_| {
            AppError::unavailable("The payment provider's verification was unreadable.")
        })?;
        Ok(v.verification_status == "SUCCESS")
    }
}
