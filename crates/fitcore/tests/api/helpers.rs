//! The test harness: a fresh server, database, mailbox and JWKS per test, and
//! small helpers to talk to it.

#![allow(dead_code)]

use crate::fakes::{
    oauth::{APPLE_CLIENT_ID, FakeJwks, GOOGLE_CLIENT_ID},
    smtp::{Email, FakeSmtp},
};
use base64::Engine as _;
use chrono::{DateTime, Duration, Utc};
use fitcore::{
    app::AppState,
    config::{Config, Environment},
    platform::clock::{Clock, TestClock},
};
use reqwest::{Method, RequestBuilder, Response, StatusCode, header};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement, Value as DbValue};
use serde_json::{Value, json};
use std::{
    collections::HashMap,
    net::SocketAddr,
    path::PathBuf,
    sync::Arc,
    time::{Duration as StdDuration, Instant},
};

/// A password that satisfies the policy and is unrelated to any test e-mail.
pub const PASSWORD: &str = "Quartz-Lantern-42";
pub const OTHER_PASSWORD: &str = "Velvet-Harbor-97";

pub struct TestApp {
    pub addr: SocketAddr,
    /// `http://127.0.0.1:<port>`
    pub base: String,
    pub client: reqwest::Client,
    pub state: AppState,
    pub clock: TestClock,
    pub smtp: FakeSmtp,
    pub jwks: FakeJwks,
    pub dir: PathBuf,
    pg: Option<PgDatabase>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
}

struct PgDatabase {
    admin_url: String,
    name: String,
}

/// What `register` and `login` return.
#[derive(Clone, Debug)]
pub struct Registered {
    pub id: i64,
    pub email: String,
    pub access: String,
    pub refresh: String,
    pub user: Value,
}

pub type Session = Registered;

fn random_secret() -> String {
    format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    )[..48]
        .to_string()
}

impl TestApp {
    pub async fn spawn() -> Self {
        Self::spawn_with(|_| {}).await
    }

    pub async fn spawn_with(customize: impl FnOnce(&mut Config)) -> Self {
        Self::spawn_inner(customize, None).await
    }

    /// A server over a database with only the first `n` migrations applied
    /// (to test that a later one keeps the rows already there).
    pub async fn spawn_migrated_to(n: u32) -> Self {
        Self::spawn_inner(|_| {}, Some(n)).await
    }

    async fn spawn_inner(customize: impl FnOnce(&mut Config), migrations: Option<u32>) -> Self {
        let id = uuid::Uuid::new_v4().simple().to_string();
        let dir = std::env::temp_dir().join(format!("fitcore-test-{id}"));
        std::fs::create_dir_all(dir.join("media")).expect("create test dir");

        let (database_url, pg) = match std::env::var("FITCORE_TEST_DATABASE_URL") {
            Ok(admin_url) if admin_url.starts_with("postgres") => {
                drop_stale_databases(&admin_url);
                let name = format!("fitcore_test_{}_{}", std::process::id(), &id[..16]);
                let admin = sea_orm::Database::connect(admin_url.as_str())
                    .await
                    .expect("connect to FITCORE_TEST_DATABASE_URL");
                admin
                    .execute_unprepared(&format!("CREATE DATABASE {name}"))
                    .await
                    .expect("create test database");
                let _ = admin.close().await;
                let mut url =
                    url::Url::parse(&admin_url).expect("FITCORE_TEST_DATABASE_URL is a URL");
                url.set_path(&format!("/{name}"));
                (url.to_string(), Some(PgDatabase { admin_url, name }))
            }
            _ => (
                format!("sqlite://{}/fitcore-test-{id}.db?mode=rwc", dir.display()),
                None,
            ),
        };

        let smtp = FakeSmtp::start().await;
        let jwks = FakeJwks::start().await;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind test server");
        let addr = listener.local_addr().expect("test server address");
        let base = format!("http://{addr}");

        let mut config = Config {
            env: Environment::Test,
            bind: addr.to_string(),
            data_dir: dir.clone(),
            database_url: Some(database_url),
            database_max_connections: 5,
            secret_key: Some(random_secret()),
            email_url: smtp.url(),
            email_from: "FitCore <no-reply@fitcore.test>".into(),
            storage_url: Some(format!("file://{}", dir.join("media").display())),
            public_url: Some(base.clone()),
            frontend_url: "http://frontend.test".into(),
            google_client_ids: GOOGLE_CLIENT_ID.into(),
            apple_client_ids: APPLE_CLIENT_ID.into(),
            google_jwks_url: jwks.google_jwks_url(),
            apple_jwks_url: jwks.apple_jwks_url(),
            rate_limit_disabled: true,
            worker_concurrency: 0,
            ..Default::default()
        };
        customize(&mut config);

        let clock = TestClock::new(Utc::now());
        let shared: Arc<dyn Clock> = Arc::new(clock.clone());
        let state = AppState::new(config, shared).await.expect("AppState::new");
        match migrations {
            None => fitcore::migrate_up(&state.db).await.expect("migrate_up"),
            Some(n) => {
                use migration::MigratorTrait;
                migration::Migrator::up(&state.db, Some(n))
                    .await
                    .expect("the first migrations");
            }
        }

        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let server_state = state.clone();
        tokio::spawn(async move {
            let shutdown = async move {
                let _ = rx.await;
            };
            if let Err(e) = fitcore::app::serve(listener, server_state, shutdown).await {
                eprintln!("test server stopped with an error: {e:#}");
            }
        });

        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(StdDuration::from_secs(30))
            .build()
            .expect("reqwest client");

        Self {
            addr,
            base,
            client,
            state,
            clock,
            smtp,
            jwks,
            dir,
            pg,
            shutdown: Some(tx),
        }
    }

    // -- time ---------------------------------------------------------------

    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    pub fn advance(&self, by: Duration) {
        self.clock.advance(by);
    }

    // -- HTTP ---------------------------------------------------------------

    /// `auth/register/` -> `http://host/api/v1/auth/register/`; a path that
    /// starts with `/` is taken from the server root; a full URL is kept.
    pub fn url(&self, path: &str) -> String {
        if path.starts_with("http://") || path.starts_with("https://") {
            path.to_string()
        } else if path.starts_with('/') {
            format!("{}{}", self.base, path)
        } else {
            format!("{}/api/v1/{}", self.base, path)
        }
    }

    pub fn req(&self, method: Method, path: &str, token: Option<&str>) -> RequestBuilder {
        let rb = self.client.request(method, self.url(path));
        match token {
            Some(t) => rb.bearer_auth(t),
            None => rb,
        }
    }

    pub async fn send(&self, rb: RequestBuilder) -> Response {
        rb.send()
            .await
            .expect("HTTP request to the test server failed")
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Response {
        self.send(self.req(Method::GET, path, token)).await
    }

    pub async fn post(&self, path: &str, body: Value, token: Option<&str>) -> Response {
        self.send(self.req(Method::POST, path, token).json(&body))
            .await
    }

    pub async fn patch(&self, path: &str, body: Value, token: Option<&str>) -> Response {
        self.send(self.req(Method::PATCH, path, token).json(&body))
            .await
    }

    pub async fn put(&self, path: &str, body: Value, token: Option<&str>) -> Response {
        self.send(self.req(Method::PUT, path, token).json(&body))
            .await
    }

    pub async fn delete(&self, path: &str, body: Option<Value>, token: Option<&str>) -> Response {
        let rb = self.req(Method::DELETE, path, token);
        let rb = match body {
            Some(b) => rb.json(&b),
            None => rb,
        };
        self.send(rb).await
    }

    /// A POST with a raw body and content type.
    pub async fn post_raw(
        &self,
        path: &str,
        content_type: &str,
        body: impl Into<reqwest::Body>,
        token: Option<&str>,
    ) -> Response {
        self.send(
            self.req(Method::POST, path, token)
                .header(header::CONTENT_TYPE, content_type)
                .body(body),
        )
        .await
    }

    pub async fn patch_raw(&self, path: &str, body: &str, token: Option<&str>) -> Response {
        self.send(
            self.req(Method::PATCH, path, token)
                .header(header::CONTENT_TYPE, "application/json")
                .body(body.to_string()),
        )
        .await
    }

    // -- accounts -----------------------------------------------------------

    pub async fn register(&self, email: &str, password: &str) -> Registered {
        let resp = self
            .post("auth/register/", register_body(email, password), None)
            .await;
        let body = json_body(resp, 201).await;
        session_from(email, &body)
    }

    pub async fn register_with(&self, body: Value) -> Registered {
        let email = body["email"].as_str().unwrap_or_default().to_string();
        let resp = self.post("auth/register/", body, None).await;
        let body = json_body(resp, 201).await;
        session_from(&email, &body)
    }

    /// Registers `email` with [`PASSWORD`].
    pub async fn user(&self, email: &str) -> Registered {
        self.register(email, PASSWORD).await
    }

    pub async fn login_response(&self, email: &str, password: &str, otp: Option<&str>) -> Response {
        let mut body = json!({"email": email, "password": password});
        if let Some(otp) = otp {
            body["otp"] = json!(otp);
        }
        self.post("auth/login/", body, None).await
    }

    /// Logs in and asserts 200.
    pub async fn login(&self, email: &str, password: &str) -> Session {
        let resp = self.login_response(email, password, None).await;
        let body = json_body(resp, 200).await;
        session_from(email, &body)
    }

    pub async fn login_with_otp(&self, email: &str, password: &str, otp: &str) -> Session {
        let resp = self.login_response(email, password, Some(otp)).await;
        let body = json_body(resp, 200).await;
        session_from(email, &body)
    }

    pub async fn refresh(&self, refresh: &str) -> Response {
        self.post("auth/refresh/", json!({"refresh": refresh}), None)
            .await
    }

    pub async fn me(&self, token: &str) -> Value {
        json_body(self.get("users/me/", Some(token)).await, 200).await
    }

    // -- database -----------------------------------------------------------

    pub fn db(&self) -> &DatabaseConnection {
        &self.state.db
    }

    pub fn backend(&self) -> DbBackend {
        self.state.db.get_database_backend()
    }

    pub fn is_postgres(&self) -> bool {
        self.backend() == DbBackend::Postgres
    }

    pub async fn sql(&self, sql: &str) {
        self.state
            .db
            .execute_unprepared(sql)
            .await
            .unwrap_or_else(|e| panic!("SQL `{sql}` failed: {e}"));
        // A write behind the server's back is what another instance's change
        // looks like: tell this one, as Redis would.
        self.state
            .apply_change(fitcore::platform::invalidation::Change::Everything);
    }

    /// Statements the server has run so far.
    pub fn query_count(&self) -> u64 {
        self.state
            .queries
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Files stored under `media/{prefix}` (recursively).
    pub fn stored_files(&self, prefix: &str) -> usize {
        fn walk(p: &std::path::Path) -> usize {
            std::fs::read_dir(p)
                .map(|rd| {
                    rd.flatten()
                        .map(|e| {
                            let path = e.path();
                            if path.is_dir() { walk(&path) } else { 1 }
                        })
                        .sum()
                })
                .unwrap_or(0)
        }
        walk(&self.dir.join("media").join(prefix))
    }

    /// The one file stored under `media/{dir}`.
    pub fn media_file(&self, dir: &str) -> std::path::PathBuf {
        let d = self.dir.join("media").join(dir);
        let mut files: Vec<_> = std::fs::read_dir(&d)
            .map(|rd| rd.flatten().map(|e| e.path()).collect())
            .unwrap_or_default();
        assert_eq!(files.len(), 1, "files in {}", d.display());
        files.remove(0)
    }

    pub fn client(&self) -> &reqwest::Client {
        &self.client
    }

    pub async fn make_staff(&self, user_id: i64) {
        self.sql(&format!(
            "UPDATE users SET is_staff = true WHERE id = {user_id}"
        ))
        .await;
    }

    /// Inserts a notification row directly and returns its id.
    pub async fn insert_notification(
        &self,
        user_id: i64,
        kind: &str,
        title: &str,
        is_read: bool,
        created_at: DateTime<Utc>,
    ) -> i64 {
        let p: Vec<String> = (1..=7)
            .map(|i| {
                if self.is_postgres() {
                    format!("${i}")
                } else {
                    "?".to_string()
                }
            })
            .collect();
        let sql = format!(
            "INSERT INTO notifications (user_id, \"type\", title, message, data, is_read, read_at, created_at, updated_at) \
             VALUES ({}, {}, {}, {}, '{{}}', {}, NULL, {}, {}) RETURNING id",
            p[0], p[1], p[2], p[3], p[4], p[5], p[6]
        );
        let values: Vec<DbValue> = vec![
            user_id.into(),
            kind.into(),
            title.into(),
            format!("Message for {title}").into(),
            is_read.into(),
            created_at.into(),
            created_at.into(),
        ];
        let stmt = Statement::from_sql_and_values(self.backend(), sql, values);
        let row = self
            .state
            .db
            .query_one_raw(stmt)
            .await
            .expect("insert notification")
            .expect("RETURNING id");
        row.try_get::<i64>("", "id").expect("notification id")
    }

    // -- gateways -----------------------------------------------------------

    /// Posts a Stripe event body signed the way Stripe signs it, now.
    pub async fn deliver_stripe_event(&self, webhook_secret: &str, body: Vec<u8>) -> Response {
        let sig = fitcore::payments::stripe_signature::sign(
            &body,
            webhook_secret,
            self.now().timestamp(),
        );
        self.send(
            self.req(Method::POST, "payments/webhooks/stripe/", None)
                .header(header::CONTENT_TYPE, "application/json")
                .header("stripe-signature", sig)
                .body(body),
        )
        .await
    }

    // -- jobs and mail ------------------------------------------------------

    /// Runs due jobs until none is left (bounded).
    pub async fn drain_jobs(&self) -> usize {
        let mut total = 0;
        for _ in 0..20 {
            let ran = fitcore::platform::jobs::run_due_jobs(&self.state)
                .await
                .expect("run_due_jobs");
            if ran == 0 {
                break;
            }
            total += ran;
        }
        total
    }

    pub fn emails(&self) -> Vec<Email> {
        self.smtp.messages()
    }

    /// Runs the jobs, then waits (at most 5 s) for a mail to `to` that holds
    /// a URL starting with `prefix`; returns the last such URL.
    pub async fn mailed_url(&self, to: &str, prefix: &str) -> String {
        let deadline = Instant::now() + StdDuration::from_secs(5);
        loop {
            self.drain_jobs().await;
            let found = self
                .emails()
                .iter()
                .rev()
                .filter(|m| m.is_to(to))
                .find_map(|m| m.find_url(prefix));
            if let Some(url) = found {
                return url;
            }
            if Instant::now() > deadline {
                let seen: Vec<String> = self
                    .emails()
                    .iter()
                    .map(|m| format!("to {:?}: {}", m.to, m.text()))
                    .collect();
                panic!("no mail to {to} with a URL starting {prefix}; mails seen: {seen:#?}");
            }
            tokio::time::sleep(StdDuration::from_millis(50)).await;
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(pg) = self.pg.take() {
            // Dropping takes most of a second; do it beside the next test.
            // Databases left when the process exits are dropped by the next run.
            std::thread::spawn(move || drop_database(&pg.admin_url, &pg.name));
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn drop_database(admin_url: &str, name: &str) {
    let Ok(rt) = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    else {
        return;
    };
    rt.block_on(async move {
        if let Ok(admin) = sea_orm::Database::connect(admin_url).await {
            let _ = admin
                .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .await;
            let _ = admin.close().await;
        }
    });
}

/// Drops test databases of test processes that are no longer running.
fn drop_stale_databases(admin_url: &str) {
    static ONCE: std::sync::Once = std::sync::Once::new();
    let admin_url = admin_url.to_string();
    ONCE.call_once(move || {
        let handle = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            let names: Vec<String> = rt.block_on(async {
                let Ok(admin) = sea_orm::Database::connect(admin_url.as_str()).await else {
                    return Vec::new();
                };
                let rows = admin
                    .query_all_raw(Statement::from_string(
                        DbBackend::Postgres,
                        "SELECT datname FROM pg_database WHERE datname LIKE 'fitcore_test_%'",
                    ))
                    .await
                    .unwrap_or_default();
                let _ = admin.close().await;
                rows.iter()
                    .filter_map(|r| r.try_get::<String>("", "datname").ok())
                    .collect()
            });
            for name in names {
                let pid = name
                    .trim_start_matches("fitcore_test_")
                    .split('_')
                    .next()
                    .unwrap_or("");
                let alive = pid
                    .parse::<u32>()
                    .is_ok_and(|p| std::path::Path::new(&format!("/proc/{p}")).exists());
                if !alive {
                    drop_database(&admin_url, &name);
                }
            }
        });
        let _ = handle.join();
    });
}

// ---------------------------------------------------------------------------
// Request bodies

pub fn register_body(email: &str, password: &str) -> Value {
    json!({"email": email, "password": password, "first_name": "Test", "last_name": "User"})
}

// ---------------------------------------------------------------------------
// Response checks

fn session_from(email: &str, body: &Value) -> Registered {
    let access = body["access"]
        .as_str()
        .unwrap_or_else(|| panic!("no access token in {body}"));
    let refresh = body["refresh"]
        .as_str()
        .unwrap_or_else(|| panic!("no refresh token in {body}"));
    let user = body["user"].clone();
    let id = user["id"]
        .as_i64()
        .unwrap_or_else(|| panic!("no user.id in {body}"));
    Registered {
        id,
        email: email.to_string(),
        access: access.into(),
        refresh: refresh.into(),
        user,
    }
}

fn content_type(resp: &Response) -> String {
    resp.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string()
}

/// Asserts the status and returns the JSON body.
pub async fn json_body(resp: Response, status: u16) -> Value {
    let got = resp.status();
    let url = resp.url().to_string();
    let ct = content_type(&resp);
    let text = resp.text().await.expect("response body");
    assert_eq!(got.as_u16(), status, "status of {url}; body: {text}");
    assert!(
        ct.starts_with("application/json"),
        "content type of {url} is {ct:?}; body: {text}"
    );
    serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("body of {url} is not JSON ({e}): {text}"))
}

/// Asserts the status and an empty body (204).
pub async fn no_content(resp: Response) {
    let got = resp.status();
    let url = resp.url().to_string();
    let text = resp.text().await.expect("response body");
    assert_eq!(got, StatusCode::NO_CONTENT, "status of {url}; body: {text}");
    assert!(text.is_empty(), "204 from {url} has a body: {text}");
}

/// Asserts a 2xx status and returns the body as JSON (or Null when empty).
pub async fn success(resp: Response) -> Value {
    let got = resp.status();
    let url = resp.url().to_string();
    let text = resp.text().await.expect("response body");
    assert!(
        got.is_success(),
        "expected success from {url}, got {got}; body: {text}"
    );
    if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or(Value::String(text))
    }
}

/// Asserts an RFC 9457 problem with this status (any code) and returns it.
pub async fn any_problem(resp: Response, status: u16) -> Value {
    let got = resp.status();
    let url = resp.url().to_string();
    let ct = content_type(&resp);
    let text = resp.text().await.expect("response body");
    assert_eq!(got.as_u16(), status, "status of {url}; body: {text}");
    assert!(
        ct.starts_with("application/problem+json"),
        "content type of {url} is {ct:?}, not application/problem+json; body: {text}"
    );
    let body: Value = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("problem body of {url} is not JSON ({e}): {text}"));
    assert_eq!(
        body["status"],
        json!(status),
        "problem.status; body: {body}"
    );
    assert!(body["code"].is_string(), "problem has no code: {body}");
    assert!(body["title"].is_string(), "problem has no title: {body}");
    body
}

/// Asserts an RFC 9457 problem with this status and `code`, and returns it.
pub async fn problem(resp: Response, status: u16, code: &str) -> Value {
    let body = any_problem(resp, status).await;
    assert_eq!(body["code"], json!(code), "problem code; body: {body}");
    body
}

/// Asserts a problem with this status whose code is one of `codes`.
pub async fn problem_one_of(resp: Response, status: u16, codes: &[&str]) -> Value {
    let body = any_problem(resp, status).await;
    let code = body["code"].as_str().unwrap_or_default();
    assert!(
        codes.contains(&code),
        "problem code {code:?} not one of {codes:?}; body: {body}"
    );
    body
}

/// Asserts that the problem names `field` in `errors` (for an item of a
/// list or object field, `field[1]` or `field.key` also names it).
pub fn assert_field_error(body: &Value, field: &str) {
    let errors = body["errors"]
        .as_object()
        .unwrap_or_else(|| panic!("no errors object; body: {body}"));
    let named = errors.iter().any(|(k, messages)| {
        let names_field = k == field
            || k.strip_prefix(field)
                .is_some_and(|rest| rest.starts_with('[') || rest.starts_with('.'));
        names_field
            && messages
                .as_array()
                .is_some_and(|m| !m.is_empty() && m.iter().all(Value::is_string))
    });
    assert!(
        named,
        "expected errors.{field} to be a non-empty list of messages; body: {body}"
    );
}

/// 400 `validation_error` naming `field`.
pub async fn validation_error(resp: Response, field: &str) -> Value {
    let body = problem(resp, 400, "validation_error").await;
    assert_field_error(&body, field);
    body
}

pub fn header_str(resp: &Response, name: &str) -> Option<String> {
    resp.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

/// Asserts an RFC 3339 timestamp in UTC (`...Z`).
pub fn assert_utc_timestamp(v: &Value) {
    let s = v
        .as_str()
        .unwrap_or_else(|| panic!("timestamp is not a string: {v}"));
    assert!(
        s.ends_with('Z'),
        "timestamp {s} is not written in UTC with Z"
    );
    DateTime::parse_from_rfc3339(s)
        .unwrap_or_else(|e| panic!("timestamp {s} is not RFC 3339: {e}"));
}

// ---------------------------------------------------------------------------
// Cookies (reqwest has no cookie jar here: read Set-Cookie by hand)

#[derive(Clone, Debug)]
pub struct SetCookie {
    pub value: String,
    /// Attributes, lower-cased names: `httponly`, `samesite` -> `lax`, ...
    pub attrs: HashMap<String, String>,
}

pub fn set_cookies(resp: &Response) -> HashMap<String, SetCookie> {
    let mut out = HashMap::new();
    for v in resp.headers().get_all(header::SET_COOKIE) {
        let Ok(v) = v.to_str() else { continue };
        let mut parts = v.split(';');
        let Some((name, value)) = parts.next().and_then(|p| p.split_once('=')) else {
            continue;
        };
        let attrs = parts
            .map(|a| {
                let (k, v) = a.split_once('=').unwrap_or((a, ""));
                (k.trim().to_ascii_lowercase(), v.trim().to_ascii_lowercase())
            })
            .collect();
        out.insert(
            name.trim().to_string(),
            SetCookie {
                value: value.trim().to_string(),
                attrs,
            },
        );
    }
    out
}

// ---------------------------------------------------------------------------
// JWT surgery

fn b64url() -> base64::engine::GeneralPurpose {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
}

pub fn jwt_part(token: &str, index: usize) -> Value {
    let part = token.split('.').nth(index).expect("JWT part");
    let bytes = b64url().decode(part).expect("JWT part is base64url");
    serde_json::from_slice(&bytes).expect("JWT part is JSON")
}

pub fn jwt_claims(token: &str) -> Value {
    jwt_part(token, 1)
}

fn encode_part(v: &Value) -> String {
    b64url().encode(serde_json::to_vec(v).expect("JSON"))
}

/// The same token with its claims changed but the original signature kept.
pub fn tamper_claims(token: &str, change: impl FnOnce(&mut Value)) -> String {
    let parts: Vec<&str> = token.split('.').collect();
    let mut claims = jwt_claims(token);
    change(&mut claims);
    format!("{}.{}.{}", parts[0], encode_part(&claims), parts[2])
}

/// The same claims with `alg: none` and no signature.
pub fn alg_none(token: &str) -> String {
    let header = json!({"alg": "none", "typ": "JWT"});
    format!(
        "{}.{}.",
        encode_part(&header),
        encode_part(&jwt_claims(token))
    )
}

/// The same header and claims, signed with a key the server does not hold.
pub fn resign_with_other_key(token: &str) -> String {
    let header_json = jwt_part(token, 0);
    let claims = jwt_claims(token);
    let alg = header_json["alg"].as_str().unwrap_or("HS256");
    let (header, key) = if alg.starts_with("HS") {
        let alg = match alg {
            "HS384" => jsonwebtoken::Algorithm::HS384,
            "HS512" => jsonwebtoken::Algorithm::HS512,
            _ => jsonwebtoken::Algorithm::HS256,
        };
        (
            jsonwebtoken::Header::new(alg),
            jsonwebtoken::EncodingKey::from_secret(b"definitely-not-the-server-key-0123456789"),
        )
    } else {
        (
            jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256),
            jsonwebtoken::EncodingKey::from_rsa_pem(include_bytes!(
                "fixtures/oauth_test_rsa_other.pem"
            ))
            .expect("test key"),
        )
    };
    jsonwebtoken::encode(&header, &claims, &key).expect("sign")
}

// ---------------------------------------------------------------------------
// TOTP

pub fn totp_for(secret_base32: &str) -> totp_rs::TOTP {
    let bytes = totp_rs::Secret::Encoded(secret_base32.to_string())
        .to_bytes()
        .expect("base32 TOTP secret");
    totp_rs::TOTP::new_unchecked(
        totp_rs::Algorithm::SHA1,
        6,
        1,
        30,
        bytes,
        None,
        "test".to_string(),
    )
}

pub fn totp_at(secret_base32: &str, at: DateTime<Utc>) -> String {
    totp_for(secret_base32).generate(at.timestamp() as u64)
}

/// A six-digit code that is not valid at `at` nor one step either side.
pub fn wrong_totp(secret_base32: &str, at: DateTime<Utc>) -> String {
    let near: Vec<String> = [-30i64, 0, 30]
        .iter()
        .map(|d| totp_at(secret_base32, at + Duration::seconds(*d)))
        .collect();
    (0..1_000_000u64)
        .map(|n| format!("{:06}", (n * 7919 + 123_457) % 1_000_000))
        .find(|c| !near.contains(c))
        .expect("a wrong code")
}

// ---------------------------------------------------------------------------
// Images

pub fn png_bytes(width: u32, height: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, ((x + y) % 256) as u8])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(img)
        .write_to(&mut out, image::ImageFormat::Png)
        .expect("encode PNG");
    out.into_inner()
}

pub fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            let mask = (crc & 1).wrapping_neg();
            crc = (crc >> 1) ^ (0xEDB8_8320 & mask);
        }
    }
    !crc
}

fn png_chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    let mut body = kind.to_vec();
    body.extend_from_slice(data);
    out.extend_from_slice(&body);
    out.extend_from_slice(&crc32(&body).to_be_bytes());
}

/// A small, well-formed PNG whose header claims `width` x `height` pixels:
/// a decoder that trusts it would allocate gigabytes.
pub fn png_bomb(width: u32, height: u32) -> Vec<u8> {
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    png_chunk(&mut out, b"IHDR", &ihdr);
    // A zlib stream with one stored block of zeros.
    let data = vec![0u8; 4096];
    let mut z = vec![0x78, 0x01, 0x01];
    z.extend_from_slice(&(data.len() as u16).to_le_bytes());
    z.extend_from_slice(&(!(data.len() as u16)).to_le_bytes());
    z.extend_from_slice(&data);
    let (mut a, mut b) = (1u32, 0u32);
    for &byte in &data {
        a = (a + u32::from(byte)) % 65521;
        b = (b + a) % 65521;
    }
    z.extend_from_slice(&((b << 16) | a).to_be_bytes());
    png_chunk(&mut out, b"IDAT", &z);
    png_chunk(&mut out, b"IEND", &[]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32_matches_the_png_reference_value() {
        // CRC of the IEND chunk type, as every PNG ends with it.
        assert_eq!(crc32(b"IEND"), 0xAE42_6082);
    }

    #[test]
    fn png_bomb_header_parses_with_its_claimed_size() {
        let bytes = png_bomb(100_000, 100_000);
        let reader =
            image::ImageReader::with_format(std::io::Cursor::new(bytes), image::ImageFormat::Png);
        let (w, h) = reader.into_dimensions().expect("dimensions");
        assert_eq!((w, h), (100_000, 100_000));
    }
}
