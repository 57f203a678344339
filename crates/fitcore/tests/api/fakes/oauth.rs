//! A local JWKS server standing in for Google's and Apple's key endpoints,
//! and ID tokens minted with the test-only keys in `../fixtures/`.

#![allow(dead_code)]

use axum::{Router, http::header, routing::get};
use chrono::{DateTime, Duration, Utc};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

pub const GOOGLE_CLIENT_ID: &str = "fitcore-test-web.apps.googleusercontent.com";
pub const APPLE_CLIENT_ID: &str = "com.fitcore.test.app";
pub const GOOGLE_ISSUER: &str = "https://accounts.google.com";
pub const APPLE_ISSUER: &str = "https://appleid.apple.com";
pub const RSA_KID: &str = "fitcore-test-rsa";
pub const EC_KID: &str = "fitcore-test-ec";

const RSA_PEM: &[u8] = include_bytes!("../fixtures/oauth_test_rsa.pem");
const EC_PEM: &[u8] = include_bytes!("../fixtures/oauth_test_ec.pem");
const OTHER_RSA_PEM: &[u8] = include_bytes!("../fixtures/oauth_test_rsa_other.pem");
const JWKS: &str = include_str!("../fixtures/oauth_test_jwks.json");

/// Serves `{"keys": [...]}` (the RSA and the EC key) at
/// `/google/oauth2/v3/certs` and `/apple/auth/keys`.
pub struct FakeJwks {
    pub base: String,
    task: tokio::task::JoinHandle<()>,
}

impl FakeJwks {
    pub async fn start() -> Self {
        async fn keys() -> impl axum::response::IntoResponse {
            (
                [
                    (header::CONTENT_TYPE, "application/json"),
                    (header::CACHE_CONTROL, "public, max-age=3600"),
                ],
                JWKS,
            )
        }
        let router = Router::new()
            .route("/google/oauth2/v3/certs", get(keys))
            .route("/apple/auth/keys", get(keys));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind fake JWKS");
        let addr = listener.local_addr().expect("fake JWKS address");
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        Self {
            base: format!("http://{addr}"),
            task,
        }
    }

    pub fn google_jwks_url(&self) -> String {
        format!("{}/google/oauth2/v3/certs", self.base)
    }

    pub fn apple_jwks_url(&self) -> String {
        format!("{}/apple/auth/keys", self.base)
    }
}

impl Drop for FakeJwks {
    fn drop(&mut self) {
        self.task.abort();
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SigningKey {
    /// The published RSA key (RS256).
    Rsa,
    /// The published EC P-256 key (ES256).
    Ec,
    /// An RSA key that no JWKS publishes.
    UnpublishedRsa,
}

/// The claims and header of one ID token; change any field, then `sign()`.
#[derive(Clone, Debug)]
pub struct IdToken {
    pub iss: String,
    pub aud: String,
    pub sub: String,
    pub email: Option<String>,
    /// Google sends a JSON boolean; Apple the string `"true"`.
    pub email_verified: Value,
    pub iat: i64,
    pub exp: i64,
    pub nonce: Option<String>,
    pub kid: String,
    pub key: SigningKey,
}

impl IdToken {
    /// A Google ID token, RS256, verified e-mail, valid for an hour from `now`.
    pub fn google(now: DateTime<Utc>, sub: &str, email: &str) -> Self {
        Self {
            iss: GOOGLE_ISSUER.into(),
            aud: GOOGLE_CLIENT_ID.into(),
            sub: sub.into(),
            email: Some(email.into()),
            email_verified: Value::Bool(true),
            iat: now.timestamp(),
            exp: (now + Duration::hours(1)).timestamp(),
            nonce: None,
            kid: RSA_KID.into(),
            key: SigningKey::Rsa,
        }
    }

    /// An Apple ID token, ES256, `email_verified: "true"`, valid for an hour.
    pub fn apple(now: DateTime<Utc>, sub: &str, email: &str) -> Self {
        Self {
            iss: APPLE_ISSUER.into(),
            aud: APPLE_CLIENT_ID.into(),
            sub: sub.into(),
            email: Some(email.into()),
            email_verified: Value::String("true".into()),
            iat: now.timestamp(),
            exp: (now + Duration::hours(1)).timestamp(),
            nonce: None,
            kid: EC_KID.into(),
            key: SigningKey::Ec,
        }
    }

    pub fn unverified_email(mut self) -> Self {
        self.email_verified = match self.email_verified {
            Value::String(_) => Value::String("false".into()),
            _ => Value::Bool(false),
        };
        self
    }

    pub fn claims(&self) -> Value {
        let mut claims = json!({
            "iss": self.iss,
            "aud": self.aud,
            "sub": self.sub,
            "email_verified": self.email_verified,
            "iat": self.iat,
            "exp": self.exp,
        });
        if let Some(email) = &self.email {
            claims["email"] = json!(email);
        }
        if let Some(nonce) = &self.nonce {
            claims["nonce"] = json!(nonce);
        }
        if self.iss == GOOGLE_ISSUER {
            claims["azp"] = json!(self.aud);
        }
        claims
    }

    pub fn sign(&self) -> String {
        let (alg, key) = match self.key {
            SigningKey::Rsa => (Algorithm::RS256, EncodingKey::from_rsa_pem(RSA_PEM)),
            SigningKey::Ec => (Algorithm::ES256, EncodingKey::from_ec_pem(EC_PEM)),
            SigningKey::UnpublishedRsa => {
                (Algorithm::RS256, EncodingKey::from_rsa_pem(OTHER_RSA_PEM))
            }
        };
        let key = key.expect("test key PEM");
        let mut header = Header::new(alg);
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, &self.claims(), &key).expect("sign ID token")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jsonwebtoken::{DecodingKey, Validation, jwk::JwkSet};

    /// The published JWKS really holds the public halves of the fixture keys.
    #[tokio::test]
    async fn minted_tokens_verify_against_the_served_jwks() {
        let jwks = FakeJwks::start().await;
        let set: JwkSet = reqwest::get(jwks.google_jwks_url())
            .await
            .expect("GET JWKS")
            .json()
            .await
            .expect("JWKS JSON");
        let now = Utc::now();
        for (token, alg, aud, iss) in [
            (
                IdToken::google(now, "s1", "a@example.com"),
                Algorithm::RS256,
                GOOGLE_CLIENT_ID,
                GOOGLE_ISSUER,
            ),
            (
                IdToken::apple(now, "s2", "b@example.com"),
                Algorithm::ES256,
                APPLE_CLIENT_ID,
                APPLE_ISSUER,
            ),
        ] {
            let jwk = set.find(&token.kid).expect("kid is published");
            let key = DecodingKey::from_jwk(jwk).expect("decoding key from JWK");
            let mut validation = Validation::new(alg);
            validation.set_audience(&[aud]);
            validation.set_issuer(&[iss]);
            let data =
                jsonwebtoken::decode::<Value>(&token.sign(), &key, &validation).expect("verifies");
            assert_eq!(data.claims["sub"], json!(token.sub));
        }
        let mut other = IdToken::google(now, "s3", "c@example.com");
        other.key = SigningKey::UnpublishedRsa;
        let key = DecodingKey::from_jwk(set.find(RSA_KID).expect("rsa")).expect("key");
        let mut validation = Validation::new(Algorithm::RS256);
        validation.set_audience(&[GOOGLE_CLIENT_ID]);
        assert!(jsonwebtoken::decode::<Value>(&other.sign(), &key, &validation).is_err());
    }
}
