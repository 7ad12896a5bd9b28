//! Configuration: defaults, overlaid by an optional TOML file, overlaid by
//! `HEARTH_*` environment variables and command-line flags (clap reads both).

use serde::Deserialize;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// Every setting, each optional so that a TOML file and the command line can
/// both supply some of them. Field docs are the `--help` text.
#[derive(Clone, Debug, Default, Deserialize, clap::Args)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// Address to listen on [default: 127.0.0.1:8080]
    #[arg(long, global = true, env = "HEARTH_BIND")]
    pub bind: Option<SocketAddr>,
    /// Directory for the SQLite database, uploads and generated keys [default: ./data]
    #[arg(long, global = true, env = "HEARTH_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// Database URL: sqlite://PATH or postgres://… [default: sqlite://DATA_DIR/hearth.db]
    #[arg(long, global = true, env = "HEARTH_DATABASE_URL")]
    pub database_url: Option<String>,
    /// PostgreSQL: connections in this node's pool; keep nodes × this under the server's max_connections [default: 10]
    #[arg(long, global = true, env = "HEARTH_DATABASE_MAX_CONNECTIONS")]
    pub database_max_connections: Option<u32>,
    /// SQLite fsync on every commit (survives power loss) instead of NORMAL (survives a process crash) [default: true]
    #[arg(long, global = true, env = "HEARTH_SQLITE_SYNC_FULL")]
    pub sqlite_sync_full: Option<bool>,
    /// Secret for signing access tokens; generated into DATA_DIR/jwt.key when unset. Set the same value on every node of a cluster.
    #[arg(long, global = true, env = "HEARTH_JWT_SECRET", hide_env_values = true)]
    pub jwt_secret: Option<String>,
    /// Access token lifetime in seconds [default: 900]
    #[arg(long, global = true, env = "HEARTH_ACCESS_TOKEN_TTL")]
    pub access_token_ttl: Option<u64>,
    /// Refresh token (login session) lifetime in seconds, renewed on each use [default: 2592000]
    #[arg(long, global = true, env = "HEARTH_REFRESH_TOKEN_TTL")]
    pub refresh_token_ttl: Option<u64>,
    /// Who may register: open, invite (needs --invite-code) or closed [default: open]
    #[arg(long, global = true, env = "HEARTH_REGISTRATION")]
    pub registration: Option<Registration>,
    /// The code invite-only registration asks for
    #[arg(
        long,
        global = true,
        env = "HEARTH_INVITE_CODE",
        hide_env_values = true
    )]
    pub invite_code: Option<String>,
    /// Largest accepted JSON body in bytes [default: 65536]
    #[arg(long, global = true, env = "HEARTH_MAX_JSON_BYTES")]
    pub max_json_bytes: Option<usize>,
    /// Longest message body in characters [default: 4000]
    #[arg(long, global = true, env = "HEARTH_MAX_MESSAGE_CHARS")]
    pub max_message_chars: Option<usize>,
    /// Login and register attempts per IP per minute [default: 30]
    #[arg(long, global = true, env = "HEARTH_AUTH_RATE_PER_MINUTE")]
    pub auth_rate_per_minute: Option<u32>,
    /// Messages a user may send per second, sustained [default: 10]
    #[arg(long, global = true, env = "HEARTH_SEND_RATE_PER_SECOND")]
    pub send_rate_per_second: Option<u32>,
    /// Burst of messages a user may send at once [default: 30]
    #[arg(long, global = true, env = "HEARTH_SEND_BURST")]
    pub send_burst: Option<u32>,
    /// Gateway ops a session may send per second, sustained [default: 20]
    #[arg(long, global = true, env = "HEARTH_GATEWAY_OPS_PER_SECOND")]
    pub gateway_ops_per_second: Option<u32>,
    /// Seconds a new gateway connection has to send its `auth` frame before it is closed with 4001 [default: 10]
    #[arg(long, global = true, env = "HEARTH_GATEWAY_AUTH_TIMEOUT")]
    pub gateway_auth_timeout: Option<u64>,
    /// Frames queued per gateway session before it is cut off with 4008 [default: 1024]
    #[arg(long, global = true, env = "HEARTH_SESSION_QUEUE")]
    pub session_queue: Option<usize>,
    /// Presence is pushed (and listed in `ready`) only through rooms of at most this many members: DMs, groups, small channels. Bigger rooms show presence in their member list [default: 100]
    #[arg(long, global = true, env = "HEARTH_PRESENCE_ROOM_LIMIT")]
    pub presence_room_limit: Option<u32>,
    /// Largest upload in bytes [default: 26214400]
    #[arg(long, global = true, env = "HEARTH_MAX_UPLOAD_BYTES")]
    pub max_upload_bytes: Option<u64>,
    /// Store uploads in this S3(-compatible) bucket instead of DATA_DIR/uploads
    #[arg(long, global = true, env = "HEARTH_S3_BUCKET")]
    pub s3_bucket: Option<String>,
    /// S3 endpoint URL for S3-compatible servers (MinIO, Garage, …) [default: AWS]
    #[arg(long, global = true, env = "HEARTH_S3_ENDPOINT")]
    pub s3_endpoint: Option<String>,
    /// S3 region [default: us-east-1]
    #[arg(long, global = true, env = "HEARTH_S3_REGION")]
    pub s3_region: Option<String>,
    /// S3 access key id; when unset, the standard AWS_* variables and instance credentials apply
    #[arg(
        long,
        global = true,
        env = "HEARTH_S3_ACCESS_KEY_ID",
        hide_env_values = true
    )]
    pub s3_access_key_id: Option<String>,
    /// S3 secret access key
    #[arg(
        long,
        global = true,
        env = "HEARTH_S3_SECRET_ACCESS_KEY",
        hide_env_values = true
    )]
    pub s3_secret_access_key: Option<String>,
    /// Trust X-Forwarded-For from a reverse proxy for client IPs [default: false]
    #[arg(long, global = true, env = "HEARTH_TRUST_PROXY")]
    pub trust_proxy: Option<bool>,
    /// SMTP server for the mail the server sends (password resets, address verification, digests): smtp://host:25, smtp://user:pass@host:587?tls=required (STARTTLS) or smtps://host:465. Without it the server sends no mail
    #[arg(long, global = true, env = "HEARTH_SMTP_URL", hide_env_values = true)]
    pub smtp_url: Option<String>,
    /// Sender address of the server's mail, e.g. "Hearth <hearth@example.org>" [default: hearth@localhost]
    #[arg(long, global = true, env = "HEARTH_SMTP_FROM")]
    pub smtp_from: Option<String>,
    /// The URL users reach the server at, for links in mail (never taken from request headers) [default: http://BIND]
    #[arg(long, global = true, env = "HEARTH_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Seconds a user must have been offline, and a mention or DM unread, before it is mailed in a digest (needs SMTP) [default: 900]
    #[arg(long, global = true, env = "HEARTH_EMAIL_DIGEST_AFTER")]
    pub email_digest_after: Option<u64>,
    /// Cluster mode: Redis for cross-node events, presence and login rate limits, e.g. redis://10.0.0.5:6379/0. Unset: single node
    #[arg(long, global = true, env = "HEARTH_REDIS_URL", hide_env_values = true)]
    pub redis_url: Option<String>,
    /// Prefix of every Redis key and channel, so clusters (or tests) can share a Redis [default: hearth]
    #[arg(long, global = true, env = "HEARTH_REDIS_PREFIX")]
    pub redis_prefix: Option<String>,
    /// This node's name in the cluster; unique per node [default: random]
    #[arg(long, global = true, env = "HEARTH_NODE_ID")]
    pub node_id: Option<String>,
    /// Cluster mode: seconds a node's presence entries live without a heartbeat; a crashed node's users go offline within this [default: 45]
    #[arg(long, global = true, env = "HEARTH_PRESENCE_TTL")]
    pub presence_ttl: Option<u64>,
    /// Log format: text or json [default: text]
    #[arg(long, global = true, env = "HEARTH_LOG_FORMAT")]
    pub log_format: Option<LogFormat>,
    /// Seconds to wait for connections to finish on shutdown [default: 10]
    #[arg(long, global = true, env = "HEARTH_SHUTDOWN_GRACE")]
    pub shutdown_grace: Option<u64>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Registration {
    Open,
    Invite,
    Closed,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

/// The SMTP server mail goes through.
#[derive(Clone)]
pub struct SmtpSettings {
    /// May hold credentials: never logged.
    pub url: String,
    pub from: String,
}

impl std::fmt::Debug for SmtpSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpSettings")
            .field("url", &"<redacted>")
            .field("from", &self.from)
            .finish()
    }
}

/// Where uploads go when they go to S3.
#[derive(Clone, Debug)]
pub struct S3Settings {
    pub bucket: String,
    pub endpoint: Option<String>,
    pub region: String,
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<String>,
}

/// The resolved configuration the server runs with.
#[derive(Clone, Debug)]
pub struct Config {
    pub bind: SocketAddr,
    pub data_dir: PathBuf,
    pub database_url: String,
    /// PostgreSQL pool size (`None`: the store's default).
    pub database_max_connections: Option<u32>,
    pub sqlite_sync_full: bool,
    pub jwt_secret: Option<String>,
    pub access_token_ttl: Duration,
    pub refresh_token_ttl: Duration,
    pub registration: Registration,
    pub invite_code: Option<String>,
    pub max_json_bytes: usize,
    pub max_message_chars: usize,
    pub auth_rate_per_minute: u32,
    pub send_rate_per_second: u32,
    pub send_burst: u32,
    pub gateway_ops_per_second: u32,
    /// How long a new gateway connection may take to authenticate.
    pub gateway_auth_timeout: Duration,
    pub session_queue: usize,
    /// Rooms of at most this many members carry presence (see
    /// `service::presence`).
    pub presence_room_limit: u32,
    pub max_upload_bytes: u64,
    /// `None`: uploads live on the local disk under `data_dir/uploads`.
    pub s3: Option<S3Settings>,
    pub trust_proxy: bool,
    /// `None`: the server sends no mail.
    pub smtp: Option<SmtpSettings>,
    /// Base of links in mail, without a trailing slash.
    pub public_url: String,
    /// `public_url` was not configured: it is the bind address.
    pub public_url_defaulted: bool,
    /// How long a mention or DM stays unread, its recipient offline, before
    /// it goes out in an e-mail digest.
    pub email_digest_after: Duration,
    /// Accept `http://` Web Push endpoints (tests, a push service on a
    /// private network); only `https://` otherwise. Not a setting.
    pub push_allow_http: bool,
    /// A gateway connect records the session's activity only if it was last
    /// recorded this long ago (60 s; tests lower it). Not a setting.
    pub session_touch_interval: Duration,
    /// `Some`: cluster mode (see [`crate::bus`]).
    pub redis: Option<RedisSettings>,
    pub log_format: LogFormat,
    pub shutdown_grace: Duration,
}

/// Cluster mode's Redis and this node's place in it.
#[derive(Clone)]
pub struct RedisSettings {
    /// May hold a password: never logged.
    pub url: String,
    pub prefix: String,
    pub node_id: String,
    /// How long a node's presence entries live without a heartbeat.
    pub presence_ttl: Duration,
}

impl std::fmt::Debug for RedisSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisSettings")
            .field("url", &"<redacted>")
            .field("prefix", &self.prefix)
            .field("node_id", &self.node_id)
            .field("presence_ttl", &self.presence_ttl)
            .finish()
    }
}

impl Settings {
    /// Reads a TOML settings file.
    pub fn from_toml_file(path: &std::path::Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| anyhow::anyhow!("reading {}: {e}", path.display()))?;
        toml::from_str(&text).map_err(|e| anyhow::anyhow!("parsing {}: {e}", path.display()))
    }

    /// `self` wins over `lower` field by field.
    pub fn over(self, lower: Settings) -> Settings {
        macro_rules! pick {
            ($($f:ident),*) => { Settings { $($f: self.$f.or(lower.$f)),* } };
        }
        pick!(
            bind,
            data_dir,
            database_url,
            database_max_connections,
            sqlite_sync_full,
            jwt_secret,
            access_token_ttl,
            refresh_token_ttl,
            registration,
            invite_code,
            max_json_bytes,
            max_message_chars,
            auth_rate_per_minute,
            send_rate_per_second,
            send_burst,
            gateway_ops_per_second,
            gateway_auth_timeout,
            session_queue,
            presence_room_limit,
            max_upload_bytes,
            s3_bucket,
            s3_endpoint,
            s3_region,
            s3_access_key_id,
            s3_secret_access_key,
            trust_proxy,
            smtp_url,
            smtp_from,
            public_url,
            email_digest_after,
            redis_url,
            redis_prefix,
            node_id,
            presence_ttl,
            log_format,
            shutdown_grace
        )
    }

    pub fn resolve(self) -> Config {
        let data_dir = self.data_dir.unwrap_or_else(|| PathBuf::from("./data"));
        let database_url = self
            .database_url
            .unwrap_or_else(|| format!("sqlite://{}", data_dir.join("hearth.db").display()));
        let bind = self
            .bind
            .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 8080)));
        Config {
            bind,
            data_dir,
            database_url,
            database_max_connections: self.database_max_connections,
            sqlite_sync_full: self.sqlite_sync_full.unwrap_or(true),
            jwt_secret: self.jwt_secret,
            access_token_ttl: Duration::from_secs(self.access_token_ttl.unwrap_or(900)),
            refresh_token_ttl: Duration::from_secs(self.refresh_token_ttl.unwrap_or(30 * 86_400)),
            registration: self.registration.unwrap_or(Registration::Open),
            invite_code: self.invite_code,
            max_json_bytes: self.max_json_bytes.unwrap_or(64 * 1024),
            max_message_chars: self.max_message_chars.unwrap_or(4000),
            auth_rate_per_minute: self.auth_rate_per_minute.unwrap_or(30).max(1),
            send_rate_per_second: self.send_rate_per_second.unwrap_or(10).max(1),
            send_burst: self.send_burst.unwrap_or(30).max(1),
            gateway_ops_per_second: self.gateway_ops_per_second.unwrap_or(20).max(1),
            gateway_auth_timeout: Duration::from_secs(
                self.gateway_auth_timeout.unwrap_or(10).max(1),
            ),
            session_queue: self.session_queue.unwrap_or(1024).max(8),
            presence_room_limit: self.presence_room_limit.unwrap_or(100),
            max_upload_bytes: self.max_upload_bytes.unwrap_or(25 * 1024 * 1024),
            s3: self.s3_bucket.map(|bucket| S3Settings {
                bucket,
                endpoint: self.s3_endpoint,
                region: self.s3_region.unwrap_or_else(|| "us-east-1".to_string()),
                access_key_id: self.s3_access_key_id,
                secret_access_key: self.s3_secret_access_key,
            }),
            trust_proxy: self.trust_proxy.unwrap_or(false),
            smtp: self.smtp_url.map(|url| SmtpSettings {
                url,
                from: self
                    .smtp_from
                    .unwrap_or_else(|| "hearth@localhost".to_string()),
            }),
            public_url_defaulted: self.public_url.is_none(),
            public_url: self
                .public_url
                .unwrap_or_else(|| format!("http://{bind}"))
                .trim_end_matches('/')
                .to_string(),
            email_digest_after: Duration::from_secs(self.email_digest_after.unwrap_or(900)),
            push_allow_http: false,
            session_touch_interval: Duration::from_secs(60),
            redis: self.redis_url.map(|url| RedisSettings {
                url,
                prefix: self.redis_prefix.unwrap_or_else(|| "hearth".to_string()),
                node_id: self.node_id.unwrap_or_else(random_node_id),
                presence_ttl: Duration::from_secs(self.presence_ttl.unwrap_or(45).max(1)),
            }),
            log_format: self.log_format.unwrap_or(LogFormat::Text),
            shutdown_grace: Duration::from_secs(self.shutdown_grace.unwrap_or(10)),
        }
    }
}

/// A node name nobody else picks: 16 random hex digits.
fn random_node_id() -> String {
    format!("{:016x}", rand::random::<u64>())
}

impl Config {
    /// Defaults, as `hearth serve` with no flags would run.
    pub fn defaults() -> Config {
        Settings::default().resolve()
    }

    /// What an operator should hear about this configuration at start.
    pub fn warnings(&self) -> Vec<String> {
        let mut warnings = Vec::new();
        if self.smtp.is_some() && self.public_url_defaulted {
            warnings.push(format!(
                "HEARTH_PUBLIC_URL is not set: links in e-mails will point to {}; \
                 set it to the address people open Hearth at",
                self.public_url
            ));
        }
        warnings
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mail_without_a_public_url_is_warned_about() {
        let mail = || Settings {
            smtp_url: Some("smtp://localhost:25".to_string()),
            ..Settings::default()
        };
        let warnings = mail().resolve().warnings();
        assert_eq!(warnings.len(), 1);
        assert!(
            warnings[0].contains("http://127.0.0.1:8080"),
            "{warnings:?}"
        );
        let set = Settings {
            public_url: Some("https://chat.example.com/".to_string()),
            ..mail()
        };
        assert_eq!(set.resolve().warnings(), Vec::<String>::new());
        assert_eq!(
            Config::defaults().warnings(),
            Vec::<String>::new(),
            "no mail, no links"
        );
    }
}
