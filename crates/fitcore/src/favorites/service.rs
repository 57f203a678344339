use super::{
    dto::{FavoriteCreated, FavoriteKind, FavoritesResponse},
    entity::favorite,
};
use crate::{
    app::AppState,
    error::{AppError, AppResult},
    workouts::{access::Viewer, entity::workout},
};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait,
    QueryFilter, QueryOrder,
};
use std::collections::HashSet;

/// Which of `ids` the user marked as favorite (one query).
pub async fn favorite_ids<C: ConnectionTrait>(
    db: &C,
    user_id: i64,
    kind: &str,
    ids: &[i64],
) -> Result<HashSet<i64>, DbErr> {
    Ok(favorite::Entity::find()
        .filter(favorite::Column::UserId.eq(user_id))
        .filter(favorite::Column::Kind.eq(kind))
        .filter(favorite::Column::ObjectId.is_in(ids.to_vec()))
        .all(db)
        .await?
        .into_iter()
        .map(|f| f.object_id)
        .collect())
}

async fn exists(
    state: &AppState,
    viewer_id: Option<i64>,
    kind: FavoriteKind,
    id: i64,
) -> AppResult<bool> {
    Ok(match kind {
        // Every workout is visible in the catalogue (locked videos aside).
        FavoriteKind::Workout => workout::Entity::find_by_id(id)
            .one(&state.db)
            .await?
            .is_some(),
        FavoriteKind::Meal => match viewer_id {
            Some(uid) => crate::nutrition::meals::visible(&state.db, uid, id)
                .await
                .is_ok(),
            None => false,
        },
    })
}

/// Adds a favorite; `Ok((row, true))` when it is new, `false` when it was
/// there already (the repeat is 200, not an error).
pub async fn add(
    state: &AppState,
    user_id: i64,
    kind: FavoriteKind,
    id: i64,
) -> AppResult<(FavoriteCreated, bool)> {
    if !exists(state, Some(user_id), kind, id).await? {
        return Err(AppError::not_found());
    }
    let find = || {
        favorite::Entity::find()
            .filter(favorite::Column::UserId.eq(user_id))
            .filter(favorite::Column::Kind.eq(kind.as_str()))
            .filter(favorite::Column::ObjectId.eq(id))
            .one(&state.db)
    };
    if let Some(f) = find().await? {
        return Ok((created(kind, f), false));
    }
    let now = state.now();
    let inserted = favorite::ActiveModel {
        user_id: Set(user_id),
        kind: Set(kind.as_str().into()),
        object_id: Set(id),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&state.db)
    .await;
    match inserted {
        Ok(f) => Ok((created(kind, f), true)),
        // A concurrent identical request won the race.
        Err(e) if crate::platform::db::is_unique_violation(&e) => {
            let f = find().await?.ok_or_else(AppError::not_found)?;
            Ok((created(kind, f), false))
        }
        Err(e) => Err(e.into()),
    }
}

fn created(kind: FavoriteKind, f: favorite::Model) -> FavoriteCreated {
    FavoriteCreated {
        kind,
        id: f.object_id,
        created_at: f.created_at,
    }
}

pub async fn remove(state: &AppState, user_id: i64, kind: FavoriteKind, id: i64) -> AppResult<()> {
    let res = favorite::Entity::delete_many()
        .filter(favorite::Column::UserId.eq(user_id))
        .filter(favorite::Column::Kind.eq(kind.as_str()))
        .filter(favorite::Column::ObjectId.eq(id))
        .exec(&state.db)
        .await?;
    if res.rows_affected == 0 {
        return Err(AppError::not_found());
    }
    Ok(())
}

pub async fn list(state: &AppState, viewer: Viewer) -> AppResult<FavoritesResponse> {
    let Some(user_id) = viewer.user_id() else {
        return Err(AppError::not_authenticated());
    };
    let rows = favorite::Entity::find()
        .filter(favorite::Column::UserId.eq(user_id))
        .order_by_desc(favorite::Column::CreatedAt)
        .order_by_desc(favorite::Column::Id)
        .all(&state.db)
        .await?;
    let ids_of = |kind: FavoriteKind| -> Vec<i64> {
        rows.iter()
            .filter(|f| f.kind == kind.as_str())
            .map(|f| f.object_id)
            .collect()
    };
    let workout_ids = ids_of(FavoriteKind::Workout);
    let meal_ids = ids_of(FavoriteKind::Meal);
    // Meals the user can no longer see (a template withdrawn) drop out.
    let meals: Vec<crate::nutrition::entity::meal::Model> = if meal_ids.is_empty() {
        Vec::new()
    } else {
        crate::nutrition::entity::meal::Entity::find()
            .filter(crate::nutrition::entity::meal::Column::Id.is_in(meal_ids.clone()))
            .all(&state.db)
            .await?
            .into_iter()
            .filter(|m| m.is_public || m.owner_id == Some(user_id))
            .collect()
    };
    let mut by_id: std::collections::HashMap<i64, crate::nutrition::dto::MealResponse> =
        crate::nutrition::meals::responses(state, meals)
            .await?
            .into_iter()
            .map(|m| (m.id, m))
            .collect();
    Ok(FavoritesResponse {
        workouts: crate::workouts::catalogue::workouts_by_ids(state, viewer, &workout_ids).await?,
        meals: meal_ids.iter().filter_map(|id| by_id.remove(id)).collect(),
    })
}

/// A user's favorites as `{kind, id, created_at}` (data export).
pub async fn export_of<C: ConnectionTrait>(
    db: &C,
    user_id: i64,
) -> Result<Vec<serde_json::Value>, DbErr> {
    Ok(favorite::Entity::find()
        .filter(favorite::Column::UserId.eq(user_id))
        .order_by_asc(favorite::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|f| serde_json::json!({"kind": f.kind, "id": f.object_id, "created_at": f.created_at}))
        .collect())
}
