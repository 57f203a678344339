//! The nutrition part of the dashboard: today's target, what was logged
//! and planned, and the next scheduled meals.

use super::{
    dto::MealTime,
    entity::{meal, meal_item, meal_plan, scheduled_meal},
    meals, targets,
};
use crate::{accounts::entity::profile, app::AppState, error::AppResult};
use chrono::{Duration, NaiveDate};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, IdenStatic, Iterable, JoinType,
    QueryFilter, QuerySelect,
};
use serde::Serialize;
use std::collections::HashSet;
use utoipa::ToSchema;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NextMeal {
    pub date: NaiveDate,
    pub plan_id: i64,
    pub day_of_plan: i32,
    pub meal: super::dto::MealResponse,
}

pub struct Today {
    pub calories_target: Option<f64>,
    pub calories_logged: f64,
    pub calories_planned: f64,
    pub next_meals: Vec<NextMeal>,
}

/// A scheduled meal with its plan's dates and one of its items (a row per
/// item; none for a meal without items).
#[derive(Debug, FromQueryResult)]
struct Slot {
    #[sea_orm(nested)]
    meal: meal::Model,
    #[sea_orm(nested(prefix = "i_"))]
    item: Option<meal_item::Model>,
    s_id: i64,
    s_plan_id: i64,
    s_day_of_plan: i32,
    s_position: i32,
    p_start_date: NaiveDate,
}

/// How far ahead "next meals" look.
const HORIZON_DAYS: i64 = 7;

/// The first and last start dates of plans that may have meals from
/// `today` to the horizon (plans last at most `MAX_DAYS`).
pub fn plan_starts(today: NaiveDate) -> (NaiveDate, NaiveDate) {
    (
        today - Duration::days(i64::from(super::plans::MAX_DAYS) - 1),
        today + Duration::days(HORIZON_DAYS),
    )
}

/// Today's part given what was `logged` (the dashboard reads it with the
/// profile); scheduled meals are read only when `plans_near` says a plan
/// may hold some. Reads through `db` (the dashboard's transaction, say).
pub async fn today<C: ConnectionTrait>(
    state: &AppState,
    db: &C,
    p: &profile::Model,
    today: NaiveDate,
    logged: f64,
    plans_near: bool,
) -> AppResult<Today> {
    let calories_target = targets::compute(p, today).ok().map(|t| t.calories);
    if !plans_near {
        return Ok(Today {
            calories_target,
            calories_logged: logged,
            calories_planned: 0.0,
            next_meals: Vec::new(),
        });
    }
    let (first_start, last_start) = plan_starts(today);
    // The user's meals scheduled in plans starting up to the horizon, with
    // their plan's dates and their items: one statement.
    let mut select = super::plans::scheduled_meals()
        .join(
            JoinType::InnerJoin,
            scheduled_meal::Entity::belongs_to(meal_plan::Entity)
                .from(scheduled_meal::Column::PlanId)
                .to(meal_plan::Column::Id)
                .into(),
        )
        .join(
            JoinType::LeftJoin,
            meal::Entity::belongs_to(meal_item::Entity)
                .from(meal::Column::Id)
                .to(meal_item::Column::MealId)
                .into(),
        )
        .column_as(scheduled_meal::Column::Id, "s_id")
        .column_as(scheduled_meal::Column::PlanId, "s_plan_id")
        .column_as(scheduled_meal::Column::DayOfPlan, "s_day_of_plan")
        .column_as(scheduled_meal::Column::Position, "s_position")
        .column_as(meal_plan::Column::StartDate, "p_start_date")
        .filter(meal_plan::Column::OwnerId.eq(p.user_id))
        .filter(meal_plan::Column::StartDate.gte(first_start))
        .filter(meal_plan::Column::StartDate.lte(last_start));
    for col in meal_item::Column::iter() {
        select = select.column_as(col, format!("i_{}", col.as_str()));
    }
    let slots: Vec<Slot> = select.into_model::<Slot>().all(db).await?;
    let mut upcoming: Vec<(NaiveDate, i64, i32, i32, i64)> = Vec::new();
    let mut rows: Vec<meal::Model> = Vec::new();
    let mut items: Vec<meal_item::Model> = Vec::new();
    let (mut seen_slots, mut seen_meals, mut seen_items) =
        (HashSet::new(), HashSet::new(), HashSet::new());
    for s in slots {
        let date = s.p_start_date + Duration::days(i64::from(s.s_day_of_plan - 1));
        if date < today || date > today + Duration::days(HORIZON_DAYS) {
            continue;
        }
        if seen_slots.insert(s.s_id) {
            upcoming.push((date, s.s_plan_id, s.s_day_of_plan, s.s_position, s.meal.id));
        }
        if let Some(item) = s.item
            && seen_items.insert(item.id)
        {
            items.push(item);
        }
        if seen_meals.insert(s.meal.id) {
            rows.push(s.meal);
        }
    }
    items.sort_by_key(|i| (i.meal_id, i.position, i.id));
    let by_id: std::collections::HashMap<i64, super::dto::MealResponse> =
        meals::with_items(state, db, rows, items)
            .await?
            .into_iter()
            .map(|m| (m.id, m))
            .collect();
    let planned: f64 = upcoming
        .iter()
        .filter(|u| u.0 == today)
        .filter_map(|u| by_id.get(&u.4))
        .map(|m| m.totals.calories)
        .sum();
    let slot = |id: i64| {
        by_id
            .get(&id)
            .and_then(|m| MealTime::parse(&m.meal_time_category))
            .unwrap_or(MealTime::Dinner)
    };
    upcoming.sort_by_key(|u| (u.0, slot(u.4), u.3, u.1));
    let next_meals = upcoming
        .into_iter()
        .filter_map(|(date, plan_id, day_of_plan, _, meal_id)| {
            Some(NextMeal {
                date,
                plan_id,
                day_of_plan,
                meal: by_id.get(&meal_id)?.clone(),
            })
        })
        .take(3)
        .collect();
    Ok(Today {
        calories_target,
        calories_logged: logged,
        calories_planned: planned.round(),
        next_meals,
    })
}
