//! In-process domain events. A context publishes a plain struct after its
//! transaction commits; other contexts subscribe by type. Subscribers that
//! must not lose work enqueue a job.

use futures::future::BoxFuture;
use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

type Handler =
    Arc<dyn Fn(Arc<dyn Any + Send + Sync>) -> BoxFuture<'static, anyhow::Result<()>> + Send + Sync>;

#[derive(Default)]
pub struct EventBus {
    handlers: RwLock<HashMap<TypeId, Vec<(&'static str, Handler)>>>,
}

impl EventBus {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn subscribe<E, F, Fut>(&self, name: &'static str, f: F)
    where
        E: Any + Send + Sync,
        F: Fn(Arc<E>) -> Fut + Send + Sync + 'static,
        Fut: std::future::Future<Output = anyhow::Result<()>> + Send + 'static,
    {
        let f = Arc::new(f);
        let handler: Handler = Arc::new(move |any: Arc<dyn Any + Send + Sync>| {
            let f = f.clone();
            Box::pin(async move {
                match any.downcast::<E>() {
                    Ok(event) => f(event).await,
                    Err(_) => Ok(()),
                }
            })
        });
        self.handlers
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .entry(TypeId::of::<E>())
            .or_default()
            .push((name, handler));
    }

    /// Runs every subscriber of `E` in turn. A failing subscriber is logged
    /// and does not stop the others or the publisher.
    pub async fn publish<E: Any + Send + Sync>(&self, event: E) -> usize {
        let handlers: Vec<(&'static str, Handler)> = self
            .handlers
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(&TypeId::of::<E>())
            .cloned()
            .unwrap_or_default();
        let event: Arc<dyn Any + Send + Sync> = Arc::new(event);
        let mut ok = 0;
        for (name, h) in handlers {
            match h(event.clone()).await {
                Ok(()) => ok += 1,
                Err(e) => tracing::error!(subscriber = name, error = ?e, "event subscriber failed"),
            }
        }
        ok
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    struct Ping(usize);
    struct Other;

    #[tokio::test]
    async fn subscribers_receive_only_their_event_type() {
        let bus = EventBus::new();
        let seen = Arc::new(AtomicUsize::new(0));
        let s = seen.clone();
        bus.subscribe("count", move |e: Arc<Ping>| {
            let s = s.clone();
            async move {
                s.fetch_add(e.0, Ordering::SeqCst);
                Ok(())
            }
        });
        assert_eq!(bus.publish(Ping(3)).await, 1);
        assert_eq!(bus.publish(Other).await, 0);
        assert_eq!(seen.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn a_failing_subscriber_does_not_stop_the_others() {
        let bus = EventBus::new();
        let seen = Arc::new(AtomicUsize::new(0));
        bus.subscribe("fails", |_: Arc<Ping>| async {
            Err(anyhow::anyhow!("boom"))
        });
        let s = seen.clone();
        bus.subscribe("counts", move |_: Arc<Ping>| {
            let s = s.clone();
            async move {
                s.fetch_add(1, Ordering::SeqCst);
                Ok(())
            }
        });
        assert_eq!(bus.publish(Ping(1)).await, 1);
        assert_eq!(seen.load(Ordering::SeqCst), 1);
    }
}
