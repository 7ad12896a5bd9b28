//! Notifications: per-room levels (gateway `notification` events),
//! do-not-disturb, Web Push against a push service played by the test, and
//! e-mail digests received by the test's SMTP sink.

use crate::helpers::*;
use crate::smtp_sink::SmtpSink;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hearth_protocol::notifications::{
    NotifyLevel, PushPayload, RoomNotifications, UpdateRoomNotificationsRequest,
};
use rand::RngCore;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::mpsc;
use web_push_native::p256;

// ---------------------------------------------------------------- levels

/// Sets `user`'s level in `room`; `None` goes back to the room's default.
async fn set_level(
    app: &TestApp,
    user: &TestUser,
    room: RoomId,
    level: Option<NotifyLevel>,
) -> RoomNotifications {
    app.patch_ok(
        &format!("/api/v1/rooms/{room}/notifications"),
        &user.token,
        &UpdateRoomNotificationsRequest { level },
    )
    .await
}

async fn level_of(app: &TestApp, user: &TestUser, room: RoomId) -> RoomNotifications {
    app.get_ok(&format!("/api/v1/rooms/{room}/notifications"), &user.token)
        .await
}

/// The notification kinds a client has received (after a `sync`).
async fn kinds(client: &mut WsClient) -> Vec<String> {
    client.sync().await;
    let kinds = seen_events!(client, ServerEvent::Notification(n) => {
        let kind = serde_json::to_value(n.kind).unwrap();
        let body = n.message.as_ref().map_or("", |m| m.body.as_str());
        format!("{}:{body}", kind.as_str().unwrap())
    });
    client
        .seen
        .retain(|f| !matches!(f.event, ServerEvent::Notification(_)));
    kinds
}

#[tokio::test]
async fn notification_events_follow_each_members_level() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let carol = app.register("carol").await;
    let dave = app.register("dave").await;
    let room = app
        .create_room(&alice, RoomKind::Group, "team", &[&bob, &carol, &dave])
        .await
        .id;

    // Defaults: mentions in a group, all in a DM.
    assert_eq!(
        level_of(&app, &carol, room).await,
        RoomNotifications {
            room_id: room,
            level: NotifyLevel::Mentions,
            explicit: false
        }
    );
    let b = set_level(&app, &bob, room, Some(NotifyLevel::None)).await;
    assert_eq!(
        b,
        RoomNotifications {
            room_id: room,
            level: NotifyLevel::None,
            explicit: true
        }
    );
    set_level(&app, &dave, room, Some(NotifyLevel::All)).await;
    let entry = app.room_entry(&dave, room).await;
    assert_eq!(entry.notification_level, Some(NotifyLevel::All));

    let mut bob_ws = app.ws(&bob).await;
    let mut carol_ws = app.ws(&carol).await;
    let mut dave_ws = app.ws(&dave).await;

    app.send(&alice, room, "@bob @carol @dave standup now")
        .await;
    app.send(&alice, room, "no mention here").await;
    app.send(&alice, room, "@room fire drill").await;
    assert_eq!(
        kinds(&mut bob_ws).await,
        Vec::<String>::new(),
        "none: nothing at all"
    );
    assert_eq!(
        kinds(&mut carol_ws).await,
        vec![
            "mention:@bob @carol @dave standup now",
            "mention:@room fire drill"
        ],
        "mentions: only mentions and @room"
    );
    assert_eq!(
        kinds(&mut dave_ws).await,
        vec![
            "mention:@bob @carol @dave standup now",
            "message:no mention here",
            "mention:@room fire drill"
        ],
        "all: every message"
    );
    // The sender is never notified of their own message.
    set_level(&app, &dave, room, Some(NotifyLevel::All)).await;
    app.send(&dave, room, "talking to myself").await;
    assert!(kinds(&mut dave_ws).await.is_empty());

    // Back to the default.
    let b = set_level(&app, &bob, room, None).await;
    assert!(!b.explicit);
    app.send(&alice, room, "@bob welcome back").await;
    assert_eq!(kinds(&mut bob_ws).await, vec!["mention:@bob welcome back"]);

    // A DM notifies every message by default; `none` silences it.
    let dm = app.create_room(&alice, RoomKind::Dm, "", &[&bob]).await.id;
    assert_eq!(level_of(&app, &bob, dm).await.level, NotifyLevel::All);
    app.send(&alice, dm, "psst").await;
    assert_eq!(kinds(&mut bob_ws).await, vec!["dm:psst"]);
    set_level(&app, &bob, dm, Some(NotifyLevel::Mentions)).await;
    app.send(&alice, dm, "still a dm").await;
    assert_eq!(
        kinds(&mut bob_ws).await,
        vec!["dm:still a dm"],
        "in a DM every message is for you"
    );
    set_level(&app, &bob, dm, Some(NotifyLevel::None)).await;
    app.send(&alice, dm, "hello?").await;
    assert!(kinds(&mut bob_ws).await.is_empty());
}

#[tokio::test]
async fn notification_levels_are_validated_and_private_to_members() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let eve = app.register("eve").await;
    let room = app
        .create_room(&alice, RoomKind::Group, "team", &[])
        .await
        .id;
    let channel = app
        .create_room(&alice, RoomKind::Channel, "lobby", &[])
        .await
        .id;
    let path = format!("/api/v1/rooms/{room}/notifications");
    for body in [
        json!({"level": "loud"}),
        json!({"level": 3}),
        json!({}),
        json!({"level": "all", "x": 1}),
    ] {
        let (s, b) = app.patch(&path, &alice.token, body.clone()).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{body}: {b}");
    }
    let (s, _) = app.patch(&path, &eve.token, json!({"level": "all"})).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = app.get(&path, &eve.token).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = app
        .patch(
            &format!("/api/v1/rooms/{channel}/notifications"),
            &eve.token,
            json!({"level": "all"}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "join the channel first");
}

#[tokio::test]
async fn do_not_disturb_is_set_on_the_profile() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let (s, me) = app
        .patch("/api/v1/users/me", &alice.token, json!({"dnd": true}))
        .await;
    assert_eq!(s, StatusCode::OK, "{me}");
    assert!(
        me["dnd_until"].as_str().unwrap().starts_with("9999-"),
        "{me}"
    );
    let (_, other) = app
        .get(&format!("/api/v1/users/{}", alice.id), &bob.token)
        .await;
    assert!(
        other.get("dnd_until").is_none(),
        "only for the user themself"
    );

    let (_, me) = app
        .patch("/api/v1/users/me", &alice.token, json!({"dnd": false}))
        .await;
    assert!(me.get("dnd_until").is_none(), "{me}");
    let (_, me) = app
        .patch(
            "/api/v1/users/me",
            &alice.token,
            json!({"dnd_until": "2999-01-01T08:00:00Z"}),
        )
        .await;
    assert_eq!(me["dnd_until"], "2999-01-01T08:00:00Z");
    let (_, me) = app
        .patch("/api/v1/users/me", &alice.token, json!({"dnd_until": null}))
        .await;
    assert!(me.get("dnd_until").is_none());
    let (_, me) = app
        .patch(
            "/api/v1/users/me",
            &alice.token,
            json!({"dnd_until": "2001-01-01T00:00:00Z"}),
        )
        .await;
    assert!(
        me.get("dnd_until").is_none(),
        "a time in the past turns it off"
    );
    for body in [
        json!({"dnd": true, "dnd_until": null}),
        json!({"dnd_until": "tomorrow"}),
        json!({"dnd": "yes"}),
    ] {
        let (s, b) = app
            .patch("/api/v1/users/me", &alice.token, body.clone())
            .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{body}: {b}");
    }
}

// -------------------------------------------------------------- web push

/// One request the fake push service received.
#[derive(Debug)]
pub(crate) struct Pushed {
    pub(crate) id: String,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Vec<u8>,
}

/// A push service on 127.0.0.1: records what it gets and answers 201, or
/// the status set for a subscription id.
pub(crate) struct PushService {
    pub(crate) url: String,
    received: mpsc::UnboundedReceiver<Pushed>,
    statuses: Arc<Mutex<HashMap<String, u16>>>,
}

type PushState = (
    mpsc::UnboundedSender<Pushed>,
    Arc<Mutex<HashMap<String, u16>>>,
);

async fn receive_push(
    State((tx, statuses)): State<PushState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> axum::http::StatusCode {
    let status = statuses.lock().unwrap().get(&id).copied().unwrap_or(201);
    let _ = tx.send(Pushed {
        id,
        headers,
        body: body.to_vec(),
    });
    axum::http::StatusCode::from_u16(status).unwrap()
}

pub(crate) async fn push_service() -> PushService {
    let (tx, received) = mpsc::unbounded_channel();
    let statuses = Arc::new(Mutex::new(HashMap::new()));
    let router = axum::Router::new()
        .route("/push/{id}", axum::routing::post(receive_push))
        .with_state((tx, statuses.clone()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await });
    PushService {
        url: format!("http://{addr}"),
        received,
        statuses,
    }
}

impl PushService {
    pub(crate) async fn next(&mut self) -> Pushed {
        tokio::time::timeout(TIMEOUT, self.received.recv())
            .await
            .expect("no push arrived")
            .expect("push service stopped")
    }
}

/// A browser's push keys: the private half stays in the test.
pub(crate) struct Subscriber {
    secret: p256::SecretKey,
    auth: [u8; 16],
}

impl Subscriber {
    pub(crate) fn new() -> Self {
        let secret = loop {
            let mut bytes = [0u8; 32];
            rand::rng().fill_bytes(&mut bytes);
            if let Ok(k) = p256::SecretKey::from_slice(&bytes) {
                break k;
            }
        };
        let mut auth = [0u8; 16];
        rand::rng().fill_bytes(&mut auth);
        Self { secret, auth }
    }

    pub(crate) fn subscription(&self, endpoint: &str) -> Value {
        use p256::elliptic_curve::sec1::ToEncodedPoint;
        let public = self.secret.public_key().to_encoded_point(false);
        json!({
            "endpoint": endpoint,
            "expirationTime": null,
            "keys": {
                "p256dh": URL_SAFE_NO_PAD.encode(public.as_bytes()),
                "auth": URL_SAFE_NO_PAD.encode(self.auth),
            }
        })
    }

    /// Decrypts an `aes128gcm` body as the browser would.
    pub(crate) fn open(&self, pushed: &Pushed) -> PushPayload {
        let plain = web_push_native::decrypt(
            pushed.body.clone(),
            &self.secret,
            &web_push_native::Auth::from(self.auth),
        )
        .expect("the payload decrypts with the subscriber's key");
        serde_json::from_slice(&plain).expect("the payload is a PushPayload")
    }
}

/// Checks the VAPID `Authorization` header: ES256 JWT for `audience`,
/// signed by `server_key`; returns its claims.
fn check_vapid(pushed: &Pushed, audience: &str, server_key: &str) -> Value {
    use p256::ecdsa::signature::Verifier;
    use p256::ecdsa::{Signature, VerifyingKey};
    let header = pushed.headers["authorization"].to_str().unwrap();
    let rest = header.strip_prefix("vapid t=").expect("vapid scheme");
    let (jwt, k) = rest.split_once(", k=").expect("t= and k=");
    assert_eq!(k, server_key, "k is the server's public key");
    let (signed, signature) = jwt.rsplit_once('.').unwrap();
    let key = VerifyingKey::from_sec1_bytes(&URL_SAFE_NO_PAD.decode(k).unwrap()).unwrap();
    let signature = Signature::from_slice(&URL_SAFE_NO_PAD.decode(signature).unwrap()).unwrap();
    key.verify(signed.as_bytes(), &signature)
        .expect("the JWT signature verifies");
    let (header, claims) = signed.split_once('.').unwrap();
    let header: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).unwrap()).unwrap();
    assert_eq!(header["alg"], "ES256");
    let claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(claims).unwrap()).unwrap();
    assert_eq!(claims["aud"], audience);
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let exp = claims["exp"].as_i64().unwrap();
    assert!(
        exp > now && exp <= now + 24 * 3600,
        "exp within a day: {claims}"
    );
    assert!(
        claims["sub"].as_str().unwrap().starts_with("http")
            || claims["sub"].as_str().unwrap().starts_with("mailto:")
    );
    claims
}

/// Waits until the server has no gateway session of `user` left. A poll on
/// purpose: the server deregisters a closed session in the background and
/// tells no one (its peers hear of it only a grace later, as presence).
pub(crate) async fn until_offline(app: &TestApp, user: &TestUser) {
    let id = user.id;
    eventually("the session closes", || async {
        app.state.node.hub.session_count(id) == 0
    })
    .await;
}

#[tokio::test]
async fn pushes_are_encrypted_for_the_subscriber_and_signed_with_vapid() {
    let app = spawn_app_with(|c| c.internal.push_allow_http = true).await;
    let mut service = push_service().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let browser = Subscriber::new();

    let (s, key) = app.get("/api/v1/push/vapid-public-key", &bob.token).await;
    assert_eq!(s, StatusCode::OK);
    let server_key = key["public_key"].as_str().unwrap().to_string();
    assert_eq!(URL_SAFE_NO_PAD.decode(&server_key).unwrap().len(), 65);
    let endpoint = format!("{}/push/bob-laptop", service.url);
    let (s, b) = app
        .post(
            "/api/v1/push/subscriptions",
            &bob.token,
            browser.subscription(&endpoint),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");

    // Bob is offline: a DM is pushed.
    let dm = app.create_room(&alice, RoomKind::Dm, "", &[&bob]).await.id;
    let sent = app.send(&alice, dm, "are you there?").await;
    let pushed = service.next().await;
    assert_eq!(pushed.id, "bob-laptop");
    assert_eq!(pushed.headers["content-encoding"], "aes128gcm");
    assert_eq!(pushed.headers["content-type"], "application/octet-stream");
    assert!(
        pushed.headers["ttl"]
            .to_str()
            .unwrap()
            .parse::<u32>()
            .unwrap()
            > 0
    );
    assert!(
        !pushed.body.windows(5).any(|w| w == b"there"),
        "the body is encrypted"
    );
    check_vapid(&pushed, &service.url, &server_key);
    assert_eq!(
        browser.open(&pushed),
        PushPayload {
            kind: "dm".to_string(),
            room_id: dm,
            message_id: Some(sent.id),
            title: "alice".to_string(),
            body: "are you there?".to_string(),
            url: format!("/#/room/{dm}/s/{}", sent.seq),
        }
    );

    // In a group: mentions are pushed, other messages are not (level mentions).
    let group = app
        .create_room(&alice, RoomKind::Group, "team", &[&bob])
        .await
        .id;
    app.send(&alice, group, "lunch?").await;
    app.send(&alice, group, "@bob lunch?").await;
    let payload = browser.open(&service.next().await);
    assert_eq!(payload.kind, "mention");
    assert_eq!(payload.body, "@bob lunch?");
    assert_eq!(payload.title, "alice mentioned you in team");

    // Online: no push. Offline again: pushes resume.
    let ws = app.ws(&bob).await;
    app.send(&alice, dm, "while you are online").await;
    drop(ws);
    until_offline(&app, &bob).await;
    app.send(&alice, dm, "back offline").await;
    assert_eq!(browser.open(&service.next().await).body, "back offline");

    // Do-not-disturb: no push until it is off.
    app.patch("/api/v1/users/me", &bob.token, json!({"dnd": true}))
        .await;
    app.send(&alice, dm, "during dnd").await;
    app.patch("/api/v1/users/me", &bob.token, json!({"dnd": false}))
        .await;
    app.send(&alice, dm, "after dnd").await;
    assert_eq!(browser.open(&service.next().await).body, "after dnd");

    // A room at `none` is not pushed either.
    set_level(&app, &bob, dm, Some(NotifyLevel::None)).await;
    app.send(&alice, dm, "muted").await;
    set_level(&app, &bob, dm, None).await;
    app.send(&alice, dm, "unmuted").await;
    assert_eq!(browser.open(&service.next().await).body, "unmuted");
}

#[tokio::test]
async fn a_subscription_the_push_service_calls_gone_is_removed() {
    let app = spawn_app_with(|c| c.internal.push_allow_http = true).await;
    let mut service = push_service().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let old = Subscriber::new();
    let current = Subscriber::new();
    for (browser, name) in [(&old, "old"), (&current, "current")] {
        let endpoint = format!("{}/push/{name}", service.url);
        let (s, b) = app
            .post(
                "/api/v1/push/subscriptions",
                &bob.token,
                browser.subscription(&endpoint),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
    }
    service.statuses.lock().unwrap().insert("old".into(), 410);
    let bob_id = bob.id;
    assert_eq!(
        app.state
            .node
            .store
            .push_subscriptions(bob_id, time::OffsetDateTime::now_utc())
            .await
            .unwrap()
            .len(),
        2
    );

    let dm = app.create_room(&alice, RoomKind::Dm, "", &[&bob]).await.id;
    app.send(&alice, dm, "first").await;
    let mut got: Vec<String> = vec![service.next().await.id, service.next().await.id];
    got.sort();
    assert_eq!(got, vec!["current", "old"]);
    // A poll on purpose: the push worker drops a subscription its service
    // answered 410 for after the delivery, in the background, unannounced.
    eventually("the gone subscription is removed", || async {
        app.state
            .node
            .store
            .push_subscriptions(bob_id, time::OffsetDateTime::now_utc())
            .await
            .unwrap()
            .len()
            == 1
    })
    .await;
    let left = app
        .state
        .node
        .store
        .push_subscriptions(bob_id, time::OffsetDateTime::now_utc())
        .await
        .unwrap();
    assert_eq!(left[0].endpoint, format!("{}/push/current", service.url));
    app.send(&alice, dm, "second").await;
    let pushed = service.next().await;
    assert_eq!(pushed.id, "current");
    assert_eq!(current.open(&pushed).body, "second");
}

#[tokio::test]
async fn signing_out_ends_the_push_subscription_of_that_session_only() {
    let app = spawn_app_with(|c| c.internal.push_allow_http = true).await;
    let mut service = push_service().await;
    let alice = app.register("alice").await;
    let phone_login = app.register("bob").await;
    let (s, body) = app
        .request(
            reqwest::Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"username": "bob", "password": "password123"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let laptop_token = body["access_token"].as_str().unwrap().to_string();
    let (phone, laptop) = (Subscriber::new(), Subscriber::new());
    for (browser, name, token) in [
        (&phone, "phone", &phone_login.token),
        (&laptop, "laptop", &laptop_token),
    ] {
        let endpoint = format!("{}/push/{name}", service.url);
        let (s, b) = app
            .post(
                "/api/v1/push/subscriptions",
                token,
                browser.subscription(&endpoint),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
    }

    // Bob signs out on the phone.
    let (s, b) = app
        .request(
            reqwest::Method::POST,
            "/api/v1/auth/logout",
            None,
            Some(json!({"refresh_token": phone_login.refresh})),
        )
        .await;
    assert!(s.is_success(), "{s} {b}");
    let dm = app
        .create_room(&alice, RoomKind::Dm, "", &[&phone_login])
        .await
        .id;
    app.send(&alice, dm, "first secret").await;
    app.send(&alice, dm, "second secret").await;
    // Two messages, two pushes: both to the laptop, none to the phone.
    let got = [service.next().await, service.next().await];
    assert_eq!(
        got.iter().map(|p| p.id.as_str()).collect::<Vec<_>>(),
        ["laptop", "laptop"]
    );
    let subscriptions = app
        .state
        .node
        .store
        .push_subscriptions(phone_login.id, time::OffsetDateTime::now_utc())
        .await
        .unwrap();
    assert_eq!(subscriptions.len(), 1);
    assert!(subscriptions[0].endpoint.ends_with("/push/laptop"));
}

#[tokio::test]
async fn subscriptions_are_validated_and_deleted_by_their_owner() {
    let app = spawn_app().await;
    let bob = app.register("bob").await;
    let eve = app.register("eve").await;
    let browser = Subscriber::new();
    let good = browser.subscription("https://push.example/sub/1");
    let (s, b) = app
        .post("/api/v1/push/subscriptions", &bob.token, good.clone())
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    // Subscribing again is fine (same browser, maybe new keys).
    let (s, _) = app
        .post("/api/v1/push/subscriptions", &bob.token, good.clone())
        .await;
    assert_eq!(s, StatusCode::CREATED);

    let mut bad_key = good.clone();
    bad_key["keys"]["p256dh"] = json!("AAAA");
    let mut bad_auth = good.clone();
    bad_auth["keys"]["auth"] = json!(URL_SAFE_NO_PAD.encode([0u8; 8]));
    let mut http = good.clone();
    http["endpoint"] = json!("http://push.example/sub/1");
    let mut junk = good.clone();
    junk["endpoint"] = json!("javascript:alert(1)");
    for body in [
        bad_key,
        bad_auth,
        http,
        junk,
        json!({"endpoint": "https://push.example/x"}),
    ] {
        let (s, b) = app
            .post("/api/v1/push/subscriptions", &bob.token, body.clone())
            .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{body}: {b}");
    }

    let delete = |user: &TestUser, endpoint: &str| {
        let req = app
            .http
            .delete(app.url("/api/v1/push/subscriptions"))
            .bearer_auth(&user.token)
            .json(&json!({ "endpoint": endpoint }));
        async move { req.send().await.unwrap().status() }
    };
    assert_eq!(
        delete(&eve, "https://push.example/sub/1").await,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        delete(&bob, "https://push.example/sub/1").await,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        delete(&bob, "https://push.example/sub/1").await,
        StatusCode::NOT_FOUND
    );
}

// ---------------------------------------------------------------- e-mail

async fn register_with_email(app: &TestApp, username: &str) -> TestUser {
    let (s, b) = app
        .request(
            reqwest::Method::POST,
            "/api/v1/auth/register",
            None,
            Some(json!({"username": username, "password": "password123", "email": format!("{username}@example.org")})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    TestUser {
        id: decode::<User>(b["user"].clone()).id,
        username: username.to_string(),
        token: b["access_token"].as_str().unwrap().to_string(),
        refresh: b["refresh_token"].as_str().unwrap().to_string(),
    }
}

/// Digest mails received so far.
fn digests(sink: &SmtpSink) -> Vec<crate::smtp_sink::Mail> {
    sink.mails()
        .into_iter()
        .filter(|m| m.subject().contains("unread"))
        .collect()
}

#[tokio::test]
async fn offline_users_get_a_digest_of_unread_mentions_and_dms_by_email() {
    let sink = SmtpSink::start().await;
    let app = spawn_app_with(|c| {
        *c.smtp = Some(sink.settings());
        c.public_url = Some("https://chat.example".into());
        c.email_digest_after = std::time::Duration::from_secs(15 * 60);
    })
    .await;
    let alice = app.register("alice").await;
    let bob = register_with_email(&app, "bob").await;
    let carol = register_with_email(&app, "carol").await;
    for user in [&bob, &carol] {
        let address = format!("{}@example.org", user.username);
        let store = &app.state.node.store;
        store
            .attach_verified_email(user.id, &address)
            .await
            .unwrap();
    }
    let room = app
        .create_room(&alice, RoomKind::Channel, "builds", &[&bob, &carol])
        .await
        .id;
    let dm = app.create_room(&alice, RoomKind::Dm, "", &[&bob]).await.id;
    // Read before the digest: not mailed.
    app.send(&alice, room, "@bob old news").await;
    let (s, _) = app
        .post(
            &format!("/api/v1/rooms/{room}/read"),
            &bob.token,
            json!({"seq": 1}),
        )
        .await;
    assert!(s.is_success());
    app.send(&alice, room, "@bob @carol the build is red").await;
    app.send(&alice, room, "just chatting, no mention").await;
    app.send(&alice, dm, "can you look at it tonight?").await;
    // Carol is in do-not-disturb: no mail for her.
    app.patch("/api/v1/users/me", &carol.token, json!({"dnd": true}))
        .await;

    let now = time::OffsetDateTime::now_utc();
    let digest_service = &app.state.services.digests;
    let send = |at| digest_service.send_digests(at);
    // Not away long enough yet.
    assert_eq!(send(now).await.unwrap(), 0);
    assert_eq!(send(now + time::Duration::minutes(31)).await.unwrap(), 1);
    let mail = sink.expect_mail_to("bob@example.org", "unread").await;
    assert_eq!(mail.to, vec!["bob@example.org"]);
    assert_eq!(mail.subject(), "2 unread messages on Hearth");
    let text = mail.body();
    assert!(text.contains("Hi bob,"), "{text}");
    assert!(text.contains("alice in #builds"), "{text}");
    assert!(text.contains("> @bob @carol the build is red"), "{text}");
    assert!(text.contains("alice in a direct message"), "{text}");
    assert!(text.contains("> can you look at it tonight?"), "{text}");
    assert!(
        !text.contains("just chatting"),
        "only mentions and DMs: {text}"
    );
    assert!(
        !text.contains("old news"),
        "read messages are not mailed: {text}"
    );
    assert!(
        text.contains(&format!("https://chat.example/#/room/{room}/s/2")),
        "{text}"
    );
    assert!(
        text.contains(&format!("https://chat.example/#/room/{dm}/s/1")),
        "{text}"
    );

    // Each message is mailed once.
    assert_eq!(send(now + time::Duration::minutes(62)).await.unwrap(), 0);
    assert!(digests(&sink).is_empty(), "one digest, to bob only");
}
