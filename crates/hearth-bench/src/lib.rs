//! hearth-bench: a load generator for a running Hearth server.
//!
//! Everything talks to the server the way real clients do: REST through
//! [`api`], the WebSocket gateway through [`gateway`]. Each scenario under
//! [`scenario`] returns a report ([`report::Outcome`]) that prints as a table
//! or JSON; [`check`] verifies every delivery (right room, once, in seq order)
//! and counts violations as errors.
//!
//! - [`cli`]: the command line and [`run`], the entry point `main` and the
//!   server's smoke test share.
//! - [`state`]: the JSON state file (users, passwords, tokens, room layouts)
//!   that lets later runs skip the slow argon2-bound setup.
//! - [`sys`]: the bench's own open-file limit, and the server's RSS and CPU
//!   time from `/proc`.
//! - [`stats`]: latency histograms; [`clock`]: the one monotonic clock that
//!   send timestamps and receipt times are read from.

pub mod api;
pub mod check;
pub mod cli;
pub mod clock;
pub mod gateway;
pub mod report;
pub mod scenario;
pub mod state;
pub mod stats;
pub mod sys;

pub use cli::{Cli, Command, Common, run};
pub use report::Outcome;
