//! Column lists and row decoding: the one place that knows how a record is
//! laid out in SQLite (UUIDs as BLOBs, times as unix milliseconds, booleans
//! as integers, attachment lists as JSON).
//!
//! The column lists are macros so that queries can be assembled with
//! `concat!` into `&'static str`s, which sqlx caches as prepared statements.

use super::from_millis;
use crate::error::{StoreError, StoreResult};
use crate::records::{
    MemberRecord, MessageRecord, RoomRecord, SessionRecord, UploadRecord, UserRecord,
};
use hearth_protocol::dto::{Role, RoomKind};
use hearth_protocol::notifications::NotifyLevel;
use hearth_protocol::{MessageId, RoomId, SessionId, UploadId, UserId};
use sqlx::Row;
use sqlx::sqlite::SqliteRow;
use uuid::Uuid;

macro_rules! user_columns {
    () => {
        "id, username, display_name, email, password_hash, bio, status_text, avatar, \
         is_admin, deactivated, email_verified, totp_enabled, dnd_until, created_at"
    };
}

/// `user_columns!` renamed with a `u_` prefix, for a row that also holds
/// another table's `id` (read back with [`prefixed_user`]).
macro_rules! prefixed_user_columns {
    () => {
        "id AS u_id, username AS u_username, display_name AS u_display_name, \
         email AS u_email, password_hash AS u_password_hash, bio AS u_bio, \
         status_text AS u_status_text, avatar AS u_avatar, is_admin AS u_is_admin, \
         deactivated AS u_deactivated, email_verified AS u_email_verified, \
         totp_enabled AS u_totp_enabled, dnd_until AS u_dnd_until, created_at AS u_created_at"
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

/// Needs the messages table aliased as `m`. Mentions come along as a JSON
/// array of hex UUIDs, so a message is always one row.
macro_rules! message_columns {
    () => {
        "m.id, m.room_id, m.seq, m.updated_seq, m.sender_id, m.body, m.nonce, m.reply_to, \
         m.mentions_room, m.anonymous, m.attachments, m.pinned, m.created_at, m.edited_at, \
         m.deleted, \
         (SELECT json_group_array(hex(mm.user_id)) FROM message_mentions mm \
          WHERE mm.message_id = m.id) AS mentions"
    };
}

macro_rules! upload_columns {
    () => {
        "id, uploader_id, filename, content_type, size, sha256, width, height, duration_ms, \
         waveform, preview_type, created_at"
    };
}

pub(super) use {
    member_columns, message_columns, prefixed_user_columns, room_columns, session_columns,
    upload_columns, user_columns,
};

/// A [`UserRecord`] from columns named as in `user_columns!`, each with
/// `$prefix` in front (for a row that also holds another table's `id`).
macro_rules! user_record {
    ($row:expr, $prefix:literal) => {
        UserRecord {
            id: UserId($row.try_get(concat!($prefix, "id"))?),
            username: $row.try_get(concat!($prefix, "username"))?,
            display_name: $row.try_get(concat!($prefix, "display_name"))?,
            email: $row.try_get(concat!($prefix, "email"))?,
            password_hash: $row.try_get(concat!($prefix, "password_hash"))?,
            bio: $row.try_get(concat!($prefix, "bio"))?,
            status_text: $row.try_get(concat!($prefix, "status_text"))?,
            avatar: $row
                .try_get::<Option<Uuid>, _>(concat!($prefix, "avatar"))?
                .map(UploadId),
            is_admin: $row.try_get(concat!($prefix, "is_admin"))?,
            deactivated: $row.try_get(concat!($prefix, "deactivated"))?,
            email_verified: $row.try_get(concat!($prefix, "email_verified"))?,
            totp_enabled: $row.try_get(concat!($prefix, "totp_enabled"))?,
            dnd_until: $row
                .try_get::<Option<i64>, _>(concat!($prefix, "dnd_until"))?
                .map(from_millis)
                .transpose()?,
            created_at: from_millis($row.try_get(concat!($prefix, "created_at"))?)?,
        }
    };
}

pub(super) fn user(row: &SqliteRow) -> StoreResult<UserRecord> {
    Ok(user_record!(row, ""))
}

/// A user read as `prefixed_user_columns!`.
pub(super) fn prefixed_user(row: &SqliteRow) -> StoreResult<UserRecord> {
    Ok(user_record!(row, "u_"))
}

pub(super) fn session(row: &SqliteRow) -> StoreResult<SessionRecord> {
    Ok(SessionRecord {
        id: SessionId(row.try_get("id")?),
        user_id: UserId(row.try_get("user_id")?),
        user_agent: row.try_get("user_agent")?,
        ip: row.try_get("ip")?,
        created_at: from_millis(row.try_get("created_at")?)?,
        last_active_at: from_millis(row.try_get("last_active_at")?)?,
        expires_at: from_millis(row.try_get("expires_at")?)?,
        revoked: row.try_get::<Option<i64>, _>("revoked_at")?.is_some(),
    })
}

pub(super) fn room(row: &SqliteRow) -> StoreResult<RoomRecord> {
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
        created_at: from_millis(row.try_get("created_at")?)?,
        last_seq: row.try_get("last_seq")?,
        member_count: row.try_get("member_count")?,
    })
}

pub(super) fn member(row: &SqliteRow) -> StoreResult<MemberRecord> {
    let role: String = row.try_get("role")?;
    Ok(MemberRecord {
        room_id: RoomId(row.try_get("room_id")?),
        user_id: UserId(row.try_get("user_id")?),
        role: Role::parse(&role)
            .ok_or_else(|| StoreError::Corrupt(format!("unknown role {role:?}")))?,
        joined_at: from_millis(row.try_get("joined_at")?)?,
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

pub(super) fn message(row: &SqliteRow) -> StoreResult<MessageRecord> {
    let id = MessageId(row.try_get("id")?);
    let attachments: String = row.try_get("attachments")?;
    let attachments: Vec<Uuid> = serde_json::from_str(&attachments)
        .map_err(|e| StoreError::Corrupt(format!("attachments of message {id}: {e}")))?;
    let mentions: String = row.try_get("mentions")?;
    let mentions = parse_hex_uuids(&mentions)
        .map_err(|e| StoreError::Corrupt(format!("mentions of message {id}: {e}")))?;
    Ok(MessageRecord {
        id,
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
        created_at: from_millis(row.try_get("created_at")?)?,
        edited_at: row
            .try_get::<Option<i64>, _>("edited_at")?
            .map(from_millis)
            .transpose()?,
        deleted: row.try_get("deleted")?,
    })
}

pub(super) fn upload(row: &SqliteRow) -> StoreResult<UploadRecord> {
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
        created_at: from_millis(row.try_get("created_at")?)?,
    })
}

/// Encodes attachment ids the way `message` decodes them: a JSON array of
/// hyphenated UUID strings (which never need escaping).
pub(super) fn attachments_json(ids: &[UploadId]) -> String {
    let quoted: Vec<String> = ids.iter().map(|id| format!("\"{id}\"")).collect();
    format!("[{}]", quoted.join(","))
}

/// A JSON array of SQLite `hex()` strings (32 hex digits each).
pub(super) fn parse_hex_uuids(json: &str) -> Result<Vec<Uuid>, String> {
    let hexes: Vec<String> = serde_json::from_str(json).map_err(|e| e.to_string())?;
    hexes
        .iter()
        .map(|h| Uuid::try_parse(h).map_err(|e| format!("{h:?}: {e}")))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_sqlite_hex_uuids() {
        let id = Uuid::now_v7();
        let json = format!("[\"{}\"]", id.simple().to_string().to_uppercase());
        assert_eq!(parse_hex_uuids(&json), Ok(vec![id]));
        assert_eq!(parse_hex_uuids("[]"), Ok(vec![]));
        assert!(parse_hex_uuids("[\"zz\"]").is_err());
    }

    #[test]
    fn attachments_json_round_trips() {
        let ids = vec![UploadId::new(), UploadId::new()];
        let parsed: Result<Vec<Uuid>, _> = serde_json::from_str(&attachments_json(&ids));
        assert_eq!(parsed.ok(), Some(ids.iter().map(|id| id.0).collect()));
        assert_eq!(attachments_json(&[]), "[]");
    }
}
