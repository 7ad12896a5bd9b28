//! Publishing events: the service layer calls [`Events::publish`] after a
//! write has committed. The single-node bus hands the event straight to the
//! local hub; a cluster bus also carries it to the other nodes.

use crate::hub::{Audience, Hub};
use hearth_protocol::gateway::ServerEvent;
use std::sync::Arc;

/// Carries events to every node's hub.
pub trait Bus: Send + Sync + 'static {
    fn publish(&self, audience: Audience, event: ServerEvent);
    /// False while the bus cannot reach the other nodes.
    fn is_healthy(&self) -> bool {
        true
    }
    /// A login session was revoked on this node: the others must stop
    /// honouring its access tokens and close its gateway connections too.
    /// (This node has done both already.)
    fn session_revoked(&self, _session: hearth_protocol::SessionId) {}
}

/// The single-node bus: delivery is a function call.
pub struct LocalBus {
    hub: Arc<Hub>,
}

impl LocalBus {
    pub fn new(hub: Arc<Hub>) -> Self {
        Self { hub }
    }
}

impl Bus for LocalBus {
    fn publish(&self, audience: Audience, event: ServerEvent) {
        self.hub.dispatch(&audience, &event);
    }
}

/// What services hold to publish events.
#[derive(Clone)]
pub struct Events {
    bus: Arc<dyn Bus>,
}

impl Events {
    pub fn new(bus: Arc<dyn Bus>) -> Self {
        Self { bus }
    }

    pub fn to_room(&self, room_id: hearth_protocol::RoomId, event: ServerEvent) {
        self.bus.publish(Audience::Room { room_id }, event);
    }

    pub fn to_users(&self, user_ids: Vec<hearth_protocol::UserId>, event: ServerEvent) {
        if !user_ids.is_empty() {
            self.bus.publish(Audience::Users { user_ids }, event);
        }
    }

    pub fn publish(&self, audience: Audience, event: ServerEvent) {
        self.bus.publish(audience, event);
    }

    pub fn is_healthy(&self) -> bool {
        self.bus.is_healthy()
    }

    pub fn session_revoked(&self, session: hearth_protocol::SessionId) {
        self.bus.session_revoked(session);
    }
}
