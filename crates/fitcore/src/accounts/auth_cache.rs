//! Recently authenticated users, so a read does not pay a user lookup on
//! every request. Only safe methods (GET, HEAD) are served from here;
//! anything that writes reads the user fresh. Every change to a user in
//! this instance calls `AppState::user_changed`, which forgets the entry
//! here and, with Redis, in every other instance; entries also expire after
//! `FITCORE_AUTH_CACHE_SECONDS`, which bounds how long a change made behind
//! the server's back (SQL by hand, a lost Redis message) goes unseen.

use super::entity::user;
use crate::platform::ttl_map::TtlMap;
use std::{sync::Arc, time::Duration};

/// Past this many entries the expired ones are swept.
const MAX_ENTRIES: usize = 100_000;

pub struct AuthCache {
    users: TtlMap<i64, Arc<user::Model>>,
}

impl AuthCache {
    /// `ttl` zero disables the cache.
    pub fn new(ttl: Duration) -> Self {
        Self {
            users: TtlMap::new(ttl, MAX_ENTRIES),
        }
    }

    pub fn get(&self, id: i64) -> Option<Arc<user::Model>> {
        self.users.get(&id)
    }

    pub fn put(&self, user: Arc<user::Model>) {
        self.users.put(user.id, user);
    }

    pub fn forget(&self, id: i64) {
        self.users.remove(&id);
    }

    pub fn clear(&self) {
        self.users.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    fn user(id: i64, version: i32) -> Arc<user::Model> {
        let now = Utc::now();
        Arc::new(user::Model {
            id,
            email: format!("u{id}@example.com"),
            email_normalized: format!("u{id}@example.com"),
            password_hash: None,
            first_name: String::new(),
            last_name: String::new(),
            is_active: true,
            is_staff: false,
            is_superuser: false,
            is_email_verified: false,
            date_joined: now,
            last_login: None,
            auth_version: version,
            totp_secret: None,
            totp_enabled: false,
            totp_last_step: None,
            created_at: now,
            updated_at: now,
        })
    }

    #[test]
    fn a_cached_user_is_returned_until_forgotten() {
        let cache = AuthCache::new(Duration::from_secs(60));
        cache.put(user(1, 3));
        assert_eq!(cache.get(1).map(|u| u.auth_version), Some(3));
        assert!(cache.get(2).is_none());
        cache.forget(1);
        assert!(cache.get(1).is_none());
    }

    #[test]
    fn entries_expire_after_the_ttl() {
        let cache = AuthCache::new(Duration::from_millis(20));
        cache.put(user(1, 0));
        assert!(cache.get(1).is_some());
        std::thread::sleep(Duration::from_millis(30));
        assert!(cache.get(1).is_none());
    }

    #[test]
    fn a_zero_ttl_caches_nothing() {
        let cache = AuthCache::new(Duration::ZERO);
        cache.put(user(1, 0));
        assert!(cache.get(1).is_none());
    }

    #[test]
    fn clear_forgets_everyone() {
        let cache = AuthCache::new(Duration::from_secs(60));
        cache.put(user(1, 0));
        cache.put(user(2, 0));
        cache.clear();
        assert!(cache.get(1).is_none() && cache.get(2).is_none());
    }
}
