//! The catalogue: categories and workouts, read by anyone and edited by
//! staff. Listing pages lives in `listing.rs`; this file has the rows as
//! the API shows them, the detail and the staff edits.

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
    JoinType, QueryFilter, QueryOrder, QuerySelect, QueryTrait, RelationDef, prelude::Expr,
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

/// One workout's marks with the caller's subscription (for premium).
#[derive(Debug, Clone, FromQueryResult)]
struct DetailMarks {
    #[sea_orm(nested)]
    marks: Marks,
    sub_plan: Option<String>,
    sub_status: Option<String>,
    sub_end_date: Option<DateTime<Utc>>,
}

/// The fields of a video the detail shows.
#[derive(Debug, Clone)]
pub struct DetailVideo {
    pub id: i64,
    pub title: String,
    pub order_index: i32,
    pub content_type: String,
    pub size_bytes: i64,
    pub is_free: bool,
    pub duration_seconds: Option<i32>,
    pub thumbnail_key: Option<String>,
}

impl DetailVideo {
    fn from_row(r: DetailRow) -> Option<Self> {
        Some(Self {
            id: r.v_id?,
            title: r.v_title?,
            order_index: r.v_order_index?,
            content_type: r.v_content_type?,
            size_bytes: r.v_size_bytes?,
            is_free: r.v_is_free?,
            duration_seconds: r.v_duration_seconds,
            thumbnail_key: r.v_thumbnail_key,
        })
    }
}

/// A workout with one of its videos per row (LEFT JOIN: a workout without
/// videos is one row of NULL video columns), so the detail is one statement.
#[derive(Debug, Clone, FromQueryResult)]
struct DetailRow {
    #[sea_orm(nested)]
    marked: MarkedRow,
    v_id: Option<i64>,
    v_title: Option<String>,
    v_order_index: Option<i32>,
    v_content_type: Option<String>,
    v_size_bytes: Option<i64>,
    v_is_free: Option<bool>,
    v_duration_seconds: Option<i32>,
    v_thumbnail_key: Option<String>,
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

/// A workout with its videos and the caller's marks: from one statement,
/// or from memory plus the caller's marks (see `catalogue_index`).
async fn detail_parts(
    state: &AppState,
    viewer: Viewer,
    id: i64,
) -> AppResult<(WorkoutRow, Vec<DetailVideo>, Marks, Viewer)> {
    let entry = state
        .catalogue
        .entries(&state.db, &[id])
        .await?
        .and_then(|mut e| e.pop());
    let Some(entry) = entry else {
        return detail_from_db(state, viewer, id).await;
    };
    let row = entry.row.clone();
    let videos = entry.videos.clone();
    let Some(uid) = viewer.user_id() else {
        return Ok((row, videos, Marks::none(), viewer));
    };
    // Whether the caller subscribes matters for premium workouts only; it
    // comes with the marks.
    let ask_subscription = row.is_premium && !viewer.may_watch_premium();
    let select = workout::Entity::find()
        .select_only()
        .filter(workout::Column::Id.eq(id));
    let mut select = with_caller_marks(select, uid);
    if ask_subscription {
        use crate::payments::entity::subscription;
        QueryTrait::query(&mut select).join(
            JoinType::LeftJoin,
            subscription::Entity,
            Expr::col((subscription::Entity, subscription::Column::UserId)).eq(uid),
        );
        select = select
            .column_as(subscription::Column::Plan, "sub_plan")
            .column_as(subscription::Column::Status, "sub_status")
            .column_as(subscription::Column::EndDate, "sub_end_date");
    } else {
        let null = || Expr::cust("NULL");
        select = select
            .column_as(null(), "sub_plan")
            .column_as(null(), "sub_status")
            .column_as(null(), "sub_end_date");
    }
    let found: Option<DetailMarks> = select.into_model().one(&state.db).await?;
    let Some(found) = found else {
        // Deleted since the snapshot was taken.
        return Err(AppError::not_found());
    };
    let viewer = match (viewer, found.sub_status.as_deref()) {
        (Viewer::User { id, staff, .. }, Some(status)) if ask_subscription => Viewer::User {
            id,
            staff,
            subscribed: crate::payments::access_from(
                found.sub_plan.as_deref(),
                status,
                found.sub_end_date,
                state.now(),
            ),
        },
        (v, _) => v,
    };
    Ok((row, videos, found.marks, viewer))
}

/// `detail_parts` from the database: one statement (the subscription is a
/// second one for premium workouts).
async fn detail_from_db(
    state: &AppState,
    viewer: Viewer,
    id: i64,
) -> AppResult<(WorkoutRow, Vec<DetailVideo>, Marks, Viewer)> {
    let select = rows().filter(workout::Column::Id.eq(id));
    let select = match viewer.user_id() {
        Some(uid) => with_caller_marks(select, uid),
        None => without_caller_marks(select),
    };
    let on_workout: RelationDef = workout::Entity::belongs_to(video::Entity)
        .from(workout::Column::Id)
        .to(video::Column::WorkoutId)
        .into();
    let detail: Vec<DetailRow> = select
        .join(JoinType::LeftJoin, on_workout)
        .column_as(video::Column::Id, "v_id")
        .column_as(video::Column::Title, "v_title")
        .column_as(video::Column::OrderIndex, "v_order_index")
        .column_as(video::Column::ContentType, "v_content_type")
        .column_as(video::Column::SizeBytes, "v_size_bytes")
        .column_as(video::Column::IsFree, "v_is_free")
        .column_as(video::Column::DurationSeconds, "v_duration_seconds")
        .column_as(video::Column::ThumbnailKey, "v_thumbnail_key")
        .order_by_asc(video::Column::OrderIndex)
        .order_by_asc(video::Column::Id)
        .into_model::<DetailRow>()
        .all(&state.db)
        .await?;
    let row = detail
        .first()
        .map(|d| d.marked.clone())
        .ok_or_else(AppError::not_found)?;
    let videos: Vec<DetailVideo> = detail
        .into_iter()
        .filter_map(DetailVideo::from_row)
        .collect();
    // Whether the caller subscribes matters for premium workouts only.
    let viewer = match viewer {
        Viewer::User { id: uid, staff, .. }
            if row.workout.is_premium && !viewer.may_watch_premium() =>
        {
            Viewer::User {
                id: uid,
                subscribed: crate::payments::has_active_access(&state.db, uid, state.now()).await?,
                staff,
            }
        }
        v => v,
    };
    Ok((row.workout, videos, row.marks, viewer))
}

/// A workout with its videos, each locked or carrying a stream URL for
/// `viewer` (whose subscription is looked up when the workout is premium
/// and the caller passed `subscribed: false`).
pub async fn workout_detail(state: &AppState, viewer: Viewer, id: i64) -> AppResult<WorkoutDetail> {
    let (row, videos, marks, viewer) = detail_parts(state, viewer, id).await?;
    let progress = marks.progress();
    let favorite = marks.favorite_id.is_some();
    let premium = row.is_premium;
    let now = state.now();
    let base = state.config.public_url();
    let videos = videos
        .into_iter()
        .map(|v| {
            let locked = !super::access::can_watch(v.is_free, premium, viewer);
            let stream_url = (!locked).then(|| {
                let token = super::access::stream_token(&state.secret, v.id, viewer, now);
                format!(
                    "{base}/api/v1/workouts/videos/{}/stream/?token={token}",
                    v.id
                )
            });
            VideoResponse {
                thumbnail_url: media_url(state, v.thumbnail_key.as_deref()),
                id: v.id,
                title: v.title,
                order_index: v.order_index,
                duration_seconds: v.duration_seconds,
                is_free: v.is_free,
                locked,
                stream_url,
                content_type: v.content_type,
                size_bytes: v.size_bytes,
            }
        })
        .collect();
    Ok(WorkoutDetail {
        workout: {
            let mut w = workout_response(state, row, viewer, favorite, None);
            w.progress = progress;
            w
        },
        videos,
    })
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
