//! Platform services: the job queue, idempotency keys, shared rate limits,
//! file storage and the OpenAPI document.

use crate::helpers::{PASSWORD, TestApp};
use chrono::Duration;
use fitcore::{
    app::AppState,
    platform::{
        clock::Clock,
        invalidation::{Change, Invalidation},
        jobs::{self, NewJob, Registry},
        ratelimit::RateLimiter,
    },
};
use sea_orm::{ConnectionTrait, TransactionTrait};
use serde_json::json;
use std::sync::{
    Arc, Mutex,
    atomic::{AtomicUsize, Ordering},
};
use tokio_util::sync::CancellationToken;

async fn job_count(app: &TestApp) -> i64 {
    let backend = app.backend();
    let row = app
        .db()
        .query_one_raw(sea_orm::Statement::from_string(
            backend,
            "SELECT COUNT(*) AS n FROM jobs",
        ))
        .await
        .expect("count jobs")
        .expect("a row");
    row.try_get::<i64>("", "n").expect("n")
}

#[tokio::test]
async fn a_job_enqueued_in_a_rolled_back_transaction_never_exists() {
    let app = TestApp::spawn().await;
    let txn = app.db().begin().await.expect("begin");
    jobs::enqueue(&txn, app.now(), NewJob::new("noop", json!({})))
        .await
        .expect("enqueue");
    txn.rollback().await.expect("rollback");
    assert_eq!(job_count(&app).await, 0);

    let txn = app.db().begin().await.expect("begin");
    jobs::enqueue(&txn, app.now(), NewJob::new("noop", json!({})))
        .await
        .expect("enqueue");
    txn.commit().await.expect("commit");
    assert_eq!(job_count(&app).await, 1);
}

#[tokio::test]
async fn a_failing_job_is_retried_with_backoff_and_then_marked_failed() {
    let app = TestApp::spawn().await;
    let mut registry: Registry<()> = Registry::default();
    registry.register("always_fails", |_, _| async {
        Err(anyhow::anyhow!("gateway said no"))
    });
    let mut job = NewJob::new("always_fails", json!({}));
    job.max_attempts = 2;
    let id = jobs::enqueue(app.db(), app.now(), job)
        .await
        .expect("enqueue");

    let claimed = jobs::claim(app.db(), "w1", app.now())
        .await
        .expect("claim")
        .expect("a due job");
    jobs::run_claimed(app.db(), &registry, (), claimed, || app.now())
        .await
        .expect("run");
    let after_one = jobs::find(app.db(), id).await.expect("find").expect("job");
    assert_eq!(after_one.status, "pending");
    assert_eq!(after_one.attempts, 1);
    assert!(after_one.run_at > app.now(), "retry is scheduled later");
    assert_eq!(after_one.last_error.as_deref(), Some("gateway said no"));
    assert!(
        jobs::claim(app.db(), "w1", app.now())
            .await
            .expect("claim")
            .is_none(),
        "not due during backoff"
    );

    app.advance(Duration::seconds(5));
    let claimed = jobs::claim(app.db(), "w1", app.now())
        .await
        .expect("claim")
        .expect("due again");
    jobs::run_claimed(app.db(), &registry, (), claimed, || app.now())
        .await
        .expect("run");
    let done = jobs::find(app.db(), id).await.expect("find").expect("job");
    assert_eq!(done.status, "failed");
    assert_eq!(done.attempts, 2);
    assert!(done.finished_at.is_some());
}

#[tokio::test]
async fn a_job_enqueued_before_a_restart_runs_after_it() {
    let app = TestApp::spawn().await;
    // Registration queues the verification mail; nothing runs it yet.
    app.register("restart@example.com", PASSWORD).await;
    assert!(app.emails().is_empty());

    // A new process: a fresh state (pools, registry) on the same database.
    let config = (*app.state.config).clone();
    let restarted = AppState::new(config, Arc::new(app.clock.clone()))
        .await
        .expect("restart");
    let ran = jobs::run_due_jobs(&restarted).await.expect("run jobs");
    assert_eq!(ran, 1);
    let url = app
        .mailed_url(
            "restart@example.com",
            "http://frontend.test/verify-email?key=",
        )
        .await;
    assert!(url.len() > "http://frontend.test/verify-email?key=".len());
}

#[tokio::test]
async fn several_workers_run_each_job_exactly_once() {
    let app = TestApp::spawn().await;
    let seen = Arc::new(Mutex::new(Vec::<i64>::new()));
    let mut registry: Registry<Arc<Mutex<Vec<i64>>>> = Registry::default();
    registry.register("record", |seen: Arc<Mutex<Vec<i64>>>, payload| async move {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        let n = payload["n"].as_i64().unwrap_or(-1);
        seen.lock().unwrap_or_else(|p| p.into_inner()).push(n);
        Ok(None)
    });
    let registry = Arc::new(registry);
    const JOBS: i64 = 40;
    for n in 0..JOBS {
        jobs::enqueue(app.db(), app.now(), NewJob::new("record", json!({"n": n})))
            .await
            .expect("enqueue");
    }
    let stop = CancellationToken::new();
    let clock: Arc<dyn Clock> = Arc::new(app.clock.clone());
    let workers: Vec<_> = (0..3)
        .map(|_| {
            tokio::spawn(jobs::run_worker(
                app.db().clone(),
                registry.clone(),
                seen.clone(),
                clock.clone(),
                jobs::Waker::default(),
                jobs::WorkerConfig {
                    concurrency: 2,
                    poll_interval: std::time::Duration::from_millis(20),
                    grace: std::time::Duration::from_secs(5),
                },
                stop.clone(),
            ))
        })
        .collect();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while seen.lock().unwrap_or_else(|p| p.into_inner()).len() < JOBS as usize
        && std::time::Instant::now() < deadline
    {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    stop.cancel();
    for w in workers {
        w.await.expect("worker ends");
    }
    let mut got = seen.lock().unwrap_or_else(|p| p.into_inner()).clone();
    got.sort_unstable();
    assert_eq!(
        got,
        (0..JOBS).collect::<Vec<_>>(),
        "each job ran exactly once"
    );
}

#[tokio::test]
async fn shutdown_hands_a_running_job_back_to_the_queue() {
    let app = TestApp::spawn().await;
    let started = Arc::new(AtomicUsize::new(0));
    let mut registry: Registry<Arc<AtomicUsize>> = Registry::default();
    registry.register("slow", |started: Arc<AtomicUsize>, _| async move {
        started.fetch_add(1, Ordering::SeqCst);
        tokio::time::sleep(std::time::Duration::from_secs(30)).await;
        Ok(None)
    });
    let id = jobs::enqueue(app.db(), app.now(), NewJob::new("slow", json!({})))
        .await
        .expect("enqueue");
    let stop = CancellationToken::new();
    let worker = tokio::spawn(jobs::run_worker(
        app.db().clone(),
        Arc::new(registry),
        started.clone(),
        Arc::new(app.clock.clone()),
        jobs::Waker::default(),
        jobs::WorkerConfig {
            concurrency: 1,
            poll_interval: std::time::Duration::from_millis(20),
            grace: std::time::Duration::from_millis(200),
        },
        stop.clone(),
    ));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while started.load(Ordering::SeqCst) == 0 && std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(started.load(Ordering::SeqCst), 1, "the job started");
    stop.cancel();
    worker.await.expect("worker ends");
    let job = jobs::find(app.db(), id).await.expect("find").expect("job");
    assert_eq!(
        job.status, "pending",
        "handed back, ready for another worker"
    );
    assert_eq!(
        job.attempts, 0,
        "an interrupted run does not count as an attempt"
    );
    assert!(job.locked_by.is_none());
}

#[tokio::test]
async fn an_idempotency_key_replays_the_first_response_and_does_nothing_again() {
    let app = TestApp::spawn().await;
    let s = app.register("idem@example.com", PASSWORD).await;
    let jobs_before = job_count(&app).await;
    let send = || {
        app.send(
            app.req(
                reqwest::Method::POST,
                "auth/verify-email/resend/",
                Some(&s.access),
            )
            .header("content-type", "application/json")
            .header("idempotency-key", "resend-1")
            .body("{}"),
        )
    };
    let first = send().await;
    assert_eq!(first.status(), 202);
    let second = send().await;
    assert_eq!(second.status(), 202);
    assert_eq!(
        second
            .headers()
            .get("idempotent-replayed")
            .and_then(|v| v.to_str().ok()),
        Some("true")
    );
    assert_eq!(
        job_count(&app).await,
        jobs_before + 1,
        "the second request queued no mail"
    );

    let other_body = app
        .send(
            app.req(
                reqwest::Method::POST,
                "auth/verify-email/resend/",
                Some(&s.access),
            )
            .header("content-type", "application/json")
            .header("idempotency-key", "resend-1")
            .body("{\"x\": 1}"),
        )
        .await;
    assert_eq!(other_body.status(), 409);

    app.advance(Duration::hours(25));
    // Tokens expire with the clock; sign in again, then the key is free.
    let fresh = app.login("idem@example.com", PASSWORD).await;
    let again = app
        .send(
            app.req(
                reqwest::Method::POST,
                "auth/verify-email/resend/",
                Some(&fresh.access),
            )
            .header("content-type", "application/json")
            .header("idempotency-key", "resend-1")
            .body("{}"),
        )
        .await;
    assert_eq!(again.status(), 202);
    assert!(
        again.headers().get("idempotent-replayed").is_none(),
        "expired keys run again"
    );
}

#[tokio::test]
async fn rate_limits_are_shared_by_instances_through_redis() {
    let Ok(url) = std::env::var("FITCORE_TEST_REDIS_URL") else {
        eprintln!(
            "FITCORE_TEST_REDIS_URL not set: the Redis rate-limit test needs a Redis server (CI sets it)"
        );
        return;
    };
    let a = RateLimiter::redis(&url, "fitcore-test", false)
        .await
        .expect("instance A");
    let b = RateLimiter::redis(&url, "fitcore-test", false)
        .await
        .expect("instance B");
    let key = format!("test:{}", uuid::Uuid::new_v4().simple());
    let now = chrono::Utc::now();
    assert!(a.hit(&key, 3, now).await.allowed);
    assert!(b.hit(&key, 3, now).await.allowed);
    let third = a.hit(&key, 3, now).await;
    assert!(third.allowed);
    assert_eq!(third.remaining, 0);
    assert!(
        !b.hit(&key, 3, now).await.allowed,
        "the fourth hit, on the other instance, is refused"
    );
}

#[tokio::test]
async fn local_storage_puts_serves_and_deletes_files() {
    let app = TestApp::spawn().await;
    let storage = &app.state.storage;
    storage
        .put(
            "tests/hello.png",
            bytes::Bytes::from_static(b"not really a png"),
        )
        .await
        .expect("put");
    assert_eq!(
        storage
            .get("tests/hello.png")
            .await
            .expect("get")
            .as_deref(),
        Some(&b"not really a png"[..])
    );
    let url = storage.url("tests/hello.png").await.expect("url");
    let served = app.client.get(&url).send().await.expect("GET media");
    assert_eq!(served.status(), 200);
    assert_eq!(
        served.bytes().await.expect("body").as_ref(),
        b"not really a png"
    );
    storage.delete("tests/hello.png").await.expect("delete");
    assert!(storage.get("tests/hello.png").await.expect("get").is_none());
    assert_eq!(
        app.client
            .get(&url)
            .send()
            .await
            .expect("GET media")
            .status(),
        404
    );
}

#[tokio::test]
async fn the_openapi_document_matches_its_snapshot() {
    let doc =
        serde_json::to_string_pretty(&fitcore::app::openapi()).expect("serialise OpenAPI") + "\n";
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/api/snapshots/openapi.json");
    if std::env::var("UPDATE_SNAPSHOTS").is_ok_and(|v| v == "1") {
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(&path, &doc).expect("write snapshot");
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        expected == doc,
        "the OpenAPI document changed; review it and run `UPDATE_SNAPSHOTS=1 cargo test --test api openapi` to accept"
    );
}

#[tokio::test]
async fn two_server_instances_count_one_login_budget_through_redis() {
    let Ok(url) = std::env::var("FITCORE_TEST_REDIS_URL") else {
        eprintln!("FITCORE_TEST_REDIS_URL not set: this test needs a Redis server (CI sets it)");
        return;
    };
    let prefix = format!("fitcore-test-{}", uuid::Uuid::new_v4().simple());
    let configure = |c: &mut fitcore::config::Config| {
        c.redis_url = Some(url.clone());
        c.redis_prefix = prefix.clone();
        c.rate_limit_disabled = false;
        c.rate_limit_auth_per_min = 4;
    };
    // Windows are fixed minutes and each instance's test clock starts when
    // it is spawned: start both well inside one minute, so a slow machine
    // cannot put them in two windows.
    let into_window = chrono::Utc::now().timestamp().rem_euclid(60);
    if into_window > 40 {
        tokio::time::sleep(std::time::Duration::from_secs((61 - into_window) as u64)).await;
    }
    let one = TestApp::spawn_with(configure).await;
    let two = TestApp::spawn_with(configure).await;
    let body = json!({"email": "nobody@example.com", "password": "wrong-password-1"});
    let mut statuses = Vec::new();
    for i in 0..5 {
        let app = if i % 2 == 0 { &one } else { &two };
        statuses.push(
            app.post("auth/login/", body.clone(), None)
                .await
                .status()
                .as_u16(),
        );
    }
    assert_eq!(
        statuses,
        [401, 401, 401, 401, 429],
        "the fifth login, whichever instance takes it, is over the shared limit"
    );
}

#[tokio::test]
async fn cache_invalidations_reach_other_instances_through_redis() {
    let Ok(url) = std::env::var("FITCORE_TEST_REDIS_URL") else {
        eprintln!("FITCORE_TEST_REDIS_URL not set: this test needs a Redis server (CI sets it)");
        return;
    };
    let prefix = format!("fitcore-test-{}", uuid::Uuid::new_v4().simple());
    let sender = Invalidation::redis(&url, &prefix)
        .await
        .expect("instance A");
    let receiver = Arc::new(
        Invalidation::redis(&url, &prefix)
            .await
            .expect("instance B"),
    );
    let seen: Arc<Mutex<Vec<Change>>> = Arc::default();
    let stop = CancellationToken::new();
    let listening = {
        let (receiver, seen, stop) = (receiver.clone(), seen.clone(), stop.clone());
        tokio::spawn(async move {
            let apply = move |c| seen.lock().expect("seen").push(c);
            receiver.listen(apply, stop).await;
        })
    };
    // The listener clears everything once subscribed; wait for that.
    let subscribed = || seen.lock().expect("seen").contains(&Change::Everything);
    for _ in 0..100 {
        if subscribed() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(subscribed(), "the listener subscribed");
    sender.publish(Change::User(42));
    sender.publish(Change::PublicFoods);
    let mut got = Vec::new();
    for _ in 0..100 {
        got = seen.lock().expect("seen").clone();
        if got.len() >= 3 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    // Each publish is sent on its own; they may arrive in either order.
    assert_eq!(got.len(), 3, "{got:?}");
    assert!(got.contains(&Change::User(42)) && got.contains(&Change::PublicFoods));
    stop.cancel();
    listening.await.expect("the listener stops");
}
