//! Accounts: registration, login, token refresh and logout, profiles,
//! registration modes and the operations endpoints.

use crate::helpers::*;
use hearth_protocol::dto::{
    AuthResponse, LoginRequest, RefreshRequest, RegisterRequest, UpdateProfileRequest,
};
use reqwest::{Method, StatusCode};
use serde_json::json;

fn register_request(username: &str) -> RegisterRequest {
    RegisterRequest {
        username: username.to_string(),
        password: "password123".to_string(),
        display_name: None,
        email: None,
        invite_code: None,
    }
}

/// `POST path` without a token, which must answer `want` with a `T`.
async fn post_anonymous<T: serde::de::DeserializeOwned>(
    app: &TestApp,
    path: &str,
    body: &impl serde::Serialize,
    want: StatusCode,
) -> T {
    app.call(Method::POST, path, None, Some(body), want).await
}

#[tokio::test]
async fn register_returns_tokens_and_the_first_user_is_admin() {
    let app = spawn_app().await;
    let request = RegisterRequest {
        display_name: Some("Alice A".to_string()),
        email: Some("Alice@Example.org".to_string()),
        ..register_request("Alice")
    };
    let auth: AuthResponse =
        post_anonymous(&app, "/api/v1/auth/register", &request, StatusCode::CREATED).await;
    assert_eq!(auth.user.username, "alice");
    assert_eq!(auth.user.display_name, "Alice A");
    assert_eq!(auth.user.email.as_deref(), Some("alice@example.org"));
    assert!(auth.user.is_admin);
    assert_eq!(auth.expires_in, 900);
    let bob = app.register("bob").await;
    let me: User = app.get_ok("/api/v1/users/me", &bob.token).await;
    assert!(!me.is_admin);
}

#[tokio::test]
async fn registration_rejects_bad_and_duplicate_input() {
    let app = spawn_app().await;
    app.register("alice").await;
    let cases = [
        (
            json!({"username": "al", "password": "password123"}),
            StatusCode::BAD_REQUEST,
            ErrorCode::Validation,
        ),
        (
            json!({"username": "bad name", "password": "password123"}),
            StatusCode::BAD_REQUEST,
            ErrorCode::Validation,
        ),
        (
            json!({"username": "carol", "password": "short"}),
            StatusCode::BAD_REQUEST,
            ErrorCode::Validation,
        ),
        (
            json!({"username": "ALICE", "password": "password123"}),
            StatusCode::CONFLICT,
            ErrorCode::Conflict,
        ),
        (
            json!({"username": "carol", "password": 12345678}),
            StatusCode::BAD_REQUEST,
            ErrorCode::Validation,
        ),
        (
            json!({"username": "carol"}),
            StatusCode::BAD_REQUEST,
            ErrorCode::Validation,
        ),
        (
            json!({"username": "carol", "password": "password123", "email": "nope"}),
            StatusCode::BAD_REQUEST,
            ErrorCode::Validation,
        ),
        (
            json!({"username": "carol", "password": "password123", "extra": 1}),
            StatusCode::BAD_REQUEST,
            ErrorCode::Validation,
        ),
    ];
    for (body, status, code) in cases {
        let (s, b) = app
            .request(
                Method::POST,
                "/api/v1/auth/register",
                None,
                Some(body.clone()),
            )
            .await;
        assert_eq!(s, status, "{body} → {b}");
        assert_eq!(error_code(&b), code, "{body} → {b}");
    }
    // Malformed JSON is its own code.
    let res = app
        .http
        .post(app.url("/api/v1/auth/register"))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let b: serde_json::Value = res.json().await.unwrap();
    assert_eq!(error_code(&b), ErrorCode::InvalidBody);
}

#[tokio::test]
async fn duplicate_email_is_a_conflict() {
    let app = spawn_app().await;
    let body = |u: &str| RegisterRequest {
        email: Some("same@example.org".to_string()),
        ..register_request(u)
    };
    let _: AuthResponse = post_anonymous(
        &app,
        "/api/v1/auth/register",
        &body("one"),
        StatusCode::CREATED,
    )
    .await;
    let b: serde_json::Value = post_anonymous(
        &app,
        "/api/v1/auth/register",
        &body("two"),
        StatusCode::CONFLICT,
    )
    .await;
    assert_eq!(error_code(&b), ErrorCode::Conflict);
}

#[tokio::test]
async fn login_by_username_or_email_and_wrong_password() {
    let app = spawn_app().await;
    let request = RegisterRequest {
        email: Some("a@example.org".to_string()),
        ..register_request("alice")
    };
    let registered: AuthResponse =
        post_anonymous(&app, "/api/v1/auth/register", &request, StatusCode::CREATED).await;
    let login = |username: &str, password: &str| LoginRequest {
        username: username.to_string(),
        password: password.to_string(),
        totp: None,
    };
    for name in ["alice", "ALICE", "a@example.org"] {
        let auth: AuthResponse = post_anonymous(
            &app,
            "/api/v1/auth/login",
            &login(name, "password123"),
            StatusCode::OK,
        )
        .await;
        assert_eq!(auth.user.id, registered.user.id, "{name}");
        assert!(!auth.access_token.is_empty());
    }
    for (name, pw) in [("alice", "wrongpass1"), ("nobody", "password123")] {
        let b: serde_json::Value = post_anonymous(
            &app,
            "/api/v1/auth/login",
            &login(name, pw),
            StatusCode::UNAUTHORIZED,
        )
        .await;
        assert_eq!(error_code(&b), ErrorCode::InvalidCredentials);
    }
}

#[tokio::test]
async fn refresh_rotates_and_reuse_revokes_the_whole_login() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let refresh = |t: &str| {
        let body = serde_json::to_value(RefreshRequest {
            refresh_token: t.to_string(),
        })
        .unwrap();
        app.request(Method::POST, "/api/v1/auth/refresh", None, Some(body))
    };
    let (s, first) = refresh(&alice.refresh).await;
    assert_eq!(s, StatusCode::OK, "{first}");
    let first: AuthResponse = decode(first);
    let second_refresh = first.refresh_token;
    let new_access = first.access_token;
    assert_ne!(second_refresh, alice.refresh);
    // The old token is spent: presenting it again is theft, so the login ends.
    let (s, b) = refresh(&alice.refresh).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert_eq!(error_code(&b), ErrorCode::InvalidRefreshToken);
    let (s, _) = refresh(&second_refresh).await;
    assert_eq!(
        s,
        StatusCode::UNAUTHORIZED,
        "the rotated token died with its login"
    );
    let (s, _) = app.get("/api/v1/users/me", &new_access).await;
    assert_eq!(
        s,
        StatusCode::UNAUTHORIZED,
        "access tokens of a revoked login stop at once"
    );
}

#[tokio::test]
async fn logout_ends_the_session() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let (s, _) = app
        .request(
            Method::POST,
            "/api/v1/auth/logout",
            None,
            Some(json!({"refresh_token": alice.refresh})),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = app.get("/api/v1/users/me", &alice.token).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, _) = app
        .request(
            Method::POST,
            "/api/v1/auth/refresh",
            None,
            Some(json!({"refresh_token": alice.refresh})),
        )
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn bad_and_expired_tokens_are_401() {
    let app = spawn_app_with(|c| c.auth.access_token_ttl = std::time::Duration::from_secs(0)).await;
    let alice = app.register("alice").await;
    // A zero lifetime token is expired at once (no leeway).
    let (s, b) = app.get("/api/v1/users/me", &alice.token).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "{b}");
    assert_eq!(error_code(&b), ErrorCode::Unauthorized);
    let (s, _) = app.get("/api/v1/users/me", "garbage").await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, _) = app
        .request(Method::GET, "/api/v1/users/me", None, None)
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn profile_edit_and_user_lookup() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bobby").await;
    let me: User = app
        .patch_ok(
            "/api/v1/users/me",
            &alice.token,
            &UpdateProfileRequest {
                display_name: Some("Alice Liddell".to_string()),
                bio: Some("down the hole".to_string()),
                status_text: Some("busy".to_string()),
                ..UpdateProfileRequest::default()
            },
        )
        .await;
    assert_eq!(me.display_name, "Alice Liddell");
    assert_eq!(me.bio, "down the hole");
    assert_eq!(me.status_text, "busy");
    let (s, b) = app
        .patch(
            "/api/v1/users/me",
            &alice.token,
            json!({"display_name": ""}),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{b}");
    let (s, b) = app
        .patch(
            "/api/v1/users/me",
            &alice.token,
            json!({"bio": "x".repeat(501)}),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{b}");
    let found: Vec<UserSummary> = app.get_ok("/api/v1/users?q=ali", &bob.token).await;
    let names: Vec<&str> = found.iter().map(|u| u.display_name.as_str()).collect();
    assert_eq!(names, ["Alice Liddell"]);
    let (s, one) = app
        .get(&format!("/api/v1/users/{}", alice.id), &bob.token)
        .await;
    assert_eq!(s, StatusCode::OK);
    // Absent on the wire, not null: the raw body is what is checked.
    assert!(one.get("email").is_none(), "others never see e-mail");
    assert_eq!(decode::<User>(one).id, alice.id);
    let (s, _) = app.get("/api/v1/users/not-a-uuid", &bob.token).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, _) = app
        .get(
            "/api/v1/users/01900000-0000-7000-8000-000000000000",
            &bob.token,
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_time_zone_is_kept_shown_to_others_and_checked() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bobby").await;
    let me: User = app.get_ok("/api/v1/users/me", &alice.token).await;
    assert_eq!(me.time_zone, "", "not given until set");
    let me: User = app
        .patch_ok(
            "/api/v1/users/me",
            &alice.token,
            &UpdateProfileRequest {
                time_zone: Some("Europe/Berlin".to_string()),
                ..UpdateProfileRequest::default()
            },
        )
        .await;
    assert_eq!(me.time_zone, "Europe/Berlin");
    let seen: User = app
        .get_ok(&format!("/api/v1/users/{}", alice.id), &bob.token)
        .await;
    assert_eq!(seen.time_zone, "Europe/Berlin");
    let (s, b) = app
        .patch(
            "/api/v1/users/me",
            &alice.token,
            json!({"time_zone": "Mars Base"}),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{b}");
    assert_eq!(b["error"]["code"], "validation", "{b}");
    let me: User = app
        .patch_ok(
            "/api/v1/users/me",
            &alice.token,
            &UpdateProfileRequest {
                time_zone: Some(String::new()),
                ..UpdateProfileRequest::default()
            },
        )
        .await;
    assert_eq!(me.time_zone, "", "empty clears it");
}

#[tokio::test]
async fn closed_and_invite_only_registration() {
    let app =
        spawn_app_with(|c| c.auth.registration = hearth_server::config::Registration::Closed).await;
    let (s, b) = app
        .request(
            Method::POST,
            "/api/v1/auth/register",
            None,
            Some(json!({"username": "alice", "password": "password123"})),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert_eq!(error_code(&b), ErrorCode::RegistrationClosed);

    let app = spawn_app_with(|c| {
        c.auth.registration = hearth_server::config::Registration::Invite;
        c.auth.invite_code = Some("letmein".into());
    })
    .await;
    let (s, _) = app
        .request(
            Method::POST,
            "/api/v1/auth/register",
            None,
            Some(json!({"username": "alice", "password": "password123", "invite_code": "nope"})),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = app
        .request(
            Method::POST,
            "/api/v1/auth/register",
            None,
            Some(json!({"username": "alice", "password": "password123", "invite_code": "letmein"})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
}

#[tokio::test]
async fn operations_endpoints_answer() {
    let app = spawn_app().await;
    let res = app.http.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let res = app.http.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let res = app
        .http
        .get(app.url("/api/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let doc: serde_json::Value = res.json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    assert!(doc["paths"]["/api/v1/rooms/{id}/messages"]["post"].is_object());
    let res = app.http.get(app.url("/api/docs")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("script-src 'self'")
    );
    let (s, b) = app.get("/api/v1/nope", "x").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_eq!(error_code(&b), ErrorCode::NotFound);
}
