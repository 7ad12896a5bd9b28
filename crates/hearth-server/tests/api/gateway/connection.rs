//! The connection itself: auth, malformed frames, limits, close codes.

use crate::helpers::*;
use futures_util::SinkExt;
use serde_json::json;
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message as WsMessage;

#[tokio::test]
async fn ready_describes_the_user_their_rooms_and_the_heartbeat() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let room = app
        .create_room(&alice, RoomKind::Group, "team", &[&bob])
        .await
        .id;
    let m1 = app.send(&bob, room, "one").await;
    let m2 = app.send(&bob, room, "two @alice").await;
    let ws = app.ws(&alice).await;

    let ready = ws.ready();
    assert_eq!(ready.user.id, alice.id);
    assert_eq!(ready.user.username, "alice");
    assert_eq!(ready.heartbeat_interval, 30);
    assert!(ready.presence.is_empty(), "{:?}", ready.presence);
    let pos = ws.position(room);
    assert_eq!(pos.last_seq, m2.seq);
    assert!(m1.seq < m2.seq);
    assert_eq!(pos.read_seq, 0);
    assert_eq!(pos.unread, 2);
    assert_eq!(pos.mention_count, 1);
}

/// The auth deadline is a tokio timer in the session task: with the clock
/// paused it runs out as soon as the runtime has nothing else to do, at
/// exactly the configured time, however long the real wait would be. (5 s:
/// under the harness's own 10 s timeouts, which run on the same clock.)
#[tokio::test]
async fn no_auth_frame_in_time_closes_with_4001() {
    let app = spawn_app_with(|c| c.limits.gateway_auth_timeout = Duration::from_secs(5)).await;
    tokio::time::pause();
    let started = tokio::time::Instant::now();
    let mut ws = app.ws_raw().await;
    let connected = started.elapsed();
    assert_eq!(ws.expect_close().await, Ended::Closed(Some(4001)));
    let closed = started.elapsed();
    assert!(
        closed >= connected + Duration::from_secs(5),
        "closed {closed:?} after starting, connected after {connected:?}"
    );
}

#[tokio::test]
async fn a_bad_token_closes_with_4001() {
    let app = spawn_app().await;
    let mut ws = app.ws_raw().await;
    ws.send_op(ClientOp::Auth {
        token: "not-a-token".to_string(),
    })
    .await;
    assert_eq!(ws.expect_close().await, Ended::Closed(Some(4001)));
}

#[tokio::test]
async fn a_first_frame_that_is_not_auth_closes_with_4001() {
    let app = spawn_app().await;
    let mut ws = app.ws_raw().await;
    ws.send_op(ClientOp::Ping { n: None }).await;
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
        .send_op(ClientOp::Auth {
            token: alice.token.clone(),
        })
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
    let err = expect_event!(ws, ServerEvent::Error(e) => e.clone());
    assert_eq!(err.code, ErrorCode::InvalidBody);
    assert!(!err.message.is_empty());

    ws.send_text(r#"{"no_op": 1}"#).await;
    let err = expect_event!(ws, ServerEvent::Error(e) => e.clone());
    assert_eq!(err.code, ErrorCode::InvalidBody);

    ws.stream
        .send(WsMessage::Binary(vec![1u8, 2, 3].into()))
        .await
        .unwrap();
    let err = expect_event!(ws, ServerEvent::Error(e) => e.clone());
    assert_eq!(err.code, ErrorCode::InvalidBody);

    ws.sync().await;
}

#[tokio::test]
async fn an_unknown_op_is_an_unknown_op_error() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let mut ws = app.ws(&alice).await;
    ws.send_json(json!({"op": "dance"})).await;
    let err = expect_event!(ws, ServerEvent::Error(e) => e.clone());
    assert_eq!(err.code, ErrorCode::UnknownOp);
    ws.sync().await;
}

#[tokio::test]
async fn a_bad_field_is_a_validation_error() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let mut ws = app.ws(&alice).await;

    ws.send_json(json!({"op": "read", "room_id": "not-a-uuid", "seq": 1}))
        .await;
    let err = expect_event!(ws, ServerEvent::Error(e) => e.clone());
    assert_eq!(err.code, ErrorCode::Validation);

    ws.send_json(json!({"op": "typing"})).await;
    let err = expect_event!(ws, ServerEvent::Error(e) => e.clone());
    assert_eq!(err.code, ErrorCode::Validation);

    ws.send_json(json!({"op": "ping", "surprise": true})).await;
    let err = expect_event!(ws, ServerEvent::Error(e) => e.clone());
    assert_eq!(err.code, ErrorCode::Validation);

    // A malformed send still names its nonce, so the client can match it.
    ws.send_json(json!({"op": "send", "room_id": 42, "nonce": "n-bad", "body": "x"}))
        .await;
    let err = expect_event!(ws, ServerEvent::Error(e) => e.clone());
    assert_eq!(err.code, ErrorCode::Validation);
    assert_eq!(err.nonce.as_deref(), Some("n-bad"));

    ws.send_op(ClientOp::Auth {
        token: alice.token.clone(),
    })
    .await;
    let err = expect_event!(ws, ServerEvent::Error(e) => e.clone());
    assert_eq!(err.code, ErrorCode::InvalidBody);
    ws.sync().await;
}

#[tokio::test]
async fn ping_answers_pong_with_the_same_n() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let mut ws = app.ws(&alice).await;
    ws.send_op(ClientOp::Ping { n: Some(7) }).await;
    let pong = expect_event!(ws, ServerEvent::Pong(p) => p.n);
    assert_eq!(pong, Some(7));
    // Without `n` the pong is `{}` on the wire, not `{"n": null}`.
    ws.send_json(json!({"op": "ping"})).await;
    let pong = ws
        .expect_frame("a pong", |e| matches!(e, ServerEvent::Pong(_)))
        .await;
    assert_eq!(pong.raw, json!({"t": "pong", "d": {}}));
}

#[tokio::test]
async fn an_op_flood_is_rate_limited_then_closed_with_4029() {
    let app = spawn_app_with(|c| c.limits.gateway_ops_per_second = 5).await;
    let alice = app.register("alice").await;
    let mut ws = app.ws(&alice).await;
    for n in 0..100u64 {
        let frame = json!({"op": "ping", "n": n}).to_string();
        // The server may close mid-flood; later sends may fail.
        if ws.stream.send(WsMessage::Text(frame.into())).await.is_err() {
            break;
        }
    }
    let err =
        expect_event!(ws, ServerEvent::Error(e) if e.code == ErrorCode::RateLimited => e.clone());
    assert!(!err.message.is_empty());
    assert_eq!(ws.expect_close().await, Ended::Closed(Some(4029)));
    // The burst (2 s worth) went through before the limit hit.
    assert!(!seen_events!(ws, ServerEvent::Pong(_)).is_empty());
}

#[tokio::test]
async fn a_short_burst_over_the_rate_is_answered_but_not_disconnected() {
    let app = spawn_app_with(|c| c.limits.gateway_ops_per_second = 5).await;
    let alice = app.register("alice").await;
    let mut ws = app.ws(&alice).await;
    for n in 0..15u64 {
        ws.send_op(ClientOp::Ping { n: Some(n) }).await;
    }
    let err =
        expect_event!(ws, ServerEvent::Error(e) if e.code == ErrorCode::RateLimited => e.clone());
    assert!(!err.message.is_empty());
    // Still connected: the first ten (the burst) were answered.
    for n in 0..10u64 {
        expect_event!(ws, ServerEvent::Pong(p) if p.n == Some(n));
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
