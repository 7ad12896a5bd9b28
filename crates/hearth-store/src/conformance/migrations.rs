//! Checks shared by the backends' migration tests (which set up the old
//! schema their own way): what a store looks like after a migration.

use super::new_room;
use crate::error::StoreError;
use crate::traits::Store;
use hearth_protocol::RoomId;
use hearth_protocol::dto::RoomKind;

/// After the unique-channel-name migration, given channels created as
/// "general", "general-2", "General", "GENERAL" (in that order, `ids`): the
/// oldest keeps its name, later ones got "-2", "-3", … or, where that was
/// taken, a piece of their id; and the index refuses a taken name.
pub async fn duplicate_channels_were_renamed(store: &dyn Store, ids: &[RoomId]) {
    let mut names = Vec::new();
    for id in ids {
        names.push(
            store
                .room_by_id(*id)
                .await
                .expect("read")
                .expect("found")
                .name,
        );
    }
    assert_eq!(
        (names[0].as_str(), names[1].as_str()),
        ("general", "general-2")
    );
    // The two later "general"s (created within the same millisecond, so in
    // either order) get "-2" / "-3"; whichever got "-2" clashes with the
    // existing "general-2" and gets a piece of its id on top.
    assert!(names[2].starts_with("General-"), "{names:?}");
    assert!(names[3].starts_with("GENERAL-"), "{names:?}");
    let mut lower: Vec<String> = names.iter().map(|n| n.to_lowercase()).collect();
    lower.sort();
    lower.dedup();
    assert_eq!(lower.len(), 4, "all distinct ignoring case: {names:?}");
    assert!(
        names.iter().any(|n| n.ends_with("-3")),
        "one got the next number: {names:?}"
    );
    let alice = store
        .user_by_login("alice")
        .await
        .expect("read")
        .expect("alice");
    let again = new_room(RoomKind::Channel, &names[3].to_lowercase(), alice.id);
    assert!(matches!(
        store.create_room(again, &[]).await,
        Err(StoreError::Conflict("channel name"))
    ));
}
