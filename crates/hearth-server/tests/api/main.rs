//! Integration tests over HTTP and WebSocket against the real server.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod gateway_client;
mod helpers;
mod smtp_sink;

mod account_hardening;
mod accounts;
mod anonymity;
mod api_fuzz;
mod authorization;
mod bench_smoke;
mod cluster;
mod durability;
mod gateway;
mod limits;
mod media;
mod messages;
mod notifications;
mod push_endpoints;
mod revocation;
mod rooms;
mod search;
mod security;
mod settings;
mod throttle;
