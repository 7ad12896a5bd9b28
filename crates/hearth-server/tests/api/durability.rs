//! Crash safety: the real `hearth` binary is killed with SIGKILL in the
//! middle of a burst of sends; after a restart on the same data, every
//! message that had been acknowledged (201) is there, exactly as acknowledged.

use crate::helpers::*;
use hearth_protocol::dto::AuthResponse;
use reqwest::StatusCode;
use serde_json::json;
use std::collections::HashMap;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

struct Server {
    child: Child,
    base: String,
}

/// Starts the binary on a free port and waits for its "listening" log line.
async fn start(data_dir: &std::path::Path) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_hearth"))
        .args(["serve", "--bind", "127.0.0.1:0", "--data-dir"])
        .arg(data_dir)
        .env("HEARTH_SEND_RATE_PER_SECOND", "100000")
        .env("HEARTH_SEND_BURST", "100000")
        .env("HEARTH_AUTH_RATE_PER_MINUTE", "100000")
        .env("RUST_LOG", "info")
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("start hearth");
    let stderr = child.stderr.take().expect("stderr");
    let mut lines = BufReader::new(stderr).lines();
    let base = tokio::time::timeout(Duration::from_secs(30), async {
        while let Ok(Some(line)) = lines.next_line().await {
            if let Some(pos) = line.find("listening on http://") {
                let rest = &line[pos + "listening on ".len()..];
                return rest
                    .split_whitespace()
                    .next()
                    .unwrap_or_default()
                    .to_string();
            }
        }
        String::new()
    })
    .await
    .expect("server did not start");
    assert!(base.starts_with("http://"), "no listen address in the log");
    // Keep draining stderr so the child never blocks on a full pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    Server { child, base }
}

#[tokio::test]
async fn acknowledged_messages_survive_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = start(dir.path()).await;
    let http = reqwest::Client::new();
    let res: AuthResponse = http
        .post(format!("{}/api/v1/auth/register", server.base))
        .json(&json!({"username": "alice", "password": "password123"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = res.access_token;
    let room: Room = http
        .post(format!("{}/api/v1/rooms", server.base))
        .bearer_auth(&token)
        .json(&json!({"kind": "channel", "name": "burst"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let room_id = room.id;

    // id → (seq, body) of every acknowledged message.
    let acked: Arc<Mutex<HashMap<MessageId, (i64, String)>>> = Arc::default();
    let (enough_tx, enough_rx) = tokio::sync::watch::channel(false);
    let mut senders = Vec::new();
    for worker in 0..8 {
        let (http, url, token, acked, enough_tx) = (
            http.clone(),
            format!("{}/api/v1/rooms/{room_id}/messages", server.base),
            token.clone(),
            acked.clone(),
            enough_tx.clone(),
        );
        senders.push(tokio::spawn(async move {
            for i in 0.. {
                let body = format!("worker {worker} message {i} {}", "x".repeat(1 + i % 50));
                let res = http
                    .post(&url)
                    .bearer_auth(&token)
                    .json(&json!({"body": body, "nonce": format!("{worker}-{i}")}))
                    .send()
                    .await;
                let Ok(res) = res else { return };
                if res.status() != StatusCode::CREATED {
                    return;
                }
                let Ok(m) = res.json::<Message>().await else {
                    return;
                };
                let mut a = acked.lock().unwrap();
                assert_eq!(m.body, body);
                a.insert(m.id, (m.seq, body));
                if a.len() >= 200 {
                    let _ = enough_tx.send(true);
                }
            }
        }));
    }
    // Kill mid-burst: the senders are still going when the process dies.
    let mut enough = enough_rx;
    tokio::time::timeout(Duration::from_secs(60), enough.wait_for(|v| *v))
        .await
        .expect("burst too slow")
        .unwrap();
    server.child.start_kill().unwrap();
    server.child.wait().await.unwrap();
    for s in senders {
        s.await.unwrap();
    }
    let acked = acked.lock().unwrap().clone();
    assert!(acked.len() >= 200);

    let server = start(dir.path()).await;
    let res: AuthResponse = http
        .post(format!("{}/api/v1/auth/login", server.base))
        .json(&json!({"username": "alice", "password": "password123"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = res.access_token;
    let mut stored: HashMap<MessageId, (i64, String)> = HashMap::new();
    let mut after = 0;
    loop {
        let page: MessagePage = http
            .get(format!(
                "{}/api/v1/rooms/{room_id}/messages?after={after}&limit=100",
                server.base
            ))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        for m in page.messages {
            assert_eq!(m.room_id, room_id);
            after = after.max(m.updated_seq);
            stored.insert(m.id, (m.seq, m.body));
        }
        if !page.has_more {
            break;
        }
    }
    for (id, want) in &acked {
        assert_eq!(
            stored.get(id),
            Some(want),
            "acknowledged message {id} lost or changed"
        );
    }
    // And the stored seqs are gap-free.
    let mut seqs: Vec<i64> = stored.values().map(|(s, _)| *s).collect();
    seqs.sort_unstable();
    assert_eq!(seqs, (1..=seqs.len() as i64).collect::<Vec<_>>());
}
