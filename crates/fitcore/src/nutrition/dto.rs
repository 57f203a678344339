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

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum MealTime {
    Breakfast,
    Lunch,
    Snack,
    Dinner,
}

impl MealTime {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Breakfast => "breakfast",
            Self::Lunch => "lunch",
            Self::Snack => "snack",
            Self::Dinner => "dinner",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "breakfast" => Some(Self::Breakfast),
            "lunch" => Some(Self::Lunch),
            "snack" => Some(Self::Snack),
            "dinner" => Some(Self::Dinner),
            _ => None,
        }
    }
}

/// Sums over items. Fiber, sugar and sodium add the known values; they are
/// null only when no item's value is known.
#[derive(Debug, Clone, Default, Serialize, ToSchema, PartialEq)]
pub struct Totals {
    pub calories: f64,
    pub protein_g: f64,
    pub carbs_g: f64,
    pub fat_g: f64,
    pub fiber_g: Option<f64>,
    pub sugar_g: Option<f64>,
    pub sodium_mg: Option<f64>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FoodRef {
    pub id: i64,
    pub name: String,
    pub serving_size: f64,
    pub serving_unit: String,
    pub serving_description: Option<String>,
}

impl From<&super::entity::food::Model> for FoodRef {
    fn from(f: &super::entity::food::Model) -> Self {
        Self {
            id: f.id,
            name: f.name.clone(),
            serving_size: f.serving_size,
            serving_unit: f.serving_unit.clone(),
            serving_description: f.serving_description.clone(),
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MealItemResponse {
    pub id: i64,
    pub food: FoodRef,
    pub number_of_servings: f64,
    pub calories: f64,
    pub protein_g: f64,
    pub carbs_g: f64,
    pub fat_g: f64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MealResponse {
    pub id: i64,
    pub name: String,
    pub description: String,
    pub meal_time_category: String,
    pub is_template: bool,
    /// The owner's user id; null for public templates.
    pub owner: Option<i64>,
    pub items: Vec<MealItemResponse>,
    pub totals: Totals,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ItemRequest {
    pub food_id: i64,
    pub number_of_servings: f64,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MealCreate {
    pub name: String,
    pub meal_time_category: MealTime,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub items: Vec<ItemRequest>,
    /// A template; staff templates are public.
    #[serde(default)]
    pub is_template: bool,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MealUpdate {
    pub name: Option<String>,
    pub meal_time_category: Option<MealTime>,
    pub description: Option<String>,
    /// Replaces every item when present.
    pub items: Option<Vec<ItemRequest>>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ScheduledMealResponse {
    /// The scheduled entry's id (for removal).
    pub id: i64,
    pub meal: MealResponse,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PlanDay {
    pub day_of_plan: i32,
    pub date: chrono::NaiveDate,
    pub meals: Vec<ScheduledMealResponse>,
    pub totals: Totals,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PlanResponse {
    pub id: i64,
    pub name: String,
    pub goal: Option<String>,
    pub duration_days: i32,
    pub start_date: chrono::NaiveDate,
    pub target_daily_calories: Option<f64>,
    pub target_protein_g: Option<f64>,
    pub target_carbs_g: Option<f64>,
    pub target_fat_g: Option<f64>,
    pub is_ai_generated: bool,
    pub is_template: bool,
    pub owner: Option<i64>,
    /// In the detail only (lists leave it out).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub days: Option<Vec<PlanDay>>,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanCreate {
    pub name: String,
    pub goal: Option<String>,
    /// 1 to 28.
    pub duration_days: i32,
    pub start_date: chrono::NaiveDate,
    pub target_daily_calories: Option<f64>,
    pub target_protein_g: Option<f64>,
    pub target_carbs_g: Option<f64>,
    pub target_fat_g: Option<f64>,
    /// A template; staff templates are public.
    #[serde(default)]
    pub is_template: bool,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanUpdate {
    pub name: Option<String>,
    pub goal: Option<String>,
    pub duration_days: Option<i32>,
    pub start_date: Option<chrono::NaiveDate>,
    pub target_daily_calories: Option<f64>,
    pub target_protein_g: Option<f64>,
    pub target_carbs_g: Option<f64>,
    pub target_fat_g: Option<f64>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScheduleRequest {
    pub meal_id: i64,
    pub day_of_plan: i32,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CopyRequest {
    pub start_date: chrono::NaiveDate,
}

#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct Household {
    /// A portion of the food, e.g. "1 cup, chopped".
    pub description: String,
    /// How many of that portion (to the nearest half).
    pub count: f64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ShoppingItem {
    pub food_id: i64,
    pub name: String,
    /// Total across the plan (millilitres count as grams for liquids).
    pub grams: f64,
    pub servings: f64,
    /// The nearest household measure, when the food has portions.
    pub household: Option<Household>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ShoppingCategory {
    pub category: String,
    pub items: Vec<ShoppingItem>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ShoppingList {
    pub plan_id: i64,
    pub categories: Vec<ShoppingCategory>,
}
