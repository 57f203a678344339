//! `nutrition/` meals, plans, targets and diary endpoints: thin; the rules
//! live in `meals`, `plans`, `targets` and `diary`.

use super::{
    diary::{self, LogCreate, LogEntry, LogUpdate, Summary},
    dto::*,
    generate::{self, GenerateAccepted, GenerateRequest, GenerateStatus},
    meals, plans, targets,
};
use crate::{
    accounts::service as accounts,
    app::AppState,
    error::{AppResult, ErrorBody},
    extract::{AppJson, AuthUser, Query, RequestUrl, SubscribedUser},
    platform::pagination::{CursorKey, CursorPage, CursorParams, Page, PageParams},
};
use axum::{
    extract::{Path, State},
    http::{StatusCode, header},
    response::{IntoResponse, Response},
};

/// The caller's meals and the public templates, newest first.
#[utoipa::path(get, path = "/nutrition/meals/", tag = "nutrition",
    params(("meal_time_category" = Option<MealTime>, Query), ("is_template" = Option<bool>, Query),
        ("search" = Option<String>, Query), ("page" = Option<u64>, Query), ("page_size" = Option<u64>, Query)),
    responses((status = 200, body = Page<MealResponse>), (status = 400, body = ErrorBody)), security(("bearer" = [])))]
pub async fn list_meals(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Query(q): Query,
    RequestUrl(url): RequestUrl,
) -> AppResult<AppJson<Page<MealResponse>>> {
    let p = PageParams::from_query(&q)?;
    let (rows, count) = meals::list(&state, &user, &q, p).await?;
    Ok(AppJson(Page::new(rows, count, p, &url, &q)))
}

/// Creates a meal with its items (foods the caller can see; another user's
/// private food is 404). Staff templates are public.
#[utoipa::path(post, path = "/nutrition/meals/", tag = "nutrition", request_body = MealCreate,
    responses((status = 201, body = MealResponse), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn create_meal(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    AppJson(req): AppJson<MealCreate>,
) -> AppResult<(StatusCode, AppJson<MealResponse>)> {
    Ok((
        StatusCode::CREATED,
        AppJson(meals::create(&state, &user, req).await?),
    ))
}

#[utoipa::path(get, path = "/nutrition/meals/{id}/", tag = "nutrition", params(("id" = i64, Path)),
    responses((status = 200, body = MealResponse), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn get_meal(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(id): Path<i64>,
) -> AppResult<AppJson<MealResponse>> {
    Ok(AppJson(meals::get(&state, &user, id).await?))
}

/// Changes a meal; `items`, when sent, replaces them all.
#[utoipa::path(patch, path = "/nutrition/meals/{id}/", tag = "nutrition", request_body = MealUpdate,
    params(("id" = i64, Path)),
    responses((status = 200, body = MealResponse), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn update_meal(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(id): Path<i64>,
    AppJson(req): AppJson<MealUpdate>,
) -> AppResult<AppJson<MealResponse>> {
    Ok(AppJson(meals::update(&state, &user, id, req).await?))
}

#[utoipa::path(delete, path = "/nutrition/meals/{id}/", tag = "nutrition", params(("id" = i64, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn delete_meal(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(id): Path<i64>,
) -> AppResult<StatusCode> {
    meals::delete(&state, &user, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A private copy of a meal or public template.
#[utoipa::path(post, path = "/nutrition/meals/{id}/copy/", tag = "nutrition", params(("id" = i64, Path)),
    responses((status = 201, body = MealResponse), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn copy_meal(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(id): Path<i64>,
) -> AppResult<(StatusCode, AppJson<MealResponse>)> {
    Ok((
        StatusCode::CREATED,
        AppJson(meals::copy(&state, &user, id).await?),
    ))
}

/// The caller's plans and public template plans, without `days`.
#[utoipa::path(get, path = "/nutrition/plans/", tag = "nutrition",
    params(("is_template" = Option<bool>, Query), ("page" = Option<u64>, Query), ("page_size" = Option<u64>, Query)),
    responses((status = 200, body = Page<PlanResponse>)), security(("bearer" = [])))]
pub async fn list_plans(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Query(q): Query,
    RequestUrl(url): RequestUrl,
) -> AppResult<AppJson<Page<PlanResponse>>> {
    let p = PageParams::from_query(&q)?;
    let (rows, count) = plans::list(&state, &user, &q, p).await?;
    Ok(AppJson(Page::new(rows, count, p, &url, &q)))
}

/// Creates an empty plan of 1 to 28 days.
#[utoipa::path(post, path = "/nutrition/plans/", tag = "nutrition", request_body = PlanCreate,
    responses((status = 201, body = PlanResponse), (status = 400, body = ErrorBody)), security(("bearer" = [])))]
pub async fn create_plan(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    AppJson(req): AppJson<PlanCreate>,
) -> AppResult<(StatusCode, AppJson<PlanResponse>)> {
    Ok((
        StatusCode::CREATED,
        AppJson(plans::create(&state, &user, req).await?),
    ))
}

/// The plan with every day, its meals and per-day totals.
#[utoipa::path(get, path = "/nutrition/plans/{id}/", tag = "nutrition", params(("id" = i64, Path)),
    responses((status = 200, body = PlanResponse), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn get_plan(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    let body = super::plan_cache::plan_json(&state, &user, id).await?;
    Ok(([(header::CONTENT_TYPE, "application/json")], body).into_response())
}

#[utoipa::path(patch, path = "/nutrition/plans/{id}/", tag = "nutrition", request_body = PlanUpdate,
    params(("id" = i64, Path)),
    responses((status = 200, body = PlanResponse), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn update_plan(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(id): Path<i64>,
    AppJson(req): AppJson<PlanUpdate>,
) -> AppResult<AppJson<PlanResponse>> {
    Ok(AppJson(plans::update(&state, &user, id, req).await?))
}

#[utoipa::path(delete, path = "/nutrition/plans/{id}/", tag = "nutrition", params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn delete_plan(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(id): Path<i64>,
) -> AppResult<StatusCode> {
    plans::delete(&state, &user, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Schedules a meal on a day of the plan (a day outside it is 400).
#[utoipa::path(post, path = "/nutrition/plans/{id}/meals/", tag = "nutrition", request_body = ScheduleRequest,
    params(("id" = i64, Path)),
    responses((status = 201, body = PlanResponse), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn schedule_meal(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(id): Path<i64>,
    AppJson(req): AppJson<ScheduleRequest>,
) -> AppResult<(StatusCode, AppJson<PlanResponse>)> {
    Ok((
        StatusCode::CREATED,
        AppJson(plans::schedule(&state, &user, id, req).await?),
    ))
}

#[utoipa::path(delete, path = "/nutrition/plans/{id}/meals/{scheduled_id}/", tag = "nutrition",
    params(("id" = i64, Path), ("scheduled_id" = i64, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn unschedule_meal(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path((id, scheduled_id)): Path<(i64, i64)>,
) -> AppResult<StatusCode> {
    plans::unschedule(&state, &user, id, scheduled_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Copies a template or own plan to start on `start_date`.
#[utoipa::path(post, path = "/nutrition/plans/{id}/copy/", tag = "nutrition", request_body = CopyRequest,
    params(("id" = i64, Path)),
    responses((status = 201, body = PlanResponse), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn copy_plan(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(id): Path<i64>,
    AppJson(req): AppJson<CopyRequest>,
) -> AppResult<(StatusCode, AppJson<PlanResponse>)> {
    Ok((
        StatusCode::CREATED,
        AppJson(plans::copy(&state, &user, id, req).await?),
    ))
}

/// Every food across the plan with its total in grams, servings and the
/// nearest household measure, grouped by food category.
#[utoipa::path(get, path = "/nutrition/plans/{id}/shopping-list/", tag = "nutrition", params(("id" = i64, Path)),
    responses((status = 200, body = ShoppingList), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn shopping_list(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(id): Path<i64>,
) -> AppResult<AppJson<ShoppingList>> {
    Ok(AppJson(plans::shopping_list(&state, &user, id).await?))
}

/// Daily targets from the profile (Mifflin–St Jeor); 400 naming the
/// missing profile fields (weight_kg, height_cm, birth_date).
#[utoipa::path(get, path = "/nutrition/targets/", tag = "nutrition",
    responses((status = 200, body = targets::DailyTargets), (status = 400, body = ErrorBody)), security(("bearer" = [])))]
pub async fn get_targets(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
) -> AppResult<AppJson<targets::DailyTargets>> {
    let p = accounts::profile_of(&state.db, user.id).await?;
    let today = accounts::local_today(&p.timezone, state.now());
    Ok(AppJson(targets::compute(&p, today)?))
}

/// Diary entries, newest first; `?date=` or `?from=&to=` (dates, inclusive).
#[utoipa::path(get, path = "/nutrition/log/", tag = "nutrition",
    params(("date" = Option<String>, Query), ("from" = Option<String>, Query), ("to" = Option<String>, Query),
        ("cursor" = Option<String>, Query), ("page_size" = Option<u64>, Query)),
    responses((status = 200, body = CursorPage<LogEntry>), (status = 400, body = ErrorBody)), security(("bearer" = [])))]
pub async fn list_log(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Query(q): Query,
    RequestUrl(url): RequestUrl,
) -> AppResult<AppJson<CursorPage<LogEntry>>> {
    let p = CursorParams::from_query(&q, 50)?;
    let (rows, more) = diary::list(&state, &user, &q, p).await?;
    Ok(AppJson(CursorPage::newest_first(
        rows,
        more,
        |e| CursorKey::new(e.created_at, e.id),
        p,
        &url,
        &q,
    )))
}

/// Logs a food (`food_id`) or a meal (`meal_id`); its nutrients are
/// copied into the entry. Dates after tomorrow are 400.
#[utoipa::path(post, path = "/nutrition/log/", tag = "nutrition", request_body = LogCreate,
    responses((status = 201, body = LogEntry), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn create_log(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    AppJson(req): AppJson<LogCreate>,
) -> AppResult<(StatusCode, AppJson<LogEntry>)> {
    Ok((
        StatusCode::CREATED,
        AppJson(diary::create(&state, &user, req).await?),
    ))
}

#[utoipa::path(patch, path = "/nutrition/log/{id}/", tag = "nutrition", request_body = LogUpdate,
    params(("id" = i64, Path)),
    responses((status = 200, body = LogEntry), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn update_log(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(id): Path<i64>,
    AppJson(req): AppJson<LogUpdate>,
) -> AppResult<AppJson<LogEntry>> {
    Ok(AppJson(diary::update(&state, &user, id, req).await?))
}

#[utoipa::path(delete, path = "/nutrition/log/{id}/", tag = "nutrition", params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn delete_log(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(id): Path<i64>,
) -> AppResult<StatusCode> {
    diary::delete(&state, &user, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Totals per date with the day's targets, every date from `from` to `to`
/// (at most 366), empty days included.
#[utoipa::path(get, path = "/nutrition/log/summary/", tag = "nutrition",
    params(("from" = String, Query), ("to" = String, Query)),
    responses((status = 200, body = Summary), (status = 400, body = ErrorBody)), security(("bearer" = [])))]
pub async fn log_summary(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Query(q): Query,
) -> AppResult<AppJson<Summary>> {
    Ok(AppJson(diary::summary(&state, &user, &q).await?))
}

/// Starts generating a meal plan (subscribers): 202 with the job to poll.
/// The plan meets the day's calorie target within 5 % and each macro within
/// 10 %, respects the diet, allergies and exclusions, and ends in a
/// `meal_plan_update` notification. A profile without weight, height or
/// birth date is 400 naming them. `Idempotency-Key` is honoured.
#[utoipa::path(post, path = "/nutrition/generate/", tag = "nutrition", request_body = GenerateRequest,
    responses((status = 202, body = GenerateAccepted), (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "`subscription_required`")),
    security(("bearer" = [])))]
pub async fn generate_plan(
    State(state): State<AppState>,
    SubscribedUser(user): SubscribedUser,
    AppJson(req): AppJson<GenerateRequest>,
) -> AppResult<(StatusCode, AppJson<GenerateAccepted>)> {
    Ok((
        StatusCode::ACCEPTED,
        AppJson(generate::accept(&state, &user, req).await?),
    ))
}

/// Where a generation stands; `plan_id` once it succeeded, `error` in words
/// when it failed (for example a diet that leaves too few foods).
#[utoipa::path(get, path = "/nutrition/generate/{job_id}/", tag = "nutrition", params(("job_id" = i64, Path)),
    responses((status = 200, body = GenerateStatus), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn generation_status(
    State(state): State<AppState>,
    SubscribedUser(user): SubscribedUser,
    Path(job_id): Path<i64>,
) -> AppResult<AppJson<GenerateStatus>> {
    Ok(AppJson(generate::status(&state, &user, job_id).await?))
}
