//! `workouts/` catalogue and videos: categories, workouts, upload, edit,
//! reorder, delete, the access matrix and favorites.

use crate::helpers::{
    PASSWORD, Registered, TestApp, any_problem, json_body, no_content, problem, validation_error,
};
use chrono::Duration;
use reqwest::{Method, multipart};
use serde_json::{Value, json};

/// The first bytes of an MP4 (ISO-BMFF `ftyp` box, brand isom) and a body.
pub fn mp4_bytes(len: usize) -> Vec<u8> {
    let mut v = vec![
        0, 0, 0, 0x18, b'f', b't', b'y', b'p', b'i', b's', b'o', b'm', 0, 0, 2, 0, b'i', b's',
        b'o', b'm', b'm', b'p', b'4', b'1',
    ];
    v.extend((0..len.saturating_sub(v.len())).map(|i| (i % 251) as u8));
    v
}

pub async fn staff(app: &TestApp, email: &str) -> Registered {
    let s = app.register(email, PASSWORD).await;
    app.make_staff(s.id).await;
    s
}

pub async fn category(app: &TestApp, token: &str, name: &str) -> Value {
    json_body(
        app.post("workouts/categories/", json!({"name": name}), Some(token))
            .await,
        201,
    )
    .await
}

pub async fn workout(app: &TestApp, token: &str, category_id: &Value, body: Value) -> Value {
    let mut b = json!({"title": "Morning Mobility", "description": "Gentle flow",
        "duration_minutes": 20, "difficulty": "beginner", "category_id": category_id,
        "goals": ["general_fitness"], "is_premium": false});
    if let (Some(obj), Some(extra)) = (b.as_object_mut(), body.as_object()) {
        for (k, v) in extra {
            obj.insert(k.clone(), v.clone());
        }
    }
    json_body(app.post("workouts/workouts/", b, Some(token)).await, 201).await
}

pub async fn upload_raw(
    app: &TestApp,
    token: &str,
    workout_id: &Value,
    bytes: Vec<u8>,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    let mut form = multipart::Form::new();
    for (k, v) in fields {
        form = form.text(k.to_string(), v.to_string());
    }
    form = form.part("file", multipart::Part::bytes(bytes).file_name("clip.mp4"));
    app.send(
        app.req(
            Method::POST,
            &format!("workouts/workouts/{workout_id}/videos/"),
            Some(token),
        )
        .multipart(form),
    )
    .await
}

pub async fn upload(
    app: &TestApp,
    token: &str,
    workout_id: &Value,
    title: &str,
    is_free: bool,
) -> Value {
    let free = if is_free { "true" } else { "false" };
    json_body(
        upload_raw(
            app,
            token,
            workout_id,
            mp4_bytes(4096),
            &[("title", title), ("is_free", free)],
        )
        .await,
        201,
    )
    .await
}

/// Gives a user an active (or, with `days` < 0, a lapsed) monthly plan.
pub async fn subscribe(app: &TestApp, user_id: i64, days: i64) {
    use sea_orm::{ConnectionTrait, Statement};
    let end = app.now() + Duration::days(days);
    let p: Vec<String> = (1..=4)
        .map(|i| {
            if app.is_postgres() {
                format!("${i}")
            } else {
                "?".into()
            }
        })
        .collect();
    let sql = format!(
        "INSERT INTO subscriptions (user_id, plan, status, gateway, end_date, cancel_at_period_end, created_at, updated_at) \
         VALUES ({}, 'monthly', 'active', 'stripe', {}, false, {}, {})",
        p[0], p[1], p[2], p[3]
    );
    let values: Vec<sea_orm::Value> = vec![
        user_id.into(),
        end.into(),
        app.now().into(),
        app.now().into(),
    ];
    app.db()
        .execute_raw(Statement::from_sql_and_values(app.backend(), sql, values))
        .await
        .expect("insert subscription");
}

fn ids(page: &Value) -> Vec<i64> {
    page["results"]
        .as_array()
        .map(|r| r.iter().filter_map(|w| w["id"].as_i64()).collect())
        .unwrap_or_default()
}

#[tokio::test]
async fn categories_list_with_workout_counts_and_staff_create_them() {
    let app = TestApp::spawn().await;
    let s = staff(&app, "cat-staff@example.com").await;
    let strength = category(&app, &s.access, "Upper Body & Core").await;
    assert_eq!(strength["slug"], "upper-body-core");
    workout(&app, &s.access, &strength["id"], json!({})).await;
    let list = json_body(app.get("workouts/categories/", None).await, 200).await;
    let list = list.as_array().expect("a bare array");
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["workout_count"], 1);
    let dup = app
        .post(
            "workouts/categories/",
            json!({"name": "Other", "slug": "upper-body-core"}),
            Some(&s.access),
        )
        .await;
    problem(dup, 409, "conflict").await;
    let renamed = json_body(
        app.patch(
            &format!("workouts/categories/{}/", strength["id"]),
            json!({"name": "Strength"}),
            Some(&s.access),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(
        (renamed["name"].as_str(), renamed["workout_count"].as_i64()),
        (Some("Strength"), Some(1))
    );
}

#[tokio::test]
async fn only_staff_create_categories_and_workouts() {
    let app = TestApp::spawn().await;
    let u = app.register("plain@example.com", PASSWORD).await;
    problem(
        app.post(
            "workouts/categories/",
            json!({"name": "X"}),
            Some(&u.access),
        )
        .await,
        403,
        "permission_denied",
    )
    .await;
    problem(
        app.post("workouts/categories/", json!({"name": "X"}), None)
            .await,
        401,
        "not_authenticated",
    )
    .await;
    let res = app
        .post("workouts/workouts/", json!({"title": "x"}), Some(&u.access))
        .await;
    problem(res, 403, "permission_denied").await;
}

#[tokio::test]
async fn an_unknown_category_id_on_create_is_400_naming_it() {
    let app = TestApp::spawn().await;
    let s = staff(&app, "bad-cat@example.com").await;
    let res = app
        .post(
            "workouts/workouts/",
            json!({"title": "T", "duration_minutes": 10, "difficulty": "beginner",
            "category_id": 999_999}),
            Some(&s.access),
        )
        .await;
    validation_error(res, "category_id").await;
}

#[tokio::test]
async fn the_catalogue_filters_searches_orders_and_pages() {
    let app = TestApp::spawn().await;
    let s = staff(&app, "filters@example.com").await;
    let yoga = category(&app, &s.access, "Yoga").await;
    let hiit = category(&app, &s.access, "HIIT").await;
    let a = workout(
        &app,
        &s.access,
        &yoga["id"],
        json!({"title": "Sunrise Flow", "duration_minutes": 30}),
    )
    .await;
    let b = workout(&app, &s.access, &hiit["id"], json!({"title": "Tabata Burner", "difficulty": "advanced",
        "goals": ["lose_weight"], "is_premium": true, "duration_minutes": 15, "description": "Sweaty INTERVALS"})).await;
    let c = workout(
        &app,
        &s.access,
        &hiit["id"],
        json!({"title": "Core Blast", "duration_minutes": 45}),
    )
    .await;

    let by_slug = json_body(
        app.get("workouts/workouts/?category=hiit&ordering=title", None)
            .await,
        200,
    )
    .await;
    assert_eq!(
        ids(&by_slug),
        vec![c["id"].as_i64().unwrap_or(0), b["id"].as_i64().unwrap_or(0)]
    );
    let by_id = json_body(
        app.get(&format!("workouts/workouts/?category={}", yoga["id"]), None)
            .await,
        200,
    )
    .await;
    assert_eq!(ids(&by_id), vec![a["id"].as_i64().unwrap_or(0)]);
    let goal = json_body(
        app.get("workouts/workouts/?goal=lose_weight", None).await,
        200,
    )
    .await;
    assert_eq!(goal["count"], 1);
    let premium = json_body(
        app.get(
            "workouts/workouts/?is_premium=true&difficulty=advanced",
            None,
        )
        .await,
        200,
    )
    .await;
    assert_eq!(ids(&premium), vec![b["id"].as_i64().unwrap_or(0)]);
    let search = json_body(
        app.get("workouts/workouts/?search=intervals", None).await,
        200,
    )
    .await;
    assert_eq!(
        ids(&search),
        vec![b["id"].as_i64().unwrap_or(0)],
        "description, any case"
    );
    let longest = json_body(
        app.get(
            "workouts/workouts/?ordering=-duration_minutes&page_size=2",
            None,
        )
        .await,
        200,
    )
    .await;
    assert_eq!(longest["count"], 3);
    assert_eq!(
        ids(&longest),
        vec![c["id"].as_i64().unwrap_or(0), a["id"].as_i64().unwrap_or(0)]
    );
    assert!(
        longest["next"]
            .as_str()
            .is_some_and(|n| n.contains("page=2"))
    );
    let page2 = json_body(
        app.get(
            "workouts/workouts/?ordering=-duration_minutes&page_size=2&page=2",
            None,
        )
        .await,
        200,
    )
    .await;
    assert_eq!(ids(&page2), vec![b["id"].as_i64().unwrap_or(0)]);
    // Anonymous callers get no is_favorite field and a null progress.
    let first = &by_slug["results"][0];
    assert!(first.get("is_favorite").is_none());
    assert_eq!(first["progress"], Value::Null);
    assert_eq!(first["category"]["slug"], "hiit");
}

#[tokio::test]
async fn unknown_filter_values_and_ordering_fields_are_400() {
    let app = TestApp::spawn().await;
    for q in [
        "difficulty=expert",
        "goal=fly",
        "category=nope",
        "ordering=rating",
        "is_premium=maybe",
        "color=red",
        "page=0",
    ] {
        let res = app.get(&format!("workouts/workouts/?{q}"), None).await;
        let p = any_problem(res, 400).await;
        assert!(p["code"].is_string(), "{q}: {p}");
    }
}

#[tokio::test]
async fn a_catalogue_page_costs_the_same_queries_whatever_it_holds() {
    let app = TestApp::spawn().await;
    let s = staff(&app, "queries@example.com").await;
    let cat = category(&app, &s.access, "Strength").await;
    let u = app.register("reader@example.com", PASSWORD).await;
    workout(&app, &s.access, &cat["id"], json!({})).await;
    // The caller is then served from the auth cache.
    json_body(app.get("users/me/", Some(&u.access)).await, 200).await;
    async fn cost(app: &TestApp, token: &str) -> (u64, Value) {
        let before = app.query_count();
        let page = json_body(app.get("workouts/workouts/", Some(token)).await, 200).await;
        (app.query_count() - before, page)
    }
    let (cold_one, _) = cost(&app, &u.access).await;
    let (warm_one, _) = cost(&app, &u.access).await;
    for i in 0..19 {
        let w = workout(
            &app,
            &s.access,
            &cat["id"],
            json!({"title": format!("W{i}")}),
        )
        .await;
        app.post(
            "users/favorites/",
            json!({"kind": "workout", "id": w["id"]}),
            Some(&u.access),
        )
        .await;
        app.post(
            "workouts/progress/",
            json!({"workout_id": w["id"], "progress_percentage": 10}),
            Some(&u.access),
        )
        .await;
    }
    let (cold_twenty, page) = cost(&app, &u.access).await;
    let (warm_twenty, _) = cost(&app, &u.access).await;
    assert_eq!(page["results"].as_array().map(Vec::len), Some(20));
    assert_eq!(
        page["results"][0]["progress"]["progress_percentage"], 10.0,
        "the caller's marks are on the rows"
    );
    assert_eq!(page["results"][0]["is_favorite"], true);
    assert_eq!(
        (cold_one, warm_one),
        (cold_twenty, warm_twenty),
        "a page of 1 and a page of 20 cost the same"
    );
    assert_eq!(
        cold_twenty, 5,
        "after a change: the order, the catalogue (its stamp, workouts, videos), the caller's marks"
    );
    assert_eq!(
        warm_twenty, 1,
        "then the order and the rows come from memory: only the caller's marks"
    );
}

#[tokio::test]
async fn a_page_past_the_end_is_empty_and_still_tells_the_count() {
    let app = TestApp::spawn().await;
    let s = staff(&app, "past@example.com").await;
    let cat = category(&app, &s.access, "Strength").await;
    for i in 0..3 {
        workout(
            &app,
            &s.access,
            &cat["id"],
            json!({"title": format!("W{i}")}),
        )
        .await;
    }
    let res = app
        .get("workouts/workouts/?page=2&page_size=2", Some(&s.access))
        .await;
    let page = json_body(res, 200).await;
    assert_eq!(page["count"], 3);
    assert_eq!(page["results"].as_array().map(Vec::len), Some(1));
    let res = app.get("workouts/workouts/?page=3&page_size=2", None).await;
    let past = json_body(res, 200).await;
    assert_eq!(
        past["count"], 3,
        "past the last page the count is still told"
    );
    assert_eq!(past["results"], json!([]));
}

#[tokio::test]
async fn a_workout_detail_with_its_videos_is_one_statement() {
    let app = TestApp::spawn().await;
    let s = staff(&app, "detail@example.com").await;
    let cat = category(&app, &s.access, "Strength").await;
    let w = workout(&app, &s.access, &cat["id"], json!({})).await;
    let premium = workout(&app, &s.access, &cat["id"], json!({"is_premium": true})).await;
    upload(&app, &s.access, &premium["id"], "Locked part", false).await;
    let u = app.register("watcher@example.com", PASSWORD).await;
    json_body(app.get("users/me/", Some(&u.access)).await, 200).await;
    let path = format!("workouts/workouts/{}/", w["id"]);
    let before = app.query_count();
    let detail = json_body(app.get(&path, Some(&u.access)).await, 200).await;
    assert!(
        app.query_count() - before <= 4,
        "at most the catalogue (its stamp, workouts, videos) and the caller's marks"
    );
    assert_eq!(detail["videos"], json!([]), "no videos: an empty list");
    let before = app.query_count();
    json_body(app.get(&path, Some(&u.access)).await, 200).await;
    assert_eq!(
        app.query_count() - before,
        1,
        "a free workout: one statement (the caller's marks)"
    );
    let path = format!("workouts/workouts/{}/", premium["id"]);
    let before = app.query_count();
    let detail = json_body(app.get(&path, Some(&u.access)).await, 200).await;
    assert_eq!(
        app.query_count() - before,
        1,
        "a premium workout: still one statement (marks with the subscription)"
    );
    assert_eq!(
        detail["videos"][0]["locked"], true,
        "no subscription: locked"
    );
    assert_eq!(detail["videos"][0]["stream_url"], Value::Null);
    let before = app.query_count();
    json_body(app.get(&path, None).await, 200).await;
    assert_eq!(
        app.query_count() - before,
        0,
        "anonymous: from memory alone"
    );
}

#[tokio::test]
async fn staff_edits_to_videos_and_categories_show_at_once() {
    let app = TestApp::spawn().await;
    let s = staff(&app, "fresh@example.com").await;
    let cat = category(&app, &s.access, "Strength").await;
    let w = workout(&app, &s.access, &cat["id"], json!({})).await;
    let path = format!("workouts/workouts/{}/", w["id"]);
    // Read once, so the catalogue is in memory.
    json_body(app.get(&path, None).await, 200).await;
    json_body(app.get("workouts/workouts/", None).await, 200).await;
    let v = upload(&app, &s.access, &w["id"], "Part 1", true).await;
    let detail = json_body(app.get(&path, None).await, 200).await;
    assert_eq!(
        detail["videos"][0]["title"], "Part 1",
        "an upload shows at once"
    );
    assert_eq!(detail["video_count"], 1);
    json_body(
        app.patch(
            &format!("workouts/videos/{}/", v["id"]),
            json!({"title": "Warm-up"}),
            Some(&s.access),
        )
        .await,
        200,
    )
    .await;
    let detail = json_body(app.get(&path, None).await, 200).await;
    assert_eq!(
        detail["videos"][0]["title"], "Warm-up",
        "a rename shows at once"
    );
    json_body(
        app.patch(
            &format!("workouts/categories/{}/", cat["id"]),
            json!({"name": "Power"}),
            Some(&s.access),
        )
        .await,
        200,
    )
    .await;
    let page = json_body(app.get("workouts/workouts/", None).await, 200).await;
    assert_eq!(
        page["results"][0]["category"]["name"], "Power",
        "a category rename shows at once"
    );
    no_content(
        app.delete(
            &format!("workouts/videos/{}/", v["id"]),
            None,
            Some(&s.access),
        )
        .await,
    )
    .await;
    let detail = json_body(app.get(&path, None).await, 200).await;
    assert_eq!(
        detail["videos"],
        json!([]),
        "a deleted video is gone at once"
    );
    app.drain_jobs().await;
}

#[tokio::test]
async fn staff_edit_and_delete_workouts() {
    let app = TestApp::spawn().await;
    let s = staff(&app, "edit@example.com").await;
    let cat = category(&app, &s.access, "Core").await;
    let w = workout(&app, &s.access, &cat["id"], json!({})).await;
    let path = format!("workouts/workouts/{}/", w["id"]);
    let edited = json_body(
        app.patch(
            &path,
            json!({"title": "Evening Mobility", "is_premium": true}),
            Some(&s.access),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(
        (edited["title"].as_str(), edited["is_premium"].as_bool()),
        (Some("Evening Mobility"), Some(true))
    );
    validation_error(
        app.patch(&path, json!({"duration_minutes": 0}), Some(&s.access))
            .await,
        "duration_minutes",
    )
    .await;
    upload(&app, &s.access, &w["id"], "Part 1", false).await;
    no_content(app.delete(&path, None, Some(&s.access)).await).await;
    problem(app.get(&path, None).await, 404, "not_found").await;
    app.drain_jobs().await;
}

#[tokio::test]
async fn an_upload_is_stored_typed_by_its_bytes_and_counted() {
    let app = TestApp::spawn().await;
    let s = staff(&app, "upload@example.com").await;
    let cat = category(&app, &s.access, "Cardio").await;
    let w = workout(&app, &s.access, &cat["id"], json!({})).await;
    let v = upload(&app, &s.access, &w["id"], "Warm-up", true).await;
    assert_eq!(
        (v["content_type"].as_str(), v["size_bytes"].as_i64()),
        (Some("video/mp4"), Some(4096))
    );
    assert_eq!(v["order_index"], 0);
    let detail = json_body(
        app.get(&format!("workouts/workouts/{}/", w["id"]), None)
            .await,
        200,
    )
    .await;
    assert_eq!(detail["video_count"], 1);
    assert_eq!(detail["videos"][0]["title"], "Warm-up");
    // The probe job runs whether or not ffmpeg is installed.
    app.drain_jobs().await;
}

#[tokio::test]
async fn an_upload_that_is_not_a_video_is_415_and_leaves_nothing() {
    let app = TestApp::spawn().await;
    let s = staff(&app, "not-video@example.com").await;
    let cat = category(&app, &s.access, "Yoga").await;
    let w = workout(&app, &s.access, &cat["id"], json!({})).await;
    let png = crate::helpers::png_bytes(8, 8);
    let res = upload_raw(&app, &s.access, &w["id"], png, &[]).await;
    problem(res, 415, "unsupported_media_type").await;
    let detail = json_body(
        app.get(&format!("workouts/workouts/{}/", w["id"]), None)
            .await,
        200,
    )
    .await;
    assert_eq!(detail["video_count"], 0);
    assert_eq!(app.stored_files("videos"), 0);
}

#[tokio::test]
async fn an_upload_over_the_limit_is_413_and_leaves_nothing() {
    let app = TestApp::spawn_with(|c| c.video_max_bytes = 64 * 1024).await;
    let s = staff(&app, "too-big@example.com").await;
    let cat = category(&app, &s.access, "Yoga").await;
    let w = workout(&app, &s.access, &cat["id"], json!({})).await;
    let res = upload_raw(&app, &s.access, &w["id"], mp4_bytes(200 * 1024), &[]).await;
    problem(res, 413, "payload_too_large").await;
    assert_eq!(app.stored_files("videos"), 0);
    let ok = upload_raw(&app, &s.access, &w["id"], mp4_bytes(60 * 1024), &[]).await;
    assert_eq!(ok.status(), 201);
}

#[tokio::test]
async fn a_truncated_upload_is_refused_and_leaves_nothing() {
    let app = TestApp::spawn().await;
    let s = staff(&app, "truncated@example.com").await;
    let cat = category(&app, &s.access, "Yoga").await;
    let w = workout(&app, &s.access, &cat["id"], json!({})).await;
    // A multipart body whose closing boundary never comes.
    let mut body =
        b"--XYZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.mp4\"\r\n\r\n"
            .to_vec();
    body.extend(mp4_bytes(100 * 1024));
    let res = app
        .send(
            app.req(
                Method::POST,
                &format!("workouts/workouts/{}/videos/", w["id"]),
                Some(&s.access),
            )
            .header("content-type", "multipart/form-data; boundary=XYZ")
            .body(body),
        )
        .await;
    problem(res, 400, "malformed_request").await;
    assert_eq!(app.stored_files("videos"), 0);
    let detail = json_body(
        app.get(&format!("workouts/workouts/{}/", w["id"]), None)
            .await,
        200,
    )
    .await;
    assert_eq!(detail["video_count"], 0);
}

#[tokio::test]
async fn reorder_takes_every_video_once_and_refuses_missing_duplicate_and_foreign_ids() {
    let app = TestApp::spawn().await;
    let s = staff(&app, "reorder@example.com").await;
    let cat = category(&app, &s.access, "Yoga").await;
    let w = workout(&app, &s.access, &cat["id"], json!({})).await;
    let other = workout(&app, &s.access, &cat["id"], json!({"title": "Other"})).await;
    let a = upload(&app, &s.access, &w["id"], "A", false).await["id"].clone();
    let b = upload(&app, &s.access, &w["id"], "B", false).await["id"].clone();
    let c = upload(&app, &s.access, &w["id"], "C", false).await["id"].clone();
    let foreign = upload(&app, &s.access, &other["id"], "X", false).await["id"].clone();
    let path = format!("workouts/workouts/{}/videos/reorder/", w["id"]);
    for bad in [
        json!([a, b]),
        json!([a, b, b]),
        json!([a, b, c, foreign]),
        json!([a, b, foreign]),
    ] {
        let res = app
            .post(&path, json!({"video_ids": bad}), Some(&s.access))
            .await;
        validation_error(res, "video_ids").await;
    }
    let detail = json_body(
        app.post(&path, json!({"video_ids": [c, a, b]}), Some(&s.access))
            .await,
        200,
    )
    .await;
    let order: Vec<Value> = detail["videos"]
        .as_array()
        .map(|v| v.iter().map(|x| x["id"].clone()).collect())
        .unwrap_or_default();
    assert_eq!(order, vec![c, a, b]);
}

#[tokio::test]
async fn staff_edit_and_delete_videos_and_the_file_goes_after_the_row() {
    let app = TestApp::spawn().await;
    let s = staff(&app, "video-edit@example.com").await;
    let cat = category(&app, &s.access, "Yoga").await;
    let w = workout(&app, &s.access, &cat["id"], json!({})).await;
    let v = upload(&app, &s.access, &w["id"], "Old", false).await;
    let path = format!("workouts/videos/{}/", v["id"]);
    let edited = json_body(
        app.patch(
            &path,
            json!({"title": "New", "is_free": true}),
            Some(&s.access),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(
        (edited["title"].as_str(), edited["is_free"].as_bool()),
        (Some("New"), Some(true))
    );
    app.drain_jobs().await;
    assert_eq!(app.stored_files("videos"), 1);
    no_content(app.delete(&path, None, Some(&s.access)).await).await;
    let detail = json_body(
        app.get(&format!("workouts/workouts/{}/", w["id"]), None)
            .await,
        200,
    )
    .await;
    assert_eq!(detail["video_count"], 0);
    app.drain_jobs().await;
    assert_eq!(app.stored_files("videos"), 0);
}

/// API.md's access rules, one table: who sees which video unlocked.
#[tokio::test]
async fn the_access_matrix_holds_for_detail_and_stream() {
    let app = TestApp::spawn().await;
    let s = staff(&app, "matrix-staff@example.com").await;
    let cat = category(&app, &s.access, "Strength").await;
    let free_w = workout(
        &app,
        &s.access,
        &cat["id"],
        json!({"title": "Free workout"}),
    )
    .await;
    let prem_w = workout(
        &app,
        &s.access,
        &cat["id"],
        json!({"title": "Premium workout", "is_premium": true}),
    )
    .await;
    let free_video = upload(&app, &s.access, &prem_w["id"], "Free preview", true).await;
    let of_free_workout = upload(&app, &s.access, &free_w["id"], "Regular", false).await;
    let premium_video = upload(&app, &s.access, &prem_w["id"], "Premium", false).await;

    let user = app.register("matrix-user@example.com", PASSWORD).await;
    let subscriber = app.register("matrix-sub@example.com", PASSWORD).await;
    subscribe(&app, subscriber.id, 10).await;
    let lapsed = app.register("matrix-lapsed@example.com", PASSWORD).await;
    subscribe(&app, lapsed.id, -10).await;

    let viewers: [(&str, Option<&str>); 5] = [
        ("anonymous", None),
        ("user", Some(&user.access)),
        ("subscriber", Some(&subscriber.access)),
        ("lapsed", Some(&lapsed.access)),
        ("staff", Some(&s.access)),
    ];
    // (video, workout) -> may watch, per viewer in the order above.
    let matrix = [
        (&free_video, &prem_w, [true, true, true, true, true]),
        (&of_free_workout, &free_w, [false, true, true, true, true]),
        (&premium_video, &prem_w, [false, false, true, false, true]),
    ];
    for (video, w, expected) in matrix {
        for ((who, token), may) in viewers.iter().zip(expected) {
            let detail = json_body(
                app.get(&format!("workouts/workouts/{}/", w["id"]), *token)
                    .await,
                200,
            )
            .await;
            let shown = detail["videos"]
                .as_array()
                .and_then(|vs| vs.iter().find(|v| v["id"] == video["id"]).cloned())
                .expect("video listed");
            assert_eq!(shown["locked"], !may, "{who} / {}", video["title"]);
            assert_eq!(
                shown["stream_url"].is_string(),
                may,
                "{who} / {} leaks no URL",
                video["title"]
            );
            let stream = app
                .get(&format!("workouts/videos/{}/stream/", video["id"]), *token)
                .await;
            if may {
                assert_eq!(stream.status(), 200, "{who} / {}", video["title"]);
            } else {
                let p = any_problem(stream, if token.is_some() { 403 } else { 401 }).await;
                assert!(p.get("detail").is_some(), "{who}: no bytes, a problem");
            }
            if let Some(url) = shown["stream_url"].as_str() {
                let by_token = app.send(app.client().get(url)).await;
                assert_eq!(by_token.status(), 200, "{who} via token");
                assert_eq!(by_token.bytes().await.map(|b| b.len()).unwrap_or(0), 4096);
            }
        }
    }
}

#[tokio::test]
async fn favorites_hold_workouts_once_and_show_in_the_catalogue() {
    let app = TestApp::spawn().await;
    let s = staff(&app, "fav-staff@example.com").await;
    let cat = category(&app, &s.access, "Yoga").await;
    let w = workout(&app, &s.access, &cat["id"], json!({})).await;
    let u = app.register("fav@example.com", PASSWORD).await;
    let body = json!({"kind": "workout", "id": w["id"]});
    json_body(
        app.post("users/favorites/", body.clone(), Some(&u.access))
            .await,
        201,
    )
    .await;
    json_body(
        app.post("users/favorites/", body, Some(&u.access)).await,
        200,
    )
    .await;
    problem(
        app.post(
            "users/favorites/",
            json!({"kind": "workout", "id": 999_999}),
            Some(&u.access),
        )
        .await,
        404,
        "not_found",
    )
    .await;
    let favs = json_body(app.get("users/favorites/", Some(&u.access)).await, 200).await;
    assert_eq!(favs["workouts"][0]["id"], w["id"]);
    assert_eq!(favs["workouts"][0]["is_favorite"], true);
    let list = json_body(app.get("workouts/workouts/", Some(&u.access)).await, 200).await;
    assert_eq!(list["results"][0]["is_favorite"], true);
    no_content(
        app.delete(
            &format!("users/favorites/workout/{}/", w["id"]),
            None,
            Some(&u.access),
        )
        .await,
    )
    .await;
    problem(
        app.delete(
            &format!("users/favorites/workout/{}/", w["id"]),
            None,
            Some(&u.access),
        )
        .await,
        404,
        "not_found",
    )
    .await;
    let list = json_body(app.get("workouts/workouts/", Some(&u.access)).await, 200).await;
    assert_eq!(list["results"][0]["is_favorite"], false);
}

#[tokio::test]
async fn completing_checkout_through_the_stripe_fake_unlocks_premium_videos() {
    use crate::fakes::stripe::{FakeStripe, SECRET_KEY};
    let stripe = FakeStripe::start().await;
    let base = stripe.url.clone();
    let app = TestApp::spawn_with(move |c| {
        c.stripe_secret_key = Some(SECRET_KEY.into());
        c.stripe_api_base = base;
        c.stripe_webhook_secret = Some("whsec_unlock".into());
        c.stripe_price_monthly = Some("price_monthly".into());
    })
    .await;
    let s = staff(&app, "unlock-staff@example.com").await;
    let cat = category(&app, &s.access, "Strength").await;
    let w = workout(&app, &s.access, &cat["id"], json!({"is_premium": true})).await;
    upload(&app, &s.access, &w["id"], "Premium part", false).await;
    let u = app.register("unlock@example.com", PASSWORD).await;
    let path = format!("workouts/workouts/{}/", w["id"]);
    let before = json_body(app.get(&path, Some(&u.access)).await, 200).await;
    assert_eq!(before["videos"][0]["locked"], true);

    json_body(
        app.post(
            "payments/subscriptions/checkout/",
            json!({"plan": "monthly", "gateway": "stripe",
            "success_url": "https://app.test/ok", "cancel_url": "https://app.test/no"}),
            Some(&u.access),
        )
        .await,
        201,
    )
    .await;
    let event = json!({"id": "evt_unlock", "type": "checkout.session.completed", "created": app.now().timestamp(),
        "data": {"object": {"id": "cs_1", "mode": "subscription", "client_reference_id": u.id.to_string(),
                            "customer": "cus_test_1", "subscription": "sub_unlock"}}});
    let res = app
        .deliver_stripe_event("whsec_unlock", serde_json::to_vec(&event).expect("json"))
        .await;
    assert_eq!(res.status(), 200);
    let after = json_body(app.get(&path, Some(&u.access)).await, 200).await;
    assert_eq!(after["videos"][0]["locked"], false);
    let url = after["videos"][0]["stream_url"]
        .as_str()
        .expect("stream url");
    assert_eq!(app.send(app.client().get(url)).await.status(), 200);
}

/// 48 MB sent as a stream of 64 KB chunks (never whole in the client
/// either): the server writes it in 8 MB parts and the stored file is the
/// same bytes.
#[tokio::test]
async fn a_large_upload_is_streamed_through_in_parts_and_stored_intact() {
    use sha2::{Digest, Sha256};
    let app = TestApp::spawn().await;
    let s = staff(&app, "large@example.com").await;
    let cat = category(&app, &s.access, "Yoga").await;
    let w = workout(&app, &s.access, &cat["id"], json!({})).await;
    const CHUNK: usize = 64 * 1024;
    const CHUNKS: usize = 768; // 48 MiB
    let chunk_at = |i: usize| -> Vec<u8> {
        if i == 0 {
            mp4_bytes(CHUNK)
        } else {
            vec![(i % 251) as u8; CHUNK]
        }
    };
    let mut expected = Sha256::new();
    for i in 0..CHUNKS {
        expected.update(chunk_at(i));
    }
    let stream =
        futures::stream::iter((0..CHUNKS).map(move |i| Ok::<_, std::io::Error>(chunk_at(i))));
    let part = multipart::Part::stream_with_length(
        reqwest::Body::wrap_stream(stream),
        (CHUNK * CHUNKS) as u64,
    )
    .file_name("big.mp4");
    let form = multipart::Form::new().part("file", part);
    let res = app
        .send(
            app.req(
                Method::POST,
                &format!("workouts/workouts/{}/videos/", w["id"]),
                Some(&s.access),
            )
            .multipart(form),
        )
        .await;
    let v = json_body(res, 201).await;
    assert_eq!(v["size_bytes"].as_u64(), Some((CHUNK * CHUNKS) as u64));
    let stored = app.media_file(&format!("videos/{}", w["id"]));
    let bytes = std::fs::read(&stored).expect("stored file");
    assert_eq!(
        hex::encode(Sha256::digest(&bytes)),
        hex::encode(expected.finalize())
    );
}

#[tokio::test]
async fn the_catalogue_order_is_remembered_until_a_workout_changes() {
    let app = TestApp::spawn().await;
    let s = staff(&app, "order@example.com").await;
    let cat = category(&app, &s.access, "Strength").await;
    for i in 0..3 {
        workout(
            &app,
            &s.access,
            &cat["id"],
            json!({"title": format!("W{i}")}),
        )
        .await;
    }
    let u = app.register("order-reader@example.com", PASSWORD).await;
    json_body(app.get("users/me/", Some(&u.access)).await, 200).await;
    json_body(app.get("workouts/workouts/", Some(&u.access)).await, 200).await;
    let before = app.query_count();
    let page = json_body(
        app.get("workouts/workouts/?page_size=2&page=2", Some(&u.access))
            .await,
        200,
    )
    .await;
    assert_eq!(
        app.query_count() - before,
        1,
        "only the page's rows are read"
    );
    assert_eq!(page["count"], 3);
    assert_eq!(page["results"][0]["title"], "W0");

    let newest = workout(&app, &s.access, &cat["id"], json!({"title": "Newest"})).await;
    let page = json_body(app.get("workouts/workouts/", Some(&u.access)).await, 200).await;
    assert_eq!(page["count"], 4, "a new workout shows at once");
    assert_eq!(page["results"][0]["title"], "Newest");

    no_content(
        app.delete(
            &format!("workouts/workouts/{}/", newest["id"]),
            None,
            Some(&s.access),
        )
        .await,
    )
    .await;
    let page = json_body(app.get("workouts/workouts/", Some(&u.access)).await, 200).await;
    assert_eq!(page["count"], 3, "a deleted workout leaves at once");
}
