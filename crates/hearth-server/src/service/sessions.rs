//! A user's login sessions: listing them, ending one or all the others, and
//! recording when each was last used.
//!
//! `last_active_at` moves when a session refreshes its tokens and when it
//! opens a gateway connection — not on every request, which would put a
//! database write on every read — and at most once a minute
//! (`session_touch_interval`) for connections. Those writes are gathered
//! ([`PendingTouches`]) and made together once a second, so a reconnect storm
//! of thousands of clients costs one write, not a transaction (and an
//! fsync) each.

use crate::app::AppState;
use crate::auth::AuthUser;
use crate::error::{ApiError, ApiResult};
use crate::service::accounts;
use hearth_protocol::SessionId;
use hearth_protocol::dto::{RevokedCount, SessionInfo};
use hearth_store::StoreError;
use std::collections::HashSet;
use std::sync::Mutex;
use time::OffsetDateTime;

/// How often gathered touches are written.
pub const TOUCH_FLUSH_EVERY: std::time::Duration = std::time::Duration::from_secs(1);

/// The caller's live sessions, newest first; `current` marks the caller's.
pub async fn list(state: &AppState, auth: AuthUser) -> ApiResult<Vec<SessionInfo>> {
    let sessions = state
        .store
        .list_sessions(auth.user_id, OffsetDateTime::now_utc())
        .await?;
    Ok(sessions
        .into_iter()
        .map(|s| SessionInfo {
            current: s.id == auth.session_id,
            id: s.id,
            user_agent: s.user_agent,
            ip: s.ip,
            created_at: s.created_at,
            last_active_at: s.last_active_at,
        })
        .collect())
}

/// Ends one of the caller's sessions (the caller's own too: that is a
/// sign-out); its gateway connections close at once with 4003.
pub async fn revoke(state: &AppState, auth: AuthUser, id: SessionId) -> ApiResult<()> {
    let session = match state.store.session_by_id(id).await {
        Ok(s) if s.user_id == auth.user_id && !s.revoked => s,
        Ok(_) | Err(StoreError::NotFound) => return Err(ApiError::not_found("session")),
        Err(e) => return Err(e.into()),
    };
    state.store.revoke_session(session.id).await?;
    accounts::session_revoked(state, session.id);
    Ok(())
}

/// Ends every session of the caller but the current one.
pub async fn revoke_others(state: &AppState, auth: AuthUser) -> ApiResult<RevokedCount> {
    let n = accounts::end_sessions(state, auth.user_id, Some(auth.session_id)).await?;
    Ok(RevokedCount { revoked: n as u64 })
}

/// Records that a session is in use (a gateway connection opened), unless
/// `last_active_at` (as just read) is less than `session_touch_interval` old.
/// The write happens with the next [`flush_touches`]: a failed write costs
/// an out-of-date "last active", never a connection.
pub fn touch(state: &AppState, id: SessionId, last_active_at: OffsetDateTime) {
    if OffsetDateTime::now_utc() - last_active_at < state.config.session_touch_interval {
        return;
    }
    state.touches.add(id);
}

/// Sessions waiting for their `last_active_at` write.
#[derive(Default)]
pub struct PendingTouches(Mutex<HashSet<SessionId>>);

impl PendingTouches {
    fn add(&self, id: SessionId) {
        // Poisoned only by a panic while inserting: the set is still sound.
        let mut pending = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        pending.insert(id);
    }

    fn take(&self) -> Vec<SessionId> {
        let mut pending = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        pending.drain().collect()
    }
}

/// Writes the gathered touches (see the module docs).
pub async fn flush_touches(state: &AppState) {
    let ids = state.touches.take();
    if ids.is_empty() {
        return;
    }
    if let Err(e) = state
        .store
        .touch_sessions(&ids, OffsetDateTime::now_utc())
        .await
    {
        tracing::debug!(error = ?e, sessions = ids.len(), "touching sessions failed");
    }
}
