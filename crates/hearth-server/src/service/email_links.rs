//! Links sent by e-mail: password reset and address verification.
//!
//! A link carries a random 256-bit token; the store keeps only its SHA-256.
//! A token works once, for [`LINK_TTL`], and using one spends the user's
//! other tokens of the same kind. Links point at the web client
//! (`PUBLIC_URL/#/reset-password/TOKEN`): the token stays in the fragment,
//! which browsers never send to a server or put in a Referer.
//!
//! Asking for a reset answers 202 whether or not the address is known, and
//! the lookup happens after the answer, so neither content nor timing tells.
//!
//! Registration must not tell either. An address given at sign-up (or
//! offered later) becomes the account's only when its owner follows the link
//! mailed to it ([`EmailLinkService::offer_address`]); when another account
//! already has it, that account's owner is told instead. Both record a
//! verification token, so the answer, its timing and a later "send the link
//! again" are the same either way.

use crate::auth::{password, tokens};
use crate::domain::{Email, Password};
use crate::error::{ApiError, ApiResult};
use crate::lockout::{Lockout, LockoutKey};
use crate::mail::Mailer;
use crate::ratelimit::RateLimits;
use crate::service::sessions::SessionService;
use hearth_protocol::{ErrorCode, UserId};
use hearth_store::{EmailTokenPurpose, NewEmailToken, Store, StoreError, UserRecord};
use std::net::IpAddr;
use std::sync::Arc;
use time::OffsetDateTime;

/// How long a link works.
pub const LINK_TTL: time::Duration = time::Duration::hours(1);
/// Links of one kind a user may be sent per hour.
const LINKS_PER_HOUR: i64 = 3;
/// Longer than any token we issue; anything longer is not worth hashing.
const MAX_TOKEN_LEN: usize = 128;

/// Password-reset and address-verification links sent by e-mail.
#[derive(Clone)]
pub struct EmailLinkService {
    store: Arc<dyn Store>,
    /// `None` when no SMTP server is configured: the server sends no mail.
    mailer: Option<Mailer>,
    public_url: String,
    sessions: SessionService,
    lockout: Arc<Lockout>,
    limits: Arc<RateLimits>,
    /// Serialises issuing links, so "count this hour's links, then add one"
    /// cannot interleave and overshoot the per-account limit.
    issuing: Arc<tokio::sync::Mutex<()>>,
}

impl EmailLinkService {
    pub fn new(
        store: Arc<dyn Store>,
        mailer: Option<Mailer>,
        public_url: String,
        sessions: SessionService,
        lockout: Arc<Lockout>,
        limits: Arc<RateLimits>,
    ) -> Self {
        Self {
            store,
            mailer,
            public_url,
            sessions,
            lockout,
            limits,
            issuing: Arc::default(),
        }
    }

    fn require_mailer(&self, instead: &str) -> ApiResult<&Mailer> {
        self.mailer.as_ref().ok_or_else(|| {
            ApiError::new(
                ErrorCode::EmailDisabled,
                format!("this server sends no e-mail (no SMTP server is configured); {instead}"),
            )
        })
    }

    /// Whether the server sends mail (an SMTP server is configured).
    pub fn sends_mail(&self) -> bool {
        self.mailer.is_some()
    }

    fn link(&self, route: &str, token: &str) -> String {
        format!("{}/#/{route}/{token}", self.public_url)
    }

    /// Records a new token of `purpose` for `user`, unless they were sent
    /// [`LINKS_PER_HOUR`] already; returns the token.
    async fn issue(
        &self,
        user: &UserRecord,
        email: &str,
        purpose: EmailTokenPurpose,
    ) -> ApiResult<Option<String>> {
        let _one_at_a_time = self.issuing.lock().await;
        let now = OffsetDateTime::now_utc();
        let recent = self
            .store
            .count_email_tokens_since(user.id, purpose, now - time::Duration::hours(1))
            .await?;
        if recent >= LINKS_PER_HOUR {
            tracing::warn!(user_id = %user.id, purpose = purpose.as_str(), "e-mail link limit reached");
            return Ok(None);
        }
        let token = tokens::new_opaque_token();
        self.store
            .insert_email_token(NewEmailToken {
                hash: tokens::hash_opaque_token(&token),
                user_id: user.id,
                purpose,
                email: email.to_string(),
                created_at: now,
                expires_at: now + LINK_TTL,
            })
            .await?;
        Ok(Some(token))
    }

    /// `POST /auth/password-reset/request`: mails a reset link if an active
    /// account has this address. The caller learns nothing either way.
    pub async fn request_password_reset(&self, ip: IpAddr, email: &str) -> ApiResult<()> {
        self.require_mailer("an admin can set a new password with `hearth user reset-password`")?;
        self.limits.check_auth(ip).await?;
        let email = Email::parse(email)?.into_inner();
        let this = self.clone();
        tokio::spawn(async move {
            if let Err(e) = this.send_reset_link(&email).await {
                e.log_if_server_error();
            }
        });
        Ok(())
    }

    async fn send_reset_link(&self, email: &str) -> ApiResult<()> {
        let Some(user) = self.store.user_by_login(email).await? else {
            return Ok(());
        };
        // The lookup also matches usernames; only the account's own address counts.
        let Some(address) = user
            .email
            .clone()
            .filter(|a| a.eq_ignore_ascii_case(email) && !user.deactivated)
        else {
            return Ok(());
        };
        let Some(token) = self
            .issue(&user, &address, EmailTokenPurpose::PasswordReset)
            .await?
        else {
            return Ok(());
        };
        let text = format!(
            "Someone (hopefully you) asked to reset the password of the Hearth account \
         \"{username}\".\r\n\r\n\
         To choose a new password, open this link within an hour:\r\n\r\n{link}\r\n\r\n\
         If you did not ask for this, ignore this mail: your password stays as it is.\r\n",
            username = user.username,
            link = self.link("reset-password", &token),
        );
        if let Some(mailer) = &self.mailer {
            mailer.send_later(address, "Reset your Hearth password".into(), text);
        }
        Ok(())
    }

    /// `POST /auth/password-reset/confirm`: sets the new password and signs the
    /// account out everywhere. Two-factor, if on, still guards the next login.
    pub async fn confirm_password_reset(
        &self,
        ip: IpAddr,
        token: &str,
        new_password: String,
    ) -> ApiResult<()> {
        self.limits.check_auth(ip).await?;
        // Checked first: a rejected password must not spend the link.
        let new_password = Password::parse(new_password)?;
        let record = self
            .consume(token, EmailTokenPurpose::PasswordReset)
            .await?;
        let user = self
            .store
            .user_by_id(record.user_id)
            .await?
            .ok_or_else(|| ApiError::not_found("user"))?;
        if user.deactivated {
            return Err(invalid_token());
        }
        let hash = password::hash(new_password.expose().to_string()).await?;
        self.store.set_password_hash(user.id, &hash).await?;
        let ended = self.sessions.end_all(user.id, None).await?;
        self.lockout.record_success(&LockoutKey::Account(user.id));
        // Following the link proved the address, too.
        self.store
            .mark_email_verified(user.id, &record.email)
            .await?;
        tracing::info!(user_id = %user.id, sessions_ended = ended, "password reset by e-mail link");
        Ok(())
    }

    async fn consume(
        &self,
        token: &str,
        purpose: EmailTokenPurpose,
    ) -> ApiResult<hearth_store::EmailTokenRecord> {
        let token = token.trim();
        if token.is_empty() || token.len() > MAX_TOKEN_LEN {
            return Err(invalid_token());
        }
        let hash = tokens::hash_opaque_token(token);
        let now = OffsetDateTime::now_utc();
        // A read first: only a token that can be spent takes the writer.
        match self.store.email_token(&hash, purpose).await? {
            Some(t) if !t.used && t.expires_at > now => {}
            _ => return Err(invalid_token()),
        }
        self.store
            .consume_email_token(&hash, purpose, now)
            .await?
            .ok_or_else(invalid_token)
    }

    /// `POST /auth/verify-email/request`: mails the caller a link that proves
    /// their address: the account's, or the one they last offered.
    pub async fn request_verification(&self, user: UserId) -> ApiResult<()> {
        self.require_mailer("addresses cannot be verified")?;
        let user = self
            .store
            .user_by_id(user)
            .await?
            .ok_or_else(|| ApiError::not_found("user"))?;
        if user.email_verified && user.email.is_some() {
            return Err(ApiError::new(
                ErrorCode::Conflict,
                "this e-mail address is already verified",
            ));
        }
        let address = match user.email.clone() {
            Some(address) => address,
            None => self
                .store
                .latest_email_token_address(user.id, EmailTokenPurpose::VerifyEmail)
                .await?
                .ok_or_else(|| ApiError::validation("email: this account has no e-mail address"))?,
        };
        if !self.offer(&user, &address).await? {
            let mut e = ApiError::rate_limited(3600);
            e.message =
                "verification mails are limited to a few per hour; use the latest one".into();
            return Err(e);
        }
        Ok(())
    }

    fn verification_text(&self, user: &UserRecord, token: &str) -> String {
        format!(
            "Please confirm that this address belongs to the Hearth account \
         \"{username}\" by opening this link within an hour:\r\n\r\n{link}\r\n\r\n\
         If you did not sign up, ignore this mail.\r\n",
            username = user.username,
            link = self.link("verify-email", token),
        )
    }

    /// After registration with an address, when the server sends mail:
    /// offers it (see the module docs). Failures are logged, never fatal.
    pub async fn offer_address(&self, user: &UserRecord, address: &str) {
        if let Err(e) = self.offer(user, address).await {
            e.log_if_server_error();
        }
    }

    /// Records a verification token for `address` and mails the link to it,
    /// or, when another account has the address, mails that account's owner
    /// a notice instead (the token is then never sent). False when the
    /// per-hour limit is reached or the server sends no mail.
    async fn offer(&self, user: &UserRecord, address: &str) -> ApiResult<bool> {
        let Some(mailer) = &self.mailer else {
            return Ok(false);
        };
        let owner = self.store.user_by_login(address).await?.filter(|owner| {
            owner.id != user.id
                && owner
                    .email
                    .as_deref()
                    .is_some_and(|e| e.eq_ignore_ascii_case(address))
        });
        let Some(token) = self
            .issue(user, address, EmailTokenPurpose::VerifyEmail)
            .await?
        else {
            return Ok(false);
        };
        match owner {
            None => mailer.send_later(
                address.to_string(),
                "Confirm your e-mail address for Hearth".into(),
                self.verification_text(user, &token),
            ),
            Some(owner) => mailer.send_later(
                address.to_string(),
                "Someone tried to use your e-mail address on Hearth".into(),
                format!(
                    "Someone just asked to add this address to the Hearth account \
                     \"{new}\". It stays with your account \"{owner}\" and nothing changed.\r\n\r\n\
                     If that was you, sign in as \"{owner}\" instead (or reset your password \
                     at {url}). Otherwise, ignore this mail.\r\n",
                    new = user.username,
                    owner = owner.username,
                    url = self.public_url,
                ),
            ),
        }
        Ok(true)
    }

    /// `POST /auth/verify-email/confirm`: the link's address becomes the
    /// account's, verified. Limited per IP: anyone may call it.
    pub async fn confirm_verification(&self, ip: IpAddr, token: &str) -> ApiResult<()> {
        self.limits.check_token_use(ip)?;
        let record = self.consume(token, EmailTokenPurpose::VerifyEmail).await?;
        self.store
            .attach_verified_email(record.user_id, &record.email)
            .await
            .map_err(|e| match e {
                // Only the mailbox's owner has the link: telling them is no leak.
                StoreError::Conflict(_) => ApiError::new(
                    ErrorCode::Conflict,
                    "another account has this e-mail address now",
                ),
                StoreError::NotFound(_) => invalid_token(),
                other => other.into(),
            })?;
        tracing::info!(user_id = %record.user_id, "e-mail address verified");
        Ok(())
    }
}

fn invalid_token() -> ApiError {
    ApiError::new(
        ErrorCode::InvalidToken,
        "this link is invalid, expired or already used; ask for a new one",
    )
}
