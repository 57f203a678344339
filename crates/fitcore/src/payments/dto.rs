use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct SubscriptionResponse {
    /// `monthly`, `lifetime` or null.
    pub plan: Option<String>,
    /// `active`, `inactive`, `cancelled` or `past_due`.
    pub status: String,
    pub start_date: Option<DateTime<Utc>>,
    pub end_date: Option<DateTime<Utc>>,
    pub gateway: Option<String>,
    pub cancel_at_period_end: bool,
    pub has_active_access: bool,
}

#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct TransactionResponse {
    pub id: i64,
    pub plan_at_purchase: Option<String>,
    /// Decimal string with two places.
    pub amount: String,
    pub currency: String,
    pub status: String,
    pub gateway: Option<String>,
    pub gateway_transaction_id: Option<String>,
    /// The gateway's raw answer; present for staff only.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub gateway_response: Option<serde_json::Value>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TransactionPage {
    pub next: Option<String>,
    pub previous: Option<String>,
    pub results: Vec<TransactionResponse>,
}
