//! PostgreSQL "restarts" (every connection cut, the port closed, then open
//! again) under two nodes in the middle of a send burst: sends meanwhile are
//! refused with `unavailable`, never acknowledged; sent again under their
//! nonces afterwards, each is stored once, and every client holds every
//! acknowledged message exactly once.

use super::burst::*;
use super::support::*;
use crate::helpers::*;
use std::collections::HashSet;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_database_restart_mid_burst_loses_and_duplicates_nothing() {
    let db = TestDatabase::create().await;
    let mut relay = PgRelay::start(0).await;
    let url = relay.relayed(&db.url());
    let cluster = spawn_cluster_on(db, ClusterSetup::nodes(2), |c| {
        c.database.url = Some(url.clone());
    })
    .await;
    let (node0, node1) = (cluster.node(0), cluster.node(1));
    let alice = node0.register("alice").await;
    let bob = node1.register("bob").await;
    let carol = node0.register("carol").await;
    let room = node0
        .create_room(&alice, RoomKind::Group, "restart", &[&bob, &carol])
        .await
        .id;
    let mut alice_ws = node0.ws(&alice).await;
    let mut bob_ws = node1.ws(&bob).await;
    let mut carol_ws = node0.ws(&carol).await;
    let mut nonces = HashSet::new();
    let mut acked = HashSet::new();
    let mut refused = Vec::new();
    let mut i = 0;
    let mut next_nonce = || {
        i += 1;
        format!("m-{i}")
    };

    for _ in 0..10 {
        let nonce = next_nonce();
        match send_over(&mut alice_ws, room, &nonce).await {
            Sent::Acked(m) => acked.insert(m.id),
            other => panic!("{nonce}: {other:?}"),
        };
        nonces.insert(nonce);
    }
    // Three sends on their way when the database goes, then more while it
    // is gone.
    let mut written = Vec::new();
    for _ in 0..3 {
        let nonce = next_nonce();
        assert!(write_send(&mut alice_ws, room, &nonce).await);
        written.push(nonce);
    }
    relay.cut();
    for _ in 0..5 {
        let nonce = next_nonce();
        assert!(write_send(&mut alice_ws, room, &nonce).await);
        written.push(nonce);
    }
    for nonce in written {
        match await_answer(&mut alice_ws, &nonce).await {
            Sent::Acked(m) => {
                acked.insert(m.id);
            }
            Sent::Refused(ErrorCode::Unavailable) => refused.push(nonce.clone()),
            other => panic!("{nonce} while the database restarts: {other:?}"),
        }
        nonces.insert(nonce);
    }
    assert!(!refused.is_empty(), "some sends met the outage");

    let _relay = PgRelay::start(relay.port).await;
    cluster.await_ready(0, true).await;
    cluster.await_ready(1, true).await;
    for nonce in refused.into_iter().chain((0..10).map(|_| next_nonce())) {
        match send_over(&mut alice_ws, room, &nonce).await {
            Sent::Acked(m) => acked.insert(m.id),
            other => panic!("{nonce} after the restart: {other:?}"),
        };
        nonces.insert(nonce);
    }

    let mut bob_follows = Follower::default();
    bob_follows
        .hold_all(node1, &bob, room, &mut bob_ws, &acked)
        .await;
    let mut carol_follows = Follower::default();
    carol_follows
        .hold_all(node0, &carol, room, &mut carol_ws, &acked)
        .await;
    for (who, f) in [("bob", &bob_follows), ("carol", &carol_follows)] {
        assert!(
            f.live_duplicates.is_empty(),
            "{who} got {:?} twice",
            f.live_duplicates
        );
    }
    let stored = history(node0, &alice, room).await;
    assert_exactly_once(&stored, &nonces, &acked);
    assert_eq!(bob_follows.held.seqs.len(), stored.len());
}
