//! An encoded event: serialised once, shared by every queue it goes to.

use hearth_protocol::gateway::ServerEvent;
use tokio_tungstenite::tungstenite::Utf8Bytes;

/// An encoded frame, shared by every queue it is pushed to.
#[derive(Clone, Debug)]
pub struct Frame {
    /// The JSON text, validated as UTF-8 once when encoded.
    pub text: Utf8Bytes,
    /// Typing and presence: dropped first when a queue is half full.
    pub droppable: bool,
}

impl Frame {
    pub fn encode(event: &ServerEvent) -> Frame {
        // Serialising our own enum cannot fail (no maps with non-string keys).
        let text = serde_json::to_string(event).unwrap_or_default();
        Frame {
            text: Utf8Bytes::from(text),
            droppable: event.is_droppable(),
        }
    }
}
