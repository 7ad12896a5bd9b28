//! The connection itself: auth, malformed frames, limits, close codes.

use crate::helpers::*;
use futures_util::SinkExt;
use serde_json::json;
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::Message as WsMessage;

#[tokio::test]
async fn ready_describes_the_user_their_rooms_and_the_heartbeat() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let room = app.create_room(&alice, "group", "team", &[&bob]).await;
    let m1 = app.send(&bob, &room, "one").await;
    let m2 = app.send(&bob, &room, "two @alice").await;
    let ws = app.ws(&alice).await;

    let ready = &ws.ready;
    assert_eq!(ready["user"]["id"], alice.id.as_str());
    assert_eq!(ready["user"]["username"], "alice");
    assert!(ready["session_id"].is_string());
    assert_eq!(ready["heartbeat_interval"], 30);
    assert!(ready["presence"].is_array());
    let pos = super::position(ready, &room);
    assert_eq!(pos["last_seq"], m2["seq"]);
    assert!(m1["seq"].as_i64() < m2["seq"].as_i64());
    assert_eq!(pos["read_seq"], 0);
    assert_eq!(pos["unread"], 2);
    assert_eq!(pos["mention_count"], 1);
}

#[tokio::test]
async fn no_auth_frame_in_time_closes_with_4001() {
    let app = spawn_app_with(|c| c.gateway_auth_timeout = Duration::from_millis(300)).await;
    let started = Instant::now();
    let mut ws = app.ws_raw().await;
    assert_eq!(ws.expect_close().await, Ended::Closed(Some(4001)));
    assert!(started.elapsed() >= Duration::from_millis(300));
}

#[tokio::test]
async fn a_bad_token_closes_with_4001() {
    let app = spawn_app().await;
    let mut ws = app.ws_raw().await;
    ws.send_json(json!({"op": "auth", "token": "not-a-token"}))
        .await;
    assert_eq!(ws.expect_close().await, Ended::Closed(Some(4001)));
}

#[tokio::test]
async fn a_first_frame_that_is_not_auth_closes_with_4001() {
    let app = spawn_app().await;
    let mut ws = app.ws_raw().await;
    ws.send_json(json!({"op": "ping"})).await;
    assert_eq!(ws.expect_close().await, Ended::Closed(Some(4001)));
}

#[tokio::test]
async fn a_token_of_a_signed_out_session_closes_with_4001_and_signing_out_closes_with_4003() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let mut ws = app.ws(&alice).await;

    let (status, body) = app
        .request(
            reqwest::Method::POST,
            "/api/v1/auth/logout",
            None,
            Some(json!({"refresh_token": alice.refresh})),
        )
        .await;
    assert!(status.is_success(), "{status} {body}");
    assert_eq!(ws.expect_close().await, Ended::Closed(Some(4003)));

    let mut again = app.ws_raw().await;
    again
        .send_json(json!({"op": "auth", "token": alice.token}))
        .await;
    assert_eq!(again.expect_close().await, Ended::Closed(Some(4001)));
}

#[tokio::test]
async fn a_frame_over_64_kib_closes_with_1009() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let mut ws = app.ws(&alice).await;
    let body = "x".repeat(70 * 1024);
    ws.send_json(json!({"op": "ping", "pad": body})).await;
    assert_eq!(ws.expect_close().await, Ended::Closed(Some(1009)));
}

#[tokio::test]
async fn invalid_json_is_an_invalid_body_error_and_the_connection_stays_open() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let mut ws = app.ws(&alice).await;

    ws.send_text("{not json").await;
    let err = ws.expect_event("error", |_| true).await;
    assert_eq!(err["code"], "invalid_body");
    assert!(err["message"].is_string());

    ws.send_text(r#"{"no_op": 1}"#).await;
    let err = ws.expect_event("error", |_| true).await;
    assert_eq!(err["code"], "invalid_body");

    ws.stream
        .send(WsMessage::Binary(vec![1u8, 2, 3].into()))
        .await
        .unwrap();
    let err = ws.expect_event("error", |_| true).await;
    assert_eq!(err["code"], "invalid_body");

    ws.sync().await;
}

#[tokio::test]
async fn an_unknown_op_is_an_unknown_op_error() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let mut ws = app.ws(&alice).await;
    ws.send_json(json!({"op": "dance"})).await;
    let err = ws.expect_event("error", |_| true).await;
    assert_eq!(err["code"], "unknown_op");
    ws.sync().await;
}

#[tokio::test]
async fn a_bad_field_is_a_validation_error() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let mut ws = app.ws(&alice).await;

    ws.send_json(json!({"op": "read", "room_id": "not-a-uuid", "seq": 1}))
        .await;
    let err = ws.expect_event("error", |_| true).await;
    assert_eq!(err["code"], "validation");

    ws.send_json(json!({"op": "typing"})).await;
    let err = ws.expect_event("error", |_| true).await;
    assert_eq!(err["code"], "validation");

    ws.send_json(json!({"op": "ping", "surprise": true})).await;
    let err = ws.expect_event("error", |_| true).await;
    assert_eq!(err["code"], "validation");

    // A malformed send still names its nonce, so the client can match it.
    ws.send_json(json!({"op": "send", "room_id": 42, "nonce": "n-bad", "body": "x"}))
        .await;
    let err = ws.expect_event("error", |_| true).await;
    assert_eq!(err["code"], "validation");
    assert_eq!(err["nonce"], "n-bad");

    ws.send_json(json!({"op": "auth", "token": alice.token}))
        .await;
    let err = ws.expect_event("error", |_| true).await;
    assert_eq!(err["code"], "invalid_body");
    ws.sync().await;
}

#[tokio::test]
async fn ping_answers_pong_with_the_same_n() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let mut ws = app.ws(&alice).await;
    ws.send_json(json!({"op": "ping", "n": 7})).await;
    let pong = ws.expect_event("pong", |_| true).await;
    assert_eq!(pong, json!({"n": 7}));
    ws.send_json(json!({"op": "ping"})).await;
    let pong = ws.expect_event("pong", |_| true).await;
    assert_eq!(pong, json!({}));
}

#[tokio::test]
async fn an_op_flood_is_rate_limited_then_closed_with_4029() {
    let app = spawn_app_with(|c| c.gateway_ops_per_second = 5).await;
    let alice = app.register("alice").await;
    let mut ws = app.ws(&alice).await;
    for n in 0..100u64 {
        let frame = json!({"op": "ping", "n": n}).to_string();
        // The server may close mid-flood; later sends may fail.
        if ws.stream.send(WsMessage::Text(frame.into())).await.is_err() {
            break;
        }
    }
    let err = ws
        .expect_event("error", |d| d["code"] == "rate_limited")
        .await;
    assert!(err["message"].is_string());
    assert_eq!(ws.expect_close().await, Ended::Closed(Some(4029)));
    // The burst (2 s worth) went through before the limit hit.
    assert!(!ws.seen_named("pong").is_empty());
}

#[tokio::test]
async fn a_short_burst_over_the_rate_is_answered_but_not_disconnected() {
    let app = spawn_app_with(|c| c.gateway_ops_per_second = 5).await;
    let alice = app.register("alice").await;
    let mut ws = app.ws(&alice).await;
    for n in 0..15u64 {
        ws.send_json(json!({"op": "ping", "n": n})).await;
    }
    let err = ws
        .expect_event("error", |d| d["code"] == "rate_limited")
        .await;
    assert!(err["message"].is_string());
    // Still connected: the first ten (the burst) were answered.
    for n in 0..10u64 {
        ws.expect_event("pong", |d| d["n"] == n).await;
    }
}

#[tokio::test]
async fn shutting_down_closes_every_connection_with_1012() {
    let mut app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let mut a = app.ws(&alice).await;
    let mut b = app.ws(&bob).await;
    let mut b2 = app.ws(&bob).await;
    app.stop();
    for ws in [&mut a, &mut b, &mut b2] {
        assert_eq!(ws.expect_close().await, Ended::Closed(Some(1012)));
    }
}
