//! Checking what a session receives: every `message.created` belongs to a
//! room the session is in, arrives once, and comes in seq order.
//!
//! Seq order is not an error: docs/protocol.md ("Ordering and delivery
//! guarantees") says that under concurrent sends to one room live events may
//! arrive slightly out of seq order, and clients insert by seq. (The server
//! takes a room's next seq when the message commits and publishes it after
//! building the message DTO, another store read in `service::messages::send`,
//! so two sends on two connections can publish in the opposite order to their
//! commits.) The bench counts such reorderings separately from duplicates and
//! losses, which are errors.

use hearth_protocol::RoomId;
use hearth_protocol::gateway::Ready;

/// What one delivery was.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// First sight, in seq order.
    Fresh,
    /// First sight, but a higher seq of this room came before it.
    Reordered,
    /// Seen before on this session.
    Duplicate,
    /// A room the session is not in.
    WrongRoom,
    /// At or below the room's `last_seq` in the `ready` snapshot: it was
    /// committed before the snapshot and published after the session
    /// registered. Allowed (the client already has it through history).
    BeforeSnapshot,
}

impl Verdict {
    pub fn is_error(self) -> bool {
        matches!(self, Self::Duplicate | Self::WrongRoom)
    }
}

/// One room as seen by one session: a bitmap of seqs after the snapshot.
#[derive(Clone, Debug)]
pub struct RoomTrack {
    pub base: i64,
    pub highest: i64,
    seen: Vec<u64>,
}

impl RoomTrack {
    fn new(base: i64) -> Self {
        Self {
            base,
            highest: base,
            seen: Vec::new(),
        }
    }

    /// Marks `seq` seen; returns whether it was new.
    fn mark(&mut self, seq: i64) -> bool {
        let bit = (seq - self.base - 1) as usize;
        let (word, mask) = (bit / 64, 1u64 << (bit % 64));
        if word >= self.seen.len() {
            self.seen.resize(word + 1, 0);
        }
        let new = self.seen[word] & mask == 0;
        self.seen[word] |= mask;
        new
    }

    pub fn has(&self, seq: i64) -> bool {
        if seq <= self.base {
            return false;
        }
        let bit = (seq - self.base - 1) as usize;
        self.seen
            .get(bit / 64)
            .is_some_and(|w| w & (1u64 << (bit % 64)) != 0)
    }

    /// Number of seqs seen after the snapshot.
    pub fn count(&self) -> u64 {
        self.seen.iter().map(|w| u64::from(w.count_ones())).sum()
    }
}

/// Every room of one session. A vector searched linearly, not a hash map:
/// a session is in a few rooms, and this is looked up on every delivery.
#[derive(Clone, Debug, Default)]
pub struct SessionCheck {
    rooms: Vec<(RoomId, RoomTrack)>,
}

impl SessionCheck {
    /// Starts from the `ready` snapshot: its rooms and their last seqs.
    pub fn from_ready(ready: &Ready) -> Self {
        Self {
            rooms: ready
                .rooms
                .iter()
                .map(|r| (r.id, RoomTrack::new(r.last_seq)))
                .collect(),
        }
    }

    /// The track of `room`, if the session is in it.
    pub fn room(&self, room: &RoomId) -> Option<&RoomTrack> {
        self.rooms.iter().find(|(id, _)| id == room).map(|(_, t)| t)
    }

    pub fn observe(&mut self, room: RoomId, seq: i64) -> Verdict {
        let Some((_, track)) = self.rooms.iter_mut().find(|(id, _)| *id == room) else {
            return Verdict::WrongRoom;
        };
        if seq <= track.base {
            return Verdict::BeforeSnapshot;
        }
        if !track.mark(seq) {
            return Verdict::Duplicate;
        }
        if seq < track.highest {
            return Verdict::Reordered;
        }
        track.highest = seq;
        Verdict::Fresh
    }

    /// The session joined a room after its snapshot (e.g. `room.joined`).
    pub fn add_room(&mut self, room: RoomId, last_seq: i64) {
        if self.room(&room).is_none() {
            self.rooms.push((room, RoomTrack::new(last_seq)));
        }
    }
}

/// Totals over many sessions.
#[derive(Clone, Copy, Debug, Default, serde::Serialize)]
pub struct CheckTotals {
    pub delivered: u64,
    pub duplicates: u64,
    pub wrong_room: u64,
    pub reordered: u64,
    pub before_snapshot: u64,
}

impl CheckTotals {
    pub fn add(&mut self, v: Verdict) {
        match v {
            Verdict::Fresh => self.delivered += 1,
            Verdict::Reordered => {
                self.delivered += 1;
                self.reordered += 1;
            }
            Verdict::Duplicate => self.duplicates += 1,
            Verdict::WrongRoom => self.wrong_room += 1,
            Verdict::BeforeSnapshot => self.before_snapshot += 1,
        }
    }

    pub fn merge(&mut self, o: &CheckTotals) {
        self.delivered += o.delivered;
        self.duplicates += o.duplicates;
        self.wrong_room += o.wrong_room;
        self.reordered += o.reordered;
        self.before_snapshot += o.before_snapshot;
    }

    pub fn errors(&self) -> u64 {
        self.duplicates + self.wrong_room
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(room: RoomId, base: i64) -> SessionCheck {
        let mut s = SessionCheck::default();
        s.add_room(room, base);
        s
    }

    #[test]
    fn in_order_deliveries_are_fresh_and_repeats_are_duplicates() {
        let room = RoomId::new();
        let mut s = session(room, 10);
        assert_eq!(s.observe(room, 11), Verdict::Fresh);
        assert_eq!(s.observe(room, 12), Verdict::Fresh);
        assert_eq!(s.observe(room, 12), Verdict::Duplicate);
        assert_eq!(s.observe(room, 10), Verdict::BeforeSnapshot);
        assert_eq!(s.room(&room).unwrap().count(), 2);
    }

    #[test]
    fn a_lower_seq_after_a_higher_one_is_a_reordering_not_a_loss() {
        let room = RoomId::new();
        let mut s = session(room, 0);
        assert_eq!(s.observe(room, 2), Verdict::Fresh);
        assert_eq!(s.observe(room, 1), Verdict::Reordered);
        assert_eq!(s.observe(room, 1), Verdict::Duplicate);
        assert!(s.room(&room).unwrap().has(1) && s.room(&room).unwrap().has(2));
        assert!(!s.room(&room).unwrap().has(3));
    }

    #[test]
    fn other_rooms_are_wrong() {
        let mut s = session(RoomId::new(), 0);
        assert_eq!(s.observe(RoomId::new(), 1), Verdict::WrongRoom);
        assert!(Verdict::WrongRoom.is_error());
    }

    #[test]
    fn bitmap_grows_past_one_word() {
        let room = RoomId::new();
        let mut s = session(room, 100);
        for seq in 101..=300 {
            assert_eq!(s.observe(room, seq), Verdict::Fresh);
        }
        assert_eq!(s.room(&room).unwrap().count(), 200);
    }
}
