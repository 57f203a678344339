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

use crate::platform::ttl_map::TtlMap;
use std::{sync::Arc, time::Duration};

const MAX_AGE: Duration = Duration::from_secs(30);
const MAX_KEYS: usize = 512;
pub const MAX_IDS: usize = 20_000;

pub struct OrderCache {
    orders: TtlMap<String, Arc<Vec<i64>>>,
}

impl Default for OrderCache {
    fn default() -> Self {
        Self {
            orders: TtlMap::new(MAX_AGE, MAX_KEYS),
        }
    }
}

impl OrderCache {
    pub fn get(&self, key: &str) -> Option<Arc<Vec<i64>>> {
        self.orders.get(key)
    }

    pub fn put(&self, key: String, ids: Arc<Vec<i64>>) {
        self.orders.put(key, ids);
    }

    pub fn clear(&self) {
        self.orders.clear();
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
}
