//! The workout catalogue in memory: every workout with its category's name
//! and slug and its videos, so a page or a detail reads only the caller's
//! own favorite, progress (and, for premium, subscription) from the
//! database. Joining and decoding the same workout and video rows on every
//! request was most of what a catalogue read cost the database and the
//! server. Staff edits invalidate it (here and, through Redis, in every
//! instance); every 30 seconds a reader also asks the database whether the
//! workouts, videos or categories changed (counts, highest ids, latest
//! edits), and it is rebuilt if so, or anyway after 10 minutes. A workout
//! it does not hold, or a catalogue past `MAX_WORKOUTS`, is read from the
//! database.

use super::{
    catalogue::{WorkoutRow, rows},
    detail::DetailVideo,
    entity::video,
};
use crate::platform::snapshot::SnapshotCell;
use chrono::{DateTime, Utc};
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, FromQueryResult, QueryOrder,
    QuerySelect, Statement,
};
use std::{collections::HashMap, sync::Arc, time::Duration};

/// How old the catalogue may be before a reader checks it is current.
const MAX_AGE: Duration = Duration::from_secs(30);
/// Rebuilt whatever the check says after this long (edits made by hand in
/// SQL that leave `updated_at` alone).
const REBUILD_AGE: Duration = Duration::from_secs(600);
/// Larger catalogues are read from the database (memory stays bounded).
pub const MAX_WORKOUTS: usize = 20_000;

pub struct CatalogueEntry {
    pub row: WorkoutRow,
    pub videos: Vec<DetailVideo>,
}

struct Catalogue {
    by_id: HashMap<i64, Arc<CatalogueEntry>>,
    stamp: Stamp,
    built: std::time::Instant,
}

/// The catalogue tables' counts, highest ids and latest edits: any insert,
/// delete or edit through the API changes one of them.
#[derive(Debug, Default, PartialEq, FromQueryResult)]
struct Stamp {
    workouts: i64,
    workout_id: Option<i64>,
    workout_edit: Option<DateTime<Utc>>,
    videos: i64,
    video_id: Option<i64>,
    video_edit: Option<DateTime<Utc>>,
    categories: i64,
    category_edit: Option<DateTime<Utc>>,
}

async fn stamp<C: ConnectionTrait>(db: &C) -> Result<Stamp, DbErr> {
    const SQL: &str = "SELECT \
        (SELECT COUNT(*) FROM workouts) AS workouts, \
        (SELECT MAX(id) FROM workouts) AS workout_id, \
        (SELECT MAX(updated_at) FROM workouts) AS workout_edit, \
        (SELECT COUNT(*) FROM workout_videos) AS videos, \
        (SELECT MAX(id) FROM workout_videos) AS video_id, \
        (SELECT MAX(updated_at) FROM workout_videos) AS video_edit, \
        (SELECT COUNT(*) FROM workout_categories) AS categories, \
        (SELECT MAX(updated_at) FROM workout_categories) AS category_edit";
    let stmt = Statement::from_string(db.get_database_backend(), SQL);
    Ok(Stamp::find_by_statement(stmt)
        .one(db)
        .await?
        .unwrap_or_default())
}

pub struct CatalogueIndex {
    snapshot: SnapshotCell<Catalogue>,
}

impl Default for CatalogueIndex {
    fn default() -> Self {
        Self {
            snapshot: SnapshotCell::new(MAX_AGE),
        }
    }
}

impl CatalogueIndex {
    /// Forgets the snapshot (after a workout, video or category changed).
    pub fn invalidate(&self) {
        self.snapshot.invalidate();
    }

    /// Makes the snapshot old: the next reader checks it is current.
    pub fn age_out(&self) {
        self.snapshot.age_out();
    }

    /// The workouts `ids`, in that order, or `None` when any of them is not
    /// in memory (the caller then reads the database).
    pub async fn entries(
        &self,
        db: &DatabaseConnection,
        ids: &[i64],
    ) -> Result<Option<Vec<Arc<CatalogueEntry>>>, DbErr> {
        let snap = self
            .snapshot
            .get_checked(
                || build(db),
                |old| async move {
                    Ok(old.built.elapsed() < REBUILD_AGE && stamp(db).await? == old.stamp)
                },
            )
            .await?;
        Ok(ids.iter().map(|id| snap.by_id.get(id).cloned()).collect())
    }
}

async fn build(db: &DatabaseConnection) -> Result<Catalogue, DbErr> {
    // Read before the rows: a change landing meanwhile leaves a stamp older
    // than the data, so the next check rebuilds (never the reverse).
    let stamp = stamp(db).await?;
    let built = std::time::Instant::now();
    let workouts: Vec<WorkoutRow> = rows()
        .limit(MAX_WORKOUTS as u64 + 1)
        .into_model()
        .all(db)
        .await?;
    if workouts.len() > MAX_WORKOUTS {
        return Ok(Catalogue {
            by_id: HashMap::new(),
            stamp,
            built,
        });
    }
    let mut videos: HashMap<i64, Vec<DetailVideo>> = HashMap::new();
    for v in video::Entity::find()
        .order_by_asc(video::Column::WorkoutId)
        .order_by_asc(video::Column::OrderIndex)
        .order_by_asc(video::Column::Id)
        .all(db)
        .await?
    {
        videos.entry(v.workout_id).or_default().push(DetailVideo {
            id: v.id,
            title: v.title,
            order_index: v.order_index,
            content_type: v.content_type,
            size_bytes: v.size_bytes,
            is_free: v.is_free,
            duration_seconds: v.duration_seconds,
            thumbnail_key: v.thumbnail_key,
        });
    }
    Ok(Catalogue {
        by_id: workouts
            .into_iter()
            .map(|row| {
                let entry = CatalogueEntry {
                    videos: videos.remove(&row.id).unwrap_or_default(),
                    row,
                };
                (entry.row.id, Arc::new(entry))
            })
            .collect(),
        stamp,
        built,
    })
}
