//! `mixed`: a realistic day, compressed. Members of `--rooms` rooms stay
//! connected and, after a random think time each, send (mostly to the few
//! busy rooms, often after a `typing`), mark rooms read, scroll history
//! (`GET messages?before=`), or drop and reopen their session. Everything a
//! session receives is checked; every failure is counted by kind.

use super::{Common, ensure_tokens, load, progress};
use crate::api::Api;
use crate::check::{CheckTotals, SessionCheck, Verdict};
use crate::clock;
use crate::gateway::{
    Connector, Incoming, Ws, body_sent_ns, parse_incoming, send_op, stamped_body,
};
use crate::outcome_json;
use crate::report::{Outcome, Table, f};
use crate::stats::{Latency, LatencySummary};
use crate::sys::{Interval, RssSampler, RssSummary, Sample};
use futures_util::StreamExt;
use hearth_protocol::RoomId;
use hearth_protocol::gateway::ClientOp;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use serde::Serialize;
use std::collections::HashMap;
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::Message as WsMessage;

#[derive(Clone, Debug, clap::Args)]
pub struct MixedArgs {
    /// Rooms in the test
    #[arg(long, default_value_t = 20)]
    pub rooms: usize,
    /// Members per room, each a simulated person with one session
    #[arg(long, default_value_t = 20)]
    pub members: usize,
    /// Seconds to run
    #[arg(long, default_value_t = 30)]
    pub duration: u64,
    /// Mean think time between one person's actions, in milliseconds
    #[arg(long, default_value_t = 2000)]
    pub think_ms: u64,
    /// Share of the rooms that are busy
    #[arg(long, default_value_t = 0.2)]
    pub busy_rooms: f64,
    /// Share of sends that go to a busy room (when the person is in one)
    #[arg(long, default_value_t = 0.8)]
    pub busy_share: f64,
    /// Random seed
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
}

#[derive(Debug, Default, Clone, Serialize)]
pub struct Counts {
    pub sends: u64,
    pub acked: u64,
    pub send_errors: u64,
    pub typing: u64,
    pub reads: u64,
    pub history: u64,
    pub history_errors: u64,
    pub reconnects: u64,
    pub connect_failures: u64,
    pub unexpected_disconnects: u64,
    pub error_events: u64,
    pub first_error: Option<String>,
}

impl Counts {
    fn merge(&mut self, o: &Counts) {
        self.sends += o.sends;
        self.acked += o.acked;
        self.send_errors += o.send_errors;
        self.typing += o.typing;
        self.reads += o.reads;
        self.history += o.history;
        self.history_errors += o.history_errors;
        self.reconnects += o.reconnects;
        self.connect_failures += o.connect_failures;
        self.unexpected_disconnects += o.unexpected_disconnects;
        self.error_events += o.error_events;
        if self.first_error.is_none() {
            self.first_error.clone_from(&o.first_error);
        }
    }

    fn error(&mut self, e: impl std::fmt::Display) {
        self.first_error.get_or_insert_with(|| e.to_string());
    }
}

#[derive(Debug, Default, Serialize)]
pub struct MixedReport {
    pub people: usize,
    pub rooms: usize,
    pub duration_seconds: f64,
    pub counts: Counts,
    pub checks: CheckTotals,
    pub ack_latency: LatencySummary,
    pub delivery_latency: LatencySummary,
    pub history_latency: LatencySummary,
    pub connect: LatencySummary,
    pub usage: Interval,
    /// The server's RSS sampled every second over the run (with --server-pid).
    pub rss: RssSummary,
    pub errors: u64,
}

impl Outcome for MixedReport {
    outcome_json!("mixed");

    fn table(&self) -> Table {
        let c = &self.counts;
        Table::new(format!(
            "mixed: {} people in {} rooms for {:.0} s",
            self.people, self.rooms, self.duration_seconds
        ))
        .row(
            "sends / acked / errors",
            format!("{} / {} / {}", c.sends, c.acked, c.send_errors),
        )
        .row("typing / reads", format!("{} / {}", c.typing, c.reads))
        .row(
            "history pages / errors",
            format!("{} / {}", c.history, c.history_errors),
        )
        .row(
            "reconnects / connect failures",
            format!("{} / {}", c.reconnects, c.connect_failures),
        )
        .row("unexpected disconnects", c.unexpected_disconnects)
        .row("deliveries", self.checks.delivered)
        .row(
            "duplicates / wrong room / reordered",
            format!(
                "{} / {} / {}",
                self.checks.duplicates, self.checks.wrong_room, self.checks.reordered
            ),
        )
        .row("ack latency", self.ack_latency.line())
        .row("delivery latency", self.delivery_latency.line())
        .row("history latency", self.history_latency.line())
        .row("connect", self.connect.line())
        .opt_row(
            "server CPU s",
            self.usage.server_cpu_seconds.map(|v| f(v, 2)),
        )
        .opt_row(
            "server RSS (every 1 s)",
            (self.rss.samples > 0).then(|| self.rss.line()),
        )
        .opt_row("first error", c.first_error.as_deref())
        .row("errors", self.errors)
    }

    fn errors(&self) -> u64 {
        self.errors
    }
}

/// What one person did.
#[derive(Default)]
struct PersonResult {
    counts: Counts,
    checks: CheckTotals,
    ack: Latency,
    delivery: Latency,
    history: Latency,
    connect: Latency,
}

struct Person {
    index: usize,
    token: String,
    /// The person's rooms in the test, and whether each is busy.
    rooms: Vec<(RoomId, bool)>,
    run: std::sync::Arc<str>,
}

pub async fn run(common: &Common, args: &MixedArgs) -> anyhow::Result<MixedReport> {
    anyhow::ensure!(
        args.rooms >= 1 && args.members >= 1,
        "need rooms and members"
    );
    let (api, mut state) = load(common)?;
    let layout =
        super::setup::ensure_layout(common, &api, &mut state, args.rooms, args.members).await?;
    let busy = ((args.rooms as f64 * args.busy_rooms).ceil() as usize).max(1);
    let mut people: HashMap<usize, Vec<(RoomId, bool)>> = HashMap::new();
    for (ri, room) in layout.rooms[..args.rooms].iter().enumerate() {
        for &u in &room.members {
            people.entry(u).or_default().push((room.id, ri < busy));
        }
    }
    let users: Vec<usize> = people.keys().copied().collect();
    ensure_tokens(
        common,
        &api,
        &mut state,
        &users,
        Duration::from_secs(args.duration + 600),
    )
    .await?;
    let nodes = super::connectors(common).await?;
    let apis = super::node_apis(common)?;
    let before = Sample::take(common.server_pid);
    let rss = RssSampler::start(common.server_pid, Duration::from_secs(1));
    let until = Instant::now() + Duration::from_secs(args.duration);
    progress(
        common,
        format!("{} people for {} s", users.len(), args.duration),
    );
    let run: std::sync::Arc<str> = clock::new_run_id().into();
    let persons: Vec<Person> = users
        .iter()
        .map(|&u| Person {
            index: u,
            token: state.users[u].access_token.clone().unwrap_or_default(),
            rooms: people[&u].clone(),
            run: run.clone(),
        })
        .collect();
    let n = persons.len();
    let results = futures_util::stream::iter(persons.into_iter().enumerate().map(|(i, p)| {
        // Person i uses node i % N for its session and its REST calls.
        let api = &apis[i % apis.len()];
        let connector = &nodes[i % nodes.len()];
        async move { person(api, connector, p, args, until).await }
    }))
    .buffer_unordered(n.max(1))
    .collect::<Vec<_>>()
    .await;
    let after = Sample::take(common.server_pid);
    let rss = match rss {
        Some(r) => r.finish(common.server_pid).await,
        None => RssSummary::default(),
    };
    let mut report = MixedReport {
        rss,
        people: n,
        rooms: args.rooms,
        ..Default::default()
    };
    let (mut ack, mut delivery, mut history, mut connect) = (
        Latency::new(),
        Latency::new(),
        Latency::new(),
        Latency::new(),
    );
    for r in &results {
        report.counts.merge(&r.counts);
        report.checks.merge(&r.checks);
        ack.merge(&r.ack);
        delivery.merge(&r.delivery);
        history.merge(&r.history);
        connect.merge(&r.connect);
    }
    report.ack_latency = ack.summary();
    report.delivery_latency = delivery.summary();
    report.history_latency = history.summary();
    report.connect = connect.summary();
    report.usage = Interval::between(&before, &after);
    report.duration_seconds = report.usage.wall_seconds;
    let c = &report.counts;
    report.errors = c.send_errors
        + c.history_errors
        + c.connect_failures
        + c.unexpected_disconnects
        + c.error_events
        + report.checks.errors();
    Ok(report)
}

/// The person's session and what it tracks.
struct Live {
    ws: Ws,
    check: SessionCheck,
    /// Highest seq seen per room, for `read` ops and history.
    latest: HashMap<RoomId, i64>,
    pending: HashMap<String, u64>,
    /// Put in every nonce, see [`clock::new_run_id`].
    run: std::sync::Arc<str>,
}

async fn connect(connector: &Connector, p: &Person, r: &mut PersonResult) -> Option<Live> {
    match connector.open(&p.token).await {
        Ok((ws, ready, took)) => {
            r.connect.record(took);
            Some(Live {
                ws,
                check: SessionCheck::from_ready(&ready),
                latest: ready.rooms.iter().map(|x| (x.id, x.last_seq)).collect(),
                pending: HashMap::new(),
                run: p.run.clone(),
            })
        }
        Err(e) => {
            r.counts.connect_failures += 1;
            r.counts.error(format!("connect: {e:#}"));
            None
        }
    }
}

async fn person(
    api: &Api,
    connector: &Connector,
    p: Person,
    args: &MixedArgs,
    until: Instant,
) -> PersonResult {
    let mut r = PersonResult::default();
    let mut rng = SmallRng::seed_from_u64(args.seed ^ (p.index as u64).wrapping_mul(0x9E37_79B9));
    let think = |rng: &mut SmallRng| {
        let u: f64 = rng.random_range(1e-6..1.0);
        Duration::from_secs_f64((-u.ln() * args.think_ms as f64 / 1000.0).min(60.0))
    };
    // Stagger the first connects over the first think time.
    tokio::time::sleep(think(&mut rng).min(until.saturating_duration_since(Instant::now()))).await;
    let Some(mut live) = connect(connector, &p, &mut r).await else {
        return r;
    };
    let mut next = Instant::now() + think(&mut rng);
    let mut counter = 0u64;
    let until_t = tokio::time::Instant::from_std(until);
    loop {
        tokio::select! {
            msg = live.ws.next() => match msg {
                Some(Ok(WsMessage::Text(t))) => on_frame(t.as_str(), &mut live, &mut r),
                Some(Ok(WsMessage::Close(_))) | Some(Err(_)) | None => {
                    r.counts.unexpected_disconnects += 1;
                    r.counts.error("server closed the session");
                    match connect(connector, &p, &mut r).await {
                        Some(l) => live = l,
                        None => return r,
                    }
                }
                Some(Ok(_)) => {}
            },
            _ = tokio::time::sleep_until(next.into()) => {
                next = Instant::now() + think(&mut rng);
                counter += 1;
                if !act(api, connector, &p, &mut live, &mut r, &mut rng, args, counter).await {
                    return r;
                }
            }
            _ = tokio::time::sleep_until(until_t) => break,
        }
    }
    leave(&mut live, &mut r).await;
    r
}

/// Waits (briefly) for the acks of sends in flight, then closes the session.
/// A send still unacknowledged after that counts as a send error.
async fn leave(live: &mut Live, r: &mut PersonResult) {
    let grace = tokio::time::Instant::now() + Duration::from_secs(5);
    while !live.pending.is_empty() {
        match tokio::time::timeout_at(grace, live.ws.next()).await {
            Ok(Some(Ok(WsMessage::Text(t)))) => on_frame(t.as_str(), live, r),
            Ok(Some(Ok(_))) => {}
            _ => break,
        }
    }
    if !live.pending.is_empty() {
        r.counts.send_errors += live.pending.len() as u64;
        r.counts.error("sends not acknowledged before leaving");
    }
    let _ = tokio::time::timeout(Duration::from_secs(2), live.ws.close(None)).await;
}

fn on_frame(text: &str, live: &mut Live, r: &mut PersonResult) {
    match parse_incoming(text) {
        Incoming::Created(m) => {
            let verdict = live.check.observe(m.room_id, m.seq);
            r.checks.add(verdict);
            let e = live.latest.entry(m.room_id).or_insert(0);
            *e = (*e).max(m.seq);
            if matches!(verdict, Verdict::Fresh | Verdict::Reordered)
                && let Some(sent) = body_sent_ns(&m.body)
            {
                r.delivery.record(clock::since(sent));
            }
        }
        Incoming::Ack { nonce, .. } => {
            if let Some(sent) = live.pending.remove(nonce.as_ref()) {
                r.counts.acked += 1;
                r.ack.record(clock::since(sent));
            }
        }
        Incoming::Error {
            code,
            message,
            nonce,
        } => {
            if let Some(n) = nonce
                && live.pending.remove(n.as_ref()).is_some()
            {
                r.counts.send_errors += 1;
            } else {
                r.counts.error_events += 1;
            }
            r.counts.error(format!("{code}: {message}"));
        }
        Incoming::Other(_) | Incoming::Garbled => {}
    }
}

/// One action. Returns false when the person cannot go on (no session).
#[allow(clippy::too_many_arguments)]
async fn act(
    api: &Api,
    connector: &Connector,
    p: &Person,
    live: &mut Live,
    r: &mut PersonResult,
    rng: &mut SmallRng,
    args: &MixedArgs,
    counter: u64,
) -> bool {
    let pick_room = |rng: &mut SmallRng| {
        let busy: Vec<RoomId> = p.rooms.iter().filter(|x| x.1).map(|x| x.0).collect();
        if !busy.is_empty() && rng.random_bool(args.busy_share.clamp(0.0, 1.0)) {
            busy[rng.random_range(0..busy.len())]
        } else {
            p.rooms[rng.random_range(0..p.rooms.len())].0
        }
    };
    let roll: u32 = rng.random_range(0..100);
    let result = match roll {
        // Send, a third of the time after typing.
        0..45 => {
            let room = pick_room(rng);
            if rng.random_bool(0.33) {
                r.counts.typing += 1;
                if let Err(e) = send_op(
                    &mut live.ws,
                    &ClientOp::Typing {
                        room_id: room,
                        anonymous: false,
                    },
                )
                .await
                {
                    Err(e)
                } else {
                    send(live, r, room, p.index, counter).await
                }
            } else {
                send(live, r, room, p.index, counter).await
            }
        }
        45..55 => {
            r.counts.typing += 1;
            let room = pick_room(rng);
            send_op(
                &mut live.ws,
                &ClientOp::Typing {
                    room_id: room,
                    anonymous: false,
                },
            )
            .await
        }
        55..75 => {
            let room = p.rooms[rng.random_range(0..p.rooms.len())].0;
            match live.latest.get(&room).copied().filter(|&s| s > 0) {
                Some(seq) => {
                    r.counts.reads += 1;
                    send_op(&mut live.ws, &ClientOp::Read { room_id: room, seq }).await
                }
                None => Ok(()),
            }
        }
        75..95 => {
            let room = p.rooms[rng.random_range(0..p.rooms.len())].0;
            let last = live.latest.get(&room).copied().unwrap_or(0);
            let before = (last > 1).then(|| rng.random_range(1..=last));
            let started = Instant::now();
            r.counts.history += 1;
            match api.messages_before(&p.token, room, before, 50).await {
                Ok(_) => r.history.record(started.elapsed()),
                Err(e) => {
                    r.counts.history_errors += 1;
                    r.counts.error(format!("history: {e}"));
                }
            }
            Ok(())
        }
        _ => {
            r.counts.reconnects += 1;
            leave(live, r).await;
            match connect(connector, p, r).await {
                Some(l) => *live = l,
                None => return false,
            }
            Ok(())
        }
    };
    if let Err(e) = result {
        r.counts.error(format!("writing to the gateway: {e:#}"));
    }
    true
}

async fn send(
    live: &mut Live,
    r: &mut PersonResult,
    room: RoomId,
    person: usize,
    counter: u64,
) -> anyhow::Result<()> {
    let nonce = format!("m{}-{person}-{counter}", live.run);
    let sent = clock::now_ns();
    r.counts.sends += 1;
    live.pending.insert(nonce.clone(), sent);
    send_op(
        &mut live.ws,
        &ClientOp::Send {
            room_id: room,
            body: stamped_body(sent, &nonce, 40),
            nonce,
            reply_to: None,
            attachments: Vec::new(),
            anonymous: false,
        },
    )
    .await
}
