//! Login rate limits counted across the nodes.

use super::support::*;
use reqwest::StatusCode;
use serde_json::json;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_limits_hold_across_nodes() {
    // The shared limit counts per minute: do not straddle a minute boundary.
    let second = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
        % 60;
    if second >= 50 {
        tokio::time::sleep(Duration::from_secs(61 - second)).await;
    }
    let cluster = spawn_cluster_with(ClusterSetup::nodes(3), |c| c.auth_rate_per_minute = 6).await;
    // One registration and five failed logins use up the six attempts,
    // spread over the three nodes.
    cluster.node(0).register("alice").await;
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
        assert_eq!(status, StatusCode::UNAUTHORIZED, "attempt {i}: {body}");
    }
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
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "node {node}: {body}");
    }
}
