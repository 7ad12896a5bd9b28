//! `connections`: many authenticated gateway sessions at once (hold), or
//! sessions opened and closed in a loop (`--churn`).
//!
//! Hold: opens `--sessions` sessions round-robin over the first `--users`
//! bench users, keeps each one reading (and pinging) for `--duration`
//! seconds, and reports the server's RSS before and after, per session.
//! Churn: `--concurrency` loops of open → ready → close for `--duration`.

use super::fanout::keepalive;
use super::{Common, ensure_tokens, load, open_many, progress, summarize_failures};
use crate::gateway::{Connector, send_op};
use crate::outcome_json;
use crate::report::{Outcome, Table, f};
use crate::stats::{Latency, LatencySummary, rate};
use crate::sys::{Interval, Sample};
use futures_util::StreamExt;
use hearth_protocol::gateway::ClientOp;
use serde::Serialize;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::watch;
use tokio_tungstenite::tungstenite::Message as WsMessage;

#[derive(Clone, Debug, clap::Args)]
pub struct ConnectionsArgs {
    /// Sessions to open
    #[arg(long, default_value_t = 1000)]
    pub sessions: usize,
    /// Bench users to spread them over (sessions reuse users round-robin;
    /// 0: one user per session)
    #[arg(long, default_value_t = 0)]
    pub users: usize,
    /// Use bench users from this index on (e.g. to skip users in huge rooms,
    /// whose every connect costs the server O(room size))
    #[arg(long, default_value_t = 0)]
    pub user_offset: usize,
    /// Seconds to hold the sessions (or to churn)
    #[arg(long, default_value_t = 10)]
    pub duration: u64,
    /// Open and close sessions in a loop instead of holding them
    #[arg(long)]
    pub churn: bool,
    /// Churn loops running at once
    #[arg(long, default_value_t = 32)]
    pub concurrency: usize,
}

#[derive(Debug, Default, Serialize)]
pub struct ConnectionsReport {
    pub mode: &'static str,
    pub requested: usize,
    pub users: usize,
    pub succeeded: u64,
    pub failed: u64,
    pub failure_kinds: Vec<(String, u64)>,
    /// Sessions the server closed while they were held.
    pub dropped_while_held: u64,
    pub connect: LatencySummary,
    pub connect_seconds: f64,
    pub sessions_per_second: f64,
    pub rss_idle_kib: Option<u64>,
    pub rss_connected_kib: Option<u64>,
    pub rss_per_session_kib: Option<f64>,
    /// RSS a few seconds after every session closed.
    pub rss_after_close_kib: Option<u64>,
    pub connect_usage: Interval,
    pub errors: u64,
}

impl Outcome for ConnectionsReport {
    outcome_json!("connections");

    fn table(&self) -> Table {
        let u = &self.connect_usage;
        Table::new(format!(
            "connections ({}): {} sessions over {} users",
            self.mode, self.requested, self.users
        ))
        .row(
            "succeeded / failed",
            format!("{} / {}", self.succeeded, self.failed),
        )
        .row("dropped while held", self.dropped_while_held)
        .row("connect (upgrade+auth+ready)", self.connect.line())
        .row("sessions/s", f(self.sessions_per_second, 0))
        .opt_row("server RSS idle KiB", self.rss_idle_kib)
        .opt_row("server RSS connected KiB", self.rss_connected_kib)
        .opt_row(
            "server RSS per session KiB",
            self.rss_per_session_kib.map(|r| f(r, 2)),
        )
        .opt_row("server RSS after close KiB", self.rss_after_close_kib)
        .opt_row(
            "server CPU s (connecting)",
            u.server_cpu_seconds.map(|c| f(c, 2)),
        )
        .opt_row(
            "bench CPU s (connecting)",
            u.bench_cpu_seconds.map(|c| f(c, 2)),
        )
        .row("errors", self.errors)
    }

    fn errors(&self) -> u64 {
        self.errors
    }
}

pub async fn run(common: &Common, args: &ConnectionsArgs) -> anyhow::Result<ConnectionsReport> {
    let (api, mut state) = load(common)?;
    let users = if args.users == 0 {
        args.sessions
    } else {
        args.users
    }
    .min(args.sessions.max(1));
    let first = args.user_offset;
    super::setup::ensure_users(common, &api, &mut state, first + users).await?;
    let indices: Vec<usize> = (first..first + users).collect();
    ensure_tokens(
        common,
        &api,
        &mut state,
        &indices,
        Duration::from_secs(args.duration + 900),
    )
    .await?;
    let nodes = super::connectors(common).await?;
    let tokens: Vec<String> = (0..args.sessions)
        .map(|i| {
            state.users[first + i % users]
                .access_token
                .clone()
                .unwrap_or_default()
        })
        .collect();
    let mut report = if args.churn {
        churn(common, &nodes, tokens, args).await
    } else {
        hold(common, &nodes, tokens, args).await
    };
    report.users = users;
    report.errors = report.failed + report.dropped_while_held;
    Ok(report)
}

async fn hold(
    common: &Common,
    nodes: &[Connector],
    tokens: Vec<String>,
    args: &ConnectionsArgs,
) -> ConnectionsReport {
    let idle = Sample::take(common.server_pid);
    let (stop_tx, stop_rx) = watch::channel(false);
    let dropped = Arc::new(AtomicU64::new(0));
    let mut connect = Latency::new();
    let mut tasks = Vec::new();
    progress(common, format!("opening {} sessions", tokens.len()));
    let requested = tokens.len();
    let failures = open_many(common, nodes, tokens, |o| {
        connect.record(o.took);
        let mut ws = o.ws;
        let mut stop = stop_rx.clone();
        let dropped = dropped.clone();
        tasks.push(tokio::spawn(async move {
            let mut ping = keepalive();
            loop {
                tokio::select! {
                    m = ws.next() => match m {
                        Some(Ok(WsMessage::Close(_))) | Some(Err(_)) | None => {
                            dropped.fetch_add(1, Ordering::Relaxed);
                            return;
                        }
                        Some(Ok(_)) => {}
                    },
                    _ = ping.tick() => {
                        if send_op(&mut ws, &ClientOp::Ping { n: None }).await.is_err() {
                            dropped.fetch_add(1, Ordering::Relaxed);
                            return;
                        }
                    }
                    _ = stop.changed() => break,
                }
            }
            let _ = tokio::time::timeout(Duration::from_secs(5), ws.close(None)).await;
        }));
    })
    .await;
    let connected = Sample::take(common.server_pid);
    let succeeded = tasks.len() as u64;
    progress(
        common,
        format!("{succeeded} sessions open; holding {} s", args.duration),
    );
    // Let the server settle (presence announcements, allocator) before RSS.
    tokio::time::sleep(Duration::from_secs(args.duration)).await;
    let held = Sample::take(common.server_pid);
    let _ = stop_tx.send(true);
    progress(common, "closing");
    futures_util::stream::iter(tasks)
        .buffer_unordered(4096)
        .for_each(|_| async {})
        .await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let closed = Sample::take(common.server_pid);
    let usage = Interval::between(&idle, &connected);
    ConnectionsReport {
        mode: "hold",
        requested,
        users: 0,
        succeeded,
        failed: failures.len() as u64,
        failure_kinds: summarize_failures(&failures),
        dropped_while_held: dropped.load(Ordering::Relaxed),
        connect: connect.summary(),
        connect_seconds: usage.wall_seconds,
        sessions_per_second: rate(succeeded, usage.wall_seconds),
        rss_idle_kib: idle.server_rss_kib,
        rss_connected_kib: held.server_rss_kib,
        rss_per_session_kib: match (idle.server_rss_kib, held.server_rss_kib) {
            (Some(a), Some(b)) if succeeded > 0 => Some((b as f64 - a as f64) / succeeded as f64),
            _ => None,
        },
        rss_after_close_kib: closed.server_rss_kib,
        connect_usage: usage,
        errors: 0,
    }
}

async fn churn(
    common: &Common,
    nodes: &[Connector],
    tokens: Vec<String>,
    args: &ConnectionsArgs,
) -> ConnectionsReport {
    let idle = Sample::take(common.server_pid);
    let until = Instant::now() + Duration::from_secs(args.duration);
    let loops = args.concurrency.max(1).min(tokens.len().max(1));
    let tokens = Arc::new(tokens);
    progress(
        common,
        format!("churning with {loops} loops for {} s", args.duration),
    );
    let workers = (0..loops).map(|w| {
        let tokens = tokens.clone();
        async move {
            let mut lat = Latency::new();
            let mut failures = Vec::new();
            let mut i = w;
            // Bounded by the deadline and by a count (a session per ms at most).
            let max = (args.duration as usize).saturating_mul(1000).max(1);
            for _ in 0..max {
                if Instant::now() >= until || tokens.is_empty() {
                    break;
                }
                let connector = &nodes[i % nodes.len()];
                match connector.open(&tokens[i % tokens.len()]).await {
                    Ok((mut ws, _, took)) => {
                        lat.record(took);
                        let _ = tokio::time::timeout(Duration::from_secs(5), ws.close(None)).await;
                        // Read to the server's close so the socket ends cleanly.
                        let _ = tokio::time::timeout(Duration::from_secs(1), async {
                            while let Some(Ok(_)) = ws.next().await {}
                        })
                        .await;
                    }
                    Err(e) => failures.push(format!("{e:#}")),
                }
                i += loops;
            }
            (lat, failures)
        }
    });
    let results: Vec<(Latency, Vec<String>)> = futures_util::future::join_all(workers).await;
    let done = Sample::take(common.server_pid);
    let mut connect = Latency::new();
    let mut failures = Vec::new();
    for (l, f) in &results {
        connect.merge(l);
        failures.extend(f.iter().cloned());
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    let closed = Sample::take(common.server_pid);
    let usage = Interval::between(&idle, &done);
    ConnectionsReport {
        mode: "churn",
        requested: tokens.len(),
        users: 0,
        succeeded: connect.count(),
        failed: failures.len() as u64,
        failure_kinds: summarize_failures(&failures),
        dropped_while_held: 0,
        connect: connect.summary(),
        connect_seconds: usage.wall_seconds,
        sessions_per_second: rate(connect.count(), usage.wall_seconds),
        rss_idle_kib: idle.server_rss_kib,
        rss_connected_kib: done.server_rss_kib,
        rss_per_session_kib: None,
        rss_after_close_kib: closed.server_rss_kib,
        connect_usage: usage,
        errors: 0,
    }
}
