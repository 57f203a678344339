//! A workout's detail: the workout with its videos, each locked or
//! carrying a signed stream URL for the caller, and the caller's marks.
//! From the catalogue in memory plus one statement for the caller's marks
//! (with the subscription for premium workouts), or from one statement
//! when the catalogue does not hold the workout.

use super::{
    access::Viewer,
    catalogue::{
        MarkedRow, Marks, WorkoutRow, media_url, rows, with_caller_marks, without_caller_marks,
        workout_response,
    },
    dto::*,
    entity::{video, workout},
};
use crate::{
    app::AppState,
    error::{AppError, AppResult},
};
use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, EntityTrait, FromQueryResult, JoinType, QueryFilter, QueryOrder, QuerySelect,
    QueryTrait, RelationDef, prelude::Expr, sea_query::ExprTrait,
};

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
