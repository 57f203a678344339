//! A value read whole from the database and kept in memory (the public
//! foods, the workout catalogue), rebuilt when it is invalidated and
//! otherwise every `max_age`. After an invalidation every reader waits for
//! the new value, so a change shows at once; when it is merely old, one
//! reader checks it (`get_checked`: a cheap question to the database) or
//! rebuilds it while the others keep answering from the old one (this
//! bounds how long a change made by another instance without Redis, or
//! behind the server's back, goes unseen).

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

    /// Makes the value old, as if `max_age` had passed: the next reader
    /// checks (or rebuilds) it. For tests of what happens after a while.
    pub fn age_out(&self) {
        let long_ago = Instant::now()
            .checked_sub(self.max_age)
            .and_then(|t| t.checked_sub(Duration::from_millis(1)));
        match (long_ago, self.current.write()) {
            (Some(t), Ok(mut c)) => {
                if let Some((built, _)) = c.as_mut() {
                    *built = t;
                }
            }
            _ => self.invalidate(),
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
        self.get_checked(build, |_| async { Ok(false) }).await
    }

    /// As `get`, but a value that is merely old is first given to `check`
    /// (a cheap question to the database: has anything changed since it
    /// was built?); while it answers `true` the value is kept, as fresh.
    pub async fn get_checked<E, F, Fut, C, CFut>(&self, build: F, check: C) -> Result<Arc<T>, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, E>>,
        C: FnOnce(Arc<T>) -> CFut,
        CFut: Future<Output = Result<bool, E>>,
    {
        match self.held() {
            Some((built, v)) if built.elapsed() < self.max_age => return Ok(v),
            // Old: one reader checks or rebuilds it, the others answer from
            // it meanwhile.
            Some((_, old)) => match self.rebuild.try_lock() {
                Ok(_guard) => {
                    if let Some(v) = self.fresh() {
                        return Ok(v);
                    }
                    let generation = self.generation.load(Ordering::SeqCst);
                    if check(old.clone()).await? {
                        self.install(generation, old.clone());
                        return Ok(old);
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

    /// Keeps `value` as fresh unless an invalidation came after `generation`.
    fn install(&self, generation: u64, value: Arc<T>) {
        if let Ok(mut c) = self.current.write()
            && self.generation.load(Ordering::SeqCst) == generation
        {
            *c = Some((Instant::now(), value));
        }
    }

    async fn build<E, F, Fut>(&self, build: F) -> Result<Arc<T>, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        let generation = self.generation.load(Ordering::SeqCst);
        let value = Arc::new(build().await?);
        self.install(generation, value.clone());
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
    async fn an_old_value_that_its_check_finds_current_is_kept_without_a_rebuild() {
        let cell = SnapshotCell::new(Duration::from_millis(10));
        let builds = AtomicUsize::new(0);
        count_builds(&cell, &builds).await;
        tokio::time::sleep(Duration::from_millis(20)).await;
        let kept = cell
            .get_checked(
                || async { Ok::<_, ()>(builds.fetch_add(1, Ordering::SeqCst) + 1) },
                |old| async move { Ok(*old == 1) },
            )
            .await;
        assert_eq!(kept.map(|v| *v), Ok(1));
        assert_eq!(builds.load(Ordering::SeqCst), 1, "no rebuild");
        // And it counts as fresh again: the next reader does not ask.
        let fresh = cell
            .get_checked(
                || async { Ok::<_, ()>(99) },
                |_| async { panic!("a fresh value is not checked") },
            )
            .await;
        assert_eq!(fresh.map(|v| *v), Ok(1));
    }

    #[tokio::test]
    async fn an_old_value_that_its_check_finds_changed_is_rebuilt() {
        let cell = SnapshotCell::new(Duration::from_millis(10));
        let builds = AtomicUsize::new(0);
        count_builds(&cell, &builds).await;
        tokio::time::sleep(Duration::from_millis(20)).await;
        let rebuilt = cell
            .get_checked(
                || async { Ok::<_, ()>(builds.fetch_add(1, Ordering::SeqCst) + 1) },
                |_| async { Ok(false) },
            )
            .await;
        assert_eq!(rebuilt.map(|v| *v), Ok(2));
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
