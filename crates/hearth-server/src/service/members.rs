//! Membership: join a channel, leave, add members, change a member's role
//! or mute, remove or ban, and the member list with presence.

use crate::error::{ApiError, ApiResult};
use crate::events::Events;
use crate::service::access::{RoomAccess, require, room_not_found};
use crate::service::permissions::{Action, outranks};
use crate::service::presence::Presence;
use crate::service::rooms::RoomService;
use crate::service::views;
use hearth_protocol::dto::{Member, Role, Room, RoomKind, UpdateMemberRequest, User};
use hearth_protocol::gateway::{
    MemberEvent, MemberLeftEvent, NotificationEvent, NotificationKind, PresenceStatus, RoomEvent,
    RoomLeftEvent, ServerEvent, UserEvent,
};
use hearth_protocol::{ErrorCode, RoomId, UserId};
use hearth_store::{Inserted, Store, StoreError};
use std::sync::Arc;
use time::OffsetDateTime;

#[derive(Clone)]
pub struct MemberService {
    store: Arc<dyn Store>,
    events: Events,
    access: RoomAccess,
    rooms: RoomService,
    presence: Arc<Presence>,
}

impl MemberService {
    pub fn new(
        store: Arc<dyn Store>,
        events: Events,
        access: RoomAccess,
        rooms: RoomService,
        presence: Arc<Presence>,
    ) -> Self {
        Self {
            store,
            events,
            access,
            rooms,
            presence,
        }
    }

    /// The status of each of `users` now (cluster-wide), offline when unknown.
    pub async fn presence_of(&self, users: &[UserId]) -> Vec<PresenceStatus> {
        let found = self.presence.snapshot_everywhere(users).await;
        users
            .iter()
            .map(|u| {
                found
                    .iter()
                    .find(|p| p.user_id == *u)
                    .map_or(PresenceStatus::Offline, |p| p.status)
            })
            .collect()
    }

    /// Tells everyone who can see `user` (sharing any room with them) and
    /// their own sessions that their public profile changed.
    pub async fn announce_profile(&self, user: User) -> ApiResult<()> {
        let mut audience = self.store.users_sharing_rooms(user.id, i64::MAX).await?;
        audience.push(user.id);
        audience.sort_unstable();
        audience.dedup();
        self.events.to_users(
            audience,
            ServerEvent::UserUpdated(Box::new(UserEvent { user })),
        );
        Ok(())
    }

    pub async fn join(&self, user: UserId, room_id: RoomId) -> ApiResult<Room> {
        let room = self.access.load_room(room_id).await?;
        let existing = self.store.member(room_id, user).await?;
        match (&existing, room.kind) {
            (Some(m), _) if m.banned => {
                return Err(if room.kind == RoomKind::Channel {
                    ApiError::new(ErrorCode::Banned, "you are banned from this channel")
                } else {
                    room_not_found()
                });
            }
            (Some(_), _) => return self.rooms.get(user, room_id).await,
            (None, RoomKind::Channel) => {}
            (None, _) => return Err(room_not_found()),
        }
        if room.archived {
            return Err(ApiError::new(
                ErrorCode::RoomArchived,
                "this channel is archived",
            ));
        }
        self.add_member_and_announce(room_id, user, Role::Member)
            .await?;
        self.rooms.get(user, room_id).await
    }

    async fn add_member_and_announce(
        &self,
        room_id: RoomId,
        user: UserId,
        role: Role,
    ) -> ApiResult<Option<Member>> {
        let inserted = self
            .store
            .add_member(room_id, user, role, OffsetDateTime::now_utc())
            .await?;
        let Inserted::Created(rec) = inserted else {
            return Ok(None);
        };
        let user_rec = self
            .store
            .user_by_id(user)
            .await?
            .ok_or_else(|| ApiError::not_found("user"))?;
        let member = views::member(&rec, &user_rec);
        // The hub adds the user to the room's audience before delivering this.
        self.events.to_room(
            room_id,
            ServerEvent::MemberJoined(Box::new(MemberEvent {
                room_id,
                member: member.clone(),
            })),
        );
        let room = self.rooms.get(user, room_id).await?;
        self.events.to_users(
            vec![user],
            ServerEvent::RoomJoined(Box::new(RoomEvent { room })),
        );
        Ok(Some(member))
    }

    pub async fn leave(&self, user: UserId, room_id: RoomId) -> ApiResult<()> {
        let a = self.access.access(user, room_id).await?;
        require(&a, Action::Leave)?;
        self.store.remove_member(room_id, user).await?;
        self.announce_removal(room_id, user, false);
        Ok(())
    }

    /// A deleted account leaves every group and channel, so it is no longer
    /// listed among their members; DMs keep it (the conversation stays, shown
    /// with "deleted user"). Returns how many rooms it left.
    pub async fn leave_all_for_deletion(&self, user: UserId) -> ApiResult<usize> {
        // The counters-only read: the room kinds are all this needs.
        let rooms = self.store.room_counts_for_user(user).await?;
        let mut left = 0;
        for entry in rooms.iter().filter(|e| e.room.kind != RoomKind::Dm) {
            match self.store.remove_member(entry.room.id, user).await {
                Ok(()) => {
                    self.announce_removal(entry.room.id, user, false);
                    left += 1;
                }
                // Left or removed meanwhile.
                Err(StoreError::NotFound(_)) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(left)
    }

    fn announce_removal(&self, room_id: RoomId, user: UserId, banned: bool) {
        self.events.to_room(
            room_id,
            ServerEvent::MemberLeft(MemberLeftEvent {
                room_id,
                user_id: user,
                banned,
            }),
        );
        // Sent to the user even though the hub already dropped them from the room.
        self.events
            .to_users(vec![user], ServerEvent::RoomLeft(RoomLeftEvent { room_id }));
    }

    /// The room's members, each with their presence now (cluster-wide): the
    /// way to see presence in rooms too big to carry presence events.
    pub async fn members(&self, user: UserId, room_id: RoomId) -> ApiResult<Vec<Member>> {
        self.access.authorize(user, room_id, Action::Read).await?;
        let rows = self.store.members(room_id).await?;
        let ids: Vec<UserId> = rows.iter().map(|m| m.user_id).collect();
        let users: std::collections::HashMap<UserId, _> = self
            .store
            .users_by_ids(&ids)
            .await?
            .into_iter()
            .map(|u| (u.id, u))
            .collect();
        let present: std::collections::HashMap<UserId, PresenceStatus> = self
            .presence
            .snapshot_everywhere(&ids)
            .await
            .into_iter()
            .map(|p| (p.user_id, p.status))
            .collect();
        Ok(rows
            .iter()
            .filter_map(|m| {
                let mut member = views::member(m, users.get(&m.user_id)?);
                member.presence = Some(
                    present
                        .get(&m.user_id)
                        .copied()
                        .unwrap_or(PresenceStatus::Offline),
                );
                Some(member)
            })
            .collect())
    }

    /// Adds users to a group or channel. A banned user can only be re-added by
    /// someone allowed to ban (which lifts the ban).
    pub async fn add_members(
        &self,
        actor: UserId,
        room_id: RoomId,
        user_ids: Vec<UserId>,
    ) -> ApiResult<Vec<Member>> {
        let a = self
            .access
            .authorize(actor, room_id, Action::Invite)
            .await?;
        if user_ids.is_empty() || user_ids.len() > 100 {
            return Err(ApiError::validation("user_ids: 1 to 100 user ids"));
        }
        let mut ids = user_ids;
        ids.sort_unstable();
        ids.dedup();
        let found = self.store.users_by_ids(&ids).await?;
        if found.len() != ids.len() || found.iter().any(|u| u.deactivated) {
            return Err(ApiError::validation("user_ids: unknown user id"));
        }
        let mut added = Vec::new();
        for user in ids {
            if let Some(existing) = self.store.member(room_id, user).await?
                && existing.banned
            {
                require(&a, Action::Ban)?;
            }
            if let Some(m) = self
                .add_member_and_announce(room_id, user, Role::Member)
                .await?
            {
                self.events.to_users(
                    vec![user],
                    ServerEvent::Notification(Box::new(NotificationEvent {
                        kind: NotificationKind::AddedToRoom,
                        room_id,
                        message: None,
                    })),
                );
                added.push(m);
            }
        }
        Ok(added)
    }

    /// Changes a member's role or mute. Needs the matching permission and to
    /// outrank the target; nobody can grant a role above their own.
    pub async fn update_member(
        &self,
        actor: UserId,
        room_id: RoomId,
        target: UserId,
        req: UpdateMemberRequest,
    ) -> ApiResult<Member> {
        let a = self.access.moderating(actor, room_id).await?;
        let target_rec = match self.store.member(room_id, target).await? {
            Some(m) if !m.banned => m,
            _ => return Err(ApiError::not_found("member")),
        };
        if req.role.is_none() && req.muted.is_none() {
            return Err(ApiError::validation(
                "nothing to change: give role or muted",
            ));
        }
        if let Some(role) = req.role {
            require(&a, Action::ChangeRole)?;
            if target == actor && a.member.role != Role::Owner {
                return Err(ApiError::forbidden("you cannot change your own role"));
            }
            if target != actor && !outranks(a.member.role, target_rec.role) {
                return Err(ApiError::forbidden(
                    "you can only change the role of members below you",
                ));
            }
            if role > a.member.role {
                return Err(ApiError::forbidden(
                    "you cannot grant a role above your own",
                ));
            }
        }
        if req.muted.is_some() {
            require(&a, Action::Mute)?;
            if !outranks(a.member.role, target_rec.role) {
                return Err(ApiError::forbidden("you can only mute members below you"));
            }
        }
        let rec = self
            .store
            .update_member(room_id, target, req.role, req.muted)
            .await?;
        let user = self
            .store
            .user_by_id(target)
            .await?
            .ok_or_else(|| ApiError::not_found("user"))?;
        let member = views::member(&rec, &user);
        self.events.to_room(
            room_id,
            ServerEvent::MemberUpdated(Box::new(MemberEvent {
                room_id,
                member: member.clone(),
            })),
        );
        Ok(member)
    }

    /// Removes (and optionally bans) a member; removing yourself is leaving.
    pub async fn remove_member(
        &self,
        actor: UserId,
        room_id: RoomId,
        target: UserId,
        ban: bool,
    ) -> ApiResult<()> {
        if target == actor && !ban {
            return self.leave(actor, room_id).await;
        }
        let a = self.access.moderating(actor, room_id).await?;
        require(&a, if ban { Action::Ban } else { Action::Kick })?;
        let target_rec = self.store.member(room_id, target).await?;
        match &target_rec {
            Some(t) if !t.banned && !outranks(a.member.role, t.role) => {
                return Err(ApiError::forbidden("you can only remove members below you"));
            }
            Some(t) if t.banned && ban => return Ok(()),
            None if !ban => return Err(ApiError::not_found("member")),
            _ => {}
        }
        if ban {
            self.store
                .ban_member(room_id, target, OffsetDateTime::now_utc())
                .await?;
        } else {
            self.store.remove_member(room_id, target).await?;
        }
        if target_rec.is_some_and(|t| !t.banned) {
            self.announce_removal(room_id, target, ban);
        }
        Ok(())
    }
}
