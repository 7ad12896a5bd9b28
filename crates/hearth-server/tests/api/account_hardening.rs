//! Holes closed in the account flows (issue 14): what a stolen access token
//! may not do, what answers must not reveal, and how the lockout and the
//! limits in front of the expensive or writing endpoints hold.

use crate::helpers::*;
use hearth_protocol::dto::TotpSetup;
use hearth_server::service::accounts::NewAccount;
use reqwest::StatusCode;
use serde_json::{Value, json};

const PASSWORD: &str = "password123";

fn unix_now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

fn totp_code(base32_secret: &str, unix: i64) -> String {
    let secret = totp_rs::Secret::Encoded(base32_secret.to_string())
        .to_bytes()
        .unwrap();
    hearth_server::auth::totp::code_at(&secret, unix).unwrap()
}

/// A wrong six-digit code for `secret` around now.
fn wrong_code(secret: &str) -> String {
    let now = unix_now();
    let near: Vec<String> = (-2..=2).map(|i| totp_code(secret, now + 30 * i)).collect();
    (0..1_000_000)
        .map(|n| format!("{n:06}"))
        .find(|c| !near.contains(c))
        .unwrap()
}

async fn setup_totp(app: &TestApp, user: &TestUser) -> String {
    let setup: TotpSetup = app
        .post_as(
            "/api/v1/auth/totp/setup",
            &user.token,
            &json!({}),
            StatusCode::OK,
        )
        .await;
    setup.secret
}

async fn enable_totp(app: &TestApp, user: &TestUser, body: Value) -> (StatusCode, Value) {
    app.post("/api/v1/auth/totp/enable", &user.token, body)
        .await
}

#[tokio::test]
async fn a_stolen_access_token_cannot_turn_two_factor_on() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let secret = setup_totp(&app, &alice).await;
    let code = totp_code(&secret, unix_now());

    let (status, body) = enable_totp(&app, &alice, json!({ "code": code })).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "no password: {body}");
    let (status, body) = enable_totp(
        &app,
        &alice,
        json!({ "code": code, "password": "not-the-password" }),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(error_code(&body), ErrorCode::WrongPassword);

    let (status, body) =
        enable_totp(&app, &alice, json!({ "code": code, "password": PASSWORD })).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn wrong_codes_when_turning_two_factor_off_count_toward_the_lockout() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let secret = setup_totp(&app, &alice).await;
    let code = totp_code(&secret, unix_now());
    let (status, body) =
        enable_totp(&app, &alice, json!({ "code": code, "password": PASSWORD })).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    let wrong = wrong_code(&secret);
    for attempt in 0..5 {
        let (status, body) = app
            .post(
                "/api/v1/auth/totp/disable",
                &alice.token,
                json!({ "password": PASSWORD, "code": wrong }),
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "attempt {attempt}: {body}");
        assert_eq!(error_code(&body), ErrorCode::InvalidCode);
    }
    let (status, body) = app
        .post(
            "/api/v1/auth/totp/disable",
            &alice.token,
            json!({ "password": PASSWORD, "code": wrong }),
        )
        .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
}

// ---------------------------------------------------------------- registration

async fn register_with(app: &TestApp, username: &str, email: &str) -> (StatusCode, Value) {
    app.request(
        reqwest::Method::POST,
        "/api/v1/auth/register",
        None,
        Some(json!({"username": username, "password": PASSWORD, "email": email})),
    )
    .await
}

/// The registration answer without what differs between any two accounts.
fn shape(mut answer: Value) -> Value {
    for field in ["access_token", "refresh_token"] {
        answer[field] = json!("…");
    }
    for field in ["id", "username", "display_name", "created_at"] {
        answer["user"][field] = json!("…");
    }
    answer
}

#[tokio::test]
async fn registering_with_a_taken_address_answers_like_a_free_one() {
    let sink = crate::smtp_sink::SmtpSink::start().await;
    let app = spawn_app_with(|c| *c.smtp = Some(sink.settings())).await;
    let (status, _) = register_with(&app, "alice", "alice@example.org").await;
    assert_eq!(status, StatusCode::CREATED);
    let link = sink
        .expect_mail_to("alice@example.org", "Confirm your e-mail address")
        .await
        .link_token("verify-email")
        .unwrap();
    let (status, body) = app
        .request(
            reqwest::Method::POST,
            "/api/v1/auth/verify-email/confirm",
            None,
            Some(json!({ "token": link })),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");

    // Someone probes alice's address; someone else signs up with a new one.
    let (taken_status, taken) = register_with(&app, "mallory", "ALICE@example.org").await;
    let (free_status, free) = register_with(&app, "carol", "carol@example.org").await;
    assert_eq!(taken_status, StatusCode::CREATED, "{taken}");
    assert_eq!(free_status, StatusCode::CREATED, "{free}");
    assert_eq!(shape(taken.clone()), shape(free.clone()));
    assert_eq!(
        taken["user"]["email"],
        Value::Null,
        "not the account's until verified"
    );

    // Carol gets her link; alice hears that someone tried her address.
    sink.expect_mail_to("carol@example.org", "Confirm your e-mail address")
        .await;
    let notice = sink
        .expect_mail_to(
            "alice@example.org",
            "Someone tried to use your e-mail address",
        )
        .await;
    assert!(notice.body().contains("\"mallory\""), "{}", notice.body());
    assert!(
        notice.link_token("verify-email").is_none(),
        "no link for mallory"
    );

    // Asking for the link again answers alike too.
    for answer in [&taken, &free] {
        let (status, body) = app
            .post(
                "/api/v1/auth/verify-email/request",
                answer["access_token"].as_str().unwrap(),
                json!({}),
            )
            .await;
        assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    }
    // And the address still signs in to alice's account only.
    let (status, _) = app
        .request(
            reqwest::Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"username": "alice@example.org", "password": PASSWORD})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
}

// ---------------------------------------------------------------- digests

#[tokio::test]
async fn digests_go_to_verified_addresses_only() {
    let sink = crate::smtp_sink::SmtpSink::start().await;
    let app = spawn_app_with(|c| {
        *c.smtp = Some(sink.settings());
        c.email_digest_after = std::time::Duration::from_secs(15 * 60);
    })
    .await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let store = &app.state.node.store;
    store
        .attach_verified_email(bob.id, "bob@example.org")
        .await
        .unwrap();
    // An address set without proof (by an admin, or before mail was set up).
    let account = NewAccount::parse(
        "mallory",
        PASSWORD.to_string(),
        None,
        Some("someone-else@example.org"),
    )
    .unwrap();
    let mallory = app
        .state
        .services
        .accounts
        .create_user(account)
        .await
        .unwrap();
    assert!(mallory.email.is_some() && !mallory.email_verified);
    let (status, body) = app
        .request(
            reqwest::Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"username": "mallory", "password": PASSWORD})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let mallory = TestUser {
        id: mallory.id,
        username: "mallory".into(),
        token: body["access_token"].as_str().unwrap().to_string(),
        refresh: body["refresh_token"].as_str().unwrap().to_string(),
    };
    let room = app
        .create_room(&alice, RoomKind::Channel, "ops", &[&bob, &mallory])
        .await
        .id;
    app.send(&alice, room, "@bob @mallory look at this").await;

    let later = time::OffsetDateTime::now_utc() + time::Duration::minutes(31);
    let sent = app
        .state
        .services
        .digests
        .send_digests(later)
        .await
        .unwrap();
    assert_eq!(sent, 1, "only the verified address is mailed");
    sink.expect_mail_to("bob@example.org", "unread").await;
    assert!(
        !sink
            .mails()
            .iter()
            .any(|m| m.to.contains(&"someone-else@example.org".to_string())),
        "no digest to an unverified address"
    );
}

// ---------------------------------------------------------------- lockout

#[tokio::test]
async fn a_burst_of_wrong_passwords_is_checked_one_at_a_time_per_account() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let attempts = (0..12).map(|_| {
        app.post(
            "/api/v1/auth/password",
            &alice.token,
            json!({"current_password": "guess-guess", "new_password": "new-password-1"}),
        )
    });
    let answers = futures_util::future::join_all(attempts).await;
    let wrong = answers
        .iter()
        .filter(|(status, _)| *status == StatusCode::FORBIDDEN)
        .count();
    let refused = answers
        .iter()
        .filter(|(status, _)| *status == StatusCode::TOO_MANY_REQUESTS)
        .count();
    assert_eq!(wrong + refused, answers.len(), "{answers:?}");
    // Each check ran only after the last one was counted: never more
    // guesses than the lockout allows.
    assert!(wrong <= 5, "{wrong} passwords were checked: {answers:?}");

    // The right password waits for the lock like any other.
    let (status, _) = app
        .request(
            reqwest::Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"username": "alice", "password": PASSWORD})),
        )
        .await;
    if wrong == 5 {
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    }
}

// ---------------------------------------------------------------- proxies

#[tokio::test]
async fn behind_a_proxy_clients_cannot_pick_their_address() {
    let app = spawn_app_with(|c| {
        c.trust_proxy = true;
        c.limits.auth_rate_per_minute = 3;
    })
    .await;
    let login_from = |forwarded_for: String| {
        app.http
            .post(app.url("/api/v1/auth/login"))
            .header("x-forwarded-for", forwarded_for)
            .json(&json!({"username": "nobody", "password": "password123"}))
            .send()
    };
    // Each request claims a new address on the left; the proxy (loopback,
    // trusted by default) appended the real one on the right.
    let mut statuses = Vec::new();
    for i in 0..4 {
        let res = tokio::time::timeout(TIMEOUT, login_from(format!("198.51.100.{i}, 203.0.113.7")))
            .await
            .unwrap()
            .unwrap();
        statuses.push(res.status());
    }
    assert_eq!(
        statuses,
        [
            StatusCode::UNAUTHORIZED,
            StatusCode::UNAUTHORIZED,
            StatusCode::UNAUTHORIZED,
            StatusCode::TOO_MANY_REQUESTS
        ],
        "one client, one limit"
    );
    // Another real client has its own limit.
    let res = login_from("203.0.113.8".into()).await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}

// ---------------------------------------------------------------- token endpoints

#[tokio::test]
async fn refreshing_and_confirming_links_are_limited_per_address() {
    // One sign-in attempt a minute allows ten token uses a minute.
    let app = spawn_app_with(|c| c.limits.auth_rate_per_minute = 1).await;
    let anonymous = |path: &'static str, body: Value| {
        app.request(reqwest::Method::POST, path, None, Some(body))
    };
    for i in 0..10 {
        let (status, body) = anonymous(
            "/api/v1/auth/refresh",
            json!({"refresh_token": format!("made-up-{i}")}),
        )
        .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
        assert_eq!(error_code(&body), ErrorCode::InvalidRefreshToken);
    }
    let (status, body) = anonymous(
        "/api/v1/auth/refresh",
        json!({"refresh_token": "made-up-again"}),
    )
    .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    let (status, body) = anonymous(
        "/api/v1/auth/verify-email/confirm",
        json!({"token": "made-up"}),
    )
    .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
}
