use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "workouts")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub title: String,
    pub description: String,
    pub duration_minutes: i32,
    pub difficulty: String,
    pub category_id: i64,
    /// JSON array of fitness-goal values.
    pub goals: String,
    pub is_premium: bool,
    pub thumbnail_key: Option<String>,
    pub video_count: i32,
    pub created_by: Option<i64>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
