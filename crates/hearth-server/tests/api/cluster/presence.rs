//! Presence and typing across nodes.

use super::support::*;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn presence_and_typing_cross_nodes() {
    let cluster = spawn_cluster(2).await;
    let (n0, n1) = (cluster.node(0), cluster.node(1));
    let alice = n0.register("alice").await;
    let bob = n1.register("bob").await;
    let room = n0.create_room(&alice, "group", "pair", &[&bob]).await;

    let mut bob_ws = n1.ws(&bob).await;
    let mut alice_ws = n0.ws(&alice).await;
    // Announced by node 0, heard on node 1.
    bob_ws
        .expect_event("presence", |d| {
            d["user_id"] == alice.id && d["status"] == "online"
        })
        .await;
    // Alice's snapshot comes from the cluster, not from her node alone.
    let listed = alice_ws.ready["presence"].as_array().unwrap().clone();
    assert!(
        listed
            .iter()
            .any(|p| p["user_id"] == bob.id && p["status"] == "online"),
        "{listed:?}"
    );

    alice_ws
        .send_json(json!({"op": "typing", "room_id": room}))
        .await;
    bob_ws
        .expect_event("typing", |d| {
            d["user_id"] == alice.id && d["room_id"] == room
        })
        .await;

    // Idle on node 0, then active again on node 1: the cluster-wide status
    // follows the most present session.
    alice_ws
        .send_json(json!({"op": "presence", "status": "idle"}))
        .await;
    bob_ws
        .expect_event("presence", |d| {
            d["user_id"] == alice.id && d["status"] == "idle"
        })
        .await;
    let mut alice_phone = n1.ws(&alice).await;
    bob_ws
        .expect_event("presence", |d| {
            d["user_id"] == alice.id && d["status"] == "online"
        })
        .await;
    alice_phone.stream.close(None).await.unwrap();
    bob_ws
        .expect_event("presence", |d| {
            d["user_id"] == alice.id && d["status"] == "idle"
        })
        .await;

    // Gone from every node: offline, with a last-seen time.
    alice_ws.stream.close(None).await.unwrap();
    let offline = bob_ws
        .expect_event("presence", |d| {
            d["user_id"] == alice.id && d["status"] == "offline"
        })
        .await;
    assert!(offline["last_seen"].is_string(), "{offline}");
}
