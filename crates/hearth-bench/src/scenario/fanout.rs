//! `fanout`: R rooms × C members, every member connected through the
//! gateway, S senders per room sending M messages/s each for D seconds.
//!
//! Each body carries its send time from the bench's one monotonic clock, so
//! every receipt gives a send-to-delivery latency. After the sending window
//! the bench waits (`--drain`) until every send is acknowledged and every
//! expected delivery arrived, then counts per session and room which acked
//! seqs it saw: expected deliveries are acked messages × connected members.
//!
//! With several `--url`s (a cluster), the senders connect to the first node
//! and the other members round-robin to all nodes, so deliveries to the
//! other nodes cross the broker: their latency is reported apart.
//!
//! `--slow-per-room K` makes the last K members of each room slow consumers:
//! they stop reading for `--slow-stall` seconds at a time (on sockets with a
//! small receive buffer), so the server cuts them off (close 4008, or drops
//! the socket) when their queue overflows; they then reconnect and stall
//! again. Those cuts are expected, counted apart, and slow consumers are not
//! part of the loss check.

use super::{Common, ensure_tokens, load, open_on, progress, summarize_failures};
use crate::check::{CheckTotals, SessionCheck, Verdict};
use crate::clock;
use crate::gateway::{
    Connector, Incoming, Ws, body_sent_ns, frame_tag, parse_incoming, send_op, stamped_body,
};
use crate::outcome_json;
use crate::report::{Outcome, Table, f};
use crate::stats::{Latency, LatencySummary, SharedLatency, rate};
use crate::sys::{Interval, RssSampler, RssSummary, Sample};
use futures_util::{FutureExt, StreamExt};
use hearth_protocol::gateway::ClientOp;
use hearth_protocol::{MessageId, RoomId};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::watch;
use tokio_tungstenite::tungstenite::Message as WsMessage;

#[derive(Clone, Debug, clap::Args)]
pub struct FanoutArgs {
    /// Rooms in the test
    #[arg(long, default_value_t = 10)]
    pub rooms: usize,
    /// Members per room, each with one gateway session
    #[arg(long, default_value_t = 50)]
    pub members: usize,
    /// Senders per room (its first S members)
    #[arg(long, default_value_t = 1)]
    pub senders: usize,
    /// Messages per second per sender
    #[arg(long, default_value_t = 5.0)]
    pub rate: f64,
    /// Seconds of sending
    #[arg(long, default_value_t = 10)]
    pub duration: u64,
    /// Seconds to wait after sending for the last acks and deliveries
    #[arg(long, default_value_t = 15)]
    pub drain: u64,
    /// Seconds to wait between the last connect and the first send (presence settles)
    #[arg(long, default_value_t = 2)]
    pub settle: u64,
    /// Padding added to each message body, in bytes
    #[arg(long, default_value_t = 64)]
    pub body_bytes: usize,
    /// Unacknowledged sends a sender may have; beyond it a tick is skipped
    #[arg(long, default_value_t = 256)]
    pub max_inflight: usize,
    /// Slow consumers per room (its last members, never senders): they stop
    /// reading, get cut off by the server, reconnect, and stop again
    #[arg(long, default_value_t = 0)]
    pub slow_per_room: usize,
    /// Seconds a slow consumer stops reading before it looks whether it was cut off
    /// (the server only cuts once its socket send buffer, up to 4 MiB, and its queue are full)
    #[arg(long, default_value_t = 5.0)]
    pub slow_stall: f64,
    /// Socket receive buffer of slow consumers, bytes
    #[arg(long, default_value_t = 4096)]
    pub slow_recv_buffer: u32,
}

#[derive(Debug, Default, Serialize)]
pub struct FanoutReport {
    pub rooms: usize,
    pub members_per_room: usize,
    pub senders_per_room: usize,
    pub rate_per_sender: f64,
    pub duration_seconds: u64,
    pub sessions_requested: usize,
    pub sessions_open: usize,
    pub connect_failures: u64,
    pub connect_failure_kinds: Vec<(String, u64)>,
    pub connect: LatencySummary,
    /// Opening every session: wall time and the server's CPU and RSS.
    pub connect_usage: Interval,
    pub offered: u64,
    pub skipped_backpressure: u64,
    pub acked: u64,
    pub send_errors: u64,
    pub first_send_error: Option<String>,
    pub acks_missing: u64,
    pub expected_deliveries: u64,
    pub delivered: u64,
    pub lost: u64,
    pub duplicates: u64,
    pub wrong_room: u64,
    pub id_mismatch: u64,
    pub reordered: u64,
    pub before_snapshot: u64,
    pub unacked_deliveries: u64,
    /// Acks carrying a message from before this run (a reused nonce).
    pub stale_acks: u64,
    pub foreign_deliveries: u64,
    pub disconnects: u64,
    pub error_events: u64,
    pub garbled: u64,
    pub window_seconds: f64,
    pub deliveries_per_second: f64,
    pub delivery_latency: LatencySummary,
    /// Nodes the sessions were spread over (`--url`s).
    pub nodes: usize,
    /// Deliveries to sessions on the senders' node (the first `--url`).
    pub delivery_latency_sender_node: LatencySummary,
    /// Deliveries to sessions on the other nodes: across the broker.
    pub delivery_latency_other_nodes: LatencySummary,
    pub ack_latency: LatencySummary,
    pub usage: Interval,
    pub deliveries_per_server_cpu_second: Option<f64>,
    /// The bench's own CPU per delivery received, microseconds.
    pub bench_cpu_us_per_delivery: Option<f64>,
    /// The server's RSS every second from the first send to the end of the drain.
    pub rss: RssSummary,
    pub slow: SlowReport,
    pub errors: u64,
}

/// What the slow consumers saw. Cut-offs are expected, not errors.
#[derive(Debug, Default, Serialize)]
pub struct SlowReport {
    pub sessions: usize,
    /// Closed by the server with 4008.
    pub cut_off_4008: u64,
    /// Closed otherwise, or the socket dropped (the server gives up on a
    /// client that does not read even the close frame).
    pub cut_off_other: u64,
    /// Stalls after which the session was still open.
    pub not_cut_off: u64,
    pub reconnects: u64,
    pub reconnect_failures: u64,
    /// Messages slow consumers read (not part of the loss check).
    pub deliveries: u64,
}

impl Outcome for FanoutReport {
    outcome_json!("fanout");

    fn table(&self) -> Table {
        let u = &self.usage;
        Table::new(format!(
            "fanout: {} rooms x {} members, {} sender(s)/room at {}/s for {} s",
            self.rooms,
            self.members_per_room,
            self.senders_per_room,
            self.rate_per_sender,
            self.duration_seconds
        ))
        .row(
            "sessions open / requested",
            format!("{} / {}", self.sessions_open, self.sessions_requested),
        )
        .row("connect (upgrade+auth+ready)", self.connect.line())
        .row(
            "connect phase s (server CPU s)",
            format!(
                "{} ({})",
                f(self.connect_usage.wall_seconds, 1),
                self.connect_usage
                    .server_cpu_seconds
                    .map_or("-".into(), |c| f(c, 1))
            ),
        )
        .row(
            "offered / acked",
            format!("{} / {}", self.offered, self.acked),
        )
        .row("skipped (max in-flight)", self.skipped_backpressure)
        .row(
            "send errors / acks missing",
            format!("{} / {}", self.send_errors, self.acks_missing),
        )
        .row(
            "expected / delivered",
            format!("{} / {}", self.expected_deliveries, self.delivered),
        )
        .row(
            "lost / duplicates / wrong room",
            format!("{} / {} / {}", self.lost, self.duplicates, self.wrong_room),
        )
        .row("reordered (allowed)", self.reordered)
        .row("deliveries/s", f(self.deliveries_per_second, 0))
        .row("delivery latency", self.delivery_latency.line())
        .opt_row(
            "  on the senders' node",
            (self.nodes > 1).then(|| self.delivery_latency_sender_node.line()),
        )
        .opt_row(
            "  on other nodes (broker hop)",
            (self.nodes > 1).then(|| self.delivery_latency_other_nodes.line()),
        )
        .row("ack latency", self.ack_latency.line())
        .opt_row("server CPU s", u.server_cpu_seconds.map(|c| f(c, 2)))
        .opt_row(
            "deliveries / server CPU s",
            self.deliveries_per_server_cpu_second.map(|c| f(c, 0)),
        )
        .opt_row("bench CPU s", u.bench_cpu_seconds.map(|c| f(c, 2)))
        .opt_row(
            "bench CPU us / delivery",
            self.bench_cpu_us_per_delivery.map(|c| f(c, 2)),
        )
        .opt_row(
            "server RSS (every 1 s)",
            (self.rss.samples > 0).then(|| self.rss.line()),
        )
        .opt_row(
            "slow: cut 4008 / other / not cut",
            (self.slow.sessions > 0).then(|| {
                format!(
                    "{} / {} / {} ({} sessions, {} reconnects, {} failed)",
                    self.slow.cut_off_4008,
                    self.slow.cut_off_other,
                    self.slow.not_cut_off,
                    self.slow.sessions,
                    self.slow.reconnects,
                    self.slow.reconnect_failures
                )
            }),
        )
        .row(
            "disconnects / error events",
            format!("{} / {}", self.disconnects, self.error_events),
        )
        .row("errors", self.errors)
    }

    fn errors(&self) -> u64 {
        self.errors
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Phase {
    Waiting,
    Sending(Instant),
    Done,
}

/// Hashes a room seq by a multiply: the ledger is hit on every delivery and
/// SipHash is needlessly slow for trusted integer keys.
#[derive(Default)]
struct SeqHasher(u64);

impl Hasher for SeqHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }
    fn write_i64(&mut self, n: i64) {
        self.0 = (n as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

type Ledger = HashMap<i64, MessageId, BuildHasherDefault<SeqHasher>>;

/// What every session task updates.
#[derive(Default)]
struct Shared {
    acked: Vec<AtomicU64>,
    acked_seqs: Vec<Mutex<Vec<i64>>>,
    /// seq → message id per room, from the first delivery or ack of it.
    ledger: Vec<Mutex<Ledger>>,
    delivery: SharedLatency,
    delivery_sender_node: SharedLatency,
    delivery_other_nodes: SharedLatency,
    ack: SharedLatency,
    offered: AtomicU64,
    skipped: AtomicU64,
    send_errors: AtomicU64,
    first_send_error: Mutex<Option<String>>,
    error_events: AtomicU64,
    id_mismatch: AtomicU64,
    garbled: AtomicU64,
    foreign: AtomicU64,
    unexpected_acks: AtomicU64,
    /// Acks of messages older than the session's snapshot: a reused nonce.
    stale_acks: AtomicU64,
    disconnects: AtomicU64,
    in_flight: AtomicI64,
    delivered: AtomicU64,
    last_delivery_ns: AtomicU64,
    slow_cut_4008: AtomicU64,
    slow_cut_other: AtomicU64,
    slow_not_cut: AtomicU64,
    slow_reconnects: AtomicU64,
    slow_reconnect_failures: AtomicU64,
    slow_deliveries: AtomicU64,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    match m.lock() {
        Ok(g) => g,
        Err(p) => p.into_inner(),
    }
}

impl Shared {
    fn check_id(&self, room: usize, seq: i64, id: MessageId) {
        if *lock(&self.ledger[room]).entry(seq).or_insert(id) != id {
            self.id_mismatch.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// A participant's part: the rooms (indices) it is in, and the rooms it sends to.
type Role = (Vec<usize>, Vec<(usize, RoomId)>);

#[derive(Clone)]
struct SendPlan {
    /// Put in every nonce, see [`clock::new_run_id`].
    run: Arc<str>,
    rate: f64,
    pad: usize,
    max_inflight: usize,
}

/// Where each participant's session goes: senders on the first node, the
/// others round-robin over all nodes. Returns the node of each participant.
fn place(is_sender: &[bool], nodes: usize) -> Vec<usize> {
    let nodes = nodes.max(1);
    let mut next = 0usize;
    is_sender
        .iter()
        .map(|&s| {
            if s {
                0
            } else {
                next += 1;
                (next - 1) % nodes
            }
        })
        .collect()
}

/// The slow consumers: the last `k` members of each room that are not
/// senders (a member sending anywhere is never slow).
fn slow_members(rooms: &[Vec<usize>], senders: usize, k: usize) -> BTreeSet<usize> {
    let sending: BTreeSet<usize> = rooms
        .iter()
        .flat_map(|m| m.iter().take(senders).copied())
        .collect();
    let mut out = BTreeSet::new();
    for members in rooms {
        let candidates = members.iter().skip(senders).rev();
        out.extend(candidates.filter(|u| !sending.contains(u)).take(k).copied());
    }
    out
}

pub async fn run(common: &Common, args: &FanoutArgs) -> anyhow::Result<FanoutReport> {
    anyhow::ensure!(
        args.rooms >= 1 && args.members >= 1,
        "need at least one room and member"
    );
    anyhow::ensure!(args.rate > 0.0, "--rate must be positive");
    let (api, mut state) = load(common)?;
    let layout =
        super::setup::ensure_layout(common, &api, &mut state, args.rooms, args.members).await?;
    let rooms = &layout.rooms[..args.rooms];
    // user index → (rooms it is in, rooms it sends to)
    let mut participants: BTreeMap<usize, Role> = BTreeMap::new();
    for (ri, room) in rooms.iter().enumerate() {
        for (pos, &u) in room.members.iter().enumerate() {
            let entry = participants.entry(u).or_default();
            entry.0.push(ri);
            if pos < args.senders {
                entry.1.push((ri, room.id));
            }
        }
    }
    let slow = slow_members(
        &rooms.iter().map(|r| r.members.clone()).collect::<Vec<_>>(),
        args.senders,
        args.slow_per_room,
    );
    let users: Vec<usize> = participants.keys().copied().collect();
    let hold = Duration::from_secs(args.duration + args.drain + args.settle + 600);
    ensure_tokens(common, &api, &mut state, &users, hold).await?;
    let tokens: Vec<String> = users
        .iter()
        .map(|&u| state.users[u].access_token.clone().unwrap_or_default())
        .collect();
    let nodes = Arc::new(super::connectors(common).await?);
    let is_sender: Vec<bool> = users
        .iter()
        .map(|u| !participants[u].1.is_empty())
        .collect();
    let placement = place(&is_sender, nodes.len());
    let jobs: Vec<(usize, String, Option<u32>)> = placement
        .iter()
        .zip(&users)
        .zip(&tokens)
        .map(|((&node, u), t)| {
            let rcv = slow.contains(u).then_some(args.slow_recv_buffer);
            (node, t.clone(), rcv)
        })
        .collect();

    let shared = Arc::new(Shared {
        acked: rooms.iter().map(|_| AtomicU64::new(0)).collect(),
        acked_seqs: rooms.iter().map(|_| Mutex::new(Vec::new())).collect(),
        ledger: rooms
            .iter()
            .map(|_| Mutex::new(Ledger::default()))
            .collect(),
        ..Default::default()
    });
    let (phase_tx, phase_rx) = watch::channel(Phase::Waiting);
    let plan = SendPlan {
        run: clock::new_run_id().into(),
        rate: args.rate,
        pad: args.body_bytes,
        max_inflight: args.max_inflight.max(1),
    };
    progress(
        common,
        format!(
            "opening {} sessions on {} node(s), {} slow",
            users.len(),
            nodes.len(),
            slow.len()
        ),
    );
    let mut connect = Latency::new();
    let mut tasks = Vec::new();
    let mut slow_tasks = Vec::new();
    let mut audience = vec![0u64; rooms.len()];
    let room_ids: Arc<[(RoomId, usize)]> =
        rooms.iter().enumerate().map(|(i, r)| (r.id, i)).collect();
    let connect_start = Sample::take(common.server_pid);
    let failures = open_on(common, &nodes, jobs, |o| {
        connect.record(o.took);
        let user = users[o.job];
        let (member_of, sends) = participants[&user].clone();
        if slow.contains(&user) {
            slow_tasks.push(tokio::spawn(slow_session(
                o.ws,
                SlowPlan {
                    nodes: nodes.clone(),
                    node: o.node,
                    token: tokens[o.job].clone(),
                    stall: Duration::from_secs_f64(args.slow_stall.max(0.1)),
                    recv_buffer: args.slow_recv_buffer,
                },
                shared.clone(),
                phase_rx.clone(),
            )));
            return;
        }
        for &ri in &member_of {
            audience[ri] += 1;
        }
        let check = SessionCheck::from_ready(&o.ready);
        tasks.push((
            member_of,
            tokio::spawn(session(
                o.ws,
                check,
                Where {
                    rooms: room_ids.clone(),
                    sender_node: o.node == 0,
                    nodes: nodes.len(),
                },
                sends,
                o.job,
                shared.clone(),
                phase_rx.clone(),
                plan.clone(),
            )),
        ));
    })
    .await;
    let connect_usage = Interval::between(&connect_start, &Sample::take(common.server_pid));
    progress(
        common,
        format!(
            "{} sessions open, {} failed",
            tasks.len() + slow_tasks.len(),
            failures.len()
        ),
    );
    tokio::time::sleep(Duration::from_secs(args.settle)).await;

    let before = Sample::take(common.server_pid);
    let rss = RssSampler::start(common.server_pid, Duration::from_secs(1));
    let send_start = clock::now_ns();
    let until = Instant::now() + Duration::from_secs(args.duration);
    let _ = phase_tx.send(Phase::Sending(until));
    progress(common, format!("sending for {} s", args.duration));
    tokio::time::sleep_until(until.into()).await;
    let drain_until = Instant::now() + Duration::from_secs(args.drain);
    let expected = || -> u64 {
        shared
            .acked
            .iter()
            .zip(&audience)
            .map(|(a, n)| a.load(Ordering::Relaxed) * n)
            .sum()
    };
    while Instant::now() < drain_until {
        if shared.in_flight.load(Ordering::Relaxed) <= 0
            && shared.delivered.load(Ordering::Relaxed) >= expected()
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let after = Sample::take(common.server_pid);
    let rss = match rss {
        Some(r) => r.finish(common.server_pid).await,
        None => RssSummary::default(),
    };
    let _ = phase_tx.send(Phase::Done);
    progress(common, "closing sessions");

    let mut report = FanoutReport {
        rooms: args.rooms,
        members_per_room: args.members,
        senders_per_room: args.senders.min(args.members),
        rate_per_sender: args.rate,
        duration_seconds: args.duration,
        sessions_requested: users.len(),
        sessions_open: tasks.len() + slow_tasks.len(),
        connect_failures: failures.len() as u64,
        connect_failure_kinds: summarize_failures(&failures),
        connect: connect.summary(),
        connect_usage,
        nodes: nodes.len(),
        rss,
        ..Default::default()
    };
    let acked_sets: Vec<HashSet<i64>> = shared
        .acked_seqs
        .iter()
        .map(|m| lock(m).iter().copied().collect())
        .collect();
    let mut totals = CheckTotals::default();
    let results = futures_util::stream::iter(tasks.into_iter().map(|(member_of, t)| async move {
        (
            member_of,
            tokio::time::timeout(Duration::from_secs(10), t).await,
        )
    }))
    .buffer_unordered(1024)
    .collect::<Vec<_>>()
    .await;
    for (member_of, r) in results {
        let Ok(Ok((check, t))) = r else {
            report.disconnects += 1;
            continue;
        };
        totals.merge(&t);
        for ri in member_of {
            let acked = &acked_sets[ri];
            match check.room(&rooms[ri].id) {
                Some(track) => {
                    let seen_acked = acked.iter().filter(|&&s| track.has(s)).count() as u64;
                    report.lost += acked.len() as u64 - seen_acked;
                    report.unacked_deliveries += track.count() - seen_acked;
                }
                None => report.lost += acked.len() as u64,
            }
        }
    }
    report.slow.sessions = slow_tasks.len();
    for t in slow_tasks {
        let _ = tokio::time::timeout(Duration::from_secs(15), t).await;
    }
    let window = (shared
        .last_delivery_ns
        .load(Ordering::Relaxed)
        .saturating_sub(send_start)) as f64
        / 1e9;
    let ld = |a: &AtomicU64| a.load(Ordering::Relaxed);
    report.slow.cut_off_4008 = ld(&shared.slow_cut_4008);
    report.slow.cut_off_other = ld(&shared.slow_cut_other);
    report.slow.not_cut_off = ld(&shared.slow_not_cut);
    report.slow.reconnects = ld(&shared.slow_reconnects);
    report.slow.reconnect_failures = ld(&shared.slow_reconnect_failures);
    report.slow.deliveries = ld(&shared.slow_deliveries);
    report.offered = ld(&shared.offered);
    report.skipped_backpressure = ld(&shared.skipped);
    report.acked = shared.acked.iter().map(ld).sum();
    report.send_errors = ld(&shared.send_errors);
    report.first_send_error = lock(&shared.first_send_error).clone();
    report.acks_missing = shared.in_flight.load(Ordering::Relaxed).max(0) as u64;
    report.expected_deliveries = expected();
    report.delivered = totals.delivered;
    report.duplicates = totals.duplicates;
    report.wrong_room = totals.wrong_room;
    report.reordered = totals.reordered;
    report.before_snapshot = totals.before_snapshot;
    report.id_mismatch = ld(&shared.id_mismatch);
    report.foreign_deliveries = ld(&shared.foreign);
    report.stale_acks = ld(&shared.stale_acks);
    report.disconnects += ld(&shared.disconnects);
    report.error_events = ld(&shared.error_events) + ld(&shared.unexpected_acks);
    report.garbled = ld(&shared.garbled);
    report.window_seconds = window;
    report.deliveries_per_second = rate(report.delivered, window);
    report.delivery_latency = shared.delivery.summary();
    report.delivery_latency_sender_node = shared.delivery_sender_node.summary();
    report.delivery_latency_other_nodes = shared.delivery_other_nodes.summary();
    report.ack_latency = shared.ack.summary();
    report.usage = Interval::between(&before, &after);
    report.deliveries_per_server_cpu_second = report
        .usage
        .server_cpu_seconds
        .filter(|&c| c > 0.0)
        .map(|c| report.delivered as f64 / c);
    report.bench_cpu_us_per_delivery = report
        .usage
        .bench_cpu_seconds
        .filter(|_| report.delivered > 0)
        .map(|c| c * 1e6 / report.delivered as f64);
    report.errors = report.connect_failures
        + report.send_errors
        + report.acks_missing
        + report.lost
        + report.duplicates
        + report.wrong_room
        + report.id_mismatch
        + report.disconnects
        + report.error_events
        + report.garbled
        + report.stale_acks
        + report.slow.reconnect_failures;
    Ok(report)
}

/// Where a session is: the test's rooms (id → index) and its node.
struct Where {
    rooms: Arc<[(RoomId, usize)]>,
    /// On the first node, where the senders are.
    sender_node: bool,
    nodes: usize,
}

impl Where {
    fn room_index(&self, id: &RoomId) -> Option<usize> {
        self.rooms.iter().find(|(r, _)| r == id).map(|&(_, i)| i)
    }
}

/// Deliveries a session read in one wake-up, handed to [`Shared`] at once
/// (one lock per histogram per batch, not per frame).
#[derive(Default)]
struct Batch {
    delivered: u64,
    /// Send-to-receipt latencies, nanoseconds.
    latencies: Vec<u64>,
    /// (room index, seq, id) to check against the ledger.
    ids: Vec<(usize, i64, MessageId)>,
}

impl Batch {
    fn flush(&mut self, shared: &Shared, at: &Where, now: u64) {
        if self.delivered > 0 {
            shared
                .delivered
                .fetch_add(self.delivered, Ordering::Relaxed);
            shared.last_delivery_ns.fetch_max(now, Ordering::Relaxed);
            self.delivered = 0;
        }
        if !self.latencies.is_empty() {
            let by_node = if at.nodes <= 1 {
                None
            } else if at.sender_node {
                Some(&shared.delivery_sender_node)
            } else {
                Some(&shared.delivery_other_nodes)
            };
            shared.delivery.record_all_ns(&self.latencies);
            if let Some(h) = by_node {
                h.record_all_ns(&self.latencies);
            }
            self.latencies.clear();
        }
        let mut i = 0;
        while i < self.ids.len() {
            let ri = self.ids[i].0;
            let mut ledger = lock(&shared.ledger[ri]);
            while i < self.ids.len() && self.ids[i].0 == ri {
                let (_, seq, id) = self.ids[i];
                if *ledger.entry(seq).or_insert(id) != id {
                    shared.id_mismatch.fetch_add(1, Ordering::Relaxed);
                }
                i += 1;
            }
        }
        self.ids.clear();
    }
}

/// Frames one wake-up reads at most before it lets the other branches run.
const DRAIN_MAX: usize = 256;

/// What to do after a frame.
enum Flow {
    Go,
    /// The connection ended.
    Closed,
}

/// One member's session: reads and checks everything, and sends if it is a
/// sender, until the phase is Done or the connection ends.
#[allow(clippy::too_many_arguments)]
async fn session(
    mut ws: Ws,
    mut check: SessionCheck,
    at: Where,
    sends: Vec<(usize, RoomId)>,
    sess: usize,
    shared: Arc<Shared>,
    phase: watch::Receiver<Phase>,
    plan: SendPlan,
) -> (SessionCheck, CheckTotals) {
    let mut totals = CheckTotals::default();
    let mut pending: HashMap<String, (usize, u64)> = HashMap::new();
    let mut batch = Batch::default();
    let mut counter = 0u64;
    let mut ping = keepalive();
    let period = if sends.is_empty() {
        Duration::from_secs(3600)
    } else {
        Duration::from_secs_f64(1.0 / (plan.rate * sends.len() as f64))
    };
    // Each sender starts at a random point of its period: senders that all
    // ticked together would offer the server synchronised bursts (every
    // room's message at the same instant), which no real audience does.
    let offset = period.mul_f64(rand::random::<f64>());
    let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + offset, period);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut send_until: Option<Instant> = None;
    let mut sending = false;
    // The phase as a stream whose pending `changed()` lives across loop
    // turns: re-creating it on every frame registered and unregistered a
    // waiter on the watch each time (2% of the bench's CPU).
    let mut phases = Box::pin(futures_util::stream::unfold(
        phase.clone(),
        |mut rx| async move {
            rx.changed().await.ok()?;
            let p = *rx.borrow_and_update();
            Some((p, rx))
        },
    ));
    loop {
        tokio::select! {
            biased;
            msg = ws.next() => {
                // Everything already buffered is read in this one wake-up,
                // with one clock reading (the frames arrived together).
                let now = clock::now_ns();
                let mut flow = frame(msg, now, &mut check, &mut totals, &mut pending, &shared, &at, &mut batch);
                let mut n = 1;
                while matches!(flow, Flow::Go) && n < DRAIN_MAX {
                    let Some(msg) = ws.next().now_or_never() else { break };
                    flow = frame(msg, now, &mut check, &mut totals, &mut pending, &shared, &at, &mut batch);
                    n += 1;
                }
                batch.flush(&shared, &at, now);
                if matches!(flow, Flow::Closed) {
                    if *phase.borrow() != Phase::Done {
                        shared.disconnects.fetch_add(1, Ordering::Relaxed);
                    }
                    return (check, totals);
                }
            },
            changed = phases.next() => {
                match changed {
                    None | Some(Phase::Done) => break,
                    Some(Phase::Sending(until)) => {
                        send_until = Some(until);
                        sending = !sends.is_empty();
                    }
                    Some(Phase::Waiting) => {}
                }
            }
            _ = tick.tick(), if sending => {
                // The tick may have fired before the deadline and be handled
                // after it: the drain must see every send it waits for.
                if send_until.is_none_or(|u| Instant::now() >= u) {
                    sending = false;
                    continue;
                }
                if pending.len() >= plan.max_inflight {
                    shared.skipped.fetch_add(1, Ordering::Relaxed);
                    continue;
                }
                let (ri, room_id) = sends[counter as usize % sends.len()];
                counter += 1;
                let nonce = format!("f{}-{sess}-{counter}", plan.run);
                let now = clock::now_ns();
                let op = ClientOp::Send {
                    room_id,
                    body: stamped_body(now, &nonce, plan.pad),
                    nonce: nonce.clone(),
                    reply_to: None,
                    attachments: Vec::new(),
                    anonymous: false,
                };
                pending.insert(nonce, (ri, now));
                shared.offered.fetch_add(1, Ordering::Relaxed);
                shared.in_flight.fetch_add(1, Ordering::Relaxed);
                if send_op(&mut ws, &op).await.is_err() {
                    shared.disconnects.fetch_add(1, Ordering::Relaxed);
                    return (check, totals);
                }
            }
            _ = ping.tick() => {
                if send_op(&mut ws, &ClientOp::Ping { n: None }).await.is_err() {
                    shared.disconnects.fetch_add(1, Ordering::Relaxed);
                    return (check, totals);
                }
            }
        }
    }
    let _ = tokio::time::timeout(Duration::from_secs(2), ws.close(None)).await;
    (check, totals)
}

/// One item of the gateway stream.
#[allow(clippy::too_many_arguments)]
fn frame(
    msg: Option<Result<WsMessage, tokio_tungstenite::tungstenite::Error>>,
    now: u64,
    check: &mut SessionCheck,
    totals: &mut CheckTotals,
    pending: &mut HashMap<String, (usize, u64)>,
    shared: &Shared,
    at: &Where,
    batch: &mut Batch,
) -> Flow {
    match msg {
        Some(Ok(WsMessage::Text(t))) => {
            handle(&t, now, check, totals, pending, shared, at, batch);
            Flow::Go
        }
        Some(Ok(WsMessage::Close(_))) | Some(Err(_)) | None => Flow::Closed,
        Some(Ok(_)) => Flow::Go,
    }
}

/// A client `ping` every 25 s: the server drops sessions silent for 75 s.
pub fn keepalive() -> tokio::time::Interval {
    let every = Duration::from_secs(25);
    let mut i = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
    i.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    i
}

#[allow(clippy::too_many_arguments)]
fn handle(
    text: &str,
    now: u64,
    check: &mut SessionCheck,
    totals: &mut CheckTotals,
    pending: &mut HashMap<String, (usize, u64)>,
    shared: &Shared,
    at: &Where,
    batch: &mut Batch,
) {
    match parse_incoming(text) {
        Incoming::Created(m) => {
            let verdict = check.observe(m.room_id, m.seq);
            totals.add(verdict);
            let Some(ri) = at.room_index(&m.room_id) else {
                shared.foreign.fetch_add(1, Ordering::Relaxed);
                return;
            };
            if matches!(verdict, Verdict::Fresh | Verdict::Reordered) {
                batch.delivered += 1;
                if let Some(sent) = body_sent_ns(&m.body) {
                    batch.latencies.push(now.saturating_sub(sent));
                }
                batch.ids.push((ri, m.seq, m.id));
            }
        }
        Incoming::Ack { nonce, message } => match pending.remove(nonce.as_ref()) {
            Some((ri, sent)) => {
                if check
                    .room(&message.room_id)
                    .is_some_and(|t| message.seq <= t.base)
                {
                    shared.stale_acks.fetch_add(1, Ordering::Relaxed);
                }
                shared.ack.record(clock::since(sent));
                shared.acked[ri].fetch_add(1, Ordering::Relaxed);
                lock(&shared.acked_seqs[ri]).push(message.seq);
                shared.check_id(ri, message.seq, message.id);
                shared.in_flight.fetch_sub(1, Ordering::Relaxed);
            }
            None => {
                shared.unexpected_acks.fetch_add(1, Ordering::Relaxed);
            }
        },
        Incoming::Error {
            code,
            message,
            nonce,
        } => {
            if let Some(n) = nonce
                && pending.remove(n.as_ref()).is_some()
            {
                shared.send_errors.fetch_add(1, Ordering::Relaxed);
                shared.in_flight.fetch_sub(1, Ordering::Relaxed);
                lock(&shared.first_send_error).get_or_insert_with(|| format!("{code}: {message}"));
            } else {
                shared.error_events.fetch_add(1, Ordering::Relaxed);
            }
        }
        Incoming::Other(_) => {}
        Incoming::Garbled => {
            shared.garbled.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// How a slow consumer reconnects.
struct SlowPlan {
    nodes: Arc<Vec<Connector>>,
    node: usize,
    token: String,
    stall: Duration,
    recv_buffer: u32,
}

/// How a slow consumer's catch-up read ended.
#[derive(Debug, PartialEq)]
enum SlowEnd {
    /// Still open: nothing came for a second.
    Open,
    Closed(Option<u16>),
    Dropped,
}

/// A slow consumer: from the first send on, it stops reading for
/// `stall`, then reads what is there. Cut off → reconnect and stall again.
async fn slow_session(
    ws: Ws,
    plan: SlowPlan,
    shared: Arc<Shared>,
    mut phase: watch::Receiver<Phase>,
) {
    let mut ws = Some(ws);
    // Wait for the sending phase without reading.
    while matches!(*phase.borrow_and_update(), Phase::Waiting) {
        if phase.changed().await.is_err() {
            return;
        }
    }
    loop {
        let done = matches!(*phase.borrow(), Phase::Done);
        if !done {
            let _ = tokio::time::timeout(plan.stall, async {
                while !matches!(*phase.borrow_and_update(), Phase::Done) {
                    if phase.changed().await.is_err() {
                        return;
                    }
                }
            })
            .await;
        }
        let Some(mut s) = ws.take() else {
            return;
        };
        let end = slow_read(&mut s, &shared).await;
        match end {
            SlowEnd::Open => {
                shared.slow_not_cut.fetch_add(1, Ordering::Relaxed);
                ws = Some(s);
            }
            SlowEnd::Closed(Some(4008)) => {
                shared.slow_cut_4008.fetch_add(1, Ordering::Relaxed);
            }
            SlowEnd::Closed(_) | SlowEnd::Dropped => {
                shared.slow_cut_other.fetch_add(1, Ordering::Relaxed);
            }
        }
        if matches!(*phase.borrow(), Phase::Done) {
            if let Some(mut s) = ws {
                let _ = tokio::time::timeout(Duration::from_secs(2), s.close(None)).await;
            }
            return;
        }
        if ws.is_none() {
            let connector = &plan.nodes[plan.node % plan.nodes.len()];
            match connector
                .open_with(&plan.token, Some(plan.recv_buffer))
                .await
            {
                Ok((s, _, _)) => {
                    shared.slow_reconnects.fetch_add(1, Ordering::Relaxed);
                    ws = Some(s);
                }
                Err(_) => {
                    shared
                        .slow_reconnect_failures
                        .fetch_add(1, Ordering::Relaxed);
                    return;
                }
            }
        }
    }
}

/// Reads until the connection ends or nothing comes for a second (at most 20 s).
async fn slow_read(ws: &mut Ws, shared: &Shared) -> SlowEnd {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    let mut read = 0u64;
    let end = loop {
        let quiet = tokio::time::Instant::now() + Duration::from_secs(1);
        match tokio::time::timeout_at(quiet.min(deadline), ws.next()).await {
            Err(_) => break SlowEnd::Open,
            Ok(Some(Ok(WsMessage::Text(t)))) => {
                if frame_tag(&t) == Some("message.created") {
                    read += 1;
                }
            }
            Ok(Some(Ok(WsMessage::Close(f)))) => {
                break SlowEnd::Closed(f.map(|f| u16::from(f.code)));
            }
            Ok(Some(Ok(_))) => {}
            Ok(Some(Err(_))) | Ok(None) => break SlowEnd::Dropped,
        }
    };
    shared.slow_deliveries.fetch_add(read, Ordering::Relaxed);
    end
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn senders_go_to_the_first_node_and_the_rest_round_robin() {
        assert_eq!(
            place(&[true, false, false, true, false, false], 2),
            vec![0, 0, 1, 0, 0, 1]
        );
        assert_eq!(place(&[false, false, true], 1), vec![0, 0, 0]);
    }

    #[test]
    fn slow_consumers_are_the_last_members_and_never_senders() {
        let rooms = vec![vec![0, 1, 2, 3], vec![3, 4, 5, 6]];
        // Senders: 0 and 3 (first of each room). User 3 is last in room 0.
        assert_eq!(slow_members(&rooms, 1, 1), BTreeSet::from([2, 6]));
        assert_eq!(slow_members(&rooms, 1, 0), BTreeSet::new());
        assert_eq!(slow_members(&rooms, 4, 2), BTreeSet::new());
    }

    #[test]
    fn the_seq_hasher_spreads_keys() {
        let mut l = Ledger::default();
        for s in 0..1000 {
            l.insert(s, MessageId::new());
        }
        assert_eq!(l.len(), 1000);
    }
}
