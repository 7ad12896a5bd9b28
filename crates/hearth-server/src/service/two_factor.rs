//! Two-factor authentication: setting it up, turning it on with a confirmed
//! code (which hands out the recovery codes), checking the second factor at
//! login, and turning it off.

use crate::auth::totp::{self, SecretSealer};
use crate::error::{ApiError, ApiResult};
use crate::service::credentials::Credentials;
use hearth_protocol::dto::{RecoveryCodes, TotpDisableRequest, TotpEnableRequest, TotpSetup};
use hearth_protocol::{ErrorCode, UserId};
use hearth_store::{Store, StoreError, UserRecord};
use std::sync::Arc;
use time::OffsetDateTime;

fn already_enabled() -> ApiError {
    ApiError::new(
        ErrorCode::Conflict,
        "two-factor authentication is already on; turn it off first",
    )
}

fn invalid_code() -> ApiError {
    ApiError::new(
        ErrorCode::InvalidCode,
        "that code is wrong, expired or already used",
    )
}

/// Two-factor authentication for accounts.
#[derive(Clone)]
pub struct TwoFactorService {
    store: Arc<dyn Store>,
    /// Seals TOTP secrets before they reach the store.
    sealer: SecretSealer,
    credentials: Credentials,
}

impl TwoFactorService {
    pub fn new(store: Arc<dyn Store>, sealer: SecretSealer, credentials: Credentials) -> Self {
        Self {
            store,
            sealer,
            credentials,
        }
    }

    /// Makes a new secret for `user` (replacing one not yet confirmed) and
    /// returns what the authenticator app needs. Two-factor stays off until
    /// [`TwoFactorService::enable`] confirms a code.
    pub async fn setup(&self, user: UserId) -> ApiResult<TotpSetup> {
        let rec = self
            .store
            .user_by_id(user)
            .await?
            .ok_or_else(|| ApiError::not_found("user"))?;
        if rec.totp_enabled {
            return Err(already_enabled());
        }
        let secret = totp::new_secret();
        let sealed = self
            .sealer
            .seal(user, &secret)
            .map_err(ApiError::internal)?;
        let payload = totp::setup_payload(&secret, &rec.username).map_err(ApiError::internal)?;
        self.store
            .set_pending_totp(user, &sealed)
            .await
            .map_err(|e| match e {
                StoreError::Conflict(_) => already_enabled(),
                other => other.into(),
            })?;
        Ok(payload)
    }

    /// Confirms the pending secret with a current code and the password, and
    /// turns two-factor on; returns the recovery codes, which are never shown
    /// again. The password is what keeps a stolen access token from enrolling
    /// the thief's authenticator.
    pub async fn enable(&self, user: UserId, req: TotpEnableRequest) -> ApiResult<RecoveryCodes> {
        let rec = self
            .store
            .user_by_id(user)
            .await?
            .ok_or_else(|| ApiError::not_found("user"))?;
        if rec.totp_enabled {
            return Err(already_enabled());
        }
        self.credentials.reauthenticate(&rec, req.password).await?;
        let code = req.code.as_str();
        let pending = self
            .store
            .totp_state(user)
            .await?
            .ok_or_else(|| ApiError::not_found("user"))?;
        let Some(sealed) = pending.secret else {
            return Err(ApiError::new(
                ErrorCode::Conflict,
                "no two-factor setup is pending; call /auth/totp/setup first",
            ));
        };
        let secret = self
            .sealer
            .open(user, &sealed)
            .map_err(ApiError::internal)?;
        let now = OffsetDateTime::now_utc().unix_timestamp();
        let step = totp::matching_step(&secret, code, now).ok_or_else(invalid_code)?;
        let codes = totp::new_recovery_codes();
        let hashes: Vec<String> = codes
            .iter()
            .filter_map(|c| totp::normalize_recovery_code(c))
            .map(|c| totp::hash_recovery_code(&c))
            .collect();
        self.store
            .enable_totp(user, step, &hashes)
            .await
            .map_err(|e| match e {
                StoreError::Conflict(_) => already_enabled(),
                other => other.into(),
            })?;
        tracing::info!(user_id = %user, "two-factor authentication enabled");
        Ok(RecoveryCodes {
            recovery_codes: codes,
        })
    }

    /// Turns two-factor off; needs the password and a current or recovery
    /// code. Wrong codes count toward the account's lockout.
    pub async fn disable(&self, user: UserId, req: TotpDisableRequest) -> ApiResult<()> {
        let rec = self
            .store
            .user_by_id(user)
            .await?
            .ok_or_else(|| ApiError::not_found("user"))?;
        if !rec.totp_enabled {
            return Err(ApiError::new(
                ErrorCode::Conflict,
                "two-factor authentication is not on",
            ));
        }
        self.credentials.reauthenticate(&rec, req.password).await?;
        if !self.check_second_factor(&rec, &req.code).await? {
            // Counted like a wrong password: with the password known, the
            // code is all that stands between a thief and turning it off.
            self.credentials.record_failure(&rec);
            return Err(invalid_code());
        }
        self.store.disable_totp(user).await?;
        tracing::info!(user_id = %user, "two-factor authentication disabled");
        Ok(())
    }

    /// Whether `code` is a current TOTP code of `user` not used before, or one
    /// of their unused recovery codes; either is spent by a `true`.
    pub async fn check_second_factor(&self, user: &UserRecord, code: &str) -> ApiResult<bool> {
        let code = code.trim();
        if code.is_empty() || code.len() > 64 {
            return Ok(false);
        }
        if let Some(recovery) = totp::normalize_recovery_code(code) {
            let used = self
                .store
                .use_recovery_code(
                    user.id,
                    &totp::hash_recovery_code(&recovery),
                    OffsetDateTime::now_utc(),
                )
                .await?;
            if used {
                tracing::info!(user_id = %user.id, "recovery code used");
            }
            return Ok(used);
        }
        let Some(sealed) = self
            .store
            .totp_state(user.id)
            .await?
            .ok_or_else(|| ApiError::not_found("user"))?
            .secret
        else {
            return Ok(false);
        };
        let secret = self
            .sealer
            .open(user.id, &sealed)
            .map_err(ApiError::internal)?;
        let now = OffsetDateTime::now_utc().unix_timestamp();
        match totp::matching_step(&secret, code, now) {
            // Claiming the step is what makes a code single-use.
            Some(step) => Ok(self.store.claim_totp_step(user.id, step).await?),
            None => Ok(false),
        }
    }
}
