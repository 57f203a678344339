//! The dashboard's workouts part: the runs in progress (with titles) and
//! the completion times a running streak is counted from, read in one
//! statement when both are needed.

use super::{
    dto::ProgressResponse,
    entity::{completion, progress, workout},
    progress::response,
    stats::Completion,
};
use crate::error::AppResult;
use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, IdenStatic, Iterable, JoinType,
    QueryFilter, QueryOrder, QuerySelect, QueryTrait,
    sea_query::{Alias, Asterisk, Expr, Query, SelectStatement, UnionType},
};

/// A run in progress with its workout's title, or (every progress column
/// null) one completion time.
#[derive(Debug, FromQueryResult)]
struct Row {
    #[sea_orm(nested)]
    progress: Option<progress::Model>,
    w_title: Option<String>,
    c_at: Option<DateTime<Utc>>,
}

/// Up to `limit` runs started and not finished, most recent first, with
/// their workout's title.
fn in_progress_query(user_id: i64, limit: u64) -> SelectStatement {
    progress::Entity::find()
        .join(
            JoinType::InnerJoin,
            progress::Entity::belongs_to(workout::Entity)
                .from(progress::Column::WorkoutId)
                .to(workout::Column::Id)
                .into(),
        )
        .column_as(workout::Column::Title, "w_title")
        .filter(progress::Column::UserId.eq(user_id))
        .filter(progress::Column::CompletedAt.is_null())
        .order_by_desc(progress::Column::UpdatedAt)
        .order_by_desc(progress::Column::Id)
        .limit(limit)
        .into_query()
}

/// Every completion time of the user, as rows shaped like the runs (the
/// run columns null; SQL takes their types from the other branch).
fn completions_query(user_id: i64) -> SelectStatement {
    let mut q = Query::select();
    for col in progress::Column::iter() {
        q.expr_as(Expr::cust("NULL"), Alias::new(col.as_str()));
    }
    q.expr_as(Expr::cust("NULL"), "w_title")
        .expr_as(Expr::col(completion::Column::CompletedAt), "c_at")
        .from(completion::Entity)
        .and_where(completion::Column::UserId.eq(user_id));
    q
}

/// Runs in progress (when `runs`) and completion times (when
/// `completions`): one statement for either or both.
pub async fn dashboard_part<C: ConnectionTrait>(
    db: &C,
    user_id: i64,
    limit: u64,
    runs: bool,
    completions: bool,
) -> AppResult<(Vec<ProgressResponse>, Vec<Completion>)> {
    let query = match (runs, completions) {
        (false, false) => return Ok((Vec::new(), Vec::new())),
        (true, false) => {
            let mut q = Query::select();
            q.column(Asterisk)
                .expr_as(Expr::cust("NULL"), "c_at")
                .from_subquery(in_progress_query(user_id, limit), "p");
            q
        }
        (false, true) => completions_query(user_id),
        // SQLite wants ORDER BY and LIMIT of a compound's member in a
        // subquery; `c_at` stays outside it so PostgreSQL types it from
        // the completions' column.
        (true, true) => {
            let mut q = Query::select();
            q.column(Asterisk)
                .expr_as(Expr::cust("NULL"), "c_at")
                .from_subquery(in_progress_query(user_id, limit), "p")
                .union(UnionType::All, completions_query(user_id));
            q
        }
    };
    let stmt = db.get_database_backend().build(&query);
    let rows = Row::find_by_statement(stmt).all(db).await?;
    let mut runs_out = Vec::new();
    let mut completions_out = Vec::new();
    for r in rows {
        match (r.progress, r.c_at) {
            (Some(p), _) => runs_out.push(response(&p, r.w_title.as_deref().unwrap_or(""))),
            (None, Some(at)) => completions_out.push(Completion {
                at,
                duration_minutes: 0,
            }),
            (None, None) => {}
        }
    }
    Ok((runs_out, completions_out))
}
