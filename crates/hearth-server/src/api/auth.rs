//! `/api/v1/auth`: register, login, refresh, logout; password change, reset
//! by e-mail link, and e-mail verification. Two-factor is in `totp`.

use crate::api::extract::{ApiJson, ClientIp, user_agent};
use crate::auth::AuthUser;
use crate::error::ApiResult;
use crate::service::sessions::ClientInfo;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use hearth_protocol::ErrorBody;
use hearth_protocol::dto::{
    AuthResponse, ChangePasswordRequest, LoginRequest, PasswordResetConfirm, PasswordResetRequest,
    RefreshRequest, RegisterRequest, VerifyEmailConfirm,
};

/// Create an account and sign in.
#[utoipa::path(post, path = "/api/v1/auth/register", tag = "auth",
    request_body = RegisterRequest,
    responses((status = 201, body = AuthResponse), (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn register(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    ApiJson(req): ApiJson<RegisterRequest>,
) -> ApiResult<(StatusCode, Json<AuthResponse>)> {
    let client = ClientInfo {
        ip,
        user_agent: user_agent(&headers),
    };
    let res = state.services.accounts.register(client, req).await?;
    Ok((StatusCode::CREATED, Json(res)))
}

/// Sign in with username (or e-mail) and password, plus `totp` (a current
/// code or a recovery code) when two-factor is on: without it the answer is
/// 401 `totp_required`. Repeated failures lock the account for a while (429).
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth",
    request_body = LoginRequest,
    responses((status = 200, body = AuthResponse), (status = 401, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn login(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    ApiJson(req): ApiJson<LoginRequest>,
) -> ApiResult<Json<AuthResponse>> {
    let client = ClientInfo {
        ip,
        user_agent: user_agent(&headers),
    };
    Ok(Json(state.services.accounts.login(client, req).await?))
}

/// Trade a refresh token for a new token pair; the old refresh token stops working.
#[utoipa::path(post, path = "/api/v1/auth/refresh", tag = "auth",
    request_body = RefreshRequest,
    responses((status = 200, body = AuthResponse), (status = 401, body = ErrorBody),
        (status = 429, body = ErrorBody)))]
pub async fn refresh(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(req): ApiJson<RefreshRequest>,
) -> ApiResult<Json<AuthResponse>> {
    Ok(Json(
        state
            .services
            .accounts
            .refresh(ip, &req.refresh_token)
            .await?,
    ))
}

/// Sign out: the login session of this refresh token ends everywhere at once.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth",
    request_body = RefreshRequest, responses((status = 204)))]
pub async fn logout(
    State(state): State<AppState>,
    ApiJson(req): ApiJson<RefreshRequest>,
) -> ApiResult<StatusCode> {
    state.services.sessions.logout(&req.refresh_token).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Change the password; every other session of the account ends.
#[utoipa::path(post, path = "/api/v1/auth/password", tag = "auth",
    request_body = ChangePasswordRequest,
    responses((status = 204), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 429, body = ErrorBody)), security(("bearer" = [])))]
pub async fn change_password(
    State(state): State<AppState>,
    auth: AuthUser,
    ApiJson(req): ApiJson<ChangePasswordRequest>,
) -> ApiResult<StatusCode> {
    state.services.accounts.change_password(auth, req).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Mail a password-reset link to this address if an account has it. Always
/// 202: the answer never tells whether the address is known. 403
/// `email_disabled` when the server sends no mail.
#[utoipa::path(post, path = "/api/v1/auth/password-reset/request", tag = "auth",
    request_body = PasswordResetRequest,
    responses((status = 202), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 429, body = ErrorBody)))]
pub async fn request_password_reset(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(req): ApiJson<PasswordResetRequest>,
) -> ApiResult<StatusCode> {
    state
        .services
        .email_links
        .request_password_reset(ip, &req.email)
        .await?;
    Ok(StatusCode::ACCEPTED)
}

/// Set a new password with the token from a reset link; every session of the
/// account ends.
#[utoipa::path(post, path = "/api/v1/auth/password-reset/confirm", tag = "auth",
    request_body = PasswordResetConfirm,
    responses((status = 204), (status = 400, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn confirm_password_reset(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(req): ApiJson<PasswordResetConfirm>,
) -> ApiResult<StatusCode> {
    state
        .services
        .email_links
        .confirm_password_reset(ip, &req.token, req.password)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Mail the caller a link that verifies their e-mail address; 403
/// `email_disabled` when the server sends no mail.
#[utoipa::path(post, path = "/api/v1/auth/verify-email/request", tag = "auth",
    responses((status = 202), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 429, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn request_email_verification(
    State(state): State<AppState>,
    auth: AuthUser,
) -> ApiResult<StatusCode> {
    state
        .services
        .email_links
        .request_verification(auth.user_id)
        .await?;
    Ok(StatusCode::ACCEPTED)
}

/// Verify an e-mail address with the token from the link.
#[utoipa::path(post, path = "/api/v1/auth/verify-email/confirm", tag = "auth",
    request_body = VerifyEmailConfirm,
    responses((status = 204), (status = 400, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn confirm_email_verification(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(req): ApiJson<VerifyEmailConfirm>,
) -> ApiResult<StatusCode> {
    state
        .services
        .email_links
        .confirm_verification(ip, &req.token)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
