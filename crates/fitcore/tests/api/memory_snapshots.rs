//! The public foods and the workout catalogue live in memory. Changes made
//! through the API show at once (tested with their contexts); changes made
//! behind the server's back (another instance without Redis, SQL by hand)
//! show once a snapshot is old and a reader's check finds the tables moved.
//! An old snapshot whose tables did not move is kept, not rebuilt.

use crate::{
    helpers::{PASSWORD, TestApp, json_body},
    nutrition_meals::{meal, plan, public_food, schedule},
    workouts::{category, staff, workout},
};
use serde_json::{Value, json};

/// A plan holding one meal of one public food (380 kcal); its path and
/// the owner's token.
async fn plan_of_public_food(app: &TestApp) -> (Value, String, String) {
    let s = staff(app, "snap-staff@example.com").await;
    let u = app.register("snap-user@example.com", PASSWORD).await;
    let oats = public_food(app, &s, "Rolled oats", 380.0).await;
    let m = meal(
        app,
        &u,
        "Porridge",
        json!([{"food_id": oats["id"], "number_of_servings": 1}]),
    )
    .await;
    let p = plan(app, &u, 1).await;
    schedule(app, &u, &p, &m, 1).await;
    (oats, format!("nutrition/plans/{}/", p["id"]), u.access)
}

async fn plan_calories(app: &TestApp, path: &str, token: &str) -> Value {
    json_body(app.get(path, Some(token)).await, 200).await["days"][0]["totals"]["calories"].clone()
}

/// Runs `sql` without telling the server (no invalidation, as from another
/// instance without Redis).
async fn behind_the_back(app: &TestApp, sql: &str) {
    use sea_orm::ConnectionTrait;
    app.db()
        .execute_unprepared(sql)
        .await
        .unwrap_or_else(|e| panic!("SQL `{sql}` failed: {e}"));
}

/// A date later than any the server writes: an edit made "now" elsewhere.
const LATER: &str = "2099-01-01 00:00:00+00:00";

#[tokio::test]
async fn an_old_food_snapshot_over_unchanged_foods_is_kept_with_one_check() {
    let app = TestApp::spawn().await;
    let (_, path, token) = plan_of_public_food(&app).await;
    assert_eq!(plan_calories(&app, &path, &token).await, 380.0);
    app.state.food_index.age_out();
    let before = app.query_count();
    assert_eq!(plan_calories(&app, &path, &token).await, 380.0);
    assert_eq!(
        app.query_count() - before,
        2,
        "the plan's row and the foods' stamp; the cached plan stays valid"
    );
    let before = app.query_count();
    plan_calories(&app, &path, &token).await;
    assert_eq!(app.query_count() - before, 1, "fresh again");
}

#[tokio::test]
async fn a_public_food_edited_behind_the_servers_back_shows_once_the_snapshot_is_old() {
    let app = TestApp::spawn().await;
    let (oats, path, token) = plan_of_public_food(&app).await;
    assert_eq!(plan_calories(&app, &path, &token).await, 380.0);
    behind_the_back(
        &app,
        &format!(
            "UPDATE foods SET calories = 400, updated_at = '{LATER}' WHERE id = {}",
            oats["id"]
        ),
    )
    .await;
    assert_eq!(
        plan_calories(&app, &path, &token).await,
        380.0,
        "still the snapshot's"
    );
    app.state.food_index.age_out();
    assert_eq!(plan_calories(&app, &path, &token).await, 400.0);
}

#[tokio::test]
async fn a_workout_renamed_behind_the_servers_back_shows_once_the_catalogue_is_old() {
    let app = TestApp::spawn().await;
    let s = staff(&app, "snap-catalogue@example.com").await;
    let cat = category(&app, &s.access, "Yoga").await;
    let w = workout(&app, &s.access, &cat["id"], json!({"title": "Sun salute"})).await;
    let path = format!("workouts/workouts/{}/", w["id"]);
    json_body(app.get(&path, None).await, 200).await;
    behind_the_back(
        &app,
        &format!(
            "UPDATE workouts SET title = 'Moon salute', updated_at = '{LATER}' WHERE id = {}",
            w["id"]
        ),
    )
    .await;
    assert_eq!(
        json_body(app.get(&path, None).await, 200).await["title"],
        "Sun salute"
    );
    app.state.catalogue.age_out();
    assert_eq!(
        json_body(app.get(&path, None).await, 200).await["title"],
        "Moon salute"
    );
    // Unchanged since: an old catalogue is checked and kept.
    app.state.catalogue.age_out();
    let before = app.query_count();
    assert_eq!(
        json_body(app.get(&path, None).await, 200).await["title"],
        "Moon salute"
    );
    assert_eq!(app.query_count() - before, 1, "the catalogue's stamp only");
}

#[tokio::test]
async fn a_repeated_search_answers_the_same_and_a_new_public_food_joins_it_at_once() {
    let app = crate::nutrition_foods::with_foods().await;
    let path = "nutrition/foods/?search=pear&page_size=100";
    let first = json_body(app.get(path, None).await, 200).await;
    let again = json_body(app.get(path, None).await, 200).await;
    assert_eq!(again, first);
    let s = staff(&app, "snap-search@example.com").await;
    public_food(&app, &s, "Pear", 57.0).await;
    let after = json_body(app.get(path, None).await, 200).await;
    assert_eq!(after["count"], first["count"].as_u64().unwrap_or(0) + 1);
    assert_eq!(
        crate::nutrition_foods::names(&after)[0],
        "Pear",
        "an exact match first"
    );
}

#[tokio::test]
async fn own_foods_take_their_ranked_place_among_public_ones_on_every_page() {
    let app = crate::nutrition_foods::with_foods().await;
    let u = app.register("snap-own@example.com", PASSWORD).await;
    for name in ["Pear", "Grandma's pear compote"] {
        json_body(
            app.post(
                "nutrition/foods/",
                crate::nutrition_foods::custom_food(name),
                Some(&u.access),
            )
            .await,
            201,
        )
        .await;
    }
    let get = |path: String| {
        let app = &app;
        let token = u.access.clone();
        async move { json_body(app.get(&path, Some(&token)).await, 200).await }
    };
    let whole = get("nutrition/foods/?search=pear&page_size=100".into()).await;
    let public = json_body(
        app.get("nutrition/foods/?search=pear&page_size=100", None)
            .await,
        200,
    )
    .await;
    assert_eq!(
        whole["count"].as_u64(),
        public["count"].as_u64().map(|n| n + 2)
    );
    let names = crate::nutrition_foods::names(&whole);
    assert_eq!(names[0], "Pear", "the exact match first");
    assert!(names.iter().any(|n| n == "Grandma's pear compote"));
    let mut paged = Vec::new();
    for page in 1..=7 {
        paged.extend(crate::nutrition_foods::names(
            &get(format!(
                "nutrition/foods/?search=pear&page_size=10&page={page}"
            ))
            .await,
        ));
    }
    assert_eq!(paged, names, "pages of 10 read as one page of 100");
}
