//! Accounts: registration, login (with the account lockout and the second
//! factor), token refresh and logout, password change, profiles, and the
//! end of an account (deletion by its owner, deactivation by an admin).

use crate::app::AppState;
use crate::auth::{AuthUser, password, tokens};
use crate::config::Registration;
use crate::domain::{Password, Username, parse_display_name, parse_email, parse_text};
use crate::error::{ApiError, ApiResult};
use crate::lockout::LockoutKey;
use crate::service::{email_links, rooms, two_factor, views};
use hearth_protocol::dto::{
    AuthResponse, ChangePasswordRequest, LoginRequest, RegisterRequest, UpdateProfileRequest, User,
    UserSummary,
};
use hearth_protocol::gateway::close_code;
use hearth_protocol::{ErrorCode, SessionId, UserId};
use hearth_store::{NewSession, NewUser, ProfilePatch, RefreshOutcome, StoreError, UserRecord};
use std::net::IpAddr;
use time::OffsetDateTime;

/// Where a login comes from, for the sessions list.
pub struct ClientInfo {
    pub ip: IpAddr,
    pub user_agent: String,
}

pub async fn register(
    state: &AppState,
    client: ClientInfo,
    req: RegisterRequest,
) -> ApiResult<AuthResponse> {
    state.limits.check_auth(client.ip).await?;
    match state.config.registration {
        Registration::Open => {}
        Registration::Closed => {
            return Err(ApiError::new(
                ErrorCode::RegistrationClosed,
                "registration is closed on this server; ask an admin for an account",
            ));
        }
        Registration::Invite => {
            let expected = state.config.invite_code.as_deref().unwrap_or_default();
            let given = req.invite_code.as_deref().unwrap_or_default();
            if expected.is_empty() || given != expected {
                return Err(ApiError::new(
                    ErrorCode::RegistrationClosed,
                    "registration needs a valid invite_code",
                ));
            }
        }
    }
    let user = create_user(
        state,
        &req.username,
        req.password,
        req.display_name.as_deref(),
        req.email.as_deref(),
    )
    .await?;
    email_links::verify_after_registration(state, &user).await;
    start_session(state, user, client).await
}

/// Creates an account (registration and the admin CLI share this).
pub async fn create_user(
    state: &AppState,
    username: &str,
    password: String,
    display_name: Option<&str>,
    email: Option<&str>,
) -> ApiResult<UserRecord> {
    let username = Username::parse(username)?.into_inner();
    let password = Password::parse(password)?;
    let display_name = match display_name {
        Some(d) => parse_display_name(d)?,
        None => username.clone(),
    };
    let email = email
        .filter(|e| !e.trim().is_empty())
        .map(parse_email)
        .transpose()?;
    let password_hash = password::hash(password.expose().to_string()).await?;
    let user = state
        .store
        .create_user(NewUser {
            id: UserId::new(),
            username,
            display_name,
            email,
            password_hash,
            created_at: OffsetDateTime::now_utc(),
        })
        .await
        .map_err(|e| match e {
            StoreError::Conflict(what) => {
                ApiError::new(ErrorCode::Conflict, format!("{what} is already taken"))
            }
            other => other.into(),
        })?;
    tracing::info!(user_id = %user.id, username = %user.username, "user created");
    Ok(user)
}

pub async fn login(
    state: &AppState,
    client: ClientInfo,
    req: LoginRequest,
) -> ApiResult<AuthResponse> {
    state.limits.check_auth(client.ip).await?;
    let login = req.username.trim().to_ascii_lowercase();
    if login.is_empty() || login.len() > 254 || req.password.len() > 1024 {
        return Err(invalid_credentials());
    }
    let user = match state.store.user_by_login(&login).await {
        Ok(u) => Some(u),
        Err(StoreError::NotFound) => None,
        Err(e) => return Err(e.into()),
    };
    let key = match &user {
        Some(u) => LockoutKey::Account(u.id),
        None => LockoutKey::Unknown(login),
    };
    state.lockout.check(&key).map_err(locked_out)?;
    // Verify against a dummy hash for unknown and deactivated users, so
    // timing tells nothing.
    let stored = match &user {
        Some(u) if !u.deactivated => u.password_hash.clone(),
        _ => password::dummy_hash().to_string(),
    };
    let ok = password::verify(req.password, stored).await?;
    let user = match user {
        Some(user) if ok && !user.deactivated => user,
        _ => {
            state.lockout.record_failure(&key);
            return Err(invalid_credentials());
        }
    };
    if user.totp_enabled {
        let code = req.totp.as_deref().map(str::trim).unwrap_or_default();
        if code.is_empty() {
            return Err(ApiError::new(
                ErrorCode::TotpRequired,
                "enter the code from your authenticator app (or a recovery code) as `totp`",
            ));
        }
        if !two_factor::check_second_factor(state, &user, code).await? {
            state.lockout.record_failure(&key);
            return Err(ApiError::new(
                ErrorCode::TotpRequired,
                "that two-factor code is wrong, expired or already used",
            ));
        }
    }
    state.lockout.record_success(&key);
    start_session(state, user, client).await
}

fn invalid_credentials() -> ApiError {
    ApiError::new(ErrorCode::InvalidCredentials, "wrong username or password")
}

fn locked_out(remaining: std::time::Duration) -> ApiError {
    let secs = remaining.as_secs() + u64::from(remaining.subsec_nanos() > 0);
    let mut e = ApiError::rate_limited(secs);
    e.message = format!(
        "too many failed sign-ins for this account; try again in {} s",
        secs.max(1)
    )
    .into();
    e
}

/// Checks the password of a signed-in user before a sensitive change.
/// Failures count toward the account's lockout, so a stolen access token
/// cannot be used to guess the password either.
pub async fn reauthenticate(state: &AppState, user: &UserRecord, given: String) -> ApiResult<()> {
    let key = LockoutKey::Account(user.id);
    state.lockout.check(&key).map_err(locked_out)?;
    if given.len() > 1024 || !password::verify(given, user.password_hash.clone()).await? {
        state.lockout.record_failure(&key);
        return Err(ApiError::new(
            ErrorCode::WrongPassword,
            "the password is wrong",
        ));
    }
    Ok(())
}

/// Changes the password; every other session of the user ends.
pub async fn change_password(
    state: &AppState,
    auth: AuthUser,
    req: ChangePasswordRequest,
) -> ApiResult<()> {
    let user = state.store.user_by_id(auth.user_id).await?;
    reauthenticate(state, &user, req.current_password).await?;
    let new = Password::parse(req.new_password)?;
    let hash = password::hash(new.expose().to_string()).await?;
    state.store.set_password_hash(user.id, &hash).await?;
    let ended = end_sessions(state, user.id, Some(auth.session_id)).await?;
    tracing::info!(user_id = %user.id, sessions_ended = ended, "password changed");
    Ok(())
}

/// Revokes every session of `user` but `except` and closes their gateway
/// connections; returns how many ended.
pub async fn end_sessions(
    state: &AppState,
    user: UserId,
    except: Option<SessionId>,
) -> ApiResult<usize> {
    let revoked = state.store.revoke_user_sessions(user, except).await?;
    for &session in &revoked {
        session_revoked(state, session);
    }
    Ok(revoked.len())
}

/// Deletes the caller's account: it is scrubbed (see
/// [`hearth_store::SecurityStore::scrub_user`]), signed out everywhere, and
/// its messages stay, shown as from "deleted user".
pub async fn delete_me(state: &AppState, user: UserId, password: String) -> ApiResult<()> {
    let rec = state.store.user_by_id(user).await?;
    reauthenticate(state, &rec, password).await?;
    state.store.scrub_user(user).await?;
    end_sessions(state, user, None).await?;
    let rooms_left = rooms::leave_all_for_deletion(state, user).await?;
    state.lockout.record_success(&LockoutKey::Account(user));
    tracing::info!(user_id = %user, rooms_left, "account deleted by its owner");
    Ok(())
}

/// A server admin deactivates (or reactivates) another account. A
/// deactivated account cannot sign in and its sessions end at once.
pub async fn set_deactivated(
    state: &AppState,
    admin: UserId,
    target: UserId,
    deactivated: bool,
) -> ApiResult<()> {
    let caller = state.store.user_by_id(admin).await?;
    if !caller.is_admin || caller.deactivated {
        return Err(ApiError::forbidden("only server admins may do this"));
    }
    if target == admin {
        return Err(ApiError::validation(
            "admins cannot deactivate themselves; use DELETE /api/v1/users/me",
        ));
    }
    state
        .store
        .set_deactivated(target, deactivated)
        .await
        .map_err(not_found_user)?;
    if deactivated {
        end_sessions(state, target, None).await?;
    }
    tracing::info!(admin_id = %admin, user_id = %target, deactivated, "account deactivation changed");
    Ok(())
}

async fn start_session(
    state: &AppState,
    user: UserRecord,
    client: ClientInfo,
) -> ApiResult<AuthResponse> {
    let now = OffsetDateTime::now_utc();
    let refresh = tokens::new_refresh_token();
    let session = state
        .store
        .create_session(NewSession {
            id: SessionId::new(),
            user_id: user.id,
            refresh_hash: tokens::hash_refresh_token(&refresh),
            user_agent: client.user_agent,
            ip: client.ip.to_string(),
            created_at: now,
            expires_at: now + state.config.refresh_token_ttl,
        })
        .await?;
    auth_response(state, &user, session.id, refresh)
}

fn auth_response(
    state: &AppState,
    user: &UserRecord,
    session: SessionId,
    refresh_token: String,
) -> ApiResult<AuthResponse> {
    let access_token = state
        .tokens
        .issue(user.id, session)
        .map_err(ApiError::internal)?;
    Ok(AuthResponse {
        user: views::user(user, true),
        access_token,
        refresh_token,
        expires_in: state.tokens.access_ttl.as_secs(),
    })
}

fn invalid_refresh() -> ApiError {
    ApiError::new(
        ErrorCode::InvalidRefreshToken,
        "refresh token is invalid, expired or already used",
    )
}

/// Rotates a refresh token. Reusing a spent token revokes the whole login
/// (someone else may hold it) and closes its live connections.
pub async fn refresh(state: &AppState, refresh_token: &str) -> ApiResult<AuthResponse> {
    if refresh_token.is_empty() || refresh_token.len() > 256 {
        return Err(invalid_refresh());
    }
    let now = OffsetDateTime::now_utc();
    let new_token = tokens::new_refresh_token();
    let outcome = state
        .store
        .rotate_refresh_token(
            &tokens::hash_refresh_token(refresh_token),
            &tokens::hash_refresh_token(&new_token),
            now,
            now + state.config.refresh_token_ttl,
        )
        .await?;
    match outcome {
        RefreshOutcome::Rotated(session) => {
            let user = state.store.user_by_id(session.user_id).await?;
            if user.deactivated {
                return Err(invalid_refresh());
            }
            auth_response(state, &user, session.id, new_token)
        }
        RefreshOutcome::Reused(session) => {
            tracing::warn!(session_id = %session.id, user_id = %session.user_id, "refresh token reused; session revoked");
            session_revoked(state, session.id);
            Err(invalid_refresh())
        }
        RefreshOutcome::Invalid => Err(invalid_refresh()),
    }
}

/// Ends the login the refresh token belongs to. Unknown tokens are ignored.
pub async fn logout(state: &AppState, refresh_token: &str) -> ApiResult<()> {
    if refresh_token.is_empty() || refresh_token.len() > 256 {
        return Ok(());
    }
    if let Some(session) = state
        .store
        .revoke_session_by_refresh(&tokens::hash_refresh_token(refresh_token))
        .await?
    {
        session_revoked(state, session.id);
    }
    Ok(())
}

/// Makes a revocation take effect at once: access tokens of the session stop
/// working and its gateway connections close.
pub fn session_revoked(state: &AppState, session: SessionId) {
    state.revoked_sessions.revoke(session);
    state
        .hub
        .close_login_session(session, close_code::SESSION_REVOKED);
    state.events.session_revoked(session);
}

pub async fn me(state: &AppState, user: UserId) -> ApiResult<User> {
    let rec = state.store.user_by_id(user).await.map_err(not_found_user)?;
    Ok(views::user(&rec, true))
}

fn not_found_user(e: StoreError) -> ApiError {
    match e {
        StoreError::NotFound => ApiError::not_found("user"),
        other => other.into(),
    }
}

pub async fn update_me(
    state: &AppState,
    user: UserId,
    req: UpdateProfileRequest,
) -> ApiResult<User> {
    let patch = ProfilePatch {
        display_name: req
            .display_name
            .as_deref()
            .map(parse_display_name)
            .transpose()?,
        bio: req
            .bio
            .as_deref()
            .map(|b| parse_text(b, "bio", 500))
            .transpose()?,
        status_text: req
            .status_text
            .as_deref()
            .map(|s| parse_text(s, "status_text", 100))
            .transpose()?,
        avatar: match req.avatar {
            Some(Some(upload)) => Some(Some(
                crate::media::check_own_image(state, user, upload).await?,
            )),
            Some(None) => Some(None),
            None => None,
        },
    };
    let dnd = crate::service::notifications::parse_dnd(
        req.dnd,
        req.dnd_until.map(|u| u.map(|t| t.0)),
        time::OffsetDateTime::now_utc(),
    )?;
    let mut rec = state.store.update_profile(user, patch).await?;
    if let Some(until) = dnd {
        rec = state.store.set_dnd_until(user, until).await?;
    }
    Ok(views::user(&rec, true))
}

pub async fn get_user(state: &AppState, id: UserId) -> ApiResult<User> {
    let rec = state.store.user_by_id(id).await.map_err(not_found_user)?;
    Ok(views::user(&rec, false))
}

pub async fn search_users(state: &AppState, query: &str) -> ApiResult<Vec<UserSummary>> {
    let q = query.trim().trim_start_matches('@');
    if q.chars().count() > 64 {
        return Err(ApiError::validation("q: at most 64 characters"));
    }
    let users = state.store.search_users(q, 20).await?;
    Ok(users.iter().map(views::summary).collect())
}
