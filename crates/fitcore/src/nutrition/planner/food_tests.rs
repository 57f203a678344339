//! Food facts: diet flags, allergies, meal slots and display names.

use super::*;

fn flags(category: &str, name: &str) -> DietFlags {
    diet_flags(category, name)
}

fn hits(category: &str, name: &str, allergy: &str) -> bool {
    hits_allergy(category, name, &[allergy.to_owned()])
}

#[test]
fn beef_is_not_vegetarian_and_tofu_is_vegan() {
    let beef = flags(
        "Beef Products",
        "Beef, ground, 85% lean meat / 15% fat, patty, cooked, broiled",
    );
    assert!(!beef.vegetarian && !beef.vegan && !beef.pescatarian);
    assert!(beef.halal && beef.kosher && beef.keto && beef.gluten_free && beef.dairy_free);
    let tofu = flags(
        "Legumes and Legume Products",
        "Tofu, firm, prepared with calcium sulfate and magnesium chloride (nigari)",
    );
    assert!(
        tofu.vegan && tofu.vegetarian && tofu.pescatarian && tofu.dairy_free && tofu.gluten_free
    );
}

#[test]
fn cheese_is_vegetarian_but_not_vegan_or_dairy_free() {
    let cheddar = flags("Dairy and Egg Products", "Cheese, cheddar");
    assert!(cheddar.vegetarian && !cheddar.vegan && !cheddar.dairy_free && cheddar.keto);
    let goat = flags("Dairy and Egg Products", "Cheese, goat, hard type");
    assert!(goat.vegetarian);
    let egg = flags("Dairy and Egg Products", "Egg, whole, cooked, hard-boiled");
    assert!(egg.vegetarian && !egg.vegan && egg.dairy_free && egg.paleo);
}

#[test]
fn shrimp_is_pescatarian_but_not_vegetarian_or_kosher() {
    let shrimp = flags(
        "Finfish and Shellfish Products",
        "Crustaceans, shrimp, mixed species, cooked, moist heat",
    );
    assert!(shrimp.pescatarian && !shrimp.vegetarian && !shrimp.kosher);
    let salmon = flags(
        "Finfish and Shellfish Products",
        "Fish, salmon, Atlantic, farmed, cooked, dry heat",
    );
    assert!(salmon.pescatarian && salmon.kosher && salmon.halal && !salmon.vegetarian);
    let catfish = flags(
        "Finfish and Shellfish Products",
        "Fish, catfish, channel, farmed, cooked, dry heat",
    );
    assert!(!catfish.kosher);
}

#[test]
fn bread_is_not_gluten_free_but_rice_and_labelled_bread_are() {
    assert!(
        !flags(
            "Baked Products",
            "Bread, whole-wheat, commercially prepared"
        )
        .gluten_free
    );
    assert!(
        !flags(
            "Baked Products",
            "Bread, whole-wheat, commercially prepared"
        )
        .vegan
    );
    assert!(flags("Cereal Grains and Pasta", "Rice, brown, long-grain, cooked").gluten_free);
    assert!(
        flags(
            "Baked Products",
            "Bread, gluten-free, white, made with rice flour, corn starch, and/or tapioca"
        )
        .gluten_free
    );
    assert!(!flags("Cereal Grains and Pasta", "Spaghetti, whole-wheat, cooked").gluten_free);
    assert!(
        flags(
            "Cereal Grains and Pasta",
            "Buckwheat groats, roasted, cooked"
        )
        .gluten_free
    );
}

#[test]
fn pork_is_neither_halal_nor_kosher_and_rolls_are_not_meat() {
    let pork = flags(
        "Pork Products",
        "Pork, fresh, loin, tenderloin, separable lean only, cooked, roasted",
    );
    assert!(!pork.halal && !pork.kosher && pork.paleo);
    let bacon = flags("Sausages and Luncheon Meats", "Turkey bacon, microwaved");
    assert!(!bacon.halal && !bacon.kosher);
    let bun = flags("Baked Products", "Rolls, hamburger or hotdog, plain");
    assert!(bun.vegetarian && bun.halal);
}

#[test]
fn shellfish_and_wine_are_not_halal() {
    assert!(
        !flags(
            "Finfish and Shellfish Products",
            "Crustaceans, lobster, northern, cooked, moist heat"
        )
        .halal
    );
    assert!(!flags("Beverages", "Alcoholic beverage, wine, table, red").halal);
}

#[test]
fn keto_excludes_starches_and_sugars() {
    assert!(
        !flags(
            "Cereal Grains and Pasta",
            "Rice, white, long-grain, regular, enriched, cooked"
        )
        .keto
    );
    assert!(!flags("Fruits and Fruit Juices", "Bananas, raw").keto);
    assert!(
        flags(
            "Vegetables and Vegetable Products",
            "Broccoli, cooked, boiled, drained, without salt"
        )
        .keto
    );
    assert!(
        flags(
            "Vegetables and Vegetable Products",
            "Peppers, sweet, red, raw"
        )
        .keto
    );
    assert!(
        keto_by_nutrients(579.0, 21.6),
        "almonds: carbs are mostly fibre"
    );
    assert!(!keto_by_nutrients(130.0, 28.0), "rice");
}

#[test]
fn milk_allergy_matches_cheese_butter_yogurt_whey_and_cream_but_not_peanut_butter() {
    for name in [
        "Cheese, cheddar",
        "Butter, salted",
        "Yogurt, Greek, plain, nonfat",
        "Whey, sweet, dried",
        "Cream, fluid, heavy whipping",
    ] {
        assert!(hits("Dairy and Egg Products", name, "milk"), "{name}");
    }
    assert!(hits(
        "Baked Products",
        "Bread, white, commercially prepared",
        "dairy"
    ));
    assert!(!hits(
        "Legumes and Legume Products",
        "Peanut butter, smooth style, with salt",
        "milk"
    ));
    assert!(!hits(
        "Vegetables and Vegetable Products",
        "Lettuce, butterhead (includes boston and bibb types), raw",
        "milk"
    ));
    assert!(!hits(
        "Dairy and Egg Products",
        "Egg, whole, cooked, hard-boiled",
        "milk"
    ));
}

#[test]
fn nut_shellfish_egg_and_wheat_allergies_use_keyword_families() {
    assert!(hits("Nut and Seed Products", "Nuts, almonds", "tree nuts"));
    assert!(hits(
        "Nut and Seed Products",
        "Nuts, walnuts, english",
        "Tree Nut"
    ));
    assert!(!hits(
        "Nut and Seed Products",
        "Seeds, sunflower seed kernels, dry roasted, with salt added",
        "tree nuts"
    ));
    assert!(hits(
        "Legumes and Legume Products",
        "Peanut butter, smooth style, with salt",
        "peanut"
    ));
    assert!(!hits(
        "Legumes and Legume Products",
        "Peanut butter, smooth style, with salt",
        "tree nuts"
    ));
    assert!(hits(
        "Finfish and Shellfish Products",
        "Crustaceans, crab, blue, cooked, moist heat",
        "shellfish"
    ));
    assert!(hits(
        "Finfish and Shellfish Products",
        "Mollusks, scallop, mixed species, cooked, breaded and fried",
        "shellfish"
    ));
    assert!(!hits(
        "Finfish and Shellfish Products",
        "Fish, cod, Atlantic, cooked, dry heat",
        "shellfish"
    ));
    assert!(hits(
        "Finfish and Shellfish Products",
        "Fish, cod, Atlantic, cooked, dry heat",
        "fish"
    ));
    assert!(hits(
        "Cereal Grains and Pasta",
        "Noodles, egg, cooked, enriched",
        "egg"
    ));
    assert!(!hits(
        "Vegetables and Vegetable Products",
        "Eggplant, cooked, boiled, drained, without salt",
        "egg"
    ));
    assert!(hits("Cereal Grains and Pasta", "Couscous, cooked", "wheat"));
    assert!(!hits(
        "Cereal Grains and Pasta",
        "Rice, brown, long-grain, cooked",
        "wheat"
    ));
    assert!(hits(
        "Legumes and Legume Products",
        "Tofu, raw, firm, prepared with calcium sulfate",
        "soy"
    ));
    assert!(hits(
        "Legumes and Legume Products",
        "Hummus, commercial",
        "sesame"
    ));
    assert!(
        hits(
            "Fast Foods",
            "Fast foods, hamburger; single, regular patty; plain",
            "peanut"
        ),
        "mixed dishes may hold anything"
    );
}

#[test]
fn unknown_allergies_match_the_food_name_in_singular_or_plural() {
    assert!(hits(
        "Fruits and Fruit Juices",
        "Strawberries, raw",
        "strawberries"
    ));
    assert!(hits(
        "Fruits and Fruit Juices",
        "Strawberries, raw",
        "Strawberry"
    ));
    assert!(hits(
        "Fruits and Fruit Juices",
        "Kiwifruit, green, raw",
        "kiwi"
    ));
    assert!(!hits("Fruits and Fruit Juices", "Bananas, raw", "kiwi"));
    assert!(!hits_allergy(
        "Fruits and Fruit Juices",
        "Bananas, raw",
        &["  ".to_owned()]
    ));
}

#[test]
fn meal_slots_put_foods_where_people_eat_them() {
    use MealSlot::*;
    let s = meal_slots;
    assert_eq!(
        s(
            "Breakfast Cereals",
            "Cereals, oats, regular and quick, unenriched, cooked with water (includes boiling and microwaving), without salt"
        ),
        vec![Breakfast]
    );
    assert_eq!(
        s(
            "Poultry Products",
            "Chicken, broilers or fryers, breast, meat only, cooked, roasted"
        ),
        vec![Lunch, Dinner]
    );
    assert_eq!(
        s("Fruits and Fruit Juices", "Bananas, raw"),
        vec![Breakfast, Snack]
    );
    assert_eq!(
        s("Nut and Seed Products", "Nuts, almonds"),
        vec![Breakfast, Snack]
    );
    assert_eq!(
        s("Fats and Oils", "Oil, olive, salad or cooking"),
        vec![Lunch, Dinner]
    );
    assert!(s("Dairy and Egg Products", "Yogurt, Greek, plain, nonfat").contains(&Breakfast));
    assert!(
        s(
            "Vegetables and Vegetable Products",
            "Broccoli, cooked, boiled, drained, without salt"
        )
        .contains(&Dinner)
    );
    assert!(s("Vegetables and Vegetable Products", "Carrots, raw").contains(&Snack));
    for (cat, name) in [
        ("Spices and Herbs", "Spices, pepper, black"),
        (
            "Baby Foods",
            "Babyfood, cereal, rice, prepared with whole milk",
        ),
        ("Fast Foods", "McDONALD'S, Chicken McNUGGETS"),
        ("Beverages", "Alcoholic beverage, wine, table, red"),
        (
            "Poultry Products",
            "Chicken, broilers or fryers, breast, meat only, raw",
        ),
        (
            "Cereal Grains and Pasta",
            "Wheat flour, white, all-purpose, enriched, bleached",
        ),
        (
            "Beef Products",
            "Beef, variety meats and by-products, liver, cooked, braised",
        ),
        ("Sweets", "Candies, milk chocolate"),
        (
            "Fats and Oils",
            "Shortening, household, soybean (partially hydrogenated)-cottonseed (partially hydrogenated)",
        ),
    ] {
        assert!(s(cat, name).is_empty(), "{name}");
    }
}

#[test]
fn display_names_are_short_and_readable() {
    let n = display_name;
    let poultry = "Poultry Products";
    assert_eq!(
        n(
            poultry,
            "Chicken, broilers or fryers, breast, meat only, cooked, roasted"
        ),
        "Chicken breast"
    );
    assert_eq!(
        n(
            "Beef Products",
            "Beef, ground, 85% lean meat / 15% fat, patty, cooked, broiled"
        ),
        "Ground beef"
    );
    assert_eq!(
        n("Cereal Grains and Pasta", "Rice, brown, long-grain, cooked"),
        "Brown rice"
    );
    assert_eq!(
        n("Dairy and Egg Products", "Yogurt, Greek, plain, nonfat"),
        "Greek yogurt"
    );
    assert_eq!(n("Nut and Seed Products", "Nuts, almonds"), "Almonds");
    assert_eq!(
        n("Fats and Oils", "Oil, olive, salad or cooking"),
        "Olive oil"
    );
    assert_eq!(
        n("Legumes and Legume Products", "Chicken, meatless"),
        "Meatless chicken"
    );
    assert_eq!(
        n("Legumes and Legume Products", "MORI-NU, Tofu, silken, firm"),
        "Silken tofu"
    );
    assert_eq!(
        n("Dairy and Egg Products", "Egg, whole, cooked, scrambled"),
        "Scrambled eggs"
    );
    let oats = "Cereals, oats, regular and quick, unenriched, cooked with water (includes boiling and microwaving), without salt";
    assert_eq!(n("Breakfast Cereals", oats), "Oatmeal");
}
