//! `ApiError`: the one error type of handlers and services. Its code comes
//! from the shared table in `hearth_protocol::ErrorCode`; a 5xx logs the whole
//! cause chain and tells the client only that something failed.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use hearth_protocol::{ErrorBody, ErrorCode, ErrorDetail};
use hearth_store::StoreError;
use std::borrow::Cow;

#[derive(Debug)]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: Cow<'static, str>,
    /// Seconds, for 429 answers.
    pub retry_after: Option<u64>,
    /// The cause of a 5xx, logged and never sent.
    source: Option<anyhow::Error>,
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<Cow<'static, str>>) -> Self {
        Self {
            code,
            message: message.into(),
            retry_after: None,
            source: None,
        }
    }

    pub fn validation(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::Validation, message)
    }

    pub fn forbidden(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::Forbidden, message)
    }

    pub fn not_found(what: &'static str) -> Self {
        Self::new(ErrorCode::NotFound, format!("{what} not found"))
    }

    pub fn unauthorized() -> Self {
        Self::new(
            ErrorCode::Unauthorized,
            "missing, invalid or expired access token",
        )
    }

    pub fn rate_limited(retry_after_secs: u64) -> Self {
        Self {
            retry_after: Some(retry_after_secs.max(1)),
            ..Self::new(ErrorCode::RateLimited, "too many requests, slow down")
        }
    }

    pub fn internal(source: impl Into<anyhow::Error>) -> Self {
        Self {
            source: Some(source.into()),
            ..Self::new(ErrorCode::Internal, "internal error")
        }
    }

    pub fn unavailable(source: impl Into<anyhow::Error>) -> Self {
        Self {
            source: Some(source.into()),
            ..Self::new(ErrorCode::Unavailable, "service temporarily unavailable")
        }
    }

    pub fn status(&self) -> StatusCode {
        StatusCode::from_u16(self.code.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    pub fn body(&self) -> ErrorBody {
        ErrorBody {
            error: ErrorDetail {
                code: self.code,
                message: self.message.to_string(),
            },
        }
    }

    /// Logs a server-side failure with its cause chain; client errors are not logged here.
    pub fn log_if_server_error(&self) {
        // A feature the operator left off is a setting, not a failure.
        if self.code == ErrorCode::EmailDisabled {
            tracing::info!(
                code = self.code.as_str(),
                "request for a feature that is not configured"
            );
            return;
        }
        if self.status().is_server_error() {
            match &self.source {
                Some(e) => tracing::error!(code = self.code.as_str(), error = ?e, "request failed"),
                None => tracing::error!(code = self.code.as_str(), "request failed"),
            }
        }
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.message)
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(what) => ApiError::not_found(what),
            StoreError::Conflict(what) => {
                ApiError::new(ErrorCode::Conflict, format!("{what} already exists"))
            }
            StoreError::Limit(what) => ApiError::validation(format!("limit reached: {what}")),
            StoreError::Unavailable(_) => ApiError::unavailable(e),
            other => ApiError::internal(other),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        self.log_if_server_error();
        let status = self.status();
        let mut response = (status, axum::Json(self.body())).into_response();
        if let Some(secs) = self.retry_after
            && let Ok(v) = HeaderValue::from_str(&secs.to_string())
        {
            response.headers_mut().insert(header::RETRY_AFTER, v);
        }
        response
    }
}
