//! Google and Apple sign-in with ID tokens.
//!
//! The token's signature is checked against the provider's JWKS (fetched
//! and cached; fetched again when an unknown key id appears, at most once
//! a minute), then issuer, audience (our client ids), expiry and, when the
//! client sent one, the nonce. An existing account is linked only through a
//! verified e-mail address.

use super::{
    dto::OAuthRequest,
    entity::{oauth_identity, user},
    service::{self, IssuedTokens},
};
use crate::{
    app::AppState,
    config::split_list,
    error::{AppError, AppResult, FieldErrors},
};
use jsonwebtoken::{Algorithm, DecodingKey, Validation, jwk::JwkSet};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, TransactionTrait,
};
use serde::Deserialize;
use std::collections::HashMap;
use std::time::{Duration, Instant};
use tokio::sync::RwLock;

const CACHE_FOR: Duration = Duration::from_secs(3600);
const REFETCH_AFTER: Duration = Duration::from_secs(60);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Provider {
    Google,
    Apple,
}

impl Provider {
    pub fn name(self) -> &'static str {
        match self {
            Provider::Google => "google",
            Provider::Apple => "apple",
        }
    }
    fn issuers(self) -> &'static [&'static str] {
        match self {
            Provider::Google => &["https://accounts.google.com", "accounts.google.com"],
            Provider::Apple => &["https://appleid.apple.com"],
        }
    }
    fn jwks_url(self, state: &AppState) -> String {
        match self {
            Provider::Google => state.config.google_jwks_url.clone(),
            Provider::Apple => state.config.apple_jwks_url.clone(),
        }
    }
    fn client_ids(self, state: &AppState) -> Vec<String> {
        match self {
            Provider::Google => split_list(&state.config.google_client_ids),
            Provider::Apple => split_list(&state.config.apple_client_ids),
        }
    }
}

#[derive(Default)]
pub struct JwksCache {
    sets: RwLock<HashMap<String, (Instant, JwkSet)>>,
}

impl JwksCache {
    async fn key_set(&self, http: &reqwest::Client, url: &str, kid: &str) -> AppResult<JwkSet> {
        if let Some((at, set)) = self.sets.read().await.get(url)
            && (at.elapsed() < CACHE_FOR && set.find(kid).is_some() || at.elapsed() < REFETCH_AFTER)
        {
            return Ok(set.clone());
        }
        let fetched: JwkSet = http
            .get(url)
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .map_err(|e| {
                tracing::warn!(url, error = %e, "JWKS fetch failed");
                AppError::new(
                    axum::http::StatusCode::SERVICE_UNAVAILABLE,
                    "unavailable",
                    "The sign-in provider cannot be reached.",
                )
            })?
            .json()
            .await
            .map_err(|_| {
                AppError::new(
                    axum::http::StatusCode::BAD_GATEWAY,
                    "bad_gateway",
                    "The sign-in provider sent unreadable keys.",
                )
            })?;
        self.sets
            .write()
            .await
            .insert(url.to_string(), (Instant::now(), fetched.clone()));
        Ok(fetched)
    }
}

#[derive(Debug, Deserialize)]
struct IdClaims {
    sub: String,
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    email_verified: Option<serde_json::Value>,
    #[serde(default)]
    nonce: Option<String>,
    exp: i64,
}

fn invalid(detail: &str) -> AppError {
    AppError::unauthorized("token_invalid", format!("ID token rejected: {detail}."))
}

struct Identity {
    subject: String,
    email: Option<String>,
    email_verified: bool,
}

async fn verify_token(
    state: &AppState,
    provider: Provider,
    token: &str,
    nonce: Option<&str>,
) -> AppResult<Identity> {
    let client_ids = provider.client_ids(state);
    if client_ids.is_empty() {
        return Err(AppError::unavailable(format!(
            "{} sign-in is not configured.",
            provider.name()
        )));
    }
    let header = jsonwebtoken::decode_header(token).map_err(|_| invalid("malformed"))?;
    if !matches!(header.alg, Algorithm::RS256 | Algorithm::ES256) {
        return Err(invalid("unsupported algorithm"));
    }
    let kid = header.kid.ok_or_else(|| invalid("no key id"))?;
    let set = state
        .oauth
        .key_set(&state.http, &provider.jwks_url(state), &kid)
        .await?;
    let jwk = set.find(&kid).ok_or_else(|| invalid("unknown key"))?;
    let key = DecodingKey::from_jwk(jwk).map_err(|_| invalid("unusable key"))?;
    let mut v = Validation::new(header.alg);
    v.set_issuer(provider.issuers());
    v.set_audience(&client_ids);
    v.validate_exp = false;
    v.set_required_spec_claims(&["iss", "aud", "sub"]);
    let data = jsonwebtoken::decode::<IdClaims>(token, &key, &v).map_err(|e| {
        tracing::debug!(error = %e, "ID token rejected");
        invalid("signature, issuer or audience")
    })?;
    let c = data.claims;
    if c.exp <= state.now().timestamp() {
        return Err(invalid("expired"));
    }
    if let Some(expected) = nonce {
        // Apple puts SHA-256(nonce) in the token; Google the nonce itself.
        let ok = c.nonce.as_deref().is_some_and(|got| {
            got == expected
                || got.eq_ignore_ascii_case(&crate::platform::crypto::sha256_hex(expected))
        });
        if !ok {
            return Err(invalid("nonce mismatch"));
        }
    }
    let verified = match c.email_verified {
        Some(serde_json::Value::Bool(b)) => b,
        Some(serde_json::Value::String(s)) => s == "true",
        _ => false,
    };
    Ok(Identity {
        subject: c.sub,
        email: c.email.map(|e| e.trim().to_string()),
        email_verified: verified,
    })
}

pub async fn sign_in(
    state: &AppState,
    provider: Provider,
    req: OAuthRequest,
) -> AppResult<(user::Model, IssuedTokens, bool)> {
    let mut errors = FieldErrors::new();
    service::check_name(&mut errors, "first_name", &req.first_name);
    service::check_name(&mut errors, "last_name", &req.last_name);
    errors.into_result()?;
    let id = verify_token(state, provider, &req.id_token, req.nonce.as_deref()).await?;
    let now = state.now();
    let txn = state.db.begin().await?;
    let linked = oauth_identity::Entity::find()
        .filter(oauth_identity::Column::Provider.eq(provider.name()))
        .filter(oauth_identity::Column::Subject.eq(&id.subject))
        .one(&txn)
        .await?;
    let (u, created) = if let Some(link) = linked {
        let u = user::Entity::find_by_id(link.user_id)
            .one(&txn)
            .await?
            .filter(|u| u.is_active)
            .ok_or_else(|| {
                AppError::unauthorized("invalid_credentials", "This account is inactive.")
            })?;
        (u, false)
    } else {
        let email = id
            .email
            .clone()
            .filter(|e| service::is_valid_email(e))
            .ok_or_else(|| {
                FieldErrors::single("id_token", "The ID token carries no usable e-mail address.")
            })?;
        let (u, created) = match service::find_by_email(&txn, &email).await? {
            Some(existing) => {
                if !id.email_verified {
                    return Err(AppError::conflict(
                        "email_taken",
                        "An account with this e-mail exists; sign in with its password to link this provider.",
                    ));
                }
                if !existing.is_active {
                    return Err(AppError::unauthorized(
                        "invalid_credentials",
                        "This account is inactive.",
                    ));
                }
                let mut am: user::ActiveModel = existing.into();
                am.is_email_verified = Set(true);
                am.updated_at = Set(now);
                (am.update(&txn).await?, false)
            }
            None => {
                let u = service::create_user(
                    &txn,
                    now,
                    &email,
                    None,
                    req.first_name.clone().unwrap_or_default(),
                    req.last_name.clone().unwrap_or_default(),
                    id.email_verified,
                )
                .await?;
                (u, true)
            }
        };
        oauth_identity::ActiveModel {
            user_id: Set(u.id),
            provider: Set(provider.name().into()),
            subject: Set(id.subject.clone()),
            email: Set(Some(email)),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        (u, created)
    };
    let tokens = service::issue_tokens(state, &txn, &u, None).await?;
    let mut am: user::ActiveModel = u.into();
    am.last_login = Set(Some(now));
    let u = am.update(&txn).await?;
    txn.commit().await?;
    state.user_changed(u.id);
    Ok((u, tokens, created))
}
