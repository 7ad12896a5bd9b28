//! The WebSocket gateway at `/api/v1/gateway`: one connection per client
//! session carrying every room's events (see docs/protocol.md).
//!
//! - [`handshake`]: the HTTP upgrade.
//! - [`session`]: the connection's life: auth, ready snapshot, reader and writer.
//! - [`ops`]: what each client op does (through the services).

pub mod handshake;
pub mod ops;
pub mod session;
mod waves;

use crate::state::AppState;
use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};
use hyper_util::rt::TokioIo;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::protocol::{Role, WebSocketConfig};

/// Largest frame a client may send.
pub const MAX_FRAME_BYTES: usize = 64 * 1024;

/// Upgrades to a WebSocket with small buffers: an idle session should cost a
/// few KiB, not tungstenite's default 128 KiB read buffer. Both buffers keep
/// the largest size they ever grew to for the connection's life.
pub async fn upgrade(State(state): State<AppState>, req: Request) -> Response {
    let upgrade = match handshake::Upgrade::from_request(req) {
        Ok(upgrade) => upgrade,
        Err(refused) => return refused.into_response(),
    };
    let response = upgrade.response();
    let state = Box::new(state);
    tokio::spawn(async move {
        let upgraded = match upgrade.on_upgrade.await {
            Ok(upgraded) => upgraded,
            Err(e) => {
                tracing::debug!(error = %e, "gateway: upgrade failed");
                return;
            }
        };
        let socket =
            WebSocketStream::from_raw_socket(TokioIo::new(upgraded), Role::Server, Some(config()))
                .await;
        session::run(socket, state).await;
    });
    response
}

fn config() -> WebSocketConfig {
    WebSocketConfig::default()
        // Client ops are small (an auth frame is ~400 bytes); a bigger frame
        // grows the buffer to its size, and reads take this much at a time.
        .read_buffer_size(1024)
        // Frames fed in one writer batch coalesce into few syscalls (one per
        // 4 KiB); the writer flushes at the end of every batch, so nothing
        // waits.
        .write_buffer_size(4 * 1024)
        .max_write_buffer_size(4 * 1024 * 1024)
        .max_message_size(Some(MAX_FRAME_BYTES))
        .max_frame_size(Some(MAX_FRAME_BYTES))
}
