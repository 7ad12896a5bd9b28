//! Conformance cases for [`RoomStore`](crate::RoomStore): rooms, members,
//! markers and unread counts.

use super::{new_message, new_room, now, now_plus, room, send, user};
use crate::error::StoreError;
use crate::records::{Inserted, ProfilePatch, RoomListEntry, RoomPatch};
use crate::traits::Store;
use hearth_protocol::dto::{Role, RoomKind};
use hearth_protocol::notifications::NotifyLevel;
use hearth_protocol::{RoomId, UploadId, UserId};

pub async fn rooms_are_created_with_their_members(store: &dyn Store) {
    let alice = user(store, "alice").await;
    let bob = user(store, "bob").await;
    let mut new = new_room(RoomKind::Group, "plans", alice.id);
    new.topic = "what next".to_string();
    new.description = "long form".to_string();
    new.anonymous_allowed = true;
    let created = store
        .create_room(
            new.clone(),
            &[(alice.id, Role::Owner), (bob.id, Role::Member)],
        )
        .await
        .expect("create");
    assert_eq!(created.id, new.id);
    assert_eq!(created.kind, RoomKind::Group);
    assert_eq!(
        (
            created.name.as_str(),
            created.topic.as_str(),
            created.description.as_str()
        ),
        ("plans", "what next", "long form")
    );
    assert!(created.anonymous_allowed);
    assert!(!created.archived);
    assert_eq!(created.avatar, None);
    assert_eq!(created.created_by, alice.id);
    assert_eq!(created.created_at, new.created_at);
    assert_eq!(created.last_seq, 0);
    assert_eq!(created.member_count, 2);
    assert_eq!(
        store
            .room_by_id(created.id)
            .await
            .expect("by id")
            .expect("found"),
        created
    );

    let members = store.members(created.id).await.expect("members");
    let roles: Vec<(UserId, Role)> = members.iter().map(|m| (m.user_id, m.role)).collect();
    assert_eq!(roles.len(), 2);
    assert!(roles.contains(&(alice.id, Role::Owner)));
    assert!(roles.contains(&(bob.id, Role::Member)));
    for member in &members {
        assert_eq!(member.room_id, created.id);
        assert_eq!((member.read_seq, member.delivered_seq), (0, 0));
        assert!(!member.muted && !member.banned);
        assert_eq!(member.joined_at, new.created_at);
    }
    assert!(matches!(store.room_by_id(RoomId::new()).await, Ok(None)));
}

pub async fn a_dm_key_names_one_room(store: &dyn Store) {
    let alice = user(store, "alice").await;
    let bob = user(store, "bob").await;
    let key = format!("{}:{}", alice.id.min(bob.id), alice.id.max(bob.id));
    let members = [(alice.id, Role::Member), (bob.id, Role::Member)];
    let mut new = new_room(RoomKind::Dm, "", alice.id);
    new.dm_key = Some(key.clone());
    let dm = store.create_room(new, &members).await.expect("dm");

    let mut again = new_room(RoomKind::Dm, "", bob.id);
    again.dm_key = Some(key.clone());
    let err = store
        .create_room(again.clone(), &members)
        .await
        .expect_err("second dm");
    assert!(matches!(err, StoreError::Conflict("dm")), "{err:?}");
    // The failed creation left nothing behind.
    assert!(matches!(store.room_by_id(again.id).await, Ok(None)));
    assert_eq!(store.memberships_of(bob.id).await.expect("bob's").len(), 1);

    assert_eq!(store.room_by_dm_key(&key).await.expect("by key"), Some(dm));
    assert_eq!(
        store.room_by_dm_key("a:b").await.expect("unknown key"),
        None
    );
}

pub async fn channel_names_are_unique_ignoring_case(store: &dyn Store) {
    let alice = user(store, "alice").await;
    let general = room(store, RoomKind::Channel, "general", &[&alice]).await;
    let members = [(alice.id, Role::Owner)];

    let again = new_room(RoomKind::Channel, "General", alice.id);
    let err = store
        .create_room(again.clone(), &members)
        .await
        .expect_err("a second #general");
    assert!(
        matches!(err, StoreError::Conflict("channel name")),
        "{err:?}"
    );
    assert!(matches!(store.room_by_id(again.id).await, Ok(None)));

    // Groups (and DMs) are not channels: their names may repeat.
    room(store, RoomKind::Group, "general", &[&alice]).await;
    room(store, RoomKind::Group, "general", &[&alice]).await;

    // Renaming onto a taken name conflicts too; renaming to itself does not.
    let random = room(store, RoomKind::Channel, "random", &[&alice]).await;
    let err = store
        .update_room(
            random.id,
            RoomPatch {
                name: Some("GENERAL".to_string()),
                ..RoomPatch::default()
            },
        )
        .await
        .expect_err("renamed onto #general");
    assert!(
        matches!(err, StoreError::Conflict("channel name")),
        "{err:?}"
    );
    let renamed = store
        .update_room(
            general.id,
            RoomPatch {
                name: Some("General".to_string()),
                ..RoomPatch::default()
            },
        )
        .await
        .expect("a new case of its own name");
    assert_eq!(renamed.name, "General");
}

pub async fn room_patches_change_only_given_fields(store: &dyn Store) {
    let alice = user(store, "alice").await;
    let created = room(store, RoomKind::Channel, "general", &[&alice]).await;
    let avatar = UploadId::new();

    let patched = store
        .update_room(
            created.id,
            RoomPatch {
                topic: Some("news".to_string()),
                avatar: Some(Some(avatar)),
                ..RoomPatch::default()
            },
        )
        .await
        .expect("patch");
    assert_eq!(patched.topic, "news");
    assert_eq!(patched.avatar, Some(avatar));
    assert_eq!(patched.name, "general");
    assert_eq!(patched.description, created.description);

    let patched = store
        .update_room(
            created.id,
            RoomPatch {
                name: Some("lobby".to_string()),
                description: Some("everyone".to_string()),
                anonymous_allowed: Some(true),
                archived: Some(true),
                ..RoomPatch::default()
            },
        )
        .await
        .expect("patch again");
    assert_eq!(
        (
            patched.name.as_str(),
            patched.topic.as_str(),
            patched.description.as_str()
        ),
        ("lobby", "news", "everyone")
    );
    assert!(patched.anonymous_allowed && patched.archived);
    assert_eq!(patched.avatar, Some(avatar));

    let patched = store
        .update_room(
            created.id,
            RoomPatch {
                avatar: Some(None),
                ..RoomPatch::default()
            },
        )
        .await
        .expect("clear avatar");
    assert_eq!(patched.avatar, None);
    assert_eq!(
        store
            .room_by_id(created.id)
            .await
            .expect("reread")
            .expect("found"),
        patched
    );
    assert!(matches!(
        store.update_room(RoomId::new(), RoomPatch::default()).await,
        Err(StoreError::NotFound("room"))
    ));
}

pub async fn channel_search_skips_groups_and_archived_rooms(store: &dyn Store) {
    let alice = user(store, "alice").await;
    let bob = user(store, "bob").await;
    let carol = user(store, "carol").await;
    let general = room(store, RoomKind::Channel, "General", &[&alice, &bob, &carol]).await;
    let random = room(store, RoomKind::Channel, "random", &[&alice]).await;
    let generation = room(store, RoomKind::Channel, "generation", &[&alice, &bob]).await;
    let archived = room(store, RoomKind::Channel, "general-old", &[&alice]).await;
    store
        .update_room(
            archived.id,
            RoomPatch {
                archived: Some(true),
                ..RoomPatch::default()
            },
        )
        .await
        .expect("archive");
    room(store, RoomKind::Group, "general-group", &[&alice]).await;

    let ids = |rooms: Vec<crate::RoomRecord>| -> Vec<RoomId> {
        rooms.into_iter().map(|r| r.id).collect()
    };
    let found = store.search_channels("GEN", 10).await.expect("search");
    assert_eq!(
        ids(found),
        vec![general.id, generation.id],
        "by member count"
    );
    let found = store.search_channels("", 10).await.expect("all");
    assert_eq!(ids(found), vec![general.id, generation.id, random.id]);
    let found = store.search_channels("", 1).await.expect("limit");
    assert_eq!(ids(found), vec![general.id]);
    let found = store.search_channels("%", 10).await.expect("literal");
    assert_eq!(ids(found), vec![]);
}

pub async fn adding_a_member_twice_returns_the_existing_membership(store: &dyn Store) {
    let alice = user(store, "alice").await;
    let bob = user(store, "bob").await;
    let general = room(store, RoomKind::Channel, "general", &[&alice]).await;
    let joined_at = now();

    let added = store
        .add_member(general.id, bob.id, Role::Moderator, joined_at)
        .await
        .expect("add");
    let Inserted::Created(member) = added else {
        panic!("expected Created, got {added:?}");
    };
    assert_eq!((member.room_id, member.user_id), (general.id, bob.id));
    assert_eq!(member.role, Role::Moderator);
    assert_eq!(member.joined_at, joined_at);
    assert!(!member.banned && !member.muted);

    let again = store
        .add_member(general.id, bob.id, Role::Member, now())
        .await
        .expect("add again");
    assert_eq!(again, Inserted::Existing(member.clone()));
    assert_eq!(
        store
            .room_by_id(general.id)
            .await
            .expect("room")
            .expect("found")
            .member_count,
        2
    );
    assert_eq!(
        store.member(general.id, bob.id).await.expect("member"),
        Some(member)
    );

    assert!(matches!(
        store
            .add_member(RoomId::new(), bob.id, Role::Member, now())
            .await,
        Err(StoreError::NotFound("room"))
    ));
}

pub async fn new_members_do_not_inherit_unread_history(store: &dyn Store) {
    let alice = user(store, "alice").await;
    let bob = user(store, "bob").await;
    let general = room(store, RoomKind::Channel, "general", &[&alice]).await;
    send(store, general.id, alice.id, "before bob").await;
    send(store, general.id, alice.id, "also before bob").await;

    let member = store
        .add_member(general.id, bob.id, Role::Member, now())
        .await
        .expect("add")
        .into_inner();
    assert_eq!((member.read_seq, member.delivered_seq), (2, 2));
    assert_eq!(
        store
            .unread_counts(general.id, bob.id)
            .await
            .expect("counts"),
        (0, 0)
    );
    send(store, general.id, alice.id, "after bob").await;
    assert_eq!(
        store
            .unread_counts(general.id, bob.id)
            .await
            .expect("counts"),
        (1, 0)
    );
}

pub async fn removing_a_member_deletes_the_row(store: &dyn Store) {
    let alice = user(store, "alice").await;
    let bob = user(store, "bob").await;
    let general = room(store, RoomKind::Channel, "general", &[&alice, &bob]).await;

    store
        .remove_member(general.id, bob.id)
        .await
        .expect("remove");
    assert_eq!(
        store.member(general.id, bob.id).await.expect("member"),
        None
    );
    assert_eq!(
        store
            .room_by_id(general.id)
            .await
            .expect("room")
            .expect("found")
            .member_count,
        1
    );
    assert_eq!(store.memberships_of(bob.id).await.expect("bob's"), vec![]);
    assert!(matches!(
        store.remove_member(general.id, bob.id).await,
        Err(StoreError::NotFound("member"))
    ));
}

pub async fn banned_users_are_not_members_but_keep_their_row(store: &dyn Store) {
    let alice = user(store, "alice").await;
    let bob = user(store, "bob").await;
    let carol = user(store, "carol").await;
    let general = room(store, RoomKind::Channel, "general", &[&alice, &bob]).await;

    store
        .ban_member(general.id, bob.id, now())
        .await
        .expect("ban member");
    let row = store
        .member(general.id, bob.id)
        .await
        .expect("member")
        .expect("banned row kept");
    assert!(row.banned);
    let members: Vec<UserId> = store
        .members(general.id)
        .await
        .expect("members")
        .into_iter()
        .map(|m| m.user_id)
        .collect();
    assert_eq!(members, vec![alice.id]);
    assert_eq!(store.memberships_of(bob.id).await.expect("bob's"), vec![]);
    assert!(
        store
            .rooms_for_user(bob.id)
            .await
            .expect("bob's rooms")
            .is_empty()
    );
    assert_eq!(
        store
            .room_by_id(general.id)
            .await
            .expect("room")
            .expect("found")
            .member_count,
        1
    );

    // Banning someone who never joined records the ban.
    store
        .ban_member(general.id, carol.id, now())
        .await
        .expect("ban outsider");
    assert!(
        store
            .member(general.id, carol.id)
            .await
            .expect("member")
            .is_some_and(|m| m.banned)
    );
    assert_eq!(
        store
            .room_by_id(general.id)
            .await
            .expect("room")
            .expect("found")
            .member_count,
        1
    );

    // Adding replaces a banned row (whether that is allowed is the service's call).
    let readded = store
        .add_member(general.id, bob.id, Role::Member, now())
        .await
        .expect("re-add");
    assert!(readded.is_created(), "{readded:?}");
    assert!(!readded.into_inner().banned);
    assert_eq!(
        store
            .room_by_id(general.id)
            .await
            .expect("room")
            .expect("found")
            .member_count,
        2
    );

    // Removing lifts a ban.
    store
        .remove_member(general.id, carol.id)
        .await
        .expect("unban");
    assert_eq!(
        store.member(general.id, carol.id).await.expect("member"),
        None
    );
    assert!(matches!(
        store.ban_member(RoomId::new(), bob.id, now()).await,
        Err(StoreError::NotFound("room"))
    ));
}

pub async fn member_role_and_mute_are_updated(store: &dyn Store) {
    let alice = user(store, "alice").await;
    let bob = user(store, "bob").await;
    let general = room(store, RoomKind::Channel, "general", &[&alice, &bob]).await;

    let member = store
        .update_member(general.id, bob.id, Some(Role::Admin), None)
        .await
        .expect("role");
    assert_eq!((member.role, member.muted), (Role::Admin, false));
    let member = store
        .update_member(general.id, bob.id, None, Some(true))
        .await
        .expect("mute");
    assert_eq!((member.role, member.muted), (Role::Admin, true));
    assert_eq!(
        store.member(general.id, bob.id).await.expect("member"),
        Some(member)
    );
    assert!(matches!(
        store
            .update_member(general.id, UserId::new(), Some(Role::Member), None)
            .await,
        Err(StoreError::NotFound("member"))
    ));
}

pub async fn read_and_delivered_markers_only_rise_and_clamp_to_last_seq(store: &dyn Store) {
    let alice = user(store, "alice").await;
    let bob = user(store, "bob").await;
    let general = room(store, RoomKind::Channel, "general", &[&alice, &bob]).await;
    for body in ["one", "two", "three"] {
        send(store, general.id, alice.id, body).await;
    }

    let read = |seq| store.set_read_seq(general.id, bob.id, seq);
    assert_eq!(read(2).await.expect("read 2"), 2);
    assert_eq!(read(1).await.expect("read 1"), 2, "never lowered");
    assert_eq!(read(99).await.expect("read 99"), 3, "clamped to last_seq");

    let delivered = |seq| store.set_delivered_seq(general.id, bob.id, seq);
    assert_eq!(delivered(1).await.expect("delivered 1"), 1);
    assert_eq!(delivered(0).await.expect("delivered 0"), 1);
    assert_eq!(delivered(50).await.expect("delivered 50"), 3);

    let member = store
        .member(general.id, bob.id)
        .await
        .expect("member")
        .expect("bob is a member");
    assert_eq!((member.read_seq, member.delivered_seq), (3, 3));
    let outsider = user(store, "carol").await;
    assert!(matches!(
        store.set_read_seq(general.id, outsider.id, 1).await,
        Err(StoreError::NotFound("member"))
    ));
}

pub async fn unread_and_mention_counts_follow_the_read_marker(store: &dyn Store) {
    let alice = user(store, "alice").await;
    let bob = user(store, "bob").await;
    let carol = user(store, "carol").await;
    let general = room(store, RoomKind::Channel, "general", &[&alice, &bob, &carol]).await;

    send(store, general.id, bob.id, "plain").await; // 1
    let mut mention = new_message(general.id, carol.id, "@alice look");
    mention.mentions = vec![alice.id];
    store.insert_message(mention).await.expect("mention"); // 2
    send(store, general.id, alice.id, "my own").await; // 3
    let mut at_room = new_message(general.id, bob.id, "@room hi");
    at_room.mentions_room = true;
    store.insert_message(at_room).await.expect("@room"); // 4
    let mut deleted = new_message(general.id, bob.id, "@alice oops");
    deleted.mentions = vec![alice.id];
    let deleted = store
        .insert_message(deleted)
        .await
        .expect("to delete")
        .into_inner(); // 5
    store
        .delete_message(general.id, deleted.id)
        .await
        .expect("delete"); // 6
    let mut for_bob = new_message(general.id, carol.id, "@bob only");
    for_bob.mentions = vec![bob.id];
    store.insert_message(for_bob).await.expect("mention bob"); // 7

    // From others, not deleted: 1, 2, 4, 7; mentioning alice or @room: 2, 4.
    assert_eq!(
        store
            .unread_counts(general.id, alice.id)
            .await
            .expect("alice"),
        (4, 2)
    );
    // Bob: 2, 3, 7 from others (his own 1 and 4 don't count); mentions: 7 and @room 4 is his own.
    assert_eq!(
        store.unread_counts(general.id, bob.id).await.expect("bob"),
        (3, 1)
    );

    store
        .set_read_seq(general.id, alice.id, 2)
        .await
        .expect("read");
    assert_eq!(
        store
            .unread_counts(general.id, alice.id)
            .await
            .expect("alice"),
        (2, 1)
    );
    store
        .set_read_seq(general.id, alice.id, 7)
        .await
        .expect("read all");
    assert_eq!(
        store
            .unread_counts(general.id, alice.id)
            .await
            .expect("alice"),
        (0, 0)
    );
}

pub async fn room_list_shows_unread_counts_and_last_message(store: &dyn Store) {
    let alice = user(store, "alice").await;
    let bob = user(store, "bob").await;
    let quiet = room(store, RoomKind::Group, "quiet", &[&alice, &bob]).await;
    let busy = room(store, RoomKind::Channel, "busy", &[&alice, &bob]).await;
    let elsewhere = room(store, RoomKind::Channel, "elsewhere", &[&bob]).await;
    send(store, elsewhere.id, bob.id, "not alice's business").await;

    send(store, busy.id, bob.id, "hello").await;
    let mut mention = new_message(busy.id, bob.id, "@alice");
    mention.mentions = vec![alice.id];
    let newest_kept = store
        .insert_message(mention)
        .await
        .expect("mention")
        .into_inner();
    let doomed = send(store, busy.id, bob.id, "to be deleted").await;
    store
        .delete_message(busy.id, doomed.id)
        .await
        .expect("delete");
    store
        .set_read_seq(busy.id, alice.id, 1)
        .await
        .expect("read");

    let entries = store.rooms_for_user(alice.id).await.expect("rooms");
    assert_eq!(entries.len(), 2);
    let entry = entries
        .iter()
        .find(|e| e.room.id == busy.id)
        .expect("busy listed");
    assert_eq!(entry.room.last_seq, 4);
    assert_eq!(entry.room.member_count, 2);
    assert_eq!((entry.member.user_id, entry.member.read_seq), (alice.id, 1));
    assert_eq!((entry.unread, entry.mention_count), (1, 1));
    assert_eq!(
        entry.last_message.as_ref().map(|m| m.id),
        Some(newest_kept.id),
        "the newest message that is not deleted"
    );
    assert_eq!(
        (entry.unread, entry.mention_count),
        store
            .unread_counts(busy.id, alice.id)
            .await
            .expect("counts")
    );

    let entry = entries
        .iter()
        .find(|e| e.room.id == quiet.id)
        .expect("quiet listed");
    assert_eq!((entry.unread, entry.mention_count), (0, 0));
    assert_eq!(entry.last_message, None);
}

pub async fn users_sharing_rooms_are_listed_once(store: &dyn Store) {
    let alice = user(store, "alice").await;
    let bob = user(store, "bob").await;
    let carol = user(store, "carol").await;
    let dave = user(store, "dave").await;
    let erin = user(store, "erin").await;
    room(store, RoomKind::Group, "one", &[&alice, &bob]).await;
    room(store, RoomKind::Group, "two", &[&alice, &bob, &carol]).await;
    let three = room(store, RoomKind::Group, "three", &[&alice, &erin]).await;
    store
        .ban_member(three.id, erin.id, now())
        .await
        .expect("ban erin");
    room(store, RoomKind::Group, "alone", &[&dave]).await;

    let mut shared = store
        .users_sharing_rooms(alice.id, 100)
        .await
        .expect("alice");
    shared.sort();
    let mut expected = vec![bob.id, carol.id];
    expected.sort();
    assert_eq!(shared, expected);
    assert_eq!(
        store.users_sharing_rooms(dave.id, 100).await.expect("dave"),
        vec![]
    );
    assert_eq!(
        store.users_sharing_rooms(erin.id, 100).await.expect("erin"),
        vec![]
    );
}

/// Rooms above the member limit do not count; banned members do not count
/// towards a room's size.
pub async fn users_sharing_rooms_skips_rooms_above_the_limit(store: &dyn Store) {
    let alice = user(store, "alice").await;
    let bob = user(store, "bob").await;
    let carol = user(store, "carol").await;
    let dave = user(store, "dave").await;
    let erin = user(store, "erin").await;
    // Two members: within a limit of 2.
    room(store, RoomKind::Group, "pair", &[&alice, &bob]).await;
    // Four members: above it.
    room(
        store,
        RoomKind::Channel,
        "big",
        &[&alice, &bob, &carol, &dave],
    )
    .await;
    // Three rows, one banned: two members, within the limit.
    let small = room(store, RoomKind::Group, "small", &[&carol, &erin, &dave]).await;
    store
        .ban_member(small.id, dave.id, now())
        .await
        .expect("ban dave");

    let sorted = |mut v: Vec<UserId>| {
        v.sort();
        v
    };
    assert_eq!(
        store.users_sharing_rooms(alice.id, 2).await.expect("alice"),
        vec![bob.id]
    );
    assert_eq!(
        sorted(store.users_sharing_rooms(alice.id, 4).await.expect("alice")),
        sorted(vec![bob.id, carol.id, dave.id])
    );
    assert_eq!(
        store.users_sharing_rooms(carol.id, 2).await.expect("carol"),
        vec![erin.id]
    );
    assert_eq!(
        store.users_sharing_rooms(dave.id, 2).await.expect("dave"),
        vec![]
    );
    assert_eq!(
        store.users_sharing_rooms(alice.id, 1).await.expect("alice"),
        vec![]
    );
}

pub async fn a_room_is_read_with_the_callers_membership(store: &dyn Store) {
    let alice = user(store, "alice").await;
    let bob = user(store, "bob").await;
    let carol = user(store, "carol").await;
    let general = room(store, RoomKind::Channel, "general", &[&alice, &bob]).await;

    let (found, member) = store
        .room_with_member(general.id, alice.id)
        .await
        .expect("member")
        .expect("found");
    assert_eq!(
        found,
        store
            .room_by_id(general.id)
            .await
            .expect("room")
            .expect("found")
    );
    assert_eq!(
        member,
        store
            .member(general.id, alice.id)
            .await
            .expect("member row")
    );
    assert!(member.is_some());

    let (_, outsider) = store
        .room_with_member(general.id, carol.id)
        .await
        .expect("outsider")
        .expect("found");
    assert_eq!(outsider, None);

    store
        .ban_member(general.id, bob.id, now())
        .await
        .expect("ban");
    let (_, banned) = store
        .room_with_member(general.id, bob.id)
        .await
        .expect("banned")
        .expect("found");
    assert!(banned.is_some_and(|m| m.banned), "a banned row is returned");

    assert!(matches!(
        store.room_with_member(RoomId::new(), alice.id).await,
        Ok(None)
    ));
}

pub async fn the_sending_context_is_what_the_separate_reads_say(store: &dyn Store) {
    let alice = user(store, "alice").await;
    let bob = user(store, "bob").await;
    let carol = user(store, "carol").await;
    let dave = user(store, "dave").await;
    let general = room(store, RoomKind::Channel, "general", &[&alice, &bob, &carol]).await;
    for member in [bob.id, carol.id] {
        store
            .set_notify_level(general.id, member, Some(NotifyLevel::All))
            .await
            .expect("notify level");
    }
    store
        .ban_member(general.id, carol.id, now())
        .await
        .expect("ban");
    send(store, general.id, alice.id, "hello").await;
    // Every column of the user is read, the optional ones set.
    store
        .update_profile(
            alice.id,
            ProfilePatch {
                avatar: Some(Some(UploadId::new())),
                ..ProfilePatch::default()
            },
        )
        .await
        .expect("avatar");
    store
        .set_dnd_until(alice.id, Some(now_plus(60)))
        .await
        .expect("dnd");

    let context = store
        .sending_context(general.id, alice.id)
        .await
        .expect("alice")
        .expect("found");
    assert_eq!(
        context.room,
        store
            .room_by_id(general.id)
            .await
            .expect("room")
            .expect("found")
    );
    assert_eq!(context.room.last_seq, 1);
    assert_eq!(
        context.member,
        store.member(general.id, alice.id).await.expect("member")
    );
    assert!(context.member.is_some());
    assert_eq!(
        context.sender,
        Some(
            store
                .user_by_id(alice.id)
                .await
                .expect("alice")
                .expect("found")
        )
    );
    assert_eq!(
        context.notify_all,
        vec![bob.id],
        "banned members are left out"
    );

    let outsider = store
        .sending_context(general.id, dave.id)
        .await
        .expect("dave")
        .expect("found");
    assert_eq!(outsider.member, None);
    assert_eq!(outsider.sender.map(|u| u.id), Some(dave.id));
    let ghost = store
        .sending_context(general.id, UserId::new())
        .await
        .expect("ghost")
        .expect("found");
    assert_eq!((ghost.member, ghost.sender), (None, None));
    assert!(matches!(
        store.sending_context(RoomId::new(), alice.id).await,
        Ok(None)
    ));
}

/// A backlog beyond [`MAX_UNREAD_COUNT`](crate::MAX_UNREAD_COUNT) counts as
/// that many unread; mentions are still all counted, however old.
pub async fn room_counts_are_the_room_list_without_last_messages(store: &dyn Store) {
    let alice = user(store, "alice").await;
    let bob = user(store, "bob").await;
    let general = room(store, RoomKind::Channel, "general", &[&alice, &bob]).await;
    let quiet = room(store, RoomKind::Group, "quiet", &[&bob, &alice]).await;
    room(store, RoomKind::Group, "elsewhere", &[&bob]).await;
    for i in 0..3 {
        send(store, general.id, bob.id, &format!("hi {i} @alice")).await;
    }
    let mut mention = new_message(general.id, bob.id, "@alice look");
    mention.mentions = vec![alice.id];
    store.insert_message(mention).await.expect("mention");
    store
        .set_read_seq(general.id, alice.id, 1)
        .await
        .expect("read");

    let by_room = |mut entries: Vec<RoomListEntry>| {
        entries.sort_by_key(|e| e.room.id);
        entries
    };
    let listed = by_room(store.rooms_for_user(alice.id).await.expect("list"));
    let counted = by_room(store.room_counts_for_user(alice.id).await.expect("counts"));
    assert_eq!(counted.len(), 2, "general and quiet");
    assert!(counted.iter().all(|e| e.last_message.is_none()));
    let without_messages: Vec<RoomListEntry> = listed
        .into_iter()
        .map(|e| RoomListEntry {
            last_message: None,
            ..e
        })
        .collect();
    assert_eq!(counted, without_messages);
    let general_counts = counted
        .iter()
        .find(|e| e.room.id == general.id)
        .expect("general");
    assert_eq!(
        (general_counts.unread, general_counts.mention_count),
        (3, 1)
    );
    assert!(counted.iter().any(|e| e.room.id == quiet.id));
}

pub async fn unread_counts_stop_at_the_cap_and_mentions_do_not(store: &dyn Store) {
    let alice = user(store, "alice").await;
    let bob = user(store, "bob").await;
    let busy = room(store, RoomKind::Channel, "busy", &[&alice, &bob]).await;
    let mut first = new_message(busy.id, bob.id, "@alice, before the flood");
    first.mentions = vec![alice.id];
    store.insert_message(first).await.expect("mention");
    let mut both = new_message(busy.id, bob.id, "@room and @alice");
    both.mentions = vec![alice.id];
    both.mentions_room = true;
    store.insert_message(both).await.expect("both");
    let backlog = crate::MAX_UNREAD_COUNT + 5;
    for i in 0..backlog {
        send(store, busy.id, bob.id, &format!("flood {i}")).await;
    }
    assert_eq!(
        store
            .unread_counts(busy.id, alice.id)
            .await
            .expect("counts"),
        (crate::MAX_UNREAD_COUNT, 2)
    );
    let entries = store.rooms_for_user(alice.id).await.expect("rooms");
    let entry = entries.iter().find(|e| e.room.id == busy.id).expect("busy");
    assert_eq!(
        (entry.unread, entry.mention_count),
        (crate::MAX_UNREAD_COUNT, 2)
    );
    // Read up to just before the last 3: below the cap, exact again.
    store
        .set_read_seq(busy.id, alice.id, backlog - 1)
        .await
        .expect("read");
    assert_eq!(
        store
            .unread_counts(busy.id, alice.id)
            .await
            .expect("counts"),
        (3, 0)
    );
}
