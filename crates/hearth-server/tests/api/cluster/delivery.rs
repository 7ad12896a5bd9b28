//! Messages, membership and idempotent sends with clients on every node.

use super::support::*;
use crate::helpers::*;
use futures_util::future::join_all;
use hearth_protocol::dto::SendMessageRequest;
use reqwest::StatusCode;
use serde_json::json;
use std::collections::HashSet;

/// Collects `n` `message.created` events; returns `(seq, id)` in seq order.
async fn collect_created(client: &mut WsClient, n: usize) -> Vec<(i64, MessageId)> {
    let mut got = Vec::with_capacity(n);
    for _ in 0..n {
        got.push(expect_event!(client,
            ServerEvent::MessageCreated(e) => (e.message.seq, e.message.id)));
    }
    got.sort();
    got
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn clients_on_every_node_see_every_message_in_one_seq_order() {
    let cluster = spawn_cluster(3).await;
    let (n0, n1, n2) = (cluster.node(0), cluster.node(1), cluster.node(2));
    let alice = n0.register("alice").await;
    let bob = n1.register("bob").await;
    let carol = n2.register("carol").await;
    let room = n0
        .create_room(&alice, RoomKind::Channel, "general", &[&bob, &carol])
        .await
        .id;
    let mut clients = vec![
        n0.ws(&alice).await,
        n1.ws(&bob).await,
        n2.ws(&carol).await,
        n2.ws(&alice).await,
    ];

    // Three senders, each on their own node, all at once.
    const EACH: usize = 8;
    let senders = [(n0, &alice), (n1, &bob), (n2, &carol)];
    join_all(senders.iter().map(|(node, user)| async move {
        for i in 0..EACH {
            node.send(user, room, &format!("{} says {i}", user.username))
                .await;
        }
    }))
    .await;

    let total = EACH * senders.len();
    let mut orders = Vec::new();
    for client in &mut clients {
        let got = collect_created(client, total).await;
        let ids: HashSet<&MessageId> = got.iter().map(|(_, id)| id).collect();
        assert_eq!(ids.len(), total, "no message twice");
        orders.push(got);
    }
    let seqs: Vec<i64> = orders[0].iter().map(|(seq, _)| *seq).collect();
    assert_eq!(seqs, (1..=total as i64).collect::<Vec<_>>());
    assert!(orders.iter().all(|o| o == &orders[0]), "one order for all");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_senders_on_every_node_get_gap_free_seqs() {
    let cluster = &spawn_cluster(3).await;
    let owner = cluster.node(0).register("owner").await;
    let mut users = Vec::new();
    for i in 0..6 {
        users.push((
            i % 3,
            cluster.node(i % 3).register(&format!("user{i}")).await,
        ));
    }
    let members: Vec<&TestUser> = users.iter().map(|(_, u)| u).collect();
    let room = cluster
        .node(0)
        .create_room(&owner, RoomKind::Group, "busy", &members)
        .await
        .id;

    // Everyone at once: 6 users × 10 sends over REST, plus 10 over the gateway.
    let rest = join_all(users.iter().flat_map(|(node, user)| {
        (0..10).map(move |i| async move {
            let m = cluster.node(*node).send(user, room, &format!("m{i}")).await;
            m.seq
        })
    }));
    let mut ws = cluster.node(2).ws(&owner).await;
    let gateway = async {
        for i in 0..10 {
            ws.send_message(room, &format!("g{i}"), "via gateway").await;
        }
        let mut seqs = Vec::new();
        for i in 0..10 {
            let nonce = format!("g{i}");
            seqs.push(expect_event!(ws,
                ServerEvent::Ack(a) if a.nonce == nonce => a.message.seq));
        }
        seqs
    };
    let (mut seqs, from_gateway) = tokio::join!(rest, gateway);
    seqs.extend(from_gateway);
    seqs.sort_unstable();
    assert_eq!(
        seqs,
        (1..=70).collect::<Vec<i64>>(),
        "strictly increasing, gap-free"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_same_nonce_sent_to_two_nodes_makes_one_message() {
    let cluster = spawn_cluster(3).await;
    let alice = cluster.node(0).register("alice").await;
    let room = cluster
        .node(0)
        .create_room(&alice, RoomKind::Group, "notes", &[])
        .await
        .id;
    let path = format!("/api/v1/rooms/{room}/messages");
    let body = serde_json::to_value(SendMessageRequest {
        body: "only once".to_string(),
        nonce: Some("retry-1".to_string()),
        reply_to: None,
        attachments: Vec::new(),
        anonymous: false,
    })
    .unwrap();
    let (a, b) = tokio::join!(
        cluster.node(0).post(&path, &alice.token, body.clone()),
        cluster.node(1).post(&path, &alice.token, body.clone()),
    );
    let mut statuses = vec![a.0, b.0];
    statuses.sort();
    assert_eq!(
        statuses,
        vec![StatusCode::OK, StatusCode::CREATED],
        "{a:?} {b:?}"
    );
    assert_eq!(decode::<Message>(a.1).id, decode::<Message>(b.1).id);

    // Over the gateway too: two devices on two nodes retrying one send.
    let mut one = cluster.node(1).ws(&alice).await;
    let mut two = cluster.node(2).ws(&alice).await;
    let op = send_op(room, "retry-2", "once more");
    tokio::join!(one.send_op(op.clone()), two.send_op(op));
    let acked_id =
        |a: &hearth_protocol::gateway::AckEvent| (a.nonce == "retry-2").then_some(a.message.id);
    let (x, y) = tokio::join!(
        one.expect("the ack of retry-2", |e| match e {
            ServerEvent::Ack(a) => acked_id(a),
            _ => None,
        }),
        two.expect("the ack of retry-2", |e| match e {
            ServerEvent::Ack(a) => acked_id(a),
            _ => None,
        }),
    );
    assert_eq!(x, y);

    let page = cluster.node(2).messages(&alice, room, "").await;
    let bodies: Vec<&str> = page.messages.iter().map(|m| m.body.as_str()).collect();
    assert_eq!(bodies, ["only once", "once more"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn membership_changes_cross_nodes() {
    let cluster = spawn_cluster(3).await;
    let (n0, n1, n2) = (cluster.node(0), cluster.node(1), cluster.node(2));
    let alice = n0.register("alice").await;
    let bob = n1.register("bob").await;
    let carol = n2.register("carol").await;
    let room = n0
        .create_room(&alice, RoomKind::Group, "team", &[&bob])
        .await
        .id;
    let mut bob_ws = n1.ws(&bob).await;
    let mut carol_ws = n2.ws(&carol).await;

    // Added on node 0: carol (node 2) hears she joined, bob (node 1) hears it too.
    n0.add_member(&alice, room, &carol).await;
    expect_event!(carol_ws, ServerEvent::RoomJoined(e) if e.room.id == room);
    expect_event!(bob_ws, ServerEvent::MemberJoined(e) if e.member.user.id == carol.id);
    // Node 2 now routes the room's messages to carol.
    n1.send(&bob, room, "welcome carol").await;
    expect_event!(carol_ws, ServerEvent::MessageCreated(e) if e.message.body == "welcome carol");

    // Removed on node 0: carol hears it and nothing after it.
    let (status, body) = n0
        .delete(
            &format!("/api/v1/rooms/{room}/members/{}", carol.id),
            &alice.token,
        )
        .await;
    assert!(status.is_success(), "{body}");
    expect_event!(carol_ws, ServerEvent::RoomLeft(e) if e.room_id == room);
    n1.send(&bob, room, "carol is gone").await;
    expect_event!(bob_ws, ServerEvent::MessageCreated(e) if e.message.body == "carol is gone");
    carol_ws.sync().await;
    carol_ws.assert_none_seen(
        "a removed member gets no more messages",
        |e| matches!(e, ServerEvent::MessageCreated(m) if m.message.body == "carol is gone"),
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn signing_out_on_one_node_ends_the_session_on_every_node() {
    let cluster = spawn_cluster(2).await;
    let alice = cluster.node(0).register("alice").await;
    let mut ws = cluster.node(1).ws(&alice).await;
    let (status, _) = cluster.node(1).get("/api/v1/users/me", &alice.token).await;
    assert_eq!(status, StatusCode::OK);

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
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "the access token died everywhere"
    );
}
