//! `fanout`: R rooms × C members, every member connected through the
//! gateway, S senders per room sending M messages/s each for D seconds.
//!
//! Each body carries its send time from the bench's one monotonic clock, so
//! every receipt gives a send-to-delivery latency. After the sending window
//! the bench waits (`--drain`) until every send is acknowledged and every
//! expected delivery arrived, then counts per session and room which acked
//! seqs it saw: expected deliveries are acked messages × connected members.

use super::{Common, ensure_tokens, load, open_many, progress, summarize_failures};
use crate::check::{CheckTotals, SessionCheck, Verdict};
use crate::clock;
use crate::gateway::{Incoming, Ws, body_sent_ns, parse_incoming, send_op, stamped_body};
use crate::outcome_json;
use crate::report::{Outcome, Table, f};
use crate::stats::{Latency, LatencySummary, SharedLatency, rate};
use crate::sys::{Interval, Sample};
use futures_util::StreamExt;
use hearth_protocol::gateway::ClientOp;
use hearth_protocol::{MessageId, RoomId};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap, HashSet};
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
    pub ack_latency: LatencySummary,
    pub usage: Interval,
    pub deliveries_per_server_cpu_second: Option<f64>,
    pub errors: u64,
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
        .row("ack latency", self.ack_latency.line())
        .opt_row("server CPU s", u.server_cpu_seconds.map(|c| f(c, 2)))
        .opt_row(
            "deliveries / server CPU s",
            self.deliveries_per_server_cpu_second.map(|c| f(c, 0)),
        )
        .opt_row("bench CPU s", u.bench_cpu_seconds.map(|c| f(c, 2)))
        .opt_row(
            "server RSS KiB before / after",
            u.server_rss_after_kib
                .map(|a| format!("{} / {a}", u.server_rss_before_kib.unwrap_or(0))),
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

/// What every session task updates.
#[derive(Default)]
struct Shared {
    room_index: HashMap<RoomId, usize>,
    acked: Vec<AtomicU64>,
    acked_seqs: Vec<Mutex<Vec<i64>>>,
    /// seq → message id per room, from the first delivery or ack of it.
    ledger: Vec<Mutex<HashMap<i64, MessageId>>>,
    delivery: SharedLatency,
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
}

impl Shared {
    fn check_id(&self, room: usize, seq: i64, id: MessageId) {
        let mut l = match self.ledger[room].lock() {
            Ok(l) => l,
            Err(p) => p.into_inner(),
        };
        if *l.entry(seq).or_insert(id) != id {
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
    let users: Vec<usize> = participants.keys().copied().collect();
    let hold = Duration::from_secs(args.duration + args.drain + args.settle + 600);
    ensure_tokens(common, &api, &mut state, &users, hold).await?;
    let tokens: Vec<String> = users
        .iter()
        .map(|&u| state.users[u].access_token.clone().unwrap_or_default())
        .collect();

    let shared = Arc::new(Shared {
        room_index: rooms.iter().enumerate().map(|(i, r)| (r.id, i)).collect(),
        acked: rooms.iter().map(|_| AtomicU64::new(0)).collect(),
        acked_seqs: rooms.iter().map(|_| Mutex::new(Vec::new())).collect(),
        ledger: rooms.iter().map(|_| Mutex::new(HashMap::new())).collect(),
        ..Default::default()
    });
    let (phase_tx, phase_rx) = watch::channel(Phase::Waiting);
    let plan = SendPlan {
        run: clock::new_run_id().into(),
        rate: args.rate,
        pad: args.body_bytes,
        max_inflight: args.max_inflight.max(1),
    };
    let connector = super::connector(common, &api).await?;
    progress(common, format!("opening {} sessions", users.len()));
    let mut connect = Latency::new();
    let mut tasks = Vec::new();
    let mut audience = vec![0u64; rooms.len()];
    let connect_start = Sample::take(common.server_pid);
    let failures = open_many(common, &connector, tokens, |o| {
        connect.record(o.took);
        let (member_of, sends) = participants[&users[o.job]].clone();
        for &ri in &member_of {
            audience[ri] += 1;
        }
        let check = SessionCheck::from_ready(&o.ready);
        tasks.push((
            member_of,
            tokio::spawn(session(
                o.ws,
                check,
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
        format!("{} sessions open, {} failed", tasks.len(), failures.len()),
    );
    tokio::time::sleep(Duration::from_secs(args.settle)).await;

    let before = Sample::take(common.server_pid);
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
    let _ = phase_tx.send(Phase::Done);
    progress(common, "closing sessions");

    let mut report = FanoutReport {
        rooms: args.rooms,
        members_per_room: args.members,
        senders_per_room: args.senders.min(args.members),
        rate_per_sender: args.rate,
        duration_seconds: args.duration,
        sessions_requested: users.len(),
        sessions_open: tasks.len(),
        connect_failures: failures.len() as u64,
        connect_failure_kinds: summarize_failures(&failures),
        connect: connect.summary(),
        connect_usage,
        ..Default::default()
    };
    let acked_sets: Vec<HashSet<i64>> = shared
        .acked_seqs
        .iter()
        .map(|m| match m.lock() {
            Ok(v) => v.iter().copied().collect(),
            Err(p) => p.into_inner().iter().copied().collect(),
        })
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
            match check.rooms.get(&rooms[ri].id) {
                Some(track) => {
                    let seen_acked = acked.iter().filter(|&&s| track.has(s)).count() as u64;
                    report.lost += acked.len() as u64 - seen_acked;
                    report.unacked_deliveries += track.count() - seen_acked;
                }
                None => report.lost += acked.len() as u64,
            }
        }
    }
    let window = (shared
        .last_delivery_ns
        .load(Ordering::Relaxed)
        .saturating_sub(send_start)) as f64
        / 1e9;
    let ld = |a: &AtomicU64| a.load(Ordering::Relaxed);
    report.offered = ld(&shared.offered);
    report.skipped_backpressure = ld(&shared.skipped);
    report.acked = shared.acked.iter().map(ld).sum();
    report.send_errors = ld(&shared.send_errors);
    report.first_send_error = match shared.first_send_error.lock() {
        Ok(e) => e.clone(),
        Err(p) => p.into_inner().clone(),
    };
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
    report.ack_latency = shared.ack.summary();
    report.usage = Interval::between(&before, &after);
    report.deliveries_per_server_cpu_second = report
        .usage
        .server_cpu_seconds
        .filter(|&c| c > 0.0)
        .map(|c| report.delivered as f64 / c);
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
        + report.stale_acks;
    Ok(report)
}

/// One member's session: reads and checks everything, and sends if it is a
/// sender, until the phase is Done or the connection ends.
async fn session(
    mut ws: Ws,
    mut check: SessionCheck,
    sends: Vec<(usize, RoomId)>,
    sess: usize,
    shared: Arc<Shared>,
    mut phase: watch::Receiver<Phase>,
    plan: SendPlan,
) -> (SessionCheck, CheckTotals) {
    let mut totals = CheckTotals::default();
    let mut pending: HashMap<String, (usize, u64)> = HashMap::new();
    let mut counter = 0u64;
    let mut ping = keepalive();
    let period = if sends.is_empty() {
        Duration::from_secs(3600)
    } else {
        Duration::from_secs_f64(1.0 / (plan.rate * sends.len() as f64))
    };
    let mut tick = tokio::time::interval(period);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut send_until: Option<Instant> = None;
    loop {
        let sending = !sends.is_empty() && send_until.is_some_and(|u| Instant::now() < u);
        tokio::select! {
            msg = ws.next() => match msg {
                Some(Ok(WsMessage::Text(t))) => {
                    handle(&t, &mut check, &mut totals, &mut pending, &shared);
                }
                Some(Ok(WsMessage::Close(_))) | Some(Err(_)) | None => {
                    if *phase.borrow() != Phase::Done {
                        shared.disconnects.fetch_add(1, Ordering::Relaxed);
                    }
                    return (check, totals);
                }
                Some(Ok(_)) => {}
            },
            _ = tick.tick(), if sending => {
                // The tick may have fired before the deadline and be handled
                // after it: the drain must see every send it waits for.
                if send_until.is_none_or(|u| Instant::now() >= u) {
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
            changed = phase.changed() => {
                if changed.is_err() {
                    break;
                }
                match *phase.borrow_and_update() {
                    Phase::Sending(until) => send_until = Some(until),
                    Phase::Done => break,
                    Phase::Waiting => {}
                }
            }
        }
    }
    let _ = tokio::time::timeout(Duration::from_secs(2), ws.close(None)).await;
    (check, totals)
}

/// A client `ping` every 25 s: the server drops sessions silent for 75 s.
pub fn keepalive() -> tokio::time::Interval {
    let every = Duration::from_secs(25);
    let mut i = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
    i.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    i
}

fn handle(
    text: &str,
    check: &mut SessionCheck,
    totals: &mut CheckTotals,
    pending: &mut HashMap<String, (usize, u64)>,
    shared: &Shared,
) {
    match parse_incoming(text) {
        Incoming::Created(m) => {
            let verdict = check.observe(m.room_id, m.seq);
            totals.add(verdict);
            let Some(&ri) = shared.room_index.get(&m.room_id) else {
                shared.foreign.fetch_add(1, Ordering::Relaxed);
                return;
            };
            if matches!(verdict, Verdict::Fresh | Verdict::Reordered) {
                let now = clock::now_ns();
                shared.delivered.fetch_add(1, Ordering::Relaxed);
                shared.last_delivery_ns.fetch_max(now, Ordering::Relaxed);
                if let Some(sent) = body_sent_ns(&m.body) {
                    shared
                        .delivery
                        .record(Duration::from_nanos(now.saturating_sub(sent)));
                }
                shared.check_id(ri, m.seq, m.id);
            }
        }
        Incoming::Ack { nonce, message } => match pending.remove(nonce.as_ref()) {
            Some((ri, sent)) => {
                if check
                    .rooms
                    .get(&message.room_id)
                    .is_some_and(|t| message.seq <= t.base)
                {
                    shared.stale_acks.fetch_add(1, Ordering::Relaxed);
                }
                shared.ack.record(clock::since(sent));
                shared.acked[ri].fetch_add(1, Ordering::Relaxed);
                match shared.acked_seqs[ri].lock() {
                    Ok(mut v) => v.push(message.seq),
                    Err(p) => p.into_inner().push(message.seq),
                }
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
                if let Ok(mut first) = shared.first_send_error.lock() {
                    first.get_or_insert_with(|| format!("{code}: {message}"));
                }
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
