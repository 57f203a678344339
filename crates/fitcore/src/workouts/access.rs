//! Who may watch what (API.md, "Video access"), and the signed stream
//! tokens that carry a viewer to players that cannot send headers.

use crate::platform::crypto::{constant_time_eq, hmac_sha256};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{DateTime, Duration, Utc};

/// How long a `stream_url` works.
pub const STREAM_TOKEN_TTL: Duration = Duration::minutes(10);

/// The caller as the access rules see them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Viewer {
    Anonymous,
    User {
        id: i64,
        /// `has_active_access` now.
        subscribed: bool,
        staff: bool,
    },
}

impl Viewer {
    pub fn user_id(self) -> Option<i64> {
        match self {
            Viewer::Anonymous => None,
            Viewer::User { id, .. } => Some(id),
        }
    }

    /// Whether premium videos are open to this caller as far as known
    /// (a `subscribed: false` may still be unchecked).
    pub fn may_watch_premium(self) -> bool {
        matches!(self, Viewer::User { subscribed, staff, .. } if subscribed || staff)
    }
}

/// A free video is open to anyone; the other videos of a non-premium
/// workout need a signed-in user; those of a premium workout need an
/// active subscription. Staff, who manage the catalogue, see everything.
pub fn can_watch(video_is_free: bool, workout_is_premium: bool, viewer: Viewer) -> bool {
    if video_is_free {
        return true;
    }
    match viewer {
        Viewer::Anonymous => false,
        Viewer::User {
            subscribed, staff, ..
        } => !workout_is_premium || subscribed || staff,
    }
}

fn mac(secret: &str, video_id: i64, user_id: i64, expires: i64) -> Vec<u8> {
    hmac_sha256(
        secret.as_bytes(),
        format!("fitcore-stream|{video_id}|{user_id}|{expires}").as_bytes(),
    )
}

/// `{user}.{expires}.{mac}`; user 0 stands for an anonymous viewer.
pub fn stream_token(secret: &str, video_id: i64, viewer: Viewer, now: DateTime<Utc>) -> String {
    let user = viewer.user_id().unwrap_or(0);
    let expires = (now + STREAM_TOKEN_TTL).timestamp();
    let sig = URL_SAFE_NO_PAD.encode(mac(secret, video_id, user, expires));
    format!("{user}.{expires}.{sig}")
}

#[derive(Debug, PartialEq, Eq)]
pub enum TokenError {
    Invalid,
    Expired,
}

/// The user id (0: anonymous) a token was issued to, if it is genuine, for
/// this video, and not expired.
pub fn verify_stream_token(
    secret: &str,
    video_id: i64,
    token: &str,
    now: DateTime<Utc>,
) -> Result<i64, TokenError> {
    let mut parts = token.splitn(3, '.');
    let (Some(user), Some(expires), Some(sig)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(TokenError::Invalid);
    };
    let (Ok(user), Ok(expires)) = (user.parse::<i64>(), expires.parse::<i64>()) else {
        return Err(TokenError::Invalid);
    };
    let Ok(sig) = URL_SAFE_NO_PAD.decode(sig) else {
        return Err(TokenError::Invalid);
    };
    if !constant_time_eq(&sig, &mac(secret, video_id, user, expires)) {
        return Err(TokenError::Invalid);
    }
    if now.timestamp() >= expires {
        return Err(TokenError::Expired);
    }
    Ok(user)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "a-test-secret-of-reasonable-length-0123456789";

    fn user(id: i64, subscribed: bool, staff: bool) -> Viewer {
        Viewer::User {
            id,
            subscribed,
            staff,
        }
    }

    #[test]
    fn the_access_matrix_follows_the_contract() {
        let anon = Viewer::Anonymous;
        let free_user = user(1, false, false);
        let subscriber = user(2, true, false);
        let staff = user(3, false, true);
        // (video free, workout premium) -> [anon, user, subscriber, staff]
        let cases = [
            ((true, true), [true, true, true, true]),
            ((true, false), [true, true, true, true]),
            ((false, false), [false, true, true, true]),
            ((false, true), [false, false, true, true]),
        ];
        for ((free, premium), expected) in cases {
            let got = [anon, free_user, subscriber, staff].map(|v| can_watch(free, premium, v));
            assert_eq!(got, expected, "free={free} premium={premium}");
        }
    }

    #[test]
    fn a_token_verifies_for_its_video_and_user_until_it_expires() {
        let now = Utc::now();
        let t = stream_token(SECRET, 7, user(42, false, false), now);
        assert_eq!(verify_stream_token(SECRET, 7, &t, now), Ok(42));
        assert_eq!(
            verify_stream_token(SECRET, 8, &t, now),
            Err(TokenError::Invalid),
            "bound to the video"
        );
        assert_eq!(
            verify_stream_token(SECRET, 7, &t, now + STREAM_TOKEN_TTL),
            Err(TokenError::Expired)
        );
    }

    #[test]
    fn a_tampered_token_is_invalid() {
        let now = Utc::now();
        let t = stream_token(SECRET, 7, user(42, false, false), now);
        let other_user = t.replacen("42.", "43.", 1);
        let longer = {
            let mut p: Vec<&str> = t.split('.').collect();
            let later = (now + Duration::days(1)).timestamp().to_string();
            p[1] = &later;
            p.join(".")
        };
        for bad in [
            other_user.as_str(),
            longer.as_str(),
            "",
            "1.2",
            "x.y.z",
            "1.2.!!",
        ] {
            assert_eq!(
                verify_stream_token(SECRET, 7, bad, now),
                Err(TokenError::Invalid),
                "{bad}"
            );
        }
        assert_eq!(
            verify_stream_token("another-secret", 7, &t, now),
            Err(TokenError::Invalid)
        );
    }
}
