//! Catching up after reconnects: `ready.rooms[].last_seq` plus
//! `GET /rooms/{id}/messages?after=S` pages leave a client holding exactly
//! the room's messages, in seq order, with their latest edits.

use super::{position, str_of};
use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::collections::HashMap;
use tokio::sync::watch;

const MESSAGES: usize = 500;

/// What a client holds: messages by id.
#[derive(Default)]
struct Held {
    by_id: HashMap<String, Value>,
}

impl Held {
    /// Keeps the copy with the higher `updated_seq` (live or fetched).
    fn merge(&mut self, m: &Value) {
        let id = str_of(&m["id"]);
        let newer = m["updated_seq"].as_i64().unwrap();
        match self.by_id.get(&id) {
            Some(old) if old["updated_seq"].as_i64().unwrap() >= newer => {}
            _ => {
                self.by_id.insert(id, m.clone());
            }
        }
    }

    fn in_seq_order(&self) -> Vec<Value> {
        let mut all: Vec<Value> = self.by_id.values().cloned().collect();
        all.sort_by_key(|m| m["seq"].as_i64().unwrap());
        all
    }
}

/// The catch-up algorithm of docs/protocol.md: pages of everything changed
/// after `cursor`, continuing from each page's highest `updated_seq`.
async fn catch_up(
    app: &TestApp,
    user: &TestUser,
    room: &str,
    mut cursor: i64,
    held: &mut Held,
) -> i64 {
    loop {
        let path = format!("/api/v1/rooms/{room}/messages?after={cursor}&limit=100");
        let (status, page) = app.get(&path, &user.token).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        let messages = page["messages"].as_array().unwrap();
        let seqs: Vec<i64> = messages
            .iter()
            .map(|m| m["seq"].as_i64().unwrap())
            .collect();
        assert!(
            seqs.windows(2).all(|w| w[0] < w[1]),
            "page not in seq order: {seqs:?}"
        );
        assert!(messages.len() <= 100);
        for m in messages {
            assert!(
                m["updated_seq"].as_i64().unwrap() > cursor,
                "stale row in page: {m}"
            );
            held.merge(m);
        }
        if let Some(max) = messages
            .iter()
            .map(|m| m["updated_seq"].as_i64().unwrap())
            .max()
        {
            cursor = max;
        }
        if page["has_more"] != true {
            return cursor;
        }
        assert!(!messages.is_empty(), "has_more with an empty page");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_client_reconnecting_during_500_sends_and_edits_ends_with_exactly_the_sent_messages() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let room = app.create_room(&alice, "group", "busy", &[&bob]).await;
    let (progress, mut progress_rx) = watch::channel(0usize);

    // Alice sends over the gateway and edits over REST; the truth is what
    // her acks and edit answers say.
    let sender = async {
        let mut ws = app.ws(&alice).await;
        let mut truth: Vec<Value> = Vec::with_capacity(MESSAGES);
        for i in 0..MESSAGES {
            let nonce = format!("n-{i}");
            ws.send_json(json!({"op": "send", "room_id": room, "nonce": nonce, "body": format!("message {i}")}))
                .await;
            let ack = ws
                .expect_event("ack", |d| d["nonce"] == nonce.as_str())
                .await;
            ws.seen.clear(); // her own echoes; only the acks matter here
            truth.push(ack["message"].clone());
            // Edit some recent messages, some of them twice.
            let edits: &[usize] = match i {
                i if i % 50 == 49 => &[5, 30],
                i if i % 10 == 9 => &[5],
                _ => &[],
            };
            for back in edits {
                let j = i - back;
                let id = str_of(&truth[j]["id"]);
                let body = format!("message {j}, edited at {i}");
                let (status, edited) = app
                    .patch(
                        &format!("/api/v1/rooms/{room}/messages/{id}"),
                        &alice.token,
                        json!({"body": body}),
                    )
                    .await;
                assert_eq!(status, StatusCode::OK, "{edited}");
                assert!(edited["updated_seq"].as_i64() > truth[j]["updated_seq"].as_i64());
                truth[j] = edited;
            }
            progress.send_replace(i + 1);
        }
        truth
    };

    // Bob keeps dropping his connection; after each reconnect he catches up.
    let reader = async {
        let mut held = Held::default();
        let mut cursor = 0i64;
        let mut rounds = 0;
        loop {
            let done = *progress_rx.borrow_and_update() == MESSAGES;
            let mut ws = app.ws(&bob).await;
            let last_seq = position(&ws.ready, &room)["last_seq"].as_i64().unwrap();
            assert!(
                last_seq >= cursor,
                "ready.last_seq {last_seq} behind what bob holds {cursor}"
            );
            if last_seq > cursor {
                cursor = catch_up(&app, &bob, &room, cursor, &mut held).await;
            }
            // Live events that arrived meanwhile merge by the same rule.
            ws.sync().await;
            for e in ws.seen.drain(..) {
                if e["t"] == "message.created" || e["t"] == "message.updated" {
                    held.merge(&e["d"]["message"]);
                }
            }
            rounds += 1;
            // Leave abruptly or politely, alternately.
            if rounds % 2 == 0 {
                let _ = ws.stream.close(None).await;
            }
            drop(ws);
            if done {
                return (held, rounds);
            }
            // Let alice get ahead before the next reconnect.
            let target = (*progress_rx.borrow() + 60).min(MESSAGES);
            tokio::time::timeout(TIMEOUT, progress_rx.wait_for(|n| *n >= target))
                .await
                .expect("the sender stalled")
                .expect("the sender is gone");
        }
    };

    let (truth, (held, rounds)) = tokio::join!(sender, reader);
    assert!(rounds >= 5, "only {rounds} reconnects");
    let held = held.in_seq_order();
    assert_eq!(held.len(), MESSAGES, "bob holds {} messages", held.len());
    let seqs: Vec<i64> = held.iter().map(|m| m["seq"].as_i64().unwrap()).collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]));
    for (i, (got, want)) in held.iter().zip(&truth).enumerate() {
        assert_eq!(got["id"], want["id"], "message {i} out of place");
        assert_eq!(got["seq"], want["seq"], "message {i}");
        assert_eq!(
            got["body"], want["body"],
            "message {i} lacks its latest edit"
        );
        assert_eq!(got["updated_seq"], want["updated_seq"], "message {i}");
    }
}
