use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn a_dm_is_one_room_per_pair() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let (s, first) = app
        .post(
            "/api/v1/rooms",
            &alice.token,
            json!({"kind": "dm", "members": [bob.id]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{first}");
    assert_eq!(first["peer"]["username"], "bob");
    let (s, again) = app
        .post(
            "/api/v1/rooms",
            &bob.token,
            json!({"kind": "dm", "members": [alice.id]}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(again["id"], first["id"]);
    assert_eq!(again["peer"]["username"], "alice");
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
    let channel = app.create_room(&alice, "channel", "general", &[]).await;
    let group = app.create_room(&alice, "group", "secret plans", &[]).await;
    let (s, found) = app.get("/api/v1/channels?q=gen", &bob.token).await;
    assert_eq!(s, StatusCode::OK);
    let names: Vec<_> = found
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].clone())
        .collect();
    assert_eq!(names, vec![json!("general")]);
    let (_, all) = app.get("/api/v1/channels", &bob.token).await;
    assert!(
        all.as_array()
            .unwrap()
            .iter()
            .all(|r| r["kind"] == "channel")
    );
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
    let (s, preview) = app
        .get(&format!("/api/v1/rooms/{channel}"), &bob.token)
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(preview["my_role"], serde_json::Value::Null);
    let (s, _) = app
        .get(&format!("/api/v1/rooms/{channel}/messages"), &bob.token)
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "join before reading");
    let (s, joined) = app
        .post(
            &format!("/api/v1/rooms/{channel}/join"),
            &bob.token,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{joined}");
    assert_eq!(joined["my_role"], "member");
    assert_eq!(joined["member_count"], 2);
    let (_, mine) = app.get("/api/v1/rooms", &bob.token).await;
    assert_eq!(mine.as_array().unwrap().len(), 1);
    let (s, _) = app
        .post(
            &format!("/api/v1/rooms/{channel}/leave"),
            &bob.token,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (_, mine) = app.get("/api/v1/rooms", &bob.token).await;
    assert_eq!(mine.as_array().unwrap().len(), 0);
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
        .create_room(&alice, "channel", "general", &[&bob, &carol])
        .await;
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
    assert_eq!(b["error"]["code"], "banned");
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
    let (s, added) = app
        .post(
            &format!("/api/v1/rooms/{channel}/members"),
            &alice.token,
            json!({"user_ids": [bob.id]}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{added}");
    assert_eq!(added.as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn members_roles_and_room_edits() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let group = app.create_room(&alice, "group", "team", &[&bob]).await;
    let (s, members) = app
        .get(&format!("/api/v1/rooms/{group}/members"), &bob.token)
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(members.as_array().unwrap().len(), 2);
    let (s, b) = app
        .patch(
            &format!("/api/v1/rooms/{group}"),
            &bob.token,
            json!({"topic": "mine now"}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{b}");
    let (s, m) = app
        .patch(
            &format!("/api/v1/rooms/{group}/members/{}", bob.id),
            &alice.token,
            json!({"role": "admin"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{m}");
    assert_eq!(m["role"], "admin");
    let (s, room) = app
        .patch(
            &format!("/api/v1/rooms/{group}"),
            &bob.token,
            json!({"topic": "ours", "name": "Team"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{room}");
    assert_eq!(room["topic"], "ours");
    assert_eq!(room["name"], "Team");
    // Admins cannot archive; owners can, and the room turns read-only.
    let (s, _) = app
        .delete(&format!("/api/v1/rooms/{group}"), &bob.token)
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, archived) = app
        .delete(&format!("/api/v1/rooms/{group}"), &alice.token)
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(archived["archived"], true);
    let (s, b) = app
        .post(
            &format!("/api/v1/rooms/{group}/messages"),
            &bob.token,
            json!({"body": "hello?"}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert_eq!(b["error"]["code"], "room_archived");
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
    let channel = app.create_room(&alice, "channel", "general", &[&bob]).await;
    app.send(&alice, &channel, "one").await;
    app.send(&alice, &channel, "hey @bob look").await;
    let last = app.send(&alice, &channel, "three").await;
    let (_, rooms) = app.get("/api/v1/rooms", &bob.token).await;
    let room = &rooms[0];
    assert_eq!(room["unread"], 3);
    assert_eq!(room["mention_count"], 1);
    assert_eq!(room["last_seq"], 3);
    assert_eq!(room["last_message"]["body"], "three");
    let (_, alices) = app.get("/api/v1/rooms", &alice.token).await;
    assert_eq!(alices[0]["unread"], 0, "your own messages are not unread");
    let (s, marker) = app
        .post(
            &format!("/api/v1/rooms/{channel}/read"),
            &bob.token,
            json!({"seq": 2}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{marker}");
    assert_eq!(marker["read_seq"], 2);
    assert_eq!(marker["unread"], 1);
    assert_eq!(marker["mention_count"], 0);
    // Markers never move back, and clamp to the room's last seq.
    let (_, marker) = app
        .post(
            &format!("/api/v1/rooms/{channel}/read"),
            &bob.token,
            json!({"seq": 1}),
        )
        .await;
    assert_eq!(marker["read_seq"], 2);
    let (_, marker) = app
        .post(
            &format!("/api/v1/rooms/{channel}/read"),
            &bob.token,
            json!({"seq": last["seq"].as_i64().unwrap() + 100}),
        )
        .await;
    assert_eq!(marker["read_seq"], 3);
    assert_eq!(marker["unread"], 0);
    let (s, _) = app
        .post(
            &format!("/api/v1/rooms/{channel}/read"),
            &bob.token,
            json!({"seq": -1}),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
}
