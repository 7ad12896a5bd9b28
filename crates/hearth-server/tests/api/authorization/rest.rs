//! Runs the REST half of the matrix: for every row of [`REST`] and every
//! caller, the request that route is asked in a fresh scene, and its status
//! against the table's.

use super::scene::{Cast, Scene};
use super::table::{CALLERS, REST, RestRow, cell};
use crate::helpers::*;
use futures_util::future::join_all;
use hearth_protocol::dto::Attachment;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const THUMBS_UP: &str = "%F0%9F%91%8D";

/// Everything one request needs: the app, the cast, the scene, the caller.
struct Cell<'a> {
    app: &'a TestApp,
    cast: &'a Cast,
    scene: &'a Scene,
    caller: Option<&'a TestUser>,
}

impl Cell<'_> {
    fn token(&self) -> Option<&str> {
        self.caller.map(|u| u.token.as_str())
    }

    async fn call(&self, method: Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        self.app.request(method, path, self.token(), body).await
    }

    /// The request each route is asked (with whatever the route needs made
    /// first, as the room's owner or victim).
    async fn request(&self, row: &RestRow) -> (StatusCode, Value) {
        let (app, cast) = (self.app, self.cast);
        let room = self.scene.room;
        let r = format!("/api/v1/rooms/{room}");
        let m = format!("{r}/messages/{}", self.scene.message);
        let victim = cast.victim.id;
        let body = |v: Value| Some(v);
        match (row.method, row.path) {
            ("get", "/healthz" | "/readyz" | "/api/v1/server") => {
                self.call(Method::GET, row.path, None).await
            }
            ("post", "/api/v1/auth/register") => {
                let taken = json!({"username": "owner", "password": "password123"});
                self.call(Method::POST, row.path, body(taken)).await
            }
            ("post", "/api/v1/auth/login") => {
                // Each caller its own account (no account: one nobody has):
                // concurrent checks of one account are refused as busy.
                let who = self.caller.map_or("nobody", |u| u.username.as_str());
                let wrong = json!({"username": who, "password": "not-the-password"});
                self.call(Method::POST, row.path, body(wrong)).await
            }
            ("post", "/api/v1/auth/refresh" | "/api/v1/auth/logout") => {
                let bogus = json!({"refresh_token": "not-a-refresh-token"});
                self.call(Method::POST, row.path, body(bogus)).await
            }
            ("post", "/api/v1/auth/password-reset/request") => {
                let email = json!({"email": "someone@example.com"});
                self.call(Method::POST, row.path, body(email)).await
            }
            ("post", "/api/v1/auth/password-reset/confirm") => {
                let bogus = json!({"token": "bogus", "password": "password456"});
                self.call(Method::POST, row.path, body(bogus)).await
            }
            ("post", "/api/v1/auth/verify-email/confirm") => {
                self.call(Method::POST, row.path, body(json!({"token": "bogus"})))
                    .await
            }
            ("get", "/api/v1/push/vapid-public-key") => {
                self.call(Method::GET, row.path, None).await
            }
            ("get", "/api/v1/users/{id}/avatar") => {
                let path = format!("/api/v1/users/{victim}/avatar");
                self.call(Method::GET, &path, None).await
            }
            ("get", "/api/v1/rooms/{id}/avatar") => {
                self.call(Method::GET, &format!("{r}/avatar"), None).await
            }
            ("get", "/api/v1/users/me") => self.call(Method::GET, row.path, None).await,
            ("patch", "/api/v1/users/me") => {
                let rename = json!({"display_name": "Renamed"});
                self.call(Method::PATCH, row.path, body(rename)).await
            }
            ("delete", "/api/v1/users/me") => {
                let password = json!({"password": "password123"});
                self.call(Method::DELETE, row.path, body(password)).await
            }
            ("post", "/api/v1/auth/password") => {
                let change =
                    json!({"current_password": "password123", "new_password": "password456"});
                self.call(Method::POST, row.path, body(change)).await
            }
            ("post", "/api/v1/auth/totp/setup") => {
                self.call(Method::POST, row.path, body(json!({}))).await
            }
            ("post", "/api/v1/auth/totp/enable") => {
                self.call(
                    Method::POST,
                    row.path,
                    body(json!({"code": "000000", "password": "password123"})),
                )
                .await
            }
            ("post", "/api/v1/auth/totp/disable") => {
                let wrong = json!({"password": "password123", "code": "000000"});
                self.call(Method::POST, row.path, body(wrong)).await
            }
            ("post", "/api/v1/auth/verify-email/request") => {
                self.call(Method::POST, row.path, body(json!({}))).await
            }
            ("get", "/api/v1/sessions") => self.call(Method::GET, row.path, None).await,
            ("post", "/api/v1/sessions/revoke-others") => {
                self.call(Method::POST, row.path, body(json!({}))).await
            }
            ("delete", "/api/v1/sessions/{id}") => {
                let other = self.other_session().await;
                self.call(Method::DELETE, &format!("/api/v1/sessions/{other}"), None)
                    .await
            }
            ("post", "/api/v1/push/subscriptions") => {
                self.call(Method::POST, row.path, body(self.push_subscription()))
                    .await
            }
            ("delete", "/api/v1/push/subscriptions") => {
                // The caller's own subscription (when they can make one).
                self.call(Method::POST, row.path, body(self.push_subscription()))
                    .await;
                let endpoint = json!({"endpoint": self.push_endpoint()});
                self.call(Method::DELETE, row.path, body(endpoint)).await
            }
            ("get", "/api/v1/users") => self.call(Method::GET, "/api/v1/users?q=vic", None).await,
            ("get", "/api/v1/users/{id}") => {
                self.call(Method::GET, &format!("/api/v1/users/{victim}"), None)
                    .await
            }
            ("get", "/api/v1/rooms" | "/api/v1/channels") => {
                self.call(Method::GET, row.path, None).await
            }
            ("post", "/api/v1/rooms") => {
                let group = json!({"kind": "group", "name": "mine"});
                self.call(Method::POST, row.path, body(group)).await
            }
            ("post", "/api/v1/uploads") => self.upload().await,
            ("get", "/api/v1/search") => {
                self.call(Method::GET, "/api/v1/search?q=victim", None)
                    .await
            }
            ("post", "/api/v1/admin/users/{id}/deactivate") => {
                let target = cast.fresh_user(app).await;
                let path = format!("/api/v1/admin/users/{}/deactivate", target.id);
                self.call(Method::POST, &path, body(json!({}))).await
            }
            ("post", "/api/v1/admin/users/{id}/reactivate") => {
                let target = cast.fresh_user(app).await;
                super::scene::deactivate(app, &cast.server_admin, &target).await;
                let path = format!("/api/v1/admin/users/{}/reactivate", target.id);
                self.call(Method::POST, &path, body(json!({}))).await
            }
            ("get", "/api/v1/rooms/{id}") => self.call(Method::GET, &r, None).await,
            ("patch", "/api/v1/rooms/{id}") => {
                self.call(Method::PATCH, &r, body(json!({"topic": "new topic"})))
                    .await
            }
            ("delete", "/api/v1/rooms/{id}") => self.call(Method::DELETE, &r, None).await,
            ("post", "/api/v1/rooms/{id}/join") => {
                self.call(Method::POST, &format!("{r}/join"), body(json!({})))
                    .await
            }
            ("post", "/api/v1/rooms/{id}/leave") => {
                self.call(Method::POST, &format!("{r}/leave"), body(json!({})))
                    .await
            }
            ("post", "/api/v1/rooms/{id}/read") => {
                self.call(Method::POST, &format!("{r}/read"), body(json!({"seq": 1})))
                    .await
            }
            ("get", "/api/v1/rooms/{id}/notifications") => {
                self.call(Method::GET, &format!("{r}/notifications"), None)
                    .await
            }
            ("patch", "/api/v1/rooms/{id}/notifications") => {
                let level = json!({"level": "all"});
                self.call(Method::PATCH, &format!("{r}/notifications"), body(level))
                    .await
            }
            ("get", "/api/v1/rooms/{id}/members") => {
                self.call(Method::GET, &format!("{r}/members"), None).await
            }
            ("post", "/api/v1/rooms/{id}/members") => {
                let invite = json!({"user_ids": [cast.newcomer.id]});
                self.call(Method::POST, &format!("{r}/members"), body(invite))
                    .await
            }
            ("patch", "/api/v1/rooms/{id}/members/{user_id}") => {
                let path = format!("{r}/members/{victim}");
                self.call(Method::PATCH, &path, body(json!({"muted": true})))
                    .await
            }
            ("delete", "/api/v1/rooms/{id}/members/{user_id}") => {
                self.call(Method::DELETE, &format!("{r}/members/{victim}"), None)
                    .await
            }
            ("post", "/api/v1/rooms/{id}/messages") => {
                let hello = json!({"body": "hello"});
                self.call(Method::POST, &format!("{r}/messages"), body(hello))
                    .await
            }
            ("get", "/api/v1/rooms/{id}/messages") => {
                self.call(Method::GET, &format!("{r}/messages"), None).await
            }
            ("get", "/api/v1/rooms/{id}/pins") => {
                self.call(Method::GET, &format!("{r}/pins"), None).await
            }
            ("get", "/api/v1/rooms/{id}/messages/{message_id}") => {
                self.call(Method::GET, &m, None).await
            }
            ("patch", "/api/v1/rooms/{id}/messages/{message_id}") => {
                self.call(Method::PATCH, &m, body(json!({"body": "edited"})))
                    .await
            }
            ("delete", "/api/v1/rooms/{id}/messages/{message_id}") => {
                self.call(Method::DELETE, &m, None).await
            }
            ("put", "/api/v1/rooms/{id}/messages/{message_id}/reactions/{emoji}") => {
                let path = format!("{m}/reactions/{THUMBS_UP}");
                self.call(Method::PUT, &path, None).await
            }
            ("delete", "/api/v1/rooms/{id}/messages/{message_id}/reactions/{emoji}") => {
                let path = format!("{m}/reactions/{THUMBS_UP}");
                app.put(&path, &cast.victim.token).await;
                self.call(Method::DELETE, &path, None).await
            }
            ("put", "/api/v1/rooms/{id}/messages/{message_id}/pin") => {
                self.call(Method::PUT, &format!("{m}/pin"), None).await
            }
            ("delete", "/api/v1/rooms/{id}/messages/{message_id}/pin") => {
                let (s, b) = app.put(&format!("{m}/pin"), &cast.owner.token).await;
                assert!(s.is_success(), "pin: {s} {b}");
                self.call(Method::DELETE, &format!("{m}/pin"), None).await
            }
            ("get", "/api/v1/uploads/{id}") => {
                let attachment = self.attachment().await;
                self.call(Method::GET, &attachment.url, None).await
            }
            ("get", "/api/v1/uploads/{id}/thumbnail") => {
                let attachment = self.attachment().await;
                let url = attachment.thumbnail_url.expect("an image has a thumbnail");
                self.call(Method::GET, &url, None).await
            }
            (method, path) => panic!("rest.rs asks nothing of {method} {path}: add it"),
        }
    }

    /// Another login session of the caller's (or any id, for a caller
    /// without a usable account).
    async fn other_session(&self) -> String {
        let Some(user) = self.caller else {
            return uuid::Uuid::now_v7().to_string();
        };
        let login = json!({"username": user.username, "password": "password123"});
        let (status, _) = self
            .app
            .request(Method::POST, "/api/v1/auth/login", None, Some(login))
            .await;
        if !status.is_success() {
            return uuid::Uuid::now_v7().to_string();
        }
        let (status, sessions) = self.app.get("/api/v1/sessions", &user.token).await;
        if !status.is_success() {
            return uuid::Uuid::now_v7().to_string();
        }
        let sessions: Vec<SessionInfo> = decode(sessions);
        let other = sessions
            .iter()
            .find(|s| !s.current)
            .expect("a second session");
        other.id.to_string()
    }

    /// The caller's own push endpoint (one endpoint is one subscription).
    fn push_endpoint(&self) -> String {
        let who = self.caller.map_or("nobody", |u| u.username.as_str());
        format!("https://push.example.com/send/{who}")
    }

    /// A browser's subscription: a real P-256 public key, a 16-byte secret.
    fn push_subscription(&self) -> Value {
        json!({
            "endpoint": self.push_endpoint(),
            "keys": {
                "p256dh": "BPhpSYwUmXPcJ6p5A_EsW7mkMRgTMGnqHxq2huwtzeusShB_nyp8ZkZmRIqNHEQEH3k1whmFXcxUqvNBPEd03DM",
                "auth": "8eDyX_uCN0XRhSbY5hs7Hg"
            }
        })
    }

    async fn upload(&self) -> (StatusCode, Value) {
        self.upload_as(self.token(), "note.txt", b"hello".to_vec())
            .await
    }

    async fn upload_as(
        &self,
        token: Option<&str>,
        name: &str,
        bytes: Vec<u8>,
    ) -> (StatusCode, Value) {
        let part = reqwest::multipart::Part::bytes(bytes).file_name(name.to_string());
        let form = reqwest::multipart::Form::new().part("file", part);
        let mut req = self
            .app
            .http
            .post(self.app.url("/api/v1/uploads"))
            .multipart(form);
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        let res = req.send().await.expect("upload");
        let status = res.status();
        let text = res.text().await.unwrap_or_default();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    /// An image the victim attached to a message in the room.
    async fn attachment(&self) -> Attachment {
        let victim = &self.cast.victim;
        let (status, upload) = self.upload_as(Some(&victim.token), "dot.png", png()).await;
        assert_eq!(status, StatusCode::CREATED, "{upload}");
        let upload: Attachment = decode(upload);
        let path = format!("/api/v1/rooms/{}/messages", self.scene.room);
        let with = json!({"body": "", "attachments": [upload.id]});
        let (status, sent) = self.app.post(&path, &victim.token, with).await;
        assert_eq!(status, StatusCode::CREATED, "{sent}");
        let sent: Message = decode(sent);
        sent.attachments.into_iter().next().expect("the attachment")
    }
}

fn png() -> Vec<u8> {
    use image::{DynamicImage, ImageFormat, Rgb, RgbImage};
    let img = DynamicImage::ImageRgb8(RgbImage::from_pixel(32, 32, Rgb([200, 10, 10])));
    let mut out = Vec::new();
    img.write_to(&mut std::io::Cursor::new(&mut out), ImageFormat::Png)
        .expect("png");
    out
}

fn kind_of(name: &str) -> RoomKind {
    match name {
        "channel" => RoomKind::Channel,
        _ => RoomKind::Group,
    }
}

/// Runs the rows `which` picks, for room kind `only` (None: the rows that
/// are not room-scoped); fails listing every cell that differs.
pub async fn run(which: impl Fn(&RestRow) -> bool, only: Option<&str>) {
    let app = spawn_app().await;
    let cast = Cast::new(&app).await;
    let mut report = super::report::Report::default();
    for row in REST.iter().filter(|r| which(r)) {
        for (kind, line) in row.cells.lines() {
            if kind != only {
                continue;
            }
            let shared = cast.scene(&app, kind_of(kind.unwrap_or("group"))).await;
            let cells = CALLERS.iter().map(|&caller| {
                let (cast, app, shared) = (&cast, &app, &shared);
                async move {
                    // Room rows get a room of their own per cell: many change it.
                    let scene = match kind {
                        Some(k) => Some(cast.scene(app, kind_of(k)).await),
                        None => None,
                    };
                    let fresh = match row.own_caller {
                        true => cast.fresh_caller(app, caller).await,
                        false => None,
                    };
                    let user = if row.own_caller {
                        fresh.as_ref()
                    } else {
                        cast.user(caller)
                    };
                    let cell = Cell {
                        app,
                        cast,
                        scene: scene.as_ref().unwrap_or(shared),
                        caller: user,
                    };
                    let (status, body) = cell.request(row).await;
                    (caller, status, body)
                }
            });
            for (caller, status, body) in join_all(cells).await {
                let (want, pending) = cell(line, caller);
                let got = status.as_u16().to_string();
                let well_formed = status.is_success() || body["error"]["code"].is_string();
                let name = format!(
                    "{} {}{} as {caller:?}",
                    row.method.to_uppercase(),
                    row.path,
                    kind.map(|k| format!(" ({k})")).unwrap_or_default()
                );
                report.check(&name, want, &got, pending, well_formed, &body);
            }
        }
    }
    report.finish();
}

pub fn room_scoped(row: &RestRow) -> bool {
    matches!(row.cells, super::table::Cells::Room { .. })
}
