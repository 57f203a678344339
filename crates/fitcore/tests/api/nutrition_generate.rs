//! `nutrition/generate/`: the background planner, with and without the
//! model, and what it refuses.

use crate::{
    fakes::openai::{API_KEY, Behaviour, FakeOpenAi, MODEL},
    helpers::{PASSWORD, Registered, TestApp, json_body, problem, validation_error},
    workouts::subscribe,
};
use chrono::Duration;
use serde_json::{Value, json};

async fn load_foods(app: &TestApp) {
    fitcore::nutrition::food_data::ensure_bundled(app.db(), app.state.clock.as_ref())
        .await
        .expect("load foods");
}

/// A subscriber with a complete profile.
async fn subscriber(app: &TestApp, email: &str, diet: Value) -> Registered {
    let u = app.register(email, PASSWORD).await;
    subscribe(app, u.id, 30).await;
    let birth = (app.now().date_naive() - Duration::days(365 * 35)).to_string();
    json_body(
        app.patch(
            "users/profile/",
            json!({"weight_kg": 72, "height_cm": 175, "birth_date": birth, "gender": "female",
            "activity_level": "moderate", "fitness_goal": "maintain", "dietary_preferences": diet}),
            Some(&u.access),
        )
        .await,
        200,
    )
    .await;
    u
}

async fn generate(app: &TestApp, u: &Registered, body: Value) -> Value {
    let accepted = json_body(
        app.post("nutrition/generate/", body, Some(&u.access)).await,
        202,
    )
    .await;
    app.drain_jobs().await;
    let url = accepted["status_url"]
        .as_str()
        .expect("status url")
        .to_string();
    json_body(
        app.send(app.client().get(&url).bearer_auth(&u.access))
            .await,
        200,
    )
    .await
}

/// Every day within ±5 % of the calorie target and ±10 % of each macro.
fn assert_within_tolerance(plan: &Value) {
    let t = |k: &str| plan[k].as_f64().unwrap_or(0.0);
    let (kcal, p, c, f) = (
        t("target_daily_calories"),
        t("target_protein_g"),
        t("target_carbs_g"),
        t("target_fat_g"),
    );
    for day in plan["days"].as_array().into_iter().flatten() {
        let got = |k: &str| day["totals"][k].as_f64().unwrap_or(0.0);
        assert!(
            (got("calories") - kcal).abs() <= kcal * 0.05 + 1.0,
            "kcal {} vs {kcal}",
            got("calories")
        );
        for (k, target) in [("protein_g", p), ("carbs_g", c), ("fat_g", f)] {
            assert!(
                (got(k) - target).abs() <= target * 0.10 + 0.5,
                "{k} {} vs {target} on day {}",
                got(k),
                day["day_of_plan"]
            );
        }
        assert!(day["meals"].as_array().is_some_and(|m| !m.is_empty()));
    }
}

#[tokio::test]
async fn the_local_planner_makes_a_plan_within_tolerance_and_notifies() {
    let app = TestApp::spawn().await;
    load_foods(&app).await;
    let u = subscriber(&app, "gen@example.com", json!([])).await;
    let status = generate(&app, &u, json!({"duration_days": 7, "meals_per_day": 4})).await;
    assert_eq!(status["status"], "succeeded", "{status}");
    let plan = json_body(
        app.get(
            &format!("nutrition/plans/{}/", status["plan_id"]),
            Some(&u.access),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(
        (
            plan["is_ai_generated"].as_bool(),
            plan["duration_days"].as_i64()
        ),
        (Some(true), Some(7))
    );
    assert_eq!(plan["days"][0]["meals"].as_array().map(Vec::len), Some(4));
    assert_within_tolerance(&plan);
    let n = json_body(
        app.get("notifications/list/?type=meal_plan_update", Some(&u.access))
            .await,
        200,
    )
    .await;
    assert_eq!(n["results"][0]["data"]["plan_id"], status["plan_id"]);
}

#[tokio::test]
async fn a_vegan_plan_uses_only_vegan_foods() {
    let app = TestApp::spawn().await;
    load_foods(&app).await;
    let u = subscriber(&app, "vegan-gen@example.com", json!(["vegan"])).await;
    let status = generate(&app, &u, json!({"duration_days": 3})).await;
    assert_eq!(status["status"], "succeeded", "{status}");
    let plan = json_body(
        app.get(
            &format!("nutrition/plans/{}/", status["plan_id"]),
            Some(&u.access),
        )
        .await,
        200,
    )
    .await;
    assert_within_tolerance(&plan);
    for day in plan["days"].as_array().into_iter().flatten() {
        for m in day["meals"].as_array().into_iter().flatten() {
            for it in m["meal"]["items"].as_array().into_iter().flatten() {
                let f = json_body(
                    app.get(&format!("nutrition/foods/{}/", it["food"]["id"]), None)
                        .await,
                    200,
                )
                .await;
                let flags = fitcore::nutrition::planner::diet_flags(
                    f["category"].as_str().unwrap_or(""),
                    f["name"].as_str().unwrap_or(""),
                );
                assert!(flags.vegan, "{} is not vegan", f["name"]);
            }
        }
    }
}

#[tokio::test]
async fn generation_is_for_subscribers_with_a_complete_profile() {
    let app = TestApp::spawn().await;
    let free = app.register("gen-free@example.com", PASSWORD).await;
    problem(
        app.post(
            "nutrition/generate/",
            json!({"duration_days": 3}),
            Some(&free.access),
        )
        .await,
        403,
        "subscription_required",
    )
    .await;
    subscribe(&app, free.id, 10).await;
    let res = app
        .post(
            "nutrition/generate/",
            json!({"duration_days": 3}),
            Some(&free.access),
        )
        .await;
    let p = problem(res, 400, "validation_error").await;
    for f in ["weight_kg", "height_cm", "birth_date"] {
        assert!(p["errors"].get(f).is_some(), "{p}");
    }
}

#[tokio::test]
async fn out_of_range_generation_requests_are_400() {
    let app = TestApp::spawn().await;
    let u = subscriber(&app, "gen-bad@example.com", json!([])).await;
    for (body, field) in [
        (json!({"duration_days": 0}), "duration_days"),
        (json!({"duration_days": 15}), "duration_days"),
        (
            json!({"duration_days": 3, "meals_per_day": 2}),
            "meals_per_day",
        ),
        (
            json!({"duration_days": 3, "target_daily_calories": 100}),
            "target_daily_calories",
        ),
    ] {
        validation_error(
            app.post("nutrition/generate/", body, Some(&u.access)).await,
            field,
        )
        .await;
    }
}

#[tokio::test]
async fn a_diet_that_leaves_too_few_foods_fails_with_a_readable_error() {
    let app = TestApp::spawn().await;
    // No foods loaded at all: nothing can be planned.
    let u = subscriber(&app, "gen-empty@example.com", json!(["vegan", "keto"])).await;
    let status = generate(&app, &u, json!({"duration_days": 3})).await;
    assert_eq!(status["status"], "failed");
    assert_eq!(status["plan_id"], Value::Null);
    let error = status["error"].as_str().unwrap_or_default();
    assert!(error.contains("foods"), "{error}");
    let plans = json_body(app.get("nutrition/plans/", Some(&u.access)).await, 200).await;
    assert_eq!(plans["count"], 0, "no wrong plan saved");
}

#[tokio::test]
async fn another_users_generation_job_is_404() {
    let app = TestApp::spawn().await;
    let a = subscriber(&app, "gen-a@example.com", json!([])).await;
    let b = subscriber(&app, "gen-b@example.com", json!([])).await;
    let accepted = json_body(
        app.post(
            "nutrition/generate/",
            json!({"duration_days": 1}),
            Some(&a.access),
        )
        .await,
        202,
    )
    .await;
    let res = app
        .get(
            &format!("nutrition/generate/{}/", accepted["job_id"]),
            Some(&b.access),
        )
        .await;
    problem(res, 404, "not_found").await;
}

async fn with_model(behaviour: Behaviour, timeout_secs: u64) -> (TestApp, FakeOpenAi) {
    let fake = FakeOpenAi::start().await;
    fake.set(behaviour);
    let base = fake.url.clone();
    let app = TestApp::spawn_with(move |c| {
        c.openai_api_key = Some(API_KEY.into());
        c.openai_base_url = Some(base);
        c.openai_model = Some(MODEL.into());
        c.openai_timeout_secs = timeout_secs;
    })
    .await;
    load_foods(&app).await;
    (app, fake)
}

async fn used_model_ideas(app: &TestApp, u: &Registered) -> bool {
    let n = json_body(
        app.get("notifications/list/?type=meal_plan_update", Some(&u.access))
            .await,
        200,
    )
    .await;
    n["results"][0]["data"]["ai_ideas"]
        .as_bool()
        .unwrap_or(false)
}

#[tokio::test]
async fn with_a_model_its_meal_ideas_are_resolved_and_fitted_to_the_targets() {
    let (app, fake) = with_model(Behaviour::Echo, 20).await;
    let u = subscriber(&app, "llm-gen@example.com", json!(["vegetarian"])).await;
    let status = generate(&app, &u, json!({"duration_days": 2})).await;
    assert_eq!(status["status"], "succeeded", "{status}");
    assert!(
        used_model_ideas(&app, &u).await,
        "the model's ideas were used"
    );
    let sent = fake.requests();
    assert_eq!(sent.len(), 1);
    assert!(sent[0].body.to_string().contains("vegetarian"));
    let plan = json_body(
        app.get(
            &format!("nutrition/plans/{}/", status["plan_id"]),
            Some(&u.access),
        )
        .await,
        200,
    )
    .await;
    assert_within_tolerance(&plan);
}

#[tokio::test]
async fn hallucinated_malformed_refused_or_slow_answers_fall_back_to_the_local_planner() {
    for (behaviour, name) in [
        (Behaviour::Hallucinated, "hallucinated"),
        (Behaviour::Malformed, "malformed"),
        (Behaviour::Refusal, "refusal"),
        (Behaviour::Slow(std::time::Duration::from_secs(3)), "slow"),
        (Behaviour::Status(500), "500"),
    ] {
        let (app, fake) = with_model(behaviour, 1).await;
        let u = subscriber(&app, &format!("fallback-{name}@example.com"), json!([])).await;
        let status = generate(&app, &u, json!({"duration_days": 1})).await;
        assert_eq!(status["status"], "succeeded", "{name}: {status}");
        assert!(!used_model_ideas(&app, &u).await, "{name}: planned locally");
        assert_eq!(fake.requests().len(), 1, "{name}: the model was asked once");
        let plan = json_body(
            app.get(
                &format!("nutrition/plans/{}/", status["plan_id"]),
                Some(&u.access),
            )
            .await,
            200,
        )
        .await;
        assert_within_tolerance(&plan);
    }
}
