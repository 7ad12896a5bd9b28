//! A user's login sessions: listing them, ending one or all the others, and
//! recording when each was last used.
//!
//! `last_active_at` moves when a session refreshes its tokens and when it
//! opens a gateway connection — not on every request, which would put a
//! database write on every read — and at most once a minute
//! (`session_touch_interval`) for connections, so a burst of reconnects
//! costs one write.

use crate::app::AppState;
use crate::auth::AuthUser;
use crate::error::{ApiError, ApiResult};
use crate::service::accounts;
use hearth_protocol::SessionId;
use hearth_protocol::dto::{RevokedCount, SessionInfo};
use hearth_store::StoreError;
use time::OffsetDateTime;

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
/// `last_active_at` (as just read) is less than `session_touch_interval` old. Runs
/// in the background: a failed write costs an out-of-date "last active",
/// never a connection.
pub fn touch(state: &AppState, id: SessionId, last_active_at: OffsetDateTime) {
    if OffsetDateTime::now_utc() - last_active_at < state.config.session_touch_interval {
        return;
    }
    let store = state.store.clone();
    tokio::spawn(async move {
        if let Err(e) = store.touch_session(id, OffsetDateTime::now_utc()).await {
            tracing::debug!(error = ?e, session_id = %id, "touching session failed");
        }
    });
}
