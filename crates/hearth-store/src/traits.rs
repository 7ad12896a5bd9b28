//! The storage traits, one per aggregate. Every method is one atomic unit: it
//! either commits entirely or changes nothing.

use crate::error::StoreResult;
use crate::records::*;
use async_trait::async_trait;
use hearth_protocol::dto::Role;
use hearth_protocol::{MessageId, RoomId, SessionId, UserId};
use time::OffsetDateTime;

/// The whole store. Held as `Arc<dyn Store>`.
#[async_trait]
pub trait Store:
    UserStore + SessionStore + RoomStore + MessageStore + Send + Sync + 'static
{
    /// Succeeds when the database answers a trivial query.
    async fn ping(&self) -> StoreResult<()>;

    /// "sqlite" or "postgres".
    fn backend(&self) -> &'static str;
}

#[async_trait]
pub trait UserStore: Send + Sync {
    /// Creates a user. The very first user of a store becomes admin.
    /// `Conflict("username")` / `Conflict("email")` when taken (case-insensitively).
    async fn create_user(&self, new: NewUser) -> StoreResult<UserRecord>;
    async fn user_by_id(&self, id: UserId) -> StoreResult<UserRecord>;
    /// By username or e-mail address, case-insensitively.
    async fn user_by_login(&self, login: &str) -> StoreResult<UserRecord>;
    /// The users found among `ids`, in no particular order.
    async fn users_by_ids(&self, ids: &[UserId]) -> StoreResult<Vec<UserRecord>>;
    /// Active users whose username or display name starts with `prefix`
    /// (case-insensitively), ordered by username.
    async fn search_users(&self, prefix: &str, limit: u32) -> StoreResult<Vec<UserRecord>>;
    async fn update_profile(&self, id: UserId, patch: ProfilePatch) -> StoreResult<UserRecord>;
    async fn set_password_hash(&self, id: UserId, hash: &str) -> StoreResult<()>;
    async fn set_admin(&self, id: UserId, is_admin: bool) -> StoreResult<()>;
}

#[async_trait]
pub trait SessionStore: Send + Sync {
    async fn create_session(&self, new: NewSession) -> StoreResult<SessionRecord>;
    /// Spends `old_hash` and makes `new_hash` the session's current refresh
    /// token, extending the session to `expires_at`. Presenting an already
    /// spent token revokes the session ([`RefreshOutcome::Reused`]).
    async fn rotate_refresh_token(
        &self,
        old_hash: &str,
        new_hash: &str,
        now: OffsetDateTime,
        expires_at: OffsetDateTime,
    ) -> StoreResult<RefreshOutcome>;
    /// Revokes the session whose current or spent refresh token has this hash;
    /// returns it, or `None` if unknown.
    async fn revoke_session_by_refresh(&self, hash: &str) -> StoreResult<Option<SessionRecord>>;
    async fn session_by_id(&self, id: SessionId) -> StoreResult<SessionRecord>;
    /// Sessions neither revoked nor expired at `now`, newest first.
    async fn list_sessions(
        &self,
        user: UserId,
        now: OffsetDateTime,
    ) -> StoreResult<Vec<SessionRecord>>;
    async fn revoke_session(&self, id: SessionId) -> StoreResult<()>;
    /// Revokes every live session of `user` except `except`; returns the ids revoked.
    async fn revoke_user_sessions(
        &self,
        user: UserId,
        except: Option<SessionId>,
    ) -> StoreResult<Vec<SessionId>>;
    async fn touch_session(&self, id: SessionId, now: OffsetDateTime) -> StoreResult<()>;
}

#[async_trait]
pub trait RoomStore: Send + Sync {
    /// Creates the room with its first members in one transaction.
    /// `Conflict("dm")` if a DM with the same `dm_key` exists.
    async fn create_room(
        &self,
        new: NewRoom,
        members: &[(UserId, Role)],
    ) -> StoreResult<RoomRecord>;
    async fn room_by_id(&self, id: RoomId) -> StoreResult<RoomRecord>;
    async fn room_by_dm_key(&self, key: &str) -> StoreResult<Option<RoomRecord>>;
    async fn update_room(&self, id: RoomId, patch: RoomPatch) -> StoreResult<RoomRecord>;
    /// Channels not archived whose name contains `query` (case-insensitively;
    /// empty matches all), ordered by member count then name.
    async fn search_channels(&self, query: &str, limit: u32) -> StoreResult<Vec<RoomRecord>>;
    /// Every room `user` is a (not banned) member of, with unread counts.
    async fn rooms_for_user(&self, user: UserId) -> StoreResult<Vec<RoomListEntry>>;
    /// `(room, user)` rows of every membership of `user` (not banned).
    async fn memberships_of(&self, user: UserId) -> StoreResult<Vec<MemberRecord>>;
    /// The membership row, including a banned one.
    async fn member(&self, room: RoomId, user: UserId) -> StoreResult<Option<MemberRecord>>;
    /// Members who are not banned, ordered by join time.
    async fn members(&self, room: RoomId) -> StoreResult<Vec<MemberRecord>>;
    /// Adds `user`; an existing non-banned membership is returned as `Existing`.
    /// A banned row is replaced (the service decides whether that is allowed).
    /// The new member's read and delivered markers start at the room's
    /// `last_seq`: what was said before joining is not unread.
    async fn add_member(
        &self,
        room: RoomId,
        user: UserId,
        role: Role,
        now: OffsetDateTime,
    ) -> StoreResult<Inserted<MemberRecord>>;
    /// Deletes the membership row (also lifts a ban); `NotFound` if there is none.
    async fn remove_member(&self, room: RoomId, user: UserId) -> StoreResult<()>;
    /// Marks `user` banned in `room` (creating the row if needed).
    async fn ban_member(&self, room: RoomId, user: UserId, now: OffsetDateTime) -> StoreResult<()>;
    async fn update_member(
        &self,
        room: RoomId,
        user: UserId,
        role: Option<Role>,
        muted: Option<bool>,
    ) -> StoreResult<MemberRecord>;
    /// Raises the read marker to `min(seq, room.last_seq)`; never lowers it.
    /// Returns the marker now stored.
    async fn set_read_seq(&self, room: RoomId, user: UserId, seq: i64) -> StoreResult<i64>;
    /// Same as [`RoomStore::set_read_seq`] for the delivered marker.
    async fn set_delivered_seq(&self, room: RoomId, user: UserId, seq: i64) -> StoreResult<i64>;
    /// `(unread, mention_count)` for `user` in `room`, as in [`RoomListEntry`].
    async fn unread_counts(&self, room: RoomId, user: UserId) -> StoreResult<(i64, i64)>;
    /// Users sharing at least one room with `user` (excluding `user`).
    async fn users_sharing_rooms(&self, user: UserId) -> StoreResult<Vec<UserId>>;
}

#[async_trait]
pub trait MessageStore: Send + Sync {
    /// Assigns the room's next seq and stores the message. If the sender already
    /// sent this nonce in this room, returns that message as `Existing` and
    /// changes nothing. `NotFound` if the room does not exist.
    async fn insert_message(&self, new: NewMessage) -> StoreResult<Inserted<MessageRecord>>;
    async fn message_by_id(&self, room: RoomId, id: MessageId) -> StoreResult<MessageRecord>;
    async fn message_by_nonce(
        &self,
        room: RoomId,
        sender: UserId,
        nonce: &str,
    ) -> StoreResult<Option<MessageRecord>>;
    /// Replaces the body and mentions, sets `edited_at`, takes a new seq.
    /// `NotFound` for a deleted message.
    async fn edit_message(
        &self,
        room: RoomId,
        id: MessageId,
        body: &str,
        mentions: &[UserId],
        mentions_room: bool,
        now: OffsetDateTime,
    ) -> StoreResult<MessageRecord>;
    /// Turns the message into a tombstone (empty body, no attachments, mentions
    /// or reactions, `deleted`, unpinned), keeping its seq; takes a new seq.
    /// Deleting a tombstone again changes nothing and takes no seq.
    async fn delete_message(&self, room: RoomId, id: MessageId) -> StoreResult<MessageRecord>;
    /// Takes a new seq when the flag changes. `NotFound` for a deleted message.
    async fn set_pinned(
        &self,
        room: RoomId,
        id: MessageId,
        pinned: bool,
    ) -> StoreResult<MessageRecord>;
    /// Adds a reaction and takes a new seq; `None` if it was already there
    /// (nothing changes). `Limit` past [`MAX_DISTINCT_REACTIONS`] distinct emoji.
    /// `NotFound` for a deleted message.
    async fn add_reaction(
        &self,
        room: RoomId,
        id: MessageId,
        user: UserId,
        emoji: &str,
    ) -> StoreResult<Option<MessageRecord>>;
    /// Removes a reaction and takes a new seq; `None` if it was not there.
    async fn remove_reaction(
        &self,
        room: RoomId,
        id: MessageId,
        user: UserId,
        emoji: &str,
    ) -> StoreResult<Option<MessageRecord>>;
    /// Every reaction on these messages, ordered by message then first use of
    /// each emoji.
    async fn reactions_for(&self, ids: &[MessageId]) -> StoreResult<Vec<ReactionRecord>>;
    /// Up to `limit` messages with seq < `before` (all when `None`), newest
    /// `limit` of them, returned in ascending seq order.
    async fn messages_before(
        &self,
        room: RoomId,
        before: Option<i64>,
        limit: u32,
    ) -> StoreResult<Vec<MessageRecord>>;
    /// The change feed: up to `limit` messages whose `updated_seq` > `after`,
    /// the lowest `updated_seq` first, returned in ascending seq order. A client
    /// continues from the page's highest `updated_seq`.
    async fn messages_changed_after(
        &self,
        room: RoomId,
        after: i64,
        limit: u32,
    ) -> StoreResult<Vec<MessageRecord>>;
}
