//! Tells every instance that data it caches in memory changed. Each
//! instance forgets its own copy at once; with Redis, the change is also
//! published on `{prefix}:invalidate` and every instance listening forgets
//! its copy too. Without Redis there is one instance, or the caches' own
//! expiry bounds how stale another instance can be.

use futures::StreamExt;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// A user row changed (profile fields, flags, password, tokens revoked).
    User(i64),
    /// A public food was added, edited or removed.
    PublicFoods,
    /// A workout was added, edited or removed.
    Catalogue,
    /// Anything may have changed (after a missed message): drop every cache.
    Everything,
}

impl Change {
    fn encode(self) -> String {
        match self {
            Change::User(id) => format!("user:{id}"),
            Change::PublicFoods => "foods".into(),
            Change::Catalogue => "catalogue".into(),
            Change::Everything => "all".into(),
        }
    }

    fn decode(s: &str) -> Option<Change> {
        match s {
            "foods" => Some(Change::PublicFoods),
            "catalogue" => Some(Change::Catalogue),
            "all" => Some(Change::Everything),
            _ => s
                .strip_prefix("user:")
                .and_then(|id| id.parse().ok())
                .map(Change::User),
        }
    }
}

struct Redis {
    client: redis::Client,
    conn: redis::aio::ConnectionManager,
    channel: String,
}

pub struct Invalidation {
    redis: Option<Redis>,
}

impl Invalidation {
    pub fn local() -> Self {
        Self { redis: None }
    }

    pub async fn redis(url: &str, prefix: &str) -> anyhow::Result<Self> {
        let client = redis::Client::open(url)?;
        let conn = redis::aio::ConnectionManager::new(client.clone()).await?;
        Ok(Self {
            redis: Some(Redis {
                client,
                conn,
                channel: format!("{prefix}:invalidate"),
            }),
        })
    }

    /// Publishes `change` to the other instances without waiting; a failure
    /// is logged (their caches still expire on their own).
    pub fn publish(&self, change: Change) {
        let Some(r) = &self.redis else {
            return;
        };
        let mut conn = r.conn.clone();
        let channel = r.channel.clone();
        tokio::spawn(async move {
            let sent: redis::RedisResult<i64> = redis::cmd("PUBLISH")
                .arg(&channel)
                .arg(change.encode())
                .query_async(&mut conn)
                .await;
            if let Err(e) = sent {
                tracing::warn!(error = %e, "could not publish a cache invalidation");
            }
        });
    }

    /// Applies every change the other instances publish until `stop`.
    /// After (re)connecting, `apply(Change::Everything)` runs first: messages
    /// sent while disconnected are lost.
    pub async fn listen(&self, apply: impl Fn(Change) + Send + Sync, stop: CancellationToken) {
        let Some(r) = &self.redis else {
            return;
        };
        loop {
            let session = async {
                let mut pubsub = r.client.get_async_pubsub().await?;
                pubsub.subscribe(&r.channel).await?;
                apply(Change::Everything);
                let mut messages = pubsub.on_message();
                while let Some(msg) = messages.next().await {
                    let payload: String = msg.get_payload().unwrap_or_default();
                    if let Some(change) = Change::decode(&payload) {
                        apply(change);
                    }
                }
                Ok::<(), redis::RedisError>(())
            };
            tokio::select! {
                () = stop.cancelled() => return,
                res = session => {
                    if let Err(e) = res {
                        tracing::warn!(error = %e, "cache invalidation listener lost Redis; retrying");
                    }
                }
            }
            tokio::select! {
                () = stop.cancelled() => return,
                () = tokio::time::sleep(Duration::from_secs(1)) => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Change;

    #[test]
    fn changes_survive_the_wire() {
        for c in [
            Change::User(42),
            Change::PublicFoods,
            Change::Catalogue,
            Change::Everything,
        ] {
            assert_eq!(Change::decode(&c.encode()), Some(c));
        }
        assert_eq!(Change::decode("user:x"), None);
        assert_eq!(Change::decode("bogus"), None);
    }
}
