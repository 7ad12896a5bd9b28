//! Authentication: password hashing, access and refresh tokens, TOTP
//! two-factor codes, and [`AuthUser`], the caller of a protected route (its
//! extractor is `api::extract`).

pub mod password;
pub mod tokens;
pub mod totp;

pub use tokens::{AccessClaims, TokenKeys};

use hearth_protocol::{SessionId, UserId};

/// The caller of a protected route: a valid access token's user and login
/// session.
#[derive(Clone, Copy, Debug)]
pub struct AuthUser {
    pub user_id: UserId,
    pub session_id: SessionId,
}
