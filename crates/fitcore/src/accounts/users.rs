//! The `users/` side of accounts: the user, profile, settings, image,
//! export and deletion.

use super::{
    dto::{ProfilePatch, SettingsPatch, SettingsResponse, UserPatch},
    entity::{oauth_identity, profile, user},
    image, password,
    service::{self, check_name},
};
use crate::{
    app::AppState,
    error::{AppError, AppResult, FieldErrors},
};
use chrono::{Datelike, NaiveDate};
use erased::AsStr as _;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, TransactionTrait,
};
use serde_json::json;

/// Published after an account is deleted, for contexts that hold
/// something about it outside the database (the payment gateway).
#[derive(Debug, Clone)]
pub struct AccountDeleted {
    pub user_id: i64,
    pub email: String,
}

pub async fn update_user(
    state: &AppState,
    u: user::Model,
    patch: UserPatch,
) -> AppResult<user::Model> {
    let mut errors = FieldErrors::new();
    check_name(&mut errors, "first_name", &patch.first_name);
    check_name(&mut errors, "last_name", &patch.last_name);
    errors.into_result()?;
    let mut am: user::ActiveModel = u.into();
    if let Some(f) = patch.first_name {
        am.first_name = Set(f.trim().to_string());
    }
    if let Some(l) = patch.last_name {
        am.last_name = Set(l.trim().to_string());
    }
    am.updated_at = Set(state.now());
    let u = am.update(&state.db).await?;
    state.user_changed(u.id);
    Ok(u)
}

pub fn is_valid_timezone(tz: &str) -> bool {
    tz.parse::<chrono_tz::Tz>().is_ok()
}

pub async fn update_profile(
    state: &AppState,
    user_id: i64,
    patch: ProfilePatch,
) -> AppResult<profile::Model> {
    let p = service::profile_of(&state.db, user_id).await?;
    let mut errors = FieldErrors::new();
    let today = service::local_today(&p.timezone, state.now());
    if let Some(Some(b)) = patch.birth_date {
        let min = NaiveDate::from_ymd_opt(1900, 1, 1).unwrap_or(NaiveDate::MIN);
        let latest = today
            .with_year(today.year() - 13)
            .unwrap_or_else(|| today - chrono::Duration::days(13 * 365 + 3));
        if b < min || b > latest {
            errors.add(
                "birth_date",
                "Birth date must be between 1900-01-01 and 13 years ago.",
            );
        }
    }
    if let Some(Some(w)) = patch.weight_kg
        && !(20.0..=400.0).contains(&w)
    {
        errors.add("weight_kg", "Ensure this value is between 20 and 400.");
    }
    if let Some(Some(h)) = patch.height_cm
        && !(50.0..=272.0).contains(&h)
    {
        errors.add("height_cm", "Ensure this value is between 50 and 272.");
    }
    if let Some(a) = &patch.allergies {
        if a.len() > 50 {
            errors.add("allergies", "Ensure there are no more than 50 items.");
        }
        if a.iter()
            .any(|s| s.trim().is_empty() || s.chars().count() > 100)
        {
            errors.add("allergies", "Each allergy must be 1 to 100 characters.");
        }
    }
    if let Some(tz) = &patch.timezone
        && !is_valid_timezone(tz)
    {
        errors.add(
            "timezone",
            format!("\"{tz}\" is not a valid IANA time zone."),
        );
    }
    errors.into_result()?;

    let mut am: profile::ActiveModel = p.into();
    if let Some(v) = patch.birth_date {
        am.birth_date = Set(v);
    }
    if let Some(v) = patch.weight_kg {
        am.weight_kg = Set(v.map(|w| (w * 100.0).round() / 100.0));
    }
    if let Some(v) = patch.height_cm {
        am.height_cm = Set(v.map(|h| (h * 10.0).round() / 10.0));
    }
    if let Some(v) = patch.gender {
        am.gender = Set(v.as_str());
    }
    if let Some(v) = patch.fitness_goal {
        am.fitness_goal = Set(v.as_str());
    }
    if let Some(v) = patch.activity_level {
        am.activity_level = Set(v.as_str());
    }
    if let Some(mut v) = patch.dietary_preferences {
        v.sort();
        v.dedup();
        am.dietary_preferences = Set(json!(v));
    }
    if let Some(v) = patch.allergies {
        let mut v: Vec<String> = v.into_iter().map(|s| s.trim().to_string()).collect();
        v.dedup();
        am.allergies = Set(json!(v));
    }
    if let Some(v) = patch.timezone {
        am.timezone = Set(v);
    }
    if let Some(v) = patch.units {
        am.units = Set(v.as_str());
    }
    am.updated_at = Set(state.now());
    Ok(am.update(&state.db).await?)
}

/// The serde name of a unit-like enum value.
mod erased {
    pub trait AsStr {
        fn as_str(&self) -> String;
    }
    impl<T: serde::Serialize> AsStr for T {
        fn as_str(&self) -> String {
            serde_json::to_value(self)
                .ok()
                .and_then(|v| v.as_str().map(String::from))
                .unwrap_or_default()
        }
    }
}

pub fn settings_of(p: &profile::Model) -> SettingsResponse {
    SettingsResponse {
        reminder_time: p.reminder_time.clone(),
        timezone: p.timezone.clone(),
        units: p.units.clone(),
        language: p.language.clone(),
    }
}

fn valid_hhmm(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 5
        && b[2] == b':'
        && s[..2]
            .parse::<u8>()
            .is_ok_and(|h| h < 24 && b[0].is_ascii_digit() && b[1].is_ascii_digit())
        && s[3..]
            .parse::<u8>()
            .is_ok_and(|m| m < 60 && b[3].is_ascii_digit() && b[4].is_ascii_digit())
}

fn valid_language(s: &str) -> bool {
    let mut parts = s.split(['-', '_']);
    let primary = parts.next().unwrap_or("");
    (2..=3).contains(&primary.len())
        && primary.chars().all(|c| c.is_ascii_alphabetic())
        && parts.all(|p| (2..=8).contains(&p.len()) && p.chars().all(|c| c.is_ascii_alphanumeric()))
        && s.len() <= 35
}

pub async fn update_settings(
    state: &AppState,
    user_id: i64,
    patch: SettingsPatch,
) -> AppResult<profile::Model> {
    let p = service::profile_of(&state.db, user_id).await?;
    let mut errors = FieldErrors::new();
    if let Some(Some(t)) = &patch.reminder_time
        && !valid_hhmm(t)
    {
        errors.add("reminder_time", "Use 24-hour \"HH:MM\", e.g. \"07:30\".");
    }
    if let Some(tz) = &patch.timezone
        && !is_valid_timezone(tz)
    {
        errors.add(
            "timezone",
            format!("\"{tz}\" is not a valid IANA time zone."),
        );
    }
    if let Some(l) = &patch.language
        && !valid_language(l)
    {
        errors.add(
            "language",
            "Use a language tag such as \"en\" or \"pt-BR\".",
        );
    }
    errors.into_result()?;
    let mut am: profile::ActiveModel = p.into();
    if let Some(v) = patch.reminder_time {
        am.reminder_time = Set(v);
    }
    if let Some(v) = patch.timezone {
        am.timezone = Set(v);
    }
    if let Some(v) = patch.units {
        am.units = Set(v.as_str());
    }
    if let Some(v) = patch.language {
        am.language = Set(v);
    }
    am.updated_at = Set(state.now());
    Ok(am.update(&state.db).await?)
}

pub async fn set_profile_image(
    state: &AppState,
    user_id: i64,
    data: Vec<u8>,
) -> AppResult<profile::Model> {
    let processed = tokio::task::spawn_blocking(move || image::process(&data))
        .await
        .map_err(AppError::internal)??;
    let key = format!(
        "profile-images/{user_id}/{}.{}",
        crate::platform::crypto::random_token(12),
        processed.extension
    );
    state
        .storage
        .put(&key, processed.bytes.into())
        .await
        .map_err(AppError::internal)?;
    let p = service::profile_of(&state.db, user_id).await?;
    let old = p.profile_image.clone();
    let mut am: profile::ActiveModel = p.into();
    am.profile_image = Set(Some(key));
    am.updated_at = Set(state.now());
    let p = am.update(&state.db).await?;
    if let Some(old) = old
        && let Err(e) = state.storage.delete(&old).await
    {
        tracing::warn!(key = %old, error = %e, "could not delete the previous profile image");
    }
    Ok(p)
}

pub async fn delete_account(
    state: &AppState,
    u: user::Model,
    password_in: Option<String>,
) -> AppResult<()> {
    if u.password_hash.is_some() {
        let given = password_in.unwrap_or_default();
        if password::verify_blocking(given, u.password_hash.clone()).await == password::Verified::No
        {
            return Err(FieldErrors::single("password", "Incorrect password."));
        }
    }
    let p = service::profile_of(&state.db, u.id).await?;
    let txn = state.db.begin().await?;
    // Stop the billing with the account, in the same transaction.
    crate::payments::service::queue_gateway_cancellation(&txn, u.id, state.now()).await?;
    crate::nutrition::before_account_deletion(&txn, u.id).await?;
    // Transactions are kept for the ledger; their user_id becomes NULL.
    user::Entity::delete_by_id(u.id).exec(&txn).await?;
    txn.commit().await?;
    state.user_changed(u.id);
    if let Some(key) = p.profile_image
        && let Err(e) = state.storage.delete(&key).await
    {
        tracing::warn!(key = %key, error = %e, "could not delete a deleted user's profile image");
    }
    state.wake_workers();
    state
        .events
        .publish(AccountDeleted {
            user_id: u.id,
            email: u.email,
        })
        .await;
    Ok(())
}

pub async fn export(state: &AppState, u: &user::Model) -> AppResult<serde_json::Value> {
    let user = service::user_response(state, u).await?;
    let p = service::profile_of(&state.db, u.id).await?;
    let identities = oauth_identity::Entity::find()
        .filter(oauth_identity::Column::UserId.eq(u.id))
        .all(&state.db)
        .await?
        .into_iter()
        .map(|i| json!({"provider": i.provider, "email": i.email, "linked_at": i.created_at}))
        .collect::<Vec<_>>();
    let notifications: Vec<crate::notifications::dto::NotificationResponse> =
        crate::notifications::service::all_of(&state.db, u.id)
            .await?
            .into_iter()
            .map(Into::into)
            .collect();
    let subscription = crate::payments::subscription_response(&state.db, u.id, state.now()).await?;
    let transactions = crate::payments::service::transactions_of(&state.db, u.id).await?;
    let workouts = crate::workouts::progress::export_of(&state.db, u.id).await?;
    let favorites = crate::favorites::service::export_of(&state.db, u.id).await?;
    Ok(json!({
        "exported_at": state.now(),
        "user": user,
        "account": {
            "last_login": u.last_login,
            "two_factor_enabled": u.totp_enabled,
            "linked_sign_in": identities,
        },
        "settings": settings_of(&p),
        "subscription": subscription,
        "transactions": transactions,
        "notifications": notifications,
        "workouts": workouts,
        "favorites": favorites,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reminder_times_are_24_hour_hh_mm() {
        assert!(valid_hhmm("07:30") && valid_hhmm("23:59") && valid_hhmm("00:00"));
        for bad in ["25:00", "7:30", "07:60", "ab:cd", "07:3", "+7:30", "07-30"] {
            assert!(!valid_hhmm(bad), "{bad}");
        }
    }

    #[test]
    fn language_tags_are_checked() {
        assert!(valid_language("en") && valid_language("pt-BR") && valid_language("zh-Hant-TW"));
        assert!(!valid_language("english!") && !valid_language("") && !valid_language("e"));
    }
}
