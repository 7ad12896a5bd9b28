//! Hearth's wire vocabulary, shared by the server, the bench and the tests.
//!
//! - [`ids`]: newtype identifiers (UUIDv7 on the wire).
//! - [`dto`]: the REST request and response bodies of `/api/v1`.
//! - [`gateway`]: the WebSocket protocol: client ops and server events;
//!   [`frame`]: decoding a client's frame into an op.
//! - [`error`]: the error codes REST and the gateway share.
//! - [`search`]: message search answers; [`notifications`]: notification
//!   levels and Web Push.
//!
//! Nothing here does I/O; every type is plain serde data.

pub mod dto;
pub mod error;
pub mod frame;
pub mod gateway;
pub mod ids;
pub mod notifications;
pub mod search;

pub use error::{ErrorBody, ErrorCode, ErrorDetail};
pub use ids::{MessageId, RoomId, SessionId, UploadId, UserId};
