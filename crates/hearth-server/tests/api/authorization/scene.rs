//! Puts callers in their places for the matrix: a cast of users (one per
//! kind of caller, shared by every cell), a fresh room per cell with each of
//! them where the table says (owner, admin, …, banned, left), and callers of
//! their own for the actions that change the caller's account.

use super::table::Caller;
use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::json;
use std::sync::atomic::{AtomicUsize, Ordering};

/// One user per kind of caller, plus the room's bystanders.
pub struct Cast {
    pub owner: TestUser,
    pub admin: TestUser,
    pub moderator: TestUser,
    pub member: TestUser,
    pub muted: TestUser,
    pub banned: TestUser,
    pub ex_member: TestUser,
    pub outsider: TestUser,
    pub server_admin: TestUser,
    /// Deactivated once the cast is made.
    pub deactivated: TestUser,
    /// Signed out once the cast is made: its token names a revoked session.
    pub revoked: TestUser,
    /// Deactivated with the CLI once the cast is made.
    pub cli_deactivated: TestUser,
    /// A plain member whose message and membership the room routes act on.
    pub victim: TestUser,
    /// Someone to invite.
    pub newcomer: TestUser,
    fresh: AtomicUsize,
}

/// A room of the given kind with the cast in place.
pub struct Scene {
    pub room: RoomId,
    /// The victim's message.
    pub message: MessageId,
}

impl Cast {
    pub async fn new(app: &TestApp) -> Self {
        // The first account of a server is its admin: that is this one.
        let server_admin = app.register("server_admin").await;
        let cast = Cast {
            owner: app.register("owner").await,
            admin: app.register("admin").await,
            moderator: app.register("moderator").await,
            member: app.register("member").await,
            muted: app.register("muted").await,
            banned: app.register("banned").await,
            ex_member: app.register("ex_member").await,
            outsider: app.register("outsider").await,
            server_admin,
            deactivated: app.register("deactivated").await,
            revoked: app.register("revoked").await,
            cli_deactivated: app.register("cli_deactivated").await,
            victim: app.register("victim").await,
            newcomer: app.register("newcomer").await,
            fresh: AtomicUsize::new(0),
        };
        make_server_admin(app, &cast.server_admin).await;
        deactivate(app, &cast.server_admin, &cast.deactivated).await;
        sign_out(app, &cast.revoked).await;
        deactivate_by_cli(app, &cast.cli_deactivated).await;
        cast
    }

    /// The user acting as `caller` (None: no token).
    pub fn user(&self, caller: Caller) -> Option<&TestUser> {
        Some(match caller {
            Caller::Anonymous => return None,
            Caller::Outsider => &self.outsider,
            Caller::ExMember => &self.ex_member,
            Caller::Banned => &self.banned,
            Caller::Muted => &self.muted,
            Caller::Member => &self.member,
            Caller::Moderator => &self.moderator,
            Caller::Admin => &self.admin,
            Caller::Owner => &self.owner,
            Caller::ServerAdmin => &self.server_admin,
            Caller::Deactivated => &self.deactivated,
            Caller::RevokedSession => &self.revoked,
            Caller::DeactivatedByCli => &self.cli_deactivated,
        })
    }

    /// A fresh room of `kind` with every member of the cast in place and a
    /// message from the victim.
    pub async fn scene(&self, app: &TestApp, kind: RoomKind) -> Scene {
        let members = [
            &self.admin,
            &self.moderator,
            &self.member,
            &self.muted,
            &self.banned,
            &self.ex_member,
            &self.victim,
        ];
        // Channel names are unique: each fresh room gets its own.
        let name = format!("matrix-{}", hearth_protocol::RoomId::new());
        let room = app.create_room(&self.owner, kind, &name, &members).await.id;
        for (user, caller) in [
            (&self.admin, Caller::Admin),
            (&self.moderator, Caller::Moderator),
            (&self.muted, Caller::Muted),
            (&self.banned, Caller::Banned),
            (&self.ex_member, Caller::ExMember),
        ] {
            self.place_member(app, room, user, caller).await;
        }
        let message = app
            .send(&self.victim, room, "the victim's message")
            .await
            .id;
        Scene { room, message }
    }

    /// A new user acting as `caller`: in a room of their own place for room
    /// roles, made a server admin, deactivated or signed out.
    pub async fn fresh_caller(&self, app: &TestApp, caller: Caller) -> Option<TestUser> {
        if caller == Caller::Anonymous {
            return None;
        }
        let user = self.fresh_user(app).await;
        match caller {
            Caller::Anonymous | Caller::Outsider => {}
            Caller::ServerAdmin => make_server_admin(app, &user).await,
            Caller::Deactivated => deactivate(app, &self.server_admin, &user).await,
            Caller::RevokedSession => sign_out(app, &user).await,
            Caller::DeactivatedByCli => deactivate_by_cli(app, &user).await,
            Caller::Owner => {
                app.create_room(&user, RoomKind::Group, "own", &[]).await;
            }
            _ => {
                let room = app
                    .create_room(&self.owner, RoomKind::Group, "place", &[&user])
                    .await
                    .id;
                self.place_member(app, room, &user, caller).await;
            }
        }
        Some(user)
    }

    /// A new user in no room.
    pub async fn fresh_user(&self, app: &TestApp) -> TestUser {
        let n = self.fresh.fetch_add(1, Ordering::Relaxed);
        app.register(&format!("fresh{n}")).await
    }

    /// Moves `user`, a member of `room`, to where `caller` stands in it.
    async fn place_member(&self, app: &TestApp, room: RoomId, user: &TestUser, caller: Caller) {
        let member = format!("/api/v1/rooms/{room}/members/{}", user.id);
        let (status, body) = match caller {
            Caller::Admin => {
                app.patch(&member, &self.owner.token, json!({"role": "admin"}))
                    .await
            }
            Caller::Moderator => {
                app.patch(&member, &self.owner.token, json!({"role": "moderator"}))
                    .await
            }
            Caller::Muted => {
                app.patch(&member, &self.owner.token, json!({"muted": true}))
                    .await
            }
            Caller::Banned => {
                app.delete(&format!("{member}?ban=true"), &self.owner.token)
                    .await
            }
            Caller::ExMember => {
                app.post(
                    &format!("/api/v1/rooms/{room}/leave"),
                    &user.token,
                    json!({}),
                )
                .await
            }
            _ => return,
        };
        assert!(status.is_success(), "placing {caller:?}: {status} {body}");
    }
}

pub async fn make_server_admin(app: &TestApp, user: &TestUser) {
    app.state
        .node
        .store
        .set_admin(user.id, true)
        .await
        .expect("set admin");
}

pub async fn deactivate(app: &TestApp, admin: &TestUser, user: &TestUser) {
    let (status, body) = app
        .post(
            &format!("/api/v1/admin/users/{}/deactivate", user.id),
            &admin.token,
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "deactivate: {body}");
}

/// `hearth user deactivate`: the admin CLI, a process of its own on the
/// server's database, as an operator runs it next to a running server.
pub async fn deactivate_by_cli(app: &TestApp, user: &TestUser) {
    let database = app
        .state
        .config
        .database
        .url
        .clone()
        .expect("a database url");
    let dir = tempfile::tempdir().expect("temp dir");
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_hearth"))
        .args(["user", "deactivate", "--username", &user.username])
        .env("HEARTH_DATABASE_URL", database)
        .env("HEARTH_DATA_DIR", dir.path())
        .output()
        .await
        .expect("run hearth user deactivate");
    assert!(
        out.status.success(),
        "hearth user deactivate: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The server reads revocations made elsewhere once a second; make that
    // read now, so the matrix checks what holds after it.
    app.state.services.sessions.catch_up_revocations().await;
}

/// Signs the user's session out: its access token now names a revoked session.
pub async fn sign_out(app: &TestApp, user: &TestUser) {
    let (status, body) = app
        .request(
            reqwest::Method::POST,
            "/api/v1/auth/logout",
            None,
            Some(json!({"refresh_token": user.refresh})),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "logout: {body}");
}
