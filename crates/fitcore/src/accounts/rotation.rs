//! The write behind `auth/refresh/`: mark the presented token rotated and
//! store its successor, only while the token is fresh and its user active
//! with the same auth version. The hot path of the API, so PostgreSQL does it
//! in one statement (one round trip, atomic by itself); SQLite, in-process,
//! does the same steps in one transaction.

use super::{
    entity::{refresh_token, user},
    tokens::Claims,
};
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseBackend,
    DatabaseConnection, DbErr, EntityTrait, QueryFilter, Statement, TransactionTrait,
    sea_query::Expr,
};

#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    Rotated,
    /// The token was fresh but its user is gone, inactive, or changed password.
    UserRefused,
    /// Presented again after rotation: the family must be revoked.
    Replayed {
        family: String,
        user_id: i64,
    },
    /// Revoked by logout or a password change.
    Revoked,
    /// No such token on record.
    Unknown,
}

pub async fn rotate(
    db: &DatabaseConnection,
    old: &Claims,
    next: &Claims,
    expires_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Outcome, DbErr> {
    let done = match db.get_database_backend() {
        DatabaseBackend::Postgres => rotate_postgres(db, old, next, expires_at, now).await?,
        _ => rotate_in_transaction(db, old, next, expires_at, now).await?,
    };
    match done {
        (true, true) => Ok(Outcome::Rotated),
        (true, false) => Ok(Outcome::UserRefused),
        (false, _) => classify(db, &old.jti).await,
    }
}

/// (rotated the old token, stored the new one)
async fn rotate_postgres(
    db: &DatabaseConnection,
    old: &Claims,
    next: &Claims,
    expires_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(bool, bool), DbErr> {
    const SQL: &str = "WITH rotated AS ( \
            UPDATE refresh_tokens SET rotated_at = $1, updated_at = $1 \
            WHERE jti = $2 AND rotated_at IS NULL AND revoked_at IS NULL \
            RETURNING user_id, family_id, jti \
        ), stored AS ( \
            INSERT INTO refresh_tokens (jti, user_id, family_id, parent_jti, expires_at, created_at, updated_at) \
            SELECT $3, r.user_id, r.family_id, r.jti, $4, $1, $1 \
            FROM rotated r JOIN users u ON u.id = r.user_id \
            WHERE u.is_active AND u.auth_version = $5 \
            RETURNING id \
        ) \
        SELECT (SELECT COUNT(*) FROM rotated) AS rotated, (SELECT COUNT(*) FROM stored) AS stored";
    let stmt = Statement::from_sql_and_values(
        DatabaseBackend::Postgres,
        SQL,
        [
            now.into(),
            old.jti.clone().into(),
            next.jti.clone().into(),
            expires_at.into(),
            old.ver.into(),
        ],
    );
    let row = db
        .query_one_raw(stmt)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("rotation result".into()))?;
    let rotated: i64 = row.try_get("", "rotated")?;
    let stored: i64 = row.try_get("", "stored")?;
    Ok((rotated > 0, stored > 0))
}

async fn rotate_in_transaction(
    db: &DatabaseConnection,
    old: &Claims,
    next: &Claims,
    expires_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(bool, bool), DbErr> {
    let _gate = crate::platform::db::sqlite_write_gate(db).await;
    let txn = db.begin().await?;
    let rotated = refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::RotatedAt, Expr::value(now))
        .col_expr(refresh_token::Column::UpdatedAt, Expr::value(now))
        .filter(refresh_token::Column::Jti.eq(&old.jti))
        .filter(refresh_token::Column::RotatedAt.is_null())
        .filter(refresh_token::Column::RevokedAt.is_null())
        .exec_with_returning(&txn)
        .await?
        .into_iter()
        .next();
    let Some(row) = rotated else {
        return Ok((false, false));
    };
    let user_ok = user::Entity::find_by_id(row.user_id)
        .one(&txn)
        .await?
        .is_some_and(|u| u.is_active && u.auth_version == old.ver);
    if user_ok {
        refresh_token::ActiveModel {
            jti: Set(next.jti.clone()),
            user_id: Set(row.user_id),
            family_id: Set(row.family_id.clone()),
            parent_jti: Set(Some(row.jti.clone())),
            expires_at: Set(expires_at),
            rotated_at: Set(None),
            revoked_at: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
    }
    txn.commit().await?;
    Ok((true, user_ok))
}

/// Why a token could not be rotated.
async fn classify<C: ConnectionTrait>(db: &C, jti: &str) -> Result<Outcome, DbErr> {
    let row = refresh_token::Entity::find()
        .filter(refresh_token::Column::Jti.eq(jti))
        .one(db)
        .await?;
    Ok(match row {
        None => Outcome::Unknown,
        Some(r) if r.rotated_at.is_some() => Outcome::Replayed {
            family: r.family_id,
            user_id: r.user_id,
        },
        Some(_) => Outcome::Revoked,
    })
}
