//! `nutrition/foods/`: the bundled USDA table, ranked search, custom foods
//! and their rules.

use crate::helpers::{PASSWORD, TestApp, json_body, no_content, problem, validation_error};
use serde_json::{Value, json};

pub async fn with_foods() -> TestApp {
    let app = TestApp::spawn().await;
    let n = fitcore::nutrition::food_data::ensure_bundled(app.db(), app.state.clock.as_ref())
        .await
        .expect("load bundled foods");
    assert!(n > 8700, "{n} foods");
    app
}

pub fn custom_food(name: &str) -> Value {
    json!({"name": name, "serving_size": 100, "serving_unit": "g", "calories": 250,
           "protein_g": 10, "carbs_g": 30, "fat_g": 10, "fiber_g": 3,
           "portions": [{"description": "1 bar", "grams": 40}]})
}

/// The food names on a page of results.
pub(crate) fn names(page: &Value) -> Vec<String> {
    page["results"]
        .as_array()
        .map(|r| {
            r.iter()
                .filter_map(|f| f["name"].as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn the_bundled_table_is_searchable_with_portions_and_unknowns_as_null() {
    let app = with_foods().await;
    let page = json_body(
        app.get("nutrition/foods/?search=butter%2C%20salted", None)
            .await,
        200,
    )
    .await;
    let first = &page["results"][0];
    assert_eq!(
        first["name"], "Butter, salted",
        "the exact name comes first"
    );
    assert_eq!(
        (
            first["serving_size"].as_f64(),
            first["serving_unit"].as_str()
        ),
        (Some(100.0), Some("g"))
    );
    assert_eq!(first["calories"], 717.0);
    assert_eq!(first["source"], "usda_sr28");
    assert!(
        first["portions"]
            .as_array()
            .is_some_and(|p| p.iter().any(|x| x["description"] == "1 tbsp"))
    );
    // Loading again adds nothing.
    let again = fitcore::nutrition::food_data::ensure_bundled(app.db(), app.state.clock.as_ref())
        .await
        .expect("ensure");
    assert_eq!(again, 0);
    // Fiber and sugar not analysed stay null, not 0.
    let unknown = json_body(
        app.get(
            "nutrition/foods/?search=babyfood%20spaghetti%20tomato%20meat%20toddler",
            None,
        )
        .await,
        200,
    )
    .await;
    let f = &unknown["results"][0];
    assert_eq!(
        (f["fiber_g"].clone(), f["sugar_g"].clone()),
        (Value::Null, Value::Null),
        "{f}"
    );
    assert!(f["protein_g"].is_number());
}

#[tokio::test]
async fn search_ranks_exact_then_prefix_then_word_matches_then_the_rest_shorter_first() {
    let app = with_foods().await;
    let page = json_body(
        app.get("nutrition/foods/?search=pear&page_size=100", None)
            .await,
        200,
    )
    .await;
    let names = names(&page);
    assert_eq!(names.len(), 59, "every name containing `pear`");
    let rank = |n: &str| {
        let f = n.to_lowercase();
        if f == "pear" {
            0
        } else if f.starts_with("pear") {
            1
        } else if f.split([' ', ',', '(']).any(|w| w.starts_with("pear")) {
            2
        } else {
            3
        }
    };
    let ranks: Vec<i32> = names.iter().map(|n| rank(n)).collect();
    assert!(ranks.windows(2).all(|w| w[0] <= w[1]), "ranked: {names:?}");
    for pair in names.windows(2) {
        if rank(&pair[0]) == rank(&pair[1]) {
            assert!(pair[0].len() <= pair[1].len(), "shorter first: {pair:?}");
        }
    }
    assert!(ranks.contains(&3), "substring matches come last: {names:?}");
}

#[tokio::test]
async fn search_is_case_and_accent_insensitive() {
    let app = with_foods().await;
    let u = app.register("accents@example.com", PASSWORD).await;
    json_body(
        app.post(
            "nutrition/foods/",
            custom_food("Crème Fraîche Maison"),
            Some(&u.access),
        )
        .await,
        201,
    )
    .await;
    for q in ["creme%20fraiche", "CR%C3%88ME", "fra%C3%AEche%20maison"] {
        let page = json_body(
            app.get(
                &format!("nutrition/foods/?search={q}&mine=true"),
                Some(&u.access),
            )
            .await,
            200,
        )
        .await;
        assert_eq!(names(&page), vec!["Crème Fraîche Maison"], "{q}");
    }
}

#[tokio::test]
async fn custom_foods_are_private_to_their_owner() {
    let app = TestApp::spawn().await;
    let a = app.register("owner-food@example.com", PASSWORD).await;
    let b = app.register("other-food@example.com", PASSWORD).await;
    let f = json_body(
        app.post(
            "nutrition/foods/",
            custom_food("Granola Secret"),
            Some(&a.access),
        )
        .await,
        201,
    )
    .await;
    assert_eq!(
        (f["is_public"].as_bool(), f["owner"].as_i64()),
        (Some(false), Some(a.id))
    );
    let path = format!("nutrition/foods/{}/", f["id"]);
    json_body(app.get(&path, Some(&a.access)).await, 200).await;
    problem(app.get(&path, Some(&b.access)).await, 404, "not_found").await;
    problem(app.get(&path, None).await, 404, "not_found").await;
    problem(
        app.patch(&path, json!({"name": "Mine now"}), Some(&b.access))
            .await,
        404,
        "not_found",
    )
    .await;
    let others = json_body(
        app.get("nutrition/foods/?search=granola", Some(&b.access))
            .await,
        200,
    )
    .await;
    assert_eq!(others["count"], 0);
    let mine = json_body(
        app.get("nutrition/foods/?mine=true", Some(&a.access)).await,
        200,
    )
    .await;
    assert_eq!(names(&mine), vec!["Granola Secret"]);
    let edited = json_body(
        app.patch(
            &path,
            json!({"calories": 260, "portions": []}),
            Some(&a.access),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(
        (
            edited["calories"].as_f64(),
            edited["portions"].as_array().map(Vec::len)
        ),
        (Some(260.0), Some(0))
    );
    no_content(app.delete(&path, None, Some(&a.access)).await).await;
}

#[tokio::test]
async fn public_foods_are_edited_by_staff_only() {
    let app = with_foods().await;
    let u = app.register("not-staff-food@example.com", PASSWORD).await;
    let page = json_body(app.get("nutrition/foods/?search=butter", None).await, 200).await;
    let path = format!("nutrition/foods/{}/", page["results"][0]["id"]);
    problem(
        app.patch(&path, json!({"calories": 1}), Some(&u.access))
            .await,
        403,
        "permission_denied",
    )
    .await;
    problem(
        app.delete(&path, None, Some(&u.access)).await,
        403,
        "permission_denied",
    )
    .await;
    let mut public = custom_food("Public bar");
    public["is_public"] = json!(true);
    problem(
        app.post("nutrition/foods/", public.clone(), Some(&u.access))
            .await,
        403,
        "permission_denied",
    )
    .await;
    app.make_staff(u.id).await;
    json_body(
        app.patch(&path, json!({"calories": 700}), Some(&u.access))
            .await,
        200,
    )
    .await;
    let made = json_body(
        app.post("nutrition/foods/", public, Some(&u.access)).await,
        201,
    )
    .await;
    // A new public food is found at once (the in-memory index is rebuilt).
    let found = json_body(
        app.get("nutrition/foods/?search=public%20bar", None).await,
        200,
    )
    .await;
    assert_eq!(found["count"], 1, "{found}");
    assert_eq!(
        (made["is_public"].as_bool(), made["owner"].clone()),
        (Some(true), Value::Null)
    );
}

#[tokio::test]
async fn negative_or_impossible_nutrients_and_servings_are_400() {
    let app = TestApp::spawn().await;
    let u = app.register("bad-food@example.com", PASSWORD).await;
    for (change, field) in [
        (json!({"calories": -1}), "calories"),
        (json!({"calories": 2000}), "calories"),
        (json!({"protein_g": 80, "carbs_g": 80}), "protein_g"),
        (json!({"serving_size": 0}), "serving_size"),
        (json!({"serving_size": -5}), "serving_size"),
        (json!({"serving_size": 1e9}), "serving_size"),
        (json!({"fiber_g": 50}), "fiber_g"),
        (json!({"sodium_mg": -3}), "sodium_mg"),
        (json!({"name": ""}), "name"),
        (
            json!({"portions": [{"description": "1 cup", "grams": -4}]}),
            "portions",
        ),
    ] {
        let mut body = custom_food("Bad");
        for (k, v) in change.as_object().into_iter().flatten() {
            body[k] = v.clone();
        }
        validation_error(
            app.post("nutrition/foods/", body, Some(&u.access)).await,
            field,
        )
        .await;
    }
    let res = app
        .post(
            "nutrition/foods/",
            json!({"name": "x", "serving_unit": "bucket"}),
            Some(&u.access),
        )
        .await;
    assert_eq!(res.status(), 400);
}

#[tokio::test]
async fn unknown_food_query_parameters_are_400_and_mine_needs_a_user() {
    let app = TestApp::spawn().await;
    problem(
        app.get("nutrition/foods/?colour=red", None).await,
        400,
        "validation_error",
    )
    .await;
    problem(
        app.get("nutrition/foods/?mine=true", None).await,
        401,
        "not_authenticated",
    )
    .await;
}
