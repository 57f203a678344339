//! Foods: public ones (bundled, imported, staff-made) and each user's
//! private custom foods. Owners edit their own; public foods are edited by
//! staff only; a food used in a meal cannot be deleted.

use super::{
    dto::{FoodCreate, FoodResponse, FoodUpdate, Portion},
    entity::{food, food_portion, meal_item},
    search::{self, FoodSearch, Scope},
    text::fold,
};
use crate::{
    accounts::entity::user,
    app::AppState,
    error::{AppError, AppResult, FieldErrors},
    platform::pagination::{PageParams, QueryMap},
};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, TransactionTrait,
};
use std::collections::HashMap;

pub const SOURCE_CUSTOM: &str = "custom";

pub fn response(f: food::Model, portions: Vec<Portion>) -> FoodResponse {
    FoodResponse {
        id: f.id,
        name: f.name,
        brand: f.brand,
        category: f.category,
        serving_size: f.serving_size,
        serving_unit: f.serving_unit,
        serving_description: f.serving_description,
        calories: f.calories,
        protein_g: f.protein_g,
        carbs_g: f.carbs_g,
        fat_g: f.fat_g,
        fiber_g: f.fiber_g,
        sugar_g: f.sugar_g,
        sodium_mg: f.sodium_mg,
        portions,
        is_public: f.is_public,
        owner: if f.is_public { None } else { f.owner_id },
        source: f.source,
    }
}

/// Portions of many foods in one query.
pub async fn portions_of<C: ConnectionTrait>(
    db: &C,
    ids: &[i64],
) -> AppResult<HashMap<i64, Vec<Portion>>> {
    let mut out: HashMap<i64, Vec<Portion>> = HashMap::new();
    if ids.is_empty() {
        return Ok(out);
    }
    let rows = food_portion::Entity::find()
        .filter(food_portion::Column::FoodId.is_in(ids.to_vec()))
        .order_by_asc(food_portion::Column::FoodId)
        .order_by_asc(food_portion::Column::Seq)
        .all(db)
        .await?;
    for p in rows {
        out.entry(p.food_id).or_default().push(Portion {
            description: p.description,
            grams: p.grams,
        });
    }
    Ok(out)
}

pub async fn list(
    state: &AppState,
    viewer: Option<&user::Model>,
    q: &QueryMap,
    p: PageParams,
) -> AppResult<(Vec<FoodResponse>, u64)> {
    q.only(&["search", "category", "mine", "page", "page_size"])?;
    let mine = q.bool("mine")?.unwrap_or(false);
    let scope = match (mine, viewer) {
        (true, Some(u)) => Scope::Mine(u.id),
        (true, None) => return Err(AppError::not_authenticated()),
        (false, v) => Scope::Visible(v.map(|u| u.id)),
    };
    let text = q.get("search").map(str::trim).filter(|s| !s.is_empty());
    if text.is_some_and(|t| t.chars().count() > 100) {
        return Err(FieldErrors::single("search", "At most 100 characters."));
    }
    let category = q.get("category").filter(|s| !s.is_empty());
    // Ranked text search over public foods runs from memory.
    if let (Scope::Visible(user), Some(t)) = (scope, text) {
        return state
            .food_index
            .search(&state.db, user, t, category, p.offset(), p.page_size)
            .await;
    }
    let (rows, count) = search::search(
        &state.db,
        &FoodSearch {
            text,
            category,
            scope,
            offset: p.offset(),
            limit: p.page_size,
        },
    )
    .await?;
    let ids: Vec<i64> = rows.iter().map(|f| f.id).collect();
    let mut portions = portions_of(&state.db, &ids).await?;
    Ok((
        rows.into_iter()
            .map(|f| {
                let ps = portions.remove(&f.id).unwrap_or_default();
                response(f, ps)
            })
            .collect(),
        count,
    ))
}

/// A food the caller may see (public or their own), else 404.
pub async fn visible<C: ConnectionTrait>(
    db: &C,
    user_id: Option<i64>,
    id: i64,
) -> AppResult<food::Model> {
    food::Entity::find_by_id(id)
        .one(db)
        .await?
        .filter(|f| f.is_public || (f.owner_id.is_some() && f.owner_id == user_id))
        .ok_or_else(AppError::not_found)
}

pub async fn get(
    state: &AppState,
    viewer: Option<&user::Model>,
    id: i64,
) -> AppResult<FoodResponse> {
    let f = visible(&state.db, viewer.map(|u| u.id), id).await?;
    let mut portions = portions_of(&state.db, &[f.id]).await?;
    let ps = portions.remove(&f.id).unwrap_or_default();
    Ok(response(f, ps))
}

struct Nutrients {
    serving_size: f64,
    unit: String,
    calories: f64,
    protein_g: f64,
    carbs_g: f64,
    fat_g: f64,
    fiber_g: Option<f64>,
    sugar_g: Option<f64>,
    sodium_mg: Option<f64>,
}

/// Negative or physically impossible values are refused: no serving holds
/// more energy than pure fat (9 kcal/g) or more macronutrients than it
/// weighs.
fn check_nutrients(errors: &mut FieldErrors, n: &Nutrients) {
    if !(n.serving_size.is_finite() && n.serving_size > 0.0 && n.serving_size <= 5000.0) {
        errors.add("serving_size", "Must be more than 0 and at most 5000.");
        return;
    }
    let per_serving = [
        ("calories", Some(n.calories)),
        ("protein_g", Some(n.protein_g)),
        ("carbs_g", Some(n.carbs_g)),
        ("fat_g", Some(n.fat_g)),
        ("fiber_g", n.fiber_g),
        ("sugar_g", n.sugar_g),
        ("sodium_mg", n.sodium_mg),
    ];
    for (field, v) in per_serving {
        if let Some(v) = v
            && !(v.is_finite() && v >= 0.0)
        {
            errors.add(field, "Must be a number of 0 or more.");
        }
    }
    // Liquids are allowed a little more mass per millilitre (syrups, oils).
    let mass = if n.unit == "ml" {
        n.serving_size * 1.5
    } else {
        n.serving_size
    };
    if n.calories > mass * 9.02 {
        errors.add(
            "calories",
            "More energy than this serving can hold (pure fat is 9 kcal per gram).",
        );
    }
    if n.protein_g + n.carbs_g + n.fat_g > mass * 1.01 {
        errors.add(
            "protein_g",
            "Protein, carbohydrate and fat weigh more than the serving.",
        );
    }
    if let Some(f) = n.fiber_g
        && f > n.carbs_g.max(0.0) + mass * 0.01
    {
        errors.add(
            "fiber_g",
            "Fiber is part of carbohydrate: it cannot exceed it.",
        );
    }
    if let Some(s) = n.sugar_g
        && s > n.carbs_g.max(0.0) + mass * 0.01
    {
        errors.add(
            "sugar_g",
            "Sugar is part of carbohydrate: it cannot exceed it.",
        );
    }
    if n.sodium_mg.is_some_and(|s| s > mass * 400.0) {
        errors.add("sodium_mg", "More sodium than this serving can hold.");
    }
}

fn check_text(errors: &mut FieldErrors, field: &str, v: &str, max: usize, required: bool) {
    let n = v.trim().chars().count();
    if (required && n == 0) || n > max {
        errors.add(field, format!("Enter 1 to {max} characters."));
    }
}

fn check_portions(errors: &mut FieldErrors, portions: &[Portion]) {
    if portions.len() > 50 {
        errors.add("portions", "At most 50 portions.");
    }
    for p in portions {
        if p.description.trim().is_empty()
            || p.description.chars().count() > 100
            || !(p.grams.is_finite() && p.grams > 0.0 && p.grams <= 5000.0)
        {
            errors.add(
                "portions",
                "Each portion needs a description and 0 < grams <= 5000.",
            );
            break;
        }
    }
}

async fn save_portions<C: ConnectionTrait>(
    db: &C,
    food_id: i64,
    portions: &[Portion],
    now: chrono::DateTime<chrono::Utc>,
) -> AppResult<()> {
    food_portion::Entity::delete_many()
        .filter(food_portion::Column::FoodId.eq(food_id))
        .exec(db)
        .await?;
    if portions.is_empty() {
        return Ok(());
    }
    food_portion::Entity::insert_many(portions.iter().enumerate().map(|(i, p)| {
        food_portion::ActiveModel {
            food_id: Set(food_id),
            seq: Set(i as i32 + 1),
            description: Set(p.description.trim().to_string()),
            grams: Set(p.grams),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
    }))
    .exec(db)
    .await?;
    Ok(())
}

pub async fn create(state: &AppState, u: &user::Model, req: FoodCreate) -> AppResult<FoodResponse> {
    if req.is_public && !u.is_staff {
        return Err(AppError::forbidden(
            "permission_denied",
            "Only staff create public foods.",
        ));
    }
    let category = req.category.clone().unwrap_or_else(|| "Custom".into());
    let mut errors = FieldErrors::new();
    check_text(&mut errors, "name", &req.name, 200, true);
    check_text(&mut errors, "category", &category, 100, true);
    check_nutrients(
        &mut errors,
        &Nutrients {
            serving_size: req.serving_size,
            unit: req.serving_unit.as_str().into(),
            calories: req.calories,
            protein_g: req.protein_g,
            carbs_g: req.carbs_g,
            fat_g: req.fat_g,
            fiber_g: req.fiber_g,
            sugar_g: req.sugar_g,
            sodium_mg: req.sodium_mg,
        },
    );
    check_portions(&mut errors, &req.portions);
    errors.into_result()?;
    let now = state.now();
    let name = req.name.trim().to_string();
    let per_100g = 100.0 / req.serving_size;
    let (diet_flags, meal_slots) = super::classify(
        &category,
        &name,
        req.calories * per_100g,
        req.carbs_g * per_100g,
    );
    let txn = state.db.begin().await?;
    let f = food::ActiveModel {
        name_search: Set(fold(&name)),
        name: Set(name),
        brand: Set(req
            .brand
            .map(|b| b.trim().to_string())
            .filter(|b| !b.is_empty())),
        category: Set(category),
        serving_size: Set(req.serving_size),
        serving_unit: Set(req.serving_unit.as_str().into()),
        serving_description: Set(req.serving_description),
        calories: Set(req.calories),
        protein_g: Set(req.protein_g),
        carbs_g: Set(req.carbs_g),
        fat_g: Set(req.fat_g),
        fiber_g: Set(req.fiber_g),
        sugar_g: Set(req.sugar_g),
        sodium_mg: Set(req.sodium_mg),
        is_public: Set(req.is_public),
        owner_id: Set(Some(u.id)),
        source: Set(SOURCE_CUSTOM.into()),
        source_id: Set(None),
        diet_flags: Set(diet_flags),
        meal_slots: Set(meal_slots),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    save_portions(&txn, f.id, &req.portions, now).await?;
    txn.commit().await?;
    if f.is_public {
        state.public_foods_changed();
    }
    Ok(response(f, req.portions))
}

/// The food, if the caller may change it: their own custom food, or any
/// public food for staff.
async fn editable(state: &AppState, u: &user::Model, id: i64) -> AppResult<food::Model> {
    let f = visible(&state.db, Some(u.id), id).await?;
    let own = !f.is_public && f.owner_id == Some(u.id);
    if own || u.is_staff {
        Ok(f)
    } else {
        Err(AppError::forbidden(
            "permission_denied",
            "Public foods are edited by staff only.",
        ))
    }
}

pub async fn update(
    state: &AppState,
    u: &user::Model,
    id: i64,
    req: FoodUpdate,
) -> AppResult<FoodResponse> {
    let f = editable(state, u, id).await?;
    let mut errors = FieldErrors::new();
    if let Some(n) = &req.name {
        check_text(&mut errors, "name", n, 200, true);
    }
    if let Some(c) = &req.category {
        check_text(&mut errors, "category", c, 100, true);
    }
    let n = Nutrients {
        serving_size: req.serving_size.unwrap_or(f.serving_size),
        unit: req
            .serving_unit
            .map_or(f.serving_unit.clone(), |s| s.as_str().to_string()),
        calories: req.calories.unwrap_or(f.calories),
        protein_g: req.protein_g.unwrap_or(f.protein_g),
        carbs_g: req.carbs_g.unwrap_or(f.carbs_g),
        fat_g: req.fat_g.unwrap_or(f.fat_g),
        fiber_g: req.fiber_g.or(f.fiber_g),
        sugar_g: req.sugar_g.or(f.sugar_g),
        sodium_mg: req.sodium_mg.or(f.sodium_mg),
    };
    check_nutrients(&mut errors, &n);
    if let Some(p) = &req.portions {
        check_portions(&mut errors, p);
    }
    errors.into_result()?;
    let now = state.now();
    let name = req.name.map_or(f.name.clone(), |n| n.trim().to_string());
    let category = req
        .category
        .map_or(f.category.clone(), |c| c.trim().to_string());
    let per_100g = 100.0 / n.serving_size;
    let (diet_flags, meal_slots) = super::classify(
        &category,
        &name,
        n.calories * per_100g,
        n.carbs_g * per_100g,
    );
    let mut am: food::ActiveModel = f.into();
    am.name_search = Set(fold(&name));
    am.name = Set(name);
    am.category = Set(category);
    if let Some(b) = req.brand {
        am.brand = Set(Some(b.trim().to_string()).filter(|b| !b.is_empty()));
    }
    if let Some(d) = req.serving_description {
        am.serving_description = Set(Some(d));
    }
    am.serving_size = Set(n.serving_size);
    am.serving_unit = Set(n.unit);
    am.calories = Set(n.calories);
    am.protein_g = Set(n.protein_g);
    am.carbs_g = Set(n.carbs_g);
    am.fat_g = Set(n.fat_g);
    am.fiber_g = Set(n.fiber_g);
    am.sugar_g = Set(n.sugar_g);
    am.sodium_mg = Set(n.sodium_mg);
    am.diet_flags = Set(diet_flags);
    am.meal_slots = Set(meal_slots);
    am.updated_at = Set(now);
    let txn = state.db.begin().await?;
    let saved = am.update(&txn).await?;
    if let Some(p) = &req.portions {
        save_portions(&txn, saved.id, p, now).await?;
    }
    // Plans read public foods from the snapshot (a new version after this
    // change); the users' own foods from the database, so their plans move.
    if !saved.is_public {
        super::plan_cache::touch_plans_with_food(&txn, saved.id).await?;
    }
    txn.commit().await?;
    if saved.is_public {
        state.public_foods_changed();
    }
    let mut portions = portions_of(&state.db, &[saved.id]).await?;
    let ps = portions.remove(&saved.id).unwrap_or_default();
    Ok(response(saved, ps))
}

/// Leaves the public foods `owner_id` added without an owner (before the
/// account goes: they belong to the catalogue).
pub async fn detach_public_foods<C: ConnectionTrait>(
    db: &C,
    owner_id: i64,
) -> Result<(), sea_orm::DbErr> {
    food::Entity::update_many()
        .col_expr(
            food::Column::OwnerId,
            sea_orm::sea_query::Expr::value(Option::<i64>::None),
        )
        .filter(food::Column::OwnerId.eq(owner_id))
        .filter(food::Column::IsPublic.eq(true))
        .exec(db)
        .await?;
    Ok(())
}

pub async fn delete(state: &AppState, u: &user::Model, id: i64) -> AppResult<()> {
    let f = editable(state, u, id).await?;
    let used = meal_item::Entity::find()
        .filter(meal_item::Column::FoodId.eq(f.id))
        .one(&state.db)
        .await?
        .is_some();
    if used {
        return Err(AppError::conflict(
            "conflict",
            "This food is part of a meal; remove it from the meal first.",
        ));
    }
    food::Entity::delete_by_id(f.id).exec(&state.db).await?;
    if f.is_public {
        state.public_foods_changed();
    }
    Ok(())
}
