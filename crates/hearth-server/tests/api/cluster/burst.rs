//! What the fault tests share: sending over a socket that may die under the
//! send (so an answer may never come), and following a room as a client
//! does — live events, `resync`, catch-up — while counting any message
//! delivered live twice.

use super::support::{Held, catch_up};
use crate::helpers::*;
use futures_util::{SinkExt, StreamExt};
use std::collections::HashSet;
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message as WsMessage;

/// How long a fault test waits for a client to hold everything: the
/// `resync` after a bus outage comes on the nodes' own backoff timers.
pub const CATCH_UP: Duration = Duration::from_secs(30);

/// What one `send` over a socket came to.
#[derive(Debug)]
pub enum Sent {
    Acked(Box<Message>),
    Refused(ErrorCode),
    /// The connection ended before an answer: the message may or may not
    /// be stored; the client sends it again under the same nonce.
    Cut,
}

/// The next frame, or `None` once the connection is gone (closed or cut).
pub async fn next_event(ws: &mut WsClient, deadline: tokio::time::Instant) -> Option<ServerEvent> {
    if !ws.seen.is_empty() {
        return Some(ws.seen.remove(0).event);
    }
    loop {
        match tokio::time::timeout_at(deadline, ws.stream.next()).await {
            Ok(Some(Ok(WsMessage::Text(text)))) => {
                return Some(serde_json::from_str(&text).expect("a server event"));
            }
            Ok(Some(Ok(WsMessage::Close(_)) | Err(_)) | None) => return None,
            Ok(Some(Ok(_))) => continue,
            Err(_) => panic!("no frame within {TIMEOUT:?}"),
        }
    }
}

/// Writes a `send` op; false if the connection is already gone.
pub async fn write_send(ws: &mut WsClient, room: RoomId, nonce: &str) -> bool {
    let op = serde_json::to_string(&send_op(room, nonce, nonce)).expect("op");
    ws.stream.send(WsMessage::Text(op.into())).await.is_ok()
}

/// Awaits the answer to the `send` under `nonce`; other events are kept in
/// `ws.seen`.
pub async fn await_answer(ws: &mut WsClient, nonce: &str) -> Sent {
    let deadline = tokio::time::Instant::now() + TIMEOUT;
    let mut kept = Vec::new();
    let sent = loop {
        let Some(frame) = next_raw(ws, deadline).await else {
            break Sent::Cut;
        };
        match &frame.event {
            ServerEvent::Ack(a) if a.nonce == nonce => {
                break Sent::Acked(Box::new(a.message.clone()));
            }
            ServerEvent::Error(e) if e.nonce.as_deref() == Some(nonce) => {
                break Sent::Refused(e.code);
            }
            _ => kept.push(frame),
        }
    };
    ws.seen.extend(kept);
    sent
}

async fn next_raw(ws: &mut WsClient, deadline: tokio::time::Instant) -> Option<Frame> {
    loop {
        match tokio::time::timeout_at(deadline, ws.stream.next()).await {
            Ok(Some(Ok(WsMessage::Text(text)))) => {
                let raw: serde_json::Value = serde_json::from_str(&text).expect("json");
                let event = serde_json::from_value(raw.clone()).expect("a server event");
                return Some(Frame { event, raw });
            }
            Ok(Some(Ok(WsMessage::Close(_)) | Err(_)) | None) => return None,
            Ok(Some(Ok(_))) => continue,
            Err(_) => panic!("no answer within {TIMEOUT:?}"),
        }
    }
}

/// Sends under `nonce` and awaits the answer.
pub async fn send_over(ws: &mut WsClient, room: RoomId, nonce: &str) -> Sent {
    if !write_send(ws, room, nonce).await {
        return Sent::Cut;
    }
    await_answer(ws, nonce).await
}

/// A client following one room: what it holds, and what it was sent live
/// more than once on one connection.
#[derive(Default)]
pub struct Follower {
    pub held: Held,
    live: HashSet<MessageId>,
    pub live_duplicates: Vec<MessageId>,
    pub resyncs: usize,
}

impl Follower {
    /// A new connection: what was delivered live on the old one stays held,
    /// and may come again on the new one only through catch-up.
    pub fn reconnected(&mut self) {
        self.live.clear();
    }

    pub fn live(&mut self, message: &Message) {
        if !self.live.insert(message.id) {
            self.live_duplicates.push(message.id);
        }
        self.held.merge(message);
    }

    /// After `ready` on a new connection: catches up if the room moved on.
    pub async fn caught_up_from_ready(
        &mut self,
        node: &TestApp,
        user: &TestUser,
        ws: &WsClient,
        room: RoomId,
    ) {
        if ws.position(room).last_seq > self.held.contiguous() {
            catch_up(node, user, room, &mut self.held).await;
        }
    }

    /// Reads events (catching up on `resync`) until every id of `acked` is
    /// held; fails naming how many are missing.
    pub async fn hold_all(
        &mut self,
        node: &TestApp,
        user: &TestUser,
        room: RoomId,
        ws: &mut WsClient,
        acked: &HashSet<MessageId>,
    ) {
        let deadline = tokio::time::Instant::now() + CATCH_UP;
        while !self.held.holds_all(acked) {
            let frame = tokio::time::timeout_at(deadline, next_event(ws, deadline + TIMEOUT)).await;
            let event = match frame {
                Ok(Some(event)) => event,
                Ok(None) => panic!("{}: connection ended while catching up", user.username),
                Err(_) => panic!(
                    "{}: holds {} of {} acknowledged messages after {CATCH_UP:?} ({} resyncs)",
                    user.username,
                    acked
                        .iter()
                        .filter(|id| self.held.seqs.contains_key(*id))
                        .count(),
                    acked.len(),
                    self.resyncs
                ),
            };
            match event {
                ServerEvent::MessageCreated(e) if e.message.room_id == room => {
                    self.live(&e.message);
                    // A hole below it (an event that died with its node, or
                    // one still on its way): fetch, as docs/protocol.md says.
                    if self.held.contiguous() < e.message.seq {
                        catch_up(node, user, room, &mut self.held).await;
                    }
                }
                ServerEvent::Resync(_) => {
                    self.resyncs += 1;
                    catch_up(node, user, room, &mut self.held).await;
                }
                _ => {}
            }
        }
    }
}

/// The room's whole history, page by page, as the store has it.
pub async fn history(node: &TestApp, user: &TestUser, room: RoomId) -> Vec<Message> {
    let mut all: Vec<Message> = Vec::new();
    let mut after = 0;
    loop {
        let page = node
            .messages(user, room, &format!("after={after}&limit=100"))
            .await;
        for m in &page.messages {
            after = after.max(m.seq);
        }
        all.extend(page.messages);
        if !page.has_more {
            return all;
        }
    }
}

/// Every nonce in `nonces` stored exactly once (the body is the nonce), at
/// gap-free seqs, and every acknowledged id among them.
pub fn assert_exactly_once(
    history: &[Message],
    nonces: &HashSet<String>,
    acked: &HashSet<MessageId>,
) {
    let mut bodies = HashSet::new();
    for m in history {
        assert!(
            bodies.insert(m.body.clone()),
            "stored twice: {:?} (seq {})",
            m.body,
            m.seq
        );
    }
    let expected: HashSet<&str> = nonces.iter().map(String::as_str).collect();
    let stored: HashSet<&str> = bodies.iter().map(String::as_str).collect();
    let lost: Vec<_> = expected.difference(&stored).collect();
    let extra: Vec<_> = stored.difference(&expected).collect();
    assert!(
        lost.is_empty(),
        "sent (and retried) but not stored: {lost:?}"
    );
    assert!(extra.is_empty(), "stored but never sent: {extra:?}");
    let ids: HashSet<MessageId> = history.iter().map(|m| m.id).collect();
    assert!(acked.is_subset(&ids), "an acknowledged message is missing");
    let seqs: Vec<i64> = history.iter().map(|m| m.seq).collect();
    assert_eq!(
        seqs,
        (1..=history.len() as i64).collect::<Vec<_>>(),
        "gap-free seqs"
    );
}
