//! Rooms and membership: create, list, discover, join, leave, invite,
//! remove, ban, change roles, edit, archive, read markers.

use crate::app::AppState;
use crate::domain::parse_text;
use crate::error::{ApiError, ApiResult};
use crate::service::permissions::{Action, allows, outranks};
use crate::service::views;
use hearth_protocol::dto::{
    CreateRoomRequest, Member, ReadMarker, Role, Room, RoomKind, UpdateMemberRequest,
    UpdateRoomRequest,
};
use hearth_protocol::gateway::{
    MemberEvent, MemberLeftEvent, NotificationEvent, NotificationKind, PresenceStatus,
    ReceiptEvent, RoomEvent, RoomLeftEvent, ServerEvent,
};
use hearth_protocol::{ErrorCode, RoomId, UserId};
use hearth_store::{
    Inserted, MemberRecord, NewRoom, RoomPatch, RoomRecord, StoreError, UserRecord,
};
use time::OffsetDateTime;

/// Most members a room can be created with in one request.
const MAX_INITIAL_MEMBERS: usize = 256;

/// The caller's standing in a room.
pub struct Access {
    pub room: RoomRecord,
    pub member: MemberRecord,
}

fn room_not_found() -> ApiError {
    ApiError::not_found("room")
}

/// The room, or the "room not found" answer (never a store-level 404).
async fn load_room(state: &AppState, room_id: RoomId) -> ApiResult<RoomRecord> {
    match state.store.room_by_id(room_id).await {
        Ok(r) => Ok(r),
        Err(StoreError::NotFound) => Err(room_not_found()),
        Err(e) => Err(e.into()),
    }
}

/// Loads a room the caller is a member of. A private room the caller is not
/// in answers 404 (its existence does not leak); a public channel answers 403.
pub async fn access(state: &AppState, user: UserId, room_id: RoomId) -> ApiResult<Access> {
    let (room, member) = match state.store.room_with_member(room_id, user).await {
        Ok(found) => found,
        Err(StoreError::NotFound) => return Err(room_not_found()),
        Err(e) => return Err(e.into()),
    };
    standing(room, member)
}

/// The caller's standing from their membership row: a member, or the answer
/// for a banned user or an outsider (see [`access`]).
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

/// `access` plus a permission check for `action`.
pub async fn authorize(
    state: &AppState,
    user: UserId,
    room_id: RoomId,
    action: Action,
) -> ApiResult<Access> {
    let a = access(state, user, room_id).await?;
    require(&a, action)?;
    Ok(a)
}

/// What a send is checked against and tells others, from one store read.
pub struct SendAccess {
    pub access: Access,
    /// `None` when the sender's account is gone.
    pub sender: Option<UserRecord>,
    /// Members (not banned) who get a notification for every message.
    pub notify_all: Vec<UserId>,
}

/// [`authorize`] for [`Action::Post`], read together with what the send
/// goes on to need (see `Store::sending_context`).
pub async fn authorize_send(
    state: &AppState,
    user: UserId,
    room_id: RoomId,
) -> ApiResult<SendAccess> {
    let context = match state.store.sending_context(room_id, user).await {
        Ok(context) => context,
        Err(StoreError::NotFound) => return Err(room_not_found()),
        Err(e) => return Err(e.into()),
    };
    let access = standing(context.room, context.member)?;
    require(&access, Action::Post)?;
    Ok(SendAccess {
        access,
        sender: context.sender,
        notify_all: context.notify_all,
    })
}

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

fn parse_name(raw: Option<&str>) -> ApiResult<String> {
    let name = parse_text(raw.unwrap_or_default(), "name", 80)?;
    if name.is_empty() {
        return Err(ApiError::validation(
            "name: required for groups and channels",
        ));
    }
    Ok(name)
}

/// Creates a room, or for a DM returns the pair's existing one (`false`).
pub async fn create(
    state: &AppState,
    actor: UserId,
    req: CreateRoomRequest,
) -> ApiResult<(Room, bool)> {
    let now = OffsetDateTime::now_utc();
    let mut others: Vec<UserId> = req
        .members
        .iter()
        .copied()
        .filter(|u| *u != actor)
        .collect();
    others.sort_unstable();
    others.dedup();
    if others.len() > MAX_INITIAL_MEMBERS {
        return Err(ApiError::validation(format!(
            "members: at most {MAX_INITIAL_MEMBERS} at creation"
        )));
    }
    let found = state.store.users_by_ids(&others).await?;
    if found.len() != others.len() || found.iter().any(|u| u.deactivated) {
        return Err(ApiError::validation("members: unknown user id"));
    }
    let topic = parse_text(req.topic.as_deref().unwrap_or_default(), "topic", 250)?;
    let description = parse_text(
        req.description.as_deref().unwrap_or_default(),
        "description",
        2000,
    )?;
    let (name, dm_key) = match req.kind {
        RoomKind::Dm => {
            let [peer] = others.as_slice() else {
                return Err(ApiError::validation(
                    "members: a dm has exactly one other member",
                ));
            };
            let (a, b) = if actor < *peer {
                (actor, *peer)
            } else {
                (*peer, actor)
            };
            let key = format!("{a}:{b}");
            if let Some(existing) = state.store.room_by_dm_key(&key).await? {
                return Ok((get(state, actor, existing.id).await?, false));
            }
            (String::new(), Some(key))
        }
        RoomKind::Group | RoomKind::Channel => (parse_name(req.name.as_deref())?, None),
    };
    let mut members = vec![(
        actor,
        if req.kind == RoomKind::Dm {
            Role::Member
        } else {
            Role::Owner
        },
    )];
    members.extend(others.iter().map(|u| (*u, Role::Member)));
    let new = NewRoom {
        id: RoomId::new(),
        kind: req.kind,
        name,
        topic,
        description,
        anonymous_allowed: req.anonymous_allowed && req.kind != RoomKind::Dm,
        created_by: actor,
        created_at: now,
        dm_key: dm_key.clone(),
    };
    let room = match state.store.create_room(new, &members).await {
        Ok(r) => r,
        // Two first messages to the same person raced: the other one won.
        Err(StoreError::Conflict(_)) if dm_key.is_some() => {
            let key = dm_key.unwrap_or_default();
            let existing = state
                .store
                .room_by_dm_key(&key)
                .await?
                .ok_or_else(room_not_found)?;
            return Ok((get(state, actor, existing.id).await?, false));
        }
        Err(e) => return Err(e.into()),
    };
    let dto = get(state, actor, room.id).await?;
    // Each member gets the room as they see it (role, peer, counters).
    for (user, _) in &members {
        let theirs = if *user == actor {
            dto.clone()
        } else {
            get(state, *user, room.id).await?
        };
        state.events.to_users(
            vec![*user],
            ServerEvent::RoomJoined(Box::new(RoomEvent { room: theirs })),
        );
    }
    let added: Vec<UserId> = others.clone();
    if room.kind != RoomKind::Dm {
        state.events.to_users(
            added,
            ServerEvent::Notification(Box::new(NotificationEvent {
                kind: NotificationKind::AddedToRoom,
                room_id: room.id,
                message: None,
            })),
        );
    }
    Ok((dto, true))
}

/// One room as the caller sees it. Public channels can be previewed by
/// non-members; private rooms are 404 to them.
pub async fn get(state: &AppState, user: UserId, room_id: RoomId) -> ApiResult<Room> {
    let room = load_room(state, room_id).await?;
    let member = state.store.member(room_id, user).await?;
    let visible = room.kind == RoomKind::Channel || member.as_ref().is_some_and(|m| !m.banned);
    if !visible {
        return Err(room_not_found());
    }
    views::room(state, &room, member.as_ref(), user).await
}

pub async fn list_mine(state: &AppState, user: UserId) -> ApiResult<Vec<Room>> {
    let entries = state.store.rooms_for_user(user).await?;
    let mut out = Vec::with_capacity(entries.len());
    for e in &entries {
        out.push(views::room_list_entry(state, e, user).await?);
    }
    Ok(out)
}

pub async fn discover_channels(state: &AppState, user: UserId, q: &str) -> ApiResult<Vec<Room>> {
    if q.chars().count() > 80 {
        return Err(ApiError::validation("q: at most 80 characters"));
    }
    let rooms = state.store.search_channels(q.trim(), 50).await?;
    let mut out = Vec::with_capacity(rooms.len());
    for r in &rooms {
        let member = state.store.member(r.id, user).await?;
        out.push(views::room_from(r, member.as_ref(), None, 0, 0, None));
    }
    Ok(out)
}

pub async fn update(
    state: &AppState,
    actor: UserId,
    room_id: RoomId,
    req: UpdateRoomRequest,
) -> ApiResult<Room> {
    let a = authorize(state, actor, room_id, Action::EditRoom).await?;
    let patch = RoomPatch {
        name: match req.name.as_deref() {
            Some(n) if a.room.kind != RoomKind::Dm => Some(parse_name(Some(n))?),
            Some(_) => return Err(ApiError::validation("name: a dm has no name")),
            None => None,
        },
        topic: req
            .topic
            .as_deref()
            .map(|t| parse_text(t, "topic", 250))
            .transpose()?,
        description: req
            .description
            .as_deref()
            .map(|d| parse_text(d, "description", 2000))
            .transpose()?,
        anonymous_allowed: req.anonymous_allowed,
        archived: None,
        avatar: match req.avatar {
            Some(Some(upload)) => Some(Some(
                crate::media::check_own_image(state, actor, upload).await?,
            )),
            Some(None) => Some(None),
            None => None,
        },
    };
    let room = state.store.update_room(room_id, patch).await?;
    announce_room_update(state, &room);
    get(state, actor, room_id).await
}

/// Archives the room: it stays readable, and nothing can be posted.
pub async fn archive(state: &AppState, actor: UserId, room_id: RoomId) -> ApiResult<Room> {
    authorize(state, actor, room_id, Action::Archive).await?;
    let room = state
        .store
        .update_room(
            room_id,
            RoomPatch {
                archived: Some(true),
                ..RoomPatch::default()
            },
        )
        .await?;
    announce_room_update(state, &room);
    get(state, actor, room_id).await
}

/// A room.updated frame shared by all members (no per-member counters).
fn announce_room_update(state: &AppState, room: &RoomRecord) {
    let dto = views::room_from(room, None, None, 0, 0, None);
    state.events.to_room(
        room.id,
        ServerEvent::RoomUpdated(Box::new(RoomEvent { room: dto })),
    );
}

pub async fn join(state: &AppState, user: UserId, room_id: RoomId) -> ApiResult<Room> {
    let room = load_room(state, room_id).await?;
    let existing = state.store.member(room_id, user).await?;
    match (&existing, room.kind) {
        (Some(m), _) if m.banned => {
            return Err(if room.kind == RoomKind::Channel {
                ApiError::new(ErrorCode::Banned, "you are banned from this channel")
            } else {
                room_not_found()
            });
        }
        (Some(_), _) => return get(state, user, room_id).await,
        (None, RoomKind::Channel) => {}
        (None, _) => return Err(room_not_found()),
    }
    if room.archived {
        return Err(ApiError::new(
            ErrorCode::RoomArchived,
            "this channel is archived",
        ));
    }
    add_member_and_announce(state, room_id, user, Role::Member).await?;
    get(state, user, room_id).await
}

async fn add_member_and_announce(
    state: &AppState,
    room_id: RoomId,
    user: UserId,
    role: Role,
) -> ApiResult<Option<Member>> {
    let inserted = state
        .store
        .add_member(room_id, user, role, OffsetDateTime::now_utc())
        .await?;
    let Inserted::Created(rec) = inserted else {
        return Ok(None);
    };
    let user_rec = state.store.user_by_id(user).await?;
    let member = views::member(&rec, &user_rec);
    // The hub adds the user to the room's audience before delivering this.
    state.events.to_room(
        room_id,
        ServerEvent::MemberJoined(Box::new(MemberEvent {
            room_id,
            member: member.clone(),
        })),
    );
    let room = get(state, user, room_id).await?;
    state.events.to_users(
        vec![user],
        ServerEvent::RoomJoined(Box::new(RoomEvent { room })),
    );
    Ok(Some(member))
}

pub async fn leave(state: &AppState, user: UserId, room_id: RoomId) -> ApiResult<()> {
    let a = access(state, user, room_id).await?;
    require(&a, Action::Leave)?;
    state.store.remove_member(room_id, user).await?;
    announce_removal(state, room_id, user, false);
    Ok(())
}

/// A deleted account leaves every group and channel, so it is no longer
/// listed among their members; DMs keep it (the conversation stays, shown
/// with "deleted user"). Returns how many rooms it left.
pub async fn leave_all_for_deletion(state: &AppState, user: UserId) -> ApiResult<usize> {
    // The counters-only read: the room kinds are all this needs.
    let rooms = state.store.room_counts_for_user(user).await?;
    let mut left = 0;
    for entry in rooms.iter().filter(|e| e.room.kind != RoomKind::Dm) {
        match state.store.remove_member(entry.room.id, user).await {
            Ok(()) => {
                announce_removal(state, entry.room.id, user, false);
                left += 1;
            }
            // Left or removed meanwhile.
            Err(StoreError::NotFound) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(left)
}

fn announce_removal(state: &AppState, room_id: RoomId, user: UserId, banned: bool) {
    state.events.to_room(
        room_id,
        ServerEvent::MemberLeft(MemberLeftEvent {
            room_id,
            user_id: user,
            banned,
        }),
    );
    // Sent to the user even though the hub already dropped them from the room.
    state
        .events
        .to_users(vec![user], ServerEvent::RoomLeft(RoomLeftEvent { room_id }));
}

/// The room's members, each with their presence now (cluster-wide): the
/// way to see presence in rooms too big to carry presence events.
pub async fn members(state: &AppState, user: UserId, room_id: RoomId) -> ApiResult<Vec<Member>> {
    authorize(state, user, room_id, Action::Read).await?;
    let rows = state.store.members(room_id).await?;
    let ids: Vec<UserId> = rows.iter().map(|m| m.user_id).collect();
    let users: std::collections::HashMap<UserId, _> = state
        .store
        .users_by_ids(&ids)
        .await?
        .into_iter()
        .map(|u| (u.id, u))
        .collect();
    let present: std::collections::HashMap<UserId, PresenceStatus> = state
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
    state: &AppState,
    actor: UserId,
    room_id: RoomId,
    user_ids: Vec<UserId>,
) -> ApiResult<Vec<Member>> {
    let a = authorize(state, actor, room_id, Action::Invite).await?;
    if user_ids.is_empty() || user_ids.len() > 100 {
        return Err(ApiError::validation("user_ids: 1 to 100 user ids"));
    }
    let mut ids = user_ids;
    ids.sort_unstable();
    ids.dedup();
    let found = state.store.users_by_ids(&ids).await?;
    if found.len() != ids.len() || found.iter().any(|u| u.deactivated) {
        return Err(ApiError::validation("user_ids: unknown user id"));
    }
    let mut added = Vec::new();
    for user in ids {
        if let Some(existing) = state.store.member(room_id, user).await?
            && existing.banned
        {
            require(&a, Action::Ban)?;
        }
        if let Some(m) = add_member_and_announce(state, room_id, user, Role::Member).await? {
            state.events.to_users(
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
    state: &AppState,
    actor: UserId,
    room_id: RoomId,
    target: UserId,
    req: UpdateMemberRequest,
) -> ApiResult<Member> {
    let a = access(state, actor, room_id).await?;
    let target_rec = match state.store.member(room_id, target).await? {
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
    let rec = state
        .store
        .update_member(room_id, target, req.role, req.muted)
        .await?;
    let user = state.store.user_by_id(target).await?;
    let member = views::member(&rec, &user);
    state.events.to_room(
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
    state: &AppState,
    actor: UserId,
    room_id: RoomId,
    target: UserId,
    ban: bool,
) -> ApiResult<()> {
    if target == actor && !ban {
        return leave(state, actor, room_id).await;
    }
    let a = access(state, actor, room_id).await?;
    require(&a, if ban { Action::Ban } else { Action::Kick })?;
    let target_rec = state.store.member(room_id, target).await?;
    match &target_rec {
        Some(t) if !t.banned && !outranks(a.member.role, t.role) => {
            return Err(ApiError::forbidden("you can only remove members below you"));
        }
        Some(t) if t.banned && ban => return Ok(()),
        None if !ban => return Err(ApiError::not_found("member")),
        _ => {}
    }
    if ban {
        state
            .store
            .ban_member(room_id, target, OffsetDateTime::now_utc())
            .await?;
    } else {
        state.store.remove_member(room_id, target).await?;
    }
    if target_rec.is_some_and(|t| !t.banned) {
        announce_removal(state, room_id, target, ban);
    }
    Ok(())
}

pub async fn mark_read(
    state: &AppState,
    user: UserId,
    room_id: RoomId,
    seq: i64,
) -> ApiResult<ReadMarker> {
    if seq < 0 {
        return Err(ApiError::validation("seq: must not be negative"));
    }
    authorize(state, user, room_id, Action::Read).await?;
    let before = state
        .store
        .member(room_id, user)
        .await?
        .map_or(0, |m| m.read_seq);
    let read_seq = state.store.set_read_seq(room_id, user, seq).await?;
    let (unread, mention_count) = state.store.unread_counts(room_id, user).await?;
    if read_seq > before {
        state.events.to_room(
            room_id,
            ServerEvent::Read(ReceiptEvent {
                room_id,
                user_id: user,
                seq: read_seq,
            }),
        );
    }
    Ok(ReadMarker {
        room_id,
        read_seq,
        unread,
        mention_count,
    })
}

pub async fn mark_delivered(
    state: &AppState,
    user: UserId,
    room_id: RoomId,
    seq: i64,
) -> ApiResult<i64> {
    if seq < 0 {
        return Err(ApiError::validation("seq: must not be negative"));
    }
    let a = authorize(state, user, room_id, Action::Read).await?;
    if seq <= a.member.delivered_seq {
        return Ok(a.member.delivered_seq);
    }
    let delivered = state.store.set_delivered_seq(room_id, user, seq).await?;
    if delivered > a.member.delivered_seq {
        state.events.to_room(
            room_id,
            ServerEvent::Delivered(ReceiptEvent {
                room_id,
                user_id: user,
                seq: delivered,
            }),
        );
    }
    Ok(delivered)
}
