use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "workout_videos")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub workout_id: i64,
    pub title: String,
    pub order_index: i32,
    pub storage_key: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub is_free: bool,
    pub duration_seconds: Option<i32>,
    pub thumbnail_key: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
