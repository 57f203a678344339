use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "profiles")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub user_id: i64,
    pub birth_date: Option<Date>,
    pub weight_kg: Option<f64>,
    pub height_cm: Option<f64>,
    pub gender: String,
    pub fitness_goal: String,
    pub activity_level: String,
    pub dietary_preferences: Json,
    pub allergies: Json,
    pub profile_image: Option<String>,
    pub timezone: String,
    pub units: String,
    pub reminder_time: Option<String>,
    pub language: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
