//! The REST side: register, log in, refresh, rooms, members, messages,
//! health. Typed with hearth-protocol's DTOs.

use hearth_protocol::dto::{
    AddMembersRequest, AuthResponse, CreateRoomRequest, LoginRequest, Message, MessagePage,
    RefreshRequest, RegisterRequest, Room, RoomKind, SendMessageRequest,
};
use hearth_protocol::{RoomId, UserId};
use reqwest::{Method, StatusCode, Url};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::time::Duration;

/// A failed call: the HTTP status (None for a transport error) and the text.
#[derive(Debug)]
pub struct CallError {
    pub status: Option<StatusCode>,
    pub retry_after: Option<Duration>,
    pub message: String,
}

impl std::fmt::Display for CallError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.status {
            Some(s) => write!(f, "HTTP {s}: {}", self.message),
            None => write!(f, "{}", self.message),
        }
    }
}

impl std::error::Error for CallError {}

pub type CallResult<T> = Result<T, CallError>;

/// A REST client for one server. Cheap to clone (the connection pool is shared).
#[derive(Clone)]
pub struct Api {
    http: reqwest::Client,
    base: Url,
}

impl Api {
    pub fn new(base: &str) -> anyhow::Result<Self> {
        let base = Url::parse(base)?;
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .pool_max_idle_per_host(256)
            .build()?;
        Ok(Self { http, base })
    }

    pub fn base(&self) -> &Url {
        &self.base
    }

    async fn call<B: Serialize, T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<&B>,
    ) -> CallResult<T> {
        let url = self.base.join(path).map_err(|e| CallError {
            status: None,
            retry_after: None,
            message: format!("bad path {path}: {e}"),
        })?;
        let mut req = self.http.request(method, url);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(b);
        }
        let res = req.send().await.map_err(|e| CallError {
            status: None,
            retry_after: None,
            message: format!("{path}: {e}"),
        })?;
        let status = res.status();
        if !status.is_success() {
            let retry_after = res
                .headers()
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse::<u64>().ok())
                .map(Duration::from_secs);
            let text = res.text().await.unwrap_or_default();
            return Err(CallError {
                status: Some(status),
                retry_after,
                message: format!("{path}: {}", text.chars().take(300).collect::<String>()),
            });
        }
        let bytes = res.bytes().await.map_err(|e| CallError {
            status: Some(status),
            retry_after: None,
            message: format!("{path}: reading body: {e}"),
        })?;
        let bytes = if bytes.is_empty() {
            &b"null"[..]
        } else {
            &bytes[..]
        };
        serde_json::from_slice(bytes).map_err(|e| CallError {
            status: Some(status),
            retry_after: None,
            message: format!("{path}: unexpected answer: {e}"),
        })
    }

    pub async fn register(&self, username: &str, password: &str) -> CallResult<AuthResponse> {
        let body = RegisterRequest {
            username: username.into(),
            password: password.into(),
            display_name: None,
            email: None,
            invite_code: None,
        };
        self.call(Method::POST, "/api/v1/auth/register", None, Some(&body))
            .await
    }

    pub async fn login(&self, username: &str, password: &str) -> CallResult<AuthResponse> {
        let body = LoginRequest {
            username: username.into(),
            password: password.into(),
            totp: None,
        };
        self.call(Method::POST, "/api/v1/auth/login", None, Some(&body))
            .await
    }

    pub async fn refresh(&self, refresh_token: &str) -> CallResult<AuthResponse> {
        let body = RefreshRequest {
            refresh_token: refresh_token.into(),
        };
        self.call(Method::POST, "/api/v1/auth/refresh", None, Some(&body))
            .await
    }

    pub async fn create_channel(
        &self,
        token: &str,
        name: &str,
        members: Vec<UserId>,
    ) -> CallResult<Room> {
        let body = CreateRoomRequest {
            kind: RoomKind::Channel,
            name: Some(name.into()),
            topic: None,
            description: None,
            members,
            anonymous_allowed: false,
        };
        self.call(Method::POST, "/api/v1/rooms", Some(token), Some(&body))
            .await
    }

    pub async fn add_members(
        &self,
        token: &str,
        room: RoomId,
        user_ids: Vec<UserId>,
    ) -> CallResult<serde_json::Value> {
        let body = AddMembersRequest { user_ids };
        self.call(
            Method::POST,
            &format!("/api/v1/rooms/{room}/members"),
            Some(token),
            Some(&body),
        )
        .await
    }

    pub async fn send_message(
        &self,
        token: &str,
        room: RoomId,
        body: String,
        nonce: String,
    ) -> CallResult<Message> {
        let body = SendMessageRequest {
            body,
            nonce: Some(nonce),
            reply_to: None,
            attachments: Vec::new(),
            anonymous: false,
        };
        self.call(
            Method::POST,
            &format!("/api/v1/rooms/{room}/messages"),
            Some(token),
            Some(&body),
        )
        .await
    }

    /// A page of history: messages before `before` (the newest when None).
    pub async fn messages_before(
        &self,
        token: &str,
        room: RoomId,
        before: Option<i64>,
        limit: u32,
    ) -> CallResult<MessagePage> {
        let path = match before {
            Some(b) => format!("/api/v1/rooms/{room}/messages?before={b}&limit={limit}"),
            None => format!("/api/v1/rooms/{room}/messages?limit={limit}"),
        };
        self.call::<(), _>(Method::GET, &path, Some(token), None)
            .await
    }

    /// A catch-up page: messages whose `updated_seq > after`, ascending.
    pub async fn messages_after(
        &self,
        token: &str,
        room: RoomId,
        after: i64,
        limit: u32,
    ) -> CallResult<MessagePage> {
        let path = format!("/api/v1/rooms/{room}/messages?after={after}&limit={limit}");
        self.call::<(), _>(Method::GET, &path, Some(token), None)
            .await
    }

    /// The status of GET /readyz (None when the server is not answering).
    pub async fn readyz(&self) -> Option<StatusCode> {
        let url = self.base.join("/readyz").ok()?;
        self.http
            .get(url)
            .timeout(Duration::from_secs(2))
            .send()
            .await
            .ok()
            .map(|r| r.status())
    }
}

/// Retries `f` while it is rate limited (429), waiting Retry-After (at most
/// `tries` attempts). Other errors are returned at once.
pub async fn with_retry<T, F, Fut>(tries: u32, mut f: F) -> CallResult<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = CallResult<T>>,
{
    let mut attempt = 0;
    loop {
        attempt += 1;
        match f().await {
            Err(e) if e.status == Some(StatusCode::TOO_MANY_REQUESTS) && attempt < tries => {
                let wait = e.retry_after.unwrap_or(Duration::from_secs(1));
                tokio::time::sleep(wait.min(Duration::from_secs(10))).await;
            }
            other => return other,
        }
    }
}
