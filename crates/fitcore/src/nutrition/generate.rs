//! `nutrition/generate/`: a meal plan made by a background job. The local
//! planner picks foods and portions to the targets; when an
//! OpenAI-compatible model is configured it proposes the meals first, each
//! proposed food is resolved to a real one (what does not resolve is
//! dropped) and the planner fixes the portions. Any failure of the model
//! (timeout, refusal, nonsense) falls back to the local planner. A plan is
//! saved only after the independent check passes.

use super::{
    dto::MealTime,
    entity::{food, meal, meal_item, meal_plan, scheduled_meal},
    llm, planner,
    search::{self, FoodSearch, Scope},
    targets,
};
use crate::{
    accounts::{dto::DietaryPreference, entity::user, service as accounts},
    app::AppState,
    error::{AppError, AppResult, FieldErrors},
    notifications,
    platform::jobs::{self, NewJob, PermanentFailure},
};
use chrono::{Duration, NaiveDate};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, EntityTrait, QueryFilter,
    QueryOrder, TransactionTrait,
};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use utoipa::ToSchema;

pub const GENERATE_JOB: &str = "nutrition.generate_plan";

#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GenerateRequest {
    /// 1 to 14.
    pub duration_days: i32,
    /// 3 to 6 (default 3: breakfast, lunch, dinner; more adds snacks).
    pub meals_per_day: Option<i32>,
    /// Overrides the profile's calorie target (800 to 6000).
    pub target_daily_calories: Option<f64>,
    /// Overrides the profile's preferences.
    pub dietary_preferences: Option<Vec<DietaryPreference>>,
    #[serde(default)]
    pub exclude_food_ids: Vec<i64>,
    /// Default: tomorrow in the caller's time zone.
    pub start_date: Option<NaiveDate>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct GenerateAccepted {
    pub job_id: i64,
    pub status: String,
    pub status_url: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct GenerateStatus {
    pub job_id: i64,
    /// pending | running | succeeded | failed
    pub status: String,
    pub plan_id: Option<i64>,
    /// Why it failed, in words.
    pub error: Option<String>,
}

/// What the job needs, fixed when the request is accepted.
#[derive(Debug, Serialize, Deserialize)]
struct JobPayload {
    user_id: i64,
    days: u32,
    meals_per_day: u32,
    calories: f64,
    protein_g: f64,
    carbs_g: f64,
    fat_g: f64,
    diet: Vec<DietaryPreference>,
    allergies: Vec<String>,
    exclude: Vec<i64>,
    start_date: NaiveDate,
    seed: u64,
}

pub async fn accept(
    state: &AppState,
    u: &user::Model,
    req: GenerateRequest,
) -> AppResult<GenerateAccepted> {
    let mut errors = FieldErrors::new();
    if !(1..=14).contains(&req.duration_days) {
        errors.add("duration_days", "Must be from 1 to 14.");
    }
    let meals_per_day = req.meals_per_day.unwrap_or(3);
    if !(3..=6).contains(&meals_per_day) {
        errors.add("meals_per_day", "Must be from 3 to 6.");
    }
    if let Some(c) = req.target_daily_calories
        && !(c.is_finite() && (800.0..=6000.0).contains(&c))
    {
        errors.add("target_daily_calories", "Must be from 800 to 6000.");
    }
    if req.exclude_food_ids.len() > 500 {
        errors.add("exclude_food_ids", "At most 500 foods.");
    }
    errors.into_result()?;
    let profile = accounts::profile_of(&state.db, u.id).await?;
    let today = accounts::local_today(&profile.timezone, state.now());
    if let Some(s) = req.start_date
        && (s < today - Duration::days(1) || s > today + Duration::days(365))
    {
        return Err(FieldErrors::single(
            "start_date",
            "Must be from today to a year ahead.",
        ));
    }
    // 400 naming weight_kg, height_cm or birth_date when missing.
    let t = targets::compute(&profile, today)?;
    let (calories, protein_g, fat_g, carbs_g) = match req.target_daily_calories {
        None => (t.calories, t.protein_g, t.fat_g, t.carbs_g),
        Some(c) => {
            let fat = c * 0.25 / 9.0;
            let protein = t.protein_g.min(c * 0.35 / 4.0);
            (
                c,
                protein,
                fat,
                ((c - protein * 4.0 - fat * 9.0) / 4.0).max(0.0),
            )
        }
    };
    let diet = match req.dietary_preferences {
        Some(d) => d,
        None => serde_json::from_value(profile.dietary_preferences.clone()).unwrap_or_default(),
    };
    let allergies: Vec<String> =
        serde_json::from_value(profile.allergies.clone()).unwrap_or_default();
    let payload = JobPayload {
        user_id: u.id,
        days: u32::try_from(req.duration_days).unwrap_or(1),
        meals_per_day: u32::try_from(meals_per_day).unwrap_or(3),
        calories,
        protein_g,
        carbs_g,
        fat_g,
        diet,
        allergies,
        exclude: req.exclude_food_ids,
        start_date: req.start_date.unwrap_or(today + Duration::days(1)),
        seed: rand::random(),
    };
    let now = state.now();
    let mut job = NewJob::new(
        GENERATE_JOB,
        serde_json::to_value(&payload).map_err(AppError::internal)?,
    );
    job.max_attempts = 3;
    let job_id = jobs::enqueue(&state.db, now, job).await?;
    state.wake_workers();
    Ok(GenerateAccepted {
        job_id,
        status: jobs::STATUS_PENDING.into(),
        status_url: format!(
            "{}/api/v1/nutrition/generate/{job_id}/",
            state.config.public_url()
        ),
    })
}

pub async fn status(state: &AppState, u: &user::Model, job_id: i64) -> AppResult<GenerateStatus> {
    let job = jobs::find(&state.db, job_id)
        .await?
        .filter(|j| j.kind == GENERATE_JOB && j.payload["user_id"].as_i64() == Some(u.id))
        .ok_or_else(AppError::not_found)?;
    let failed = job.status == jobs::STATUS_FAILED;
    Ok(GenerateStatus {
        job_id: job.id,
        plan_id: job.result.as_ref().and_then(|r| r["plan_id"].as_i64()),
        error: if failed { job.last_error.clone() } else { None },
        status: job.status,
    })
}

fn slot_of(s: planner::MealSlot) -> MealTime {
    match s {
        planner::MealSlot::Breakfast => MealTime::Breakfast,
        planner::MealSlot::Lunch => MealTime::Lunch,
        planner::MealSlot::Dinner => MealTime::Dinner,
        planner::MealSlot::Snack => MealTime::Snack,
    }
}

/// Every food the user may eat, per 100 g, as the planner sees it.
async fn candidates(
    state: &AppState,
    user_id: i64,
) -> anyhow::Result<Vec<(planner::PlannerFood, f64)>> {
    let rows = food::Entity::find()
        .filter(
            Condition::any()
                .add(food::Column::IsPublic.eq(true))
                .add(food::Column::OwnerId.eq(user_id)),
        )
        // The planner is deterministic for a seed only over the same order.
        .order_by_asc(food::Column::Id)
        .all(&state.db)
        .await?;
    Ok(rows
        .into_iter()
        .filter(|f| f.serving_size > 0.0)
        .map(|f| {
            let k = 100.0 / f.serving_size;
            let pf = planner::PlannerFood::new(
                f.id,
                f.name,
                f.category,
                f.calories * k,
                f.protein_g * k,
                f.carbs_g * k,
                f.fat_g * k,
            );
            (pf, f.serving_size)
        })
        .collect())
}

/// Asks the model for meal ideas and resolves each food name to a real,
/// allowed food; None when no model is configured or it failed.
async fn llm_ideas(
    state: &AppState,
    p: &JobPayload,
    allowed: &HashSet<i64>,
) -> Option<Vec<planner::Idea>> {
    let (Some(key), Some(model)) = (
        state.config.openai_api_key.clone(),
        state.config.openai_model.clone(),
    ) else {
        return None;
    };
    let cfg = llm::LlmConfig {
        base_url: state
            .config
            .openai_base_url
            .clone()
            .unwrap_or_else(|| llm::DEFAULT_BASE_URL.into()),
        api_key: key,
        model,
        timeout: std::time::Duration::from_secs(state.config.openai_timeout_secs.max(1)),
    };
    let req = llm::MealIdeasRequest {
        days: p.days,
        meals_per_day: p.meals_per_day,
        calories: p.calories,
        protein_g: p.protein_g,
        carbs_g: p.carbs_g,
        fat_g: p.fat_g,
        diet: p
            .diet
            .iter()
            .filter_map(|d| serde_json::to_value(d).ok())
            .filter_map(|v| v.as_str().map(String::from))
            .collect(),
        allergies: p.allergies.clone(),
        avoid: Vec::new(),
    };
    let ideas = match llm::meal_ideas(&state.http, &cfg, &req).await {
        Ok(i) => i,
        Err(e) => {
            tracing::warn!(error = %e, "the model gave no usable meal ideas; planning locally");
            return None;
        }
    };
    let mut out = Vec::new();
    for idea in ideas {
        let slot = match idea.slot.as_str() {
            "breakfast" => planner::MealSlot::Breakfast,
            "lunch" => planner::MealSlot::Lunch,
            "dinner" => planner::MealSlot::Dinner,
            _ => planner::MealSlot::Snack,
        };
        let mut ids = Vec::new();
        for name in &idea.foods {
            let found = search::search(
                &state.db,
                &FoodSearch {
                    text: Some(name),
                    category: None,
                    scope: Scope::Visible(Some(p.user_id)),
                    offset: 0,
                    limit: 10,
                },
            )
            .await
            .ok()
            .and_then(|(rows, _)| rows.into_iter().find(|f| allowed.contains(&f.id)));
            // A food the database does not know is dropped, never invented.
            if let Some(f) = found {
                ids.push(f.id);
            }
        }
        if !ids.is_empty() {
            out.push(planner::Idea {
                day: idea.day,
                slot,
                food_ids: ids,
            });
        }
    }
    Some(out)
}

/// The job: plan, check, save, notify.
pub async fn run(
    state: AppState,
    payload: serde_json::Value,
) -> anyhow::Result<Option<serde_json::Value>> {
    let p: JobPayload = serde_json::from_value(payload)
        .map_err(|e| PermanentFailure(format!("unreadable request: {e}")))?;
    let foods = candidates(&state, p.user_id).await?;
    let planner_foods: Vec<planner::PlannerFood> = foods.iter().map(|(f, _)| f.clone()).collect();
    let mut req = planner::PlanRequest {
        days: p.days,
        meals_per_day: p.meals_per_day,
        targets: planner::Targets {
            calories: p.calories,
            protein_g: p.protein_g,
            carbs_g: p.carbs_g,
            fat_g: p.fat_g,
        },
        diet: p.diet.clone(),
        allergies: p.allergies.clone(),
        exclude: p.exclude.iter().copied().collect(),
        seed: p.seed,
        ideas: Vec::new(),
    };
    let allowed: HashSet<i64> = planner_foods
        .iter()
        .filter(|f| {
            !f.slots.is_empty()
                && planner::fits_diet(f.flags, &req.diet)
                && !planner::hits_allergy(&f.category, &f.name, &req.allergies)
                && !req.exclude.contains(&f.id)
        })
        .map(|f| f.id)
        .collect();
    let ideas = llm_ideas(&state, &p, &allowed).await;
    let from_model = ideas.as_ref().is_some_and(|i| !i.is_empty());
    req.ideas = ideas.unwrap_or_default();
    let started = std::time::Instant::now();
    let planned = match planner::plan(&planner_foods, &req) {
        Ok(plan) => plan,
        Err(e) if from_model => {
            tracing::warn!(error = %e, "the model's meals could not be fitted; planning locally");
            req.ideas.clear();
            planner::plan(&planner_foods, &req).map_err(|e| PermanentFailure(e.to_string()))?
        }
        Err(e) => return Err(PermanentFailure(e.to_string()).into()),
    };
    planner::verify(&planned, &planner_foods, &req)
        .map_err(|e| PermanentFailure(format!("the plan failed its check: {e}")))?;
    tracing::info!(
        ms = started.elapsed().as_millis() as u64,
        days = p.days,
        "meal plan generated"
    );
    let t = planner::targets_for_diet(req.targets, &req.diet);
    let serving: std::collections::HashMap<i64, f64> =
        foods.iter().map(|(f, s)| (f.id, *s)).collect();
    let now = state.now();
    let txn = state.db.begin().await?;
    let plan = meal_plan::ActiveModel {
        owner_id: Set(Some(p.user_id)),
        name: Set(format!("Meal plan from {}", p.start_date)),
        goal: Set(None),
        duration_days: Set(i32::try_from(p.days).unwrap_or(1)),
        start_date: Set(p.start_date),
        target_daily_calories: Set(Some(t.calories.round())),
        target_protein_g: Set(Some((t.protein_g * 10.0).round() / 10.0)),
        target_carbs_g: Set(Some((t.carbs_g * 10.0).round() / 10.0)),
        target_fat_g: Set(Some((t.fat_g * 10.0).round() / 10.0)),
        is_ai_generated: Set(true),
        is_template: Set(false),
        is_public: Set(false),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    for day in &planned.days {
        for (pos, pm) in day.meals.iter().enumerate() {
            let m = meal::ActiveModel {
                owner_id: Set(Some(p.user_id)),
                name: Set(pm.name.chars().take(200).collect()),
                description: Set(String::new()),
                meal_time_category: Set(slot_of(pm.slot).as_str().into()),
                is_template: Set(false),
                is_public: Set(false),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            }
            .insert(&txn)
            .await?;
            if !pm.items.is_empty() {
                meal_item::Entity::insert_many(pm.items.iter().enumerate().map(|(i, it)| {
                    let size = serving.get(&it.food_id).copied().unwrap_or(100.0);
                    meal_item::ActiveModel {
                        meal_id: Set(m.id),
                        food_id: Set(it.food_id),
                        position: Set(i as i32),
                        number_of_servings: Set(it.grams / size),
                        created_at: Set(now),
                        updated_at: Set(now),
                        ..Default::default()
                    }
                }))
                .exec(&txn)
                .await?;
            }
            scheduled_meal::ActiveModel {
                plan_id: Set(plan.id),
                meal_id: Set(m.id),
                day_of_plan: Set(i32::try_from(day.day).unwrap_or(1)),
                position: Set(pos as i32),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            }
            .insert(&txn)
            .await?;
        }
    }
    notifications::create(
        &txn,
        now,
        p.user_id,
        "meal_plan_update",
        "Your meal plan is ready",
        &format!(
            "{} days of meals at about {} kcal a day.",
            p.days,
            t.calories.round()
        ),
        serde_json::json!({"plan_id": plan.id, "ai_ideas": from_model}),
    )
    .await?;
    txn.commit().await?;
    Ok(Some(
        serde_json::json!({"plan_id": plan.id, "ai_ideas": from_model}),
    ))
}
