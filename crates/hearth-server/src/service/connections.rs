//! Gateway connections: who a connection's `auth` token speaks for, the
//! rooms it starts in, and the `ready` snapshot it gets.

use crate::service::presence::Presence;
use crate::service::views;
use hearth_protocol::gateway::Ready;
use hearth_protocol::{RoomId, SessionId, UserId};
use hearth_store::{RoomListEntry, Store, StoreError, UserRecord};
use std::sync::Arc;
use std::time::Duration;
use time::OffsetDateTime;

/// A connection's signed-in user, checked against the store.
pub struct Connected {
    pub user_id: UserId,
    pub session_id: SessionId,
    /// When the login session was last active (see `SessionService::touch`).
    pub last_active_at: OffsetDateTime,
    /// Boxed: it waits in the connection's future until `ready` is built.
    pub user: Box<UserRecord>,
}

#[derive(Clone)]
pub struct ConnectionService {
    store: Arc<dyn Store>,
    sessions: crate::service::sessions::SessionService,
    presence: Arc<Presence>,
    presence_room_limit: u32,
}

impl ConnectionService {
    pub fn new(
        store: Arc<dyn Store>,
        sessions: crate::service::sessions::SessionService,
        presence: Arc<Presence>,
        presence_room_limit: u32,
    ) -> Self {
        Self {
            store,
            sessions,
            presence,
            presence_room_limit,
        }
    }

    /// Checks an `auth` op's token and its login session; the error is the
    /// close reason.
    pub async fn authenticate(&self, token: &str) -> Result<Connected, &'static str> {
        let caller = self
            .sessions
            .authenticate(token)
            .ok_or("invalid or expired token")?;
        let (session, user) = match self.store.session_with_user(caller.session_id).await {
            Ok(Some(found)) => found,
            Ok(None) => return Err("unknown session"),
            Err(e) => {
                tracing::warn!(error = ?e, "gateway: session lookup failed");
                return Err("session could not be checked");
            }
        };
        if session.revoked || session.user_id != caller.user_id || user.deactivated {
            return Err("session revoked");
        }
        Ok(Connected {
            user_id: caller.user_id,
            session_id: caller.session_id,
            last_active_at: session.last_active_at,
            user: Box::new(user),
        })
    }

    /// The rooms a connection of `user` receives events of.
    pub async fn rooms_of(&self, user: UserId) -> Result<Vec<RoomId>, StoreError> {
        Ok(self
            .store
            .memberships_of(user)
            .await?
            .iter()
            .map(|m| m.room_id)
            .collect())
    }

    /// The `ready` snapshot, and the users who see this user's presence
    /// (those sharing a room of at most `presence_room_limit` members with
    /// them): the snapshot lists theirs, and a change of this user's goes
    /// to them.
    pub async fn ready(
        &self,
        session_id: SessionId,
        user: &UserRecord,
        heartbeat: Duration,
    ) -> Result<(Ready, Vec<UserId>), StoreError> {
        let entries = self.store.room_counts_for_user(user.id).await?;
        let rooms = entries.iter().map(RoomListEntry::position).collect();
        let peers = self.presence.peers(user.id).await?;
        let ready = Ready {
            user: views::user(user, true),
            session_id,
            rooms,
            heartbeat_interval: heartbeat.as_secs(),
            presence: self.presence.snapshot_everywhere(&peers).await,
            presence_room_limit: self.presence_room_limit,
        };
        Ok((ready, peers))
    }
}
