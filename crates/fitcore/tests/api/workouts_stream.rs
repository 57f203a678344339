//! `workouts/videos/{id}/stream/`: ranges, conditional requests, tokens and
//! object storage.

use crate::{
    fakes::s3::FakeS3,
    helpers::{PASSWORD, TestApp, any_problem, header_str, json_body, problem},
    workouts::{category, mp4_bytes, staff, subscribe, upload_raw, workout},
};
use chrono::Duration;
use reqwest::{Method, Response};
use serde_json::{Value, json};

struct Video {
    id: Value,
    bytes: Vec<u8>,
    stream_url: String,
}

/// A free video of 10,000 bytes and its tokened stream URL.
async fn video(app: &TestApp, premium: bool, free: bool) -> Video {
    let s = staff(
        app,
        &format!("stream-staff-{}@example.com", uuid::Uuid::new_v4().simple()),
    )
    .await;
    let cat = category(
        app,
        &s.access,
        &format!("Cat {}", uuid::Uuid::new_v4().simple()),
    )
    .await;
    let w = workout(app, &s.access, &cat["id"], json!({"is_premium": premium})).await;
    let bytes = mp4_bytes(10_000);
    let free = if free { "true" } else { "false" };
    let v = json_body(
        upload_raw(
            app,
            &s.access,
            &w["id"],
            bytes.clone(),
            &[("is_free", free)],
        )
        .await,
        201,
    )
    .await;
    Video {
        id: v["id"].clone(),
        bytes,
        stream_url: v["stream_url"].as_str().unwrap_or_default().to_string(),
    }
}

async fn get(app: &TestApp, v: &Video, headers: &[(&str, &str)]) -> Response {
    let mut rb = app.req(
        Method::GET,
        &format!("workouts/videos/{}/stream/", v.id),
        None,
    );
    for (k, val) in headers {
        rb = rb.header(*k, *val);
    }
    app.send(rb).await
}

#[tokio::test]
async fn a_whole_file_is_200_with_validators_and_accept_ranges() {
    let app = TestApp::spawn().await;
    let v = video(&app, false, true).await;
    let res = get(&app, &v, &[]).await;
    assert_eq!(res.status(), 200);
    assert_eq!(header_str(&res, "accept-ranges").as_deref(), Some("bytes"));
    assert!(header_str(&res, "etag").is_some_and(|e| e.starts_with('"')));
    assert!(header_str(&res, "last-modified").is_some_and(|d| d.ends_with("GMT")));
    assert_eq!(
        header_str(&res, "content-type").as_deref(),
        Some("video/mp4")
    );
    assert_eq!(res.bytes().await.expect("body").to_vec(), v.bytes);
}

#[tokio::test]
async fn a_single_range_is_206_with_the_right_bytes_and_content_range() {
    let app = TestApp::spawn().await;
    let v = video(&app, false, true).await;
    for (range, start, end) in [
        ("bytes=0-99", 0, 99),
        ("bytes=9990-", 9990, 9999),
        ("bytes=-10", 9990, 9999),
        ("bytes=5000-99999", 5000, 9999),
    ] {
        let res = get(&app, &v, &[("range", range)]).await;
        assert_eq!(res.status(), 206, "{range}");
        assert_eq!(
            header_str(&res, "content-range"),
            Some(format!("bytes {start}-{end}/10000")),
            "{range}"
        );
        assert_eq!(
            header_str(&res, "content-length"),
            Some((end - start + 1).to_string())
        );
        assert_eq!(
            res.bytes().await.expect("body").to_vec(),
            v.bytes[start..=end].to_vec(),
            "{range}"
        );
    }
}

#[tokio::test]
async fn an_unsatisfiable_range_is_416_with_the_length() {
    let app = TestApp::spawn().await;
    let v = video(&app, false, true).await;
    for range in [
        "bytes=10000-",
        "bytes=20000-30000",
        "bytes=99999999999999999999999-",
    ] {
        let res = get(&app, &v, &[("range", range)]).await;
        assert_eq!(res.status(), 416, "{range}");
        assert_eq!(
            header_str(&res, "content-range").as_deref(),
            Some("bytes */10000"),
            "{range}"
        );
    }
}

#[tokio::test]
async fn malformed_and_multiple_ranges_get_the_whole_file() {
    let app = TestApp::spawn().await;
    let v = video(&app, false, true).await;
    for range in [
        "bytes=abc",
        "items=0-1",
        "bytes=10-5",
        "bytes=",
        "bytes=0-1,5-9",
        "bytes=0-99999999999999999999999",
    ] {
        let res = get(&app, &v, &[("range", range)]).await;
        let overflowing_end = range.ends_with("99999999999999999999999");
        if overflowing_end {
            assert_eq!(res.status(), 206, "an overflowing end is clamped");
            assert_eq!(
                header_str(&res, "content-range").as_deref(),
                Some("bytes 0-9999/10000")
            );
        } else {
            assert_eq!(res.status(), 200, "{range}");
            assert_eq!(res.bytes().await.expect("body").len(), 10_000, "{range}");
        }
    }
}

#[tokio::test]
async fn conditional_requests_answer_304_and_if_range_guards_ranges() {
    let app = TestApp::spawn().await;
    let v = video(&app, false, true).await;
    let first = get(&app, &v, &[]).await;
    let etag = header_str(&first, "etag").expect("etag");
    let modified = header_str(&first, "last-modified").expect("last-modified");
    assert_eq!(
        get(&app, &v, &[("if-none-match", &etag)]).await.status(),
        304
    );
    assert_eq!(
        get(&app, &v, &[("if-none-match", "\"other\"")])
            .await
            .status(),
        200
    );
    assert_eq!(
        get(&app, &v, &[("if-modified-since", &modified)])
            .await
            .status(),
        304
    );
    let ranged = get(&app, &v, &[("range", "bytes=0-9"), ("if-range", &etag)]).await;
    assert_eq!(ranged.status(), 206);
    let stale = get(
        &app,
        &v,
        &[("range", "bytes=0-9"), ("if-range", "\"stale\"")],
    )
    .await;
    assert_eq!(stale.status(), 200, "a changed file is sent whole");
}

#[tokio::test]
async fn head_reports_the_same_headers_without_a_body() {
    let app = TestApp::spawn().await;
    let v = video(&app, false, true).await;
    let res = app
        .send(
            app.req(
                Method::HEAD,
                &format!("workouts/videos/{}/stream/", v.id),
                None,
            )
            .header("range", "bytes=0-99"),
        )
        .await;
    assert_eq!(res.status(), 206);
    assert_eq!(
        header_str(&res, "content-range").as_deref(),
        Some("bytes 0-99/10000")
    );
    assert!(res.bytes().await.expect("body").is_empty());
}

#[tokio::test]
async fn an_expired_or_tampered_token_is_refused() {
    let app = TestApp::spawn().await;
    let v = video(&app, false, false).await;
    assert_eq!(
        app.send(app.client().get(&v.stream_url)).await.status(),
        200
    );
    let tampered = format!("{}x", v.stream_url);
    problem(
        app.send(app.client().get(&tampered)).await,
        401,
        "token_invalid",
    )
    .await;
    app.advance(Duration::minutes(11));
    problem(
        app.send(app.client().get(&v.stream_url)).await,
        401,
        "token_expired",
    )
    .await;
}

#[tokio::test]
async fn a_token_works_for_its_own_video_only() {
    let app = TestApp::spawn().await;
    let a = video(&app, false, false).await;
    let b = video(&app, false, false).await;
    let token = a.stream_url.split("token=").nth(1).expect("token");
    let url = app.url(&format!("workouts/videos/{}/stream/?token={token}", b.id));
    problem(app.send(app.client().get(&url)).await, 401, "token_invalid").await;
}

#[tokio::test]
async fn a_subscribers_token_stops_working_when_access_ends() {
    let app = TestApp::spawn().await;
    let v = video(&app, true, false).await;
    let workout_id = {
        let rows = json_body(app.get("workouts/workouts/", None).await, 200).await;
        rows["results"][0]["id"].clone()
    };
    let sub = app.register("token-sub@example.com", PASSWORD).await;
    subscribe(&app, sub.id, 10).await;
    let detail = json_body(
        app.get(
            &format!("workouts/workouts/{workout_id}/"),
            Some(&sub.access),
        )
        .await,
        200,
    )
    .await;
    let url = detail["videos"][0]["stream_url"]
        .as_str()
        .expect("unlocked")
        .to_string();
    assert_eq!(app.send(app.client().get(&url)).await.status(), 200);
    // The subscription lapses while the link is still fresh.
    app.sql(&format!(
        "DELETE FROM subscriptions WHERE user_id = {}",
        sub.id
    ))
    .await;
    subscribe(&app, sub.id, -1).await;
    problem(
        app.send(app.client().get(&url)).await,
        403,
        "subscription_required",
    )
    .await;
    let _ = v;
}

#[tokio::test]
async fn with_object_storage_the_stream_is_a_302_to_a_signed_url() {
    let s3 = FakeS3::start().await;
    let endpoint = s3.url.clone();
    let app = TestApp::spawn_with(move |c| {
        c.storage_url = Some("s3://fitcore-media".into());
        c.s3_endpoint = Some(endpoint);
        c.aws_region = Some("us-east-1".into());
        c.aws_access_key_id = Some("test".into());
        c.aws_secret_access_key = Some("test".into());
    })
    .await;
    let v = video(&app, false, true).await;
    assert!(
        s3.keys().iter().any(|k| k.contains("videos/")),
        "{:?}",
        s3.keys()
    );
    let res = get(&app, &v, &[]).await;
    assert_eq!(res.status(), 302);
    let location = header_str(&res, "location").expect("location");
    assert!(
        location.starts_with(&s3.url) && location.contains("X-Amz-Signature="),
        "{location}"
    );
    let fetched = app.send(app.client().get(&location)).await;
    assert_eq!(fetched.bytes().await.expect("body").to_vec(), v.bytes);
}

#[tokio::test]
async fn a_locked_video_yields_no_bytes_to_anyone_without_access() {
    let app = TestApp::spawn().await;
    let v = video(&app, true, false).await;
    let u = app.register("locked@example.com", PASSWORD).await;
    let res = app
        .get(
            &format!("workouts/videos/{}/stream/", v.id),
            Some(&u.access),
        )
        .await;
    let p = any_problem(res, 403).await;
    assert_eq!(p["code"], "subscription_required");
    let res = get(&app, &v, &[("range", "bytes=0-10")]).await;
    any_problem(res, 401).await;
}
