//! Ranked food search, one function for both databases.
//!
//! Names are stored folded (lower case, accents removed; see `text::fold`)
//! and the query is folded the same way, so matching is case- and
//! accent-insensitive everywhere. A food matches when every query word
//! occurs in its name. Ranking: the exact name, then names starting with
//! the query, then names where every word starts a word, then the rest;
//! shorter names first among equals, then alphabetical.
//!
//! The two databases run the same statement and differ in how they find
//! candidates: PostgreSQL answers `LIKE '%word%'` from the trigram index
//! (`idx_foods_name_trgm`, pg_trgm), SQLite scans the ~9,000 rows, which
//! takes about a millisecond.

use super::{entity::food, text::fold};
use sea_orm::{
    ConnectionTrait, DatabaseBackend, DbErr, EntityTrait, FromQueryResult, Statement, Value,
};

/// Which foods a caller sees.
#[derive(Debug, Clone, Copy)]
pub enum Scope {
    /// Public foods plus the caller's own (or only public for anonymous).
    Visible(Option<i64>),
    /// Only the caller's own.
    Mine(i64),
}

pub struct FoodSearch<'a> {
    pub text: Option<&'a str>,
    pub category: Option<&'a str>,
    pub scope: Scope,
    pub offset: u64,
    pub limit: u64,
}

struct Sql {
    backend: DatabaseBackend,
    values: Vec<Value>,
}

impl Sql {
    fn bind(&mut self, v: impl Into<Value>) -> String {
        self.values.push(v.into());
        match self.backend {
            DatabaseBackend::Postgres => format!("${}", self.values.len()),
            _ => "?".to_string(),
        }
    }
}

pub(crate) fn like_escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

/// The page of matching foods and the total count.
pub async fn search<C: ConnectionTrait>(
    db: &C,
    q: &FoodSearch<'_>,
) -> Result<(Vec<food::Model>, u64), DbErr> {
    let backend = db.get_database_backend();
    let mut sql = Sql {
        backend,
        values: Vec::new(),
    };
    let mut filters: Vec<String> = Vec::new();
    match q.scope {
        Scope::Visible(Some(user)) => {
            // Bind in textual order: SQLite's `?` placeholders are positional.
            let public = sql.bind(true);
            let owner = sql.bind(user);
            filters.push(format!("(is_public = {public} OR owner_id = {owner})"));
        }
        Scope::Visible(None) => filters.push(format!("is_public = {}", sql.bind(true))),
        Scope::Mine(user) => filters.push(format!("owner_id = {}", sql.bind(user))),
    }
    if let Some(c) = q.category {
        filters.push(format!("category = {}", sql.bind(c.to_string())));
    }
    let folded = q.text.map(fold).filter(|t| !t.is_empty());
    let words: Vec<String> = folded
        .as_deref()
        .map(|t| t.split(' ').take(8).map(String::from).collect())
        .unwrap_or_default();
    for w in &words {
        let p = sql.bind(format!("%{}%", like_escape(w)));
        filters.push(format!("name_search LIKE {p} ESCAPE '\\'"));
    }
    let where_sql = filters.join(" AND ");
    let count_values = sql.values.clone();
    let count_sql = format!("SELECT COUNT(*) AS n FROM foods WHERE {where_sql}");

    let order = match &folded {
        Some(text) => {
            let exact = sql.bind(text.clone());
            let prefix = sql.bind(format!("{}%", like_escape(text)));
            let word_starts: Vec<String> = words
                .iter()
                .map(|w| {
                    let start = sql.bind(format!("{}%", like_escape(w)));
                    let inner = sql.bind(format!("% {}%", like_escape(w)));
                    format!("(name_search LIKE {start} ESCAPE '\\' OR name_search LIKE {inner} ESCAPE '\\')")
                })
                .collect();
            format!(
                "CASE WHEN name_search = {exact} THEN 0 \
                 WHEN name_search LIKE {prefix} ESCAPE '\\' THEN 1 \
                 WHEN {} THEN 2 ELSE 3 END, LENGTH(name_search), name_search, id",
                word_starts.join(" AND ")
            )
        }
        None => "name_search, id".to_string(),
    };
    let limit = sql.bind(i64::try_from(q.limit).unwrap_or(100));
    let offset = sql.bind(i64::try_from(q.offset).unwrap_or(0));
    let page_sql = format!(
        "SELECT * FROM foods WHERE {where_sql} ORDER BY {order} LIMIT {limit} OFFSET {offset}"
    );

    #[derive(FromQueryResult)]
    struct Count {
        n: i64,
    }
    let count = Count::find_by_statement(Statement::from_sql_and_values(
        backend,
        count_sql,
        count_values,
    ))
    .one(db)
    .await?
    .map_or(0, |c| c.n);
    let rows = food::Entity::find()
        .from_raw_sql(Statement::from_sql_and_values(
            backend, page_sql, sql.values,
        ))
        .all(db)
        .await?;
    Ok((rows, u64::try_from(count).unwrap_or(0)))
}
