//! Presence: online while any session is connected, idle only when every
//! session is idle, offline a grace period after the last session closes —
//! so a reload does not flap. The grace runs on the app's hand-moved clock
//! ([`TestApp::end_presence_grace`]): nothing here waits for real time.

use crate::helpers::*;
use hearth_protocol::gateway::PresenceEvent;

/// Fails if `ws` has received any presence event about `user`.
fn assert_no_presence_of(ws: &WsClient, user: &TestUser, why: &str) {
    ws.assert_none_seen(
        why,
        |e| matches!(e, ServerEvent::Presence(p) if p.user_id == user.id),
    );
}

/// The next presence event about `user`, in arrival order.
async fn next_presence(ws: &mut WsClient, user: &TestUser) -> PresenceEvent {
    expect_event!(ws, ServerEvent::Presence(p) if p.user_id == user.id => p.clone())
}

async fn set_status(ws: &mut WsClient, status: PresenceStatus) {
    ws.send_op(ClientOp::Presence { status }).await;
    ws.sync().await;
    ws.assert_none_seen("setting a status failed", |e| {
        matches!(e, ServerEvent::Error(_))
    });
}

/// The status `ready` lists for `user`, if any.
fn listed(ws: &WsClient, user: &TestUser) -> Vec<PresenceStatus> {
    ws.ready()
        .presence
        .iter()
        .filter(|p| p.user_id == user.id)
        .map(|p| p.status)
        .collect()
}

#[tokio::test]
async fn presence_is_online_while_any_device_is_connected_and_idle_only_when_all_are_idle() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    app.create_room(&alice, RoomKind::Group, "team", &[&bob])
        .await;
    let mut bob_ws = app.ws(&bob).await;
    assert!(
        bob_ws.ready().presence.is_empty(),
        "nobody is online yet: {:?}",
        bob_ws.ready().presence
    );

    let mut phone = app.ws(&alice).await;
    let p = next_presence(&mut bob_ws, &alice).await;
    assert_eq!(p.status, PresenceStatus::Online);
    // Alice hears about herself too (her other devices need it).
    next_presence(&mut phone, &alice).await;

    // A second device, then one of two going idle: still online, no event.
    let mut laptop = app.ws(&alice).await;
    assert_eq!(
        listed(&laptop, &alice),
        [],
        "ready.presence lists peers, not oneself"
    );
    set_status(&mut phone, PresenceStatus::Idle).await;
    // Every device idle: idle.
    set_status(&mut laptop, PresenceStatus::Idle).await;
    let p = next_presence(&mut bob_ws, &alice).await;
    assert_eq!(
        p.status,
        PresenceStatus::Idle,
        "an event before idle is a flap: {p:?}"
    );

    // A newcomer's ready snapshot shows the current status.
    let carol = app.register("carol").await;
    app.create_room(&alice, RoomKind::Group, "with carol", &[&carol])
        .await;
    let carol_ws = app.ws(&carol).await;
    assert_eq!(listed(&carol_ws, &alice), [PresenceStatus::Idle]);
    drop(carol_ws);

    // One device active again: online.
    set_status(&mut phone, PresenceStatus::Active).await;
    let p = next_presence(&mut bob_ws, &alice).await;
    assert_eq!(p.status, PresenceStatus::Online);

    // The active device closes; the one left is idle: idle.
    drop(phone);
    let p = next_presence(&mut bob_ws, &alice).await;
    assert_eq!(p.status, PresenceStatus::Idle);

    // The last device closes: nothing until the grace is over (carol's
    // timer from above is pending too), then offline with last_seen.
    laptop.stream.close(None).await.unwrap();
    drop(laptop);
    app.until_grace_timers(2).await;
    bob_ws.sync().await;
    assert_no_presence_of(&bob_ws, &alice, "offline before the grace ran out");
    app.end_presence_grace(2).await;
    let p = next_presence(&mut bob_ws, &alice).await;
    assert_eq!(p.status, PresenceStatus::Offline);
    assert!(p.last_seen.is_some(), "{p:?}");
    bob_ws.sync().await;
    assert_no_presence_of(&bob_ws, &alice, "extra presence events");
}

#[tokio::test]
async fn a_reload_within_the_grace_period_announces_no_offline() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let carol = app.register("carol").await;
    app.create_room(&alice, RoomKind::Group, "team", &[&bob, &carol])
        .await;
    let mut bob_ws = app.ws(&bob).await;
    let first = app.ws(&alice).await;
    let p = next_presence(&mut bob_ws, &alice).await;
    assert_eq!(p.status, PresenceStatus::Online);

    // A page reload: close; the server starts the grace timer; reconnect
    // halfway through the grace.
    drop(first);
    app.until_grace_timers(1).await;
    app.clock.advance(PRESENCE_GRACE / 2);
    let second = app.ws(&alice).await;
    // Carol comes and goes after the reload; moving the clock on by half a
    // grace ends the timer of alice's first close (which must find her
    // back), and by another half ends carol's: her offline comes after
    // whatever alice's timer did.
    let carol_ws = app.ws(&carol).await;
    let p = next_presence(&mut bob_ws, &carol).await;
    assert_eq!(p.status, PresenceStatus::Online);
    drop(carol_ws);
    app.until_grace_timers(2).await;
    app.clock.advance(PRESENCE_GRACE / 2);
    app.end_presence_grace(1).await;
    let p = next_presence(&mut bob_ws, &carol).await;
    assert_eq!(p.status, PresenceStatus::Offline);
    bob_ws.sync().await;
    assert_no_presence_of(&bob_ws, &alice, "the reload flapped");
    let (status, _) = app.state.services.presence.status(alice.id);
    assert_eq!(status, PresenceStatus::Online);

    // Closing for good: one offline, after the grace.
    drop(second);
    app.end_presence_grace(1).await;
    let p = next_presence(&mut bob_ws, &alice).await;
    assert_eq!(p.status, PresenceStatus::Offline);
    assert!(p.last_seen.is_some(), "{p:?}");
    bob_ws.sync().await;
    assert_no_presence_of(&bob_ws, &alice, "presence after the last offline");
}

/// Presence goes only through rooms of at most `presence_room_limit`
/// members: a peer from a DM hears of a connect, a member of a bigger room
/// does not (and does not find it in `ready`), but sees it in the member list.
#[tokio::test]
async fn presence_goes_through_small_rooms_only_and_big_rooms_list_it() {
    let app = spawn_app_with(|c| c.limits.presence_room_limit = 3).await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let carol = app.register("carol").await;
    let erin = app.register("erin").await;
    let dave = app.register("dave").await;
    // Four members: above the limit of 3.
    let big = app
        .create_room(&alice, RoomKind::Channel, "big", &[&bob, &carol, &erin])
        .await
        .id;
    app.create_room(&alice, RoomKind::Dm, "", &[&dave]).await;

    let mut bob_ws = app.ws(&bob).await;
    let mut dave_ws = app.ws(&dave).await;
    assert_eq!(bob_ws.ready().presence_room_limit, 3);

    let alice_ws = app.ws(&alice).await;
    // Alice's snapshot lists her DM peer, not the big room's members.
    assert_eq!(listed(&alice_ws, &dave), [PresenceStatus::Online]);
    assert_eq!(listed(&alice_ws, &bob), []);

    // The DM peer hears of it; the announcement is one delivery to every
    // recipient, so once dave has it, bob's would be queued too.
    let p = next_presence(&mut dave_ws, &alice).await;
    assert_eq!(p.status, PresenceStatus::Online);
    bob_ws.sync().await;
    assert_no_presence_of(&bob_ws, &alice, "a big room carried presence");
    // Nor is it in a newcomer's ready.
    let carol_ws = app.ws(&carol).await;
    assert_eq!(listed(&carol_ws, &alice), []);

    // The member list says who is here.
    let members = app.members(&bob, big).await;
    let presence_of = |user: &TestUser| {
        members
            .iter()
            .find(|m| m.user.id == user.id)
            .and_then(|m| m.presence)
    };
    assert_eq!(presence_of(&alice), Some(PresenceStatus::Online));
    assert_eq!(presence_of(&bob), Some(PresenceStatus::Online));
    assert_eq!(presence_of(&carol), Some(PresenceStatus::Online));
    assert_eq!(presence_of(&erin), Some(PresenceStatus::Offline));
    drop(carol_ws);
    drop(alice_ws);
}

#[tokio::test]
async fn people_search_shows_presence_also_without_a_shared_room() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    app.register("bobby").await;
    let _bob_ws = app.ws(&bob).await;
    let found: Vec<hearth_protocol::dto::UserSummary> =
        app.get_ok("/api/v1/users?q=bob", &alice.token).await;
    let status = |name: &str| {
        found
            .iter()
            .find(|u| u.username == name)
            .and_then(|u| u.presence)
    };
    assert_eq!(status("bob"), Some(PresenceStatus::Online));
    assert_eq!(status("bobby"), Some(PresenceStatus::Offline));
}
