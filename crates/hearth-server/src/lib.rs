//! Hearth's server: the `hearth` binary's library.
//!
//! - [`config`], [`cli`], [`telemetry`]: settings, command line, logs;
//!   [`clock`]: the time grace timers run on.
//! - [`state`]: what handlers and sessions are handed, built at start-up.
//! - [`app`]: the router, serving with graceful shutdown.
//! - [`api`]: REST handlers (thin), [`gateway`]: WebSocket sessions.
//! - [`service`]: the rules; [`domain`]: validated values.
//! - [`hub`]: fan-out to local sessions; [`events`]: the bus in front of it.
//! - [`bus`]: cluster mode (Redis): cross-node events, presence, login limits.
//! - [`auth`], [`ratelimit`], [`lockout`], [`revocation`]: protection.
//! - [`mail`]: outgoing e-mail over SMTP; [`push`]: Web Push delivery.
//! - [`media`]: uploads; [`web`]: the embedded browser client.

pub mod api;
pub mod app;
pub mod auth;
pub mod bus;
pub mod cli;
pub mod clock;
pub mod config;
pub mod domain;
pub mod error;
pub mod events;
pub mod gateway;
pub mod hub;
pub mod lockout;
pub mod mail;
pub mod media;
pub mod memory;
pub mod push;
pub mod ratelimit;
pub mod revocation;
pub mod service;
pub mod shutdown;
pub mod state;
pub mod tasks;
pub mod telemetry;
pub mod transfer;
pub mod web;

pub use app::{router, serve};
pub use config::Config;
pub use state::AppState;
