//! Column lists and row decoding, once for both backends: which columns a
//! record is read from, and how a row becomes a record. A row of either
//! backend is read through [`RecordRow`], whose times and id lists decode
//! through [`values`](super::values).
//!
//! The column lists are macros so that statements can be assembled with
//! `concat!` into `&'static str`s, which sqlx caches as prepared statements.
//! The message columns differ (each dialect aggregates mentions its own
//! way): they are each backend's `message_columns!`.

use super::values::{Ids, Time};
use crate::error::{StoreError, StoreResult};
use crate::records::{
    EmailTokenPurpose, EmailTokenRecord, MemberRecord, MessageRecord, PushSubscriptionRecord,
    ReactionRecord, RoomRecord, SessionRecord, UploadRecord, UserRecord,
};
use hearth_protocol::dto::{Role, RoomKind};
use hearth_protocol::notifications::NotifyLevel;
use hearth_protocol::{MessageId, RoomId, SessionId, UploadId, UserId};
use sqlx::{ColumnIndex, Decode, Row, Type};
use time::OffsetDateTime;
use uuid::Uuid;

macro_rules! user_columns {
    () => {
        "id, username, display_name, email, password_hash, bio, status_text, time_zone, avatar, \
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

macro_rules! upload_columns {
    () => {
        "id, uploader_id, filename, content_type, size, sha256, width, height, duration_ms, \
         waveform, preview_type, created_at"
    };
}

pub(crate) use {member_columns, room_columns, session_columns, upload_columns, user_columns};

/// A row of either backend, read column by column. Implemented for every
/// `sqlx` row type whose database decodes these values.
pub(crate) trait RecordRow {
    fn id(&self, column: &str) -> StoreResult<Uuid>;
    fn opt_id(&self, column: &str) -> StoreResult<Option<Uuid>>;
    fn text(&self, column: &str) -> StoreResult<String>;
    fn opt_text(&self, column: &str) -> StoreResult<Option<String>>;
    fn int(&self, column: &str) -> StoreResult<i64>;
    fn opt_int(&self, column: &str) -> StoreResult<Option<i64>>;
    fn flag(&self, column: &str) -> StoreResult<bool>;
    fn opt_bytes(&self, column: &str) -> StoreResult<Option<Vec<u8>>>;
    fn time(&self, column: &str) -> StoreResult<OffsetDateTime>;
    fn opt_time(&self, column: &str) -> StoreResult<Option<OffsetDateTime>>;
    fn ids(&self, column: &str) -> StoreResult<Vec<Uuid>>;
}

impl<R> RecordRow for R
where
    R: Row,
    for<'a> &'a str: ColumnIndex<R>,
    for<'r> Uuid: Decode<'r, R::Database> + Type<R::Database>,
    for<'r> String: Decode<'r, R::Database> + Type<R::Database>,
    for<'r> i64: Decode<'r, R::Database> + Type<R::Database>,
    for<'r> bool: Decode<'r, R::Database> + Type<R::Database>,
    for<'r> Vec<u8>: Decode<'r, R::Database> + Type<R::Database>,
    for<'r> Time: Decode<'r, R::Database> + Type<R::Database>,
    for<'r> Ids: Decode<'r, R::Database> + Type<R::Database>,
{
    fn id(&self, column: &str) -> StoreResult<Uuid> {
        Ok(self.try_get(column)?)
    }
    fn opt_id(&self, column: &str) -> StoreResult<Option<Uuid>> {
        Ok(self.try_get(column)?)
    }
    fn text(&self, column: &str) -> StoreResult<String> {
        Ok(self.try_get(column)?)
    }
    fn opt_text(&self, column: &str) -> StoreResult<Option<String>> {
        Ok(self.try_get(column)?)
    }
    fn int(&self, column: &str) -> StoreResult<i64> {
        Ok(self.try_get(column)?)
    }
    fn opt_int(&self, column: &str) -> StoreResult<Option<i64>> {
        Ok(self.try_get(column)?)
    }
    fn flag(&self, column: &str) -> StoreResult<bool> {
        Ok(self.try_get(column)?)
    }
    fn opt_bytes(&self, column: &str) -> StoreResult<Option<Vec<u8>>> {
        Ok(self.try_get(column)?)
    }
    fn time(&self, column: &str) -> StoreResult<OffsetDateTime> {
        Ok(self.try_get::<Time, _>(column)?.0)
    }
    fn opt_time(&self, column: &str) -> StoreResult<Option<OffsetDateTime>> {
        Ok(self.try_get::<Option<Time>, _>(column)?.map(|t| t.0))
    }
    fn ids(&self, column: &str) -> StoreResult<Vec<Uuid>> {
        Ok(self.try_get::<Ids, _>(column)?.0)
    }
}

/// A [`UserRecord`] from columns named as in `user_columns!`, each with
/// `$prefix` in front (for a row that also holds another table's `id`).
macro_rules! user_record {
    ($row:expr, $prefix:literal) => {
        $crate::records::UserRecord {
            id: hearth_protocol::UserId($row.id(concat!($prefix, "id"))?),
            username: $row.text(concat!($prefix, "username"))?,
            display_name: $row.text(concat!($prefix, "display_name"))?,
            email: $row.opt_text(concat!($prefix, "email"))?,
            password_hash: $row.text(concat!($prefix, "password_hash"))?,
            bio: $row.text(concat!($prefix, "bio"))?,
            status_text: $row.text(concat!($prefix, "status_text"))?,
            time_zone: $row.text(concat!($prefix, "time_zone"))?,
            avatar: $row
                .opt_id(concat!($prefix, "avatar"))?
                .map(hearth_protocol::UploadId),
            is_admin: $row.flag(concat!($prefix, "is_admin"))?,
            deactivated: $row.flag(concat!($prefix, "deactivated"))?,
            email_verified: $row.flag(concat!($prefix, "email_verified"))?,
            totp_enabled: $row.flag(concat!($prefix, "totp_enabled"))?,
            dnd_until: $row.opt_time(concat!($prefix, "dnd_until"))?,
            created_at: $row.time(concat!($prefix, "created_at"))?,
        }
    };
}
pub(crate) use user_record;

pub(crate) fn user(row: &impl RecordRow) -> StoreResult<UserRecord> {
    Ok(user_record!(row, ""))
}

pub(crate) fn session(row: &impl RecordRow) -> StoreResult<SessionRecord> {
    Ok(SessionRecord {
        id: SessionId(row.id("id")?),
        user_id: UserId(row.id("user_id")?),
        user_agent: row.text("user_agent")?,
        ip: row.text("ip")?,
        created_at: row.time("created_at")?,
        last_active_at: row.time("last_active_at")?,
        expires_at: row.time("expires_at")?,
        revoked: row.opt_time("revoked_at")?.is_some(),
    })
}

pub(crate) fn room(row: &impl RecordRow) -> StoreResult<RoomRecord> {
    let kind = row.text("kind")?;
    Ok(RoomRecord {
        id: RoomId(row.id("id")?),
        kind: RoomKind::parse(&kind)
            .ok_or_else(|| StoreError::Corrupt(format!("unknown room kind {kind:?}")))?,
        name: row.text("name")?,
        topic: row.text("topic")?,
        description: row.text("description")?,
        avatar: row.opt_id("avatar")?.map(UploadId),
        anonymous_allowed: row.flag("anonymous_allowed")?,
        archived: row.flag("archived")?,
        created_by: UserId(row.id("created_by")?),
        created_at: row.time("created_at")?,
        last_seq: row.int("last_seq")?,
        member_count: row.int("member_count")?,
    })
}

pub(crate) fn member(row: &impl RecordRow) -> StoreResult<MemberRecord> {
    let role = row.text("role")?;
    Ok(MemberRecord {
        room_id: RoomId(row.id("room_id")?),
        user_id: UserId(row.id("user_id")?),
        role: Role::parse(&role)
            .ok_or_else(|| StoreError::Corrupt(format!("unknown role {role:?}")))?,
        joined_at: row.time("joined_at")?,
        read_seq: row.int("read_seq")?,
        delivered_seq: row.int("delivered_seq")?,
        muted: row.flag("muted")?,
        banned: row.flag("banned")?,
        notify_level: row
            .opt_text("notify_level")?
            .map(|l| {
                NotifyLevel::parse(&l)
                    .ok_or_else(|| StoreError::Corrupt(format!("unknown notify level {l:?}")))
            })
            .transpose()?,
    })
}

/// The membership of a row that left-joined `members`: `None` when no row
/// matched (its key is NULL).
pub(crate) fn joined_member(row: &impl RecordRow) -> StoreResult<Option<MemberRecord>> {
    match row.opt_id("user_id")? {
        Some(_) => member(row).map(Some),
        None => Ok(None),
    }
}

/// A message read as its backend's `message_columns!`.
pub(crate) fn message(row: &impl RecordRow) -> StoreResult<MessageRecord> {
    let id = MessageId(row.id("id")?);
    let corrupt =
        |what: &str, e: StoreError| StoreError::Corrupt(format!("{what} of message {id}: {e}"));
    let attachments = row
        .ids("attachments")
        .map_err(|e| corrupt("attachments", e))?;
    let mentions = row.ids("mentions").map_err(|e| corrupt("mentions", e))?;
    Ok(MessageRecord {
        id,
        room_id: RoomId(row.id("room_id")?),
        seq: row.int("seq")?,
        updated_seq: row.int("updated_seq")?,
        sender_id: UserId(row.id("sender_id")?),
        body: row.text("body")?,
        nonce: row.opt_text("nonce")?,
        reply_to: row.opt_id("reply_to")?.map(MessageId),
        mentions: mentions.into_iter().map(UserId).collect(),
        mentions_room: row.flag("mentions_room")?,
        anonymous: row.flag("anonymous")?,
        attachments: attachments.into_iter().map(UploadId).collect(),
        pinned: row.flag("pinned")?,
        created_at: row.time("created_at")?,
        edited_at: row.opt_time("edited_at")?,
        deleted: row.flag("deleted")?,
    })
}

pub(crate) fn upload(row: &impl RecordRow) -> StoreResult<UploadRecord> {
    let id = UploadId(row.id("id")?);
    let dimension = |column: &str| -> StoreResult<Option<u32>> {
        row.opt_int(column)?
            .map(|v| {
                u32::try_from(v)
                    .map_err(|e| StoreError::Corrupt(format!("{column} of upload {id}: {e}")))
            })
            .transpose()
    };
    Ok(UploadRecord {
        id,
        uploader_id: UserId(row.id("uploader_id")?),
        filename: row.text("filename")?,
        content_type: row.text("content_type")?,
        size: row.int("size")?,
        sha256: row.text("sha256")?,
        width: dimension("width")?,
        height: dimension("height")?,
        duration_ms: dimension("duration_ms")?,
        waveform: row.opt_bytes("waveform")?,
        preview_type: row.opt_text("preview_type")?,
        created_at: row.time("created_at")?,
    })
}

pub(crate) fn reaction(row: &impl RecordRow) -> StoreResult<ReactionRecord> {
    Ok(ReactionRecord {
        message_id: MessageId(row.id("message_id")?),
        user_id: UserId(row.id("user_id")?),
        emoji: row.text("emoji")?,
    })
}

pub(crate) fn email_token(row: &impl RecordRow) -> StoreResult<EmailTokenRecord> {
    let purpose = row.text("purpose")?;
    Ok(EmailTokenRecord {
        hash: row.text("hash")?,
        user_id: UserId(row.id("user_id")?),
        purpose: EmailTokenPurpose::parse(&purpose).ok_or_else(|| {
            StoreError::Corrupt(format!("unknown e-mail token purpose {purpose:?}"))
        })?,
        email: row.text("email")?,
        created_at: row.time("created_at")?,
        expires_at: row.time("expires_at")?,
        used: row.opt_time("used_at")?.is_some(),
    })
}

pub(crate) fn push_subscription(row: &impl RecordRow) -> StoreResult<PushSubscriptionRecord> {
    Ok(PushSubscriptionRecord {
        id: row.id("id")?,
        user_id: UserId(row.id("user_id")?),
        session_id: row.opt_id("session_id")?.map(SessionId),
        endpoint: row.text("endpoint")?,
        p256dh: row.text("p256dh")?,
        auth: row.text("auth")?,
        created_at: row.time("created_at")?,
    })
}
