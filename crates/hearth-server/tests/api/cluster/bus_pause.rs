//! Redis freezes (`DEBUG SLEEP`, longer than the nodes' ping timeout) while
//! messages flow through both nodes: every client ends up holding every
//! acknowledged message exactly once (live, or through `resync` and
//! catch-up). And what is taken away while Redis is away ends on the other
//! node too: a member kicked stops receiving the room once the node's
//! resync pass has read the store, a signed-out session is closed.

use super::burst::*;
use super::support::*;
use crate::helpers::*;
use serde_json::json;
use std::collections::HashSet;

/// Longer than the subscriber's 3 s ping timeout: the nodes notice.
const FREEZE_SECONDS: u32 = 4;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_frozen_bus_loses_and_duplicates_nothing() {
    let redis = TestRedis::start().await;
    let mut setup = ClusterSetup::nodes(2);
    setup.redis_url = redis.url();
    let cluster = spawn_cluster_with(setup, |_| {}).await;
    let (node0, node1) = (cluster.node(0), cluster.node(1));
    let alice = node0.register("alice").await;
    let bob = node1.register("bob").await;
    let carol = node0.register("carol").await;
    let dave = node1.register("dave").await;
    let room = node0
        .create_room(&alice, RoomKind::Group, "frozen", &[&bob, &carol, &dave])
        .await
        .id;
    let mut carol_ws = node0.ws(&carol).await;
    let mut dave_ws = node1.ws(&dave).await;
    let mut acked = HashSet::new();
    let mut nonces = HashSet::new();
    let mut n = 0;
    let send_one = async |n: &mut usize| {
        let (node, user) = if n.is_multiple_of(2) {
            (node0, &alice)
        } else {
            (node1, &bob)
        };
        let nonce = format!("m-{n}");
        *n += 1;
        let m = node.send(user, room, &nonce).await;
        (nonce, m.id)
    };
    for _ in 0..6 {
        let (nonce, id) = send_one(&mut n).await;
        nonces.insert(nonce);
        acked.insert(id);
    }

    // Freeze; keep sending on both nodes until it thaws.
    let thawed = redis.pause(FREEZE_SECONDS);
    while !thawed.is_finished() {
        let (nonce, id) = send_one(&mut n).await;
        nonces.insert(nonce);
        acked.insert(id);
    }
    thawed.await.expect("the freeze ended");
    cluster.await_ready(0, true).await;
    cluster.await_ready(1, true).await;
    for _ in 0..6 {
        let (nonce, id) = send_one(&mut n).await;
        nonces.insert(nonce);
        acked.insert(id);
    }

    let mut carol_follows = Follower::default();
    carol_follows
        .hold_all(node0, &carol, room, &mut carol_ws, &acked)
        .await;
    let mut dave_follows = Follower::default();
    dave_follows
        .hold_all(node1, &dave, room, &mut dave_ws, &acked)
        .await;
    for (who, f) in [("carol", &carol_follows), ("dave", &dave_follows)] {
        assert!(
            f.live_duplicates.is_empty(),
            "{who} got {:?} twice",
            f.live_duplicates
        );
    }
    let stored = history(node0, &alice, room).await;
    assert_exactly_once(&stored, &nonces, &acked);
    assert_eq!(dave_follows.held.seqs.len(), stored.len());
}

/// A cluster of two on a private Redis, and `user` with a socket on node 1.
async fn outage_setup() -> (TestRedis, TestCluster) {
    let redis = TestRedis::start().await;
    let mut setup = ClusterSetup::nodes(2);
    setup.redis_url = redis.url();
    let cluster = spawn_cluster_with(setup, |_| {}).await;
    (redis, cluster)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_member_kicked_while_the_bus_is_down_hears_nothing_more() {
    let (mut redis, cluster) = outage_setup().await;
    let (node0, node1) = (cluster.node(0), cluster.node(1));
    let alice = node0.register("alice").await;
    let erin = node0.register("erin").await;
    let room = node0
        .create_room(&alice, RoomKind::Group, "kick", &[&erin])
        .await
        .id;
    let mut erin_ws = node1.ws(&erin).await;

    redis.kill();
    cluster.await_ready(0, false).await;
    let (s, b) = node0
        .delete(
            &format!("/api/v1/rooms/{room}/members/{}", erin.id),
            &alice.token,
        )
        .await;
    assert!(s.is_success(), "kick: {s} {b}");
    redis.restart().await;
    cluster.await_ready(0, true).await;
    cluster.await_ready(1, true).await;
    // The kick's event was lost with Redis: node 1 learns of it from the
    // store in its resync pass, which ends with erin's `resync` (without the
    // room). From then on the room is not hers on node 1.
    expect_event!(erin_ws, ServerEvent::Resync(r) if r.rooms.iter().all(|p| p.id != room));
    let m = node0.send(&alice, room, "after the kick").await;
    // alice's own socket on node 1 proves the message reached node 1.
    let mut alice_ws = node1.ws(&alice).await;
    let m2 = node0.send(&alice, room, "and another").await;
    expect_event!(alice_ws, ServerEvent::MessageCreated(e) if e.message.id == m2.id);
    erin_ws.sync().await;
    erin_ws.assert_none_seen("the kicked member heard the room", |e| {
        matches!(e, ServerEvent::MessageCreated(c) if c.message.id == m.id || c.message.id == m2.id)
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_session_signed_out_while_the_bus_is_down_ends_on_every_node() {
    let (mut redis, cluster) = outage_setup().await;
    let (node0, node1) = (cluster.node(0), cluster.node(1));
    let frank = node0.register("frank").await;
    let mut frank_ws = node1.ws(&frank).await;

    redis.kill();
    cluster.await_ready(0, false).await;
    let (s, b) = node0
        .request(
            reqwest::Method::POST,
            "/api/v1/auth/logout",
            None,
            Some(json!({"refresh_token": frank.refresh})),
        )
        .await;
    assert!(s.is_success(), "logout: {s} {b}");
    redis.restart().await;
    cluster.await_ready(0, true).await;
    cluster.await_ready(1, true).await;

    assert_eq!(
        frank_ws.expect_close().await,
        Ended::Closed(Some(4003)),
        "the signed-out session on node 1"
    );
    let (s, _) = node1.get("/api/v1/users/me", &frank.token).await;
    assert_eq!(
        s,
        reqwest::StatusCode::UNAUTHORIZED,
        "the signed-out token on node 1"
    );
}
