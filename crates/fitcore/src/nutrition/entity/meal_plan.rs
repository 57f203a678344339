use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "meal_plans")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub owner_id: Option<i64>,
    pub name: String,
    pub goal: Option<String>,
    pub duration_days: i32,
    pub start_date: Date,
    pub target_daily_calories: Option<f64>,
    pub target_protein_g: Option<f64>,
    pub target_carbs_g: Option<f64>,
    pub target_fat_g: Option<f64>,
    pub is_ai_generated: bool,
    pub is_template: bool,
    pub is_public: bool,
    /// Bumped with every change to what the plan's detail shows.
    pub revision: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
