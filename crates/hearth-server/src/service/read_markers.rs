//! Read and delivered markers: how far a member has read (and received) a
//! room, announced to the room as receipts.

use crate::error::{ApiError, ApiResult};
use crate::events::Events;
use crate::service::access::RoomAccess;
use crate::service::permissions::Action;
use hearth_protocol::dto::ReadMarker;
use hearth_protocol::gateway::{ReceiptEvent, ServerEvent};
use hearth_protocol::{RoomId, UserId};
use hearth_store::Store;
use std::sync::Arc;

#[derive(Clone)]
pub struct ReadMarkerService {
    store: Arc<dyn Store>,
    events: Events,
    access: RoomAccess,
}

impl ReadMarkerService {
    pub fn new(store: Arc<dyn Store>, events: Events, access: RoomAccess) -> Self {
        Self {
            store,
            events,
            access,
        }
    }

    pub async fn mark_read(
        &self,
        user: UserId,
        room_id: RoomId,
        seq: i64,
    ) -> ApiResult<ReadMarker> {
        if seq < 0 {
            return Err(ApiError::validation("seq: must not be negative"));
        }
        self.access.authorize(user, room_id, Action::Read).await?;
        let before = self
            .store
            .member(room_id, user)
            .await?
            .map_or(0, |m| m.read_seq);
        let read_seq = self.store.set_read_seq(room_id, user, seq).await?;
        let (unread, mention_count) = self.store.unread_counts(room_id, user).await?;
        if read_seq > before {
            self.events.to_room(
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

    pub async fn mark_delivered(&self, user: UserId, room_id: RoomId, seq: i64) -> ApiResult<i64> {
        if seq < 0 {
            return Err(ApiError::validation("seq: must not be negative"));
        }
        let a = self.access.authorize(user, room_id, Action::Read).await?;
        if seq <= a.member.delivered_seq {
            return Ok(a.member.delivered_seq);
        }
        let delivered = self.store.set_delivered_seq(room_id, user, seq).await?;
        if delivered > a.member.delivered_seq {
            self.events.to_room(
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
}
