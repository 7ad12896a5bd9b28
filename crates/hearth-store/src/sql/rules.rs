//! Product rules that need no database: what both backends decide the same
//! way once the rows are read.

use crate::error::{StoreError, StoreResult};
use crate::records::{MAX_DISTINCT_REACTIONS, MessageRecord, RoomListEntry};
use std::collections::HashMap;

/// A user's room list: each room's newest message joined to its entry, most
/// recently active first (a room without messages by its creation), ties
/// broken by room id, the order a room list shows.
pub(crate) fn room_list(
    mut entries: Vec<RoomListEntry>,
    last_messages: Vec<MessageRecord>,
) -> Vec<RoomListEntry> {
    let mut by_room: HashMap<_, _> = last_messages.into_iter().map(|m| (m.room_id, m)).collect();
    for entry in &mut entries {
        entry.last_message = by_room.remove(&entry.room.id);
    }
    entries.sort_by_key(|e| {
        let active = e
            .last_message
            .as_ref()
            .map_or(e.room.created_at, |m| m.created_at);
        (std::cmp::Reverse(active), e.room.id)
    });
    entries
}

/// What the reactions already on a message say about adding one more.
pub(crate) struct ReactionCounts {
    /// Distinct emoji on the message.
    pub distinct_emoji: i64,
    /// Reactions with this emoji, anyone's.
    pub this_emoji: i64,
    /// This user's reactions with this emoji (0 or 1).
    pub mine: i64,
}

/// Whether the reaction is new (`Ok(true)`), already there (`Ok(false)`:
/// nothing changes), or one emoji too many (`Limit`).
pub(crate) fn reaction_is_new(counts: &ReactionCounts) -> StoreResult<bool> {
    if counts.mine > 0 {
        return Ok(false);
    }
    if counts.this_emoji == 0 && counts.distinct_emoji >= MAX_DISTINCT_REACTIONS {
        return Err(StoreError::Limit("distinct reactions"));
    }
    Ok(true)
}
