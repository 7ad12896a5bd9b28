//! `startup`: starts a server binary on a loopback port and times how long it
//! takes until `GET /readyz` answers 200, then its RSS, then how long a
//! SIGTERM takes to stop it. The first run on an empty data directory is the
//! cold start (keys generated, migrations applied); later runs are restarts.

use super::Common;
use crate::api::Api;
use crate::outcome_json;
use crate::report::{Outcome, Table, f};
use crate::sys::rss_kib;
use anyhow::Context;
use serde::Serialize;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

#[derive(Clone, Debug, clap::Args)]
pub struct StartupArgs {
    /// The hearth binary to start
    #[arg(long)]
    pub server_bin: PathBuf,
    /// Its data directory (empty or missing for a cold start)
    #[arg(long)]
    pub data_dir: PathBuf,
    /// Loopback port to start it on
    #[arg(long, default_value_t = 18080)]
    pub port: u16,
    /// Starts to time
    #[arg(long, default_value_t = 3)]
    pub runs: usize,
}

#[derive(Debug, Default, Serialize)]
pub struct StartRun {
    pub cold: bool,
    pub ready_ms: Option<f64>,
    pub rss_at_ready_kib: Option<u64>,
    pub shutdown_ms: Option<f64>,
}

#[derive(Debug, Default, Serialize)]
pub struct StartupReport {
    pub runs: Vec<StartRun>,
    pub errors: u64,
}

impl Outcome for StartupReport {
    outcome_json!("startup");

    fn table(&self) -> Table {
        let mut t = Table::new("startup: spawn → /readyz 200");
        for (i, r) in self.runs.iter().enumerate() {
            t = t.row(
                &format!(
                    "run {} ({})",
                    i + 1,
                    if r.cold { "cold" } else { "restart" }
                ),
                format!(
                    "ready {} ms, RSS {} KiB, SIGTERM → exit {} ms",
                    r.ready_ms.map_or("-".into(), |v| f(v, 1)),
                    r.rss_at_ready_kib.map_or("-".into(), |v| v.to_string()),
                    r.shutdown_ms.map_or("-".into(), |v| f(v, 1)),
                ),
            );
        }
        t.row("errors", self.errors)
    }

    fn errors(&self) -> u64 {
        self.errors
    }
}

pub async fn run(_common: &Common, args: &StartupArgs) -> anyhow::Result<StartupReport> {
    let url = format!("http://127.0.0.1:{}", args.port);
    let api = Api::new(&url)?;
    anyhow::ensure!(
        api.readyz().await.is_none(),
        "something already answers on {url}: pick another --port"
    );
    let mut report = StartupReport::default();
    for _ in 0..args.runs.max(1) {
        let cold = std::fs::read_dir(&args.data_dir).map_or(true, |mut d| d.next().is_none());
        let started = Instant::now();
        let mut child = tokio::process::Command::new(&args.server_bin)
            .env("HEARTH_BIND", format!("127.0.0.1:{}", args.port))
            .env("HEARTH_DATA_DIR", &args.data_dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("starting {}", args.server_bin.display()))?;
        let mut run = StartRun {
            cold,
            ..Default::default()
        };
        let deadline = started + Duration::from_secs(60);
        while Instant::now() < deadline {
            if api.readyz().await == Some(reqwest::StatusCode::OK) {
                run.ready_ms = Some(started.elapsed().as_secs_f64() * 1000.0);
                break;
            }
            if let Ok(Some(_)) = child.try_wait() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        let pid = child.id();
        run.rss_at_ready_kib = pid.and_then(rss_kib);
        if let Some(pid) = pid {
            let stopping = Instant::now();
            // SAFETY: signalling the child this function spawned, by its pid.
            unsafe {
                libc::kill(pid as libc::pid_t, libc::SIGTERM);
            }
            if let Ok(Ok(_)) = tokio::time::timeout(Duration::from_secs(20), child.wait()).await {
                run.shutdown_ms = Some(stopping.elapsed().as_secs_f64() * 1000.0);
            }
        }
        let _ = child.kill().await;
        if run.ready_ms.is_none() || run.shutdown_ms.is_none() {
            report.errors += 1;
        }
        report.runs.push(run);
    }
    Ok(report)
}
