//! The dashboard: one statement learns the caller's profile, subscription
//! and counts, and which other parts have anything to show; only those are
//! then read (today's meals, the running streak, workouts in progress).

use super::dto::{DashboardResponse, Today, WorkoutsSummary};
use crate::{
    accounts::{self, entity::profile},
    app::AppState,
    error::{AppError, AppResult},
    payments::{self, entity::subscription},
    workouts::{dto::ProgressResponse, stats},
};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use sea_orm::{
    ConnectionTrait, FromQueryResult, IdenStatic, Iterable, Statement, TransactionTrait,
};
use std::sync::OnceLock;

/// What the first statement reads.
#[derive(Debug, FromQueryResult)]
struct Head {
    #[sea_orm(nested)]
    profile: profile::Model,
    #[sea_orm(nested(prefix = "sub_"))]
    subscription: Option<subscription::Model>,
    unread: i64,
    /// Calories logged on the UTC dates before, of and after now: the
    /// caller's local today is one of them (offsets stay within ±14 h).
    logged_before: f64,
    logged_on: f64,
    logged_after: f64,
    completed_total: i64,
    /// A completion in the last 50 hours: a streak needs one today or
    /// yesterday (local time), so without one there is nothing to count.
    recent_completion: bool,
    in_progress: bool,
    /// A plan that may have meals in the next-meals window.
    plans_near: bool,
}

impl Head {
    fn logged_today(&self, local_today: NaiveDate, utc_today: NaiveDate) -> f64 {
        match (local_today - utc_today).num_days() {
            -1 => self.logged_before,
            1 => self.logged_after,
            _ => self.logged_on,
        }
    }

    /// Reads still to make after this one (runs in progress and the
    /// completions of a streak come in one).
    fn reads_left(&self) -> usize {
        usize::from(self.plans_near) + usize::from(self.recent_completion || self.in_progress)
    }
}

/// The head's SQL, the same on both databases (`$n` parameters: 1 the
/// user, 2–4 the UTC dates before, of and after now, 5 the streak cutoff,
/// 6–7 the first and last start dates of plans near). Built once: composing
/// it with the query builder on every request cost more than running it.
fn head_sql() -> &'static str {
    static SQL: OnceLock<String> = OnceLock::new();
    SQL.get_or_init(|| {
        let profile_cols: Vec<String> = profile::Column::iter()
            .map(|c| format!(r#"p."{}""#, c.as_str()))
            .collect();
        let sub_cols: Vec<String> = subscription::Column::iter()
            .map(|c| format!(r#"s."{0}" AS "sub_{0}""#, c.as_str()))
            .collect();
        let logged = |n: u8| {
            format!(
                r#"(SELECT COALESCE(SUM(calories), 0.0) FROM food_log WHERE user_id = $1 AND "date" = ${n})"#
            )
        };
        format!(
            r#"SELECT {profile}, {sub},
 (SELECT COUNT(*) FROM notifications WHERE user_id = $1 AND is_read = FALSE) AS unread,
 {before} AS logged_before, {on} AS logged_on, {after} AS logged_after,
 (SELECT COUNT(*) FROM workout_completions WHERE user_id = $1) AS completed_total,
 EXISTS (SELECT 1 FROM workout_completions WHERE user_id = $1 AND completed_at >= $5) AS recent_completion,
 EXISTS (SELECT 1 FROM workout_progress WHERE user_id = $1 AND completed_at IS NULL) AS in_progress,
 EXISTS (SELECT 1 FROM meal_plans WHERE owner_id = $1 AND start_date >= $6 AND start_date <= $7) AS plans_near
FROM profiles p LEFT JOIN subscriptions s ON s.user_id = p.user_id
WHERE p.user_id = $1"#,
            profile = profile_cols.join(", "),
            sub = sub_cols.join(", "),
            before = logged(2),
            on = logged(3),
            after = logged(4),
        )
    })
}

/// `Head` in one statement: the profile, its user's subscription (LEFT
/// JOIN, at most one by the unique key) and the rest as scalar subqueries,
/// each an index lookup.
async fn head<C: ConnectionTrait>(db: &C, user_id: i64, now: DateTime<Utc>) -> AppResult<Head> {
    let utc_today = now.date_naive();
    let (first, last) = crate::nutrition::today::plan_starts(utc_today);
    let day = Duration::days(1);
    let values: [sea_orm::Value; 7] = [
        user_id.into(),
        (utc_today - day).into(),
        utc_today.into(),
        (utc_today + day).into(),
        (now - Duration::hours(50)).into(),
        // The caller's local today may be a day off the UTC one.
        (first - day).into(),
        (last + day).into(),
    ];
    let stmt = Statement::from_sql_and_values(db.get_database_backend(), head_sql(), values);
    Head::find_by_statement(stmt)
        .one(db)
        .await?
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("user {user_id} has no profile")))
}

/// The parts read after the head, each only when the head says it has
/// something to show.
struct Rest {
    nutrition: crate::nutrition::today::Today,
    streak_days: i64,
    in_progress: Vec<ProgressResponse>,
}

async fn rest<C: ConnectionTrait>(
    state: &AppState,
    db: &C,
    head: &Head,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> AppResult<Rest> {
    let p = &head.profile;
    let logged = head.logged_today(today, now.date_naive());
    let nutrition =
        crate::nutrition::today::today(state, db, p, today, logged, head.plans_near).await?;
    let (in_progress, completions) = crate::workouts::summary::dashboard_part(
        db,
        p.user_id,
        3,
        head.in_progress,
        head.recent_completion,
    )
    .await?;
    let tz = p.timezone.parse().unwrap_or(chrono_tz::UTC);
    let streak_days = stats::streak_of(&completions, tz, now);
    Ok(Rest {
        nutrition,
        streak_days,
        in_progress,
    })
}

pub async fn dashboard(
    state: &AppState,
    user: &accounts::entity::user::Model,
) -> AppResult<DashboardResponse> {
    let now = state.now();
    let head = head(&state.db, user.id, now).await?;
    let today = accounts::service::local_today(&head.profile.timezone, now);
    // Two or more further reads share a transaction: one pooled connection
    // (sqlx checks each connection returned to the pool, a round trip) and
    // one view.
    let rest = if head.reads_left() >= 2 {
        let db = state.db.begin().await?;
        let rest = rest(state, &db, &head, today, now).await?;
        db.commit().await?;
        rest
    } else {
        rest(state, &state.db, &head, today, now).await?
    };
    let Head {
        profile,
        subscription,
        unread,
        completed_total,
        ..
    } = head;
    let subscription = payments::response_of(subscription, now);
    let weight_kg = profile.weight_kg;
    let user_part =
        accounts::service::user_response_from(state, user, profile, subscription.has_active_access)
            .await;
    let nutrition = rest.nutrition;
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
            in_progress: rest.in_progress,
            completed_total: u64::try_from(completed_total).unwrap_or(0),
            streak_days: u32::try_from(rest.streak_days).unwrap_or(0),
        },
        unread_notifications: u64::try_from(unread).unwrap_or(0),
        next_meals: nutrition.next_meals,
    })
}
