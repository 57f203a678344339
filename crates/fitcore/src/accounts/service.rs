//! Sign-up, sign-in and token rotation.

use super::{
    dto::{ProfileResponse, RegisterRequest, UserResponse},
    entity::{profile, refresh_token, user},
    password::{self, Verified},
    rotation,
    tokens::{ACCESS, REFRESH},
    twofactor, verification,
};
use crate::{
    app::AppState,
    error::{AppError, AppResult, FieldErrors},
};
use chrono::{DateTime, Datelike, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    TransactionTrait, sea_query::Expr,
};

pub const NAME_MAX: usize = 150;

pub fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}

/// A deliberately plain check: one `@`, a dotted domain, no spaces or
/// control characters, within RFC 5321's lengths.
pub fn is_valid_email(email: &str) -> bool {
    let Some((local, domain)) = email.rsplit_once('@') else {
        return false;
    };
    email.len() <= 254
        && !local.is_empty()
        && local.len() <= 64
        && !local.contains('@')
        && local
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(c))
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && domain.contains('.')
        && domain.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
}

pub fn check_name(errors: &mut FieldErrors, field: &str, value: &Option<String>) {
    if let Some(v) = value
        && v.chars().count() > NAME_MAX
    {
        errors.add(
            field,
            format!("Ensure this field has no more than {NAME_MAX} characters."),
        );
    }
}

pub async fn find_by_email<C: ConnectionTrait>(
    db: &C,
    email: &str,
) -> AppResult<Option<user::Model>> {
    Ok(user::Entity::find()
        .filter(user::Column::EmailNormalized.eq(normalize_email(email)))
        .one(db)
        .await?)
}

pub async fn profile_of<C: ConnectionTrait>(db: &C, user_id: i64) -> AppResult<profile::Model> {
    profile::Entity::find()
        .filter(profile::Column::UserId.eq(user_id))
        .one(db)
        .await?
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("user {user_id} has no profile")))
}

pub fn age_on(birth: chrono::NaiveDate, today: chrono::NaiveDate) -> u32 {
    let mut age = today.year() - birth.year();
    if (today.month(), today.day()) < (birth.month(), birth.day()) {
        age -= 1;
    }
    age.max(0) as u32
}

pub fn local_today(tz: &str, now: DateTime<Utc>) -> chrono::NaiveDate {
    tz.parse::<chrono_tz::Tz>()
        .map(|tz| now.with_timezone(&tz).date_naive())
        .unwrap_or_else(|_| now.date_naive())
}

pub async fn profile_response(state: &AppState, p: profile::Model) -> ProfileResponse {
    let image = match &p.profile_image {
        Some(key) => state.storage.url(key).await.ok(),
        None => None,
    };
    let today = local_today(&p.timezone, state.now());
    ProfileResponse {
        age: p.birth_date.map(|b| age_on(b, today)),
        birth_date: p.birth_date,
        weight_kg: p.weight_kg,
        height_cm: p.height_cm,
        gender: p.gender,
        fitness_goal: p.fitness_goal,
        activity_level: p.activity_level,
        dietary_preferences: p.dietary_preferences,
        allergies: p.allergies,
        profile_image: image,
        timezone: p.timezone,
        units: p.units,
    }
}

pub async fn user_response(state: &AppState, u: &user::Model) -> AppResult<UserResponse> {
    let p = profile_of(&state.db, u.id).await?;
    let access = crate::payments::has_active_access(&state.db, u.id, state.now()).await?;
    Ok(user_response_from(state, u, p, access).await)
}

/// The user as the API shows it, from a profile and access already read.
pub async fn user_response_from(
    state: &AppState,
    u: &user::Model,
    p: profile::Model,
    access: bool,
) -> UserResponse {
    UserResponse {
        id: u.id,
        email: u.email.clone(),
        first_name: u.first_name.clone(),
        last_name: u.last_name.clone(),
        is_email_verified: u.is_email_verified,
        is_staff: u.is_staff,
        date_joined: u.date_joined,
        has_active_access: access,
        two_factor_enabled: u.totp_enabled,
        profile: profile_response(state, p).await,
    }
}

pub struct IssuedTokens {
    pub access: String,
    pub refresh: String,
}

/// Issues an access token and a refresh token; `parent` continues a login's
/// family, `None` starts a new login.
pub async fn issue_tokens<C: ConnectionTrait>(
    state: &AppState,
    conn: &C,
    u: &user::Model,
    parent: Option<&refresh_token::Model>,
) -> AppResult<IssuedTokens> {
    let now = state.now();
    let family = parent
        .map(|p| p.family_id.clone())
        .unwrap_or_else(|| uuid::Uuid::new_v4().simple().to_string());
    let access = state.tokens.claims(ACCESS, u.id, u.auth_version, None, now);
    let refresh = state
        .tokens
        .claims(REFRESH, u.id, u.auth_version, Some(family.clone()), now);
    refresh_token::ActiveModel {
        jti: Set(refresh.jti.clone()),
        user_id: Set(u.id),
        family_id: Set(family),
        parent_jti: Set(parent.map(|p| p.jti.clone())),
        expires_at: Set(now + state.tokens.refresh_ttl),
        rotated_at: Set(None),
        revoked_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    Ok(IssuedTokens {
        access: state.tokens.sign(&access)?,
        refresh: state.tokens.sign(&refresh)?,
    })
}

/// Creates a user and its profile in one transaction.
pub async fn create_user<C: ConnectionTrait>(
    conn: &C,
    now: DateTime<Utc>,
    email: &str,
    password_hash: Option<String>,
    first_name: String,
    last_name: String,
    verified: bool,
) -> AppResult<user::Model> {
    let inserted = user::ActiveModel {
        email: Set(email.trim().to_string()),
        email_normalized: Set(normalize_email(email)),
        password_hash: Set(password_hash),
        first_name: Set(first_name),
        last_name: Set(last_name),
        is_active: Set(true),
        is_staff: Set(false),
        is_superuser: Set(false),
        is_email_verified: Set(verified),
        date_joined: Set(now),
        last_login: Set(None),
        auth_version: Set(0),
        totp_secret: Set(None),
        totp_enabled: Set(false),
        totp_last_step: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(conn)
    .await;
    let u = match inserted {
        Ok(u) => u,
        Err(e) if crate::platform::db::is_unique_violation(&e) => {
            return Err(AppError::conflict(
                "email_taken",
                "A user with that email already exists.",
            ));
        }
        Err(e) => return Err(e.into()),
    };
    profile::ActiveModel {
        user_id: Set(u.id),
        gender: Set("unspecified".into()),
        fitness_goal: Set("general_fitness".into()),
        activity_level: Set("moderate".into()),
        dietary_preferences: Set(serde_json::json!([])),
        allergies: Set(serde_json::json!([])),
        timezone: Set("UTC".into()),
        units: Set("metric".into()),
        language: Set("en".into()),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    Ok(u)
}

pub async fn register(
    state: &AppState,
    req: RegisterRequest,
) -> AppResult<(user::Model, IssuedTokens)> {
    let mut errors = FieldErrors::new();
    let email = req.email.trim().to_string();
    if !is_valid_email(&email) {
        errors.add("email", "Enter a valid email address.");
    }
    for msg in password::policy_errors(&req.password, &email) {
        errors.add("password", msg);
    }
    check_name(&mut errors, "first_name", &req.first_name);
    check_name(&mut errors, "last_name", &req.last_name);
    errors.into_result()?;
    if find_by_email(&state.db, &email).await?.is_some() {
        return Err(AppError::conflict(
            "email_taken",
            "A user with that email already exists.",
        ));
    }
    let hash = password::hash_blocking(req.password)
        .await
        .map_err(AppError::internal)?;
    let now = state.now();
    let txn = state.db.begin().await?;
    let u = create_user(
        &txn,
        now,
        &email,
        Some(hash),
        req.first_name.unwrap_or_default(),
        req.last_name.unwrap_or_default(),
        false,
    )
    .await?;
    verification::send_verification(state, &txn, &u).await?;
    let tokens = issue_tokens(state, &txn, &u, None).await?;
    let u = touch_login(&txn, u, now).await?;
    txn.commit().await?;
    state.wake_workers();
    Ok((u, tokens))
}

async fn touch_login<C: ConnectionTrait>(
    conn: &C,
    u: user::Model,
    now: DateTime<Utc>,
) -> AppResult<user::Model> {
    let mut am: user::ActiveModel = u.into();
    am.last_login = Set(Some(now));
    Ok(am.update(conn).await?)
}

fn invalid_credentials() -> AppError {
    AppError::unauthorized(
        "invalid_credentials",
        "Unable to log in with the provided credentials.",
    )
}

pub async fn login(
    state: &AppState,
    email: &str,
    password_in: String,
    otp: Option<String>,
) -> AppResult<(user::Model, IssuedTokens)> {
    let found = find_by_email(&state.db, email).await?;
    // Unknown e-mails verify against a dummy hash: same time, same answer.
    let stored = found.as_ref().and_then(|u| u.password_hash.clone());
    let verified = password::verify_blocking(password_in.clone(), stored).await;
    let u = match (found, verified) {
        (Some(u), Verified::Yes | Verified::YesUpgrade) if u.is_active => (u, verified),
        _ => return Err(invalid_credentials()),
    };
    let (mut u, verified) = u;
    if u.totp_enabled {
        let code = otp.filter(|c| !c.trim().is_empty()).ok_or_else(|| {
            AppError::unauthorized(
                "otp_required",
                "Two-factor authentication is on: send `otp`.",
            )
        })?;
        u = twofactor::consume_code(state, u, &code)
            .await?
            .ok_or_else(invalid_credentials)?;
    }
    let now = state.now();
    let txn = state.db.begin().await?;
    if verified == Verified::YesUpgrade {
        let hash = password::hash_blocking(password_in)
            .await
            .map_err(AppError::internal)?;
        let mut am: user::ActiveModel = u.clone().into();
        am.password_hash = Set(Some(hash));
        am.updated_at = Set(now);
        u = am.update(&txn).await?;
    }
    let tokens = issue_tokens(state, &txn, &u, None).await?;
    let u = touch_login(&txn, u, now).await?;
    txn.commit().await?;
    state.user_changed(u.id);
    Ok((u, tokens))
}

/// Rotates a refresh token. A token presented after it was rotated means
/// it leaked: the whole family is revoked.
pub async fn refresh(state: &AppState, token: &str) -> AppResult<IssuedTokens> {
    let now = state.now();
    let claims = state.tokens.decode(token, REFRESH, now)?;
    let family = claims
        .fam
        .clone()
        .ok_or_else(|| AppError::unauthorized("token_invalid", "Token is invalid."))?;
    // The new pair descends from the old token's claims; the database
    // decides whether the rotation may happen.
    let access = state
        .tokens
        .claims(ACCESS, claims.user_id, claims.ver, None, now);
    let next = state
        .tokens
        .claims(REFRESH, claims.user_id, claims.ver, Some(family), now);
    let expires_at = now + state.tokens.refresh_ttl;
    match rotation::rotate(&state.db, &claims, &next, expires_at, now).await? {
        rotation::Outcome::Rotated => Ok(IssuedTokens {
            access: state.tokens.sign(&access)?,
            refresh: state.tokens.sign(&next)?,
        }),
        rotation::Outcome::UserRefused => Err(AppError::unauthorized(
            "token_invalid",
            "User not found, inactive, or token revoked.",
        )),
        rotation::Outcome::Unknown => {
            Err(AppError::unauthorized("token_invalid", "Token is invalid."))
        }
        rotation::Outcome::Replayed { family, user_id } => {
            revoke_family(&state.db, &family, now).await?;
            tracing::warn!(user_id, family = %family, "rotated refresh token replayed; family revoked");
            Err(AppError::unauthorized(
                "token_blacklisted",
                "Token is blacklisted.",
            ))
        }
        rotation::Outcome::Revoked => Err(AppError::unauthorized(
            "token_blacklisted",
            "Token is blacklisted.",
        )),
    }
}

/// Marks every live refresh token matching `which` revoked.
async fn revoke_where<C: ConnectionTrait>(
    conn: &C,
    which: sea_orm::Condition,
    now: DateTime<Utc>,
) -> AppResult<()> {
    refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::RevokedAt, Expr::value(now))
        .col_expr(refresh_token::Column::UpdatedAt, Expr::value(now))
        .filter(which)
        .filter(refresh_token::Column::RevokedAt.is_null())
        .exec(conn)
        .await?;
    Ok(())
}

async fn revoke_family<C: ConnectionTrait>(
    conn: &C,
    family: &str,
    now: DateTime<Utc>,
) -> AppResult<()> {
    revoke_where(
        conn,
        sea_orm::Condition::all().add(refresh_token::Column::FamilyId.eq(family)),
        now,
    )
    .await
}

/// Revokes every refresh token of a user (password change, reset, deactivation).
pub async fn revoke_all<C: ConnectionTrait>(
    conn: &C,
    user_id: i64,
    now: DateTime<Utc>,
) -> AppResult<()> {
    revoke_where(
        conn,
        sea_orm::Condition::all().add(refresh_token::Column::UserId.eq(user_id)),
        now,
    )
    .await
}

/// Blacklists one refresh token of `user_id` (logout).
pub async fn logout(state: &AppState, user_id: i64, token: &str) -> AppResult<()> {
    let now = state.now();
    let claims = state.tokens.decode(token, REFRESH, now)?;
    if claims.user_id != user_id {
        return Err(AppError::unauthorized("token_invalid", "Token is invalid."));
    }
    revoke_where(
        &state.db,
        sea_orm::Condition::all().add(refresh_token::Column::Jti.eq(&claims.jti)),
        now,
    )
    .await
}

/// Sets a new password: old access tokens and every refresh token stop working.
pub async fn set_password<C: ConnectionTrait>(
    conn: &C,
    u: user::Model,
    hash: String,
    now: DateTime<Utc>,
) -> AppResult<user::Model> {
    let version = u.auth_version.wrapping_add(1);
    let id = u.id;
    let mut am: user::ActiveModel = u.into();
    am.password_hash = Set(Some(hash));
    am.auth_version = Set(version);
    am.updated_at = Set(now);
    let u = am.update(conn).await?;
    revoke_all(conn, id, now).await?;
    Ok(u)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_validation_accepts_ordinary_addresses_only() {
        for ok in [
            "ana@example.com",
            "a.b+tag@sub.example.co",
            "x_y@ex-ample.org",
        ] {
            assert!(is_valid_email(ok), "{ok}");
        }
        for bad in [
            "",
            "ana",
            "ana@",
            "@example.com",
            "ana@example",
            "a b@example.com",
            "ana@@example.com",
            "ana@exa mple.com",
            "ana@-x.com",
            "a..b@example.com",
        ] {
            assert!(!is_valid_email(bad), "{bad}");
        }
    }

    #[test]
    fn age_counts_whole_years() {
        let d = |y, m, dd| chrono::NaiveDate::from_ymd_opt(y, m, dd).unwrap_or_default();
        assert_eq!(age_on(d(2000, 6, 15), d(2026, 6, 14)), 25);
        assert_eq!(age_on(d(2000, 6, 15), d(2026, 6, 15)), 26);
    }
}
