//! Application state, router assembly and the middleware stack.

use crate::{
    accounts,
    config::Config,
    error::AppError,
    notifications, ops,
    platform::{
        clock::SharedClock,
        events::EventBus,
        http as phttp,
        invalidation::{Change, Invalidation},
        jobs::{self, Registry, Waker},
        mail::Mailer,
        ratelimit::RateLimiter,
        storage::Storage,
    },
};
use axum::{
    Router, ServiceExt as _,
    extract::{ConnectInfo, DefaultBodyLimit, Request, State},
    http::{HeaderName, HeaderValue, Method, header},
    middleware::{self, Next},
    response::{IntoResponse, Response},
};
use chrono::{DateTime, Utc};
use sea_orm::DatabaseConnection;
use std::{net::SocketAddr, sync::Arc, time::Duration};
use tower::Layer as _;
use tower_http::cors::{AllowOrigin, CorsLayer};
use utoipa::OpenApi as _;
use utoipa_axum::router::OpenApiRouter;

pub const JSON_LIMIT: usize = 1024 * 1024;

/// Everything a request or job needs; cheap to clone (one `Arc`).
#[derive(Clone)]
pub struct AppState(Arc<AppStateInner>);

impl std::ops::Deref for AppState {
    type Target = AppStateInner;
    fn deref(&self) -> &AppStateInner {
        &self.0
    }
}

pub struct AppStateInner {
    pub db: DatabaseConnection,
    pub config: Arc<Config>,
    pub clock: SharedClock,
    pub secret: String,
    pub tokens: accounts::tokens::TokenKeys,
    pub rate_limiter: RateLimiter,
    pub mailer: Mailer,
    pub storage: Storage,
    pub events: EventBus,
    pub jobs: Arc<Registry<AppState>>,
    pub job_waker: Waker,
    pub http: reqwest::Client,
    pub oauth: accounts::oauth::JwksCache,
    pub paypal_token: crate::payments::paypal::TokenCache,
    /// Statements run on `db` since start (tests assert query budgets).
    pub queries: Arc<std::sync::atomic::AtomicU64>,
    pub food_index: crate::nutrition::food_index::FoodIndex,
    pub plan_cache: crate::nutrition::plan_cache::PlanCache,
    pub auth_cache: accounts::auth_cache::AuthCache,
    pub workout_order: crate::workouts::order_cache::OrderCache,
    pub catalogue: crate::workouts::catalogue_index::CatalogueIndex,
    pub invalidation: Invalidation,
}

impl AppState {
    /// Connects to the database and builds every service. Does not migrate.
    pub async fn new(config: Config, clock: SharedClock) -> anyhow::Result<Self> {
        // Install the metrics recorder before the first request is counted.
        let _ = crate::platform::metrics::handle();
        let problems = config.problems();
        if !problems.is_empty() {
            anyhow::bail!(
                "configuration is not usable:\n  - {}",
                problems.join("\n  - ")
            );
        }
        let secret = config.resolve_secret().map_err(anyhow::Error::msg)?;
        let mut db = crate::platform::db::connect(&config).await?;
        let queries = Arc::new(std::sync::atomic::AtomicU64::new(0));
        {
            let counter = queries.clone();
            db.set_metric_callback(move |_| {
                counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            });
        }
        let rate_limiter = match &config.redis_url {
            Some(url) => {
                RateLimiter::redis(url, &config.redis_prefix, config.rate_limit_disabled).await?
            }
            None => RateLimiter::in_memory(config.rate_limit_disabled),
        };
        let invalidation = match &config.redis_url {
            Some(url) => Invalidation::redis(url, &config.redis_prefix).await?,
            None => Invalidation::local(),
        };
        let auth_cache =
            accounts::auth_cache::AuthCache::new(Duration::from_secs(config.auth_cache_seconds));
        let mailer = Mailer::from_url(&config.email_url, &config.email_from)?;
        let storage = Storage::from_config(&config)?;
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(15))
            .connect_timeout(Duration::from_secs(5))
            .user_agent(concat!("fitcore/", env!("CARGO_PKG_VERSION")))
            .build()?;
        let mut registry = Registry::default();
        register_jobs(&mut registry);
        let events = EventBus::new();
        let tokens = accounts::tokens::TokenKeys::new(
            &secret,
            config.access_token_minutes,
            config.refresh_token_days,
        );
        Ok(Self(Arc::new(AppStateInner {
            db,
            config: Arc::new(config),
            clock,
            secret,
            tokens,
            rate_limiter,
            mailer,
            storage,
            events,
            jobs: Arc::new(registry),
            job_waker: Waker::default(),
            http,
            oauth: accounts::oauth::JwksCache::default(),
            paypal_token: Default::default(),
            queries,
            food_index: Default::default(),
            plan_cache: Default::default(),
            auth_cache,
            workout_order: Default::default(),
            catalogue: Default::default(),
            invalidation,
        })))
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// A user row changed: forget cached copies here and in other instances.
    pub fn user_changed(&self, user_id: i64) {
        self.auth_cache.forget(user_id);
        self.invalidation.publish(Change::User(user_id));
    }

    /// A public food changed: rebuild the search index here and elsewhere.
    pub fn public_foods_changed(&self) {
        self.food_index.invalidate();
        self.invalidation.publish(Change::PublicFoods);
    }

    /// A workout, video or category changed: forget the catalogue in
    /// memory and its remembered orders.
    pub fn catalogue_changed(&self) {
        self.workout_order.clear();
        self.catalogue.invalidate();
        self.invalidation.publish(Change::Catalogue);
    }

    /// Applies a change another instance published.
    pub fn apply_change(&self, change: Change) {
        match change {
            Change::User(id) => self.auth_cache.forget(id),
            Change::PublicFoods => self.food_index.invalidate(),
            Change::Catalogue => {
                self.workout_order.clear();
                self.catalogue.invalidate();
            }
            Change::Everything => {
                self.auth_cache.clear();
                self.food_index.invalidate();
                self.workout_order.clear();
                self.catalogue.invalidate();
            }
        }
    }

    /// Tells in-process workers that a job is waiting.
    pub fn wake_workers(&self) {
        self.job_waker.0.notify_one();
    }
}

fn register_jobs(r: &mut Registry<AppState>) {
    r.register(
        crate::nutrition::generate::GENERATE_JOB,
        crate::nutrition::generate::run,
    );
    r.register(
        crate::workouts::videos::PROBE_JOB,
        crate::workouts::videos::run_probe,
    );
    r.register(
        crate::workouts::videos::REMOVE_FILES_JOB,
        crate::workouts::videos::run_remove_files,
    );
    r.register(
        crate::payments::service::CANCEL_AT_GATEWAY_JOB,
        crate::payments::service::run_cancel_at_gateway,
    );
    r.register(
        crate::platform::mail::SEND_EMAIL_JOB,
        |state: AppState, payload| async move {
            let email: crate::platform::mail::Email = serde_json::from_value(payload)?;
            state.mailer.send(&email).await?;
            Ok(None)
        },
    );
}

#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "FitCore API",
        version = "1",
        description = include_str!("openapi_description.md"),
    ),
    modifiers(&SecurityAddon),
)]
struct ApiDoc;

struct SecurityAddon;

impl utoipa::Modify for SecurityAddon {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{
            ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme,
        };
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
        components.add_security_scheme(
            "cookie",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new("fitcore-access-token"))),
        );
    }
}

/// The API routes with their OpenAPI document, from one source.
pub fn api() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    let mut doc = ApiDoc::openapi();
    doc.openapi = utoipa::openapi::OpenApiVersion::Version31;
    OpenApiRouter::with_openapi(doc)
        .nest(
            "/api/v1",
            accounts::router()
                .merge(notifications::router())
                .merge(crate::dashboard::router())
                .merge(crate::payments::router())
                .merge(crate::workouts::router())
                .merge(crate::nutrition::router())
                .merge(crate::favorites::router()),
        )
        .split_for_parts()
}

pub fn openapi() -> utoipa::openapi::OpenApi {
    api().1
}

/// The whole application: routes, operations endpoints and middleware.
pub fn router(state: AppState) -> Router {
    let (api, openapi) = api();
    let cfg = state.config.clone();
    let production = cfg.is_production();
    let swagger =
        utoipa_swagger_ui::SwaggerUi::new("/api/docs").url("/api/v1/openapi.json", openapi);
    Router::new()
        .merge(api)
        .merge(ops::router())
        .layer(DefaultBodyLimit::max(JSON_LIMIT))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            idempotency_layer,
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            rate_limit_layer,
        ))
        .layer(middleware::from_fn(phttp::record_metrics))
        .merge(swagger)
        .fallback(|| async { AppError::not_found() })
        .method_not_allowed_fallback(|| async {
            AppError::new(
                axum::http::StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "Method not allowed.",
            )
        })
        .with_state(state)
        .layer(middleware::from_fn({
            let limit = Duration::from_secs(cfg.request_timeout_secs.max(1));
            move |req, next| request_timeout(limit, req, next)
        }))
        .layer(cors_layer(&cfg))
        .layer(middleware::from_fn(move |req, next| {
            phttp::security_headers(production, req, next)
        }))
        .layer(middleware::from_fn(phttp::request_id_and_problems))
}

/// Requests running longer than the timeout get 503, except video uploads:
/// a 2 GB upload takes as long as the client's connection needs.
async fn request_timeout(limit: Duration, req: Request, next: middleware::Next) -> Response {
    let upload = req.method() == Method::POST && {
        let p = req.uri().path();
        p.starts_with("/api/v1/workouts/workouts/")
            && (p.ends_with("/videos/") || p.ends_with("/videos"))
    };
    if upload {
        return next.run(req).await;
    }
    match tokio::time::timeout(limit, next.run(req)).await {
        Ok(res) => res,
        Err(_) => AppError::unavailable("The request took too long.").into_response(),
    }
}

fn cors_layer(cfg: &Config) -> CorsLayer {
    let origins = cfg.cors_origins();
    let allow = if origins.iter().any(|o| o == "*") && !cfg.is_production() {
        AllowOrigin::mirror_request()
    } else {
        AllowOrigin::list(origins.iter().filter_map(|o| HeaderValue::from_str(o).ok()))
    };
    CorsLayer::new()
        .allow_origin(allow)
        .allow_credentials(true)
        .allow_methods([
            Method::GET,
            Method::HEAD,
            Method::POST,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
            Method::OPTIONS,
        ])
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::ACCEPT,
            HeaderName::from_static("x-csrf-token"),
            HeaderName::from_static("idempotency-key"),
            HeaderName::from_static("x-request-id"),
        ])
        .expose_headers([
            HeaderName::from_static("x-request-id"),
            HeaderName::from_static("ratelimit-limit"),
            HeaderName::from_static("ratelimit-remaining"),
            HeaderName::from_static("ratelimit-reset"),
            header::RETRY_AFTER,
        ])
        .max_age(Duration::from_secs(3600))
}

/// The caller's address: the peer, or the first `X-Forwarded-For` hop when
/// the server sits behind a trusted proxy.
pub fn client_ip(state: &AppState, req: &Request) -> String {
    if state.config.trust_proxy
        && let Some(ip) = req
            .headers()
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
            .map(str::trim)
            .filter(|s| !s.is_empty())
    {
        return ip.to_string();
    }
    req.extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_string())
        .unwrap_or_else(|| "unknown".into())
}

const AUTH_LIMITED: &[&str] = &[
    "/api/v1/auth/login/",
    "/api/v1/auth/register/",
    "/api/v1/auth/password-reset/",
];

async fn rate_limit_layer(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if state.rate_limiter.disabled {
        return next.run(req).await;
    }
    let path = req.uri().path().to_string();
    // Gateways retry webhooks on their own schedule; throttling them would
    // only delay payments.
    if !path.starts_with("/api/v1/")
        || req.method() == Method::OPTIONS
        || path.starts_with("/api/v1/payments/webhooks/")
    {
        return next.run(req).await;
    }
    let now = state.now();
    let ip = client_ip(&state, &req);
    let user = accounts::peek_user_id(&state, req.headers());
    let cfg = &state.config;
    let (key, limit) = match user {
        Some(id) => (format!("user:{id}"), cfg.rate_limit_user_per_min),
        None => (format!("ip:{ip}"), cfg.rate_limit_anon_per_min),
    };
    let mut decision = state.rate_limiter.hit(&key, limit, now).await;
    if decision.allowed && req.method() == Method::POST && AUTH_LIMITED.contains(&path.as_str()) {
        let d = state
            .rate_limiter
            .hit(
                &format!("auth:{path}:ip:{ip}"),
                cfg.rate_limit_auth_per_min,
                now,
            )
            .await;
        if !d.allowed || d.remaining < decision.remaining {
            decision = d;
        }
    }
    let mut res = if decision.allowed {
        next.run(req).await
    } else {
        AppError::RateLimited {
            retry_after: decision.reset.max(1),
        }
        .into_response()
    };
    let h = res.headers_mut();
    // A handler may have applied a stricter limit (per e-mail); keep its headers.
    if !h.contains_key("ratelimit-limit") {
        for (name, value) in [
            ("ratelimit-limit", decision.limit as u64),
            ("ratelimit-remaining", decision.remaining as u64),
            ("ratelimit-reset", decision.reset),
        ] {
            if let Ok(v) = HeaderValue::from_str(&value.to_string()) {
                h.insert(HeaderName::from_static(name), v);
            }
        }
    }
    res
}

async fn idempotency_layer(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let applies = req.method() == Method::POST
        && req.uri().path().starts_with("/api/v1/")
        && req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/json"));
    let key = req
        .headers()
        .get(crate::platform::idempotency::HEADER)
        .cloned();
    // The token is only decoded when a key is sent.
    let user = match (&applies, &key) {
        (true, Some(_)) => accounts::peek_user_id(&state, req.headers()),
        _ => None,
    };
    match (applies, key, user) {
        (true, Some(key), Some(user_id)) => {
            crate::platform::idempotency::apply(
                &state.db,
                state.now(),
                format!("user:{user_id}"),
                &key,
                req,
                next,
            )
            .await
        }
        _ => next.run(req).await,
    }
}

/// Serves the app on `listener` until `shutdown` resolves, then drains
/// in-flight requests. Runs no job worker (see `run_workers`).
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let stop_listening = tokio_util::sync::CancellationToken::new();
    let listener_task = {
        let state = state.clone();
        let stop = stop_listening.clone();
        tokio::spawn(async move {
            let apply = {
                let state = state.clone();
                move |c| state.apply_change(c)
            };
            state.invalidation.listen(apply, stop).await;
        })
    };
    let app = router(state);
    let app = tower::util::MapRequestLayer::new(phttp::add_trailing_slash).layer(app);
    let served = axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await;
    stop_listening.cancel();
    let _ = listener_task.await;
    Ok(served?)
}

/// Runs job workers until `shutdown` is cancelled.
pub async fn run_workers(
    state: AppState,
    concurrency: usize,
    shutdown: tokio_util::sync::CancellationToken,
) {
    jobs::run_worker(
        state.db.clone(),
        state.jobs.clone(),
        state.clone(),
        state.clock.clone(),
        state.job_waker.clone(),
        jobs::WorkerConfig {
            concurrency,
            poll_interval: Duration::from_millis(500),
            grace: Duration::from_secs(20),
        },
        shutdown,
    )
    .await;
}
