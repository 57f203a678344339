//! `users/`: me, profile, settings, profile image, dashboard, export, deletion.

use crate::helpers::*;
use chrono::{Datelike, Duration, NaiveDate};
use reqwest::{Method, multipart};
use serde_json::{Value, json};

fn assert_keys(v: &Value, keys: &[&str]) {
    let obj = v
        .as_object()
        .unwrap_or_else(|| panic!("not an object: {v}"));
    for k in keys {
        assert!(obj.contains_key(*k), "missing `{k}` in {v}");
    }
}

const PROFILE_KEYS: &[&str] = &[
    "birth_date",
    "age",
    "weight_kg",
    "height_cm",
    "gender",
    "fitness_goal",
    "activity_level",
    "dietary_preferences",
    "allergies",
    "profile_image",
    "timezone",
    "units",
];

/// Whole years from `birth` to `today`.
fn age_on(birth: NaiveDate, today: NaiveDate) -> i64 {
    let mut age = i64::from(today.year() - birth.year());
    if (today.month(), today.day()) < (birth.month(), birth.day()) {
        age -= 1;
    }
    age
}

// ===========================================================================
// me

#[tokio::test]
async fn me_has_the_documented_shape() {
    let app = TestApp::spawn().await;
    let ana = app.user("ana@example.com").await;
    let me = app.me(&ana.access).await;
    assert_keys(
        &me,
        &[
            "id",
            "email",
            "first_name",
            "last_name",
            "is_email_verified",
            "is_staff",
            "date_joined",
            "has_active_access",
            "profile",
        ],
    );
    assert_eq!(me["id"].as_i64(), Some(ana.id));
    assert_eq!(me["email"], "ana@example.com");
    assert_eq!(me["first_name"], "Test");
    assert_eq!(me["last_name"], "User");
    assert_eq!(me["is_email_verified"], false);
    assert_eq!(me["is_staff"], false);
    assert_eq!(me["has_active_access"], false);
    assert_utc_timestamp(&me["date_joined"]);
    assert!(
        me.get("password").is_none() && me.get("password_hash").is_none(),
        "password leaks: {me}"
    );

    let profile = &me["profile"];
    assert_keys(profile, PROFILE_KEYS);
    assert_eq!(profile["timezone"], "UTC");
    assert_eq!(profile["units"], "metric");
    assert_eq!(profile["gender"], "unspecified");
    assert!(profile["birth_date"].is_null() && profile["age"].is_null());
    assert!(profile["profile_image"].is_null());
    assert_eq!(profile["dietary_preferences"], json!([]));
    assert_eq!(profile["allergies"], json!([]));
}

#[tokio::test]
async fn me_reports_staff_flag_set_in_the_database() {
    let app = TestApp::spawn().await;
    let ana = app.user("ana@example.com").await;
    app.make_staff(ana.id).await;
    assert_eq!(app.me(&ana.access).await["is_staff"], true);
}

#[tokio::test]
async fn me_patch_updates_first_and_last_name() {
    let app = TestApp::spawn().await;
    let ana = app.user("ana@example.com").await;
    let resp = app
        .patch(
            "users/me/",
            json!({"first_name": "Ana", "last_name": "Ruiz"}),
            Some(&ana.access),
        )
        .await;
    let body = json_body(resp, 200).await;
    assert_eq!(body["first_name"], "Ana");
    assert_eq!(body["last_name"], "Ruiz");
    let me = app.me(&ana.access).await;
    assert_eq!(me["first_name"], "Ana");
    assert_eq!(me["last_name"], "Ruiz");

    // A partial update keeps the other field.
    let body = json_body(
        app.patch(
            "users/me/",
            json!({"last_name": "García"}),
            Some(&ana.access),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(body["first_name"], "Ana");
    assert_eq!(body["last_name"], "García");
}

#[tokio::test]
async fn me_patch_with_unknown_field_is_400() {
    let app = TestApp::spawn().await;
    let ana = app.user("ana@example.com").await;
    validation_error(
        app.patch("users/me/", json!({"is_staff": true}), Some(&ana.access))
            .await,
        "is_staff",
    )
    .await;
    assert_eq!(app.me(&ana.access).await["is_staff"], false);
}

#[tokio::test]
async fn me_patch_cannot_change_email() {
    let app = TestApp::spawn().await;
    let ana = app.user("ana@example.com").await;
    any_problem(
        app.patch(
            "users/me/",
            json!({"email": "eve@example.com"}),
            Some(&ana.access),
        )
        .await,
        400,
    )
    .await;
    assert_eq!(app.me(&ana.access).await["email"], "ana@example.com");
}

// ===========================================================================
// profile

async fn patch_profile(app: &TestApp, token: &str, body: Value) -> reqwest::Response {
    app.patch("users/profile/", body, Some(token)).await
}

#[tokio::test]
async fn profile_get_has_the_documented_shape() {
    let app = TestApp::spawn().await;
    let ana = app.user("ana@example.com").await;
    let profile = json_body(app.get("users/profile/", Some(&ana.access)).await, 200).await;
    assert_keys(&profile, PROFILE_KEYS);
}

#[tokio::test]
async fn profile_patch_stores_valid_values_and_computes_age() {
    let app = TestApp::spawn().await;
    let ana = app.user("ana@example.com").await;
    let today = app.now().date_naive();
    let birth = NaiveDate::from_ymd_opt(today.year() - 30, 1, 1).expect("date");
    let expected_age = age_on(birth, today);
    let body = json!({
        "birth_date": birth.format("%Y-%m-%d").to_string(),
        "weight_kg": 72.5,
        "height_cm": 180,
        "gender": "female",
        "fitness_goal": "build_muscle",
        "activity_level": "active",
        "dietary_preferences": ["vegetarian", "gluten_free"],
        "allergies": ["peanuts", "shellfish"],
        "timezone": "Europe/Madrid",
        "units": "imperial",
    });
    let profile = json_body(patch_profile(&app, &ana.access, body).await, 200).await;
    assert_eq!(profile["birth_date"], birth.format("%Y-%m-%d").to_string());
    assert_eq!(profile["age"].as_i64(), Some(expected_age), "{profile}");
    assert_eq!(profile["weight_kg"].as_f64(), Some(72.5));
    assert_eq!(profile["height_cm"].as_f64(), Some(180.0));
    assert_eq!(profile["gender"], "female");
    assert_eq!(profile["fitness_goal"], "build_muscle");
    assert_eq!(profile["activity_level"], "active");
    assert_eq!(
        profile["dietary_preferences"],
        json!(["vegetarian", "gluten_free"])
    );
    assert_eq!(profile["allergies"], json!(["peanuts", "shellfish"]));
    assert_eq!(profile["timezone"], "Europe/Madrid");
    assert_eq!(profile["units"], "imperial");

    let again = json_body(app.get("users/profile/", Some(&ana.access)).await, 200).await;
    assert_eq!(again, profile);
    assert_eq!(app.me(&ana.access).await["profile"], profile);
}

#[tokio::test]
async fn profile_age_counts_whole_years() {
    let app = TestApp::spawn().await;
    let ana = app.user("ana@example.com").await;
    let today = app.now().date_naive();
    // Twenty years ago tomorrow: still 19 today.
    let same_day = NaiveDate::from_ymd_opt(today.year() - 20, today.month(), today.day())
        .or_else(|| NaiveDate::from_ymd_opt(today.year() - 20, today.month(), 28))
        .expect("date");
    let birth = same_day + Duration::days(1);
    let expected = age_on(birth, today);
    let profile = json_body(
        patch_profile(
            &app,
            &ana.access,
            json!({"birth_date": birth.format("%Y-%m-%d").to_string()}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(
        profile["age"].as_i64(),
        Some(expected),
        "birth {birth}, today {today}: {profile}"
    );
}

#[tokio::test]
async fn profile_patch_merges_fields_left_out() {
    let app = TestApp::spawn().await;
    let ana = app.user("ana@example.com").await;
    json_body(
        patch_profile(&app, &ana.access, json!({"weight_kg": 80})).await,
        200,
    )
    .await;
    let profile = json_body(
        patch_profile(&app, &ana.access, json!({"height_cm": 175})).await,
        200,
    )
    .await;
    assert_eq!(profile["weight_kg"].as_f64(), Some(80.0));
    assert_eq!(profile["height_cm"].as_f64(), Some(175.0));
}

#[tokio::test]
async fn profile_rejects_weight_outside_human_range() {
    let app = TestApp::spawn().await;
    let ana = app.user("ana@example.com").await;
    for w in [json!(19), json!(19.99), json!(401), json!(-5), json!(0)] {
        validation_error(
            patch_profile(&app, &ana.access, json!({"weight_kg": w})).await,
            "weight_kg",
        )
        .await;
    }
    for w in [20, 400] {
        json_body(
            patch_profile(&app, &ana.access, json!({"weight_kg": w})).await,
            200,
        )
        .await;
    }
}

#[tokio::test]
async fn profile_rejects_height_outside_human_range() {
    let app = TestApp::spawn().await;
    let ana = app.user("ana@example.com").await;
    for h in [49, 273, -170] {
        validation_error(
            patch_profile(&app, &ana.access, json!({"height_cm": h})).await,
            "height_cm",
        )
        .await;
    }
    for h in [50, 272] {
        json_body(
            patch_profile(&app, &ana.access, json!({"height_cm": h})).await,
            200,
        )
        .await;
    }
}

#[tokio::test]
async fn profile_rejects_birth_date_before_1900_or_under_13_years() {
    let app = TestApp::spawn().await;
    let ana = app.user("ana@example.com").await;
    let today = app.now().date_naive();
    let twelve = NaiveDate::from_ymd_opt(today.year() - 12, today.month(), today.day().min(28))
        .expect("date");
    let future = today + Duration::days(10);
    for bad in [
        "1899-12-31".to_string(),
        twelve.to_string(),
        future.to_string(),
        "1990-02-30".to_string(),
        "yesterday".to_string(),
    ] {
        validation_error(
            patch_profile(&app, &ana.access, json!({"birth_date": bad})).await,
            "birth_date",
        )
        .await;
    }
    let fourteen = NaiveDate::from_ymd_opt(today.year() - 14, 1, 1).expect("date");
    json_body(
        patch_profile(
            &app,
            &ana.access,
            json!({"birth_date": fourteen.to_string()}),
        )
        .await,
        200,
    )
    .await;
    json_body(
        patch_profile(&app, &ana.access, json!({"birth_date": null})).await,
        200,
    )
    .await;
}

#[tokio::test]
async fn profile_rejects_invalid_timezone() {
    let app = TestApp::spawn().await;
    let ana = app.user("ana@example.com").await;
    for tz in ["Mars/Olympus_Mons", "", "UTC+25"] {
        validation_error(
            patch_profile(&app, &ana.access, json!({"timezone": tz})).await,
            "timezone",
        )
        .await;
    }
    let p = json_body(
        patch_profile(&app, &ana.access, json!({"timezone": "America/New_York"})).await,
        200,
    )
    .await;
    assert_eq!(p["timezone"], "America/New_York");
}

#[tokio::test]
async fn profile_rejects_unknown_dietary_preference() {
    let app = TestApp::spawn().await;
    let ana = app.user("ana@example.com").await;
    let resp = patch_profile(
        &app,
        &ana.access,
        json!({"dietary_preferences": ["vegan", "carnivore"]}),
    )
    .await;
    validation_error(resp, "dietary_preferences").await;
    let p = json_body(app.get("users/profile/", Some(&ana.access)).await, 200).await;
    assert_eq!(p["dietary_preferences"], json!([]), "nothing half-written");
}

#[tokio::test]
async fn profile_validates_enums() {
    let app = TestApp::spawn().await;
    let ana = app.user("ana@example.com").await;
    for (field, bad) in [
        ("gender", "robot"),
        ("fitness_goal", "fly"),
        ("activity_level", "couch"),
        ("units", "furlongs"),
    ] {
        validation_error(
            patch_profile(&app, &ana.access, json!({field: bad})).await,
            field,
        )
        .await;
    }
    for gender in ["male", "female", "other", "unspecified"] {
        json_body(
            patch_profile(&app, &ana.access, json!({"gender": gender})).await,
            200,
        )
        .await;
    }
    for goal in [
        "lose_weight",
        "build_muscle",
        "maintain",
        "improve_endurance",
        "general_fitness",
    ] {
        json_body(
            patch_profile(&app, &ana.access, json!({"fitness_goal": goal})).await,
            200,
        )
        .await;
    }
    for level in ["sedentary", "light", "moderate", "active", "very_active"] {
        json_body(
            patch_profile(&app, &ana.access, json!({"activity_level": level})).await,
            200,
        )
        .await;
    }
}

#[tokio::test]
async fn profile_rejects_wrong_types() {
    let app = TestApp::spawn().await;
    let ana = app.user("ana@example.com").await;
    validation_error(
        patch_profile(&app, &ana.access, json!({"weight_kg": "heavy"})).await,
        "weight_kg",
    )
    .await;
    validation_error(
        patch_profile(&app, &ana.access, json!({"allergies": "peanuts"})).await,
        "allergies",
    )
    .await;
}

#[tokio::test]
async fn profile_rejects_huge_number() {
    let app = TestApp::spawn().await;
    let ana = app.user("ana@example.com").await;
    let resp = app
        .patch_raw(
            "users/profile/",
            r#"{"weight_kg": 1e309}"#,
            Some(&ana.access),
        )
        .await;
    problem_one_of(resp, 400, &["malformed_json", "validation_error"]).await;
    let resp = app
        .patch_raw(
            "users/profile/",
            r#"{"height_cm": 1e300}"#,
            Some(&ana.access),
        )
        .await;
    validation_error(resp, "height_cm").await;
}

#[tokio::test]
async fn profile_rejects_unknown_field() {
    let app = TestApp::spawn().await;
    let ana = app.user("ana@example.com").await;
    validation_error(
        patch_profile(&app, &ana.access, json!({"weight": 70})).await,
        "weight",
    )
    .await;
}

#[tokio::test]
async fn profile_age_is_read_only() {
    let app = TestApp::spawn().await;
    let ana = app.user("ana@example.com").await;
    any_problem(
        patch_profile(&app, &ana.access, json!({"age": 40})).await,
        400,
    )
    .await;
}

#[tokio::test]
async fn profile_needs_authentication() {
    let app = TestApp::spawn().await;
    problem(
        app.get("users/profile/", None).await,
        401,
        "not_authenticated",
    )
    .await;
}

// ===========================================================================
// settings

#[tokio::test]
async fn settings_have_the_documented_shape() {
    let app = TestApp::spawn().await;
    let ana = app.user("ana@example.com").await;
    let s = json_body(app.get("users/settings/", Some(&ana.access)).await, 200).await;
    assert_keys(&s, &["reminder_time", "timezone", "units", "language"]);
    assert!(s["reminder_time"].is_null());
    assert_eq!(s["timezone"], "UTC");
    assert_eq!(s["units"], "metric");
}

#[tokio::test]
async fn settings_patch_stores_reminder_time() {
    let app = TestApp::spawn().await;
    let ana = app.user("ana@example.com").await;
    let s = json_body(
        app.patch(
            "users/settings/",
            json!({"reminder_time": "07:30"}),
            Some(&ana.access),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(s["reminder_time"], "07:30");
    let s = json_body(app.get("users/settings/", Some(&ana.access)).await, 200).await;
    assert_eq!(s["reminder_time"], "07:30");
    let s = json_body(
        app.patch(
            "users/settings/",
            json!({"reminder_time": null}),
            Some(&ana.access),
        )
        .await,
        200,
    )
    .await;
    assert!(s["reminder_time"].is_null());
}

#[tokio::test]
async fn settings_reject_invalid_reminder_time() {
    let app = TestApp::spawn().await;
    let ana = app.user("ana@example.com").await;
    for bad in ["25:00", "07:60", "7am", "", "07:30:00:00"] {
        let resp = app
            .patch(
                "users/settings/",
                json!({"reminder_time": bad}),
                Some(&ana.access),
            )
            .await;
        validation_error(resp, "reminder_time").await;
    }
}

#[tokio::test]
async fn settings_reject_invalid_timezone_and_units() {
    let app = TestApp::spawn().await;
    let ana = app.user("ana@example.com").await;
    validation_error(
        app.patch(
            "users/settings/",
            json!({"timezone": "Nowhere/City"}),
            Some(&ana.access),
        )
        .await,
        "timezone",
    )
    .await;
    validation_error(
        app.patch(
            "users/settings/",
            json!({"units": "cubits"}),
            Some(&ana.access),
        )
        .await,
        "units",
    )
    .await;
}

#[tokio::test]
async fn settings_patch_merges() {
    let app = TestApp::spawn().await;
    let ana = app.user("ana@example.com").await;
    let token = Some(ana.access.as_str());
    json_body(
        app.patch(
            "users/settings/",
            json!({"reminder_time": "06:45", "units": "imperial"}),
            token,
        )
        .await,
        200,
    )
    .await;
    json_body(
        app.patch("users/settings/", json!({"timezone": "Asia/Tokyo"}), token)
            .await,
        200,
    )
    .await;
    let s = json_body(
        app.patch("users/settings/", json!({"language": "es"}), token)
            .await,
        200,
    )
    .await;
    assert_eq!(s["reminder_time"], "06:45");
    assert_eq!(s["units"], "imperial");
    assert_eq!(s["timezone"], "Asia/Tokyo");
    assert_eq!(s["language"], "es");
    // Settings and profile share the time zone and units.
    let p = json_body(app.get("users/profile/", token).await, 200).await;
    assert_eq!(p["timezone"], "Asia/Tokyo");
    assert_eq!(p["units"], "imperial");
}

// ===========================================================================
// profile image

async fn upload_image(
    app: &TestApp,
    token: &str,
    bytes: Vec<u8>,
    name: &str,
    mime: &str,
) -> reqwest::Response {
    let part = multipart::Part::bytes(bytes)
        .file_name(name.to_string())
        .mime_str(mime)
        .expect("mime");
    let form = multipart::Form::new().part("image", part);
    app.send(
        app.req(Method::PUT, "users/profile/image/", Some(token))
            .multipart(form),
    )
    .await
}

#[tokio::test]
async fn profile_image_is_resized_to_512_and_served() {
    let app = TestApp::spawn().await;
    let ana = app.user("ana@example.com").await;
    let resp = upload_image(
        &app,
        &ana.access,
        png_bytes(1200, 800),
        "me.png",
        "image/png",
    )
    .await;
    let body = json_body(resp, 200).await;
    let url = body["profile_image"]
        .as_str()
        .unwrap_or_else(|| panic!("no profile_image: {body}"))
        .to_string();

    let profile = json_body(app.get("users/profile/", Some(&ana.access)).await, 200).await;
    assert_eq!(profile["profile_image"].as_str(), Some(url.as_str()));

    let resp = app.get(&url, None).await;
    assert_eq!(resp.status(), 200, "GET {url}");
    let bytes = resp.bytes().await.expect("image bytes");
    let img = image::load_from_memory(&bytes).expect("the served file is an image");
    let (w, h) = (img.width(), img.height());
    assert_eq!(w.max(h), 512, "longest side of {w}x{h}");
    assert!((341..=342).contains(&h), "aspect ratio kept: {w}x{h}");
}

#[tokio::test]
async fn profile_image_accepts_jpeg_and_webp() {
    let app = TestApp::spawn().await;
    let ana = app.user("ana@example.com").await;
    let img = image::DynamicImage::ImageRgb8(image::RgbImage::from_fn(300, 200, |x, y| {
        image::Rgb([x as u8, y as u8, 128])
    }));
    for (format, name, mime) in [
        (image::ImageFormat::Jpeg, "me.jpg", "image/jpeg"),
        (image::ImageFormat::WebP, "me.webp", "image/webp"),
    ] {
        let mut out = std::io::Cursor::new(Vec::new());
        img.write_to(&mut out, format).expect("encode");
        let body = json_body(
            upload_image(&app, &ana.access, out.into_inner(), name, mime).await,
            200,
        )
        .await;
        let url = body["profile_image"]
            .as_str()
            .expect("profile_image")
            .to_string();
        let bytes = app.get(&url, None).await.bytes().await.expect("bytes");
        let served = image::load_from_memory(&bytes).expect("an image");
        assert_eq!(
            (served.width(), served.height()),
            (300, 200),
            "small images are not upscaled"
        );
    }
}

#[tokio::test]
async fn profile_image_rejects_a_text_file() {
    let app = TestApp::spawn().await;
    let ana = app.user("ana@example.com").await;
    let resp = upload_image(
        &app,
        &ana.access,
        b"this is not an image at all\n".to_vec(),
        "x.png",
        "image/png",
    )
    .await;
    any_problem(resp, 400).await;
    let profile = json_body(app.get("users/profile/", Some(&ana.access)).await, 200).await;
    assert!(profile["profile_image"].is_null());
}

#[tokio::test]
async fn profile_image_rejects_a_decompression_bomb() {
    let app = TestApp::spawn().await;
    let ana = app.user("ana@example.com").await;
    let resp = upload_image(
        &app,
        &ana.access,
        png_bomb(100_000, 100_000),
        "bomb.png",
        "image/png",
    )
    .await;
    any_problem(resp, 400).await;
}

#[tokio::test]
async fn profile_image_over_5_mb_is_413() {
    let app = TestApp::spawn().await;
    let ana = app.user("ana@example.com").await;
    let mut bytes = b"\x89PNG\r\n\x1a\n".to_vec();
    bytes.extend((0..6 * 1024 * 1024u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8));
    let resp = upload_image(&app, &ana.access, bytes, "huge.png", "image/png").await;
    problem(resp, 413, "payload_too_large").await;
}

#[tokio::test]
async fn profile_image_without_image_part_is_400() {
    let app = TestApp::spawn().await;
    let ana = app.user("ana@example.com").await;
    let form = multipart::Form::new().text("caption", "hello");
    let resp = app
        .send(
            app.req(Method::PUT, "users/profile/image/", Some(&ana.access))
                .multipart(form),
        )
        .await;
    any_problem(resp, 400).await;
}

// ===========================================================================
// dashboard, export, deletion

#[tokio::test]
async fn dashboard_has_the_documented_shape() {
    let app = TestApp::spawn().await;
    let ana = app.user("ana@example.com").await;
    app.insert_notification(ana.id, "system", "Welcome", false, app.now())
        .await;
    let d = json_body(app.get("users/dashboard/", Some(&ana.access)).await, 200).await;
    assert_keys(
        &d,
        &[
            "user",
            "subscription",
            "today",
            "workouts",
            "unread_notifications",
            "next_meals",
        ],
    );
    assert_eq!(d["user"]["email"], "ana@example.com");
    assert_keys(
        &d["today"],
        &[
            "calories_target",
            "calories_logged",
            "calories_planned",
            "steps",
            "active_minutes",
            "weight_kg",
        ],
    );
    assert_keys(
        &d["workouts"],
        &["in_progress", "completed_total", "streak_days"],
    );
    assert!(d["workouts"]["in_progress"].is_array());
    assert_eq!(d["workouts"]["completed_total"], 0);
    assert_eq!(d["workouts"]["streak_days"], 0);
    assert_eq!(d["unread_notifications"], 1);
    assert!(d["next_meals"].as_array().is_some_and(|m| m.len() <= 3));
    if d["subscription"].is_object() {
        assert_eq!(d["subscription"]["has_active_access"], false);
    }
}

#[tokio::test]
async fn a_subscribers_dashboard_shows_the_plan_and_counts_only_unread_notifications() {
    let app = TestApp::spawn().await;
    let ana = app.user("ana-sub@example.com").await;
    crate::workouts::subscribe(&app, ana.id, 20).await;
    for read in [false, true, false] {
        app.insert_notification(ana.id, "system", "Hello", read, app.now())
            .await;
    }
    let d = json_body(app.get("users/dashboard/", Some(&ana.access)).await, 200).await;
    assert_eq!(d["subscription"]["plan"], "monthly");
    assert_eq!(d["subscription"]["status"], "active");
    assert_eq!(d["subscription"]["has_active_access"], true);
    assert_eq!(d["user"]["has_active_access"], true);
    assert_eq!(d["unread_notifications"], 2, "the read one is not counted");
}

#[tokio::test]
async fn export_contains_user_profile_and_notifications() {
    let app = TestApp::spawn().await;
    let ana = app.user("ana@example.com").await;
    let eve = app.user("eve@example.com").await;
    app.insert_notification(ana.id, "achievement", "First workout!", false, app.now())
        .await;
    app.insert_notification(eve.id, "system", "Eve's secret", false, app.now())
        .await;
    let export = json_body(app.get("users/me/export/", Some(&ana.access)).await, 200).await;
    assert_eq!(export["user"]["email"], "ana@example.com");
    let profile = if export["profile"].is_object() {
        &export["profile"]
    } else {
        &export["user"]["profile"]
    };
    assert!(profile.is_object(), "no profile in the export: {export}");
    assert_eq!(profile["timezone"], "UTC", "{export}");
    let notes = export["notifications"]
        .as_array()
        .unwrap_or_else(|| panic!("no notifications list: {export}"));
    assert_eq!(notes.len(), 1, "{export}");
    assert_eq!(notes[0]["title"], "First workout!");
    let text = export.to_string();
    assert!(
        !text.contains("Eve's secret") && !text.contains("eve@example.com"),
        "export leaks another user"
    );
    assert!(
        !text.contains("argon2") && !text.contains("pbkdf2"),
        "export leaks the password hash"
    );
}

#[tokio::test]
async fn delete_account_with_wrong_password_is_400_naming_password() {
    let app = TestApp::spawn().await;
    let ana = app.user("ana@example.com").await;
    let resp = app
        .delete(
            "users/me/",
            Some(json!({"password": "Not-My-Password-1"})),
            Some(&ana.access),
        )
        .await;
    validation_error(resp, "password").await;
    app.me(&ana.access).await;
}

#[tokio::test]
async fn delete_account_removes_the_user() {
    let app = TestApp::spawn().await;
    let ana = app.user("ana@example.com").await;
    app.insert_notification(ana.id, "system", "Hello", false, app.now())
        .await;
    no_content(
        app.delete(
            "users/me/",
            Some(json!({"password": PASSWORD})),
            Some(&ana.access),
        )
        .await,
    )
    .await;
    problem(
        app.login_response("ana@example.com", PASSWORD, None).await,
        401,
        "invalid_credentials",
    )
    .await;
    any_problem(app.get("users/me/", Some(&ana.access)).await, 401).await;
    // The address is free again.
    app.user("ana@example.com").await;
}
