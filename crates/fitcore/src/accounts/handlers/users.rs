//! `users/` endpoints (the dashboard lives in its own module).

use crate::{
    accounts::{dto::*, image, service, users},
    app::AppState,
    error::{AppError, AppResult, ErrorBody, FieldErrors},
    extract::{AppJson, AuthUser},
};
use axum::{
    body::Bytes,
    extract::{Multipart, State, multipart::MultipartRejection},
    http::{HeaderMap, StatusCode},
};

/// The signed-in user with profile.
#[utoipa::path(get, path = "/users/me/", tag = "users",
    responses((status = 200, body = UserResponse), (status = 401, body = ErrorBody)), security(("bearer" = [])))]
pub async fn get_me(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
) -> AppResult<AppJson<UserResponse>> {
    Ok(AppJson(service::user_response(&state, &user).await?))
}

/// Changes the user's names.
#[utoipa::path(patch, path = "/users/me/", tag = "users", request_body = UserPatch,
    responses((status = 200, body = UserResponse), (status = 400, body = ErrorBody)), security(("bearer" = [])))]
pub async fn update_me(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    AppJson(patch): AppJson<UserPatch>,
) -> AppResult<AppJson<UserResponse>> {
    let user = users::update_user(&state, user, patch).await?;
    Ok(AppJson(service::user_response(&state, &user).await?))
}

/// Deletes the account and its personal data; transactions are kept,
/// detached from the person. Accounts without a password (social sign-in
/// only) need no `password`.
#[utoipa::path(delete, path = "/users/me/", tag = "users", request_body = PasswordRequest,
    responses((status = 204), (status = 400, body = ErrorBody, description = "`errors.password`")), security(("bearer" = [])))]
pub async fn delete_me(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    headers: HeaderMap,
    body: Bytes,
) -> AppResult<StatusCode> {
    let req: Option<PasswordRequest> = crate::extract::optional_json(&headers, &body)?;
    users::delete_account(&state, user, req.and_then(|r| r.password)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Every record the server holds about the caller, as one document.
#[utoipa::path(get, path = "/users/me/export/", tag = "users",
    responses((status = 200, description = "JSON export", body = Object)), security(("bearer" = [])))]
pub async fn export_me(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
) -> AppResult<AppJson<serde_json::Value>> {
    Ok(AppJson(users::export(&state, &user).await?))
}

#[utoipa::path(get, path = "/users/profile/", tag = "users",
    responses((status = 200, body = ProfileResponse)), security(("bearer" = [])))]
pub async fn get_profile(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
) -> AppResult<AppJson<ProfileResponse>> {
    let p = service::profile_of(&state.db, user.id).await?;
    Ok(AppJson(service::profile_response(&state, p).await))
}

/// Updates the profile; values are checked against human ranges.
#[utoipa::path(patch, path = "/users/profile/", tag = "users", request_body = ProfilePatch,
    responses((status = 200, body = ProfileResponse), (status = 400, body = ErrorBody)), security(("bearer" = [])))]
pub async fn update_profile(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    AppJson(patch): AppJson<ProfilePatch>,
) -> AppResult<AppJson<ProfileResponse>> {
    let p = users::update_profile(&state, user.id, patch).await?;
    Ok(AppJson(service::profile_response(&state, p).await))
}

/// Uploads a profile image (multipart field `image`: JPEG, PNG or WebP,
/// at most 5 MB). It is decoded, resized to 512 px and re-encoded.
#[utoipa::path(put, path = "/users/profile/image/", tag = "users",
    request_body(content_type = "multipart/form-data", description = "field `image`"),
    responses((status = 200, body = ProfileImageResponse), (status = 400, body = ErrorBody), (status = 413, body = ErrorBody), (status = 415, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn upload_profile_image(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    multipart: Result<Multipart, MultipartRejection>,
) -> AppResult<AppJson<ProfileImageResponse>> {
    let mut multipart = multipart.map_err(|_| {
        AppError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "Send multipart/form-data with an `image` field.",
        )
    })?;
    let too_large = || {
        AppError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            "Images are limited to 5 MB.",
        )
    };
    let mut data: Option<Vec<u8>> = None;
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => return Err(too_large()),
            Err(_) => {
                return Err(AppError::bad_request(
                    "malformed_request",
                    "The multipart body could not be read.",
                ));
            }
        };
        if field.name() != Some("image") {
            continue;
        }
        let mut field = field;
        let mut buf = Vec::new();
        loop {
            match field.chunk().await {
                Ok(Some(chunk)) => {
                    if buf.len() + chunk.len() > image::MAX_BYTES {
                        return Err(too_large());
                    }
                    buf.extend_from_slice(&chunk);
                }
                Ok(None) => break,
                Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => return Err(too_large()),
                Err(_) => {
                    return Err(AppError::bad_request(
                        "malformed_request",
                        "The upload was cut short.",
                    ));
                }
            }
        }
        data = Some(buf);
    }
    let data = data.ok_or_else(|| FieldErrors::single("image", "No file was submitted."))?;
    let p = users::set_profile_image(&state, user.id, data).await?;
    let url = match &p.profile_image {
        Some(k) => Some(state.storage.url(k).await.map_err(AppError::internal)?),
        None => None,
    };
    Ok(AppJson(ProfileImageResponse { profile_image: url }))
}

#[utoipa::path(get, path = "/users/settings/", tag = "users",
    responses((status = 200, body = SettingsResponse)), security(("bearer" = [])))]
pub async fn get_settings(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
) -> AppResult<AppJson<SettingsResponse>> {
    let p = service::profile_of(&state.db, user.id).await?;
    Ok(AppJson(users::settings_of(&p)))
}

/// Updates settings; fields left out keep their values.
#[utoipa::path(patch, path = "/users/settings/", tag = "users", request_body = SettingsPatch,
    responses((status = 200, body = SettingsResponse), (status = 400, body = ErrorBody)), security(("bearer" = [])))]
pub async fn update_settings(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    AppJson(patch): AppJson<SettingsPatch>,
) -> AppResult<AppJson<SettingsResponse>> {
    let p = users::update_settings(&state, user.id, patch).await?;
    Ok(AppJson(users::settings_of(&p)))
}
