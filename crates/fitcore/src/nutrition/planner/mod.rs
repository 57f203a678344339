//! The local meal planner: foods and portions that meet the targets.
//!
//! Pure code: no database, no I/O. The caller hands over the candidate
//! foods (built with [`PlannerFood::new`] from USDA rows) and a
//! [`PlanRequest`]; [`plan`] returns days of meals whose totals are within
//! ±5 % of the calorie target and ±10 % of each macro target, using only
//! foods that fit the diet, the allergies and the exclusions. [`verify`]
//! re-checks a plan independently; `plan` runs it before returning, and
//! the caller should run it again before saving.
//!
//! How a day is built:
//! 1. Candidates (`build.rs`): allowed foods (diet, keto carb check,
//!    allergies, exclusions, plausible nutrients) that have a meal slot.
//!    What a food is and where it belongs comes from `kind.rs`; diet flags
//!    from `diet.rs`, allergies from `allergy.rs`.
//! 2. Each meal follows a template (`templates.rs`: "protein + starch +
//!    vegetable + fat", "cereal + milk + fruit", ...). For each group a
//!    kind is drawn by weight, a few foods of it are sampled with the
//!    seeded RNG, and the one that moves the day's protein/carb/fat energy
//!    mix closest to the target mix is kept.
//! 3. Portions for the whole day are solved at once (`solve.rs`: bounded
//!    least squares on energy and the three macros, with a soft pull
//!    towards typical portions and towards each meal's usual share of the
//!    day), rounded to whole grams and touched up. If the day misses the
//!    tolerance (`fit.rs`), a food stuck at its minimum portion that
//!    overshoots is dropped, or the allowed food whose macro mix best
//!    covers the gap is added, and the day is solved again. After a few
//!    attempts with fresh picks the variety rules are loosened; if nothing
//!    works, [`PlanError::Infeasible`] says how close it got.
//!
//! Variety: a food appears at most 3 times in any 7 consecutive days, a
//! dish name ("Chicken breast", "Oatmeal") at most 3 times, no dish name
//! twice a day, and each kind at most a few times a day (one egg dish, two
//! tofu meals, see [`FoodKind`]). When the diet leaves too few foods, the
//! limits are loosened in steps (dish names 5 a week, then no dish-name or
//! per-kind limits, then a food may repeat daily) rather than failing;
//! with the full USDA table that happens only for very narrow diets.
//!
//! Determinism: the same foods (same order), request and seed give the
//! same plan, bit for bit. The RNG is a hand-rolled SplitMix64 so saved
//! seeds survive `rand` upgrades.
//!
//! Speed: a 7-day plan over the full USDA table takes about 3 ms (p50,
//! release) on two cores; most of it is filtering the candidates.

mod allergy;
mod build;
mod diet;
mod fit;
mod kind;
mod names;
mod solve;
mod templates;
mod words;

#[cfg(test)]
mod food_tests;
#[cfg(test)]
mod quality;
#[cfg(test)]
mod tests;

use std::collections::{HashMap, HashSet};
use std::fmt;

use crate::accounts::dto::DietaryPreference;

pub use allergy::hits_allergy;
pub use diet::{DietFlags, diet_flags, fits_diet, keto_by_nutrients};
pub use kind::{FoodKind, classify, meal_slots};
pub use names::display_name;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MealSlot {
    Breakfast,
    Lunch,
    Dinner,
    Snack,
}

/// A candidate food; nutrients per 100 g. Unknown values must be passed as
/// `f64::NAN` (never 0): such foods are skipped.
#[derive(Clone, Debug, PartialEq)]
pub struct PlannerFood {
    pub id: i64,
    pub name: String,
    pub category: String,
    pub kcal: f64,
    pub protein_g: f64,
    pub carbs_g: f64,
    pub fat_g: f64,
    pub flags: DietFlags,
    /// Meals where the food may appear; empty = never planned.
    pub slots: Vec<MealSlot>,
    /// Culinary role; sets portion sizes and meal templates.
    pub kind: FoodKind,
}

impl PlannerFood {
    /// Builds a food from a USDA row (long `name` and food-group
    /// `category`), deriving flags, kind and slots. The keto flag also
    /// requires low carbohydrates ([`keto_by_nutrients`]).
    pub fn new(
        id: i64,
        name: impl Into<String>,
        category: impl Into<String>,
        kcal: f64,
        protein_g: f64,
        carbs_g: f64,
        fat_g: f64,
    ) -> PlannerFood {
        let name = name.into();
        let category = category.into();
        let words = words::Words::new(&name);
        let mut flags = diet::flags_of(diet::Cat::of(&category), &words);
        flags.keto = flags.keto && keto_by_nutrients(kcal, carbs_g);
        let kind = kind::classify_words(&category, &name, &words);
        PlannerFood {
            id,
            kcal,
            protein_g,
            carbs_g,
            fat_g,
            flags,
            slots: kind.map(|k| k.slots().to_vec()).unwrap_or_default(),
            kind: kind.unwrap_or(FoodKind::Other),
            name,
            category,
        }
    }
}

/// Daily targets; also used for a day's totals.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Targets {
    pub calories: f64,
    pub protein_g: f64,
    pub carbs_g: f64,
    pub fat_g: f64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct PlanRequest {
    /// 1..=28.
    pub days: u32,
    /// 3..=6: 3 = breakfast, lunch, dinner; 4 adds an afternoon snack; 5 a
    /// morning and an afternoon snack; 6 also an evening snack.
    pub meals_per_day: u32,
    /// Pass the profile's targets; keto adjustment is applied internally
    /// via [`targets_for_diet`] (it is idempotent).
    pub targets: Targets,
    pub diet: Vec<DietaryPreference>,
    /// Free text from the profile ("peanut", "tree nuts", "strawberries").
    pub allergies: Vec<String>,
    pub exclude: HashSet<i64>,
    pub seed: u64,
    /// Meal ideas (e.g. from an LLM) to use first: per day, per slot, food
    /// ids. The planner fixes the portions and may drop or add foods to hit
    /// the targets; unknown, disallowed or over-used ids are skipped.
    pub ideas: Vec<Idea>,
}

/// Foods suggested for one meal. `day` is 1-based. With several snacks a
/// day, snack ideas fill the snacks in order.
#[derive(Clone, Debug, PartialEq)]
pub struct Idea {
    pub day: u32,
    pub slot: MealSlot,
    pub food_ids: Vec<i64>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct PlannedItem {
    pub food_id: i64,
    /// Whole grams of the edible part, as eaten (cooked where the USDA
    /// entry is cooked).
    pub grams: f64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct PlannedMeal {
    pub slot: MealSlot,
    /// Short menu name built from the items, e.g. "Oatmeal with bananas".
    pub name: String,
    pub items: Vec<PlannedItem>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct PlannedDay {
    /// 1-based.
    pub day: u32,
    pub meals: Vec<PlannedMeal>,
    /// Sums over the items, rounded to 0.1.
    pub totals: Targets,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Plan {
    pub days: Vec<PlannedDay>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum PlanError {
    /// The diet, allergies and exclusions leave too few foods.
    TooFewFoods { available: usize, needed: usize },
    /// Foods exist but no day could meet the targets; the text says why.
    Infeasible(String),
    /// Out-of-range request values (days, meals, targets).
    InvalidRequest(String),
}

impl fmt::Display for PlanError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PlanError::TooFewFoods { available, needed } => write!(
                f,
                "only {available} foods fit your diet, allergies and exclusions; at least {needed} are needed \
                 to build a meal plan"
            ),
            PlanError::Infeasible(why) => write!(f, "no meal plan possible: {why}"),
            PlanError::InvalidRequest(why) => write!(f, "invalid meal plan request: {why}"),
        }
    }
}

impl std::error::Error for PlanError {}

/// Builds a plan; see the module docs for the method.
pub fn plan(foods: &[PlannerFood], req: &PlanRequest) -> Result<Plan, PlanError> {
    validate(req)?;
    let t = targets_for_diet(req.targets, &req.diet);
    let target = [t.calories, t.protein_g, t.carbs_g, t.fat_g];
    let plan = build::Planner::new(foods, req, target)?.run()?;
    // Belt and braces: never hand out a plan the independent check rejects.
    verify(&plan, foods, req)
        .map_err(|e| PlanError::Infeasible(format!("internal check failed: {e}")))?;
    Ok(plan)
}

/// Independent check used before any plan is saved: shape, every food
/// known and allowed (diet, allergies, exclusions), kosher meals free of
/// meat-with-dairy, and every day within tolerance of the (diet-adjusted)
/// targets.
pub fn verify(plan: &Plan, foods: &[PlannerFood], req: &PlanRequest) -> Result<(), String> {
    validate(req).map_err(|e| e.to_string())?;
    let t = targets_for_diet(req.targets, &req.diet);
    let target = [t.calories, t.protein_g, t.carbs_g, t.fat_g];
    let by_id = index(foods);
    let keto = req.diet.contains(&DietaryPreference::Keto);
    let kosher = req.diet.contains(&DietaryPreference::Kosher);
    let seq = meal_sequence(req.meals_per_day);
    if plan.days.len() != req.days as usize {
        return Err(format!(
            "plan has {} days, {} requested",
            plan.days.len(),
            req.days
        ));
    }
    for (i, day) in plan.days.iter().enumerate() {
        let d = day.day;
        if d as usize != i + 1 {
            return Err(format!("day {} is numbered {d}", i + 1));
        }
        if day.meals.len() != seq.len() || day.meals.iter().zip(&seq).any(|(m, s)| m.slot != *s) {
            return Err(format!(
                "day {d}: meals do not match {} meals per day",
                req.meals_per_day
            ));
        }
        for meal in &day.meals {
            if meal.items.is_empty() {
                return Err(format!("day {d}: {} has no food", slot_word(meal.slot)));
            }
            let mut in_meal = Vec::new();
            for item in &meal.items {
                let Some(food) = by_id.get(&item.food_id) else {
                    return Err(format!("day {d}: food {} does not exist", item.food_id));
                };
                if !item.grams.is_finite() || item.grams < 1.0 || item.grams > 2000.0 {
                    return Err(format!(
                        "day {d}: {} has an implausible amount ({} g)",
                        food.name, item.grams
                    ));
                }
                if !allowed(food, req, keto) {
                    return Err(format!(
                        "day {d}: {} is not allowed by the diet, allergies or exclusions",
                        food.name
                    ));
                }
                in_meal.push(*food);
            }
            if kosher && in_meal.iter().any(|a| is_meat(a)) && in_meal.iter().any(|b| is_dairy(b)) {
                return Err(format!(
                    "day {d}: {} mixes meat and dairy (kosher)",
                    slot_word(meal.slot)
                ));
            }
        }
        let Some(exact) = exact_totals(day, &by_id) else {
            return Err(format!("day {d}: totals cannot be computed"));
        };
        let said = [
            day.totals.calories,
            day.totals.protein_g,
            day.totals.carbs_g,
            day.totals.fat_g,
        ];
        // Written so that NaN counts as a mismatch.
        let close = |a: f64, b: f64| (a - b).abs() <= 0.051;
        if (0..4).any(|k| !close(exact[k], said[k])) {
            return Err(format!("day {d}: reported totals do not match the items"));
        }
        if !solve::within(exact, target) {
            return Err(format!(
                "day {d}: {:.0} kcal, {:.0} g protein, {:.0} g carbs, {:.0} g fat is outside ±5 % / ±10 % of \
                 {:.0} kcal, {:.0} g, {:.0} g, {:.0} g",
                exact[0], exact[1], exact[2], exact[3], target[0], target[1], target[2], target[3]
            ));
        }
    }
    Ok(())
}

/// Keto needs its own macro split. With keto in the diet, carbs are capped
/// at 10 % of calories and at most 50 g a day (the usual definition of a
/// ketogenic diet; e.g. 50 g at 2,000 kcal, 35 g at 1,400 kcal), and the
/// energy removed from carbs moves to fat, so calories and protein stay as
/// given. Targets already at or below the cap are
/// returned unchanged, which makes the function idempotent. Without keto,
/// the input is returned.
pub fn targets_for_diet(t: Targets, diet: &[DietaryPreference]) -> Targets {
    if !diet.contains(&DietaryPreference::Keto) {
        return t;
    }
    let cap = (t.calories * 0.10 / 4.0).min(50.0);
    if t.carbs_g <= cap {
        return t;
    }
    Targets {
        carbs_g: cap,
        fat_g: t.fat_g + (t.carbs_g - cap) * 4.0 / 9.0,
        ..t
    }
}

fn validate(req: &PlanRequest) -> Result<(), PlanError> {
    let bad = |s: String| Err(PlanError::InvalidRequest(s));
    if !(1..=28).contains(&req.days) {
        return bad(format!("days must be 1 to 28, not {}", req.days));
    }
    if !(3..=6).contains(&req.meals_per_day) {
        return bad(format!(
            "meals per day must be 3 to 6, not {}",
            req.meals_per_day
        ));
    }
    let t = targets_for_diet(req.targets, &req.diet);
    let v = [t.calories, t.protein_g, t.carbs_g, t.fat_g];
    if v.iter().any(|x| !x.is_finite()) {
        return bad("targets must be numbers".to_owned());
    }
    if !(800.0..=6000.0).contains(&t.calories) {
        return bad(format!(
            "calorie target must be 800 to 6,000 kcal, not {:.0}",
            t.calories
        ));
    }
    if t.protein_g < 10.0 || t.carbs_g < 10.0 || t.fat_g < 10.0 {
        return bad("protein, carbs and fat targets must each be at least 10 g".to_owned());
    }
    let from_macros = 4.0 * t.protein_g + 4.0 * t.carbs_g + 9.0 * t.fat_g;
    if (from_macros - t.calories).abs() > 0.12 * t.calories {
        return bad(format!(
            "the macro targets add up to {from_macros:.0} kcal but the calorie target is {:.0} kcal",
            t.calories
        ));
    }
    Ok(())
}

/// Meals of a day, in eating order.
fn meal_sequence(meals_per_day: u32) -> Vec<MealSlot> {
    use MealSlot::*;
    match meals_per_day {
        0..=3 => vec![Breakfast, Lunch, Dinner],
        4 => vec![Breakfast, Lunch, Snack, Dinner],
        5 => vec![Breakfast, Snack, Lunch, Snack, Dinner],
        _ => vec![Breakfast, Snack, Lunch, Snack, Dinner, Snack],
    }
}

fn slot_word(s: MealSlot) -> &'static str {
    match s {
        MealSlot::Breakfast => "breakfast",
        MealSlot::Lunch => "lunch",
        MealSlot::Dinner => "dinner",
        MealSlot::Snack => "snack",
    }
}

/// Nutrients must be known, non-negative and physically plausible, and
/// energy must roughly agree with 4/4/9 kcal per gram: the solver treats
/// energy and macros as separate targets, so an inconsistent row (data
/// error) would make the day's totals disagree with each other.
fn nutrients_ok(f: &PlannerFood) -> bool {
    let v = [f.kcal, f.protein_g, f.carbs_g, f.fat_g];
    if v.iter().any(|x| !x.is_finite() || *x < 0.0) {
        return false;
    }
    let mass = f.protein_g + f.carbs_g + f.fat_g;
    let atwater = 4.0 * f.protein_g + 4.0 * f.carbs_g + 9.0 * f.fat_g;
    f.kcal > 0.0
        && f.kcal <= 902.0
        && mass > 0.0
        && mass <= 100.5
        && (atwater - f.kcal).abs() <= 0.25 * f.kcal.max(atwater) + 10.0
}

/// The single definition of "this food may be served to this user".
fn allowed(f: &PlannerFood, req: &PlanRequest, keto: bool) -> bool {
    !req.exclude.contains(&f.id)
        && nutrients_ok(f)
        && fits_diet(f.flags, &req.diet)
        && (!keto || keto_by_nutrients(f.kcal, f.carbs_g))
        && !hits_allergy(&f.category, &f.name, &req.allergies)
}

/// Land-animal meat, for the kosher meat/dairy rule.
fn is_meat(f: &PlannerFood) -> bool {
    !f.flags.pescatarian
}

/// May contain dairy (conservatively: anything not known dairy-free that
/// is not meat itself).
fn is_dairy(f: &PlannerFood) -> bool {
    !f.flags.dairy_free && f.flags.pescatarian
}

fn index(foods: &[PlannerFood]) -> HashMap<i64, &PlannerFood> {
    let mut m = HashMap::with_capacity(foods.len());
    for f in foods {
        m.entry(f.id).or_insert(f);
    }
    m
}

fn exact_totals(day: &PlannedDay, by_id: &HashMap<i64, &PlannerFood>) -> Option<[f64; 4]> {
    let mut rows = Vec::new();
    let mut grams = Vec::new();
    for item in day.meals.iter().flat_map(|m| &m.items) {
        let f = by_id.get(&item.food_id)?;
        rows.push([f.kcal, f.protein_g, f.carbs_g, f.fat_g]);
        grams.push(item.grams);
    }
    Some(solve::totals(&rows, &grams))
}

fn rounded(t: [f64; 4]) -> Targets {
    let r = |v: f64| (v * 10.0).round() / 10.0;
    Targets {
        calories: r(t[0]),
        protein_g: r(t[1]),
        carbs_g: r(t[2]),
        fat_g: r(t[3]),
    }
}
