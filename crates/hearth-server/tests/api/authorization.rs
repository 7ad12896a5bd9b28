//! Who may do what. The full matrix — every REST route and gateway op
//! against every kind of caller — is one table ([`table`]) that [`rest`]
//! and [`ops`] run and [`coverage`] keeps complete; below it, the room
//! actions by role in more depth, and the rules between roles.

mod coverage;
mod ops;
mod report;
mod rest;
mod scene;
mod table;

use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::json;

#[derive(Clone, Copy, Debug, PartialEq)]
enum Who {
    Owner,
    Admin,
    Moderator,
    Member,
    NonMember,
    Banned,
}

#[derive(Clone, Copy, Debug)]
enum Act {
    Read,
    Post,
    React,
    Invite,
    Kick,
    Ban,
    Mute,
    ChangeRole,
    EditRoom,
    Archive,
    DeleteOthers,
    Pin,
    PostAnonymously,
}

const WHO: [Who; 6] = [
    Who::Owner,
    Who::Admin,
    Who::Moderator,
    Who::Member,
    Who::NonMember,
    Who::Banned,
];
const ACTS: [Act; 13] = [
    Act::Read,
    Act::Post,
    Act::React,
    Act::Invite,
    Act::Kick,
    Act::Ban,
    Act::Mute,
    Act::ChangeRole,
    Act::EditRoom,
    Act::Archive,
    Act::DeleteOthers,
    Act::Pin,
    Act::PostAnonymously,
];

/// The least role allowed to act (members of the room only).
fn min_role(act: Act) -> Who {
    match act {
        Act::Read | Act::Post | Act::React | Act::Invite | Act::PostAnonymously => Who::Member,
        Act::Kick | Act::Ban | Act::Mute | Act::DeleteOthers | Act::Pin => Who::Moderator,
        Act::ChangeRole | Act::EditRoom => Who::Admin,
        Act::Archive => Who::Owner,
    }
}

fn rank(w: Who) -> u8 {
    match w {
        Who::Owner => 4,
        Who::Admin => 3,
        Who::Moderator => 2,
        Who::Member => 1,
        Who::NonMember | Who::Banned => 0,
    }
}

/// What the matrix says: 2xx, or the status a refusal must carry.
fn expected(kind: &str, who: Who, act: Act) -> Result<(), StatusCode> {
    match who {
        // Private rooms do not exist for outsiders; channels say "join" or "banned".
        Who::NonMember | Who::Banned if kind == "group" => Err(StatusCode::NOT_FOUND),
        Who::NonMember | Who::Banned => Err(StatusCode::FORBIDDEN),
        _ if rank(who) >= rank(min_role(act)) => Ok(()),
        _ => Err(StatusCode::FORBIDDEN),
    }
}

struct Cast {
    owner: TestUser,
    admin: TestUser,
    moderator: TestUser,
    member: TestUser,
    outsider: TestUser,
    banned: TestUser,
    victim: TestUser,
    newcomer: TestUser,
}

impl Cast {
    fn who(&self, w: Who) -> &TestUser {
        match w {
            Who::Owner => &self.owner,
            Who::Admin => &self.admin,
            Who::Moderator => &self.moderator,
            Who::Member => &self.member,
            Who::NonMember => &self.outsider,
            Who::Banned => &self.banned,
        }
    }
}

/// A fresh room with every role in place and a message from `victim`.
async fn setup_room(app: &TestApp, cast: &Cast, kind: &str) -> (RoomId, MessageId) {
    let members: Vec<UserId> = [
        &cast.admin,
        &cast.moderator,
        &cast.member,
        &cast.banned,
        &cast.victim,
    ]
    .iter()
    .map(|u| u.id)
    .collect();
    let (s, room) = app
        .post(
            "/api/v1/rooms",
            &cast.owner.token,
            // Channel names are unique: each fresh room gets its own.
            json!({"kind": kind, "name": format!("matrix-{}", RoomId::new()), "members": members, "anonymous_allowed": true}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{room}");
    let room = decode::<Room>(room).id;
    for (u, role) in [(&cast.admin, "admin"), (&cast.moderator, "moderator")] {
        let (s, b) = app
            .patch(
                &format!("/api/v1/rooms/{room}/members/{}", u.id),
                &cast.owner.token,
                json!({"role": role}),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{b}");
    }
    let (s, _) = app
        .delete(
            &format!("/api/v1/rooms/{room}/members/{}?ban=true", cast.banned.id),
            &cast.owner.token,
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let msg = app.send(&cast.victim, room, "victim's message").await;
    (room, msg.id)
}

async fn attempt(
    app: &TestApp,
    cast: &Cast,
    actor: &TestUser,
    act: Act,
    room: RoomId,
    msg: MessageId,
) -> (StatusCode, serde_json::Value) {
    let r = format!("/api/v1/rooms/{room}");
    let victim = &cast.victim.id;
    match act {
        Act::Read => app.get(&format!("{r}/messages"), &actor.token).await,
        Act::Post => {
            app.post(
                &format!("{r}/messages"),
                &actor.token,
                json!({"body": "hello"}),
            )
            .await
        }
        Act::React => {
            app.put(
                &format!("{r}/messages/{msg}/reactions/%F0%9F%91%8D"),
                &actor.token,
            )
            .await
        }
        Act::Invite => {
            app.post(
                &format!("{r}/members"),
                &actor.token,
                json!({"user_ids": [cast.newcomer.id]}),
            )
            .await
        }
        Act::Kick => {
            app.delete(&format!("{r}/members/{victim}"), &actor.token)
                .await
        }
        Act::Ban => {
            app.delete(&format!("{r}/members/{victim}?ban=true"), &actor.token)
                .await
        }
        Act::Mute => {
            app.patch(
                &format!("{r}/members/{victim}"),
                &actor.token,
                json!({"muted": true}),
            )
            .await
        }
        Act::ChangeRole => {
            app.patch(
                &format!("{r}/members/{victim}"),
                &actor.token,
                json!({"role": "moderator"}),
            )
            .await
        }
        Act::EditRoom => {
            app.patch(&r, &actor.token, json!({"topic": "new topic"}))
                .await
        }
        Act::Archive => app.delete(&r, &actor.token).await,
        Act::DeleteOthers => {
            app.delete(&format!("{r}/messages/{msg}"), &actor.token)
                .await
        }
        Act::Pin => {
            app.put(&format!("{r}/messages/{msg}/pin"), &actor.token)
                .await
        }
        Act::PostAnonymously => {
            app.post(
                &format!("{r}/messages"),
                &actor.token,
                json!({"body": "anon", "anonymous": true}),
            )
            .await
        }
    }
}

async fn run_matrix(kind: &str) {
    let app = spawn_app().await;
    let cast = Cast {
        owner: app.register("owner").await,
        admin: app.register("admin").await,
        moderator: app.register("moderator").await,
        member: app.register("member").await,
        outsider: app.register("outsider").await,
        banned: app.register("banned").await,
        victim: app.register("victim").await,
        newcomer: app.register("newcomer").await,
    };
    let mut failures = Vec::new();
    for act in ACTS {
        for who in WHO {
            let (room, msg) = setup_room(&app, &cast, kind).await;
            let (status, body) = attempt(&app, &cast, cast.who(who), act, room, msg).await;
            let want = expected(kind, who, act);
            let ok = match want {
                Ok(()) => status.is_success(),
                Err(code) => status == code && body["error"]["code"].is_string(),
            };
            if !ok {
                failures.push(format!(
                    "{kind} {who:?} {act:?}: want {want:?}, got {status} {body}"
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "authorization matrix mismatches:\n{}",
        failures.join("\n")
    );
}

#[tokio::test]
async fn authorization_matrix_in_a_private_group() {
    run_matrix("group").await;
}

#[tokio::test]
async fn authorization_matrix_in_a_public_channel() {
    run_matrix("channel").await;
}

#[tokio::test]
async fn moderators_cannot_act_on_their_equals_or_betters() {
    let app = spawn_app().await;
    let owner = app.register("owner").await;
    let m1 = app.register("mod1").await;
    let m2 = app.register("mod2").await;
    let admin = app.register("admin").await;
    let room = app
        .create_room(&owner, RoomKind::Group, "g", &[&m1, &m2, &admin])
        .await
        .id;
    for (u, role) in [(&m1, "moderator"), (&m2, "moderator"), (&admin, "admin")] {
        app.patch(
            &format!("/api/v1/rooms/{room}/members/{}", u.id),
            &owner.token,
            json!({"role": role}),
        )
        .await;
    }
    let (s, _) = app
        .delete(
            &format!("/api/v1/rooms/{room}/members/{}", m2.id),
            &m1.token,
        )
        .await;
    assert_eq!(
        s,
        StatusCode::FORBIDDEN,
        "a moderator cannot kick another moderator"
    );
    let (s, _) = app
        .delete(
            &format!("/api/v1/rooms/{room}/members/{}", admin.id),
            &m1.token,
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = app
        .patch(
            &format!("/api/v1/rooms/{room}/members/{}", m1.id),
            &admin.token,
            json!({"role": "owner"}),
        )
        .await;
    assert_eq!(
        s,
        StatusCode::FORBIDDEN,
        "nobody grants a role above their own"
    );
    let (s, _) = app
        .patch(
            &format!("/api/v1/rooms/{room}/members/{}", admin.id),
            &admin.token,
            json!({"role": "owner"}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // In a DM nothing about membership can change.
    let dm = app.create_room(&owner, RoomKind::Dm, "", &[&m1]).await.id;
    let (s, _) = app
        .post(
            &format!("/api/v1/rooms/{dm}/members"),
            &owner.token,
            json!({"user_ids": [m2.id]}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = app
        .post(
            &format!("/api/v1/rooms/{dm}/leave"),
            &owner.token,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn muted_members_cannot_post() {
    let app = spawn_app().await;
    let owner = app.register("owner").await;
    let bob = app.register("bob").await;
    let room = app
        .create_room(&owner, RoomKind::Channel, "c", &[&bob])
        .await
        .id;
    let (s, _) = app
        .patch(
            &format!("/api/v1/rooms/{room}/members/{}", bob.id),
            &owner.token,
            json!({"muted": true}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, b) = app
        .post(
            &format!("/api/v1/rooms/{room}/messages"),
            &bob.token,
            json!({"body": "hi"}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert_eq!(error_code(&b), ErrorCode::Muted);
}

#[tokio::test]
async fn every_route_answers_every_caller_as_the_table_says_outside_rooms() {
    rest::run(|r| !rest::room_scoped(r), None).await;
}

#[tokio::test]
async fn every_route_answers_every_caller_as_the_table_says_in_a_private_group() {
    rest::run(rest::room_scoped, Some("group")).await;
}

#[tokio::test]
async fn every_route_answers_every_caller_as_the_table_says_in_a_public_channel() {
    rest::run(rest::room_scoped, Some("channel")).await;
}

#[tokio::test]
async fn every_gateway_op_answers_every_caller_as_the_table_says() {
    ops::run().await;
}

/// The server's administrator (the first account) moderates rooms they did
/// not create, as the owner would; another plain member does not.
#[tokio::test]
async fn a_server_admin_moderates_any_room_they_are_in() {
    let app = spawn_app().await;
    let root = app.register("root").await;
    let bob = app.register("bob").await;
    let carol = app.register("carol").await;
    let room = app
        .create_room(&bob, RoomKind::Channel, "bobs", &[&carol])
        .await;
    let (s, b) = app
        .post(
            &format!("/api/v1/rooms/{}/join", room.id),
            &root.token,
            json!({}),
        )
        .await;
    assert!(s.is_success(), "join: {s} {b}");
    let spam = app.send(&carol, room.id, "spam").await;

    // A plain member may not…
    let (s, _) = app
        .patch(
            &format!("/api/v1/rooms/{}", room.id),
            &carol.token,
            json!({"topic": "mine now"}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // …the server admin, a plain member of the room, may.
    let (s, b) = app
        .patch(
            &format!("/api/v1/rooms/{}", room.id),
            &root.token,
            json!({"topic": "moderated"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let (s, b) = app
        .delete(
            &format!("/api/v1/rooms/{}/messages/{}", room.id, spam.id),
            &root.token,
        )
        .await;
    assert!(s.is_success(), "delete another's message: {s} {b}");
    let (s, b) = app
        .delete(
            &format!("/api/v1/rooms/{}/members/{}", room.id, carol.id),
            &root.token,
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT, "kick: {b}");
}
