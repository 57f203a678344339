//! Fixed-window rate limits: in-process by default, shared through Redis
//! when `REDIS_URL` is set so every instance counts against one budget.

use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::sync::Mutex;

pub const WINDOW_SECS: i64 = 60;

#[derive(Debug, Clone, Copy)]
pub struct Decision {
    pub allowed: bool,
    pub limit: u32,
    pub remaining: u32,
    /// Seconds until the window resets.
    pub reset: u64,
}

enum Backend {
    Memory(Mutex<HashMap<String, (i64, u32)>>),
    /// The manager and the key prefix (deployments may share one Redis).
    Redis(redis::aio::ConnectionManager, String),
}

pub struct RateLimiter {
    backend: Backend,
    pub disabled: bool,
}

impl RateLimiter {
    pub fn in_memory(disabled: bool) -> Self {
        Self {
            backend: Backend::Memory(Mutex::new(HashMap::new())),
            disabled,
        }
    }

    pub async fn redis(url: &str, prefix: &str, disabled: bool) -> anyhow::Result<Self> {
        let client = redis::Client::open(url)?;
        let manager = redis::aio::ConnectionManager::new(client).await?;
        Ok(Self {
            backend: Backend::Redis(manager, prefix.to_string()),
            disabled,
        })
    }

    /// Counts one hit on `key` and says whether it is within `limit` per minute.
    pub async fn hit(&self, key: &str, limit: u32, now: DateTime<Utc>) -> Decision {
        let ts = now.timestamp();
        let window = ts.div_euclid(WINDOW_SECS);
        let reset = (WINDOW_SECS - ts.rem_euclid(WINDOW_SECS)) as u64;
        if self.disabled {
            return Decision {
                allowed: true,
                limit,
                remaining: limit,
                reset,
            };
        }
        let count = match &self.backend {
            Backend::Memory(map) => {
                let mut map = map.lock().unwrap_or_else(|p| p.into_inner());
                if map.len() > 100_000 {
                    map.retain(|_, (w, _)| *w == window);
                }
                let entry = map.entry(key.to_string()).or_insert((window, 0));
                if entry.0 != window {
                    *entry = (window, 0);
                }
                entry.1 = entry.1.saturating_add(1);
                entry.1
            }
            Backend::Redis(conn, prefix) => {
                let mut conn = conn.clone();
                let rkey = format!("{prefix}:rl:{key}:{window}");
                let res: redis::RedisResult<(u32,)> = redis::pipe()
                    .atomic()
                    .incr(&rkey, 1)
                    .expire(&rkey, WINDOW_SECS + 1)
                    .ignore()
                    .query_async(&mut conn)
                    .await;
                match res {
                    Ok((n,)) => n,
                    Err(e) => {
                        // Failing open: an unreachable Redis must not take the API down.
                        tracing::warn!(error = %e, "rate limit store unreachable; allowing request");
                        0
                    }
                }
            }
        };
        Decision {
            allowed: count <= limit,
            limit,
            remaining: limit.saturating_sub(count),
            reset,
        }
    }
}
