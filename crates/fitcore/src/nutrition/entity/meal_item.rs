use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "meal_items")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub meal_id: i64,
    pub food_id: i64,
    pub position: i32,
    pub number_of_servings: f64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
