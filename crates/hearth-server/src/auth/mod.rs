//! Authentication: password hashing, access and refresh tokens, TOTP
//! two-factor codes, and the `AuthUser` extractor every protected handler
//! takes.

pub mod extract;
pub mod password;
pub mod tokens;
pub mod totp;

pub use extract::AuthUser;
pub use tokens::{AccessClaims, TokenKeys};
