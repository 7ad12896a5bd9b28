//! Fuzz targets under plain `cargo test` (stable Rust, proptest): hostile
//! input to the parsers the server runs on what clients send. Each property
//! is "no panic, bounded output", plus an invariant or a round trip where
//! there is one. Crashes found are kept as named regression cases.
//!
//! `HEARTH_FUZZ_CASES` sets the cases per property (defaults keep each
//! target to seconds); docs/testing.md has the longer run.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod images;
mod mentions;
mod multipart;

use proptest::test_runner::Config;

/// `default` cases per property, or `HEARTH_FUZZ_CASES`.
pub fn config(default: u32) -> Config {
    let cases = std::env::var("HEARTH_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default);
    Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    }
}
