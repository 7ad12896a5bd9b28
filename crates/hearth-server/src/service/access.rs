//! Room access: the caller's standing in a room (member, banned, outsider)
//! and whether their role allows an action there. Every room-scoped rule
//! of the other services starts here.

use crate::error::{ApiError, ApiResult};
use crate::service::permissions::{Action, allows};
use hearth_protocol::dto::{Role, RoomKind};
use hearth_protocol::{ErrorCode, RoomId, UserId};
use hearth_store::{MemberRecord, RoomRecord, Store, UserRecord};
use std::sync::Arc;

/// The caller's standing in a room.
pub struct Access {
    pub room: RoomRecord,
    pub member: MemberRecord,
}

/// What a send is checked against and tells others, from one store read.
pub struct SendAccess {
    pub access: Access,
    /// `None` when the sender's account is gone.
    pub sender: Option<UserRecord>,
    /// Members (not banned) who get a notification for every message.
    pub notify_all: Vec<UserId>,
}

/// Answers "may this user do this in this room".
#[derive(Clone)]
pub struct RoomAccess {
    store: Arc<dyn Store>,
}

impl RoomAccess {
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self { store }
    }

    /// The room, or the "room not found" answer (never a store-level 404).
    pub async fn load_room(&self, room_id: RoomId) -> ApiResult<RoomRecord> {
        self.store
            .room_by_id(room_id)
            .await?
            .ok_or_else(room_not_found)
    }

    /// Loads a room the caller is a member of. A private room the caller is
    /// not in answers 404 (its existence does not leak); a public channel
    /// answers 403.
    pub async fn access(&self, user: UserId, room_id: RoomId) -> ApiResult<Access> {
        let (room, member) = self
            .store
            .room_with_member(room_id, user)
            .await?
            .ok_or_else(room_not_found)?;
        standing(room, member)
    }

    /// [`RoomAccess::access`] plus a permission check for `action`. A server
    /// administrator whose room role falls short acts as the room's owner
    /// (see [`RoomAccess::moderating`]).
    pub async fn authorize(
        &self,
        user: UserId,
        room_id: RoomId,
        action: Action,
    ) -> ApiResult<Access> {
        let mut a = self.access(user, room_id).await?;
        if let Err(refused) = require(&a, action) {
            if !self.elevate_server_admin(&mut a).await? {
                return Err(refused);
            }
            require(&a, action)?;
        }
        Ok(a)
    }

    /// [`RoomAccess::access`] for moderating members (kick, ban, mute, roles):
    /// a server administrator moderates every group and channel they are
    /// in as its owner would, whatever their role there.
    pub async fn moderating(&self, user: UserId, room_id: RoomId) -> ApiResult<Access> {
        let mut a = self.access(user, room_id).await?;
        self.elevate_server_admin(&mut a).await?;
        Ok(a)
    }

    /// Raises `a` to owner if its user is an active server administrator and
    /// the room is not a DM; whether it did. One user read, only for callers
    /// below owner.
    async fn elevate_server_admin(&self, a: &mut Access) -> ApiResult<bool> {
        if a.room.kind == RoomKind::Dm || a.member.role == Role::Owner {
            return Ok(false);
        }
        let admin = self
            .store
            .user_by_id(a.member.user_id)
            .await?
            .is_some_and(|u| u.is_admin && !u.deactivated);
        if admin {
            a.member.role = Role::Owner;
        }
        Ok(admin)
    }

    /// [`RoomAccess::authorize`] for [`Action::Post`], read together with
    /// what the send goes on to need (see `Store::sending_context`).
    pub async fn authorize_send(&self, user: UserId, room_id: RoomId) -> ApiResult<SendAccess> {
        let context = self
            .store
            .sending_context(room_id, user)
            .await?
            .ok_or_else(room_not_found)?;
        // A deactivated (or deleted) account never posts, even with an
        // access token its deactivation has not reached yet.
        if context.sender.as_ref().is_none_or(|u| u.deactivated) {
            return Err(ApiError::unauthorized());
        }
        let access = standing(context.room, context.member)?;
        require(&access, Action::Post)?;
        Ok(SendAccess {
            access,
            sender: context.sender,
            notify_all: context.notify_all,
        })
    }
}

pub fn room_not_found() -> ApiError {
    ApiError::not_found("room")
}

/// The caller's standing from their membership row: a member, or the answer
/// for a banned user or an outsider (see [`RoomAccess::access`]).
fn standing(room: RoomRecord, member: Option<MemberRecord>) -> ApiResult<Access> {
    match member {
        Some(m) if !m.banned => Ok(Access { room, member: m }),
        Some(_) if room.kind == RoomKind::Channel => Err(ApiError::new(
            ErrorCode::Banned,
            "you are banned from this channel",
        )),
        _ if room.kind == RoomKind::Channel => Err(ApiError::forbidden("join this channel first")),
        _ => Err(room_not_found()),
    }
}

/// Whether the caller's role allows `action` (and the room is not archived,
/// for anything that writes).
pub fn require(a: &Access, action: Action) -> ApiResult<()> {
    let writes = !matches!(action, Action::Read | Action::Leave);
    if writes && a.room.archived {
        return Err(ApiError::new(
            ErrorCode::RoomArchived,
            "this room is archived and read-only",
        ));
    }
    if allows(a.member.role, action, a.room.kind, a.room.anonymous_allowed) {
        Ok(())
    } else {
        Err(ApiError::forbidden(format!(
            "your role in this room does not allow this ({action:?})"
        )))
    }
}
