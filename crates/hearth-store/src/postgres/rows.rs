//! Column lists and row decoding: the one place that knows how a record is
//! laid out in PostgreSQL. The types are native (uuid, timestamptz, boolean,
//! uuid[]), so decoding is mostly `try_get`.
//!
//! The column lists are macros so that queries can be assembled with
//! `concat!` into `&'static str`s, which sqlx caches as prepared statements.

use crate::error::{StoreError, StoreResult};
use crate::records::{
    MemberRecord, MessageRecord, RoomRecord, SessionRecord, UploadRecord, UserRecord,
};
use hearth_protocol::dto::{Role, RoomKind};
use hearth_protocol::notifications::NotifyLevel;
use hearth_protocol::{MessageId, RoomId, SessionId, UploadId, UserId};
use sqlx::Row;
use sqlx::postgres::PgRow;
use time::OffsetDateTime;
use uuid::Uuid;

macro_rules! user_columns {
    () => {
        "id, username, display_name, email, password_hash, bio, status_text, avatar, \
         is_admin, deactivated, email_verified, totp_enabled, dnd_until, created_at"
    };
}

macro_rules! session_columns {
    () => {
        "id, user_id, user_agent, ip, created_at, last_active_at, expires_at, revoked_at"
    };
}

/// Unqualified, so usable in `RETURNING`; no column name is shared with
/// `members`, so it also works in a join with it.
macro_rules! room_columns {
    () => {
        "id, kind, name, topic, description, avatar, anonymous_allowed, archived, created_by, \
         created_at, last_seq, member_count"
    };
}

macro_rules! member_columns {
    () => {
        "room_id, user_id, role, joined_at, read_seq, delivered_seq, muted, banned, notify_level"
    };
}

/// Needs the messages table aliased as `m`. Mentions come along as an array
/// (ordered by user id, as SQLite's), so a message is always one row.
macro_rules! message_columns {
    () => {
        "m.id, m.room_id, m.seq, m.updated_seq, m.sender_id, m.body, m.nonce, m.reply_to, \
         m.mentions_room, m.anonymous, m.attachments, m.pinned, m.created_at, m.edited_at, \
         m.deleted, \
         ARRAY(SELECT mm.user_id FROM message_mentions mm WHERE mm.message_id = m.id \
               ORDER BY mm.user_id) AS mentions"
    };
}

macro_rules! upload_columns {
    () => {
        "id, uploader_id, filename, content_type, size, sha256, width, height, duration_ms, \
         waveform, preview_type, created_at"
    };
}

pub(super) use {
    member_columns, message_columns, room_columns, session_columns, upload_columns, user_columns,
};

pub(super) fn user(row: &PgRow) -> StoreResult<UserRecord> {
    Ok(UserRecord {
        id: UserId(row.try_get("id")?),
        username: row.try_get("username")?,
        display_name: row.try_get("display_name")?,
        email: row.try_get("email")?,
        password_hash: row.try_get("password_hash")?,
        bio: row.try_get("bio")?,
        status_text: row.try_get("status_text")?,
        avatar: row.try_get::<Option<Uuid>, _>("avatar")?.map(UploadId),
        is_admin: row.try_get("is_admin")?,
        deactivated: row.try_get("deactivated")?,
        email_verified: row.try_get("email_verified")?,
        totp_enabled: row.try_get("totp_enabled")?,
        dnd_until: row.try_get("dnd_until")?,
        created_at: row.try_get("created_at")?,
    })
}

pub(super) fn session(row: &PgRow) -> StoreResult<SessionRecord> {
    Ok(SessionRecord {
        id: SessionId(row.try_get("id")?),
        user_id: UserId(row.try_get("user_id")?),
        user_agent: row.try_get("user_agent")?,
        ip: row.try_get("ip")?,
        created_at: row.try_get("created_at")?,
        last_active_at: row.try_get("last_active_at")?,
        expires_at: row.try_get("expires_at")?,
        revoked: row
            .try_get::<Option<OffsetDateTime>, _>("revoked_at")?
            .is_some(),
    })
}

pub(super) fn room(row: &PgRow) -> StoreResult<RoomRecord> {
    let kind: String = row.try_get("kind")?;
    Ok(RoomRecord {
        id: RoomId(row.try_get("id")?),
        kind: RoomKind::parse(&kind)
            .ok_or_else(|| StoreError::Corrupt(format!("unknown room kind {kind:?}")))?,
        name: row.try_get("name")?,
        topic: row.try_get("topic")?,
        description: row.try_get("description")?,
        avatar: row.try_get::<Option<Uuid>, _>("avatar")?.map(UploadId),
        anonymous_allowed: row.try_get("anonymous_allowed")?,
        archived: row.try_get("archived")?,
        created_by: UserId(row.try_get("created_by")?),
        created_at: row.try_get("created_at")?,
        last_seq: row.try_get("last_seq")?,
        member_count: row.try_get("member_count")?,
    })
}

pub(super) fn member(row: &PgRow) -> StoreResult<MemberRecord> {
    let role: String = row.try_get("role")?;
    Ok(MemberRecord {
        room_id: RoomId(row.try_get("room_id")?),
        user_id: UserId(row.try_get("user_id")?),
        role: Role::parse(&role)
            .ok_or_else(|| StoreError::Corrupt(format!("unknown role {role:?}")))?,
        joined_at: row.try_get("joined_at")?,
        read_seq: row.try_get("read_seq")?,
        delivered_seq: row.try_get("delivered_seq")?,
        muted: row.try_get("muted")?,
        banned: row.try_get("banned")?,
        notify_level: row
            .try_get::<Option<String>, _>("notify_level")?
            .map(|l| {
                NotifyLevel::parse(&l)
                    .ok_or_else(|| StoreError::Corrupt(format!("unknown notify level {l:?}")))
            })
            .transpose()?,
    })
}

pub(super) fn message(row: &PgRow) -> StoreResult<MessageRecord> {
    let attachments: Vec<Uuid> = row.try_get("attachments")?;
    let mentions: Vec<Uuid> = row.try_get("mentions")?;
    Ok(MessageRecord {
        id: MessageId(row.try_get("id")?),
        room_id: RoomId(row.try_get("room_id")?),
        seq: row.try_get("seq")?,
        updated_seq: row.try_get("updated_seq")?,
        sender_id: UserId(row.try_get("sender_id")?),
        body: row.try_get("body")?,
        nonce: row.try_get("nonce")?,
        reply_to: row.try_get::<Option<Uuid>, _>("reply_to")?.map(MessageId),
        mentions: mentions.into_iter().map(UserId).collect(),
        mentions_room: row.try_get("mentions_room")?,
        anonymous: row.try_get("anonymous")?,
        attachments: attachments.into_iter().map(UploadId).collect(),
        pinned: row.try_get("pinned")?,
        created_at: row.try_get("created_at")?,
        edited_at: row.try_get("edited_at")?,
        deleted: row.try_get("deleted")?,
    })
}

pub(super) fn upload(row: &PgRow) -> StoreResult<UploadRecord> {
    let id = UploadId(row.try_get("id")?);
    let dimension = |column: &str| -> StoreResult<Option<u32>> {
        row.try_get::<Option<i64>, _>(column)?
            .map(|v| {
                u32::try_from(v)
                    .map_err(|e| StoreError::Corrupt(format!("{column} of upload {id}: {e}")))
            })
            .transpose()
    };
    Ok(UploadRecord {
        id,
        uploader_id: UserId(row.try_get("uploader_id")?),
        filename: row.try_get("filename")?,
        content_type: row.try_get("content_type")?,
        size: row.try_get("size")?,
        sha256: row.try_get("sha256")?,
        width: dimension("width")?,
        height: dimension("height")?,
        duration_ms: dimension("duration_ms")?,
        waveform: row.try_get("waveform")?,
        preview_type: row.try_get("preview_type")?,
        created_at: row.try_get("created_at")?,
    })
}

/// Ids as the `uuid[]` PostgreSQL binds them.
pub(super) fn uuids<T: Copy>(ids: &[T], get: impl Fn(T) -> Uuid) -> Vec<Uuid> {
    ids.iter().map(|&id| get(id)).collect()
}
