//! Conformance cases for [`MessageStore`](crate::MessageStore): seqs, nonces,
//! edits, tombstones, reactions and paging.

use super::{last_seq, new_message, now, now_plus, room, send, user};
use crate::error::StoreError;
use crate::records::{Inserted, MAX_DISTINCT_REACTIONS, MessageRecord, ReactionRecord};
use crate::traits::Store;
use hearth_protocol::dto::RoomKind;
use hearth_protocol::{MessageId, RoomId, UploadId};
use std::collections::HashSet;
use std::sync::Arc;

fn seqs(messages: &[MessageRecord]) -> Vec<i64> {
    messages.iter().map(|m| m.seq).collect()
}

pub async fn message_seqs_are_gap_free_and_fields_round_trip(store: &dyn Store) {
    let alice = user(store, "alice").await;
    let bob = user(store, "bob").await;
    let general = room(store, RoomKind::Channel, "general", &[&alice, &bob]).await;
    let first = send(store, general.id, alice.id, "first").await;

    let mut new = new_message(general.id, bob.id, "a reply to @alice");
    new.nonce = Some("n-1".to_string());
    new.reply_to = Some(first.id);
    new.mentions = vec![alice.id];
    new.mentions_room = true;
    new.anonymous = true;
    new.attachments = vec![UploadId::new(), UploadId::new()];
    let inserted = store.insert_message(new.clone()).await.expect("insert");
    let Inserted::Created(message) = inserted else {
        panic!("expected Created, got {inserted:?}");
    };
    assert_eq!(
        message,
        MessageRecord {
            id: new.id,
            room_id: general.id,
            seq: 2,
            updated_seq: 2,
            sender_id: bob.id,
            body: new.body.clone(),
            nonce: new.nonce.clone(),
            reply_to: Some(first.id),
            mentions: vec![alice.id],
            mentions_room: true,
            anonymous: true,
            attachments: new.attachments.clone(),
            pinned: false,
            created_at: new.created_at,
            edited_at: None,
            deleted: false,
        }
    );
    assert_eq!(
        store
            .message_by_id(general.id, new.id)
            .await
            .expect("by id")
            .expect("found"),
        message
    );

    let mut all = vec![first, message];
    for i in 3..=10 {
        all.push(send(store, general.id, alice.id, &format!("message {i}")).await);
    }
    assert_eq!(seqs(&all), (1..=10).collect::<Vec<_>>());
    assert!(all.iter().all(|m| m.updated_seq == m.seq));
    assert_eq!(last_seq(store, general.id).await, 10);
    // A message is only found in its own room.
    let other = room(store, RoomKind::Group, "other", &[&alice]).await;
    assert!(matches!(
        store.message_by_id(other.id, all[0].id).await,
        Ok(None)
    ));
}

pub async fn a_repeated_nonce_returns_the_first_message(store: &dyn Store) {
    let alice = user(store, "alice").await;
    let bob = user(store, "bob").await;
    let general = room(store, RoomKind::Channel, "general", &[&alice, &bob]).await;
    let other = room(store, RoomKind::Channel, "other", &[&alice]).await;

    let mut first = new_message(general.id, alice.id, "hello");
    first.nonce = Some("nonce-1".to_string());
    let created = store.insert_message(first.clone()).await.expect("first");
    assert!(created.is_created());
    let created = created.into_inner();

    // A retry carries a fresh id (and maybe a different body): the first wins.
    let mut retry = new_message(general.id, alice.id, "hello again");
    retry.nonce = first.nonce.clone();
    let again = store.insert_message(retry).await.expect("retry");
    assert_eq!(again, Inserted::Existing(created.clone()));
    assert_eq!(last_seq(store, general.id).await, 1, "a retry takes no seq");
    assert_eq!(
        store
            .message_by_nonce(general.id, alice.id, "nonce-1")
            .await
            .expect("by nonce"),
        Some(created.clone())
    );
    assert_eq!(
        store
            .message_by_nonce(general.id, alice.id, "nonce-2")
            .await
            .expect("unknown nonce"),
        None
    );

    // The nonce is scoped to its sender and room.
    let mut bobs = new_message(general.id, bob.id, "bob's");
    bobs.nonce = first.nonce.clone();
    let bobs = store.insert_message(bobs).await.expect("bob");
    assert!(bobs.is_created());
    assert_eq!(bobs.into_inner().seq, 2);
    let mut elsewhere = new_message(other.id, alice.id, "elsewhere");
    elsewhere.nonce = first.nonce.clone();
    assert!(
        store
            .insert_message(elsewhere)
            .await
            .expect("other room")
            .is_created()
    );

    // Messages without a nonce are never deduplicated.
    for _ in 0..2 {
        let plain = store
            .insert_message(new_message(general.id, alice.id, "hello"))
            .await
            .expect("no nonce");
        assert!(plain.is_created());
    }
    assert_eq!(last_seq(store, general.id).await, 4);
}

pub async fn each_room_has_its_own_seqs(store: &dyn Store) {
    let alice = user(store, "alice").await;
    let one = room(store, RoomKind::Group, "one", &[&alice]).await;
    let two = room(store, RoomKind::Group, "two", &[&alice]).await;
    let mut in_one = Vec::new();
    let mut in_two = Vec::new();
    for i in 0..5 {
        in_one.push(send(store, one.id, alice.id, &format!("one {i}")).await);
        if i % 2 == 0 {
            in_two.push(send(store, two.id, alice.id, &format!("two {i}")).await);
        }
    }
    assert_eq!(seqs(&in_one), vec![1, 2, 3, 4, 5]);
    assert_eq!(seqs(&in_two), vec![1, 2, 3]);
    assert_eq!(last_seq(store, one.id).await, 5);
    assert_eq!(last_seq(store, two.id).await, 3);
}

pub async fn inserting_into_an_unknown_room_is_not_found(store: &dyn Store) {
    let alice = user(store, "alice").await;
    let mut new = new_message(RoomId::new(), alice.id, "into the void");
    new.nonce = Some("n".to_string());
    assert!(matches!(
        store.insert_message(new).await,
        Err(StoreError::NotFound("room"))
    ));
    let general = room(store, RoomKind::Channel, "general", &[&alice]).await;
    assert!(matches!(
        store.message_by_id(general.id, MessageId::new()).await,
        Ok(None)
    ));
}

/// Runs 8 senders × 25 messages at once: every seq from 1 to 200 is taken
/// exactly once.
pub async fn concurrent_inserts_get_gap_free_seqs(store: Arc<dyn Store>) {
    const SENDERS: usize = 8;
    const PER_SENDER: usize = 25;
    let mut senders = Vec::new();
    for i in 0..SENDERS {
        senders.push(user(&*store, &format!("sender{i}")).await);
    }
    let members: Vec<_> = senders.iter().collect();
    let general = room(&*store, RoomKind::Channel, "general", &members).await;

    let mut tasks = Vec::new();
    for sender in &senders {
        let store = Arc::clone(&store);
        let sender = sender.id;
        tasks.push(tokio::spawn(async move {
            let mut seqs = Vec::new();
            for i in 0..PER_SENDER {
                let mut new = new_message(general.id, sender, &format!("message {i}"));
                new.nonce = Some(format!("{sender}-{i}"));
                let message = store.insert_message(new).await.expect("insert");
                assert!(message.is_created());
                seqs.push(message.into_inner().seq);
            }
            seqs
        }));
    }
    let mut all = Vec::new();
    for task in tasks {
        let seqs = task.await.expect("sender task");
        assert!(
            seqs.windows(2).all(|w| w[0] < w[1]),
            "one sender's seqs rise"
        );
        all.extend(seqs);
    }
    all.sort_unstable();
    let total = (SENDERS * PER_SENDER) as i64;
    assert_eq!(all, (1..=total).collect::<Vec<_>>());
    assert_eq!(last_seq(&*store, general.id).await, total);
    let stored = store
        .messages_before(general.id, None, 500)
        .await
        .expect("all messages");
    assert_eq!(seqs(&stored), (1..=total).collect::<Vec<_>>());
}

/// Many retries of one send racing each other store one message.
pub async fn concurrent_duplicate_nonces_store_one_message(store: Arc<dyn Store>) {
    let alice = user(&*store, "alice").await;
    let general = room(&*store, RoomKind::Channel, "general", &[&alice]).await;
    let mut tasks = Vec::new();
    for _ in 0..20 {
        let store = Arc::clone(&store);
        let mut new = new_message(general.id, alice.id, "once");
        new.nonce = Some("the-nonce".to_string());
        tasks.push(tokio::spawn(async move {
            store.insert_message(new).await.expect("insert")
        }));
    }
    let mut created = 0;
    let mut ids = HashSet::new();
    for task in tasks {
        let inserted = task.await.expect("task");
        created += usize::from(inserted.is_created());
        ids.insert(inserted.into_inner().id);
    }
    assert_eq!(created, 1);
    assert_eq!(ids.len(), 1);
    assert_eq!(last_seq(&*store, general.id).await, 1);
}

/// A burst of concurrent sends where some must fail (unknown room, unknown
/// sender) and some repeat a nonce: the failures change nothing and take no
/// seq, every other message is stored once, and what an insert returns is
/// what is stored.
pub async fn failing_inserts_in_a_burst_fail_alone(store: Arc<dyn Store>) {
    let alice = user(&*store, "alice").await;
    let bob = user(&*store, "bob").await;
    let general = room(&*store, RoomKind::Channel, "general", &[&alice, &bob]).await;
    let ghost = hearth_protocol::UserId::new();
    let mut tasks = Vec::new();
    for i in 0..60 {
        let store = Arc::clone(&store);
        let (room_id, sender) = match i % 6 {
            0 => (RoomId::new(), alice.id),
            1 => (general.id, ghost),
            _ => (general.id, alice.id),
        };
        let mut new = new_message(room_id, sender, &format!("message {i} for @bob"));
        // Every third good message mentions bob; pairs of them share a nonce.
        if i % 3 == 2 {
            new.mentions = vec![bob.id];
        }
        new.nonce = Some(format!("nonce-{}", i / 2));
        tasks.push(tokio::spawn(
            async move { (i, store.insert_message(new).await) },
        ));
    }
    let mut created = Vec::new();
    let mut existing = 0;
    for task in tasks {
        let (i, outcome) = task.await.expect("task");
        match (i % 6, outcome) {
            (0, Err(StoreError::NotFound("room"))) | (1, Err(_)) => {}
            (0 | 1, other) => panic!("message {i} must fail, got {other:?}"),
            (_, Ok(Inserted::Created(m))) => created.push(m),
            (_, Ok(Inserted::Existing(_))) => existing += 1,
            (_, Err(e)) => panic!("message {i} failed: {e:?}"),
        }
    }
    // The 40 good messages are 20 pairs sharing a nonce: one of each stored.
    assert_eq!(created.len() + existing, 40);
    assert_eq!(existing, 20);
    let mut stored_seqs: Vec<i64> = created.iter().map(|m| m.seq).collect();
    stored_seqs.sort_unstable();
    assert_eq!(stored_seqs, (1..=20).collect::<Vec<_>>());
    assert_eq!(last_seq(&*store, general.id).await, 20);
    for m in &created {
        let stored = store
            .message_by_id(general.id, m.id)
            .await
            .expect("stored")
            .expect("found");
        assert_eq!(&stored, m, "the insert returned what is stored");
    }
    assert!(
        created.iter().any(|m| m.mentions == vec![bob.id]),
        "mentions were stored with their message"
    );
}

pub async fn editing_takes_a_new_seq_and_replaces_mentions(store: &dyn Store) {
    let alice = user(store, "alice").await;
    let bob = user(store, "bob").await;
    let carol = user(store, "carol").await;
    let general = room(store, RoomKind::Channel, "general", &[&alice, &bob, &carol]).await;
    let mut new = new_message(general.id, alice.id, "hi @bob");
    new.mentions = vec![bob.id];
    let original = store
        .insert_message(new)
        .await
        .expect("insert")
        .into_inner();
    send(store, general.id, bob.id, "hello").await;

    let edited_at = now_plus(5);
    let edited = store
        .edit_message(
            general.id,
            original.id,
            "hi @carol",
            &[carol.id],
            true,
            edited_at,
        )
        .await
        .expect("edit");
    assert_eq!(edited.seq, 1, "an edit keeps the message's place");
    assert_eq!(edited.updated_seq, 3);
    assert_eq!(last_seq(store, general.id).await, 3);
    assert_eq!(edited.body, "hi @carol");
    assert_eq!(edited.mentions, vec![carol.id]);
    assert!(edited.mentions_room);
    assert_eq!(edited.edited_at, Some(edited_at));
    assert_eq!(edited.created_at, original.created_at);
    assert_eq!(
        store
            .message_by_id(general.id, original.id)
            .await
            .expect("reread")
            .expect("found"),
        edited
    );
    // Bob is no longer mentioned; carol is (and by @room too, once).
    assert_eq!(
        store.unread_counts(general.id, bob.id).await.expect("bob"),
        (1, 1)
    );
    assert_eq!(
        store
            .unread_counts(general.id, carol.id)
            .await
            .expect("carol"),
        (2, 1)
    );

    assert!(matches!(
        store
            .edit_message(general.id, MessageId::new(), "x", &[], false, now())
            .await,
        Err(StoreError::NotFound("message"))
    ));
}

pub async fn deleting_leaves_a_tombstone_in_place(store: &dyn Store) {
    let alice = user(store, "alice").await;
    let bob = user(store, "bob").await;
    let general = room(store, RoomKind::Channel, "general", &[&alice, &bob]).await;
    let mut new = new_message(general.id, alice.id, "secret @bob");
    new.mentions = vec![bob.id];
    new.mentions_room = true;
    new.nonce = Some("n".to_string());
    new.attachments = vec![UploadId::new()];
    let original = store
        .insert_message(new)
        .await
        .expect("insert")
        .into_inner();
    store
        .add_reaction(general.id, original.id, bob.id, "👍")
        .await
        .expect("react");
    store
        .set_pinned(general.id, original.id, true)
        .await
        .expect("pin");
    let after = send(store, general.id, bob.id, "after").await;
    let before_delete = last_seq(store, general.id).await;

    let deleted = store
        .delete_message(general.id, original.id)
        .await
        .expect("delete");
    assert!(deleted.deleted);
    assert_eq!(deleted.seq, original.seq);
    assert_eq!(deleted.updated_seq, before_delete + 1);
    assert_eq!(deleted.body, "");
    assert_eq!(deleted.attachments, vec![]);
    assert_eq!(deleted.mentions, vec![]);
    assert!(!deleted.mentions_room);
    assert_eq!(deleted.sender_id, alice.id);
    assert_eq!(
        store
            .reactions_for(&[original.id])
            .await
            .expect("reactions"),
        vec![]
    );
    assert_eq!(
        store
            .message_by_id(general.id, original.id)
            .await
            .expect("reread")
            .expect("found"),
        deleted
    );
    let page = store
        .messages_before(general.id, None, 10)
        .await
        .expect("page");
    assert_eq!(
        page.iter().map(|m| m.id).collect::<Vec<_>>(),
        vec![original.id, after.id],
        "the tombstone keeps its place"
    );
    assert_eq!(
        store.unread_counts(general.id, bob.id).await.expect("bob"),
        (0, 0)
    );
    // The sender's retry of the same nonce still finds the (deleted) message.
    assert_eq!(
        store
            .message_by_nonce(general.id, alice.id, "n")
            .await
            .expect("by nonce")
            .map(|m| m.id),
        Some(original.id)
    );
    // Deleting again changes nothing.
    let again = store
        .delete_message(general.id, original.id)
        .await
        .expect("delete again");
    assert_eq!(again, deleted);
    assert_eq!(last_seq(store, general.id).await, before_delete + 1);
    assert!(matches!(
        store.delete_message(general.id, MessageId::new()).await,
        Err(StoreError::NotFound("message"))
    ));
}

pub async fn deleted_messages_cannot_be_edited_pinned_or_reacted_to(store: &dyn Store) {
    let alice = user(store, "alice").await;
    let general = room(store, RoomKind::Channel, "general", &[&alice]).await;
    let message = send(store, general.id, alice.id, "gone soon").await;
    store
        .delete_message(general.id, message.id)
        .await
        .expect("delete");
    let seq = last_seq(store, general.id).await;

    assert!(matches!(
        store
            .edit_message(general.id, message.id, "back", &[], false, now())
            .await,
        Err(StoreError::NotFound("message"))
    ));
    assert!(matches!(
        store.set_pinned(general.id, message.id, true).await,
        Err(StoreError::NotFound("message"))
    ));
    assert!(matches!(
        store
            .add_reaction(general.id, message.id, alice.id, "👍")
            .await,
        Err(StoreError::NotFound("message"))
    ));
    assert_eq!(
        store
            .remove_reaction(general.id, message.id, alice.id, "👍")
            .await
            .expect("remove from tombstone"),
        None
    );
    assert_eq!(last_seq(store, general.id).await, seq);
}

pub async fn pinning_takes_a_new_seq(store: &dyn Store) {
    let alice = user(store, "alice").await;
    let general = room(store, RoomKind::Channel, "general", &[&alice]).await;
    let message = send(store, general.id, alice.id, "important").await;

    let pinned = store
        .set_pinned(general.id, message.id, true)
        .await
        .expect("pin");
    assert!(pinned.pinned);
    assert_eq!((pinned.seq, pinned.updated_seq), (1, 2));
    let unpinned = store
        .set_pinned(general.id, message.id, false)
        .await
        .expect("unpin");
    assert!(!unpinned.pinned);
    assert_eq!(unpinned.updated_seq, 3);
    assert_eq!(
        store
            .message_by_id(general.id, message.id)
            .await
            .expect("reread")
            .expect("found"),
        unpinned
    );
}

pub async fn pinned_messages_list_newest_first_without_unpinned_or_deleted(store: &dyn Store) {
    let alice = user(store, "alice").await;
    let general = room(store, RoomKind::Channel, "general", &[&alice]).await;
    let random = room(store, RoomKind::Channel, "random", &[&alice]).await;
    let first = send(store, general.id, alice.id, "first").await;
    let second = send(store, general.id, alice.id, "second").await;
    let third = send(store, general.id, alice.id, "third").await;
    let unpinned = send(store, general.id, alice.id, "unpinned").await;
    let elsewhere = send(store, random.id, alice.id, "elsewhere").await;
    for m in [&first, &second, &third, &unpinned] {
        store.set_pinned(general.id, m.id, true).await.expect("pin");
    }
    store
        .set_pinned(random.id, elsewhere.id, true)
        .await
        .expect("pin");
    store
        .set_pinned(general.id, unpinned.id, false)
        .await
        .expect("unpin");
    store
        .delete_message(general.id, second.id)
        .await
        .expect("delete");

    let ids = |list: Vec<MessageRecord>| list.into_iter().map(|m| m.id).collect::<Vec<_>>();
    let pinned = store.pinned_messages(general.id, 10).await.expect("pins");
    assert_eq!(ids(pinned), vec![third.id, first.id]);
    let limited = store.pinned_messages(general.id, 1).await.expect("pins");
    assert_eq!(ids(limited), vec![third.id]);
}

pub async fn reactions_are_added_once_and_removed(store: &dyn Store) {
    let alice = user(store, "alice").await;
    let bob = user(store, "bob").await;
    let general = room(store, RoomKind::Channel, "general", &[&alice, &bob]).await;
    let first = send(store, general.id, alice.id, "first").await;
    let second = send(store, general.id, alice.id, "second").await;

    let reacted = store
        .add_reaction(general.id, first.id, bob.id, "👍")
        .await
        .expect("react")
        .expect("a new reaction");
    assert_eq!((reacted.seq, reacted.updated_seq), (1, 3));
    assert_eq!(
        store
            .add_reaction(general.id, first.id, bob.id, "👍")
            .await
            .expect("react twice"),
        None
    );
    assert_eq!(
        last_seq(store, general.id).await,
        3,
        "a repeat takes no seq"
    );

    for (message, user, emoji) in [
        (first.id, bob.id, "🎉"),
        (first.id, alice.id, "👍"),
        (second.id, alice.id, "❤️"),
    ] {
        store
            .add_reaction(general.id, message, user, emoji)
            .await
            .expect("react")
            .expect("a new reaction");
    }
    let reaction = |message_id, user_id, emoji: &str| ReactionRecord {
        message_id,
        user_id,
        emoji: emoji.to_string(),
    };
    let mut expected = [
        // By message, then by each emoji's first use: 👍 came before 🎉.
        vec![
            reaction(first.id, bob.id, "👍"),
            reaction(first.id, alice.id, "👍"),
            reaction(first.id, bob.id, "🎉"),
        ],
        vec![reaction(second.id, alice.id, "❤️")],
    ];
    // Messages may come in either order; within one, the order is fixed.
    expected.sort_by_key(|group| group[0].message_id);
    let found = store
        .reactions_for(&[second.id, first.id])
        .await
        .expect("reactions");
    assert_eq!(found, expected.concat());

    let removed = store
        .remove_reaction(general.id, first.id, bob.id, "👍")
        .await
        .expect("remove")
        .expect("was there");
    assert_eq!(removed.updated_seq, last_seq(store, general.id).await);
    assert_eq!(
        store
            .remove_reaction(general.id, first.id, bob.id, "👍")
            .await
            .expect("remove twice"),
        None
    );
    let remaining: Vec<String> = store
        .reactions_for(&[first.id])
        .await
        .expect("reactions")
        .into_iter()
        .map(|r| r.emoji)
        .collect();
    // 👍's first use is now alice's, which came after bob's 🎉.
    assert_eq!(remaining, vec!["🎉", "👍"]);
    assert!(matches!(
        store
            .add_reaction(general.id, MessageId::new(), bob.id, "👍")
            .await,
        Err(StoreError::NotFound("message"))
    ));
}

pub async fn distinct_reactions_are_limited(store: &dyn Store) {
    let alice = user(store, "alice").await;
    let bob = user(store, "bob").await;
    let general = room(store, RoomKind::Channel, "general", &[&alice, &bob]).await;
    let message = send(store, general.id, alice.id, "react to me").await;
    for i in 0..MAX_DISTINCT_REACTIONS {
        store
            .add_reaction(general.id, message.id, alice.id, &format!(":e{i}:"))
            .await
            .expect("within the limit");
    }
    let seq = last_seq(store, general.id).await;
    let err = store
        .add_reaction(general.id, message.id, bob.id, ":one-too-many:")
        .await
        .expect_err("past the limit");
    assert!(matches!(err, StoreError::Limit(_)), "{err:?}");
    assert_eq!(last_seq(store, general.id).await, seq);
    // Joining an emoji already there is still fine.
    assert!(
        store
            .add_reaction(general.id, message.id, bob.id, ":e0:")
            .await
            .expect("existing emoji")
            .is_some()
    );
}

pub async fn messages_before_pages_backwards_in_ascending_order(store: &dyn Store) {
    let alice = user(store, "alice").await;
    let general = room(store, RoomKind::Channel, "general", &[&alice]).await;
    let other = room(store, RoomKind::Channel, "other", &[&alice]).await;
    for i in 1..=10 {
        send(store, general.id, alice.id, &format!("m{i}")).await;
        send(store, other.id, alice.id, &format!("o{i}")).await;
    }
    let page = |before, limit| store.messages_before(general.id, before, limit);
    assert_eq!(seqs(&page(None, 3).await.expect("newest")), vec![8, 9, 10]);
    assert_eq!(seqs(&page(Some(8), 3).await.expect("older")), vec![5, 6, 7]);
    assert_eq!(seqs(&page(Some(3), 3).await.expect("oldest")), vec![1, 2]);
    assert_eq!(
        seqs(&page(Some(1), 3).await.expect("none")),
        Vec::<i64>::new()
    );
    let all = page(None, 100).await.expect("all");
    assert_eq!(seqs(&all), (1..=10).collect::<Vec<_>>());
    assert!(all.iter().all(|m| m.room_id == general.id));
    assert_eq!(
        store
            .messages_before(RoomId::new(), None, 10)
            .await
            .expect("unknown room"),
        vec![]
    );
}

pub async fn messages_changed_after_returns_edits_and_new_messages(store: &dyn Store) {
    let alice = user(store, "alice").await;
    let general = room(store, RoomKind::Channel, "general", &[&alice]).await;
    let mut sent = Vec::new();
    for i in 1..=5 {
        sent.push(send(store, general.id, alice.id, &format!("m{i}")).await);
    }
    // A client that has seen up to seq 5 then misses: an edit of 2 (seq 6),
    // a new message (7), a reaction on 4 (8).
    store
        .edit_message(general.id, sent[1].id, "m2 edited", &[], false, now())
        .await
        .expect("edit");
    let newest = send(store, general.id, alice.id, "m7").await;
    store
        .add_reaction(general.id, sent[3].id, alice.id, "👀")
        .await
        .expect("react");

    let changed = store
        .messages_changed_after(general.id, 5, 100)
        .await
        .expect("changes");
    assert_eq!(
        changed
            .iter()
            .map(|m| (m.seq, m.updated_seq))
            .collect::<Vec<_>>(),
        vec![(2, 6), (4, 8), (7, 7)],
        "ascending seq"
    );
    assert_eq!(changed[0].body, "m2 edited");
    assert_eq!(changed[2].id, newest.id);

    // The cut takes the lowest updated_seqs first: 6 and 7, not 8.
    let first_page = store
        .messages_changed_after(general.id, 5, 2)
        .await
        .expect("first page");
    assert_eq!(
        first_page
            .iter()
            .map(|m| (m.seq, m.updated_seq))
            .collect::<Vec<_>>(),
        vec![(2, 6), (7, 7)]
    );
    let resume = first_page.iter().map(|m| m.updated_seq).max().unwrap_or(5);
    let second_page = store
        .messages_changed_after(general.id, resume, 2)
        .await
        .expect("second page");
    assert_eq!(seqs(&second_page), vec![4]);

    // From the start: everything, each message once, in seq order.
    let everything = store
        .messages_changed_after(general.id, 0, 100)
        .await
        .expect("everything");
    assert_eq!(seqs(&everything), vec![1, 2, 3, 4, 5, 7]);
    assert_eq!(
        store
            .messages_changed_after(general.id, 8, 100)
            .await
            .expect("nothing new"),
        vec![]
    );
}
