//! The food diary: what was eaten, as it was then (nutrients are copied
//! into the entry, so later edits of a food or meal do not rewrite the
//! past), and its per-day summary in the caller's local days.

use super::{
    dto::{FoodRef, MealTime, Totals},
    entity::food_log,
    foods, meals, targets,
};
use crate::{
    accounts::{entity::user, service as accounts},
    app::AppState,
    error::{AppError, AppResult, FieldErrors},
    platform::pagination::{CursorParams, QueryMap, fetch_newest_first},
};
use chrono::{Duration, NaiveDate};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LogCreate {
    pub date: NaiveDate,
    pub meal_time_category: MealTime,
    pub food_id: Option<i64>,
    pub meal_id: Option<i64>,
    /// Servings of the food, or portions of the meal (default 1).
    pub number_of_servings: Option<f64>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LogUpdate {
    pub date: Option<NaiveDate>,
    pub meal_time_category: Option<MealTime>,
    pub number_of_servings: Option<f64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MealRef {
    pub id: i64,
    pub name: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LogEntry {
    pub id: i64,
    pub date: NaiveDate,
    pub meal_time_category: String,
    /// The food logged (null for a meal, or once the food is deleted).
    pub food: Option<FoodRef>,
    pub meal: Option<MealRef>,
    /// The name at the time of logging.
    pub name: String,
    pub number_of_servings: f64,
    pub calories: f64,
    pub protein_g: f64,
    pub carbs_g: f64,
    pub fat_g: f64,
    pub fiber_g: Option<f64>,
    pub sugar_g: Option<f64>,
    pub sodium_mg: Option<f64>,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SummaryDay {
    pub date: NaiveDate,
    pub totals: Totals,
    /// From the profile; null when it lacks weight, height or birth date.
    pub targets: Option<targets::DailyTargets>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Summary {
    pub days: Vec<SummaryDay>,
}

fn entry(e: food_log::Model, food: Option<FoodRef>) -> LogEntry {
    LogEntry {
        meal: e.meal_id.map(|id| MealRef {
            id,
            name: e.name.clone(),
        }),
        food: if e.food_id.is_some() { food } else { None },
        id: e.id,
        date: e.date,
        meal_time_category: e.meal_time_category,
        name: e.name,
        number_of_servings: e.number_of_servings,
        calories: e.calories,
        protein_g: e.protein_g,
        carbs_g: e.carbs_g,
        fat_g: e.fat_g,
        fiber_g: e.fiber_g,
        sugar_g: e.sugar_g,
        sodium_mg: e.sodium_mg,
        created_at: e.created_at,
    }
}

/// Diary dates run from ten years back to tomorrow (a time-zone margin).
fn check_date(errors: &mut FieldErrors, date: NaiveDate, today: NaiveDate) {
    if date > today + Duration::days(1) {
        errors.add("date", "The diary cannot hold days in the future.");
    }
    if date < today - Duration::days(3660) {
        errors.add("date", "At most ten years back.");
    }
}

fn check_servings(errors: &mut FieldErrors, s: f64) {
    if !(s.is_finite() && s > 0.0 && s <= 100.0) {
        errors.add("number_of_servings", "Must be more than 0 and at most 100.");
    }
}

async fn today_of(state: &AppState, user_id: i64) -> AppResult<NaiveDate> {
    let p = accounts::profile_of(&state.db, user_id).await?;
    Ok(accounts::local_today(&p.timezone, state.now()))
}

pub async fn create(state: &AppState, u: &user::Model, req: LogCreate) -> AppResult<LogEntry> {
    let servings = req.number_of_servings.unwrap_or(1.0);
    let mut errors = FieldErrors::new();
    check_servings(&mut errors, servings);
    check_date(&mut errors, req.date, today_of(state, u.id).await?);
    match (req.food_id, req.meal_id) {
        (Some(_), Some(_)) => errors.add("food_id", "Log a food or a meal, not both."),
        (None, None) => errors.add("food_id", "Send `food_id` or `meal_id`."),
        _ => {}
    }
    errors.into_result()?;
    let (name, n, food_ref) = if let Some(fid) = req.food_id {
        let f = foods::visible(&state.db, Some(u.id), fid).await?;
        let n = meals::scaled(&f, servings);
        let r = FoodRef::from(&f);
        (f.name, n, Some(r))
    } else {
        let m = meals::visible(&state.db, u.id, req.meal_id.unwrap_or_default()).await?;
        let r = meals::one(state, m).await?;
        let t = &r.totals;
        let n = Totals {
            calories: t.calories * servings,
            protein_g: t.protein_g * servings,
            carbs_g: t.carbs_g * servings,
            fat_g: t.fat_g * servings,
            fiber_g: t.fiber_g.map(|v| v * servings),
            sugar_g: t.sugar_g.map(|v| v * servings),
            sodium_mg: t.sodium_mg.map(|v| v * servings),
        };
        (r.name, n, None)
    };
    let n = meals::rounded(n);
    let now = state.now();
    let e = food_log::ActiveModel {
        user_id: Set(u.id),
        date: Set(req.date),
        meal_time_category: Set(req.meal_time_category.as_str().into()),
        food_id: Set(req.food_id),
        meal_id: Set(req.meal_id),
        number_of_servings: Set(servings),
        name: Set(name),
        calories: Set(n.calories),
        protein_g: Set(n.protein_g),
        carbs_g: Set(n.carbs_g),
        fat_g: Set(n.fat_g),
        fiber_g: Set(n.fiber_g),
        sugar_g: Set(n.sugar_g),
        sodium_mg: Set(n.sodium_mg),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&state.db)
    .await?;
    Ok(entry(e, food_ref))
}

async fn own(state: &AppState, user_id: i64, id: i64) -> AppResult<food_log::Model> {
    food_log::Entity::find_by_id(id)
        .one(&state.db)
        .await?
        .filter(|e| e.user_id == user_id)
        .ok_or_else(AppError::not_found)
}

pub async fn update(
    state: &AppState,
    u: &user::Model,
    id: i64,
    req: LogUpdate,
) -> AppResult<LogEntry> {
    let e = own(state, u.id, id).await?;
    let mut errors = FieldErrors::new();
    if let Some(d) = req.date {
        check_date(&mut errors, d, today_of(state, u.id).await?);
    }
    if let Some(s) = req.number_of_servings {
        check_servings(&mut errors, s);
    }
    errors.into_result()?;
    let mut am: food_log::ActiveModel = e.clone().into();
    if let Some(d) = req.date {
        am.date = Set(d);
    }
    if let Some(c) = req.meal_time_category {
        am.meal_time_category = Set(c.as_str().into());
    }
    if let Some(s) = req.number_of_servings {
        // The entry keeps what one serving was when it was logged.
        let k = s / e.number_of_servings;
        let r1 = |v: f64| (v * 10.0).round() / 10.0;
        am.number_of_servings = Set(s);
        am.calories = Set((e.calories * k).round());
        am.protein_g = Set(r1(e.protein_g * k));
        am.carbs_g = Set(r1(e.carbs_g * k));
        am.fat_g = Set(r1(e.fat_g * k));
        am.fiber_g = Set(e.fiber_g.map(|v| r1(v * k)));
        am.sugar_g = Set(e.sugar_g.map(|v| r1(v * k)));
        am.sodium_mg = Set(e.sodium_mg.map(|v| (v * k).round()));
    }
    am.updated_at = Set(state.now());
    let e = am.update(&state.db).await?;
    let food = food_ref(state, e.food_id).await?;
    Ok(entry(e, food))
}

async fn food_ref(state: &AppState, id: Option<i64>) -> AppResult<Option<FoodRef>> {
    let Some(id) = id else { return Ok(None) };
    Ok(super::entity::food::Entity::find_by_id(id)
        .one(&state.db)
        .await?
        .map(|f| FoodRef::from(&f)))
}

pub async fn delete(state: &AppState, u: &user::Model, id: i64) -> AppResult<()> {
    let e = own(state, u.id, id).await?;
    food_log::Entity::delete_by_id(e.id).exec(&state.db).await?;
    Ok(())
}

fn date_param(q: &QueryMap, name: &str) -> AppResult<Option<NaiveDate>> {
    match q.get(name).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => s
            .parse::<NaiveDate>()
            .map(Some)
            .map_err(|_| FieldErrors::single(name, "Use a date like 2026-01-31.")),
    }
}

/// `?date=` or `?from=&to=` (inclusive); newest first, cursor-paginated.
pub async fn list(
    state: &AppState,
    u: &user::Model,
    q: &QueryMap,
    p: CursorParams,
) -> AppResult<(Vec<LogEntry>, bool)> {
    q.only(&["date", "from", "to", "cursor", "page_size"])?;
    let mut select = food_log::Entity::find().filter(food_log::Column::UserId.eq(u.id));
    if let Some(d) = date_param(q, "date")? {
        select = select.filter(food_log::Column::Date.eq(d));
    }
    if let Some(d) = date_param(q, "from")? {
        select = select.filter(food_log::Column::Date.gte(d));
    }
    if let Some(d) = date_param(q, "to")? {
        select = select.filter(food_log::Column::Date.lte(d));
    }
    let (rows, more) = fetch_newest_first(
        select,
        food_log::Column::CreatedAt,
        food_log::Column::Id,
        p,
        &state.db,
    )
    .await?;
    let mut food_ids: Vec<i64> = rows.iter().filter_map(|e| e.food_id).collect();
    food_ids.sort_unstable();
    food_ids.dedup();
    let foods: std::collections::HashMap<i64, FoodRef> = if food_ids.is_empty() {
        Default::default()
    } else {
        super::entity::food::Entity::find()
            .filter(super::entity::food::Column::Id.is_in(food_ids))
            .all(&state.db)
            .await?
            .into_iter()
            .map(|f| (f.id, FoodRef::from(&f)))
            .collect()
    };
    Ok((
        rows.into_iter()
            .map(|e| {
                let f = e.food_id.and_then(|id| foods.get(&id).cloned());
                entry(e, f)
            })
            .collect(),
        more,
    ))
}

/// Totals logged per date, for dates `from..=to`.
pub async fn totals_by_date<C: sea_orm::ConnectionTrait>(
    db: &C,
    user_id: i64,
    from: NaiveDate,
    to: NaiveDate,
) -> AppResult<BTreeMap<NaiveDate, Totals>> {
    let rows = food_log::Entity::find()
        .filter(food_log::Column::UserId.eq(user_id))
        .filter(food_log::Column::Date.gte(from))
        .filter(food_log::Column::Date.lte(to))
        .all(db)
        .await?;
    let mut out: BTreeMap<NaiveDate, Totals> = BTreeMap::new();
    for e in rows {
        let t = out.remove(&e.date).unwrap_or_default();
        let n = Totals {
            calories: e.calories,
            protein_g: e.protein_g,
            carbs_g: e.carbs_g,
            fat_g: e.fat_g,
            fiber_g: e.fiber_g,
            sugar_g: e.sugar_g,
            sodium_mg: e.sodium_mg,
        };
        out.insert(e.date, meals::add(t, &n));
    }
    Ok(out)
}

/// Every date from `from` to `to` (at most 366), empty days included.
pub async fn summary(state: &AppState, u: &user::Model, q: &QueryMap) -> AppResult<Summary> {
    q.only(&["from", "to"])?;
    let (Some(from), Some(to)) = (date_param(q, "from")?, date_param(q, "to")?) else {
        return Err(FieldErrors::single("from", "Send `from` and `to` dates."));
    };
    if to < from {
        return Err(FieldErrors::single("to", "Must not be before `from`."));
    }
    if (to - from).num_days() > 365 {
        return Err(FieldErrors::single("to", "At most 366 days at once."));
    }
    let totals = totals_by_date(&state.db, u.id, from, to).await?;
    let profile = accounts::profile_of(&state.db, u.id).await?;
    let days = from
        .iter_days()
        .take_while(|d| *d <= to)
        .map(|date| SummaryDay {
            totals: meals::rounded(totals.get(&date).cloned().unwrap_or_default()),
            targets: targets::compute(&profile, date).ok(),
            date,
        })
        .collect();
    Ok(Summary { days })
}
