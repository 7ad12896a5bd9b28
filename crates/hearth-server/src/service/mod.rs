//! The rules of Hearth: who may do what, and what happens when they do.
//! One service per domain, each holding only what it needs, built once at
//! start-up ([`Services::new`]) and handed to the REST handlers and the
//! gateway, neither of which holds rules of its own. Every write commits to
//! the store first, then publishes its event. Services never reach up into
//! `app`, `api` or `gateway`.
//!
//! - accounts: [`accounts`], [`sessions`], [`credentials`], [`two_factor`],
//!   [`email_links`];
//! - rooms: [`access`] (the caller's standing), [`rooms`], [`members`],
//!   [`read_markers`], [`permissions`] (the role table);
//! - messages: [`messages`], [`uploads`] (who may see or attach a file),
//!   [`search`], [`views`] (records to wire DTOs);
//! - real time: [`connections`] (gateway auth and `ready`), [`presence`],
//!   [`typing`], [`calls`];
//! - telling people: [`notifications`] (gateway and Web Push), [`digest`]
//!   (e-mail).

pub mod access;
pub mod accounts;
pub mod calls;
pub mod connections;
pub mod credentials;
pub mod digest;
pub mod email_links;
pub mod members;
pub mod messages;
pub mod notifications;
pub mod permissions;
pub mod presence;
pub mod read_markers;
pub mod rooms;
pub mod search;
pub mod sessions;
pub mod two_factor;
pub mod typing;
pub mod uploads;
pub mod views;

use crate::auth::TokenKeys;
use crate::auth::totp::SecretSealer;
use crate::config::Config;
use crate::events::Events;
use crate::hub::Hub;
use crate::lockout::Lockout;
use crate::mail::Mailer;
use crate::media::Media;
use crate::push::WebPush;
use crate::ratelimit::RateLimits;
use crate::revocation::RevokedSessions;
use hearth_store::Store;
use std::sync::Arc;

/// Every service, built once.
pub struct Services {
    pub accounts: accounts::AccountService,
    pub sessions: sessions::SessionService,
    pub two_factor: two_factor::TwoFactorService,
    pub email_links: email_links::EmailLinkService,
    pub rooms: rooms::RoomService,
    pub members: members::MemberService,
    pub read_markers: read_markers::ReadMarkerService,
    pub messages: messages::MessageService,
    pub uploads: uploads::UploadAccess,
    pub search: search::SearchService,
    pub notifications: notifications::NotificationService,
    pub digests: digest::DigestService,
    pub presence: Arc<presence::Presence>,
    pub typing: typing::TypingService,
    pub calls: calls::CallService,
    pub connections: connections::ConnectionService,
}

/// What the services are built on: this node's infrastructure.
pub struct Parts {
    pub store: Arc<dyn Store>,
    pub events: Events,
    pub hub: Arc<Hub>,
    pub limits: Arc<RateLimits>,
    pub media: Arc<Media>,
    pub presence: Arc<presence::Presence>,
    pub tokens: TokenKeys,
    pub revoked: Arc<RevokedSessions>,
    pub totp_sealer: SecretSealer,
    pub mailer: Option<Mailer>,
    pub push: Arc<WebPush>,
}

impl Services {
    /// Wires the services, each to the ones it builds on.
    pub fn new(config: &Config, parts: Parts) -> Services {
        let Parts {
            store,
            events,
            hub,
            limits,
            media,
            presence,
            tokens,
            revoked,
            totp_sealer,
            mailer,
            push,
        } = parts;
        let lockout = Arc::new(Lockout::default());
        let access = access::RoomAccess::new(store.clone());
        let views = views::Views::new(store.clone());
        let uploads =
            uploads::UploadAccess::new(store.clone(), media, config.limits.upload_quota_bytes);
        let sessions = sessions::SessionService::new(
            store.clone(),
            tokens,
            revoked,
            events.clone(),
            hub.clone(),
            config.auth.refresh_token_ttl,
            config.internal.session_touch_interval,
        );
        let credentials = credentials::Credentials::new(lockout.clone());
        let two_factor =
            two_factor::TwoFactorService::new(store.clone(), totp_sealer, credentials.clone());
        let email_links = email_links::EmailLinkService::new(
            store.clone(),
            mailer.clone(),
            config.public_url(),
            sessions.clone(),
            lockout.clone(),
            limits.clone(),
        );
        let rooms = rooms::RoomService::new(
            store.clone(),
            events.clone(),
            access.clone(),
            views.clone(),
            uploads.clone(),
        );
        let members = members::MemberService::new(
            store.clone(),
            events.clone(),
            access.clone(),
            rooms.clone(),
            presence.clone(),
        );
        let read_markers =
            read_markers::ReadMarkerService::new(store.clone(), events.clone(), access.clone());
        let notifications = notifications::NotificationService::new(
            store.clone(),
            events.clone(),
            access.clone(),
            hub.clone(),
            push,
        );
        let messages = messages::MessageService::new(
            store.clone(),
            events.clone(),
            access.clone(),
            views.clone(),
            uploads.clone(),
            notifications.clone(),
            limits.clone(),
        );
        let search = search::SearchService::new(store.clone(), access, views);
        let accounts = accounts::AccountService::new(
            store.clone(),
            sessions.clone(),
            credentials,
            two_factor.clone(),
            email_links.clone(),
            members.clone(),
            uploads.clone(),
            lockout,
            limits,
            config.auth.registration,
            config.auth.invite_code.clone(),
        );
        let digests = digest::DigestService::new(
            store.clone(),
            mailer,
            hub.clone(),
            presence.clone(),
            config.public_url(),
            config.email_digest_after,
        );
        let typing = typing::TypingService::new(hub.clone(), events.clone());
        let calls = calls::CallService::new(store.clone(), hub, events);
        let connections = connections::ConnectionService::new(
            store,
            sessions.clone(),
            presence.clone(),
            config.limits.presence_room_limit,
        );
        Services {
            accounts,
            sessions,
            two_factor,
            email_links,
            rooms,
            members,
            read_markers,
            messages,
            uploads,
            search,
            notifications,
            digests,
            presence,
            typing,
            calls,
            connections,
        }
    }
}
