//! Every error code of the API in one table, shared by REST and the gateway.

use serde::{Deserialize, Serialize};

/// A machine-readable error code; `as_str` is its wire form.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The body is not valid JSON or does not match the expected shape.
    InvalidBody,
    /// A field failed validation; the message names it.
    Validation,
    /// A path or query parameter is malformed.
    InvalidParameter,
    /// No credentials, or the access token is bad or expired.
    Unauthorized,
    /// Wrong username or password.
    InvalidCredentials,
    /// Two-factor code needed or wrong.
    TotpRequired,
    /// The password given to confirm a sensitive change is wrong.
    WrongPassword,
    /// The two-factor or recovery code given to confirm a change is wrong.
    InvalidCode,
    /// The e-mailed link's token is unknown, used or expired.
    InvalidToken,
    /// The refresh token is unknown, expired or was already used.
    InvalidRefreshToken,
    /// Authenticated, but this action is beyond your role.
    Forbidden,
    /// Unknown, or not visible to you.
    NotFound,
    /// Already exists (username, e-mail, ...).
    Conflict,
    /// Registration is closed on this server.
    RegistrationClosed,
    /// The room is archived and read-only.
    RoomArchived,
    /// You are muted in this room.
    Muted,
    /// You are banned from this room.
    Banned,
    /// The body or a field is too large.
    PayloadTooLarge,
    /// The upload's type is not accepted.
    UnsupportedMediaType,
    /// Too many requests; retry after the given delay.
    RateLimited,
    /// The gateway op is unknown.
    UnknownOp,
    /// The server is not ready (store or bus unavailable).
    Unavailable,
    /// This server sends no e-mail (no SMTP configured): a feature switched
    /// off by the operator, answered 403 like any other refusal (a 5xx would
    /// tell clients to retry and page whoever watches the logs).
    EmailDisabled,
    /// Something failed on our side; it has been logged.
    Internal,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidBody => "invalid_body",
            Self::Validation => "validation",
            Self::InvalidParameter => "invalid_parameter",
            Self::Unauthorized => "unauthorized",
            Self::InvalidCredentials => "invalid_credentials",
            Self::TotpRequired => "totp_required",
            Self::WrongPassword => "wrong_password",
            Self::InvalidCode => "invalid_code",
            Self::InvalidToken => "invalid_token",
            Self::InvalidRefreshToken => "invalid_refresh_token",
            Self::Forbidden => "forbidden",
            Self::NotFound => "not_found",
            Self::Conflict => "conflict",
            Self::RegistrationClosed => "registration_closed",
            Self::RoomArchived => "room_archived",
            Self::Muted => "muted",
            Self::Banned => "banned",
            Self::PayloadTooLarge => "payload_too_large",
            Self::UnsupportedMediaType => "unsupported_media_type",
            Self::RateLimited => "rate_limited",
            Self::UnknownOp => "unknown_op",
            Self::Unavailable => "unavailable",
            Self::EmailDisabled => "email_disabled",
            Self::Internal => "internal",
        }
    }

    /// The HTTP status this code is answered with over REST.
    pub fn http_status(self) -> u16 {
        match self {
            Self::InvalidBody
            | Self::Validation
            | Self::InvalidParameter
            | Self::UnknownOp
            | Self::InvalidToken => 400,
            Self::Unauthorized
            | Self::InvalidCredentials
            | Self::TotpRequired
            | Self::InvalidRefreshToken => 401,
            Self::Forbidden
            | Self::WrongPassword
            | Self::InvalidCode
            | Self::RegistrationClosed
            | Self::EmailDisabled
            | Self::RoomArchived
            | Self::Muted
            | Self::Banned => 403,
            Self::NotFound => 404,
            Self::Conflict => 409,
            Self::PayloadTooLarge => 413,
            Self::UnsupportedMediaType => 415,
            Self::RateLimited => 429,
            Self::Unavailable => 503,
            Self::Internal => 500,
        }
    }
}

/// `{"error": {"code", "message"}}`: the body of every error response.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    pub code: ErrorCode,
    pub message: String,
}
