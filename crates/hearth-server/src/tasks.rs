//! Background upkeep, stopped by the shutdown signal: a ping to every
//! gateway session every 30 s, with a check that each connection's login
//! session is still live; revocations recorded by other nodes or processes
//! every second (pruned every minute); the gathered session touches every second
//! (and once more at shutdown); pruning rate-limit
//! state every minute; returning freed heap once many sessions have closed; every hour, deleting orphaned uploads and the staging
//! files of interrupted ones; every minute when mail is configured, the
//! e-mail digests that are due.

use crate::media::cleanup;
use crate::memory;
use crate::state::AppState;
use std::time::{Duration, SystemTime};
use time::OffsetDateTime;

/// How often orphaned uploads are looked for (also once at start).
const MEDIA_SWEEP_EVERY: Duration = Duration::from_secs(3600);
/// How often the session count is looked at for a heap trim (see `memory`).
const MEMORY_TRIM_CHECK_EVERY: Duration = Duration::from_secs(10);
/// Revocation catch-ups between two prunes of the revocations table.
const REVOCATION_PRUNE_TICKS: u64 = 60;
/// How often due e-mail digests are looked for.
const DIGEST_EVERY: Duration = Duration::from_secs(60);

pub fn spawn_background(state: &AppState) {
    if state.services.digests.enabled() {
        let mailing = state.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(DIGEST_EVERY);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    _ = tick.tick() => {}
                    _ = mailing.node.shutdown.wait() => return,
                }
                tokio::select! {
                    r = mailing.services.digests.send_digests(OffsetDateTime::now_utc()) => {
                        if let Err(e) = r {
                            tracing::error!(error = ?e, "e-mail digests failed");
                        }
                    }
                    _ = mailing.node.shutdown.wait() => return,
                }
            }
        });
    }
    let pinging = state.clone();
    tokio::spawn(async move {
        let every = crate::gateway::session::PING_INTERVAL;
        let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = tick.tick() => pinging.node.hub.request_pings(),
                _ = pinging.node.shutdown.wait() => return,
            }
            tokio::select! {
                _ = pinging.services.sessions.close_dead_connections() => {}
                _ = pinging.node.shutdown.wait() => return,
            }
        }
    });
    let revoking = state.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(crate::revocation::CATCH_UP_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut ticks: u64 = 0;
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                _ = revoking.node.shutdown.wait() => return,
            }
            let sessions = &revoking.services.sessions;
            tokio::select! {
                _ = sessions.catch_up_revocations() => {}
                _ = revoking.node.shutdown.wait() => return,
            }
            ticks += 1;
            if ticks.is_multiple_of(REVOCATION_PRUNE_TICKS) {
                sessions.prune_revocations().await;
            }
        }
    });
    let touching = state.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(crate::service::sessions::TOUCH_FLUSH_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = tick.tick() => touching.services.sessions.flush_touches().await,
                _ = touching.node.shutdown.wait() => {
                    touching.services.sessions.flush_touches().await;
                    return;
                }
            }
        }
    });
    let pruning = state.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(60));
        loop {
            tokio::select! {
                _ = tick.tick() => pruning.node.limits.prune(),
                _ = pruning.node.shutdown.wait() => return,
            }
        }
    });
    let trimming = state.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(MEMORY_TRIM_CHECK_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut watch = memory::TrimWatch::default();
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                _ = trimming.node.shutdown.wait() => return,
            }
            if watch.should_trim(trimming.node.hub.total_sessions()) {
                memory::release_free_heap();
                tracing::debug!("freed heap returned to the OS after sessions closed");
            }
        }
    });
    let sweeping = state.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(MEDIA_SWEEP_EVERY);
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                _ = sweeping.node.shutdown.wait() => return,
            }
            tokio::select! {
                _ = sweep_media(&sweeping) => {}
                _ = sweeping.node.shutdown.wait() => return,
            }
        }
    });
}

async fn sweep_media(state: &AppState) {
    if let Err(e) = cleanup::sweep_orphans(
        &*state.node.store,
        &state.node.media,
        OffsetDateTime::now_utc(),
    )
    .await
    {
        tracing::error!(error = ?e, "orphan upload sweep failed");
    }
    match cleanup::sweep_staging(&state.node.media, SystemTime::now(), cleanup::STAGING_AGE).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(files = n, "stale upload staging files deleted"),
        Err(e) => tracing::error!(error = ?e, "upload staging sweep failed"),
    }
}
