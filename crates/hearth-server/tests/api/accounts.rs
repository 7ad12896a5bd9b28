use crate::helpers::*;
use reqwest::{Method, StatusCode};
use serde_json::json;

#[tokio::test]
async fn register_returns_tokens_and_the_first_user_is_admin() {
    let app = spawn_app().await;
    let (status, body) = app
        .request(
            Method::POST,
            "/api/v1/auth/register",
            None,
            Some(json!({"username": "Alice", "password": "password123", "display_name": "Alice A", "email": "Alice@Example.org"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["user"]["username"], "alice");
    assert_eq!(body["user"]["display_name"], "Alice A");
    assert_eq!(body["user"]["email"], "alice@example.org");
    assert_eq!(body["user"]["is_admin"], true);
    assert_eq!(body["expires_in"], 900);
    let bob = app.register("bob").await;
    let (_, me) = app.get("/api/v1/users/me", &bob.token).await;
    assert_eq!(me["is_admin"], false);
}

#[tokio::test]
async fn registration_rejects_bad_and_duplicate_input() {
    let app = spawn_app().await;
    app.register("alice").await;
    let cases = [
        (
            json!({"username": "al", "password": "password123"}),
            StatusCode::BAD_REQUEST,
            "validation",
        ),
        (
            json!({"username": "bad name", "password": "password123"}),
            StatusCode::BAD_REQUEST,
            "validation",
        ),
        (
            json!({"username": "carol", "password": "short"}),
            StatusCode::BAD_REQUEST,
            "validation",
        ),
        (
            json!({"username": "ALICE", "password": "password123"}),
            StatusCode::CONFLICT,
            "conflict",
        ),
        (
            json!({"username": "carol", "password": 12345678}),
            StatusCode::BAD_REQUEST,
            "validation",
        ),
        (
            json!({"username": "carol"}),
            StatusCode::BAD_REQUEST,
            "validation",
        ),
        (
            json!({"username": "carol", "password": "password123", "email": "nope"}),
            StatusCode::BAD_REQUEST,
            "validation",
        ),
        (
            json!({"username": "carol", "password": "password123", "extra": 1}),
            StatusCode::BAD_REQUEST,
            "validation",
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
        assert_eq!(b["error"]["code"], code, "{body} → {b}");
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
    assert_eq!(b["error"]["code"], "invalid_body");
}

#[tokio::test]
async fn duplicate_email_is_a_conflict() {
    let app = spawn_app().await;
    let body =
        |u: &str| json!({"username": u, "password": "password123", "email": "same@example.org"});
    let (s, _) = app
        .request(
            Method::POST,
            "/api/v1/auth/register",
            None,
            Some(body("one")),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let (s, b) = app
        .request(
            Method::POST,
            "/api/v1/auth/register",
            None,
            Some(body("two")),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{b}");
}

#[tokio::test]
async fn login_by_username_or_email_and_wrong_password() {
    let app = spawn_app().await;
    app.request(
        Method::POST,
        "/api/v1/auth/register",
        None,
        Some(json!({"username": "alice", "password": "password123", "email": "a@example.org"})),
    )
    .await;
    for login in ["alice", "ALICE", "a@example.org"] {
        let (s, b) = app
            .request(
                Method::POST,
                "/api/v1/auth/login",
                None,
                Some(json!({"username": login, "password": "password123"})),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{login}: {b}");
        assert!(b["access_token"].is_string());
    }
    for (login, pw) in [("alice", "wrongpass1"), ("nobody", "password123")] {
        let (s, b) = app
            .request(
                Method::POST,
                "/api/v1/auth/login",
                None,
                Some(json!({"username": login, "password": pw})),
            )
            .await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
        assert_eq!(b["error"]["code"], "invalid_credentials");
    }
}

#[tokio::test]
async fn refresh_rotates_and_reuse_revokes_the_whole_login() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let refresh = |t: &str| {
        app.request(
            Method::POST,
            "/api/v1/auth/refresh",
            None,
            Some(json!({"refresh_token": t})),
        )
    };
    let (s, first) = refresh(&alice.refresh).await;
    assert_eq!(s, StatusCode::OK, "{first}");
    let second_refresh = first["refresh_token"].as_str().unwrap().to_string();
    let new_access = first["access_token"].as_str().unwrap().to_string();
    assert_ne!(second_refresh, alice.refresh);
    // The old token is spent: presenting it again is theft, so the login ends.
    let (s, b) = refresh(&alice.refresh).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert_eq!(b["error"]["code"], "invalid_refresh_token");
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
    let app = spawn_app_with(|c| c.access_token_ttl = std::time::Duration::from_secs(0)).await;
    let alice = app.register("alice").await;
    // A zero lifetime token is expired at once (no leeway).
    let (s, b) = app.get("/api/v1/users/me", &alice.token).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "{b}");
    assert_eq!(b["error"]["code"], "unauthorized");
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
    let (s, me) = app
        .patch(
            "/api/v1/users/me",
            &alice.token,
            json!({"display_name": "Alice Liddell", "bio": "down the hole", "status_text": "busy"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{me}");
    assert_eq!(me["display_name"], "Alice Liddell");
    assert_eq!(me["bio"], "down the hole");
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
    let (s, found) = app.get("/api/v1/users?q=ali", &bob.token).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(found.as_array().unwrap().len(), 1);
    assert_eq!(found[0]["display_name"], "Alice Liddell");
    let (s, one) = app
        .get(&format!("/api/v1/users/{}", alice.id), &bob.token)
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(one.get("email").is_none(), "others never see e-mail");
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
async fn closed_and_invite_only_registration() {
    let app =
        spawn_app_with(|c| c.registration = hearth_server::config::Registration::Closed).await;
    let (s, b) = app
        .request(
            Method::POST,
            "/api/v1/auth/register",
            None,
            Some(json!({"username": "alice", "password": "password123"})),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert_eq!(b["error"]["code"], "registration_closed");

    let app = spawn_app_with(|c| {
        c.registration = hearth_server::config::Registration::Invite;
        c.invite_code = Some("letmein".into());
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
    assert_eq!(b["error"]["code"], "not_found");
}
