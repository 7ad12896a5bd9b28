//! `/api/v1/auth`: register, login, refresh, logout.

use crate::api::extract::{ApiJson, ClientIp, user_agent};
use crate::app::AppState;
use crate::error::ApiResult;
use crate::service::accounts::{self, ClientInfo};
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use hearth_protocol::ErrorBody;
use hearth_protocol::dto::{AuthResponse, LoginRequest, RefreshRequest, RegisterRequest};

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
    let res = accounts::register(&state, client, req).await?;
    Ok((StatusCode::CREATED, Json(res)))
}

/// Sign in with username (or e-mail) and password.
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
    Ok(Json(accounts::login(&state, client, req).await?))
}

/// Trade a refresh token for a new token pair; the old refresh token stops working.
#[utoipa::path(post, path = "/api/v1/auth/refresh", tag = "auth",
    request_body = RefreshRequest,
    responses((status = 200, body = AuthResponse), (status = 401, body = ErrorBody)))]
pub async fn refresh(
    State(state): State<AppState>,
    ApiJson(req): ApiJson<RefreshRequest>,
) -> ApiResult<Json<AuthResponse>> {
    Ok(Json(accounts::refresh(&state, &req.refresh_token).await?))
}

/// Sign out: the login session of this refresh token ends everywhere at once.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth",
    request_body = RefreshRequest, responses((status = 204)))]
pub async fn logout(
    State(state): State<AppState>,
    ApiJson(req): ApiJson<RefreshRequest>,
) -> ApiResult<StatusCode> {
    accounts::logout(&state, &req.refresh_token).await?;
    Ok(StatusCode::NO_CONTENT)
}
