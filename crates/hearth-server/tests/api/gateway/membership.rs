//! Membership changes take effect on live sessions without a reconnect.

use super::add_member;
use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn a_member_added_mid_session_receives_the_rooms_events_without_reconnecting() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let room = app.create_room(&alice, "group", "team", &[]).await;
    let mut alice_ws = app.ws(&alice).await;
    let mut phone = app.ws(&bob).await;
    let mut laptop = app.ws(&bob).await;
    app.send(&alice, &room, "before bob").await;

    add_member(&app, &alice, &room, &bob).await;

    for device in [&mut phone, &mut laptop] {
        let joined = device
            .expect_event("room.joined", |d| d["room"]["id"] == room.as_str())
            .await;
        assert_eq!(joined["room"]["my_role"], "member");
        device
            .expect_event("member.joined", |d| {
                d["member"]["user"]["id"] == bob.id.as_str()
            })
            .await;
        device
            .expect_event("notification", |d| {
                d["kind"] == "added_to_room" && d["room_id"] == room.as_str()
            })
            .await;
    }
    alice_ws
        .expect_event("member.joined", |d| {
            d["member"]["user"]["id"] == bob.id.as_str()
        })
        .await;

    let msg = app.send(&alice, &room, "welcome bob").await;
    for device in [&mut phone, &mut laptop] {
        device
            .expect_event("message.created", |d| d["message"]["id"] == msg["id"])
            .await;
    }
    // Ops in the new room work at once too.
    phone
        .send_json(json!({"op": "typing", "room_id": room}))
        .await;
    alice_ws
        .expect_event("typing", |d| d["user_id"] == bob.id.as_str())
        .await;
    phone
        .send_json(json!({"op": "send", "room_id": room, "nonce": "hi-1", "body": "thanks"}))
        .await;
    phone.expect_event("ack", |d| d["nonce"] == "hi-1").await;
    alice_ws
        .expect_event("message.created", |d| d["message"]["body"] == "thanks")
        .await;
}

#[tokio::test]
async fn a_member_who_joins_a_channel_receives_its_events_without_reconnecting() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let channel = app.create_room(&alice, "channel", "general", &[]).await;
    let mut bob_ws = app.ws(&bob).await;

    let (status, body) = app
        .post(
            &format!("/api/v1/rooms/{channel}/join"),
            &bob.token,
            json!({}),
        )
        .await;
    assert!(status.is_success(), "{status} {body}");
    bob_ws
        .expect_event("room.joined", |d| d["room"]["id"] == channel.as_str())
        .await;
    let msg = app.send(&alice, &channel, "hello newcomer").await;
    bob_ws
        .expect_event("message.created", |d| d["message"]["id"] == msg["id"])
        .await;
}

/// Removes bob (kick or ban) and checks his sessions fall silent at once.
async fn removal_stops_delivery(ban: bool) {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let carol = app.register("carol").await;
    let room = app
        .create_room(&alice, "group", "team", &[&bob, &carol])
        .await;
    let mut phone = app.ws(&bob).await;
    let mut laptop = app.ws(&bob).await;
    let mut carol_ws = app.ws(&carol).await;
    let before = app.send(&alice, &room, "before").await;
    for device in [&mut phone, &mut laptop] {
        device
            .expect_event("message.created", |d| d["message"]["id"] == before["id"])
            .await;
    }

    let path = format!("/api/v1/rooms/{room}/members/{}?ban={ban}", bob.id);
    let (status, body) = app.delete(&path, &alice.token).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");

    for device in [&mut phone, &mut laptop] {
        device
            .expect_event("room.left", |d| d["room_id"] == room.as_str())
            .await;
    }
    let left = carol_ws
        .expect_event("member.left", |d| d["user_id"] == bob.id.as_str())
        .await;
    assert_eq!(left["room_id"], room.as_str());
    assert_eq!(left["banned"], ban);

    let after = app.send(&alice, &room, "after").await;
    app.send(&carol, &room, "also after").await;
    carol_ws
        .expect_event("message.created", |d| d["message"]["id"] == after["id"])
        .await;
    for device in [&mut phone, &mut laptop] {
        device.sync().await;
        assert!(
            device.seen_named("message.created").is_empty(),
            "a removed member still receives: {:?}",
            device.seen
        );
    }
    // Nor can the removed user act in the room through the open session.
    phone
        .send_json(json!({"op": "typing", "room_id": room}))
        .await;
    let err = phone.expect_event("error", |_| true).await;
    assert_eq!(err["code"], "not_found");
    phone
        .send_json(json!({"op": "send", "room_id": room, "nonce": "x-1", "body": "let me in"}))
        .await;
    phone.expect_event("error", |d| d["nonce"] == "x-1").await;
    carol_ws.sync().await;
    assert!(carol_ws.seen_named("typing").is_empty());
    let bodies: Vec<_> = carol_ws
        .seen_named("message.created")
        .iter()
        .map(|d| d["message"]["body"].clone())
        .collect();
    assert_eq!(bodies, ["before", "also after"]);
}

#[tokio::test]
async fn a_removed_member_stops_receiving_at_once_and_gets_room_left() {
    removal_stops_delivery(false).await;
}

#[tokio::test]
async fn a_banned_member_stops_receiving_at_once_and_gets_room_left() {
    removal_stops_delivery(true).await;
}

#[tokio::test]
async fn a_member_who_leaves_stops_receiving_on_every_device() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let room = app.create_room(&alice, "group", "team", &[&bob]).await;
    let mut phone = app.ws(&bob).await;
    let mut laptop = app.ws(&bob).await;

    let (status, body) = app
        .post(
            &format!("/api/v1/rooms/{room}/leave"),
            &bob.token,
            json!({}),
        )
        .await;
    assert!(status.is_success(), "{status} {body}");
    for device in [&mut phone, &mut laptop] {
        device
            .expect_event("room.left", |d| d["room_id"] == room.as_str())
            .await;
    }
    app.send(&alice, &room, "bye bob").await;
    for device in [&mut phone, &mut laptop] {
        device.sync().await;
        assert!(device.seen_named("message.created").is_empty());
    }
}
