use crate::helpers::*;
use reqwest::{Method, StatusCode};
use serde_json::json;

#[tokio::test]
async fn login_is_rate_limited_per_ip_with_retry_after() {
    let app = spawn_app_with(|c| c.limits.auth_rate_per_minute = 3).await;
    let mut last = None;
    for _ in 0..4 {
        let res = app
            .http
            .post(app.url("/api/v1/auth/login"))
            .json(&json!({"username": "nobody", "password": "password123"}))
            .send()
            .await
            .unwrap();
        last = Some(res);
    }
    let res = last.unwrap();
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = res.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry >= 1);
    let b: serde_json::Value = res.json().await.unwrap();
    assert_eq!(error_code(&b), ErrorCode::RateLimited);
}

#[tokio::test]
async fn sends_are_rate_limited_per_user_but_resends_of_stored_nonces_pass() {
    let app = spawn_app_with(|c| {
        c.limits.send_rate_per_second = 1;
        c.limits.send_burst = 3;
    })
    .await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let room = app
        .create_room(&alice, RoomKind::Channel, "general", &[&bob])
        .await
        .id;
    let path = format!("/api/v1/rooms/{room}/messages");
    for i in 0..3 {
        let (s, _) = app
            .post(
                &path,
                &alice.token,
                json!({"body": "hi", "nonce": format!("a{i}")}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED);
    }
    let (s, b) = app
        .post(&path, &alice.token, json!({"body": "hi", "nonce": "a3"}))
        .await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS, "{b}");
    // A retry of a stored message is answered, not limited.
    let (s, _) = app
        .post(&path, &alice.token, json!({"body": "hi", "nonce": "a0"}))
        .await;
    assert_eq!(s, StatusCode::OK);
    // Bob has his own budget.
    let (s, _) = app.post(&path, &bob.token, json!({"body": "hi"})).await;
    assert_eq!(s, StatusCode::CREATED);
}

#[tokio::test]
async fn bad_input_never_yields_a_server_error() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let room = app
        .create_room(&alice, RoomKind::Channel, "general", &[])
        .await
        .id;
    let msg = app.send(&alice, room, "hi").await;
    let mid = msg.id;
    let bodies = [
        "",
        "null",
        "[]",
        "\"str\"",
        "{\"body\":null}",
        "{\"body\":[1]}",
        "{\"seq\":\"x\"}",
        "{\"kind\":1}",
        "{\"role\":\"god\"}",
        "{\"user_ids\":\"x\"}",
        "{\"body\":\"\\u0000\"}",
        "{\"avatar\":\"not-a-uuid\"}",
        "{\"members\":[null]}",
        "{\"body\":\"x\",\"reply_to\":\"nope\"}",
    ];
    let paths = [
        (Method::POST, "/api/v1/auth/register".to_string()),
        (Method::POST, "/api/v1/auth/login".to_string()),
        (Method::POST, "/api/v1/auth/refresh".to_string()),
        (Method::POST, "/api/v1/rooms".to_string()),
        (Method::PATCH, format!("/api/v1/rooms/{room}")),
        (Method::PATCH, "/api/v1/users/me".to_string()),
        (Method::POST, format!("/api/v1/rooms/{room}/messages")),
        (
            Method::PATCH,
            format!("/api/v1/rooms/{room}/messages/{mid}"),
        ),
        (Method::POST, format!("/api/v1/rooms/{room}/read")),
        (Method::POST, format!("/api/v1/rooms/{room}/members")),
        (
            Method::PATCH,
            format!("/api/v1/rooms/{room}/members/{}", alice.id),
        ),
    ];
    for (method, path) in &paths {
        for body in bodies {
            let res = app
                .http
                .request(method.clone(), app.url(path))
                .bearer_auth(&alice.token)
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await
                .unwrap();
            let status = res.status();
            let text = res.text().await.unwrap();
            assert!(
                status.is_client_error() || status.is_success(),
                "{method} {path} {body:?} → {status} {text}"
            );
            if status.is_client_error() {
                let v: serde_json::Value = serde_json::from_str(&text)
                    .unwrap_or_else(|_| panic!("{method} {path}: not JSON: {text}"));
                assert!(v["error"]["code"].is_string(), "{text}");
            }
        }
    }
    for path in [
        "/api/v1/rooms/xyz",
        "/api/v1/rooms/xyz/messages",
        "/api/v1/users/%00",
        "/api/v1/rooms/{room}/messages/zz/reactions/%F0",
    ] {
        let (s, _) = app.get(path, &alice.token).await;
        assert!(s.is_client_error(), "{path} → {s}");
    }
}
