//! Catch-up after a bus outage: every local session gets a `resync` event
//! with its rooms' positions, and fetches what it missed with `after=`, as
//! after a reconnect (see docs/protocol.md).
//!
//! Membership changes and revocations travel as events too, and may have
//! been lost with the rest. So a pass first closes the connections whose
//! login session ended meanwhile, and rebuilds each local user's room
//! subscriptions from the store before telling them to resync: a member
//! kicked or banned on another node stops receiving the room.
//!
//! Triggers come from the subscriber (it lost and regained its subscription,
//! so this node missed others' events) and from other nodes (their publisher
//! dropped events). A burst of triggers makes one pass: the task waits a
//! moment after the first, so one Redis restart costs each session one
//! `resync`, not one per node.

use crate::hub::{Audience, Hub};
use crate::revocation::{RevokedSessions, close_dead_connections};
use futures_util::StreamExt;
use hearth_protocol::gateway::{ResyncEvent, ServerEvent};
use hearth_protocol::{RoomId, UserId};
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
    revoked: Arc<RevokedSessions>,
    wanted: Notify,
}

impl Resyncer {
    pub fn new(hub: Arc<Hub>, store: Arc<dyn Store>, revoked: Arc<RevokedSessions>) -> Arc<Self> {
        Arc::new(Self {
            hub,
            store,
            revoked,
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

    /// Closes the connections of ended sessions, then rebuilds every local
    /// user's subscriptions and sends them `resync`; false if something
    /// could not be read (the retry does it again).
    async fn pass(&self) -> bool {
        if let Err(e) = close_dead_connections(&*self.store, &self.hub, &self.revoked).await {
            tracing::warn!(error = %e, "bus: re-checking sessions failed");
            return false;
        }
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
        let version = self.hub.membership_version(user);
        match self.store.room_counts_for_user(user).await {
            Ok(entries) => {
                let member_of: Vec<RoomId> = entries.iter().map(|e| e.room.id).collect();
                if !self.hub.set_rooms_if_unchanged(user, &member_of, version) {
                    // A membership event passed during the read: the next
                    // pass reads again (the event itself is applied).
                    return false;
                }
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
