//! E-mail verification: a random single-use key mailed as a link.

use super::entity::{email_verification, user};
use crate::{
    app::AppState,
    error::{AppResult, FieldErrors},
    platform::{crypto, mail},
};
use chrono::Duration;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    TransactionTrait,
};

const VALID_FOR: Duration = Duration::days(3);

/// Creates a key and queues the mail, inside the caller's transaction.
pub async fn send_verification<C: ConnectionTrait>(
    state: &AppState,
    conn: &C,
    u: &user::Model,
) -> AppResult<()> {
    let now = state.now();
    let key = crypto::random_token(32);
    email_verification::ActiveModel {
        user_id: Set(u.id),
        key_hash: Set(crypto::sha256_hex(&key)),
        email: Set(u.email_normalized.clone()),
        expires_at: Set(now + VALID_FOR),
        used_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    let link = format!(
        "{}/verify-email?key={key}",
        state.config.frontend_url.trim_end_matches('/')
    );
    let email = mail::action_email(
        &u.email,
        "Confirm your FitCore e-mail address",
        "Welcome to FitCore!",
        &["Please confirm that this is your e-mail address. The link is valid for 3 days."],
        Some(("Confirm e-mail address", &link)),
    );
    mail::queue(conn, now, &email).await?;
    Ok(())
}

pub async fn resend(state: &AppState, u: &user::Model) -> AppResult<()> {
    if u.is_email_verified {
        return Ok(());
    }
    let txn = state.db.begin().await?;
    send_verification(state, &txn, u).await?;
    txn.commit().await?;
    state.wake_workers();
    Ok(())
}

pub async fn verify(state: &AppState, key: &str) -> AppResult<()> {
    let now = state.now();
    let invalid = || FieldErrors::single("key", "Invalid or expired verification key.");
    let txn = state.db.begin().await?;
    let row = email_verification::Entity::find()
        .filter(email_verification::Column::KeyHash.eq(crypto::sha256_hex(key)))
        .one(&txn)
        .await?
        .filter(|r| r.used_at.is_none() && r.expires_at > now)
        .ok_or_else(invalid)?;
    let u = user::Entity::find_by_id(row.user_id)
        .one(&txn)
        .await?
        .ok_or_else(invalid)?;
    // A key mailed to an address the user has since changed proves nothing.
    if u.email_normalized != row.email {
        return Err(invalid());
    }
    let mut used: email_verification::ActiveModel = row.into();
    used.used_at = Set(Some(now));
    used.updated_at = Set(now);
    used.update(&txn).await?;
    let user_id = u.id;
    let mut am: user::ActiveModel = u.into();
    am.is_email_verified = Set(true);
    am.updated_at = Set(now);
    am.update(&txn).await?;
    txn.commit().await?;
    state.user_changed(user_id);
    Ok(())
}
