//! A value read whole from the database and kept in memory (the public
//! foods, the workout catalogue), rebuilt when it is invalidated and
//! otherwise every `max_age`. After an invalidation every reader waits for
//! the new value, so a change shows at once; when it is merely old, one
//! reader rebuilds it while the others keep answering from the old one
//! (this bounds how long a change made by another instance without Redis,
//! or behind the server's back, goes unseen).

use std::{
    future::Future,
    sync::{
        Arc, RwLock,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

pub struct SnapshotCell<T> {
    max_age: Duration,
    current: RwLock<Option<(Instant, Arc<T>)>>,
    rebuild: tokio::sync::Mutex<()>,
    /// Bumped by every invalidation, so a build that started before one
    /// does not install what it read.
    generation: AtomicU64,
}

impl<T> SnapshotCell<T> {
    pub fn new(max_age: Duration) -> Self {
        Self {
            max_age,
            current: RwLock::new(None),
            rebuild: tokio::sync::Mutex::new(()),
            generation: AtomicU64::new(0),
        }
    }

    /// Forgets the value: the next reader builds a new one.
    pub fn invalidate(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
        if let Ok(mut c) = self.current.write() {
            *c = None;
        }
    }

    fn held(&self) -> Option<(Instant, Arc<T>)> {
        self.current.read().ok().and_then(|c| c.clone())
    }

    fn fresh(&self) -> Option<Arc<T>> {
        self.held()
            .filter(|(built, _)| built.elapsed() < self.max_age)
            .map(|(_, v)| v)
    }

    /// The value, built with `build` when there is none or it is too old.
    pub async fn get<E, F, Fut>(&self, build: F) -> Result<Arc<T>, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        match self.held() {
            Some((built, v)) if built.elapsed() < self.max_age => return Ok(v),
            // Old: one reader rebuilds it, the others answer from it meanwhile.
            Some((_, old)) => match self.rebuild.try_lock() {
                Ok(_guard) => {
                    if let Some(v) = self.fresh() {
                        return Ok(v);
                    }
                    return self.build(build).await;
                }
                Err(_) => return Ok(old),
            },
            None => {}
        }
        // Forgotten after a change (or never built): everyone waits for it.
        let _guard = self.rebuild.lock().await;
        if let Some((_, v)) = self.held() {
            return Ok(v);
        }
        self.build(build).await
    }

    async fn build<E, F, Fut>(&self, build: F) -> Result<Arc<T>, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        let generation = self.generation.load(Ordering::SeqCst);
        let value = Arc::new(build().await?);
        if let Ok(mut c) = self.current.write()
            && self.generation.load(Ordering::SeqCst) == generation
        {
            *c = Some((Instant::now(), value.clone()));
        }
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    async fn count_builds(cell: &SnapshotCell<usize>, builds: &AtomicUsize) -> usize {
        let v = cell
            .get(|| async { Ok::<_, ()>(builds.fetch_add(1, Ordering::SeqCst) + 1) })
            .await;
        v.map(|v| *v).unwrap_or(0)
    }

    #[tokio::test]
    async fn a_value_is_built_once_and_reused_while_fresh() {
        let cell = SnapshotCell::new(Duration::from_secs(60));
        let builds = AtomicUsize::new(0);
        assert_eq!(count_builds(&cell, &builds).await, 1);
        assert_eq!(count_builds(&cell, &builds).await, 1);
        assert_eq!(builds.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn an_invalidated_value_is_rebuilt_by_the_next_reader() {
        let cell = SnapshotCell::new(Duration::from_secs(60));
        let builds = AtomicUsize::new(0);
        count_builds(&cell, &builds).await;
        cell.invalidate();
        assert_eq!(count_builds(&cell, &builds).await, 2);
    }

    #[tokio::test]
    async fn an_old_value_is_rebuilt() {
        let cell = SnapshotCell::new(Duration::from_millis(10));
        let builds = AtomicUsize::new(0);
        count_builds(&cell, &builds).await;
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert_eq!(count_builds(&cell, &builds).await, 2);
    }

    #[tokio::test]
    async fn a_build_that_raced_an_invalidation_is_not_kept() {
        let cell = SnapshotCell::new(Duration::from_secs(60));
        let v = cell
            .get(|| async {
                // A change lands while the old data is being read.
                cell.invalidate();
                Ok::<_, ()>(1)
            })
            .await;
        assert_eq!(v.map(|v| *v), Ok(1));
        let builds = AtomicUsize::new(1);
        assert_eq!(count_builds(&cell, &builds).await, 2);
    }

    #[tokio::test]
    async fn a_failed_build_leaves_nothing_behind() {
        let cell: SnapshotCell<usize> = SnapshotCell::new(Duration::from_secs(60));
        assert!(
            cell.get(|| async { Err::<usize, _>("down") })
                .await
                .is_err()
        );
        let builds = AtomicUsize::new(0);
        assert_eq!(count_builds(&cell, &builds).await, 1);
    }
}
