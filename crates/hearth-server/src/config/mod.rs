//! The settings the server runs with, each declared once: its flag,
//! `HEARTH_*` variable, TOML key (the clap id), default, check and help.
//!
//! Flags win over the environment, which wins over the `--config` file
//! (`cli.rs` reads it), which wins over the defaults written here. A value
//! that fails its check stops the start with a message naming the setting
//! (`values.rs`). The README's table is rendered from these declarations and
//! checked by a test (`docs.rs`).

#[cfg(test)]
mod docs;
pub(crate) mod file;
mod optional;
mod proxies;
mod values;

pub use optional::{Optional, Switched};
pub use proxies::TrustedProxies;
pub(crate) use values::name_the_setting;

use clap::{ArgAction, Args, Command, FromArgMatches};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;
use values::{at_least, at_least_chars, seconds};

/// Every setting. Top-level fields have top-level TOML keys; each section
/// is a TOML table (`[limits]`, `[cluster]`, …).
#[derive(Clone, Debug, Args)]
#[command(next_help_heading = "Server")]
pub struct Config {
    /// Address to listen on
    #[arg(
        id = "bind",
        long = "bind",
        env = "HEARTH_BIND",
        default_value = "127.0.0.1:8080"
    )]
    pub bind: SocketAddr,
    /// Directory of the SQLite database, uploads and generated keys
    #[arg(
        id = "data_dir",
        long = "data-dir",
        env = "HEARTH_DATA_DIR",
        default_value = "./data"
    )]
    pub data_dir: PathBuf,
    /// The URL users reach the server at, for links in mail (never taken from request headers); with SMTP set and this not, the server warns at start [default: http://BIND]
    #[arg(id = "public_url", long = "public-url", env = "HEARTH_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Take client IPs from `X-Forwarded-For` (behind a reverse proxy): the rightmost address that is not one of `trusted_proxies`
    #[arg(id = "trust_proxy", long = "trust-proxy", env = "HEARTH_TRUST_PROXY",
          action = ArgAction::Set, default_value = "false")]
    pub trust_proxy: bool,
    /// With `trust_proxy`: the reverse proxies' networks, comma-separated CIDR; only a request from one of them has its `X-Forwarded-For` read, and only the entries they added are believed
    #[arg(id = "trusted_proxies", long = "trusted-proxies", env = "HEARTH_TRUSTED_PROXIES",
          default_value = proxies::DEFAULT_TRUSTED_PROXIES, value_parser = TrustedProxies::parse)]
    pub trusted_proxies: TrustedProxies,
    /// Seconds a user must have been away, and a mention or DM unread, before it is mailed in a digest (needs SMTP)
    #[arg(id = "email_digest_after", long = "email-digest-after", env = "HEARTH_EMAIL_DIGEST_AFTER",
          default_value = "900", value_parser = seconds(0))]
    pub email_digest_after: Duration,
    /// Log format: `text` or `json`; the level comes from `RUST_LOG`
    #[arg(
        id = "log_format",
        long = "log-format",
        env = "HEARTH_LOG_FORMAT",
        default_value = "text"
    )]
    pub log_format: LogFormat,
    /// Seconds to let requests and connections finish on shutdown (SIGTERM)
    #[arg(id = "shutdown_grace", long = "shutdown-grace", env = "HEARTH_SHUTDOWN_GRACE",
          default_value = "10", value_parser = seconds(0))]
    pub shutdown_grace: Duration,
    #[command(flatten)]
    pub database: DatabaseSettings,
    #[command(flatten)]
    pub auth: AuthSettings,
    #[command(flatten)]
    pub limits: Limits,
    /// `None`: uploads live on the local disk under `data_dir/uploads`.
    #[command(flatten)]
    pub s3: Optional<S3Settings>,
    /// `None`: the server sends no mail.
    #[command(flatten)]
    pub smtp: Optional<SmtpSettings>,
    /// `Some`: cluster mode (the Redis bus; see docs/operations.md).
    #[command(flatten)]
    pub cluster: Optional<ClusterSettings>,
    /// Not settings: no flag, variable or key reaches these.
    #[arg(skip)]
    pub internal: Internal,
}

/// `[database]`: the store.
#[derive(Clone, Debug, Args)]
#[command(next_help_heading = "Database")]
pub struct DatabaseSettings {
    /// The store: `sqlite://PATH` or `postgres://…` [default: sqlite://DATA_DIR/hearth.db]
    #[arg(
        id = "database.url",
        long = "database-url",
        env = "HEARTH_DATABASE_URL",
        hide_env_values = true
    )]
    pub url: Option<String>,
    /// PostgreSQL: connections in this node's pool; keep nodes × this under the server's `max_connections`
    #[arg(id = "database.max_connections", long = "database-max-connections",
          env = "HEARTH_DATABASE_MAX_CONNECTIONS", default_value = "10", value_parser = at_least(1u32))]
    pub max_connections: u32,
    /// SQLite: fsync every commit, so an acknowledged message survives a power loss; `false` survives a process crash only (see "Durability")
    #[arg(id = "database.sqlite_sync_full", long = "sqlite-sync-full", env = "HEARTH_SQLITE_SYNC_FULL",
          action = ArgAction::Set, default_value = "true")]
    pub sqlite_sync_full: bool,
}

/// `[auth]`: accounts and sign-in.
#[derive(Clone, Args)]
#[command(next_help_heading = "Accounts")]
pub struct AuthSettings {
    /// Key signing access tokens and sealing two-factor secrets, at least 32 characters; the same on every node of a cluster [default: generated in DATA_DIR/jwt.key]
    #[arg(id = "auth.jwt_secret", long = "jwt-secret", env = "HEARTH_JWT_SECRET",
          hide_env_values = true, value_parser = at_least_chars(32))]
    pub jwt_secret: Option<String>,
    /// Access token lifetime in seconds
    #[arg(id = "auth.access_token_ttl", long = "access-token-ttl", env = "HEARTH_ACCESS_TOKEN_TTL",
          default_value = "900", value_parser = seconds(0))]
    pub access_token_ttl: Duration,
    /// Sign-in session (refresh token) lifetime in seconds, renewed on each use
    #[arg(id = "auth.refresh_token_ttl", long = "refresh-token-ttl", env = "HEARTH_REFRESH_TOKEN_TTL",
          default_value = "2592000", value_parser = seconds(0))]
    pub refresh_token_ttl: Duration,
    /// Who may register: `open`, `invite` (needs the invite code) or `closed`
    #[arg(
        id = "auth.registration",
        long = "registration",
        env = "HEARTH_REGISTRATION",
        default_value = "open"
    )]
    pub registration: Registration,
    /// The code invite-only registration asks for
    #[arg(
        id = "auth.invite_code",
        long = "invite-code",
        env = "HEARTH_INVITE_CODE",
        hide_env_values = true
    )]
    pub invite_code: Option<String>,
}

/// `[limits]`: sizes, rates and queues.
#[derive(Clone, Debug, Args)]
#[command(next_help_heading = "Limits")]
pub struct Limits {
    /// Largest JSON body in bytes; larger ones get 413
    #[arg(
        id = "limits.max_json_bytes",
        long = "max-json-bytes",
        env = "HEARTH_MAX_JSON_BYTES",
        default_value = "65536"
    )]
    pub max_json_bytes: usize,
    /// Longest message body in characters; longer ones get 400
    #[arg(
        id = "limits.max_message_chars",
        long = "max-message-chars",
        env = "HEARTH_MAX_MESSAGE_CHARS",
        default_value = "4000"
    )]
    pub max_message_chars: usize,
    /// Largest upload in bytes; larger ones get 413
    #[arg(
        id = "limits.max_upload_bytes",
        long = "max-upload-bytes",
        env = "HEARTH_MAX_UPLOAD_BYTES",
        default_value = "26214400"
    )]
    pub max_upload_bytes: u64,
    /// Sign-in and registration attempts per IP per minute
    #[arg(id = "limits.auth_rate_per_minute", long = "auth-rate-per-minute",
          env = "HEARTH_AUTH_RATE_PER_MINUTE", default_value = "30", value_parser = at_least(1u32))]
    pub auth_rate_per_minute: u32,
    /// Messages a user may send per second, sustained
    #[arg(id = "limits.send_rate_per_second", long = "send-rate-per-second",
          env = "HEARTH_SEND_RATE_PER_SECOND", default_value = "10", value_parser = at_least(1u32))]
    pub send_rate_per_second: u32,
    /// Messages a user may send at once
    #[arg(id = "limits.send_burst", long = "send-burst", env = "HEARTH_SEND_BURST",
          default_value = "30", value_parser = at_least(1u32))]
    pub send_burst: u32,
    /// Writes other than sends (reactions, edits, deletes, pins, rooms, members, uploads, push subscriptions, settings) a user may make per minute, all at once if saved up; shared by the nodes of a cluster
    #[arg(id = "limits.write_rate_per_minute", long = "write-rate-per-minute",
          env = "HEARTH_WRITE_RATE_PER_MINUTE", default_value = "120", value_parser = at_least(1u32))]
    pub write_rate_per_minute: u32,
    /// Searches (messages, users, channels) a user may make per minute, all at once if saved up; shared by the nodes of a cluster
    #[arg(id = "limits.search_rate_per_minute", long = "search-rate-per-minute",
          env = "HEARTH_SEARCH_RATE_PER_MINUTE", default_value = "60", value_parser = at_least(1u32))]
    pub search_rate_per_minute: u32,
    /// WebSocket ops a user may send per second over all their sessions on a node, sustained (bursts of twice that)
    #[arg(id = "limits.gateway_ops_per_second", long = "gateway-ops-per-second",
          env = "HEARTH_GATEWAY_OPS_PER_SECOND", default_value = "20", value_parser = at_least(1u32))]
    pub gateway_ops_per_second: u32,
    /// WebSocket sessions a user may hold at once on a node; one more is closed with 4029
    #[arg(id = "limits.max_sessions_per_user", long = "max-sessions-per-user",
          env = "HEARTH_MAX_SESSIONS_PER_USER", default_value = "20", value_parser = at_least(1usize))]
    pub max_sessions_per_user: usize,
    /// Bytes of uploads a user may keep stored in total; one more upload past it gets 413; 0: no quota
    #[arg(
        id = "limits.upload_quota_bytes",
        long = "upload-quota-bytes",
        env = "HEARTH_UPLOAD_QUOTA_BYTES",
        default_value = "1073741824"
    )]
    pub upload_quota_bytes: u64,
    /// Web Push subscriptions (browsers) a user may have
    #[arg(id = "limits.push_subscriptions_per_user", long = "push-subscriptions-per-user",
          env = "HEARTH_PUSH_SUBSCRIPTIONS_PER_USER", default_value = "10", value_parser = at_least(1usize))]
    pub push_subscriptions_per_user: usize,
    /// Seconds a new WebSocket has to send its `auth` frame before it is closed with 4001
    #[arg(id = "limits.gateway_auth_timeout", long = "gateway-auth-timeout",
          env = "HEARTH_GATEWAY_AUTH_TIMEOUT", default_value = "10", value_parser = seconds(1))]
    pub gateway_auth_timeout: Duration,
    /// Frames queued per WebSocket before it is cut off with 4008
    #[arg(id = "limits.session_queue", long = "session-queue", env = "HEARTH_SESSION_QUEUE",
          default_value = "1024", value_parser = at_least(8usize))]
    pub session_queue: usize,
    /// Presence is pushed through rooms of at most this many members (DMs, groups, small channels); bigger rooms show it in their member list (see `service::presence`)
    #[arg(
        id = "limits.presence_room_limit",
        long = "presence-room-limit",
        env = "HEARTH_PRESENCE_ROOM_LIMIT",
        default_value = "100"
    )]
    pub presence_room_limit: u32,
}

/// `[s3]`: where uploads go when they go to S3; on when `s3.bucket` is set.
#[derive(Clone, Args)]
#[command(next_help_heading = "Uploads in S3")]
pub struct S3Settings {
    /// Keep uploads in this S3(-compatible) bucket instead of DATA_DIR/uploads
    #[arg(
        id = "s3.bucket",
        long = "s3-bucket",
        env = "HEARTH_S3_BUCKET",
        required = false
    )]
    pub bucket: String,
    /// Endpoint URL of an S3-compatible server (MinIO, Garage, …) [default: AWS]
    #[arg(id = "s3.endpoint", long = "s3-endpoint", env = "HEARTH_S3_ENDPOINT")]
    pub endpoint: Option<String>,
    /// S3 region
    #[arg(
        id = "s3.region",
        long = "s3-region",
        env = "HEARTH_S3_REGION",
        default_value = "us-east-1"
    )]
    pub region: String,
    /// Access key id; when unset, the standard `AWS_*` variables and instance credentials apply
    #[arg(
        id = "s3.access_key_id",
        long = "s3-access-key-id",
        env = "HEARTH_S3_ACCESS_KEY_ID",
        hide_env_values = true
    )]
    pub access_key_id: Option<String>,
    /// Secret access key
    #[arg(
        id = "s3.secret_access_key",
        long = "s3-secret-access-key",
        env = "HEARTH_S3_SECRET_ACCESS_KEY",
        hide_env_values = true
    )]
    pub secret_access_key: Option<String>,
}

/// `[smtp]`: the server that mail goes through; on when `smtp.url` is set.
#[derive(Clone, Args)]
#[command(next_help_heading = "Mail")]
pub struct SmtpSettings {
    /// SMTP server for password resets, address checks and digests: `smtp://host:25`, `smtp://user:pass@host:587?tls=required` (STARTTLS) or `smtps://host:465`; unset: no mail (password resets only with the CLI)
    #[arg(
        id = "smtp.url",
        long = "smtp-url",
        env = "HEARTH_SMTP_URL",
        hide_env_values = true,
        required = false
    )]
    pub url: String,
    /// Sender of the server's mail, e.g. `Hearth <hearth@example.org>`
    #[arg(
        id = "smtp.from",
        long = "smtp-from",
        env = "HEARTH_SMTP_FROM",
        default_value = "hearth@localhost"
    )]
    pub from: String,
}

/// `[cluster]`: Redis and this node's place in the cluster; on when
/// `cluster.redis_url` is set.
#[derive(Clone, Args)]
#[command(next_help_heading = "Cluster")]
pub struct ClusterSettings {
    /// Cluster mode: Redis for cross-node events, presence and rate limits (sign-in, writes, searches), e.g. `redis://10.0.0.5:6379/0`; unset: a single node
    #[arg(
        id = "cluster.redis_url",
        long = "redis-url",
        env = "HEARTH_REDIS_URL",
        hide_env_values = true,
        required = false
    )]
    pub redis_url: String,
    /// Prefix of every Redis key and channel, so several clusters can share one Redis
    #[arg(
        id = "cluster.redis_prefix",
        long = "redis-prefix",
        env = "HEARTH_REDIS_PREFIX",
        default_value = "hearth"
    )]
    pub redis_prefix: String,
    /// This node's name, unique in the cluster; shows in logs [default: random]
    #[arg(id = "cluster.node_id", long = "node-id", env = "HEARTH_NODE_ID",
          default_value_t = random_node_id(), hide_default_value = true)]
    pub node_id: String,
    /// Seconds a node's presence entries live without a heartbeat: a crashed node's users go offline within this
    #[arg(id = "cluster.presence_ttl", long = "presence-ttl", env = "HEARTH_PRESENCE_TTL",
          default_value = "45", value_parser = seconds(1))]
    pub presence_ttl: Duration,
}

impl Switched for S3Settings {
    const SWITCH: &'static str = "s3.bucket";
}

impl Switched for SmtpSettings {
    const SWITCH: &'static str = "smtp.url";
}

impl Switched for ClusterSettings {
    const SWITCH: &'static str = "cluster.redis_url";
}

/// Fixed in production; tests change them in Rust.
#[derive(Clone, Debug)]
pub struct Internal {
    /// Accept `http://` Web Push endpoints on any port and address (the
    /// tests' push service on loopback); otherwise only `https://` on port
    /// 443 at public addresses.
    pub push_allow_http: bool,
    /// Rate limiters read a clock that moves only when a test advances it
    /// (`RateLimits::clock`).
    pub manual_limit_clock: bool,
    /// A gateway connect records the session's activity only if it was last
    /// recorded this long ago.
    pub session_touch_interval: Duration,
}

impl Default for Internal {
    fn default() -> Self {
        Internal {
            push_allow_http: false,
            manual_limit_clock: false,
            session_touch_interval: Duration::from_secs(60),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Registration {
    Open,
    Invite,
    Closed,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

/// A node name nobody else picks: 16 random hex digits.
fn random_node_id() -> String {
    format!("{:016x}", rand::random::<u64>())
}

/// Secrets and URLs that may carry passwords show as this in `Debug`.
const REDACTED: &str = "<redacted>";

fn redacted(value: &Option<String>) -> Option<&'static str> {
    value.as_ref().map(|_| REDACTED)
}

impl std::fmt::Debug for AuthSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthSettings")
            .field("jwt_secret", &redacted(&self.jwt_secret))
            .field("access_token_ttl", &self.access_token_ttl)
            .field("refresh_token_ttl", &self.refresh_token_ttl)
            .field("registration", &self.registration)
            .field("invite_code", &redacted(&self.invite_code))
            .finish()
    }
}

impl std::fmt::Debug for S3Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Settings")
            .field("bucket", &self.bucket)
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .field("access_key_id", &redacted(&self.access_key_id))
            .field("secret_access_key", &redacted(&self.secret_access_key))
            .finish()
    }
}

impl std::fmt::Debug for SmtpSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpSettings")
            .field("url", &REDACTED)
            .field("from", &self.from)
            .finish()
    }
}

impl std::fmt::Debug for ClusterSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClusterSettings")
            .field("redis_url", &REDACTED)
            .field("redis_prefix", &self.redis_prefix)
            .field("node_id", &self.node_id)
            .field("presence_ttl", &self.presence_ttl)
            .finish()
    }
}

/// The settings as clap arguments, without the rest of the command line:
/// what the docs are rendered from and the defaults are parsed with.
pub(crate) fn settings_command() -> Command {
    Config::augment_args(Command::new("hearth"))
}

impl Config {
    /// Defaults, as `hearth serve` with no flags, variables or file would
    /// run.
    pub fn defaults() -> Config {
        let command = settings_command().mut_args(|arg| arg.env(None));
        let parsed = command
            .try_get_matches_from(["hearth"])
            .and_then(|matches| Config::from_arg_matches(&matches));
        match parsed {
            Ok(config) => config,
            // Every default is parsed by a unit test, so this cannot happen
            // in a build that passed them.
            Err(e) => panic!("a declared default does not parse: {e}"),
        }
    }

    /// The database URL; by default a SQLite file in the data directory.
    pub fn database_url(&self) -> String {
        match &self.database.url {
            Some(url) => url.clone(),
            None => format!("sqlite://{}", self.data_dir.join("hearth.db").display()),
        }
    }

    /// Base of links in mail, without a trailing slash; by default the bind
    /// address.
    pub fn public_url(&self) -> String {
        match &self.public_url {
            Some(url) => url.trim_end_matches('/').to_string(),
            None => format!("http://{}", self.bind),
        }
    }

    /// What an operator should hear about this configuration at start.
    pub fn warnings(&self) -> Vec<String> {
        let mut warnings = Vec::new();
        if self.smtp.is_some() && self.public_url.is_none() {
            warnings.push(format!(
                "HEARTH_PUBLIC_URL is not set: links in e-mails will point to {}; \
                 set it to the address people open Hearth at",
                self.public_url()
            ));
        }
        warnings
    }
}

#[cfg(test)]
mod tests;
