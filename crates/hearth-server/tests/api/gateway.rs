//! The WebSocket gateway end to end: real clients against a real server on
//! a random port, every expectation awaited under a timeout.

use crate::helpers::*;

mod catch_up;
mod connection;
mod delivery;
mod membership;
mod presence;
mod profiles;
mod slow_client;

/// The room's whole history as the store has it (for "exactly once" checks).
async fn history(app: &TestApp, user: &TestUser, room: RoomId) -> Vec<Message> {
    let page = app.messages(user, room, "limit=100").await;
    assert!(!page.has_more, "history longer than one page");
    page.messages
}
