//! Messages over REST: idempotent sends, history pages, replies, edits,
//! deletes, reactions, limits and anonymous posts.

use crate::helpers::*;
use hearth_protocol::dto::{
    CreateRoomRequest, EditMessageRequest, PinnedMessages, ReactionSummary, SendMessageRequest,
};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::collections::HashSet;

fn seqs(page: &MessagePage) -> Vec<i64> {
    page.messages.iter().map(|m| m.seq).collect()
}

fn message_request(body: &str) -> SendMessageRequest {
    SendMessageRequest {
        body: body.to_string(),
        nonce: None,
        reply_to: None,
        attachments: Vec::new(),
        anonymous: false,
    }
}

/// A group that allows anonymous posts, with `members`.
async fn anonymous_room(
    app: &TestApp,
    owner: &TestUser,
    name: &str,
    members: &[&TestUser],
) -> RoomId {
    let request = CreateRoomRequest {
        kind: RoomKind::Group,
        name: Some(name.to_string()),
        topic: None,
        description: None,
        members: members.iter().map(|u| u.id).collect(),
        anonymous_allowed: true,
    };
    let room: Room = app
        .post_as("/api/v1/rooms", &owner.token, &request, StatusCode::CREATED)
        .await;
    room.id
}

#[tokio::test]
async fn the_same_nonce_returns_the_original_message() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let room = app
        .create_room(&alice, RoomKind::Channel, "general", &[])
        .await
        .id;
    let path = format!("/api/v1/rooms/{room}/messages");
    let first: Message = app
        .post_as(
            &path,
            &alice.token,
            &SendMessageRequest {
                nonce: Some("n-1".to_string()),
                ..message_request("hi")
            },
            StatusCode::CREATED,
        )
        .await;
    let again: Message = app
        .post_as(
            &path,
            &alice.token,
            &SendMessageRequest {
                nonce: Some("n-1".to_string()),
                ..message_request("hi (retry)")
            },
            StatusCode::OK,
        )
        .await;
    assert_eq!(again.id, first.id);
    assert_eq!(again.body, "hi");
    assert_eq!(app.messages(&alice, room, "").await.messages.len(), 1);
    let (s, _) = app
        .post(&path, &alice.token, json!({"body": "x", "nonce": ""}))
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn history_pages_backwards_and_catches_up_forwards_with_edits() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let room = app
        .create_room(&alice, RoomKind::Channel, "general", &[])
        .await
        .id;
    let mut ids = Vec::new();
    for i in 1..=7 {
        ids.push(app.send(&alice, room, &format!("m{i}")).await.id);
    }
    let path = format!("/api/v1/rooms/{room}/messages");
    let latest = app.messages(&alice, room, "limit=3").await;
    assert_eq!(seqs(&latest), vec![5, 6, 7]);
    assert!(latest.has_more);
    let older = app.messages(&alice, room, "limit=3&before=5").await;
    assert_eq!(seqs(&older), vec![2, 3, 4]);
    let oldest = app.messages(&alice, room, "limit=3&before=2").await;
    assert_eq!(seqs(&oldest), vec![1]);
    assert!(!oldest.has_more);
    // Edit message 2 (takes seq 8) and react to 3 (seq 9): after=7 returns both.
    let edited: Message = app
        .patch_ok(
            &format!("{path}/{}", ids[1]),
            &alice.token,
            &EditMessageRequest {
                body: "m2 edited".to_string(),
            },
        )
        .await;
    assert_eq!(edited.updated_seq, 8);
    assert!(edited.edited_at.is_some());
    let (s, _) = app
        .put(
            &format!("{path}/{}/reactions/%F0%9F%91%8D", ids[2]),
            &alice.token,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let changed = app.messages(&alice, room, "after=7").await;
    assert_eq!(seqs(&changed), vec![2, 3]);
    assert_eq!(changed.messages[0].body, "m2 edited");
    let reaction = &changed.messages[1].reactions[0];
    assert_eq!((reaction.emoji.as_str(), reaction.me), ("👍", true));
    assert_eq!(changed.last_seq, 9);
    // after=0 with a small limit pages through everything by updated_seq.
    let mut held = std::collections::BTreeMap::new();
    let mut after = 0;
    loop {
        let page = app
            .messages(&alice, room, &format!("after={after}&limit=2"))
            .await;
        for m in page.messages {
            after = after.max(m.updated_seq);
            held.insert(m.seq, m.body);
        }
        if !page.has_more {
            break;
        }
    }
    assert_eq!(held.len(), 7);
    assert_eq!(held[&2], "m2 edited");
    for bad in [
        "?limit=0",
        "?limit=101",
        "?before=-1",
        "?after=1&before=3",
        "?limit=abc",
    ] {
        let (s, b) = app.get(&format!("{path}{bad}"), &alice.token).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{bad}: {b}");
    }
}

#[tokio::test]
async fn replies_edits_deletes_and_reactions() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let room = app
        .create_room(&alice, RoomKind::Channel, "general", &[&bob])
        .await
        .id;
    let other = app
        .create_room(&alice, RoomKind::Channel, "other", &[])
        .await
        .id;
    let path = format!("/api/v1/rooms/{room}/messages");
    let original = app.send(&alice, room, "question?").await;
    let oid = original.id;
    let reply: Message = app
        .post_as(
            &path,
            &bob.token,
            &SendMessageRequest {
                reply_to: Some(oid),
                ..message_request("answer")
            },
            StatusCode::CREATED,
        )
        .await;
    assert_eq!(reply.reply_to, Some(oid));
    let elsewhere = app.send(&alice, other, "elsewhere").await;
    let (s, b) = app
        .post(
            &path,
            &bob.token,
            json!({"body": "bad", "reply_to": elsewhere.id}),
        )
        .await;
    assert_eq!(
        s,
        StatusCode::BAD_REQUEST,
        "reply_to must be in the same room: {b}"
    );
    // Only the sender edits.
    let (s, _) = app
        .patch(
            &format!("{path}/{oid}"),
            &bob.token,
            json!({"body": "hijack"}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // Reactions: add twice is one, remove, bad emoji, 20 distinct at most.
    let party = |me| ReactionSummary {
        emoji: "🎉".to_string(),
        count: 1,
        me,
    };
    for _ in 0..2 {
        let (s, m) = app
            .put(&format!("{path}/{oid}/reactions/%F0%9F%8E%89"), &bob.token)
            .await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(decode::<Message>(m).reactions, [party(true)]);
    }
    let m = app.message(&alice, room, oid).await;
    assert_eq!(m.reactions, [party(false)]);
    let (s, m) = app
        .delete(&format!("{path}/{oid}/reactions/%F0%9F%8E%89"), &bob.token)
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(decode::<Message>(m).reactions, []);
    let (s, _) = app
        .put(&format!("{path}/{oid}/reactions/abc"), &bob.token)
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    for i in 0..20 {
        let (s, b) = app
            .put(&format!("{path}/{oid}/reactions/:r{i}:"), &bob.token)
            .await;
        assert_eq!(s, StatusCode::OK, "{i}: {b}");
    }
    let (s, b) = app
        .put(&format!("{path}/{oid}/reactions/:r20:"), &bob.token)
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "21st distinct reaction: {b}");
    // Delete: a tombstone that keeps its seq; others cannot delete it.
    let (s, _) = app.delete(&format!("{path}/{oid}"), &bob.token).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = app.delete(&format!("{path}/{oid}"), &alice.token).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let m = app.message(&alice, room, oid).await;
    assert!(m.deleted);
    assert_eq!(m.body, "");
    assert_eq!(m.seq, original.seq);
    assert_eq!(m.sender, None);
    assert_eq!(m.reactions, []);
    let (s, _) = app.delete(&format!("{path}/{oid}"), &alice.token).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = app
        .patch(
            &format!("{path}/{oid}"),
            &alice.token,
            json!({"body": "revive"}),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn pinned_messages_are_listed_newest_first_to_members_only() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let carol = app.register("carol").await;
    let room = app
        .create_room(&alice, RoomKind::Group, "plans", &[])
        .await
        .id;
    let path = format!("/api/v1/rooms/{room}");
    let first = app.send(&alice, room, "first").await;
    let second = app.send(&alice, room, "second").await;
    app.send(&alice, room, "not pinned").await;
    for m in [&first, &second] {
        let (s, b) = app
            .put(&format!("{path}/messages/{}/pin", m.id), &alice.token)
            .await;
        assert_eq!(s, StatusCode::OK, "{b}");
    }
    let pins: PinnedMessages = app.get_ok(&format!("{path}/pins"), &alice.token).await;
    let bodies: Vec<&str> = pins.messages.iter().map(|m| m.body.as_str()).collect();
    assert_eq!(bodies, ["second", "first"]);
    assert!(pins.messages.iter().all(|m| m.pinned));

    let (s, _) = app
        .delete(&format!("{path}/messages/{}/pin", second.id), &alice.token)
        .await;
    assert_eq!(s, StatusCode::OK);
    let pins: PinnedMessages = app.get_ok(&format!("{path}/pins"), &alice.token).await;
    assert_eq!(pins.messages.len(), 1);
    assert_eq!(pins.messages[0].id, first.id);

    let (s, _) = app.get(&format!("{path}/pins"), &carol.token).await;
    assert_eq!(
        s,
        StatusCode::NOT_FOUND,
        "a non-member of a group sees no pins"
    );
}

#[tokio::test]
async fn message_bodies_are_bounded() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let room = app
        .create_room(&alice, RoomKind::Channel, "general", &[])
        .await
        .id;
    let path = format!("/api/v1/rooms/{room}/messages");
    let (s, _) = app
        .post(&path, &alice.token, json!({"body": "é".repeat(4000)}))
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let (s, b) = app
        .post(&path, &alice.token, json!({"body": "x".repeat(4001)}))
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(error_code(&b), ErrorCode::Validation);
    let (s, _) = app.post(&path, &alice.token, json!({"body": "  "})).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, _) = app.post(&path, &alice.token, json!({"body": 5})).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, b) = app
        .post(&path, &alice.token, json!({"body": "x".repeat(70_000)}))
        .await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE, "{b}");
    assert_eq!(error_code(&b), ErrorCode::PayloadTooLarge);
    let (s, _) = app
        .post(
            "/api/v1/rooms/01900000-0000-7000-8000-000000000000/messages",
            &alice.token,
            json!({"body": "x"}),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn anonymous_posts_hide_the_sender_but_not_from_moderation() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let room = anonymous_room(&app, &alice, "confessions", &[&bob]).await;
    let strict = app
        .create_room(&alice, RoomKind::Group, "strict", &[&bob])
        .await
        .id;
    let (s, _) = app
        .post(
            &format!("/api/v1/rooms/{strict}/messages"),
            &bob.token,
            json!({"body": "psst", "anonymous": true}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let path = format!("/api/v1/rooms/{room}/messages");
    let m: Message = app
        .post_as(
            &path,
            &bob.token,
            &SendMessageRequest {
                anonymous: true,
                ..message_request("i did it")
            },
            StatusCode::CREATED,
        )
        .await;
    assert_eq!(m.sender, None);
    assert!(m.anonymous);
    let page = app.messages(&alice, room, "").await;
    assert_eq!(page.messages[0].sender, None);
    // The owner (a moderator and up) can still remove it.
    let (s, _) = app.delete(&format!("{path}/{}", m.id), &alice.token).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn concurrent_sends_get_gap_free_seqs_and_no_duplicate_nonce() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let room = app
        .create_room(&alice, RoomKind::Channel, "general", &[&bob])
        .await
        .id;
    let path = format!("/api/v1/rooms/{room}/messages");
    let mut tasks = Vec::new();
    for i in 0..80 {
        let (http, url, token) = (
            app.http.clone(),
            app.url(&path),
            if i % 2 == 0 {
                alice.token.clone()
            } else {
                bob.token.clone()
            },
        );
        // Every 4th send repeats the nonce of the one before it.
        let nonce = format!("n-{}", if i % 4 == 3 { i - 2 } else { i });
        tasks.push(tokio::spawn(async move {
            let res = http
                .post(url)
                .bearer_auth(token)
                .json(&SendMessageRequest {
                    nonce: Some(nonce),
                    ..message_request(&format!("b{i}"))
                })
                .send()
                .await
                .unwrap();
            let status = res.status();
            let v: Value = res.json().await.unwrap();
            (status, v)
        }));
    }
    let mut ids = HashSet::new();
    for t in tasks {
        let (status, v) = t.await.unwrap();
        assert!(
            status == StatusCode::CREATED || status == StatusCode::OK,
            "{status} {v}"
        );
        ids.insert(decode::<Message>(v).id);
    }
    assert_eq!(
        ids.len(),
        60,
        "20 repeated nonces collapse into their originals"
    );
    let mut all = Vec::new();
    let mut before = None::<i64>;
    loop {
        let q = before.map_or(String::from("limit=100"), |b| {
            format!("limit=100&before={b}")
        });
        let page = app.messages(&alice, room, &q).await;
        let s = seqs(&page);
        before = s.first().copied();
        all.splice(0..0, s);
        if !page.has_more {
            break;
        }
    }
    assert_eq!(all, (1..=60).collect::<Vec<_>>());
}

#[tokio::test]
async fn an_anonymous_posts_nonce_reaches_only_its_sender() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let room = anonymous_room(&app, &alice, "anon", &[&bob]).await;
    let mut alice_ws = app.ws(&alice).await;
    let (s, mine) = app
        .post(
            &format!("/api/v1/rooms/{room}/messages"),
            &bob.token,
            json!({"body": "guess who", "nonce": "bob-secret-1", "anonymous": true}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    assert_eq!(
        mine["nonce"], "bob-secret-1",
        "the sender's own answer keeps it"
    );
    // Absent on the wire, not null: what is checked is the raw frame.
    let live = alice_ws
        .expect_frame(
            "the anonymous message",
            |e| matches!(e, ServerEvent::MessageCreated(m) if m.message.body == "guess who"),
        )
        .await;
    let message = &live.raw["d"]["message"];
    assert!(message.get("nonce").is_none(), "{message}");
    assert_eq!(message["sender"], Value::Null);
    let (_, page) = app
        .get(&format!("/api/v1/rooms/{room}/messages"), &alice.token)
        .await;
    assert!(page["messages"][0].get("nonce").is_none(), "{page}");
}
