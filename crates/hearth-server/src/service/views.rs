//! Turning store records into wire DTOs: users, rooms, messages.

use crate::error::{ApiError, ApiResult};
use crate::service::uploads::attachment_map;
use hearth_protocol::dto::{Member, Message, ReactionSummary, Room, RoomKind, User, UserSummary};
use hearth_protocol::{MessageId, UploadId, UserId};
use hearth_store::Store;
use hearth_store::{MemberRecord, MessageRecord, RoomListEntry, RoomRecord, UserRecord};
use std::collections::HashMap;
use std::sync::Arc;

pub fn avatar_url(user: UserId, avatar: Option<UploadId>) -> Option<String> {
    avatar.map(|a| format!("/api/v1/users/{user}/avatar?v={a}"))
}

pub fn room_avatar_url(room: &RoomRecord) -> Option<String> {
    room.avatar
        .map(|a| format!("/api/v1/rooms/{}/avatar?v={a}", room.id))
}

/// The full profile; `email` and the account-security flags only for the
/// user themself.
pub fn user(rec: &UserRecord, include_email: bool) -> User {
    User {
        id: rec.id,
        username: rec.username.clone(),
        display_name: rec.display_name.clone(),
        bio: rec.bio.clone(),
        status_text: rec.status_text.clone(),
        time_zone: rec.time_zone.clone(),
        avatar_url: avatar_url(rec.id, rec.avatar),
        email: if include_email {
            rec.email.clone()
        } else {
            None
        },
        email_verified: include_email.then_some(rec.email_verified),
        totp_enabled: include_email.then_some(rec.totp_enabled),
        dnd_until: rec
            .dnd_until
            .filter(|until| include_email && *until > time::OffsetDateTime::now_utc()),
        is_admin: rec.is_admin,
        created_at: rec.created_at,
    }
}

pub fn summary(rec: &UserRecord) -> UserSummary {
    let display_name = if rec.deactivated {
        "deleted user".to_string()
    } else {
        rec.display_name.clone()
    };
    UserSummary {
        id: rec.id,
        username: rec.username.clone(),
        display_name,
        avatar_url: avatar_url(rec.id, rec.avatar),
        presence: None,
    }
}

pub fn member(rec: &MemberRecord, user: &UserRecord) -> Member {
    Member {
        user: summary(user),
        role: rec.role,
        joined_at: rec.joined_at,
        read_seq: rec.read_seq,
        delivered_seq: rec.delivered_seq,
        muted: rec.muted,
        presence: None,
    }
}

/// Builds the DTOs that need more than the record at hand (senders,
/// reactions, attachments, counters) from the store.
#[derive(Clone)]
pub struct Views {
    store: Arc<dyn Store>,
}

impl Views {
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self { store }
    }

    /// Builds message DTOs for `viewer` (whose reactions get `me: true`; pass
    /// `None` for frames shared by every recipient).
    pub async fn messages(
        &self,
        records: &[MessageRecord],
        viewer: Option<UserId>,
    ) -> ApiResult<Vec<Message>> {
        if records.is_empty() {
            return Ok(Vec::new());
        }
        let mut sender_ids: Vec<UserId> = records.iter().map(|m| m.sender_id).collect();
        sender_ids.sort_unstable();
        sender_ids.dedup();
        let senders: HashMap<UserId, UserRecord> = self
            .store
            .users_by_ids(&sender_ids)
            .await?
            .into_iter()
            .map(|u| (u.id, u))
            .collect();
        self.messages_by(records, viewer, &senders).await
    }

    /// [`messages`] with the senders' accounts at hand (those not found are
    /// shown without a sender).
    async fn messages_by(
        &self,
        records: &[MessageRecord],
        viewer: Option<UserId>,
        senders: &HashMap<UserId, UserRecord>,
    ) -> ApiResult<Vec<Message>> {
        // Every reaction change takes a new seq as the message's `updated_seq`,
        // so a message still at its own seq has none (a new message, most of a
        // history page): only the others are looked up.
        let ids: Vec<MessageId> = records
            .iter()
            .filter(|m| m.updated_seq != m.seq)
            .map(|m| m.id)
            .collect();
        let mut reactions: HashMap<MessageId, Vec<ReactionSummary>> = HashMap::new();
        let found = if ids.is_empty() {
            Vec::new()
        } else {
            self.store.reactions_for(&ids).await?
        };
        for r in found {
            let list = reactions.entry(r.message_id).or_default();
            let me = viewer == Some(r.user_id);
            match list.iter_mut().find(|s| s.emoji == r.emoji) {
                Some(s) => {
                    s.count += 1;
                    s.me |= me;
                }
                None => list.push(ReactionSummary {
                    emoji: r.emoji,
                    count: 1,
                    me,
                }),
            }
        }
        let uploads = attachment_map(
            &*self.store,
            records.iter().flat_map(|m| m.attachments.iter().copied()),
        )
        .await?;
        let mut out = Vec::with_capacity(records.len());
        for rec in records {
            // An upload that is gone is left out rather than failing the page.
            let attachments = rec
                .attachments
                .iter()
                .filter_map(|id| uploads.get(id).cloned())
                .collect();
            let sender = if rec.anonymous || rec.deleted {
                None
            } else {
                senders.get(&rec.sender_id).map(summary)
            };
            let mut message = message_from(
                rec,
                sender,
                reactions.remove(&rec.id).unwrap_or_default(),
                attachments,
            );
            // A client-chosen nonce could identify the author of an anonymous
            // post; only the sender's own views carry it.
            if rec.anonymous && viewer != Some(rec.sender_id) {
                message.nonce = None;
            }
            out.push(message);
        }
        Ok(out)
    }

    pub async fn message(&self, rec: &MessageRecord, viewer: Option<UserId>) -> ApiResult<Message> {
        let mut v = self.messages(std::slice::from_ref(rec), viewer).await?;
        v.pop()
            .ok_or_else(|| crate::error::ApiError::not_found("message"))
    }

    /// [`message`] by a sender whose account is at hand (`None`: it is gone).
    pub async fn message_by(
        &self,
        rec: &MessageRecord,
        viewer: Option<UserId>,
        sender: Option<UserRecord>,
    ) -> ApiResult<Message> {
        let senders = sender.map(|u| (u.id, u)).into_iter().collect();
        let mut v = self
            .messages_by(std::slice::from_ref(rec), viewer, &senders)
            .await?;
        v.pop()
            .ok_or_else(|| crate::error::ApiError::not_found("message"))
    }

    /// The room as `viewer` sees it, with their counters.
    pub async fn room(
        &self,
        rec: &RoomRecord,
        membership: Option<&MemberRecord>,
        viewer: UserId,
    ) -> ApiResult<Room> {
        // A banned member sees what an outsider sees: no counters and no
        // last message.
        let reader = membership.is_some_and(|m| !m.banned);
        let (unread, mention_count) = if reader {
            self.store.unread_counts(rec.id, viewer).await?
        } else {
            (0, 0)
        };
        let last_message = if reader {
            let last = self.store.messages_before(rec.id, None, 1).await?;
            match last.first() {
                Some(m) => Some(self.message(m, Some(viewer)).await?),
                None => None,
            }
        } else {
            None
        };
        let peer = self.dm_peer(rec, viewer).await?;
        Ok(room_from(
            rec,
            membership,
            peer,
            unread,
            mention_count,
            last_message,
        ))
    }

    pub async fn room_list_entry(&self, entry: &RoomListEntry, viewer: UserId) -> ApiResult<Room> {
        let last_message = match &entry.last_message {
            Some(m) => Some(self.message(m, Some(viewer)).await?),
            None => None,
        };
        let peer = self.dm_peer(&entry.room, viewer).await?;
        Ok(room_from(
            &entry.room,
            Some(&entry.member),
            peer,
            entry.unread,
            entry.mention_count,
            last_message,
        ))
    }

    async fn dm_peer(&self, rec: &RoomRecord, viewer: UserId) -> ApiResult<Option<UserSummary>> {
        if rec.kind != RoomKind::Dm {
            return Ok(None);
        }
        let members = self.store.members(rec.id).await?;
        let Some(peer) = members.iter().find(|m| m.user_id != viewer) else {
            return Ok(None);
        };
        Ok(Some(summary(
            &self
                .store
                .user_by_id(peer.user_id)
                .await?
                .ok_or_else(|| ApiError::not_found("user"))?,
        )))
    }
}

pub fn room_from(
    rec: &RoomRecord,
    membership: Option<&MemberRecord>,
    peer: Option<UserSummary>,
    unread: i64,
    mention_count: i64,
    last_message: Option<Message>,
) -> Room {
    let member = membership.filter(|m| !m.banned);
    Room {
        id: rec.id,
        kind: rec.kind,
        name: rec.name.clone(),
        topic: rec.topic.clone(),
        description: rec.description.clone(),
        avatar_url: room_avatar_url(rec),
        anonymous_allowed: rec.anonymous_allowed,
        archived: rec.archived,
        member_count: u32::try_from(rec.member_count).unwrap_or(0),
        created_at: rec.created_at,
        my_role: member.map(|m| m.role),
        peer,
        last_seq: rec.last_seq,
        read_seq: member.map_or(0, |m| m.read_seq),
        unread,
        mention_count,
        last_message,
        notification_level: member.map(|m| {
            m.notify_level
                .unwrap_or_else(|| hearth_store::default_notify_level(rec.kind))
        }),
    }
}

/// One message DTO from parts already at hand.
pub fn message_from(
    rec: &MessageRecord,
    sender: Option<UserSummary>,
    reactions: Vec<ReactionSummary>,
    attachments: Vec<hearth_protocol::dto::Attachment>,
) -> Message {
    Message {
        id: rec.id,
        room_id: rec.room_id,
        seq: rec.seq,
        updated_seq: rec.updated_seq,
        sender,
        body: rec.body.clone(),
        reply_to: rec.reply_to,
        mentions: rec.mentions.clone(),
        mentions_room: rec.mentions_room,
        attachments,
        reactions,
        anonymous: rec.anonymous,
        pinned: rec.pinned,
        nonce: rec.nonce.clone(),
        created_at: rec.created_at,
        edited_at: rec.edited_at,
        deleted: rec.deleted,
    }
}
