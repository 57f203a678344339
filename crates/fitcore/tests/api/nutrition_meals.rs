//! `nutrition/` meals, plans, shopping list, targets and the food diary.

use crate::{
    helpers::{PASSWORD, Registered, TestApp, json_body, no_content, problem, validation_error},
    nutrition_foods::custom_food,
};
use chrono::Duration;
use sea_orm::TransactionTrait;
use serde_json::{Value, json};

pub(crate) async fn food(app: &TestApp, u: &Registered, name: &str, kcal: f64) -> Value {
    let mut body = custom_food(name);
    body["calories"] = json!(kcal);
    json_body(
        app.post("nutrition/foods/", body, Some(&u.access)).await,
        201,
    )
    .await
}

/// A public food added by staff member `s`.
pub(crate) async fn public_food(app: &TestApp, s: &Registered, name: &str, kcal: f64) -> Value {
    let mut body = custom_food(name);
    body["calories"] = json!(kcal);
    body["is_public"] = json!(true);
    json_body(
        app.post("nutrition/foods/", body, Some(&s.access)).await,
        201,
    )
    .await
}

/// A public template meal by staff member `s`: one serving of `food`.
pub(crate) async fn template_meal(
    app: &TestApp,
    s: &Registered,
    name: &str,
    food: &Value,
) -> Value {
    json_body(
        app.post(
            "nutrition/meals/",
            json!({"name": name, "meal_time_category": "breakfast", "is_template": true,
                   "items": [{"food_id": food["id"], "number_of_servings": 1}]}),
            Some(&s.access),
        )
        .await,
        201,
    )
    .await
}

pub(crate) async fn meal(app: &TestApp, u: &Registered, name: &str, items: Value) -> Value {
    json_body(
        app.post(
            "nutrition/meals/",
            json!({"name": name, "meal_time_category": "breakfast", "items": items}),
            Some(&u.access),
        )
        .await,
        201,
    )
    .await
}

pub(crate) async fn plan(app: &TestApp, u: &Registered, days: i32) -> Value {
    let start = app.now().date_naive();
    json_body(
        app.post(
            "nutrition/plans/",
            json!({"name": "Week", "duration_days": days, "start_date": start}),
            Some(&u.access),
        )
        .await,
        201,
    )
    .await
}

/// Schedules meal `m` on `day` of plan `p` (201).
pub(crate) async fn schedule(
    app: &TestApp,
    u: &Registered,
    p: &Value,
    m: &Value,
    day: i32,
) -> Value {
    json_body(
        app.post(
            &format!("nutrition/plans/{}/meals/", p["id"]),
            json!({"meal_id": m["id"], "day_of_plan": day}),
            Some(&u.access),
        )
        .await,
        201,
    )
    .await
}

#[tokio::test]
async fn a_meal_totals_its_items() {
    let app = TestApp::spawn().await;
    let u = app.register("meal@example.com", PASSWORD).await;
    let a = food(&app, &u, "Oats", 380.0).await;
    let b = food(&app, &u, "Milk", 60.0).await;
    let m = meal(&app, &u, "Porridge", json!([{"food_id": a["id"], "number_of_servings": 0.5}, {"food_id": b["id"], "number_of_servings": 2}])).await;
    assert_eq!(m["totals"]["calories"], 310.0);
    assert_eq!(m["totals"]["protein_g"], 25.0);
    assert_eq!(m["items"][0]["calories"], 190.0);
    assert_eq!(m["items"][1]["food"]["name"], "Milk");
    let edited = json_body(
        app.patch(
            &format!("nutrition/meals/{}/", m["id"]),
            json!({"items": [{"food_id": b["id"], "number_of_servings": 1}]}),
            Some(&u.access),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(
        (
            edited["items"].as_array().map(Vec::len),
            edited["totals"]["calories"].as_f64()
        ),
        (Some(1), Some(60.0))
    );
}

#[tokio::test]
async fn an_item_with_another_users_private_food_is_404() {
    let app = TestApp::spawn().await;
    let a = app.register("meal-a@example.com", PASSWORD).await;
    let b = app.register("meal-b@example.com", PASSWORD).await;
    let secret = food(&app, &a, "Secret sauce", 100.0).await;
    let res = app
        .post("nutrition/meals/", json!({"name": "Stolen", "meal_time_category": "lunch", "items": [{"food_id": secret["id"], "number_of_servings": 1}]}), Some(&b.access))
        .await;
    problem(res, 404, "not_found").await;
}

#[tokio::test]
async fn unknown_meal_time_category_and_bad_servings_are_400() {
    let app = TestApp::spawn().await;
    let u = app.register("meal-bad@example.com", PASSWORD).await;
    let f = food(&app, &u, "Rice", 130.0).await;
    let res = app
        .post(
            "nutrition/meals/",
            json!({"name": "X", "meal_time_category": "brunch"}),
            Some(&u.access),
        )
        .await;
    assert_eq!(res.status(), 400);
    for s in [0.0, -1.0, 1000.0] {
        let res = app
            .post("nutrition/meals/", json!({"name": "X", "meal_time_category": "lunch", "items": [{"food_id": f["id"], "number_of_servings": s}]}), Some(&u.access))
            .await;
        validation_error(res, "items").await;
    }
    problem(
        app.get(
            "nutrition/meals/?meal_time_category=brunch",
            Some(&u.access),
        )
        .await,
        400,
        "validation_error",
    )
    .await;
}

#[tokio::test]
async fn a_food_used_in_a_meal_cannot_be_deleted() {
    let app = TestApp::spawn().await;
    let u = app.register("food-used@example.com", PASSWORD).await;
    let f = food(&app, &u, "Bread", 250.0).await;
    meal(
        &app,
        &u,
        "Toast",
        json!([{"food_id": f["id"], "number_of_servings": 1}]),
    )
    .await;
    problem(
        app.delete(
            &format!("nutrition/foods/{}/", f["id"]),
            None,
            Some(&u.access),
        )
        .await,
        409,
        "conflict",
    )
    .await;
}

#[tokio::test]
async fn staff_templates_are_public_and_users_copy_them() {
    let app = TestApp::spawn().await;
    let s = app.register("tpl-staff@example.com", PASSWORD).await;
    app.make_staff(s.id).await;
    let u = app.register("tpl-user@example.com", PASSWORD).await;
    let f = food(&app, &s, "Yogurt", 60.0).await;
    // A staff food used in a template must be visible to users: make it public.
    let public = json_body(
        app.patch(
            &format!("nutrition/foods/{}/", f["id"]),
            json!({}),
            Some(&s.access),
        )
        .await,
        200,
    )
    .await;
    let _ = public;
    let pf = public_food(&app, &s, "Public granola", 250.0).await;
    let t = template_meal(&app, &s, "Granola bowl", &pf).await;
    assert_eq!(
        (t["is_template"].as_bool(), t["owner"].clone()),
        (Some(true), Value::Null)
    );
    let listed = json_body(
        app.get("nutrition/meals/?is_template=true", Some(&u.access))
            .await,
        200,
    )
    .await;
    assert_eq!(listed["count"], 1);
    problem(
        app.patch(
            &format!("nutrition/meals/{}/", t["id"]),
            json!({"name": "Mine"}),
            Some(&u.access),
        )
        .await,
        403,
        "permission_denied",
    )
    .await;
    let copy = json_body(
        app.post(
            &format!("nutrition/meals/{}/copy/", t["id"]),
            json!({}),
            Some(&u.access),
        )
        .await,
        201,
    )
    .await;
    assert_eq!(
        (copy["owner"].as_i64(), copy["is_template"].as_bool()),
        (Some(u.id), Some(false))
    );
    assert_eq!(copy["totals"], t["totals"]);
}

#[tokio::test]
async fn a_plan_has_every_day_with_its_meals_and_totals() {
    let app = TestApp::spawn().await;
    let u = app.register("plan@example.com", PASSWORD).await;
    let f = food(&app, &u, "Eggs", 150.0).await;
    let m = meal(
        &app,
        &u,
        "Eggs",
        json!([{"food_id": f["id"], "number_of_servings": 2}]),
    )
    .await;
    let p = plan(&app, &u, 3).await;
    assert_eq!(p["days"].as_array().map(Vec::len), Some(3));
    let path = format!("nutrition/plans/{}/meals/", p["id"]);
    json_body(
        app.post(
            &path,
            json!({"meal_id": m["id"], "day_of_plan": 2}),
            Some(&u.access),
        )
        .await,
        201,
    )
    .await;
    let detail = json_body(
        app.post(
            &path,
            json!({"meal_id": m["id"], "day_of_plan": 2}),
            Some(&u.access),
        )
        .await,
        201,
    )
    .await;
    let day2 = &detail["days"][1];
    assert_eq!(day2["day_of_plan"], 2);
    assert_eq!(
        day2["date"],
        (app.now().date_naive() + Duration::days(1)).to_string()
    );
    assert_eq!(day2["totals"]["calories"], 600.0);
    assert_eq!(detail["days"][0]["totals"]["calories"], 0.0);
    let list = json_body(app.get("nutrition/plans/", Some(&u.access)).await, 200).await;
    assert!(
        list["results"][0].get("days").is_none(),
        "lists leave days out"
    );
    let scheduled = day2["meals"][0]["id"].clone();
    no_content(
        app.delete(
            &format!("nutrition/plans/{}/meals/{scheduled}/", p["id"]),
            None,
            Some(&u.access),
        )
        .await,
    )
    .await;
}

#[tokio::test]
async fn a_day_outside_the_plan_and_bad_durations_are_400() {
    let app = TestApp::spawn().await;
    let u = app.register("plan-bad@example.com", PASSWORD).await;
    let f = food(&app, &u, "Tea", 2.0).await;
    let m = meal(
        &app,
        &u,
        "Tea",
        json!([{"food_id": f["id"], "number_of_servings": 1}]),
    )
    .await;
    let p = plan(&app, &u, 7).await;
    for day in [0, 8] {
        let res = app
            .post(
                &format!("nutrition/plans/{}/meals/", p["id"]),
                json!({"meal_id": m["id"], "day_of_plan": day}),
                Some(&u.access),
            )
            .await;
        validation_error(res, "day_of_plan").await;
    }
    for days in [0, 29] {
        let res = app
            .post(
                "nutrition/plans/",
                json!({"name": "X", "duration_days": days, "start_date": "2026-12-01"}),
                Some(&u.access),
            )
            .await;
        validation_error(res, "duration_days").await;
    }
}

#[tokio::test]
async fn a_full_seven_day_plan_costs_a_fixed_number_of_queries() {
    let app = TestApp::spawn().await;
    let u = app.register("plan-queries@example.com", PASSWORD).await;
    let p = plan(&app, &u, 7).await;
    // The caller comes from the auth cache from here on.
    json_body(app.get("users/me/", Some(&u.access)).await, 200).await;
    let before = app.query_count();
    json_body(
        app.get(&format!("nutrition/plans/{}/", p["id"]), Some(&u.access))
            .await,
        200,
    )
    .await;
    let empty = app.query_count() - before;
    for day in 1..=7 {
        for slot in 0..4 {
            let items: Vec<Value> = {
                let mut v = Vec::new();
                for i in 0..4 {
                    let f = food(&app, &u, &format!("F{day}-{slot}-{i}"), 100.0).await;
                    v.push(json!({"food_id": f["id"], "number_of_servings": 1}));
                }
                v
            };
            let m = meal(&app, &u, &format!("M{day}-{slot}"), json!(items)).await;
            app.post(
                &format!("nutrition/plans/{}/meals/", p["id"]),
                json!({"meal_id": m["id"], "day_of_plan": day}),
                Some(&u.access),
            )
            .await;
        }
    }
    let before = app.query_count();
    let full = json_body(
        app.get(&format!("nutrition/plans/{}/", p["id"]), Some(&u.access))
            .await,
        200,
    )
    .await;
    let queries = app.query_count() - before;
    assert_eq!(full["days"][6]["totals"]["calories"], 1600.0);
    assert!(
        queries <= empty + 3,
        "empty plan {empty} queries, full {queries}"
    );
    assert_eq!(
        queries, 4,
        "the plan, its scheduled meals with their meals, items, the user's own foods"
    );
    // Read again, unchanged: the plan's row tells the kept detail is current.
    let before = app.query_count();
    let again = json_body(
        app.get(&format!("nutrition/plans/{}/", p["id"]), Some(&u.access))
            .await,
        200,
    )
    .await;
    assert_eq!(app.query_count() - before, 1);
    assert_eq!(again, full);
}

#[tokio::test]
async fn copying_a_plan_and_the_shopping_list() {
    let app = TestApp::spawn().await;
    let u = app.register("shopping@example.com", PASSWORD).await;
    let f = food(&app, &u, "Almonds", 580.0).await;
    let m = meal(
        &app,
        &u,
        "Snack",
        json!([{"food_id": f["id"], "number_of_servings": 0.4}]),
    )
    .await;
    let p = plan(&app, &u, 2).await;
    for day in [1, 2] {
        app.post(
            &format!("nutrition/plans/{}/meals/", p["id"]),
            json!({"meal_id": m["id"], "day_of_plan": day}),
            Some(&u.access),
        )
        .await;
    }
    let list = json_body(
        app.get(
            &format!("nutrition/plans/{}/shopping-list/", p["id"]),
            Some(&u.access),
        )
        .await,
        200,
    )
    .await;
    let item = &list["categories"][0]["items"][0];
    assert_eq!(
        (item["grams"].as_f64(), item["servings"].as_f64()),
        (Some(80.0), Some(0.8))
    );
    assert_eq!(
        item["household"],
        json!({"description": "1 bar", "count": 2.0})
    );
    let copy = json_body(
        app.post(
            &format!("nutrition/plans/{}/copy/", p["id"]),
            json!({"start_date": "2027-01-04"}),
            Some(&u.access),
        )
        .await,
        201,
    )
    .await;
    assert_eq!(copy["start_date"], "2027-01-04");
    assert_eq!(
        copy["days"][1]["totals"],
        json!({"calories": 232.0, "protein_g": 4.0, "carbs_g": 12.0, "fat_g": 4.0, "fiber_g": 1.2, "sugar_g": null, "sodium_mg": null})
    );
    let other = app.register("shopping-other@example.com", PASSWORD).await;
    problem(
        app.get(
            &format!("nutrition/plans/{}/", p["id"]),
            Some(&other.access),
        )
        .await,
        404,
        "not_found",
    )
    .await;
}

#[tokio::test]
async fn targets_follow_the_formula_and_name_missing_profile_fields() {
    let app = TestApp::spawn().await;
    let u = app.register("targets@example.com", PASSWORD).await;
    let res = app.get("nutrition/targets/", Some(&u.access)).await;
    let p = problem(res, 400, "validation_error").await;
    for f in ["weight_kg", "height_cm", "birth_date"] {
        assert!(p["errors"].get(f).is_some(), "{p}");
    }
    let birth = (app.now().date_naive() - Duration::days(365 * 30 + 8)).to_string();
    json_body(
        app.patch(
            "users/profile/",
            json!({"weight_kg": 80, "height_cm": 180, "birth_date": birth, "gender": "male",
            "activity_level": "moderate", "fitness_goal": "maintain"}),
            Some(&u.access),
        )
        .await,
        200,
    )
    .await;
    let t = json_body(app.get("nutrition/targets/", Some(&u.access)).await, 200).await;
    assert_eq!(
        (
            t["bmr"].as_f64(),
            t["calories"].as_f64(),
            t["protein_g"].as_f64()
        ),
        (Some(1780.0), Some(2759.0), Some(128.0))
    );
    assert_eq!(t["method"], "mifflin_st_jeor");
}

#[tokio::test]
async fn the_diary_logs_foods_and_meals_and_summarises_each_day() {
    let app = TestApp::spawn().await;
    let u = app.register("diary@example.com", PASSWORD).await;
    let f = food(&app, &u, "Banana", 90.0).await;
    let m = meal(
        &app,
        &u,
        "Two bananas",
        json!([{"food_id": f["id"], "number_of_servings": 2}]),
    )
    .await;
    let today = app.now().date_naive();
    let e = json_body(
        app.post("nutrition/log/", json!({"date": today, "meal_time_category": "snack", "food_id": f["id"], "number_of_servings": 1.5}), Some(&u.access))
            .await,
        201,
    )
    .await;
    assert_eq!(
        (e["calories"].as_f64(), e["food"]["name"].as_str()),
        (Some(135.0), Some("Banana"))
    );
    json_body(
        app.post(
            "nutrition/log/",
            json!({"date": today, "meal_time_category": "lunch", "meal_id": m["id"]}),
            Some(&u.access),
        )
        .await,
        201,
    )
    .await;
    let edited = json_body(
        app.patch(
            &format!("nutrition/log/{}/", e["id"]),
            json!({"number_of_servings": 3}),
            Some(&u.access),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(edited["calories"], 270.0);
    // Changing the food later does not rewrite the diary.
    app.patch(
        &format!("nutrition/foods/{}/", f["id"]),
        json!({"calories": 1}),
        Some(&u.access),
    )
    .await;
    let from = today - Duration::days(2);
    let s = json_body(
        app.get(
            &format!("nutrition/log/summary/?from={from}&to={today}"),
            Some(&u.access),
        )
        .await,
        200,
    )
    .await;
    let days = s["days"].as_array().cloned().unwrap_or_default();
    assert_eq!(days.len(), 3, "empty days included");
    assert_eq!(days[0]["totals"]["calories"], 0.0);
    assert_eq!(days[2]["totals"]["calories"], 450.0);
    assert_eq!(days[2]["targets"], Value::Null, "no profile data yet");
    let listed = json_body(
        app.get(&format!("nutrition/log/?date={today}"), Some(&u.access))
            .await,
        200,
    )
    .await;
    assert_eq!(listed["results"].as_array().map(Vec::len), Some(2));
    let other = app.register("diary-other@example.com", PASSWORD).await;
    problem(
        app.delete(
            &format!("nutrition/log/{}/", e["id"]),
            None,
            Some(&other.access),
        )
        .await,
        404,
        "not_found",
    )
    .await;
}

#[tokio::test]
async fn diary_dates_far_in_the_future_and_bad_entries_are_400() {
    let app = TestApp::spawn().await;
    let u = app.register("diary-bad@example.com", PASSWORD).await;
    let f = food(&app, &u, "Apple", 52.0).await;
    let future = app.now().date_naive() + Duration::days(30);
    validation_error(
        app.post(
            "nutrition/log/",
            json!({"date": future, "meal_time_category": "snack", "food_id": f["id"]}),
            Some(&u.access),
        )
        .await,
        "date",
    )
    .await;
    let res = app
        .post(
            "nutrition/log/",
            json!({"date": "2026-11-01", "meal_time_category": "elevenses", "food_id": f["id"]}),
            Some(&u.access),
        )
        .await;
    assert_eq!(res.status(), 400);
    validation_error(
        app.post(
            "nutrition/log/",
            json!({"date": "2026-11-01", "meal_time_category": "snack"}),
            Some(&u.access),
        )
        .await,
        "food_id",
    )
    .await;
    validation_error(
        app.post("nutrition/log/", json!({"date": "2026-11-01", "meal_time_category": "snack", "food_id": f["id"], "number_of_servings": 0}), Some(&u.access)).await,
        "number_of_servings",
    )
    .await;
    problem(
        app.get(
            "nutrition/log/summary/?from=2026-01-01&to=2027-06-01",
            Some(&u.access),
        )
        .await,
        400,
        "validation_error",
    )
    .await;
}

#[tokio::test]
async fn the_dashboard_shows_todays_target_logged_planned_and_next_meals() {
    let app = TestApp::spawn().await;
    let u = app.register("dash-food@example.com", PASSWORD).await;
    let birth = (app.now().date_naive() - Duration::days(365 * 30 + 8)).to_string();
    app.patch(
        "users/profile/",
        json!({"weight_kg": 80, "height_cm": 180, "birth_date": birth, "gender": "male",
        "activity_level": "moderate", "fitness_goal": "maintain"}),
        Some(&u.access),
    )
    .await;
    let f = food(&app, &u, "Bagel", 250.0).await;
    let breakfast = meal(
        &app,
        &u,
        "Bagel breakfast",
        json!([{"food_id": f["id"], "number_of_servings": 2}]),
    )
    .await;
    let dinner = json_body(
        app.post(
            "nutrition/meals/",
            json!({"name": "Bagel dinner", "meal_time_category": "dinner",
            "items": [{"food_id": f["id"], "number_of_servings": 1}]}),
            Some(&u.access),
        )
        .await,
        201,
    )
    .await;
    let p = plan(&app, &u, 3).await;
    let path = format!("nutrition/plans/{}/meals/", p["id"]);
    for (m, day) in [(&dinner, 1), (&breakfast, 1), (&breakfast, 2), (&dinner, 3)] {
        app.post(
            &path,
            json!({"meal_id": m["id"], "day_of_plan": day}),
            Some(&u.access),
        )
        .await;
    }
    app.post(
        "nutrition/log/",
        json!({"date": app.now().date_naive(), "meal_time_category": "snack", "food_id": f["id"]}),
        Some(&u.access),
    )
    .await;
    let d = json_body(app.get("users/dashboard/", Some(&u.access)).await, 200).await;
    assert_eq!(d["today"]["calories_target"], 2759.0);
    assert_eq!(d["today"]["calories_logged"], 250.0);
    assert_eq!(d["today"]["calories_planned"], 750.0);
    let next: Vec<&str> = d["next_meals"]
        .as_array()
        .map(|n| {
            n.iter()
                .filter_map(|m| m["meal"]["name"].as_str())
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(
        next,
        vec!["Bagel breakfast", "Bagel dinner", "Bagel breakfast"],
        "date, then meal time"
    );
}

#[tokio::test]
async fn favorite_meals_are_listed_with_their_totals_and_others_private_meals_are_404() {
    let app = TestApp::spawn().await;
    let u = app.register("fav-meal@example.com", PASSWORD).await;
    let other = app.register("fav-meal-other@example.com", PASSWORD).await;
    let f = food(&app, &u, "Kiwi", 60.0).await;
    let m = meal(
        &app,
        &u,
        "Kiwi bowl",
        json!([{"food_id": f["id"], "number_of_servings": 2}]),
    )
    .await;
    json_body(
        app.post(
            "users/favorites/",
            json!({"kind": "meal", "id": m["id"]}),
            Some(&u.access),
        )
        .await,
        201,
    )
    .await;
    json_body(
        app.post(
            "users/favorites/",
            json!({"kind": "meal", "id": m["id"]}),
            Some(&u.access),
        )
        .await,
        200,
    )
    .await;
    let favs = json_body(app.get("users/favorites/", Some(&u.access)).await, 200).await;
    assert_eq!(favs["meals"][0]["name"], "Kiwi bowl");
    assert_eq!(favs["meals"][0]["totals"]["calories"], 120.0);
    problem(
        app.post(
            "users/favorites/",
            json!({"kind": "meal", "id": m["id"]}),
            Some(&other.access),
        )
        .await,
        404,
        "not_found",
    )
    .await;
    no_content(
        app.delete(
            &format!("users/favorites/meal/{}/", m["id"]),
            None,
            Some(&u.access),
        )
        .await,
    )
    .await;
}

#[tokio::test]
async fn staff_plan_templates_are_public_and_users_copy_them_to_their_own_dates() {
    let app = TestApp::spawn().await;
    let s = app.register("plan-tpl-staff@example.com", PASSWORD).await;
    app.make_staff(s.id).await;
    let u = app.register("plan-tpl-user@example.com", PASSWORD).await;
    let mut pf = custom_food("Template oats");
    pf["is_public"] = json!(true);
    let pf = json_body(app.post("nutrition/foods/", pf, Some(&s.access)).await, 201).await;
    let m = json_body(
        app.post(
            "nutrition/meals/",
            json!({"name": "Oats", "meal_time_category": "breakfast", "is_template": true,
            "items": [{"food_id": pf["id"], "number_of_servings": 1}]}),
            Some(&s.access),
        )
        .await,
        201,
    )
    .await;
    let t = json_body(
        app.post("nutrition/plans/", json!({"name": "Starter week", "duration_days": 2, "start_date": "2026-12-01", "is_template": true}), Some(&s.access))
            .await,
        201,
    )
    .await;
    app.post(
        &format!("nutrition/plans/{}/meals/", t["id"]),
        json!({"meal_id": m["id"], "day_of_plan": 2}),
        Some(&s.access),
    )
    .await;
    let listed = json_body(
        app.get("nutrition/plans/?is_template=true", Some(&u.access))
            .await,
        200,
    )
    .await;
    assert_eq!(listed["count"], 1);
    problem(
        app.patch(
            &format!("nutrition/plans/{}/", t["id"]),
            json!({"name": "Mine"}),
            Some(&u.access),
        )
        .await,
        403,
        "permission_denied",
    )
    .await;
    let copy = json_body(
        app.post(
            &format!("nutrition/plans/{}/copy/", t["id"]),
            json!({"start_date": "2027-02-01"}),
            Some(&u.access),
        )
        .await,
        201,
    )
    .await;
    assert_eq!(
        (copy["owner"].as_i64(), copy["is_template"].as_bool()),
        (Some(u.id), Some(false))
    );
    assert_eq!(copy["days"][1]["date"], "2027-02-02");
    assert_eq!(copy["days"][1]["totals"]["calories"], 250.0);
}

#[tokio::test]
async fn public_foods_in_meals_come_from_memory_and_staff_edits_show_at_once() {
    let app = TestApp::spawn().await;
    let s = app.register("mem-staff@example.com", PASSWORD).await;
    app.make_staff(s.id).await;
    let u = app.register("mem-user@example.com", PASSWORD).await;
    let oats = public_food(&app, &s, "Rolled oats", 380.0).await;
    let own = food(&app, &u, "Own granola", 450.0).await;
    let public_meal = meal(
        &app,
        &u,
        "Porridge",
        json!([{"food_id": oats["id"], "number_of_servings": 1}]),
    )
    .await;
    let own_meal = meal(
        &app,
        &u,
        "Granola",
        json!([{"food_id": own["id"], "number_of_servings": 1}]),
    )
    .await;
    let cost = |id: Value| {
        let app = &app;
        let token = u.access.clone();
        async move {
            let path = format!("nutrition/meals/{id}/");
            json_body(app.get(&path, Some(&token)).await, 200).await;
            let before = app.query_count();
            let body = json_body(app.get(&path, Some(&token)).await, 200).await;
            (app.query_count() - before, body)
        }
    };
    let (public_cost, body) = cost(public_meal["id"].clone()).await;
    assert_eq!(body["totals"]["calories"], 380.0);
    let (own_cost, _) = cost(own_meal["id"].clone()).await;
    assert_eq!(
        public_cost + 1,
        own_cost,
        "only the user's own foods are read from the database"
    );
    json_body(
        app.patch(
            &format!("nutrition/foods/{}/", oats["id"]),
            json!({"calories": 400.0}),
            Some(&s.access),
        )
        .await,
        200,
    )
    .await;
    let (_, body) = cost(public_meal["id"].clone()).await;
    assert_eq!(body["totals"]["calories"], 400.0, "the edit shows at once");
}

#[tokio::test]
async fn a_plan_and_the_dashboard_answer_through_one_pooled_connection_while_foods_are_reloaded() {
    // Two connections in the pool, one of them held below: a read that
    // kept its transaction while waiting for a second connection (to reload
    // the public foods) would never finish.
    let app = TestApp::spawn_with(|c| c.database_max_connections = 2).await;
    let s = app.register("pool-staff@example.com", PASSWORD).await;
    app.make_staff(s.id).await;
    let u = app.register("pool-user@example.com", PASSWORD).await;
    let oats = public_food(&app, &s, "Rolled oats", 250.0).await;
    let p = plan(&app, &u, 1).await;
    let m = meal(
        &app,
        &u,
        "Porridge",
        json!([{"food_id": oats["id"], "number_of_servings": 1}]),
    )
    .await;
    schedule(&app, &u, &p, &m, 1).await;
    json_body(app.get("users/me/", Some(&u.access)).await, 200).await;
    let held = app.state.db.begin().await.expect("hold a connection");
    let limit = std::time::Duration::from_secs(20);
    app.state.public_foods_changed();
    let path = format!("nutrition/plans/{}/", p["id"]);
    let res = tokio::time::timeout(limit, app.get(&path, Some(&u.access)))
        .await
        .expect("the plan answers");
    let detail = json_body(res, 200).await;
    assert_eq!(
        detail["days"][0]["meals"][0]["meal"]["items"][0]["food"]["id"],
        oats["id"]
    );
    app.state.public_foods_changed();
    let res = tokio::time::timeout(limit, app.get("users/dashboard/", Some(&u.access)))
        .await
        .expect("the dashboard answers");
    let dash = json_body(res, 200).await;
    assert_eq!(dash["next_meals"][0]["meal"]["name"], "Porridge");
    held.rollback().await.expect("release the connection");
}

#[tokio::test]
async fn the_dashboards_next_meals_carry_every_item_once_and_a_meal_scheduled_twice_twice() {
    let app = TestApp::spawn().await;
    let u = app.register("next-items@example.com", PASSWORD).await;
    let bread = food(&app, &u, "Bread", 250.0).await;
    let jam = food(&app, &u, "Jam", 100.0).await;
    let m = meal(
        &app,
        &u,
        "Toast",
        json!([
            {"food_id": bread["id"], "number_of_servings": 1},
            {"food_id": jam["id"], "number_of_servings": 2},
        ]),
    )
    .await;
    let p = plan(&app, &u, 1).await;
    for _ in 0..2 {
        schedule(&app, &u, &p, &m, 1).await;
    }
    let d = json_body(app.get("users/dashboard/", Some(&u.access)).await, 200).await;
    let next = d["next_meals"].as_array().cloned().unwrap_or_default();
    assert_eq!(next.len(), 2, "the meal is scheduled twice today: {next:?}");
    let names: Vec<&str> = next[0]["meal"]["items"]
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|i| i["food"]["name"].as_str())
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(names, ["Bread", "Jam"], "each item once, in order");
    assert_eq!(next[0]["meal"]["totals"]["calories"], 450.0);
    assert_eq!(d["today"]["calories_planned"], 900.0);
}
