//! The reads SQLite makes in one query where the shared defaults make
//! several: what a gateway connection authenticates with, and what a send
//! checks. Each statement is a round trip to a connection's worker thread,
//! and on a busy server those hand-offs cost more than the reads.

use crate::error::{StoreError, StoreResult};
use crate::records::{SendingContext, SessionRecord, UserRecord};
use crate::sql::rows::{
    self, RecordRow, member_columns, room_columns, session_columns, user_record,
};
use crate::sql::values::parse_ids_json;
use hearth_protocol::{RoomId, SessionId, UserId};
use sqlx::SqlitePool;

/// `user_columns!` renamed with a `u_` prefix, for a row that also holds
/// another table's `id` (read back with `user_record!(row, "u_")`).
macro_rules! prefixed_user_columns {
    () => {
        "id AS u_id, username AS u_username, display_name AS u_display_name, \
         email AS u_email, password_hash AS u_password_hash, bio AS u_bio, \
         status_text AS u_status_text, time_zone AS u_time_zone, avatar AS u_avatar, is_admin AS u_is_admin, \
         deactivated AS u_deactivated, email_verified AS u_email_verified, \
         totp_enabled AS u_totp_enabled, dnd_until AS u_dnd_until, created_at AS u_created_at"
    };
}

/// [`Store::session_with_user`](crate::Store::session_with_user) in one query.
pub(super) async fn session_with_user(
    reader: &SqlitePool,
    id: SessionId,
) -> StoreResult<Option<(SessionRecord, UserRecord)>> {
    let row = sqlx::query(concat!(
        "SELECT ",
        session_columns!(),
        ", u.* FROM sessions JOIN (SELECT ",
        prefixed_user_columns!(),
        " FROM users) AS u ON u.u_id = sessions.user_id WHERE sessions.id = $1"
    ))
    .bind(id.0)
    .fetch_optional(reader)
    .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    Ok(Some((rows::session(&row)?, user_record!(row, "u_"))))
}

/// [`Store::sending_context`](crate::Store::sending_context) in one query.
pub(super) async fn sending_context(
    reader: &SqlitePool,
    room: RoomId,
    user: UserId,
) -> StoreResult<Option<SendingContext>> {
    let row = sqlx::query(concat!(
        "SELECT ",
        room_columns!(),
        ", ",
        member_columns!(),
        ", u.*, \
         (SELECT json_group_array(hex(f.user_id)) FROM members AS f \
          WHERE f.room_id = rooms.id AND f.notify_level = 'all' AND NOT f.banned) AS notify_all \
         FROM rooms LEFT JOIN members ON members.room_id = rooms.id AND members.user_id = $2 \
         LEFT JOIN (SELECT ",
        prefixed_user_columns!(),
        " FROM users WHERE id = $2) AS u WHERE rooms.id = $1"
    ))
    .bind(room.0)
    .bind(user.0)
    .fetch_optional(reader)
    .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let sender = match row.opt_id("u_id")? {
        Some(_) => Some(user_record!(row, "u_")),
        None => None,
    };
    let notify_all = parse_ids_json(&row.text("notify_all")?)
        .map_err(|e| StoreError::Corrupt(format!("members of room {room}: {e}")))?;
    Ok(Some(SendingContext {
        room: rows::room(&row)?,
        member: rows::joined_member(&row)?,
        sender,
        notify_all: notify_all.into_iter().map(UserId).collect(),
    }))
}
