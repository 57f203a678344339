//! The catalogue's order, remembered: for each filter and ordering a page
//! asks for, the ids of every matching workout in order. A page is then a
//! slice of that list and its count is the list's length, so the database
//! only fetches the page's rows. Counting and walking the whole catalogue
//! for every page was most of B1's database time.
//!
//! Any change to a workout through this instance clears it (and, with
//! Redis, every other instance's); entries also expire after 30 seconds.
//! Searches are not remembered (their keys are unbounded), nor lists of
//! more than `MAX_IDS` workouts.

use std::{
    collections::HashMap,
    sync::{Arc, RwLock},
    time::{Duration, Instant},
};

const MAX_AGE: Duration = Duration::from_secs(30);
const MAX_KEYS: usize = 512;
pub const MAX_IDS: usize = 20_000;

#[derive(Default)]
pub struct OrderCache {
    entries: RwLock<HashMap<String, (Instant, Arc<Vec<i64>>)>>,
}

impl OrderCache {
    pub fn get(&self, key: &str) -> Option<Arc<Vec<i64>>> {
        let entries = self.entries.read().unwrap_or_else(|p| p.into_inner());
        entries
            .get(key)
            .filter(|(at, _)| at.elapsed() < MAX_AGE)
            .map(|(_, ids)| ids.clone())
    }

    pub fn put(&self, key: String, ids: Arc<Vec<i64>>) {
        let mut entries = self.entries.write().unwrap_or_else(|p| p.into_inner());
        if entries.len() >= MAX_KEYS {
            entries.retain(|_, (at, _)| at.elapsed() < MAX_AGE);
            if entries.len() >= MAX_KEYS {
                entries.clear();
            }
        }
        entries.insert(key, (Instant::now(), ids));
    }

    pub fn clear(&self) {
        self.entries
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembers_until_cleared() {
        let cache = OrderCache::default();
        cache.put("all".into(), Arc::new(vec![3, 2, 1]));
        assert_eq!(cache.get("all").as_deref(), Some(&vec![3, 2, 1]));
        assert!(cache.get("premium").is_none());
        cache.clear();
        assert!(cache.get("all").is_none());
    }

    #[test]
    fn stays_bounded() {
        let cache = OrderCache::default();
        for i in 0..(MAX_KEYS + 10) {
            cache.put(format!("k{i}"), Arc::new(vec![]));
        }
        let n = cache.entries.read().map(|e| e.len()).unwrap_or(0);
        assert!(n <= MAX_KEYS, "{n}");
    }
}
