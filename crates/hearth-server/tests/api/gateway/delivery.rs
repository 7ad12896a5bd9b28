//! Fan-out of room events, the `send` op and its `ack`, typing, receipts.

use super::{history, str_of};
use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn a_message_reaches_every_device_of_every_member_and_no_one_else() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let carol = app.register("carol").await;
    let mallory = app.register("mallory").await;
    let room = app
        .create_room(&alice, "group", "team", &[&bob, &carol])
        .await;
    let mut devices = Vec::new();
    for user in [&alice, &bob, &carol] {
        for _ in 0..2 {
            devices.push(app.ws(user).await);
        }
    }
    let mut outsider = app.ws(&mallory).await;

    let msg = app.send(&alice, &room, "hello team").await;

    for device in &mut devices {
        let d = device
            .expect_event("message.created", |d| d["message"]["id"] == msg["id"])
            .await;
        assert_eq!(d["message"]["body"], "hello team");
        assert_eq!(d["message"]["room_id"], room.as_str());
        assert_eq!(d["message"]["seq"], msg["seq"]);
        assert_eq!(d["message"]["sender"]["id"], alice.id.as_str());
    }
    // The hub queued the event before the 201 went out: after a ping round
    // trip the outsider would hold it if it had been sent.
    outsider.sync().await;
    assert!(
        outsider.seen_named("message.created").is_empty(),
        "a non-member received {:?}",
        outsider.seen
    );
}

#[tokio::test]
async fn every_message_of_a_burst_reaches_every_member_in_seq_order() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let room = app.create_room(&alice, "group", "team", &[&bob]).await;
    let mut bob_ws = app.ws(&bob).await;
    let mut sent = Vec::new();
    for i in 0..30 {
        sent.push(app.send(&alice, &room, &format!("burst {i}")).await["id"].clone());
    }
    bob_ws.sync().await;
    let got: Vec<_> = bob_ws
        .seen_named("message.created")
        .into_iter()
        .map(|d| d["message"].clone())
        .collect();
    let ids: Vec<_> = got.iter().map(|m| m["id"].clone()).collect();
    assert_eq!(ids, sent);
    let seqs: Vec<i64> = got.iter().map(|m| m["seq"].as_i64().unwrap()).collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "seqs {seqs:?}");
}

#[tokio::test]
async fn a_send_op_is_acked_after_commit_with_the_message_and_the_same_nonce_acks_the_same_message()
{
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let room = app.create_room(&alice, "group", "team", &[&bob]).await;
    let mut alice_ws = app.ws(&alice).await;
    let mut bob_ws = app.ws(&bob).await;
    let op = json!({"op": "send", "room_id": room, "nonce": "nonce-1", "body": "over the gateway"});

    alice_ws.send_json(op.clone()).await;
    let ack = alice_ws
        .expect_event("ack", |d| d["nonce"] == "nonce-1")
        .await;
    let message = &ack["message"];
    assert_eq!(message["body"], "over the gateway");
    assert_eq!(message["room_id"], room.as_str());
    assert_eq!(message["sender"]["id"], alice.id.as_str());
    assert_eq!(message["nonce"], "nonce-1");
    let id = str_of(&message["id"]);
    // Acknowledged means committed: the message is readable right away.
    let (status, stored) = app
        .get(&format!("/api/v1/rooms/{room}/messages/{id}"), &bob.token)
        .await;
    assert_eq!(status, StatusCode::OK, "{stored}");
    assert_eq!(stored["seq"], message["seq"]);
    bob_ws
        .expect_event("message.created", |d| d["message"]["id"] == id.as_str())
        .await;

    alice_ws.send_json(op).await;
    let again = alice_ws
        .expect_event("ack", |d| d["nonce"] == "nonce-1")
        .await;
    assert_eq!(again["message"]["id"], id.as_str());
    assert_eq!(again["message"]["seq"], message["seq"]);
    bob_ws.sync().await;
    assert!(
        bob_ws.seen_named("message.created").is_empty(),
        "a resend was published again"
    );
    assert_eq!(history(&app, &alice, &room).await.len(), 1);
}

#[tokio::test]
async fn a_failed_send_op_answers_an_error_naming_its_nonce() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let theirs = app.create_room(&bob, "group", "private", &[]).await;
    let mine = app.create_room(&alice, "group", "mine", &[]).await;
    let mut ws = app.ws(&alice).await;

    ws.send_json(json!({"op": "send", "room_id": theirs, "nonce": "n-404", "body": "hi"}))
        .await;
    let err = ws.expect_event("error", |d| d["nonce"] == "n-404").await;
    assert_eq!(err["code"], "not_found");

    ws.send_json(json!({"op": "send", "room_id": mine, "nonce": "n-empty", "body": "   "}))
        .await;
    let err = ws.expect_event("error", |d| d["nonce"] == "n-empty").await;
    assert_eq!(err["code"], "validation");
    assert!(ws.seen_named("ack").is_empty());
}

#[tokio::test]
async fn an_ack_lost_with_the_connection_is_recovered_by_resending_the_same_nonce() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let room = app.create_room(&alice, "group", "team", &[&bob]).await;
    let mut bob_ws = app.ws(&bob).await;
    let op = json!({"op": "send", "room_id": room, "nonce": "lost-ack", "body": "did it arrive?"});

    let mut first = app.ws(&alice).await;
    first.send_json(op.clone()).await;
    drop(first); // gone before the ack could be read
    // The op was committed anyway: bob sees it.
    let created = bob_ws
        .expect_event("message.created", |d| {
            d["message"]["body"] == "did it arrive?"
        })
        .await;
    let id = created["message"]["id"].clone();

    let mut second = app.ws(&alice).await;
    second.send_json(op.clone()).await;
    let ack = second
        .expect_event("ack", |d| d["nonce"] == "lost-ack")
        .await;
    assert_eq!(ack["message"]["id"], id);
    second.send_json(op).await;
    let ack = second
        .expect_event("ack", |d| d["nonce"] == "lost-ack")
        .await;
    assert_eq!(ack["message"]["id"], id);

    bob_ws.sync().await;
    assert!(bob_ws.seen_named("message.created").is_empty());
    let all = history(&app, &bob, &room).await;
    assert_eq!(all.len(), 1, "{all:?}");
    assert_eq!(all[0]["id"], id);
}

#[tokio::test]
async fn typing_is_published_once_per_three_seconds_per_user_and_room() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let room = app.create_room(&alice, "group", "team", &[&bob]).await;
    let mut phone = app.ws(&alice).await;
    let mut laptop = app.ws(&alice).await;
    let mut bob_ws = app.ws(&bob).await;

    phone
        .send_json(json!({"op": "typing", "room_id": room}))
        .await;
    let typing = bob_ws
        .expect_event("typing", |d| d["user_id"] == alice.id.as_str())
        .await;
    assert_eq!(typing["room_id"], room.as_str());

    // More keystrokes, from either device, within the interval: nothing.
    phone
        .send_json(json!({"op": "typing", "room_id": room}))
        .await;
    laptop
        .send_json(json!({"op": "typing", "room_id": room}))
        .await;
    phone.sync().await;
    laptop.sync().await;
    bob_ws.sync().await;
    assert!(bob_ws.seen_named("typing").is_empty(), "{:?}", bob_ws.seen);
    assert!(phone.seen_named("error").is_empty());

    // Typing is for members only.
    let other = app.create_room(&bob, "group", "bob only", &[]).await;
    phone
        .send_json(json!({"op": "typing", "room_id": other}))
        .await;
    let err = phone.expect_event("error", |_| true).await;
    assert_eq!(err["code"], "not_found");
}

#[tokio::test]
async fn read_and_delivered_receipts_reach_the_room() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let room = app.create_room(&alice, "group", "team", &[&bob]).await;
    let mut alice_ws = app.ws(&alice).await;
    let mut bob_ws = app.ws(&bob).await;
    let msg = app.send(&alice, &room, "did you get this?").await;
    let seq = msg["seq"].as_i64().unwrap();

    bob_ws
        .send_json(json!({"op": "delivered", "room_id": room, "seq": seq}))
        .await;
    let d = alice_ws
        .expect_event("delivered", |d| d["user_id"] == bob.id.as_str())
        .await;
    assert_eq!(d["room_id"], room.as_str());
    assert_eq!(d["seq"], seq);

    bob_ws
        .send_json(json!({"op": "read", "room_id": room, "seq": seq}))
        .await;
    let r = alice_ws
        .expect_event("read", |d| d["user_id"] == bob.id.as_str())
        .await;
    assert_eq!(r["room_id"], room.as_str());
    assert_eq!(r["seq"], seq);
    // Bob's own devices learn it too (to clear their unread badges).
    bob_ws
        .expect_event("read", |d| d["user_id"] == bob.id.as_str())
        .await;

    // Going backwards changes nothing and announces nothing.
    bob_ws
        .send_json(json!({"op": "read", "room_id": room, "seq": 0}))
        .await;
    bob_ws
        .send_json(json!({"op": "delivered", "room_id": room, "seq": 0}))
        .await;
    bob_ws.sync().await;
    alice_ws.sync().await;
    assert!(alice_ws.seen_named("read").is_empty());
    assert!(alice_ws.seen_named("delivered").is_empty());
    assert!(bob_ws.seen_named("error").is_empty(), "{:?}", bob_ws.seen);
    let (_, rooms) = app.get("/api/v1/rooms", &bob.token).await;
    let entry = rooms
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == room.as_str())
        .unwrap()
        .clone();
    assert_eq!(entry["read_seq"], seq);
    assert_eq!(entry["unread"], 0);

    // A receipt for a room one is not in is an error.
    let other = app.create_room(&alice, "group", "alice only", &[]).await;
    bob_ws
        .send_json(json!({"op": "read", "room_id": other, "seq": 1}))
        .await;
    let err = bob_ws.expect_event("error", |_| true).await;
    assert_eq!(err["code"], "not_found");
}
