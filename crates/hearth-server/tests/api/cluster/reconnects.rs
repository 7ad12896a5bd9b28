//! A client's connection is cut 1,000 times during a send burst, and it
//! comes back each time through the other node, catching up from its
//! `ready` as docs/protocol.md says: in the end it holds every message,
//! with no gap and none delivered twice on any one connection.
//!
//! `HEARTH_SOAK_RECONNECTS=N` runs N reconnects instead (a longer soak).

use super::burst::*;
use super::support::*;
use crate::helpers::*;
use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

fn reconnects() -> usize {
    std::env::var("HEARTH_SOAK_RECONNECTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_thousand_reconnects_during_a_burst_leave_no_gap_and_no_duplicate() {
    let cluster = Arc::new(spawn_cluster(2).await);
    let alice = cluster.node(0).register("alice").await;
    let bob = cluster.node(1).register("bob").await;
    let room = cluster
        .node(0)
        .create_room(&alice, RoomKind::Channel, "storm", &[&bob])
        .await
        .id;

    // alice sends on node 0 until the storm is over.
    let done = Arc::new(AtomicBool::new(false));
    let sender = tokio::spawn({
        let (cluster, alice, done) = (cluster.clone(), alice.clone(), done.clone());
        async move {
            let mut acked = HashSet::new();
            let mut i = 0;
            while !done.load(Ordering::Acquire) {
                i += 1;
                acked.insert(
                    cluster
                        .node(0)
                        .send(&alice, room, &format!("m-{i}"))
                        .await
                        .id,
                );
            }
            acked
        }
    });

    let mut bob_follows = Follower::default();
    let total = reconnects();
    for n in 0..total {
        let node = cluster.node(n % 2);
        let mut ws = node.ws(&bob).await;
        bob_follows.reconnected();
        bob_follows
            .caught_up_from_ready(node, &bob, &ws, room)
            .await;
        // Whatever is queued for this connection by the pong, then the cut.
        ws.sync().await;
        for frame in std::mem::take(&mut ws.seen) {
            if let ServerEvent::MessageCreated(e) = frame.event {
                bob_follows.live(&e.message);
            }
        }
        drop(ws);
    }
    done.store(true, Ordering::Release);
    let acked = sender.await.expect("the sender");
    assert!(acked.len() > 1, "the burst ran during the storm");

    let node = cluster.node(0);
    let mut ws = node.ws(&bob).await;
    bob_follows.reconnected();
    bob_follows
        .caught_up_from_ready(node, &bob, &ws, room)
        .await;
    bob_follows
        .hold_all(node, &bob, room, &mut ws, &acked)
        .await;
    assert!(
        bob_follows.live_duplicates.is_empty(),
        "delivered twice on one connection: {:?}",
        bob_follows.live_duplicates
    );
    let seqs: Vec<i64> = {
        let mut s: Vec<i64> = bob_follows.held.seqs.values().copied().collect();
        s.sort_unstable();
        s
    };
    assert_eq!(
        seqs,
        (1..=acked.len() as i64).collect::<Vec<_>>(),
        "no gap, nothing twice"
    );
}
