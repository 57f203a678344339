//! Each user's progress on a workout: videos marked done or a percentage
//! set; reaching 100 % completes the run (completion log, `times_completed`,
//! a notification, `WorkoutCompleted`, achievements). Reset starts a new run
//! and keeps the history.

use super::{
    access,
    catalogue::parse_ids,
    dto::{ProgressCreate, ProgressResponse, ProgressUpdate, WorkoutRef},
    entity::{achievement, completion, progress, video, workout},
    stats::{self, Achievement, Completion},
};
use crate::{
    accounts::entity::user,
    app::AppState,
    error::{AppError, AppResult, FieldErrors},
    notifications,
};
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction,
    EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, TransactionTrait,
};
use std::collections::BTreeSet;

/// Published after a user finishes a workout run.
#[derive(Debug, Clone)]
pub struct WorkoutCompleted {
    pub user_id: i64,
    pub workout_id: i64,
    pub times_completed: i32,
}

/// What a request asks to change.
struct Change {
    video_id: Option<i64>,
    completed: Option<bool>,
    percentage: Option<f64>,
}

fn validate(c: &Change) -> AppResult<()> {
    let mut errors = FieldErrors::new();
    if let Some(p) = c.percentage
        && !(p.is_finite() && (0.0..=100.0).contains(&p))
    {
        errors.add("progress_percentage", "Must be from 0 to 100.");
    }
    if c.completed.is_some() && c.video_id.is_none() {
        errors.add("completed", "Name the video with `video_id`.");
    }
    if c.video_id.is_some() && c.percentage.is_some() {
        errors.add(
            "progress_percentage",
            "Send either a video or a percentage, not both.",
        );
    }
    if c.video_id.is_none() && c.percentage.is_none() {
        errors.add("video_id", "Send `video_id` or `progress_percentage`.");
    }
    errors.into_result()
}

pub fn response(p: &progress::Model, title: &str) -> ProgressResponse {
    ProgressResponse {
        id: p.id,
        workout: WorkoutRef {
            id: p.workout_id,
            title: title.to_string(),
        },
        progress_percentage: p.progress_percentage,
        completed_videos: parse_ids(&p.completed_videos),
        started_at: p.started_at,
        completed_at: p.completed_at,
        times_completed: p.times_completed,
    }
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// Progress on a workout needs the right to watch its non-free videos.
async fn check_access(state: &AppState, u: &user::Model, w: &workout::Model) -> AppResult<()> {
    let viewer = super::viewer_of(state, Some(u)).await?;
    if !access::can_watch(false, w.is_premium, viewer) {
        return Err(AppError::forbidden(
            "subscription_required",
            "This workout needs an active subscription.",
        ));
    }
    Ok(())
}

pub async fn record(
    state: &AppState,
    u: &user::Model,
    req: ProgressCreate,
) -> AppResult<(ProgressResponse, bool)> {
    let change = Change {
        video_id: req.video_id,
        completed: req.completed,
        percentage: req.progress_percentage,
    };
    validate(&change)?;
    let w = workout::Entity::find_by_id(req.workout_id)
        .one(&state.db)
        .await?
        .ok_or_else(|| FieldErrors::single("workout_id", "No such workout."))?;
    apply(state, u, w, None, change).await
}

pub async fn update(
    state: &AppState,
    u: &user::Model,
    id: i64,
    req: ProgressUpdate,
) -> AppResult<ProgressResponse> {
    let change = Change {
        video_id: req.video_id,
        completed: req.completed,
        percentage: req.progress_percentage,
    };
    validate(&change)?;
    let p = own(state, u.id, id).await?;
    let w = workout::Entity::find_by_id(p.workout_id)
        .one(&state.db)
        .await?
        .ok_or_else(AppError::not_found)?;
    Ok(apply(state, u, w, Some(p), change).await?.0)
}

pub async fn own(state: &AppState, user_id: i64, id: i64) -> AppResult<progress::Model> {
    progress::Entity::find_by_id(id)
        .one(&state.db)
        .await?
        .filter(|p| p.user_id == user_id)
        .ok_or_else(AppError::not_found)
}

/// Applies a change in one transaction; returns the progress and whether
/// it was created.
async fn apply(
    state: &AppState,
    u: &user::Model,
    w: workout::Model,
    existing: Option<progress::Model>,
    change: Change,
) -> AppResult<(ProgressResponse, bool)> {
    check_access(state, u, &w).await?;
    let videos: Vec<i64> = video::Entity::find()
        .select_only()
        .column(video::Column::Id)
        .filter(video::Column::WorkoutId.eq(w.id))
        .into_tuple()
        .all(&state.db)
        .await?;
    if let Some(vid) = change.video_id
        && !videos.contains(&vid)
    {
        return Err(FieldErrors::single(
            "video_id",
            "That video is not part of this workout.",
        ));
    }
    let now = state.now();
    // The transaction reads before it writes: on SQLite a concurrent writer
    // would make it fail at once (a stale snapshot), so writers queue here.
    let _gate = crate::platform::db::sqlite_write_gate(&state.db).await;
    let txn = state.db.begin().await?;
    // Create the row if missing (a concurrent first request may win: the
    // unique constraint keeps one), then read it locked on PostgreSQL so
    // concurrent marks of the same workout apply one after the other.
    let created = existing.is_none()
        && progress::Entity::insert(progress::ActiveModel {
            user_id: Set(u.id),
            workout_id: Set(w.id),
            progress_percentage: Set(0.0),
            percentage_set: Set(false),
            completed_videos: Set("[]".into()),
            started_at: Set(now),
            completed_at: Set(None),
            times_completed: Set(0),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        })
        .on_conflict(
            sea_orm::sea_query::OnConflict::columns([
                progress::Column::UserId,
                progress::Column::WorkoutId,
            ])
            .do_nothing()
            .to_owned(),
        )
        .exec_without_returning(&txn)
        .await?
            == 1;
    let mut select = progress::Entity::find()
        .filter(progress::Column::UserId.eq(u.id))
        .filter(progress::Column::WorkoutId.eq(w.id));
    if txn.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
        select = select.lock_exclusive();
    }
    let mut p = select.one(&txn).await?.ok_or_else(AppError::not_found)?;
    let was_complete = p.completed_at.is_some();
    let mut done: Vec<i64> = parse_ids(&p.completed_videos);
    let mut am: progress::ActiveModel = p.clone().into();
    if let Some(vid) = change.video_id {
        if change.completed.unwrap_or(true) {
            if !done.contains(&vid) {
                done.push(vid);
            }
        } else {
            done.retain(|d| *d != vid);
        }
        done.retain(|d| videos.contains(d));
        let pct = if videos.is_empty() {
            0.0
        } else {
            round2(done.len() as f64 * 100.0 / videos.len() as f64)
        };
        am.completed_videos = Set(serde_json::to_string(&done).unwrap_or_else(|_| "[]".into()));
        am.progress_percentage = Set(pct);
        am.percentage_set = Set(false);
    }
    if let Some(pct) = change.percentage {
        am.progress_percentage = Set(round2(pct));
        am.percentage_set = Set(true);
    }
    let pct = match &am.progress_percentage {
        sea_orm::ActiveValue::Set(v) | sea_orm::ActiveValue::Unchanged(v) => *v,
        sea_orm::ActiveValue::NotSet => 0.0,
    };
    let completes = pct >= 100.0 && !was_complete;
    if completes {
        am.completed_at = Set(Some(now));
        am.times_completed = Set(p.times_completed + 1);
    }
    am.updated_at = Set(now);
    p = am.update(&txn).await?;
    if completes {
        complete_run(state, &txn, u, &w, &p, now).await?;
    }
    txn.commit().await?;
    if completes {
        state.wake_workers();
        state
            .events
            .publish(WorkoutCompleted {
                user_id: u.id,
                workout_id: w.id,
                times_completed: p.times_completed,
            })
            .await;
    }
    Ok((response(&p, &w.title), created))
}

/// Logs the completion, notifies, and awards achievements earned by it.
async fn complete_run(
    state: &AppState,
    txn: &DatabaseTransaction,
    u: &user::Model,
    w: &workout::Model,
    p: &progress::Model,
    now: DateTime<Utc>,
) -> AppResult<()> {
    completion::ActiveModel {
        user_id: Set(u.id),
        workout_id: Set(w.id),
        completed_at: Set(now),
        duration_minutes: Set(w.duration_minutes),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    notifications::create(
        txn,
        now,
        u.id,
        "workout_reminder",
        "Workout completed",
        &format!("You finished \"{}\". Great work!", w.title),
        serde_json::json!({"workout_id": w.id, "times_completed": p.times_completed}),
    )
    .await?;
    let tz = super::user_tz(txn, u.id).await?;
    let s = stats::compute(&completions_of(txn, u.id).await?, tz, now);
    let earned: BTreeSet<String> = achievement::Entity::find()
        .filter(achievement::Column::UserId.eq(u.id))
        .all(txn)
        .await?
        .into_iter()
        .map(|a| a.code)
        .collect();
    for a in stats::qualifying(&s) {
        if earned.contains(a.code()) {
            continue;
        }
        award(txn, u.id, a, now).await?;
    }
    let _ = state;
    Ok(())
}

async fn award(
    txn: &DatabaseTransaction,
    user_id: i64,
    a: Achievement,
    now: DateTime<Utc>,
) -> AppResult<()> {
    // Two completions racing may both qualify: the unique constraint keeps
    // one award, and only the one that inserted announces it.
    let inserted = achievement::Entity::insert(achievement::ActiveModel {
        user_id: Set(user_id),
        code: Set(a.code().into()),
        earned_at: Set(now),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    })
    .on_conflict(
        sea_orm::sea_query::OnConflict::columns([
            achievement::Column::UserId,
            achievement::Column::Code,
        ])
        .do_nothing()
        .to_owned(),
    )
    .exec_without_returning(txn)
    .await?;
    if inserted == 0 {
        return Ok(());
    }
    notifications::create(
        txn,
        now,
        user_id,
        "achievement",
        a.title(),
        a.message(),
        serde_json::json!({"achievement": a.code()}),
    )
    .await?;
    Ok(())
}

pub async fn completions_of<C: ConnectionTrait>(
    db: &C,
    user_id: i64,
) -> AppResult<Vec<Completion>> {
    let rows: Vec<(DateTime<Utc>, i32)> = completion::Entity::find()
        .select_only()
        .column(completion::Column::CompletedAt)
        .column(completion::Column::DurationMinutes)
        .filter(completion::Column::UserId.eq(user_id))
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(at, duration_minutes)| Completion {
            at,
            duration_minutes,
        })
        .collect())
}

/// Starts a new run: videos and percentage cleared, history kept.
pub async fn reset(state: &AppState, u: &user::Model, id: i64) -> AppResult<ProgressResponse> {
    let p = own(state, u.id, id).await?;
    let w = workout::Entity::find_by_id(p.workout_id)
        .one(&state.db)
        .await?
        .ok_or_else(AppError::not_found)?;
    let now = state.now();
    let mut am: progress::ActiveModel = p.into();
    am.completed_videos = Set("[]".into());
    am.progress_percentage = Set(0.0);
    am.percentage_set = Set(false);
    am.completed_at = Set(None);
    am.started_at = Set(now);
    am.updated_at = Set(now);
    let p = am.update(&state.db).await?;
    Ok(response(&p, &w.title))
}

/// The caller's progress rows, most recently touched first, one page.
pub async fn list(
    state: &AppState,
    user_id: i64,
    p: crate::platform::pagination::PageParams,
) -> AppResult<(Vec<ProgressResponse>, u64)> {
    let select = progress::Entity::find().filter(progress::Column::UserId.eq(user_id));
    let count = select.clone().count(&state.db).await?;
    let rows = select
        .order_by_desc(progress::Column::UpdatedAt)
        .order_by_desc(progress::Column::Id)
        .offset(p.offset())
        .limit(p.page_size)
        .all(&state.db)
        .await?;
    Ok((responses(&state.db, &rows).await?, count))
}

/// Progress rows as the API shows them, with their workouts' titles (one
/// query).
async fn responses<C: ConnectionTrait>(
    db: &C,
    rows: &[progress::Model],
) -> AppResult<Vec<ProgressResponse>> {
    let titles = titles(db, rows.iter().map(|r| r.workout_id).collect()).await?;
    Ok(rows
        .iter()
        .map(|r| response(r, titles.get(&r.workout_id).map_or("", String::as_str)))
        .collect())
}

pub async fn titles<C: ConnectionTrait>(
    db: &C,
    ids: Vec<i64>,
) -> AppResult<std::collections::HashMap<i64, String>> {
    let rows: Vec<(i64, String)> = workout::Entity::find()
        .select_only()
        .column(workout::Column::Id)
        .column(workout::Column::Title)
        .filter(workout::Column::Id.is_in(ids))
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows.into_iter().collect())
}

/// Achievements a user earned, oldest first (export).
pub async fn achievements_of<C: ConnectionTrait>(
    db: &C,
    user_id: i64,
) -> AppResult<Vec<serde_json::Value>> {
    Ok(achievement::Entity::find()
        .filter(achievement::Column::UserId.eq(user_id))
        .order_by_asc(achievement::Column::EarnedAt)
        .all(db)
        .await?
        .into_iter()
        .map(|a| {
            let title = Achievement::from_code(&a.code).map(Achievement::title);
            serde_json::json!({"code": a.code, "title": title, "earned_at": a.earned_at})
        })
        .collect())
}

/// Everything workouts holds about a user (data export).
pub async fn export_of<C: ConnectionTrait>(db: &C, user_id: i64) -> AppResult<serde_json::Value> {
    let rows = progress::Entity::find()
        .filter(progress::Column::UserId.eq(user_id))
        .order_by_asc(progress::Column::Id)
        .all(db)
        .await?;
    let progress = responses(db, &rows).await?;
    let completions: Vec<serde_json::Value> = completion::Entity::find()
        .filter(completion::Column::UserId.eq(user_id))
        .order_by_asc(completion::Column::CompletedAt)
        .all(db)
        .await?
        .into_iter()
        .map(|c| {
            serde_json::json!({"workout_id": c.workout_id, "completed_at": c.completed_at,
                               "duration_minutes": c.duration_minutes})
        })
        .collect();
    Ok(serde_json::json!({
        "progress": progress,
        "completions": completions,
        "achievements": achievements_of(db, user_id).await?,
    }))
}
