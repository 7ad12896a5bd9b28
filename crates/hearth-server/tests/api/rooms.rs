//! Rooms over REST: DMs, channel discovery and joining, validation, bans,
//! roles, archiving and unread counts.

use crate::helpers::*;
use hearth_protocol::dto::{
    AddMembersRequest, CreateRoomRequest, ReadMarker, ReadRequest, UpdateMemberRequest,
    UpdateRoomRequest,
};
use reqwest::StatusCode;
use serde_json::json;

fn dm_with(peer: &TestUser) -> CreateRoomRequest {
    CreateRoomRequest {
        kind: RoomKind::Dm,
        name: None,
        topic: None,
        description: None,
        members: vec![peer.id],
        anonymous_allowed: false,
    }
}

async fn mark_read(app: &TestApp, user: &TestUser, room: RoomId, seq: i64) -> ReadMarker {
    app.post_as(
        &format!("/api/v1/rooms/{room}/read"),
        &user.token,
        &ReadRequest { seq },
        StatusCode::OK,
    )
    .await
}

#[tokio::test]
async fn a_dm_is_one_room_per_pair() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let first: Room = app
        .post_as(
            "/api/v1/rooms",
            &alice.token,
            &dm_with(&bob),
            StatusCode::CREATED,
        )
        .await;
    assert_eq!(first.peer.map(|p| p.username).as_deref(), Some("bob"));
    let again: Room = app
        .post_as(
            "/api/v1/rooms",
            &bob.token,
            &dm_with(&alice),
            StatusCode::OK,
        )
        .await;
    assert_eq!(again.id, first.id);
    assert_eq!(again.peer.map(|p| p.username).as_deref(), Some("alice"));
    let (s, b) = app
        .post(
            "/api/v1/rooms",
            &alice.token,
            json!({"kind": "dm", "members": []}),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{b}");
    let (s, _) = app
        .post(
            "/api/v1/rooms",
            &alice.token,
            json!({"kind": "dm", "members": ["01900000-0000-7000-8000-000000000000"]}),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn channels_are_discoverable_and_joinable_groups_are_not() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let channel = app
        .create_room(&alice, RoomKind::Channel, "general", &[])
        .await
        .id;
    let group = app
        .create_room(&alice, RoomKind::Group, "secret plans", &[])
        .await
        .id;
    let found: Vec<Room> = app.get_ok("/api/v1/channels?q=gen", &bob.token).await;
    let names: Vec<&str> = found.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["general"]);
    let all: Vec<Room> = app.get_ok("/api/v1/channels", &bob.token).await;
    assert!(all.iter().all(|r| r.kind == RoomKind::Channel));
    // The group does not leak: 404 for get, join and messages.
    for path in [
        format!("/api/v1/rooms/{group}"),
        format!("/api/v1/rooms/{group}/messages"),
    ] {
        let (s, _) = app.get(&path, &bob.token).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{path}");
    }
    let (s, _) = app
        .post(
            &format!("/api/v1/rooms/{group}/join"),
            &bob.token,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // Channel: preview, then join, then leave.
    let preview: Room = app
        .get_ok(&format!("/api/v1/rooms/{channel}"), &bob.token)
        .await;
    assert_eq!(preview.my_role, None);
    let (s, _) = app
        .get(&format!("/api/v1/rooms/{channel}/messages"), &bob.token)
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "join before reading");
    let joined: Room = app
        .post_as(
            &format!("/api/v1/rooms/{channel}/join"),
            &bob.token,
            &json!({}),
            StatusCode::OK,
        )
        .await;
    assert_eq!(joined.my_role, Some(Role::Member));
    assert_eq!(joined.member_count, 2);
    assert_eq!(app.rooms(&bob).await.len(), 1);
    let (s, _) = app
        .post(
            &format!("/api/v1/rooms/{channel}/leave"),
            &bob.token,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    assert_eq!(app.rooms(&bob).await.len(), 0);
}

#[tokio::test]
async fn room_validation() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let cases = [
        json!({"kind": "channel"}),
        json!({"kind": "channel", "name": "   "}),
        json!({"kind": "channel", "name": "x".repeat(81)}),
        json!({"kind": "lobby", "name": "x"}),
        json!({"kind": "group", "name": "g", "members": ["not-a-uuid"]}),
        json!({"kind": "group", "name": "g", "topic": "t".repeat(251)}),
    ];
    for body in cases {
        let (s, b) = app.post("/api/v1/rooms", &alice.token, body.clone()).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{body} → {b}");
    }
}

#[tokio::test]
async fn banned_users_cannot_rejoin_and_kicked_users_can() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let carol = app.register("carol").await;
    let channel = app
        .create_room(&alice, RoomKind::Channel, "general", &[&bob, &carol])
        .await
        .id;
    let (s, _) = app
        .delete(
            &format!("/api/v1/rooms/{channel}/members/{}?ban=true", bob.id),
            &alice.token,
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, b) = app
        .post(
            &format!("/api/v1/rooms/{channel}/join"),
            &bob.token,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert_eq!(error_code(&b), ErrorCode::Banned);
    let (s, _) = app
        .delete(
            &format!("/api/v1/rooms/{channel}/members/{}", carol.id),
            &alice.token,
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = app
        .post(
            &format!("/api/v1/rooms/{channel}/join"),
            &carol.token,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    // An owner re-adding a banned user lifts the ban.
    let added: Vec<Member> = app
        .post_as(
            &format!("/api/v1/rooms/{channel}/members"),
            &alice.token,
            &AddMembersRequest {
                user_ids: vec![bob.id],
            },
            StatusCode::OK,
        )
        .await;
    let ids: Vec<UserId> = added.iter().map(|m| m.user.id).collect();
    assert_eq!(ids, [bob.id]);
}

#[tokio::test]
async fn a_banned_member_sees_no_more_of_a_channel_than_an_outsider() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let channel = app
        .create_room(&alice, RoomKind::Channel, "general", &[&bob])
        .await
        .id;
    let (s, _) = app
        .delete(
            &format!("/api/v1/rooms/{channel}/members/{}?ban=true", bob.id),
            &alice.token,
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    app.send(&alice, channel, "said after the ban").await;

    let seen: Room = app
        .get_ok(&format!("/api/v1/rooms/{channel}"), &bob.token)
        .await;
    assert!(
        seen.last_message.is_none(),
        "a banned member reads no message: {:?}",
        seen.last_message
    );
    assert_eq!(seen.unread, 0);
}

#[tokio::test]
async fn members_roles_and_room_edits() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let group = app
        .create_room(&alice, RoomKind::Group, "team", &[&bob])
        .await
        .id;
    assert_eq!(app.members(&bob, group).await.len(), 2);
    let (s, b) = app
        .patch(
            &format!("/api/v1/rooms/{group}"),
            &bob.token,
            json!({"topic": "mine now"}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{b}");
    let m: Member = app
        .patch_ok(
            &format!("/api/v1/rooms/{group}/members/{}", bob.id),
            &alice.token,
            &UpdateMemberRequest {
                role: Some(Role::Admin),
                muted: None,
            },
        )
        .await;
    assert_eq!(m.role, Role::Admin);
    let room: Room = app
        .patch_ok(
            &format!("/api/v1/rooms/{group}"),
            &bob.token,
            &UpdateRoomRequest {
                topic: Some("ours".to_string()),
                name: Some("Team".to_string()),
                ..UpdateRoomRequest::default()
            },
        )
        .await;
    assert_eq!(room.topic, "ours");
    assert_eq!(room.name, "Team");
    // Admins cannot archive; owners can, and the room turns read-only.
    let (s, _) = app
        .delete(&format!("/api/v1/rooms/{group}"), &bob.token)
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let archived: Room = app
        .call(
            reqwest::Method::DELETE,
            &format!("/api/v1/rooms/{group}"),
            Some(&alice.token),
            None::<&()>,
            StatusCode::OK,
        )
        .await;
    assert!(archived.archived);
    let (s, b) = app
        .post(
            &format!("/api/v1/rooms/{group}/messages"),
            &bob.token,
            json!({"body": "hello?"}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert_eq!(error_code(&b), ErrorCode::RoomArchived);
    let (s, _) = app
        .get(&format!("/api/v1/rooms/{group}/messages"), &bob.token)
        .await;
    assert_eq!(s, StatusCode::OK, "archived rooms stay readable");
}

#[tokio::test]
async fn unread_and_mention_counts_fall_when_read() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let channel = app
        .create_room(&alice, RoomKind::Channel, "general", &[&bob])
        .await
        .id;
    app.send(&alice, channel, "one").await;
    app.send(&alice, channel, "hey @bob look").await;
    let last = app.send(&alice, channel, "three").await;
    let room = app.room_entry(&bob, channel).await;
    assert_eq!(room.unread, 3);
    assert_eq!(room.mention_count, 1);
    assert_eq!(room.last_seq, 3);
    assert_eq!(room.last_message.map(|m| m.body).as_deref(), Some("three"));
    let alices = app.room_entry(&alice, channel).await;
    assert_eq!(alices.unread, 0, "your own messages are not unread");
    let marker = mark_read(&app, &bob, channel, 2).await;
    assert_eq!(marker.read_seq, 2);
    assert_eq!(marker.unread, 1);
    assert_eq!(marker.mention_count, 0);
    // Markers never move back, and clamp to the room's last seq.
    let marker = mark_read(&app, &bob, channel, 1).await;
    assert_eq!(marker.read_seq, 2);
    let marker = mark_read(&app, &bob, channel, last.seq + 100).await;
    assert_eq!(marker.read_seq, 3);
    assert_eq!(marker.unread, 0);
    let (s, _) = app
        .post(
            &format!("/api/v1/rooms/{channel}/read"),
            &bob.token,
            json!({"seq": -1}),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn channel_names_are_unique_ignoring_case() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let general = app
        .create_room(&alice, RoomKind::Channel, "general", &[])
        .await;
    let (s, b) = app
        .post(
            "/api/v1/rooms",
            &bob.token,
            json!({"kind": "channel", "name": "General"}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{b}");
    assert_eq!(error_code(&b), ErrorCode::Conflict);
    let message = b["error"]["message"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(message.contains("#General already exists"), "{message}");

    // Groups may share a channel's name; renaming a channel onto it may not.
    app.create_room(&bob, RoomKind::Group, "general", &[]).await;
    let random = app
        .create_room(&bob, RoomKind::Channel, "random", &[])
        .await;
    let (s, b) = app
        .patch(
            &format!("/api/v1/rooms/{}", random.id),
            &bob.token,
            json!({"name": "GENERAL"}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{b}");
    assert_eq!(error_code(&b), ErrorCode::Conflict);
    let (s, b) = app
        .patch(
            &format!("/api/v1/rooms/{}", general.id),
            &alice.token,
            json!({"name": "General"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "a new case of its own name: {b}");
}
