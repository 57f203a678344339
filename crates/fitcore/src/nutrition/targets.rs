//! Daily targets from the profile (API.md): Mifflin–St Jeor BMR, TDEE by
//! activity, calories by goal, protein by body weight, fat 25 % of
//! calories, carbohydrate the rest.

use crate::{
    accounts::{entity::profile, service},
    error::{AppError, FieldErrors},
};
use chrono::NaiveDate;
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Clone, Copy, Serialize, ToSchema, PartialEq)]
pub struct DailyTargets {
    pub bmr: f64,
    pub tdee: f64,
    pub calories: f64,
    pub protein_g: f64,
    pub carbs_g: f64,
    pub fat_g: f64,
    /// How they were computed.
    pub method: &'static str,
}

pub const METHOD: &str = "mifflin_st_jeor";

/// The targets, or a 400 naming every profile field that is missing.
pub fn compute(p: &profile::Model, today: NaiveDate) -> Result<DailyTargets, AppError> {
    let mut missing = FieldErrors::new();
    if p.weight_kg.is_none() {
        missing.add("weight_kg", "Set your weight in the profile first.");
    }
    if p.height_cm.is_none() {
        missing.add("height_cm", "Set your height in the profile first.");
    }
    if p.birth_date.is_none() {
        missing.add("birth_date", "Set your birth date in the profile first.");
    }
    let (Some(kg), Some(cm), Some(birth)) = (p.weight_kg, p.height_cm, p.birth_date) else {
        return Err(missing
            .into_result()
            .err()
            .unwrap_or_else(AppError::not_found));
    };
    Ok(from_parts(
        kg,
        cm,
        service::age_on(birth, today),
        &p.gender,
        &p.activity_level,
        &p.fitness_goal,
    ))
}

pub fn from_parts(
    kg: f64,
    cm: f64,
    age: u32,
    gender: &str,
    activity: &str,
    goal: &str,
) -> DailyTargets {
    let s = match gender {
        "male" => 5.0,
        "female" => -161.0,
        _ => -78.0,
    };
    let bmr = 10.0 * kg + 6.25 * cm - 5.0 * f64::from(age) + s;
    let factor = match activity {
        "sedentary" => 1.2,
        "light" => 1.375,
        "active" => 1.725,
        "very_active" => 1.9,
        _ => 1.55,
    };
    let tdee = bmr * factor;
    let calories = tdee
        * match goal {
            "lose_weight" => 0.80,
            "build_muscle" => 1.10,
            _ => 1.00,
        };
    let protein_g = kg
        * match goal {
            "lose_weight" => 2.0,
            "build_muscle" => 1.8,
            _ => 1.6,
        };
    let fat_g = calories * 0.25 / 9.0;
    let carbs_g = ((calories - protein_g * 4.0 - fat_g * 9.0) / 4.0).max(0.0);
    let r1 = |v: f64| (v * 10.0).round() / 10.0;
    DailyTargets {
        bmr: r1(bmr),
        tdee: r1(tdee),
        calories: calories.round(),
        protein_g: r1(protein_g),
        carbs_g: r1(carbs_g),
        fat_g: r1(fat_g),
        method: METHOD,
    }
}

#[cfg(test)]
mod tests {
    use super::from_parts;

    #[test]
    fn the_formula_is_the_one_in_the_contract() {
        // 80 kg, 180 cm, 30 y, male: BMR = 800 + 1125 - 150 + 5 = 1780.
        let t = from_parts(80.0, 180.0, 30, "male", "moderate", "maintain");
        assert_eq!(t.bmr, 1780.0);
        assert_eq!(t.tdee, 2759.0);
        assert_eq!(t.calories, 2759.0);
        assert_eq!(t.protein_g, 128.0);
        assert_eq!(t.fat_g, 76.6);
        // (2759 - 512 - 689.75) / 4
        assert_eq!(t.carbs_g, 389.3);
        let f = from_parts(60.0, 165.0, 40, "female", "sedentary", "lose_weight");
        // BMR 600 + 1031.25 - 200 - 161 = 1270.25; x1.2 = 1524.3; x0.8 = 1219.44
        assert_eq!((f.bmr, f.calories, f.protein_g), (1270.3, 1219.0, 120.0));
        let o = from_parts(
            70.0,
            170.0,
            25,
            "unspecified",
            "very_active",
            "build_muscle",
        );
        assert_eq!(o.bmr, 700.0 + 1062.5 - 125.0 - 78.0);
    }
}
