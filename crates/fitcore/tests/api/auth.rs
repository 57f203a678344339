//! `auth/`: registration, login, tokens, cookies, password reset and change,
//! e-mail verification, 2FA and OAuth sign-in.

use crate::fakes::oauth::{IdToken, SigningKey};
use crate::helpers::*;
use chrono::Duration;
use reqwest::{Method, header};
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

// ===========================================================================
// Registration

#[tokio::test]
async fn register_returns_tokens_and_creates_profile() {
    let app = TestApp::spawn().await;
    let resp = app
        .post(
            "auth/register/",
            json!({"email": "ana@example.com", "password": PASSWORD, "first_name": "Ana", "last_name": "Ruiz"}),
            None,
        )
        .await;
    let body = json_body(resp, 201).await;
    assert!(
        body["access"]
            .as_str()
            .is_some_and(|t| t.split('.').count() == 3),
        "{body}"
    );
    assert!(
        body["refresh"]
            .as_str()
            .is_some_and(|t| t.split('.').count() == 3),
        "{body}"
    );
    let user = &body["user"];
    assert!(user["id"].is_i64(), "{body}");
    assert_eq!(user["email"], "ana@example.com");
    assert_eq!(user["first_name"], "Ana");
    assert_eq!(user["last_name"], "Ruiz");
    assert_eq!(user["is_email_verified"], false);
    assert!(user["profile"].is_object(), "user.profile missing: {body}");

    let me = app.me(body["access"].as_str().expect("access")).await;
    assert_eq!(me["email"], "ana@example.com");
    assert!(me["profile"].is_object());
}

#[tokio::test]
async fn register_with_only_email_and_password_works() {
    let app = TestApp::spawn().await;
    let resp = app
        .post(
            "auth/register/",
            json!({"email": "min@example.com", "password": PASSWORD}),
            None,
        )
        .await;
    let body = json_body(resp, 201).await;
    assert_eq!(body["user"]["first_name"], "");
    assert_eq!(body["user"]["last_name"], "");
}

#[tokio::test]
async fn tokens_carry_the_documented_claims() {
    let app = TestApp::spawn().await;
    let ana = app.user("ana@example.com").await;
    let access = jwt_claims(&ana.access);
    let refresh = jwt_claims(&ana.refresh);
    for (claims, kind, life) in [
        (&access, "access", 30 * 60),
        (&refresh, "refresh", 7 * 24 * 3600),
    ] {
        assert_eq!(claims["token_type"], kind, "{claims}");
        assert_eq!(claims["user_id"].as_i64(), Some(ana.id), "{claims}");
        assert!(claims["jti"].is_string(), "{claims}");
        let iat = claims["iat"].as_i64().expect("iat");
        let exp = claims["exp"].as_i64().expect("exp");
        assert_eq!(exp - iat, life, "{kind} token lifetime; {claims}");
        assert!(
            (iat - app.now().timestamp()).abs() <= 1,
            "iat follows the server clock: {claims}"
        );
    }
}

#[tokio::test]
async fn duplicate_email_in_other_letter_case_is_409_email_taken() {
    let app = TestApp::spawn().await;
    app.user("ana@example.com").await;
    let resp = app
        .post(
            "auth/register/",
            register_body("ANA@Example.COM", PASSWORD),
            None,
        )
        .await;
    problem(resp, 409, "email_taken").await;
}

#[tokio::test]
async fn invalid_email_is_400_naming_email() {
    let app = TestApp::spawn().await;
    for bad in [
        "not-an-email",
        "ana@",
        "@example.com",
        "ana example@example.com",
        "",
    ] {
        let resp = app
            .post("auth/register/", register_body(bad, PASSWORD), None)
            .await;
        validation_error(resp, "email").await;
    }
}

#[tokio::test]
async fn short_password_is_400_naming_password() {
    let app = TestApp::spawn().await;
    let resp = app
        .post(
            "auth/register/",
            register_body("ana@example.com", "Ab1-xyz"),
            None,
        )
        .await;
    validation_error(resp, "password").await;
}

#[tokio::test]
async fn all_digit_password_is_400_naming_password() {
    let app = TestApp::spawn().await;
    let resp = app
        .post(
            "auth/register/",
            register_body("ana@example.com", "80417365920137"),
            None,
        )
        .await;
    validation_error(resp, "password").await;
}

#[tokio::test]
async fn common_password_is_400_naming_password() {
    let app = TestApp::spawn().await;
    let resp = app
        .post(
            "auth/register/",
            register_body("ana@example.com", "password123"),
            None,
        )
        .await;
    validation_error(resp, "password").await;
}

#[tokio::test]
async fn password_too_similar_to_email_is_400_naming_password() {
    let app = TestApp::spawn().await;
    let resp = app
        .post(
            "auth/register/",
            register_body("ricardo.montalban@example.com", "ricardo.montalban"),
            None,
        )
        .await;
    validation_error(resp, "password").await;
}

#[tokio::test]
async fn rejected_registration_leaves_no_user_behind() {
    let app = TestApp::spawn().await;
    let resp = app
        .post(
            "auth/register/",
            register_body("ana@example.com", "password123"),
            None,
        )
        .await;
    validation_error(resp, "password").await;
    problem(
        app.login_response("ana@example.com", "password123", None)
            .await,
        401,
        "invalid_credentials",
    )
    .await;
    app.user("ana@example.com").await;
}

#[tokio::test]
async fn ten_thousand_character_first_name_is_400() {
    let app = TestApp::spawn().await;
    let mut body = register_body("ana@example.com", PASSWORD);
    body["first_name"] = json!("x".repeat(10_000));
    validation_error(app.post("auth/register/", body, None).await, "first_name").await;
}

#[tokio::test]
async fn nul_byte_in_a_string_is_400() {
    let app = TestApp::spawn().await;
    let mut body = register_body("ana@example.com", PASSWORD);
    body["first_name"] = json!("Ana\u{0}Maria");
    validation_error(app.post("auth/register/", body, None).await, "first_name").await;
}

#[tokio::test]
async fn sql_looking_string_and_emoji_are_stored_verbatim() {
    let app = TestApp::spawn().await;
    let sql = "Robert'); DROP TABLE users;--";
    let emoji = "Zoë 🏋️‍♀️💪";
    let ana = app
        .register_with(json!({"email": "bobby@example.com", "password": PASSWORD, "first_name": sql, "last_name": emoji}))
        .await;
    assert_eq!(ana.user["first_name"], sql);
    assert_eq!(ana.user["last_name"], emoji);
    let me = app.me(&ana.access).await;
    assert_eq!(me["first_name"], sql);
    assert_eq!(me["last_name"], emoji);
    // And the users table is still there.
    app.user("other@example.com").await;
}

// ===========================================================================
// Login

#[tokio::test]
async fn login_returns_tokens_and_user() {
    let app = TestApp::spawn().await;
    let ana = app.user("ana@example.com").await;
    let resp = app.login_response("ana@example.com", PASSWORD, None).await;
    let body = json_body(resp, 200).await;
    assert!(
        body["access"].is_string() && body["refresh"].is_string(),
        "{body}"
    );
    assert_eq!(body["user"]["id"].as_i64(), Some(ana.id));
    app.me(body["access"].as_str().expect("access")).await;
}

#[tokio::test]
async fn login_ignores_email_letter_case() {
    let app = TestApp::spawn().await;
    let ana = app.user("ana@example.com").await;
    let session = app.login("Ana@EXAMPLE.com", PASSWORD).await;
    assert_eq!(session.id, ana.id);
}

#[tokio::test]
async fn unknown_email_and_wrong_password_get_the_same_401() {
    let app = TestApp::spawn().await;
    app.user("ana@example.com").await;
    let unknown = problem(
        app.login_response("nobody@example.com", PASSWORD, None)
            .await,
        401,
        "invalid_credentials",
    )
    .await;
    let wrong = problem(
        app.login_response("ana@example.com", "Wrong-Password-77", None)
            .await,
        401,
        "invalid_credentials",
    )
    .await;
    assert_eq!(unknown, wrong, "the two failures must be indistinguishable");
}

// ===========================================================================
// Tokens

#[tokio::test]
async fn refresh_rotates_and_blacklists_the_old_token() {
    let app = TestApp::spawn().await;
    let ana = app.user("ana@example.com").await;
    let body = json_body(app.refresh(&ana.refresh).await, 200).await;
    let access = body["access"].as_str().expect("new access");
    let refresh = body["refresh"].as_str().expect("new refresh");
    assert_ne!(access, ana.access);
    assert_ne!(refresh, ana.refresh);
    app.me(access).await;
    problem(app.refresh(&ana.refresh).await, 401, "token_blacklisted").await;
}

#[tokio::test]
async fn replaying_a_rotated_refresh_token_revokes_the_family() {
    let app = TestApp::spawn().await;
    let ana = app.user("ana@example.com").await;
    let second = json_body(app.refresh(&ana.refresh).await, 200).await;
    let second_refresh = second["refresh"].as_str().expect("refresh").to_string();
    // The thief replays the first token...
    problem(app.refresh(&ana.refresh).await, 401, "token_blacklisted").await;
    // ...and the newer token of the same login stops working too.
    any_problem(app.refresh(&second_refresh).await, 401).await;
}

#[tokio::test]
async fn family_revocation_spares_other_logins() {
    let app = TestApp::spawn().await;
    let ana = app.user("ana@example.com").await;
    let other = app.login("ana@example.com", PASSWORD).await;
    json_body(app.refresh(&ana.refresh).await, 200).await;
    problem(app.refresh(&ana.refresh).await, 401, "token_blacklisted").await;
    json_body(app.refresh(&other.refresh).await, 200).await;
}

#[tokio::test]
async fn access_token_used_as_refresh_is_401_token_invalid() {
    let app = TestApp::spawn().await;
    let ana = app.user("ana@example.com").await;
    problem(app.refresh(&ana.access).await, 401, "token_invalid").await;
}

#[tokio::test]
async fn refresh_token_used_as_bearer_is_401() {
    let app = TestApp::spawn().await;
    let ana = app.user("ana@example.com").await;
    any_problem(app.get("users/me/", Some(&ana.refresh)).await, 401).await;
}

#[tokio::test]
async fn tampered_signature_is_401_token_invalid() {
    let app = TestApp::spawn().await;
    let ana = app.user("ana@example.com").await;
    let eve = app.user("eve@example.com").await;
    let forged = tamper_claims(&eve.access, |c| c["user_id"] = json!(ana.id));
    problem(
        app.get("users/me/", Some(&forged)).await,
        401,
        "token_invalid",
    )
    .await;
    let forged_refresh = tamper_claims(&eve.refresh, |c| c["user_id"] = json!(ana.id));
    problem(app.refresh(&forged_refresh).await, 401, "token_invalid").await;
}

#[tokio::test]
async fn alg_none_token_is_401() {
    let app = TestApp::spawn().await;
    let ana = app.user("ana@example.com").await;
    problem(
        app.get("users/me/", Some(&alg_none(&ana.access))).await,
        401,
        "token_invalid",
    )
    .await;
    problem(
        app.refresh(&alg_none(&ana.refresh)).await,
        401,
        "token_invalid",
    )
    .await;
}

#[tokio::test]
async fn token_signed_with_another_key_is_401() {
    let app = TestApp::spawn().await;
    let ana = app.user("ana@example.com").await;
    let forged = resign_with_other_key(&ana.access);
    problem(
        app.get("users/me/", Some(&forged)).await,
        401,
        "token_invalid",
    )
    .await;
}

#[tokio::test]
async fn garbage_bearer_token_is_401_token_invalid() {
    let app = TestApp::spawn().await;
    problem(
        app.get("users/me/", Some("not.a.jwt")).await,
        401,
        "token_invalid",
    )
    .await;
    problem(
        app.get("users/me/", Some("abc")).await,
        401,
        "token_invalid",
    )
    .await;
}

#[tokio::test]
async fn expired_access_token_is_401_token_expired() {
    let app = TestApp::spawn().await;
    let ana = app.user("ana@example.com").await;
    app.advance(Duration::minutes(29));
    app.me(&ana.access).await;
    app.advance(Duration::minutes(2));
    problem(
        app.get("users/me/", Some(&ana.access)).await,
        401,
        "token_expired",
    )
    .await;
}

#[tokio::test]
async fn expired_refresh_token_is_401_token_expired() {
    let app = TestApp::spawn().await;
    let ana = app.user("ana@example.com").await;
    app.advance(Duration::days(7) + Duration::minutes(5));
    problem(app.refresh(&ana.refresh).await, 401, "token_expired").await;
}

#[tokio::test]
async fn deactivated_users_token_is_401() {
    let app = TestApp::spawn().await;
    let ana = app.user("ana@example.com").await;
    app.sql(&format!(
        "UPDATE users SET is_active = false WHERE id = {}",
        ana.id
    ))
    .await;
    any_problem(app.get("users/me/", Some(&ana.access)).await, 401).await;
    any_problem(app.refresh(&ana.refresh).await, 401).await;
    problem(
        app.login_response("ana@example.com", PASSWORD, None).await,
        401,
        "invalid_credentials",
    )
    .await;
}

#[tokio::test]
async fn deleted_users_token_is_401() {
    let app = TestApp::spawn().await;
    let ana = app.user("ana@example.com").await;
    no_content(
        app.delete(
            "users/me/",
            Some(json!({"password": PASSWORD})),
            Some(&ana.access),
        )
        .await,
    )
    .await;
    any_problem(app.get("users/me/", Some(&ana.access)).await, 401).await;
    any_problem(app.refresh(&ana.refresh).await, 401).await;
}

// ===========================================================================
// Cookies and CSRF

fn assert_auth_cookies(resp: &reqwest::Response) -> (String, String, String) {
    let cookies = set_cookies(resp);
    let get = |name: &str| {
        cookies
            .get(name)
            .cloned()
            .unwrap_or_else(|| panic!("no {name} cookie; got {:?}", cookies.keys()))
    };
    let access = get("fitcore-access-token");
    let refresh = get("fitcore-refresh-token");
    let csrf = get("fitcore-csrf");
    for (name, c) in [
        ("fitcore-access-token", &access),
        ("fitcore-refresh-token", &refresh),
    ] {
        assert!(
            c.attrs.contains_key("httponly"),
            "{name} must be HttpOnly: {c:?}"
        );
        assert_eq!(
            c.attrs.get("samesite").map(String::as_str),
            Some("lax"),
            "{name}: {c:?}"
        );
        assert!(!c.value.is_empty());
    }
    assert!(
        !csrf.attrs.contains_key("httponly"),
        "fitcore-csrf must be readable by scripts: {csrf:?}"
    );
    assert!(!csrf.value.is_empty());
    (access.value, refresh.value, csrf.value)
}

#[tokio::test]
async fn register_login_and_refresh_set_auth_cookies() {
    let app = TestApp::spawn().await;
    let resp = app
        .post(
            "auth/register/",
            register_body("ana@example.com", PASSWORD),
            None,
        )
        .await;
    assert_eq!(resp.status(), 201);
    assert_auth_cookies(&resp);

    let resp = app.login_response("ana@example.com", PASSWORD, None).await;
    assert_eq!(resp.status(), 200);
    let (access_cookie, _, _) = assert_auth_cookies(&resp);
    let body = json_body(resp, 200).await;
    assert_eq!(body["access"].as_str(), Some(access_cookie.as_str()));

    let resp = app
        .refresh(body["refresh"].as_str().expect("refresh"))
        .await;
    assert_eq!(resp.status(), 200);
    assert_auth_cookies(&resp);
}

#[tokio::test]
async fn cookie_authenticates_safe_requests() {
    let app = TestApp::spawn().await;
    let resp = login_after_register(&app, "ana@example.com").await;
    let (access, _, _) = assert_auth_cookies(&resp);
    let resp = app
        .send(
            app.req(Method::GET, "users/me/", None)
                .header(header::COOKIE, format!("fitcore-access-token={access}")),
        )
        .await;
    let me = json_body(resp, 200).await;
    assert_eq!(me["email"], "ana@example.com");
}

#[tokio::test]
async fn cookie_auth_on_unsafe_request_needs_csrf_header() {
    let app = TestApp::spawn().await;
    let resp = login_after_register(&app, "ana@example.com").await;
    let (access, _, csrf) = assert_auth_cookies(&resp);
    let cookie = format!("fitcore-access-token={access}; fitcore-csrf={csrf}");

    let resp = app
        .send(
            app.req(Method::PATCH, "users/me/", None)
                .header(header::COOKIE, &cookie)
                .json(&json!({"first_name": "Mallory"})),
        )
        .await;
    any_problem(resp, 403).await;

    let resp = app
        .send(
            app.req(Method::PATCH, "users/me/", None)
                .header(header::COOKIE, &cookie)
                .header("x-csrf-token", "wrong-value")
                .json(&json!({"first_name": "Mallory"})),
        )
        .await;
    any_problem(resp, 403).await;

    let resp = app
        .send(
            app.req(Method::PATCH, "users/me/", None)
                .header(header::COOKIE, &cookie)
                .header("x-csrf-token", &csrf)
                .json(&json!({"first_name": "Ana"})),
        )
        .await;
    let me = json_body(resp, 200).await;
    assert_eq!(me["first_name"], "Ana");
}

async fn login_after_register(app: &TestApp, email: &str) -> reqwest::Response {
    app.user(email).await;
    app.login_response(email, PASSWORD, None).await
}

// ===========================================================================
// Logout

#[tokio::test]
async fn logout_blacklists_the_refresh_token() {
    let app = TestApp::spawn().await;
    let ana = app.user("ana@example.com").await;
    let resp = app
        .post(
            "auth/logout/",
            json!({"refresh": ana.refresh}),
            Some(&ana.access),
        )
        .await;
    no_content(resp).await;
    problem(app.refresh(&ana.refresh).await, 401, "token_blacklisted").await;
}

#[tokio::test]
async fn logout_clears_cookies() {
    let app = TestApp::spawn().await;
    let ana = app.user("ana@example.com").await;
    let resp = app
        .post(
            "auth/logout/",
            json!({"refresh": ana.refresh}),
            Some(&ana.access),
        )
        .await;
    let cookies = set_cookies(&resp);
    for name in ["fitcore-access-token", "fitcore-refresh-token"] {
        let c = cookies
            .get(name)
            .unwrap_or_else(|| panic!("logout does not clear {name}: {cookies:?}"));
        let expired = c.value.is_empty()
            || c.attrs.get("max-age").is_some_and(|v| v == "0")
            || c.attrs.contains_key("expires");
        assert!(expired, "{name} is not cleared: {c:?}");
    }
    no_content(resp).await;
}

#[tokio::test]
async fn logout_needs_authentication() {
    let app = TestApp::spawn().await;
    let ana = app.user("ana@example.com").await;
    problem(
        app.post("auth/logout/", json!({"refresh": ana.refresh}), None)
            .await,
        401,
        "not_authenticated",
    )
    .await;
}

// ===========================================================================
// Password reset

const RESET_PREFIX: &str = "http://frontend.test/reset-password?";

fn reset_params(link: &str) -> (String, String) {
    let url = url::Url::parse(link).expect("reset link is a URL");
    let get = |k: &str| {
        url.query_pairs()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.into_owned())
            .unwrap_or_else(|| panic!("no {k} in {link}"))
    };
    (get("uid"), get("token"))
}

async fn request_reset(app: &TestApp, email: &str) -> (String, String) {
    success_status(
        app.post("auth/password-reset/", json!({"email": email}), None)
            .await,
        202,
    )
    .await;
    reset_params(&app.mailed_url(email, RESET_PREFIX).await)
}

async fn success_status(resp: reqwest::Response, status: u16) {
    let got = resp.status().as_u16();
    let text = resp.text().await.unwrap_or_default();
    assert_eq!(got, status, "body: {text}");
}

#[tokio::test]
async fn password_reset_is_202_for_unknown_and_known_emails() {
    let app = TestApp::spawn().await;
    app.user("ana@example.com").await;
    success_status(
        app.post(
            "auth/password-reset/",
            json!({"email": "nobody@example.com"}),
            None,
        )
        .await,
        202,
    )
    .await;
    success_status(
        app.post(
            "auth/password-reset/",
            json!({"email": "ana@example.com"}),
            None,
        )
        .await,
        202,
    )
    .await;
    app.mailed_url("ana@example.com", RESET_PREFIX).await;
    assert!(
        !app.emails().iter().any(|m| m.is_to("nobody@example.com")),
        "a reset mail went to an unknown address"
    );
}

#[tokio::test]
async fn password_reset_link_from_the_mail_sets_a_new_password() {
    let app = TestApp::spawn().await;
    let ana = app.user("ana@example.com").await;
    // A read first, so the user sits in the auth cache.
    app.me(&ana.access).await;
    let (uid, token) = request_reset(&app, "ana@example.com").await;
    let confirm = json!({"uid": uid, "token": token, "new_password": OTHER_PASSWORD});
    no_content(
        app.post("auth/password-reset/confirm/", confirm.clone(), None)
            .await,
    )
    .await;

    problem(
        app.login_response("ana@example.com", PASSWORD, None).await,
        401,
        "invalid_credentials",
    )
    .await;
    app.login("ana@example.com", OTHER_PASSWORD).await;
    // Earlier tokens stop working.
    any_problem(app.get("users/me/", Some(&ana.access)).await, 401).await;
    any_problem(app.refresh(&ana.refresh).await, 401).await;
}

#[tokio::test]
async fn password_reset_link_works_only_once() {
    let app = TestApp::spawn().await;
    app.user("ana@example.com").await;
    let (uid, token) = request_reset(&app, "ana@example.com").await;
    no_content(
        app.post(
            "auth/password-reset/confirm/",
            json!({"uid": uid, "token": token, "new_password": OTHER_PASSWORD}),
            None,
        )
        .await,
    )
    .await;
    let again = json!({"uid": uid, "token": token, "new_password": "Another-Secret-55"});
    any_problem(
        app.post("auth/password-reset/confirm/", again, None).await,
        400,
    )
    .await;
    app.login("ana@example.com", OTHER_PASSWORD).await;
}

#[tokio::test]
async fn password_reset_link_expires_after_an_hour() {
    let app = TestApp::spawn().await;
    app.user("ana@example.com").await;
    let (uid, token) = request_reset(&app, "ana@example.com").await;
    app.advance(Duration::minutes(61));
    let confirm = json!({"uid": uid, "token": token, "new_password": OTHER_PASSWORD});
    any_problem(
        app.post("auth/password-reset/confirm/", confirm, None)
            .await,
        400,
    )
    .await;
    app.login("ana@example.com", PASSWORD).await;
}

#[tokio::test]
async fn password_reset_with_bogus_token_is_400() {
    let app = TestApp::spawn().await;
    let ana = app.user("ana@example.com").await;
    let (uid, _) = request_reset(&app, "ana@example.com").await;
    let confirm = json!({"uid": uid, "token": "bogus-token", "new_password": OTHER_PASSWORD});
    any_problem(
        app.post("auth/password-reset/confirm/", confirm, None)
            .await,
        400,
    )
    .await;
    let confirm = json!({"uid": "bogus", "token": "bogus", "new_password": OTHER_PASSWORD});
    any_problem(
        app.post("auth/password-reset/confirm/", confirm, None)
            .await,
        400,
    )
    .await;
    app.me(&ana.access).await;
}

#[tokio::test]
async fn password_reset_confirm_applies_the_password_policy() {
    let app = TestApp::spawn().await;
    app.user("ana@example.com").await;
    let (uid, token) = request_reset(&app, "ana@example.com").await;
    let confirm = json!({"uid": uid, "token": token, "new_password": "password123"});
    validation_error(
        app.post("auth/password-reset/confirm/", confirm, None)
            .await,
        "new_password",
    )
    .await;
}

// ===========================================================================
// Password change

#[tokio::test]
async fn password_change_with_wrong_old_password_is_400() {
    let app = TestApp::spawn().await;
    let ana = app.user("ana@example.com").await;
    let body = json!({"old_password": "Not-My-Password-1", "new_password": OTHER_PASSWORD});
    validation_error(
        app.post("auth/password-change/", body, Some(&ana.access))
            .await,
        "old_password",
    )
    .await;
    app.login("ana@example.com", PASSWORD).await;
}

#[tokio::test]
async fn password_change_revokes_earlier_access_tokens() {
    let app = TestApp::spawn().await;
    let ana = app.user("ana@example.com").await;
    // A read first, so the user sits in the auth cache.
    app.me(&ana.access).await;
    let body = json!({"old_password": PASSWORD, "new_password": OTHER_PASSWORD});
    no_content(
        app.post("auth/password-change/", body, Some(&ana.access))
            .await,
    )
    .await;
    any_problem(app.get("users/me/", Some(&ana.access)).await, 401).await;
    problem(
        app.login_response("ana@example.com", PASSWORD, None).await,
        401,
        "invalid_credentials",
    )
    .await;
    let fresh = app.login("ana@example.com", OTHER_PASSWORD).await;
    app.me(&fresh.access).await;
}

#[tokio::test]
async fn password_change_applies_the_password_policy() {
    let app = TestApp::spawn().await;
    let ana = app.user("ana@example.com").await;
    let body = json!({"old_password": PASSWORD, "new_password": "12345678901"});
    validation_error(
        app.post("auth/password-change/", body, Some(&ana.access))
            .await,
        "new_password",
    )
    .await;
}

// ===========================================================================
// E-mail verification

const VERIFY_PREFIX: &str = "http://frontend.test/verify-email?";

fn verify_key(link: &str) -> String {
    let url = url::Url::parse(link).expect("verification link is a URL");
    url.query_pairs()
        .find(|(k, _)| k == "key")
        .map(|(_, v)| v.into_owned())
        .expect("key in link")
}

#[tokio::test]
async fn registration_mails_a_verification_link_that_works() {
    let app = TestApp::spawn().await;
    let ana = app.user("ana@example.com").await;
    let key = verify_key(&app.mailed_url("ana@example.com", VERIFY_PREFIX).await);
    no_content(
        app.post("auth/verify-email/", json!({"key": key}), None)
            .await,
    )
    .await;
    let me = app.me(&ana.access).await;
    assert_eq!(me["is_email_verified"], true);
}

#[tokio::test]
async fn bogus_verification_key_is_400() {
    let app = TestApp::spawn().await;
    let ana = app.user("ana@example.com").await;
    any_problem(
        app.post("auth/verify-email/", json!({"key": "bogus-key"}), None)
            .await,
        400,
    )
    .await;
    assert_eq!(app.me(&ana.access).await["is_email_verified"], false);
}

#[tokio::test]
async fn verification_resend_is_202_and_mails_a_working_link() {
    let app = TestApp::spawn().await;
    let ana = app.user("ana@example.com").await;
    app.drain_jobs().await;
    let before = app.emails().len();
    success_status(
        app.post("auth/verify-email/resend/", json!({}), Some(&ana.access))
            .await,
        202,
    )
    .await;
    app.drain_jobs().await;
    assert!(app.emails().len() > before, "resend sent no mail");
    let key = verify_key(&app.mailed_url("ana@example.com", VERIFY_PREFIX).await);
    no_content(
        app.post("auth/verify-email/", json!({"key": key}), None)
            .await,
    )
    .await;
    assert_eq!(app.me(&ana.access).await["is_email_verified"], true);
}

#[tokio::test]
async fn verification_resend_needs_authentication() {
    let app = TestApp::spawn().await;
    problem(
        app.post("auth/verify-email/resend/", json!({}), None).await,
        401,
        "not_authenticated",
    )
    .await;
}

// ===========================================================================
// Two-factor authentication

struct TwoFactor {
    secret: String,
    recovery_codes: Vec<String>,
}

async fn enable_2fa(app: &TestApp, access: &str) -> TwoFactor {
    let setup = success(app.post("auth/2fa/setup/", json!({}), Some(access)).await).await;
    let secret = setup["secret"]
        .as_str()
        .unwrap_or_else(|| panic!("no secret: {setup}"))
        .to_string();
    let otpauth = setup["otpauth_url"]
        .as_str()
        .unwrap_or_else(|| panic!("no otpauth_url: {setup}"));
    assert!(otpauth.starts_with("otpauth://totp/"), "{otpauth}");
    assert!(
        otpauth.contains(&format!("secret={secret}")),
        "otpauth_url carries the secret: {otpauth}"
    );
    let code = totp_at(&secret, app.now());
    let confirmed = success(
        app.post("auth/2fa/confirm/", json!({"otp": code}), Some(access))
            .await,
    )
    .await;
    let recovery_codes: Vec<String> = confirmed["recovery_codes"]
        .as_array()
        .unwrap_or_else(|| panic!("no recovery_codes: {confirmed}"))
        .iter()
        .map(|c| c.as_str().expect("recovery code is a string").to_string())
        .collect();
    assert!(!recovery_codes.is_empty());
    TwoFactor {
        secret,
        recovery_codes,
    }
}

/// Moves the clock to the next 30-second step and returns its code (a code
/// already used in a step is not accepted twice).
fn next_code(app: &TestApp, secret: &str) -> String {
    app.advance(Duration::seconds(30));
    totp_at(secret, app.now())
}

#[tokio::test]
async fn two_factor_setup_and_confirm_return_secret_and_recovery_codes() {
    let app = TestApp::spawn().await;
    let ana = app.user("ana@example.com").await;
    let tf = enable_2fa(&app, &ana.access).await;
    assert!(tf.recovery_codes.len() >= 5, "{:?}", tf.recovery_codes);
    let unique: std::collections::HashSet<_> = tf.recovery_codes.iter().collect();
    assert_eq!(unique.len(), tf.recovery_codes.len());
}

#[tokio::test]
async fn two_factor_confirm_with_wrong_code_is_400_and_keeps_2fa_off() {
    let app = TestApp::spawn().await;
    let ana = app.user("ana@example.com").await;
    let setup = success(
        app.post("auth/2fa/setup/", json!({}), Some(&ana.access))
            .await,
    )
    .await;
    let secret = setup["secret"].as_str().expect("secret");
    let wrong = wrong_totp(secret, app.now());
    any_problem(
        app.post(
            "auth/2fa/confirm/",
            json!({"otp": wrong}),
            Some(&ana.access),
        )
        .await,
        400,
    )
    .await;
    app.login("ana@example.com", PASSWORD).await;
}

#[tokio::test]
async fn login_with_2fa_on_and_no_code_is_401_otp_required() {
    let app = TestApp::spawn().await;
    let ana = app.user("ana@example.com").await;
    enable_2fa(&app, &ana.access).await;
    problem(
        app.login_response("ana@example.com", PASSWORD, None).await,
        401,
        "otp_required",
    )
    .await;
}

#[tokio::test]
async fn login_with_2fa_and_wrong_code_is_401() {
    let app = TestApp::spawn().await;
    let ana = app.user("ana@example.com").await;
    let tf = enable_2fa(&app, &ana.access).await;
    app.advance(Duration::seconds(30));
    let wrong = wrong_totp(&tf.secret, app.now());
    any_problem(
        app.login_response("ana@example.com", PASSWORD, Some(&wrong))
            .await,
        401,
    )
    .await;
}

#[tokio::test]
async fn login_with_2fa_and_right_code_is_200() {
    let app = TestApp::spawn().await;
    let ana = app.user("ana@example.com").await;
    let tf = enable_2fa(&app, &ana.access).await;
    let code = next_code(&app, &tf.secret);
    let session = app.login_with_otp("ana@example.com", PASSWORD, &code).await;
    assert_eq!(session.id, ana.id);
}

#[tokio::test]
async fn totp_code_is_not_accepted_twice() {
    let app = TestApp::spawn().await;
    let ana = app.user("ana@example.com").await;
    let tf = enable_2fa(&app, &ana.access).await;
    let code = next_code(&app, &tf.secret);
    app.login_with_otp("ana@example.com", PASSWORD, &code).await;
    any_problem(
        app.login_response("ana@example.com", PASSWORD, Some(&code))
            .await,
        401,
    )
    .await;
}

#[tokio::test]
async fn two_factor_right_code_with_wrong_password_is_401_invalid_credentials() {
    let app = TestApp::spawn().await;
    let ana = app.user("ana@example.com").await;
    let tf = enable_2fa(&app, &ana.access).await;
    let code = next_code(&app, &tf.secret);
    problem(
        app.login_response("ana@example.com", "Wrong-Password-77", Some(&code))
            .await,
        401,
        "invalid_credentials",
    )
    .await;
}

#[tokio::test]
async fn recovery_code_works_once() {
    let app = TestApp::spawn().await;
    let ana = app.user("ana@example.com").await;
    let tf = enable_2fa(&app, &ana.access).await;
    let code = &tf.recovery_codes[0];
    app.login_with_otp("ana@example.com", PASSWORD, code).await;
    any_problem(
        app.login_response("ana@example.com", PASSWORD, Some(code))
            .await,
        401,
    )
    .await;
    app.login_with_otp("ana@example.com", PASSWORD, &tf.recovery_codes[1])
        .await;
}

#[tokio::test]
async fn two_factor_disable_with_wrong_password_is_400_naming_password() {
    let app = TestApp::spawn().await;
    let ana = app.user("ana@example.com").await;
    let tf = enable_2fa(&app, &ana.access).await;
    let code = next_code(&app, &tf.secret);
    let body = json!({"password": "Wrong-Password-77", "otp": code});
    validation_error(
        app.post("auth/2fa/disable/", body, Some(&ana.access)).await,
        "password",
    )
    .await;
    problem(
        app.login_response("ana@example.com", PASSWORD, None).await,
        401,
        "otp_required",
    )
    .await;
}

#[tokio::test]
async fn two_factor_disable_with_wrong_code_is_400_naming_otp() {
    let app = TestApp::spawn().await;
    let ana = app.user("ana@example.com").await;
    let tf = enable_2fa(&app, &ana.access).await;
    app.advance(Duration::seconds(30));
    let body = json!({"password": PASSWORD, "otp": wrong_totp(&tf.secret, app.now())});
    validation_error(
        app.post("auth/2fa/disable/", body, Some(&ana.access)).await,
        "otp",
    )
    .await;
    problem(
        app.login_response("ana@example.com", PASSWORD, None).await,
        401,
        "otp_required",
    )
    .await;
}

#[tokio::test]
async fn two_factor_disable_with_right_password_and_code_turns_it_off() {
    let app = TestApp::spawn().await;
    let ana = app.user("ana@example.com").await;
    let tf = enable_2fa(&app, &ana.access).await;
    let code = next_code(&app, &tf.secret);
    no_content(
        app.post(
            "auth/2fa/disable/",
            json!({"password": PASSWORD, "otp": code}),
            Some(&ana.access),
        )
        .await,
    )
    .await;
    app.login("ana@example.com", PASSWORD).await;
}

#[tokio::test]
async fn two_factor_disable_accepts_a_recovery_code() {
    let app = TestApp::spawn().await;
    let ana = app.user("ana@example.com").await;
    let tf = enable_2fa(&app, &ana.access).await;
    let body = json!({"password": PASSWORD, "otp": tf.recovery_codes[0]});
    no_content(app.post("auth/2fa/disable/", body, Some(&ana.access)).await).await;
    app.login("ana@example.com", PASSWORD).await;
}

// ===========================================================================
// OAuth sign-in

async fn oauth(app: &TestApp, provider: &str, body: Value) -> reqwest::Response {
    app.post(&format!("auth/oauth/{provider}/"), body, None)
        .await
}

#[tokio::test]
async fn google_sign_in_creates_a_user_for_a_new_email() {
    let app = TestApp::spawn().await;
    let token = IdToken::google(app.now(), "google-sub-1", "gina@example.com").sign();
    let resp = oauth(
        &app,
        "google",
        json!({"id_token": token, "first_name": "Gina"}),
    )
    .await;
    assert_auth_cookies(&resp);
    let body = json_body(resp, 200).await;
    assert_eq!(body["created"], true, "{body}");
    assert_eq!(body["user"]["email"], "gina@example.com");
    assert_eq!(body["user"]["first_name"], "Gina");
    assert_eq!(
        body["user"]["is_email_verified"], true,
        "a verified Google e-mail counts as verified"
    );
    let me = app.me(body["access"].as_str().expect("access")).await;
    assert_eq!(me["email"], "gina@example.com");
    assert!(body["refresh"].is_string());
}

#[tokio::test]
async fn google_sign_in_again_with_the_same_subject_finds_the_same_user() {
    let app = TestApp::spawn().await;
    let first = IdToken::google(app.now(), "google-sub-1", "gina@example.com").sign();
    let first = json_body(oauth(&app, "google", json!({"id_token": first})).await, 200).await;
    app.advance(Duration::minutes(5));
    let again = IdToken::google(app.now(), "google-sub-1", "gina@example.com").sign();
    let again = json_body(oauth(&app, "google", json!({"id_token": again})).await, 200).await;
    assert_eq!(again["created"], false, "{again}");
    assert_eq!(again["user"]["id"], first["user"]["id"]);
}

#[tokio::test]
async fn apple_sign_in_with_es256_and_string_email_verified_works() {
    let app = TestApp::spawn().await;
    let token = IdToken::apple(app.now(), "001234.apple.sub", "appleseed@example.com").sign();
    let body = json_body(oauth(&app, "apple", json!({"id_token": token})).await, 200).await;
    assert_eq!(body["created"], true, "{body}");
    assert_eq!(body["user"]["email"], "appleseed@example.com");
    app.me(body["access"].as_str().expect("access")).await;
}

#[tokio::test]
async fn oauth_token_for_another_audience_is_401() {
    let app = TestApp::spawn().await;
    let mut token = IdToken::google(app.now(), "google-sub-1", "gina@example.com");
    token.aud = "someone-elses-app.apps.googleusercontent.com".into();
    problem(
        oauth(&app, "google", json!({"id_token": token.sign()})).await,
        401,
        "token_invalid",
    )
    .await;
}

#[tokio::test]
async fn oauth_token_from_another_issuer_is_401() {
    let app = TestApp::spawn().await;
    let mut token = IdToken::google(app.now(), "google-sub-1", "gina@example.com");
    token.iss = "https://accounts.evil.example".into();
    problem(
        oauth(&app, "google", json!({"id_token": token.sign()})).await,
        401,
        "token_invalid",
    )
    .await;
}

#[tokio::test]
async fn apple_token_presented_to_google_is_401() {
    let app = TestApp::spawn().await;
    let token = IdToken::apple(app.now(), "001234.apple.sub", "appleseed@example.com").sign();
    problem(
        oauth(&app, "google", json!({"id_token": token})).await,
        401,
        "token_invalid",
    )
    .await;
}

#[tokio::test]
async fn expired_oauth_token_is_401() {
    let app = TestApp::spawn().await;
    let mut token = IdToken::google(app.now(), "google-sub-1", "gina@example.com");
    token.iat = (app.now() - Duration::hours(2)).timestamp();
    token.exp = (app.now() - Duration::hours(1)).timestamp();
    problem(
        oauth(&app, "google", json!({"id_token": token.sign()})).await,
        401,
        "token_invalid",
    )
    .await;
}

#[tokio::test]
async fn tampered_oauth_token_is_401() {
    let app = TestApp::spawn().await;
    let token = IdToken::google(app.now(), "google-sub-1", "gina@example.com").sign();
    let forged = tamper_claims(&token, |c| c["email"] = json!("ceo@example.com"));
    problem(
        oauth(&app, "google", json!({"id_token": forged})).await,
        401,
        "token_invalid",
    )
    .await;
}

#[tokio::test]
async fn oauth_token_with_unknown_kid_is_401() {
    let app = TestApp::spawn().await;
    let mut token = IdToken::google(app.now(), "google-sub-1", "gina@example.com");
    token.kid = "no-such-key".into();
    problem(
        oauth(&app, "google", json!({"id_token": token.sign()})).await,
        401,
        "token_invalid",
    )
    .await;
}

#[tokio::test]
async fn oauth_token_signed_with_an_unpublished_key_is_401() {
    let app = TestApp::spawn().await;
    let mut token = IdToken::google(app.now(), "google-sub-1", "gina@example.com");
    token.key = SigningKey::UnpublishedRsa;
    problem(
        oauth(&app, "google", json!({"id_token": token.sign()})).await,
        401,
        "token_invalid",
    )
    .await;
}

#[tokio::test]
async fn oauth_alg_none_token_is_401() {
    let app = TestApp::spawn().await;
    let token = IdToken::google(app.now(), "google-sub-1", "gina@example.com").sign();
    problem(
        oauth(&app, "google", json!({"id_token": alg_none(&token)})).await,
        401,
        "token_invalid",
    )
    .await;
}

#[tokio::test]
async fn oauth_verified_email_links_an_existing_account() {
    let app = TestApp::spawn().await;
    let ana = app.user("ana@example.com").await;
    let token = IdToken::google(app.now(), "google-sub-ana", "Ana@Example.com").sign();
    let body = json_body(oauth(&app, "google", json!({"id_token": token})).await, 200).await;
    assert_eq!(body["created"], false, "{body}");
    assert_eq!(body["user"]["id"].as_i64(), Some(ana.id));
    // The password still works as well.
    app.login("ana@example.com", PASSWORD).await;
}

#[tokio::test]
async fn oauth_unverified_email_does_not_link_an_existing_account() {
    let app = TestApp::spawn().await;
    app.user("ana@example.com").await;
    let token = IdToken::google(app.now(), "google-sub-eve", "ana@example.com")
        .unverified_email()
        .sign();
    any_problem(oauth(&app, "google", json!({"id_token": token})).await, 409).await;
    let token = IdToken::apple(app.now(), "apple-sub-eve", "ana@example.com")
        .unverified_email()
        .sign();
    any_problem(oauth(&app, "apple", json!({"id_token": token})).await, 409).await;
}

#[tokio::test]
async fn oauth_nonce_must_match_when_given() {
    let app = TestApp::spawn().await;
    let mut token = IdToken::google(app.now(), "google-sub-1", "gina@example.com");
    token.nonce = Some("nonce-from-the-client".into());
    let token = token.sign();
    let resp = oauth(
        &app,
        "google",
        json!({"id_token": token, "nonce": "another-nonce"}),
    )
    .await;
    problem(resp, 401, "token_invalid").await;
    let resp = oauth(
        &app,
        "google",
        json!({"id_token": token, "nonce": "nonce-from-the-client"}),
    )
    .await;
    let body = json_body(resp, 200).await;
    assert_eq!(body["created"], true);
}

#[tokio::test]
async fn oauth_garbage_token_is_401() {
    let app = TestApp::spawn().await;
    problem(
        oauth(&app, "apple", json!({"id_token": "garbage"})).await,
        401,
        "token_invalid",
    )
    .await;
}

#[tokio::test]
async fn the_totp_secret_is_stored_sealed_not_in_the_clear() {
    let app = TestApp::spawn().await;
    let ana = app.user("sealed@example.com").await;
    let setup = success(
        app.post("auth/2fa/setup/", json!({}), Some(&ana.access))
            .await,
    )
    .await;
    let secret = setup["secret"].as_str().expect("secret").to_string();
    let row = sea_orm::ConnectionTrait::query_one_raw(
        app.db(),
        sea_orm::Statement::from_string(
            app.backend(),
            format!("SELECT totp_secret FROM users WHERE id = {}", ana.id),
        ),
    )
    .await
    .expect("query")
    .expect("row");
    let stored: String = row.try_get("", "totp_secret").expect("totp_secret");
    assert!(stored.starts_with("v1:"), "{stored}");
    assert!(!stored.contains(&secret));
}

/// `UPDATE users SET {set}` without telling the server (unlike `app.sql`).
async fn behind_the_servers_back(app: &TestApp, set: &str) {
    app.db()
        .execute_unprepared(&format!("UPDATE users SET {set}"))
        .await
        .expect("update behind the server's back");
}

#[tokio::test]
async fn reads_reuse_the_signed_in_user_until_it_changes() {
    let app = TestApp::spawn().await;
    let ana = app.user("ana@example.com").await;
    let name = app.me(&ana.access).await["first_name"].clone();
    assert_ne!(name, "Anna");
    let before = app.query_count();
    app.me(&ana.access).await;
    let cached = app.query_count() - before;
    // A change behind the server's back (another instance without Redis,
    // SQL by hand) is not seen until the entry expires or is invalidated.
    behind_the_servers_back(&app, &format!("first_name = 'Anna' WHERE id = {}", ana.id)).await;
    assert_eq!(app.me(&ana.access).await["first_name"], name);
    app.state
        .apply_change(fitcore::platform::invalidation::Change::User(ana.id));
    assert_eq!(app.me(&ana.access).await["first_name"], "Anna");
    let before = app.query_count();
    app.me(&ana.access).await;
    assert_eq!(
        app.query_count() - before,
        cached,
        "the second read after a change is served from the cache again"
    );
}

#[tokio::test]
async fn changes_made_through_the_api_show_at_once_in_reads() {
    let app = TestApp::spawn().await;
    let ana = app.user("ana@example.com").await;
    app.me(&ana.access).await;
    json_body(
        app.patch(
            "users/me/",
            json!({"first_name": "Anna"}),
            Some(&ana.access),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(app.me(&ana.access).await["first_name"], "Anna");
}

#[tokio::test]
async fn a_zero_auth_cache_ttl_reads_the_user_every_time() {
    let app = TestApp::spawn_with(|c| c.auth_cache_seconds = 0).await;
    let ana = app.user("ana@example.com").await;
    app.me(&ana.access).await;
    behind_the_servers_back(&app, &format!("first_name = 'Anna' WHERE id = {}", ana.id)).await;
    assert_eq!(app.me(&ana.access).await["first_name"], "Anna");
}

#[tokio::test]
async fn writes_never_use_a_cached_user() {
    let app = TestApp::spawn().await;
    let ana = app.user("ana@example.com").await;
    app.me(&ana.access).await;
    // Deactivated behind the server's back: a read may still pass from the
    // cache, but a write reads the user and is refused.
    behind_the_servers_back(&app, &format!("is_active = false WHERE id = {}", ana.id)).await;
    any_problem(
        app.patch(
            "users/me/",
            json!({"first_name": "Anna"}),
            Some(&ana.access),
        )
        .await,
        401,
    )
    .await;
}
