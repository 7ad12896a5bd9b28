//! What each client op does. Ops go through the same service functions as
//! REST; replies (`ack`, `pong`, `error`) go through the session's queue so
//! they stay in order with events.

use crate::domain::{MessageBody, Nonce};
use crate::error::ApiError;
use crate::gateway::session::Identity;
use crate::hub::{Frame, SessionQueue};
use crate::service::messages::SendMessage;
use crate::state::AppState;
use hearth_protocol::frame::decode_client_op;
use hearth_protocol::gateway::{
    AckEvent, ClientOp, ErrorEvent, PongEvent, PresenceStatus, ServerEvent, close_code,
};
use hearth_protocol::{ErrorCode, RoomId, UserId};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Rejected ops within [`FLOOD_WINDOW`] after which the session is closed.
const FLOOD_STRIKES: u32 = 50;
const FLOOD_WINDOW: Duration = Duration::from_secs(10);

/// Per-connection op state.
pub struct Connection<'a> {
    state: &'a AppState,
    id: Identity,
    queue: Arc<SessionQueue>,
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
            strikes: 0,
            strikes_since: now,
            idle: false,
        }
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
        // A revocation closes the connection; an op that arrived meanwhile
        // (or whose close was lost with a cluster event) must not act.
        if self.state.services.sessions.is_revoked(self.id.session_id) {
            self.queue.close(close_code::SESSION_REVOKED);
            return false;
        }
        // The budget is the user's, over all their sessions: more
        // connections buy no more ops.
        if self
            .state
            .node
            .limits
            .check_gateway_op(self.id.user_id)
            .is_err()
        {
            let now = Instant::now();
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
        let op = match decode_client_op(text) {
            Ok(op) => op,
            Err(e) => {
                self.reply_error(e.code, e.message, e.nonce);
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
                let max_chars = self.state.config.limits.max_message_chars;
                let parsed = Nonce::parse(&nonce).and_then(|n| {
                    Ok(SendMessage {
                        body: MessageBody::parse(&body, max_chars)?,
                        nonce: Some(n),
                        reply_to,
                        attachments,
                        anonymous,
                    })
                });
                let req = match parsed {
                    Ok(req) => req,
                    Err(e) => return self.reply_api_error(e, Some(nonce)),
                };
                match self.state.services.messages.send(user, room_id, req).await {
                    Ok(sent) => self.reply(&ServerEvent::Ack(Box::new(AckEvent {
                        nonce,
                        message: sent.message,
                    }))),
                    Err(e) => self.reply_api_error(e, Some(nonce)),
                }
            }
            ClientOp::Typing { room_id, anonymous } => self.typing(user, room_id, anonymous),
            ClientOp::Read { room_id, seq } => {
                if let Err(e) = self
                    .state
                    .services
                    .read_markers
                    .mark_read(user, room_id, seq)
                    .await
                {
                    self.reply_api_error(e, None);
                }
            }
            ClientOp::Delivered { room_id, seq } => {
                if let Err(e) = self
                    .state
                    .services
                    .read_markers
                    .mark_delivered(user, room_id, seq)
                    .await
                {
                    self.reply_api_error(e, None);
                }
            }
            ClientOp::Presence { status } => self.presence(status),
            ClientOp::CallSignal { room_id, to, data } => self.call_signal(room_id, to, data).await,
        }
    }

    fn typing(&self, user: UserId, room_id: RoomId, anonymous: bool) {
        if let Err(e) = self.state.services.typing.typing(user, room_id, anonymous) {
            self.reply_api_error(e, None);
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
            self.state.services.presence.set_idle(self.id.user_id, idle);
        }
    }

    async fn call_signal(&self, room_id: RoomId, to: UserId, data: serde_json::Value) {
        let calls = &self.state.services.calls;
        if let Err(e) = calls.signal(self.id.user_id, room_id, to, data).await {
            self.reply_api_error(e, None);
        }
    }
}
