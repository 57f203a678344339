use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "food_portions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub food_id: i64,
    pub seq: i32,
    pub description: String,
    pub grams: f64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
