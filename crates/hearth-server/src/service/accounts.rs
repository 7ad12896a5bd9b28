//! Accounts: registration, login, token refresh and logout, profiles.

use crate::app::AppState;
use crate::auth::{password, tokens};
use crate::config::Registration;
use crate::domain::{Password, Username, parse_display_name, parse_email, parse_text};
use crate::error::{ApiError, ApiResult};
use crate::service::views;
use hearth_protocol::dto::{
    AuthResponse, LoginRequest, RegisterRequest, UpdateProfileRequest, User, UserSummary,
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
    state.limits.check_auth(client.ip)?;
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
    state.limits.check_auth(client.ip)?;
    let login = req.username.trim().to_ascii_lowercase();
    if login.is_empty() || login.len() > 254 || req.password.len() > 1024 {
        return Err(invalid_credentials());
    }
    let user = match state.store.user_by_login(&login).await {
        Ok(u) => Some(u),
        Err(StoreError::NotFound) => None,
        Err(e) => return Err(e.into()),
    };
    // Verify against a dummy hash for unknown users, so timing tells nothing.
    let stored = user.as_ref().map_or_else(
        || password::dummy_hash().to_string(),
        |u| u.password_hash.clone(),
    );
    let ok = password::verify(req.password, stored).await?;
    match user {
        Some(user) if ok && !user.deactivated => start_session(state, user, client).await,
        _ => Err(invalid_credentials()),
    }
}

fn invalid_credentials() -> ApiError {
    ApiError::new(ErrorCode::InvalidCredentials, "wrong username or password")
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
    let rec = state.store.update_profile(user, patch).await?;
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
