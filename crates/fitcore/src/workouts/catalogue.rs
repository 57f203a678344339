//! The catalogue: categories and workouts, read by anyone and edited by
//! staff. A page of workouts is two statements whatever it holds: the
//! page's ids with the total count, then those rows with their category
//! and the caller's favorite and progress.

use super::{
    access::Viewer,
    dto::*,
    entity::{category, progress, video, workout},
};
use crate::{
    accounts::dto::FitnessGoal,
    app::AppState,
    error::{AppError, AppResult, FieldErrors},
    platform::pagination::{OrderTerm, PageParams, QueryMap, ordering},
};
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait,
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, JoinType, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, QueryTrait, RelationDef,
    prelude::Expr,
    sea_query::{ExprTrait, Func},
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

/// A catalogue row with the caller's favorite and progress joined in. (A
/// window `COUNT(*) OVER ()` could carry the total but makes the database
/// build every matching row before the limit: several times slower.)
#[derive(Debug, Clone, FromQueryResult)]
struct MarkedRow {
    #[sea_orm(nested)]
    workout: WorkoutRow,
    favorite_id: Option<i64>,
    progress_id: Option<i64>,
    progress_percentage: Option<f64>,
    completed_videos: Option<String>,
    started_at: Option<DateTime<Utc>>,
    completed_at: Option<DateTime<Utc>>,
    times_completed: Option<i32>,
}

/// A page's workout id with the total count of matches.
#[derive(Debug, Clone, FromQueryResult)]
struct PageId {
    id: i64,
    total_count: i64,
}

/// The fields of a video the detail shows.
struct DetailVideo {
    id: i64,
    title: String,
    order_index: i32,
    content_type: String,
    size_bytes: i64,
    is_free: bool,
    duration_seconds: Option<i32>,
    thumbnail_key: Option<String>,
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

impl MarkedRow {
    fn progress(&self) -> Option<ProgressSummary> {
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
fn with_caller_marks(
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

fn without_caller_marks(
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

fn rows() -> sea_orm::Select<workout::Entity> {
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

fn escape_like(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

/// A page of matching ids and the total, from the database.
async fn page_ids(
    state: &AppState,
    cond: sea_orm::Condition,
    ordered: impl Fn(sea_orm::Select<workout::Entity>) -> sea_orm::Select<workout::Entity>,
    p: PageParams,
) -> AppResult<(Vec<i64>, u64)> {
    let total = workout::Entity::find()
        .select_only()
        .expr(Expr::cust("COUNT(*)"))
        .filter(cond.clone())
        .into_query();
    let rows: Vec<PageId> = ordered(
        workout::Entity::find()
            .select_only()
            .column(workout::Column::Id)
            .column_as(Expr::from(total), "total_count")
            .filter(cond.clone()),
    )
    .offset(p.offset())
    .limit(p.page_size)
    .into_model::<PageId>()
    .all(&state.db)
    .await?;
    let count = match rows.first() {
        Some(r) => u64::try_from(r.total_count).unwrap_or(0),
        None if p.offset() == 0 => 0,
        // Past the last page: the total still has to be told.
        None => {
            workout::Entity::find()
                .filter(cond)
                .count(&state.db)
                .await?
        }
    };
    Ok((rows.into_iter().map(|r| r.id).collect(), count))
}

/// `?category=&difficulty=&goal=&is_premium=&search=&ordering=` with page
/// numbers; unknown values are 400.
pub async fn list_workouts(
    state: &AppState,
    viewer: Viewer,
    q: &QueryMap,
    p: PageParams,
) -> AppResult<(Vec<WorkoutResponse>, u64)> {
    q.only(&[
        "category",
        "difficulty",
        "goal",
        "is_premium",
        "search",
        "ordering",
        "page",
        "page_size",
    ])?;
    // Filters touch workout columns only, so the count needs no join.
    let mut cond = sea_orm::Condition::all();
    // The normalized filters, naming the remembered order (see order_cache).
    let mut key = String::new();
    if let Some(c) = q.get("category").filter(|s| !s.is_empty()) {
        let found = match c.parse::<i64>() {
            Ok(id) => category::Entity::find_by_id(id).one(&state.db).await?,
            Err(_) => {
                category::Entity::find()
                    .filter(category::Column::Slug.eq(c))
                    .one(&state.db)
                    .await?
            }
        };
        let found = found.ok_or_else(|| FieldErrors::single("category", "No such category."))?;
        cond = cond.add(workout::Column::CategoryId.eq(found.id));
        key.push_str(&format!("c={};", found.id));
    }
    if let Some(d) = q.get("difficulty").filter(|s| !s.is_empty()) {
        let d: Difficulty =
            serde_json::from_value(serde_json::Value::String(d.into())).map_err(|_| {
                FieldErrors::single("difficulty", "Use beginner, intermediate or advanced.")
            })?;
        cond = cond.add(workout::Column::Difficulty.eq(d.as_str()));
        key.push_str(&format!("d={};", d.as_str()));
    }
    if let Some(g) = q.get("goal").filter(|s| !s.is_empty()) {
        let goal: FitnessGoal = serde_json::from_value(serde_json::Value::String(g.into()))
            .map_err(|_| FieldErrors::single("goal", "Not a fitness goal."))?;
        let quoted = serde_json::to_string(&goal).unwrap_or_default();
        cond = cond.add(workout::Column::Goals.like(format!("%{quoted}%")));
        key.push_str(&format!("g={quoted};"));
    }
    if let Some(b) = q.bool("is_premium")? {
        cond = cond.add(workout::Column::IsPremium.eq(b));
        key.push_str(&format!("p={b};"));
    }
    let searching = q
        .get("search")
        .map(str::trim)
        .is_some_and(|s| !s.is_empty());
    if let Some(s) = q.get("search").map(str::trim).filter(|s| !s.is_empty()) {
        let pattern = format!("%{}%", escape_like(&s.to_lowercase()));
        let like = |col: workout::Column| {
            Expr::expr(Func::lower(Expr::col((workout::Entity, col))))
                .like(sea_orm::sea_query::LikeExpr::new(pattern.clone()).escape('\\'))
        };
        cond = cond.add(
            sea_orm::Condition::any()
                .add(like(workout::Column::Title))
                .add(like(workout::Column::Description)),
        );
    }
    let terms = ordering(q, &["title", "created_at", "duration_minutes"])?;
    let terms = if terms.is_empty() {
        vec![OrderTerm {
            field: "created_at",
            descending: true,
        }]
    } else {
        terms
    };
    let ordered = |mut select: sea_orm::Select<workout::Entity>| {
        for t in &terms {
            let col = match t.field {
                "title" => workout::Column::Title,
                "duration_minutes" => workout::Column::DurationMinutes,
                _ => workout::Column::CreatedAt,
            };
            select = if t.descending {
                select.order_by_desc(col)
            } else {
                select.order_by_asc(col)
            };
        }
        if terms.first().is_some_and(|t| t.descending) {
            select.order_by_desc(workout::Column::Id)
        } else {
            select.order_by_asc(workout::Column::Id)
        }
    };
    for t in &terms {
        key.push_str(&format!(
            "o={}{};",
            if t.descending { "-" } else { "" },
            t.field
        ));
    }
    // The page's ids and the total: from the remembered order when there is
    // one, else from the database, which walks the workouts alone (an
    // index-only scan however deep the page) with the total as a scalar
    // subquery it runs once. Then only the page's rows are joined to their
    // category and the caller's marks. (One statement with `id IN (page
    // subquery)` made PostgreSQL's cached generic plan hash-join the whole
    // table.)
    let remembered = if searching {
        None
    } else {
        match state.workout_order.get(&key) {
            Some(ids) => Some(ids),
            None => {
                let all: Vec<i64> = ordered(
                    workout::Entity::find()
                        .select_only()
                        .column(workout::Column::Id)
                        .filter(cond.clone()),
                )
                .limit(super::order_cache::MAX_IDS as u64 + 1)
                .into_tuple()
                .all(&state.db)
                .await?;
                (all.len() <= super::order_cache::MAX_IDS).then(|| {
                    let all = std::sync::Arc::new(all);
                    state.workout_order.put(key, all.clone());
                    all
                })
            }
        }
    };
    let (ids, count): (Vec<i64>, u64) = match remembered {
        Some(all) => (
            all.iter()
                .skip(usize::try_from(p.offset()).unwrap_or(usize::MAX))
                .take(usize::try_from(p.page_size).unwrap_or(100))
                .copied()
                .collect(),
            all.len() as u64,
        ),
        None => page_ids(state, cond, ordered, p).await?,
    };
    let mut page: Vec<MarkedRow> = if ids.is_empty() {
        Vec::new()
    } else {
        let select = rows().filter(workout::Column::Id.is_in(ids.clone()));
        let select = match viewer.user_id() {
            Some(uid) => with_caller_marks(select, uid),
            None => without_caller_marks(select),
        };
        select.into_model::<MarkedRow>().all(&state.db).await?
    };
    let position: HashMap<i64, usize> = ids.iter().enumerate().map(|(i, id)| (*id, i)).collect();
    page.sort_by_key(|r| position.get(&r.workout.id).copied().unwrap_or(usize::MAX));
    let results = page
        .into_iter()
        .map(|r| {
            let progress = r.progress();
            let favorite = r.favorite_id.is_some();
            let mut w = workout_response(state, r.workout, viewer, favorite, None);
            w.progress = progress;
            w
        })
        .collect();
    Ok((results, count))
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

/// A workout with its videos, each locked or carrying a stream URL for
/// `viewer` (whose subscription is looked up here when the workout is
/// premium and the caller passed `subscribed: false`).
pub async fn workout_detail(state: &AppState, viewer: Viewer, id: i64) -> AppResult<WorkoutDetail> {
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
    let progress = row.progress();
    let favorite = row.favorite_id.is_some();
    let row = row.workout;
    let premium = row.is_premium;
    // Whether the caller subscribes matters for premium workouts only.
    let viewer = match viewer {
        Viewer::User {
            id: uid,
            subscribed: false,
            staff: false,
        } if premium => Viewer::User {
            id: uid,
            subscribed: crate::payments::has_active_access(&state.db, uid, state.now()).await?,
            staff: false,
        },
        v => v,
    };
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
