//! What a Redis outage loses cannot keep access alive: a revocation made on
//! one node reaches the others through the store while the bus is down, and
//! a member removed meanwhile stops receiving the room once it is back.

use super::support::*;
use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_sign_out_during_a_bus_outage_reaches_the_other_node() {
    let mut redis = TestRedis::start().await;
    let mut setup = ClusterSetup::nodes(2);
    setup.redis_url = redis.url();
    let cluster = spawn_cluster_with(setup, |_| {}).await;
    let alice = cluster.node(0).register("alice").await;
    let mut ws = cluster.node(1).ws(&alice).await;

    redis.kill();
    cluster.await_ready(0, false).await;
    cluster.await_ready(1, false).await;
    let (status, body) = cluster
        .node(0)
        .request(
            reqwest::Method::POST,
            "/api/v1/auth/logout",
            None,
            Some(json!({"refresh_token": alice.refresh})),
        )
        .await;
    assert!(status.is_success(), "{body}");
    assert_eq!(ws.expect_close().await, Ended::Closed(Some(4003)));
    let (status, _) = cluster.node(1).get("/api/v1/users/me", &alice.token).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_member_removed_during_a_bus_outage_stops_receiving_the_room_after_it() {
    let mut redis = TestRedis::start().await;
    let mut setup = ClusterSetup::nodes(2);
    setup.redis_url = redis.url();
    let cluster = spawn_cluster_with(setup, |_| {}).await;
    let alice = cluster.node(0).register("alice").await;
    let bob = cluster.node(1).register("bob").await;
    let room = cluster
        .node(0)
        .create_room(&alice, RoomKind::Group, "team", &[&bob])
        .await
        .id;
    let dm = cluster
        .node(0)
        .create_room(&alice, RoomKind::Dm, "", &[&bob])
        .await
        .id;
    let mut bob_ws = cluster.node(1).ws(&bob).await;

    redis.kill();
    cluster.await_ready(0, false).await;
    cluster.await_ready(1, false).await;
    // The removal's event is lost to node 1.
    let (status, body) = cluster
        .node(0)
        .delete(
            &format!("/api/v1/rooms/{room}/members/{}", bob.id),
            &alice.token,
        )
        .await;
    assert!(status.is_success(), "{body}");

    redis.restart().await;
    cluster.await_ready(0, true).await;
    cluster.await_ready(1, true).await;
    // The resync pass after the outage (its positions come from the store,
    // without the room) rebuilt bob's subscriptions before telling him.
    expect_event!(bob_ws, ServerEvent::Resync(r) if r.rooms.iter().all(|p| p.id != room));

    cluster.node(0).send(&alice, room, "after the outage").await;
    cluster.node(0).send(&alice, dm, "sync point").await;
    expect_event!(bob_ws, ServerEvent::MessageCreated(e) if e.message.body == "sync point");
    bob_ws.assert_none_seen(
        "a removed member gets no more of the room",
        |e| matches!(e, ServerEvent::MessageCreated(m) if m.message.room_id == room),
    );
}
