use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "transactions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub user_id: Option<i64>,
    pub plan_at_purchase: Option<String>,
    pub amount_minor: i64,
    pub currency: String,
    pub status: String,
    pub gateway: Option<String>,
    pub gateway_transaction_id: Option<String>,
    pub gateway_response: Option<Json>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
