use super::{dto, entity::notification};
use crate::{
    error::{AppError, AppResult, FieldErrors},
    platform::pagination::{CursorParams, QueryMap, fetch_newest_first},
};
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait,
    PaginatorTrait, QueryFilter, sea_query::Expr,
};

/// Creates a notification for `user_id`. Call inside the transaction of the
/// change it announces.
pub async fn create<C: ConnectionTrait>(
    conn: &C,
    now: DateTime<Utc>,
    user_id: i64,
    kind: &str,
    title: &str,
    message: &str,
    data: serde_json::Value,
) -> Result<notification::Model, DbErr> {
    notification::ActiveModel {
        user_id: Set(user_id),
        kind: Set(kind.to_string()),
        title: Set(title.to_string()),
        message: Set(message.to_string()),
        data: Set(data),
        is_read: Set(false),
        read_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(conn)
    .await
}

pub async fn list<C: ConnectionTrait>(
    conn: &C,
    user_id: i64,
    q: &QueryMap,
    p: CursorParams,
) -> AppResult<(Vec<notification::Model>, bool)> {
    q.only(&["cursor", "page_size", "is_read", "type"])?;
    let mut select = notification::Entity::find().filter(notification::Column::UserId.eq(user_id));
    if let Some(read) = q.bool("is_read")? {
        select = select.filter(notification::Column::IsRead.eq(read));
    }
    if let Some(kind) = q.get("type").filter(|s| !s.is_empty()) {
        if !dto::TYPES.contains(&kind) {
            return Err(FieldErrors::single(
                "type",
                format!("\"{kind}\" is not a valid choice."),
            ));
        }
        select = select.filter(notification::Column::Kind.eq(kind));
    }
    Ok(fetch_newest_first(
        select,
        notification::Column::CreatedAt,
        notification::Column::Id,
        p,
        conn,
    )
    .await?)
}

pub async fn unread_count<C: ConnectionTrait>(conn: &C, user_id: i64) -> Result<u64, DbErr> {
    notification::Entity::find()
        .filter(notification::Column::UserId.eq(user_id))
        .filter(notification::Column::IsRead.eq(false))
        .count(conn)
        .await
}

async fn own<C: ConnectionTrait>(
    conn: &C,
    user_id: i64,
    id: i64,
) -> AppResult<notification::Model> {
    notification::Entity::find_by_id(id)
        .filter(notification::Column::UserId.eq(user_id))
        .one(conn)
        .await?
        .ok_or_else(AppError::not_found)
}

pub async fn mark_read<C: ConnectionTrait>(
    conn: &C,
    user_id: i64,
    id: i64,
    now: DateTime<Utc>,
) -> AppResult<notification::Model> {
    let n = own(conn, user_id, id).await?;
    if n.is_read {
        return Ok(n);
    }
    let mut am: notification::ActiveModel = n.into();
    am.is_read = Set(true);
    am.read_at = Set(Some(now));
    am.updated_at = Set(now);
    Ok(am.update(conn).await?)
}

pub async fn mark_all_read<C: ConnectionTrait>(
    conn: &C,
    user_id: i64,
    now: DateTime<Utc>,
) -> AppResult<u64> {
    let res = notification::Entity::update_many()
        .col_expr(notification::Column::IsRead, Expr::value(true))
        .col_expr(notification::Column::ReadAt, Expr::value(now))
        .col_expr(notification::Column::UpdatedAt, Expr::value(now))
        .filter(notification::Column::UserId.eq(user_id))
        .filter(notification::Column::IsRead.eq(false))
        .exec(conn)
        .await?;
    Ok(res.rows_affected)
}

pub async fn delete<C: ConnectionTrait>(conn: &C, user_id: i64, id: i64) -> AppResult<()> {
    let n = own(conn, user_id, id).await?;
    notification::Entity::delete_by_id(n.id).exec(conn).await?;
    Ok(())
}

pub async fn all_of<C: ConnectionTrait>(
    conn: &C,
    user_id: i64,
) -> Result<Vec<notification::Model>, DbErr> {
    use sea_orm::QueryOrder;
    notification::Entity::find()
        .filter(notification::Column::UserId.eq(user_id))
        .order_by_asc(notification::Column::Id)
        .all(conn)
        .await
}
