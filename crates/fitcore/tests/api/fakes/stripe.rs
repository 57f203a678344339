//! A small Stripe API: customers, Checkout Sessions, subscription updates and
//! billing-portal sessions, form-encoded in and JSON out as Stripe speaks
//! them, with Stripe's error envelope. It records every request (path, form,
//! Idempotency-Key) and can be told to fail.

use axum::{
    Form, Json, Router,
    extract::{Path, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::post,
};
use serde_json::json;
use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

pub const SECRET_KEY: &str = "sk_test_fitcore";

#[derive(Debug, Clone)]
pub struct Recorded {
    pub path: String,
    pub form: HashMap<String, String>,
    pub idempotency_key: Option<String>,
}

#[derive(Clone, Default)]
pub struct FakeStripe {
    pub url: String,
    requests: Arc<Mutex<Vec<Recorded>>>,
    /// When set, every call answers with this status.
    fail_with: Arc<Mutex<Option<u16>>>,
}

type Shared = State<FakeStripe>;

fn stripe_error(status: StatusCode, message: &str) -> Response {
    (
        status,
        Json(json!({"error": {"type": "api_error", "message": message}})),
    )
        .into_response()
}

impl FakeStripe {
    pub async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind fake Stripe");
        let fake = FakeStripe {
            url: format!("http://{}", listener.local_addr().expect("addr")),
            ..Default::default()
        };
        let app = Router::new()
            .route("/v1/customers", post(customers))
            .route("/v1/checkout/sessions", post(checkout_sessions))
            .route(
                "/v1/subscriptions/{id}",
                post(update_subscription)
                    .delete(cancel_subscription)
                    .get(get_subscription),
            )
            .route("/v1/billing_portal/sessions", post(portal_sessions))
            .with_state(fake.clone());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        fake
    }

    pub fn fail_with(&self, status: Option<u16>) {
        *self.fail_with.lock().unwrap_or_else(|p| p.into_inner()) = status;
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.requests
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    fn admit(
        &self,
        path: &str,
        headers: &HeaderMap,
        form: &HashMap<String, String>,
    ) -> Option<Response> {
        let auth = headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        if auth != format!("Bearer {SECRET_KEY}") {
            return Some(stripe_error(
                StatusCode::UNAUTHORIZED,
                "Invalid API Key provided",
            ));
        }
        self.requests
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(Recorded {
                path: path.to_string(),
                form: form.clone(),
                idempotency_key: headers
                    .get("idempotency-key")
                    .and_then(|v| v.to_str().ok())
                    .map(String::from),
            });
        let fail = *self.fail_with.lock().unwrap_or_else(|p| p.into_inner());
        fail.map(|s| {
            stripe_error(
                StatusCode::from_u16(s).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
                "Something went wrong",
            )
        })
    }
}

async fn customers(
    State(s): Shared,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    if let Some(r) = s.admit("customers", &headers, &form) {
        return r;
    }
    let n = s.requests().len();
    Json(json!({"id": format!("cus_test_{n}"), "object": "customer", "email": form.get("email")}))
        .into_response()
}

async fn checkout_sessions(
    State(s): Shared,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    if let Some(r) = s.admit("checkout/sessions", &headers, &form) {
        return r;
    }
    if !matches!(
        form.get("mode").map(String::as_str),
        Some("payment" | "subscription")
    ) {
        return stripe_error(StatusCode::BAD_REQUEST, "Invalid mode");
    }
    let id = format!("cs_test_{}", s.requests().len());
    Json(
        json!({"id": id, "object": "checkout.session", "mode": form.get("mode"),
                "url": format!("https://checkout.stripe.test/c/pay/{id}")}),
    )
    .into_response()
}

async fn update_subscription(
    State(s): Shared,
    Path(id): Path<String>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    if let Some(r) = s.admit(&format!("subscriptions/{id}"), &headers, &form) {
        return r;
    }
    let cancel = form
        .get("cancel_at_period_end")
        .is_some_and(|v| v == "true");
    Json(json!({"id": id, "object": "subscription", "status": "active", "cancel_at_period_end": cancel})).into_response()
}

async fn portal_sessions(
    State(s): Shared,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    if let Some(r) = s.admit("billing_portal/sessions", &headers, &form) {
        return r;
    }
    Json(json!({"id": "bps_test_1", "object": "billing_portal.session", "url": "https://billing.stripe.test/p/session/bps_test_1"}))
        .into_response()
}

async fn cancel_subscription(
    State(s): Shared,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    if let Some(r) = s.admit(
        &format!("DELETE subscriptions/{id}"),
        &headers,
        &HashMap::new(),
    ) {
        return r;
    }
    Json(json!({"id": id, "object": "subscription", "status": "canceled"})).into_response()
}

/// Subscriptions read back are active for thirty days from now.
async fn get_subscription(
    State(s): Shared,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    if let Some(r) = s.admit(
        &format!("GET subscriptions/{id}"),
        &headers,
        &HashMap::new(),
    ) {
        return r;
    }
    let end = chrono::Utc::now().timestamp() + 30 * 86_400;
    Json(
        json!({"id": id, "object": "subscription", "status": "active", "customer": "cus_test_1",
                "current_period_end": end, "cancel_at_period_end": false}),
    )
    .into_response()
}
