//! Finished plan details, as JSON, kept in memory. A full week's plan is
//! ~36 KB built from ~140 rows, and is read far more often than changed.
//!
//! An entry is served only while the plan's `revision` and the public food
//! snapshot it was built from are still current. The revision is bumped in
//! the same transaction as every change the detail shows (the plan, its
//! scheduled meals, those meals, their items, the users' own foods in them;
//! the `touch_*` functions below), and public foods come from the snapshot
//! (rebuilt, with a new version, after any change to one). So a cached
//! detail costs one primary-key read, and a change made through any
//! instance shows at once in every other.
//!
//! Why it is never stale: the revision is read before the data. A change
//! committed between the two reads may end up in an entry recorded under
//! the older revision; that entry is then simply never used again.

use super::{
    entity::{meal, meal_item, meal_plan, scheduled_meal},
    plans,
};
use crate::{
    accounts::entity::user,
    app::AppState,
    error::{AppError, AppResult},
};
use bytes::Bytes;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QuerySelect, QueryTrait,
    TransactionTrait,
    sea_query::{Expr, ExprTrait},
};

/// At most this many bytes of JSON (~1,800 full week plans); the least
/// used go first.
const CAPACITY_BYTES: u64 = 64 << 20;
const EXPECTED_PLANS: usize = 2_000;

#[derive(Clone)]
struct Cached {
    revision: i64,
    foods: u64,
    body: Bytes,
}

#[derive(Clone)]
struct BodySize;

impl quick_cache::Weighter<i64, Cached> for BodySize {
    fn weight(&self, _: &i64, c: &Cached) -> u64 {
        c.body.len() as u64 + 64
    }
}

pub struct PlanCache(quick_cache::sync::Cache<i64, Cached, BodySize>);

impl Default for PlanCache {
    fn default() -> Self {
        Self(quick_cache::sync::Cache::with_weighter(
            EXPECTED_PLANS,
            CAPACITY_BYTES,
            BodySize,
        ))
    }
}

impl PlanCache {
    fn get(&self, p: &meal_plan::Model, foods: u64) -> Option<Bytes> {
        self.0
            .get(&p.id)
            .filter(|c| c.revision == p.revision && c.foods == foods)
            .map(|c| c.body)
    }

    fn put(&self, p: &meal_plan::Model, foods: u64, body: Bytes) {
        self.0.insert(
            p.id,
            Cached {
                revision: p.revision,
                foods,
                body,
            },
        );
    }

    /// Forgets every entry (tests; memory pressure is handled by the bound).
    pub fn clear(&self) {
        self.0.clear();
    }
}

/// The plan's detail (`PlanResponse`, every day with its meals and totals)
/// as JSON: from memory when still current, else built and kept.
pub async fn plan_json(state: &AppState, u: &user::Model, id: i64) -> AppResult<Bytes> {
    let p = plans::visible(&state.db, u.id, id).await?;
    let foods = state.food_index.version(&state.db).await?;
    if let Some(body) = state.plan_cache.get(&p, foods) {
        return Ok(body);
    }
    // One transaction: a consistent plan, and one pooled connection for
    // its statements (each return to the pool costs a round trip).
    let db = state.db.begin().await?;
    let days = plans::days_in(state, &db, &p).await?;
    let built_from = state.food_index.version(&db).await?;
    db.commit().await?;
    let body: Bytes = serde_json::to_vec(&plans::response(p.clone(), Some(days)))
        .map_err(AppError::internal)?
        .into();
    // Only keep what was built from the snapshot checked above.
    if built_from == foods {
        state.plan_cache.put(&p, foods, body.clone());
    }
    Ok(body)
}

/// Bumps the revision of the plans `filter` selects.
async fn touch<C: ConnectionTrait>(db: &C, filter: sea_orm::Condition) -> Result<(), DbErr> {
    meal_plan::Entity::update_many()
        .col_expr(
            meal_plan::Column::Revision,
            Expr::col(meal_plan::Column::Revision).add(1),
        )
        .filter(filter)
        .exec(db)
        .await?;
    Ok(())
}

/// Bumps the plans with a scheduled meal that `scheduled` selects.
async fn touch_scheduling<C: ConnectionTrait>(
    db: &C,
    scheduled: sea_orm::sea_query::SimpleExpr,
) -> Result<(), DbErr> {
    let plan_ids = scheduled_meal::Entity::find()
        .select_only()
        .column(scheduled_meal::Column::PlanId)
        .filter(scheduled)
        .into_query();
    touch(
        db,
        sea_orm::Condition::all().add(meal_plan::Column::Id.in_subquery(plan_ids)),
    )
    .await
}

/// The plan's detail changed (call inside the changing transaction).
pub async fn touch_plan<C: ConnectionTrait>(db: &C, plan_id: i64) -> Result<(), DbErr> {
    touch(
        db,
        sea_orm::Condition::all().add(meal_plan::Column::Id.eq(plan_id)),
    )
    .await
}

/// A meal changed: every plan that schedules it (call before deleting it).
pub async fn touch_plans_of_meal<C: ConnectionTrait>(db: &C, meal_id: i64) -> Result<(), DbErr> {
    touch_scheduling(db, scheduled_meal::Column::MealId.eq(meal_id)).await
}

/// A food changed: every plan scheduling a meal that holds it.
pub async fn touch_plans_with_food<C: ConnectionTrait>(db: &C, food_id: i64) -> Result<(), DbErr> {
    touch_scheduling(
        db,
        scheduled_meal::Column::MealId.in_subquery(
            meal_item::Entity::find()
                .select_only()
                .column(meal_item::Column::MealId)
                .filter(meal_item::Column::FoodId.eq(food_id))
                .into_query(),
        ),
    )
    .await
}

/// A user is being deleted: every plan scheduling one of their meals
/// (staff templates scheduled in other users' plans go with them).
pub async fn touch_plans_of_owner<C: ConnectionTrait>(db: &C, owner_id: i64) -> Result<(), DbErr> {
    touch_scheduling(
        db,
        scheduled_meal::Column::MealId.in_subquery(
            meal::Entity::find()
                .select_only()
                .column(meal::Column::Id)
                .filter(meal::Column::OwnerId.eq(owner_id))
                .into_query(),
        ),
    )
    .await
}
