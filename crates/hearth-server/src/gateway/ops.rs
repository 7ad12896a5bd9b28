//! What each client op does. Ops go through the same service functions as
//! REST; replies (`ack`, `pong`, `error`) go through the session's queue so
//! they stay in order with events.

use crate::app::AppState;
use crate::error::ApiError;
use crate::gateway::session::Identity;
use crate::hub::{Frame, SessionQueue};
use crate::service::messages::{self, SendMessage};
use crate::service::rooms;
use hearth_protocol::gateway::{
    AckEvent, CallSignalEvent, ClientOp, ErrorEvent, PongEvent, PresenceStatus, ServerEvent,
    TypingEvent, close_code,
};
use hearth_protocol::{ErrorCode, RoomId, UserId};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Rejected ops within [`FLOOD_WINDOW`] after which the session is closed.
const FLOOD_STRIKES: u32 = 50;
const FLOOD_WINDOW: Duration = Duration::from_secs(10);

/// The op rate limit of one connection: a token bucket holding up to
/// `burst` ops, refilled at `rate` per second. A few words per connection
/// and no clock of its own (a governor limiter built its own per connect).
#[derive(Debug)]
struct OpBucket {
    tokens: f64,
    last: Instant,
}

impl OpBucket {
    fn full(burst: f64, now: Instant) -> Self {
        Self {
            tokens: burst,
            last: now,
        }
    }

    /// Takes a token if there is one.
    fn take(&mut self, rate: f64, burst: f64, now: Instant) -> bool {
        let refill = now.saturating_duration_since(self.last).as_secs_f64() * rate;
        self.tokens = (self.tokens + refill).min(burst);
        self.last = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// Per-connection op state.
pub struct Connection<'a> {
    state: &'a AppState,
    id: Identity,
    queue: Arc<SessionQueue>,
    limiter: OpBucket,
    strikes: u32,
    strikes_since: Instant,
    idle: bool,
}

impl<'a> Connection<'a> {
    pub fn new(state: &'a AppState, id: Identity, queue: Arc<SessionQueue>) -> Self {
        let now = Instant::now();
        Self {
            state,
            id,
            queue,
            limiter: OpBucket::full(Self::burst(state), now),
            strikes: 0,
            strikes_since: now,
            idle: false,
        }
    }

    /// Ops per second, sustained.
    fn rate(state: &AppState) -> f64 {
        f64::from(state.config.gateway_ops_per_second.max(1))
    }

    /// Ops at once: two seconds' worth.
    fn burst(state: &AppState) -> f64 {
        2.0 * Self::rate(state)
    }

    pub fn is_idle(&self) -> bool {
        self.idle
    }

    fn reply(&self, event: &ServerEvent) {
        self.queue.push(Frame::encode(event));
    }

    pub fn reply_error(&self, code: ErrorCode, message: impl Into<String>, nonce: Option<String>) {
        self.reply(&ServerEvent::Error(ErrorEvent {
            code,
            message: message.into(),
            nonce,
        }));
    }

    fn reply_api_error(&self, e: ApiError, nonce: Option<String>) {
        e.log_if_server_error();
        self.reply_error(e.code, e.message.to_string(), nonce);
    }

    /// Handles one text frame. Returns false when the connection must end.
    pub async fn handle_text(&mut self, text: &str) -> bool {
        let now = Instant::now();
        let (rate, burst) = (Self::rate(self.state), Self::burst(self.state));
        if !self.limiter.take(rate, burst, now) {
            if now.duration_since(self.strikes_since) > FLOOD_WINDOW {
                self.strikes = 0;
                self.strikes_since = now;
            }
            self.strikes += 1;
            if self.strikes >= FLOOD_STRIKES {
                self.queue.close(close_code::RATE_LIMITED);
                return false;
            }
            self.reply_error(ErrorCode::RateLimited, "too many ops, slow down", None);
            return true;
        }
        let op = match serde_json::from_str::<ClientOp>(text) {
            Ok(op) => op,
            Err(e) => {
                let (code, msg) = classify_parse_error(text, &e);
                self.reply_error(code, msg, nonce_of(text));
                return true;
            }
        };
        self.handle(op).await;
        true
    }

    async fn handle(&mut self, op: ClientOp) {
        let user = self.id.user_id;
        match op {
            ClientOp::Auth { .. } => {
                self.reply_error(ErrorCode::InvalidBody, "already authenticated", None);
            }
            ClientOp::Ping { n } => self.reply(&ServerEvent::Pong(PongEvent { n })),
            ClientOp::Send {
                room_id,
                nonce,
                body,
                reply_to,
                attachments,
                anonymous,
            } => {
                let req = SendMessage {
                    body,
                    nonce: Some(nonce.clone()),
                    reply_to,
                    attachments,
                    anonymous,
                };
                match messages::send(self.state, user, room_id, req).await {
                    Ok(sent) => self.reply(&ServerEvent::Ack(Box::new(AckEvent {
                        nonce,
                        message: sent.message,
                    }))),
                    Err(e) => self.reply_api_error(e, Some(nonce)),
                }
            }
            ClientOp::Typing { room_id } => self.typing(user, room_id),
            ClientOp::Read { room_id, seq } => {
                if let Err(e) = rooms::mark_read(self.state, user, room_id, seq).await {
                    self.reply_api_error(e, None);
                }
            }
            ClientOp::Delivered { room_id, seq } => {
                if let Err(e) = rooms::mark_delivered(self.state, user, room_id, seq).await {
                    self.reply_api_error(e, None);
                }
            }
            ClientOp::Presence { status } => self.presence(status),
            ClientOp::CallSignal { room_id, to, data } => self.call_signal(room_id, to, data).await,
        }
    }

    fn typing(&self, user: UserId, room_id: RoomId) {
        if !self.state.hub.is_in_room(user, room_id) {
            self.reply_error(ErrorCode::NotFound, "room not found", None);
            return;
        }
        if self.state.typing.allow(user, room_id, Instant::now()) {
            self.state.events.to_room(
                room_id,
                ServerEvent::Typing(TypingEvent {
                    room_id,
                    user_id: user,
                }),
            );
        }
    }

    fn presence(&mut self, status: PresenceStatus) {
        let idle = match status {
            PresenceStatus::Idle => true,
            PresenceStatus::Active | PresenceStatus::Online => false,
            PresenceStatus::Offline => {
                self.reply_error(
                    ErrorCode::Validation,
                    "status: active or idle (close the connection to go offline)",
                    None,
                );
                return;
            }
        };
        if idle != self.idle {
            self.idle = idle;
            self.state.presence.set_idle(self.id.user_id, idle);
        }
    }

    async fn call_signal(&self, room_id: RoomId, to: UserId, data: serde_json::Value) {
        let user = self.id.user_id;
        if data.to_string().len() > 32 * 1024 {
            self.reply_error(ErrorCode::PayloadTooLarge, "data: at most 32 KiB", None);
            return;
        }
        let target_is_member = match self.state.store.member(room_id, to).await {
            Ok(m) => m.is_some_and(|m| !m.banned),
            Err(e) => {
                self.reply_api_error(e.into(), None);
                return;
            }
        };
        if !self.state.hub.is_in_room(user, room_id) || !target_is_member || to == user {
            self.reply_error(ErrorCode::NotFound, "no such member in this room", None);
            return;
        }
        self.state.events.to_users(
            vec![to],
            ServerEvent::CallSignal(CallSignalEvent {
                room_id,
                from: user,
                data,
            }),
        );
    }
}

/// Unknown op → `unknown_op`; not JSON → `invalid_body`; a bad field → `validation`.
fn classify_parse_error(text: &str, e: &serde_json::Error) -> (ErrorCode, String) {
    if e.is_syntax() || e.is_eof() {
        return (ErrorCode::InvalidBody, "frame is not valid JSON".into());
    }
    let op = serde_json::from_str::<serde_json::Value>(text)
        .ok()
        .and_then(|v| v.get("op").and_then(|o| o.as_str()).map(str::to_owned));
    const KNOWN: [&str; 9] = [
        "auth",
        "send",
        "typing",
        "read",
        "delivered",
        "presence",
        "ping",
        "call.signal",
        "",
    ];
    match op {
        Some(op) if !KNOWN.contains(&op.as_str()) => (
            ErrorCode::UnknownOp,
            format!("unknown op {:?}", op.chars().take(32).collect::<String>()),
        ),
        None => (ErrorCode::InvalidBody, "frame needs an \"op\" field".into()),
        Some(_) => (ErrorCode::Validation, e.to_string()),
    }
}

/// The `nonce` of a malformed `send`, so the client can match the error.
fn nonce_of(text: &str) -> Option<String> {
    serde_json::from_str::<serde_json::Value>(text)
        .ok()?
        .get("nonce")?
        .as_str()
        .filter(|n| n.len() <= 64)
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::OpBucket;
    use std::time::{Duration, Instant};

    #[test]
    fn the_bucket_allows_a_burst_then_the_rate() {
        let t0 = Instant::now();
        let mut b = OpBucket::full(4.0, t0);
        assert!((0..4).all(|_| b.take(2.0, 4.0, t0)));
        assert!(!b.take(2.0, 4.0, t0));
        // Half a second at 2/s refills one token.
        let t1 = t0 + Duration::from_millis(500);
        assert!(b.take(2.0, 4.0, t1));
        assert!(!b.take(2.0, 4.0, t1));
        // A long pause refills to the burst, no more.
        let t2 = t1 + Duration::from_secs(60);
        assert_eq!((0..10).filter(|_| b.take(2.0, 4.0, t2)).count(), 4);
    }
}
