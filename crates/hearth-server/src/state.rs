//! The application state handed to the REST handlers and the gateway: the
//! services, this node's machinery under them, and the settings; and how
//! they are built at start-up.

use crate::auth::TokenKeys;
use crate::auth::tokens::load_or_create_secret;
use crate::auth::totp::SecretSealer;
use crate::config::Config;
use crate::events::{Events, LocalBus};
use crate::hub::Hub;
use crate::mail::Mailer;
use crate::media::Media;
use crate::push::vapid::VapidKeys;
use crate::ratelimit::RateLimits;
use crate::revocation::RevokedSessions;
use crate::service::presence::Presence;
use crate::service::{Parts, Services};
use crate::shutdown::Shutdown;
use hearth_store::Store;
use std::sync::Arc;

/// What the REST handlers and the gateway are handed: the services (the
/// rules), this node's machinery under them, and the settings. Cheap to
/// clone: three pointers.
#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub services: Arc<Services>,
    pub node: Arc<Node>,
}

/// This node's machinery: what the gateway, the health checks and the
/// background tasks run on besides the services.
pub struct Node {
    pub store: Arc<dyn Store>,
    /// Fan-out to this node's gateway sessions.
    pub hub: Arc<Hub>,
    pub events: Events,
    pub limits: Arc<RateLimits>,
    pub media: Arc<Media>,
    /// `Some` in cluster mode (`HEARTH_REDIS_URL`): the Redis bus, presence
    /// and shared login limits (see [`crate::bus`]).
    pub cluster: Option<Arc<crate::bus::Cluster>>,
    pub shutdown: Shutdown,
}

impl AppState {
    /// Opens the store (running migrations), wires this node's machinery
    /// and builds the services on it.
    pub async fn build(config: Config) -> anyhow::Result<AppState> {
        std::fs::create_dir_all(&config.data_dir)?;
        let store = hearth_store::open_with(
            &config.database_url(),
            hearth_store::OpenOptions {
                sqlite_synchronous_full: config.database.sqlite_sync_full,
                postgres_max_connections: Some(config.database.max_connections),
            },
        )
        .await?;
        let secret = server_secret(&config)?;
        let vapid = VapidKeys::for_node(&config.data_dir, config.cluster.is_some(), &secret)?;
        let fingerprint = crate::bus::secrets::fingerprint(&secret, vapid.public_key());
        let hub = Hub::new();
        let revoked = Arc::new(RevokedSessions::new(config.auth.access_token_ttl));
        // Revocations made before this start (or by another node) hold from
        // the first request on.
        revoked.catch_up(&*store).await?;
        let cluster = match config.cluster.as_ref() {
            Some(redis) => Some(
                crate::bus::Cluster::start(
                    redis,
                    hub.clone(),
                    store.clone(),
                    revoked.clone(),
                    config.limits.presence_room_limit,
                    fingerprint,
                )
                .await?,
            ),
            None => None,
        };
        let events = match &cluster {
            Some(c) => Events::new(c.bus.clone()),
            None => Events::new(Arc::new(LocalBus::new(hub.clone()))),
        };
        let presence = Presence::new(
            events.clone(),
            store.clone(),
            config.limits.presence_room_limit,
        );
        let mut limits = RateLimits::new(&config);
        if let Some(c) = &cluster {
            presence.set_shared(c.presence.clone());
            limits = limits.with_shared(c.rate_window.clone());
        }
        let limits = Arc::new(limits);
        let media = Arc::new(Media::new(&config)?);
        let services = Services::new(
            &config,
            Parts {
                store: store.clone(),
                events: events.clone(),
                hub: hub.clone(),
                limits: limits.clone(),
                media: media.clone(),
                presence,
                tokens: TokenKeys::new(&secret, config.auth.access_token_ttl),
                revoked,
                totp_sealer: SecretSealer::new(&secret),
                mailer: config.smtp.as_ref().map(Mailer::new).transpose()?,
                push: Arc::new(crate::push::WebPush::new(&config, vapid)?),
            },
        );
        Ok(AppState {
            config: Arc::new(config),
            services: Arc::new(services),
            node: Arc::new(Node {
                store,
                hub,
                events,
                limits,
                media,
                cluster,
                shutdown: Shutdown::new(),
            }),
        })
    }
}

/// The key that signs access tokens (and from which the two-factor sealing
/// key, and in cluster mode the VAPID key, derive): the configured one, else
/// `DATA_DIR/jwt.key`, which a single node generates when it is missing.
///
/// A cluster node never generates one. Generated keys would differ per node,
/// and a node answers 401 to the tokens of every other; keeping a generated
/// key in the shared database instead would put the key that forges any
/// user's token, and unseals every two-factor secret, in every database
/// backup. So a cluster node without a key given refuses to start.
fn server_secret(config: &Config) -> anyhow::Result<Vec<u8>> {
    let file = config.data_dir.join("jwt.key");
    match (&config.auth.jwt_secret, config.cluster.as_ref()) {
        (Some(s), _) if s.len() >= 32 => Ok(s.as_bytes().to_vec()),
        (Some(_), _) => anyhow::bail!("jwt_secret must be at least 32 characters"),
        (None, Some(_)) if !file.exists() => anyhow::bail!(
            "cluster mode needs a JWT secret given to every node: set HEARTH_JWT_SECRET \
             (--jwt-secret, auth.jwt_secret) to the same random text of at least 32 characters \
             on each node (e.g. `openssl rand -base64 48`), or copy one jwt.key into each \
             node's data directory ({}). A key generated per node would make every node \
             refuse the others' sign-ins.",
            config.data_dir.display()
        ),
        (None, _) => load_or_create_secret(&file),
    }
}
