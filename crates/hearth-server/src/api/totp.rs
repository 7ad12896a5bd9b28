//! `/api/v1/auth/totp`: two-factor authentication — set up, confirm, turn off.

use crate::api::extract::ApiJson;
use crate::auth::AuthUser;
use crate::error::ApiResult;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use hearth_protocol::ErrorBody;
use hearth_protocol::dto::{RecoveryCodes, TotpDisableRequest, TotpEnableRequest, TotpSetup};

/// Start two-factor setup: a new secret, its otpauth URI and QR code. Nothing
/// changes for logins until a code is confirmed with `/auth/totp/enable`.
#[utoipa::path(post, path = "/api/v1/auth/totp/setup", tag = "auth",
    responses((status = 200, body = TotpSetup), (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn setup_totp(
    State(state): State<AppState>,
    auth: AuthUser,
) -> ApiResult<Json<TotpSetup>> {
    Ok(Json(state.services.two_factor.setup(auth.user_id).await?))
}

/// Confirm a code from the authenticator app, with the account's password,
/// and turn two-factor on. The answer holds ten single-use recovery codes,
/// shown this once.
#[utoipa::path(post, path = "/api/v1/auth/totp/enable", tag = "auth",
    request_body = TotpEnableRequest,
    responses((status = 200, body = RecoveryCodes), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 429, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn enable_totp(
    State(state): State<AppState>,
    auth: AuthUser,
    ApiJson(req): ApiJson<TotpEnableRequest>,
) -> ApiResult<Json<RecoveryCodes>> {
    Ok(Json(
        state.services.two_factor.enable(auth.user_id, req).await?,
    ))
}

/// Turn two-factor off, with the password and a current or recovery code.
#[utoipa::path(post, path = "/api/v1/auth/totp/disable", tag = "auth",
    request_body = TotpDisableRequest,
    responses((status = 204), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 429, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn disable_totp(
    State(state): State<AppState>,
    auth: AuthUser,
    ApiJson(req): ApiJson<TotpDisableRequest>,
) -> ApiResult<StatusCode> {
    state.services.two_factor.disable(auth.user_id, req).await?;
    Ok(StatusCode::NO_CONTENT)
}
