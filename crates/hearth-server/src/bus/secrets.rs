//! Do the nodes share their secrets? Every node must sign and check access
//! tokens with the same key (and seal two-factor secrets and sign Web Push
//! with keys derived from it): a node with another key answers 401 to every
//! token the others issued, which behind a load balancer looks like random
//! sign-outs.
//!
//! Each node publishes a fingerprint of its secrets (a hash; the secrets
//! never leave the node) under `{prefix}:secrets-fingerprint`: the first node
//! to look sets it, later ones compare, and every node that agrees keeps it
//! alive. The key expires [`FINGERPRINT_TTL`] after the last agreeing node
//! looked, so a cluster restarted with new secrets settles on them. A node
//! that disagrees answers 503 on `/readyz`, saying why.

use super::link::RedisLink;
use sha2::{Digest, Sha256};
use std::sync::Arc;
use std::time::Duration;

/// How long the cluster's fingerprint outlives the last node that agreed.
const FINGERPRINT_TTL: Duration = Duration::from_secs(60);
/// Longest a comparison may wait for Redis.
const CHECK_TIMEOUT: Duration = Duration::from_secs(1);

/// A one-way digest of this node's secrets: equal digests, equal secrets.
pub fn fingerprint(jwt_secret: &[u8], vapid_public_key: &str) -> String {
    let digest = Sha256::new()
        .chain_update(b"hearth secrets fingerprint v1\0")
        .chain_update((jwt_secret.len() as u64).to_be_bytes())
        .chain_update(jwt_secret)
        .chain_update(vapid_public_key.as_bytes())
        .finalize();
    hex::encode(&digest[..16])
}

/// What a comparison found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Agreement {
    Agree,
    Differ,
}

pub struct SecretsCheck {
    link: Arc<RedisLink>,
    fingerprint: String,
}

impl SecretsCheck {
    pub fn new(link: Arc<RedisLink>, fingerprint: String) -> Self {
        Self { link, fingerprint }
    }

    /// Compares this node's fingerprint with the cluster's (claiming it when
    /// there is none); `Err` when Redis could not be asked.
    pub async fn compare(&self) -> anyhow::Result<Agreement> {
        tokio::time::timeout(CHECK_TIMEOUT, self.compare_now())
            .await
            .map_err(|_elapsed| anyhow::anyhow!("comparing secrets in Redis timed out"))?
    }

    async fn compare_now(&self) -> anyhow::Result<Agreement> {
        let key = self.link.key("secrets-fingerprint");
        let mut conn = self.link.conn();
        let ttl = FINGERPRINT_TTL.as_secs();
        let claimed: Option<String> = redis::cmd("SET")
            .arg(&key)
            .arg(&self.fingerprint)
            .arg("NX")
            .arg("EX")
            .arg(ttl)
            .query_async(&mut conn)
            .await?;
        if claimed.is_some() {
            return Ok(Agreement::Agree);
        }
        let cluster: Option<String> = redis::cmd("GET").arg(&key).query_async(&mut conn).await?;
        match cluster {
            Some(f) if f == self.fingerprint => {
                let _: () = redis::cmd("EXPIRE")
                    .arg(&key)
                    .arg(ttl)
                    .query_async(&mut conn)
                    .await?;
                Ok(Agreement::Agree)
            }
            Some(_) => Ok(Agreement::Differ),
            // Expired between the two commands: ours is as good as any.
            None => Box::pin(self.compare_now()).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::fingerprint;

    #[test]
    fn the_fingerprint_changes_with_either_secret_and_hides_them() {
        let a = fingerprint(b"0123456789abcdef0123456789abcdef", "PUB1");
        assert_eq!(a, fingerprint(b"0123456789abcdef0123456789abcdef", "PUB1"));
        assert_ne!(a, fingerprint(b"0123456789abcdef0123456789abcdeX", "PUB1"));
        assert_ne!(a, fingerprint(b"0123456789abcdef0123456789abcdef", "PUB2"));
        assert!(!a.contains("0123456789"));
    }
}
