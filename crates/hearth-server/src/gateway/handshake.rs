//! The HTTP/1.1 upgrade to a WebSocket (RFC 6455 §4.2), done here rather
//! than by axum's `WebSocketUpgrade` so that the session gets the
//! tokio-tungstenite stream itself: raw frames (for fragmenting large
//! messages, see `session`) are not reachable through axum's wrapper.

use crate::error::ApiError;
use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use hyper::upgrade::OnUpgrade;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;

/// An upgrade request that checked out: answer it with [`Upgrade::response`],
/// then await [`Upgrade::on_upgrade`] for the connection.
pub struct Upgrade {
    pub on_upgrade: OnUpgrade,
    accept: HeaderValue,
}

impl Upgrade {
    /// Checks `req` is a WebSocket upgrade; otherwise why not.
    pub fn from_request(mut req: Request) -> Result<Self, Refusal> {
        let headers = req.headers();
        if req.method() != Method::GET {
            return Err(Refusal::NotGet);
        }
        if !header_has_token(headers, header::CONNECTION, "upgrade")
            || !header_has_token(headers, header::UPGRADE, "websocket")
        {
            return Err(Refusal::Invalid("expected a WebSocket upgrade request"));
        }
        if !header_has_token(headers, header::SEC_WEBSOCKET_VERSION, "13") {
            return Err(Refusal::Version);
        }
        let Some(key) = headers.get(header::SEC_WEBSOCKET_KEY) else {
            return Err(Refusal::Invalid("Sec-WebSocket-Key is missing"));
        };
        // Base64 of a SHA-1: always a valid header value.
        let Ok(accept) = HeaderValue::from_str(&derive_accept_key(key.as_bytes())) else {
            return Err(Refusal::Invalid("bad Sec-WebSocket-Key"));
        };
        // Present on connections hyper can hand over (HTTP/1.1).
        if req.extensions().get::<OnUpgrade>().is_none() {
            return Err(Refusal::Invalid("this connection cannot be upgraded"));
        }
        let on_upgrade = hyper::upgrade::on(&mut req);
        Ok(Self { on_upgrade, accept })
    }

    /// The `101 Switching Protocols` answer.
    pub fn response(&self) -> Response {
        let mut response = Response::new(Body::empty());
        *response.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
        let headers = response.headers_mut();
        headers.insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
        headers.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
        headers.insert(header::SEC_WEBSOCKET_ACCEPT, self.accept.clone());
        response
    }
}

/// Why a request to the gateway is not an upgrade it can take.
#[derive(Debug, PartialEq, Eq)]
pub enum Refusal {
    NotGet,
    Invalid(&'static str),
    /// Not WebSocket version 13: answered with 426 and the version we speak.
    Version,
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        match self {
            Refusal::NotGet => StatusCode::METHOD_NOT_ALLOWED.into_response(),
            Refusal::Invalid(why) => ApiError::validation(why).into_response(),
            Refusal::Version => {
                let mut refused =
                    ApiError::validation("only WebSocket version 13 is supported").into_response();
                *refused.status_mut() = StatusCode::UPGRADE_REQUIRED;
                refused.headers_mut().insert(
                    header::SEC_WEBSOCKET_VERSION,
                    HeaderValue::from_static("13"),
                );
                refused
            }
        }
    }
}

/// Whether the comma-separated header `name` lists `token` (any case).
fn header_has_token(headers: &HeaderMap, name: header::HeaderName, token: &str) -> bool {
    headers.get_all(name).iter().any(|value| {
        value
            .as_bytes()
            .split(|&b| b == b',')
            .any(|part| part.trim_ascii().eq_ignore_ascii_case(token.as_bytes()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(headers: &[(&str, &str)]) -> Request {
        let mut builder = Request::builder().uri("/api/v1/gateway");
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        builder.body(Body::empty()).expect("request")
    }

    #[test]
    fn header_tokens_are_matched_in_lists_and_any_case() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::CONNECTION,
            HeaderValue::from_static("keep-alive, Upgrade"),
        );
        assert!(header_has_token(&headers, header::CONNECTION, "upgrade"));
        assert!(!header_has_token(&headers, header::UPGRADE, "websocket"));
    }

    #[test]
    fn plain_gets_and_old_versions_are_refused() {
        let plain = request(&[]);
        let refused = Upgrade::from_request(plain).err();
        assert!(matches!(refused, Some(Refusal::Invalid(_))));
        let old = request(&[
            ("connection", "upgrade"),
            ("upgrade", "websocket"),
            ("sec-websocket-version", "8"),
            ("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ=="),
        ]);
        let refused = Upgrade::from_request(old).err();
        assert_eq!(refused, Some(Refusal::Version));
        let answer = Refusal::Version.into_response();
        assert_eq!(answer.status(), StatusCode::UPGRADE_REQUIRED);
        assert_eq!(answer.headers()[header::SEC_WEBSOCKET_VERSION], "13");
    }
}
