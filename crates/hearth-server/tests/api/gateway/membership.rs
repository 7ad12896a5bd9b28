//! Membership changes take effect on live sessions without a reconnect.

use crate::helpers::*;
use hearth_protocol::gateway::NotificationKind;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn a_member_added_mid_session_receives_the_rooms_events_without_reconnecting() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let room = app
        .create_room(&alice, RoomKind::Group, "team", &[])
        .await
        .id;
    let mut alice_ws = app.ws(&alice).await;
    let mut phone = app.ws(&bob).await;
    let mut laptop = app.ws(&bob).await;
    app.send(&alice, room, "before bob").await;

    app.add_member(&alice, room, &bob).await;

    for device in [&mut phone, &mut laptop] {
        let role = expect_event!(device,
            ServerEvent::RoomJoined(e) if e.room.id == room => e.room.my_role);
        assert_eq!(role, Some(Role::Member));
        expect_event!(device, ServerEvent::MemberJoined(e) if e.member.user.id == bob.id);
        expect_event!(device,
            ServerEvent::Notification(n)
                if n.kind == NotificationKind::AddedToRoom && n.room_id == room);
    }
    expect_event!(alice_ws, ServerEvent::MemberJoined(e) if e.member.user.id == bob.id);

    let msg = app.send(&alice, room, "welcome bob").await;
    for device in [&mut phone, &mut laptop] {
        expect_event!(device, ServerEvent::MessageCreated(e) if e.message.id == msg.id);
    }
    // Ops in the new room work at once too.
    phone
        .send_op(ClientOp::Typing {
            room_id: room,
            anonymous: false,
        })
        .await;
    expect_event!(alice_ws, ServerEvent::Typing(t) if t.user_id == bob.id);
    phone.send_message(room, "hi-1", "thanks").await;
    expect_event!(phone, ServerEvent::Ack(a) if a.nonce == "hi-1");
    expect_event!(alice_ws, ServerEvent::MessageCreated(e) if e.message.body == "thanks");
}

#[tokio::test]
async fn a_member_who_joins_a_channel_receives_its_events_without_reconnecting() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let channel = app
        .create_room(&alice, RoomKind::Channel, "general", &[])
        .await
        .id;
    let mut bob_ws = app.ws(&bob).await;

    let (status, body) = app
        .post(
            &format!("/api/v1/rooms/{channel}/join"),
            &bob.token,
            json!({}),
        )
        .await;
    assert!(status.is_success(), "{status} {body}");
    expect_event!(bob_ws, ServerEvent::RoomJoined(e) if e.room.id == channel);
    let msg = app.send(&alice, channel, "hello newcomer").await;
    expect_event!(bob_ws, ServerEvent::MessageCreated(e) if e.message.id == msg.id);
}

/// Removes bob (kick or ban) and checks his sessions fall silent at once.
async fn removal_stops_delivery(ban: bool) {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let carol = app.register("carol").await;
    let room = app
        .create_room(&alice, RoomKind::Group, "team", &[&bob, &carol])
        .await
        .id;
    let mut phone = app.ws(&bob).await;
    let mut laptop = app.ws(&bob).await;
    let mut carol_ws = app.ws(&carol).await;
    let before = app.send(&alice, room, "before").await;
    for device in [&mut phone, &mut laptop] {
        expect_event!(device, ServerEvent::MessageCreated(e) if e.message.id == before.id);
    }

    let path = format!("/api/v1/rooms/{room}/members/{}?ban={ban}", bob.id);
    let (status, body) = app.delete(&path, &alice.token).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");

    for device in [&mut phone, &mut laptop] {
        expect_event!(device, ServerEvent::RoomLeft(e) if e.room_id == room);
    }
    let left = expect_event!(carol_ws,
        ServerEvent::MemberLeft(e) if e.user_id == bob.id => e.clone());
    assert_eq!(left.room_id, room);
    assert_eq!(left.banned, ban);

    let after = app.send(&alice, room, "after").await;
    app.send(&carol, room, "also after").await;
    expect_event!(carol_ws, ServerEvent::MessageCreated(e) if e.message.id == after.id);
    for device in [&mut phone, &mut laptop] {
        device.sync().await;
        device.assert_none_seen("a removed member still receives", |e| {
            matches!(e, ServerEvent::MessageCreated(_))
        });
    }
    // Nor can the removed user act in the room through the open session.
    phone
        .send_op(ClientOp::Typing {
            room_id: room,
            anonymous: false,
        })
        .await;
    let code = expect_event!(phone, ServerEvent::Error(e) => e.code);
    assert_eq!(code, ErrorCode::NotFound);
    phone.send_message(room, "x-1", "let me in").await;
    expect_event!(phone, ServerEvent::Error(e) if e.nonce.as_deref() == Some("x-1"));
    carol_ws.sync().await;
    carol_ws.assert_none_seen("a removed member's typing went out", |e| {
        matches!(e, ServerEvent::Typing(_))
    });
    let bodies = seen_events!(carol_ws, ServerEvent::MessageCreated(e) => e.message.body.clone());
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
    let room = app
        .create_room(&alice, RoomKind::Group, "team", &[&bob])
        .await
        .id;
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
        expect_event!(device, ServerEvent::RoomLeft(e) if e.room_id == room);
    }
    app.send(&alice, room, "bye bob").await;
    for device in [&mut phone, &mut laptop] {
        device.sync().await;
        device.assert_none_seen("a member who left still receives", |e| {
            matches!(e, ServerEvent::MessageCreated(_))
        });
    }
}

#[tokio::test]
async fn a_kick_while_a_connection_subscribes_leaves_it_unsubscribed() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let room = app
        .create_room(&alice, RoomKind::Group, "team", &[&bob])
        .await
        .id;
    let dm = app.create_room(&alice, RoomKind::Dm, "", &[&bob]).await.id;

    // Bob's connection has read its memberships (the room among them) and
    // waits; alice removes him; then it goes on.
    let pause = app.state.node.hub.pause_next_subscribe();
    let (mut bob_ws, ()) = tokio::join!(app.ws(&bob), async {
        pause.reached().await;
        let (status, body) = app
            .delete(
                &format!("/api/v1/rooms/{room}/members/{}", bob.id),
                &alice.token,
            )
            .await;
        assert!(status.is_success(), "{body}");
        pause.release();
    });
    assert!(
        bob_ws.ready().rooms.iter().all(|r| r.id != room),
        "ready lists the room he was removed from"
    );

    app.send(&alice, room, "after the kick").await;
    app.send(&alice, dm, "sync point").await;
    expect_event!(bob_ws, ServerEvent::MessageCreated(e) if e.message.body == "sync point");
    bob_ws.assert_none_seen(
        "a removed member gets no more of the room",
        |e| matches!(e, ServerEvent::MessageCreated(m) if m.message.room_id == room),
    );
}
