//! A node is SIGKILLed in the middle of a send burst: a real `hearth`
//! process, with sends in flight on its sockets. Its clients move to the
//! surviving node, send again what was never acknowledged (same nonces) and
//! catch up: nothing acknowledged is lost, nothing is stored or delivered
//! twice, and what changed meanwhile holds — a member kicked and a session
//! signed out while they were away stay out.

use super::burst::*;
use super::process::NodeProcess;
use super::support::*;
use crate::helpers::*;
use futures_util::future::join;
use serde_json::json;
use std::collections::HashSet;

const EACH: usize = 40;
/// Sends written to the doomed node's socket, unanswered, when it dies.
const IN_FLIGHT: usize = 5;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_node_killed_mid_burst_loses_and_duplicates_nothing() {
    let cluster = spawn_cluster(1).await;
    let node0 = cluster.node(0);
    let mut doomed = NodeProcess::start(&cluster, "doomed").await;
    doomed.await_ready().await;
    let alice = node0.register("alice").await;
    let bob = node0.register("bob").await;
    let carol = node0.register("carol").await;
    let dave = node0.register("dave").await;
    let erin = node0.register("erin").await;
    let frank = node0.register("frank").await;
    let room = node0
        .create_room(
            &alice,
            RoomKind::Group,
            "burst",
            &[&bob, &carol, &dave, &erin, &frank],
        )
        .await
        .id;
    // alice sends and carol, erin and frank listen on the doomed node; bob
    // sends and dave listens on the survivor.
    let mut alice_ws = doomed.ws(&alice).await;
    let mut carol_ws = doomed.ws(&carol).await;
    let mut erin_ws = doomed.ws(&erin).await;
    let mut frank_ws = doomed.ws(&frank).await;
    let mut bob_ws = node0.ws(&bob).await;
    let mut dave_ws = node0.ws(&dave).await;

    let mut nonces = HashSet::new();
    let mut acked = HashSet::new();
    let mut unanswered = Vec::new();
    let mut carol_follows = Follower::default();

    // alice: acknowledged sends, then a few written and the node killed
    // under them. bob keeps sending on the survivor throughout.
    let alice_burst = async {
        let mut acked = Vec::new();
        for i in 0..EACH / 2 {
            let nonce = format!("alice-{i}");
            match send_over(&mut alice_ws, room, &nonce).await {
                Sent::Acked(m) => acked.push(m.id),
                other => panic!("{nonce} before the kill: {other:?}"),
            }
        }
        let mut written = Vec::new();
        for i in EACH / 2..EACH / 2 + IN_FLIGHT {
            let nonce = format!("alice-{i}");
            assert!(write_send(&mut alice_ws, room, &nonce).await);
            written.push(nonce);
        }
        doomed.kill().await;
        // Whatever answers made it out before the kill count as acknowledged.
        let mut lost = Vec::new();
        for nonce in written {
            match await_answer(&mut alice_ws, &nonce).await {
                Sent::Acked(m) => acked.push(m.id),
                Sent::Cut => lost.push(nonce),
                Sent::Refused(code) => panic!("{nonce}: refused with {code:?}"),
            }
        }
        (acked, lost)
    };
    let bob_burst = async {
        let mut acked = Vec::new();
        for i in 0..EACH {
            let nonce = format!("bob-{i}");
            match send_over(&mut bob_ws, room, &nonce).await {
                Sent::Acked(m) => acked.push(m.id),
                other => panic!("{nonce} on the survivor: {other:?}"),
            }
        }
        acked
    };
    let ((alice_acked, lost), bob_acked) = join(alice_burst, bob_burst).await;
    acked.extend(alice_acked);
    acked.extend(bob_acked);
    unanswered.extend(lost);
    for i in 0..EACH / 2 + IN_FLIGHT {
        nonces.insert(format!("alice-{i}"));
    }
    for i in 0..EACH {
        nonces.insert(format!("bob-{i}"));
    }

    // Every socket on the dead node is cut; carol keeps what came before.
    let deadline = tokio::time::Instant::now() + TIMEOUT;
    while let Some(event) = next_event(&mut carol_ws, deadline).await {
        if let ServerEvent::MessageCreated(e) = event {
            carol_follows.live(&e.message);
        }
    }
    for ws in [&mut erin_ws, &mut frank_ws] {
        while next_event(ws, deadline).await.is_some() {}
    }
    // While they are away, erin is kicked and frank signs out.
    let (s, b) = node0
        .delete(
            &format!("/api/v1/rooms/{room}/members/{}", erin.id),
            &alice.token,
        )
        .await;
    assert!(s.is_success(), "kick: {s} {b}");
    let (s, b) = node0
        .request(
            reqwest::Method::POST,
            "/api/v1/auth/logout",
            None,
            Some(json!({"refresh_token": frank.refresh})),
        )
        .await;
    assert!(s.is_success(), "logout: {s} {b}");

    // alice moves to the survivor and sends again what had no answer, then
    // the rest of her burst.
    let mut alice_ws = node0.ws(&alice).await;
    let resent = unanswered
        .iter()
        .cloned()
        .chain((EACH / 2 + IN_FLIGHT..EACH).map(|i| format!("alice-{i}")));
    for nonce in resent {
        nonces.insert(nonce.clone());
        match send_over(&mut alice_ws, room, &nonce).await {
            Sent::Acked(m) => {
                acked.insert(m.id);
            }
            other => panic!("{nonce} on the survivor: {other:?}"),
        }
    }

    // carol comes back through the survivor and catches up from `ready`.
    let mut carol_ws = node0.ws(&carol).await;
    carol_follows.reconnected();
    carol_follows
        .caught_up_from_ready(node0, &carol, &carol_ws, room)
        .await;
    carol_follows
        .hold_all(node0, &carol, room, &mut carol_ws, &acked)
        .await;
    let mut dave_follows = Follower::default();
    dave_follows
        .hold_all(node0, &dave, room, &mut dave_ws, &acked)
        .await;
    assert!(
        carol_follows.live_duplicates.is_empty(),
        "carol got {:?} twice",
        carol_follows.live_duplicates
    );
    assert!(
        dave_follows.live_duplicates.is_empty(),
        "dave got {:?} twice",
        dave_follows.live_duplicates
    );

    let stored = history(node0, &alice, room).await;
    assert_exactly_once(&stored, &nonces, &acked);
    assert_eq!(
        carol_follows.held.seqs.len(),
        stored.len(),
        "carol holds exactly the history"
    );

    // erin's new session has no room and hears nothing from it; frank's
    // signed-out token opens nothing.
    let mut erin_ws = node0.ws(&erin).await;
    assert!(
        erin_ws.ready().rooms.iter().all(|r| r.id != room),
        "a kicked member's ready lists the room"
    );
    let m = node0.send(&bob, room, "after the kick").await;
    expect_event!(dave_ws, ServerEvent::MessageCreated(e) if e.message.id == m.id);
    erin_ws.sync().await;
    erin_ws.assert_none_seen(
        "the kicked member hears the room",
        |e| matches!(e, ServerEvent::MessageCreated(c) if c.message.room_id == room),
    );
    let mut frank_ws = node0.ws_raw().await;
    frank_ws
        .send_op(ClientOp::Auth {
            token: frank.token.clone(),
        })
        .await;
    assert_eq!(frank_ws.expect_close().await, Ended::Closed(Some(4001)));
}
