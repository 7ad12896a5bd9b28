//! A node crashes: its clients reconnect to another node and catch up with
//! nothing lost, and users it alone held go offline once its presence
//! entries expire — announced by a surviving node.

use super::support::*;
use crate::helpers::*;
use std::collections::HashSet;
use std::time::{Duration, Instant};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn clients_of_a_crashed_node_move_and_its_users_go_offline() {
    let mut setup = ClusterSetup::nodes(3);
    setup.presence_ttl = Duration::from_secs(2);
    let mut cluster = spawn_cluster_with(setup, |_| {}).await;
    let alice = cluster.node(0).register("alice").await;
    let bob = cluster.node(1).register("bob").await;
    let dave = cluster.node(0).register("dave").await;
    let room = cluster
        .node(1)
        .create_room(&bob, RoomKind::Group, "crew", &[&alice, &dave])
        .await
        .id;
    let mut bob_ws = cluster.node(1).ws(&bob).await;
    let mut alice_ws = cluster.node(0).ws(&alice).await;
    let _dave_ws = cluster.node(0).ws(&dave).await;
    for who in [&alice, &dave] {
        expect_event!(bob_ws,
            ServerEvent::Presence(p) if p.user_id == who.id && p.status == PresenceStatus::Online);
    }

    let mut acked = HashSet::new();
    let mut held = Held::default();
    for i in 0..5 {
        let m = cluster
            .node(1)
            .send(&bob, room, &format!("before {i}"))
            .await;
        acked.insert(m.id);
        let got = expect_event!(alice_ws,
            ServerEvent::MessageCreated(e) if e.message.id == m.id => e.message.clone());
        held.merge(&got);
    }

    // Node 0 crashes; its sessions are cut.
    cluster.kill(0).await;
    // Real time: the presence entries expire by Redis's own clock (`TIME` in
    // its scripts), which no test clock can move.
    let crashed = Instant::now();
    assert_ne!(alice_ws.expect_close().await, Ended::Closed(Some(1000)));
    for i in 0..5 {
        let m = cluster
            .node(1)
            .send(&bob, room, &format!("while away {i}"))
            .await;
        acked.insert(m.id);
    }

    // Alice comes back through node 2 and catches up from her `ready`.
    let mut alice_ws = cluster.node(2).ws(&alice).await;
    assert_eq!(alice_ws.position(room).last_seq, 10);
    catch_up(cluster.node(2), &alice, room, &mut held).await;
    let m = cluster.node(1).send(&bob, room, "welcome back").await;
    acked.insert(m.id);
    let got = expect_event!(alice_ws,
        ServerEvent::MessageCreated(e) if e.message.id == m.id => e.message.clone());
    held.merge(&got);
    assert!(held.holds_all(&acked), "nothing lost");
    assert_eq!(held.seqs.len(), acked.len(), "nothing twice");

    // Dave did not come back: a surviving node sees his entry expire.
    let last_seen = expect_event!(bob_ws,
        ServerEvent::Presence(p)
            if p.user_id == dave.id && p.status == PresenceStatus::Offline => p.last_seen);
    assert!(last_seen.is_some());
    assert!(
        crashed.elapsed() >= Duration::from_millis(1000),
        "offline came from expiry, not a goodbye: {:?}",
        crashed.elapsed()
    );
    // Alice moved to node 2 in time: she never looked offline.
    bob_ws.sync().await;
    bob_ws.assert_none_seen("alice looked offline", |e| {
        matches!(e, ServerEvent::Presence(p)
            if p.user_id == alice.id && p.status == PresenceStatus::Offline)
    });
}
