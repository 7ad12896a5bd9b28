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
    /// Frames queued per gateway session before it is cut off with 4008 [default: 1024]
    #[arg(long, global = true, env = "HEARTH_SESSION_QUEUE")]
    pub session_queue: Option<usize>,
    /// Largest upload in bytes [default: 26214400]
    #[arg(long, global = true, env = "HEARTH_MAX_UPLOAD_BYTES")]
    pub max_upload_bytes: Option<u64>,
    /// Trust X-Forwarded-For from a reverse proxy for client IPs [default: false]
    #[arg(long, global = true, env = "HEARTH_TRUST_PROXY")]
    pub trust_proxy: Option<bool>,
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

/// The resolved configuration the server runs with.
#[derive(Clone, Debug)]
pub struct Config {
    pub bind: SocketAddr,
    pub data_dir: PathBuf,
    pub database_url: String,
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
    pub session_queue: usize,
    pub max_upload_bytes: u64,
    pub trust_proxy: bool,
    pub log_format: LogFormat,
    pub shutdown_grace: Duration,
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
            session_queue,
            max_upload_bytes,
            trust_proxy,
            log_format,
            shutdown_grace
        )
    }

    pub fn resolve(self) -> Config {
        let data_dir = self.data_dir.unwrap_or_else(|| PathBuf::from("./data"));
        let database_url = self
            .database_url
            .unwrap_or_else(|| format!("sqlite://{}", data_dir.join("hearth.db").display()));
        Config {
            bind: self
                .bind
                .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 8080))),
            data_dir,
            database_url,
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
            session_queue: self.session_queue.unwrap_or(1024).max(8),
            max_upload_bytes: self.max_upload_bytes.unwrap_or(25 * 1024 * 1024),
            trust_proxy: self.trust_proxy.unwrap_or(false),
            log_format: self.log_format.unwrap_or(LogFormat::Text),
            shutdown_grace: Duration::from_secs(self.shutdown_grace.unwrap_or(10)),
        }
    }
}

impl Config {
    /// Defaults, as `hearth serve` with no flags would run.
    pub fn defaults() -> Config {
        Settings::default().resolve()
    }
}
