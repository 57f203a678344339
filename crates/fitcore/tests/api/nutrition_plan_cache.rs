//! A plan's detail is kept in memory and checked against the plan's
//! revision: a repeated read costs one statement, and every change the
//! detail shows, made through any path, shows at once. The changes below go
//! through the API, which never touches the cache itself (only the
//! revision in the database), so each one also stands for a change made
//! through another instance.

use crate::{
    helpers::{PASSWORD, Registered, TestApp, json_body, no_content},
    nutrition_meals::{food, meal, plan, public_food, schedule, template_meal},
};
use serde_json::{Value, json};

async fn detail(app: &TestApp, u: &Registered, p: &Value) -> Value {
    json_body(
        app.get(&format!("nutrition/plans/{}/", p["id"]), Some(&u.access))
            .await,
        200,
    )
    .await
}

/// The names of the meals on `day` (1-based) of a plan's detail.
fn meal_names(d: &Value, day: usize) -> Vec<String> {
    d["days"][day - 1]["meals"]
        .as_array()
        .map(|ms| {
            ms.iter()
                .filter_map(|m| m["meal"]["name"].as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

/// A user with a one-day plan holding one meal of one own food (kcal).
async fn plan_with_meal(
    app: &TestApp,
    email: &str,
    kcal: f64,
) -> (Registered, Value, Value, Value) {
    let u = app.register(email, PASSWORD).await;
    let f = food(app, &u, "Oats", kcal).await;
    let m = meal(
        app,
        &u,
        "Porridge",
        json!([{"food_id": f["id"], "number_of_servings": 1}]),
    )
    .await;
    let p = plan(app, &u, 1).await;
    schedule(app, &u, &p, &m, 1).await;
    // Read once: from here on the detail is cached.
    assert_eq!(
        detail(app, &u, &p).await["days"][0]["totals"]["calories"],
        kcal
    );
    (u, f, m, p)
}

#[tokio::test]
async fn a_plan_read_again_costs_one_statement_and_the_same_body() {
    let app = TestApp::spawn().await;
    let (u, _, m, p) = plan_with_meal(&app, "cache-cost@example.com", 300.0).await;
    schedule(&app, &u, &p, &m, 1).await;
    let first = detail(&app, &u, &p).await;
    let before = app.query_count();
    let again = detail(&app, &u, &p).await;
    assert_eq!(app.query_count() - before, 1, "the plan's row only");
    assert_eq!(again, first);
    assert_eq!(again["days"][0]["totals"]["calories"], 600.0);
}

#[tokio::test]
async fn renaming_a_plan_shows_in_its_next_read() {
    let app = TestApp::spawn().await;
    let (u, _, _, p) = plan_with_meal(&app, "cache-rename@example.com", 300.0).await;
    json_body(
        app.patch(
            &format!("nutrition/plans/{}/", p["id"]),
            json!({"name": "Cutting week", "duration_days": 2}),
            Some(&u.access),
        )
        .await,
        200,
    )
    .await;
    let d = detail(&app, &u, &p).await;
    assert_eq!(d["name"], "Cutting week");
    assert_eq!(d["days"].as_array().map(Vec::len), Some(2));
}

#[tokio::test]
async fn scheduling_and_removing_a_meal_show_in_the_next_read() {
    let app = TestApp::spawn().await;
    let (u, f, _, p) = plan_with_meal(&app, "cache-schedule@example.com", 300.0).await;
    let lunch = meal(
        &app,
        &u,
        "Lunch bowl",
        json!([{"food_id": f["id"], "number_of_servings": 2}]),
    )
    .await;
    let added = schedule(&app, &u, &p, &lunch, 1).await;
    let d = detail(&app, &u, &p).await;
    assert_eq!(meal_names(&d, 1), ["Porridge", "Lunch bowl"]);
    assert_eq!(d["days"][0]["totals"]["calories"], 900.0);
    let slot = added["days"][0]["meals"][1]["id"].clone();
    no_content(
        app.delete(
            &format!("nutrition/plans/{}/meals/{slot}/", p["id"]),
            None,
            Some(&u.access),
        )
        .await,
    )
    .await;
    let d = detail(&app, &u, &p).await;
    assert_eq!(meal_names(&d, 1), ["Porridge"]);
    assert_eq!(d["days"][0]["totals"]["calories"], 300.0);
}

#[tokio::test]
async fn editing_a_meal_shows_in_every_plan_that_schedules_it() {
    let app = TestApp::spawn().await;
    let (u, f, m, p) = plan_with_meal(&app, "cache-meal@example.com", 300.0).await;
    let other = plan(&app, &u, 1).await;
    schedule(&app, &u, &other, &m, 1).await;
    detail(&app, &u, &other).await;
    json_body(
        app.patch(
            &format!("nutrition/meals/{}/", m["id"]),
            json!({"name": "Big porridge",
                   "items": [{"food_id": f["id"], "number_of_servings": 3}]}),
            Some(&u.access),
        )
        .await,
        200,
    )
    .await;
    for plan in [&p, &other] {
        let d = detail(&app, &u, plan).await;
        assert_eq!(meal_names(&d, 1), ["Big porridge"]);
        assert_eq!(d["days"][0]["totals"]["calories"], 900.0);
    }
}

#[tokio::test]
async fn deleting_a_meal_removes_it_from_the_plans_next_read() {
    let app = TestApp::spawn().await;
    let (u, _, m, p) = plan_with_meal(&app, "cache-delete@example.com", 300.0).await;
    no_content(
        app.delete(
            &format!("nutrition/meals/{}/", m["id"]),
            None,
            Some(&u.access),
        )
        .await,
    )
    .await;
    let d = detail(&app, &u, &p).await;
    assert!(meal_names(&d, 1).is_empty(), "{d}");
    assert_eq!(d["days"][0]["totals"]["calories"], 0.0);
}

#[tokio::test]
async fn editing_an_own_food_changes_the_plans_totals() {
    let app = TestApp::spawn().await;
    let (u, f, _, p) = plan_with_meal(&app, "cache-food@example.com", 300.0).await;
    json_body(
        app.patch(
            &format!("nutrition/foods/{}/", f["id"]),
            json!({"calories": 120.0, "name": "Light oats"}),
            Some(&u.access),
        )
        .await,
        200,
    )
    .await;
    let d = detail(&app, &u, &p).await;
    assert_eq!(d["days"][0]["totals"]["calories"], 120.0);
    assert_eq!(
        d["days"][0]["meals"][0]["meal"]["items"][0]["food"]["name"],
        "Light oats"
    );
}

#[tokio::test]
async fn staff_editing_a_public_food_changes_the_plans_totals() {
    let app = TestApp::spawn().await;
    let s = app.register("cache-staff@example.com", PASSWORD).await;
    app.make_staff(s.id).await;
    let u = app.register("cache-public@example.com", PASSWORD).await;
    let oats = public_food(&app, &s, "Rolled oats", 380.0).await;
    let m = meal(
        &app,
        &u,
        "Porridge",
        json!([{"food_id": oats["id"], "number_of_servings": 1}]),
    )
    .await;
    let p = plan(&app, &u, 1).await;
    schedule(&app, &u, &p, &m, 1).await;
    assert_eq!(
        detail(&app, &u, &p).await["days"][0]["totals"]["calories"],
        380.0
    );
    let before = app.query_count();
    detail(&app, &u, &p).await;
    assert_eq!(app.query_count() - before, 1, "public foods are cached too");
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
    assert_eq!(
        detail(&app, &u, &p).await["days"][0]["totals"]["calories"],
        400.0
    );
}

#[tokio::test]
async fn a_deleted_staff_accounts_templates_leave_the_plans_that_scheduled_them() {
    let app = TestApp::spawn().await;
    let s = app.register("cache-gone@example.com", PASSWORD).await;
    app.make_staff(s.id).await;
    let u = app.register("cache-stays@example.com", PASSWORD).await;
    let oats = public_food(&app, &s, "Rolled oats", 250.0).await;
    let template = template_meal(&app, &s, "Staff porridge", &oats).await;
    let p = plan(&app, &u, 1).await;
    schedule(&app, &u, &p, &template, 1).await;
    assert_eq!(
        meal_names(&detail(&app, &u, &p).await, 1),
        ["Staff porridge"]
    );
    no_content(
        app.delete(
            "users/me/",
            Some(json!({"password": PASSWORD})),
            Some(&s.access),
        )
        .await,
    )
    .await;
    let d = detail(&app, &u, &p).await;
    assert!(meal_names(&d, 1).is_empty(), "{d}");
    // The public food they added stays in the catalogue.
    let f = app
        .get(&format!("nutrition/foods/{}/", oats["id"]), Some(&u.access))
        .await;
    assert_eq!(f.status().as_u16(), 200);
}

#[tokio::test]
async fn deleting_an_account_whose_meals_hold_its_own_foods_succeeds() {
    let app = TestApp::spawn().await;
    let (u, _, _, _) = plan_with_meal(&app, "cache-leaving@example.com", 300.0).await;
    no_content(
        app.delete(
            "users/me/",
            Some(json!({"password": PASSWORD})),
            Some(&u.access),
        )
        .await,
    )
    .await;
}

#[tokio::test]
async fn another_users_plan_stays_404_after_its_owner_cached_it() {
    let app = TestApp::spawn().await;
    let (_, _, _, p) = plan_with_meal(&app, "cache-owner@example.com", 300.0).await;
    let other = app.register("cache-other@example.com", PASSWORD).await;
    let res = app
        .get(
            &format!("nutrition/plans/{}/", p["id"]),
            Some(&other.access),
        )
        .await;
    assert_eq!(res.status().as_u16(), 404);
}

#[tokio::test]
async fn plans_made_before_revisions_keep_their_rows_and_start_at_revision_zero() {
    let app = TestApp::spawn_migrated_to(7).await;
    app.sql(
        "INSERT INTO meal_plans (created_at, updated_at, name, duration_days, start_date, \
         is_ai_generated, is_template, is_public) VALUES ('2026-11-01 08:00:00+00:00', \
         '2026-11-01 08:00:00+00:00', 'Old week', 7, '2026-11-02', false, true, true)",
    )
    .await;
    {
        use migration::MigratorTrait;
        migration::Migrator::up(app.db(), None)
            .await
            .expect("the plan revision migration");
    }
    let revision: Vec<(i64, i64)> = {
        use fitcore::nutrition::entity::meal_plan;
        use sea_orm::EntityTrait;
        meal_plan::Entity::find()
            .all(app.db())
            .await
            .expect("plans")
            .into_iter()
            .map(|p| (p.id, p.revision))
            .collect()
    };
    assert_eq!(revision.len(), 1);
    assert_eq!(revision[0].1, 0);
    let u = app.register("cache-old@example.com", PASSWORD).await;
    let p = json!({"id": revision[0].0});
    let d = detail(&app, &u, &p).await;
    assert_eq!(d["name"], "Old week");
    assert_eq!(d["days"].as_array().map(Vec::len), Some(7));
}
