//! The command line. Options every scenario shares live in [`Common`]; each
//! scenario has its own arguments struct next to its code.

use crate::report::Outcome;
use crate::scenario;
use anyhow::bail;
use clap::{Args, Parser, Subcommand};
use std::net::IpAddr;
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "hearth-bench",
    version,
    about = "Load generator for a running Hearth server (loopback only).",
    long_about = "Load generator for a running Hearth server (loopback only).\n\n\
        Run the server with generous limits, e.g.\n  \
        HEARTH_AUTH_RATE_PER_MINUTE=1000000 HEARTH_SEND_RATE_PER_SECOND=1000000 \
        HEARTH_SEND_BURST=1000000 HEARTH_GATEWAY_OPS_PER_SECOND=1000000 \
        HEARTH_WRITE_RATE_PER_MINUTE=1000000 HEARTH_MAX_SESSIONS_PER_USER=1000 \
        HEARTH_ACCESS_TOKEN_TTL=86400 hearth --data-dir /tmp/bench-data\n\
        then `hearth-bench setup --users 1000 --rooms 20 --members 50` once, and \
        any scenario as often as you like: the state file keeps users and tokens."
)]
pub struct Cli {
    #[command(flatten)]
    pub common: Common,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Clone, Debug, Args)]
pub struct Common {
    /// The server's base URL; only loopback hosts are accepted. Repeat it (or
    /// separate URLs by commas) for the nodes of a cluster: gateway sessions
    /// go round-robin over them; setup, tokens and the state file use the first
    #[arg(
        long,
        global = true,
        value_delimiter = ',',
        default_value = "http://127.0.0.1:8080"
    )]
    pub url: Vec<String>,
    /// JSON file with the bench's users, tokens and rooms, reused across runs
    #[arg(long, global = true, default_value = "bench-state.json")]
    pub state: PathBuf,
    /// Print the report as JSON instead of a table
    #[arg(long, global = true)]
    pub json: bool,
    /// Exit with status 2 when the run counted any error or violation
    #[arg(long, global = true)]
    pub strict: bool,
    /// The server's process id: report its RSS and CPU time from /proc
    #[arg(long, global = true)]
    pub server_pid: Option<u32>,
    /// Bind gateway sockets round-robin to 127.0.0.2 … 127.0.0.(N+1)
    /// (each has its own ~28,000 ephemeral ports); 0 lets the kernel choose
    #[arg(long, global = true, default_value_t = 4)]
    pub source_addrs: usize,
    /// Registrations and logins in flight at once (each costs the server an argon2 hash)
    #[arg(long, global = true, default_value_t = 4)]
    pub auth_concurrency: usize,
    /// Gateway sessions being opened at once
    #[arg(long, global = true, default_value_t = 64)]
    pub connect_concurrency: usize,
    /// No progress lines on stderr
    #[arg(long, global = true)]
    pub quiet: bool,
}

impl Common {
    /// The first `--url`: setup, tokens and the state file go through it.
    pub fn primary_url(&self) -> &str {
        self.url
            .first()
            .map_or("http://127.0.0.1:8080", String::as_str)
    }

    /// Every `--url`, without empty entries and repeats, in the order given.
    pub fn node_urls(&self) -> Vec<String> {
        node_urls(&self.url)
    }
}

/// The distinct, non-empty URLs of a `--url` list, in order (trailing `/` ignored).
pub fn node_urls(given: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for u in given {
        let u = u.trim().trim_end_matches('/');
        if !u.is_empty() && !out.iter().any(|o| o == u) {
            out.push(u.to_string());
        }
    }
    out
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create users and rooms through the API and save them to the state file
    Setup(scenario::setup::SetupArgs),
    /// Open N authenticated gateway sessions and hold them (or churn them)
    Connections(scenario::connections::ConnectionsArgs),
    /// R rooms × C members, S senders per room at M messages/s: delivery and latency
    Fanout(scenario::fanout::FanoutArgs),
    /// Acknowledged messages per second through the gateway or REST
    Send(scenario::send::SendArgs),
    /// A realistic mix: sends, typing, reads, history, reconnects
    Mixed(scenario::mixed::MixedArgs),
    /// Reconnect storm: hold N sessions, cut them (server restart), time until all are back and caught up
    Storm(scenario::storm::StormArgs),
    /// Start a server binary and time how long until /readyz answers 200
    Startup(scenario::startup::StartupArgs),
}

/// Refuses any host that is not this machine: the bench is a load generator.
pub fn check_loopback(url: &str) -> anyhow::Result<()> {
    let parsed = reqwest::Url::parse(url)?;
    let host = parsed.host_str().unwrap_or_default();
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let ok = host == "localhost" || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback());
    if !ok {
        bail!("--url {url}: only 127.0.0.1, ::1 or localhost may be benchmarked");
    }
    Ok(())
}

/// Runs the command and returns its report.
pub async fn run(cli: &Cli) -> anyhow::Result<Box<dyn Outcome>> {
    crate::clock::now_ns();
    anyhow::ensure!(!cli.common.node_urls().is_empty(), "--url is empty");
    for url in cli.common.node_urls() {
        check_loopback(&url)?;
    }
    if let Err(e) = crate::sys::raise_nofile_limit() {
        eprintln!("hearth-bench: could not raise the open-file limit: {e}");
    }
    let c = &cli.common;
    Ok(match &cli.command {
        Command::Setup(a) => Box::new(scenario::setup::run(c, a).await?),
        Command::Connections(a) => Box::new(scenario::connections::run(c, a).await?),
        Command::Fanout(a) => Box::new(scenario::fanout::run(c, a).await?),
        Command::Send(a) => Box::new(scenario::send::run(c, a).await?),
        Command::Mixed(a) => Box::new(scenario::mixed::run(c, a).await?),
        Command::Storm(a) => Box::new(scenario::storm::run(c, a).await?),
        Command::Startup(a) => Box::new(scenario::startup::run(c, a).await?),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_urls_are_accepted() {
        assert!(check_loopback("http://127.0.0.1:8080").is_ok());
        assert!(check_loopback("http://localhost:8080").is_ok());
        assert!(check_loopback("http://[::1]:8080").is_ok());
        assert!(check_loopback("http://10.0.0.1:8080").is_err());
        assert!(check_loopback("http://example.com").is_err());
    }

    #[test]
    fn url_lists_come_repeated_or_comma_separated() {
        let cli = Cli::try_parse_from([
            "hearth-bench",
            "--url",
            "http://127.0.0.1:8091,http://127.0.0.1:8092/",
            "--url",
            "http://127.0.0.1:8091",
            "mixed",
        ])
        .unwrap();
        assert_eq!(
            cli.common.node_urls(),
            vec!["http://127.0.0.1:8091", "http://127.0.0.1:8092"]
        );
        assert_eq!(cli.common.primary_url(), "http://127.0.0.1:8091");
        let one = Cli::try_parse_from(["hearth-bench", "mixed"]).unwrap();
        assert_eq!(one.common.node_urls(), vec!["http://127.0.0.1:8080"]);
    }
}
