//! The Redis bus: [`Bus`] for a cluster of nodes.
//!
//! Every node publishes on, and subscribes to, one channel,
//! `{prefix}:events`. A message is a JSON envelope:
//!
//! ```text
//! {"origin": NODE_ID, "kind": "event", "audience": AUDIENCE, "event": SERVER_EVENT}
//! {"origin": NODE_ID, "kind": "resync"}
//! {"origin": NODE_ID, "kind": "revoked", "session": SESSION_ID}
//! ```
//!
//! `publish` delivers to this node's hub at once (local sessions never wait
//! for the round trip, and keep getting events while Redis is down) and
//! queues the envelope for the publisher task; the subscriber task hands
//! other nodes' events to the local hub and skips its own.
//!
//! Redis pub/sub is fire-and-forget: what is published while a node is not
//! subscribed is lost to it. So a node that loses its subscription, or that
//! had to drop envelopes it could not publish, makes sessions catch up when
//! the link is back: its own sessions after resubscribing, every node's
//! sessions (the `resync` envelope) after publishing again. Meanwhile
//! [`Bus::is_healthy`] is false and `/readyz` answers 503.
//!
//! `revoked` carries a login session's revocation (sign-out, revoke, password
//! change), so every node stops honouring its access tokens and closes its
//! connections at once. One lost while Redis is down still arrives within a
//! second: every node reads the revocations the store records (see
//! `crate::revocation`).

use super::link::RedisLink;
use super::resync::Resyncer;
use crate::events::Bus;
use crate::hub::{Audience, Hub};
use crate::revocation::RevokedSessions;
use futures_util::StreamExt;
use hearth_protocol::SessionId;
use hearth_protocol::gateway::ServerEvent;
use hearth_protocol::gateway::close_code;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;
use tokio::sync::{mpsc, watch};

/// Envelopes waiting for the publisher. Past this (Redis slow or down) new
/// ones are dropped, and the cluster catches up with `resync` afterwards.
const OUTBOX: usize = 8192;
/// Most envelopes published in one round trip.
const PUBLISH_BATCH: usize = 256;
/// Backoff between reconnection attempts, doubling up to the maximum.
const MIN_BACKOFF: Duration = Duration::from_millis(100);
const MAX_BACKOFF: Duration = Duration::from_secs(5);
/// A quiet subscription is checked this often, so a dead connection (no
/// RST, e.g. a network partition) is noticed.
const PING_EVERY: Duration = Duration::from_secs(5);
const PING_TIMEOUT: Duration = Duration::from_secs(3);

/// What goes over the channel, as sent (borrowing) …
#[derive(Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum OutEnvelope<'a> {
    Event {
        origin: &'a str,
        audience: &'a Audience,
        event: &'a ServerEvent,
    },
    Resync {
        origin: &'a str,
    },
    Revoked {
        origin: &'a str,
        session: SessionId,
    },
}

/// … and as received.
#[derive(Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum InEnvelope {
    Event {
        origin: String,
        audience: Audience,
        event: Box<ServerEvent>,
    },
    Resync {
        origin: String,
    },
    Revoked {
        origin: String,
        session: SessionId,
    },
}

/// Counters for logs and tests.
#[derive(Default)]
pub struct BusStats {
    pub published: AtomicU64,
    pub received: AtomicU64,
    /// Envelopes that never reached Redis (outbox full, or Redis down).
    pub dropped: AtomicU64,
}

pub struct RedisBus {
    hub: Arc<Hub>,
    revoked: Arc<RevokedSessions>,
    node_id: String,
    channel: String,
    outbox: mpsc::Sender<String>,
    /// Set by the subscriber task while its subscription stands.
    subscribed: AtomicBool,
    /// Cleared by the publisher task while Redis refuses its publishes.
    publishing: AtomicBool,
    /// Set when an envelope was dropped; the publisher then asks every node
    /// to resync once it gets through again.
    lost: AtomicBool,
    pub stats: BusStats,
}

impl RedisBus {
    /// Creates the bus and starts its publisher and subscriber tasks, which
    /// run until `stop` turns true.
    pub fn start(
        link: Arc<RedisLink>,
        node_id: &str,
        hub: Arc<Hub>,
        revoked: Arc<RevokedSessions>,
        resyncer: Arc<Resyncer>,
        stop: watch::Receiver<bool>,
    ) -> Arc<Self> {
        let (outbox, queued) = mpsc::channel(OUTBOX);
        let bus = Arc::new(Self {
            hub,
            revoked,
            node_id: node_id.to_string(),
            channel: link.key("events"),
            outbox,
            subscribed: AtomicBool::new(false),
            publishing: AtomicBool::new(true),
            lost: AtomicBool::new(false),
            stats: BusStats::default(),
        });
        tokio::spawn(bus.clone().publish_loop(link.clone(), queued, stop.clone()));
        tokio::spawn(bus.clone().subscribe_loop(link, resyncer, stop));
        bus
    }

    /// Resolves once the subscription stands (or `timeout` passes): events
    /// published by other nodes from then on reach this node.
    pub async fn wait_subscribed(&self, timeout: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + timeout;
        while !self.subscribed.load(Ordering::Acquire) {
            if tokio::time::Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        true
    }

    fn enqueue(&self, payload: String) {
        match self.outbox.try_send(payload) {
            Ok(()) => {}
            Err(mpsc::error::TrySendError::Full(_)) => self.mark_lost("bus: outbox full"),
            // The publisher stopped (shutdown): nothing leaves this node now.
            Err(mpsc::error::TrySendError::Closed(_)) => {}
        }
    }

    fn mark_lost(&self, why: &'static str) {
        self.stats.dropped.fetch_add(1, Ordering::Relaxed);
        if !self.lost.swap(true, Ordering::AcqRel) {
            tracing::warn!("{why}: events for other nodes dropped; their sessions will resync");
        }
    }

    async fn publish_loop(
        self: Arc<Self>,
        link: Arc<RedisLink>,
        mut queued: mpsc::Receiver<String>,
        mut stop: watch::Receiver<bool>,
    ) {
        let mut conn = link.conn();
        let mut backoff = MIN_BACKOFF;
        loop {
            if !self.publishing.load(Ordering::Acquire) {
                // Down: drop what is queued rather than block on a dead
                // server, and probe (with backoff) until it answers.
                while queued.try_recv().is_ok() {
                    self.mark_lost("bus: Redis unreachable");
                }
                let ping: redis::RedisResult<String> =
                    redis::cmd("PING").query_async(&mut conn).await;
                if ping.is_err() {
                    tokio::select! {
                        _ = tokio::time::sleep(backoff) => {}
                        _ = super::stopped(&mut stop) => return,
                    }
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                    continue;
                }
                backoff = MIN_BACKOFF;
                self.publishing.store(true, Ordering::Release);
                tracing::info!("bus: publishing to Redis again");
            }
            // Cleared before the resync goes out, so a loss that happens
            // while it is on its way asks for another one.
            if self.lost.swap(false, Ordering::AcqRel) {
                // Others missed what this node dropped: they must catch up.
                let resync = serde_json::to_string(&OutEnvelope::Resync {
                    origin: &self.node_id,
                })
                .unwrap_or_default();
                if !self.send(&mut conn, &[resync]).await {
                    continue;
                }
            }
            let first = tokio::select! {
                p = queued.recv() => match p {
                    Some(p) => p,
                    None => return,
                },
                _ = super::stopped(&mut stop) => return,
            };
            // Whatever queued up meanwhile goes in the same round trip, in
            // order: one pipeline instead of one wait per event.
            let mut batch = vec![first];
            while batch.len() < PUBLISH_BATCH {
                match queued.try_recv() {
                    Ok(p) => batch.push(p),
                    Err(_) => break,
                }
            }
            let n = batch.len() as u64;
            if self.send(&mut conn, &batch).await {
                self.stats.published.fetch_add(n, Ordering::Relaxed);
            } else {
                self.stats.dropped.fetch_add(n, Ordering::Relaxed);
            }
        }
    }

    /// PUBLISHes `payloads` in order; on failure the bus turns unhealthy and remembers the loss.
    async fn send(&self, conn: &mut redis::aio::ConnectionManager, payloads: &[String]) -> bool {
        let mut pipe = redis::pipe();
        for payload in payloads {
            pipe.cmd("PUBLISH").arg(&self.channel).arg(payload).ignore();
        }
        let sent: redis::RedisResult<()> = pipe.query_async(conn).await;
        match sent {
            Ok(_) => true,
            Err(e) => {
                if self.publishing.swap(false, Ordering::AcqRel) {
                    tracing::error!(error = %e, "bus: publishing to Redis failed");
                }
                self.lost.store(true, Ordering::Release);
                false
            }
        }
    }

    async fn subscribe_loop(
        self: Arc<Self>,
        link: Arc<RedisLink>,
        resyncer: Arc<Resyncer>,
        mut stop: watch::Receiver<bool>,
    ) {
        let mut backoff = MIN_BACKOFF;
        let mut connected_before = false;
        loop {
            let attempt = tokio::select! {
                a = self.subscribe(&link) => a,
                _ = super::stopped(&mut stop) => return,
            };
            match attempt {
                Ok(pubsub) => {
                    backoff = MIN_BACKOFF;
                    self.subscribed.store(true, Ordering::Release);
                    if connected_before {
                        tracing::info!(channel = %self.channel, "bus: resubscribed to Redis");
                    } else {
                        tracing::info!(channel = %self.channel, "bus: subscribed to Redis");
                    }
                    // Sessions that connected while this node was deaf (also
                    // before its very first subscription) may have missed
                    // events; with no session, the pass costs nothing.
                    resyncer.trigger();
                    connected_before = true;
                    tokio::select! {
                        _ = self.receive(pubsub, &resyncer) => {}
                        _ = super::stopped(&mut stop) => return,
                    }
                    self.subscribed.store(false, Ordering::Release);
                    tracing::error!("bus: lost the Redis subscription; reconnecting");
                }
                Err(e) => {
                    tracing::debug!(error = %e, "bus: cannot subscribe to Redis");
                    tokio::select! {
                        _ = tokio::time::sleep(backoff) => {}
                        _ = super::stopped(&mut stop) => return,
                    }
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                }
            }
        }
    }

    async fn subscribe(&self, link: &RedisLink) -> anyhow::Result<redis::aio::PubSub> {
        let mut pubsub = link.pubsub().await?;
        tokio::time::timeout(PING_TIMEOUT, pubsub.subscribe(&self.channel))
            .await
            .map_err(|_elapsed| anyhow::anyhow!("SUBSCRIBE timed out"))??;
        Ok(pubsub)
    }

    /// Dispatches others' events until the subscription breaks.
    async fn receive(&self, pubsub: redis::aio::PubSub, resyncer: &Resyncer) {
        let (mut sink, mut stream) = pubsub.split();
        let mut ping = tokio::time::interval(PING_EVERY);
        ping.tick().await;
        loop {
            tokio::select! {
                message = stream.next() => {
                    let Some(message) = message else { return };
                    self.handle(message.get_payload_bytes(), resyncer);
                    ping.reset();
                }
                _ = ping.tick() => {
                    let pong = tokio::time::timeout(PING_TIMEOUT, sink.ping::<redis::Value>()).await;
                    if !matches!(pong, Ok(Ok(_))) {
                        return;
                    }
                }
            }
        }
    }

    fn handle(&self, payload: &[u8], resyncer: &Resyncer) {
        match serde_json::from_slice::<InEnvelope>(payload) {
            Ok(InEnvelope::Event {
                origin,
                audience,
                event,
            }) => {
                if origin != self.node_id {
                    self.stats.received.fetch_add(1, Ordering::Relaxed);
                    self.hub.dispatch(&audience, &event);
                }
            }
            Ok(InEnvelope::Revoked { origin, session }) => {
                if origin != self.node_id {
                    self.revoked.revoke(session);
                    self.hub
                        .close_login_session(session, close_code::SESSION_REVOKED);
                }
            }
            Ok(InEnvelope::Resync { origin }) => {
                if origin != self.node_id {
                    tracing::info!(%origin, "bus: a node dropped events; resyncing");
                    resyncer.trigger();
                }
            }
            // A newer node's envelope this one does not know: skip it rather
            // than fail (rolling upgrades mix versions for a while).
            Err(e) => tracing::warn!(error = %e, "bus: unreadable envelope skipped"),
        }
    }
}

impl Bus for RedisBus {
    fn publish(&self, audience: Audience, event: ServerEvent) {
        self.hub.dispatch(&audience, &event);
        match serde_json::to_string(&OutEnvelope::Event {
            origin: &self.node_id,
            audience: &audience,
            event: &event,
        }) {
            Ok(payload) => self.enqueue(payload),
            Err(e) => tracing::error!(error = %e, "bus: cannot encode an event"),
        }
    }

    fn is_healthy(&self) -> bool {
        self.subscribed.load(Ordering::Acquire) && self.publishing.load(Ordering::Acquire)
    }

    fn session_revoked(&self, session: SessionId) {
        match serde_json::to_string(&OutEnvelope::Revoked {
            origin: &self.node_id,
            session,
        }) {
            Ok(payload) => self.enqueue(payload),
            Err(e) => tracing::error!(error = %e, "bus: cannot encode a revocation"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hearth_protocol::RoomId;
    use hearth_protocol::gateway::TypingEvent;

    #[test]
    fn envelopes_round_trip() -> anyhow::Result<()> {
        let room_id = RoomId::new();
        let event = ServerEvent::Typing(TypingEvent {
            room_id,
            user_id: hearth_protocol::UserId::new(),
        });
        let text = serde_json::to_string(&OutEnvelope::Event {
            origin: "a",
            audience: &Audience::Room { room_id },
            event: &event,
        })?;
        match serde_json::from_str::<InEnvelope>(&text)? {
            InEnvelope::Event {
                origin,
                audience: Audience::Room { room_id: r },
                event,
            } => {
                assert_eq!((origin.as_str(), r), ("a", room_id));
                assert_eq!(event.name(), "typing");
            }
            _ => anyhow::bail!("wrong envelope: {text}"),
        }
        let text = serde_json::to_string(&OutEnvelope::Resync { origin: "b" })?;
        assert!(matches!(
            serde_json::from_str::<InEnvelope>(&text)?,
            InEnvelope::Resync { origin } if origin == "b"
        ));
        Ok(())
    }
}
