//! Conformance cases for [`NotificationStore`](crate::NotificationStore):
//! levels, do-not-disturb, push subscriptions and digest bookkeeping.

use super::{new_message, new_user, now, now_plus, room, send, user};
use crate::error::StoreError;
use crate::records::{MessageRecord, NewSession, PushSubscriptionRecord, default_notify_level};
use crate::traits::Store;
use hearth_protocol::dto::RoomKind;
use hearth_protocol::notifications::NotifyLevel;
use hearth_protocol::{MessageId, SessionId, UserId};
use std::collections::HashSet;

pub async fn notify_levels_are_set_listed_and_reset(store: &dyn Store) {
    let alice = user(store, "alice").await;
    let bob = user(store, "bob").await;
    let carol = user(store, "carol").await;
    let dave = user(store, "dave").await;
    let general = room(store, RoomKind::Channel, "general", &[&alice, &bob, &carol]).await;

    let member = store
        .member(general.id, bob.id)
        .await
        .expect("member")
        .expect("bob is a member");
    assert_eq!(member.notify_level, None);
    assert_eq!(
        default_notify_level(RoomKind::Channel),
        NotifyLevel::Mentions
    );
    assert_eq!(default_notify_level(RoomKind::Dm), NotifyLevel::All);

    let updated = store
        .set_notify_level(general.id, bob.id, Some(NotifyLevel::All))
        .await
        .expect("set level");
    assert_eq!(updated.notify_level, Some(NotifyLevel::All));
    assert_eq!(updated.role, member.role);
    store
        .set_notify_level(general.id, carol.id, Some(NotifyLevel::None))
        .await
        .expect("set level");
    assert_eq!(
        store
            .member(general.id, carol.id)
            .await
            .expect("member")
            .map(|m| m.notify_level),
        Some(Some(NotifyLevel::None))
    );
    assert_eq!(
        store
            .members_with_notify_level(general.id, NotifyLevel::All)
            .await
            .expect("list"),
        vec![bob.id]
    );
    assert_eq!(
        store
            .members_with_notify_level(general.id, NotifyLevel::None)
            .await
            .expect("list"),
        vec![carol.id]
    );
    // The room list and member list carry the level too.
    let listed = store.rooms_for_user(bob.id).await.expect("rooms");
    assert_eq!(listed[0].member.notify_level, Some(NotifyLevel::All));

    let reset = store
        .set_notify_level(general.id, bob.id, None)
        .await
        .expect("reset");
    assert_eq!(reset.notify_level, None);
    assert!(
        store
            .members_with_notify_level(general.id, NotifyLevel::All)
            .await
            .expect("list")
            .is_empty()
    );

    // Only members: not strangers, not the banned.
    assert!(matches!(
        store
            .set_notify_level(general.id, dave.id, Some(NotifyLevel::All))
            .await,
        Err(StoreError::NotFound("member"))
    ));
    store
        .set_notify_level(general.id, alice.id, Some(NotifyLevel::All))
        .await
        .expect("set level");
    store
        .ban_member(general.id, alice.id, now())
        .await
        .expect("ban");
    assert!(
        store
            .members_with_notify_level(general.id, NotifyLevel::All)
            .await
            .expect("list")
            .is_empty()
    );
    assert!(matches!(
        store
            .set_notify_level(general.id, alice.id, Some(NotifyLevel::Mentions))
            .await,
        Err(StoreError::NotFound("member"))
    ));
}

pub async fn do_not_disturb_is_set_and_cleared(store: &dyn Store) {
    let alice = user(store, "alice").await;
    assert_eq!(alice.dnd_until, None);
    let until = now_plus(3600);
    let on = store
        .set_dnd_until(alice.id, Some(until))
        .await
        .expect("dnd on");
    assert_eq!(on.dnd_until, Some(until));
    assert_eq!(
        store
            .user_by_id(alice.id)
            .await
            .expect("user")
            .expect("found")
            .dnd_until,
        Some(until)
    );
    let off = store.set_dnd_until(alice.id, None).await.expect("dnd off");
    assert_eq!(off.dnd_until, None);
    assert!(matches!(
        store.set_dnd_until(UserId::new(), None).await,
        Err(StoreError::NotFound("user"))
    ));
}

/// A login session of `user`, live for an hour.
async fn login(store: &dyn Store, user: UserId) -> SessionId {
    let id = SessionId::new();
    store
        .create_session(NewSession {
            id,
            user_id: user,
            refresh_hash: format!("refresh-{id}"),
            user_agent: "test-agent".to_string(),
            ip: "127.0.0.1".to_string(),
            created_at: now(),
            expires_at: now_plus(3600),
        })
        .await
        .expect("create session");
    id
}

fn subscription(user: UserId, session: SessionId, endpoint: &str) -> PushSubscriptionRecord {
    PushSubscriptionRecord {
        id: uuid::Uuid::now_v7(),
        user_id: user,
        session_id: Some(session),
        endpoint: endpoint.to_string(),
        p256dh: "BPublicKey".to_string(),
        auth: "secret".to_string(),
        created_at: now(),
    }
}

pub async fn push_subscriptions_are_kept_per_endpoint(store: &dyn Store) {
    let alice = user(store, "alice").await;
    let bob = user(store, "bob").await;
    let (alices, bobs_login) = (login(store, alice.id).await, login(store, bob.id).await);
    let phone = subscription(alice.id, alices, "https://push.example/phone");
    let laptop = subscription(alice.id, alices, "https://push.example/laptop");
    for s in [&phone, &laptop] {
        store.upsert_push_subscription(s).await.expect("subscribe");
    }
    assert_eq!(
        store
            .push_subscriptions(alice.id, now())
            .await
            .expect("list"),
        vec![phone.clone(), laptop.clone()]
    );

    // The same browser subscribes again, now signed in as bob, new keys.
    let again = PushSubscriptionRecord {
        p256dh: "BOtherKey".to_string(),
        auth: "other".to_string(),
        ..subscription(bob.id, bobs_login, &laptop.endpoint)
    };
    store
        .upsert_push_subscription(&again)
        .await
        .expect("resubscribe");
    assert_eq!(
        store
            .push_subscriptions(alice.id, now())
            .await
            .expect("list"),
        vec![phone.clone()]
    );
    let bobs = store.push_subscriptions(bob.id, now()).await.expect("list");
    assert_eq!(bobs.len(), 1);
    assert_eq!(bobs[0].id, laptop.id, "the endpoint keeps its id");
    assert_eq!(
        bobs[0].session_id,
        Some(bobs_login),
        "and moves to the new session"
    );
    assert_eq!(
        (bobs[0].p256dh.as_str(), bobs[0].auth.as_str()),
        ("BOtherKey", "other")
    );

    // Only one's own, unless the caller is the push service's verdict.
    assert!(
        !store
            .delete_push_subscription(&phone.endpoint, Some(bob.id))
            .await
            .expect("delete")
    );
    assert!(
        store
            .delete_push_subscription(&phone.endpoint, Some(alice.id))
            .await
            .expect("delete")
    );
    assert!(
        store
            .delete_push_subscription(&laptop.endpoint, None)
            .await
            .expect("delete")
    );
    assert!(
        !store
            .delete_push_subscription(&laptop.endpoint, None)
            .await
            .expect("delete")
    );
    assert!(
        store
            .push_subscriptions(alice.id, now())
            .await
            .expect("list")
            .is_empty()
    );
    assert!(
        store
            .push_subscriptions(bob.id, now())
            .await
            .expect("list")
            .is_empty()
    );
}

pub async fn push_subscriptions_end_with_their_session(store: &dyn Store) {
    let alice = user(store, "alice").await;
    let (phone_login, laptop_login, tablet_login) = (
        login(store, alice.id).await,
        login(store, alice.id).await,
        login(store, alice.id).await,
    );
    let phone = subscription(alice.id, phone_login, "https://push.example/phone");
    let laptop = subscription(alice.id, laptop_login, "https://push.example/laptop");
    let tablet = subscription(alice.id, tablet_login, "https://push.example/tablet");
    for s in [&phone, &laptop, &tablet] {
        store.upsert_push_subscription(s).await.expect("subscribe");
    }
    let endpoints = |subs: Vec<PushSubscriptionRecord>| -> Vec<String> {
        subs.into_iter().map(|s| s.endpoint).collect()
    };
    // Signing out on the phone ends its subscription.
    store.revoke_session(phone_login).await.expect("sign out");
    assert_eq!(
        endpoints(
            store
                .push_subscriptions(alice.id, now())
                .await
                .expect("list")
        ),
        vec![laptop.endpoint.clone(), tablet.endpoint.clone()]
    );
    assert!(
        !store
            .delete_push_subscription(&phone.endpoint, None)
            .await
            .expect("delete"),
        "already deleted with its session"
    );
    // A session past its expiry is not pushed to, revoked or not.
    assert_eq!(
        endpoints(
            store
                .push_subscriptions(alice.id, now_plus(7200))
                .await
                .expect("list")
        ),
        Vec::<String>::new()
    );
    // Signing out everywhere else leaves only the current device's.
    store
        .revoke_user_sessions(alice.id, Some(tablet_login))
        .await
        .expect("sign out others");
    assert_eq!(
        endpoints(
            store
                .push_subscriptions(alice.id, now())
                .await
                .expect("list")
        ),
        vec![tablet.endpoint.clone()]
    );
}

pub async fn digest_recipients_have_an_email_and_no_do_not_disturb(store: &dyn Store) {
    let alice = user(store, "alice").await;
    let bob = user(store, "bob").await;
    let carol = user(store, "carol").await;
    let nomail = store
        .create_user(new_user("nomail", None))
        .await
        .expect("create user");
    store
        .set_dnd_until(bob.id, Some(now_plus(3600)))
        .await
        .expect("dnd");
    store
        .set_dnd_until(carol.id, Some(now_plus(-10)))
        .await
        .expect("dnd over");

    let recipients = store.digest_recipients(now()).await.expect("recipients");
    let names: HashSet<&str> = recipients
        .iter()
        .map(|r| r.user.username.as_str())
        .collect();
    assert_eq!(names, HashSet::from(["alice", "carol"]));
    assert!(!names.contains(nomail.username.as_str()));
    let alices = recipients
        .iter()
        .find(|r| r.user.id == alice.id)
        .expect("alice");
    assert_eq!(
        alices.since, alice.created_at,
        "a new account starts at its creation"
    );

    let at = now_plus(5);
    store
        .set_digest_watermark(alice.id, at)
        .await
        .expect("watermark");
    let recipients = store.digest_recipients(now()).await.expect("recipients");
    let alices = recipients
        .iter()
        .find(|r| r.user.id == alice.id)
        .expect("alice");
    assert_eq!(alices.since, at);
}

fn message_ids(messages: &[MessageRecord]) -> Vec<MessageId> {
    messages.iter().map(|m| m.id).collect()
}

pub async fn digest_messages_are_unread_mentions_and_dms(store: &dyn Store) {
    let alice = user(store, "alice").await;
    let bob = user(store, "bob").await;
    let channel = room(store, RoomKind::Channel, "general", &[&alice, &bob]).await;
    let quiet = room(store, RoomKind::Group, "quiet", &[&alice, &bob]).await;
    let dm = room(store, RoomKind::Dm, "", &[&alice, &bob]).await;
    let since = now_plus(-60);

    send(store, channel.id, alice.id, "plain message, no mention").await;
    let mut mention = new_message(channel.id, alice.id, "@bob look");
    mention.mentions = vec![bob.id];
    let mention = store
        .insert_message(mention)
        .await
        .expect("send")
        .into_inner();
    let mut everyone = new_message(channel.id, alice.id, "@room hello");
    everyone.mentions_room = true;
    let everyone = store
        .insert_message(everyone)
        .await
        .expect("send")
        .into_inner();
    let direct = send(store, dm.id, alice.id, "just for you").await;
    let mut own = new_message(channel.id, bob.id, "@bob talking to myself");
    own.mentions = vec![bob.id];
    store.insert_message(own).await.expect("send");
    let mut deleted = new_message(channel.id, alice.id, "@bob never mind");
    deleted.mentions = vec![bob.id];
    let deleted = store
        .insert_message(deleted)
        .await
        .expect("send")
        .into_inner();
    store
        .delete_message(channel.id, deleted.id)
        .await
        .expect("delete");
    let mut muted = new_message(quiet.id, alice.id, "@bob in a muted room");
    muted.mentions = vec![bob.id];
    store.insert_message(muted).await.expect("send");
    store
        .set_notify_level(quiet.id, bob.id, Some(NotifyLevel::None))
        .await
        .expect("mute notifications");
    let until = now_plus(60);

    let digest = store
        .digest_messages(bob.id, since, until, 50)
        .await
        .expect("digest");
    assert_eq!(
        message_ids(&digest),
        vec![mention.id, everyone.id, direct.id]
    );
    // The limit keeps the oldest.
    let first = store
        .digest_messages(bob.id, since, until, 2)
        .await
        .expect("digest");
    assert_eq!(message_ids(&first), vec![mention.id, everyone.id]);
    // The window is (since, until].
    assert!(
        store
            .digest_messages(bob.id, since, now_plus(-30), 50)
            .await
            .expect("digest")
            .is_empty()
    );
    assert!(
        store
            .digest_messages(bob.id, direct.created_at, until, 50)
            .await
            .expect("digest")
            .iter()
            .all(|m| m.created_at > direct.created_at)
    );
    // Read is read.
    store
        .set_read_seq(channel.id, bob.id, i64::MAX)
        .await
        .expect("read");
    assert_eq!(
        message_ids(
            &store
                .digest_messages(bob.id, since, until, 50)
                .await
                .expect("digest")
        ),
        vec![direct.id]
    );
    // A DM whose level is none is not mailed either.
    store
        .set_notify_level(dm.id, bob.id, Some(NotifyLevel::None))
        .await
        .expect("mute dm");
    assert!(
        store
            .digest_messages(bob.id, since, until, 50)
            .await
            .expect("digest")
            .is_empty()
    );
    // Alice sent them all: nothing for her.
    assert!(
        store
            .digest_messages(alice.id, since, until, 50)
            .await
            .expect("digest")
            .is_empty()
    );
}

pub async fn a_digest_window_is_claimed_once(store: &dyn Store) {
    let alice = user(store, "alice").await;
    let since = store
        .digest_recipients(now())
        .await
        .expect("recipients")
        .into_iter()
        .find(|r| r.user.id == alice.id)
        .expect("alice")
        .since;
    let at = now_plus(60);
    assert!(
        store
            .claim_digest(alice.id, since, at)
            .await
            .expect("claim")
    );
    // A second node read the same `since`: too late.
    assert!(
        !store
            .claim_digest(alice.id, since, now_plus(90))
            .await
            .expect("claim")
    );
    let recipients = store.digest_recipients(now()).await.expect("recipients");
    let alices = recipients
        .iter()
        .find(|r| r.user.id == alice.id)
        .expect("alice");
    assert_eq!(alices.since, at);
    // The next window starts where the claim left it.
    assert!(
        store
            .claim_digest(alice.id, at, now_plus(120))
            .await
            .expect("claim")
    );
}
