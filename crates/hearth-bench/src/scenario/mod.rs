//! The scenarios, one file each, and what they share: loading the state,
//! making sure users, rooms and tokens exist, and opening many sessions.

pub mod connections;
pub mod fanout;
pub mod mixed;
pub mod send;
pub mod setup;
pub mod startup;
pub mod storm;

use crate::api::{Api, with_retry};
use crate::cli::Common;
use crate::gateway::{Connector, Ws};
use crate::state::{BenchState, BenchUser, unix_now};
use anyhow::Context;
use futures_util::StreamExt;
use hearth_protocol::dto::AuthResponse;
use hearth_protocol::gateway::Ready;
use reqwest::StatusCode;
use std::time::Duration;

/// Prints a progress line on stderr unless `--quiet`.
pub fn progress(common: &Common, msg: impl std::fmt::Display) {
    if !common.quiet {
        eprintln!("[{:>7.1}s] {msg}", crate::clock::now_ns() as f64 / 1e9);
    }
}

/// Stores the tokens of an auth answer on a bench user.
fn store_tokens(user: &mut BenchUser, auth: &AuthResponse) {
    user.access_token = Some(auth.access_token.clone());
    user.refresh_token = Some(auth.refresh_token.clone());
    user.access_expires_at = unix_now() + auth.expires_in;
}

/// Makes sure users `0..indices` have an access token valid for at least
/// `valid_for`: reuse, else refresh (cheap), else log in (argon2).
pub async fn ensure_tokens(
    common: &Common,
    api: &Api,
    state: &mut BenchState,
    indices: &[usize],
    valid_for: Duration,
) -> anyhow::Result<()> {
    let deadline = unix_now() + valid_for.as_secs();
    let stale: Vec<usize> = indices
        .iter()
        .copied()
        .filter(|&i| {
            state.users[i].access_token.is_none() || state.users[i].access_expires_at < deadline
        })
        .collect();
    if stale.is_empty() {
        return Ok(());
    }
    progress(common, format!("renewing tokens of {} users", stale.len()));
    let password = state.password.clone();
    let stale: Vec<(usize, BenchUser)> = stale
        .into_iter()
        .map(|i| (i, state.users[i].clone()))
        .collect();
    let jobs = stale.into_iter().map(|(i, user)| {
        let api = api.clone();
        let password = password.clone();
        async move {
            if let Some(rt) = &user.refresh_token {
                match api.refresh(rt).await {
                    Ok(a) => return (i, Ok(a), false),
                    Err(e) if e.status == Some(StatusCode::UNAUTHORIZED) => {}
                    Err(e) => return (i, Err(e), false),
                }
            }
            let r = with_retry(20, || api.login(&user.username, &password)).await;
            (i, r, true)
        }
    });
    // Refreshes are cheap and logins are not: bound by the argon2 concurrency
    // times 4, which keeps refresh-only renewals quick.
    let mut results =
        futures_util::stream::iter(jobs).buffer_unordered(common.auth_concurrency * 4);
    let mut done = 0usize;
    let mut first_err = None;
    while let Some((i, r, _login)) = results.next().await {
        match r {
            Ok(a) => {
                store_tokens(&mut state.users[i], &a);
                done += 1;
            }
            Err(e) => {
                first_err.get_or_insert(format!("{}: {e}", state.users[i].username));
            }
        }
    }
    drop(results);
    state.save(&common.state)?;
    if let Some(e) = first_err {
        anyhow::bail!(
            "could not log in every user ({done} did): {e}. Was the server's data \
             reset? Delete {} and run setup again.",
            common.state.display()
        );
    }
    Ok(())
}

/// Loads the state file and makes a REST client for the first `--url`.
pub fn load(common: &Common) -> anyhow::Result<(Api, BenchState)> {
    let url = common.primary_url();
    let api = Api::new(url)?;
    let state = BenchState::load_or_new(&common.state, url)?;
    Ok((api, state))
}

/// A REST client per `--url` (node), in order; the first is the primary.
pub fn node_apis(common: &Common) -> anyhow::Result<Vec<Api>> {
    common.node_urls().iter().map(|u| Api::new(u)).collect()
}

/// One opened session.
pub struct Opened {
    /// Which job it was (the index into what was asked for).
    pub job: usize,
    /// Which node (index into the connectors) it is connected to.
    pub node: usize,
    pub ws: Ws,
    pub ready: Ready,
    pub took: Duration,
}

/// Opens one session per token, round-robin over the nodes, see [`open_on`].
pub async fn open_many(
    common: &Common,
    nodes: &[Connector],
    tokens: Vec<String>,
    on_open: impl FnMut(Opened),
) -> Vec<String> {
    let n = nodes.len().max(1);
    let jobs = tokens
        .into_iter()
        .enumerate()
        .map(|(i, t)| (i % n, t, None))
        .collect();
    open_on(common, nodes, jobs, on_open).await
}

/// Opens one session per (node, token, socket receive buffer),
/// `common.connect_concurrency` at a time; `on_open` gets each as soon as it
/// is ready. Returns the failures' messages.
pub async fn open_on(
    common: &Common,
    nodes: &[Connector],
    jobs: Vec<(usize, String, Option<u32>)>,
    mut on_open: impl FnMut(Opened),
) -> Vec<String> {
    let total = jobs.len();
    let jobs = jobs
        .into_iter()
        .enumerate()
        .map(|(job, (node, token, rcv))| {
            let node = node % nodes.len().max(1);
            async move { (job, node, nodes[node].open_with(&token, rcv).await) }
        });
    let mut stream =
        futures_util::stream::iter(jobs).buffer_unordered(common.connect_concurrency.max(1));
    let mut failures = Vec::new();
    let mut n = 0usize;
    let step = (total / 10).max(1000);
    while let Some((job, node, r)) = stream.next().await {
        n += 1;
        if n.is_multiple_of(step) {
            progress(common, format!("{n}/{total} sessions opened"));
        }
        match r {
            Ok((ws, ready, took)) => on_open(Opened {
                job,
                node,
                ws,
                ready,
                took,
            }),
            Err(e) => failures.push(format!("{e:#}")),
        }
    }
    failures
}

/// The server's view of a failure, shortened for a report: the most common
/// messages with their counts.
pub fn summarize_failures(failures: &[String]) -> Vec<(String, u64)> {
    let mut counts: std::collections::BTreeMap<String, u64> = Default::default();
    for f in failures {
        let key: String = f.chars().take(120).collect();
        *counts.entry(key).or_default() += 1;
    }
    let mut v: Vec<(String, u64)> = counts.into_iter().collect();
    v.sort_by_key(|e| std::cmp::Reverse(e.1));
    v.truncate(5);
    v
}

/// Makes a gateway connector per `--url` (node), in order.
pub async fn connectors(common: &Common) -> anyhow::Result<Vec<Connector>> {
    let mut out = Vec::new();
    for url in common.node_urls() {
        let base = reqwest::Url::parse(&url)?;
        out.push(
            Connector::new(&base, common.source_addrs)
                .await
                .with_context(|| format!("resolving {url}"))?,
        );
    }
    anyhow::ensure!(!out.is_empty(), "no --url");
    Ok(out)
}
