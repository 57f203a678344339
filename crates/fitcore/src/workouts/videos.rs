//! Staff video management: streamed multipart upload (type decided by the
//! bytes, size capped, nothing left behind on failure), edit, reorder and
//! delete; the media job that reads duration and makes a thumbnail, and the
//! job that removes a deleted video's files.

use super::{
    dto::{ReorderRequest, VideoUpdate},
    entity::{video, workout},
    media::{self, SNIFF_LEN, VideoKind},
};
use crate::{
    app::AppState,
    error::{AppError, AppResult, FieldErrors},
    platform::jobs::{NewJob, enqueue},
};
use axum::{extract::Multipart, http::StatusCode};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, TransactionTrait,
    prelude::Expr, sea_query::ExprTrait,
};
use serde_json::json;
use std::collections::HashSet;

pub const PROBE_JOB: &str = "workouts.probe_video";
pub const REMOVE_FILES_JOB: &str = "workouts.remove_video_files";

fn too_large(limit: u64) -> AppError {
    AppError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
        format!("Videos are limited to {} MB.", limit / (1024 * 1024)),
    )
}

fn unreadable() -> AppError {
    AppError::bad_request(
        "malformed_request",
        "The upload broke off or the multipart body could not be read.",
    )
}

fn not_a_video() -> AppError {
    AppError::new(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
        "The file is not an MP4, WebM or QuickTime video.",
    )
}

struct Stored {
    key: String,
    kind: VideoKind,
    size: u64,
}

/// Streams one multipart field into storage. The first bytes decide the
/// type; past `limit` the upload is aborted.
async fn store_file(
    state: &AppState,
    workout_id: i64,
    field: &mut axum::extract::multipart::Field<'_>,
    limit: u64,
) -> AppResult<Stored> {
    let mut head: Vec<u8> = Vec::with_capacity(SNIFF_LEN);
    // Gather enough bytes to sniff before anything is stored.
    let mut pending: Vec<bytes::Bytes> = Vec::new();
    while head.len() < SNIFF_LEN {
        match field.chunk().await {
            Ok(Some(chunk)) => {
                let take = (SNIFF_LEN - head.len()).min(chunk.len());
                head.extend_from_slice(&chunk[..take]);
                pending.push(chunk);
            }
            Ok(None) => break,
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => return Err(too_large(limit)),
            Err(_) => return Err(unreadable()),
        }
    }
    let kind = media::sniff_video(&head).ok_or_else(not_a_video)?;
    let key = format!(
        "videos/{workout_id}/{}.{}",
        uuid::Uuid::new_v4().simple(),
        kind.extension()
    );
    let mut upload = state
        .storage
        .start_upload(&key)
        .await
        .map_err(AppError::internal)?;
    let mut size: u64 = 0;
    let result: AppResult<()> = async {
        for chunk in pending.drain(..) {
            size += chunk.len() as u64;
            if size > limit {
                return Err(too_large(limit));
            }
            upload.write(&chunk).await.map_err(AppError::internal)?;
        }
        loop {
            match field.chunk().await {
                Ok(Some(chunk)) => {
                    size += chunk.len() as u64;
                    if size > limit {
                        return Err(too_large(limit));
                    }
                    upload.write(&chunk).await.map_err(AppError::internal)?;
                }
                Ok(None) => return Ok(()),
                Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                    return Err(too_large(limit));
                }
                Err(_) => return Err(unreadable()),
            }
        }
    }
    .await;
    match result {
        Ok(()) => {
            upload.finish().await.map_err(AppError::internal)?;
            Ok(Stored { key, kind, size })
        }
        Err(e) => {
            upload.abort().await;
            Err(e)
        }
    }
}

async fn text_field(field: axum::extract::multipart::Field<'_>, name: &str) -> AppResult<String> {
    let bytes = field.bytes().await.map_err(|_| unreadable())?;
    if bytes.len() > 1000 {
        return Err(FieldErrors::single(name, "Too long."));
    }
    String::from_utf8(bytes.to_vec()).map_err(|_| FieldErrors::single(name, "Not valid UTF-8."))
}

fn parse_bool(name: &str, s: &str) -> AppResult<bool> {
    match s.trim() {
        "true" | "True" | "1" | "on" => Ok(true),
        "false" | "False" | "0" | "" => Ok(false),
        _ => Err(FieldErrors::single(name, "Must be true or false.")),
    }
}

/// Inserts the row of a stored file, counts it on the workout and queues
/// the media job, in the caller's transaction.
#[allow(clippy::too_many_arguments)]
async fn insert_video(
    txn: &sea_orm::DatabaseTransaction,
    now: chrono::DateTime<chrono::Utc>,
    workout_id: i64,
    title: String,
    order_index: i32,
    key: String,
    kind: VideoKind,
    size: u64,
    is_free: bool,
) -> AppResult<video::Model> {
    let row = video::ActiveModel {
        workout_id: Set(workout_id),
        title: Set(title),
        order_index: Set(order_index),
        storage_key: Set(key),
        content_type: Set(kind.content_type().into()),
        size_bytes: Set(i64::try_from(size).unwrap_or(i64::MAX)),
        is_free: Set(is_free),
        duration_seconds: Set(None),
        thumbnail_key: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    workout::Entity::update_many()
        .col_expr(
            workout::Column::VideoCount,
            Expr::col(workout::Column::VideoCount).add(1),
        )
        .col_expr(workout::Column::UpdatedAt, Expr::value(now))
        .filter(workout::Column::Id.eq(workout_id))
        .exec(txn)
        .await?;
    enqueue(
        txn,
        now,
        NewJob::new(PROBE_JOB, json!({"video_id": row.id})),
    )
    .await?;
    Ok(row)
}

/// `POST workouts/workouts/{id}/videos/`.
pub async fn upload_video(
    state: &AppState,
    workout_id: i64,
    mut multipart: Multipart,
) -> AppResult<video::Model> {
    let w = workout::Entity::find_by_id(workout_id)
        .one(&state.db)
        .await?
        .ok_or_else(AppError::not_found)?;
    let limit = state.config.video_max_bytes;
    let mut stored: Option<Stored> = None;
    let mut title: Option<String> = None;
    let mut is_free = false;
    let mut order_index: Option<i32> = None;
    let outcome: AppResult<()> = async {
        loop {
            let mut field = match multipart.next_field().await {
                Ok(Some(f)) => f,
                Ok(None) => return Ok(()),
                Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                    return Err(too_large(limit));
                }
                Err(_) => return Err(unreadable()),
            };
            match field.name().unwrap_or_default() {
                "file" if stored.is_none() => {
                    stored = Some(store_file(state, w.id, &mut field, limit).await?);
                }
                "file" => return Err(FieldErrors::single("file", "Send one file.")),
                "title" => title = Some(text_field(field, "title").await?),
                "is_free" => is_free = parse_bool("is_free", &text_field(field, "is_free").await?)?,
                "order_index" => {
                    let s = text_field(field, "order_index").await?;
                    order_index = Some(
                        s.trim()
                            .parse::<i32>()
                            .ok()
                            .filter(|n| *n >= 0)
                            .ok_or_else(|| {
                                FieldErrors::single("order_index", "A whole number from 0.")
                            })?,
                    );
                }
                other => {
                    return Err(FieldErrors::single(other.to_string(), "Unknown field."));
                }
            }
        }
    }
    .await;
    if let Err(e) = outcome {
        if let Some(s) = &stored {
            let _ = state.storage.delete(&s.key).await;
        }
        return Err(e);
    }
    let Some(file) = stored else {
        return Err(FieldErrors::single("file", "Attach the video as `file`."));
    };
    let title = title
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty())
        .unwrap_or_else(|| format!("Part {}", w.video_count + 1));
    if title.chars().count() > 200 {
        let _ = state.storage.delete(&file.key).await;
        return Err(FieldErrors::single("title", "At most 200 characters."));
    }
    let now = state.now();
    let saved: AppResult<video::Model> = async {
        let txn = state.db.begin().await?;
        let row = insert_video(
            &txn,
            now,
            w.id,
            title,
            order_index.unwrap_or(w.video_count),
            file.key.clone(),
            file.kind,
            file.size,
            is_free,
        )
        .await?;
        txn.commit().await?;
        Ok(row)
    }
    .await;
    match saved {
        Ok(row) => {
            state.catalogue_changed();
            state.wake_workers();
            Ok(row)
        }
        Err(e) => {
            let _ = state.storage.delete(&file.key).await;
            Err(e)
        }
    }
}

/// Adds a video from a local file (demo seeding): stored, counted and
/// queued for the media job like an upload.
pub async fn add_local_file(
    state: &AppState,
    workout_id: i64,
    title: &str,
    is_free: bool,
    path: &std::path::Path,
) -> AppResult<video::Model> {
    let bytes = tokio::fs::read(path).await.map_err(AppError::internal)?;
    let kind = media::sniff_video(&bytes[..bytes.len().min(SNIFF_LEN)]).ok_or_else(not_a_video)?;
    let w = workout::Entity::find_by_id(workout_id)
        .one(&state.db)
        .await?
        .ok_or_else(AppError::not_found)?;
    let key = format!(
        "videos/{workout_id}/{}.{}",
        uuid::Uuid::new_v4().simple(),
        kind.extension()
    );
    let size = bytes.len() as u64;
    state
        .storage
        .put(&key, bytes.into())
        .await
        .map_err(AppError::internal)?;
    let now = state.now();
    let txn = state.db.begin().await?;
    let row = insert_video(
        &txn,
        now,
        workout_id,
        title.to_string(),
        w.video_count,
        key,
        kind,
        size,
        is_free,
    )
    .await?;
    txn.commit().await?;
    state.catalogue_changed();
    Ok(row)
}

pub async fn find_video(state: &AppState, id: i64) -> AppResult<video::Model> {
    video::Entity::find_by_id(id)
        .one(&state.db)
        .await?
        .ok_or_else(AppError::not_found)
}

pub async fn update_video(state: &AppState, id: i64, req: VideoUpdate) -> AppResult<video::Model> {
    let v = find_video(state, id).await?;
    let mut errors = FieldErrors::new();
    let mut am: video::ActiveModel = v.into();
    if let Some(t) = req.title {
        let t = t.trim().to_string();
        if t.is_empty() || t.chars().count() > 200 {
            errors.add("title", "Enter a title of 1 to 200 characters.");
        }
        am.title = Set(t);
    }
    if let Some(f) = req.is_free {
        am.is_free = Set(f);
    }
    if let Some(i) = req.order_index {
        if i < 0 {
            errors.add("order_index", "A whole number from 0.");
        }
        am.order_index = Set(i);
    }
    errors.into_result()?;
    am.updated_at = Set(state.now());
    let saved = am.update(&state.db).await?;
    state.catalogue_changed();
    Ok(saved)
}

/// Deletes the row first; a job removes the files after it (so a failed
/// delete never leaves a row pointing at nothing).
pub async fn delete_video(state: &AppState, id: i64) -> AppResult<()> {
    let v = find_video(state, id).await?;
    let now = state.now();
    let txn = state.db.begin().await?;
    video::Entity::delete_by_id(v.id).exec(&txn).await?;
    workout::Entity::update_many()
        .col_expr(
            workout::Column::VideoCount,
            Expr::col(workout::Column::VideoCount).sub(1),
        )
        .col_expr(workout::Column::UpdatedAt, Expr::value(now))
        .filter(workout::Column::Id.eq(v.workout_id))
        .exec(&txn)
        .await?;
    queue_file_removal(&txn, now, &[&v]).await?;
    txn.commit().await?;
    state.catalogue_changed();
    state.wake_workers();
    Ok(())
}

pub async fn queue_file_removal<C: sea_orm::ConnectionTrait>(
    conn: &C,
    now: chrono::DateTime<chrono::Utc>,
    videos: &[&video::Model],
) -> Result<(), sea_orm::DbErr> {
    let keys: Vec<&str> = videos
        .iter()
        .flat_map(|v| std::iter::once(v.storage_key.as_str()).chain(v.thumbnail_key.as_deref()))
        .collect();
    if keys.is_empty() {
        return Ok(());
    }
    enqueue(
        conn,
        now,
        NewJob::new(REMOVE_FILES_JOB, json!({"keys": keys})),
    )
    .await?;
    Ok(())
}

/// `video_ids` must name every video of the workout exactly once.
pub async fn reorder(state: &AppState, workout_id: i64, req: ReorderRequest) -> AppResult<()> {
    workout::Entity::find_by_id(workout_id)
        .one(&state.db)
        .await?
        .ok_or_else(AppError::not_found)?;
    let current = super::catalogue::videos_of(&state.db, workout_id).await?;
    let ours: HashSet<i64> = current.iter().map(|v| v.id).collect();
    let given: HashSet<i64> = req.video_ids.iter().copied().collect();
    if given.len() != req.video_ids.len() {
        return Err(FieldErrors::single(
            "video_ids",
            "A video appears more than once.",
        ));
    }
    if let Some(foreign) = req.video_ids.iter().find(|id| !ours.contains(id)) {
        return Err(FieldErrors::single(
            "video_ids",
            format!("Video {foreign} is not part of this workout."),
        ));
    }
    if given.len() != ours.len() {
        return Err(FieldErrors::single(
            "video_ids",
            "List every video of the workout.",
        ));
    }
    let now = state.now();
    let txn = state.db.begin().await?;
    for (i, id) in req.video_ids.iter().enumerate() {
        video::Entity::update_many()
            .col_expr(video::Column::OrderIndex, Expr::value(i as i32))
            .col_expr(video::Column::UpdatedAt, Expr::value(now))
            .filter(video::Column::Id.eq(*id))
            .exec(&txn)
            .await?;
    }
    txn.commit().await?;
    state.catalogue_changed();
    Ok(())
}

/// The media job: duration from ffprobe and a JPEG thumbnail from ffmpeg.
/// Without the tools both stay null and the job succeeds.
pub async fn run_probe(
    state: AppState,
    payload: serde_json::Value,
) -> anyhow::Result<Option<serde_json::Value>> {
    let id = payload["video_id"].as_i64().unwrap_or_default();
    let Some(v) = video::Entity::find_by_id(id).one(&state.db).await? else {
        return Ok(Some(json!({"skipped": "video deleted"})));
    };
    if !media::tools_available().await {
        return Ok(Some(json!({"skipped": "ffprobe/ffmpeg not installed"})));
    }
    let work = std::env::temp_dir().join(format!("fitcore-probe-{}", uuid::Uuid::new_v4()));
    tokio::fs::create_dir_all(&work).await?;
    let result = probe_into(&state, &v, &work).await;
    let _ = tokio::fs::remove_dir_all(&work).await;
    result
}

async fn probe_into(
    state: &AppState,
    v: &video::Model,
    work: &std::path::Path,
) -> anyhow::Result<Option<serde_json::Value>> {
    let local = match state.storage.local_path(&v.storage_key) {
        Some(p) => p,
        None => {
            let p = work.join("video");
            state.storage.download_to(&v.storage_key, &p).await?;
            p
        }
    };
    let duration = media::probe_duration_seconds(&local).await;
    let thumb_file = work.join("thumb.jpg");
    let mut thumbnail_key = None;
    if media::make_thumbnail(&local, &thumb_file)
        .await
        .unwrap_or(false)
    {
        let bytes = tokio::fs::read(&thumb_file).await?;
        let key = format!(
            "thumbnails/videos/{}-{}.jpg",
            v.id,
            uuid::Uuid::new_v4().simple()
        );
        state.storage.put(&key, bytes.into()).await?;
        thumbnail_key = Some(key);
    }
    let now = state.now();
    let mut am: video::ActiveModel = v.clone().into();
    am.duration_seconds = Set(duration);
    if thumbnail_key.is_some() {
        am.thumbnail_key = Set(thumbnail_key.clone());
    }
    am.updated_at = Set(now);
    am.update(&state.db).await?;
    // The workout shows its first thumbnail until staff choose another.
    if let Some(key) = &thumbnail_key {
        workout::Entity::update_many()
            .col_expr(workout::Column::ThumbnailKey, Expr::value(key.clone()))
            .filter(workout::Column::Id.eq(v.workout_id))
            .filter(workout::Column::ThumbnailKey.is_null())
            .exec(&state.db)
            .await?;
    }
    state.catalogue_changed();
    Ok(Some(
        json!({"duration_seconds": duration, "thumbnail": thumbnail_key}),
    ))
}

pub async fn run_remove_files(
    state: AppState,
    payload: serde_json::Value,
) -> anyhow::Result<Option<serde_json::Value>> {
    let keys: Vec<String> = serde_json::from_value(payload["keys"].clone()).unwrap_or_default();
    for k in &keys {
        state.storage.delete(k).await?;
    }
    Ok(Some(json!({"removed": keys.len()})))
}
