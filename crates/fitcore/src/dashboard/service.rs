//! The dashboard: one statement learns the caller's profile, subscription
//! and counts, and which other parts have anything to show; only those are
//! then read (today's meals, the running streak, workouts in progress).

use super::dto::{DashboardResponse, Today, WorkoutsSummary};
use crate::{
    accounts::{self, entity::profile},
    app::AppState,
    error::{AppError, AppResult},
    notifications::entity::notification,
    nutrition::entity::{food_log, meal_plan},
    payments::{self, entity::subscription},
    workouts::{
        dto::ProgressResponse,
        entity::{completion, progress},
        stats,
    },
};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, IdenStatic, Iterable, JoinType,
    QueryFilter, QuerySelect, QueryTrait, TransactionTrait,
    prelude::Expr,
    sea_query::{Func, SelectStatement},
};

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
    fn logged_on(&self, local_today: NaiveDate, utc_today: NaiveDate) -> f64 {
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

fn calories_logged(user_id: i64, date: NaiveDate) -> SelectStatement {
    food_log::Entity::find()
        .select_only()
        .expr(Func::coalesce([
            Func::sum(Expr::col(food_log::Column::Calories)).into(),
            Expr::val(0.0_f64),
        ]))
        .filter(food_log::Column::UserId.eq(user_id))
        .filter(food_log::Column::Date.eq(date))
        .into_query()
}

/// `Head` in one statement: the profile, its user's subscription (LEFT
/// JOIN, at most one by the unique key) and the rest as scalar subqueries,
/// each an index lookup.
async fn head<C: ConnectionTrait>(db: &C, user_id: i64, now: DateTime<Utc>) -> AppResult<Head> {
    let unread = notification::Entity::find()
        .select_only()
        .expr(Expr::cust("COUNT(*)"))
        .filter(notification::Column::UserId.eq(user_id))
        .filter(notification::Column::IsRead.eq(false))
        .into_query();
    let completed_total = completion::Entity::find()
        .select_only()
        .expr(Expr::cust("COUNT(*)"))
        .filter(completion::Column::UserId.eq(user_id))
        .into_query();
    let recent_completion = completion::Entity::find()
        .select_only()
        .expr(Expr::val(1))
        .filter(completion::Column::UserId.eq(user_id))
        .filter(completion::Column::CompletedAt.gte(now - Duration::hours(50)))
        .into_query();
    let in_progress = progress::Entity::find()
        .select_only()
        .expr(Expr::val(1))
        .filter(progress::Column::UserId.eq(user_id))
        .filter(progress::Column::CompletedAt.is_null())
        .into_query();
    let utc_today = now.date_naive();
    let (first, last) = crate::nutrition::today::plan_starts(utc_today);
    let plans_near = meal_plan::Entity::find()
        .select_only()
        .expr(Expr::val(1))
        .filter(meal_plan::Column::OwnerId.eq(user_id))
        .filter(meal_plan::Column::StartDate.gte(first - Duration::days(1)))
        .filter(meal_plan::Column::StartDate.lte(last + Duration::days(1)))
        .into_query();
    let mut select = profile::Entity::find()
        .filter(profile::Column::UserId.eq(user_id))
        .join(
            JoinType::LeftJoin,
            profile::Entity::belongs_to(subscription::Entity)
                .from(profile::Column::UserId)
                .to(subscription::Column::UserId)
                .into(),
        )
        .column_as(Expr::from(unread), "unread")
        .column_as(
            Expr::from(calories_logged(user_id, utc_today - Duration::days(1))),
            "logged_before",
        )
        .column_as(Expr::from(calories_logged(user_id, utc_today)), "logged_on")
        .column_as(
            Expr::from(calories_logged(user_id, utc_today + Duration::days(1))),
            "logged_after",
        )
        .column_as(Expr::from(completed_total), "completed_total")
        .column_as(Expr::exists(recent_completion), "recent_completion")
        .column_as(Expr::exists(in_progress), "in_progress")
        .column_as(Expr::exists(plans_near), "plans_near");
    for col in subscription::Column::iter() {
        select = select.column_as(col, format!("sub_{}", col.as_str()));
    }
    select
        .into_model::<Head>()
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
    let logged = head.logged_on(today, now.date_naive());
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
