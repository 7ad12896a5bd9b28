//! The storage traits, one per aggregate. Every method is one atomic unit: it
//! either commits entirely or changes nothing, and a read that takes several
//! queries reads one snapshot (e.g. [`RoomStore::rooms_for_user`]).
//!
//! The exceptions, both reads: the default [`Store::session_with_user`] and
//! [`Store::sending_context`] (which PostgreSQL uses; SQLite overrides both
//! with one query) are composed of separate reads, each consistent on its
//! own, that may straddle a write committed between them. Their callers
//! check permissions against what they read and need no more.

use crate::error::StoreResult;
use crate::records::*;
use async_trait::async_trait;
use hearth_protocol::dto::Role;
use hearth_protocol::notifications::NotifyLevel;
use hearth_protocol::{MessageId, RoomId, SessionId, UploadId, UserId};
use time::OffsetDateTime;

/// The whole store. Held as `Arc<dyn Store>`.
#[async_trait]
pub trait Store:
    UserStore
    + SessionStore
    + RoomStore
    + MessageStore
    + UploadStore
    + SecurityStore
    + SearchStore
    + NotificationStore
    + Send
    + Sync
    + 'static
{
    /// Succeeds when the database answers a trivial query.
    async fn ping(&self) -> StoreResult<()>;

    /// "sqlite" or "postgres".
    fn backend(&self) -> &'static str;

    /// A login session and its user, as a gateway connection authenticates:
    /// one query where a round trip costs more than the read (SQLite).
    /// `None` when either is missing.
    async fn session_with_user(
        &self,
        id: SessionId,
    ) -> StoreResult<Option<(SessionRecord, UserRecord)>> {
        let Some(session) = self.session_by_id(id).await? else {
            return Ok(None);
        };
        let user = self.user_by_id(session.user_id).await?;
        Ok(user.map(|user| (session, user)))
    }

    /// What sending a message to `room` as `user` needs: the room, the
    /// user's membership and account, and who wants every message. Composed
    /// of the separate reads here; a backend where a round trip costs more
    /// than the query (SQLite's worker threads) does it in one. `None` when
    /// there is no such room.
    async fn sending_context(
        &self,
        room: RoomId,
        user: UserId,
    ) -> StoreResult<Option<SendingContext>> {
        let Some((room_record, member)) = self.room_with_member(room, user).await? else {
            return Ok(None);
        };
        let sender = self.users_by_ids(&[user]).await?.pop();
        let notify_all = self
            .members_with_notify_level(room, NotifyLevel::All)
            .await?;
        Ok(Some(SendingContext {
            room: room_record,
            member,
            sender,
            notify_all,
        }))
    }
}

#[async_trait]
pub trait UserStore: Send + Sync {
    /// Creates a user. The very first user of a store becomes admin.
    /// `Conflict("username")` / `Conflict("email")` when taken (case-insensitively).
    async fn create_user(&self, new: NewUser) -> StoreResult<UserRecord>;
    async fn user_by_id(&self, id: UserId) -> StoreResult<Option<UserRecord>>;
    /// By username or e-mail address, case-insensitively.
    async fn user_by_login(&self, login: &str) -> StoreResult<Option<UserRecord>>;
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
    /// Whether a refresh token with this hash was ever issued (current or
    /// spent), read without taking the writer: callers look before they
    /// rotate, so unknown tokens cost no write transaction.
    async fn refresh_token_known(&self, hash: &str) -> StoreResult<bool>;
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
    async fn session_by_id(&self, id: SessionId) -> StoreResult<Option<SessionRecord>>;
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
    /// Moves each session's `last_active_at` up to `now` (never back), in
    /// one write; ids of sessions that are gone are skipped.
    async fn touch_sessions(&self, ids: &[SessionId], now: OffsetDateTime) -> StoreResult<()>;
    /// Revocations with `seq` above `after_seq` whose `revoked_at` is after
    /// `since`, in `seq` order. Every write that sets a session's
    /// `revoked_at` records one in the same statement, and drops the
    /// session's push subscriptions.
    async fn session_revocations(
        &self,
        after_seq: i64,
        since: OffsetDateTime,
    ) -> StoreResult<Vec<SessionRevocation>>;
    /// Forgets revocations made before `before`; returns how many.
    async fn prune_session_revocations(&self, before: OffsetDateTime) -> StoreResult<u64>;
    /// Those of `ids` that are live at `now`: not revoked, not expired, and
    /// their user not deactivated.
    async fn live_sessions(
        &self,
        ids: &[SessionId],
        now: OffsetDateTime,
    ) -> StoreResult<Vec<SessionId>>;
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
    async fn room_by_id(&self, id: RoomId) -> StoreResult<Option<RoomRecord>>;
    /// The room and `user`'s membership row in it (a banned one included),
    /// in one read: what every permission check needs. `None` when there is
    /// no such room.
    async fn room_with_member(
        &self,
        room: RoomId,
        user: UserId,
    ) -> StoreResult<Option<(RoomRecord, Option<MemberRecord>)>>;
    async fn room_by_dm_key(&self, key: &str) -> StoreResult<Option<RoomRecord>>;
    async fn update_room(&self, id: RoomId, patch: RoomPatch) -> StoreResult<RoomRecord>;
    /// Channels not archived whose name contains `query` (case-insensitively;
    /// empty matches all), ordered by member count then name.
    async fn search_channels(&self, query: &str, limit: u32) -> StoreResult<Vec<RoomRecord>>;
    /// Every room `user` is a (not banned) member of, with unread counts.
    async fn rooms_for_user(&self, user: UserId) -> StoreResult<Vec<RoomListEntry>>;
    /// [`rooms_for_user`](Self::rooms_for_user) without the last messages
    /// (`last_message` is `None`) and in no particular order: the counters
    /// a gateway `ready` needs, in one query.
    async fn room_counts_for_user(&self, user: UserId) -> StoreResult<Vec<RoomListEntry>>;
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
    /// Deletes the membership row (also lifts a ban); `NotFound("member")` if there is none.
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
    /// Users sharing with `user` at least one room of at most `max_members`
    /// members (excluding `user`): DMs, groups and small channels. Presence
    /// goes through those rooms only, so a big room costs nothing here.
    async fn users_sharing_rooms(&self, user: UserId, max_members: i64)
    -> StoreResult<Vec<UserId>>;
}

#[async_trait]
pub trait MessageStore: Send + Sync {
    /// Assigns the room's next seq and stores the message. If the sender already
    /// sent this nonce in this room, returns that message as `Existing` and
    /// changes nothing. `NotFound("room")` if the room does not exist.
    async fn insert_message(&self, new: NewMessage) -> StoreResult<Inserted<MessageRecord>>;
    async fn message_by_id(
        &self,
        room: RoomId,
        id: MessageId,
    ) -> StoreResult<Option<MessageRecord>>;
    async fn message_by_nonce(
        &self,
        room: RoomId,
        sender: UserId,
        nonce: &str,
    ) -> StoreResult<Option<MessageRecord>>;
    /// Replaces the body and mentions, sets `edited_at`, takes a new seq.
    /// `NotFound("message")` for a deleted message.
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
    /// Takes a new seq when the flag changes. `NotFound("message")` for a deleted message.
    async fn set_pinned(
        &self,
        room: RoomId,
        id: MessageId,
        pinned: bool,
    ) -> StoreResult<MessageRecord>;
    /// Adds a reaction and takes a new seq; `None` if it was already there
    /// (nothing changes). `Limit` past [`MAX_DISTINCT_REACTIONS`] distinct emoji.
    /// `NotFound("message")` for a deleted message.
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
    /// The room's pinned messages, newest first, at most `limit`.
    async fn pinned_messages(&self, room: RoomId, limit: u32) -> StoreResult<Vec<MessageRecord>>;
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

/// Uploads and who may see them. A message's attachments are recorded by
/// [`MessageStore::insert_message`] and forgotten when it is deleted, so an
/// upload is "shared" exactly while a live message carries it.
#[async_trait]
pub trait UploadStore: Send + Sync {
    /// Records an upload. `Conflict("upload")` if the id is taken.
    async fn insert_upload(&self, upload: &UploadRecord) -> StoreResult<()>;
    async fn upload_by_id(&self, id: UploadId) -> StoreResult<Option<UploadRecord>>;
    /// The uploads found among `ids`, in no particular order.
    async fn uploads_by_ids(&self, ids: &[UploadId]) -> StoreResult<Vec<UploadRecord>>;
    /// Any one upload with these bytes (to reuse what was learnt from them).
    async fn upload_by_sha256(&self, sha256: &str) -> StoreResult<Option<UploadRecord>>;
    /// Bytes of all uploads `user` made that are still recorded (their
    /// quota's use).
    async fn uploaded_bytes(&self, user: UserId) -> StoreResult<u64>;
    /// Whether some upload still references the blob `sha256`.
    async fn sha256_in_use(&self, sha256: &str) -> StoreResult<bool>;
    /// Whether `upload` is attached to a non-deleted message of a room where
    /// `user` is a member (not banned).
    async fn upload_shared_with(&self, upload: UploadId, user: UserId) -> StoreResult<bool>;
    /// Deletes up to `limit` uploads created before `cutoff` that no live
    /// message carries and that are no user's or room's avatar; returns them
    /// (their blobs may now be unreferenced: see [`UploadStore::sha256_in_use`]).
    async fn delete_orphan_uploads(
        &self,
        cutoff: OffsetDateTime,
        limit: u32,
    ) -> StoreResult<Vec<UploadRecord>>;
}

/// Account security: two-factor state and recovery codes, single-use e-mail
/// links, deactivation and deletion of accounts.
#[async_trait]
pub trait SecurityStore: Send + Sync {
    /// `None` for an unknown user.
    async fn totp_state(&self, user: UserId) -> StoreResult<Option<TotpState>>;
    /// Stores a new secret, not yet enabled (setup may be repeated until
    /// [`SecurityStore::enable_totp`]). `Conflict("totp")` when two-factor is
    /// already on; `NotFound("user")` for an unknown user.
    async fn set_pending_totp(&self, user: UserId, sealed_secret: &str) -> StoreResult<()>;
    /// Turns two-factor on with the pending secret, records `step` as used,
    /// and replaces every recovery code with `recovery_hashes`, all at once.
    /// `Conflict("totp")` when already on; `NotFound("totp secret")` when no
    /// secret is pending.
    async fn enable_totp(
        &self,
        user: UserId,
        step: i64,
        recovery_hashes: &[String],
    ) -> StoreResult<()>;
    /// Turns two-factor off and forgets the secret and the recovery codes.
    async fn disable_totp(&self, user: UserId) -> StoreResult<()>;
    /// Records that the code of time step `step` was used. False, changing
    /// nothing, when that step or a later one was already used (a replay).
    async fn claim_totp_step(&self, user: UserId, step: i64) -> StoreResult<bool>;
    /// Spends an unused recovery code; false when it is unknown or used.
    async fn use_recovery_code(
        &self,
        user: UserId,
        hash: &str,
        now: OffsetDateTime,
    ) -> StoreResult<bool>;
    /// How many unused recovery codes `user` has.
    async fn recovery_codes_left(&self, user: UserId) -> StoreResult<i64>;

    /// `Conflict("email token")` if the hash exists.
    async fn insert_email_token(&self, new: NewEmailToken) -> StoreResult<()>;
    /// How many tokens of `purpose` were made for `user` at or after `since`.
    async fn count_email_tokens_since(
        &self,
        user: UserId,
        purpose: EmailTokenPurpose,
        since: OffsetDateTime,
    ) -> StoreResult<i64>;
    /// The token with this hash if it is for `purpose` (used or not), read
    /// without taking the writer.
    async fn email_token(
        &self,
        hash: &str,
        purpose: EmailTokenPurpose,
    ) -> StoreResult<Option<EmailTokenRecord>>;
    /// Spends the token with this hash if it is for `purpose`, unused and
    /// unexpired at `now` — and with it every other unused token of the same
    /// user and purpose (an older link dies when a newer one is used).
    /// Returns the token, or `None` when it cannot be used.
    async fn consume_email_token(
        &self,
        hash: &str,
        purpose: EmailTokenPurpose,
        now: OffsetDateTime,
    ) -> StoreResult<Option<EmailTokenRecord>>;
    /// The address of `user`'s newest token of `purpose`, used, expired or
    /// not: for verification, the address they last asked to have.
    async fn latest_email_token_address(
        &self,
        user: UserId,
        purpose: EmailTokenPurpose,
    ) -> StoreResult<Option<String>>;
    /// Makes `email` the user's address, verified (its owner followed a link
    /// mailed to it). `Conflict("email")` when another account has it;
    /// `NotFound("user")` for an unknown or deactivated user.
    async fn attach_verified_email(&self, user: UserId, email: &str) -> StoreResult<()>;
    /// Marks the user's e-mail address verified if it still is `email`
    /// (case-insensitively); false, changing nothing, otherwise.
    async fn mark_email_verified(&self, user: UserId, email: &str) -> StoreResult<bool>;

    /// Deactivates (or reactivates) an account; its data stays.
    /// `NotFound("user")` for an unknown user.
    async fn set_deactivated(&self, user: UserId, deactivated: bool) -> StoreResult<()>;
    /// Deletes an account at its owner's request: it is deactivated and loses
    /// its display name (now "deleted user"), bio, status, avatar, e-mail,
    /// password, two-factor state, recovery codes and e-mail tokens. The id
    /// stays (old messages keep their sender) and so does the username, which
    /// stays reserved. Returns the scrubbed record.
    async fn scrub_user(&self, user: UserId) -> StoreResult<UserRecord>;
}

/// Full-text search over messages.
#[async_trait]
pub trait SearchStore: Send + Sync {
    /// Messages matching `query.text` that `query.user` may read now: not
    /// deleted, in rooms where the user is a member (not banned) at the time
    /// of the query. Every word of the text must match (the last one also as
    /// a prefix), ignoring case and, as far as the backend's tokenizer folds
    /// them, accents. Newest first by `position`, at most `query.limit`.
    ///
    /// The text is raw user input: the backend escapes it, so no text is an
    /// error (operators, quotes, stars, punctuation are plain characters), and
    /// text without a searchable word finds nothing.
    async fn search_messages(&self, query: &SearchQuery) -> StoreResult<Vec<SearchHit>>;
}

/// Notification settings, Web Push subscriptions and e-mail digests.
#[async_trait]
pub trait NotificationStore: Send + Sync {
    /// Sets the member's level; `None` returns to the room kind's default.
    /// `NotFound("member")` unless `user` is a member (not banned).
    async fn set_notify_level(
        &self,
        room: RoomId,
        user: UserId,
        level: Option<NotifyLevel>,
    ) -> StoreResult<MemberRecord>;
    /// Members (not banned) who chose `level` explicitly.
    async fn members_with_notify_level(
        &self,
        room: RoomId,
        level: NotifyLevel,
    ) -> StoreResult<Vec<UserId>>;
    /// Turns do-not-disturb on until `until`, or off (`None`).
    async fn set_dnd_until(
        &self,
        user: UserId,
        until: Option<OffsetDateTime>,
    ) -> StoreResult<UserRecord>;
    /// Stores a subscription. One endpoint is one browser: a known endpoint
    /// is taken over (user, session and keys replaced), keeping its id.
    async fn upsert_push_subscription(&self, sub: &PushSubscriptionRecord) -> StoreResult<()>;
    /// The user's subscriptions whose login session is live at `now` (not
    /// revoked, not expired), oldest first.
    async fn push_subscriptions(
        &self,
        user: UserId,
        now: OffsetDateTime,
    ) -> StoreResult<Vec<PushSubscriptionRecord>>;
    /// Deletes the subscription with this endpoint — only if it is `user`'s,
    /// when given. Whether one was deleted.
    async fn delete_push_subscription(
        &self,
        endpoint: &str,
        user: Option<UserId>,
    ) -> StoreResult<bool>;
    /// Users who may be mailed a digest at `now`: active, with an e-mail
    /// address, not in do-not-disturb.
    async fn digest_recipients(&self, now: OffsetDateTime) -> StoreResult<Vec<DigestRecipient>>;
    /// The user's unread messages that notify them by mention (of them or
    /// @room) or as a DM — from others, not deleted, after their read marker,
    /// in rooms whose level for them is not `none` — created in
    /// `(since, until]`, oldest first, at most `limit`.
    async fn digest_messages(
        &self,
        user: UserId,
        since: OffsetDateTime,
        until: OffsetDateTime,
        limit: u32,
    ) -> StoreResult<Vec<MessageRecord>>;
    /// Records that messages created up to `at` have been mailed.
    async fn set_digest_watermark(&self, user: UserId, at: OffsetDateTime) -> StoreResult<()>;
    /// Moves the watermark from `since` (as [`DigestRecipient::since`]
    /// reported it) to `at`, unless it has moved meanwhile: the node that
    /// gets `true` sends the digest, so two nodes never both do. The default
    /// does not check `since` (a store for one node only may keep it); both
    /// SQL backends override it with one conditional update.
    async fn claim_digest(
        &self,
        user: UserId,
        since: OffsetDateTime,
        at: OffsetDateTime,
    ) -> StoreResult<bool> {
        let _ = since;
        self.set_digest_watermark(user, at).await.map(|()| true)
    }
}
