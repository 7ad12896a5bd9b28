//! Redis dies while messages flow and comes back on the same port: nodes
//! keep serving their own sessions, answer 503 on /readyz meanwhile, and
//! once the bus is back every session is told to `resync`; after catching
//! up, every client holds every acknowledged message.

use super::support::*;
use crate::helpers::*;
use std::collections::HashSet;
use std::time::Duration;

/// Sends `n` messages, alternating between alice on node 0 and bob on
/// node 1; returns the ids of the acknowledged ones.
async fn send_some(
    cluster: &TestCluster,
    alice: &TestUser,
    bob: &TestUser,
    room: RoomId,
    tag: &str,
    n: usize,
) -> Vec<MessageId> {
    let mut acked = Vec::new();
    for i in 0..n {
        let (node, user) = if i % 2 == 0 {
            (cluster.node(0), alice)
        } else {
            (cluster.node(1), bob)
        };
        let m = node.send(user, room, &format!("{tag} {i}")).await;
        acked.push(m.id);
    }
    acked
}

/// Reads events (merging messages, catching up on `resync`) until the
/// client holds every id in `acked`; returns how many `resync`s it saw.
async fn hold_everything(
    node: &TestApp,
    user: &TestUser,
    room: RoomId,
    client: &mut WsClient,
    held: &mut Held,
    acked: &HashSet<MessageId>,
) -> usize {
    // An event wait, not a poll: 30 s because the `resync` comes only once
    // the nodes' Redis links have reconnected, on their own backoff timers.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    let mut resyncs = 0;
    while !(held.holds_all(acked) && resyncs > 0) {
        let Some(frame) = client.next_frame(deadline).await else {
            panic!(
                "{}: gave up holding {} of {} messages after {resyncs} resync(s)",
                user.username,
                acked
                    .iter()
                    .filter(|id| held.seqs.contains_key(*id))
                    .count(),
                acked.len()
            );
        };
        match frame.event {
            ServerEvent::MessageCreated(e) => held.merge(&e.message),
            ServerEvent::Resync(resync) => {
                resyncs += 1;
                let position = resync
                    .rooms
                    .iter()
                    .find(|r| r.id == room)
                    .expect("the room is in resync.rooms");
                if position.last_seq > held.contiguous() {
                    catch_up(node, user, room, held).await;
                }
            }
            _ => {}
        }
    }
    resyncs
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sessions_catch_up_after_the_bus_comes_back() {
    let mut redis = TestRedis::start().await;
    let mut setup = ClusterSetup::nodes(2);
    setup.redis_url = redis.url();
    let cluster = spawn_cluster_with(setup, |_| {}).await;
    let alice = cluster.node(0).register("alice").await;
    let bob = cluster.node(1).register("bob").await;
    let room = cluster
        .node(0)
        .create_room(&alice, RoomKind::Group, "ops", &[&bob])
        .await
        .id;
    let mut alice_ws = cluster.node(0).ws(&alice).await;
    let mut bob_ws = cluster.node(1).ws(&bob).await;

    let mut acked = send_some(&cluster, &alice, &bob, room, "before", 6).await;
    // Redis dies while messages keep coming: a few go through first, then
    // the kill runs as soon as the next sends are in flight.
    acked.extend(send_some(&cluster, &alice, &bob, room, "during", 3).await);
    let (during, ()) = tokio::join!(
        send_some(&cluster, &alice, &bob, room, "during-kill", 7),
        async { redis.kill() }
    );
    acked.extend(during);
    // Both nodes say they are not ready, but keep serving.
    cluster.await_ready(0, false).await;
    cluster.await_ready(1, false).await;
    acked.extend(send_some(&cluster, &alice, &bob, room, "down", 6).await);

    redis.restart().await;
    cluster.await_ready(0, true).await;
    cluster.await_ready(1, true).await;
    acked.extend(send_some(&cluster, &alice, &bob, room, "after", 6).await);

    let acked: HashSet<MessageId> = acked.into_iter().collect();
    assert_eq!(acked.len(), 28);
    let (mut alice_held, mut bob_held) = (Held::default(), Held::default());
    let resyncs = hold_everything(
        cluster.node(0),
        &alice,
        room,
        &mut alice_ws,
        &mut alice_held,
        &acked,
    )
    .await;
    assert!(resyncs >= 1);
    let resyncs = hold_everything(
        cluster.node(1),
        &bob,
        room,
        &mut bob_ws,
        &mut bob_held,
        &acked,
    )
    .await;
    assert!(resyncs >= 1);
    // Nothing but what was sent, at the seqs the store gave them.
    assert_eq!(alice_held.seqs, bob_held.seqs);
    let seqs: HashSet<i64> = alice_held.seqs.values().copied().collect();
    assert_eq!(seqs, (1..=28).collect::<HashSet<i64>>());
}
