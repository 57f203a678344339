//! A small PayPal REST API: the OAuth2 client-credentials token, billing
//! subscriptions (create, read, suspend, activate, cancel), checkout orders
//! (create, capture) and `verify-webhook-signature`, JSON in and out as
//! PayPal speaks them. Webhooks are signed the real way: SHA256withRSA over
//! `transmission_id|transmission_time|webhook_id|crc32(body)`, and the verify
//! call checks exactly that against the bytes it is given.

use crate::helpers::crc32;
use axum::{
    Json, Router,
    body::Bytes,
    extract::{Path, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use base64::Engine;
use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey};
use serde_json::{Value, json};
use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

pub const CLIENT_ID: &str = "paypal-client-test";
pub const CLIENT_SECRET: &str = "paypal-secret-test";
pub const WEBHOOK_ID: &str = "WH-FITCORE-TEST";
pub const PLAN_MONTHLY: &str = "P-MONTHLY-TEST";

const RSA_PEM: &[u8] = include_bytes!("../fixtures/oauth_test_rsa.pem");
const OTHER_RSA_PEM: &[u8] = include_bytes!("../fixtures/oauth_test_rsa_other.pem");
const JWKS: &str = include_str!("../fixtures/oauth_test_jwks.json");

#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub body: Value,
    pub request_id: Option<String>,
}

#[derive(Default)]
struct Inner {
    requests: Mutex<Vec<Recorded>>,
    fail_with: Mutex<Option<u16>>,
    tokens: Mutex<Vec<String>>,
    /// Subscriptions and orders created, by id.
    objects: Mutex<HashMap<String, Value>>,
    captured: Mutex<Vec<String>>,
}

#[derive(Clone, Default)]
pub struct FakePaypal {
    pub url: String,
    inner: Arc<Inner>,
}

type Shared = State<FakePaypal>;

fn paypal_error(status: StatusCode, name: &str, issue: Option<&str>) -> Response {
    let details: Vec<Value> = issue.map(|i| json!({"issue": i})).into_iter().collect();
    (
        status,
        Json(json!({"name": name, "message": format!("{name} (fake)"), "debug_id": "fake-debug", "details": details})),
    )
        .into_response()
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// The signature PayPal puts in `PAYPAL-TRANSMISSION-SIG` (standard base64).
fn sign(message: &str, pem: &[u8]) -> String {
    let key = EncodingKey::from_rsa_pem(pem).expect("test RSA key");
    let url_safe = jsonwebtoken::crypto::sign(message.as_bytes(), &key, Algorithm::RS256)
        .expect("sign with the test key");
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(url_safe)
        .expect("url-safe signature");
    base64::engine::general_purpose::STANDARD.encode(raw)
}

fn verify(message: &str, sig_standard: &str) -> bool {
    let jwks: Value = serde_json::from_str(JWKS).expect("jwks");
    let rsa = &jwks["keys"][0];
    let key = DecodingKey::from_rsa_components(
        rsa["n"].as_str().unwrap_or_default(),
        rsa["e"].as_str().unwrap_or_default(),
    )
    .expect("public key");
    let Ok(raw) = base64::engine::general_purpose::STANDARD.decode(sig_standard) else {
        return false;
    };
    let url_safe = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw);
    jsonwebtoken::crypto::verify(&url_safe, message.as_bytes(), &key, Algorithm::RS256)
        .unwrap_or(false)
}

/// Which key signs a delivery.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Signer {
    Paypal,
    /// A key PayPal does not hold: verification fails.
    Impostor,
}

impl FakePaypal {
    pub async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind fake PayPal");
        let fake = FakePaypal {
            url: format!("http://{}", listener.local_addr().expect("addr")),
            ..Default::default()
        };
        let app = Router::new()
            .route("/v1/oauth2/token", post(token))
            .route("/v1/billing/subscriptions", post(create_subscription))
            .route("/v1/billing/subscriptions/{id}", get(get_subscription))
            .route("/v1/billing/subscriptions/{id}/{action}", post(transition))
            .route("/v2/checkout/orders", post(create_order))
            .route("/v2/checkout/orders/{id}/capture", post(capture))
            .route(
                "/v1/notifications/verify-webhook-signature",
                post(verify_signature),
            )
            .with_state(fake.clone());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        fake
    }

    pub fn fail_with(&self, status: Option<u16>) {
        *lock(&self.inner.fail_with) = status;
    }

    pub fn requests(&self) -> Vec<Recorded> {
        lock(&self.inner.requests).clone()
    }

    /// Paths of the API calls made (token requests left out).
    pub fn calls(&self) -> Vec<String> {
        self.requests()
            .into_iter()
            .filter(|r| r.path != "/v1/oauth2/token")
            .map(|r| format!("{} {}", r.method, r.path))
            .collect()
    }

    pub fn tokens_issued(&self) -> usize {
        lock(&self.inner.tokens).len()
    }

    /// The five transmission headers PayPal sends with `body`, signed now.
    pub fn sign_delivery(
        &self,
        body: &[u8],
        at: DateTime<Utc>,
        signer: Signer,
    ) -> Vec<(String, String)> {
        let id = uuid::Uuid::new_v4().to_string();
        let time = at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let message = format!("{id}|{time}|{WEBHOOK_ID}|{}", crc32(body));
        let pem = if signer == Signer::Paypal {
            RSA_PEM
        } else {
            OTHER_RSA_PEM
        };
        vec![
            ("paypal-auth-algo".into(), "SHA256withRSA".into()),
            (
                "paypal-cert-url".into(),
                format!("{}/v1/notifications/certs/CERT-fake", self.url),
            ),
            ("paypal-transmission-id".into(), id),
            ("paypal-transmission-sig".into(), sign(&message, pem)),
            ("paypal-transmission-time".into(), time),
        ]
    }

    /// Records the call; answers the configured failure or a missing token.
    fn admit(
        &self,
        method: &str,
        path: &str,
        headers: &HeaderMap,
        body: &Value,
    ) -> Option<Response> {
        lock(&self.inner.requests).push(Recorded {
            method: method.into(),
            path: path.into(),
            body: body.clone(),
            request_id: headers
                .get("paypal-request-id")
                .and_then(|v| v.to_str().ok())
                .map(String::from),
        });
        if let Some(s) = *lock(&self.inner.fail_with) {
            return Some(paypal_error(
                StatusCode::from_u16(s).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
                "INTERNAL_SERVICE_ERROR",
                None,
            ));
        }
        if path == "/v1/oauth2/token" {
            return None;
        }
        let bearer = headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or_default();
        if !lock(&self.inner.tokens).iter().any(|t| t == bearer) {
            return Some(paypal_error(
                StatusCode::UNAUTHORIZED,
                "AUTHENTICATION_FAILURE",
                None,
            ));
        }
        None
    }

    fn next_id(&self, prefix: &str) -> String {
        format!("{prefix}-FAKE{}", lock(&self.inner.objects).len() + 1)
    }
}

fn json_of(body: &Bytes) -> Value {
    serde_json::from_slice(body).unwrap_or(Value::Null)
}

async fn token(State(s): Shared, headers: HeaderMap, body: Bytes) -> Response {
    let form = String::from_utf8_lossy(&body).to_string();
    if let Some(r) = s.admit("POST", "/v1/oauth2/token", &headers, &json!(form)) {
        return r;
    }
    let expected = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{CLIENT_ID}:{CLIENT_SECRET}"))
    );
    let auth = headers.get("authorization").and_then(|v| v.to_str().ok());
    if auth != Some(expected.as_str()) || form != "grant_type=client_credentials" {
        return (StatusCode::UNAUTHORIZED, Json(json!({"error": "invalid_client", "error_description": "Client Authentication failed"}))).into_response();
    }
    let mut tokens = lock(&s.inner.tokens);
    let t = format!("A21AA-fake-{}", tokens.len() + 1);
    tokens.push(t.clone());
    Json(
        json!({"scope": "https://uri.paypal.com/services/subscriptions", "access_token": t,
        "token_type": "Bearer", "app_id": "APP-FAKE", "expires_in": 32400, "nonce": "fake"}),
    )
    .into_response()
}

async fn create_subscription(State(s): Shared, headers: HeaderMap, body: Bytes) -> Response {
    let b = json_of(&body);
    if let Some(r) = s.admit("POST", "/v1/billing/subscriptions", &headers, &b) {
        return r;
    }
    if b["plan_id"].as_str().is_none() {
        return paypal_error(
            StatusCode::BAD_REQUEST,
            "INVALID_REQUEST",
            Some("MISSING_REQUIRED_PARAMETER"),
        );
    }
    let id = s.next_id("I");
    lock(&s.inner.objects).insert(
        id.clone(),
        json!({"plan_id": b["plan_id"], "custom_id": b["custom_id"], "status": "APPROVAL_PENDING"}),
    );
    (StatusCode::CREATED, Json(json!({
        "id": id, "status": "APPROVAL_PENDING", "status_update_time": Utc::now().to_rfc3339(),
        "links": [
            {"href": format!("https://www.sandbox.paypal.test/webapps/billing/subscriptions?ba_token=BA-{id}"), "rel": "approve", "method": "GET"},
            {"href": format!("{}/v1/billing/subscriptions/{id}", s.url), "rel": "self", "method": "GET"}
        ]
    }))).into_response()
}

/// Active subscriptions are paid for thirty days from now.
async fn get_subscription(
    State(s): Shared,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let path = format!("/v1/billing/subscriptions/{id}");
    if let Some(r) = s.admit("GET", &path, &headers, &Value::Null) {
        return r;
    }
    let Some(stored) = lock(&s.inner.objects).get(&id).cloned() else {
        return paypal_error(
            StatusCode::NOT_FOUND,
            "RESOURCE_NOT_FOUND",
            Some("INVALID_RESOURCE_ID"),
        );
    };
    let next = (Utc::now() + chrono::Duration::days(30))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    Json(json!({"id": id, "status": "ACTIVE", "plan_id": stored["plan_id"], "custom_id": stored["custom_id"],
        "billing_info": {"next_billing_time": next, "failed_payments_count": 0}}))
    .into_response()
}

async fn transition(
    State(s): Shared,
    Path((id, action)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = format!("/v1/billing/subscriptions/{id}/{action}");
    if let Some(r) = s.admit("POST", &path, &headers, &json_of(&body)) {
        return r;
    }
    let mut objects = lock(&s.inner.objects);
    let Some(sub) = objects.get_mut(&id) else {
        return paypal_error(
            StatusCode::NOT_FOUND,
            "RESOURCE_NOT_FOUND",
            Some("INVALID_RESOURCE_ID"),
        );
    };
    let status = match action.as_str() {
        "suspend" => "SUSPENDED",
        "activate" => "ACTIVE",
        "cancel" => "CANCELLED",
        _ => return paypal_error(StatusCode::NOT_FOUND, "NOT_FOUND", None),
    };
    if sub["status"] == status {
        return paypal_error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "UNPROCESSABLE_ENTITY",
            Some("SUBSCRIPTION_STATUS_INVALID"),
        );
    }
    sub["status"] = json!(status);
    StatusCode::NO_CONTENT.into_response()
}

async fn create_order(State(s): Shared, headers: HeaderMap, body: Bytes) -> Response {
    let b = json_of(&body);
    if let Some(r) = s.admit("POST", "/v2/checkout/orders", &headers, &b) {
        return r;
    }
    let unit = &b["purchase_units"][0];
    if b["intent"] != "CAPTURE" || unit["amount"]["value"].as_str().is_none() {
        return paypal_error(
            StatusCode::BAD_REQUEST,
            "INVALID_REQUEST",
            Some("MISSING_REQUIRED_PARAMETER"),
        );
    }
    let id = s.next_id("ORDER");
    lock(&s.inner.objects).insert(
        id.clone(),
        json!({"custom_id": unit["custom_id"], "amount": unit["amount"]}),
    );
    (StatusCode::CREATED, Json(json!({
        "id": id, "status": "PAYER_ACTION_REQUIRED",
        "links": [
            {"href": format!("{}/v2/checkout/orders/{id}", s.url), "rel": "self", "method": "GET"},
            {"href": format!("https://www.sandbox.paypal.test/checkoutnow?token={id}"), "rel": "payer-action", "method": "GET"}
        ]
    }))).into_response()
}

async fn capture(
    State(s): Shared,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = format!("/v2/checkout/orders/{id}/capture");
    if let Some(r) = s.admit("POST", &path, &headers, &json_of(&body)) {
        return r;
    }
    let Some(order) = lock(&s.inner.objects).get(&id).cloned() else {
        return paypal_error(
            StatusCode::NOT_FOUND,
            "RESOURCE_NOT_FOUND",
            Some("INVALID_RESOURCE_ID"),
        );
    };
    let mut captured = lock(&s.inner.captured);
    if captured.contains(&id) {
        return paypal_error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "UNPROCESSABLE_ENTITY",
            Some("ORDER_ALREADY_CAPTURED"),
        );
    }
    captured.push(id.clone());
    (
        StatusCode::CREATED,
        Json(json!({
            "id": id, "status": "COMPLETED",
            "purchase_units": [{"reference_id": "lifetime", "payments": {"captures": [{
                "id": format!("CAP-{id}"), "status": "COMPLETED", "amount": order["amount"],
                "custom_id": order["custom_id"], "final_capture": true,
                "create_time": Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            }]}}]
        })),
    )
        .into_response()
}

/// Checks the signature over the CRC32 of the exact `webhook_event` bytes.
async fn verify_signature(State(s): Shared, headers: HeaderMap, body: Bytes) -> Response {
    #[derive(serde::Deserialize)]
    struct Req<'a> {
        auth_algo: String,
        cert_url: String,
        transmission_id: String,
        transmission_sig: String,
        transmission_time: String,
        webhook_id: String,
        #[serde(borrow)]
        webhook_event: &'a serde_json::value::RawValue,
    }
    let parsed: Value = json_of(&body);
    if let Some(r) = s.admit(
        "POST",
        "/v1/notifications/verify-webhook-signature",
        &headers,
        &parsed,
    ) {
        return r;
    }
    let Ok(req) = serde_json::from_slice::<Req>(&body) else {
        return paypal_error(
            StatusCode::BAD_REQUEST,
            "INVALID_REQUEST",
            Some("MALFORMED_REQUEST_JSON"),
        );
    };
    let message = format!(
        "{}|{}|{}|{}",
        req.transmission_id,
        req.transmission_time,
        req.webhook_id,
        crc32(req.webhook_event.get().as_bytes())
    );
    let ok = req.auth_algo == "SHA256withRSA"
        && req.cert_url.starts_with(&s.url)
        && req.webhook_id == WEBHOOK_ID
        && verify(&message, &req.transmission_sig);
    Json(json!({"verification_status": if ok { "SUCCESS" } else { "FAILURE" }})).into_response()
}
