//! `auth/` endpoints.

use crate::{
    accounts::{cookies, dto::*, oauth, recovery, service, twofactor, verification},
    app::AppState,
    error::{AppError, AppResult, ErrorBody},
    extract::{AppJson, AuthUser, optional_json},
};
use axum::{
    body::Bytes,
    extract::State,
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
};

/// Applies the per-address limit of `auth/login|register|password-reset`.
async fn limit_email(state: &AppState, what: &str, email: &str) -> AppResult<()> {
    let key = format!("auth:{what}:email:{}", service::normalize_email(email));
    let d = state
        .rate_limiter
        .hit(&key, state.config.rate_limit_auth_per_min, state.now())
        .await;
    if d.allowed {
        Ok(())
    } else {
        Err(AppError::RateLimited {
            retry_after: d.reset.max(1),
        })
    }
}

fn with_cookies(
    state: &AppState,
    status: StatusCode,
    body: impl serde::Serialize,
    access: &str,
    refresh: &str,
) -> Response {
    let mut res = (status, axum::Json(body)).into_response();
    cookies::set_auth(
        res.headers_mut(),
        access,
        refresh,
        state.tokens.access_ttl.num_seconds(),
        state.tokens.refresh_ttl.num_seconds(),
        state.config.is_production(),
    );
    res
}

/// Creates an account and signs it in. A verification e-mail is sent.
#[utoipa::path(post, path = "/auth/register/", tag = "auth", request_body = RegisterRequest,
    responses(
        (status = 201, body = AuthResponse),
        (status = 400, body = ErrorBody, description = "Invalid e-mail, weak password, bad names"),
        (status = 409, body = ErrorBody, description = "`email_taken`"),
        (status = 429, body = ErrorBody),
    ))]
pub async fn register(
    State(state): State<AppState>,
    AppJson(req): AppJson<RegisterRequest>,
) -> AppResult<Response> {
    limit_email(&state, "register", &req.email).await?;
    let (u, t) = service::register(&state, req).await?;
    let user = service::user_response(&state, &u).await?;
    Ok(with_cookies(
        &state,
        StatusCode::CREATED,
        AuthResponse {
            user,
            access: t.access.clone(),
            refresh: t.refresh.clone(),
        },
        &t.access,
        &t.refresh,
    ))
}

/// Signs in with e-mail and password (and a one-time code when 2FA is on).
#[utoipa::path(post, path = "/auth/login/", tag = "auth", request_body = LoginRequest,
    responses(
        (status = 200, body = AuthResponse),
        (status = 401, body = ErrorBody, description = "`invalid_credentials` or `otp_required`"),
        (status = 429, body = ErrorBody),
    ))]
pub async fn login(
    State(state): State<AppState>,
    AppJson(req): AppJson<LoginRequest>,
) -> AppResult<Response> {
    limit_email(&state, "login", &req.email).await?;
    let (u, t) = service::login(&state, &req.email, req.password, req.otp).await?;
    let user = service::user_response(&state, &u).await?;
    Ok(with_cookies(
        &state,
        StatusCode::OK,
        AuthResponse {
            user,
            access: t.access.clone(),
            refresh: t.refresh.clone(),
        },
        &t.access,
        &t.refresh,
    ))
}

fn refresh_from(headers: &HeaderMap, body: &[u8]) -> AppResult<String> {
    let req: Option<RefreshRequest> = optional_json(headers, body)?;
    req.map(|r| r.refresh)
        .or_else(|| cookies::read(headers, cookies::REFRESH_COOKIE))
        .filter(|t| !t.is_empty())
        .ok_or_else(|| crate::error::FieldErrors::single("refresh", "This field is required."))
}

/// Rotates a refresh token (from the body or the refresh cookie).
#[utoipa::path(post, path = "/auth/refresh/", tag = "auth", request_body(content = Option<RefreshRequest>),
    responses(
        (status = 200, body = TokenPair),
        (status = 401, body = ErrorBody, description = "`token_invalid`, `token_expired` or `token_blacklisted` (a replay revokes the whole login)"),
    ))]
pub async fn refresh(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> AppResult<Response> {
    let token = refresh_from(&headers, &body)?;
    let t = service::refresh(&state, &token).await?;
    Ok(with_cookies(
        &state,
        StatusCode::OK,
        TokenPair {
            access: t.access.clone(),
            refresh: t.refresh.clone(),
        },
        &t.access,
        &t.refresh,
    ))
}

/// Blacklists the refresh token and clears the cookies.
#[utoipa::path(post, path = "/auth/logout/", tag = "auth", request_body(content = Option<RefreshRequest>),
    responses((status = 204), (status = 401, body = ErrorBody)), security(("bearer" = [])))]
pub async fn logout(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    headers: HeaderMap,
    body: Bytes,
) -> AppResult<Response> {
    let token = refresh_from(&headers, &body)?;
    service::logout(&state, user.id, &token).await?;
    let mut res = StatusCode::NO_CONTENT.into_response();
    cookies::clear_auth(res.headers_mut(), state.config.is_production());
    Ok(res)
}

/// Mails a password reset link when the address has an account; always 202.
#[utoipa::path(post, path = "/auth/password-reset/", tag = "auth", request_body = EmailRequest,
    responses((status = 202), (status = 400, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn password_reset(
    State(state): State<AppState>,
    AppJson(req): AppJson<EmailRequest>,
) -> AppResult<StatusCode> {
    if !service::is_valid_email(req.email.trim()) {
        return Err(crate::error::FieldErrors::single(
            "email",
            "Enter a valid email address.",
        ));
    }
    limit_email(&state, "password-reset", &req.email).await?;
    recovery::request_reset(&state, &req.email).await?;
    Ok(StatusCode::ACCEPTED)
}

/// Sets a new password from a reset link; every session of the user ends.
#[utoipa::path(post, path = "/auth/password-reset/confirm/", tag = "auth", request_body = PasswordResetConfirmRequest,
    responses((status = 204), (status = 400, body = ErrorBody, description = "Invalid or expired link, weak password")))]
pub async fn password_reset_confirm(
    State(state): State<AppState>,
    AppJson(req): AppJson<PasswordResetConfirmRequest>,
) -> AppResult<StatusCode> {
    recovery::confirm_reset(&state, &req.uid, &req.token, req.new_password).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Changes the password; earlier tokens stop working.
#[utoipa::path(post, path = "/auth/password-change/", tag = "auth", request_body = PasswordChangeRequest,
    responses((status = 204), (status = 400, body = ErrorBody, description = "`errors.old_password` or `errors.new_password`")),
    security(("bearer" = [])))]
pub async fn password_change(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    AppJson(req): AppJson<PasswordChangeRequest>,
) -> AppResult<StatusCode> {
    recovery::change_password(&state, user, req.old_password, req.new_password).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Confirms an e-mail address with the key from the mailed link.
#[utoipa::path(post, path = "/auth/verify-email/", tag = "auth", request_body = VerifyEmailRequest,
    responses((status = 204), (status = 400, body = ErrorBody)))]
pub async fn verify_email(
    State(state): State<AppState>,
    AppJson(req): AppJson<VerifyEmailRequest>,
) -> AppResult<StatusCode> {
    verification::verify(&state, &req.key).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Sends the verification e-mail again (nothing when already verified).
#[utoipa::path(post, path = "/auth/verify-email/resend/", tag = "auth",
    responses((status = 202), (status = 401, body = ErrorBody)), security(("bearer" = [])))]
pub async fn resend_verification(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
) -> AppResult<StatusCode> {
    verification::resend(&state, &user).await?;
    Ok(StatusCode::ACCEPTED)
}

async fn oauth_sign_in(
    state: AppState,
    provider: oauth::Provider,
    req: OAuthRequest,
) -> AppResult<Response> {
    let (u, t, created) = oauth::sign_in(&state, provider, req).await?;
    let user = service::user_response(&state, &u).await?;
    let body = OAuthResponse {
        user,
        access: t.access.clone(),
        refresh: t.refresh.clone(),
        created,
    };
    Ok(with_cookies(
        &state,
        StatusCode::OK,
        body,
        &t.access,
        &t.refresh,
    ))
}

/// Signs in with a Google ID token.
#[utoipa::path(post, path = "/auth/oauth/google/", tag = "auth", request_body = OAuthRequest,
    responses((status = 200, body = OAuthResponse), (status = 401, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn oauth_google(
    State(state): State<AppState>,
    AppJson(req): AppJson<OAuthRequest>,
) -> AppResult<Response> {
    oauth_sign_in(state, oauth::Provider::Google, req).await
}

/// Signs in with an Apple ID token.
#[utoipa::path(post, path = "/auth/oauth/apple/", tag = "auth", request_body = OAuthRequest,
    responses((status = 200, body = OAuthResponse), (status = 401, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn oauth_apple(
    State(state): State<AppState>,
    AppJson(req): AppJson<OAuthRequest>,
) -> AppResult<Response> {
    oauth_sign_in(state, oauth::Provider::Apple, req).await
}

/// Starts TOTP setup: a new secret for an authenticator app.
#[utoipa::path(post, path = "/auth/2fa/setup/", tag = "auth",
    responses((status = 200, body = TwoFactorSetupResponse), (status = 409, body = ErrorBody)), security(("bearer" = [])))]
pub async fn twofa_setup(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
) -> AppResult<AppJson<TwoFactorSetupResponse>> {
    let (secret, otpauth_url) = twofactor::setup(&state, user).await?;
    Ok(AppJson(TwoFactorSetupResponse {
        secret,
        otpauth_url,
    }))
}

/// Turns 2FA on with a first code; returns one-time recovery codes.
#[utoipa::path(post, path = "/auth/2fa/confirm/", tag = "auth", request_body = OtpRequest,
    responses((status = 200, body = RecoveryCodesResponse), (status = 400, body = ErrorBody)), security(("bearer" = [])))]
pub async fn twofa_confirm(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    AppJson(req): AppJson<OtpRequest>,
) -> AppResult<AppJson<RecoveryCodesResponse>> {
    let recovery_codes = twofactor::confirm(&state, user, &req.otp).await?;
    Ok(AppJson(RecoveryCodesResponse { recovery_codes }))
}

/// Turns 2FA off; needs the password and a code (or a recovery code).
#[utoipa::path(post, path = "/auth/2fa/disable/", tag = "auth", request_body = TwoFactorDisableRequest,
    responses((status = 204), (status = 400, body = ErrorBody, description = "`errors.password` or `errors.otp`")), security(("bearer" = [])))]
pub async fn twofa_disable(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    AppJson(req): AppJson<TwoFactorDisableRequest>,
) -> AppResult<StatusCode> {
    twofactor::disable(&state, user, req.password, &req.otp).await?;
    Ok(StatusCode::NO_CONTENT)
}
