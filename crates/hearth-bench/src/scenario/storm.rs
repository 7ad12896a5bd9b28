//! `storm`: a reconnect storm. Every member of `--rooms` rooms holds one
//! gateway session; then all of them are cut at once — by `--restart-cmd`
//! (e.g. a server restart), or without it by the bench dropping its own
//! sockets (a network loss). While they are away, the first member of each
//! room posts `--messages` messages through REST (retried with the same nonce
//! until the server answers). Each client waits a random jitter, reconnects
//! (capped exponential backoff with jitter on failure), re-authenticates,
//! and catches up the way docs/protocol.md ("Catching up") says: per room,
//! `GET messages?after=S` from S, the highest seq up to which it holds
//! everything, then live events. A client is back and caught up when S has
//! reached the last posted seq in every room it is in.
//!
//! Reported: the time from the cut to the last client back and caught up,
//! per-client p50/p99, connect attempts and failures, and how the posted
//! messages reached the clients (catch-up fetch or live).

use super::{Common, ensure_tokens, load, open_many, progress, summarize_failures};
use crate::api::Api;
use crate::check::{CheckTotals, SessionCheck};
use crate::clock;
use crate::gateway::{Connector, Incoming, Ws, parse_incoming, send_op};
use crate::outcome_json;
use crate::report::{Outcome, Table, f};
use crate::stats::{Latency, LatencySummary};
use futures_util::{FutureExt, StreamExt};
use hearth_protocol::RoomId;
use hearth_protocol::gateway::{ClientOp, Ready};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use serde::Serialize;
use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::watch;
use tokio_tungstenite::tungstenite::Message as WsMessage;

#[derive(Clone, Debug, clap::Args)]
pub struct StormArgs {
    /// Rooms in the test
    #[arg(long, default_value_t = 10)]
    pub rooms: usize,
    /// Members per room, each with one gateway session
    #[arg(long, default_value_t = 50)]
    pub members: usize,
    /// Shell command (`sh -c`) that cuts every session, e.g. restarts the
    /// server and returns once it is ready again (scripts/restart-server.sh).
    /// Without it the bench drops its own sockets
    #[arg(long)]
    pub restart_cmd: Option<String>,
    /// Messages posted to each room while the clients are away
    #[arg(long, default_value_t = 3)]
    pub messages: usize,
    /// Each client waits a uniform random 0..J ms after the cut before it reconnects
    #[arg(long, default_value_t = 2000)]
    pub jitter_ms: u64,
    /// Backoff after a failed attempt: base, doubling per failure (with jitter)
    #[arg(long, default_value_t = 200)]
    pub backoff_ms: u64,
    /// Backoff cap
    #[arg(long, default_value_t = 5000)]
    pub backoff_cap_ms: u64,
    /// Seconds from the cut within which every client must be back and caught up
    #[arg(long, default_value_t = 60)]
    pub timeout: u64,
    /// Random seed (jitter)
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
}

#[derive(Debug, Default, Serialize)]
pub struct StormReport {
    pub clients: usize,
    pub rooms: usize,
    pub cut_by: String,
    pub connect_failures_before: u64,
    pub connect_failure_kinds: Vec<(String, u64)>,
    /// Sessions that ended before the cut.
    pub early_disconnects: u64,
    /// Sessions the cut did not end (the restart command did not restart).
    pub not_cut: u64,
    pub restart_cmd_seconds: Option<f64>,
    pub restart_cmd_failed: bool,
    pub messages_posted: u64,
    pub post_failures: u64,
    /// From the cut to the last posted message acknowledged.
    pub posts_done_seconds: f64,
    /// Clients back (ready again) and caught up.
    pub back: u64,
    pub caught_up: u64,
    /// Clients not back and caught up within `--timeout`.
    pub failed_clients: u64,
    pub first_failure: Option<String>,
    /// From the cut to the last client back and caught up.
    pub all_caught_up_seconds: Option<f64>,
    /// Per client, from the cut to `ready`.
    pub back_after: LatencySummary,
    /// Per client, from the cut to caught up in every room.
    pub caught_up_after: LatencySummary,
    pub connect_attempts: u64,
    pub failed_attempts: u64,
    pub catch_up_calls: u64,
    pub catch_up_errors: u64,
    /// Posted messages that reached a client through its catch-up fetch…
    pub posted_via_fetch: u64,
    /// …or live, after it was back.
    pub posted_via_live: u64,
    pub checks: CheckTotals,
    pub errors: u64,
}

impl Outcome for StormReport {
    outcome_json!("storm");

    fn table(&self) -> Table {
        Table::new(format!(
            "storm: {} clients in {} rooms, cut by {}",
            self.clients, self.rooms, self.cut_by
        ))
        .opt_row(
            "restart command s",
            self.restart_cmd_seconds.map(|s| f(s, 2)),
        )
        .row(
            "messages posted / failed (done after s)",
            format!(
                "{} / {} ({})",
                self.messages_posted,
                self.post_failures,
                f(self.posts_done_seconds, 2)
            ),
        )
        .row(
            "back / caught up / failed",
            format!(
                "{} / {} / {}",
                self.back, self.caught_up, self.failed_clients
            ),
        )
        .row(
            "cut -> last client caught up s",
            self.all_caught_up_seconds.map_or("-".into(), |s| f(s, 2)),
        )
        .row("cut -> ready, per client", self.back_after.line())
        .row("cut -> caught up, per client", self.caught_up_after.line())
        .row(
            "connect attempts / failed",
            format!("{} / {}", self.connect_attempts, self.failed_attempts),
        )
        .row(
            "catch-up calls / errors",
            format!("{} / {}", self.catch_up_calls, self.catch_up_errors),
        )
        .row(
            "posted messages via fetch / live",
            format!("{} / {}", self.posted_via_fetch, self.posted_via_live),
        )
        .row(
            "duplicates / wrong room",
            format!("{} / {}", self.checks.duplicates, self.checks.wrong_room),
        )
        .row(
            "early disconnects / not cut",
            format!("{} / {}", self.early_disconnects, self.not_cut),
        )
        .opt_row("first failure", self.first_failure.as_deref())
        .row("errors", self.errors)
    }

    fn errors(&self) -> u64 {
        self.errors
    }
}

/// Capped exponential backoff with jitter: after the `failures`-th failed
/// attempt (1, 2, …) wait `min(cap, base · 2^(failures-1))`, scaled by
/// `0.5 + 0.5·unit` (`unit` uniform in 0..1) so clients spread out.
pub fn backoff(failures: u32, base: Duration, cap: Duration, unit: f64) -> Duration {
    let doubling = 1u32 << failures.saturating_sub(1).min(20);
    let d = base.saturating_mul(doubling).min(cap);
    d.mul_f64(0.5 + 0.5 * unit.clamp(0.0, 1.0))
}

/// S of one room: the highest seq up to which every seq is held, and the
/// seqs held above it.
#[derive(Clone, Debug)]
pub struct Contiguous {
    s: i64,
    above: BTreeSet<i64>,
}

impl Contiguous {
    pub fn new(s: i64) -> Self {
        Self {
            s,
            above: BTreeSet::new(),
        }
    }

    pub fn s(&self) -> i64 {
        self.s
    }

    /// Adds a held seq; returns whether it was not held before.
    pub fn add(&mut self, seq: i64) -> bool {
        if seq <= self.s || !self.above.insert(seq) {
            return false;
        }
        while self.above.remove(&(self.s + 1)) {
            self.s += 1;
        }
        true
    }
}

/// One client's part.
struct Client {
    token: String,
    api: Api,
    node: usize,
    /// The test's rooms this client is in: (room id, room index).
    rooms: Vec<(RoomId, usize)>,
}

/// What one client saw.
#[derive(Default)]
struct ClientResult {
    early_disconnect: bool,
    not_cut: bool,
    back_ns: Option<u64>,
    caught_up_ns: Option<u64>,
    attempts: u64,
    failed_attempts: u64,
    catch_up_calls: u64,
    catch_up_errors: u64,
    via_fetch: u64,
    via_live: u64,
    checks: CheckTotals,
    failure: Option<String>,
}

/// What every client shares.
struct Storm {
    nodes: Arc<Vec<Connector>>,
    /// clock::now_ns of the cut; 0 before it.
    cut_ns: AtomicU64,
    /// Per room index: the seqs of the posted messages, once all are acked.
    posted: watch::Receiver<Option<Arc<Vec<Vec<i64>>>>>,
    /// Self-cut mode: true tells every client to drop its socket.
    cut: watch::Receiver<bool>,
    /// True when the run is over: close the sessions.
    done: watch::Receiver<bool>,
    deadline: Instant,
    /// Clients back and caught up so far.
    caught_up: AtomicU64,
    args: StormArgs,
}

pub async fn run(common: &Common, args: &StormArgs) -> anyhow::Result<StormReport> {
    anyhow::ensure!(
        args.rooms >= 1 && args.members >= 1,
        "need at least one room and member"
    );
    let (api, mut state) = load(common)?;
    let layout =
        super::setup::ensure_layout(common, &api, &mut state, args.rooms, args.members).await?;
    let rooms = layout.rooms[..args.rooms].to_vec();
    let mut member_of: std::collections::BTreeMap<usize, Vec<(RoomId, usize)>> = Default::default();
    for (ri, room) in rooms.iter().enumerate() {
        for &u in &room.members {
            member_of.entry(u).or_default().push((room.id, ri));
        }
    }
    let users: Vec<usize> = member_of.keys().copied().collect();
    let posters: Vec<usize> = rooms.iter().map(|r| r.members[0]).collect();
    ensure_tokens(
        common,
        &api,
        &mut state,
        &users,
        Duration::from_secs(args.timeout + 900),
    )
    .await?;
    let apis = super::node_apis(common)?;
    let nodes = Arc::new(super::connectors(common).await?);
    let tokens: Vec<String> = users
        .iter()
        .map(|&u| state.users[u].access_token.clone().unwrap_or_default())
        .collect();

    let (posted_tx, posted_rx) = watch::channel(None);
    let (cut_tx, cut_rx) = watch::channel(false);
    let (done_tx, done_rx) = watch::channel(false);
    let deadline_after_cut = Duration::from_secs(args.timeout);
    let mut report = StormReport {
        clients: users.len(),
        rooms: args.rooms,
        cut_by: args
            .restart_cmd
            .clone()
            .unwrap_or_else(|| "the bench dropping its sockets".into()),
        ..Default::default()
    };

    progress(common, format!("opening {} sessions", users.len()));
    let mut opened: Vec<(usize, usize, Ws, Ready)> = Vec::new();
    let failures = open_many(common, &nodes, tokens.clone(), |o| {
        opened.push((o.job, o.node, o.ws, o.ready));
    })
    .await;
    report.connect_failures_before = failures.len() as u64;
    report.connect_failure_kinds = summarize_failures(&failures);
    progress(
        common,
        format!("{} sessions open, {} failed", opened.len(), failures.len()),
    );
    // Let the connects settle (presence) before the cut.
    tokio::time::sleep(Duration::from_millis(500)).await;

    // The deadline is set at the cut; until then clients wait without one.
    let storm = Arc::new(Storm {
        nodes: nodes.clone(),
        cut_ns: AtomicU64::new(0),
        posted: posted_rx,
        cut: cut_rx,
        done: done_rx,
        deadline: Instant::now() + deadline_after_cut + Duration::from_secs(3600),
        caught_up: AtomicU64::new(0),
        args: args.clone(),
    });
    // Clients compute their own deadline from cut_ns; `storm.deadline` only
    // bounds the wait for a cut that never comes.
    let mut tasks = Vec::new();
    for (job, node, ws, ready) in opened {
        let client = Client {
            token: tokens[job].clone(),
            api: apis[node % apis.len()].clone(),
            node,
            rooms: member_of[&users[job]].clone(),
        };
        let seed = args.seed ^ (job as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        tasks.push(tokio::spawn(client_life(
            ws,
            ready,
            client,
            storm.clone(),
            seed,
        )));
    }

    // The cut.
    let cut_at = clock::now_ns();
    storm.cut_ns.store(cut_at, Ordering::SeqCst);
    progress(common, "cutting every session");
    match &args.restart_cmd {
        Some(cmd) => {
            let started = Instant::now();
            let status = tokio::time::timeout(
                deadline_after_cut,
                tokio::process::Command::new("sh")
                    .arg("-c")
                    .arg(cmd)
                    .kill_on_drop(true)
                    .status(),
            )
            .await;
            report.restart_cmd_seconds = Some(started.elapsed().as_secs_f64());
            report.restart_cmd_failed = !matches!(status, Ok(Ok(s)) if s.success());
        }
        None => {
            let _ = cut_tx.send(true);
        }
    }

    // The posts, retried with the same nonce until acknowledged.
    let run = clock::new_run_id();
    let post_deadline = Instant::now() + deadline_after_cut;
    let mut posted: Vec<Vec<i64>> = vec![Vec::new(); rooms.len()];
    for (ri, room) in rooms.iter().enumerate() {
        let token = state.users[posters[ri]]
            .access_token
            .clone()
            .unwrap_or_default();
        for k in 0..args.messages {
            let nonce = format!("storm-{run}-{ri}-{k}");
            loop {
                match api
                    .send_message(
                        &token,
                        room.id,
                        format!("{} storm {k}", clock::now_ns()),
                        nonce.clone(),
                    )
                    .await
                {
                    Ok(m) => {
                        posted[ri].push(m.seq);
                        report.messages_posted += 1;
                        break;
                    }
                    Err(e) if Instant::now() < post_deadline => {
                        if e.status.is_some_and(|s| s.is_client_error()) {
                            report.post_failures += 1;
                            report
                                .first_failure
                                .get_or_insert_with(|| format!("post: {e}"));
                            break;
                        }
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                    Err(e) => {
                        report.post_failures += 1;
                        report
                            .first_failure
                            .get_or_insert_with(|| format!("post: {e}"));
                        break;
                    }
                }
            }
        }
    }
    report.posts_done_seconds = clock::since(cut_at).as_secs_f64();
    let _ = posted_tx.send(Some(Arc::new(posted)));
    progress(
        common,
        format!(
            "{} messages posted after {:.2} s; waiting for the clients",
            report.messages_posted, report.posts_done_seconds
        ),
    );

    // Every client ends by itself (caught up, or its deadline); then close.
    let mut results = Vec::new();
    let (finished_tx, mut finished_rx) = tokio::sync::mpsc::unbounded_channel();
    let total = tasks.len();
    for t in tasks {
        let tx = finished_tx.clone();
        tokio::spawn(async move {
            let _ = tx.send(t.await);
        });
    }
    drop(finished_tx);
    let mut received = 0usize;
    // Clients stay connected once caught up; they report through their
    // result only at `done`, so wait for the "caught up" counter instead.
    let wait_until = Instant::now() + deadline_after_cut + Duration::from_secs(5);
    while received < total && Instant::now() < wait_until {
        if storm.caught_up.load(Ordering::SeqCst) as usize >= total {
            break;
        }
        tokio::select! {
            r = finished_rx.recv() => match r {
                Some(r) => { received += 1; results.push(r); }
                None => break,
            },
            _ = tokio::time::sleep(Duration::from_millis(50)) => {}
        }
    }
    let _ = done_tx.send(true);
    while let Ok(Some(r)) = tokio::time::timeout(Duration::from_secs(15), finished_rx.recv()).await
    {
        results.push(r);
    }

    let mut back = Latency::new();
    let mut caught = Latency::new();
    let mut last = 0u64;
    for r in &results {
        let Ok(r) = r else {
            report.failed_clients += 1;
            continue;
        };
        report.early_disconnects += u64::from(r.early_disconnect);
        report.not_cut += u64::from(r.not_cut);
        report.connect_attempts += r.attempts;
        report.failed_attempts += r.failed_attempts;
        report.catch_up_calls += r.catch_up_calls;
        report.catch_up_errors += r.catch_up_errors;
        report.posted_via_fetch += r.via_fetch;
        report.posted_via_live += r.via_live;
        report.checks.merge(&r.checks);
        if let Some(b) = r.back_ns {
            report.back += 1;
            back.record(Duration::from_nanos(b));
        }
        match r.caught_up_ns {
            Some(c) => {
                report.caught_up += 1;
                caught.record(Duration::from_nanos(c));
                last = last.max(c);
            }
            None => {
                report.failed_clients += 1;
                if report.first_failure.is_none() {
                    report.first_failure.clone_from(&r.failure);
                }
            }
        }
    }
    report.failed_clients += (total - results.len().min(total)) as u64;
    report.back_after = back.summary();
    report.caught_up_after = caught.summary();
    if report.caught_up as usize == total && total > 0 {
        report.all_caught_up_seconds = Some(last as f64 / 1e9);
    }
    report.errors = report.failed_clients
        + report.post_failures
        + u64::from(report.restart_cmd_failed)
        + report.not_cut
        + report.connect_failures_before
        + report.catch_up_errors
        + report.checks.errors();
    Ok(report)
}

/// A client: holds its session until the cut, reconnects, catches up, and
/// stays connected until the run is done.
async fn client_life(
    ws: Ws,
    ready: Ready,
    client: Client,
    storm: Arc<Storm>,
    seed: u64,
) -> ClientResult {
    let mut r = ClientResult::default();
    let mut rng = SmallRng::seed_from_u64(seed);
    let mut held: Vec<Contiguous> = client
        .rooms
        .iter()
        .map(|(id, _)| {
            let last = ready
                .rooms
                .iter()
                .find(|x| x.id == *id)
                .map_or(0, |x| x.last_seq);
            Contiguous::new(last)
        })
        .collect();
    // 1. Hold the session until it is cut.
    let mut ws = Some(ws);
    let mut check = SessionCheck::from_ready(&ready);
    let mut cut = storm.cut.clone();
    let cut_wait = async {
        let mut w = ws.take();
        loop {
            let Some(s) = w.as_mut() else { return true };
            tokio::select! {
                m = s.next() => match m {
                    Some(Ok(WsMessage::Text(t))) => {
                        if let Incoming::Created(m) = parse_incoming(&t) {
                            check.observe(m.room_id, m.seq);
                            if let Some(i) = client.rooms.iter().position(|(id, _)| *id == m.room_id) {
                                held[i].add(m.seq);
                            }
                        }
                    }
                    Some(Ok(WsMessage::Close(_))) | Some(Err(_)) | None => return true,
                    Some(Ok(_)) => {}
                },
                c = cut.changed() => {
                    if c.is_err() || *cut.borrow() {
                        // Self-cut: drop the socket, as a network loss would.
                        drop(w.take());
                        return true;
                    }
                }
                _ = tokio::time::sleep_until(storm.deadline.into()) => return false,
            }
        }
    };
    if !cut_wait.await {
        r.not_cut = true;
        r.failure = Some("the session was never cut".into());
        return r;
    }
    let cut_ns = storm.cut_ns.load(Ordering::SeqCst);
    if cut_ns == 0 {
        r.early_disconnect = true;
    }
    let deadline = Instant::now() + Duration::from_secs(storm.args.timeout);
    let since_cut = || {
        let c = storm.cut_ns.load(Ordering::SeqCst);
        clock::now_ns().saturating_sub(c)
    };

    // 2. Jitter, then connect with backoff.
    tokio::time::sleep(Duration::from_millis(
        rng.random_range(0..storm.args.jitter_ms.max(1)),
    ))
    .await;
    let connector = &storm.nodes[client.node % storm.nodes.len()];
    let (mut ws, ready) = loop {
        r.attempts += 1;
        match connector.open(&client.token).await {
            Ok((ws, ready, _)) => break (ws, ready),
            Err(e) => {
                r.failed_attempts += 1;
                let wait = backoff(
                    r.failed_attempts as u32,
                    Duration::from_millis(storm.args.backoff_ms),
                    Duration::from_millis(storm.args.backoff_cap_ms),
                    rng.random_range(0.0..1.0),
                );
                if Instant::now() + wait >= deadline {
                    r.failure = Some(format!("reconnect: {e:#}"));
                    return r;
                }
                tokio::time::sleep(wait).await;
            }
        }
    };
    r.back_ns = Some(since_cut());
    let mut check = SessionCheck::from_ready(&ready);

    // 3. Catch up every room whose last_seq is beyond S.
    let mut fetched: Vec<BTreeSet<i64>> = vec![BTreeSet::new(); client.rooms.len()];
    for (i, (id, _)) in client.rooms.iter().enumerate() {
        let last = ready
            .rooms
            .iter()
            .find(|x| x.id == *id)
            .map_or(0, |x| x.last_seq);
        while held[i].s() < last {
            r.catch_up_calls += 1;
            match client
                .api
                .messages_after(&client.token, *id, held[i].s(), 100)
                .await
            {
                Ok(page) => {
                    let before = held[i].s();
                    for m in &page.messages {
                        held[i].add(m.seq);
                        fetched[i].insert(m.seq);
                    }
                    if !page.has_more || held[i].s() == before {
                        break;
                    }
                }
                Err(e) => {
                    r.catch_up_errors += 1;
                    r.failure.get_or_insert_with(|| format!("catch-up: {e}"));
                    break;
                }
            }
        }
    }

    // 4. Live events until S reaches the last posted seq in every room.
    let mut posted_rx = storm.posted.clone();
    let mut done = storm.done.clone();
    let mut live: Vec<BTreeSet<i64>> = vec![BTreeSet::new(); client.rooms.len()];
    let mut ping = super::fanout::keepalive();
    let mut counted = false;
    loop {
        if !counted && let Some(posted) = posted_rx.borrow().clone() {
            let caught_up = client
                .rooms
                .iter()
                .enumerate()
                .all(|(i, (_, ri))| posted[*ri].iter().all(|&s| held[i].s() >= s));
            if caught_up {
                r.caught_up_ns = Some(since_cut());
                for (i, (_, ri)) in client.rooms.iter().enumerate() {
                    for s in &posted[*ri] {
                        if fetched[i].contains(s) {
                            r.via_fetch += 1;
                        } else if live[i].contains(s) {
                            r.via_live += 1;
                        }
                    }
                }
                counted = true;
                storm.caught_up.fetch_add(1, Ordering::SeqCst);
            }
        }
        if !counted && Instant::now() >= deadline {
            r.failure
                .get_or_insert_with(|| "not caught up before --timeout".into());
            break;
        }
        tokio::select! {
            m = ws.next() => match m {
                Some(Ok(WsMessage::Text(t))) => {
                    let mut next = Some(t);
                    // Read what is buffered in one go.
                    while let Some(t) = next.take() {
                        if let Incoming::Created(m) = parse_incoming(&t) {
                            r.checks.add(check.observe(m.room_id, m.seq));
                            if let Some(i) = client.rooms.iter().position(|(id, _)| *id == m.room_id) {
                                held[i].add(m.seq);
                                live[i].insert(m.seq);
                            }
                        }
                        if let Some(Some(Ok(WsMessage::Text(t)))) = ws.next().now_or_never() {
                            next = Some(t);
                        }
                    }
                }
                Some(Ok(WsMessage::Close(_))) | Some(Err(_)) | None => {
                    if !*done.borrow() {
                        r.failure.get_or_insert_with(|| "closed after reconnecting".into());
                    }
                    break;
                }
                Some(Ok(_)) => {}
            },
            _ = posted_rx.changed() => {}
            _ = done.changed() => break,
            _ = ping.tick() => {
                let _ = send_op(&mut ws, &ClientOp::Ping { n: None }).await;
            }
            _ = tokio::time::sleep_until(deadline.into()), if !counted => {}
        }
    }
    if counted {
        // Stay connected until the run is over.
        while !*done.borrow() {
            tokio::select! {
                m = ws.next() => if matches!(m, Some(Ok(WsMessage::Close(_))) | Some(Err(_)) | None) { break },
                c = done.changed() => if c.is_err() { break },
            }
        }
    }
    let _ = tokio::time::timeout(Duration::from_secs(2), ws.close(None)).await;
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap_with_jitter() {
        let ms = Duration::from_millis;
        let (base, cap) = (ms(100), ms(1000));
        assert_eq!(backoff(1, base, cap, 1.0), ms(100));
        assert_eq!(backoff(2, base, cap, 1.0), ms(200));
        assert_eq!(backoff(3, base, cap, 1.0), ms(400));
        assert_eq!(backoff(5, base, cap, 1.0), ms(1000));
        assert_eq!(backoff(60, base, cap, 1.0), ms(1000));
        assert_eq!(backoff(1, base, cap, 0.0), ms(50));
        assert_eq!(backoff(0, base, cap, 1.0), ms(100));
    }

    #[test]
    fn s_advances_only_over_contiguous_seqs() {
        let mut c = Contiguous::new(10);
        assert!(c.add(12));
        assert_eq!(c.s(), 10);
        assert!(!c.add(12));
        assert!(!c.add(9));
        assert!(c.add(11));
        assert_eq!(c.s(), 12);
        assert!(c.add(13));
        assert_eq!(c.s(), 13);
    }
}
