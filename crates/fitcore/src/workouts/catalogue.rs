//! The catalogue: categories and workouts, read by anyone and edited by
//! staff. Listing pages lives in `listing.rs`, a workout's detail in
//! `detail.rs`; this file has the rows as the API shows them, the caller's
//! marks and the staff edits.

use super::{
    access::Viewer,
    dto::*,
    entity::{category, progress, video, workout},
};
use crate::{
    accounts::dto::FitnessGoal,
    app::AppState,
    error::{AppError, AppResult, FieldErrors},
};
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult,
    JoinType, QueryFilter, QueryOrder, QuerySelect, RelationDef, prelude::Expr,
    sea_query::ExprTrait,
};
use std::collections::{HashMap, HashSet};

pub const FAVORITE_KIND: &str = "workout";

fn category_relation() -> RelationDef {
    workout::Entity::belongs_to(category::Entity)
        .from(workout::Column::CategoryId)
        .to(category::Column::Id)
        .into()
}

/// A workout row with its category's name and slug, from one join.
#[derive(Debug, Clone, FromQueryResult)]
pub struct WorkoutRow {
    pub id: i64,
    pub title: String,
    pub description: String,
    pub duration_minutes: i32,
    pub difficulty: String,
    pub category_id: i64,
    pub goals: String,
    pub is_premium: bool,
    pub thumbnail_key: Option<String>,
    pub video_count: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub category_name: String,
    pub category_slug: String,
}

/// The caller's favorite and progress of one workout (columns of
/// `with_caller_marks`; all NULL for nobody).
#[derive(Debug, Clone, FromQueryResult)]
pub(super) struct Marks {
    pub(super) favorite_id: Option<i64>,
    progress_id: Option<i64>,
    progress_percentage: Option<f64>,
    completed_videos: Option<String>,
    started_at: Option<DateTime<Utc>>,
    completed_at: Option<DateTime<Utc>>,
    times_completed: Option<i32>,
}

/// A catalogue row with the caller's favorite and progress joined in. (A
/// window `COUNT(*) OVER ()` could carry the total but makes the database
/// build every matching row before the limit: several times slower.)
#[derive(Debug, Clone, FromQueryResult)]
pub(super) struct MarkedRow {
    #[sea_orm(nested)]
    pub(super) workout: WorkoutRow,
    #[sea_orm(nested)]
    pub(super) marks: Marks,
}

/// A workout's id with the caller's marks (the rows come from memory).
#[derive(Debug, Clone, FromQueryResult)]
pub(super) struct IdMarks {
    pub(super) id: i64,
    #[sea_orm(nested)]
    pub(super) marks: Marks,
}

impl Marks {
    pub(super) fn none() -> Self {
        Self {
            favorite_id: None,
            progress_id: None,
            progress_percentage: None,
            completed_videos: None,
            started_at: None,
            completed_at: None,
            times_completed: None,
        }
    }

    pub(super) fn progress(&self) -> Option<ProgressSummary> {
        Some(ProgressSummary {
            id: self.progress_id?,
            progress_percentage: self.progress_percentage.unwrap_or(0.0),
            completed_videos: parse_ids(self.completed_videos.as_deref().unwrap_or("[]")),
            started_at: self.started_at?,
            completed_at: self.completed_at,
            times_completed: self.times_completed.unwrap_or(0),
        })
    }
}

/// Joins the user's favorite and progress rows (at most one each, by the
/// unique constraints) to each workout.
pub(super) fn with_caller_marks(
    select: sea_orm::Select<workout::Entity>,
    user_id: i64,
) -> sea_orm::Select<workout::Entity> {
    use crate::favorites::entity::favorite;
    use sea_orm::sea_query::IntoCondition;
    let fav: RelationDef = workout::Entity::belongs_to(favorite::Entity)
        .from(workout::Column::Id)
        .to(favorite::Column::ObjectId)
        .on_condition(move |_, right| {
            Expr::col((right.clone(), favorite::Column::UserId))
                .eq(user_id)
                .and(Expr::col((right, favorite::Column::Kind)).eq(FAVORITE_KIND))
                .into_condition()
        })
        .into();
    let prog: RelationDef = workout::Entity::belongs_to(progress::Entity)
        .from(workout::Column::Id)
        .to(progress::Column::WorkoutId)
        .on_condition(move |_, right| {
            Expr::col((right, progress::Column::UserId))
                .eq(user_id)
                .into_condition()
        })
        .into();
    select
        .join(JoinType::LeftJoin, fav)
        .join(JoinType::LeftJoin, prog)
        .column_as(favorite::Column::Id, "favorite_id")
        .column_as(progress::Column::Id, "progress_id")
        .column_as(progress::Column::ProgressPercentage, "progress_percentage")
        .column_as(progress::Column::CompletedVideos, "completed_videos")
        .column_as(progress::Column::StartedAt, "started_at")
        .column_as(progress::Column::CompletedAt, "completed_at")
        .column_as(progress::Column::TimesCompleted, "times_completed")
}

pub(super) fn without_caller_marks(
    select: sea_orm::Select<workout::Entity>,
) -> sea_orm::Select<workout::Entity> {
    let null = || Expr::cust("NULL");
    select
        .column_as(null(), "favorite_id")
        .column_as(null(), "progress_id")
        .column_as(null(), "progress_percentage")
        .column_as(null(), "completed_videos")
        .column_as(null(), "started_at")
        .column_as(null(), "completed_at")
        .column_as(null(), "times_completed")
}

pub(super) fn rows() -> sea_orm::Select<workout::Entity> {
    workout::Entity::find()
        .join(JoinType::InnerJoin, category_relation())
        .column_as(category::Column::Name, "category_name")
        .column_as(category::Column::Slug, "category_slug")
}

pub fn parse_ids(json: &str) -> Vec<i64> {
    serde_json::from_str(json).unwrap_or_default()
}

pub fn progress_summary(p: &progress::Model) -> ProgressSummary {
    ProgressSummary {
        id: p.id,
        progress_percentage: p.progress_percentage,
        completed_videos: parse_ids(&p.completed_videos),
        started_at: p.started_at,
        completed_at: p.completed_at,
        times_completed: p.times_completed,
    }
}

pub fn media_url(state: &AppState, key: Option<&str>) -> Option<String> {
    let key = key?;
    state.storage.public_url(key)
}

pub fn workout_response(
    state: &AppState,
    w: WorkoutRow,
    viewer: Viewer,
    favorite: bool,
    progress: Option<&progress::Model>,
) -> WorkoutResponse {
    WorkoutResponse {
        thumbnail_url: media_url(state, w.thumbnail_key.as_deref()),
        goals: serde_json::from_str(&w.goals).unwrap_or_default(),
        category: CategoryRef {
            id: w.category_id,
            name: w.category_name,
            slug: w.category_slug,
        },
        id: w.id,
        title: w.title,
        description: w.description,
        duration_minutes: w.duration_minutes,
        difficulty: w.difficulty,
        is_premium: w.is_premium,
        video_count: w.video_count,
        is_favorite: viewer.user_id().map(|_| favorite),
        progress: progress.map(progress_summary),
        created_at: w.created_at,
        updated_at: w.updated_at,
    }
}

/// The caller's favorites and progress among `ids` (two queries).
pub async fn caller_marks<C: ConnectionTrait>(
    db: &C,
    viewer: Viewer,
    ids: &[i64],
) -> AppResult<(HashSet<i64>, HashMap<i64, progress::Model>)> {
    let Some(user_id) = viewer.user_id() else {
        return Ok((HashSet::new(), HashMap::new()));
    };
    if ids.is_empty() {
        return Ok((HashSet::new(), HashMap::new()));
    }
    let favorites =
        crate::favorites::service::favorite_ids(db, user_id, FAVORITE_KIND, ids).await?;
    let progress = progress::Entity::find()
        .filter(progress::Column::UserId.eq(user_id))
        .filter(progress::Column::WorkoutId.is_in(ids.to_vec()))
        .all(db)
        .await?
        .into_iter()
        .map(|p| (p.workout_id, p))
        .collect();
    Ok((favorites, progress))
}

/// Workouts by id, as the API shows them to `viewer`, in the order given.
pub async fn workouts_by_ids(
    state: &AppState,
    viewer: Viewer,
    ids: &[i64],
) -> AppResult<Vec<WorkoutResponse>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let found: HashMap<i64, WorkoutRow> = rows()
        .filter(workout::Column::Id.is_in(ids.to_vec()))
        .into_model::<WorkoutRow>()
        .all(&state.db)
        .await?
        .into_iter()
        .map(|w| (w.id, w))
        .collect();
    let (favorites, progress) = caller_marks(&state.db, viewer, ids).await?;
    Ok(ids
        .iter()
        .filter_map(|id| found.get(id).cloned())
        .map(|w| {
            let id = w.id;
            workout_response(state, w, viewer, favorites.contains(&id), progress.get(&id))
        })
        .collect())
}

pub async fn find_row<C: ConnectionTrait>(db: &C, id: i64) -> AppResult<WorkoutRow> {
    rows()
        .filter(workout::Column::Id.eq(id))
        .into_model::<WorkoutRow>()
        .one(db)
        .await?
        .ok_or_else(AppError::not_found)
}

pub async fn videos_of<C: ConnectionTrait>(
    db: &C,
    workout_id: i64,
) -> AppResult<Vec<video::Model>> {
    Ok(video::Entity::find()
        .filter(video::Column::WorkoutId.eq(workout_id))
        .order_by_asc(video::Column::OrderIndex)
        .order_by_asc(video::Column::Id)
        .all(db)
        .await?)
}

fn validate_title(errors: &mut FieldErrors, title: &str) {
    let t = title.trim();
    if t.is_empty() || t.chars().count() > 200 {
        errors.add("title", "Enter a title of 1 to 200 characters.");
    }
}

fn validate_duration(errors: &mut FieldErrors, minutes: i32) {
    if !(1..=600).contains(&minutes) {
        errors.add("duration_minutes", "Must be from 1 to 600 minutes.");
    }
}

async fn check_category<C: ConnectionTrait>(
    db: &C,
    errors: &mut FieldErrors,
    id: i64,
) -> AppResult<()> {
    if category::Entity::find_by_id(id).one(db).await?.is_none() {
        errors.add("category_id", "No such category.");
    }
    Ok(())
}

fn goals_json(goals: &[FitnessGoal]) -> String {
    let mut unique: Vec<FitnessGoal> = Vec::new();
    for g in goals {
        if !unique.contains(g) {
            unique.push(*g);
        }
    }
    serde_json::to_string(&unique).unwrap_or_else(|_| "[]".into())
}

pub async fn create_workout(
    state: &AppState,
    staff_id: Option<i64>,
    req: WorkoutCreate,
) -> AppResult<WorkoutRow> {
    let mut errors = FieldErrors::new();
    validate_title(&mut errors, &req.title);
    validate_duration(&mut errors, req.duration_minutes);
    if req.description.chars().count() > 10_000 {
        errors.add("description", "At most 10,000 characters.");
    }
    check_category(&state.db, &mut errors, req.category_id).await?;
    errors.into_result()?;
    let now = state.now();
    let saved = workout::ActiveModel {
        title: Set(req.title.trim().to_string()),
        description: Set(req.description),
        duration_minutes: Set(req.duration_minutes),
        difficulty: Set(req.difficulty.as_str().into()),
        category_id: Set(req.category_id),
        goals: Set(goals_json(&req.goals)),
        is_premium: Set(req.is_premium),
        thumbnail_key: Set(None),
        video_count: Set(0),
        created_by: Set(staff_id),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&state.db)
    .await?;
    state.catalogue_changed();
    find_row(&state.db, saved.id).await
}

pub async fn update_workout(
    state: &AppState,
    id: i64,
    req: WorkoutUpdate,
) -> AppResult<WorkoutRow> {
    let existing = workout::Entity::find_by_id(id)
        .one(&state.db)
        .await?
        .ok_or_else(AppError::not_found)?;
    let mut errors = FieldErrors::new();
    let mut am: workout::ActiveModel = existing.into();
    if let Some(t) = &req.title {
        validate_title(&mut errors, t);
        am.title = Set(t.trim().to_string());
    }
    if let Some(d) = req.description {
        if d.chars().count() > 10_000 {
            errors.add("description", "At most 10,000 characters.");
        }
        am.description = Set(d);
    }
    if let Some(m) = req.duration_minutes {
        validate_duration(&mut errors, m);
        am.duration_minutes = Set(m);
    }
    if let Some(d) = req.difficulty {
        am.difficulty = Set(d.as_str().into());
    }
    if let Some(c) = req.category_id {
        check_category(&state.db, &mut errors, c).await?;
        am.category_id = Set(c);
    }
    if let Some(g) = &req.goals {
        am.goals = Set(goals_json(g));
    }
    if let Some(p) = req.is_premium {
        am.is_premium = Set(p);
    }
    errors.into_result()?;
    am.updated_at = Set(state.now());
    am.update(&state.db).await?;
    state.catalogue_changed();
    find_row(&state.db, id).await
}

/// The caller's marks on workouts `ids`, one row per workout (the rows
/// themselves come from the catalogue in memory).
pub(super) async fn marks_of(
    state: &AppState,
    viewer: Viewer,
    ids: &[i64],
) -> AppResult<HashMap<i64, Marks>> {
    let Some(uid) = viewer.user_id() else {
        return Ok(HashMap::new());
    };
    let select = workout::Entity::find()
        .select_only()
        .column(workout::Column::Id)
        .filter(workout::Column::Id.is_in(ids.iter().copied()));
    let found: Vec<IdMarks> = with_caller_marks(select, uid)
        .into_model()
        .all(&state.db)
        .await?;
    Ok(found.into_iter().map(|r| (r.id, r.marks)).collect())
}

/// Deletes a workout with its videos, progress and history; a job removes
/// the files after the rows.
pub async fn delete_workout(state: &AppState, id: i64) -> AppResult<()> {
    use sea_orm::TransactionTrait;
    let w = workout::Entity::find_by_id(id)
        .one(&state.db)
        .await?
        .ok_or_else(AppError::not_found)?;
    let videos = videos_of(&state.db, id).await?;
    let now = state.now();
    let txn = state.db.begin().await?;
    let refs: Vec<&video::Model> = videos.iter().collect();
    super::videos::queue_file_removal(&txn, now, &refs).await?;
    crate::favorites::entity::favorite::Entity::delete_many()
        .filter(crate::favorites::entity::favorite::Column::Kind.eq(FAVORITE_KIND))
        .filter(crate::favorites::entity::favorite::Column::ObjectId.eq(id))
        .exec(&txn)
        .await?;
    workout::Entity::delete_by_id(w.id).exec(&txn).await?;
    txn.commit().await?;
    state.catalogue_changed();
    state.wake_workers();
    Ok(())
}
