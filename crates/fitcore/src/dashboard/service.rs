use super::dto::{DashboardResponse, Today, WorkoutsSummary};
use crate::{accounts, app::AppState, error::AppResult, notifications, payments};
use sea_orm::TransactionTrait;

pub async fn dashboard(
    state: &AppState,
    user: &accounts::entity::user::Model,
) -> AppResult<DashboardResponse> {
    let now = state.now();
    // Every part reads through one transaction: one consistent view, and one
    // connection for the eight statements instead of a pool round trip
    // (with sqlx's check of the returned connection) after each.
    let db = state.db.begin().await?;
    let profile = accounts::service::profile_of(&db, user.id).await?;
    let today = accounts::service::local_today(&profile.timezone, now);
    let nutrition = crate::nutrition::today::today(state, &db, &profile, today).await?;
    // One read of the profile and the subscription serves every part.
    let subscription = payments::subscription_response(&db, user.id, now).await?;
    let tz = profile.timezone.parse().unwrap_or(chrono_tz::UTC);
    let weight_kg = profile.weight_kg;
    let user_part =
        accounts::service::user_response_from(state, user, profile, subscription.has_active_access)
            .await;
    let stats = crate::workouts::stats_in(&db, user.id, tz, now).await?;
    let in_progress = crate::workouts::progress::in_progress(&db, user.id, 3).await?;
    let unread_notifications = notifications::unread_count(&db, user.id).await?;
    db.commit().await?;
    Ok(DashboardResponse {
        user: user_part,
        subscription,
        today: Today {
            date: today,
            calories_target: nutrition.calories_target,
            calories_logged: nutrition.calories_logged,
            calories_planned: nutrition.calories_planned,
            // Filled by the health context when it ships.
            steps: None,
            active_minutes: None,
            weight_kg,
        },
        workouts: WorkoutsSummary {
            in_progress,
            completed_total: u64::try_from(stats.completed_total).unwrap_or(0),
            streak_days: u32::try_from(stats.streak_days).unwrap_or(0),
        },
        unread_notifications,
        next_meals: nutrition.next_meals,
    })
}
