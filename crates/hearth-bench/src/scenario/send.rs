//! `send`: acknowledged (committed) messages per second with K senders, each
//! sending one message and waiting for its acknowledgement before the next:
//! through the gateway (`ack`) or REST (`201`).
//!
//! Senders spread over `--rooms` rooms of `--members` members; in gateway
//! mode each sender's session also receives its room's messages (that is
//! real fan-out work for the server), and those deliveries are checked.

use super::{Common, ensure_tokens, load, open_many, progress, summarize_failures};
use crate::check::{CheckTotals, SessionCheck};
use crate::gateway::{Incoming, Ws, parse_incoming, send_op, stamped_body};
use crate::outcome_json;
use crate::report::{Outcome, Table, f};
use crate::stats::{Latency, LatencySummary, rate};
use crate::sys::{Interval, Sample};
use crate::{api::Api, clock};
use futures_util::StreamExt;
use hearth_protocol::RoomId;
use hearth_protocol::gateway::ClientOp;
use serde::Serialize;
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::Message as WsMessage;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Via {
    Gateway,
    Rest,
}

#[derive(Clone, Debug, clap::Args)]
pub struct SendArgs {
    /// Gateway `send` op or REST POST /rooms/{id}/messages
    #[arg(long, value_enum, default_value_t = Via::Gateway)]
    pub via: Via,
    /// Concurrent senders, each with one message in flight
    #[arg(long, short = 'k', default_value_t = 64)]
    pub senders: usize,
    /// Seconds of sending
    #[arg(long, default_value_t = 10)]
    pub duration: u64,
    /// Rooms the senders spread over
    #[arg(long, default_value_t = 16)]
    pub rooms: usize,
    /// Members per room
    #[arg(long, default_value_t = 4)]
    pub members: usize,
    /// Padding added to each message body, in bytes
    #[arg(long, default_value_t = 64)]
    pub body_bytes: usize,
}

#[derive(Debug, Default, Serialize)]
pub struct SendReport {
    pub via: Option<Via>,
    pub senders: usize,
    pub duration_seconds: f64,
    pub acked: u64,
    pub failed: u64,
    pub first_failure: Option<String>,
    pub acked_per_second: f64,
    pub ack_latency: LatencySummary,
    pub connect_failures: u64,
    pub connect_failure_kinds: Vec<(String, u64)>,
    pub checks: CheckTotals,
    pub usage: Interval,
    pub acked_per_server_cpu_second: Option<f64>,
    pub errors: u64,
}

impl Outcome for SendReport {
    outcome_json!("send");

    fn table(&self) -> Table {
        let via = match self.via {
            Some(Via::Rest) => "rest",
            _ => "gateway",
        };
        let u = &self.usage;
        Table::new(format!("send via {via}: {} senders", self.senders))
            .row(
                "acked / failed",
                format!("{} / {}", self.acked, self.failed),
            )
            .row("acked/s", f(self.acked_per_second, 0))
            .row("ack latency", self.ack_latency.line())
            .opt_row("server CPU s", u.server_cpu_seconds.map(|c| f(c, 2)))
            .opt_row(
                "acked / server CPU s",
                self.acked_per_server_cpu_second.map(|c| f(c, 0)),
            )
            .opt_row("bench CPU s", u.bench_cpu_seconds.map(|c| f(c, 2)))
            .row("deliveries checked", self.checks.delivered)
            .row("errors", self.errors)
    }

    fn errors(&self) -> u64 {
        self.errors
    }
}

/// What one sender did.
#[derive(Default)]
struct SenderResult {
    acked: u64,
    failed: u64,
    first_failure: Option<String>,
    latency: Latency,
    checks: CheckTotals,
}

pub async fn run(common: &Common, args: &SendArgs) -> anyhow::Result<SendReport> {
    anyhow::ensure!(args.senders >= 1, "need at least one sender");
    let (api, mut state) = load(common)?;
    let layout =
        super::setup::ensure_layout(common, &api, &mut state, args.rooms, args.members).await?;
    // Sender k: room k % R, its member (k / R) % C.
    let plan: Vec<(usize, RoomId)> = (0..args.senders)
        .map(|k| {
            let room = &layout.rooms[k % args.rooms];
            (room.members[(k / args.rooms) % room.members.len()], room.id)
        })
        .collect();
    let mut users: Vec<usize> = plan.iter().map(|p| p.0).collect();
    users.sort_unstable();
    users.dedup();
    ensure_tokens(
        common,
        &api,
        &mut state,
        &users,
        Duration::from_secs(args.duration + 600),
    )
    .await?;
    let tokens: Vec<String> = plan
        .iter()
        .map(|&(u, _)| state.users[u].access_token.clone().unwrap_or_default())
        .collect();
    let duration = Duration::from_secs(args.duration);
    let mut report = SendReport {
        via: Some(args.via),
        senders: args.senders,
        ..Default::default()
    };
    let run = clock::new_run_id();
    let (results, before, after) = match args.via {
        Via::Rest => {
            // Round-robin over the nodes, like the gateway sessions.
            let apis = super::node_apis(common)?;
            let before = Sample::take(common.server_pid);
            let until = Instant::now() + duration;
            let workers = plan
                .iter()
                .zip(&tokens)
                .enumerate()
                .map(|(k, (&(_, room), token))| {
                    rest_sender(
                        &apis[k % apis.len()],
                        token,
                        room,
                        format!("{run}-{k}"),
                        until,
                        args.body_bytes,
                    )
                });
            let results = futures_util::future::join_all(workers).await;
            (results, before, Sample::take(common.server_pid))
        }
        Via::Gateway => {
            let nodes = super::connectors(common).await?;
            progress(common, format!("opening {} sessions", tokens.len()));
            let mut sessions: Vec<(usize, Ws, SessionCheck)> = Vec::new();
            let failures = open_many(common, &nodes, tokens, |o| {
                let check = SessionCheck::from_ready(&o.ready);
                sessions.push((o.job, o.ws, check));
            })
            .await;
            report.connect_failures = failures.len() as u64;
            report.connect_failure_kinds = summarize_failures(&failures);
            let before = Sample::take(common.server_pid);
            let until = Instant::now() + duration;
            let tasks: Vec<_> = sessions
                .into_iter()
                .map(|(k, ws, check)| {
                    let room = plan[k].1;
                    let pad = args.body_bytes;
                    tokio::spawn(gateway_sender(
                        ws,
                        check,
                        room,
                        format!("{run}-{k}"),
                        until,
                        pad,
                    ))
                })
                .collect();
            let mut results = Vec::new();
            for t in tasks {
                match t.await {
                    Ok(r) => results.push(r),
                    Err(e) => results.push(SenderResult {
                        failed: 1,
                        first_failure: Some(format!("sender task: {e}")),
                        ..Default::default()
                    }),
                }
            }
            (results, before, Sample::take(common.server_pid))
        }
    };
    let mut latency = Latency::new();
    for r in &results {
        report.acked += r.acked;
        report.failed += r.failed;
        if report.first_failure.is_none() {
            report.first_failure.clone_from(&r.first_failure);
        }
        latency.merge(&r.latency);
        report.checks.merge(&r.checks);
    }
    report.usage = Interval::between(&before, &after);
    report.duration_seconds = report.usage.wall_seconds;
    report.acked_per_second = rate(report.acked, report.usage.wall_seconds);
    report.ack_latency = latency.summary();
    report.acked_per_server_cpu_second = report
        .usage
        .server_cpu_seconds
        .filter(|&c| c > 0.0)
        .map(|c| report.acked as f64 / c);
    report.errors = report.failed + report.connect_failures + report.checks.errors();
    Ok(report)
}

async fn rest_sender(
    api: &Api,
    token: &str,
    room: RoomId,
    tag: String,
    until: Instant,
    pad: usize,
) -> SenderResult {
    let mut r = SenderResult::default();
    let mut n = 0u64;
    while Instant::now() < until {
        n += 1;
        let nonce = format!("r{tag}-{n}");
        let sent = clock::now_ns();
        let body = stamped_body(sent, &nonce, pad);
        match api.send_message(token, room, body, nonce).await {
            Ok(_) => {
                r.acked += 1;
                r.latency.record(clock::since(sent));
            }
            Err(e) => {
                r.failed += 1;
                r.first_failure.get_or_insert_with(|| e.to_string());
                if e.status.is_none() {
                    // The connection is gone: do not spin.
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }
    }
    r
}

async fn gateway_sender(
    mut ws: Ws,
    mut check: SessionCheck,
    room: RoomId,
    tag: String,
    until: Instant,
    pad: usize,
) -> SenderResult {
    let mut r = SenderResult::default();
    let mut n = 0u64;
    'outer: while Instant::now() < until {
        n += 1;
        let nonce = format!("g{tag}-{n}");
        let sent = clock::now_ns();
        let op = ClientOp::Send {
            room_id: room,
            body: stamped_body(sent, &nonce, pad),
            nonce: nonce.clone(),
            reply_to: None,
            attachments: Vec::new(),
            anonymous: false,
        };
        if let Err(e) = send_op(&mut ws, &op).await {
            r.failed += 1;
            r.first_failure.get_or_insert_with(|| format!("send: {e}"));
            break;
        }
        // Wait for this nonce's ack (or error), checking deliveries meanwhile.
        let wait_until = tokio::time::Instant::now() + Duration::from_secs(30);
        loop {
            let msg = match tokio::time::timeout_at(wait_until, ws.next()).await {
                Ok(Some(Ok(WsMessage::Text(t)))) => t,
                Ok(Some(Ok(WsMessage::Close(_)))) | Ok(Some(Err(_))) | Ok(None) => {
                    r.failed += 1;
                    r.first_failure
                        .get_or_insert_with(|| "connection closed".into());
                    break 'outer;
                }
                Ok(Some(Ok(_))) => continue,
                Err(_) => {
                    r.failed += 1;
                    r.first_failure
                        .get_or_insert_with(|| "no ack within 30 s".into());
                    break 'outer;
                }
            };
            match parse_incoming(msg.as_str()) {
                Incoming::Ack { nonce: got, .. } if got == nonce => {
                    r.acked += 1;
                    r.latency.record(clock::since(sent));
                    break;
                }
                Incoming::Error {
                    nonce: Some(got),
                    code,
                    message,
                } if got == nonce => {
                    r.failed += 1;
                    r.first_failure
                        .get_or_insert_with(|| format!("{code}: {message}"));
                    break;
                }
                Incoming::Created(m) => r.checks.add(check.observe(m.room_id, m.seq)),
                _ => {}
            }
        }
    }
    let _ = tokio::time::timeout(Duration::from_secs(2), ws.close(None)).await;
    r
}
