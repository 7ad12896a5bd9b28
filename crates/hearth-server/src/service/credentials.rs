//! Password checks for a signed-in user before a sensitive change, counted
//! toward the account's lockout like failed sign-ins.

use crate::auth::password;
use crate::error::{ApiError, ApiResult};
use crate::lockout::{Lockout, LockoutKey};
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
        self.lockout.check(&key).map_err(locked_out)?;
        if given.len() > 1024 || !password::verify(given, user.password_hash.clone()).await? {
            self.lockout.record_failure(&key);
            return Err(ApiError::new(
                ErrorCode::WrongPassword,
                "the password is wrong",
            ));
        }
        Ok(())
    }
}

/// The answer while an account is locked out: 429 with the time left.
pub fn locked_out(remaining: std::time::Duration) -> ApiError {
    let secs = remaining.as_secs() + u64::from(remaining.subsec_nanos() > 0);
    let mut e = ApiError::rate_limited(secs);
    e.message = format!(
        "too many failed sign-ins for this account; try again in {} s",
        secs.max(1)
    )
    .into();
    e
}
