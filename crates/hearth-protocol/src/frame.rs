//! Decoding a client's text frame into a [`ClientOp`], and the error a
//! client gets for a frame that is not one: a pure function of the text, so
//! it can be fuzzed on its own (tests/fuzz_frames.rs).

use crate::error::ErrorCode;
use crate::gateway::ClientOp;

/// Longest error message sent back for a bad frame, in characters. A
/// serde message quotes the offending input (an unknown field's name, a
/// bad id), which the client controls: it is cut here.
pub const MAX_ERROR_MESSAGE_CHARS: usize = 200;
/// Longest nonce echoed back with the error of a malformed `send`.
pub const MAX_ECHOED_NONCE_BYTES: usize = 64;

/// The ops a client may send, by their `op` name.
const KNOWN_OPS: [&str; 8] = [
    "auth",
    "send",
    "typing",
    "read",
    "delivered",
    "presence",
    "ping",
    "call.signal",
];

/// Why a frame is not an op: the `error` event's code and message, and the
/// `nonce` of a malformed `send` so that the client can match the error.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FrameError {
    pub code: ErrorCode,
    pub message: String,
    pub nonce: Option<String>,
}

/// Parses one text frame. Unknown op → `unknown_op`; not JSON or no `op` →
/// `invalid_body`; a known op with a bad field → `validation`.
pub fn decode_client_op(text: &str) -> Result<ClientOp, FrameError> {
    let e = match serde_json::from_str::<ClientOp>(text) {
        Ok(op) => return Ok(op),
        Err(e) => e,
    };
    if e.is_syntax() || e.is_eof() {
        return Err(FrameError {
            code: ErrorCode::InvalidBody,
            message: "frame is not valid JSON".into(),
            nonce: None,
        });
    }
    let value = serde_json::from_str::<serde_json::Value>(text).ok();
    let field = |name: &str| {
        value
            .as_ref()
            .and_then(|v| v.get(name))
            .and_then(|f| f.as_str())
    };
    let nonce = field("nonce")
        .filter(|n| n.len() <= MAX_ECHOED_NONCE_BYTES)
        .map(str::to_owned);
    let (code, message) = match field("op") {
        Some(op) if !op.is_empty() && !KNOWN_OPS.contains(&op) => (
            ErrorCode::UnknownOp,
            format!("unknown op {:?}", op.chars().take(32).collect::<String>()),
        ),
        None => (ErrorCode::InvalidBody, "frame needs an \"op\" field".into()),
        Some(_) => (ErrorCode::Validation, bounded(e.to_string())),
    };
    Err(FrameError {
        code,
        message,
        nonce,
    })
}

/// `message` cut to [`MAX_ERROR_MESSAGE_CHARS`], with `…` where cut.
fn bounded(message: String) -> String {
    if message.chars().count() <= MAX_ERROR_MESSAGE_CHARS {
        return message;
    }
    let mut cut: String = message.chars().take(MAX_ERROR_MESSAGE_CHARS - 1).collect();
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(text: &str) -> Option<ErrorCode> {
        decode_client_op(text).err().map(|e| e.code)
    }

    #[test]
    fn bad_frames_get_the_code_that_says_why() {
        assert_eq!(code("not json"), Some(ErrorCode::InvalidBody));
        assert_eq!(code(r#"{"token":"x"}"#), Some(ErrorCode::InvalidBody));
        assert_eq!(code(r#"{"op":"dance"}"#), Some(ErrorCode::UnknownOp));
        assert_eq!(code(r#"{"op":""}"#), Some(ErrorCode::Validation));
        assert_eq!(
            code(r#"{"op":"read","seq":"x"}"#),
            Some(ErrorCode::Validation)
        );
        assert!(decode_client_op(r#"{"op":"ping","n":1}"#).is_ok());
    }

    #[test]
    fn the_nonce_of_a_malformed_send_is_echoed_when_short() {
        let e = decode_client_op(r#"{"op":"send","nonce":"n-1","body":3}"#).err();
        assert_eq!(e.and_then(|e| e.nonce).as_deref(), Some("n-1"));
        let long = format!(r#"{{"op":"send","nonce":"{}"}}"#, "n".repeat(65));
        assert_eq!(decode_client_op(&long).err().and_then(|e| e.nonce), None);
    }

    /// The fuzz target's bounded-output property: serde's message quoted
    /// an unknown field's name, whatever its length, back to the client.
    #[test]
    fn error_messages_do_not_quote_unbounded_input() {
        let frame = format!(r#"{{"op":"ping","{}":1}}"#, "x".repeat(100_000));
        let e = decode_client_op(&frame).err();
        let message = e.map(|e| e.message).unwrap_or_default();
        assert!(
            message.chars().count() <= MAX_ERROR_MESSAGE_CHARS,
            "{message}"
        );
    }
}
