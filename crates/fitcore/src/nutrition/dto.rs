//! Request and response shapes of `nutrition/` (API.md section 2: Food,
//! Meal, MealPlan).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct Portion {
    pub description: String,
    pub grams: f64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FoodResponse {
    pub id: i64,
    pub name: String,
    pub brand: Option<String>,
    pub category: String,
    pub serving_size: f64,
    pub serving_unit: String,
    pub serving_description: Option<String>,
    pub calories: f64,
    pub protein_g: f64,
    pub carbs_g: f64,
    pub fat_g: f64,
    /// Null when unknown (not analysed), never a guessed zero.
    pub fiber_g: Option<f64>,
    pub sugar_g: Option<f64>,
    pub sodium_mg: Option<f64>,
    pub portions: Vec<Portion>,
    pub is_public: bool,
    /// The owner's user id for custom foods, null for public ones.
    pub owner: Option<i64>,
    /// `usda_sr28`, `import` or `custom`.
    pub source: String,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum ServingUnit {
    G,
    Ml,
}

impl ServingUnit {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::G => "g",
            Self::Ml => "ml",
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FoodCreate {
    pub name: String,
    pub brand: Option<String>,
    pub category: Option<String>,
    pub serving_size: f64,
    pub serving_unit: ServingUnit,
    pub serving_description: Option<String>,
    pub calories: f64,
    pub protein_g: f64,
    pub carbs_g: f64,
    pub fat_g: f64,
    pub fiber_g: Option<f64>,
    pub sugar_g: Option<f64>,
    pub sodium_mg: Option<f64>,
    #[serde(default)]
    pub portions: Vec<Portion>,
    /// Staff only: a public food every user sees.
    #[serde(default)]
    pub is_public: bool,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FoodUpdate {
    pub name: Option<String>,
    pub brand: Option<String>,
    pub category: Option<String>,
    pub serving_size: Option<f64>,
    pub serving_unit: Option<ServingUnit>,
    pub serving_description: Option<String>,
    pub calories: Option<f64>,
    pub protein_g: Option<f64>,
    pub carbs_g: Option<f64>,
    pub fat_g: Option<f64>,
    pub fiber_g: Option<f64>,
    pub sugar_g: Option<f64>,
    pub sodium_mg: Option<f64>,
    pub portions: Option<Vec<Portion>>,
}
