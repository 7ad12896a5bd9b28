//! Rooms: create (a DM is found again rather than made twice), read one
//! or the caller's list, discover channels, edit, archive.

use crate::domain::{RoomName, bounded_text};
use crate::error::{ApiError, ApiResult};
use crate::events::Events;
use crate::service::access::{RoomAccess, room_not_found};
use crate::service::permissions::Action;
use crate::service::uploads::UploadAccess;
use crate::service::views::{self, Views};
use hearth_protocol::dto::{CreateRoomRequest, Role, Room, RoomKind, UpdateRoomRequest};
use hearth_protocol::gateway::{NotificationEvent, NotificationKind, RoomEvent, ServerEvent};
use hearth_protocol::{ErrorCode, RoomId, UserId};
use hearth_store::{NewRoom, RoomPatch, RoomRecord, Store, StoreError};
use std::sync::Arc;
use time::OffsetDateTime;

/// Most members a room can be created with in one request.
const MAX_INITIAL_MEMBERS: usize = 256;

#[derive(Clone)]
pub struct RoomService {
    store: Arc<dyn Store>,
    events: Events,
    access: RoomAccess,
    views: Views,
    uploads: UploadAccess,
}

impl RoomService {
    pub fn new(
        store: Arc<dyn Store>,
        events: Events,
        access: RoomAccess,
        views: Views,
        uploads: UploadAccess,
    ) -> Self {
        Self {
            store,
            events,
            access,
            views,
            uploads,
        }
    }

    /// Creates a room, or for a DM returns the pair's existing one (`false`).
    pub async fn create(&self, actor: UserId, req: CreateRoomRequest) -> ApiResult<(Room, bool)> {
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
        let found = self.store.users_by_ids(&others).await?;
        if found.len() != others.len() || found.iter().any(|u| u.deactivated) {
            return Err(ApiError::validation("members: unknown user id"));
        }
        let topic = bounded_text(req.topic.as_deref().unwrap_or_default(), "topic", 250)?;
        let description = bounded_text(
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
                if let Some(existing) = self.store.room_by_dm_key(&key).await? {
                    return Ok((self.get(actor, existing.id).await?, false));
                }
                (String::new(), Some(key))
            }
            RoomKind::Group | RoomKind::Channel => (
                RoomName::parse(req.name.as_deref().unwrap_or_default())?.into_inner(),
                None,
            ),
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
        let room = match self.store.create_room(new, &members).await {
            Ok(r) => r,
            // Two first messages to the same person raced: the other one won.
            Err(StoreError::Conflict(_)) if dm_key.is_some() => {
                let key = dm_key.unwrap_or_default();
                let existing = self
                    .store
                    .room_by_dm_key(&key)
                    .await?
                    .ok_or_else(room_not_found)?;
                return Ok((self.get(actor, existing.id).await?, false));
            }
            Err(e) => return Err(channel_name_taken(e, &name_of(&req))),
        };
        let dto = self.get(actor, room.id).await?;
        // Each member gets the room as they see it (role, peer, counters).
        for (user, _) in &members {
            let theirs = if *user == actor {
                dto.clone()
            } else {
                self.get(*user, room.id).await?
            };
            self.events.to_users(
                vec![*user],
                ServerEvent::RoomJoined(Box::new(RoomEvent { room: theirs })),
            );
        }
        let added: Vec<UserId> = others.clone();
        if room.kind != RoomKind::Dm {
            self.events.to_users(
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
    pub async fn get(&self, user: UserId, room_id: RoomId) -> ApiResult<Room> {
        let room = self.access.load_room(room_id).await?;
        let member = self.store.member(room_id, user).await?;
        let visible = room.kind == RoomKind::Channel || member.as_ref().is_some_and(|m| !m.banned);
        if !visible {
            return Err(room_not_found());
        }
        self.views.room(&room, member.as_ref(), user).await
    }

    pub async fn list_mine(&self, user: UserId) -> ApiResult<Vec<Room>> {
        let entries = self.store.rooms_for_user(user).await?;
        let mut out = Vec::with_capacity(entries.len());
        for e in &entries {
            out.push(self.views.room_list_entry(e, user).await?);
        }
        Ok(out)
    }

    pub async fn discover_channels(&self, user: UserId, q: &str) -> ApiResult<Vec<Room>> {
        if q.chars().count() > 80 {
            return Err(ApiError::validation("q: at most 80 characters"));
        }
        let rooms = self.store.search_channels(q.trim(), 50).await?;
        let mut out = Vec::with_capacity(rooms.len());
        for r in &rooms {
            let member = self.store.member(r.id, user).await?;
            out.push(views::room_from(r, member.as_ref(), None, 0, 0, None));
        }
        Ok(out)
    }

    pub async fn update(
        &self,
        actor: UserId,
        room_id: RoomId,
        req: UpdateRoomRequest,
    ) -> ApiResult<Room> {
        let a = self
            .access
            .authorize(actor, room_id, Action::EditRoom)
            .await?;
        let wanted_name = req.name.clone().unwrap_or_default();
        let patch = RoomPatch {
            name: match req.name.as_deref() {
                Some(n) if a.room.kind != RoomKind::Dm => Some(RoomName::parse(n)?.into_inner()),
                Some(_) => return Err(ApiError::validation("name: a dm has no name")),
                None => None,
            },
            topic: req
                .topic
                .as_deref()
                .map(|t| bounded_text(t, "topic", 250))
                .transpose()?,
            description: req
                .description
                .as_deref()
                .map(|d| bounded_text(d, "description", 2000))
                .transpose()?,
            anonymous_allowed: req.anonymous_allowed,
            archived: None,
            avatar: match req.avatar {
                Some(Some(upload)) => {
                    Some(Some(self.uploads.check_own_image(actor, upload).await?))
                }
                Some(None) => Some(None),
                None => None,
            },
        };
        let room = self
            .store
            .update_room(room_id, patch)
            .await
            .map_err(|e| channel_name_taken(e, &wanted_name))?;
        self.announce_room_update(&room);
        self.get(actor, room_id).await
    }

    /// Archives the room: it stays readable, and nothing can be posted.
    pub async fn archive(&self, actor: UserId, room_id: RoomId) -> ApiResult<Room> {
        self.access
            .authorize(actor, room_id, Action::Archive)
            .await?;
        let room = self
            .store
            .update_room(
                room_id,
                RoomPatch {
                    archived: Some(true),
                    ..RoomPatch::default()
                },
            )
            .await?;
        self.announce_room_update(&room);
        self.get(actor, room_id).await
    }

    /// A room.updated frame shared by all members (no per-member counters).
    fn announce_room_update(&self, room: &RoomRecord) {
        let dto = views::room_from(room, None, None, 0, 0, None);
        self.events.to_room(
            room.id,
            ServerEvent::RoomUpdated(Box::new(RoomEvent { room: dto })),
        );
    }
}

fn name_of(req: &CreateRoomRequest) -> String {
    req.name.as_deref().unwrap_or_default().trim().to_owned()
}

/// A store conflict on the channel-name index, as the 409 a person can act on.
fn channel_name_taken(e: StoreError, name: &str) -> ApiError {
    match e {
        StoreError::Conflict("channel name") => ApiError::new(
            ErrorCode::Conflict,
            format!(
                "A channel named #{} already exists. Channel names are unique (ignoring case): pick another one, or join that channel.",
                name.trim()
            ),
        ),
        other => other.into(),
    }
}
