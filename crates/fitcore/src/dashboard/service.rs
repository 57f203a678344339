use super::dto::{DashboardResponse, Today, WorkoutsSummary};
use crate::{
    accounts::{self, entity::profile},
    app::AppState,
    error::{AppError, AppResult},
    notifications::entity::notification,
    payments::{self, entity::subscription},
};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, IdenStatic, Iterable, JoinType,
    QueryFilter, QuerySelect, QueryTrait, TransactionTrait, prelude::Expr,
};

/// The caller's profile, subscription and unread count.
#[derive(Debug, FromQueryResult)]
struct Head {
    #[sea_orm(nested)]
    profile: profile::Model,
    #[sea_orm(nested(prefix = "sub_"))]
    subscription: Option<subscription::Model>,
    unread: i64,
}

/// `Head` in one statement: the profile, its user's subscription (LEFT
/// JOIN, at most one by the unique key) and the unread count (a scalar
/// subquery).
async fn head<C: ConnectionTrait>(db: &C, user_id: i64) -> AppResult<Head> {
    let unread = notification::Entity::find()
        .select_only()
        .expr(Expr::cust("COUNT(*)"))
        .filter(notification::Column::UserId.eq(user_id))
        .filter(notification::Column::IsRead.eq(false))
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
        .column_as(Expr::from(unread), "unread");
    for col in subscription::Column::iter() {
        select = select.column_as(col, format!("sub_{}", col.as_str()));
    }
    select
        .into_model::<Head>()
        .one(db)
        .await?
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("user {user_id} has no profile")))
}

pub async fn dashboard(
    state: &AppState,
    user: &accounts::entity::user::Model,
) -> AppResult<DashboardResponse> {
    let now = state.now();
    // Every part reads through one transaction: one consistent view, and one
    // connection for the eight statements instead of a pool round trip
    // (with sqlx's check of the returned connection) after each.
    let db = state.db.begin().await?;
    // One read of the profile and the subscription serves every part.
    let Head {
        profile,
        subscription,
        unread,
    } = head(&db, user.id).await?;
    let subscription = payments::response_of(subscription, now);
    let today = accounts::service::local_today(&profile.timezone, now);
    let nutrition = crate::nutrition::today::today(state, &db, &profile, today).await?;
    let tz = profile.timezone.parse().unwrap_or(chrono_tz::UTC);
    let weight_kg = profile.weight_kg;
    let user_part =
        accounts::service::user_response_from(state, user, profile, subscription.has_active_access)
            .await;
    let stats = crate::workouts::stats_in(&db, user.id, tz, now).await?;
    let in_progress = crate::workouts::progress::in_progress(&db, user.id, 3).await?;
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
        unread_notifications: u64::try_from(unread).unwrap_or(0),
        next_meals: nutrition.next_meals,
    })
}
