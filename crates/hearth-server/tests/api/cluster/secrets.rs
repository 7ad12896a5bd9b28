//! Nodes must share their secrets: a cluster refuses to start without one
//! given, and a node given another than the others says so on /readyz.

use super::support::*;
use crate::helpers::*;
use hearth_server::config::ClusterSettings;
use reqwest::StatusCode;

async fn readyz(node: &TestApp) -> (StatusCode, serde_json::Value) {
    let res = node.http.get(node.url("/readyz")).send().await.unwrap();
    let status = res.status();
    (status, res.json().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_with_other_secrets_than_the_cluster_is_not_ready() {
    let db = TestDatabase::create().await;
    let prefix = format!("hearth-test-{}", unique());
    let node = |i: usize, secret: &'static str| {
        let (url, prefix) = (db.url(), prefix.clone());
        spawn_app_with(move |c| {
            c.database.url = Some(url);
            c.database.max_connections = 4;
            c.auth.jwt_secret = Some(secret.into());
            *c.cluster = Some(ClusterSettings {
                redis_url: shared_redis_url(),
                redis_prefix: prefix,
                node_id: format!("node{i}"),
                presence_ttl: std::time::Duration::from_secs(45),
            });
        })
    };
    let first = node(0, "first-secret-first-secret-first-secret").await;
    eventually("node 0 ready", || async {
        readyz(&first).await.0 == StatusCode::OK
    })
    .await;
    let other = node(1, "other-secret-other-secret-other-secret").await;
    let (status, body) = readyz(&other).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert!(
        body["status"]
            .as_str()
            .unwrap()
            .contains("HEARTH_JWT_SECRET"),
        "{body}"
    );
    // Why it matters: the other node refuses the first one's tokens.
    let alice = first.register("alice").await;
    let (status, _) = other.get("/api/v1/users/me", &alice.token).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        readyz(&first).await.0,
        StatusCode::OK,
        "the first still agrees"
    );

    let same = node(2, "first-secret-first-secret-first-secret").await;
    eventually("node 2 ready", || async {
        readyz(&same).await.0 == StatusCode::OK
    })
    .await;
    assert_eq!(
        same.state.services.notifications.vapid_public_key(),
        first.state.services.notifications.vapid_public_key(),
        "the push key is the cluster's too"
    );
    drop((first, other, same));
}

#[tokio::test]
async fn a_cluster_node_without_a_jwt_secret_refuses_to_start() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = test_config(dir.path());
    config.auth.jwt_secret = None;
    *config.cluster = Some(ClusterSettings {
        redis_url: shared_redis_url(),
        redis_prefix: format!("hearth-test-{}", unique()),
        node_id: "lonely".into(),
        presence_ttl: std::time::Duration::from_secs(45),
    });
    let Err(e) = hearth_server::AppState::build(config).await else {
        panic!("a cluster node started without a shared secret");
    };
    assert!(e.to_string().contains("HEARTH_JWT_SECRET"), "{e}");
    assert!(
        !dir.path().join("jwt.key").exists(),
        "no per-node key was generated"
    );
}
