//! Page-number and cursor pagination, DRF-shaped.

use crate::error::{AppError, FieldErrors};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::BTreeMap;
use utoipa::ToSchema;

pub const DEFAULT_PAGE_SIZE: u64 = 20;
pub const MAX_PAGE_SIZE: u64 = 100;

/// The query string as an ordered map; repeated keys keep the last value.
#[derive(Debug, Clone, Default)]
pub struct QueryMap(pub BTreeMap<String, String>);

impl QueryMap {
    pub fn parse(query: Option<&str>) -> Self {
        let map = url::form_urlencoded::parse(query.unwrap_or("").as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        Self(map)
    }
    pub fn get(&self, k: &str) -> Option<&str> {
        self.0.get(k).map(String::as_str)
    }
    /// Rejects parameters the endpoint does not know (DRF ignores them, but
    /// our contract says unknown filters are 400).
    pub fn only(&self, allowed: &[&str]) -> Result<(), AppError> {
        let mut errors = FieldErrors::new();
        for k in self.0.keys() {
            if !allowed.contains(&k.as_str()) {
                errors.add(k.clone(), "Unknown query parameter.");
            }
        }
        errors.into_result()
    }
    pub fn bool(&self, k: &str) -> Result<Option<bool>, AppError> {
        match self.get(k) {
            None | Some("") => Ok(None),
            Some("true" | "True" | "1") => Ok(Some(true)),
            Some("false" | "False" | "0") => Ok(Some(false)),
            Some(_) => Err(FieldErrors::single(k, "Must be true or false.")),
        }
    }
}

fn page_size(q: &QueryMap, default: u64) -> Result<u64, AppError> {
    match q.get("page_size") {
        None | Some("") => Ok(default),
        Some(s) => match s.parse::<u64>() {
            Ok(n) if (1..=MAX_PAGE_SIZE).contains(&n) => Ok(n),
            _ => Err(FieldErrors::single(
                "page_size",
                format!("Must be an integer from 1 to {MAX_PAGE_SIZE}."),
            )),
        },
    }
}

/// One `?ordering=` term: a field the endpoint allows, and its direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrderTerm {
    pub field: &'static str,
    pub descending: bool,
}

/// Parses `?ordering=field,-other` against the fields an endpoint names.
/// Unknown fields, repeats and an `ordering` where none is allowed are 400.
pub fn ordering(q: &QueryMap, allowed: &[&'static str]) -> Result<Vec<OrderTerm>, AppError> {
    let Some(raw) = q.get("ordering").filter(|s| !s.trim().is_empty()) else {
        return Ok(Vec::new());
    };
    let mut terms: Vec<OrderTerm> = Vec::new();
    for part in raw.split(',').map(str::trim) {
        let (descending, name) = match part.strip_prefix('-') {
            Some(n) => (true, n),
            None => (false, part),
        };
        let Some(field) = allowed.iter().copied().find(|f| *f == name) else {
            let hint = if allowed.is_empty() {
                "This list cannot be ordered.".to_string()
            } else {
                format!(
                    "Unknown ordering field \"{name}\"; use {}.",
                    allowed.join(", ")
                )
            };
            return Err(FieldErrors::single("ordering", hint));
        };
        if terms.iter().any(|t| t.field == field) {
            return Err(FieldErrors::single(
                "ordering",
                format!("\"{field}\" appears more than once."),
            ));
        }
        terms.push(OrderTerm { field, descending });
    }
    Ok(terms)
}

#[derive(Debug, Clone, Copy)]
pub struct PageParams {
    pub page: u64,
    pub page_size: u64,
}

impl PageParams {
    pub fn from_query(q: &QueryMap) -> Result<Self, AppError> {
        let page = match q.get("page") {
            None | Some("") => 1,
            Some(s) => match s.parse::<u64>() {
                Ok(n) if (1..=1_000_000).contains(&n) => n,
                _ => return Err(AppError::bad_request("invalid_page", "Invalid page.")),
            },
        };
        Ok(Self {
            page,
            page_size: page_size(q, DEFAULT_PAGE_SIZE)?,
        })
    }
    pub fn offset(&self) -> u64 {
        (self.page - 1) * self.page_size
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T> {
    pub count: u64,
    pub next: Option<String>,
    pub previous: Option<String>,
    pub results: Vec<T>,
}

/// Rebuilds the request URL with one parameter changed.
pub fn link(base_url: &str, q: &QueryMap, set: &[(&str, Option<String>)]) -> String {
    let mut map = q.0.clone();
    for (k, v) in set {
        match v {
            Some(v) => map.insert((*k).to_string(), v.clone()),
            None => map.remove(*k),
        };
    }
    if map.is_empty() {
        return base_url.to_string();
    }
    let qs: String = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(map.iter())
        .finish();
    format!("{base_url}?{qs}")
}

impl<T> Page<T> {
    pub fn new(results: Vec<T>, count: u64, p: PageParams, base_url: &str, q: &QueryMap) -> Self {
        let next = (p.page * p.page_size < count)
            .then(|| link(base_url, q, &[("page", Some((p.page + 1).to_string()))]));
        let previous = (p.page > 1).then(|| {
            if p.page == 2 {
                link(base_url, q, &[("page", None)])
            } else {
                link(base_url, q, &[("page", Some((p.page - 1).to_string()))])
            }
        });
        Self {
            count,
            next,
            previous,
            results,
        }
    }
}

/// A position in a newest-first list ordered by (timestamp, id).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CursorKey {
    pub micros: i64,
    pub id: i64,
}

impl CursorKey {
    pub fn new(at: DateTime<Utc>, id: i64) -> Self {
        Self {
            micros: at.timestamp_micros(),
            id,
        }
    }
    fn at(&self) -> DateTime<Utc> {
        DateTime::from_timestamp_micros(self.micros).unwrap_or_default()
    }
}

/// Where a cursor page starts: after (older than) or before (newer than) a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CursorPos {
    Start,
    Before(CursorKey),
    After(CursorKey),
}

#[derive(Debug, Clone, Copy)]
pub struct CursorParams {
    pub pos: CursorPos,
    pub page_size: u64,
}

pub fn encode_cursor(pos: CursorPos) -> String {
    let raw = match pos {
        CursorPos::Start => "s".to_string(),
        CursorPos::Before(k) => format!("b{}:{}", k.micros, k.id),
        CursorPos::After(k) => format!("a{}:{}", k.micros, k.id),
    };
    URL_SAFE_NO_PAD.encode(raw)
}

fn decode_cursor(s: &str) -> Option<CursorPos> {
    let raw = String::from_utf8(URL_SAFE_NO_PAD.decode(s).ok()?).ok()?;
    let (tag, rest) = raw.split_at_checked(1)?;
    let key = || {
        let (m, id) = rest.split_once(':')?;
        let k = CursorKey {
            micros: m.parse().ok()?,
            id: id.parse().ok()?,
        };
        DateTime::from_timestamp_micros(k.micros).map(|_| k)
    };
    match tag {
        "s" if rest.is_empty() => Some(CursorPos::Start),
        "b" => key().map(CursorPos::Before),
        "a" => key().map(CursorPos::After),
        _ => None,
    }
}

impl CursorParams {
    pub fn from_query(q: &QueryMap, default_size: u64) -> Result<Self, AppError> {
        let pos = match q.get("cursor") {
            None | Some("") => CursorPos::Start,
            Some(s) => decode_cursor(s)
                .ok_or_else(|| AppError::bad_request("invalid_cursor", "Invalid cursor."))?,
        };
        Ok(Self {
            pos,
            page_size: page_size(q, default_size)?,
        })
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CursorPage<T> {
    pub next: Option<String>,
    pub previous: Option<String>,
    pub results: Vec<T>,
}

impl<T> CursorPage<T> {
    /// Builds a newest-first page. `rows` are newest first and already cut
    /// to the page size; `more` says whether rows exist beyond them in the
    /// direction the cursor walked.
    pub fn newest_first(
        rows: Vec<T>,
        more: bool,
        key: impl Fn(&T) -> CursorKey,
        p: CursorParams,
        base_url: &str,
        q: &QueryMap,
    ) -> Self {
        let first = rows.first().map(&key);
        let last = rows.last().map(&key);
        let (has_older, has_newer) = match p.pos {
            CursorPos::Start => (more, false),
            CursorPos::Before(_) => (more, true),
            CursorPos::After(_) => (true, more),
        };
        let cur = |pos| link(base_url, q, &[("cursor", Some(encode_cursor(pos)))]);
        let next = match (has_older, last, p.pos) {
            (true, Some(l), _) => Some(cur(CursorPos::Before(l))),
            // An empty page walking newer: everything older than the cursor's
            // neighbour is still there.
            (true, None, CursorPos::After(k)) => Some(cur(CursorPos::Before(CursorKey {
                micros: k.micros,
                id: k.id + 1,
            }))),
            _ => None,
        };
        let previous = match (has_newer, first, p.pos) {
            (true, Some(f), _) => Some(cur(CursorPos::After(f))),
            (true, None, CursorPos::Before(k)) => Some(cur(CursorPos::After(CursorKey {
                micros: k.micros,
                id: k.id - 1,
            }))),
            _ => None,
        };
        Self {
            next,
            previous,
            results: rows,
        }
    }
}

/// Fetches one newest-first page of `select`, ordered by `(ts_col, id_col)`
/// descending. Returns the rows (newest first) and whether more exist.
pub async fn fetch_newest_first<E, C>(
    select: sea_orm::Select<E>,
    ts_col: E::Column,
    id_col: E::Column,
    p: CursorParams,
    conn: &C,
) -> Result<(Vec<E::Model>, bool), sea_orm::DbErr>
where
    E: sea_orm::EntityTrait,
    C: sea_orm::ConnectionTrait,
{
    use sea_orm::{ColumnTrait, Condition, QueryFilter, QueryOrder, QuerySelect};
    let limit = p.page_size + 1;
    let mut rows = match p.pos {
        CursorPos::Start => {
            select
                .order_by_desc(ts_col)
                .order_by_desc(id_col)
                .limit(limit)
                .all(conn)
                .await?
        }
        CursorPos::Before(k) => {
            select
                .filter(
                    Condition::any()
                        .add(ts_col.lt(k.at()))
                        .add(Condition::all().add(ts_col.eq(k.at())).add(id_col.lt(k.id))),
                )
                .order_by_desc(ts_col)
                .order_by_desc(id_col)
                .limit(limit)
                .all(conn)
                .await?
        }
        CursorPos::After(k) => {
            select
                .filter(
                    Condition::any()
                        .add(ts_col.gt(k.at()))
                        .add(Condition::all().add(ts_col.eq(k.at())).add(id_col.gt(k.id))),
                )
                .order_by_asc(ts_col)
                .order_by_asc(id_col)
                .limit(limit)
                .all(conn)
                .await?
        }
    };
    let more = rows.len() as u64 > p.page_size;
    rows.truncate(p.page_size as usize);
    if matches!(p.pos, CursorPos::After(_)) {
        rows.reverse();
    }
    Ok((rows, more))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_garbage_is_refused() {
        let k = CursorKey::new(Utc::now(), 42);
        for pos in [CursorPos::Start, CursorPos::Before(k), CursorPos::After(k)] {
            assert_eq!(decode_cursor(&encode_cursor(pos)), Some(pos));
        }
        for bad in [
            "",
            "!!",
            "eA",
            &URL_SAFE_NO_PAD.encode("b12"),
            &URL_SAFE_NO_PAD.encode("bx:1"),
        ] {
            assert_eq!(decode_cursor(bad), None, "{bad}");
        }
    }

    #[test]
    fn ordering_accepts_named_fields_only() {
        let q = QueryMap::parse(Some("ordering=-created_at,title"));
        let terms = ordering(&q, &["title", "created_at"]).unwrap_or_default();
        assert_eq!(
            terms,
            [
                OrderTerm {
                    field: "created_at",
                    descending: true
                },
                OrderTerm {
                    field: "title",
                    descending: false
                }
            ]
        );
        assert!(ordering(&QueryMap::parse(Some("ordering=price")), &["title"]).is_err());
        assert!(ordering(&QueryMap::parse(Some("ordering=title,-title")), &["title"]).is_err());
        assert!(ordering(&QueryMap::parse(Some("ordering=title")), &[]).is_err());
        assert!(
            ordering(&QueryMap::parse(None), &[])
                .unwrap_or_default()
                .is_empty()
        );
    }

    #[test]
    fn bad_page_numbers_and_sizes_are_refused() {
        for bad in [
            "page=0",
            "page=-1",
            "page=abc",
            "page_size=0",
            "page_size=101",
            "page_size=x",
        ] {
            assert!(
                PageParams::from_query(&QueryMap::parse(Some(bad))).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn page_links_keep_filters_and_change_the_page() {
        let q = QueryMap::parse(Some("page=2&search=oat"));
        let p = PageParams::from_query(&q).unwrap_or(PageParams {
            page: 0,
            page_size: 0,
        });
        let page = Page::new(vec![1, 2], 100, p, "http://h/api/v1/x/", &q);
        assert_eq!(
            page.next.as_deref(),
            Some("http://h/api/v1/x/?page=3&search=oat")
        );
        assert_eq!(
            page.previous.as_deref(),
            Some("http://h/api/v1/x/?search=oat")
        );
    }
}
