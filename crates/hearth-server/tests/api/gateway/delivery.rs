//! Fan-out of room events, the `send` op and its `ack`, typing, receipts.

use super::history;
use crate::helpers::*;

#[tokio::test]
async fn a_message_reaches_every_device_of_every_member_and_no_one_else() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let carol = app.register("carol").await;
    let mallory = app.register("mallory").await;
    let room = app
        .create_room(&alice, RoomKind::Group, "team", &[&bob, &carol])
        .await
        .id;
    let mut devices = Vec::new();
    for user in [&alice, &bob, &carol] {
        for _ in 0..2 {
            devices.push(app.ws(user).await);
        }
    }
    let mut outsider = app.ws(&mallory).await;

    let msg = app.send(&alice, room, "hello team").await;

    for device in &mut devices {
        let got = expect_event!(device,
            ServerEvent::MessageCreated(e) if e.message.id == msg.id => e.message.clone());
        assert_eq!(got.body, "hello team");
        assert_eq!(got.room_id, room);
        assert_eq!(got.seq, msg.seq);
        assert_eq!(got.sender.map(|s| s.id), Some(alice.id));
    }
    // The hub queued the event before the 201 went out: after a ping round
    // trip the outsider would hold it if it had been sent.
    outsider.sync().await;
    outsider.assert_none_seen("a non-member received a message", |e| {
        matches!(e, ServerEvent::MessageCreated(_))
    });
}

#[tokio::test]
async fn every_message_of_a_burst_reaches_every_member_in_seq_order() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let room = app
        .create_room(&alice, RoomKind::Group, "team", &[&bob])
        .await
        .id;
    let mut bob_ws = app.ws(&bob).await;
    let mut sent = Vec::new();
    for i in 0..30 {
        sent.push(app.send(&alice, room, &format!("burst {i}")).await.id);
    }
    bob_ws.sync().await;
    let got = seen_events!(bob_ws, ServerEvent::MessageCreated(e) => e.message.clone());
    let ids: Vec<MessageId> = got.iter().map(|m| m.id).collect();
    assert_eq!(ids, sent);
    let seqs: Vec<i64> = got.iter().map(|m| m.seq).collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "seqs {seqs:?}");
}

#[tokio::test]
async fn a_send_op_is_acked_after_commit_with_the_message_and_the_same_nonce_acks_the_same_message()
{
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let room = app
        .create_room(&alice, RoomKind::Group, "team", &[&bob])
        .await
        .id;
    let mut alice_ws = app.ws(&alice).await;
    let mut bob_ws = app.ws(&bob).await;

    alice_ws
        .send_message(room, "nonce-1", "over the gateway")
        .await;
    let message = expect_event!(alice_ws,
        ServerEvent::Ack(a) if a.nonce == "nonce-1" => a.message.clone());
    assert_eq!(message.body, "over the gateway");
    assert_eq!(message.room_id, room);
    assert_eq!(message.sender.as_ref().map(|s| s.id), Some(alice.id));
    assert_eq!(message.nonce.as_deref(), Some("nonce-1"));
    // Acknowledged means committed: the message is readable right away.
    let stored = app.message(&bob, room, message.id).await;
    assert_eq!(stored.seq, message.seq);
    expect_event!(bob_ws, ServerEvent::MessageCreated(e) if e.message.id == message.id);

    alice_ws
        .send_message(room, "nonce-1", "over the gateway")
        .await;
    let again = expect_event!(alice_ws,
        ServerEvent::Ack(a) if a.nonce == "nonce-1" => a.message.clone());
    assert_eq!(again.id, message.id);
    assert_eq!(again.seq, message.seq);
    bob_ws.sync().await;
    bob_ws.assert_none_seen("a resend was published again", |e| {
        matches!(e, ServerEvent::MessageCreated(_))
    });
    assert_eq!(history(&app, &alice, room).await.len(), 1);
}

#[tokio::test]
async fn a_failed_send_op_answers_an_error_naming_its_nonce() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let theirs = app
        .create_room(&bob, RoomKind::Group, "private", &[])
        .await
        .id;
    let mine = app
        .create_room(&alice, RoomKind::Group, "mine", &[])
        .await
        .id;
    let mut ws = app.ws(&alice).await;

    ws.send_message(theirs, "n-404", "hi").await;
    let code = expect_event!(ws,
        ServerEvent::Error(e) if e.nonce.as_deref() == Some("n-404") => e.code);
    assert_eq!(code, ErrorCode::NotFound);

    ws.send_message(mine, "n-empty", "   ").await;
    let code = expect_event!(ws,
        ServerEvent::Error(e) if e.nonce.as_deref() == Some("n-empty") => e.code);
    assert_eq!(code, ErrorCode::Validation);
    ws.assert_none_seen("a failed send was acked", |e| {
        matches!(e, ServerEvent::Ack(_))
    });
}

#[tokio::test]
async fn an_ack_lost_with_the_connection_is_recovered_by_resending_the_same_nonce() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let room = app
        .create_room(&alice, RoomKind::Group, "team", &[&bob])
        .await
        .id;
    let mut bob_ws = app.ws(&bob).await;
    let op = send_op(room, "lost-ack", "did it arrive?");

    let mut first = app.ws(&alice).await;
    first.send_op(op.clone()).await;
    drop(first); // gone before the ack could be read
    // The op was committed anyway: bob sees it.
    let id = expect_event!(bob_ws,
        ServerEvent::MessageCreated(e) if e.message.body == "did it arrive?" => e.message.id);

    let mut second = app.ws(&alice).await;
    for _ in 0..2 {
        second.send_op(op.clone()).await;
        let acked = expect_event!(second,
            ServerEvent::Ack(a) if a.nonce == "lost-ack" => a.message.id);
        assert_eq!(acked, id);
    }

    bob_ws.sync().await;
    bob_ws.assert_none_seen("a resend was published again", |e| {
        matches!(e, ServerEvent::MessageCreated(_))
    });
    let all = history(&app, &bob, room).await;
    let ids: Vec<MessageId> = all.iter().map(|m| m.id).collect();
    assert_eq!(ids, [id]);
}

#[tokio::test]
async fn typing_is_published_once_per_three_seconds_per_user_and_room() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let room = app
        .create_room(&alice, RoomKind::Group, "team", &[&bob])
        .await
        .id;
    let mut phone = app.ws(&alice).await;
    let mut laptop = app.ws(&alice).await;
    let mut bob_ws = app.ws(&bob).await;
    let typing = || ClientOp::Typing {
        room_id: room,
        anonymous: false,
    };

    phone.send_op(typing()).await;
    let typed_in = expect_event!(bob_ws,
        ServerEvent::Typing(t) if t.user_id == alice.id => t.room_id);
    assert_eq!(typed_in, room);

    // More keystrokes, from either device, within the interval: nothing.
    phone.send_op(typing()).await;
    laptop.send_op(typing()).await;
    phone.sync().await;
    laptop.sync().await;
    bob_ws.sync().await;
    bob_ws.assert_none_seen("typing within the interval was published", |e| {
        matches!(e, ServerEvent::Typing(_))
    });
    phone.assert_none_seen("typing answered an error", |e| {
        matches!(e, ServerEvent::Error(_))
    });

    // Typing is for members only.
    let other = app
        .create_room(&bob, RoomKind::Group, "bob only", &[])
        .await
        .id;
    phone
        .send_op(ClientOp::Typing {
            room_id: other,
            anonymous: false,
        })
        .await;
    let code = expect_event!(phone, ServerEvent::Error(e) => e.code);
    assert_eq!(code, ErrorCode::NotFound);
}

#[tokio::test]
async fn read_and_delivered_receipts_reach_the_room() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let room = app
        .create_room(&alice, RoomKind::Group, "team", &[&bob])
        .await
        .id;
    let mut alice_ws = app.ws(&alice).await;
    let mut bob_ws = app.ws(&bob).await;
    let seq = app.send(&alice, room, "did you get this?").await.seq;

    bob_ws
        .send_op(ClientOp::Delivered { room_id: room, seq })
        .await;
    let d = expect_event!(alice_ws,
        ServerEvent::Delivered(r) if r.user_id == bob.id => r.clone());
    assert_eq!((d.room_id, d.seq), (room, seq));

    bob_ws.send_op(ClientOp::Read { room_id: room, seq }).await;
    let r = expect_event!(alice_ws,
        ServerEvent::Read(r) if r.user_id == bob.id => r.clone());
    assert_eq!((r.room_id, r.seq), (room, seq));
    // Bob's own devices learn it too (to clear their unread badges).
    expect_event!(bob_ws, ServerEvent::Read(r) if r.user_id == bob.id);

    // Going backwards changes nothing and announces nothing.
    bob_ws
        .send_op(ClientOp::Read {
            room_id: room,
            seq: 0,
        })
        .await;
    bob_ws
        .send_op(ClientOp::Delivered {
            room_id: room,
            seq: 0,
        })
        .await;
    bob_ws.sync().await;
    alice_ws.sync().await;
    alice_ws.assert_none_seen("a receipt going backwards was announced", |e| {
        matches!(e, ServerEvent::Read(_) | ServerEvent::Delivered(_))
    });
    bob_ws.assert_none_seen("a receipt going backwards failed", |e| {
        matches!(e, ServerEvent::Error(_))
    });
    let entry = app.room_entry(&bob, room).await;
    assert_eq!(entry.read_seq, seq);
    assert_eq!(entry.unread, 0);

    // A receipt for a room one is not in is an error.
    let other = app
        .create_room(&alice, RoomKind::Group, "alice only", &[])
        .await
        .id;
    bob_ws
        .send_op(ClientOp::Read {
            room_id: other,
            seq: 1,
        })
        .await;
    let code = expect_event!(bob_ws, ServerEvent::Error(e) => e.code);
    assert_eq!(code, ErrorCode::NotFound);
}
