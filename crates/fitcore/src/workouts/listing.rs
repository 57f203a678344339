//! Pages of the catalogue: filters, search, ordering and page numbers. A
//! page is one statement when the order of its filter is remembered
//! (`order_cache`), else two: the page's ids with the total, then those
//! rows with their category and the caller's favorite and progress.

use super::{
    access::Viewer,
    catalogue::{
        MarkedRow, Marks, WorkoutRow, marks_of, rows, with_caller_marks, without_caller_marks,
        workout_response,
    },
    dto::*,
    entity::{category, workout},
};
use crate::{
    accounts::dto::FitnessGoal,
    app::AppState,
    error::{AppResult, FieldErrors},
    platform::pagination::{OrderTerm, PageParams, QueryMap, ordering},
};
use sea_orm::{
    ColumnTrait, EntityTrait, FromQueryResult, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, QueryTrait,
    prelude::Expr,
    sea_query::{ExprTrait, Func},
};
use std::collections::HashMap;

/// A page's workout id with the total count of matches.
#[derive(Debug, Clone, FromQueryResult)]
struct PageId {
    id: i64,
    total_count: i64,
}

fn escape_like(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

/// A page of matching ids and the total, from the database.
async fn page_ids(
    state: &AppState,
    cond: sea_orm::Condition,
    ordered: impl Fn(sea_orm::Select<workout::Entity>) -> sea_orm::Select<workout::Entity>,
    p: PageParams,
) -> AppResult<(Vec<i64>, u64)> {
    let total = workout::Entity::find()
        .select_only()
        .expr(Expr::cust("COUNT(*)"))
        .filter(cond.clone())
        .into_query();
    let rows: Vec<PageId> = ordered(
        workout::Entity::find()
            .select_only()
            .column(workout::Column::Id)
            .column_as(Expr::from(total), "total_count")
            .filter(cond.clone()),
    )
    .offset(p.offset())
    .limit(p.page_size)
    .into_model::<PageId>()
    .all(&state.db)
    .await?;
    let count = match rows.first() {
        Some(r) => u64::try_from(r.total_count).unwrap_or(0),
        None if p.offset() == 0 => 0,
        // Past the last page: the total still has to be told.
        None => {
            workout::Entity::find()
                .filter(cond)
                .count(&state.db)
                .await?
        }
    };
    Ok((rows.into_iter().map(|r| r.id).collect(), count))
}

/// `?category=&difficulty=&goal=&is_premium=&search=&ordering=` with page
/// numbers; unknown values are 400.
pub async fn list_workouts(
    state: &AppState,
    viewer: Viewer,
    q: &QueryMap,
    p: PageParams,
) -> AppResult<(Vec<WorkoutResponse>, u64)> {
    q.only(&[
        "category",
        "difficulty",
        "goal",
        "is_premium",
        "search",
        "ordering",
        "page",
        "page_size",
    ])?;
    // Filters touch workout columns only, so the count needs no join.
    let mut cond = sea_orm::Condition::all();
    // The normalized filters, naming the remembered order (see order_cache).
    let mut key = String::new();
    if let Some(c) = q.get("category").filter(|s| !s.is_empty()) {
        let found = match c.parse::<i64>() {
            Ok(id) => category::Entity::find_by_id(id).one(&state.db).await?,
            Err(_) => {
                category::Entity::find()
                    .filter(category::Column::Slug.eq(c))
                    .one(&state.db)
                    .await?
            }
        };
        let found = found.ok_or_else(|| FieldErrors::single("category", "No such category."))?;
        cond = cond.add(workout::Column::CategoryId.eq(found.id));
        key.push_str(&format!("c={};", found.id));
    }
    if let Some(d) = q.get("difficulty").filter(|s| !s.is_empty()) {
        let d: Difficulty =
            serde_json::from_value(serde_json::Value::String(d.into())).map_err(|_| {
                FieldErrors::single("difficulty", "Use beginner, intermediate or advanced.")
            })?;
        cond = cond.add(workout::Column::Difficulty.eq(d.as_str()));
        key.push_str(&format!("d={};", d.as_str()));
    }
    if let Some(g) = q.get("goal").filter(|s| !s.is_empty()) {
        let goal: FitnessGoal = serde_json::from_value(serde_json::Value::String(g.into()))
            .map_err(|_| FieldErrors::single("goal", "Not a fitness goal."))?;
        let quoted = serde_json::to_string(&goal).unwrap_or_default();
        cond = cond.add(workout::Column::Goals.like(format!("%{quoted}%")));
        key.push_str(&format!("g={quoted};"));
    }
    if let Some(b) = q.bool("is_premium")? {
        cond = cond.add(workout::Column::IsPremium.eq(b));
        key.push_str(&format!("p={b};"));
    }
    let search = q.get("search").map(str::trim).filter(|s| !s.is_empty());
    if let Some(s) = search {
        let pattern = format!("%{}%", escape_like(&s.to_lowercase()));
        let like = |col: workout::Column| {
            Expr::expr(Func::lower(Expr::col((workout::Entity, col))))
                .like(sea_orm::sea_query::LikeExpr::new(pattern.clone()).escape('\\'))
        };
        cond = cond.add(
            sea_orm::Condition::any()
                .add(like(workout::Column::Title))
                .add(like(workout::Column::Description)),
        );
    }
    let terms = ordering(q, &["title", "created_at", "duration_minutes"])?;
    let terms = if terms.is_empty() {
        vec![OrderTerm {
            field: "created_at",
            descending: true,
        }]
    } else {
        terms
    };
    let ordered = |mut select: sea_orm::Select<workout::Entity>| {
        for t in &terms {
            let col = match t.field {
                "title" => workout::Column::Title,
                "duration_minutes" => workout::Column::DurationMinutes,
                _ => workout::Column::CreatedAt,
            };
            select = if t.descending {
                select.order_by_desc(col)
            } else {
                select.order_by_asc(col)
            };
        }
        if terms.first().is_some_and(|t| t.descending) {
            select.order_by_desc(workout::Column::Id)
        } else {
            select.order_by_asc(workout::Column::Id)
        }
    };
    for t in &terms {
        key.push_str(&format!(
            "o={}{};",
            if t.descending { "-" } else { "" },
            t.field
        ));
    }
    // The page's ids and the total: from the remembered order when there is
    // one, else from the database, which walks the workouts alone (an
    // index-only scan however deep the page) with the total as a scalar
    // subquery it runs once. Then only the page's rows are joined to their
    // category and the caller's marks. (One statement with `id IN (page
    // subquery)` made PostgreSQL's cached generic plan hash-join the whole
    // table.)
    let remembered = if search.is_some() {
        None
    } else {
        match state.workout_order.get(&key) {
            Some(ids) => Some(ids),
            None => {
                let all: Vec<i64> = ordered(
                    workout::Entity::find()
                        .select_only()
                        .column(workout::Column::Id)
                        .filter(cond.clone()),
                )
                .limit(super::order_cache::MAX_IDS as u64 + 1)
                .into_tuple()
                .all(&state.db)
                .await?;
                (all.len() <= super::order_cache::MAX_IDS).then(|| {
                    let all = std::sync::Arc::new(all);
                    state.workout_order.put(key, all.clone());
                    all
                })
            }
        }
    };
    let (ids, count): (Vec<i64>, u64) = match remembered {
        Some(all) => (
            all.iter()
                .skip(usize::try_from(p.offset()).unwrap_or(usize::MAX))
                .take(usize::try_from(p.page_size).unwrap_or(100))
                .copied()
                .collect(),
            all.len() as u64,
        ),
        None => page_ids(state, cond, ordered, p).await?,
    };
    // The rows from the catalogue in memory and the caller's marks from
    // the database; or both from one statement when the catalogue is not
    // in memory.
    let page: Vec<(WorkoutRow, Marks)> = if ids.is_empty() {
        Vec::new()
    } else if let Some(entries) = state.catalogue.entries(&state.db, &ids).await? {
        let mut marks = marks_of(state, viewer, &ids).await?;
        entries
            .into_iter()
            .map(|e| {
                let m = marks.remove(&e.row.id).unwrap_or_else(Marks::none);
                (e.row.clone(), m)
            })
            .collect()
    } else {
        let select = rows().filter(workout::Column::Id.is_in(ids.clone()));
        let select = match viewer.user_id() {
            Some(uid) => with_caller_marks(select, uid),
            None => without_caller_marks(select),
        };
        let mut page: Vec<MarkedRow> = select.into_model::<MarkedRow>().all(&state.db).await?;
        let position: HashMap<i64, usize> =
            ids.iter().enumerate().map(|(i, id)| (*id, i)).collect();
        page.sort_by_key(|r| position.get(&r.workout.id).copied().unwrap_or(usize::MAX));
        page.into_iter().map(|r| (r.workout, r.marks)).collect()
    };
    let results = page
        .into_iter()
        .map(|(row, marks)| {
            let progress = marks.progress();
            let favorite = marks.favorite_id.is_some();
            let mut w = workout_response(state, row, viewer, favorite, None);
            w.progress = progress;
            w
        })
        .collect();
    Ok((results, count))
}
