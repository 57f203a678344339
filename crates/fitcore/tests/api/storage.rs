//! S3-compatible storage through the fake bucket, and what a client sees
//! when the server fails inside.

use crate::{
    fakes::s3::FakeS3,
    helpers::{PASSWORD, TestApp, png_bytes},
};
use reqwest::{Method, multipart};

async fn upload_png(app: &TestApp, token: &str, width: u32, height: u32) -> reqwest::Response {
    let part = multipart::Part::bytes(png_bytes(width, height))
        .file_name("me.png")
        .mime_str("image/png")
        .expect("mime");
    app.send(
        app.req(Method::PUT, "users/profile/image/", Some(token))
            .multipart(multipart::Form::new().part("image", part)),
    )
    .await
}

async fn spawn_on_s3() -> (TestApp, FakeS3) {
    let s3 = FakeS3::start().await;
    let endpoint = s3.url.clone();
    let app = TestApp::spawn_with(move |c| {
        c.storage_url = Some("s3://fitcore-media".into());
        c.s3_endpoint = Some(endpoint);
        c.aws_region = Some("us-east-1".into());
        c.aws_access_key_id = Some("test-access-key".into());
        c.aws_secret_access_key = Some("test-secret-key".into());
    })
    .await;
    (app, s3)
}

#[tokio::test]
async fn profile_images_go_to_the_s3_bucket_and_come_back_by_a_presigned_url() {
    let (app, s3) = spawn_on_s3().await;
    let user = app.register("bucket@example.com", PASSWORD).await;
    let res = upload_png(&app, &user.access, 800, 600).await;
    assert_eq!(res.status(), 200);
    let body: serde_json::Value = res.json().await.expect("json");
    let url = body["profile_image"].as_str().expect("a URL").to_string();
    assert!(url.starts_with(&s3.url), "{url}");
    assert!(url.contains("X-Amz-Signature="), "presigned: {url}");

    let keys = s3.keys();
    assert_eq!(keys.len(), 1, "{keys:?}");
    assert!(
        keys[0].starts_with(&format!("fitcore-media/profile-images/{}/", user.id)),
        "{keys:?}"
    );

    let fetched = app.client.get(&url).send().await.expect("GET presigned");
    assert_eq!(fetched.status(), 200);
    let img = image::load_from_memory(&fetched.bytes().await.expect("bytes")).expect("an image");
    assert_eq!((img.width(), img.height()), (512, 384));
}

#[tokio::test]
async fn replacing_a_profile_image_deletes_the_old_object() {
    let (app, s3) = spawn_on_s3().await;
    let user = app.register("replace@example.com", PASSWORD).await;
    for _ in 0..2 {
        let res = upload_png(&app, &user.access, 64, 64).await;
        assert_eq!(res.status(), 200);
    }
    assert_eq!(s3.keys().len(), 1, "only the current image is kept");
}

#[tokio::test]
async fn an_internal_failure_is_a_500_problem_with_the_request_id_and_no_internals() {
    let app = TestApp::spawn().await;
    let user = app.register("broken@example.com", PASSWORD).await;
    app.sql("DROP TABLE notifications").await;
    let res = app
        .send(
            app.req(
                Method::GET,
                "notifications/list/unread-count/",
                Some(&user.access),
            )
            .header("x-request-id", "trace-me-123"),
        )
        .await;
    assert_eq!(res.status(), 500);
    assert_eq!(
        res.headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("application/problem+json")
    );
    let body: serde_json::Value = res.json().await.expect("json");
    assert_eq!(body["code"], "internal_error");
    let detail = body["detail"].as_str().unwrap_or_default();
    assert!(detail.contains("trace-me-123"), "{detail}");
    let text = body.to_string().to_lowercase();
    for leak in [
        "notifications",
        "select",
        "sqlx",
        "no such table",
        "relation",
    ] {
        assert!(!text.contains(leak), "the body leaks `{leak}`: {text}");
    }
}
