//! Background upkeep, stopped by the shutdown signal.

use crate::app::AppState;
use std::time::Duration;

pub fn spawn_background(state: &AppState) {
    let state = state.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(60));
        loop {
            tokio::select! {
                _ = tick.tick() => state.limits.prune(),
                _ = state.shutdown.wait() => return,
            }
        }
    });
}
