//! Anonymous posts: nothing other members receive names the author — no
//! gateway event (typing, the message, its edit, reactions, pins), no REST
//! view (history, the message, search, the room list) and no Web Push.

use crate::helpers::*;
use crate::notifications::{Subscriber, push_service};
use reqwest::StatusCode;
use serde_json::{Value, json};

#[tokio::test]
async fn nothing_others_receive_names_the_author_of_an_anonymous_post() {
    let app = spawn_app_with(|c| c.internal.push_allow_http = true).await;
    let mut service = push_service().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let carol = app.register("carol").await;
    // Bob's group allows anonymous posts; Carol is offline, her browser
    // subscribed, and hears of every message.
    let (s, room) = app
        .post(
            "/api/v1/rooms",
            &bob.token,
            json!({"kind": "group", "name": "confessions", "anonymous_allowed": true,
                   "members": [alice.id, carol.id]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{room}");
    let room: Room = decode(room);
    let room = room.id;
    let browser = Subscriber::new();
    let endpoint = format!("{}/push/carol", service.url);
    let (s, b) = app
        .post(
            "/api/v1/push/subscriptions",
            &carol.token,
            browser.subscription(&endpoint),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let (s, b) = app
        .patch(
            &format!("/api/v1/rooms/{room}/notifications"),
            &carol.token,
            json!({"level": "all"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");

    let mut alice_ws = app.ws(&alice).await;
    let mut bob_ws = app.ws(&bob).await;
    bob_ws.sync().await;
    bob_ws.seen.clear();

    // Alice composes (typing, flagged anonymous) and posts anonymously.
    alice_ws
        .send_op(ClientOp::Typing {
            room_id: room,
            anonymous: true,
        })
        .await;
    alice_ws
        .send_op(ClientOp::Send {
            room_id: room,
            nonce: "alice-private-nonce".to_string(),
            body: "who wrote this lighthouse".to_string(),
            reply_to: None,
            attachments: Vec::new(),
            anonymous: true,
        })
        .await;
    let posted = expect_event!(alice_ws, ServerEvent::Ack(a) => a.message.clone());
    assert!(posted.anonymous && posted.sender.is_none());
    let message = format!("/api/v1/rooms/{room}/messages/{}", posted.id);
    // She edits it; Bob reacts to it and pins it.
    let (s, b) = app
        .patch(
            &message,
            &alice.token,
            json!({"body": "who wrote this lighthouse (edited)"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let (s, b) = app
        .put(&format!("{message}/reactions/👀"), &bob.token)
        .await;
    assert!(s.is_success(), "{s} {b}");
    let (s, b) = app.put(&format!("{message}/pin"), &bob.token).await;
    assert!(s.is_success(), "{s} {b}");
    bob_ws.sync().await;

    let author = [
        alice.id.to_string(),
        alice.username.clone(),
        "alice-private-nonce".to_string(),
    ];
    let check = |channel: &str, seen: &Value| {
        let text = seen.to_string();
        for mark in &author {
            assert!(
                !text.contains(mark.as_str()),
                "{channel} names the author: {text}"
            );
        }
    };

    // The gateway: the message, its edit, the reaction and the pin arrived;
    // no typing did, and no frame names Alice.
    let kinds: Vec<&str> = bob_ws
        .seen
        .iter()
        .filter_map(|f| f.raw["t"].as_str())
        .collect();
    for kind in ["message.created", "message.updated", "reaction.updated"] {
        assert!(kinds.contains(&kind), "{kind} not among {kinds:?}");
    }
    assert!(!kinds.contains(&"typing"), "{kinds:?}");
    for frame in &bob_ws.seen {
        check("a gateway event", &frame.raw);
    }

    // Every REST view of it.
    let (_, found) = app.get("/api/v1/search?q=lighthouse", &bob.token).await;
    assert_eq!(
        found["results"].as_array().map(Vec::len),
        Some(1),
        "{found}"
    );
    let (_, by_alice) = app
        .get(
            &format!("/api/v1/search?q=lighthouse&from={}", alice.id),
            &bob.token,
        )
        .await;
    assert_eq!(
        by_alice["results"].as_array().map(Vec::len),
        Some(0),
        "{by_alice}"
    );
    for path in [
        message.clone(),
        format!("/api/v1/rooms/{room}/messages"),
        format!("/api/v1/rooms/{room}/messages?after=0"),
        "/api/v1/search?q=lighthouse".to_string(),
        "/api/v1/rooms".to_string(),
        format!("/api/v1/rooms/{room}"),
    ] {
        let (s, body) = app.get(&path, &bob.token).await;
        assert_eq!(s, StatusCode::OK, "{path}: {body}");
        check(&path, &body);
    }

    // Carol's push.
    let pushed = browser.open(&service.next().await);
    assert_eq!(pushed.message_id, Some(posted.id));
    check("the push", &serde_json::to_value(&pushed).unwrap());
}
