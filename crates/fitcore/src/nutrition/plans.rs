//! Meal plans: days of scheduled meals with per-day totals, copies, and
//! the shopping list. A plan's detail costs a fixed number of queries
//! whatever its size (plan, scheduled meals, meals, items, foods).

use super::{
    dto::*,
    entity::{food, food_portion, meal, meal_item, meal_plan, scheduled_meal},
    meals, plan_cache,
};
use crate::{
    accounts::entity::user,
    app::AppState,
    error::{AppError, AppResult, FieldErrors},
    platform::pagination::{PageParams, QueryMap},
};
use chrono::{Duration, NaiveDate};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait,
    FromQueryResult, JoinType, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
    TransactionTrait,
};
use std::collections::{BTreeMap, HashMap};

pub const MAX_DAYS: i32 = 28;

pub fn response(p: meal_plan::Model, days: Option<Vec<PlanDay>>) -> PlanResponse {
    PlanResponse {
        owner: if p.is_public { None } else { p.owner_id },
        id: p.id,
        name: p.name,
        goal: p.goal,
        duration_days: p.duration_days,
        start_date: p.start_date,
        target_daily_calories: p.target_daily_calories,
        target_protein_g: p.target_protein_g,
        target_carbs_g: p.target_carbs_g,
        target_fat_g: p.target_fat_g,
        is_ai_generated: p.is_ai_generated,
        is_template: p.is_template,
        days,
        created_at: p.created_at,
    }
}

pub async fn visible<C: ConnectionTrait>(
    db: &C,
    user_id: i64,
    id: i64,
) -> AppResult<meal_plan::Model> {
    meal_plan::Entity::find_by_id(id)
        .one(db)
        .await?
        .filter(|p| p.is_public || p.owner_id == Some(user_id))
        .ok_or_else(AppError::not_found)
}

async fn own(state: &AppState, u: &user::Model, id: i64) -> AppResult<meal_plan::Model> {
    let p = visible(&state.db, u.id, id).await?;
    if p.owner_id == Some(u.id) || (p.is_public && u.is_staff) {
        Ok(p)
    } else {
        Err(AppError::forbidden(
            "permission_denied",
            "Public plans are edited by staff; copy it to make it yours.",
        ))
    }
}

/// Every day of the plan (empty ones too) with its meals and totals.
/// Meals joined to their scheduled slots (one row per slot).
pub(super) fn scheduled_meals() -> sea_orm::Select<meal::Entity> {
    meal::Entity::find().join(
        JoinType::InnerJoin,
        meal::Entity::belongs_to(scheduled_meal::Entity)
            .from(meal::Column::Id)
            .to(scheduled_meal::Column::MealId)
            .into(),
    )
}

/// A scheduled meal of a plan with its meal row.
#[derive(Debug, FromQueryResult)]
struct ScheduledRow {
    #[sea_orm(nested)]
    meal: meal::Model,
    s_id: i64,
    s_day_of_plan: i32,
}

pub async fn days_of(state: &AppState, p: &meal_plan::Model) -> AppResult<Vec<PlanDay>> {
    days_in(state, &state.db, p).await
}

/// `days_of` reading through `db` (a transaction, say).
pub async fn days_in<C: ConnectionTrait>(
    state: &AppState,
    db: &C,
    p: &meal_plan::Model,
) -> AppResult<Vec<PlanDay>> {
    // The scheduled meals with their meal rows: one statement.
    let slots: Vec<ScheduledRow> = scheduled_meals()
        .column_as(scheduled_meal::Column::Id, "s_id")
        .column_as(scheduled_meal::Column::DayOfPlan, "s_day_of_plan")
        .filter(scheduled_meal::Column::PlanId.eq(p.id))
        .order_by_asc(scheduled_meal::Column::DayOfPlan)
        .order_by_asc(scheduled_meal::Column::Position)
        .order_by_asc(scheduled_meal::Column::Id)
        .into_model()
        .all(db)
        .await?;
    let mut scheduled = Vec::with_capacity(slots.len());
    let mut rows = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for s in slots {
        scheduled.push((s.s_id, s.s_day_of_plan, s.meal.id));
        if seen.insert(s.meal.id) {
            rows.push(s.meal);
        }
    }
    let by_id: HashMap<i64, MealResponse> = meals::responses_in(state, db, rows)
        .await?
        .into_iter()
        .map(|m| (m.id, m))
        .collect();
    let mut days: BTreeMap<i32, Vec<ScheduledMealResponse>> = BTreeMap::new();
    for (id, day_of_plan, meal_id) in scheduled {
        if let Some(m) = by_id.get(&meal_id) {
            days.entry(day_of_plan)
                .or_default()
                .push(ScheduledMealResponse {
                    id,
                    meal: m.clone(),
                });
        }
    }
    Ok((1..=p.duration_days)
        .map(|d| {
            let meals = days.remove(&d).unwrap_or_default();
            let totals = meals
                .iter()
                .fold(Totals::default(), |t, m| meals::add(t, &m.meal.totals));
            PlanDay {
                day_of_plan: d,
                date: p.start_date + Duration::days(i64::from(d - 1)),
                meals,
                totals: meals::rounded(totals),
            }
        })
        .collect())
}

fn check(
    errors: &mut FieldErrors,
    name: Option<&str>,
    days: Option<i32>,
    targets: [Option<f64>; 4],
) {
    if let Some(n) = name {
        let n = n.trim().chars().count();
        if n == 0 || n > 200 {
            errors.add("name", "Enter 1 to 200 characters.");
        }
    }
    if let Some(d) = days
        && !(1..=MAX_DAYS).contains(&d)
    {
        errors.add("duration_days", format!("Must be from 1 to {MAX_DAYS}."));
    }
    let names = [
        "target_daily_calories",
        "target_protein_g",
        "target_carbs_g",
        "target_fat_g",
    ];
    let max = [10_000.0, 1000.0, 2000.0, 1000.0];
    for ((v, field), m) in targets.iter().zip(names).zip(max) {
        if let Some(v) = v
            && !(v.is_finite() && *v >= 0.0 && *v <= m)
        {
            errors.add(field, format!("Must be from 0 to {m}."));
        }
    }
}

pub async fn create(state: &AppState, u: &user::Model, req: PlanCreate) -> AppResult<PlanResponse> {
    let mut errors = FieldErrors::new();
    check(
        &mut errors,
        Some(&req.name),
        Some(req.duration_days),
        [
            req.target_daily_calories,
            req.target_protein_g,
            req.target_carbs_g,
            req.target_fat_g,
        ],
    );
    errors.into_result()?;
    let now = state.now();
    let p = meal_plan::ActiveModel {
        owner_id: Set(Some(u.id)),
        name: Set(req.name.trim().to_string()),
        goal: Set(req.goal),
        duration_days: Set(req.duration_days),
        start_date: Set(req.start_date),
        target_daily_calories: Set(req.target_daily_calories),
        target_protein_g: Set(req.target_protein_g),
        target_carbs_g: Set(req.target_carbs_g),
        target_fat_g: Set(req.target_fat_g),
        is_ai_generated: Set(false),
        is_template: Set(req.is_template),
        is_public: Set(req.is_template && u.is_staff),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&state.db)
    .await?;
    let days = days_of(state, &p).await?;
    Ok(response(p, Some(days)))
}

pub async fn list(
    state: &AppState,
    u: &user::Model,
    q: &QueryMap,
    pp: PageParams,
) -> AppResult<(Vec<PlanResponse>, u64)> {
    q.only(&["is_template", "page", "page_size"])?;
    let mut select = meal_plan::Entity::find().filter(
        Condition::any()
            .add(meal_plan::Column::OwnerId.eq(u.id))
            .add(meal_plan::Column::IsPublic.eq(true)),
    );
    if let Some(t) = q.bool("is_template")? {
        select = select.filter(meal_plan::Column::IsTemplate.eq(t));
    }
    let count = select.clone().count(&state.db).await?;
    let rows = select
        .order_by_desc(meal_plan::Column::CreatedAt)
        .order_by_desc(meal_plan::Column::Id)
        .offset(pp.offset())
        .limit(pp.page_size)
        .all(&state.db)
        .await?;
    Ok((rows.into_iter().map(|p| response(p, None)).collect(), count))
}

pub async fn update(
    state: &AppState,
    u: &user::Model,
    id: i64,
    req: PlanUpdate,
) -> AppResult<PlanResponse> {
    let p = own(state, u, id).await?;
    let mut errors = FieldErrors::new();
    check(
        &mut errors,
        req.name.as_deref(),
        req.duration_days,
        [
            req.target_daily_calories,
            req.target_protein_g,
            req.target_carbs_g,
            req.target_fat_g,
        ],
    );
    errors.into_result()?;
    if let Some(d) = req.duration_days {
        let beyond = scheduled_meal::Entity::find()
            .filter(scheduled_meal::Column::PlanId.eq(p.id))
            .filter(scheduled_meal::Column::DayOfPlan.gt(d))
            .one(&state.db)
            .await?;
        if beyond.is_some() {
            return Err(FieldErrors::single(
                "duration_days",
                "Meals are scheduled after that day; remove them first.",
            ));
        }
    }
    let mut am: meal_plan::ActiveModel = p.into();
    if let Some(n) = req.name {
        am.name = Set(n.trim().to_string());
    }
    if let Some(g) = req.goal {
        am.goal = Set(Some(g));
    }
    if let Some(d) = req.duration_days {
        am.duration_days = Set(d);
    }
    if let Some(s) = req.start_date {
        am.start_date = Set(s);
    }
    if let Some(v) = req.target_daily_calories {
        am.target_daily_calories = Set(Some(v));
    }
    if let Some(v) = req.target_protein_g {
        am.target_protein_g = Set(Some(v));
    }
    if let Some(v) = req.target_carbs_g {
        am.target_carbs_g = Set(Some(v));
    }
    if let Some(v) = req.target_fat_g {
        am.target_fat_g = Set(Some(v));
    }
    am.updated_at = Set(state.now());
    let txn = state.db.begin().await?;
    let p = am.update(&txn).await?;
    plan_cache::touch_plan(&txn, p.id).await?;
    txn.commit().await?;
    let days = days_of(state, &p).await?;
    Ok(response(p, Some(days)))
}

pub async fn delete(state: &AppState, u: &user::Model, id: i64) -> AppResult<()> {
    let p = own(state, u, id).await?;
    meal_plan::Entity::delete_by_id(p.id)
        .exec(&state.db)
        .await?;
    Ok(())
}

pub async fn schedule(
    state: &AppState,
    u: &user::Model,
    id: i64,
    req: ScheduleRequest,
) -> AppResult<PlanResponse> {
    let p = own(state, u, id).await?;
    if !(1..=p.duration_days).contains(&req.day_of_plan) {
        return Err(FieldErrors::single(
            "day_of_plan",
            format!("The plan has days 1 to {}.", p.duration_days),
        ));
    }
    meals::visible(&state.db, u.id, req.meal_id).await?;
    let position = scheduled_meal::Entity::find()
        .filter(scheduled_meal::Column::PlanId.eq(p.id))
        .filter(scheduled_meal::Column::DayOfPlan.eq(req.day_of_plan))
        .count(&state.db)
        .await?;
    let now = state.now();
    let txn = state.db.begin().await?;
    scheduled_meal::ActiveModel {
        plan_id: Set(p.id),
        meal_id: Set(req.meal_id),
        day_of_plan: Set(req.day_of_plan),
        position: Set(i32::try_from(position).unwrap_or(i32::MAX)),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    plan_cache::touch_plan(&txn, p.id).await?;
    txn.commit().await?;
    let days = days_of(state, &p).await?;
    Ok(response(p, Some(days)))
}

pub async fn unschedule(
    state: &AppState,
    u: &user::Model,
    id: i64,
    scheduled_id: i64,
) -> AppResult<()> {
    let p = own(state, u, id).await?;
    let txn = state.db.begin().await?;
    let res = scheduled_meal::Entity::delete_many()
        .filter(scheduled_meal::Column::Id.eq(scheduled_id))
        .filter(scheduled_meal::Column::PlanId.eq(p.id))
        .exec(&txn)
        .await?;
    if res.rows_affected == 0 {
        return Err(AppError::not_found());
    }
    plan_cache::touch_plan(&txn, p.id).await?;
    txn.commit().await?;
    Ok(())
}

/// A private copy of a visible plan (a template or the user's own) from
/// `start_date`, scheduling the same meals.
pub async fn copy(
    state: &AppState,
    u: &user::Model,
    id: i64,
    req: CopyRequest,
) -> AppResult<PlanResponse> {
    let p = visible(&state.db, u.id, id).await?;
    let scheduled = scheduled_meal::Entity::find()
        .filter(scheduled_meal::Column::PlanId.eq(p.id))
        .all(&state.db)
        .await?;
    let now = state.now();
    let txn = state.db.begin().await?;
    let copy = meal_plan::ActiveModel {
        owner_id: Set(Some(u.id)),
        name: Set(p.name.clone()),
        goal: Set(p.goal.clone()),
        duration_days: Set(p.duration_days),
        start_date: Set(req.start_date),
        target_daily_calories: Set(p.target_daily_calories),
        target_protein_g: Set(p.target_protein_g),
        target_carbs_g: Set(p.target_carbs_g),
        target_fat_g: Set(p.target_fat_g),
        is_ai_generated: Set(p.is_ai_generated),
        is_template: Set(false),
        is_public: Set(false),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    if !scheduled.is_empty() {
        scheduled_meal::Entity::insert_many(scheduled.iter().map(|s| {
            scheduled_meal::ActiveModel {
                plan_id: Set(copy.id),
                meal_id: Set(s.meal_id),
                day_of_plan: Set(s.day_of_plan),
                position: Set(s.position),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            }
        }))
        .exec(&txn)
        .await?;
    }
    txn.commit().await?;
    let days = days_of(state, &copy).await?;
    Ok(response(copy, Some(days)))
}

/// The portion whose count is closest to a whole (or half) number, from
/// one up to twenty of it.
pub fn nearest_household(grams: f64, portions: &[(String, f64)]) -> Option<Household> {
    portions
        .iter()
        .filter(|(_, g)| *g > 0.0)
        .filter_map(|(d, g)| {
            let count = grams / g;
            let halves = (count * 2.0).round() / 2.0;
            (0.5..=20.0).contains(&halves).then(|| {
                let miss = ((count - halves) / count.max(0.5)).abs();
                (
                    miss,
                    Household {
                        description: d.clone(),
                        count: halves,
                    },
                )
            })
        })
        .min_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, h)| h)
}

pub async fn shopping_list(state: &AppState, u: &user::Model, id: i64) -> AppResult<ShoppingList> {
    let p = visible(&state.db, u.id, id).await?;
    let scheduled = scheduled_meal::Entity::find()
        .filter(scheduled_meal::Column::PlanId.eq(p.id))
        .all(&state.db)
        .await?;
    // How often each meal is eaten over the plan.
    let mut times: HashMap<i64, f64> = HashMap::new();
    for s in &scheduled {
        *times.entry(s.meal_id).or_default() += 1.0;
    }
    let items = if times.is_empty() {
        Vec::new()
    } else {
        meal_item::Entity::find()
            .filter(meal_item::Column::MealId.is_in(times.keys().copied().collect::<Vec<_>>()))
            .all(&state.db)
            .await?
    };
    let mut servings: HashMap<i64, f64> = HashMap::new();
    for it in &items {
        *servings.entry(it.food_id).or_default() +=
            it.number_of_servings * times.get(&it.meal_id).copied().unwrap_or(0.0);
    }
    let food_ids: Vec<i64> = servings.keys().copied().collect();
    let foods: Vec<food::Model> = if food_ids.is_empty() {
        Vec::new()
    } else {
        food::Entity::find()
            .filter(food::Column::Id.is_in(food_ids.clone()))
            .all(&state.db)
            .await?
    };
    let mut portions: HashMap<i64, Vec<(String, f64)>> = HashMap::new();
    if !food_ids.is_empty() {
        for fp in food_portion::Entity::find()
            .filter(food_portion::Column::FoodId.is_in(food_ids))
            .order_by_asc(food_portion::Column::Seq)
            .all(&state.db)
            .await?
        {
            portions
                .entry(fp.food_id)
                .or_default()
                .push((fp.description, fp.grams));
        }
    }
    let mut by_category: BTreeMap<String, Vec<ShoppingItem>> = BTreeMap::new();
    for f in foods {
        let s = servings.get(&f.id).copied().unwrap_or(0.0);
        let grams = s * f.serving_size;
        by_category
            .entry(f.category.clone())
            .or_default()
            .push(ShoppingItem {
                household: nearest_household(
                    grams,
                    portions.get(&f.id).map_or(&[][..], Vec::as_slice),
                ),
                food_id: f.id,
                name: f.name,
                grams: (grams * 10.0).round() / 10.0,
                servings: (s * 100.0).round() / 100.0,
            });
    }
    Ok(ShoppingList {
        plan_id: p.id,
        categories: by_category
            .into_iter()
            .map(|(category, mut items)| {
                items.sort_by(|a, b| a.name.cmp(&b.name));
                ShoppingCategory { category, items }
            })
            .collect(),
    })
}

/// The date a plan day falls on.
pub fn date_of(p: &meal_plan::Model, day: i32) -> NaiveDate {
    p.start_date + Duration::days(i64::from(day - 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_nearest_household_measure_is_the_one_closest_to_a_whole_count() {
        let portions = vec![("1 cup".to_string(), 140.0), ("1 tbsp".to_string(), 9.0)];
        let h = nearest_household(280.0, &portions).expect("a measure");
        assert_eq!((h.description.as_str(), h.count), ("1 cup", 2.0));
        let small = nearest_household(27.0, &portions).expect("a measure");
        assert_eq!((small.description.as_str(), small.count), ("1 tbsp", 3.0));
        assert_eq!(
            nearest_household(10_000.0, &portions),
            None,
            "more than 20 cups"
        );
    }
}
