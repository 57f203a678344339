//! A bounded map whose entries expire: the shape of every in-process cache
//! here (signed-in users, catalogue orders). Past `max_entries` the expired
//! entries are swept, and if that is not enough, all of them, so memory
//! stays bounded whatever the load. A zero TTL keeps nothing.

use std::{
    borrow::Borrow,
    collections::HashMap,
    hash::Hash,
    sync::RwLock,
    time::{Duration, Instant},
};

pub struct TtlMap<K, V> {
    ttl: Duration,
    max_entries: usize,
    entries: RwLock<HashMap<K, (Instant, V)>>,
}

impl<K: Eq + Hash, V: Clone> TtlMap<K, V> {
    pub fn new(ttl: Duration, max_entries: usize) -> Self {
        Self {
            ttl,
            max_entries: max_entries.max(1),
            entries: RwLock::new(HashMap::new()),
        }
    }

    pub fn get<Q>(&self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Eq + Hash + ?Sized,
    {
        if self.ttl.is_zero() {
            return None;
        }
        let entries = self.entries.read().unwrap_or_else(|p| p.into_inner());
        entries
            .get(key)
            .filter(|(at, _)| at.elapsed() < self.ttl)
            .map(|(_, v)| v.clone())
    }

    pub fn put(&self, key: K, value: V) {
        if self.ttl.is_zero() {
            return;
        }
        let mut entries = self.entries.write().unwrap_or_else(|p| p.into_inner());
        if entries.len() >= self.max_entries {
            let ttl = self.ttl;
            entries.retain(|_, (at, _)| at.elapsed() < ttl);
            if entries.len() >= self.max_entries {
                entries.clear();
            }
        }
        entries.insert(key, (Instant::now(), value));
    }

    pub fn remove<Q>(&self, key: &Q)
    where
        K: Borrow<Q>,
        Q: Eq + Hash + ?Sized,
    {
        self.entries
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .remove(key);
    }

    pub fn clear(&self) {
        self.entries
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
    }

    pub fn len(&self) -> usize {
        self.entries.read().map(|e| e.len()).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_is_returned_until_removed() {
        let map = TtlMap::new(Duration::from_secs(60), 10);
        map.put(1, "one");
        assert_eq!(map.get(&1), Some("one"));
        assert_eq!(map.get(&2), None);
        map.remove(&1);
        assert_eq!(map.get(&1), None);
    }

    #[test]
    fn entries_expire_after_the_ttl() {
        let map = TtlMap::new(Duration::from_millis(20), 10);
        map.put(1, 1);
        assert!(map.get(&1).is_some());
        std::thread::sleep(Duration::from_millis(30));
        assert!(map.get(&1).is_none());
    }

    #[test]
    fn a_zero_ttl_keeps_nothing() {
        let map = TtlMap::new(Duration::ZERO, 10);
        map.put(1, 1);
        assert!(map.get(&1).is_none() && map.is_empty());
    }

    #[test]
    fn it_stays_bounded() {
        let map = TtlMap::new(Duration::from_secs(60), 8);
        for i in 0..20 {
            map.put(i, i);
        }
        assert!(map.len() <= 8, "{}", map.len());
    }

    #[test]
    fn string_keys_are_looked_up_by_str() {
        let map: TtlMap<String, u8> = TtlMap::new(Duration::from_secs(60), 8);
        map.put("all".to_string(), 1);
        assert_eq!(map.get("all"), Some(1));
        map.clear();
        assert_eq!(map.get("all"), None);
    }
}
