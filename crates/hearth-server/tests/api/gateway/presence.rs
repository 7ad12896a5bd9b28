//! Presence: online while any session is connected, idle only when every
//! session is idle, offline a grace period (300 ms in tests) after the last
//! session closes — so a reload does not flap.

use crate::helpers::*;
use serde_json::{Value, json};
use std::time::Duration;

/// Bob's next presence event about `user`, in arrival order.
/// Fails if `ws` has received any presence event about `user`.
fn assert_no_presence_of(ws: &WsClient, user: &TestUser, why: &str) {
    let seen = ws.seen_named("presence");
    assert!(
        seen.iter().all(|p| p["user_id"] != user.id.as_str()),
        "{why}: {seen:?}"
    );
}

async fn next_presence(ws: &mut WsClient, user: &TestUser) -> Value {
    ws.expect_event("presence", |d| d["user_id"] == user.id.as_str())
        .await
}

async fn set_status(ws: &mut WsClient, status: &str) {
    ws.send_json(json!({"op": "presence", "status": status}))
        .await;
    ws.sync().await;
    assert!(ws.seen_named("error").is_empty(), "{:?}", ws.seen);
}

#[tokio::test]
async fn presence_is_online_while_any_device_is_connected_and_idle_only_when_all_are_idle() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    app.create_room(&alice, "group", "team", &[&bob]).await;
    let mut bob_ws = app.ws(&bob).await;
    assert_eq!(bob_ws.ready["presence"], json!([]), "nobody is online yet");

    let mut phone = app.ws(&alice).await;
    let p = next_presence(&mut bob_ws, &alice).await;
    assert_eq!(p["status"], "online");
    // Alice hears about herself too (her other devices need it).
    next_presence(&mut phone, &alice).await;

    // A second device, then one of two going idle: still online, no event.
    let mut laptop = app.ws(&alice).await;
    assert!(
        laptop.ready["presence"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["user_id"] != alice.id.as_str()),
        "ready.presence lists peers, not oneself: {}",
        laptop.ready["presence"]
    );
    set_status(&mut phone, "idle").await;
    // Every device idle: idle.
    set_status(&mut laptop, "idle").await;
    let p = next_presence(&mut bob_ws, &alice).await;
    assert_eq!(p["status"], "idle", "an event before idle is a flap: {p}");

    // A newcomer's ready snapshot shows the current status.
    let carol = app.register("carol").await;
    let room2 = app
        .create_room(&alice, "group", "with carol", &[&carol])
        .await;
    let carol_ws = app.ws(&carol).await;
    let snap: Vec<&Value> = carol_ws.ready["presence"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["user_id"] == alice.id.as_str())
        .collect();
    assert_eq!(snap.len(), 1, "ready: {}", carol_ws.ready);
    assert_eq!(snap[0]["status"], "idle");
    drop(carol_ws);
    let _ = room2;

    // One device active again: online.
    set_status(&mut phone, "active").await;
    let p = next_presence(&mut bob_ws, &alice).await;
    assert_eq!(p["status"], "online");

    // The active device closes; the one left is idle: idle.
    drop(phone);
    let p = next_presence(&mut bob_ws, &alice).await;
    assert_eq!(p["status"], "idle");

    // The last device closes: offline after the grace, with last_seen.
    laptop.stream.close(None).await.unwrap();
    drop(laptop);
    let p = next_presence(&mut bob_ws, &alice).await;
    assert_eq!(p["status"], "offline");
    assert!(p["last_seen"].is_string(), "{p}");
    bob_ws.sync().await;
    assert_no_presence_of(&bob_ws, &alice, "extra presence events");
}

#[tokio::test]
async fn a_reload_within_the_grace_period_announces_no_offline() {
    let app = spawn_app().await;
    // The reconnect must land within the grace even on a loaded machine.
    app.state
        .services
        .presence
        .set_offline_grace(Duration::from_secs(1));
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let carol = app.register("carol").await;
    app.create_room(&alice, "group", "team", &[&bob, &carol])
        .await;
    let mut bob_ws = app.ws(&bob).await;
    let first = app.ws(&alice).await;
    assert_eq!(next_presence(&mut bob_ws, &alice).await["status"], "online");

    // A page reload: close, and reconnect well within the grace.
    drop(first);
    let second = app.ws(&alice).await;
    // Carol comes and goes after the reload: her offline, a grace after she
    // left, comes after the timer of alice's first close would have fired.
    let carol_ws = app.ws(&carol).await;
    assert_eq!(next_presence(&mut bob_ws, &carol).await["status"], "online");
    drop(carol_ws);
    assert_eq!(
        next_presence(&mut bob_ws, &carol).await["status"],
        "offline"
    );
    bob_ws.sync().await;
    assert_no_presence_of(&bob_ws, &alice, "the reload flapped");
    let (status, _) = app
        .state
        .services
        .presence
        .status(alice.id.parse().unwrap());
    assert_eq!(serde_json::to_value(status).unwrap(), "online");

    // Closing for good: one offline, after the grace.
    drop(second);
    let p = next_presence(&mut bob_ws, &alice).await;
    assert_eq!(p["status"], "offline");
    assert!(p["last_seen"].is_string(), "{p}");
    bob_ws.sync().await;
    assert_no_presence_of(&bob_ws, &alice, "presence after the last offline");
}

/// Presence goes only through rooms of at most `presence_room_limit`
/// members: a peer from a DM hears of a connect, a member of a bigger room
/// does not (and does not find it in `ready`), but sees it in the member list.
#[tokio::test]
async fn presence_goes_through_small_rooms_only_and_big_rooms_list_it() {
    let app = spawn_app_with(|c| c.presence_room_limit = 3).await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let carol = app.register("carol").await;
    let erin = app.register("erin").await;
    let dave = app.register("dave").await;
    // Four members: above the limit of 3.
    let big = app
        .create_room(&alice, "channel", "big", &[&bob, &carol, &erin])
        .await;
    app.create_room(&alice, "dm", "", &[&dave]).await;

    let mut bob_ws = app.ws(&bob).await;
    let mut dave_ws = app.ws(&dave).await;
    assert_eq!(bob_ws.ready["presence_room_limit"], 3);

    let alice_ws = app.ws(&alice).await;
    // Alice's snapshot lists her DM peer, not the big room's members.
    let listed: Vec<&Value> = alice_ws.ready["presence"]
        .as_array()
        .unwrap()
        .iter()
        .collect();
    assert!(
        listed.iter().any(|p| p["user_id"] == dave.id.as_str()),
        "{listed:?}"
    );
    assert!(
        listed.iter().all(|p| p["user_id"] != bob.id.as_str()),
        "{listed:?}"
    );

    // The DM peer hears of it; the announcement is one delivery to every
    // recipient, so once dave has it, bob's would be queued too.
    assert_eq!(
        next_presence(&mut dave_ws, &alice).await["status"],
        "online"
    );
    bob_ws.sync().await;
    assert_no_presence_of(&bob_ws, &alice, "a big room carried presence");
    // Nor is it in a newcomer's ready.
    let carol_ws = app.ws(&carol).await;
    assert!(
        carol_ws.ready["presence"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["user_id"] != alice.id.as_str()),
        "{}",
        carol_ws.ready["presence"]
    );

    // The member list says who is here.
    let (status, members) = app
        .get(&format!("/api/v1/rooms/{big}/members"), &bob.token)
        .await;
    assert!(status.is_success(), "{status} {members}");
    let presence_of = |user: &TestUser| {
        members
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["user"]["id"] == user.id.as_str())
            .map(|m| m["presence"].clone())
            .unwrap()
    };
    assert_eq!(presence_of(&alice), "online");
    assert_eq!(presence_of(&bob), "online");
    assert_eq!(presence_of(&carol), "online");
    assert_eq!(presence_of(&erin), "offline");
    drop(carol_ws);
    drop(alice_ws);
}
