//! One gateway connection, from upgrade to close.
//!
//! 1. Wait (`gateway_auth_timeout`, 10 s by default) for `auth`; a bad token
//!    closes with 4001.
//! 2. Register with the hub *before* reading memberships and the snapshot,
//!    so no event falls between the `ready` snapshot and the live stream and
//!    no kick falls between reading memberships and subscribing to them.
//! 3. Send `ready` straight to the socket, then start the writer: it drains
//!    everything queued and flushes once per batch, and pings every 30 s.
//! 4. Read ops until the client leaves, goes silent for 75 s, floods, falls
//!    behind (its queue overflows), or the server shuts down. The writer then
//!    gets [`CLOSE_TIMEOUT`] to send what is left and the close frame; a
//!    client that stopped reading has its connection dropped instead.

use crate::gateway::{ops, waves};
use crate::hub::{Frame, SessionQueue};
use crate::service::connections::Connected;
use crate::state::AppState;
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use hearth_protocol::gateway::{ClientOp, ServerEvent, close_code};
use hearth_protocol::{ErrorCode, SessionId, UserId};
use hearth_store::UserRecord;
use hyper_util::rt::TokioIo;
use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::Frame as WireFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};
use tokio_tungstenite::tungstenite::{Error as WsError, Message, Utf8Bytes};

pub const PING_INTERVAL: Duration = Duration::from_secs(30);
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(75);
/// How long the writer may take to flush and close once the session is over.
pub const CLOSE_TIMEOUT: Duration = Duration::from_secs(5);
/// How long to wait for the client's close frame after sending ours.
pub const LINGER: Duration = Duration::from_secs(2);
/// A writer batch that held more frames than this is freed once sent, so a
/// burst does not pin its memory for the session's life (the batch and the
/// queue swap buffers, so this bounds both).
/// The close reason when a user already holds `max_sessions_per_user`.
const TOO_MANY_SESSIONS: &str = "too many sessions";
const KEEP_BATCH_CAPACITY: usize = 8;
/// Text frames above this size go out in fragments of at most this size:
/// tungstenite's write buffer keeps the capacity of the most it ever held
/// for the connection's life, and without fragments one `ready` (a few KiB
/// with presence) would pin that much in every idle session.
const FRAGMENT_BYTES: usize = 1024;
/// A writer that first runs this long after its oldest frame was queued
/// takes the node for overloaded and waits for the next flush wave. Well
/// above ordinary scheduling delays (p90 5–8 ms with 5,000 sessions busy in
/// the bench), so waves start only in overload: at 2 ms they doubled the
/// p99 of `fanout --rooms 100 --members 50`.
const BUSY_DELAY: Duration = Duration::from_millis(20);

pub type WebSocket = WebSocketStream<TokioIo<hyper::upgrade::Upgraded>>;
type Sink = SplitSink<WebSocket, Message>;

/// The authenticated identity of a connection.
#[derive(Clone, Copy, Debug)]
pub struct Identity {
    pub user_id: UserId,
    pub session_id: SessionId,
}

/// The session's task. The socket is split before the future is built and
/// the state is boxed: an async fn keeps its arguments for its whole life,
/// and the task's size is paid by every idle session.
pub fn run(socket: WebSocket, state: Box<AppState>) -> impl Future<Output = ()> + Send {
    let (sink, stream) = socket.split();
    run_split(sink, stream, state)
}

async fn run_split(mut sink: Sink, mut stream: SplitStream<WebSocket>, state: Box<AppState>) {
    let auth_timeout = state.config.limits.gateway_auth_timeout;
    // The phases before the read loop are boxed: a task is as big as its
    // largest state, and it keeps that size for the session's life.
    let authenticated =
        tokio::time::timeout(auth_timeout, Box::pin(authenticate(&state, &mut stream))).await;
    let connected = match authenticated {
        Ok(Ok(found)) => found,
        Ok(Err(reason)) => {
            close(&mut sink, close_code::AUTH_FAILED, reason).await;
            linger(&mut stream, false).await;
            return;
        }
        Err(_) => {
            close(&mut sink, close_code::AUTH_FAILED, "no auth frame in time").await;
            linger(&mut stream, false).await;
            return;
        }
    };
    let identity = Identity {
        user_id: connected.user_id,
        session_id: connected.session_id,
    };
    let max_sessions = state.config.limits.max_sessions_per_user;
    // Checked before the store is read, and again as the session registers.
    if state.node.hub.session_count(identity.user_id) >= max_sessions {
        close(&mut sink, close_code::RATE_LIMITED, TOO_MANY_SESSIONS).await;
        linger(&mut stream, false).await;
        return;
    }
    let services = &state.services;
    // The sessions list shows when each device was last connected (to the
    // minute: a reconnect within a minute of the last one writes nothing).
    services
        .sessions
        .touch(identity.session_id, connected.last_active_at);
    // Registered before its memberships are read: a kick committed after
    // the read then passes through the hub as an event this session sees
    // (and `subscribe` notices), instead of slipping in before it exists.
    let Some(guard) = state.node.hub.try_register(
        identity.user_id,
        identity.session_id,
        [],
        state.config.limits.session_queue,
        max_sessions,
    ) else {
        close(&mut sink, close_code::RATE_LIMITED, TOO_MANY_SESSIONS).await;
        linger(&mut stream, false).await;
        return;
    };
    // A revocation between the token check and the registration closed
    // nothing here: it is in the revoked set by now.
    if services.sessions.is_revoked(identity.session_id) {
        close(&mut sink, close_code::SESSION_REVOKED, "session revoked").await;
        return;
    }
    if let Err(e) = Box::pin(subscribe(&state, identity.user_id)).await {
        tracing::error!(error = ?e, "gateway: loading memberships failed");
        close(&mut sink, close_code::SERVICE_RESTART, "try again").await;
        return;
    }
    let (ready, peers) = match Box::pin(ready_frame(&state, identity, connected.user)).await {
        Ok(r) => r,
        Err(e) => {
            tracing::error!(error = %e, "gateway: building ready failed");
            close(&mut sink, close_code::SERVICE_RESTART, "try again").await;
            return;
        }
    };
    if send_ready(&mut sink, ready.text).await.is_err() {
        return;
    }
    services.presence.connected(identity.user_id, Some(peers));
    let queue = guard.queue.clone();
    let mut writer = tokio::spawn(write_loop(sink, queue.clone()));
    let idle = read_loop(&state, identity, &queue, &mut stream).await;
    // Make the writer send its close frame and stop; a code set earlier
    // (resume, too big, flood, restart) wins over this normal closure.
    queue.close(1000);
    let too_big = queue.close_code() == Some(close_code::MESSAGE_TOO_BIG);
    // A writer stuck on a client that does not read would hold the session
    // forever: give up on it, which drops the socket.
    let close_sent = match tokio::time::timeout(CLOSE_TIMEOUT, &mut writer).await {
        Ok(_) => true,
        Err(_) => {
            writer.abort();
            false
        }
    };
    drop(guard);
    state.services.presence.disconnected(identity.user_id, idle);
    if close_sent {
        linger(&mut stream, too_big).await;
    }
}

/// The end of the closing handshake: after our close frame, read (and
/// discard) until the client's close arrives, for [`LINGER`] at most.
/// Dropping the socket with unread input (ops of a flood, the rest of an
/// oversized frame) makes the kernel reset the connection, and the client
/// can lose the close frame and its code. After a read error (an oversized
/// frame) the stream cannot be read any more: then just keep the socket
/// open for a moment, so the close frame gets there first.
async fn linger(stream: &mut SplitStream<WebSocket>, unreadable: bool) {
    if unreadable {
        tokio::time::sleep(LINGER).await;
        return;
    }
    let drain = async { while let Some(Ok(_)) = stream.next().await {} };
    let _ = tokio::time::timeout(LINGER, drain).await;
}

/// Reads the first frame and checks its token and login session.
async fn authenticate(
    state: &AppState,
    stream: &mut SplitStream<WebSocket>,
) -> Result<Connected, &'static str> {
    let token = loop {
        match stream.next().await {
            Some(Ok(Message::Text(t))) => match serde_json::from_str::<ClientOp>(&t) {
                Ok(ClientOp::Auth { token }) => break token,
                _ => return Err("the first frame must be {\"op\":\"auth\",\"token\":…}"),
            },
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
            _ => return Err("the first frame must be an auth op"),
        }
    };
    state.services.connections.authenticate(&token).await
}

/// How often a session reads its memberships again when membership events
/// of its user keep passing while it reads.
const SUBSCRIBE_ATTEMPTS: usize = 5;

/// Subscribes the (registered) user to the rooms the store says they are
/// in. A membership event that passes between the read and the subscribing
/// may be newer than the read (a kick): then the read is repeated.
async fn subscribe(state: &AppState, user: UserId) -> anyhow::Result<()> {
    let hub = &state.node.hub;
    for _ in 0..SUBSCRIBE_ATTEMPTS {
        let version = hub.membership_version(user);
        let rooms = state.services.connections.rooms_of(user).await?;
        hub.subscribe_pause_point().await;
        if hub.add_rooms_if_unchanged(user, rooms, version) {
            return Ok(());
        }
    }
    anyhow::bail!("memberships kept changing while being read")
}

/// The `ready` frame, and the users who see this user's presence (see
/// `ConnectionService::ready`).
async fn ready_frame(
    state: &AppState,
    id: Identity,
    user: Box<UserRecord>,
) -> anyhow::Result<(Frame, Vec<UserId>)> {
    let version = state.node.hub.membership_version(id.user_id);
    let (ready, peers) = state
        .services
        .connections
        .ready(id.session_id, &user, PING_INTERVAL)
        .await?;
    // Rooms joined between loading memberships and this snapshot (their
    // events normally did this already), unless a membership event passed
    // meanwhile: the snapshot may predate it.
    state
        .node
        .hub
        .add_rooms_if_unchanged(id.user_id, ready.rooms.iter().map(|r| r.id), version);
    Ok((Frame::encode(&ServerEvent::Ready(Box::new(ready))), peers))
}

/// Drains the queue into the socket, flushing once per batch; sends a ping
/// when the hub's tick asks for one. A writer that gets to its queue late
/// (the node is busy) waits for the next flush wave instead (see [`waves`]).
async fn write_loop(mut sink: Sink, queue: Arc<SessionQueue>) {
    // Starts empty; swapped with the queue's frames on every wake-up.
    let mut batch: VecDeque<Frame> = VecDeque::new();
    loop {
        queue.ready().await;
        if queue.take_ping() && sink.feed(Message::Ping(Default::default())).await.is_err() {
            return;
        }
        if let Some(code) = queue.close_code() {
            // Frames queued before the close still go out (e.g. a final error).
            queue.take_into(&mut batch);
            for f in batch.drain(..) {
                if feed_text(&mut sink, f.text).await.is_err() {
                    return;
                }
            }
            close(&mut sink, code, close_reason(code)).await;
            return;
        }
        let late = queue
            .queued_since()
            .is_some_and(|since| since.elapsed() >= BUSY_DELAY);
        if late {
            waves::next().await;
        }
        queue.take_into(&mut batch);
        if write_batch(&mut sink, &mut batch).await.is_err() {
            return;
        }
        if batch.capacity() > KEEP_BATCH_CAPACITY {
            batch = VecDeque::new();
        }
    }
}

/// Writes every frame of `batch` and flushes once.
async fn write_batch(sink: &mut Sink, batch: &mut VecDeque<Frame>) -> Result<(), WsError> {
    for f in batch.drain(..) {
        feed_text(sink, f.text).await?;
    }
    sink.flush().await
}

/// Sends `ready`, flushing each fragment on its own so that the write
/// buffer never holds more than one (see [`FRAGMENT_BYTES`]).
async fn send_ready(sink: &mut Sink, text: Utf8Bytes) -> Result<(), WsError> {
    for frame in fragments(text) {
        sink.send(frame).await?;
    }
    Ok(())
}

/// Queues `text` in the write buffer, in fragments if it is large.
async fn feed_text(sink: &mut Sink, text: Utf8Bytes) -> Result<(), WsError> {
    for frame in fragments(text) {
        sink.feed(frame).await?;
    }
    Ok(())
}

/// `text` as one text message: a single frame, or for more than
/// [`FRAGMENT_BYTES`] a text frame and continuation frames, split between
/// characters. Clients reassemble them; the bytes are shared, not copied.
fn fragments(text: Utf8Bytes) -> Vec<Message> {
    if text.len() <= FRAGMENT_BYTES {
        return vec![Message::Text(text)];
    }
    let whole: &str = &text;
    let mut bounds = vec![0];
    let mut at = 0;
    while whole.len() - at > FRAGMENT_BYTES {
        let mut end = at + FRAGMENT_BYTES;
        while !whole.is_char_boundary(end) {
            end -= 1;
        }
        bounds.push(end);
        at = end;
    }
    bounds.push(whole.len());
    let bytes: &bytes::Bytes = text.as_ref();
    let last = bounds.len() - 2;
    bounds
        .windows(2)
        .enumerate()
        .map(|(i, w)| {
            let opcode = if i == 0 { Data::Text } else { Data::Continue };
            Message::Frame(WireFrame::message(
                bytes.slice(w[0]..w[1]),
                OpCode::Data(opcode),
                i == last,
            ))
        })
        .collect()
}

fn close_reason(code: u16) -> &'static str {
    match code {
        close_code::RESUME => "send queue overflow: reconnect and catch up",
        close_code::RATE_LIMITED => "too many ops",
        close_code::SESSION_REVOKED => "session revoked",
        close_code::SERVICE_RESTART => "server restarting",
        close_code::MESSAGE_TOO_BIG => "frame too large",
        _ => "bye",
    }
}

async fn close(sink: &mut Sink, code: u16, reason: &'static str) {
    let frame = CloseFrame {
        code: code.into(),
        reason: Utf8Bytes::from_static(reason),
    };
    let _ = sink.send(Message::Close(Some(frame))).await;
    let _ = sink.close().await;
}

/// Reads and handles ops until the connection ends. Returns whether the
/// session was idle at the end (for presence bookkeeping).
async fn read_loop(
    state: &AppState,
    id: Identity,
    queue: &Arc<SessionQueue>,
    stream: &mut SplitStream<WebSocket>,
) -> bool {
    let mut conn = ops::Connection::new(state, id, queue.clone());
    let shutdown = state.node.shutdown.clone();
    loop {
        let next = tokio::select! {
            n = tokio::time::timeout(IDLE_TIMEOUT, stream.next()) => n,
            _ = shutdown.wait() => {
                queue.close(close_code::SERVICE_RESTART);
                break;
            }
            // Overflow, revocation or shutdown closed the queue while the
            // client was quiet: end now, not at the next frame it sends.
            _ = queue.closed() => break,
        };
        match next {
            Err(_) => {
                tracing::debug!(user_id = %id.user_id, "gateway: connection silent, dropping");
                break;
            }
            Ok(None) | Ok(Some(Ok(Message::Close(_)))) => break,
            Ok(Some(Ok(Message::Text(text)))) => {
                // Boxed: the op futures (a send goes deep into the service
                // layer) would otherwise size this task, and every idle
                // session pays for its task's size.
                if !Box::pin(conn.handle_text(&text)).await {
                    break;
                }
            }
            Ok(Some(Ok(Message::Binary(_)))) => {
                conn.reply_error(
                    ErrorCode::InvalidBody,
                    "binary frames are not supported",
                    None,
                );
            }
            Ok(Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_)))) => {}
            Ok(Some(Err(e))) => {
                if is_capacity_error(&e) {
                    queue.close(close_code::MESSAGE_TOO_BIG);
                }
                break;
            }
        }
        if queue.close_code().is_some() {
            break;
        }
    }
    conn.is_idle()
}

fn is_capacity_error(e: &WsError) -> bool {
    matches!(e, WsError::Capacity(_))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(frames: &[Message]) -> Vec<(bool, bool, Vec<u8>)> {
        frames
            .iter()
            .map(|m| match m {
                Message::Frame(f) => (
                    f.header().opcode == OpCode::Data(Data::Continue),
                    f.header().is_final,
                    f.payload().to_vec(),
                ),
                other => panic!("expected a raw frame, got {other:?}"),
            })
            .collect()
    }

    #[test]
    fn small_text_is_one_frame() {
        let frames = fragments(Utf8Bytes::from("hello"));
        assert!(matches!(&frames[..], [Message::Text(t)] if t.as_str() == "hello"));
    }

    #[test]
    fn large_text_is_split_between_characters_and_reassembles() {
        // "é" is two bytes: with an odd prefix, byte 1024 falls inside one.
        let text = format!("x{}", "é".repeat(1500));
        let frames = parts(&fragments(Utf8Bytes::from(text.clone())));
        assert_eq!(frames.len(), 3);
        assert!(!frames[0].0 && !frames[0].1, "a text frame, not final");
        assert!(frames[1].0 && !frames[1].1, "a continuation, not final");
        assert!(frames[2].0 && frames[2].1, "a final continuation");
        for (_, _, payload) in &frames {
            assert!(payload.len() <= FRAGMENT_BYTES);
            assert!(
                std::str::from_utf8(payload).is_ok(),
                "split between characters"
            );
        }
        let joined: Vec<u8> = frames.into_iter().flat_map(|(_, _, p)| p).collect();
        assert_eq!(joined, text.as_bytes());
    }
}
