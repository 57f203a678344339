use std::collections::HashSet;

use super::quality::usda_foods;
use super::*;
use crate::accounts::dto::DietaryPreference::{self, *};

fn request(
    diet: &[DietaryPreference],
    allergies: &[&str],
    t: Targets,
    meals: u32,
    seed: u64,
) -> PlanRequest {
    PlanRequest {
        days: 7,
        meals_per_day: meals,
        targets: t,
        diet: diet.to_vec(),
        allergies: allergies.iter().map(|a| (*a).to_owned()).collect(),
        exclude: HashSet::new(),
        seed,
        ideas: Vec::new(),
    }
}

const T2000: Targets = Targets {
    calories: 2000.0,
    protein_g: 130.0,
    carbs_g: 219.0,
    fat_g: 56.0,
};

fn food(id: i64) -> &'static PlannerFood {
    usda_foods()
        .iter()
        .find(|f| f.id == id)
        .expect("food in table")
}

#[test]
fn targets_for_keto_cap_carbs_keep_calories_and_are_idempotent() {
    let k = targets_for_diet(T2000, &[Keto]);
    assert!(k.carbs_g <= 50.0 + 1e-9);
    let kcal = |t: Targets| 4.0 * t.protein_g + 4.0 * t.carbs_g + 9.0 * t.fat_g;
    assert!((kcal(k) - kcal(T2000)).abs() < 1e-6);
    assert_eq!(k.protein_g, T2000.protein_g);
    assert_eq!(targets_for_diet(k, &[Keto]), k);
    assert_eq!(targets_for_diet(T2000, &[Vegan]), T2000);
}

#[test]
fn the_same_seed_gives_the_same_plan_and_another_seed_another_plan() {
    let foods = usda_foods();
    let a = plan(foods, &request(&[], &[], T2000, 4, 42)).expect("plan");
    let b = plan(foods, &request(&[], &[], T2000, 4, 42)).expect("plan");
    let c = plan(foods, &request(&[], &[], T2000, 4, 43)).expect("plan");
    assert_eq!(a, b);
    assert_ne!(a, c);
}

fn check_profile(diet: &[DietaryPreference], allergies: &[&str], t: Targets, meals: u32) {
    let foods = usda_foods();
    let req = request(diet, allergies, t, meals, 7);
    let p = plan(foods, &req).unwrap_or_else(|e| panic!("{diet:?} {allergies:?}: {e}"));
    verify(&p, foods, &req).expect("verified");
    let target = targets_for_diet(t, diet);
    for day in &p.days {
        let tot = day.totals;
        assert!((tot.calories - target.calories).abs() <= 0.05 * target.calories + 0.1);
        assert!((tot.protein_g - target.protein_g).abs() <= 0.10 * target.protein_g + 0.1);
        assert!((tot.carbs_g - target.carbs_g).abs() <= 0.10 * target.carbs_g + 0.1);
        assert!((tot.fat_g - target.fat_g).abs() <= 0.10 * target.fat_g + 0.1);
        for item in day.meals.iter().flat_map(|m| &m.items) {
            let f = food(item.food_id);
            assert!(fits_diet(f.flags, diet), "{}", f.name);
            let allergy_list: Vec<String> = allergies.iter().map(|a| (*a).to_owned()).collect();
            assert!(
                !hits_allergy(&f.category, &f.name, &allergy_list),
                "{}",
                f.name
            );
        }
    }
}

#[test]
fn a_vegan_plan_meets_targets_with_vegan_foods_only() {
    check_profile(
        &[Vegan],
        &[],
        Targets {
            calories: 2200.0,
            protein_g: 110.0,
            carbs_g: 288.0,
            fat_g: 61.0,
        },
        4,
    );
}

#[test]
fn a_keto_plan_meets_the_keto_targets() {
    check_profile(
        &[Keto],
        &[],
        Targets {
            calories: 2400.0,
            protein_g: 150.0,
            carbs_g: 240.0,
            fat_g: 93.0,
        },
        3,
    );
}

#[test]
fn a_gluten_free_plan_with_peanut_allergy_meets_targets() {
    check_profile(
        &[GlutenFree],
        &["peanut"],
        Targets {
            calories: 1800.0,
            protein_g: 120.0,
            carbs_g: 187.0,
            fat_g: 63.0,
        },
        5,
    );
}

#[test]
fn a_pescatarian_dairy_free_plan_meets_targets() {
    check_profile(
        &[Pescatarian, DairyFree],
        &[],
        Targets {
            calories: 2800.0,
            protein_g: 160.0,
            carbs_g: 355.0,
            fat_g: 78.0,
        },
        6,
    );
}

#[test]
fn a_kosher_plan_never_mixes_meat_and_dairy_in_a_meal() {
    check_profile(&[Kosher], &["shellfish"], T2000, 4);
}

#[test]
fn excluding_almost_everything_is_refused_not_served() {
    let foods = usda_foods();
    let keep: Vec<i64> = foods
        .iter()
        .filter(|f| !f.slots.is_empty())
        .take(5)
        .map(|f| f.id)
        .collect();
    let mut req = request(&[], &[], T2000, 3, 1);
    req.exclude = foods
        .iter()
        .map(|f| f.id)
        .filter(|id| !keep.contains(id))
        .collect();
    assert!(matches!(
        plan(foods, &req),
        Err(PlanError::TooFewFoods { available: 5, .. })
    ));
}

#[test]
fn a_pool_that_cannot_reach_the_protein_target_is_infeasible() {
    let foods = usda_foods();
    // Only fruit and vegetables are left: 130 g protein is out of reach.
    let mut req = request(&[], &[], T2000, 3, 1);
    req.exclude = foods
        .iter()
        .filter(|f| {
            !matches!(
                f.kind,
                FoodKind::Fruit | FoodKind::Vegetable | FoodKind::SaladVeg | FoodKind::Starchy
            )
        })
        .map(|f| f.id)
        .collect();
    match plan(foods, &req) {
        Err(PlanError::Infeasible(msg)) => {
            assert!(msg.contains("breakfast") || msg.contains("day 1"), "{msg}")
        }
        other => panic!("expected Infeasible, got {other:?}"),
    }
}

#[test]
fn invalid_requests_are_rejected_with_a_reason() {
    let foods = usda_foods();
    let mut req = request(&[], &[], T2000, 3, 1);
    req.days = 0;
    assert!(matches!(
        plan(foods, &req),
        Err(PlanError::InvalidRequest(_))
    ));
    let mut req = request(&[], &[], T2000, 3, 1);
    req.targets.protein_g = 400.0;
    let err = plan(foods, &req).expect_err("inconsistent targets");
    assert!(err.to_string().contains("add up to"), "{err}");
}

#[test]
fn verify_rejects_tampered_plans() {
    let foods = usda_foods();
    let req = request(&[Vegetarian], &[], T2000, 3, 5);
    let good = plan(foods, &req).expect("plan");
    assert!(verify(&good, foods, &req).is_ok());
    let mut heavy = good.clone();
    heavy.days[0].meals[0].items[0].grams *= 3.0;
    assert!(verify(&heavy, foods, &req).is_err());
    let mut meat = good.clone();
    let chicken = foods
        .iter()
        .find(|f| {
            f.name
                .starts_with("Chicken, broilers or fryers, breast, meat only, cooked")
        })
        .expect("chicken");
    meat.days[0].meals[1].items[0].food_id = chicken.id;
    assert!(
        verify(&meat, foods, &req)
            .expect_err("vegetarian plan with chicken")
            .contains("not allowed")
    );
    let mut excluded_req = req.clone();
    excluded_req
        .exclude
        .insert(good.days[0].meals[0].items[0].food_id);
    assert!(verify(&good, foods, &excluded_req).is_err());
}

#[test]
fn meal_ideas_are_used_first_and_portioned() {
    let foods = usda_foods();
    let oatmeal = foods
        .iter()
        .find(|f| {
            f.kind == FoodKind::HotCereal
                && f.name
                    .contains("oats, regular and quick, unenriched, cooked")
        })
        .expect("oatmeal");
    let banana = foods
        .iter()
        .find(|f| f.name == "Bananas, raw")
        .expect("banana");
    let mut req = request(&[], &[], T2000, 3, 9);
    req.ideas = vec![Idea {
        day: 2,
        slot: MealSlot::Breakfast,
        food_ids: vec![oatmeal.id, banana.id, -1],
    }];
    let p = plan(foods, &req).expect("plan");
    let breakfast = &p.days[1].meals[0];
    let ids: Vec<i64> = breakfast.items.iter().map(|i| i.food_id).collect();
    assert!(
        ids.contains(&oatmeal.id) && ids.contains(&banana.id),
        "{breakfast:?}"
    );
    assert!(breakfast.name.starts_with("Oatmeal"), "{}", breakfast.name);
}

#[test]
fn every_template_names_real_food_kinds() {
    assert_eq!(super::templates::unknown_kind_names(), 0);
}

#[test]
fn errors_read_well() {
    let e = PlanError::TooFewFoods {
        available: 3,
        needed: 12,
    };
    assert!(e.to_string().contains("only 3 foods fit"));
}

#[test]
fn a_week_repeats_no_food_more_than_three_times() {
    let foods = usda_foods();
    for seed in 0..5 {
        let p = plan(foods, &request(&[], &[], T2000, 5, seed)).expect("plan");
        let mut uses: std::collections::HashMap<i64, usize> = Default::default();
        for item in p.days.iter().flat_map(|d| &d.meals).flat_map(|m| &m.items) {
            *uses.entry(item.food_id).or_default() += 1;
        }
        assert!(uses.values().all(|&n| n <= 3), "seed {seed}: {uses:?}");
    }
}
