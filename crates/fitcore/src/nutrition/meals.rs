//! Meals and their items; templates (staff templates are public and any
//! user may copy them). Totals are computed in one pass over items and
//! foods loaded together, so any number of meals costs the same three
//! queries (meals, items, foods).

use super::{
    dto::*,
    entity::{food, meal, meal_item},
    foods,
};
use crate::{
    accounts::entity::user,
    app::AppState,
    error::{AppError, AppResult, FieldErrors},
    platform::pagination::{PageParams, QueryMap},
};
use sea_orm::sea_query::ExprTrait;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, TransactionTrait,
};
use std::collections::HashMap;

/// Nutrients of `servings` servings of a food.
pub fn scaled(f: &food::Model, servings: f64) -> Totals {
    Totals {
        calories: f.calories * servings,
        protein_g: f.protein_g * servings,
        carbs_g: f.carbs_g * servings,
        fat_g: f.fat_g * servings,
        fiber_g: f.fiber_g.map(|v| v * servings),
        sugar_g: f.sugar_g.map(|v| v * servings),
        sodium_mg: f.sodium_mg.map(|v| v * servings),
    }
}

fn add_known(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    match (a, b) {
        (None, None) => None,
        (a, b) => Some(a.unwrap_or(0.0) + b.unwrap_or(0.0)),
    }
}

pub fn add(mut t: Totals, o: &Totals) -> Totals {
    t.calories += o.calories;
    t.protein_g += o.protein_g;
    t.carbs_g += o.carbs_g;
    t.fat_g += o.fat_g;
    t.fiber_g = add_known(t.fiber_g, o.fiber_g);
    t.sugar_g = add_known(t.sugar_g, o.sugar_g);
    t.sodium_mg = add_known(t.sodium_mg, o.sodium_mg);
    t
}

/// Rounded for display: kcal to 1, grams to 0.1.
pub fn rounded(t: Totals) -> Totals {
    let r1 = |v: f64| (v * 10.0).round() / 10.0;
    Totals {
        calories: t.calories.round(),
        protein_g: r1(t.protein_g),
        carbs_g: r1(t.carbs_g),
        fat_g: r1(t.fat_g),
        fiber_g: t.fiber_g.map(r1),
        sugar_g: t.sugar_g.map(r1),
        sodium_mg: t.sodium_mg.map(f64::round),
    }
}

/// Meals with items and totals, in the order given (items, and the
/// users' own foods if any; public foods come from memory).
pub async fn responses(state: &AppState, meals: Vec<meal::Model>) -> AppResult<Vec<MealResponse>> {
    responses_in(state, &state.db, meals).await
}

/// `responses` reading through `db` (a transaction, say).
pub async fn responses_in<C: ConnectionTrait>(
    state: &AppState,
    db: &C,
    meals: Vec<meal::Model>,
) -> AppResult<Vec<MealResponse>> {
    let ids: Vec<i64> = meals.iter().map(|m| m.id).collect();
    let items = if ids.is_empty() {
        Vec::new()
    } else {
        meal_item::Entity::find()
            .filter(meal_item::Column::MealId.is_in(ids))
            .order_by_asc(meal_item::Column::MealId)
            .order_by_asc(meal_item::Column::Position)
            .order_by_asc(meal_item::Column::Id)
            .all(db)
            .await?
    };
    with_items(state, db, meals, items).await
}

/// `responses_in` with the meals' items already read, in (meal, position,
/// id) order.
pub async fn with_items<C: ConnectionTrait>(
    state: &AppState,
    db: &C,
    meals: Vec<meal::Model>,
    items: Vec<meal_item::Model>,
) -> AppResult<Vec<MealResponse>> {
    let mut food_ids: Vec<i64> = items.iter().map(|i| i.food_id).collect();
    food_ids.sort_unstable();
    food_ids.dedup();
    // Public foods come from the search index's snapshot; only the
    // users' own foods are read here.
    let (mut foods, private) = state.food_index.public_foods(db, &food_ids).await?;
    if !private.is_empty() {
        for f in food::Entity::find()
            .filter(food::Column::Id.is_in(private))
            .all(db)
            .await?
        {
            foods.insert(f.id, std::sync::Arc::new(f));
        }
    }
    let mut by_meal: HashMap<i64, Vec<MealItemResponse>> = HashMap::new();
    let mut totals: HashMap<i64, Totals> = HashMap::new();
    for it in items {
        let Some(f) = foods.get(&it.food_id).map(|f| &**f) else {
            continue;
        };
        let n = scaled(f, it.number_of_servings);
        let t = totals.remove(&it.meal_id).unwrap_or_default();
        totals.insert(it.meal_id, add(t, &n));
        let n = rounded(n);
        by_meal
            .entry(it.meal_id)
            .or_default()
            .push(MealItemResponse {
                id: it.id,
                food: FoodRef::from(f),
                number_of_servings: it.number_of_servings,
                calories: n.calories,
                protein_g: n.protein_g,
                carbs_g: n.carbs_g,
                fat_g: n.fat_g,
            });
    }
    Ok(meals
        .into_iter()
        .map(|m| MealResponse {
            items: by_meal.remove(&m.id).unwrap_or_default(),
            totals: rounded(totals.remove(&m.id).unwrap_or_default()),
            owner: if m.is_public { None } else { m.owner_id },
            id: m.id,
            name: m.name,
            description: m.description,
            meal_time_category: m.meal_time_category,
            is_template: m.is_template,
            created_at: m.created_at,
            updated_at: m.updated_at,
        })
        .collect())
}

/// A meal the user may see: their own, or a public template.
pub async fn visible<C: ConnectionTrait>(db: &C, user_id: i64, id: i64) -> AppResult<meal::Model> {
    meal::Entity::find_by_id(id)
        .one(db)
        .await?
        .filter(|m| m.is_public || m.owner_id == Some(user_id))
        .ok_or_else(AppError::not_found)
}

async fn own(state: &AppState, u: &user::Model, id: i64) -> AppResult<meal::Model> {
    let m = visible(&state.db, u.id, id).await?;
    if m.owner_id == Some(u.id) || (m.is_public && u.is_staff) {
        Ok(m)
    } else {
        Err(AppError::forbidden(
            "permission_denied",
            "Public templates are edited by staff; copy it to make it yours.",
        ))
    }
}

fn check_name(errors: &mut FieldErrors, name: &str) {
    let n = name.trim().chars().count();
    if n == 0 || n > 200 {
        errors.add("name", "Enter 1 to 200 characters.");
    }
}

/// Every item's food must be visible to the user (another user's private
/// food is 404, as if it did not exist).
async fn check_items<C: ConnectionTrait>(
    db: &C,
    user_id: i64,
    items: &[ItemRequest],
) -> AppResult<()> {
    let mut errors = FieldErrors::new();
    if items.len() > 50 {
        errors.add("items", "At most 50 items.");
    }
    for it in items {
        if !(it.number_of_servings.is_finite()
            && it.number_of_servings > 0.0
            && it.number_of_servings <= 100.0)
        {
            errors.add(
                "items",
                "number_of_servings must be more than 0 and at most 100.",
            );
            break;
        }
    }
    errors.into_result()?;
    for it in items {
        foods::visible(db, Some(user_id), it.food_id).await?;
    }
    Ok(())
}

pub async fn save_items<C: ConnectionTrait>(
    db: &C,
    meal_id: i64,
    items: &[ItemRequest],
    now: chrono::DateTime<chrono::Utc>,
) -> AppResult<()> {
    meal_item::Entity::delete_many()
        .filter(meal_item::Column::MealId.eq(meal_id))
        .exec(db)
        .await?;
    if items.is_empty() {
        return Ok(());
    }
    meal_item::Entity::insert_many(items.iter().enumerate().map(|(i, it)| {
        meal_item::ActiveModel {
            meal_id: Set(meal_id),
            food_id: Set(it.food_id),
            position: Set(i as i32),
            number_of_servings: Set(it.number_of_servings),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
    }))
    .exec(db)
    .await?;
    Ok(())
}

pub async fn create(state: &AppState, u: &user::Model, req: MealCreate) -> AppResult<MealResponse> {
    let mut errors = FieldErrors::new();
    check_name(&mut errors, &req.name);
    if req.description.chars().count() > 2000 {
        errors.add("description", "At most 2000 characters.");
    }
    errors.into_result()?;
    check_items(&state.db, u.id, &req.items).await?;
    let now = state.now();
    let txn = state.db.begin().await?;
    let m = meal::ActiveModel {
        owner_id: Set(Some(u.id)),
        name: Set(req.name.trim().to_string()),
        description: Set(req.description),
        meal_time_category: Set(req.meal_time_category.as_str().into()),
        is_template: Set(req.is_template),
        is_public: Set(req.is_template && u.is_staff),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    save_items(&txn, m.id, &req.items, now).await?;
    txn.commit().await?;
    one(state, m).await
}

pub async fn one(state: &AppState, m: meal::Model) -> AppResult<MealResponse> {
    responses(state, vec![m])
        .await?
        .pop()
        .ok_or_else(AppError::not_found)
}

pub async fn get(state: &AppState, u: &user::Model, id: i64) -> AppResult<MealResponse> {
    let m = visible(&state.db, u.id, id).await?;
    one(state, m).await
}

pub async fn update(
    state: &AppState,
    u: &user::Model,
    id: i64,
    req: MealUpdate,
) -> AppResult<MealResponse> {
    let m = own(state, u, id).await?;
    let mut errors = FieldErrors::new();
    if let Some(n) = &req.name {
        check_name(&mut errors, n);
    }
    errors.into_result()?;
    if let Some(items) = &req.items {
        check_items(&state.db, u.id, items).await?;
    }
    let now = state.now();
    let txn = state.db.begin().await?;
    let mut am: meal::ActiveModel = m.into();
    if let Some(n) = req.name {
        am.name = Set(n.trim().to_string());
    }
    if let Some(c) = req.meal_time_category {
        am.meal_time_category = Set(c.as_str().into());
    }
    if let Some(d) = req.description {
        am.description = Set(d);
    }
    am.updated_at = Set(now);
    let m = am.update(&txn).await?;
    if let Some(items) = &req.items {
        save_items(&txn, m.id, items, now).await?;
    }
    super::plan_cache::touch_plans_of_meal(&txn, m.id).await?;
    txn.commit().await?;
    one(state, m).await
}

pub async fn delete(state: &AppState, u: &user::Model, id: i64) -> AppResult<()> {
    let m = own(state, u, id).await?;
    // The plans that schedule it lose it: they change in the same
    // transaction (the cascade would not tell them).
    let txn = state.db.begin().await?;
    super::plan_cache::touch_plans_of_meal(&txn, m.id).await?;
    meal::Entity::delete_by_id(m.id).exec(&txn).await?;
    txn.commit().await?;
    Ok(())
}

/// A private copy of a visible meal or template.
pub async fn copy(state: &AppState, u: &user::Model, id: i64) -> AppResult<MealResponse> {
    let m = visible(&state.db, u.id, id).await?;
    let items: Vec<ItemRequest> = meal_item::Entity::find()
        .filter(meal_item::Column::MealId.eq(m.id))
        .order_by_asc(meal_item::Column::Position)
        .all(&state.db)
        .await?
        .into_iter()
        .map(|i| ItemRequest {
            food_id: i.food_id,
            number_of_servings: i.number_of_servings,
        })
        .collect();
    let now = state.now();
    let txn = state.db.begin().await?;
    let copy = meal::ActiveModel {
        owner_id: Set(Some(u.id)),
        name: Set(m.name),
        description: Set(m.description),
        meal_time_category: Set(m.meal_time_category),
        is_template: Set(false),
        is_public: Set(false),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    save_items(&txn, copy.id, &items, now).await?;
    txn.commit().await?;
    one(state, copy).await
}

pub async fn list(
    state: &AppState,
    u: &user::Model,
    q: &QueryMap,
    p: PageParams,
) -> AppResult<(Vec<MealResponse>, u64)> {
    q.only(&[
        "meal_time_category",
        "is_template",
        "search",
        "page",
        "page_size",
    ])?;
    let mut select = meal::Entity::find().filter(
        Condition::any()
            .add(meal::Column::OwnerId.eq(u.id))
            .add(meal::Column::IsPublic.eq(true)),
    );
    if let Some(c) = q.get("meal_time_category").filter(|s| !s.is_empty()) {
        let c = MealTime::parse(c).ok_or_else(|| {
            FieldErrors::single(
                "meal_time_category",
                "Use breakfast, lunch, dinner or snack.",
            )
        })?;
        select = select.filter(meal::Column::MealTimeCategory.eq(c.as_str()));
    }
    if let Some(t) = q.bool("is_template")? {
        select = select.filter(meal::Column::IsTemplate.eq(t));
    }
    if let Some(s) = q.get("search").map(str::trim).filter(|s| !s.is_empty()) {
        let pattern = format!(
            "%{}%",
            s.to_lowercase()
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_")
        );
        select = select.filter(
            sea_orm::sea_query::Expr::expr(sea_orm::sea_query::Func::lower(
                sea_orm::sea_query::Expr::col((meal::Entity, meal::Column::Name)),
            ))
            .like(sea_orm::sea_query::LikeExpr::new(pattern).escape('\\')),
        );
    }
    let count = select.clone().count(&state.db).await?;
    let rows = select
        .order_by_desc(meal::Column::CreatedAt)
        .order_by_desc(meal::Column::Id)
        .offset(p.offset())
        .limit(p.page_size)
        .all(&state.db)
        .await?;
    Ok((responses(state, rows).await?, count))
}
