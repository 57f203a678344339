//! `users/dashboard/`: what it reads, and only when there is something to
//! show (the parts' own rules are tested with their contexts).

use crate::{
    helpers::{PASSWORD, Registered, TestApp, json_body},
    nutrition_meals::{food, meal, plan, schedule},
    workouts::{category, staff, workout},
};
use chrono::Duration;
use serde_json::{Value, json};

async fn dashboard(app: &TestApp, u: &Registered) -> Value {
    json_body(app.get("users/dashboard/", Some(&u.access)).await, 200).await
}

/// Statements one dashboard read costs.
async fn cost(app: &TestApp, u: &Registered) -> u64 {
    let before = app.query_count();
    dashboard(app, u).await;
    app.query_count() - before
}

/// Sets the caller's progress on a workout (100 completes it).
async fn progress(app: &TestApp, u: &Registered, workout: &Value, percent: u32) {
    let res = app
        .post(
            "workouts/progress/",
            json!({"workout_id": workout["id"], "progress_percentage": percent}),
            Some(&u.access),
        )
        .await;
    let status = res.status().as_u16();
    assert!(status == 200 || status == 201, "status {status}");
}

/// Free workouts titled as given.
async fn workouts(app: &TestApp, titles: &[&str]) -> Vec<Value> {
    let s = staff(app, "dash-staff@example.com").await;
    let cat = category(app, &s.access, "Cardio").await;
    let mut out = Vec::new();
    for t in titles {
        out.push(workout(app, &s.access, &cat["id"], json!({"title": t})).await);
    }
    out
}

#[tokio::test]
async fn a_dashboard_with_nothing_to_show_costs_one_statement() {
    let app = TestApp::spawn().await;
    let u = app.register("dash-empty@example.com", PASSWORD).await;
    // The caller comes from the auth cache from here on.
    dashboard(&app, &u).await;
    assert_eq!(cost(&app, &u).await, 1, "profile, subscription and counts");
}

#[tokio::test]
async fn a_dashboard_reads_only_the_parts_the_user_has() {
    let app = TestApp::spawn().await;
    let w = workouts(&app, &["Intervals", "Hills"]).await;
    let u = app.register("dash-parts@example.com", PASSWORD).await;
    progress(&app, &u, &w[0], 50).await;
    dashboard(&app, &u).await;
    assert_eq!(cost(&app, &u).await, 2, "+ the workouts in progress");
    let f = food(&app, &u, "Rice", 200.0).await;
    let m = meal(
        &app,
        &u,
        "Rice bowl",
        json!([{"food_id": f["id"], "number_of_servings": 1}]),
    )
    .await;
    let p = plan(&app, &u, 1).await;
    schedule(&app, &u, &p, &m, 1).await;
    assert_eq!(
        cost(&app, &u).await,
        4,
        "+ today's meals, + the user's own foods in them"
    );
    progress(&app, &u, &w[1], 100).await;
    assert_eq!(
        cost(&app, &u).await,
        4,
        "the completions of the streak come with the runs in progress"
    );
    let d = dashboard(&app, &u).await;
    assert_eq!(d["today"]["calories_planned"], 200.0);
    assert_eq!(d["workouts"]["completed_total"], 1);
    assert_eq!(d["workouts"]["streak_days"], 1);
    let runs = d["workouts"]["in_progress"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(runs.len(), 1, "{d}");
    assert_eq!(runs[0]["workout"]["title"], "Intervals");
    assert_eq!(runs[0]["progress_percentage"], 50.0);
}

#[tokio::test]
async fn a_running_streak_alone_costs_one_more_statement() {
    let app = TestApp::spawn().await;
    let w = workouts(&app, &["Intervals"]).await;
    let u = app.register("dash-streak-only@example.com", PASSWORD).await;
    progress(&app, &u, &w[0], 100).await;
    dashboard(&app, &u).await;
    assert_eq!(cost(&app, &u).await, 2);
    let d = dashboard(&app, &u).await;
    assert_eq!(d["workouts"]["streak_days"], 1);
    assert_eq!(d["workouts"]["in_progress"], json!([]));
}

#[tokio::test]
async fn the_three_workouts_last_touched_and_unfinished_are_listed_with_their_titles() {
    let app = TestApp::spawn().await;
    let w = workouts(&app, &["Row", "Run", "Ride", "Swim", "Lift"]).await;
    let u = app.register("dash-progress@example.com", PASSWORD).await;
    for x in &w[..4] {
        progress(&app, &u, x, 40).await;
        app.advance(Duration::minutes(1));
    }
    progress(&app, &u, &w[4], 100).await;
    let d = dashboard(&app, &u).await;
    let titles: Vec<&str> = d["workouts"]["in_progress"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|p| p["workout"]["title"].as_str())
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(titles, ["Swim", "Ride", "Run"], "{d}");
}

#[tokio::test]
async fn a_streak_ends_after_a_whole_day_without_a_workout_and_the_total_stays() {
    let app = TestApp::spawn().await;
    let w = workouts(&app, &["Run"]).await;
    let mut u = app.register("dash-streak@example.com", PASSWORD).await;
    progress(&app, &u, &w[0], 100).await;
    let d = dashboard(&app, &u).await;
    assert_eq!(
        (
            &d["workouts"]["completed_total"],
            &d["workouts"]["streak_days"]
        ),
        (&json!(1), &json!(1))
    );
    app.advance(Duration::days(3));
    u.access = app.login("dash-streak@example.com", PASSWORD).await.access;
    let d = dashboard(&app, &u).await;
    assert_eq!(
        (
            &d["workouts"]["completed_total"],
            &d["workouts"]["streak_days"]
        ),
        (&json!(1), &json!(0))
    );
}

#[tokio::test]
async fn calories_logged_are_those_of_the_callers_local_today_far_from_utc() {
    let app = TestApp::spawn().await;
    for (i, tz) in ["Pacific/Kiritimati", "Pacific/Pago_Pago"]
        .iter()
        .enumerate()
    {
        let u = app
            .register(&format!("dash-tz{i}@example.com"), PASSWORD)
            .await;
        json_body(
            app.patch("users/profile/", json!({"timezone": tz}), Some(&u.access))
                .await,
            200,
        )
        .await;
        let zone: chrono_tz::Tz = tz.parse().expect("a time zone");
        let today = app.now().with_timezone(&zone).date_naive();
        let f = food(&app, &u, "Bread", 100.0).await;
        for (date, servings) in [(today - Duration::days(1), 1.0), (today, 2.5)] {
            json_body(
                app.post(
                    "nutrition/log/",
                    json!({"date": date, "meal_time_category": "snack",
                           "food_id": f["id"], "number_of_servings": servings}),
                    Some(&u.access),
                )
                .await,
                201,
            )
            .await;
        }
        let d = dashboard(&app, &u).await;
        assert_eq!(d["today"]["date"], json!(today), "{tz}");
        assert_eq!(d["today"]["calories_logged"], 250.0, "{tz}");
    }
}
