//! Catching up after reconnects: `ready.rooms[].last_seq` plus
//! `GET /rooms/{id}/messages?after=S` pages leave a client holding exactly
//! the room's messages, in seq order, with their latest edits.

use crate::helpers::*;
use hearth_protocol::dto::EditMessageRequest;
use std::collections::HashMap;
use tokio::sync::watch;

const MESSAGES: usize = 500;

/// What a client holds: messages by id.
#[derive(Default)]
struct Held {
    by_id: HashMap<MessageId, Message>,
}

impl Held {
    /// Keeps the copy with the higher `updated_seq` (live or fetched).
    fn merge(&mut self, m: &Message) {
        match self.by_id.get(&m.id) {
            Some(old) if old.updated_seq >= m.updated_seq => {}
            _ => {
                self.by_id.insert(m.id, m.clone());
            }
        }
    }

    fn in_seq_order(&self) -> Vec<Message> {
        let mut all: Vec<Message> = self.by_id.values().cloned().collect();
        all.sort_by_key(|m| m.seq);
        all
    }
}

/// The catch-up algorithm of docs/protocol.md: pages of everything changed
/// after `cursor`, continuing from each page's highest `updated_seq`.
async fn catch_up(
    app: &TestApp,
    user: &TestUser,
    room: RoomId,
    mut cursor: i64,
    held: &mut Held,
) -> i64 {
    loop {
        let page = app
            .messages(user, room, &format!("after={cursor}&limit=100"))
            .await;
        let seqs: Vec<i64> = page.messages.iter().map(|m| m.seq).collect();
        assert!(
            seqs.windows(2).all(|w| w[0] < w[1]),
            "page not in seq order: {seqs:?}"
        );
        assert!(page.messages.len() <= 100);
        for m in &page.messages {
            assert!(m.updated_seq > cursor, "stale row in page: {m:?}");
            held.merge(m);
        }
        if let Some(max) = page.messages.iter().map(|m| m.updated_seq).max() {
            cursor = max;
        }
        if !page.has_more {
            return cursor;
        }
        assert!(!page.messages.is_empty(), "has_more with an empty page");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_client_reconnecting_during_500_sends_and_edits_ends_with_exactly_the_sent_messages() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let room = app
        .create_room(&alice, RoomKind::Group, "busy", &[&bob])
        .await
        .id;
    let (progress, mut progress_rx) = watch::channel(0usize);

    // Alice sends over the gateway and edits over REST; the truth is what
    // her acks and edit answers say.
    let sender = async {
        let mut ws = app.ws(&alice).await;
        let mut truth: Vec<Message> = Vec::with_capacity(MESSAGES);
        for i in 0..MESSAGES {
            let nonce = format!("n-{i}");
            ws.send_message(room, &nonce, &format!("message {i}")).await;
            let acked = expect_event!(ws,
                ServerEvent::Ack(a) if a.nonce == nonce => a.message.clone());
            ws.seen.clear(); // her own echoes; only the acks matter here
            truth.push(acked);
            // Edit some recent messages, some of them twice.
            let edits: &[usize] = match i {
                i if i % 50 == 49 => &[5, 30],
                i if i % 10 == 9 => &[5],
                _ => &[],
            };
            for back in edits {
                let j = i - back;
                let id = truth[j].id;
                let body = format!("message {j}, edited at {i}");
                let edited: Message = app
                    .patch_ok(
                        &format!("/api/v1/rooms/{room}/messages/{id}"),
                        &alice.token,
                        &EditMessageRequest { body },
                    )
                    .await;
                assert!(edited.updated_seq > truth[j].updated_seq);
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
            let last_seq = ws.position(room).last_seq;
            assert!(
                last_seq >= cursor,
                "ready.last_seq {last_seq} behind what bob holds {cursor}"
            );
            if last_seq > cursor {
                cursor = catch_up(&app, &bob, room, cursor, &mut held).await;
            }
            // Live events that arrived meanwhile merge by the same rule.
            ws.sync().await;
            for frame in ws.seen.drain(..) {
                if let ServerEvent::MessageCreated(e) | ServerEvent::MessageUpdated(e) = frame.event
                {
                    held.merge(&e.message);
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
    let seqs: Vec<i64> = held.iter().map(|m| m.seq).collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]));
    for (i, (got, want)) in held.iter().zip(&truth).enumerate() {
        assert_eq!(got.id, want.id, "message {i} out of place");
        assert_eq!(got.seq, want.seq, "message {i}");
        assert_eq!(got.body, want.body, "message {i} lacks its latest edit");
        assert_eq!(got.updated_seq, want.updated_seq, "message {i}");
    }
}
