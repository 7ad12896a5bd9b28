//! Login sessions: starting one (the tokens), checking an access token,
//! refreshing and ending sessions (at once, everywhere), listing them, and
//! recording when each was last used.
//!
//! `last_active_at` moves when a session refreshes its tokens and when it
//! opens a gateway connection — not on every request, which would put a
//! database write on every read — and at most once a minute
//! (`session_touch_interval`) for connections. Those writes are gathered
//! ([`PendingTouches`]) and made together once a second, so a reconnect storm
//! of thousands of clients costs one write, not a transaction (and an
//! fsync) each.

use crate::auth::{AuthUser, TokenKeys, tokens};
use crate::error::{ApiError, ApiResult};
use crate::events::Events;
use crate::hub::Hub;
use crate::revocation::RevokedSessions;
use crate::service::views;
use hearth_protocol::dto::{AuthResponse, RevokedCount, SessionInfo};
use hearth_protocol::gateway::close_code;
use hearth_protocol::{ErrorCode, SessionId, UserId};
use hearth_store::{NewSession, RefreshOutcome, Store, UserRecord};
use std::collections::HashSet;
use std::net::IpAddr;
use std::sync::Arc;
use std::sync::Mutex;
use time::OffsetDateTime;

/// How often gathered touches are written.
pub const TOUCH_FLUSH_EVERY: std::time::Duration = std::time::Duration::from_secs(1);

/// Where a login comes from, for the sessions list.
pub struct ClientInfo {
    pub ip: IpAddr,
    pub user_agent: String,
}

/// Login sessions and their tokens.
#[derive(Clone)]
pub struct SessionService {
    store: Arc<dyn Store>,
    tokens: TokenKeys,
    /// Revoked sessions whose access tokens may not have expired yet.
    revoked: Arc<RevokedSessions>,
    events: Events,
    /// Closes a revoked session's connections on this node.
    hub: Arc<Hub>,
    touches: Arc<PendingTouches>,
    refresh_token_ttl: std::time::Duration,
    touch_interval: std::time::Duration,
}

impl SessionService {
    pub fn new(
        store: Arc<dyn Store>,
        tokens: TokenKeys,
        revoked: Arc<RevokedSessions>,
        events: Events,
        hub: Arc<Hub>,
        refresh_token_ttl: std::time::Duration,
        touch_interval: std::time::Duration,
    ) -> Self {
        Self {
            store,
            tokens,
            revoked,
            events,
            hub,
            touches: Arc::default(),
            refresh_token_ttl,
            touch_interval,
        }
    }

    /// The caller an access token speaks for, unless it is invalid, expired
    /// or its session was revoked.
    pub fn authenticate(&self, access_token: &str) -> Option<AuthUser> {
        let claims = self.tokens.verify(access_token)?;
        if self.revoked.is_revoked(claims.sid) {
            return None;
        }
        Some(AuthUser {
            user_id: claims.sub,
            session_id: claims.sid,
        })
    }

    /// Whether the session was revoked while its access tokens could still
    /// be valid (on this node or, in a cluster, any other).
    pub fn is_revoked(&self, session: SessionId) -> bool {
        self.revoked.is_revoked(session)
    }

    /// How long an access token lives.
    pub fn access_ttl(&self) -> std::time::Duration {
        self.tokens.access_ttl
    }

    /// The caller's live sessions, newest first; `current` marks the caller's.
    pub async fn list(&self, auth: AuthUser) -> ApiResult<Vec<SessionInfo>> {
        let sessions = self
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
    pub async fn revoke(&self, auth: AuthUser, id: SessionId) -> ApiResult<()> {
        let session = match self.store.session_by_id(id).await? {
            Some(s) if s.user_id == auth.user_id && !s.revoked => s,
            _ => return Err(ApiError::not_found("session")),
        };
        self.store.revoke_session(session.id).await?;
        self.revoked(session.id);
        Ok(())
    }

    /// Ends every session of the caller but the current one.
    pub async fn revoke_others(&self, auth: AuthUser) -> ApiResult<RevokedCount> {
        let n = self.end_all(auth.user_id, Some(auth.session_id)).await?;
        Ok(RevokedCount { revoked: n as u64 })
    }

    /// Records that a session is in use (a gateway connection opened), unless
    /// `last_active_at` (as just read) is less than `session_touch_interval` old.
    /// The write happens with the next [`flush_touches`]: a failed write costs
    /// an out-of-date "last active", never a connection.
    pub fn touch(&self, id: SessionId, last_active_at: OffsetDateTime) {
        if OffsetDateTime::now_utc() - last_active_at < self.touch_interval {
            return;
        }
        self.touches.add(id);
    }

    /// Writes the gathered touches (see the module docs).
    pub async fn flush_touches(&self) {
        let ids = self.touches.take();
        if ids.is_empty() {
            return;
        }
        if let Err(e) = self
            .store
            .touch_sessions(&ids, OffsetDateTime::now_utc())
            .await
        {
            tracing::debug!(error = ?e, sessions = ids.len(), "touching sessions failed");
        }
    }

    /// Revokes every session of `user` but `except` and closes their gateway
    /// connections; returns how many ended.
    pub async fn end_all(&self, user: UserId, except: Option<SessionId>) -> ApiResult<usize> {
        let revoked = self.store.revoke_user_sessions(user, except).await?;
        for &session in &revoked {
            self.revoked(session);
        }
        Ok(revoked.len())
    }

    /// Starts a login session for `user` and hands out its first tokens.
    pub async fn start(&self, user: UserRecord, client: ClientInfo) -> ApiResult<AuthResponse> {
        let now = OffsetDateTime::now_utc();
        let refresh = tokens::new_refresh_token();
        let session = self
            .store
            .create_session(NewSession {
                id: SessionId::new(),
                user_id: user.id,
                refresh_hash: tokens::hash_refresh_token(&refresh),
                user_agent: client.user_agent,
                ip: client.ip.to_string(),
                created_at: now,
                expires_at: now + self.refresh_token_ttl,
            })
            .await?;
        self.auth_response(&user, session.id, refresh)
    }

    fn auth_response(
        &self,
        user: &UserRecord,
        session: SessionId,
        refresh_token: String,
    ) -> ApiResult<AuthResponse> {
        let access_token = self
            .tokens
            .issue(user.id, session)
            .map_err(ApiError::internal)?;
        Ok(AuthResponse {
            user: views::user(user, true),
            access_token,
            refresh_token,
            expires_in: self.tokens.access_ttl.as_secs(),
        })
    }

    /// Rotates a refresh token. Reusing a spent token revokes the whole login
    /// (someone else may hold it) and closes its live connections.
    pub async fn refresh(&self, refresh_token: &str) -> ApiResult<AuthResponse> {
        if refresh_token.is_empty() || refresh_token.len() > 256 {
            return Err(invalid_refresh());
        }
        let old_hash = tokens::hash_refresh_token(refresh_token);
        // A read first: a made-up token must not queue for the writer.
        if !self.store.refresh_token_known(&old_hash).await? {
            return Err(invalid_refresh());
        }
        let now = OffsetDateTime::now_utc();
        let new_token = tokens::new_refresh_token();
        let outcome = self
            .store
            .rotate_refresh_token(
                &old_hash,
                &tokens::hash_refresh_token(&new_token),
                now,
                now + self.refresh_token_ttl,
            )
            .await?;
        match outcome {
            RefreshOutcome::Rotated(session) => {
                let user = self
                    .store
                    .user_by_id(session.user_id)
                    .await?
                    .ok_or_else(|| ApiError::not_found("user"))?;
                if user.deactivated {
                    return Err(invalid_refresh());
                }
                self.auth_response(&user, session.id, new_token)
            }
            RefreshOutcome::Reused(session) => {
                tracing::warn!(session_id = %session.id, user_id = %session.user_id, "refresh token reused; session revoked");
                self.revoked(session.id);
                Err(invalid_refresh())
            }
            RefreshOutcome::Invalid => Err(invalid_refresh()),
        }
    }

    /// Ends the login the refresh token belongs to. Unknown tokens are ignored.
    pub async fn logout(&self, refresh_token: &str) -> ApiResult<()> {
        if refresh_token.is_empty() || refresh_token.len() > 256 {
            return Ok(());
        }
        if let Some(session) = self
            .store
            .revoke_session_by_refresh(&tokens::hash_refresh_token(refresh_token))
            .await?
        {
            self.revoked(session.id);
        }
        Ok(())
    }

    /// Applies the revocations recorded in the store since the last call
    /// (by another node or process): their tokens are refused and their
    /// connections here close with 4003. Runs every
    /// [`crate::revocation::CATCH_UP_EVERY`].
    pub async fn catch_up_revocations(&self) {
        match self.revoked.catch_up(&*self.store).await {
            Ok(news) if !news.is_empty() => {
                let news: HashSet<SessionId> = news.into_iter().collect();
                tracing::info!(sessions = news.len(), "revocations made elsewhere applied");
                self.hub
                    .close_login_sessions(|s| news.contains(&s), close_code::SESSION_REVOKED);
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "reading revocations failed; retrying"),
        }
    }

    /// Forgets revocations whose access tokens have all expired.
    pub async fn prune_revocations(&self) {
        if let Err(e) = self.revoked.prune(&*self.store).await {
            tracing::warn!(error = %e, "pruning revocations failed");
        }
    }

    /// Closes this node's connections whose login session has ended without
    /// this node hearing of it (see [`crate::revocation::close_dead_connections`]).
    pub async fn close_dead_connections(&self) {
        match crate::revocation::close_dead_connections(&*self.store, &self.hub, &self.revoked)
            .await
        {
            Ok(0) => {}
            Ok(n) => tracing::info!(sessions = n, "connections of ended sessions closed"),
            Err(e) => tracing::warn!(error = %e, "checking connected sessions failed"),
        }
    }

    /// Makes a revocation take effect at once: access tokens of the session stop
    /// working and its gateway connections close.
    pub fn revoked(&self, session: SessionId) {
        self.revoked.revoke(session);
        self.hub
            .close_login_session(session, close_code::SESSION_REVOKED);
        self.events.session_revoked(session);
    }
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

fn invalid_refresh() -> ApiError {
    ApiError::new(
        ErrorCode::InvalidRefreshToken,
        "refresh token is invalid, expired or already used",
    )
}
