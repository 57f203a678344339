pub mod food;
pub mod food_log;
pub mod food_portion;
pub mod meal;
pub mod meal_item;
pub mod meal_plan;
pub mod scheduled_meal;
