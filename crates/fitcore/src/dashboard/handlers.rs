use super::{dto::DashboardResponse, service};
use crate::{
    app::AppState,
    error::AppResult,
    extract::{AppJson, AuthUser},
};
use axum::extract::State;

/// Today's numbers, workouts and unread notifications at a glance.
#[utoipa::path(get, path = "/users/dashboard/", tag = "users",
    responses((status = 200, body = DashboardResponse)), security(("bearer" = [])))]
pub async fn get_dashboard(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
) -> AppResult<AppJson<DashboardResponse>> {
    Ok(AppJson(service::dashboard(&state, &user).await?))
}
