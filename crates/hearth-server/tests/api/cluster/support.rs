//! The cluster harness: `spawn_cluster(n)` starts n nodes (each its own
//! AppState and server on 127.0.0.1:0, as `spawn_app` does) on one fresh
//! PostgreSQL database and one Redis under a key prefix of their own; and a
//! private `redis-server` a test can kill and restart.
//!
//! PostgreSQL is `HEARTH_TEST_POSTGRES_URL` (default
//! `postgres://postgres@127.0.0.1:5432/postgres`), Redis is
//! `HEARTH_TEST_REDIS_URL` (default `redis://127.0.0.1:6379`). The tests fail,
//! never skip, when either cannot be reached.

use crate::helpers::*;
use hearth_server::Config;
use hearth_server::config::ClusterSettings;
use sqlx::{Connection, PgConnection};
use std::time::Duration;

pub fn postgres_admin_url() -> String {
    std::env::var("HEARTH_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_string())
}

pub fn shared_redis_url() -> String {
    std::env::var("HEARTH_TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".to_string())
}

/// A unique suffix for database names and Redis prefixes.
pub fn unique() -> String {
    uuid::Uuid::now_v7().simple().to_string()
}

/// A PostgreSQL database of its own, dropped (connections and all) on drop.
pub struct TestDatabase {
    pub name: String,
}

impl TestDatabase {
    pub async fn create() -> Self {
        let name = format!("hearth_test_{}", unique());
        let mut admin = PgConnection::connect(&postgres_admin_url())
            .await
            .expect("the test PostgreSQL server must be reachable (HEARTH_TEST_POSTGRES_URL)");
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut admin)
            .await
            .expect("create test database");
        Self { name }
    }

    pub fn url(&self) -> String {
        let admin = postgres_admin_url();
        let (base, query) = admin.split_once('?').unwrap_or((&admin, ""));
        let start = base.find("://").map_or(0, |i| i + 3);
        let end = base[start..].find('/').map_or(base.len(), |i| start + i);
        let mut url = format!("{}/{}", &base[..end], self.name);
        if !query.is_empty() {
            url = format!("{url}?{query}");
        }
        url
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        // Not on the test's runtime: a thread with a runtime of its own.
        let name = self.name.clone();
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            runtime.block_on(async {
                if let Ok(mut admin) = PgConnection::connect(&postgres_admin_url()).await {
                    let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .execute(&mut admin)
                        .await;
                }
            })
        })
        .join();
    }
}

/// A `redis-server` of the test's own, on a free port, that can be killed
/// and started again on the same port.
pub struct TestRedis {
    pub port: u16,
    child: Option<std::process::Child>,
    dir: tempfile::TempDir,
}

impl TestRedis {
    pub async fn start() -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let mut redis = Self {
            port,
            child: None,
            dir: tempfile::tempdir().expect("temp dir"),
        };
        redis.restart().await;
        redis
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Kills the server outright (SIGKILL): connections drop, nothing is saved.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the server (again) on the same port and waits until it answers.
    pub async fn restart(&mut self) {
        self.kill();
        let child = std::process::Command::new("redis-server")
            .args(["--port", &self.port.to_string()])
            .args(["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            // For `DEBUG SLEEP` (see `pause`): a private server, not the shared one.
            .args(["--enable-debug-command", "yes"])
            .arg("--dir")
            .arg(self.dir.path())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("redis-server must be installed");
        self.child = Some(child);
        let port = self.port;
        // A poll on purpose: another process, which says nothing when it
        // starts to listen.
        eventually(
            &format!("redis-server listening on port {port}"),
            || async move {
                tokio::net::TcpStream::connect(("127.0.0.1", port))
                    .await
                    .is_ok()
            },
        )
        .await;
    }
}

impl TestRedis {
    /// Freezes the server for `seconds` (`DEBUG SLEEP`): connections stay
    /// open, nothing is answered. The task ends when the server wakes.
    pub fn pause(&self, seconds: u32) -> tokio::task::JoinHandle<()> {
        let url = self.url();
        tokio::spawn(async move {
            let client = redis::Client::open(url).expect("redis url");
            // The answer comes only when the server wakes: no response timeout.
            let config = redis::AsyncConnectionConfig::new().set_response_timeout(None);
            let mut conn = client
                .get_multiplexed_async_connection_with_config(&config)
                .await
                .expect("connect to the test redis-server");
            let _: () = redis::cmd("DEBUG")
                .arg("SLEEP")
                .arg(seconds)
                .query_async(&mut conn)
                .await
                .expect("DEBUG SLEEP");
        })
    }
}

impl Drop for TestRedis {
    fn drop(&mut self) {
        self.kill();
    }
}

/// n nodes on one database and one Redis.
pub struct TestCluster {
    /// `None` once a node was killed.
    nodes: Vec<Option<TestApp>>,
    /// What a node joining the cluster (such as a `hearth` process) needs.
    pub database_url: String,
    pub redis_url: String,
    pub redis_prefix: String,
    /// Dropped after the nodes (fields drop in order).
    _db: TestDatabase,
}

/// How the nodes of a test cluster are set up.
pub struct ClusterSetup {
    pub nodes: usize,
    pub redis_url: String,
    pub presence_ttl: Duration,
}

impl ClusterSetup {
    pub fn nodes(nodes: usize) -> Self {
        Self {
            nodes,
            redis_url: shared_redis_url(),
            presence_ttl: Duration::from_secs(45),
        }
    }
}

pub async fn spawn_cluster(n: usize) -> TestCluster {
    spawn_cluster_with(ClusterSetup::nodes(n), |_| {}).await
}

pub async fn spawn_cluster_with(
    setup: ClusterSetup,
    configure: impl Fn(&mut Config),
) -> TestCluster {
    let db = TestDatabase::create().await;
    spawn_cluster_on(db, setup, configure).await
}

/// [`spawn_cluster_with`] on a database made beforehand (e.g. one reached
/// through a [`PgRelay`]: `configure` sets `database.url`).
pub async fn spawn_cluster_on(
    db: TestDatabase,
    setup: ClusterSetup,
    configure: impl Fn(&mut Config),
) -> TestCluster {
    let prefix = format!("hearth-test-{}", unique());
    let mut nodes = Vec::with_capacity(setup.nodes);
    for i in 0..setup.nodes {
        let node = spawn_app_with(|c| {
            c.database.url = Some(db.url());
            c.database.max_connections = 6;
            *c.cluster = Some(ClusterSettings {
                redis_url: setup.redis_url.clone(),
                redis_prefix: prefix.clone(),
                node_id: format!("node{i}"),
                presence_ttl: setup.presence_ttl,
            });
            configure(c);
        })
        .await;
        assert_eq!(node.state.node.store.backend(), "postgres");
        nodes.push(Some(node));
    }
    let cluster = TestCluster {
        nodes,
        database_url: db.url(),
        redis_url: setup.redis_url.clone(),
        redis_prefix: prefix,
        _db: db,
    };
    for i in 0..setup.nodes {
        cluster.await_ready(i, true).await;
    }
    cluster
}

impl TestCluster {
    pub fn node(&self, i: usize) -> &TestApp {
        self.nodes[i].as_ref().expect("node was killed")
    }

    /// Kills node `i` as a crash would: its cluster work stops without a
    /// goodbye (no presence offline, no heartbeats), then its server stops
    /// (its clients are disconnected) and its state is dropped.
    pub async fn kill(&mut self, i: usize) {
        let mut node = self.nodes[i].take().expect("node already killed");
        if let Some(cluster) = &node.state.node.cluster {
            cluster.halt();
        }
        node.stop();
        if let Some(server) = node.server.take() {
            let _ = tokio::time::timeout(TIMEOUT, server).await;
        }
    }

    /// Waits until node `i`'s /readyz answers 200 (`ready`) or 503.
    pub async fn await_ready(&self, i: usize, ready: bool) {
        let node = self.node(i);
        let want = if ready { 200 } else { 503 };
        // A poll on purpose: readiness follows the node's Redis link, which
        // notices a dead or revived server on its own (real-time) probes
        // and backoff; /readyz is the only place it shows.
        eventually_within(
            &format!("node {i}: /readyz answering {want}"),
            Duration::from_secs(20),
            || async {
                node.http
                    .get(node.url("/readyz"))
                    .send()
                    .await
                    .is_ok_and(|r| r.status().as_u16() == want)
            },
        )
        .await;
    }
}

/// Messages a client holds, by id, with the seq each was first seen at.
#[derive(Default, Debug)]
pub struct Held {
    pub seqs: std::collections::BTreeMap<MessageId, i64>,
}

impl Held {
    pub fn merge(&mut self, message: &Message) {
        self.seqs.insert(message.id, message.seq);
    }

    /// The highest seq up to which every seq is held: where a catch-up
    /// starts (docs/protocol.md, "Catching up").
    pub fn contiguous(&self) -> i64 {
        let mut seqs: Vec<i64> = self.seqs.values().copied().collect();
        seqs.sort_unstable();
        let mut s = 0;
        for seq in seqs {
            if seq == s + 1 {
                s = seq;
            } else if seq > s + 1 {
                break;
            }
        }
        s
    }

    pub fn holds_all<'a>(&self, ids: impl IntoIterator<Item = &'a MessageId>) -> bool {
        ids.into_iter().all(|id| self.seqs.contains_key(id))
    }
}

/// Fetches everything changed after the client's contiguous seq, page by
/// page, as a client does on `ready` or `resync`.
pub async fn catch_up(node: &TestApp, user: &TestUser, room: RoomId, held: &mut Held) {
    let mut cursor = held.contiguous();
    loop {
        let page = node
            .messages(user, room, &format!("after={cursor}&limit=100"))
            .await;
        for m in &page.messages {
            held.merge(m);
            cursor = cursor.max(m.updated_seq);
        }
        if !page.has_more {
            return;
        }
    }
}

/// A TCP relay in front of the test PostgreSQL server that can be cut and
/// restored on the same port: a database restart, without restarting the
/// machine's shared server.
pub struct PgRelay {
    pub port: u16,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl PgRelay {
    pub async fn start(port: u16) -> Self {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .expect("bind relay");
        let port = listener.local_addr().unwrap().port();
        let target = postgres_address();
        let task = tokio::spawn(async move {
            // Dropped with the accept loop, the set aborts every relayed
            // connection: cutting the relay cuts them all.
            let mut pipes = tokio::task::JoinSet::new();
            while let Ok((mut client, _)) = listener.accept().await {
                let target = target.clone();
                pipes.spawn(async move {
                    if let Ok(mut server) = tokio::net::TcpStream::connect(target).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                });
            }
        });
        Self {
            port,
            task: Some(task),
        }
    }

    pub fn cut(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }

    /// `url` (of the test server) with its host and port replaced by the relay's.
    pub fn relayed(&self, url: &str) -> String {
        let start = url.find("://").map_or(0, |i| i + 3);
        let authority_end = url[start..].find('/').map_or(url.len(), |i| start + i);
        let authority = &url[start..authority_end];
        let host_start = authority.rfind('@').map_or(0, |i| i + 1);
        format!(
            "{}{}127.0.0.1:{}{}",
            &url[..start],
            &authority[..host_start],
            self.port,
            &url[authority_end..]
        )
    }
}

impl Drop for PgRelay {
    fn drop(&mut self) {
        self.cut();
    }
}

/// host:port of the test PostgreSQL server.
fn postgres_address() -> String {
    let url = postgres_admin_url();
    let start = url.find("://").map_or(0, |i| i + 3);
    let authority_end = url[start..].find('/').map_or(url.len(), |i| start + i);
    let authority = &url[start..authority_end];
    let host = &authority[authority.rfind('@').map_or(0, |i| i + 1)..];
    if host.contains(':') {
        host.to_string()
    } else {
        format!("{host}:5432")
    }
}
