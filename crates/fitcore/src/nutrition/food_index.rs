//! Ranked search over public foods from memory. Ranking every matching
//! name in SQL on each request made B3 database-bound (~300 requests/s on
//! PostgreSQL); the ~9,000 public names fit in a few hundred kilobytes and
//! are rarely edited. The snapshot is rebuilt when this instance changes a
//! public food and at most every 30 seconds otherwise, so another
//! instance's edit shows within half a minute. The caller's own foods come
//! from SQL (indexed by owner) and are ranked with the same rules.

use super::{entity::food, search, text::fold};
use sea_orm::{ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QuerySelect};
use std::{
    collections::HashMap,
    sync::{Arc, RwLock},
    time::{Duration, Instant},
};

const MAX_AGE: Duration = Duration::from_secs(30);

struct Entry {
    id: i64,
    folded: String,
    category: String,
}

struct Snapshot {
    built: Instant,
    entries: Vec<Entry>,
}

#[derive(Default)]
pub struct FoodIndex {
    snapshot: RwLock<Option<Arc<Snapshot>>>,
    rebuild: tokio::sync::Mutex<()>,
}

/// `(rank, length, name, id)`: smaller sorts first (see `search`).
type Key = (u8, usize, String, i64);

pub fn rank(folded: &str, text: &str, words: &[&str]) -> u8 {
    if folded == text {
        0
    } else if folded.starts_with(text) {
        1
    } else if words
        .iter()
        .all(|w| folded.starts_with(w) || folded.contains(&format!(" {w}")))
    {
        2
    } else {
        3
    }
}

impl FoodIndex {
    /// Forgets the snapshot (after this instance changed a public food).
    pub fn invalidate(&self) {
        if let Ok(mut s) = self.snapshot.write() {
            *s = None;
        }
    }

    fn current(&self) -> Option<Arc<Snapshot>> {
        self.snapshot
            .read()
            .ok()
            .and_then(|s| s.clone())
            .filter(|s| s.built.elapsed() < MAX_AGE)
    }

    async fn get(&self, db: &DatabaseConnection) -> Result<Arc<Snapshot>, DbErr> {
        if let Some(s) = self.current() {
            return Ok(s);
        }
        // One rebuild at a time; the others wait and then reuse it.
        let _guard = self.rebuild.lock().await;
        if let Some(s) = self.current() {
            return Ok(s);
        }
        let rows: Vec<(i64, String, String)> = food::Entity::find()
            .select_only()
            .column(food::Column::Id)
            .column(food::Column::NameSearch)
            .column(food::Column::Category)
            .filter(food::Column::IsPublic.eq(true))
            .into_tuple()
            .all(db)
            .await?;
        let snap = Arc::new(Snapshot {
            built: Instant::now(),
            entries: rows
                .into_iter()
                .map(|(id, folded, category)| Entry {
                    id,
                    folded,
                    category,
                })
                .collect(),
        });
        if let Ok(mut s) = self.snapshot.write() {
            *s = Some(snap.clone());
        }
        Ok(snap)
    }

    /// Public foods plus the user's own matching `text` (and `category`),
    /// ranked; the page's rows and the total.
    pub async fn search(
        &self,
        db: &DatabaseConnection,
        user: Option<i64>,
        text: &str,
        category: Option<&str>,
        offset: u64,
        limit: u64,
    ) -> Result<(Vec<food::Model>, u64), DbErr> {
        let text = fold(text);
        let words: Vec<&str> = text.split(' ').filter(|w| !w.is_empty()).take(8).collect();
        let matches = |folded: &str| words.iter().all(|w| folded.contains(w));
        let snap = self.get(db).await?;
        let mut keys: Vec<Key> = snap
            .entries
            .iter()
            .filter(|e| category.is_none_or(|c| e.category == c) && matches(&e.folded))
            .map(|e| {
                (
                    rank(&e.folded, &text, &words),
                    e.folded.chars().count(),
                    e.folded.clone(),
                    e.id,
                )
            })
            .collect();
        if let Some(uid) = user {
            let (own, _) = search::search(
                db,
                &search::FoodSearch {
                    text: Some(&text),
                    category,
                    scope: search::Scope::Mine(uid),
                    offset: 0,
                    limit: 1000,
                },
            )
            .await?;
            keys.extend(own.into_iter().filter(|f| !f.is_public).map(|f| {
                (
                    rank(&f.name_search, &text, &words),
                    f.name_search.chars().count(),
                    f.name_search,
                    f.id,
                )
            }));
        }
        keys.sort_unstable();
        let total = keys.len() as u64;
        let ids: Vec<i64> = keys
            .iter()
            .skip(usize::try_from(offset).unwrap_or(usize::MAX))
            .take(usize::try_from(limit).unwrap_or(100))
            .map(|k| k.3)
            .collect();
        if ids.is_empty() {
            return Ok((Vec::new(), total));
        }
        let mut by_id: HashMap<i64, food::Model> = food::Entity::find()
            .filter(food::Column::Id.is_in(ids.clone()))
            .all(db)
            .await?
            .into_iter()
            .map(|f| (f.id, f))
            .collect();
        Ok((
            ids.iter().filter_map(|id| by_id.remove(id)).collect(),
            total,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::rank;

    #[test]
    fn ranks_follow_the_sql_rules() {
        let words = ["pear"];
        assert_eq!(rank("pear", "pear", &words), 0);
        assert_eq!(rank("pears, raw", "pear", &words), 1);
        assert_eq!(rank("prickly pears, raw", "pear", &words), 2);
        assert_eq!(rank("spearmint, fresh", "pear", &words), 3);
    }
}
