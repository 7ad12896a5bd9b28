//! Login rate limits counted across the nodes.

use super::support::*;
use reqwest::StatusCode;
use serde_json::json;
use std::time::{SystemTime, UNIX_EPOCH};

/// The minute the shared login limit counts in.
fn current_minute() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
        / 60
}

/// One registration and five failed logins, then a good login on each of
/// three nodes with a limit of six attempts a minute: the statuses of the
/// failed logins and of the good ones.
async fn six_attempts_then_one_per_node() -> (Vec<(StatusCode, String)>, Vec<(StatusCode, String)>)
{
    let cluster = spawn_cluster_with(ClusterSetup::nodes(3), |c| {
        c.limits.auth_rate_per_minute = 6
    })
    .await;
    cluster.node(0).register("alice").await;
    let mut failed = Vec::new();
    for i in 0..5 {
        let (status, body) = cluster
            .node(i % 3)
            .request(
                reqwest::Method::POST,
                "/api/v1/auth/login",
                None,
                Some(json!({"username": format!("nobody{i}"), "password": "wrong-password"})),
            )
            .await;
        failed.push((status, body.to_string()));
    }
    let mut refused = Vec::new();
    for node in 0..3 {
        let (status, body) = cluster
            .node(node)
            .request(
                reqwest::Method::POST,
                "/api/v1/auth/login",
                None,
                Some(json!({"username": "alice", "password": "password123"})),
            )
            .await;
        refused.push((status, body.to_string()));
    }
    (failed, refused)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_limits_hold_across_nodes() {
    // The shared limit counts per minute: a run that straddled a minute
    // boundary proves nothing and is run again (a run takes seconds).
    let (failed, refused) = loop {
        let minute = current_minute();
        let outcome = six_attempts_then_one_per_node().await;
        if current_minute() == minute {
            break outcome;
        }
    };
    for (i, (status, body)) in failed.iter().enumerate() {
        assert_eq!(*status, StatusCode::UNAUTHORIZED, "attempt {i}: {body}");
    }
    for (node, (status, body)) in refused.iter().enumerate() {
        assert_eq!(
            *status,
            StatusCode::TOO_MANY_REQUESTS,
            "node {node}: {body}"
        );
    }
}
