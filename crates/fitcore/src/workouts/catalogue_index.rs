//! The workout catalogue in memory: every workout with its category's name
//! and slug and its videos, so a page or a detail reads only the caller's
//! own favorite, progress (and, for premium, subscription) from the
//! database. Joining and decoding the same workout and video rows on every
//! request was most of what a catalogue read cost the database and the
//! server. Staff edits invalidate it (here and, through Redis, in every
//! instance); it is also rebuilt every 30 seconds. A workout it does not
//! hold, or a catalogue past `MAX_WORKOUTS`, is read from the database.

use super::{
    catalogue::{WorkoutRow, rows},
    detail::DetailVideo,
    entity::video,
};
use crate::platform::snapshot::SnapshotCell;
use sea_orm::{DatabaseConnection, DbErr, EntityTrait, QueryOrder, QuerySelect};
use std::{collections::HashMap, sync::Arc, time::Duration};

const MAX_AGE: Duration = Duration::from_secs(30);
/// Larger catalogues are read from the database (memory stays bounded).
pub const MAX_WORKOUTS: usize = 20_000;

pub struct CatalogueEntry {
    pub row: WorkoutRow,
    pub videos: Vec<DetailVideo>,
}

#[derive(Default)]
struct Catalogue {
    by_id: HashMap<i64, Arc<CatalogueEntry>>,
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

    /// The workouts `ids`, in that order, or `None` when any of them is not
    /// in memory (the caller then reads the database).
    pub async fn entries(
        &self,
        db: &DatabaseConnection,
        ids: &[i64],
    ) -> Result<Option<Vec<Arc<CatalogueEntry>>>, DbErr> {
        let snap = self.snapshot.get(|| build(db)).await?;
        Ok(ids.iter().map(|id| snap.by_id.get(id).cloned()).collect())
    }
}

async fn build(db: &DatabaseConnection) -> Result<Catalogue, DbErr> {
    let workouts: Vec<WorkoutRow> = rows()
        .limit(MAX_WORKOUTS as u64 + 1)
        .into_model()
        .all(db)
        .await?;
    if workouts.len() > MAX_WORKOUTS {
        return Ok(Catalogue::default());
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
    })
}
