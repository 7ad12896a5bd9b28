//! Cluster mode: what lets several Hearth nodes behind a load balancer act as
//! one server. Chosen by `HEARTH_REDIS_URL`; without it the node runs alone
//! with [`LocalBus`](crate::events::LocalBus) and none of this is started.
//!
//! - [`link`]: the Redis connection and the naming of keys and channels;
//! - [`redis`]: the event bus ([`RedisBus`]) carrying every `ServerEvent`
//!   (messages, membership, presence, typing, …) to every node's hub;
//! - [`resync`]: tells local sessions to catch up after a bus outage;
//! - [`presence`]: who is online anywhere in the cluster;
//! - [`ratelimit`]: login rate limits counted across nodes;
//! - [`secrets`]: whether every node holds the same secrets.
//!
//! The store is shared too (PostgreSQL), but that is the store's business:
//! see `hearth_store::postgres`. docs/operations.md says how to deploy.

pub mod link;
pub mod presence;
pub mod ratelimit;
pub mod redis;
pub mod resync;
pub mod secrets;

use crate::config::ClusterSettings;
use crate::hub::Hub;
use crate::revocation::RevokedSessions;
use hearth_store::Store;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

pub use self::redis::RedisBus;
pub use presence::ClusterPresence;
pub use ratelimit::SharedWindow;

/// How long startup waits for the first subscription before going on
/// unready (the node keeps trying in the background).
const FIRST_SUBSCRIBE_WAIT: Duration = Duration::from_secs(3);

/// This node's cluster machinery; its tasks run until [`Cluster::stop`].
pub struct Cluster {
    pub node_id: String,
    pub bus: Arc<RedisBus>,
    pub presence: Arc<ClusterPresence>,
    pub rate_window: Arc<SharedWindow>,
    /// Compares this node's secrets with the other nodes' (see [`secrets`]).
    pub secrets: secrets::SecretsCheck,
    stop: watch::Sender<bool>,
}

impl Cluster {
    /// Connects to Redis and starts the bus, the resyncer and presence. Waits
    /// a little for the subscription, so a node that answers ready receives
    /// other nodes' events; if Redis is down it starts anyway, unready.
    pub async fn start(
        settings: &ClusterSettings,
        hub: Arc<Hub>,
        store: Arc<dyn Store>,
        revoked: Arc<RevokedSessions>,
        presence_room_limit: u32,
        secrets_fingerprint: String,
    ) -> anyhow::Result<Arc<Cluster>> {
        let link = Arc::new(link::RedisLink::new(
            &settings.redis_url,
            &settings.redis_prefix,
        )?);
        let (stop, stopped) = watch::channel(false);
        let resyncer = resync::Resyncer::new(hub.clone(), store.clone(), revoked.clone());
        tokio::spawn(resyncer.clone().run({
            let mut stopped = stopped.clone();
            async move { self::stopped(&mut stopped).await }
        }));
        let bus = RedisBus::start(
            link.clone(),
            &settings.node_id,
            hub,
            revoked,
            resyncer,
            stopped.clone(),
        );
        let presence = ClusterPresence::start(
            link.clone(),
            &settings.node_id,
            settings.presence_ttl,
            bus.clone(),
            store,
            presence_room_limit,
            stopped,
        );
        if !bus.wait_subscribed(FIRST_SUBSCRIBE_WAIT).await {
            tracing::error!("cluster: Redis unreachable at startup; serving unready, retrying");
        }
        let secrets = secrets::SecretsCheck::new(link.clone(), secrets_fingerprint);
        if let Ok(secrets::Agreement::Differ) = secrets.compare().await {
            tracing::error!(
                "cluster: this node's HEARTH_JWT_SECRET (or vapid.key) differs from the other \
                 nodes'; it answers 503 on /readyz until every node is given the same"
            );
        }
        tracing::info!(
            node_id = %settings.node_id,
            prefix = %settings.redis_prefix,
            "cluster mode: events, presence and login limits go through Redis"
        );
        Ok(Arc::new(Cluster {
            node_id: settings.node_id.clone(),
            bus,
            presence,
            rate_window: Arc::new(SharedWindow::new(link)),
            secrets,
            stop,
        }))
    }

    /// Stops the background tasks (shutdown).
    pub fn stop(&self) {
        let _ = self.stop.send(true);
    }

    /// Stops the node's cluster work without a goodbye, as a crash would:
    /// no more heartbeats or presence changes, nothing published. Its users
    /// go offline on the other nodes when their entries expire. For tests.
    pub fn halt(&self) {
        self.presence.halt();
        self.stop();
    }
}

/// Resolves once `stop` turns true (or its sender is gone).
async fn stopped(stop: &mut watch::Receiver<bool>) {
    // The guard `wait_for` returns is not Send: drop it here, not in a select.
    let _ = stop.wait_for(|s| *s).await;
}

impl Drop for Cluster {
    fn drop(&mut self) {
        self.stop();
    }
}
