//! Account security: two-factor, e-mailed links, sessions, password change,
//! lockout, account deletion and deactivation.

use crate::helpers::*;
use crate::smtp_sink::SmtpSink;
use hearth_protocol::dto::{AuthResponse, LoginRequest, RecoveryCodes, RevokedCount, TotpSetup};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const PASSWORD: &str = "password123";

async fn login(
    app: &TestApp,
    username: &str,
    password: &str,
    totp: Option<&str>,
) -> (StatusCode, Value) {
    let body = LoginRequest {
        username: username.to_string(),
        password: password.to_string(),
        totp: totp.map(str::to_string),
    };
    let body = serde_json::to_value(body).unwrap();
    app.request(Method::POST, "/api/v1/auth/login", None, Some(body))
        .await
}

/// Signs in again as `user` (a second session) and returns it.
async fn second_session(app: &TestApp, user: &TestUser, user_agent: &str) -> TestUser {
    let res = app
        .http
        .post(app.url("/api/v1/auth/login"))
        .header("user-agent", user_agent)
        .json(&LoginRequest {
            username: user.username.clone(),
            password: PASSWORD.to_string(),
            totp: None,
        })
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let auth: AuthResponse = decode(res.json().await.unwrap());
    assert_eq!(auth.user.id, user.id);
    TestUser {
        token: auth.access_token,
        refresh: auth.refresh_token,
        ..user.clone()
    }
}

async fn register_with_email(app: &TestApp, username: &str, email: &str) -> TestUser {
    let (status, body) = app
        .request(
            Method::POST,
            "/api/v1/auth/register",
            None,
            Some(json!({"username": username, "password": PASSWORD, "email": email})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let auth: AuthResponse = decode(body);
    TestUser {
        id: auth.user.id,
        username: username.to_string(),
        token: auth.access_token,
        refresh: auth.refresh_token,
    }
}

/// Registers with an address and follows the verification link: only then
/// is the address the account's (a password reset can reach it).
async fn register_verified(
    app: &TestApp,
    sink: &SmtpSink,
    username: &str,
    email: &str,
) -> TestUser {
    let user = register_with_email(app, username, email).await;
    let token = sink
        .expect_mail_to(email, "Confirm your e-mail address")
        .await
        .link_token("verify-email")
        .unwrap();
    let (status, body) = app
        .request(
            Method::POST,
            "/api/v1/auth/verify-email/confirm",
            None,
            Some(json!({ "token": token })),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    user
}

async fn refresh_status(app: &TestApp, refresh: &str) -> StatusCode {
    app.request(
        Method::POST,
        "/api/v1/auth/refresh",
        None,
        Some(json!({"refresh_token": refresh})),
    )
    .await
    .0
}

async fn deactivate(app: &TestApp, admin: &TestUser, id: UserId) -> (StatusCode, Value) {
    app.post(
        &format!("/api/v1/admin/users/{id}/deactivate"),
        &admin.token,
        json!({}),
    )
    .await
}

async fn expect_revoked_close(ws: &mut WsClient) {
    assert_eq!(ws.expect_close().await, Ended::Closed(Some(4003)));
}

/// The caller's own profile.
async fn me(app: &TestApp, user: &TestUser) -> User {
    app.get_ok("/api/v1/users/me", &user.token).await
}

fn unix_now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// The TOTP code of `base32_secret` at `unix` (what an authenticator shows).
fn totp_code(base32_secret: &str, unix: i64) -> String {
    let secret = totp_rs::Secret::Encoded(base32_secret.to_string())
        .to_bytes()
        .unwrap();
    hearth_server::auth::totp::code_at(&secret, unix).unwrap()
}

#[tokio::test]
async fn two_factor_setup_login_recovery_codes_and_disable() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    assert_eq!(me(&app, &alice).await.totp_enabled, Some(false));

    let setup: TotpSetup = app
        .post_as(
            "/api/v1/auth/totp/setup",
            &alice.token,
            &json!({}),
            StatusCode::OK,
        )
        .await;
    let secret = setup.secret;
    let uri = &setup.otpauth_uri;
    assert!(uri.starts_with("otpauth://totp/Hearth:alice?"), "{uri}");
    assert!(uri.contains(&format!("secret={secret}")), "{uri}");
    assert!(setup.qr_data_url.starts_with("data:image/svg+xml;base64,"));
    // Not on yet: logins need no code.
    assert_eq!(login(&app, "alice", PASSWORD, None).await.0, StatusCode::OK);

    let (status, body) = app
        .post(
            "/api/v1/auth/totp/enable",
            &alice.token,
            json!({"code": "000000", "password": PASSWORD}),
        )
        .await;
    let wrong_is_wrong = totp_code(&secret, unix_now()) != "000000";
    if wrong_is_wrong {
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
        assert_eq!(error_code(&body), ErrorCode::InvalidCode);
    }
    let now = unix_now();
    let enable_code = totp_code(&secret, now);
    let (status, body) = app
        .post(
            "/api/v1/auth/totp/enable",
            &alice.token,
            json!({"code": enable_code, "password": PASSWORD}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let codes = decode::<RecoveryCodes>(body).recovery_codes;
    assert_eq!(codes.len(), 10);
    assert_eq!(me(&app, &alice).await.totp_enabled, Some(true));
    let (status, _) = app
        .post("/api/v1/auth/totp/setup", &alice.token, json!({}))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "no second setup while on");

    // The password alone is not enough any more.
    let (status, body) = login(&app, "alice", PASSWORD, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(error_code(&body), ErrorCode::TotpRequired);
    let (status, body) = login(&app, "alice", "wrongpass1", Some(&enable_code)).await;
    assert_eq!(error_code(&body), ErrorCode::InvalidCredentials, "{status}");
    // The code that enabled two-factor is spent.
    let (status, body) = login(&app, "alice", PASSWORD, Some(&enable_code)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(error_code(&body), ErrorCode::TotpRequired);
    // The next step's code works (clock drift is allowed), once.
    let next = totp_code(&secret, now + 30);
    let (status, body) = login(&app, "alice", PASSWORD, Some(&next)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, _) = login(&app, "alice", PASSWORD, Some(&next)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "a code works once");

    // A recovery code stands in for a code, once; case and dashes do not matter.
    let typed = codes[0].to_uppercase().replace('-', " ");
    let (status, body) = login(&app, "alice", PASSWORD, Some(&typed)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = login(&app, "alice", PASSWORD, Some(&codes[0])).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(error_code(&body), ErrorCode::TotpRequired);

    // Turning it off needs the password and a code.
    let (status, body) = app
        .post(
            "/api/v1/auth/totp/disable",
            &alice.token,
            json!({"password": "wrongpass1", "code": codes[1]}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(error_code(&body), ErrorCode::WrongPassword);
    let (status, body) = app
        .post(
            "/api/v1/auth/totp/disable",
            &alice.token,
            json!({"password": PASSWORD, "code": codes[0]}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a used recovery code");
    assert_eq!(error_code(&body), ErrorCode::InvalidCode);
    let (status, body) = app
        .post(
            "/api/v1/auth/totp/disable",
            &alice.token,
            json!({"password": PASSWORD, "code": codes[1]}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    assert_eq!(me(&app, &alice).await.totp_enabled, Some(false));
    assert_eq!(login(&app, "alice", PASSWORD, None).await.0, StatusCode::OK);
    let (status, _) = app
        .post(
            "/api/v1/auth/totp/disable",
            &alice.token,
            json!({"password": PASSWORD, "code": codes[2]}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "already off");
}

#[tokio::test]
async fn the_totp_secret_is_sealed_in_the_store() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let setup: TotpSetup = app
        .post_as(
            "/api/v1/auth/totp/setup",
            &alice.token,
            &json!({}),
            StatusCode::OK,
        )
        .await;
    let stored = app
        .state
        .node
        .store
        .totp_state(alice.id)
        .await
        .unwrap()
        .unwrap();
    let sealed = stored.secret.unwrap();
    assert!(sealed.starts_with("v1:"), "{sealed}");
    assert!(!sealed.contains(&setup.secret));
}

#[tokio::test]
async fn password_reset_by_email_link_signs_out_everywhere() {
    let sink = SmtpSink::start().await;
    let app = spawn_app_with(|c| {
        *c.smtp = Some(sink.settings());
        c.public_url = Some("http://chat.example.org".into());
    })
    .await;
    let alice = register_verified(&app, &sink, "alice", "alice@example.org").await;
    let other = second_session(&app, &alice, "phone").await;
    let mut ws = app.ws(&other).await;

    let reset = |email: &str| {
        app.request(
            Method::POST,
            "/api/v1/auth/password-reset/request",
            None,
            Some(json!({"email": email})),
        )
    };
    // Unknown addresses get the same answer and no mail.
    let (status, body) = reset("nobody@example.org").await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let (status, _) = reset("ALICE@example.org").await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let mail = sink
        .expect_mail_to("alice@example.org", "Reset your Hearth password")
        .await;
    assert!(mail.body().contains("\"alice\""), "{}", mail.body());
    let link = mail.link("reset-password").unwrap();
    assert!(
        link.starts_with("http://chat.example.org/#/reset-password/"),
        "{link}"
    );
    let token = mail.link_token("reset-password").unwrap();
    assert!(token.len() >= 40, "{token}");

    let confirm = |token: &str, password: &str| {
        app.request(
            Method::POST,
            "/api/v1/auth/password-reset/confirm",
            None,
            Some(json!({"token": token, "password": password})),
        )
    };
    let (status, body) = confirm(&token, "short").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        error_code(&body),
        ErrorCode::Validation,
        "a bad password does not spend the link"
    );
    let (status, body) = confirm(&token, "new-password-456").await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");

    expect_revoked_close(&mut ws).await;
    assert_eq!(
        app.get("/api/v1/users/me", &alice.token).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        refresh_status(&app, &alice.refresh).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        login(&app, "alice", PASSWORD, None).await.0,
        StatusCode::UNAUTHORIZED
    );
    let (status, auth) = login(&app, "alice", "new-password-456", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        decode::<AuthResponse>(auth).user.email_verified,
        Some(true),
        "the link proved the address"
    );

    let (status, body) = confirm(&token, "another-password-789").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "single use");
    assert_eq!(error_code(&body), ErrorCode::InvalidToken);
    let (status, body) = confirm("made-up-token", "another-password-789").await;
    assert_eq!(
        (status, body["error"]["code"].clone()),
        (StatusCode::BAD_REQUEST, json!("invalid_token"))
    );

    // Nothing was mailed for the unknown address.
    assert!(
        sink.mails()
            .iter()
            .all(|m| m.to.iter().all(|t| t == "alice@example.org")),
        "{:?}",
        sink.mails()
    );
}

#[tokio::test]
async fn reset_links_are_limited_per_account() {
    let sink = SmtpSink::start().await;
    let app = spawn_app_with(|c| *c.smtp = Some(sink.settings())).await;
    let alice = register_verified(&app, &sink, "alice", "alice@example.org").await;
    for _ in 0..5 {
        let (status, _) = app
            .request(
                Method::POST,
                "/api/v1/auth/password-reset/request",
                None,
                Some(json!({"email": "alice@example.org"})),
            )
            .await;
        assert_eq!(status, StatusCode::ACCEPTED, "the limit is never visible");
    }
    for _ in 0..3 {
        sink.expect_mail_to("alice@example.org", "Reset your Hearth password")
            .await;
    }
    let since = time::OffsetDateTime::now_utc() - time::Duration::hours(1);
    let issued = app
        .state
        .node
        .store
        .count_email_tokens_since(
            alice.id,
            hearth_store::EmailTokenPurpose::PasswordReset,
            since,
        )
        .await
        .unwrap();
    assert_eq!(issued, 3, "three reset links per hour, not five");
}

#[tokio::test]
async fn without_smtp_email_flows_answer_email_disabled() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let (status, body) = app
        .request(
            Method::POST,
            "/api/v1/auth/password-reset/request",
            None,
            Some(json!({"email": "alice@example.org"})),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "not configured is no outage");
    assert_eq!(error_code(&body), ErrorCode::EmailDisabled);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("reset-password"),
        "{body}"
    );
    let (status, body) = app
        .post("/api/v1/auth/verify-email/request", &alice.token, json!({}))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "not configured is no outage");
    assert_eq!(error_code(&body), ErrorCode::EmailDisabled);
}

#[tokio::test]
async fn email_addresses_are_verified_by_link() {
    let sink = SmtpSink::start().await;
    let app = spawn_app_with(|c| *c.smtp = Some(sink.settings())).await;
    let alice = register_with_email(&app, "alice", "alice@example.org").await;
    assert_eq!(me(&app, &alice).await.email_verified, Some(false));
    // Registration mailed a link; asking again mails another.
    let first = sink
        .expect_mail_to("alice@example.org", "Confirm your e-mail address")
        .await;
    let (status, body) = app
        .post("/api/v1/auth/verify-email/request", &alice.token, json!({}))
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let second = sink
        .expect_mail_to("alice@example.org", "Confirm your e-mail address")
        .await;
    let (first, second) = (
        first.link_token("verify-email").unwrap(),
        second.link_token("verify-email").unwrap(),
    );
    assert_ne!(first, second);

    let confirm = |token: &str| {
        app.request(
            Method::POST,
            "/api/v1/auth/verify-email/confirm",
            None,
            Some(json!({"token": token})),
        )
    };
    let (status, body) = confirm(&second).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    assert_eq!(me(&app, &alice).await.email_verified, Some(true));
    let (status, body) = confirm(&first).await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "the older link died with the newer"
    );
    assert_eq!(error_code(&body), ErrorCode::InvalidToken);
    let (status, _) = app
        .post("/api/v1/auth/verify-email/request", &alice.token, json!({}))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "already verified");

    // An account without an address has nothing to verify.
    let bob = app.register("bob").await;
    let (status, _) = app
        .post("/api/v1/auth/verify-email/request", &bob.token, json!({}))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn sessions_are_listed_and_revoked_one_at_a_time_or_all_others() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let phone = second_session(&app, &alice, "Phone/1.0").await;
    let laptop = second_session(&app, &alice, "Laptop/2.0").await;
    let bob = app.register("bob").await;

    let sessions: Vec<SessionInfo> = app.get_ok("/api/v1/sessions", &alice.token).await;
    assert_eq!(sessions.len(), 3, "{sessions:#?}");
    assert_eq!(sessions.iter().filter(|s| s.current).count(), 1);
    let agents: Vec<&str> = sessions.iter().map(|s| s.user_agent.as_str()).collect();
    assert!(
        agents.contains(&"Phone/1.0") && agents.contains(&"Laptop/2.0"),
        "{agents:?}"
    );
    // Decoding as `SessionInfo` checked both times are RFC 3339.
    for s in &sessions {
        assert_eq!(s.ip, "127.0.0.1");
    }
    let id_of = |agent: &str| {
        sessions
            .iter()
            .find(|s| s.user_agent == agent)
            .map(|s| s.id)
            .unwrap()
    };
    let (phone_id, laptop_id) = (id_of("Phone/1.0"), id_of("Laptop/2.0"));

    // Revoking one closes its live connection at once.
    let mut phone_ws = app.ws(&phone).await;
    let mut laptop_ws = app.ws(&laptop).await;
    let (status, _) = app
        .delete(&format!("/api/v1/sessions/{phone_id}"), &bob.token)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "not bob's session");
    let (status, body) = app
        .delete(&format!("/api/v1/sessions/{phone_id}"), &alice.token)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    expect_revoked_close(&mut phone_ws).await;
    assert_eq!(
        app.get("/api/v1/users/me", &phone.token).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        refresh_status(&app, &phone.refresh).await,
        StatusCode::UNAUTHORIZED
    );
    let (status, _) = app
        .delete(&format!("/api/v1/sessions/{phone_id}"), &alice.token)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "already ended");
    laptop_ws.sync().await;

    let (status, body) = app
        .post("/api/v1/sessions/revoke-others", &alice.token, json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(decode::<RevokedCount>(body).revoked, 1);
    expect_revoked_close(&mut laptop_ws).await;
    let sessions: Vec<SessionInfo> = app.get_ok("/api/v1/sessions", &alice.token).await;
    let ids: Vec<SessionId> = sessions.iter().map(|s| s.id).collect();
    assert!(!ids.contains(&laptop_id) && ids.len() == 1, "{ids:?}");
    assert_eq!(
        app.get("/api/v1/users/me", &alice.token).await.0,
        StatusCode::OK
    );
}

#[tokio::test]
async fn connecting_the_gateway_marks_the_session_active() {
    // Connects record activity once a minute at most; here, every time.
    let app =
        spawn_app_with(|c| c.internal.session_touch_interval = std::time::Duration::ZERO).await;
    let alice = app.register("alice").await;
    let last_active = || async {
        let sessions: Vec<SessionInfo> = app.get_ok("/api/v1/sessions", &alice.token).await;
        sessions[0].last_active_at
    };
    let before = last_active().await;
    let _ws = app.ws(&alice).await;
    // A poll on purpose: the touch is written in the background after
    // `ready` and announces nothing a client could await.
    eventually("last_active_at moves on gateway connect", || async {
        last_active().await > before
    })
    .await;
}

#[tokio::test]
async fn changing_the_password_ends_the_other_sessions() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let other = second_session(&app, &alice, "other").await;
    let mut ws = app.ws(&other).await;

    let change = |current: &str, new: &str| {
        app.post(
            "/api/v1/auth/password",
            &alice.token,
            json!({"current_password": current, "new_password": new}),
        )
    };
    let (status, body) = change("wrongpass1", "new-password-456").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(error_code(&body), ErrorCode::WrongPassword);
    let (status, body) = change(PASSWORD, "short").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_code(&body), ErrorCode::Validation);
    ws.sync().await;

    let (status, body) = change(PASSWORD, "new-password-456").await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    expect_revoked_close(&mut ws).await;
    assert_eq!(
        app.get("/api/v1/users/me", &other.token).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.get("/api/v1/users/me", &alice.token).await.0,
        StatusCode::OK,
        "this session stays"
    );
    assert_eq!(refresh_status(&app, &alice.refresh).await, StatusCode::OK);
    assert_eq!(
        login(&app, "alice", PASSWORD, None).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        login(&app, "alice", "new-password-456", None).await.0,
        StatusCode::OK
    );
}

#[tokio::test]
async fn repeated_failed_logins_lock_the_account_with_retry_after() {
    // The per-IP limit is high in tests: only the per-account lock answers 429.
    let app = spawn_app_with(|c| c.limits.auth_rate_per_minute = 100_000).await;
    app.register("alice").await;
    app.register("bob").await;
    let attempt = |username: &str, password: &str| {
        app.http
            .post(app.url("/api/v1/auth/login"))
            .json(&json!({"username": username, "password": password}))
            .send()
    };
    for _ in 0..5 {
        let res = attempt("alice", "wrongpass1").await.unwrap();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    }
    // Locked: even the right password waits.
    let res = attempt("alice", PASSWORD).await.unwrap();
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = res.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    let body: Value = res.json().await.unwrap();
    assert_eq!(error_code(&body), ErrorCode::RateLimited);
    // Other accounts are not affected.
    assert_eq!(
        attempt("bob", PASSWORD).await.unwrap().status(),
        StatusCode::OK
    );
    // Unknown names lock the same way, so a lock tells nothing.
    for _ in 0..5 {
        assert_eq!(
            attempt("nobody", "wrongpass1").await.unwrap().status(),
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(
        attempt("nobody", "wrongpass1").await.unwrap().status(),
        StatusCode::TOO_MANY_REQUESTS
    );
}

#[tokio::test]
async fn deleting_the_account_keeps_messages_as_from_a_deleted_user() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let room = app
        .create_room(&bob, RoomKind::Group, "team", &[&alice])
        .await
        .id;
    let dm = app.create_room(&bob, RoomKind::Dm, "", &[&alice]).await.id;
    app.send(&alice, room, "hello from alice").await;
    let mut ws = app.ws(&alice).await;
    let mut bob_ws = app.ws(&bob).await;

    let delete_me = |password: &str| {
        app.request(
            Method::DELETE,
            "/api/v1/users/me",
            Some(&alice.token),
            Some(json!({"password": password})),
        )
    };
    let (status, body) = delete_me("wrongpass1").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(error_code(&body), ErrorCode::WrongPassword);
    let (status, body) = delete_me(PASSWORD).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    expect_revoked_close(&mut ws).await;
    // The account leaves its groups and channels, live for the others, but
    // stays in its DMs.
    expect_event!(bob_ws,
        ServerEvent::MemberLeft(e) if e.room_id == room && e.user_id == alice.id);
    let member_ids =
        |members: Vec<Member>| -> Vec<UserId> { members.iter().map(|m| m.user.id).collect() };
    assert_eq!(member_ids(app.members(&bob, room).await), [bob.id]);
    let in_dm = member_ids(app.members(&bob, dm).await);
    assert!(in_dm.contains(&alice.id), "{in_dm:?}");
    assert_eq!(
        app.get("/api/v1/users/me", &alice.token).await.0,
        StatusCode::UNAUTHORIZED
    );
    let (status, body) = login(&app, "alice", PASSWORD, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(error_code(&body), ErrorCode::InvalidCredentials);

    let (_, page) = app
        .get(&format!("/api/v1/rooms/{room}/messages"), &bob.token)
        .await;
    let message = page["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["body"] == "hello from alice")
        .expect("the message stays")
        .clone();
    assert_eq!(message["sender"]["display_name"], "deleted user");
    assert_eq!(message["sender"]["id"], alice.id.to_string());
    let (_, profile) = app
        .get(&format!("/api/v1/users/{}", alice.id), &bob.token)
        .await;
    assert_eq!(profile["display_name"], "deleted user");
    let (_, found) = app.get("/api/v1/users?q=ali", &bob.token).await;
    assert_eq!(found, json!([]), "deleted users are not found");
    // The username stays reserved.
    let (status, _) = app
        .request(
            Method::POST,
            "/api/v1/auth/register",
            None,
            Some(json!({"username": "alice", "password": PASSWORD})),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
}

#[tokio::test]
async fn server_admins_deactivate_and_reactivate_accounts() {
    let app = spawn_app().await;
    let admin = app.register("admin").await;
    let bob = app.register("bob").await;
    let carol = app.register("carol").await;
    let room = app
        .create_room(&admin, RoomKind::Group, "team", &[&bob])
        .await
        .id;
    app.send(&bob, room, "bob was here").await;
    let mut ws = app.ws(&bob).await;

    let (status, _) = deactivate(&app, &carol, bob.id).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "only server admins");
    let (status, _) = deactivate(&app, &admin, admin.id).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "not oneself");
    let (status, _) = deactivate(&app, &admin, UserId::new()).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let (status, body) = deactivate(&app, &admin, bob.id).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    expect_revoked_close(&mut ws).await;
    assert_eq!(
        app.get("/api/v1/users/me", &bob.token).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        refresh_status(&app, &bob.refresh).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        login(&app, "bob", PASSWORD, None).await.0,
        StatusCode::UNAUTHORIZED
    );
    let (_, page) = app
        .get(&format!("/api/v1/rooms/{room}/messages"), &admin.token)
        .await;
    assert_eq!(
        page["messages"][0]["sender"]["display_name"],
        "deleted user"
    );

    let (status, _) = app
        .post(
            &format!("/api/v1/admin/users/{}/reactivate", bob.id),
            &admin.token,
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(login(&app, "bob", PASSWORD, None).await.0, StatusCode::OK);
}

#[tokio::test]
async fn the_openapi_document_lists_the_account_security_endpoints() {
    let app = spawn_app().await;
    let doc: Value = app
        .http
        .get(app.url("/api/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for path in [
        "/api/v1/auth/password",
        "/api/v1/auth/password-reset/request",
        "/api/v1/auth/password-reset/confirm",
        "/api/v1/auth/verify-email/request",
        "/api/v1/auth/verify-email/confirm",
        "/api/v1/auth/totp/setup",
        "/api/v1/auth/totp/enable",
        "/api/v1/auth/totp/disable",
        "/api/v1/sessions",
        "/api/v1/sessions/{id}",
        "/api/v1/sessions/revoke-others",
        "/api/v1/admin/users/{id}/deactivate",
        "/api/v1/users/me",
    ] {
        assert!(doc["paths"][path].is_object(), "{path} missing");
    }
    assert!(doc["paths"]["/api/v1/users/me"]["delete"].is_object());
    for schema in [
        "TotpSetup",
        "RecoveryCodes",
        "SessionInfo",
        "RevokedCount",
        "PasswordResetConfirm",
    ] {
        assert!(
            doc["components"]["schemas"][schema].is_object(),
            "{schema} missing"
        );
    }
}

#[tokio::test]
async fn the_server_info_tells_clients_whether_mail_is_sent() {
    let app = spawn_app().await;
    let (status, body) = app.request(Method::GET, "/api/v1/server", None, None).await;
    assert_eq!(status, StatusCode::OK, "public: {body}");
    assert_eq!(body["email"], json!(false));
    assert_eq!(body["registration"], json!("open"));
    assert_eq!(body["max_message_chars"], json!(4000));

    let sink = SmtpSink::start().await;
    let app = spawn_app_with(|c| *c.smtp = Some(sink.settings())).await;
    let (_, body) = app.request(Method::GET, "/api/v1/server", None, None).await;
    assert_eq!(body["email"], json!(true));
}
