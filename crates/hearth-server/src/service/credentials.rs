//! Password checks for a signed-in user before a sensitive change, counted
//! toward the account's lockout like failed sign-ins.

use crate::auth::password;
use crate::error::{ApiError, ApiResult};
use crate::lockout::{Lockout, LockoutKey, Refusal};
use hearth_protocol::ErrorCode;
use hearth_store::UserRecord;
use std::sync::Arc;

#[derive(Clone)]
pub struct Credentials {
    lockout: Arc<Lockout>,
}

impl Credentials {
    pub fn new(lockout: Arc<Lockout>) -> Self {
        Self { lockout }
    }

    /// Checks the password of a signed-in user before a sensitive change.
    /// Failures count toward the account's lockout, so a stolen access token
    /// cannot be used to guess the password either.
    pub async fn reauthenticate(&self, user: &UserRecord, given: String) -> ApiResult<()> {
        let key = LockoutKey::Account(user.id);
        let _checking = self.lockout.begin(&key).map_err(refused)?;
        if given.len() > 1024 || !password::verify(given, user.password_hash.clone()).await? {
            self.lockout.record_failure(&key);
            return Err(ApiError::new(
                ErrorCode::WrongPassword,
                "the password is wrong",
            ));
        }
        Ok(())
    }

    /// Counts a failed check of some other proof (a two-factor code) toward
    /// the account's lockout.
    pub fn record_failure(&self, user: &UserRecord) {
        self.lockout.record_failure(&LockoutKey::Account(user.id));
    }
}

/// The answer when [`Lockout::begin`] refuses a password check: 429, with
/// the time left of a lock, or a second's wait behind a check in progress.
pub fn refused(refusal: Refusal) -> ApiError {
    match refusal {
        Refusal::Locked(remaining) => locked_out(remaining),
        Refusal::Busy => {
            let mut e = ApiError::rate_limited(1);
            e.message = "another sign-in attempt for this account is being checked; \
                         try again in a moment"
                .into();
            e
        }
    }
}

/// The answer while an account is locked out: 429 with the time left.
fn locked_out(remaining: std::time::Duration) -> ApiError {
    let secs = remaining.as_secs() + u64::from(remaining.subsec_nanos() > 0);
    let mut e = ApiError::rate_limited(secs);
    e.message = format!(
        "too many failed sign-ins for this account; try again in {} s",
        secs.max(1)
    )
    .into();
    e
}
