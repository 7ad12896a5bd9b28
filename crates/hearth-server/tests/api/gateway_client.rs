//! A gateway client for tests: it sends typed [`ClientOp`]s (or raw frames,
//! for tests about bad input), decodes every server frame as a
//! [`ServerEvent`] (a frame that is not one fails the test on arrival), and
//! *awaits* the event a test expects under a timeout, listing on failure
//! every event it saw instead.

use crate::helpers::{TIMEOUT, TestApp, TestUser};
use futures_util::{SinkExt, StreamExt};
use hearth_protocol::gateway::{ClientOp, Ready, ServerEvent};
use hearth_protocol::{MessageId, RoomId};
use serde_json::Value;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message as WsMessage;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// Awaits the first event matching a pattern (and guard) on a [`WsClient`],
/// answering the expression after `=>` (or `()`); events before it stay in
/// `seen`. `expect_event!(ws, ServerEvent::Pong(p) if p.n == Some(1))`.
#[macro_export]
macro_rules! expect_event {
    ($ws:expr, $pat:pat $(if $guard:expr)? => $out:expr) => {
        $ws.expect(stringify!($pat $(if $guard)?), |event| match event {
            $pat $(if $guard)? => Some($out),
            _ => None,
        })
        .await
    };
    ($ws:expr, $pat:pat $(if $guard:expr)?) => {
        $crate::expect_event!($ws, $pat $(if $guard)? => ())
    };
}

/// What of the events received so far (and not consumed) match a pattern:
/// `seen_events!(ws, ServerEvent::Typing(t) => t.user_id)`.
#[macro_export]
macro_rules! seen_events {
    ($ws:expr, $pat:pat $(if $guard:expr)? => $out:expr) => {
        $ws.seen_where(|event| match event {
            $pat $(if $guard)? => Some($out),
            _ => None,
        })
    };
    ($ws:expr, $pat:pat $(if $guard:expr)?) => {
        $crate::seen_events!($ws, $pat $(if $guard)? => ())
    };
}

pub use crate::{expect_event, seen_events};

impl TestApp {
    /// Opens an authenticated gateway connection and waits for `ready`.
    pub async fn ws(&self, user: &TestUser) -> WsClient {
        WsClient::connect(self.addr, &user.token).await
    }

    /// An unauthenticated gateway connection.
    pub async fn ws_raw(&self) -> WsClient {
        WsClient::connect_raw(self.addr).await
    }
}

impl WsClient {
    /// A gateway connection to the server at `addr`, authenticated with
    /// `token`, once its `ready` came (for servers that are no [`TestApp`],
    /// such as a `hearth` process).
    pub async fn connect(addr: std::net::SocketAddr, token: &str) -> WsClient {
        let mut c = Self::connect_raw(addr).await;
        c.send_op(ClientOp::Auth {
            token: token.to_string(),
        })
        .await;
        let ready = expect_event!(c, ServerEvent::Ready(r) => r.clone());
        c.ready = Some(ready);
        c
    }

    /// An unauthenticated gateway connection to the server at `addr`.
    pub async fn connect_raw(addr: std::net::SocketAddr) -> WsClient {
        let url = format!("ws://{addr}/api/v1/gateway");
        let (stream, _) = tokio::time::timeout(TIMEOUT, tokio_tungstenite::connect_async(url))
            .await
            .expect("ws connect timed out")
            .expect("ws connect failed");
        WsClient {
            stream,
            seen: Vec::new(),
            ready: None,
        }
    }
}

/// One server frame: as decoded, and as it was on the wire.
#[derive(Clone, Debug)]
pub struct Frame {
    pub event: ServerEvent,
    pub raw: Value,
}

pub struct WsClient {
    pub stream: WebSocketStream<MaybeTlsStream<TcpStream>>,
    /// Every frame received so far and not yet consumed by an expectation.
    pub seen: Vec<Frame>,
    ready: Option<Box<Ready>>,
}

/// How a connection ended.
#[derive(Debug, PartialEq)]
pub enum Ended {
    Closed(Option<u16>),
    Dropped,
}

impl WsClient {
    /// The `ready` this connection was answered with.
    pub fn ready(&self) -> &Ready {
        self.ready
            .as_deref()
            .expect("not an authenticated connection")
    }

    /// The `ready` position of `room`.
    pub fn position(&self, room: RoomId) -> hearth_protocol::gateway::RoomPosition {
        let rooms = &self.ready().rooms;
        rooms
            .iter()
            .find(|r| r.id == room)
            .cloned()
            .unwrap_or_else(|| panic!("room {room} not in ready: {rooms:?}"))
    }

    pub async fn send_op(&mut self, op: ClientOp) {
        let frame = serde_json::to_string(&op).expect("an op serializes");
        self.send_text(&frame).await;
    }

    /// A `send` op of `body` to `room` under `nonce`.
    pub async fn send_message(&mut self, room: RoomId, nonce: &str, body: &str) {
        self.send_op(send_op(room, nonce, body)).await;
    }

    /// A frame as it is, for tests of malformed or unusual input.
    pub async fn send_json(&mut self, v: Value) {
        self.send_text(&v.to_string()).await;
    }

    pub async fn send_text(&mut self, s: &str) {
        self.stream
            .send(WsMessage::Text(s.to_string().into()))
            .await
            .expect("ws send failed");
    }

    /// Awaits the first event (kept or new) for which `pick` answers
    /// `Some`, removes it and returns the answer; other events are kept in
    /// `seen`. Fails with everything seen when none came within [`TIMEOUT`].
    pub async fn expect<T>(
        &mut self,
        what: &str,
        mut pick: impl FnMut(&ServerEvent) -> Option<T>,
    ) -> T {
        self.expect_frame_by(what, |f| pick(&f.event)).await
    }

    /// [`WsClient::expect`] for a test about the wire shape: the whole frame
    /// of the first event `pred` accepts, raw JSON included.
    pub async fn expect_frame(
        &mut self,
        what: &str,
        mut pred: impl FnMut(&ServerEvent) -> bool,
    ) -> Frame {
        self.expect_frame_by(what, |f| pred(&f.event).then(|| f.clone()))
            .await
    }

    async fn expect_frame_by<T>(
        &mut self,
        what: &str,
        mut pick: impl FnMut(&Frame) -> Option<T>,
    ) -> T {
        if let Some((pos, found)) = self
            .seen
            .iter()
            .enumerate()
            .find_map(|(i, f)| pick(f).map(|t| (i, t)))
        {
            self.seen.remove(pos);
            return found;
        }
        let deadline = tokio::time::Instant::now() + TIMEOUT;
        loop {
            let next = tokio::time::timeout_at(deadline, self.stream.next()).await;
            match next {
                Ok(Some(Ok(WsMessage::Text(text)))) => {
                    let frame = parse(&text);
                    if let Some(found) = pick(&frame) {
                        return found;
                    }
                    self.seen.push(frame);
                }
                Ok(Some(Ok(_))) => continue,
                other => panic!(
                    "expected {what}; got {other:?} instead; seen before:\n{}",
                    self.describe_seen()
                ),
            }
        }
    }

    /// Round-trips a ping: everything queued for this session before now has
    /// arrived once the pong is back (events are delivered in queue order).
    pub async fn sync(&mut self) {
        let n = next_ping();
        self.send_op(ClientOp::Ping { n: Some(n) }).await;
        expect_event!(self, ServerEvent::Pong(p) if p.n == Some(n));
    }

    /// What `pick` answers for the events received so far (complete after a
    /// [`WsClient::sync`]), in arrival order; they stay in `seen`.
    pub fn seen_where<T>(&self, mut pick: impl FnMut(&ServerEvent) -> Option<T>) -> Vec<T> {
        self.seen.iter().filter_map(|f| pick(&f.event)).collect()
    }

    /// Each event seen, one a line, as it came over the wire.
    pub fn describe_seen(&self) -> String {
        if self.seen.is_empty() {
            return "  (nothing)".to_string();
        }
        self.seen
            .iter()
            .map(|f| {
                let line = f.raw.to_string();
                let short: String = line.chars().take(300).collect();
                let more = if short.len() < line.len() { "…" } else { "" };
                format!("  {short}{more}")
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// Fails, listing them, if any event matching `pick` was received.
    pub fn assert_none_seen(&self, why: &str, mut pick: impl FnMut(&ServerEvent) -> bool) {
        assert!(
            !self.seen.iter().any(|f| pick(&f.event)),
            "{why}; seen:\n{}",
            self.describe_seen()
        );
    }

    /// Waits for the server to close the connection; returns the close code.
    pub async fn expect_close(&mut self) -> Ended {
        let deadline = tokio::time::Instant::now() + TIMEOUT;
        loop {
            match tokio::time::timeout_at(deadline, self.stream.next()).await {
                Ok(Some(Ok(WsMessage::Close(frame)))) => {
                    return Ended::Closed(frame.map(|f| u16::from(f.code)));
                }
                Ok(Some(Ok(WsMessage::Text(text)))) => self.seen.push(parse(&text)),
                Ok(Some(Ok(_))) => continue,
                Ok(Some(Err(_))) | Ok(None) => return Ended::Dropped,
                Err(_) => panic!(
                    "connection not closed within {TIMEOUT:?}; seen:\n{}",
                    self.describe_seen()
                ),
            }
        }
    }

    /// The next frame of any kind (kept ones first), or `None` at `deadline`.
    pub async fn next_frame(&mut self, deadline: tokio::time::Instant) -> Option<Frame> {
        if !self.seen.is_empty() {
            return Some(self.seen.remove(0));
        }
        loop {
            match tokio::time::timeout_at(deadline, self.stream.next()).await {
                Ok(Some(Ok(WsMessage::Text(text)))) => return Some(parse(&text)),
                Ok(Some(Ok(_))) => continue,
                Ok(other) => panic!("connection ended: {other:?}"),
                Err(_) => return None,
            }
        }
    }
}

/// A `send` op with no reply, attachments or anonymity.
pub fn send_op(room: RoomId, nonce: &str, body: &str) -> ClientOp {
    ClientOp::Send {
        room_id: room,
        nonce: nonce.to_string(),
        body: body.to_string(),
        reply_to: None::<MessageId>,
        attachments: Vec::new(),
        anonymous: false,
    }
}

/// A server frame decoded; a frame that is not a [`ServerEvent`] is a
/// protocol break and fails the test here.
fn parse(text: &str) -> Frame {
    let raw: Value = serde_json::from_str(text)
        .unwrap_or_else(|e| panic!("server sent invalid JSON: {e}: {text}"));
    let event = serde_json::from_value(raw.clone())
        .unwrap_or_else(|e| panic!("server sent a frame that is not a ServerEvent: {e}: {text}"));
    Frame { event, raw }
}

fn next_ping() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(1);
    N.fetch_add(1, Ordering::Relaxed)
}
