//! Calls: relaying WebRTC signalling (`call.signal`) between two members of
//! a room, and only between them.

use crate::error::{ApiError, ApiResult};
use crate::events::Events;
use crate::hub::Hub;
use hearth_protocol::gateway::{CallSignalEvent, ServerEvent};
use hearth_protocol::{ErrorCode, RoomId, UserId};
use hearth_store::Store;
use std::sync::Arc;

/// Largest `data` a signal may carry (SDP offers are a few KiB).
pub const MAX_SIGNAL_BYTES: usize = 32 * 1024;

#[derive(Clone)]
pub struct CallService {
    store: Arc<dyn Store>,
    /// Who is in which room on this node: the sender's side needs no store read.
    hub: Arc<Hub>,
    events: Events,
}

impl CallService {
    pub fn new(store: Arc<dyn Store>, hub: Arc<Hub>, events: Events) -> Self {
        Self { store, hub, events }
    }

    /// Passes `data` from `from` to `to`, both members of `room_id`.
    pub async fn signal(
        &self,
        from: UserId,
        room_id: RoomId,
        to: UserId,
        data: serde_json::Value,
    ) -> ApiResult<()> {
        if data.to_string().len() > MAX_SIGNAL_BYTES {
            return Err(ApiError::new(
                ErrorCode::PayloadTooLarge,
                "data: at most 32 KiB",
            ));
        }
        let target_is_member = self
            .store
            .member(room_id, to)
            .await?
            .is_some_and(|m| !m.banned);
        if !self.hub.is_in_room(from, room_id) || !target_is_member || to == from {
            return Err(ApiError::new(
                ErrorCode::NotFound,
                "no such member in this room",
            ));
        }
        self.events.to_users(
            vec![to],
            ServerEvent::CallSignal(CallSignalEvent {
                room_id,
                from,
                data,
            }),
        );
        Ok(())
    }
}
