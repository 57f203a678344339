//! Verification of Stripe's `Stripe-Signature` header: HMAC-SHA256 of
//! `"{t}.{raw body}"` with the endpoint secret, compared in constant time
//! against every `v1` value (Stripe sends one per active secret while a
//! secret is rolled), and `t` within the tolerance of now.

use crate::platform::crypto::{constant_time_eq, hmac_sha256};
use chrono::{DateTime, Utc};

pub const TOLERANCE_SECS: i64 = 300;

#[derive(Debug, PartialEq, Eq)]
pub enum SignatureError {
    /// The header is missing or not `t=...,v1=...`.
    Malformed,
    /// No `v1` matches the body.
    Mismatch,
    /// `t` is too far from now.
    Stale,
}

pub fn verify(
    header: Option<&str>,
    body: &[u8],
    secret: &str,
    now: DateTime<Utc>,
) -> Result<i64, SignatureError> {
    let header = header.ok_or(SignatureError::Malformed)?;
    let mut timestamp: Option<i64> = None;
    let mut signatures: Vec<Vec<u8>> = Vec::new();
    for part in header.split(',') {
        let Some((k, v)) = part.trim().split_once('=') else {
            continue;
        };
        match k {
            "t" => timestamp = v.parse().ok(),
            "v1" => {
                if let Ok(sig) = hex::decode(v) {
                    signatures.push(sig);
                }
            }
            _ => {}
        }
    }
    let t = timestamp.ok_or(SignatureError::Malformed)?;
    if signatures.is_empty() {
        return Err(SignatureError::Malformed);
    }
    let mut signed = t.to_string().into_bytes();
    signed.push(b'.');
    signed.extend_from_slice(body);
    let expected = hmac_sha256(secret.as_bytes(), &signed);
    // Check every candidate so timing does not say which one matched.
    let matched = signatures
        .iter()
        .fold(false, |ok, sig| constant_time_eq(sig, &expected) | ok);
    if !matched {
        return Err(SignatureError::Mismatch);
    }
    if (now.timestamp() - t).abs() > TOLERANCE_SECS {
        return Err(SignatureError::Stale);
    }
    Ok(t)
}

/// The header Stripe would send for `body` at `t` (tests and fakes).
pub fn sign(body: &[u8], secret: &str, t: i64) -> String {
    let mut signed = t.to_string().into_bytes();
    signed.push(b'.');
    signed.extend_from_slice(body);
    format!(
        "t={t},v1={}",
        hex::encode(hmac_sha256(secret.as_bytes(), &signed))
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "whsec_test_secret";
    const BODY: &[u8] = br#"{"id":"evt_1","type":"invoice.paid"}"#;

    #[test]
    fn a_correct_signature_verifies() {
        let now = Utc::now();
        let h = sign(BODY, SECRET, now.timestamp());
        assert_eq!(verify(Some(&h), BODY, SECRET, now), Ok(now.timestamp()));
    }

    #[test]
    fn any_of_several_v1_values_may_match_so_secrets_can_roll() {
        let now = Utc::now();
        let good = sign(BODY, SECRET, now.timestamp());
        let old = sign(BODY, "whsec_old", now.timestamp());
        let old_v1 = old.split("v1=").nth(1).unwrap_or_default();
        let h = format!("{good},v1={old_v1}");
        assert!(verify(Some(&h), BODY, SECRET, now).is_ok());
        let h = format!(
            "t={},v1={old_v1},{}",
            now.timestamp(),
            good.split(',').nth(1).unwrap_or_default()
        );
        assert!(verify(Some(&h), BODY, SECRET, now).is_ok());
    }

    #[test]
    fn a_changed_body_or_another_secret_does_not_verify() {
        let now = Utc::now();
        let h = sign(BODY, SECRET, now.timestamp());
        assert_eq!(
            verify(Some(&h), b"{\"id\":\"evt_2\"}", SECRET, now),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify(Some(&h), BODY, "whsec_other", now),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn a_signature_older_than_five_minutes_is_stale() {
        let now = Utc::now();
        let h = sign(BODY, SECRET, now.timestamp() - 301);
        assert_eq!(
            verify(Some(&h), BODY, SECRET, now),
            Err(SignatureError::Stale)
        );
        let h = sign(BODY, SECRET, now.timestamp() - 299);
        assert!(verify(Some(&h), BODY, SECRET, now).is_ok());
    }

    #[test]
    fn malformed_headers_are_refused() {
        let now = Utc::now();
        for h in [
            "",
            "nonsense",
            "t=abc,v1=00",
            "t=123",
            "v1=deadbeef",
            "t=1,v0=aa",
        ] {
            assert_eq!(
                verify(Some(h), BODY, SECRET, now),
                Err(SignatureError::Malformed),
                "{h}"
            );
        }
        assert_eq!(
            verify(None, BODY, SECRET, now),
            Err(SignatureError::Malformed)
        );
    }
}
