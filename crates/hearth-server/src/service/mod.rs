//! The rules of Hearth: who may do what, and what happens when they do.
//! REST handlers and gateway ops both call these functions; neither holds
//! business rules of its own. Every write commits to the store first, then
//! publishes its event.

pub mod accounts;
pub mod digest;
pub mod email_links;
pub mod messages;
pub mod notifications;
pub mod permissions;
pub mod rooms;
pub mod search;
pub mod sessions;
pub mod two_factor;
pub mod views;
