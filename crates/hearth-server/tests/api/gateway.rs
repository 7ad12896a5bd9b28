//! The WebSocket gateway end to end: real clients against a real server on
//! a random port, every expectation awaited under a timeout.

use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

mod catch_up;
mod connection;
mod delivery;
mod membership;
mod presence;
mod slow_client;

/// A message id (or any string field) out of a JSON value.
fn str_of(v: &Value) -> String {
    v.as_str().expect("a string").to_string()
}

/// Adds `user` to `room` as `actor`.
async fn add_member(app: &TestApp, actor: &TestUser, room: &str, user: &TestUser) {
    let (status, body) = app
        .post(
            &format!("/api/v1/rooms/{room}/members"),
            &actor.token,
            json!({"user_ids": [user.id]}),
        )
        .await;
    assert!(status.is_success(), "add member: {status} {body}");
}

/// A room's position in a `ready` (or `resync`) payload.
fn position<'a>(ready: &'a Value, room: &str) -> &'a Value {
    ready["rooms"]
        .as_array()
        .expect("rooms")
        .iter()
        .find(|r| r["id"] == room)
        .unwrap_or_else(|| panic!("room {room} not in {ready}"))
}

/// The room's whole history as the store has it (for "exactly once" checks).
async fn history(app: &TestApp, user: &TestUser, room: &str) -> Vec<Value> {
    let (status, page) = app
        .get(
            &format!("/api/v1/rooms/{room}/messages?limit=100"),
            &user.token,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(page["has_more"], false, "history longer than one page");
    page["messages"].as_array().expect("messages").clone()
}
