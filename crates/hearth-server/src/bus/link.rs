//! The node's link to Redis: one client, one multiplexed connection shared by
//! every command (publishes, presence scripts, rate-limit counters), and the
//! naming of every key and channel under the cluster's prefix.
//!
//! The connection is a [`ConnectionManager`] created lazily: a node starts
//! even while Redis is down, and the manager reconnects on its own after a
//! failure. Subscriptions need a connection of their own (see `redis.rs`).

use redis::aio::{ConnectionManager, ConnectionManagerConfig, PubSub};
use std::time::Duration;

/// How long one connection attempt may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(1);
/// How long one command may take before it counts as failed.
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(2);

pub struct RedisLink {
    client: redis::Client,
    manager: ConnectionManager,
    prefix: String,
}

impl RedisLink {
    /// Parses `url` and prepares the connection (nothing is dialled yet).
    pub fn new(url: &str, prefix: &str) -> anyhow::Result<Self> {
        let client =
            redis::Client::open(url).map_err(|e| anyhow::anyhow!("invalid Redis URL: {e}"))?;
        // Few quick retries: callers have their own fallbacks (local
        // delivery, local rate limits) and must not hang on a dead Redis.
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(CONNECT_TIMEOUT))
            .set_response_timeout(Some(RESPONSE_TIMEOUT))
            .set_number_of_retries(1)
            .set_min_delay(Duration::from_millis(50))
            .set_max_delay(Duration::from_millis(500));
        let manager = ConnectionManager::new_lazy_with_config(client.clone(), config)?;
        Ok(Self {
            client,
            manager,
            prefix: prefix.to_string(),
        })
    }

    /// A handle on the shared connection (cheap to clone).
    pub fn conn(&self) -> ConnectionManager {
        self.manager.clone()
    }

    /// A new connection for subscribing.
    pub async fn pubsub(&self) -> anyhow::Result<PubSub> {
        match tokio::time::timeout(CONNECT_TIMEOUT * 2, self.client.get_async_pubsub()).await {
            Ok(Ok(pubsub)) => Ok(pubsub),
            Ok(Err(e)) => Err(e.into()),
            Err(_) => anyhow::bail!("connecting to Redis timed out"),
        }
    }

    /// `{prefix}:{name}`.
    pub fn key(&self, name: &str) -> String {
        format!("{}:{name}", self.prefix)
    }
}
