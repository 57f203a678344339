use super::dto::{DashboardResponse, Today, WorkoutsSummary};
use crate::{accounts, app::AppState, error::AppResult, notifications, payments};

pub async fn dashboard(
    state: &AppState,
    user: &accounts::entity::user::Model,
) -> AppResult<DashboardResponse> {
    let now = state.now();
    let profile = accounts::service::profile_of(&state.db, user.id).await?;
    let today = accounts::service::local_today(&profile.timezone, now);
    let nutrition = crate::nutrition::today::today(state, &profile, today).await?;
    // One read of the profile and the subscription serves every part.
    let subscription = payments::subscription_response(&state.db, user.id, now).await?;
    let tz = profile.timezone.parse().unwrap_or(chrono_tz::UTC);
    let weight_kg = profile.weight_kg;
    let user_part =
        accounts::service::user_response_from(state, user, profile, subscription.has_active_access)
            .await;
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
        workouts: {
            let stats = crate::workouts::stats_in(&state.db, user.id, tz, now).await?;
            WorkoutsSummary {
                in_progress: crate::workouts::progress::in_progress(&state.db, user.id, 3).await?,
                completed_total: u64::try_from(stats.completed_total).unwrap_or(0),
                streak_days: u32::try_from(stats.streak_days).unwrap_or(0),
            }
        },
        unread_notifications: notifications::unread_count(&state.db, user.id).await?,
        next_meals: nutrition.next_meals,
    })
}
