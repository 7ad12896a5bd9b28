//! A cluster node as a real `hearth` process, so a test can SIGKILL it:
//! no graceful shutdown, no goodbye on the bus, connections cut by the
//! kernel. It joins a [`TestCluster`]'s database and Redis prefix, with the
//! same JWT secret as the in-process nodes (`test_config`).

use super::support::TestCluster;
use crate::helpers::*;
use std::net::SocketAddr;
use std::process::Stdio;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

pub struct NodeProcess {
    child: Child,
    pub addr: SocketAddr,
    _dir: tempfile::TempDir,
}

impl NodeProcess {
    /// Starts `hearth serve` as node `node_id` of `cluster` and waits for its
    /// "listening" log line.
    pub async fn start(cluster: &TestCluster, node_id: &str) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let secret = test_config(dir.path())
            .auth
            .jwt_secret
            .expect("the test config has a JWT secret");
        let mut child = Command::new(env!("CARGO_BIN_EXE_hearth"))
            .args(["serve", "--bind", "127.0.0.1:0", "--data-dir"])
            .arg(dir.path())
            .env("HEARTH_DATABASE_URL", &cluster.database_url)
            .env("HEARTH_DATABASE_MAX_CONNECTIONS", "6")
            .env("HEARTH_REDIS_URL", &cluster.redis_url)
            .env("HEARTH_REDIS_PREFIX", &cluster.redis_prefix)
            .env("HEARTH_NODE_ID", node_id)
            .env("HEARTH_JWT_SECRET", secret)
            .env("HEARTH_SEND_RATE_PER_SECOND", "100000")
            .env("HEARTH_SEND_BURST", "100000")
            .env("HEARTH_AUTH_RATE_PER_MINUTE", "100000")
            .env("HEARTH_GATEWAY_OPS_PER_SECOND", "100000")
            .env("RUST_LOG", "info")
            .stderr(Stdio::piped())
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("start hearth");
        // The log goes to one of the two streams: read both.
        let (out_tx, mut out_rx) = tokio::sync::mpsc::unbounded_channel::<String>();
        let stdout = child.stdout.take().expect("stdout");
        let stderr = child.stderr.take().expect("stderr");
        for stream in [
            Box::new(stdout) as Box<dyn tokio::io::AsyncRead + Unpin + Send>,
            Box::new(stderr),
        ] {
            let tx = out_tx.clone();
            // Keeps draining, so the child never blocks on a full pipe.
            tokio::spawn(async move {
                let mut lines = BufReader::new(stream).lines();
                while let Ok(Some(line)) = lines.next_line().await {
                    let _ = tx.send(line);
                }
            });
        }
        drop(out_tx);
        let addr = tokio::time::timeout(std::time::Duration::from_secs(60), async {
            while let Some(line) = out_rx.recv().await {
                if let Some(pos) = line.find("listening on http://") {
                    let rest = &line[pos + "listening on http://".len()..];
                    let addr = rest.split(|c: char| c.is_whitespace() || c == '"').next();
                    if let Some(addr) = addr.and_then(|a| a.parse().ok()) {
                        return Some(addr);
                    }
                }
            }
            None
        })
        .await
        .expect("hearth did not start within 60 s")
        .expect("hearth exited without a listen address");
        tokio::spawn(async move { while out_rx.recv().await.is_some() {} });
        Self {
            child,
            addr,
            _dir: dir,
        }
    }

    /// SIGKILL, and waits until the process is gone.
    pub async fn kill(&mut self) {
        self.child.start_kill().expect("SIGKILL");
        let _ = self.child.wait().await;
    }

    pub async fn ws(&self, user: &TestUser) -> WsClient {
        WsClient::connect(self.addr, &user.token).await
    }

    /// Waits until `/readyz` answers 200: the node's bus is subscribed.
    pub async fn await_ready(&self) {
        let url = format!("http://{}/readyz", self.addr);
        let http = reqwest::Client::new();
        // A poll on purpose: another process, whose readiness has no event.
        eventually_within(
            "the hearth process ready",
            std::time::Duration::from_secs(20),
            || async { http.get(&url).send().await.is_ok_and(|r| r.status() == 200) },
        )
        .await;
    }
}
