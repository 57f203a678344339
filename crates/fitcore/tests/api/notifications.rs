//! `notifications/list/`: the read side every context's notifications share.

use crate::helpers::*;
use chrono::Duration;
use serde_json::{Value, json};
use std::collections::HashSet;

/// Walks the pages from `first` by the `cursor` that each `next` link
/// carries (asked of the canonical path, so this checks the cursors; the
/// link itself is checked by `next_link_points_at_the_same_endpoint`).
async fn walk(app: &TestApp, first: &str, token: &str) -> Vec<Value> {
    let mut pages = Vec::new();
    let mut path = first.to_string();
    for _ in 0..100 {
        let page = json_body(app.get(&path, Some(token)).await, 200).await;
        assert!(page["results"].is_array(), "no results in {page}");
        assert!(
            page.get("count").is_none(),
            "cursor pages carry no count: {page}"
        );
        let next = page["next"].clone();
        pages.push(page);
        match next {
            Value::Null => return pages,
            Value::String(link) => {
                let url = url::Url::parse(&link)
                    .unwrap_or_else(|e| panic!("next {link:?} is not a URL: {e}"));
                path = format!("notifications/list/?{}", url.query().unwrap_or_default());
            }
            other => panic!("next is neither a URL nor null: {other}"),
        }
    }
    panic!("more than 100 pages: the cursor does not advance");
}

fn ids(results: &Value) -> Vec<i64> {
    results
        .as_array()
        .expect("results")
        .iter()
        .map(|n| n["id"].as_i64().expect("id"))
        .collect()
}

fn all_results(pages: &[Value]) -> Vec<Value> {
    pages
        .iter()
        .flat_map(|p| p["results"].as_array().expect("results").clone())
        .collect()
}

#[tokio::test]
async fn list_is_newest_first_and_cursor_pages_cover_each_notification_once() {
    let app = TestApp::spawn().await;
    let ana = app.user("ana@example.com").await;
    let t0 = app.now() - Duration::hours(1);
    // Seven notifications, three of them sharing one timestamp.
    let mut expected = Vec::new();
    for (i, minutes) in [0, 5, 10, 10, 10, 20, 30].iter().enumerate() {
        let id = app
            .insert_notification(
                ana.id,
                "system",
                &format!("n{i}"),
                false,
                t0 + Duration::minutes(*minutes),
            )
            .await;
        expected.push((t0 + Duration::minutes(*minutes), id));
    }
    let pages = walk(&app, "notifications/list/?page_size=2", &ana.access).await;
    assert!(
        pages.len() >= 4,
        "7 items in pages of 2: {} pages",
        pages.len()
    );
    for p in &pages {
        assert!(p["results"].as_array().expect("results").len() <= 2);
    }
    let results = all_results(&pages);
    let got: Vec<i64> = results
        .iter()
        .map(|n| n["id"].as_i64().expect("id"))
        .collect();
    let unique: HashSet<i64> = got.iter().copied().collect();
    assert_eq!(got.len(), 7, "every notification exactly once: {got:?}");
    assert_eq!(unique.len(), 7, "duplicates across pages: {got:?}");

    // Newest first by created_at.
    let times: Vec<chrono::DateTime<chrono::FixedOffset>> = results
        .iter()
        .map(|n| {
            chrono::DateTime::parse_from_rfc3339(n["created_at"].as_str().expect("created_at"))
                .expect("RFC 3339")
        })
        .collect();
    assert!(
        times.windows(2).all(|w| w[0] >= w[1]),
        "not newest first: {times:?}"
    );
    expected.sort_by_key(|(at, _)| std::cmp::Reverse(*at));
    assert_eq!(got[0], expected[0].1, "the newest (t0+30 min) comes first");
    assert_eq!(got[6], expected[6].1, "the oldest (t0) comes last");
    assert_eq!(
        unique,
        expected.iter().map(|(_, id)| *id).collect::<HashSet<i64>>()
    );
}

#[tokio::test]
async fn list_orders_by_created_at_even_when_ids_disagree() {
    let app = TestApp::spawn().await;
    let ana = app.user("ana@example.com").await;
    let t0 = app.now() - Duration::hours(1);
    let mut rows = Vec::new();
    for (i, minutes) in [10, 30, 0, 20, 5].iter().enumerate() {
        let at = t0 + Duration::minutes(*minutes);
        rows.push((
            at,
            app.insert_notification(ana.id, "system", &format!("n{i}"), false, at)
                .await,
        ));
    }
    rows.sort_by_key(|(at, _)| std::cmp::Reverse(*at));
    let expected: Vec<i64> = rows.iter().map(|(_, id)| *id).collect();
    let got: Vec<i64> =
        all_results(&walk(&app, "notifications/list/?page_size=2", &ana.access).await)
            .iter()
            .map(|n| n["id"].as_i64().expect("id"))
            .collect();
    assert_eq!(got, expected, "newest first by created_at");
}

#[tokio::test]
async fn next_link_points_at_the_same_endpoint() {
    let app = TestApp::spawn().await;
    let ana = app.user("ana@example.com").await;
    let now = app.now();
    for i in 0..3 {
        app.insert_notification(
            ana.id,
            "system",
            &format!("n{i}"),
            false,
            now - Duration::minutes(i),
        )
        .await;
    }
    let page = json_body(
        app.get(
            "notifications/list/?page_size=2&type=system",
            Some(&ana.access),
        )
        .await,
        200,
    )
    .await;
    let next = page["next"]
        .as_str()
        .unwrap_or_else(|| panic!("no next link: {page}"));
    let url = url::Url::parse(next)
        .unwrap_or_else(|e| panic!("next {next:?} is not an absolute URL: {e}"));
    assert_eq!(
        url.path(),
        "/api/v1/notifications/list/",
        "next link {next}"
    );
    let query: Vec<(String, String)> = url
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    assert!(
        query.contains(&("type".into(), "system".into())),
        "filters are kept in {next}"
    );
    assert!(
        query.contains(&("page_size".into(), "2".into())),
        "page size is kept in {next}"
    );
    let rest = json_body(app.get(next, Some(&ana.access)).await, 200).await;
    assert_eq!(rest["results"].as_array().map(Vec::len), Some(1), "{rest}");
    assert!(rest["next"].is_null());
}

#[tokio::test]
async fn list_items_have_the_documented_shape() {
    let app = TestApp::spawn().await;
    let ana = app.user("ana@example.com").await;
    app.insert_notification(ana.id, "payment", "Payment received", false, app.now())
        .await;
    let page = json_body(app.get("notifications/list/", Some(&ana.access)).await, 200).await;
    assert!(page["next"].is_null());
    let n = &page["results"][0];
    for key in [
        "id",
        "type",
        "title",
        "message",
        "data",
        "is_read",
        "read_at",
        "created_at",
    ] {
        assert!(n.get(key).is_some(), "missing {key} in {n}");
    }
    assert_eq!(n["type"], "payment");
    assert_eq!(n["title"], "Payment received");
    assert_eq!(n["message"], "Message for Payment received");
    assert_eq!(n["data"], json!({}));
    assert_eq!(n["is_read"], false);
    assert!(n["read_at"].is_null());
    assert_utc_timestamp(&n["created_at"]);
}

#[tokio::test]
async fn empty_list_is_an_empty_page() {
    let app = TestApp::spawn().await;
    let ana = app.user("ana@example.com").await;
    let page = json_body(app.get("notifications/list/", Some(&ana.access)).await, 200).await;
    assert_eq!(page["results"], json!([]));
    assert!(page["next"].is_null());
}

#[tokio::test]
async fn list_filters_by_is_read() {
    let app = TestApp::spawn().await;
    let ana = app.user("ana@example.com").await;
    let now = app.now();
    let read_id = app
        .insert_notification(
            ana.id,
            "system",
            "old news",
            true,
            now - Duration::minutes(3),
        )
        .await;
    let unread1 = app
        .insert_notification(ana.id, "system", "fresh", false, now - Duration::minutes(2))
        .await;
    let unread2 = app
        .insert_notification(
            ana.id,
            "achievement",
            "fresher",
            false,
            now - Duration::minutes(1),
        )
        .await;

    let pages = walk(&app, "notifications/list/?is_read=false", &ana.access).await;
    let got: Vec<i64> = all_results(&pages)
        .iter()
        .map(|n| n["id"].as_i64().expect("id"))
        .collect();
    assert_eq!(got, vec![unread2, unread1]);

    let page = json_body(
        app.get("notifications/list/?is_read=true", Some(&ana.access))
            .await,
        200,
    )
    .await;
    assert_eq!(ids(&page["results"]), vec![read_id]);
}

#[tokio::test]
async fn list_filters_by_type() {
    let app = TestApp::spawn().await;
    let ana = app.user("ana@example.com").await;
    let now = app.now();
    app.insert_notification(ana.id, "system", "s", false, now - Duration::minutes(3))
        .await;
    let pay = app
        .insert_notification(ana.id, "payment", "p", false, now - Duration::minutes(2))
        .await;
    app.insert_notification(
        ana.id,
        "workout_reminder",
        "w",
        false,
        now - Duration::minutes(1),
    )
    .await;
    let page = json_body(
        app.get("notifications/list/?type=payment", Some(&ana.access))
            .await,
        200,
    )
    .await;
    assert_eq!(ids(&page["results"]), vec![pay]);
    let page = json_body(
        app.get(
            "notifications/list/?type=payment&is_read=true",
            Some(&ana.access),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(page["results"], json!([]));
}

#[tokio::test]
async fn list_with_unknown_type_is_400() {
    let app = TestApp::spawn().await;
    let ana = app.user("ana@example.com").await;
    any_problem(
        app.get("notifications/list/?type=spam", Some(&ana.access))
            .await,
        400,
    )
    .await;
}

#[tokio::test]
async fn list_with_non_boolean_is_read_is_400() {
    let app = TestApp::spawn().await;
    let ana = app.user("ana@example.com").await;
    any_problem(
        app.get("notifications/list/?is_read=maybe", Some(&ana.access))
            .await,
        400,
    )
    .await;
}

#[tokio::test]
async fn list_with_invalid_cursor_is_400() {
    let app = TestApp::spawn().await;
    let ana = app.user("ana@example.com").await;
    for cursor in ["garbage", "%00%01", "eyJ4Ijp9", "9999999999999999999999"] {
        let path = format!("notifications/list/?cursor={cursor}");
        any_problem(app.get(&path, Some(&ana.access)).await, 400).await;
    }
}

#[tokio::test]
async fn list_with_invalid_page_size_is_400() {
    let app = TestApp::spawn().await;
    let ana = app.user("ana@example.com").await;
    for size in ["abc", "-1", "0"] {
        let path = format!("notifications/list/?page_size={size}");
        any_problem(app.get(&path, Some(&ana.access)).await, 400).await;
    }
}

#[tokio::test]
async fn list_with_unknown_ordering_is_400() {
    let app = TestApp::spawn().await;
    let ana = app.user("ana@example.com").await;
    any_problem(
        app.get("notifications/list/?ordering=password", Some(&ana.access))
            .await,
        400,
    )
    .await;
}

#[tokio::test]
async fn list_shows_only_the_callers_notifications() {
    let app = TestApp::spawn().await;
    let ana = app.user("ana@example.com").await;
    let eve = app.user("eve@example.com").await;
    let mine = app
        .insert_notification(ana.id, "system", "mine", false, app.now())
        .await;
    app.insert_notification(eve.id, "system", "hers", false, app.now())
        .await;
    let page = json_body(app.get("notifications/list/", Some(&ana.access)).await, 200).await;
    assert_eq!(ids(&page["results"]), vec![mine]);
}

#[tokio::test]
async fn list_needs_authentication() {
    let app = TestApp::spawn().await;
    problem(
        app.get("notifications/list/", None).await,
        401,
        "not_authenticated",
    )
    .await;
}

#[tokio::test]
async fn unread_count_counts_unread_notifications() {
    let app = TestApp::spawn().await;
    let ana = app.user("ana@example.com").await;
    let eve = app.user("eve@example.com").await;
    let now = app.now();
    for i in 0..3 {
        app.insert_notification(ana.id, "system", &format!("u{i}"), false, now)
            .await;
    }
    app.insert_notification(ana.id, "system", "r", true, now)
        .await;
    app.insert_notification(eve.id, "system", "e", false, now)
        .await;
    let body = json_body(
        app.get("notifications/list/unread-count/", Some(&ana.access))
            .await,
        200,
    )
    .await;
    assert_eq!(body, json!({"unread": 3}));
}

async fn unread(app: &TestApp, token: &str) -> i64 {
    let body = json_body(
        app.get("notifications/list/unread-count/", Some(token))
            .await,
        200,
    )
    .await;
    body["unread"]
        .as_i64()
        .unwrap_or_else(|| panic!("no unread: {body}"))
}

#[tokio::test]
async fn read_marks_one_notification_read() {
    let app = TestApp::spawn().await;
    let ana = app.user("ana@example.com").await;
    let a = app
        .insert_notification(
            ana.id,
            "system",
            "a",
            false,
            app.now() - Duration::minutes(1),
        )
        .await;
    let b = app
        .insert_notification(ana.id, "system", "b", false, app.now())
        .await;
    success(
        app.post(
            &format!("notifications/list/{a}/read/"),
            json!({}),
            Some(&ana.access),
        )
        .await,
    )
    .await;
    assert_eq!(unread(&app, &ana.access).await, 1);
    let page = json_body(app.get("notifications/list/", Some(&ana.access)).await, 200).await;
    let results = page["results"].as_array().expect("results");
    let na = results
        .iter()
        .find(|n| n["id"] == json!(a))
        .expect("a listed");
    let nb = results
        .iter()
        .find(|n| n["id"] == json!(b))
        .expect("b listed");
    assert_eq!(na["is_read"], true);
    assert_utc_timestamp(&na["read_at"]);
    assert_eq!(nb["is_read"], false);
    // Reading it again is harmless.
    success(
        app.post(
            &format!("notifications/list/{a}/read/"),
            json!({}),
            Some(&ana.access),
        )
        .await,
    )
    .await;
    assert_eq!(unread(&app, &ana.access).await, 1);
}

#[tokio::test]
async fn read_all_marks_every_notification_read() {
    let app = TestApp::spawn().await;
    let ana = app.user("ana@example.com").await;
    let eve = app.user("eve@example.com").await;
    for i in 0..4 {
        app.insert_notification(ana.id, "system", &format!("n{i}"), false, app.now())
            .await;
    }
    app.insert_notification(eve.id, "system", "eve's", false, app.now())
        .await;
    success(
        app.post("notifications/list/read-all/", json!({}), Some(&ana.access))
            .await,
    )
    .await;
    assert_eq!(unread(&app, &ana.access).await, 0);
    assert_eq!(
        unread(&app, &eve.access).await,
        1,
        "read-all touched another user's notifications"
    );
    let page = json_body(
        app.get("notifications/list/?is_read=false", Some(&ana.access))
            .await,
        200,
    )
    .await;
    assert_eq!(page["results"], json!([]));
}

#[tokio::test]
async fn delete_removes_a_notification() {
    let app = TestApp::spawn().await;
    let ana = app.user("ana@example.com").await;
    let a = app
        .insert_notification(ana.id, "system", "a", false, app.now())
        .await;
    let b = app
        .insert_notification(ana.id, "system", "b", false, app.now())
        .await;
    no_content(
        app.delete(&format!("notifications/list/{a}/"), None, Some(&ana.access))
            .await,
    )
    .await;
    problem(
        app.delete(&format!("notifications/list/{a}/"), None, Some(&ana.access))
            .await,
        404,
        "not_found",
    )
    .await;
    problem(
        app.post(
            &format!("notifications/list/{a}/read/"),
            json!({}),
            Some(&ana.access),
        )
        .await,
        404,
        "not_found",
    )
    .await;
    let page = json_body(app.get("notifications/list/", Some(&ana.access)).await, 200).await;
    assert_eq!(ids(&page["results"]), vec![b]);
}

#[tokio::test]
async fn another_users_notification_is_404() {
    let app = TestApp::spawn().await;
    let ana = app.user("ana@example.com").await;
    let eve = app.user("eve@example.com").await;
    let hers = app
        .insert_notification(eve.id, "system", "hers", false, app.now())
        .await;
    problem(
        app.post(
            &format!("notifications/list/{hers}/read/"),
            json!({}),
            Some(&ana.access),
        )
        .await,
        404,
        "not_found",
    )
    .await;
    problem(
        app.delete(
            &format!("notifications/list/{hers}/"),
            None,
            Some(&ana.access),
        )
        .await,
        404,
        "not_found",
    )
    .await;
    assert_eq!(
        unread(&app, &eve.access).await,
        1,
        "eve's notification was touched"
    );
    let page = json_body(app.get("notifications/list/", Some(&eve.access)).await, 200).await;
    assert_eq!(ids(&page["results"]), vec![hers]);
}

#[tokio::test]
async fn nonexistent_and_malformed_notification_ids_are_404_or_400() {
    let app = TestApp::spawn().await;
    let ana = app.user("ana@example.com").await;
    problem(
        app.post(
            "notifications/list/999999/read/",
            json!({}),
            Some(&ana.access),
        )
        .await,
        404,
        "not_found",
    )
    .await;
    let resp = app
        .delete("notifications/list/abc/", None, Some(&ana.access))
        .await;
    let status = resp.status().as_u16();
    assert!(status == 400 || status == 404, "malformed id gave {status}");
    any_problem(resp, status).await;
}
