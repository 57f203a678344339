//! The bundled USDA SR28 food table (public domain; see
//! `assets/usda_sr28/SOURCE.md`), loaded into a new database on first
//! start, and staff imports of files with the same columns.
//!
//! Empty nutrient cells are unknown, not zero: fiber, sugar and sodium stay
//! null. A row is rejected, with its line and reason, when its name is
//! missing or a number is negative, absurd or unreadable.

use super::{entity::food, entity::food_portion, text::fold};
use crate::platform::clock::Clock;
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseConnection, DbErr, EntityTrait, PaginatorTrait,
    QueryFilter, QuerySelect, TransactionTrait,
};
use serde::Deserialize;
use std::collections::HashMap;

pub const SOURCE_USDA: &str = "usda_sr28";
pub const SOURCE_IMPORT: &str = "import";

const FOODS_CSV: &str = include_str!("../../assets/usda_sr28/foods.csv");
const PORTIONS_CSV: &str = include_str!("../../assets/usda_sr28/portions.csv");

/// One row of `foods.csv` (the columns an import file must have too;
/// extra columns are ignored).
#[derive(Debug, Deserialize)]
pub struct FoodRow {
    pub ndb_no: String,
    pub name: String,
    pub category: String,
    #[serde(default)]
    pub manufacturer: Option<String>,
    pub energy_kcal: Option<String>,
    pub protein_g: Option<String>,
    pub carbohydrate_g: Option<String>,
    pub fat_g: Option<String>,
    pub fiber_g: Option<String>,
    pub sugars_g: Option<String>,
    pub sodium_mg: Option<String>,
}

#[derive(Debug, Deserialize)]
struct PortionRow {
    ndb_no: String,
    seq: i32,
    amount: String,
    measure: String,
    gram_weight: String,
}

/// A row that passed validation: nutrients per 100 g.
#[derive(Debug, Clone)]
pub struct ValidFood {
    pub source_id: String,
    pub name: String,
    pub category: String,
    pub brand: Option<String>,
    pub calories: f64,
    pub protein_g: f64,
    pub carbs_g: f64,
    pub fat_g: f64,
    pub fiber_g: Option<f64>,
    pub sugar_g: Option<f64>,
    pub sodium_mg: Option<f64>,
}

fn number(field: &str, raw: &Option<String>, max: f64) -> Result<Option<f64>, String> {
    let Some(s) = raw.as_deref().map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok(None);
    };
    let v: f64 = s
        .parse()
        .map_err(|_| format!("{field} `{s}` is not a number"))?;
    if !v.is_finite() || v < 0.0 {
        return Err(format!("{field} {v} is negative"));
    }
    if v > max {
        return Err(format!("{field} {v} is more than {max} per 100 g"));
    }
    Ok(Some(v))
}

fn required(field: &str, raw: &Option<String>, max: f64) -> Result<f64, String> {
    number(field, raw, max)?.ok_or_else(|| format!("{field} is missing"))
}

/// Checks one row; the error says what is wrong in words.
pub fn validate(row: FoodRow) -> Result<ValidFood, String> {
    let name = row.name.trim().to_string();
    if name.is_empty() || name.chars().count() > 200 {
        return Err("name is missing or longer than 200 characters".into());
    }
    let category = row.category.trim().to_string();
    if category.is_empty() || category.chars().count() > 100 {
        return Err("category is missing or longer than 100 characters".into());
    }
    // Pure fat is 902 kcal per 100 g; nothing edible holds more.
    let calories = required("energy_kcal", &row.energy_kcal, 902.0)?;
    let protein_g = required("protein_g", &row.protein_g, 100.0)?;
    let carbs_g = required("carbohydrate_g", &row.carbohydrate_g, 100.0)?;
    let fat_g = required("fat_g", &row.fat_g, 100.0)?;
    if protein_g + carbs_g + fat_g > 101.0 {
        return Err("protein, carbohydrate and fat add up to more than 100 g per 100 g".into());
    }
    Ok(ValidFood {
        source_id: row.ndb_no.trim().to_string(),
        name,
        category,
        brand: row
            .manufacturer
            .map(|m| m.trim().to_string())
            .filter(|m| !m.is_empty()),
        calories,
        protein_g,
        carbs_g,
        fat_g,
        fiber_g: number("fiber_g", &row.fiber_g, 100.0)?,
        sugar_g: number("sugars_g", &row.sugars_g, 100.0)?,
        sodium_mg: number("sodium_mg", &row.sodium_mg, 100_000.0)?,
    })
}

fn active(f: &ValidFood, source: &str, now: DateTime<Utc>) -> food::ActiveModel {
    let (diet_flags, meal_slots) = super::classify(&f.category, &f.name, f.calories, f.carbs_g);
    food::ActiveModel {
        name: Set(f.name.clone()),
        name_search: Set(fold(&f.name)),
        brand: Set(f.brand.clone()),
        category: Set(f.category.clone()),
        serving_size: Set(100.0),
        serving_unit: Set("g".into()),
        serving_description: Set(Some("100 g".into())),
        calories: Set(f.calories),
        protein_g: Set(f.protein_g),
        carbs_g: Set(f.carbs_g),
        fat_g: Set(f.fat_g),
        fiber_g: Set(f.fiber_g),
        sugar_g: Set(f.sugar_g),
        sodium_mg: Set(f.sodium_mg),
        is_public: Set(true),
        owner_id: Set(None),
        source: Set(source.into()),
        source_id: Set(Some(f.source_id.clone())),
        diet_flags: Set(diet_flags),
        meal_slots: Set(meal_slots),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
}

/// Loads the bundled table when the database has none of it yet.
/// Returns the number of foods inserted (0 when already there).
pub async fn ensure_bundled(db: &DatabaseConnection, clock: &dyn Clock) -> Result<usize, DbErr> {
    let present = food::Entity::find()
        .filter(food::Column::Source.eq(SOURCE_USDA))
        .count(db)
        .await?;
    if present > 0 {
        return Ok(0);
    }
    let now = clock.now();
    let mut rows = Vec::new();
    let mut reader = csv::Reader::from_reader(FOODS_CSV.as_bytes());
    for record in reader.deserialize::<FoodRow>() {
        match record.map_err(|e| e.to_string()).and_then(validate) {
            Ok(f) => rows.push(f),
            Err(why) => tracing::warn!(why, "bundled food row skipped"),
        }
    }
    let txn = db.begin().await?;
    for chunk in rows.chunks(400) {
        food::Entity::insert_many(chunk.iter().map(|f| active(f, SOURCE_USDA, now)))
            .exec(&txn)
            .await?;
    }
    let ids: HashMap<String, i64> = food::Entity::find()
        .select_only()
        .column(food::Column::SourceId)
        .column(food::Column::Id)
        .filter(food::Column::Source.eq(SOURCE_USDA))
        .into_tuple::<(Option<String>, i64)>()
        .all(&txn)
        .await?
        .into_iter()
        .filter_map(|(s, id)| s.map(|s| (s, id)))
        .collect();
    let mut portions = Vec::new();
    let mut reader = csv::Reader::from_reader(PORTIONS_CSV.as_bytes());
    for p in reader.deserialize::<PortionRow>().flatten() {
        let (Some(food_id), Ok(grams)) = (ids.get(&p.ndb_no), p.gram_weight.trim().parse::<f64>())
        else {
            continue;
        };
        if !(grams.is_finite() && grams > 0.0) {
            continue;
        }
        portions.push(food_portion::ActiveModel {
            food_id: Set(*food_id),
            seq: Set(p.seq),
            description: Set(format!("{} {}", p.amount.trim(), p.measure.trim())),
            grams: Set(grams),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        });
    }
    let mut portions = portions.into_iter().peekable();
    while portions.peek().is_some() {
        let chunk: Vec<_> = portions.by_ref().take(1000).collect();
        food_portion::Entity::insert_many(chunk).exec(&txn).await?;
    }
    txn.commit().await?;
    Ok(rows.len())
}

#[derive(Debug, Default, serde::Serialize)]
pub struct ImportReport {
    pub inserted: usize,
    pub updated: usize,
    /// (line in the file, reason)
    pub rejected: Vec<(u64, String)>,
}

/// Imports public foods from a CSV with the bundled table's columns.
/// Rows already imported (same `ndb_no`) are updated.
pub async fn import(
    db: &DatabaseConnection,
    clock: &dyn Clock,
    data: impl std::io::Read,
) -> Result<ImportReport, DbErr> {
    let now = clock.now();
    let mut report = ImportReport::default();
    let mut reader = csv::Reader::from_reader(data);
    let mut valid = Vec::new();
    let headers = match reader.headers() {
        Ok(h) => h.clone(),
        Err(e) => {
            report.rejected.push((1, format!("unreadable header: {e}")));
            return Ok(report);
        }
    };
    let mut record = csv::StringRecord::new();
    loop {
        let line = reader.position().line();
        match reader.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                let io = e.is_io_error();
                report.rejected.push((line, e.to_string()));
                if io {
                    break;
                }
                continue;
            }
        }
        let parsed: Result<FoodRow, String> = record
            .deserialize(Some(&headers))
            .map_err(|e| e.to_string());
        match parsed.and_then(validate) {
            Ok(f) if f.source_id.is_empty() => {
                report.rejected.push((line, "ndb_no is missing".into()));
            }
            Ok(f) => valid.push(f),
            Err(why) => report.rejected.push((line, why)),
        }
    }
    let txn = db.begin().await?;
    for f in valid {
        let existing = food::Entity::find()
            .filter(food::Column::Source.eq(SOURCE_IMPORT))
            .filter(food::Column::SourceId.eq(f.source_id.clone()))
            .one(&txn)
            .await?;
        let mut am = active(&f, SOURCE_IMPORT, now);
        match existing {
            Some(e) => {
                am.id = Set(e.id);
                am.created_at = Set(e.created_at);
                sea_orm::ActiveModelTrait::update(am, &txn).await?;
                report.updated += 1;
            }
            None => {
                sea_orm::ActiveModelTrait::insert(am, &txn).await?;
                report.inserted += 1;
            }
        }
    }
    txn.commit().await?;
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(kcal: &str, p: &str, c: &str, f: &str) -> FoodRow {
        FoodRow {
            ndb_no: "99001".into(),
            name: "Test food".into(),
            category: "Test".into(),
            manufacturer: None,
            energy_kcal: Some(kcal.into()),
            protein_g: Some(p.into()),
            carbohydrate_g: Some(c.into()),
            fat_g: Some(f.into()),
            fiber_g: Some(String::new()),
            sugars_g: None,
            sodium_mg: Some("12".into()),
        }
    }

    #[test]
    fn empty_cells_are_unknown_not_zero() {
        let f = validate(row("100", "10", "10", "1")).expect("valid");
        assert_eq!(
            (f.fiber_g, f.sugar_g, f.sodium_mg),
            (None, None, Some(12.0))
        );
    }

    #[test]
    fn negative_absurd_and_unreadable_numbers_are_rejected_with_a_reason() {
        for (r, word) in [
            (row("-5", "1", "1", "1"), "negative"),
            (row("2000", "1", "1", "1"), "902"),
            (row("100", "60", "50", "1"), "add up"),
            (row("abc", "1", "1", "1"), "not a number"),
            (row("", "1", "1", "1"), "missing"),
        ] {
            let why = validate(r).expect_err("rejected");
            assert!(why.contains(word), "{why}");
        }
    }

    #[test]
    fn the_bundled_table_reads_whole() {
        let mut reader = csv::Reader::from_reader(FOODS_CSV.as_bytes());
        let (ok, bad): (Vec<_>, Vec<_>) = reader
            .deserialize::<FoodRow>()
            .map(|r| r.map_err(|e| e.to_string()).and_then(validate))
            .partition(Result::is_ok);
        assert_eq!(ok.len() + bad.len(), 8789);
        assert!(bad.len() < 10, "{bad:?}");
    }
}
