//! Integration tests over HTTP and WebSocket against the real server.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod helpers;

mod accounts;
mod authorization;
mod limits;
mod messages;
mod rooms;
mod gateway;
