//! The nutrition part of the dashboard: today's target, what was logged
//! and planned, and the next scheduled meals.

use super::{diary, dto::MealTime, entity::meal_plan, entity::scheduled_meal, meals, targets};
use crate::{accounts::entity::profile, error::AppResult};
use chrono::{Duration, NaiveDate};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde::Serialize;
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

/// How far ahead "next meals" look.
const HORIZON_DAYS: i64 = 7;

pub async fn today<C: ConnectionTrait>(
    db: &C,
    p: &profile::Model,
    today: NaiveDate,
) -> AppResult<Today> {
    let logged = diary::totals_by_date(db, p.user_id, today, today)
        .await?
        .get(&today)
        .map_or(0.0, |t| t.calories);
    // The user's plans that overlap today..today+horizon.
    let plans: Vec<meal_plan::Model> = meal_plan::Entity::find()
        .filter(meal_plan::Column::OwnerId.eq(p.user_id))
        .filter(meal_plan::Column::StartDate.lte(today + Duration::days(HORIZON_DAYS)))
        .all(db)
        .await?
        .into_iter()
        .filter(|pl| pl.start_date + Duration::days(i64::from(pl.duration_days)) > today)
        .collect();
    let plan_ids: Vec<i64> = plans.iter().map(|pl| pl.id).collect();
    let scheduled = if plan_ids.is_empty() {
        Vec::new()
    } else {
        scheduled_meal::Entity::find()
            .filter(scheduled_meal::Column::PlanId.is_in(plan_ids))
            .all(db)
            .await?
    };
    let mut upcoming: Vec<(NaiveDate, i64, i32, i32, i64)> = scheduled
        .iter()
        .filter_map(|s| {
            let pl = plans.iter().find(|pl| pl.id == s.plan_id)?;
            let date = super::plans::date_of(pl, s.day_of_plan);
            (date >= today && date <= today + Duration::days(HORIZON_DAYS)).then_some((
                date,
                s.plan_id,
                s.day_of_plan,
                s.position,
                s.meal_id,
            ))
        })
        .collect();
    let mut meal_ids: Vec<i64> = upcoming.iter().map(|u| u.4).collect();
    meal_ids.sort_unstable();
    meal_ids.dedup();
    let rows = if meal_ids.is_empty() {
        Vec::new()
    } else {
        super::entity::meal::Entity::find()
            .filter(super::entity::meal::Column::Id.is_in(meal_ids))
            .all(db)
            .await?
    };
    let by_id: std::collections::HashMap<i64, super::dto::MealResponse> =
        meals::responses(db, rows)
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
        calories_target: targets::compute(p, today).ok().map(|t| t.calories),
        calories_logged: logged,
        calories_planned: planned.round(),
        next_meals,
    })
}
