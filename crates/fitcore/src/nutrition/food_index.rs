//! Ranked search over public foods from memory. Ranking every matching
//! name in SQL on each request made B3 database-bound (~300 requests/s on
//! PostgreSQL); the ~9,000 public foods with their portions, ready to
//! answer, take a few megabytes and are rarely edited. The snapshot is
//! rebuilt when a public food changes (in this instance, or in another one
//! that says so through Redis) and otherwise every 30 seconds, while the
//! old one keeps answering. The caller's own foods come from SQL (indexed
//! by owner) and are ranked with the same rules.

use super::{
    dto::{FoodResponse, Portion},
    entity::{food, food_portion},
    foods, search,
    text::fold,
};
use crate::error::AppResult;
use crate::platform::snapshot::SnapshotCell;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, JoinType, QueryFilter,
    QueryOrder, QuerySelect,
    sea_query::{Expr, ExprTrait, LikeExpr},
};
use std::{collections::HashMap, sync::Arc, time::Duration};

/// How old a snapshot may be before a reader asks the database whether it
/// is still current (one aggregate over the public foods).
const MAX_AGE: Duration = Duration::from_secs(30);
/// Rebuilt whatever the stamp says after this long: edits made by hand in
/// SQL that leave `updated_at` alone show within it.
const REBUILD_AGE: Duration = Duration::from_secs(600);

struct Entry {
    food: Arc<food::Model>,
    portions: Vec<Portion>,
    /// Characters in the folded name (ranking prefers shorter names).
    chars: usize,
}

impl Entry {
    fn folded(&self) -> &str {
        &self.food.name_search
    }

    fn response(&self) -> FoodResponse {
        foods::response(food::Model::clone(&self.food), self.portions.clone())
    }
}

struct Snapshot {
    entries: Vec<Entry>,
    /// Position in `entries` by food id.
    by_id: HashMap<i64, usize>,
    /// Every folded name, in entry order, each followed by a newline: one
    /// SIMD substring scan over it finds the candidates of a word far
    /// faster than testing ~9,000 names one by one (folded names and
    /// search words hold no newline, so no match spans two names).
    haystack: String,
    /// Where each entry's name starts in `haystack`.
    starts: Vec<usize>,
    /// Unique to this build: what a value derived from the snapshot (a
    /// cached plan) records, to know it was built from the current one.
    version: u64,
    /// What the table looked like when this was read (see `Stamp`).
    stamp: Stamp,
    built: std::time::Instant,
}

/// The public foods' count, highest id and latest edit: any insert, delete
/// or edit through the API changes one of them, so comparing stamps tells
/// whether an old snapshot is still current without reading ~9,000 rows.
type Stamp = (i64, Option<i64>, Option<chrono::DateTime<chrono::Utc>>);

async fn stamp<C: ConnectionTrait>(db: &C) -> Result<Stamp, DbErr> {
    let row = food::Entity::find()
        .select_only()
        .expr(Expr::cust("COUNT(*)"))
        .expr(Expr::col(food::Column::Id).max())
        .expr(Expr::col(food::Column::UpdatedAt).max())
        .filter(food::Column::IsPublic.eq(true))
        .into_tuple::<Stamp>()
        .one(db)
        .await?;
    Ok(row.unwrap_or((0, None, None)))
}

/// Numbers the builds of the snapshot (see `Snapshot::version`).
static BUILDS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

impl Snapshot {
    /// Entries whose folded name contains `word`, each once, in order.
    fn containing(&self, word: &str) -> Vec<usize> {
        let mut found: Vec<usize> = Vec::new();
        for at in memchr::memmem::find_iter(self.haystack.as_bytes(), word.as_bytes()) {
            let i = self.starts.partition_point(|&s| s <= at).saturating_sub(1);
            if found.last() != Some(&i) {
                found.push(i);
            }
        }
        found
    }
}

/// The public foods matching one search, ranked: (rank, characters, entry)
/// in result order, for the snapshot `version` they were found in.
struct Ranked {
    version: u64,
    hits: Vec<(u8, usize, usize)>,
}

#[derive(Clone)]
struct HitCount;

impl quick_cache::Weighter<(String, Option<String>), Arc<Ranked>> for HitCount {
    fn weight(&self, _: &(String, Option<String>), r: &Arc<Ranked>) -> u64 {
        r.hits.len() as u64 + 1
    }
}

/// At most this many remembered public matches (~24 bytes each) over all
/// remembered searches; the least used go first.
const RESULTS_CAPACITY: u64 = 500_000;

pub struct FoodIndex {
    snapshot: SnapshotCell<Snapshot>,
    /// Searches repeat ("apple", "chicken breast"): their ranked public
    /// matches are kept per snapshot; only the caller's own foods are
    /// searched each time.
    results: quick_cache::sync::Cache<(String, Option<String>), Arc<Ranked>, HitCount>,
}

impl Default for FoodIndex {
    fn default() -> Self {
        Self {
            snapshot: SnapshotCell::new(MAX_AGE),
            results: quick_cache::sync::Cache::with_weighter(1_000, RESULTS_CAPACITY, HitCount),
        }
    }
}

pub fn rank(folded: &str, text: &str, words: &[&str]) -> u8 {
    if folded == text {
        0
    } else if folded.starts_with(text) {
        1
    } else if words.iter().all(|w| starts_a_word(folded, w)) {
        2
    } else {
        3
    }
}

/// Whether `w` starts `folded` or one of its words (after a space).
fn starts_a_word(folded: &str, w: &str) -> bool {
    folded
        .match_indices(w)
        .any(|(i, _)| i == 0 || folded.as_bytes().get(i - 1) == Some(&b' '))
}

impl FoodIndex {
    /// Forgets the snapshot (after a public food changed).
    pub fn invalidate(&self) {
        self.snapshot.invalidate();
    }

    /// Makes the snapshot old: the next reader checks it is current.
    pub fn age_out(&self) {
        self.snapshot.age_out();
    }

    /// Builds through `db` when needed: a caller inside a transaction
    /// passes it, so it never waits for a second pooled connection (which
    /// could deadlock a busy pool).
    async fn get<C: ConnectionTrait>(&self, db: &C) -> Result<Arc<Snapshot>, DbErr> {
        self.snapshot
            .get_checked(
                || build(db),
                |old| async move {
                    Ok(old.built.elapsed() < REBUILD_AGE && stamp(db).await? == old.stamp)
                },
            )
            .await
    }

    /// The version of the current snapshot (it changes with every
    /// rebuild, so after any change to a public food).
    pub async fn version<C: ConnectionTrait>(&self, db: &C) -> Result<u64, DbErr> {
        Ok(self.get(db).await?.version)
    }

    /// The current snapshot's version if every one of `ids` is a public
    /// food in it; `None` if any is not (a user's own food).
    pub async fn all_public<C: ConnectionTrait>(
        &self,
        db: &C,
        ids: impl IntoIterator<Item = i64>,
    ) -> Result<Option<u64>, DbErr> {
        let snap = self.get(db).await?;
        let mut ids = ids.into_iter();
        Ok(ids
            .all(|id| snap.by_id.contains_key(&id))
            .then_some(snap.version))
    }

    /// The public foods among `ids` (from memory) and the ids that are not
    /// public foods (to be read from the database).
    pub async fn public_foods<C: ConnectionTrait>(
        &self,
        db: &C,
        ids: &[i64],
    ) -> Result<(HashMap<i64, Arc<food::Model>>, Vec<i64>), DbErr> {
        if ids.is_empty() {
            return Ok((HashMap::new(), Vec::new()));
        }
        let snap = self.get(db).await?;
        let mut found = HashMap::with_capacity(ids.len());
        let mut rest = Vec::new();
        for id in ids {
            match snap.by_id.get(id).and_then(|&i| snap.entries.get(i)) {
                Some(e) => {
                    found.insert(*id, e.food.clone());
                }
                None => rest.push(*id),
            }
        }
        Ok((found, rest))
    }

    /// The public foods matching `text` (folded) and `category`, ranked:
    /// remembered for this snapshot, else found and remembered.
    fn ranked(
        &self,
        snap: &Snapshot,
        text: &str,
        words: &[&str],
        category: Option<&str>,
    ) -> Arc<Ranked> {
        let key = (text.to_string(), category.map(str::to_string));
        if let Some(r) = self.results.get(&key).filter(|r| r.version == snap.version) {
            return r;
        }
        // The longest word is the rarest: scan for it, then check the rest.
        let candidates: Vec<usize> = match words.iter().max_by_key(|w| w.len()) {
            Some(longest) => snap.containing(longest),
            None => (0..snap.entries.len()).collect(),
        };
        let mut hits: Vec<(u8, usize, usize)> = candidates
            .into_iter()
            .filter_map(|i| snap.entries.get(i).map(|e| (i, e)))
            .filter(|(_, e)| {
                category.is_none_or(|c| e.food.category == c)
                    && words.iter().all(|w| e.folded().contains(w))
            })
            .map(|(i, e)| (rank(e.folded(), text, words), e.chars, i))
            .collect();
        let key_of = |&(r, chars, i): &(u8, usize, usize)| {
            let e = &snap.entries[i];
            (r, chars, e.folded(), e.food.id)
        };
        hits.sort_unstable_by(|a, b| key_of(a).cmp(&key_of(b)));
        let ranked = Arc::new(Ranked {
            version: snap.version,
            hits,
        });
        self.results.insert(key, ranked.clone());
        ranked
    }

    /// Public foods plus the user's own matching `text` (and `category`),
    /// ranked; the page and the total.
    pub async fn search(
        &self,
        db: &DatabaseConnection,
        user: Option<i64>,
        text: &str,
        category: Option<&str>,
        offset: u64,
        limit: u64,
    ) -> AppResult<(Vec<FoodResponse>, u64)> {
        let text = fold(text);
        let words: Vec<&str> = text.split(' ').filter(|w| !w.is_empty()).take(8).collect();
        let snap = self.get(db).await?;
        let public = self.ranked(&snap, &text, &words, category);
        let mut own: Vec<(u8, usize, food::Model)> = Vec::new();
        if let Some(uid) = user {
            // The caller's own foods: indexed by owner, a handful each.
            let mut select = food::Entity::find()
                .filter(food::Column::OwnerId.eq(uid))
                .filter(food::Column::IsPublic.eq(false));
            if let Some(c) = category {
                select = select.filter(food::Column::Category.eq(c));
            }
            for w in &words {
                let pattern = format!("%{}%", search::like_escape(w));
                select = select.filter(
                    Expr::col((food::Entity, food::Column::NameSearch))
                        .like(LikeExpr::new(pattern).escape('\\')),
                );
            }
            own = select
                .limit(1000)
                .all(db)
                .await?
                .into_iter()
                .map(|f| {
                    (
                        rank(&f.name_search, &text, &words),
                        f.name_search.chars().count(),
                        f,
                    )
                })
                .collect();
            own.sort_by(|a, b| {
                (a.0, a.1, &a.2.name_search, a.2.id).cmp(&(b.0, b.1, &b.2.name_search, b.2.id))
            });
        }
        // Candidates sort by (rank, length, name, id) and are either a
        // public entry or one of the caller's own foods: merge the two
        // ranked lists up to the page.
        enum Hit<'a> {
            Public(&'a Entry),
            Own(Box<food::Model>),
        }
        let total = (public.hits.len() + own.len()) as u64;
        let offset = usize::try_from(offset).unwrap_or(usize::MAX);
        let limit = usize::try_from(limit).unwrap_or(100);
        // (A block: the iterators must not live across the awaits below.)
        let page: Vec<Hit> = {
            let mut publics = public
                .hits
                .iter()
                .filter_map(|&(r, chars, i)| snap.entries.get(i).map(|e| (r, chars, e)))
                .peekable();
            let mut owns = own.into_iter().peekable();
            let mut page: Vec<Hit> = Vec::with_capacity(limit.min(100));
            let mut position = 0usize;
            while page.len() < limit {
                let take_public = match (publics.peek(), owns.peek()) {
                    (Some(p), Some(o)) => {
                        (p.0, p.1, p.2.folded(), p.2.food.id)
                            <= (o.0, o.1, o.2.name_search.as_str(), o.2.id)
                    }
                    (Some(_), None) => true,
                    (None, Some(_)) => false,
                    (None, None) => break,
                };
                let hit = if take_public {
                    publics.next().map(|p| Hit::Public(p.2))
                } else {
                    owns.next().map(|o| Hit::Own(Box::new(o.2)))
                };
                if position >= offset
                    && let Some(h) = hit
                {
                    page.push(h);
                }
                position += 1;
            }
            page
        };
        let own_ids: Vec<i64> = page
            .iter()
            .filter_map(|h| match h {
                Hit::Own(f) => Some(f.id),
                Hit::Public(_) => None,
            })
            .collect();
        let mut own_portions = if own_ids.is_empty() {
            HashMap::new()
        } else {
            foods::portions_of(db, &own_ids).await?
        };
        Ok((
            page.into_iter()
                .map(|h| match h {
                    Hit::Public(e) => e.response(),
                    Hit::Own(f) => {
                        let ps = own_portions.remove(&f.id).unwrap_or_default();
                        foods::response(*f, ps)
                    }
                })
                .collect(),
            total,
        ))
    }
}

async fn build<C: ConnectionTrait>(db: &C) -> Result<Snapshot, DbErr> {
    // Read before the rows: a change landing meanwhile leaves a stamp older
    // than the data, so the next check rebuilds (never the reverse).
    let stamp = stamp(db).await?;
    let built = std::time::Instant::now();
    let foods = food::Entity::find()
        .filter(food::Column::IsPublic.eq(true))
        .all(db)
        .await?;
    let mut portions: HashMap<i64, Vec<Portion>> = HashMap::new();
    for p in food_portion::Entity::find()
        .join(
            JoinType::InnerJoin,
            food_portion::Entity::belongs_to(food::Entity)
                .from(food_portion::Column::FoodId)
                .to(food::Column::Id)
                .into(),
        )
        .filter(food::Column::IsPublic.eq(true))
        .order_by_asc(food_portion::Column::FoodId)
        .order_by_asc(food_portion::Column::Seq)
        .all(db)
        .await?
    {
        portions.entry(p.food_id).or_default().push(Portion {
            description: p.description,
            grams: p.grams,
        });
    }
    let entries: Vec<Entry> = foods
        .into_iter()
        .map(|f| Entry {
            portions: portions.remove(&f.id).unwrap_or_default(),
            chars: f.name_search.chars().count(),
            food: Arc::new(f),
        })
        .collect();
    let mut haystack = String::new();
    let mut starts = Vec::with_capacity(entries.len());
    for e in &entries {
        starts.push(haystack.len());
        haystack.extend(e.folded().chars().map(|c| if c == '\n' { ' ' } else { c }));
        haystack.push('\n');
    }
    let by_id = entries
        .iter()
        .enumerate()
        .map(|(i, e)| (e.food.id, i))
        .collect();
    Ok(Snapshot {
        version: BUILDS.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
        stamp,
        built,
        entries,
        by_id,
        haystack,
        starts,
    })
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
        assert_eq!(
            rank("spearmint and pear", "pear", &words),
            2,
            "a later match may start a word"
        );
    }
}
