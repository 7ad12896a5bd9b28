//! Accounts: registration, login (with the account lockout and the second
//! factor), token refresh and logout, password change, profiles, and the
//! end of an account (deletion by its owner, deactivation by an admin).

use crate::auth::{AuthUser, password};
use crate::config::Registration;
use crate::domain::{DisplayName, Email, Password, TimeZone, Username, bounded_text};
use crate::error::{ApiError, ApiResult};
use crate::lockout::{Lockout, LockoutKey};
use crate::ratelimit::RateLimits;
use crate::service::credentials::{Credentials, refused};
use crate::service::email_links::EmailLinkService;
use crate::service::members::MemberService;
use crate::service::sessions::{ClientInfo, SessionService};
use crate::service::two_factor::TwoFactorService;
use crate::service::uploads::UploadAccess;
use crate::service::views;
use hearth_protocol::dto::{
    AuthResponse, ChangePasswordRequest, LoginRequest, RegisterRequest, UpdateProfileRequest, User,
    UserSummary,
};
use hearth_protocol::{ErrorCode, UserId};
use hearth_store::{NewUser, ProfilePatch, Store, StoreError, UserRecord};
use std::sync::Arc;
use time::OffsetDateTime;

/// A new account's details, each parsed.
pub struct NewAccount {
    pub username: Username,
    pub password: Password,
    pub display_name: DisplayName,
    pub email: Option<Email>,
}

impl NewAccount {
    /// Parses what a sign-up form or the admin CLI gives; the display name
    /// defaults to the username, a blank e-mail address means none.
    pub fn parse(
        username: &str,
        password: String,
        display_name: Option<&str>,
        email: Option<&str>,
    ) -> ApiResult<Self> {
        let username = Username::parse(username)?;
        let password = Password::parse(password)?;
        let display_name = match display_name {
            Some(d) => DisplayName::parse(d)?,
            None => DisplayName::from_username(&username),
        };
        let email = email
            .filter(|e| !e.trim().is_empty())
            .map(Email::parse)
            .transpose()?;
        Ok(Self {
            username,
            password,
            display_name,
            email,
        })
    }
}

/// Accounts and profiles.
#[derive(Clone)]
pub struct AccountService {
    store: Arc<dyn Store>,
    sessions: SessionService,
    credentials: Credentials,
    two_factor: TwoFactorService,
    email_links: EmailLinkService,
    members: MemberService,
    uploads: UploadAccess,
    /// Failed logins per account (see [`Lockout`]).
    lockout: Arc<Lockout>,
    limits: Arc<RateLimits>,
    registration: Registration,
    invite_code: Option<String>,
}

impl AccountService {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        store: Arc<dyn Store>,
        sessions: SessionService,
        credentials: Credentials,
        two_factor: TwoFactorService,
        email_links: EmailLinkService,
        members: MemberService,
        uploads: UploadAccess,
        lockout: Arc<Lockout>,
        limits: Arc<RateLimits>,
        registration: Registration,
        invite_code: Option<String>,
    ) -> Self {
        Self {
            store,
            sessions,
            credentials,
            two_factor,
            email_links,
            members,
            uploads,
            lockout,
            limits,
            registration,
            invite_code,
        }
    }

    pub async fn register(
        &self,
        client: ClientInfo,
        req: RegisterRequest,
    ) -> ApiResult<AuthResponse> {
        self.limits.check_auth(client.ip).await?;
        match self.registration {
            Registration::Open => {}
            Registration::Closed => {
                return Err(ApiError::new(
                    ErrorCode::RegistrationClosed,
                    "registration is closed on this server; ask an admin for an account",
                ));
            }
            Registration::Invite => {
                let expected = self.invite_code.as_deref().unwrap_or_default();
                let given = req.invite_code.as_deref().unwrap_or_default();
                if expected.is_empty() || given != expected {
                    return Err(ApiError::new(
                        ErrorCode::RegistrationClosed,
                        "registration needs a valid invite_code",
                    ));
                }
            }
        }
        let mut account = NewAccount::parse(
            &req.username,
            req.password,
            req.display_name.as_deref(),
            req.email.as_deref(),
        )?;
        // With mail, the address is the account's only once its owner follows
        // the link: a taken one then answers exactly like a free one.
        // Without mail it is only a second login name, refused when taken
        // like a username.
        let offered = match self.email_links.sends_mail() {
            true => account.email.take(),
            false => None,
        };
        let user = self.create_user(account).await?;
        if let Some(address) = offered {
            self.email_links
                .offer_address(&user, address.as_str())
                .await;
        }
        self.sessions.start(user, client).await
    }

    /// Creates an account (registration and the admin CLI share this).
    pub async fn create_user(&self, account: NewAccount) -> ApiResult<UserRecord> {
        let NewAccount {
            username,
            password,
            display_name,
            email,
        } = account;
        let password_hash = password::hash(password.expose().to_string()).await?;
        let user = self
            .store
            .create_user(NewUser {
                id: UserId::new(),
                username: username.into_inner(),
                display_name: display_name.into_inner(),
                email: email.map(Email::into_inner),
                password_hash,
                created_at: OffsetDateTime::now_utc(),
            })
            .await
            .map_err(|e| match e {
                StoreError::Conflict(what) => {
                    ApiError::new(ErrorCode::Conflict, format!("{what} is already taken"))
                }
                other => other.into(),
            })?;
        tracing::info!(user_id = %user.id, username = %user.username, "user created");
        Ok(user)
    }

    pub async fn login(&self, client: ClientInfo, req: LoginRequest) -> ApiResult<AuthResponse> {
        self.limits.check_auth(client.ip).await?;
        let login = req.username.trim().to_ascii_lowercase();
        if login.is_empty() || login.len() > 254 || req.password.len() > 1024 {
            return Err(invalid_credentials());
        }
        let user = self.store.user_by_login(&login).await?;
        let key = match &user {
            Some(u) => LockoutKey::Account(u.id),
            None => LockoutKey::Unknown(login),
        };
        let checking = self.lockout.begin(&key).map_err(refused)?;
        // Verify against a dummy hash for unknown and deactivated users, so
        // timing tells nothing.
        let stored = match &user {
            Some(u) if !u.deactivated => u.password_hash.clone(),
            _ => password::dummy_hash().to_string(),
        };
        let ok = password::verify(req.password, stored).await?;
        let user = match user {
            Some(user) if ok && !user.deactivated => user,
            _ => {
                self.lockout.record_failure(&key);
                return Err(invalid_credentials());
            }
        };
        // The second factor is cheap to check: the next attempt may start.
        drop(checking);
        if user.totp_enabled {
            let code = req.totp.as_deref().map(str::trim).unwrap_or_default();
            if code.is_empty() {
                return Err(ApiError::new(
                    ErrorCode::TotpRequired,
                    "enter the code from your authenticator app (or a recovery code) as `totp`",
                ));
            }
            if !self.two_factor.check_second_factor(&user, code).await? {
                self.lockout.record_failure(&key);
                return Err(ApiError::new(
                    ErrorCode::TotpRequired,
                    "that two-factor code is wrong, expired or already used",
                ));
            }
        }
        self.lockout.record_success(&key);
        self.sessions.start(user, client).await
    }

    /// `POST /auth/refresh`: limited per IP (an unknown token costs a read,
    /// a known one a write), then the session rotates its tokens.
    pub async fn refresh(
        &self,
        ip: std::net::IpAddr,
        refresh_token: &str,
    ) -> ApiResult<AuthResponse> {
        self.limits.check_token_use(ip)?;
        self.sessions.refresh(refresh_token).await
    }

    /// Changes the password; every other session of the user ends.
    pub async fn change_password(
        &self,
        auth: AuthUser,
        req: ChangePasswordRequest,
    ) -> ApiResult<()> {
        let user = self
            .store
            .user_by_id(auth.user_id)
            .await?
            .ok_or_else(|| ApiError::not_found("user"))?;
        self.credentials
            .reauthenticate(&user, req.current_password)
            .await?;
        let new = Password::parse(req.new_password)?;
        let hash = password::hash(new.expose().to_string()).await?;
        self.store.set_password_hash(user.id, &hash).await?;
        let ended = self
            .sessions
            .end_all(user.id, Some(auth.session_id))
            .await?;
        tracing::info!(user_id = %user.id, sessions_ended = ended, "password changed");
        Ok(())
    }

    /// Deletes the caller's account: it is scrubbed (see
    /// [`hearth_store::SecurityStore::scrub_user`]), signed out everywhere, and
    /// its messages stay, shown as from "deleted user".
    pub async fn delete_me(&self, user: UserId, password: String) -> ApiResult<()> {
        let rec = self
            .store
            .user_by_id(user)
            .await?
            .ok_or_else(|| ApiError::not_found("user"))?;
        self.credentials.reauthenticate(&rec, password).await?;
        self.store.scrub_user(user).await?;
        self.sessions.end_all(user, None).await?;
        let rooms_left = self.members.leave_all_for_deletion(user).await?;
        self.lockout.record_success(&LockoutKey::Account(user));
        tracing::info!(user_id = %user, rooms_left, "account deleted by its owner");
        Ok(())
    }

    /// A server admin deactivates (or reactivates) another account. A
    /// deactivated account cannot sign in and its sessions end at once.
    pub async fn set_deactivated(
        &self,
        admin: UserId,
        target: UserId,
        deactivated: bool,
    ) -> ApiResult<()> {
        let caller = self
            .store
            .user_by_id(admin)
            .await?
            .ok_or_else(|| ApiError::not_found("user"))?;
        if !caller.is_admin || caller.deactivated {
            return Err(ApiError::forbidden("only server admins may do this"));
        }
        if target == admin {
            return Err(ApiError::validation(
                "admins cannot deactivate themselves; use DELETE /api/v1/users/me",
            ));
        }
        self.store.set_deactivated(target, deactivated).await?;
        if deactivated {
            self.sessions.end_all(target, None).await?;
        }
        tracing::info!(admin_id = %admin, user_id = %target, deactivated, "account deactivation changed");
        Ok(())
    }

    pub async fn me(&self, user: UserId) -> ApiResult<User> {
        let rec = self
            .store
            .user_by_id(user)
            .await?
            .ok_or_else(user_not_found)?;
        Ok(views::user(&rec, true))
    }

    pub async fn update_me(&self, user: UserId, req: UpdateProfileRequest) -> ApiResult<User> {
        let patch = ProfilePatch {
            display_name: req
                .display_name
                .as_deref()
                .map(DisplayName::parse)
                .transpose()?
                .map(DisplayName::into_inner),
            bio: req
                .bio
                .as_deref()
                .map(|b| bounded_text(b, "bio", 500))
                .transpose()?,
            status_text: req
                .status_text
                .as_deref()
                .map(|s| bounded_text(s, "status_text", 100))
                .transpose()?,
            time_zone: req
                .time_zone
                .as_deref()
                .map(TimeZone::parse)
                .transpose()?
                .map(TimeZone::into_inner),
            avatar: match req.avatar {
                Some(Some(upload)) => Some(Some(self.uploads.check_own_image(user, upload).await?)),
                Some(None) => Some(None),
                None => None,
            },
        };
        let dnd = crate::service::notifications::parse_dnd(
            req.dnd,
            req.dnd_until.map(|u| u.map(|t| t.0)),
            time::OffsetDateTime::now_utc(),
        )?;
        let mut rec = self.store.update_profile(user, patch).await?;
        if let Some(until) = dnd {
            rec = self.store.set_dnd_until(user, until).await?;
        }
        self.members
            .announce_profile(views::user(&rec, false))
            .await?;
        Ok(views::user(&rec, true))
    }

    pub async fn get_user(&self, id: UserId) -> ApiResult<User> {
        let rec = self
            .store
            .user_by_id(id)
            .await?
            .ok_or_else(user_not_found)?;
        Ok(views::user(&rec, false))
    }

    pub async fn search_users(&self, query: &str) -> ApiResult<Vec<UserSummary>> {
        let q = query.trim().trim_start_matches('@');
        if q.chars().count() > 64 {
            return Err(ApiError::validation("q: at most 64 characters"));
        }
        let users = self.store.search_users(q, 20).await?;
        let ids: Vec<UserId> = users.iter().map(|u| u.id).collect();
        let statuses = self.members.presence_of(&ids).await;
        Ok(users
            .iter()
            .zip(statuses)
            .map(|(u, status)| UserSummary {
                presence: Some(status),
                ..views::summary(u)
            })
            .collect())
    }
}

fn invalid_credentials() -> ApiError {
    ApiError::new(ErrorCode::InvalidCredentials, "wrong username or password")
}

fn user_not_found() -> ApiError {
    ApiError::not_found("user")
}
