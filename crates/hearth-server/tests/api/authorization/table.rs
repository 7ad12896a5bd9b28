//! The authorization matrix as one table: every REST route (as the OpenAPI
//! document names it) and every gateway op, against every kind of caller,
//! with the answer each must get. The runners ([`super::rest`],
//! [`super::ops`]) iterate it; [`super::coverage`] fails when a route or op
//! exists that it does not list.
//!
//! A cell is what the caller gets: an HTTP status for routes; for ops
//! `ack`, `ok` (no reply), `pong`, `ready`, an error code (`not_found`,
//! `forbidden`, `banned`, `muted`, …) or `close:CODE`. A cell ending in `?`
//! is *pending*: the answer written is the correct one, the server does not
//! give it yet (see [`PENDING`]); the runner reports such a cell while it
//! fails and fails once it passes, so the mark is dropped when the fix lands.

/// Who acts, in the order of every row's columns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Caller {
    /// No token at all.
    Anonymous,
    /// Signed in, never in the room.
    Outsider,
    /// Was a member, left.
    ExMember,
    Banned,
    /// A member who may not post.
    Muted,
    Member,
    Moderator,
    Admin,
    Owner,
    /// `users.is_admin`, not in the room.
    ServerAdmin,
    /// An account a server admin deactivated, with the token it had.
    Deactivated,
    /// A token whose login session was signed out.
    RevokedSession,
    /// An account deactivated with `hearth user deactivate` (the CLI, from
    /// another process) while the server runs, with the token it had.
    DeactivatedByCli,
}

pub const CALLERS: [Caller; 13] = [
    Caller::Anonymous,
    Caller::Outsider,
    Caller::ExMember,
    Caller::Banned,
    Caller::Muted,
    Caller::Member,
    Caller::Moderator,
    Caller::Admin,
    Caller::Owner,
    Caller::ServerAdmin,
    Caller::Deactivated,
    Caller::RevokedSession,
    Caller::DeactivatedByCli,
];

/// The answers of one row: per room kind for room-scoped routes and ops
/// (the caller's standing is in a fresh private group, or public channel),
/// or one line for everything else.
#[derive(Clone, Copy, Debug)]
pub enum Cells {
    Room {
        group: &'static str,
        channel: &'static str,
    },
    Any(&'static str),
}

pub struct RestRow {
    pub method: &'static str,
    /// As in the OpenAPI document.
    pub path: &'static str,
    /// The action changes the caller's own account for good (deletes it,
    /// changes its password, ends its sessions): each cell gets a caller of
    /// its own, put in its place (room role, ban, …) the same way.
    pub own_caller: bool,
    pub cells: Cells,
}

pub struct OpRow {
    pub op: &'static str,
    pub cells: Cells,
}

/// Known holes the pending (`?`) cells stand for; empty when none.
pub const PENDING: &[&str] = &[];

const fn room(group: &'static str, channel: &'static str) -> Cells {
    Cells::Room { group, channel }
}

const fn rest(method: &'static str, path: &'static str, cells: Cells) -> RestRow {
    RestRow {
        method,
        path,
        own_caller: false,
        cells,
    }
}

const fn rest_own(method: &'static str, path: &'static str, cells: Cells) -> RestRow {
    RestRow {
        method,
        path,
        own_caller: true,
        cells,
    }
}

// What each route is asked (bodies, targets) is in `rest.rs`; the room's
// "victim" is a plain member who wrote the message the message routes name.
#[rustfmt::skip]
pub const REST: &[RestRow] = &[
    //                                                                 anon out ex  ban mute mem mod adm own sadm deac rev cli
    // Open routes: the caller's token changes nothing.
    rest("get",    "/healthz",                                  Cells::Any("200 200 200 200 200 200 200 200 200 200 200 200 200")),
    rest("get",    "/readyz",                                   Cells::Any("200 200 200 200 200 200 200 200 200 200 200 200 200")),
    // What the server offers (mail, limits): public, as the sign-in page needs it.
    rest("get",    "/api/v1/server",                            Cells::Any("200 200 200 200 200 200 200 200 200 200 200 200 200")),
    rest("post",   "/api/v1/auth/register",                     Cells::Any("409 409 409 409 409 409 409 409 409 409 409 409 409")),
    rest("post",   "/api/v1/auth/login",                        Cells::Any("401 401 401 401 401 401 401 401 401 401 401 401 401")),
    rest("post",   "/api/v1/auth/refresh",                      Cells::Any("401 401 401 401 401 401 401 401 401 401 401 401 401")),
    rest("post",   "/api/v1/auth/logout",                       Cells::Any("204 204 204 204 204 204 204 204 204 204 204 204 204")),
    rest("post",   "/api/v1/auth/password-reset/request",       Cells::Any("403 403 403 403 403 403 403 403 403 403 403 403 403")),
    rest("post",   "/api/v1/auth/password-reset/confirm",       Cells::Any("400 400 400 400 400 400 400 400 400 400 400 400 400")),
    rest("post",   "/api/v1/auth/verify-email/confirm",         Cells::Any("400 400 400 400 400 400 400 400 400 400 400 400 400")),
    rest("get",    "/api/v1/users/{id}/avatar",                 Cells::Any("404 404 404 404 404 404 404 404 404 404 404 404 404")),
    rest("get",    "/api/v1/rooms/{id}/avatar",                 Cells::Any("404 404 404 404 404 404 404 404 404 404 404 404 404")),
    // The caller's own account: any signed-in caller, whatever their rooms.
    rest("get",    "/api/v1/users/me",                          Cells::Any("401 200 200 200 200 200 200 200 200 200 401 401 401")),
    rest("patch",  "/api/v1/users/me",                          Cells::Any("401 200 200 200 200 200 200 200 200 200 401 401 401")),
    rest_own("delete", "/api/v1/users/me",                      Cells::Any("401 204 204 204 204 204 204 204 204 204 401 401 401")),
    rest_own("post", "/api/v1/auth/password",                   Cells::Any("401 204 204 204 204 204 204 204 204 204 401 401 401")),
    rest("post",   "/api/v1/auth/totp/setup",                   Cells::Any("401 200 200 200 200 200 200 200 200 200 401 401 401")),
    // A wrong code; two-factor not on; no SMTP server in the tests.
    rest("post",   "/api/v1/auth/totp/enable",                  Cells::Any("401 403 403 403 403 403 403 403 403 403 401 401 401")),
    rest("post",   "/api/v1/auth/totp/disable",                 Cells::Any("401 409 409 409 409 409 409 409 409 409 401 401 401")),
    rest("post",   "/api/v1/auth/verify-email/request",         Cells::Any("401 403 403 403 403 403 403 403 403 403 401 401 401")),
    rest("get",    "/api/v1/sessions",                          Cells::Any("401 200 200 200 200 200 200 200 200 200 401 401 401")),
    rest_own("post", "/api/v1/sessions/revoke-others",          Cells::Any("401 200 200 200 200 200 200 200 200 200 401 401 401")),
    rest_own("delete", "/api/v1/sessions/{id}",                 Cells::Any("401 204 204 204 204 204 204 204 204 204 401 401 401")),
    rest("get",    "/api/v1/push/vapid-public-key",             Cells::Any("401 200 200 200 200 200 200 200 200 200 401 401 401")),
    rest("post",   "/api/v1/push/subscriptions",                Cells::Any("401 201 201 201 201 201 201 201 201 201 401 401 401")),
    rest("delete", "/api/v1/push/subscriptions",                Cells::Any("401 204 204 204 204 204 204 204 204 204 401 401 401")),
    rest("get",    "/api/v1/users",                             Cells::Any("401 200 200 200 200 200 200 200 200 200 401 401 401")),
    rest("get",    "/api/v1/users/{id}",                        Cells::Any("401 200 200 200 200 200 200 200 200 200 401 401 401")),
    rest("get",    "/api/v1/rooms",                             Cells::Any("401 200 200 200 200 200 200 200 200 200 401 401 401")),
    rest("post",   "/api/v1/rooms",                             Cells::Any("401 201 201 201 201 201 201 201 201 201 401 401 401")),
    rest("get",    "/api/v1/channels",                          Cells::Any("401 200 200 200 200 200 200 200 200 200 401 401 401")),
    rest("post",   "/api/v1/uploads",                           Cells::Any("401 201 201 201 201 201 201 201 201 201 401 401 401")),
    rest("get",    "/api/v1/search",                            Cells::Any("401 200 200 200 200 200 200 200 200 200 401 401 401")),
    // Server administration: server admins only (the target is a bystander).
    rest("post",   "/api/v1/admin/users/{id}/deactivate",       Cells::Any("401 403 403 403 403 403 403 403 403 204 401 401 401")),
    rest("post",   "/api/v1/admin/users/{id}/reactivate",       Cells::Any("401 403 403 403 403 403 403 403 403 204 401 401 401")),
    // One room: a private group hides itself from non-members (404); a
    // public channel shows itself and says "join first" or "banned" (403).
    rest("get",    "/api/v1/rooms/{id}", room(
        "401 404 404 404 200 200 200 200 200 404 401 401 401",
        "401 200 200 200 200 200 200 200 200 200 401 401 401")),
    rest("patch",  "/api/v1/rooms/{id}", room(
        "401 404 404 404 403 403 403 200 200 404 401 401 401",
        "401 403 403 403 403 403 403 200 200 403 401 401 401")),
    rest("delete", "/api/v1/rooms/{id}", room(
        "401 404 404 404 403 403 403 403 200 404 401 401 401",
        "401 403 403 403 403 403 403 403 200 403 401 401 401")),
    rest("post",   "/api/v1/rooms/{id}/join", room(
        "401 404 404 404 200 200 200 200 200 404 401 401 401",
        "401 200 200 403 200 200 200 200 200 200 401 401 401")),
    rest("post",   "/api/v1/rooms/{id}/leave", room(
        "401 404 404 404 204 204 204 204 204 404 401 401 401",
        "401 403 403 403 204 204 204 204 204 403 401 401 401")),
    rest("post",   "/api/v1/rooms/{id}/read", room(
        "401 404 404 404 200 200 200 200 200 404 401 401 401",
        "401 403 403 403 200 200 200 200 200 403 401 401 401")),
    rest("get",    "/api/v1/rooms/{id}/notifications", room(
        "401 404 404 404 200 200 200 200 200 404 401 401 401",
        "401 403 403 403 200 200 200 200 200 403 401 401 401")),
    rest("patch",  "/api/v1/rooms/{id}/notifications", room(
        "401 404 404 404 200 200 200 200 200 404 401 401 401",
        "401 403 403 403 200 200 200 200 200 403 401 401 401")),
    rest("get",    "/api/v1/rooms/{id}/members", room(
        "401 404 404 404 200 200 200 200 200 404 401 401 401",
        "401 403 403 403 200 200 200 200 200 403 401 401 401")),
    rest("post",   "/api/v1/rooms/{id}/members", room(
        "401 404 404 404 200 200 200 200 200 404 401 401 401",
        "401 403 403 403 200 200 200 200 200 403 401 401 401")),
    rest("patch",  "/api/v1/rooms/{id}/members/{user_id}", room(
        "401 404 404 404 403 403 200 200 200 404 401 401 401",
        "401 403 403 403 403 403 200 200 200 403 401 401 401")),
    rest("delete", "/api/v1/rooms/{id}/members/{user_id}", room(
        "401 404 404 404 403 403 204 204 204 404 401 401 401",
        "401 403 403 403 403 403 204 204 204 403 401 401 401")),
    rest("post",   "/api/v1/rooms/{id}/messages", room(
        "401 404 404 404 403 201 201 201 201 404 401 401 401",
        "401 403 403 403 403 201 201 201 201 403 401 401 401")),
    rest("get",    "/api/v1/rooms/{id}/messages", room(
        "401 404 404 404 200 200 200 200 200 404 401 401 401",
        "401 403 403 403 200 200 200 200 200 403 401 401 401")),
    rest("get",    "/api/v1/rooms/{id}/messages/{message_id}", room(
        "401 404 404 404 200 200 200 200 200 404 401 401 401",
        "401 403 403 403 200 200 200 200 200 403 401 401 401")),
    // Someone else's message: nobody edits it.
    rest("patch",  "/api/v1/rooms/{id}/messages/{message_id}", room(
        "401 404 404 404 403 403 403 403 403 404 401 401 401",
        "401 403 403 403 403 403 403 403 403 403 401 401 401")),
    rest("delete", "/api/v1/rooms/{id}/messages/{message_id}", room(
        "401 404 404 404 403 403 204 204 204 404 401 401 401",
        "401 403 403 403 403 403 204 204 204 403 401 401 401")),
    rest("put",    "/api/v1/rooms/{id}/messages/{message_id}/reactions/{emoji}", room(
        "401 404 404 404 200 200 200 200 200 404 401 401 401",
        "401 403 403 403 200 200 200 200 200 403 401 401 401")),
    rest("delete", "/api/v1/rooms/{id}/messages/{message_id}/reactions/{emoji}", room(
        "401 404 404 404 200 200 200 200 200 404 401 401 401",
        "401 403 403 403 200 200 200 200 200 403 401 401 401")),
    rest("get",    "/api/v1/rooms/{id}/pins", room(
        "401 404 404 404 200 200 200 200 200 404 401 401 401",
        "401 403 403 403 200 200 200 200 200 403 401 401 401")),
    rest("put",    "/api/v1/rooms/{id}/messages/{message_id}/pin", room(
        "401 404 404 404 403 403 200 200 200 404 401 401 401",
        "401 403 403 403 403 403 200 200 200 403 401 401 401")),
    rest("delete", "/api/v1/rooms/{id}/messages/{message_id}/pin", room(
        "401 404 404 404 403 403 200 200 200 404 401 401 401",
        "401 403 403 403 403 403 200 200 200 403 401 401 401")),
    // An attachment in the room: it does not exist for non-members.
    rest("get",    "/api/v1/uploads/{id}", room(
        "401 404 404 404 200 200 200 200 200 404 401 401 401",
        "401 404 404 404 200 200 200 200 200 404 401 401 401")),
    rest("get",    "/api/v1/uploads/{id}/thumbnail", room(
        "401 404 404 404 200 200 200 200 200 404 401 401 401",
        "401 404 404 404 200 200 200 200 200 404 401 401 401")),
];

// Anonymous callers send the op without `auth` first; deactivated and
// revoked callers hold a socket opened before their access ended, which
// must be closed (4003) rather than keep serving them.
#[rustfmt::skip]
pub const OPS: &[OpRow] = &[
    //                     anon       out        ex         ban        mute       mem        mod        adm        own        sadm       deac       rev        cli
    OpRow { op: "auth", cells: Cells::Any(
        "close:4001 ready      ready      ready      ready      ready      ready      ready      ready      ready      close:4001 close:4001 close:4001") },
    OpRow { op: "ping", cells: Cells::Any(
        "close:4001 pong       pong       pong       pong       pong       pong       pong       pong       pong       close:4003 close:4003 close:4003") },
    OpRow { op: "presence", cells: Cells::Any(
        "close:4001 ok         ok         ok         ok         ok         ok         ok         ok         ok         close:4003 close:4003 close:4003") },
    OpRow { op: "send", cells: room(
        "close:4001 not_found  not_found  not_found  muted      ack        ack        ack        ack        not_found  close:4003 close:4003 close:4003",
        "close:4001 forbidden  forbidden  banned     muted      ack        ack        ack        ack        forbidden  close:4003 close:4003 close:4003") },
    OpRow { op: "typing", cells: room(
        "close:4001 not_found  not_found  not_found  ok         ok         ok         ok         ok         not_found  close:4003 close:4003 close:4003",
        "close:4001 not_found  not_found  not_found  ok         ok         ok         ok         ok         not_found  close:4003 close:4003 close:4003") },
    OpRow { op: "read", cells: room(
        "close:4001 not_found  not_found  not_found  ok         ok         ok         ok         ok         not_found  close:4003 close:4003 close:4003",
        "close:4001 forbidden  forbidden  banned     ok         ok         ok         ok         ok         forbidden  close:4003 close:4003 close:4003") },
    OpRow { op: "delivered", cells: room(
        "close:4001 not_found  not_found  not_found  ok         ok         ok         ok         ok         not_found  close:4003 close:4003 close:4003",
        "close:4001 forbidden  forbidden  banned     ok         ok         ok         ok         ok         forbidden  close:4003 close:4003 close:4003") },
    OpRow { op: "call.signal", cells: room(
        "close:4001 not_found  not_found  not_found  ok         ok         ok         ok         ok         not_found  close:4003 close:4003 close:4003",
        "close:4001 not_found  not_found  not_found  ok         ok         ok         ok         ok         not_found  close:4003 close:4003 close:4003") },
];

/// One cell: the answer, and whether it is pending.
pub fn cell(line: &str, caller: Caller) -> (&str, bool) {
    let i = CALLERS.iter().position(|c| *c == caller).expect("a caller");
    let words: Vec<&str> = line.split_whitespace().collect();
    assert_eq!(
        words.len(),
        CALLERS.len(),
        "a row of {} cells: {line}",
        CALLERS.len()
    );
    let word = words[i];
    match word.strip_suffix('?') {
        Some(w) => (w, true),
        None => (word, false),
    }
}

impl Cells {
    /// The lines of this row, with the room kind each is for (None: any).
    pub fn lines(&self) -> Vec<(Option<&'static str>, &'static str)> {
        match *self {
            Cells::Room { group, channel } => {
                vec![(Some("group"), group), (Some("channel"), channel)]
            }
            Cells::Any(line) => vec![(None, line)],
        }
    }
}
