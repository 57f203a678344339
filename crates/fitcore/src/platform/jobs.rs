//! A durable job queue on the application database.
//!
//! Jobs are rows, so a job enqueued inside a business transaction exists
//! exactly when that transaction commits. Workers claim one row at a time
//! (`FOR UPDATE SKIP LOCKED` on PostgreSQL; SQLite serialises writers), hold
//! it under a lease, and either finish it, retry it later with exponential
//! backoff, or fail it for good. A lease that runs out (a worker died) makes
//! the job claimable again; on graceful shutdown running jobs are handed back.

use super::entity::job;
use chrono::{DateTime, Duration, Utc};
use futures::future::BoxFuture;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ConnectionTrait, DatabaseBackend, DatabaseConnection,
    EntityTrait, Statement,
};
use serde_json::Value;
use std::collections::HashMap;
use std::sync::Arc;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

pub const STATUS_PENDING: &str = "pending";
pub const STATUS_RUNNING: &str = "running";
pub const STATUS_SUCCEEDED: &str = "succeeded";
pub const STATUS_FAILED: &str = "failed";

/// How long a claimed job may run before another worker may take it.
const LEASE: Duration = Duration::minutes(10);

pub struct NewJob {
    pub kind: &'static str,
    pub payload: Value,
    pub run_at: Option<DateTime<Utc>>,
    pub max_attempts: i32,
}

impl NewJob {
    pub fn new(kind: &'static str, payload: Value) -> Self {
        Self {
            kind,
            payload,
            run_at: None,
            max_attempts: 5,
        }
    }
}

/// Adds a job. Pass the caller's transaction to make the job part of it.
pub async fn enqueue<C: ConnectionTrait>(
    conn: &C,
    now: DateTime<Utc>,
    job: NewJob,
) -> Result<i64, sea_orm::DbErr> {
    let row = job::ActiveModel {
        kind: Set(job.kind.to_string()),
        payload: Set(job.payload),
        status: Set(STATUS_PENDING.into()),
        attempts: Set(0),
        max_attempts: Set(job.max_attempts.max(1)),
        run_at: Set(job.run_at.unwrap_or(now)),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    Ok(row.id)
}

pub async fn find<C: ConnectionTrait>(
    conn: &C,
    id: i64,
) -> Result<Option<job::Model>, sea_orm::DbErr> {
    job::Entity::find_by_id(id).one(conn).await
}

pub type JobFuture = BoxFuture<'static, anyhow::Result<Option<Value>>>;
type HandlerFn<C> = Arc<dyn Fn(C, Value) -> JobFuture + Send + Sync>;

/// Job kinds and what runs them. `C` is the context handed to handlers.
pub struct Registry<C> {
    handlers: HashMap<&'static str, HandlerFn<C>>,
}

impl<C: Clone + Send + Sync + 'static> Default for Registry<C> {
    fn default() -> Self {
        Self {
            handlers: HashMap::new(),
        }
    }
}

impl<C: Clone + Send + Sync + 'static> Registry<C> {
    pub fn register<F, Fut>(&mut self, kind: &'static str, f: F)
    where
        F: Fn(C, Value) -> Fut + Send + Sync + 'static,
        Fut: std::future::Future<Output = anyhow::Result<Option<Value>>> + Send + 'static,
    {
        self.handlers
            .insert(kind, Arc::new(move |c, v| Box::pin(f(c, v))));
    }
}

/// Backoff before attempt `n + 1`: 2^n seconds, capped at an hour.
pub fn backoff(attempts: i32) -> Duration {
    Duration::seconds(2_i64.saturating_pow(attempts.clamp(0, 12) as u32).min(3600))
}

/// Claims the next due job for `worker_id`, if any.
pub async fn claim(
    db: &DatabaseConnection,
    worker_id: &str,
    now: DateTime<Utc>,
) -> Result<Option<job::Model>, sea_orm::DbErr> {
    let backend = db.get_database_backend();
    let (sql, lock) = match backend {
        DatabaseBackend::Postgres => ("$", " FOR UPDATE SKIP LOCKED"),
        _ => ("?", ""),
    };
    let p = |n: usize| {
        if sql == "$" {
            format!("${n}")
        } else {
            "?".to_string()
        }
    };
    let query = format!(
        "UPDATE jobs SET status = 'running', locked_by = {p1}, locked_until = {p2}, \
         attempts = attempts + 1, updated_at = {p3} \
         WHERE id = (SELECT id FROM jobs WHERE (status = 'pending' AND run_at <= {p4}) \
         OR (status = 'running' AND locked_until < {p5}) ORDER BY run_at, id LIMIT 1{lock}) \
         RETURNING id",
        p1 = p(1),
        p2 = p(2),
        p3 = p(3),
        p4 = p(4),
        p5 = p(5)
    );
    let stmt = Statement::from_sql_and_values(
        backend,
        query,
        [
            worker_id.into(),
            (now + LEASE).into(),
            now.into(),
            now.into(),
            now.into(),
        ],
    );
    let Some(row) = db.query_one_raw(stmt).await? else {
        return Ok(None);
    };
    let id: i64 = row.try_get("", "id")?;
    job::Entity::find_by_id(id).one(db).await
}

/// A failure that retrying cannot fix (bad input, an impossible request):
/// the job fails at once with this message, which users may read.
#[derive(Debug)]
pub struct PermanentFailure(pub String);

impl std::fmt::Display for PermanentFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for PermanentFailure {}

/// Records how a claimed job ended.
async fn finish(
    db: &DatabaseConnection,
    job: job::Model,
    outcome: anyhow::Result<Option<Value>>,
    now: DateTime<Utc>,
) -> Result<(), sea_orm::DbErr> {
    let attempts = job.attempts;
    let max = job.max_attempts;
    let mut am: job::ActiveModel = job.into();
    am.locked_by = Set(None);
    am.locked_until = Set(None);
    am.updated_at = Set(now);
    match outcome {
        Ok(result) => {
            am.status = Set(STATUS_SUCCEEDED.into());
            am.result = Set(result);
            am.finished_at = Set(Some(now));
            am.last_error = Set(None);
        }
        Err(e) => {
            am.last_error = Set(Some(format!("{e:#}")));
            if attempts >= max || e.downcast_ref::<PermanentFailure>().is_some() {
                am.status = Set(STATUS_FAILED.into());
                am.finished_at = Set(Some(now));
            } else {
                am.status = Set(STATUS_PENDING.into());
                am.run_at = Set(now + backoff(attempts));
            }
        }
    }
    am.update(db).await.map(|_| ())
}

/// Runs one claimed job to its end.
pub async fn run_claimed<C: Clone + Send + Sync + 'static>(
    db: &DatabaseConnection,
    registry: &Registry<C>,
    ctx: C,
    job: job::Model,
    now: impl Fn() -> DateTime<Utc>,
) -> Result<(), sea_orm::DbErr> {
    let outcome = match registry.handlers.get(job.kind.as_str()) {
        Some(h) => {
            let fut = h(ctx, job.payload.clone());
            // A panicking handler must fail its job, not the worker.
            match tokio::spawn(fut).await {
                Ok(r) => r,
                Err(e) => Err(anyhow::anyhow!("job panicked: {e}")),
            }
        }
        None => Err(anyhow::anyhow!("no handler for job kind `{}`", job.kind)),
    };
    if let Err(e) = &outcome {
        tracing::warn!(job_id = job.id, kind = %job.kind, attempt = job.attempts, error = %e, "job failed");
    }
    finish(db, job, outcome, now()).await
}

/// Hands every job this worker still holds back to the queue.
pub async fn release(db: &DatabaseConnection, worker_id: &str) -> Result<u64, sea_orm::DbErr> {
    let backend = db.get_database_backend();
    let ph = if backend == DatabaseBackend::Postgres {
        "$1"
    } else {
        "?"
    };
    let stmt = Statement::from_sql_and_values(
        backend,
        format!(
            "UPDATE jobs SET status = 'pending', locked_by = NULL, locked_until = NULL, \
             attempts = CASE WHEN attempts > 0 THEN attempts - 1 ELSE 0 END \
             WHERE status = 'running' AND locked_by = {ph}"
        ),
        [worker_id.into()],
    );
    Ok(db.execute_raw(stmt).await?.rows_affected())
}

/// Wakes idle workers when a job is enqueued in this process.
#[derive(Clone, Default)]
pub struct Waker(pub Arc<Notify>);

pub struct WorkerConfig {
    pub concurrency: usize,
    pub poll_interval: std::time::Duration,
    /// How long in-flight jobs may finish after shutdown begins.
    pub grace: std::time::Duration,
}

/// The worker loop behind `fitcore worker` and the in-process workers of
/// `fitcore serve`. Returns once `shutdown` fires and running jobs have
/// finished or been handed back.
pub async fn run_worker<C: Clone + Send + Sync + 'static>(
    db: DatabaseConnection,
    registry: Arc<Registry<C>>,
    ctx: C,
    clock: crate::platform::clock::SharedClock,
    waker: Waker,
    cfg: WorkerConfig,
    shutdown: CancellationToken,
) {
    let worker_id = format!("{}-{}", std::process::id(), uuid::Uuid::new_v4().simple());
    let sem = Arc::new(tokio::sync::Semaphore::new(cfg.concurrency.max(1)));
    let mut tasks = tokio::task::JoinSet::new();
    tracing::info!(worker = %worker_id, concurrency = cfg.concurrency, "job worker started");
    loop {
        if shutdown.is_cancelled() {
            break;
        }
        let permit = tokio::select! {
            p = sem.clone().acquire_owned() => match p { Ok(p) => p, Err(_) => break },
            _ = shutdown.cancelled() => break,
        };
        while tasks.try_join_next().is_some() {}
        match claim(&db, &worker_id, clock.now()).await {
            Ok(Some(job)) => {
                let (db, registry, ctx, clock) =
                    (db.clone(), registry.clone(), ctx.clone(), clock.clone());
                tasks.spawn(async move {
                    let _permit = permit;
                    let id = job.id;
                    if let Err(e) = run_claimed(&db, &registry, ctx, job, || clock.now()).await {
                        tracing::error!(job_id = id, error = %e, "could not record job outcome");
                    }
                });
            }
            Ok(None) => {
                drop(permit);
                tokio::select! {
                    _ = tokio::time::sleep(cfg.poll_interval) => {}
                    _ = waker.0.notified() => {}
                    _ = shutdown.cancelled() => break,
                }
            }
            Err(e) => {
                drop(permit);
                tracing::error!(error = %e, "could not claim a job");
                tokio::select! {
                    _ = tokio::time::sleep(cfg.poll_interval * 4) => {}
                    _ = shutdown.cancelled() => break,
                }
            }
        }
    }
    let drained = tokio::time::timeout(cfg.grace, async {
        while tasks.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        tasks.abort_all();
        while tasks.join_next().await.is_some() {}
    }
    match release(&db, &worker_id).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(released = n, "handed running jobs back to the queue"),
        Err(e) => tracing::error!(error = %e, "could not hand jobs back"),
    }
    tracing::info!(worker = %worker_id, "job worker stopped");
}

/// Runs every job due now, one after another, in this task. For tests and
/// one-off maintenance; returns how many ran.
pub async fn run_due_jobs(state: &crate::app::AppState) -> anyhow::Result<usize> {
    let worker_id = format!("inline-{}", uuid::Uuid::new_v4().simple());
    let mut ran = 0;
    // Bounded: a job that keeps failing is rescheduled into the future.
    while ran < 10_000 {
        let Some(job) = claim(&state.db, &worker_id, state.now()).await? else {
            break;
        };
        run_claimed(&state.db, &state.jobs, state.clone(), job, || state.now()).await?;
        ran += 1;
    }
    Ok(ran)
}
