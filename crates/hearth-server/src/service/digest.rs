//! E-mail digests: a user who has been away for `email_digest_after` gets
//! one plain-text mail listing the mentions and DMs they have not read,
//! each with a link. A background task calls [`DigestService::send_digests`] every minute;
//! tests call it with the `now` they need.
//!
//! Each user's watermark (the creation time up to which their messages were
//! mailed) makes every message go out once; it is claimed before the mail
//! is sent, so nodes of a cluster running the same task never both send it.
//! A user is mailed at most once per `email_digest_after`. Nothing is sent to users in
//! do-not-disturb, with no address or one not verified (anyone can type
//! someone else's address at sign-up), or with a session open on this node.

use crate::hub::Hub;
use crate::mail::Mailer;
use crate::service::presence::Presence;
use hearth_protocol::dto::RoomKind;
use hearth_protocol::{RoomId, UserId};
use hearth_store::{DigestRecipient, MessageRecord, RoomRecord, Store, StoreError, UserRecord};
use std::collections::HashMap;
use std::sync::Arc;
use time::OffsetDateTime;

/// Most messages listed in one digest; the rest are counted as "more".
pub const MAX_DIGEST_MESSAGES: u32 = 50;
/// Longest excerpt of a message in a digest.
const EXCERPT_CHARS: usize = 300;

/// Sends e-mail digests.
#[derive(Clone)]
pub struct DigestService {
    store: Arc<dyn Store>,
    /// `None` when no SMTP server is configured: no digests.
    mailer: Option<Mailer>,
    /// Whether a user has a session open on this node.
    hub: Arc<Hub>,
    presence: Arc<Presence>,
    public_url: String,
    away: std::time::Duration,
}

impl DigestService {
    pub fn new(
        store: Arc<dyn Store>,
        mailer: Option<Mailer>,
        hub: Arc<Hub>,
        presence: Arc<Presence>,
        public_url: String,
        away: std::time::Duration,
    ) -> Self {
        Self {
            store,
            mailer,
            hub,
            presence,
            public_url,
            away,
        }
    }

    /// Whether digests are sent at all (an SMTP server is configured).
    pub fn enabled(&self) -> bool {
        self.mailer.is_some()
    }

    /// Sends every digest due at `now`; returns how many mails went out. A
    /// failure for one user is logged and retried on the next run.
    pub async fn send_digests(&self, now: OffsetDateTime) -> anyhow::Result<usize> {
        let Some(mailer) = &self.mailer else {
            return Ok(0);
        };
        let away = time::Duration::try_from(self.away)?;
        let until = now - away;
        let mut sent = 0;
        for recipient in self.store.digest_recipients(now).await? {
            if !self.is_due(&recipient, now, away) {
                continue;
            }
            match self.send_one(mailer, &recipient, until).await {
                Ok(true) => sent += 1,
                Ok(false) => {}
                Err(e) => tracing::error!(
                    error = ?e,
                    user = %recipient.user.id,
                    "sending an e-mail digest failed"
                ),
            }
        }
        Ok(sent)
    }

    /// Away long enough, and not mailed within the last period. The watermark
    /// of the last digest is its send time minus `away`.
    fn is_due(
        &self,
        recipient: &DigestRecipient,
        now: OffsetDateTime,
        away: time::Duration,
    ) -> bool {
        let user = recipient.user.id;
        if self.hub.session_count(user) > 0 {
            return false;
        }
        if let (_, Some(last_seen)) = self.presence.status(user)
            && last_seen > now - away
        {
            return false;
        }
        recipient.since + away + away <= now
    }

    /// Mails `recipient` their unread mentions and DMs created up to `until`;
    /// false when there were none.
    async fn send_one(
        &self,
        mailer: &Mailer,
        recipient: &DigestRecipient,
        until: OffsetDateTime,
    ) -> anyhow::Result<bool> {
        let user = &recipient.user;
        let Some(address) = user.email.as_ref().filter(|_| user.email_verified) else {
            return Ok(false);
        };
        let mut messages = self
            .store
            .digest_messages(user.id, recipient.since, until, MAX_DIGEST_MESSAGES + 1)
            .await?;
        if messages.is_empty() {
            return Ok(false);
        }
        let more = messages.len() > MAX_DIGEST_MESSAGES as usize;
        messages.truncate(MAX_DIGEST_MESSAGES as usize);
        // Past the last one listed when there are more (they come next time),
        // else the whole window.
        let watermark = match messages.last() {
            Some(last) if more => last.created_at,
            _ => until,
        };
        let context = Context::load(&*self.store, &messages).await?;
        let subject = match messages.len() {
            1 => "1 unread message on Hearth".to_string(),
            n if more => format!("{n}+ unread messages on Hearth"),
            n => format!("{n} unread messages on Hearth"),
        };
        let text = render(user, &messages, more, &context, &self.public_url);
        // Claimed before sending: another node running the same task skips it.
        if !self
            .store
            .claim_digest(user.id, recipient.since, watermark)
            .await?
        {
            return Ok(false);
        }
        if let Err(e) = mailer.send(address, &subject, text).await {
            // Hand the window back so the next run tries again.
            self.store
                .set_digest_watermark(user.id, recipient.since)
                .await?;
            return Err(e);
        }
        Ok(true)
    }
}

/// Rooms and senders named in a digest.
struct Context {
    rooms: HashMap<RoomId, RoomRecord>,
    senders: HashMap<UserId, UserRecord>,
}

impl Context {
    async fn load(store: &dyn Store, messages: &[MessageRecord]) -> anyhow::Result<Self> {
        let mut rooms = HashMap::new();
        for m in messages {
            if let std::collections::hash_map::Entry::Vacant(slot) = rooms.entry(m.room_id) {
                slot.insert(
                    store
                        .room_by_id(m.room_id)
                        .await?
                        .ok_or(StoreError::NotFound("room"))?,
                );
            }
        }
        let mut ids: Vec<UserId> = messages.iter().map(|m| m.sender_id).collect();
        ids.sort_unstable();
        ids.dedup();
        let senders = store
            .users_by_ids(&ids)
            .await?
            .into_iter()
            .map(|u| (u.id, u))
            .collect();
        Ok(Self { rooms, senders })
    }

    fn room_name(&self, id: RoomId) -> String {
        match self.rooms.get(&id) {
            Some(r) if r.kind == RoomKind::Dm => "a direct message".to_string(),
            Some(r) if r.kind == RoomKind::Channel => format!("#{}", r.name),
            Some(r) => r.name.clone(),
            None => "a room".to_string(),
        }
    }

    fn sender_name(&self, m: &MessageRecord) -> String {
        if m.anonymous {
            return "Anonymous".to_string();
        }
        self.senders
            .get(&m.sender_id)
            .map_or_else(|| "Someone".to_string(), |u| u.display_name.clone())
    }
}

fn render(
    user: &UserRecord,
    messages: &[MessageRecord],
    more: bool,
    context: &Context,
    public_url: &str,
) -> String {
    let mut text = format!(
        "Hi {},\n\nwhile you were away, these messages were waiting for you:\n\n",
        user.display_name
    );
    for m in messages {
        let when = m
            .created_at
            .format(time::macros::format_description!(
                "[year]-[month]-[day] [hour]:[minute] UTC"
            ))
            .unwrap_or_default();
        let mut excerpt: String = m.body.chars().take(EXCERPT_CHARS).collect();
        if m.body.chars().count() > EXCERPT_CHARS {
            excerpt.push('…');
        }
        if excerpt.trim().is_empty() {
            excerpt = "(an attachment)".to_string();
        }
        let quoted: Vec<String> = excerpt.lines().map(|l| format!("  > {l}")).collect();
        text.push_str(&format!(
            "{} in {}, {when}:\n{}\n  {public_url}/#/room/{}/s/{}\n\n",
            context.sender_name(m),
            context.room_name(m.room_id),
            quoted.join("\n"),
            m.room_id,
            m.seq,
        ));
    }
    if more {
        text.push_str("…and more.\n\n");
    }
    text.push_str(&format!(
        "Open Hearth: {public_url}/\n\n\
         You get this because you were mentioned or sent a direct message while away. \
         To stop these e-mails, turn on do-not-disturb or set a room's notifications to \"none\".\n"
    ));
    text
}
