use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "foods")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub name: String,
    pub name_search: String,
    pub brand: Option<String>,
    pub category: String,
    pub serving_size: f64,
    pub serving_unit: String,
    pub serving_description: Option<String>,
    pub calories: f64,
    pub protein_g: f64,
    pub carbs_g: f64,
    pub fat_g: f64,
    pub fiber_g: Option<f64>,
    pub sugar_g: Option<f64>,
    pub sodium_mg: Option<f64>,
    pub is_public: bool,
    pub owner_id: Option<i64>,
    pub source: String,
    pub source_id: Option<String>,
    pub diet_flags: i32,
    pub meal_slots: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
