//! Catch-up after a bus outage: every local session gets a `resync` event
//! with its rooms' positions, and fetches what it missed with `after=`, as
//! after a reconnect (see docs/protocol.md).
//!
//! Triggers come from the subscriber (it lost and regained its subscription,
//! so this node missed others' events) and from other nodes (their publisher
//! dropped events). A burst of triggers makes one pass: the task waits a
//! moment after the first, so one Redis restart costs each session one
//! `resync`, not one per node.

use crate::hub::{Audience, Hub};
use futures_util::StreamExt;
use hearth_protocol::UserId;
use hearth_protocol::gateway::{ResyncEvent, ServerEvent};
use hearth_store::{RoomListEntry, Store};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;

/// Triggers arriving within this window make one pass.
const DEBOUNCE: Duration = Duration::from_millis(200);
/// Users whose positions are read at once.
const CONCURRENCY: usize = 8;
/// How long to wait before retrying a pass the store could not serve.
const RETRY: Duration = Duration::from_secs(2);

pub struct Resyncer {
    hub: Arc<Hub>,
    store: Arc<dyn Store>,
    wanted: Notify,
}

impl Resyncer {
    pub fn new(hub: Arc<Hub>, store: Arc<dyn Store>) -> Arc<Self> {
        Arc::new(Self {
            hub,
            store,
            wanted: Notify::new(),
        })
    }

    /// Asks for a pass soon.
    pub fn trigger(&self) {
        // notify_one stores a permit: a trigger during a pass is not lost.
        self.wanted.notify_one();
    }

    /// Runs passes as they are asked for, until `stop` resolves.
    pub async fn run(self: Arc<Self>, stop: impl std::future::Future<Output = ()>) {
        let mut stop = std::pin::pin!(stop);
        loop {
            tokio::select! {
                _ = self.wanted.notified() => {}
                _ = &mut stop => return,
            }
            tokio::select! {
                _ = tokio::time::sleep(DEBOUNCE) => {}
                _ = &mut stop => return,
            }
            if !self.pass().await {
                tokio::select! {
                    _ = tokio::time::sleep(RETRY) => self.trigger(),
                    _ = &mut stop => return,
                }
            }
        }
    }

    /// Sends `resync` to every local session; false if some user's
    /// positions could not be read (they get it on the retry).
    async fn pass(&self) -> bool {
        let users = self.hub.local_users();
        if users.is_empty() {
            return true;
        }
        tracing::info!(users = users.len(), "bus: telling local sessions to resync");
        let failures = futures_util::stream::iter(users)
            .map(|user| self.resync_user(user))
            .buffer_unordered(CONCURRENCY)
            .filter(|ok| std::future::ready(!ok))
            .count()
            .await;
        if failures > 0 {
            tracing::warn!(failures, "bus: some resyncs failed; retrying");
        }
        failures == 0
    }

    async fn resync_user(&self, user: UserId) -> bool {
        match self.store.room_counts_for_user(user).await {
            Ok(entries) => {
                let rooms = entries.iter().map(RoomListEntry::position).collect();
                self.hub.dispatch(
                    &Audience::Users {
                        user_ids: vec![user],
                    },
                    &ServerEvent::Resync(ResyncEvent { rooms }),
                );
                true
            }
            Err(e) => {
                tracing::warn!(error = %e, %user, "bus: resync positions unavailable");
                false
            }
        }
    }
}
