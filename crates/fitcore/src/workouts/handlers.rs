//! `workouts/` endpoints: thin; the rules live in the modules they call.

use super::{
    catalogue, categories, detail, dto::*, progress, stats::WorkoutStats, streaming, videos,
    viewer_of,
};
use crate::{
    app::AppState,
    error::{AppError, AppResult, ErrorBody},
    extract::{AppJson, AuthUser, MaybeAuthUser, Query, RequestUrl, StaffUser},
    platform::pagination::{Page, PageParams},
};
use axum::{
    extract::{Multipart, Path, State, multipart::MultipartRejection},
    http::{HeaderMap, Method, StatusCode},
    response::Response,
};

/// Every category with its number of workouts (a bare JSON array).
#[utoipa::path(get, path = "/workouts/categories/", tag = "workouts",
    responses((status = 200, body = Vec<CategoryResponse>)))]
pub async fn list_categories(
    State(state): State<AppState>,
) -> AppResult<AppJson<Vec<CategoryResponse>>> {
    Ok(AppJson(categories::list_categories(&state).await?))
}

/// Creates a category; the slug comes from the name when left out; a
/// duplicate slug is 409.
#[utoipa::path(post, path = "/workouts/categories/", tag = "workouts", request_body = CategoryCreate,
    responses((status = 201, body = CategoryResponse), (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn create_category(
    State(state): State<AppState>,
    StaffUser(_staff): StaffUser,
    AppJson(req): AppJson<CategoryCreate>,
) -> AppResult<(StatusCode, AppJson<CategoryResponse>)> {
    Ok((
        StatusCode::CREATED,
        AppJson(categories::create_category(&state, req).await?),
    ))
}

/// Renames a category or changes its slug (staff).
#[utoipa::path(patch, path = "/workouts/categories/{id}/", tag = "workouts", request_body = CategoryUpdate,
    params(("id" = i64, Path)),
    responses((status = 200, body = CategoryResponse), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn update_category(
    State(state): State<AppState>,
    StaffUser(_staff): StaffUser,
    Path(id): Path<i64>,
    AppJson(req): AppJson<CategoryUpdate>,
) -> AppResult<AppJson<CategoryResponse>> {
    Ok(AppJson(categories::update_category(&state, id, req).await?))
}

/// The catalogue, page-numbered (20 a page). `category` takes a slug or an
/// id; `search` looks in title and description, case-insensitively;
/// ordering defaults to newest first. `is_favorite` appears for signed-in
/// callers only; `progress` is the caller's, else null.
#[utoipa::path(get, path = "/workouts/workouts/", tag = "workouts",
    params(
        ("category" = Option<String>, Query, description = "Slug or id"),
        ("difficulty" = Option<Difficulty>, Query),
        ("goal" = Option<String>, Query, description = "A fitness goal value"),
        ("is_premium" = Option<bool>, Query),
        ("search" = Option<String>, Query),
        ("ordering" = Option<String>, Query, description = "title, created_at, duration_minutes; `-` for descending"),
        ("page" = Option<u64>, Query), ("page_size" = Option<u64>, Query),
    ),
    responses((status = 200, body = Page<WorkoutResponse>), (status = 400, body = ErrorBody)))]
pub async fn list_workouts(
    State(state): State<AppState>,
    MaybeAuthUser(user): MaybeAuthUser,
    Query(q): Query,
    RequestUrl(url): RequestUrl,
) -> AppResult<AppJson<Page<WorkoutResponse>>> {
    let p = PageParams::from_query(&q)?;
    let viewer = super::viewer_unchecked(user.as_ref());
    let (rows, count) = super::listing::list_workouts(&state, viewer, &q, p).await?;
    Ok(AppJson(Page::new(rows, count, p, &url, &q)))
}

/// A workout with its videos in order; each video is `locked` (no
/// `stream_url`) unless the caller may watch it.
#[utoipa::path(get, path = "/workouts/workouts/{id}/", tag = "workouts", params(("id" = i64, Path)),
    responses((status = 200, body = WorkoutDetail), (status = 404, body = ErrorBody)))]
pub async fn get_workout(
    State(state): State<AppState>,
    MaybeAuthUser(user): MaybeAuthUser,
    Path(id): Path<i64>,
) -> AppResult<AppJson<WorkoutDetail>> {
    // The subscription is looked up only if the workout is premium.
    let viewer = super::viewer_unchecked(user.as_ref());
    Ok(AppJson(detail::workout_detail(&state, viewer, id).await?))
}

/// Creates a workout (staff); an unknown `category_id` is 400.
#[utoipa::path(post, path = "/workouts/workouts/", tag = "workouts", request_body = WorkoutCreate,
    responses((status = 201, body = WorkoutResponse), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn create_workout(
    State(state): State<AppState>,
    StaffUser(staff): StaffUser,
    AppJson(req): AppJson<WorkoutCreate>,
) -> AppResult<(StatusCode, AppJson<WorkoutResponse>)> {
    let row = catalogue::create_workout(&state, Some(staff.id), req).await?;
    let viewer = viewer_of(&state, Some(&staff)).await?;
    Ok((
        StatusCode::CREATED,
        AppJson(catalogue::workout_response(
            &state, row, viewer, false, None,
        )),
    ))
}

/// Changes a workout (staff).
#[utoipa::path(patch, path = "/workouts/workouts/{id}/", tag = "workouts", request_body = WorkoutUpdate,
    params(("id" = i64, Path)),
    responses((status = 200, body = WorkoutResponse), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn update_workout(
    State(state): State<AppState>,
    StaffUser(staff): StaffUser,
    Path(id): Path<i64>,
    AppJson(req): AppJson<WorkoutUpdate>,
) -> AppResult<AppJson<WorkoutResponse>> {
    let row = catalogue::update_workout(&state, id, req).await?;
    let viewer = viewer_of(&state, Some(&staff)).await?;
    let (fav, prog) = catalogue::caller_marks(&state.db, viewer, &[id]).await?;
    Ok(AppJson(catalogue::workout_response(
        &state,
        row,
        viewer,
        fav.contains(&id),
        prog.get(&id),
    )))
}

/// Deletes a workout, its videos and everyone's progress on it (staff);
/// the files are removed by a job after the rows.
#[utoipa::path(delete, path = "/workouts/workouts/{id}/", tag = "workouts", params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn delete_workout(
    State(state): State<AppState>,
    StaffUser(_staff): StaffUser,
    Path(id): Path<i64>,
) -> AppResult<StatusCode> {
    catalogue::delete_workout(&state, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Uploads a video (staff): multipart `file` plus optional `title`,
/// `is_free`, `order_index`. The file is streamed to storage as it arrives;
/// its type is decided by its bytes (MP4, WebM, QuickTime: else 415); past
/// the size limit (2 GB by default) the answer is 413 and nothing is kept.
/// A job then reads the duration and makes a thumbnail when ffmpeg exists.
#[utoipa::path(post, path = "/workouts/workouts/{id}/videos/", tag = "workouts", params(("id" = i64, Path)),
    request_body(content_type = "multipart/form-data", description = "`file` (required), `title`, `is_free`, `order_index`"),
    responses((status = 201, body = VideoResponse), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 415, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn upload_video(
    State(state): State<AppState>,
    StaffUser(staff): StaffUser,
    Path(id): Path<i64>,
    multipart: Result<Multipart, MultipartRejection>,
) -> AppResult<(StatusCode, AppJson<VideoResponse>)> {
    let multipart = multipart.map_err(|_| {
        AppError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "Send multipart/form-data with a `file` field.",
        )
    })?;
    let v = videos::upload_video(&state, id, multipart).await?;
    let viewer = viewer_of(&state, Some(&staff)).await?;
    Ok((
        StatusCode::CREATED,
        AppJson(video_response(&state, v, viewer)),
    ))
}

fn video_response(
    state: &AppState,
    v: super::entity::video::Model,
    viewer: super::access::Viewer,
) -> VideoResponse {
    let token = super::access::stream_token(&state.secret, v.id, viewer, state.now());
    VideoResponse {
        stream_url: Some(format!(
            "{}/api/v1/workouts/videos/{}/stream/?token={token}",
            state.config.public_url(),
            v.id
        )),
        thumbnail_url: catalogue::media_url(state, v.thumbnail_key.as_deref()),
        id: v.id,
        title: v.title,
        order_index: v.order_index,
        duration_seconds: v.duration_seconds,
        is_free: v.is_free,
        locked: false,
        content_type: v.content_type,
        size_bytes: v.size_bytes,
    }
}

/// Puts the workout's videos in the given order: `video_ids` must list each
/// of them exactly once (missing, repeated or foreign ids are 400).
#[utoipa::path(post, path = "/workouts/workouts/{id}/videos/reorder/", tag = "workouts", request_body = ReorderRequest,
    params(("id" = i64, Path)),
    responses((status = 200, body = WorkoutDetail), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn reorder_videos(
    State(state): State<AppState>,
    StaffUser(staff): StaffUser,
    Path(id): Path<i64>,
    AppJson(req): AppJson<ReorderRequest>,
) -> AppResult<AppJson<WorkoutDetail>> {
    videos::reorder(&state, id, req).await?;
    let viewer = viewer_of(&state, Some(&staff)).await?;
    Ok(AppJson(detail::workout_detail(&state, viewer, id).await?))
}

/// Changes a video's title, `is_free` or `order_index` (staff).
#[utoipa::path(patch, path = "/workouts/videos/{id}/", tag = "workouts", request_body = VideoUpdate,
    params(("id" = i64, Path)),
    responses((status = 200, body = VideoResponse), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn update_video(
    State(state): State<AppState>,
    StaffUser(staff): StaffUser,
    Path(id): Path<i64>,
    AppJson(req): AppJson<VideoUpdate>,
) -> AppResult<AppJson<VideoResponse>> {
    let v = videos::update_video(&state, id, req).await?;
    let viewer = viewer_of(&state, Some(&staff)).await?;
    Ok(AppJson(video_response(&state, v, viewer)))
}

/// Deletes a video (staff); its file is removed by a job after the row.
#[utoipa::path(delete, path = "/workouts/videos/{id}/", tag = "workouts", params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn delete_video(
    State(state): State<AppState>,
    StaffUser(_staff): StaffUser,
    Path(id): Path<i64>,
) -> AppResult<StatusCode> {
    videos::delete_video(&state, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(serde::Deserialize, utoipa::IntoParams)]
pub struct StreamParams {
    /// The signed token from `stream_url` (players cannot send headers).
    pub token: Option<String>,
}

/// The video file. Single `Range` → 206 with `Content-Range`; unsatisfiable
/// → 416; `ETag`, `Last-Modified`, `If-None-Match`, `If-Modified-Since`,
/// `If-Range`; several ranges are answered with the whole file (200). With
/// object storage, a 302 to a 10-minute signed URL. Access as for the
/// workout's videos, by `Authorization` or `?token=`.
#[utoipa::path(get, path = "/workouts/videos/{id}/stream/", tag = "workouts",
    params(("id" = i64, Path), StreamParams),
    responses((status = 200, description = "The whole file"), (status = 206, description = "One range"),
        (status = 302, description = "Signed object-storage URL"), (status = 304), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 416)))]
pub async fn stream_video(
    State(state): State<AppState>,
    MaybeAuthUser(user): MaybeAuthUser,
    Path(id): Path<i64>,
    axum::extract::Query(params): axum::extract::Query<StreamParams>,
    method: Method,
    headers: HeaderMap,
) -> AppResult<Response> {
    streaming::stream_video(&state, id, &method, &headers, params.token.as_deref(), user).await
}

/// Headers of the stream (same rules and status as GET, no body).
#[utoipa::path(head, path = "/workouts/videos/{id}/stream/", tag = "workouts",
    params(("id" = i64, Path), StreamParams),
    responses((status = 200), (status = 206), (status = 302), (status = 304), (status = 416)))]
pub async fn head_video(
    state: State<AppState>,
    user: MaybeAuthUser,
    id: Path<i64>,
    params: axum::extract::Query<StreamParams>,
    method: Method,
    headers: HeaderMap,
) -> AppResult<Response> {
    stream_video(state, user, id, params, method, headers).await
}

/// The caller's progress on each workout they started, most recent first
/// (page-numbered).
#[utoipa::path(get, path = "/workouts/progress/", tag = "workouts",
    params(("page" = Option<u64>, Query), ("page_size" = Option<u64>, Query)),
    responses((status = 200, body = Page<ProgressResponse>)), security(("bearer" = [])))]
pub async fn list_progress(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Query(q): Query,
    RequestUrl(url): RequestUrl,
) -> AppResult<AppJson<Page<ProgressResponse>>> {
    q.only(&["page", "page_size"])?;
    let p = PageParams::from_query(&q)?;
    let (rows, count) = progress::list(&state, user.id, p).await?;
    Ok(AppJson(Page::new(rows, count, p, &url, &q)))
}

/// Marks a video done (`{workout_id, video_id, completed?}`) or sets the
/// percentage (`{workout_id, progress_percentage}`): 201 when this starts the
/// workout, else 200. Reaching 100 completes it. 403 `subscription_required`
/// for a workout the caller may not watch.
#[utoipa::path(post, path = "/workouts/progress/", tag = "workouts", request_body = ProgressCreate,
    responses((status = 201, body = ProgressResponse), (status = 200, body = ProgressResponse),
        (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn record_progress(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    AppJson(req): AppJson<ProgressCreate>,
) -> AppResult<(StatusCode, AppJson<ProgressResponse>)> {
    let (p, created) = progress::record(&state, &user, req).await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, AppJson(p)))
}

/// One of the caller's progress rows.
#[utoipa::path(get, path = "/workouts/progress/{id}/", tag = "workouts", params(("id" = i64, Path)),
    responses((status = 200, body = ProgressResponse), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn get_progress(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(id): Path<i64>,
) -> AppResult<AppJson<ProgressResponse>> {
    let p = progress::own(&state, user.id, id).await?;
    let titles = progress::titles(&state.db, vec![p.workout_id]).await?;
    Ok(AppJson(progress::response(
        &p,
        titles.get(&p.workout_id).map_or("", String::as_str),
    )))
}

/// Marks a video or sets the percentage on an existing progress row.
#[utoipa::path(patch, path = "/workouts/progress/{id}/", tag = "workouts", request_body = ProgressUpdate,
    params(("id" = i64, Path)),
    responses((status = 200, body = ProgressResponse), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn update_progress(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(id): Path<i64>,
    AppJson(req): AppJson<ProgressUpdate>,
) -> AppResult<AppJson<ProgressResponse>> {
    Ok(AppJson(progress::update(&state, &user, id, req).await?))
}

/// Starts the workout again: videos and percentage cleared; completions,
/// `times_completed` and achievements are kept.
#[utoipa::path(post, path = "/workouts/progress/{id}/reset/", tag = "workouts", params(("id" = i64, Path)),
    responses((status = 200, body = ProgressResponse), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn reset_progress(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(id): Path<i64>,
) -> AppResult<AppJson<ProgressResponse>> {
    Ok(AppJson(progress::reset(&state, &user, id).await?))
}

/// Completions, minutes, current and longest streak, and weekly totals in
/// the caller's local days (profile time zone); weeks start on Monday.
#[utoipa::path(get, path = "/workouts/stats/", tag = "workouts",
    responses((status = 200, body = WorkoutStats)), security(("bearer" = [])))]
pub async fn workout_stats(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
) -> AppResult<AppJson<WorkoutStats>> {
    Ok(AppJson(
        super::stats_of(&state.db, user.id, state.now()).await?,
    ))
}
