//! The server's VAPID identity (RFC 8292): a P-256 key pair generated on
//! first start into `DATA_DIR/vapid.key` (in cluster mode, derived from the
//! cluster's JWT secret unless that file exists), and the short-lived JWT
//! that signs each push request with it.
//!
//! Browsers tie a subscription to the public key they were given, so the key
//! must outlive restarts and be the same on every node of a cluster: deriving
//! it from the secret every node is given makes it so without copying files.

use anyhow::Context;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use p256::ecdsa::signature::Signer;
use p256::ecdsa::{Signature, SigningKey};
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::path::Path;
use time::OffsetDateTime;

/// How long a VAPID JWT is valid (RFC 8292 allows at most 24 hours).
const JWT_LIFETIME: time::Duration = time::Duration::hours(12);

/// The key pair; the private half never leaves this struct.
pub struct VapidKeys {
    signing: SigningKey,
    /// The public key, uncompressed SEC1, base64url without padding.
    public_b64: String,
}

impl std::fmt::Debug for VapidKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VapidKeys")
            .field("public", &self.public_b64)
            .finish_non_exhaustive()
    }
}

impl VapidKeys {
    /// This node's keys: `DATA_DIR/vapid.key`, created when missing on a
    /// single node; in cluster mode derived from `server_secret` unless the
    /// file exists (a single node grown into a cluster keeps its
    /// subscriptions; copy the file to every node then).
    pub fn for_node(data_dir: &Path, cluster: bool, server_secret: &[u8]) -> anyhow::Result<Self> {
        let path = data_dir.join("vapid.key");
        if cluster && !path.exists() {
            return Ok(Self::derive(server_secret));
        }
        Self::load_or_create(&path)
    }

    /// Reads the private key (base64url of the 32-byte scalar) from `path`,
    /// creating the file with a new key when there is none.
    pub fn load_or_create(path: &Path) -> anyhow::Result<Self> {
        match std::fs::read_to_string(path) {
            Ok(text) => Self::from_base64(text.trim())
                .with_context(|| format!("{} does not hold a VAPID key", path.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let keys = Self::generate();
                let encoded = URL_SAFE_NO_PAD.encode(keys.signing.to_bytes());
                if let Some(dir) = path.parent() {
                    std::fs::create_dir_all(dir)?;
                }
                match write_private(path, encoded.as_bytes()) {
                    Ok(()) => Ok(keys),
                    // Another process (a second node, a test) won the race:
                    // its key is the one.
                    Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                        Self::load_or_create(path)
                    }
                    Err(e) => Err(e).with_context(|| format!("cannot write {}", path.display())),
                }
            }
            Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
        }
    }

    /// The key pair every node holding `server_secret` derives alike.
    pub fn derive(server_secret: &[u8]) -> Self {
        let mut counter = 0u32;
        loop {
            let scalar = Sha256::new()
                .chain_update(b"hearth vapid key v1\0")
                .chain_update(counter.to_be_bytes())
                .chain_update(server_secret)
                .finalize();
            // Fails only for zero or a value ≥ the curve order: about 2^-32.
            if let Ok(signing) = SigningKey::from_slice(&scalar) {
                return Self::from_signing(signing);
            }
            counter += 1;
        }
    }

    fn generate() -> Self {
        loop {
            let mut scalar = [0u8; 32];
            rand::rng().fill_bytes(&mut scalar);
            // Fails only for zero or a value ≥ the curve order: about 2^-32.
            if let Ok(signing) = SigningKey::from_slice(&scalar) {
                return Self::from_signing(signing);
            }
        }
    }

    fn from_base64(text: &str) -> anyhow::Result<Self> {
        let bytes = URL_SAFE_NO_PAD.decode(text)?;
        let signing = SigningKey::from_slice(&bytes)?;
        Ok(Self::from_signing(signing))
    }

    fn from_signing(signing: SigningKey) -> Self {
        let point = signing.verifying_key().to_encoded_point(false);
        Self {
            public_b64: URL_SAFE_NO_PAD.encode(point.as_bytes()),
            signing,
        }
    }

    /// The public key as browsers take it (`applicationServerKey`).
    pub fn public_key(&self) -> &str {
        &self.public_b64
    }

    /// The `Authorization` header value for a push to `audience` (the push
    /// service's origin, `https://host[:port]`): `vapid t=JWT, k=PUBLIC_KEY`.
    pub fn authorization(&self, audience: &str, subject: &str, now: OffsetDateTime) -> String {
        let header = URL_SAFE_NO_PAD.encode(br#"{"typ":"JWT","alg":"ES256"}"#);
        let claims = serde_json::json!({
            "aud": audience,
            "exp": (now + JWT_LIFETIME).unix_timestamp(),
            "sub": subject,
        });
        let claims = URL_SAFE_NO_PAD.encode(claims.to_string());
        let signing_input = format!("{header}.{claims}");
        // ES256 in JWS is the raw r || s (64 bytes), not DER.
        let signature: Signature = self.signing.sign(signing_input.as_bytes());
        let signature = URL_SAFE_NO_PAD.encode(signature.to_bytes());
        format!("vapid t={signing_input}.{signature}, k={}", self.public_b64)
    }
}

#[cfg(unix)]
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
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
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)?;
    f.write_all(bytes)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use p256::ecdsa::VerifyingKey;
    use p256::ecdsa::signature::Verifier;

    #[test]
    fn the_key_survives_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("vapid.key");
        let first = VapidKeys::load_or_create(&path).unwrap();
        let second = VapidKeys::load_or_create(&path).unwrap();
        assert_eq!(first.public_key(), second.public_key());
        assert_eq!(
            URL_SAFE_NO_PAD.decode(first.public_key()).unwrap().len(),
            65
        );
    }

    #[test]
    fn nodes_with_the_same_secret_derive_the_same_key() {
        let a = VapidKeys::derive(b"secret-one-secret-one-secret-one");
        let b = VapidKeys::derive(b"secret-one-secret-one-secret-one");
        let c = VapidKeys::derive(b"secret-two-secret-two-secret-two");
        assert_eq!(a.public_key(), b.public_key());
        assert_ne!(a.public_key(), c.public_key());
    }

    #[test]
    fn the_jwt_verifies_with_the_public_key() {
        let keys = VapidKeys::generate();
        let header = keys.authorization(
            "https://push.example",
            "mailto:admin@example.org",
            OffsetDateTime::UNIX_EPOCH,
        );
        let rest = header.strip_prefix("vapid t=").unwrap();
        let (jwt, k) = rest.split_once(", k=").unwrap();
        assert_eq!(k, keys.public_key());
        let (input, signature) = jwt.rsplit_once('.').unwrap();
        let key = VerifyingKey::from_sec1_bytes(&URL_SAFE_NO_PAD.decode(k).unwrap()).unwrap();
        let signature = Signature::from_slice(&URL_SAFE_NO_PAD.decode(signature).unwrap()).unwrap();
        key.verify(input.as_bytes(), &signature).unwrap();
        let claims = input.split('.').nth(1).unwrap();
        let claims: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(claims).unwrap()).unwrap();
        assert_eq!(claims["aud"], "https://push.example");
        assert_eq!(claims["exp"], 12 * 3600);
    }
}
