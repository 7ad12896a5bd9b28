//! The test harness: `spawn_app()` starts the real server on 127.0.0.1:0
//! with its own SQLite database; helpers register users, call the API and
//! open gateway clients that *await* events under a timeout.

#![allow(dead_code)]

use futures_util::{SinkExt, StreamExt};
use hearth_server::{AppState, Config};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::time::Duration;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message as WsMessage;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

pub const TIMEOUT: Duration = Duration::from_secs(10);

pub struct TestApp {
    pub addr: SocketAddr,
    pub http: reqwest::Client,
    pub state: AppState,
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
    c.database_url = format!("sqlite://{}", dir.join("hearth.db").display());
    c.sqlite_sync_full = false;
    c.jwt_secret = Some("test-secret-test-secret-test-secret-0123".into());
    c.auth_rate_per_minute = 100_000;
    c.send_rate_per_second = 100_000;
    c.send_burst = 100_000;
    c.gateway_ops_per_second = 100_000;
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
    state
        .services
        .presence
        .set_offline_grace(Duration::from_millis(300));
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
        stop: Some(stop),
        server: Some(server),
        _dir: dir,
    }
}

#[derive(Clone, Debug)]
pub struct TestUser {
    pub id: String,
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

    /// Registers `username` with password "password123".
    pub async fn register(&self, username: &str) -> TestUser {
        let (status, body) = self
            .request(
                reqwest::Method::POST,
                "/api/v1/auth/register",
                None,
                Some(json!({"username": username, "password": "password123"})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "register {username}: {body}");
        TestUser {
            id: body["user"]["id"].as_str().unwrap().to_string(),
            username: username.to_string(),
            token: body["access_token"].as_str().unwrap().to_string(),
            refresh: body["refresh_token"].as_str().unwrap().to_string(),
        }
    }

    /// Creates a room and returns its id.
    pub async fn create_room(
        &self,
        owner: &TestUser,
        kind: &str,
        name: &str,
        members: &[&TestUser],
    ) -> String {
        let ids: Vec<&str> = members.iter().map(|u| u.id.as_str()).collect();
        let (status, body) = self
            .post(
                "/api/v1/rooms",
                &owner.token,
                json!({"kind": kind, "name": name, "members": ids}),
            )
            .await;
        assert!(status.is_success(), "create room: {status} {body}");
        body["id"].as_str().unwrap().to_string()
    }

    /// Sends a message over REST and returns it.
    pub async fn send(&self, user: &TestUser, room: &str, body: &str) -> Value {
        let (status, msg) = self
            .post(
                &format!("/api/v1/rooms/{room}/messages"),
                &user.token,
                json!({"body": body}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "send: {msg}");
        msg
    }

    /// Opens an authenticated gateway connection and waits for `ready`.
    pub async fn ws(&self, user: &TestUser) -> WsClient {
        let mut c = self.ws_raw().await;
        c.send_json(json!({"op": "auth", "token": user.token}))
            .await;
        let ready = c.expect_event("ready", |_| true).await;
        c.ready = ready;
        c
    }

    /// An unauthenticated gateway connection.
    pub async fn ws_raw(&self) -> WsClient {
        let url = format!("ws://{}/api/v1/gateway", self.addr);
        let (stream, _) = tokio::time::timeout(TIMEOUT, tokio_tungstenite::connect_async(url))
            .await
            .expect("ws connect timed out")
            .expect("ws connect failed");
        WsClient {
            stream,
            seen: Vec::new(),
            ready: Value::Null,
        }
    }
}

pub struct WsClient {
    pub stream: WebSocketStream<MaybeTlsStream<TcpStream>>,
    /// Every event received so far and not yet consumed by an expectation.
    pub seen: Vec<Value>,
    pub ready: Value,
}

/// How a connection ended.
#[derive(Debug, PartialEq)]
pub enum Ended {
    Closed(Option<u16>),
    Dropped,
}

impl WsClient {
    pub async fn send_json(&mut self, v: Value) {
        self.stream
            .send(WsMessage::Text(v.to_string().into()))
            .await
            .expect("ws send failed");
    }

    pub async fn send_text(&mut self, s: &str) {
        self.stream
            .send(WsMessage::Text(s.to_string().into()))
            .await
            .expect("ws send failed");
    }

    /// Awaits the next event named `t` matching `pred`; other events are
    /// kept in `seen`. Panics with what was seen on timeout.
    pub async fn expect_event(&mut self, t: &str, pred: impl Fn(&Value) -> bool) -> Value {
        if let Some(pos) = self.seen.iter().position(|e| e["t"] == t && pred(&e["d"])) {
            return self.seen.remove(pos)["d"].clone();
        }
        let deadline = tokio::time::Instant::now() + TIMEOUT;
        loop {
            let next = tokio::time::timeout_at(deadline, self.stream.next()).await;
            match next {
                Ok(Some(Ok(WsMessage::Text(text)))) => {
                    let v: Value = serde_json::from_str(&text).expect("server sent invalid JSON");
                    if v["t"] == t && pred(&v["d"]) {
                        return v["d"].clone();
                    }
                    self.seen.push(v);
                }
                Ok(Some(Ok(_))) => continue,
                other => panic!(
                    "expected event {t:?}; got {other:?}; seen before: {:#?}",
                    self.seen.iter().map(|e| e["t"].clone()).collect::<Vec<_>>()
                ),
            }
        }
    }

    /// Round-trips a ping: everything queued for this session before now has
    /// arrived once the pong is back (events are delivered in queue order).
    pub async fn sync(&mut self) {
        let n = rand_n();
        self.send_json(json!({"op": "ping", "n": n})).await;
        self.expect_event("pong", |d| d["n"] == n).await;
    }

    /// Events named `t` received so far (after a `sync`, complete).
    pub fn seen_named(&self, t: &str) -> Vec<Value> {
        self.seen
            .iter()
            .filter(|e| e["t"] == t)
            .map(|e| e["d"].clone())
            .collect()
    }

    /// Waits for the server to close the connection; returns the close code.
    pub async fn expect_close(&mut self) -> Ended {
        let deadline = tokio::time::Instant::now() + TIMEOUT;
        loop {
            match tokio::time::timeout_at(deadline, self.stream.next()).await {
                Ok(Some(Ok(WsMessage::Close(frame)))) => {
                    return Ended::Closed(frame.map(|f| u16::from(f.code)));
                }
                Ok(Some(Ok(WsMessage::Text(text)))) => {
                    if let Ok(v) = serde_json::from_str::<Value>(&text) {
                        self.seen.push(v);
                    }
                }
                Ok(Some(Ok(_))) => continue,
                Ok(Some(Err(_))) | Ok(None) => return Ended::Dropped,
                Err(_) => panic!("connection not closed within {TIMEOUT:?}"),
            }
        }
    }
}

fn rand_n() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(1);
    N.fetch_add(1, Ordering::Relaxed)
}

/// Re-checks `check` until it holds, failing after [`TIMEOUT`]: for state that
/// changes in the background and announces nothing a test could await.
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
