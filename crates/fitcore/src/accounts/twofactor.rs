//! TOTP two-factor authentication (RFC 6238: SHA-1, 6 digits, 30 s) with
//! single-use recovery codes. A code is accepted once: the step it belongs
//! to is remembered, so a code seen over someone's shoulder cannot be replayed.

use super::{
    entity::{recovery_code, user},
    password,
};
use crate::{
    app::AppState,
    error::{AppError, AppResult, FieldErrors},
    platform::crypto,
};
use rand::RngCore;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    TransactionTrait,
};
use totp_rs::{Algorithm, Secret, TOTP};

const STEP: u64 = 30;
const RECOVERY_CODES: usize = 10;

fn totp(secret_b32: &str, email: &str) -> AppResult<TOTP> {
    let bytes = Secret::Encoded(secret_b32.to_string())
        .to_bytes()
        .map_err(|e| AppError::internal(anyhow::anyhow!("{e:?}")))?;
    TOTP::new(
        Algorithm::SHA1,
        6,
        1,
        STEP,
        bytes,
        Some("FitCore".into()),
        email.replace(':', ""),
    )
    .map_err(|e| AppError::internal(anyhow::anyhow!("{e:?}")))
}

/// The step a code belongs to, if it matches now or one step either side.
fn matching_step(t: &TOTP, code: &str, now: i64) -> Option<i64> {
    let code = code.trim();
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let now = u64::try_from(now).ok()?;
    let current = now / STEP;
    [current.saturating_sub(1), current, current + 1]
        .into_iter()
        .find(|s| crypto::constant_time_eq(t.generate(s * STEP).as_bytes(), code.as_bytes()))
        .and_then(|s| i64::try_from(s).ok())
}

/// TOTP seeds are stored sealed with a key derived from SECRET_KEY, so a
/// copy of the database alone does not yield working codes.
fn seal(state: &AppState, secret: &str) -> AppResult<String> {
    crypto::SecretBox::new(&state.secret, "totp")
        .seal(secret)
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("could not seal the TOTP secret")))
}

fn open(state: &AppState, sealed: &str) -> Option<String> {
    crypto::SecretBox::new(&state.secret, "totp").open(sealed)
}

fn normalize_recovery(code: &str) -> String {
    code.trim().to_lowercase().replace([' ', '-'], "")
}

pub async fn setup(state: &AppState, u: user::Model) -> AppResult<(String, String)> {
    if u.totp_enabled {
        return Err(AppError::conflict(
            "conflict",
            "Two-factor authentication is already on; disable it first.",
        ));
    }
    let mut raw = [0u8; 20];
    rand::rng().fill_bytes(&mut raw);
    let Secret::Encoded(secret) = Secret::Raw(raw.to_vec()).to_encoded() else {
        return Err(AppError::internal(anyhow::anyhow!(
            "secret encoding failed"
        )));
    };
    let url = totp(&secret, &u.email)?.get_url();
    let mut am: user::ActiveModel = u.into();
    let sealed = seal(state, &secret)?;
    am.totp_secret = Set(Some(sealed));
    am.totp_last_step = Set(None);
    am.updated_at = Set(state.now());
    let u = am.update(&state.db).await?;
    state.user_changed(u.id);
    Ok((secret, url))
}

pub async fn confirm(state: &AppState, u: user::Model, code: &str) -> AppResult<Vec<String>> {
    if u.totp_enabled {
        return Err(AppError::conflict(
            "conflict",
            "Two-factor authentication is already on.",
        ));
    }
    let secret = u
        .totp_secret
        .as_deref()
        .and_then(|s| open(state, s))
        .ok_or_else(|| AppError::bad_request("validation_error", "Call auth/2fa/setup/ first."))?;
    let now = state.now();
    let step = matching_step(&totp(&secret, &u.email)?, code, now.timestamp())
        .ok_or_else(|| FieldErrors::single("otp", "Invalid code."))?;
    let codes: Vec<String> = (0..RECOVERY_CODES)
        .map(|_| {
            let mut b = [0u8; 5];
            rand::rng().fill_bytes(&mut b);
            let h = hex::encode(b);
            format!("{}-{}", &h[..5], &h[5..])
        })
        .collect();
    let txn = state.db.begin().await?;
    recovery_code::Entity::delete_many()
        .filter(recovery_code::Column::UserId.eq(u.id))
        .exec(&txn)
        .await?;
    for c in &codes {
        recovery_code::ActiveModel {
            user_id: Set(u.id),
            code_hash: Set(crypto::sha256_hex(normalize_recovery(c))),
            used_at: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
    }
    let mut am: user::ActiveModel = u.into();
    am.totp_enabled = Set(true);
    am.totp_last_step = Set(Some(step));
    am.updated_at = Set(now);
    let u = am.update(&txn).await?;
    txn.commit().await?;
    state.user_changed(u.id);
    Ok(codes)
}

/// Accepts a TOTP code or an unused recovery code, consuming it. Returns
/// the updated user, or None when the code is wrong.
pub async fn consume_code(
    state: &AppState,
    u: user::Model,
    code: &str,
) -> AppResult<Option<user::Model>> {
    let now = state.now();
    if let Some(secret) = u.totp_secret.as_deref().and_then(|s| open(state, s))
        && let Some(step) = matching_step(&totp(&secret, &u.email)?, code, now.timestamp())
    {
        if u.totp_last_step.is_some_and(|last| step <= last) {
            return Ok(None);
        }
        // Conditional update: of two requests with one code, one wins.
        let updated = user::Entity::update_many()
            .col_expr(
                user::Column::TotpLastStep,
                sea_orm::sea_query::Expr::value(step),
            )
            .filter(user::Column::Id.eq(u.id))
            .filter(
                sea_orm::Condition::any()
                    .add(user::Column::TotpLastStep.is_null())
                    .add(user::Column::TotpLastStep.lt(step)),
            )
            .exec(&state.db)
            .await?;
        if updated.rows_affected == 0 {
            return Ok(None);
        }
        state.user_changed(u.id);
        return Ok(user::Entity::find_by_id(u.id).one(&state.db).await?);
    }
    if use_recovery_code(&state.db, u.id, code, now).await? {
        return Ok(Some(u));
    }
    Ok(None)
}

async fn use_recovery_code<C: ConnectionTrait>(
    conn: &C,
    user_id: i64,
    code: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> AppResult<bool> {
    let hash = crypto::sha256_hex(normalize_recovery(code));
    let res = recovery_code::Entity::update_many()
        .col_expr(
            recovery_code::Column::UsedAt,
            sea_orm::sea_query::Expr::value(now),
        )
        .filter(recovery_code::Column::UserId.eq(user_id))
        .filter(recovery_code::Column::CodeHash.eq(hash))
        .filter(recovery_code::Column::UsedAt.is_null())
        .exec(conn)
        .await?;
    Ok(res.rows_affected > 0)
}

pub async fn disable(
    state: &AppState,
    u: user::Model,
    password_in: String,
    code: &str,
) -> AppResult<()> {
    if password::verify_blocking(password_in, u.password_hash.clone()).await
        == password::Verified::No
    {
        return Err(FieldErrors::single("password", "Incorrect password."));
    }
    if !u.totp_enabled {
        return Err(AppError::conflict(
            "conflict",
            "Two-factor authentication is not on.",
        ));
    }
    let id = u.id;
    let Some(u) = consume_code(state, u, code).await? else {
        return Err(FieldErrors::single("otp", "Invalid code."));
    };
    let txn = state.db.begin().await?;
    recovery_code::Entity::delete_many()
        .filter(recovery_code::Column::UserId.eq(id))
        .exec(&txn)
        .await?;
    let mut am: user::ActiveModel = u.into();
    am.totp_enabled = Set(false);
    am.totp_secret = Set(None);
    am.totp_last_step = Set(None);
    am.updated_at = Set(state.now());
    let u = am.update(&txn).await?;
    txn.commit().await?;
    state.user_changed(u.id);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_match_their_step_and_neighbours_only() {
        let t = match totp("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", "a@b.co") {
            Ok(t) => t,
            Err(e) => panic!("{e:?}"),
        };
        let now = 1_800_000_000;
        let code = t.generate(now as u64);
        assert_eq!(matching_step(&t, &code, now), Some(now / 30));
        assert_eq!(matching_step(&t, &code, now + 30), Some(now / 30));
        assert_eq!(matching_step(&t, &code, now + 90), None);
        assert_eq!(matching_step(&t, "12345", now), None);
        assert_eq!(matching_step(&t, "abcdef", now), None);
    }
}
