//! Access tokens (short-lived HS256 JWTs naming the user and login session)
//! and refresh tokens (opaque random strings the store keeps only as hashes).

use base64::Engine;
use hearth_protocol::{SessionId, UserId};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AccessClaims {
    /// The user id.
    pub sub: UserId,
    /// The login session id.
    pub sid: SessionId,
    pub iat: i64,
    pub exp: i64,
}

/// The signing keys, cheap to clone.
#[derive(Clone)]
pub struct TokenKeys {
    encoding: Arc<EncodingKey>,
    decoding: Arc<DecodingKey>,
    pub access_ttl: Duration,
}

impl TokenKeys {
    pub fn new(secret: &[u8], access_ttl: Duration) -> Self {
        Self {
            encoding: Arc::new(EncodingKey::from_secret(secret)),
            decoding: Arc::new(DecodingKey::from_secret(secret)),
            access_ttl,
        }
    }

    pub fn issue(&self, user: UserId, session: SessionId) -> anyhow::Result<String> {
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let claims = AccessClaims {
            sub: user,
            sid: session,
            iat: now,
            exp: now + self.access_ttl.as_secs() as i64,
        };
        Ok(jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &self.encoding,
        )?)
    }

    /// The claims of a valid, unexpired token; `None` for anything else.
    pub fn verify(&self, token: &str) -> Option<AccessClaims> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 0;
        validation.set_required_spec_claims(&["exp", "sub"]);
        let claims = jsonwebtoken::decode::<AccessClaims>(token, &self.decoding, &validation)
            .ok()?
            .claims;
        // The library accepts exp == now; a token is dead from its exp second on.
        (claims.exp > time::OffsetDateTime::now_utc().unix_timestamp()).then_some(claims)
    }
}

/// A new random opaque token (256 bits, URL-safe base64): refresh tokens and
/// the tokens in e-mailed links.
pub fn new_opaque_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// What the store keeps of an opaque token: its SHA-256, hex. The tokens are
/// random and long, so no salt or slow hash is needed.
pub fn hash_opaque_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A new random refresh token.
pub fn new_refresh_token() -> String {
    new_opaque_token()
}

/// What the store keeps of a refresh token.
pub fn hash_refresh_token(token: &str) -> String {
    hash_opaque_token(token)
}

/// Loads the JWT secret from `path`, creating a random one on first start.
pub fn load_or_create_secret(path: &std::path::Path) -> anyhow::Result<Vec<u8>> {
    match std::fs::read(path) {
        Ok(bytes) if bytes.len() >= 32 => Ok(bytes),
        Ok(_) => anyhow::bail!("{} is shorter than 32 bytes", path.display()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let mut bytes = vec![0u8; 64];
            rand::rng().fill_bytes(&mut bytes);
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir)?;
            }
            write_private(path, &bytes)?;
            Ok(bytes)
        }
        Err(e) => Err(e.into()),
    }
}

#[cfg(unix)]
fn write_private(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

#[cfg(not(unix))]
fn write_private(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    std::fs::write(path, bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_and_reject_tampering() {
        let keys = TokenKeys::new(&[7u8; 32], Duration::from_secs(60));
        let (u, s) = (UserId::new(), SessionId::new());
        let Ok(token) = keys.issue(u, s) else {
            panic!("issue failed")
        };
        let claims = keys.verify(&token);
        assert_eq!(claims.map(|c| (c.sub, c.sid)), Some((u, s)));
        let other = TokenKeys::new(&[8u8; 32], Duration::from_secs(60));
        assert!(other.verify(&token).is_none());
        assert!(keys.verify("not.a.token").is_none());
    }

    #[test]
    fn expired_tokens_are_rejected() {
        let keys = TokenKeys::new(&[7u8; 32], Duration::from_secs(0));
        let Ok(token) = keys.issue(UserId::new(), SessionId::new()) else {
            panic!("issue failed")
        };
        assert!(keys.verify(&token).is_none());
    }
}
