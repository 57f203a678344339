//! Typed configuration: defaults < `fitcore.toml` < environment variables.
//!
//! The environment names are the ones ARCHITECTURE.md lists; the TOML file
//! uses the same names in lower case without the `FITCORE_` prefix
//! (`database_url = "..."`, `bind = "0.0.0.0:8000"`).

use figment::{
    Figment,
    providers::{Env, Format, Serialized, Toml},
};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Environment {
    #[default]
    Development,
    Test,
    Production,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default)]
pub struct Config {
    pub env: Environment,
    pub bind: String,
    pub data_dir: PathBuf,
    pub database_url: Option<String>,
    pub database_max_connections: u32,
    pub secret_key: Option<String>,
    pub redis_url: Option<String>,
    /// Prefix of every Redis key, so deployments can share a server.
    pub redis_prefix: String,
    pub email_url: String,
    pub email_from: String,
    pub storage_url: Option<String>,
    /// S3-compatible endpoint (MinIO, R2, ...); unset means AWS.
    pub s3_endpoint: Option<String>,
    pub aws_region: Option<String>,
    pub aws_access_key_id: Option<String>,
    pub aws_secret_access_key: Option<String>,
    /// Base of absolute URLs the server hands out (media links).
    pub public_url: Option<String>,
    pub frontend_url: String,
    pub cors_allowed_origins: String,
    pub trust_proxy: bool,
    pub request_timeout_secs: u64,
    pub access_token_minutes: i64,
    pub refresh_token_days: i64,
    pub rate_limit_disabled: bool,
    /// How long an authenticated user is reused for reads without a lookup
    /// (0 turns the cache off). Changes made through the server show at once.
    pub auth_cache_seconds: u64,
    pub rate_limit_anon_per_min: u32,
    pub rate_limit_user_per_min: u32,
    pub rate_limit_auth_per_min: u32,
    pub google_client_ids: String,
    pub apple_client_ids: String,
    pub google_jwks_url: String,
    pub apple_jwks_url: String,
    pub stripe_secret_key: Option<String>,
    pub stripe_webhook_secret: Option<String>,
    pub stripe_api_base: String,
    /// Stripe price ids of the two plans.
    pub stripe_price_monthly: Option<String>,
    pub stripe_price_lifetime: Option<String>,
    pub paypal_client_id: Option<String>,
    pub paypal_client_secret: Option<String>,
    pub paypal_webhook_id: Option<String>,
    pub paypal_api_base: String,
    /// PayPal billing plan id of the monthly plan (`P-...`).
    pub paypal_plan_monthly: Option<String>,
    /// Price of the lifetime plan on PayPal, a decimal string ("149.00").
    pub paypal_price_lifetime: Option<String>,
    /// ISO 4217 currency of PayPal orders.
    pub paypal_currency: String,
    pub openai_api_key: Option<String>,
    pub openai_base_url: Option<String>,
    pub openai_model: Option<String>,
    /// How long meal generation waits for the model before planning locally.
    pub openai_timeout_secs: u64,
    /// Largest video upload accepted, in bytes (2 GiB by default).
    pub video_max_bytes: u64,
    /// Workers `serve` runs in-process (0 leaves jobs to `fitcore worker`).
    pub worker_concurrency: usize,
}

/// Twice the CPUs this process may use, from 4 to 16. PostgreSQL runs
/// one process per connection: past what the cores can serve, more
/// connections only queue inside the database (measured on 2 cores with
/// the database beside the server: 4 connections served B1–B4 and B8
/// 5–30 % faster, with lower p99, than 10 or 20).
fn default_pool_size() -> u32 {
    let cpus = std::thread::available_parallelism().map_or(2, |n| n.get());
    u32::try_from(cpus.saturating_mul(2))
        .unwrap_or(16)
        .clamp(4, 16)
}

impl Default for Config {
    fn default() -> Self {
        Self {
            env: Environment::Development,
            bind: "127.0.0.1:8000".into(),
            data_dir: PathBuf::from("./data"),
            database_url: None,
            database_max_connections: default_pool_size(),
            secret_key: None,
            redis_url: None,
            redis_prefix: "fitcore".into(),
            email_url: "console://".into(),
            email_from: "FitCore <no-reply@fitcore.local>".into(),
            storage_url: None,
            s3_endpoint: None,
            aws_region: None,
            aws_access_key_id: None,
            aws_secret_access_key: None,
            public_url: None,
            frontend_url: "http://localhost:3000".into(),
            cors_allowed_origins: "http://localhost:3000,http://localhost:19006".into(),
            trust_proxy: false,
            request_timeout_secs: 30,
            access_token_minutes: 30,
            refresh_token_days: 7,
            rate_limit_disabled: false,
            auth_cache_seconds: 10,
            rate_limit_anon_per_min: 60,
            rate_limit_user_per_min: 600,
            rate_limit_auth_per_min: 10,
            google_client_ids: String::new(),
            apple_client_ids: String::new(),
            google_jwks_url: "https://www.googleapis.com/oauth2/v3/certs".into(),
            apple_jwks_url: "https://appleid.apple.com/auth/keys".into(),
            stripe_secret_key: None,
            stripe_webhook_secret: None,
            stripe_api_base: "https://api.stripe.com".into(),
            stripe_price_monthly: None,
            stripe_price_lifetime: None,
            paypal_client_id: None,
            paypal_client_secret: None,
            paypal_webhook_id: None,
            paypal_api_base: "https://api-m.paypal.com".into(),
            paypal_plan_monthly: None,
            paypal_price_lifetime: None,
            paypal_currency: "USD".into(),
            openai_api_key: None,
            openai_base_url: None,
            openai_model: None,
            openai_timeout_secs: 20,
            worker_concurrency: 2,
            video_max_bytes: 2 * 1024 * 1024 * 1024,
        }
    }
}

/// Environment variables read, and the key each one sets.
fn env_key(name: &str) -> Option<String> {
    let lower = name.to_ascii_lowercase();
    if let Some(rest) = lower.strip_prefix("fitcore_") {
        return (rest != "config").then(|| rest.to_string());
    }
    const PLAIN: &[&str] = &[
        "database_url",
        "secret_key",
        "redis_url",
        "email_url",
        "storage_url",
        "s3_endpoint",
        "aws_region",
        "aws_access_key_id",
        "aws_secret_access_key",
        "frontend_url",
        "cors_allowed_origins",
        "google_client_ids",
        "apple_client_ids",
        "google_jwks_url",
        "apple_jwks_url",
        "stripe_secret_key",
        "stripe_webhook_secret",
        "stripe_api_base",
        "stripe_price_monthly",
        "stripe_price_lifetime",
        "paypal_client_id",
        "paypal_client_secret",
        "paypal_webhook_id",
        "paypal_api_base",
        "openai_api_key",
        "openai_base_url",
        "openai_model",
    ];
    PLAIN.contains(&lower.as_str()).then_some(lower)
}

impl Config {
    /// Loads defaults, then `fitcore.toml` (or `$FITCORE_CONFIG`), then the
    /// environment.
    pub fn load() -> Result<Self, String> {
        let file = std::env::var("FITCORE_CONFIG").unwrap_or_else(|_| "fitcore.toml".into());
        Figment::from(Serialized::defaults(Config::default()))
            .merge(Toml::file(&file))
            .merge(Env::raw().filter_map(|k| env_key(k.as_str()).map(Into::into)))
            .extract()
            .map_err(|e| format!("configuration is invalid: {e}"))
    }

    pub fn is_production(&self) -> bool {
        self.env == Environment::Production
    }

    pub fn database_url(&self) -> String {
        self.database_url.clone().unwrap_or_else(|| {
            format!(
                "sqlite://{}?mode=rwc",
                self.data_dir.join("fitcore.db").display()
            )
        })
    }

    pub fn storage_url(&self) -> String {
        self.storage_url.clone().unwrap_or_else(|| {
            format!(
                "file://{}",
                absolute(&self.data_dir.join("media")).display()
            )
        })
    }

    pub fn public_url(&self) -> String {
        self.public_url
            .clone()
            .unwrap_or_else(|| format!("http://{}", self.bind))
            .trim_end_matches('/')
            .to_string()
    }

    pub fn cors_origins(&self) -> Vec<String> {
        split_list(&self.cors_allowed_origins)
    }

    /// Every problem with this configuration, in words. Empty means usable.
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.bind.parse::<std::net::SocketAddr>().is_err() {
            out.push(format!(
                "FITCORE_BIND `{}` is not an address like 127.0.0.1:8000",
                self.bind
            ));
        }
        let db = self.database_url();
        if !(db.starts_with("sqlite:")
            || db.starts_with("postgres://")
            || db.starts_with("postgresql://"))
        {
            out.push("DATABASE_URL must start with sqlite:// or postgres://".into());
        }
        if !(self.email_url.starts_with("console://")
            || self.email_url.starts_with("smtp://")
            || self.email_url.starts_with("smtps://"))
        {
            out.push(
                "EMAIL_URL must be console://, smtp://user:pass@host:port or smtps://...".into(),
            );
        }
        let storage = self.storage_url();
        if !(storage.starts_with("file://") || storage.starts_with("s3://")) {
            out.push("STORAGE_URL must be file:///path or s3://bucket".into());
        }
        if url::Url::parse(&self.frontend_url).is_err() {
            out.push(format!("FRONTEND_URL `{}` is not a URL", self.frontend_url));
        }
        if let Some(r) = &self.redis_url
            && !(r.starts_with("redis://") || r.starts_with("rediss://"))
        {
            out.push("REDIS_URL must start with redis:// or rediss://".into());
        }
        if self.paypal_client_id.is_some() != self.paypal_client_secret.is_some() {
            out.push("PAYPAL_CLIENT_ID and PAYPAL_CLIENT_SECRET are set together".into());
        }
        if let Some(p) = &self.paypal_price_lifetime
            && crate::payments::service::parse_amount_minor(p).is_none_or(|m| m <= 0)
        {
            out.push(format!(
                "FITCORE_PAYPAL_PRICE_LIFETIME `{p}` is not a positive amount like 149.00"
            ));
        }
        if !(self.paypal_currency.len() == 3
            && self.paypal_currency.bytes().all(|b| b.is_ascii_uppercase()))
        {
            out.push("FITCORE_PAYPAL_CURRENCY must be an ISO 4217 code like USD".into());
        }
        if self.access_token_minutes <= 0 || self.refresh_token_days <= 0 {
            out.push("token lifetimes must be positive".into());
        }
        if self.is_production() {
            match &self.secret_key {
                None => out.push("SECRET_KEY is required when FITCORE_ENV=production".into()),
                Some(k) if k.len() < 32 => {
                    out.push("SECRET_KEY must be at least 32 characters in production".into())
                }
                Some(_) => {}
            }
            // Credentials are always allowed, so a wildcard would let any
            // site make authenticated requests.
            if self.cors_origins().iter().any(|o| o == "*") {
                out.push(
                    "CORS_ALLOWED_ORIGINS may not be `*` in production: credentials are allowed"
                        .into(),
                );
            }
            if self.email_url.starts_with("console://") {
                out.push(
                    "EMAIL_URL may not be console:// in production: mail would be lost".into(),
                );
            }
        }
        out
    }

    /// The signing secret: configured, or generated once per development
    /// data directory and kept there.
    pub fn resolve_secret(&self) -> Result<String, String> {
        if let Some(k) = &self.secret_key {
            return Ok(k.clone());
        }
        if self.is_production() {
            return Err("SECRET_KEY is required when FITCORE_ENV=production".into());
        }
        let path = self.data_dir.join("secret_key");
        if let Ok(existing) = std::fs::read_to_string(&path)
            && existing.trim().len() >= 32
        {
            return Ok(existing.trim().to_string());
        }
        std::fs::create_dir_all(&self.data_dir)
            .map_err(|e| format!("cannot create data dir {}: {e}", self.data_dir.display()))?;
        let key = crate::platform::crypto::random_token(48);
        std::fs::write(&path, &key).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        Ok(key)
    }
}

pub fn split_list(s: &str) -> Vec<String> {
    s.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect()
}

fn absolute(p: &Path) -> PathBuf {
    std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::default_pool_size;

    #[test]
    fn the_default_pool_is_twice_the_cpus_within_4_to_16() {
        let cpus = std::thread::available_parallelism().map_or(2, |n| n.get()) as u32;
        let size = default_pool_size();
        assert!((4..=16).contains(&size), "{size}");
        assert_eq!(size, (cpus * 2).clamp(4, 16));
    }
}
