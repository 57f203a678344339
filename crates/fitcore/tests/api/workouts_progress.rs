//! `workouts/progress/` and `workouts/stats/`: marking videos, completion,
//! reset, achievements, and stats in the caller's local days.

use crate::{
    helpers::{PASSWORD, Registered, TestApp, json_body, problem, validation_error},
    workouts::{category, staff, subscribe, upload, workout},
};
use chrono::{Duration, TimeZone, Utc};
use serde_json::{Value, json};

struct Catalogue {
    free: Value,
    premium: Value,
    videos: Vec<Value>,
}

/// A free workout with three videos and a premium one with one.
async fn catalogue(app: &TestApp) -> Catalogue {
    let s = staff(app, "progress-staff@example.com").await;
    let cat = category(app, &s.access, "Strength").await;
    let free = workout(app, &s.access, &cat["id"], json!({"duration_minutes": 25})).await;
    let premium = workout(
        app,
        &s.access,
        &cat["id"],
        json!({"title": "Pro", "is_premium": true}),
    )
    .await;
    let mut videos = Vec::new();
    for t in ["One", "Two", "Three"] {
        videos.push(upload(app, &s.access, &free["id"], t, false).await["id"].clone());
    }
    upload(app, &s.access, &premium["id"], "Pro 1", false).await;
    Catalogue {
        free,
        premium,
        videos,
    }
}

async fn mark(app: &TestApp, u: &Registered, workout: &Value, video: &Value) -> Value {
    let res = app
        .post(
            "workouts/progress/",
            json!({"workout_id": workout, "video_id": video}),
            Some(&u.access),
        )
        .await;
    let status = res.status().as_u16();
    assert!(status == 200 || status == 201, "status {status}");
    res.json().await.expect("json")
}

async fn finish(app: &TestApp, u: &Registered, workout: &Value) -> Value {
    let res = app
        .post(
            "workouts/progress/",
            json!({"workout_id": workout, "progress_percentage": 100}),
            Some(&u.access),
        )
        .await;
    res.json().await.expect("json")
}

#[tokio::test]
async fn marking_videos_moves_the_percentage_and_the_last_one_completes_the_workout() {
    let app = TestApp::spawn().await;
    let c = catalogue(&app).await;
    let u = app.register("marker@example.com", PASSWORD).await;
    let first = app
        .post(
            "workouts/progress/",
            json!({"workout_id": c.free["id"], "video_id": c.videos[0]}),
            Some(&u.access),
        )
        .await;
    let first = json_body(first, 201).await;
    assert_eq!(first["progress_percentage"], 33.33);
    assert_eq!(first["completed_at"], Value::Null);
    mark(&app, &u, &c.free["id"], &c.videos[0]).await;
    mark(&app, &u, &c.free["id"], &c.videos[1]).await;
    let done = mark(&app, &u, &c.free["id"], &c.videos[2]).await;
    assert_eq!(done["progress_percentage"], 100.0);
    assert!(done["completed_at"].is_string());
    assert_eq!(done["times_completed"], 1);
    assert_eq!(done["workout"]["title"], "Morning Mobility");
    let n = json_body(app.get("notifications/list/", Some(&u.access)).await, 200).await;
    let kinds: Vec<&str> = n["results"]
        .as_array()
        .map(|r| r.iter().filter_map(|x| x["type"].as_str()).collect())
        .unwrap_or_default();
    assert!(kinds.contains(&"achievement"), "first workout: {kinds:?}");
    assert!(kinds.len() >= 2, "completion and achievement: {kinds:?}");
}

#[tokio::test]
async fn reset_starts_again_and_keeps_the_history() {
    let app = TestApp::spawn().await;
    let c = catalogue(&app).await;
    let u = app.register("reset@example.com", PASSWORD).await;
    let p = finish(&app, &u, &c.free["id"]).await;
    let reset = json_body(
        app.post(
            &format!("workouts/progress/{}/reset/", p["id"]),
            json!({}),
            Some(&u.access),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(
        (
            reset["progress_percentage"].as_f64(),
            reset["times_completed"].as_i64()
        ),
        (Some(0.0), Some(1))
    );
    assert_eq!(reset["completed_at"], Value::Null);
    let again = finish(&app, &u, &c.free["id"]).await;
    assert_eq!(again["times_completed"], 2);
    let stats = json_body(app.get("workouts/stats/", Some(&u.access)).await, 200).await;
    assert_eq!(
        (
            stats["completed_total"].as_i64(),
            stats["minutes_total"].as_i64()
        ),
        (Some(2), Some(50))
    );
}

#[tokio::test]
async fn bad_progress_input_is_400() {
    let app = TestApp::spawn().await;
    let c = catalogue(&app).await;
    let other = {
        let s = app.login("progress-staff@example.com", PASSWORD).await;
        let cat = category(&app, &s.access, "Other").await;
        let w = workout(&app, &s.access, &cat["id"], json!({"title": "Elsewhere"})).await;
        upload(&app, &s.access, &w["id"], "Foreign", false).await["id"].clone()
    };
    let u = app.register("bad-progress@example.com", PASSWORD).await;
    for (body, field) in [
        (
            json!({"workout_id": c.free["id"], "progress_percentage": -1}),
            "progress_percentage",
        ),
        (
            json!({"workout_id": c.free["id"], "progress_percentage": 100.5}),
            "progress_percentage",
        ),
        (
            json!({"workout_id": c.free["id"], "video_id": other}),
            "video_id",
        ),
        (
            json!({"workout_id": 999_999, "progress_percentage": 5}),
            "workout_id",
        ),
        (json!({"workout_id": c.free["id"]}), "video_id"),
    ] {
        validation_error(
            app.post("workouts/progress/", body, Some(&u.access)).await,
            field,
        )
        .await;
    }
}

#[tokio::test]
async fn progress_on_a_premium_workout_needs_access_that_has_not_ended() {
    let app = TestApp::spawn().await;
    let c = catalogue(&app).await;
    let u = app.register("lapsed-progress@example.com", PASSWORD).await;
    let body = json!({"workout_id": c.premium["id"], "progress_percentage": 50});
    problem(
        app.post("workouts/progress/", body.clone(), Some(&u.access))
            .await,
        403,
        "subscription_required",
    )
    .await;
    subscribe(&app, u.id, -2).await;
    problem(
        app.post("workouts/progress/", body.clone(), Some(&u.access))
            .await,
        403,
        "subscription_required",
    )
    .await;
    app.sql(&format!(
        "DELETE FROM subscriptions WHERE user_id = {}",
        u.id
    ))
    .await;
    subscribe(&app, u.id, 5).await;
    json_body(
        app.post("workouts/progress/", body, Some(&u.access)).await,
        201,
    )
    .await;
}

#[tokio::test]
async fn another_users_progress_is_404() {
    let app = TestApp::spawn().await;
    let c = catalogue(&app).await;
    let a = app.register("owner@example.com", PASSWORD).await;
    let b = app.register("snoop@example.com", PASSWORD).await;
    let p = finish(&app, &a, &c.free["id"]).await;
    problem(
        app.get(&format!("workouts/progress/{}/", p["id"]), Some(&b.access))
            .await,
        404,
        "not_found",
    )
    .await;
    problem(
        app.post(
            &format!("workouts/progress/{}/reset/", p["id"]),
            json!({}),
            Some(&b.access),
        )
        .await,
        404,
        "not_found",
    )
    .await;
    let list = json_body(app.get("workouts/progress/", Some(&b.access)).await, 200).await;
    assert_eq!(list["count"], 0);
}

#[tokio::test]
async fn achievements_are_earned_once_and_listed_in_the_export() {
    let app = TestApp::spawn().await;
    let c = catalogue(&app).await;
    let mut u = app.register("achiever@example.com", PASSWORD).await;
    for day in 0..5 {
        let p = finish(&app, &u, &c.free["id"]).await;
        app.post(
            &format!("workouts/progress/{}/reset/", p["id"]),
            json!({}),
            Some(&u.access),
        )
        .await;
        if day < 4 {
            app.advance(Duration::days(1));
            u.access = app.login("achiever@example.com", PASSWORD).await.access;
        }
    }
    let export = json_body(app.get("users/me/export/", Some(&u.access)).await, 200).await;
    let codes: Vec<&str> = export["workouts"]["achievements"]
        .as_array()
        .map(|a| a.iter().filter_map(|x| x["code"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(
        codes,
        vec!["first_workout", "streak_3", "completions_5"],
        "{codes:?}"
    );
    let n = json_body(
        app.get("notifications/list/?type=achievement", Some(&u.access))
            .await,
        200,
    )
    .await;
    assert_eq!(
        n["results"].as_array().map(Vec::len),
        Some(3),
        "each announced once"
    );
    let dash = json_body(app.get("users/dashboard/", Some(&u.access)).await, 200).await;
    assert_eq!(
        (
            dash["workouts"]["completed_total"].as_i64(),
            dash["workouts"]["streak_days"].as_i64()
        ),
        (Some(5), Some(5))
    );
}

#[tokio::test]
async fn stats_count_days_in_the_profiles_time_zone_around_midnight() {
    let app = TestApp::spawn().await;
    let c = catalogue(&app).await;
    let mut u = app.register("auckland@example.com", PASSWORD).await;
    app.patch(
        "users/profile/",
        json!({"timezone": "Pacific/Auckland"}),
        Some(&u.access),
    )
    .await;
    // 23:30 and 00:30 Auckland time on consecutive local days: the same
    // UTC date (10:30 and 11:30 UTC on 2026-12-01, NZDT is UTC+13).
    let start = Utc
        .with_ymd_and_hms(2026, 12, 1, 10, 30, 0)
        .single()
        .expect("time");
    app.advance(start - app.now());
    u.access = app.login("auckland@example.com", PASSWORD).await.access;
    let p = finish(&app, &u, &c.free["id"]).await;
    app.post(
        &format!("workouts/progress/{}/reset/", p["id"]),
        json!({}),
        Some(&u.access),
    )
    .await;
    app.advance(Duration::hours(1));
    u.access = app.login("auckland@example.com", PASSWORD).await.access;
    finish(&app, &u, &c.free["id"]).await;
    let stats = json_body(app.get("workouts/stats/", Some(&u.access)).await, 200).await;
    assert_eq!(stats["streak_days"], 2, "{stats}");
    assert_eq!(stats["per_week"][0]["week_start"], "2026-11-30");
    assert_eq!(stats["per_week"][0]["completed"], 2);
}

#[tokio::test]
async fn concurrent_marks_and_completions_all_apply_without_errors() {
    let app = TestApp::spawn().await;
    let s = staff(&app, "race-staff@example.com").await;
    let cat = category(&app, &s.access, "Race").await;
    let mut workouts = Vec::new();
    for i in 0..4 {
        workouts.push(
            workout(
                &app,
                &s.access,
                &cat["id"],
                json!({"title": format!("Race {i}")}),
            )
            .await,
        );
    }
    let mut videos = Vec::new();
    for i in 0..6 {
        videos.push(
            upload(
                &app,
                &s.access,
                &workouts[0]["id"],
                &format!("Part {i}"),
                false,
            )
            .await["id"]
                .clone(),
        );
    }
    let u = app.register("racer@example.com", PASSWORD).await;
    // Six videos of one workout marked at once, and three other workouts
    // completed at once (all racing for the "first workout" achievement).
    let marks = videos.iter().map(|v| {
        app.post(
            "workouts/progress/",
            json!({"workout_id": workouts[0]["id"], "video_id": v}),
            Some(&u.access),
        )
    });
    let completions = workouts[1..].iter().map(|w| {
        app.post(
            "workouts/progress/",
            json!({"workout_id": w["id"], "progress_percentage": 100}),
            Some(&u.access),
        )
    });
    let (marked, completed) = futures::future::join(
        futures::future::join_all(marks),
        futures::future::join_all(completions),
    )
    .await;
    for r in marked.into_iter().chain(completed) {
        assert!(r.status().is_success(), "{}", r.status());
    }
    let list = json_body(app.get("workouts/progress/", Some(&u.access)).await, 200).await;
    assert_eq!(list["count"], 4, "one progress row per workout");
    let first = list["results"]
        .as_array()
        .and_then(|r| {
            r.iter()
                .find(|p| p["workout"]["id"] == workouts[0]["id"])
                .cloned()
        })
        .expect("progress of the first workout");
    assert_eq!(
        first["completed_videos"].as_array().map(Vec::len),
        Some(6),
        "no mark lost"
    );
    assert_eq!(first["times_completed"], 1);
    let export = json_body(app.get("users/me/export/", Some(&u.access)).await, 200).await;
    let firsts = export["workouts"]["achievements"]
        .as_array()
        .map(|a| a.iter().filter(|x| x["code"] == "first_workout").count());
    assert_eq!(firsts, Some(1), "earned once");
}
