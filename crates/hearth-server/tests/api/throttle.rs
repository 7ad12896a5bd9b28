//! Per-user budgets: writes, searches, gateway ops over all of a user's
//! sessions, gateway sessions per user, and the upload quota. Each test
//! sets its own small limit (the harness's defaults are generous) and moves
//! the limiters' clock by hand.

use crate::helpers::*;
use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};
use std::time::Duration;

/// The answer is a 429 `rate_limited` with a `Retry-After` of at least 1 s.
fn assert_limited(status: StatusCode, retry_after: Option<u64>, body: &Value) {
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert_eq!(error_code(body), ErrorCode::RateLimited);
    assert!(retry_after.is_some_and(|s| s >= 1), "{retry_after:?}");
}

/// A raw request answering its status, `Retry-After` and body.
async fn call(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> (StatusCode, Option<u64>, Value) {
    let mut req = app.http.request(method, app.url(path)).bearer_auth(token);
    if let Some(body) = body {
        req = req.json(&body);
    }
    let res = req.send().await.unwrap();
    let status = res.status();
    let retry_after = res
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok()?.parse().ok());
    let body = res.json().await.unwrap_or(Value::Null);
    (status, retry_after, body)
}

#[tokio::test]
async fn writes_of_every_kind_spend_one_per_user_budget_that_refills_with_time() {
    let app = spawn_app_with(|c| {
        c.limits.write_rate_per_minute = 3;
        c.internal.manual_limit_clock = true;
    })
    .await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let room = app
        .create_room(&bob, RoomKind::Channel, "general", &[&alice])
        .await
        .id;
    let hello = app.send(&bob, room, "hello").await;
    let reaction = format!("/api/v1/rooms/{room}/messages/{}/reactions/👍", hello.id);
    use reqwest::Method;

    // A reaction, its removal and a new room: three writes.
    for (method, path, body) in [
        (Method::PUT, reaction.as_str(), None),
        (Method::DELETE, reaction.as_str(), None),
        (
            Method::POST,
            "/api/v1/rooms",
            Some(json!({"kind": "group", "name": "side"})),
        ),
    ] {
        let (s, _, b) = call(&app, method, path, &alice.token, body).await;
        assert!(s.is_success(), "{s} {b}");
    }
    // The fourth, whatever it is, waits.
    let (s, retry, b) = call(&app, Method::PUT, &reaction, &alice.token, None).await;
    assert_limited(s, retry, &b);
    let (s, retry, b) = call(
        &app,
        Method::PATCH,
        "/api/v1/users/me",
        &alice.token,
        Some(json!({"display_name": "Alice"})),
    )
    .await;
    assert_limited(s, retry, &b);
    // Sends have their own budget; Bob has his own.
    app.send(&alice, room, "still talking").await;
    let (s, _, b) = call(&app, Method::PUT, &reaction, &bob.token, None).await;
    assert!(s.is_success(), "{s} {b}");

    // One write a 20 s.
    app.state
        .node
        .limits
        .clock()
        .advance(Duration::from_secs(20));
    let (s, _, b) = call(&app, Method::PUT, &reaction, &alice.token, None).await;
    assert!(s.is_success(), "{s} {b}");
    let (s, retry, b) = call(&app, Method::DELETE, &reaction, &alice.token, None).await;
    assert_limited(s, retry, &b);
}

#[tokio::test]
async fn searches_spend_a_per_user_budget() {
    let app = spawn_app_with(|c| c.limits.search_rate_per_minute = 2).await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    use reqwest::Method;
    for path in ["/api/v1/search?q=hello", "/api/v1/users?q=bo"] {
        let (s, _, b) = call(&app, Method::GET, path, &alice.token, None).await;
        assert_eq!(s, StatusCode::OK, "{path}: {b}");
    }
    let (s, retry, b) = call(
        &app,
        Method::GET,
        "/api/v1/channels?q=x",
        &alice.token,
        None,
    )
    .await;
    assert_limited(s, retry, &b);
    // Reading what is not a search is not limited; Bob has his own budget.
    let (s, _, _) = call(&app, Method::GET, "/api/v1/rooms", &alice.token, None).await;
    assert_eq!(s, StatusCode::OK);
    let (s, _, _) = call(&app, Method::GET, "/api/v1/search?q=x", &bob.token, None).await;
    assert_eq!(s, StatusCode::OK);
}

#[tokio::test]
async fn gateway_ops_are_counted_over_all_of_a_users_sessions() {
    let app = spawn_app_with(|c| {
        c.limits.gateway_ops_per_second = 1;
        c.internal.manual_limit_clock = true;
    })
    .await;
    let alice = app.register("alice").await;
    let mut laptop = app.ws(&alice).await;
    let mut phone = app.ws(&alice).await;
    // A burst of two ops for Alice, on whichever connection.
    laptop.send_op(ClientOp::Ping { n: Some(1) }).await;
    expect_event!(laptop, ServerEvent::Pong(p) if p.n == Some(1));
    phone.send_op(ClientOp::Ping { n: Some(2) }).await;
    expect_event!(phone, ServerEvent::Pong(p) if p.n == Some(2));
    laptop.send_op(ClientOp::Ping { n: Some(3) }).await;
    expect_event!(laptop, ServerEvent::Error(e) if e.code == ErrorCode::RateLimited);
    app.state
        .node
        .limits
        .clock()
        .advance(Duration::from_secs(1));
    phone.send_op(ClientOp::Ping { n: Some(4) }).await;
    expect_event!(phone, ServerEvent::Pong(p) if p.n == Some(4));
}

#[tokio::test]
async fn a_user_holds_at_most_so_many_gateway_sessions() {
    let app = spawn_app_with(|c| c.limits.max_sessions_per_user = 2).await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let _laptop = app.ws(&alice).await;
    let phone = app.ws(&alice).await;
    let mut third = app.ws_raw().await;
    third
        .send_op(ClientOp::Auth {
            token: alice.token.clone(),
        })
        .await;
    assert!(matches!(
        third.expect_close().await,
        Ended::Closed(Some(4029))
    ));
    // Others are not affected; a closed session frees its place.
    let _bob = app.ws(&bob).await;
    drop(phone);
    eventually("the phone's session ends", || async {
        app.state.node.hub.session_count(alice.id) < 2
    })
    .await;
    let _tablet = app.ws(&alice).await;
}

async fn upload(app: &TestApp, user: &TestUser, bytes: Vec<u8>) -> (StatusCode, Value) {
    let part = Part::bytes(bytes).file_name("notes.txt");
    let res = app
        .http
        .post(app.url("/api/v1/uploads"))
        .bearer_auth(&user.token)
        .multipart(Form::new().part("file", part))
        .send()
        .await
        .unwrap();
    (res.status(), res.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn uploads_stop_at_the_users_quota() {
    let app = spawn_app_with(|c| c.limits.upload_quota_bytes = 100).await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let (s, b) = upload(&app, &alice, vec![b'a'; 60]).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let (s, b) = upload(&app, &alice, vec![b'b'; 60]).await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE, "{b}");
    assert_eq!(error_code(&b), ErrorCode::PayloadTooLarge);
    let (s, b) = upload(&app, &alice, vec![b'c'; 40]).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    // Full: refused before the body is read.
    let (s, _) = upload(&app, &alice, vec![b'd'; 1]).await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE);
    let (s, b) = upload(&app, &bob, vec![b'e'; 60]).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
}
