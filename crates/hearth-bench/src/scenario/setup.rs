//! `setup`: users and rooms through the REST API, saved to the state file.
//!
//! Registration hashes a password with argon2 (tens of ms of server CPU), so
//! users are registered `--auth-concurrency` at a time and kept in the state
//! file; a second run with the same or smaller numbers does nothing.

use super::{Common, load, progress, store_tokens};
use crate::api::{Api, with_retry};
use crate::outcome_json;
use crate::report::{Outcome, Table, f};
use crate::state::{BenchRoom, BenchState, BenchUser, Layout, room_members};
use anyhow::Context;
use futures_util::StreamExt;
use hearth_protocol::UserId;
use serde::Serialize;
use std::time::Instant;

/// Most members a room may be created with (the server's limit).
const MAX_INITIAL_MEMBERS: usize = 256;
/// Most user ids in one add-members call (the server's limit).
const MAX_ADD_MEMBERS: usize = 100;

#[derive(Clone, Debug, clap::Args)]
pub struct SetupArgs {
    /// Users to have in the state file
    #[arg(long, default_value_t = 100)]
    pub users: usize,
    /// Rooms to create (0: users only)
    #[arg(long, default_value_t = 0)]
    pub rooms: usize,
    /// Members per room (the creator included); at most --users
    #[arg(long, default_value_t = 10)]
    pub members: usize,
}

#[derive(Debug, Default, Serialize)]
pub struct SetupReport {
    pub users_total: usize,
    pub users_registered: usize,
    pub register_seconds: f64,
    pub registrations_per_second: f64,
    pub rooms_total: usize,
    pub rooms_created: usize,
    pub members_per_room: usize,
    pub room_seconds: f64,
    pub errors: u64,
}

impl Outcome for SetupReport {
    outcome_json!("setup");

    fn table(&self) -> Table {
        Table::new("setup")
            .row(
                "users (registered now)",
                format!("{} ({})", self.users_total, self.users_registered),
            )
            .row("registrations/s", f(self.registrations_per_second, 1))
            .row(
                "rooms (created now)",
                format!("{} ({})", self.rooms_total, self.rooms_created),
            )
            .row("members per room", self.members_per_room)
            .row("room setup seconds", f(self.room_seconds, 1))
            .row("errors", self.errors)
    }

    fn errors(&self) -> u64 {
        self.errors
    }
}

pub async fn run(common: &Common, args: &SetupArgs) -> anyhow::Result<SetupReport> {
    let (api, mut state) = load(common)?;
    let mut report = SetupReport {
        members_per_room: args.members,
        ..Default::default()
    };
    let t = Instant::now();
    report.users_registered = ensure_users(common, &api, &mut state, args.users).await?;
    report.register_seconds = t.elapsed().as_secs_f64();
    report.registrations_per_second =
        crate::stats::rate(report.users_registered as u64, report.register_seconds);
    if args.rooms > 0 {
        let t = Instant::now();
        let before = state.layout(0, args.members).map_or(0, |l| l.rooms.len());
        ensure_layout(common, &api, &mut state, args.rooms, args.members).await?;
        report.rooms_created = args.rooms.saturating_sub(before);
        report.room_seconds = t.elapsed().as_secs_f64();
    }
    report.users_total = state.users.len();
    report.rooms_total = state.layouts.iter().map(|l| l.rooms.len()).sum();
    Ok(report)
}

/// Registers users until the state has `n`; returns how many were registered.
pub async fn ensure_users(
    common: &Common,
    api: &Api,
    state: &mut BenchState,
    n: usize,
) -> anyhow::Result<usize> {
    let have = state.users.len();
    if have >= n {
        return Ok(0);
    }
    progress(common, format!("registering users {have}..{n}"));
    let names: Vec<String> = (have..n).map(|i| state.username(i)).collect();
    let password = state.password.clone();
    let jobs = names.into_iter().map(|name| {
        let api = api.clone();
        let password = password.clone();
        async move {
            let r = with_retry(30, || api.register(&name, &password)).await;
            (name, r)
        }
    });
    // `buffered`, not `buffer_unordered`: users keep their index order, so
    // the state file never has a gap if a registration fails.
    let mut results = futures_util::stream::iter(jobs).buffered(common.auth_concurrency.max(1));
    let mut registered = 0;
    while let Some((name, r)) = results.next().await {
        let auth = r.with_context(|| format!("registering {name}"))?;
        let mut user = BenchUser {
            username: name,
            id: auth.user.id,
            access_token: None,
            access_expires_at: 0,
            refresh_token: None,
        };
        store_tokens(&mut user, &auth);
        state.users.push(user);
        registered += 1;
        if registered % 500 == 0 {
            state.save(&common.state)?;
            progress(common, format!("{} users", state.users.len()));
        }
    }
    state.save(&common.state)?;
    Ok(registered)
}

/// Makes sure a layout of at least `rooms` rooms with `members` members each
/// exists, registering users and creating rooms as needed.
pub async fn ensure_layout(
    common: &Common,
    api: &Api,
    state: &mut BenchState,
    rooms: usize,
    members: usize,
) -> anyhow::Result<Layout> {
    anyhow::ensure!(members >= 1, "--members must be at least 1");
    if let Some(l) = state.layout(rooms, members) {
        return Ok(l.clone());
    }
    // Enough users that rooms do not overlap, unless that is very many.
    let wanted_users = state
        .users
        .len()
        .max(members)
        .max((rooms * members).min(2_000));
    ensure_users(common, api, state, wanted_users).await?;
    let n = state.users.len();
    let existing = match state
        .layouts
        .iter()
        .position(|l| l.members_per_room == members)
    {
        Some(i) => i,
        None => {
            state.layouts.push(Layout {
                members_per_room: members,
                rooms: Vec::new(),
            });
            state.layouts.len() - 1
        }
    };
    let start = state.layouts[existing].rooms.len();
    progress(
        common,
        format!("creating rooms {start}..{rooms} with {members} members each"),
    );
    let owners: Vec<(usize, Vec<usize>)> = (start..rooms)
        .map(|r| (r, room_members(r, members, n)))
        .collect();
    let owner_idx: Vec<usize> = owners.iter().map(|(_, m)| m[0]).collect();
    super::ensure_tokens(
        common,
        api,
        state,
        &owner_idx,
        std::time::Duration::from_secs(600),
    )
    .await?;
    let users = state.users.clone();
    let prefix = state.prefix.clone();
    let jobs = owners.into_iter().map(|(r, idx)| {
        let api = api.clone();
        let users = &users;
        let name = format!("{prefix}-{members}m-{r}");
        async move {
            let room = create_room(&api, users, &name, &idx).await;
            (r, name, idx, room)
        }
    });
    let mut results = futures_util::stream::iter(jobs).buffered(common.auth_concurrency.max(1));
    while let Some((r, name, idx, room)) = results.next().await {
        let id = room.with_context(|| format!("creating room {name}"))?;
        state.layouts[existing].rooms.push(BenchRoom {
            id,
            name,
            members: idx,
        });
        if (r + 1) % 50 == 0 {
            state.save(&common.state)?;
        }
    }
    drop(results);
    state.save(&common.state)?;
    Ok(state.layouts[existing].clone())
}

/// Creates one channel owned by `members[0]` with all of `members`.
async fn create_room(
    api: &Api,
    users: &[BenchUser],
    name: &str,
    members: &[usize],
) -> anyhow::Result<hearth_protocol::RoomId> {
    let owner = &users[members[0]];
    let token = owner
        .access_token
        .as_deref()
        .context("the room owner has no token")?;
    let ids: Vec<UserId> = members[1..].iter().map(|&i| users[i].id).collect();
    let (first, rest) = ids.split_at(ids.len().min(MAX_INITIAL_MEMBERS - 1));
    let room = with_retry(10, || api.create_channel(token, name, first.to_vec())).await?;
    for chunk in rest.chunks(MAX_ADD_MEMBERS) {
        with_retry(10, || api.add_members(token, room.id, chunk.to_vec())).await?;
    }
    Ok(room.id)
}
