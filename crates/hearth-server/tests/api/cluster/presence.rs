//! Presence and typing across nodes.

use super::support::*;
use crate::helpers::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn presence_and_typing_cross_nodes() {
    let cluster = spawn_cluster(2).await;
    let (n0, n1) = (cluster.node(0), cluster.node(1));
    let alice = n0.register("alice").await;
    let bob = n1.register("bob").await;
    let room = n0
        .create_room(&alice, RoomKind::Group, "pair", &[&bob])
        .await
        .id;

    let mut bob_ws = n1.ws(&bob).await;
    let mut alice_ws = n0.ws(&alice).await;
    // Announced by node 0, heard on node 1.
    expect_event!(bob_ws, ServerEvent::Presence(p) if p.user_id == alice.id && p.status == PresenceStatus::Online);
    // Alice's snapshot comes from the cluster, not from her node alone.
    let listed = &alice_ws.ready().presence;
    assert!(
        listed
            .iter()
            .any(|p| p.user_id == bob.id && p.status == PresenceStatus::Online),
        "{listed:?}"
    );

    alice_ws
        .send_op(ClientOp::Typing {
            room_id: room,
            anonymous: false,
        })
        .await;
    expect_event!(bob_ws, ServerEvent::Typing(t) if t.user_id == alice.id && t.room_id == room);

    // Idle on node 0, then active again on node 1: the cluster-wide status
    // follows the most present session.
    alice_ws
        .send_op(ClientOp::Presence {
            status: PresenceStatus::Idle,
        })
        .await;
    expect_event!(bob_ws, ServerEvent::Presence(p) if p.user_id == alice.id && p.status == PresenceStatus::Idle);
    let mut alice_phone = n1.ws(&alice).await;
    expect_event!(bob_ws, ServerEvent::Presence(p) if p.user_id == alice.id && p.status == PresenceStatus::Online);
    alice_phone.stream.close(None).await.unwrap();
    // Node 1 drops its word for alice once its grace (on its own
    // hand-moved clock) is over.
    n1.end_presence_grace(1).await;
    expect_event!(bob_ws, ServerEvent::Presence(p) if p.user_id == alice.id && p.status == PresenceStatus::Idle);

    // Gone from every node: offline, with a last-seen time.
    alice_ws.stream.close(None).await.unwrap();
    n0.end_presence_grace(1).await;
    let last_seen = expect_event!(bob_ws,
        ServerEvent::Presence(p)
            if p.user_id == alice.id && p.status == PresenceStatus::Offline => p.last_seen);
    assert!(last_seen.is_some());
}
