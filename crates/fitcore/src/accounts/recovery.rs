//! Password reset by mailed link, and password change.
//!
//! Reset tokens are stateless, as Django's: an HMAC over the user's id,
//! password hash, auth version and the time it was made. Setting a new
//! password changes the hash, so a link works once; it expires after an hour.

use super::{entity::user, password, service};
use crate::{
    app::AppState,
    error::{AppError, AppResult, FieldErrors},
    platform::{crypto, mail},
};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{DateTime, Utc};
use sea_orm::{EntityTrait, TransactionTrait};

const VALID_SECS: i64 = 3600;

fn mac(secret: &str, u: &user::Model, ts: i64) -> String {
    let msg = format!(
        "{}|{}|{}|{}",
        u.id,
        u.password_hash.as_deref().unwrap_or(""),
        u.auth_version,
        ts
    );
    let key = crypto::hmac_sha256(secret.as_bytes(), b"fitcore/password-reset/v1");
    hex::encode(&crypto::hmac_sha256(&key, msg.as_bytes())[..20])
}

pub fn make_token(secret: &str, u: &user::Model, now: DateTime<Utc>) -> (String, String) {
    let ts = now.timestamp();
    (
        URL_SAFE_NO_PAD.encode(u.id.to_string()),
        format!("{ts:x}-{}", mac(secret, u, ts)),
    )
}

fn check_token(secret: &str, u: &user::Model, token: &str, now: DateTime<Utc>) -> bool {
    let Some((ts, sig)) = token.split_once('-') else {
        return false;
    };
    let Ok(ts) = i64::from_str_radix(ts, 16) else {
        return false;
    };
    let age = now.timestamp() - ts;
    (0..=VALID_SECS).contains(&age)
        && crypto::constant_time_eq(sig.as_bytes(), mac(secret, u, ts).as_bytes())
}

/// Mails a reset link when the address belongs to an active user. The
/// caller answers 202 either way.
pub async fn request_reset(state: &AppState, email: &str) -> AppResult<()> {
    let Some(u) = service::find_by_email(&state.db, email)
        .await?
        .filter(|u| u.is_active)
    else {
        return Ok(());
    };
    let now = state.now();
    let (uid, token) = make_token(&state.secret, &u, now);
    let link = format!(
        "{}/reset-password?uid={uid}&token={token}",
        state.config.frontend_url.trim_end_matches('/')
    );
    let email = mail::action_email(
        &u.email,
        "Reset your FitCore password",
        "Hello,",
        &[
            "Someone asked to reset the password of your FitCore account. If it was you, use the link below within one hour.",
            "If it was not you, ignore this message: your password stays as it is.",
        ],
        Some(("Choose a new password", &link)),
    );
    mail::queue(&state.db, now, &email).await?;
    state.wake_workers();
    Ok(())
}

pub async fn confirm_reset(
    state: &AppState,
    uid: &str,
    token: &str,
    new_password: String,
) -> AppResult<()> {
    let invalid = || FieldErrors::single("token", "Invalid or expired password reset link.");
    let id: i64 = URL_SAFE_NO_PAD
        .decode(uid)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| FieldErrors::single("uid", "Invalid user id."))?;
    let now = state.now();
    let u = user::Entity::find_by_id(id)
        .one(&state.db)
        .await?
        .filter(|u| u.is_active)
        .ok_or_else(invalid)?;
    if !check_token(&state.secret, &u, token, now) {
        return Err(invalid());
    }
    let mut errors = FieldErrors::new();
    for m in password::policy_errors(&new_password, &u.email) {
        errors.add("new_password", m);
    }
    errors.into_result()?;
    let hash = password::hash_blocking(new_password)
        .await
        .map_err(AppError::internal)?;
    let txn = state.db.begin().await?;
    let user_id = u.id;
    service::set_password(&txn, u, hash, now).await?;
    txn.commit().await?;
    state.user_changed(user_id);
    Ok(())
}

pub async fn change_password(
    state: &AppState,
    u: user::Model,
    old: String,
    new: String,
) -> AppResult<()> {
    let ok = password::verify_blocking(old, u.password_hash.clone()).await;
    if ok == password::Verified::No {
        return Err(FieldErrors::single(
            "old_password",
            "Your old password was entered incorrectly.",
        ));
    }
    let mut errors = FieldErrors::new();
    for m in password::policy_errors(&new, &u.email) {
        errors.add("new_password", m);
    }
    errors.into_result()?;
    let hash = password::hash_blocking(new)
        .await
        .map_err(AppError::internal)?;
    let txn = state.db.begin().await?;
    let user_id = u.id;
    service::set_password(&txn, u, hash, state.now()).await?;
    txn.commit().await?;
    state.user_changed(user_id);
    Ok(())
}
