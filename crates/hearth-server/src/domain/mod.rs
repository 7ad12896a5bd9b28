//! Validated domain values ("parse, don't validate"): each type can only
//! hold a valid value, and its `parse` returns a 400-class `ApiError` naming
//! the field. Request handlers and gateway ops parse into these at the edge;
//! services take them.
//!
//! - [`accounts`]: [`Username`], [`Password`], [`Email`], [`DisplayName`],
//!   [`TimeZone`];
//! - [`messages`]: [`MessageBody`], [`Nonce`], [`Emoji`], mentions;
//! - [`text`]: bounded free text, [`RoomName`].

pub mod accounts;
pub mod messages;
pub mod text;

pub use accounts::{DisplayName, Email, Password, TimeZone, Username};
pub use messages::{Emoji, Mentions, MessageBody, Nonce, parse_mentions};
pub use text::{RoomName, bounded_text};
