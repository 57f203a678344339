//! JWT access and refresh tokens (HS256), as SimpleJWT shapes them:
//! `token_type`, `user_id`, `jti`, `iat`, `exp`, plus `ver` (the user's
//! auth version, so a password change kills older access tokens) and, on
//! refresh tokens, `fam` (the login they descend from).

use crate::error::AppError;
use crate::platform::crypto::hmac_sha256;
use chrono::{DateTime, Duration, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;

pub const ACCESS: &str = "access";
pub const REFRESH: &str = "refresh";

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Claims {
    pub token_type: String,
    pub user_id: i64,
    pub jti: String,
    pub iat: i64,
    pub exp: i64,
    pub ver: i32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fam: Option<String>,
}

pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    pub access_ttl: Duration,
    pub refresh_ttl: Duration,
}

impl TokenKeys {
    pub fn new(secret: &str, access_minutes: i64, refresh_days: i64) -> Self {
        // A key of its own, so a leak of one derived secret exposes nothing else.
        let key = hmac_sha256(secret.as_bytes(), b"fitcore/jwt/v1");
        let mut validation = Validation::new(Algorithm::HS256);
        // Expiry is checked against the application clock below.
        validation.validate_exp = false;
        validation.required_spec_claims = HashSet::new();
        validation.validate_aud = false;
        Self {
            encoding: EncodingKey::from_secret(&key),
            decoding: DecodingKey::from_secret(&key),
            validation,
            access_ttl: Duration::minutes(access_minutes),
            refresh_ttl: Duration::days(refresh_days),
        }
    }

    pub fn claims(
        &self,
        token_type: &str,
        user_id: i64,
        ver: i32,
        fam: Option<String>,
        now: DateTime<Utc>,
    ) -> Claims {
        let ttl = if token_type == ACCESS {
            self.access_ttl
        } else {
            self.refresh_ttl
        };
        Claims {
            token_type: token_type.to_string(),
            user_id,
            jti: uuid::Uuid::new_v4().simple().to_string(),
            iat: now.timestamp(),
            exp: (now + ttl).timestamp(),
            ver,
            fam,
        }
    }

    pub fn sign(&self, claims: &Claims) -> Result<String, AppError> {
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &self.encoding)
            .map_err(AppError::internal)
    }

    /// Verifies signature, type and expiry.
    pub fn decode(
        &self,
        token: &str,
        expected_type: &str,
        now: DateTime<Utc>,
    ) -> Result<Claims, AppError> {
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map_err(|_| AppError::unauthorized("token_invalid", "Token is invalid."))?;
        let claims = data.claims;
        if claims.token_type != expected_type {
            return Err(AppError::unauthorized(
                "token_invalid",
                "Token has wrong type.",
            ));
        }
        if claims.exp <= now.timestamp() {
            return Err(AppError::unauthorized(
                "token_expired",
                "Token has expired.",
            ));
        }
        Ok(claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_and_check_type_and_expiry() {
        let keys = TokenKeys::new("a-secret-of-at-least-thirty-two-bytes!!", 30, 7);
        let now = Utc::now();
        let c = keys.claims(ACCESS, 7, 0, None, now);
        let t = keys.sign(&c).unwrap_or_default();
        assert_eq!(keys.decode(&t, ACCESS, now).ok(), Some(c));
        assert!(keys.decode(&t, REFRESH, now).is_err());
        let late = keys.decode(&t, ACCESS, now + Duration::minutes(31));
        assert!(matches!(
            late,
            Err(AppError::Problem {
                code: "token_expired",
                ..
            })
        ));
    }

    #[test]
    fn a_token_from_another_key_is_refused() {
        let a = TokenKeys::new("first-secret-first-secret-first-secret", 30, 7);
        let b = TokenKeys::new("other-secret-other-secret-other-secret", 30, 7);
        let now = Utc::now();
        let t = a
            .sign(&a.claims(ACCESS, 1, 0, None, now))
            .unwrap_or_default();
        assert!(matches!(
            b.decode(&t, ACCESS, now),
            Err(AppError::Problem {
                code: "token_invalid",
                ..
            })
        ));
    }
}
