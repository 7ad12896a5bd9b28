//! The test harness: `spawn_app()` starts the real server on 127.0.0.1:0
//! with its own SQLite database and a hand-moved presence clock; typed
//! helpers register users, create rooms and send messages through the API
//! and answer `hearth-protocol` DTOs, so a renamed field fails to compile.
//! The raw calls (`get`, `post`, … answering `serde_json::Value`) stay for
//! tests about the wire shape itself or about deliberately bad input.

#![allow(dead_code)]

pub use crate::gateway_client::*;
pub use hearth_protocol::dto::{
    Member, Message, MessagePage, Role, Room, RoomKind, SessionInfo, User, UserSummary,
};
pub use hearth_protocol::gateway::{ClientOp, PresenceStatus, ServerEvent};
pub use hearth_protocol::{ErrorCode, MessageId, RoomId, SessionId, UserId};

use hearth_protocol::dto::{AuthResponse, CreateRoomRequest, RegisterRequest, SendMessageRequest};
use hearth_server::clock::ManualClock;
use hearth_server::{AppState, Config};
use reqwest::StatusCode;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::net::SocketAddr;
use std::time::Duration;

pub const TIMEOUT: Duration = Duration::from_secs(10);

/// The offline grace in tests: it passes only when a test moves
/// [`TestApp::clock`], never on its own.
pub const PRESENCE_GRACE: Duration = Duration::from_secs(30);

pub struct TestApp {
    pub addr: SocketAddr,
    pub http: reqwest::Client,
    pub state: AppState,
    /// The clock presence's offline grace runs on.
    pub clock: ManualClock,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    pub server: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
    _dir: tempfile::TempDir,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// A config for tests: generous limits so only the tests about limits hit them.
pub fn test_config(dir: &std::path::Path) -> Config {
    let mut c = Config::defaults();
    c.bind = "127.0.0.1:0".parse().unwrap();
    c.data_dir = dir.to_path_buf();
    c.database.url = Some(format!("sqlite://{}", dir.join("hearth.db").display()));
    c.database.sqlite_sync_full = false;
    c.auth.jwt_secret = Some("test-secret-test-secret-test-secret-0123".into());
    c.limits.auth_rate_per_minute = 100_000;
    c.limits.send_rate_per_second = 100_000;
    c.limits.send_burst = 100_000;
    c.limits.gateway_ops_per_second = 100_000;
    c.limits.write_rate_per_minute = 100_000;
    c.limits.search_rate_per_minute = 100_000;
    c.limits.max_sessions_per_user = 1_000;
    c.shutdown_grace = Duration::from_secs(2);
    c
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

pub async fn spawn_app_with(configure: impl FnOnce(&mut Config)) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let mut config = test_config(dir.path());
    configure(&mut config);
    let state = AppState::build(config).await.unwrap();
    let clock = ManualClock::new();
    let presence = &state.services.presence;
    presence.set_offline_grace(PRESENCE_GRACE);
    presence.set_clock(clock.clone().into());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(hearth_server::serve(state.clone(), listener, async move {
        let _ = stopped.await;
    }));
    TestApp {
        addr,
        http: reqwest::Client::new(),
        state,
        clock,
        stop: Some(stop),
        server: Some(server),
        _dir: dir,
    }
}

#[derive(Clone, Debug)]
pub struct TestUser {
    pub id: UserId,
    pub username: String,
    pub token: String,
    pub refresh: String,
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// Stops the server as SIGTERM would.
    pub fn stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }

    /// Waits (under [`TIMEOUT`]) until `timers` offline grace timers are
    /// pending: the server starts one once it has noticed a user's last
    /// session close.
    pub async fn until_grace_timers(&self, timers: usize) {
        tokio::time::timeout(TIMEOUT, self.clock.until_sleeping(timers))
            .await
            .unwrap_or_else(|_| {
                panic!(
                    "{} offline timer(s) pending, not {timers}",
                    self.clock.sleeping()
                )
            });
    }

    /// Lets the offline grace of every session closed so far run out: waits
    /// until `timers` grace timers are pending, then moves the clock past them.
    pub async fn end_presence_grace(&self, timers: usize) {
        self.until_grace_timers(timers).await;
        self.clock.advance(PRESENCE_GRACE);
    }

    /// Any request, answering the raw body (JSON, or a JSON string of a
    /// non-JSON body, or null when empty).
    pub async fn request(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut req = self.http.request(method, self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = tokio::time::timeout(TIMEOUT, req.send())
            .await
            .expect("request timed out")
            .expect("request failed");
        let status = res.status();
        let text = res.text().await.unwrap_or_default();
        let json = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        (status, json)
    }

    pub async fn get(&self, path: &str, token: &str) -> (StatusCode, Value) {
        self.request(reqwest::Method::GET, path, Some(token), None)
            .await
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
        self.request(reqwest::Method::POST, path, Some(token), Some(body))
            .await
    }

    pub async fn patch(&self, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
        self.request(reqwest::Method::PATCH, path, Some(token), Some(body))
            .await
    }

    pub async fn put(&self, path: &str, token: &str) -> (StatusCode, Value) {
        self.request(reqwest::Method::PUT, path, Some(token), None)
            .await
    }

    pub async fn delete(&self, path: &str, token: &str) -> (StatusCode, Value) {
        self.request(reqwest::Method::DELETE, path, Some(token), None)
            .await
    }

    /// A request that must answer `want`, its body decoded as `T` (the
    /// protocol's DTO): a field renamed on either side fails here.
    pub async fn call<T: DeserializeOwned>(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<&impl Serialize>,
        want: StatusCode,
    ) -> T {
        let body = body.map(|b| serde_json::to_value(b).expect("a request body"));
        let (status, answer) = self.request(method.clone(), path, token, body).await;
        assert_eq!(status, want, "{method} {path}: {answer}");
        decode(answer)
    }

    /// `GET path`, which must answer 200 with a `T`.
    pub async fn get_ok<T: DeserializeOwned>(&self, path: &str, token: &str) -> T {
        self.call(
            reqwest::Method::GET,
            path,
            Some(token),
            None::<&()>,
            StatusCode::OK,
        )
        .await
    }

    /// `POST path` with `body`, which must answer `want` with a `T`.
    pub async fn post_as<T: DeserializeOwned>(
        &self,
        path: &str,
        token: &str,
        body: &impl Serialize,
        want: StatusCode,
    ) -> T {
        self.call(reqwest::Method::POST, path, Some(token), Some(body), want)
            .await
    }

    /// `PATCH path` with `body`, which must answer 200 with a `T`.
    pub async fn patch_ok<T: DeserializeOwned>(
        &self,
        path: &str,
        token: &str,
        body: &impl Serialize,
    ) -> T {
        self.call(
            reqwest::Method::PATCH,
            path,
            Some(token),
            Some(body),
            StatusCode::OK,
        )
        .await
    }

    /// Registers `username` with password "password123".
    pub async fn register(&self, username: &str) -> TestUser {
        let request = RegisterRequest {
            username: username.to_string(),
            password: "password123".to_string(),
            display_name: None,
            email: None,
            invite_code: None,
        };
        let auth: AuthResponse = self
            .call(
                reqwest::Method::POST,
                "/api/v1/auth/register",
                None,
                Some(&request),
                StatusCode::CREATED,
            )
            .await;
        assert_eq!(auth.user.username, username);
        TestUser {
            id: auth.user.id,
            username: username.to_string(),
            token: auth.access_token,
            refresh: auth.refresh_token,
        }
    }

    /// Creates a room of `kind` with `members` (besides its owner).
    pub async fn create_room(
        &self,
        owner: &TestUser,
        kind: RoomKind,
        name: &str,
        members: &[&TestUser],
    ) -> Room {
        let request = CreateRoomRequest {
            kind,
            name: Some(name.to_string()),
            topic: None,
            description: None,
            members: members.iter().map(|u| u.id).collect(),
            anonymous_allowed: false,
        };
        // A DM between two people who already have one answers 200 with it.
        let (status, body) = self
            .post(
                "/api/v1/rooms",
                &owner.token,
                serde_json::to_value(&request).unwrap(),
            )
            .await;
        assert!(status.is_success(), "create room: {status} {body}");
        decode(body)
    }

    /// Sends a message over REST and returns it.
    pub async fn send(&self, user: &TestUser, room: RoomId, body: &str) -> Message {
        let request = SendMessageRequest {
            body: body.to_string(),
            nonce: None,
            reply_to: None,
            attachments: Vec::new(),
            anonymous: false,
        };
        self.post_as(
            &format!("/api/v1/rooms/{room}/messages"),
            &user.token,
            &request,
            StatusCode::CREATED,
        )
        .await
    }

    /// Adds `user` to `room` as `actor`.
    pub async fn add_member(&self, actor: &TestUser, room: RoomId, user: &TestUser) {
        let (status, body) = self
            .post(
                &format!("/api/v1/rooms/{room}/members"),
                &actor.token,
                serde_json::json!({"user_ids": [user.id]}),
            )
            .await;
        assert!(status.is_success(), "add member: {status} {body}");
    }

    /// One message as `user` reads it.
    pub async fn message(&self, user: &TestUser, room: RoomId, id: MessageId) -> Message {
        self.get_ok(&format!("/api/v1/rooms/{room}/messages/{id}"), &user.token)
            .await
    }

    /// A page of a room's messages; `query` is what follows the `?`.
    pub async fn messages(&self, user: &TestUser, room: RoomId, query: &str) -> MessagePage {
        self.get_ok(
            &format!("/api/v1/rooms/{room}/messages?{query}"),
            &user.token,
        )
        .await
    }

    /// The rooms `user` is in, as their room list shows them.
    pub async fn rooms(&self, user: &TestUser) -> Vec<Room> {
        self.get_ok("/api/v1/rooms", &user.token).await
    }

    /// `room` as `user`'s room list shows it.
    pub async fn room_entry(&self, user: &TestUser, room: RoomId) -> Room {
        let rooms = self.rooms(user).await;
        let ids: Vec<RoomId> = rooms.iter().map(|r| r.id).collect();
        rooms
            .into_iter()
            .find(|r| r.id == room)
            .unwrap_or_else(|| panic!("room {room} not in {}'s list {ids:?}", user.username))
    }

    /// The members of `room` as `user` sees them.
    pub async fn members(&self, user: &TestUser, room: RoomId) -> Vec<Member> {
        self.get_ok(&format!("/api/v1/rooms/{room}/members"), &user.token)
            .await
    }
}

/// A body decoded as the protocol type `T`; fails naming the body.
pub fn decode<T: DeserializeOwned>(body: Value) -> T {
    match serde_json::from_value::<T>(body.clone()) {
        Ok(v) => v,
        Err(e) => panic!("not a {}: {e}: {body}", std::any::type_name::<T>()),
    }
}

/// The `error.code` of an error answer.
pub fn error_code(body: &Value) -> ErrorCode {
    decode::<hearth_protocol::ErrorBody>(body.clone())
        .error
        .code
}

/// Re-checks `check` until it holds, failing after [`TIMEOUT`]: only for
/// state that changes in the background and announces nothing a test could
/// await. Every caller says which condition that is and why it has no event.
pub async fn eventually<F, Fut>(what: &str, check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    eventually_within(what, TIMEOUT, check).await
}

/// [`eventually`] with its own deadline: for what has no event to await,
/// such as an external process starting to listen.
pub async fn eventually_within<F, Fut>(what: &str, timeout: Duration, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + timeout;
    let mut tick = tokio::time::interval(Duration::from_millis(10));
    while !check().await {
        assert!(
            tokio::time::Instant::now() < deadline,
            "{what}: not within {timeout:?}"
        );
        tick.tick().await;
    }
}
