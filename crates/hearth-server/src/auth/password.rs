//! argon2id password hashing. Hashing costs ~tens of milliseconds of CPU and
//! 19 MiB of memory, so it runs on the blocking pool, never on the async
//! runtime's threads, and at most one hash per core runs at once: a login
//! flood queues instead of taking every core and hundreds of MiB. (Per
//! account, `lockout` lets only one check run at a time, so one account's
//! flood cannot fill the queue.)

use crate::error::{ApiError, ApiResult};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use std::sync::LazyLock;
use tokio::sync::Semaphore;

/// Hashes allowed to run at the same time: one per core (process-wide: it
/// bounds CPU and memory, which are the process's, not an app's).
static HASHING: LazyLock<Semaphore> = LazyLock::new(|| {
    let cores = std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get);
    Semaphore::new(cores)
});

async fn on_blocking_pool<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> ApiResult<T> {
    let _permit = HASHING.acquire().await.map_err(ApiError::internal)?;
    tokio::task::spawn_blocking(f)
        .await
        .map_err(ApiError::internal)
}

fn hasher() -> Argon2<'static> {
    // OWASP's argon2id minimum: 19 MiB, 2 iterations, 1 lane.
    let params = Params::new(19 * 1024, 2, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

pub async fn hash(password: String) -> ApiResult<String> {
    on_blocking_pool(move || {
        let salt = SaltString::generate(&mut argon2::password_hash::rand_core::OsRng);
        hasher()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| ApiError::internal(anyhow::anyhow!("argon2 hash: {e}")))
    })
    .await?
}

/// True when `password` matches `stored` (a PHC string). A malformed stored
/// hash counts as a mismatch and is logged.
pub async fn verify(password: String, stored: String) -> ApiResult<bool> {
    on_blocking_pool(move || match PasswordHash::new(&stored) {
        Ok(parsed) => hasher()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(e) => {
            tracing::error!(error = %e, "stored password hash is malformed");
            false
        }
    })
    .await
}

/// A hash to verify against when the user does not exist, so that unknown
/// usernames take as long as wrong passwords.
pub fn dummy_hash() -> &'static str {
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$0r6eAn6yBVmhTYvrBLpNXU9x6HL64kpNdqc2kfr4rDM"
}
