//! Two-factor authentication: RFC 6238 TOTP codes (SHA-1, 6 digits, 30 s,
//! what every authenticator app speaks), the otpauth URI and its QR code,
//! recovery codes, and sealing the secret before it reaches the store.
//!
//! The secret is sealed with ChaCha20-Poly1305 under a key derived from the
//! server's JWT secret, with the user id as associated data: a copy of the
//! database alone reveals no secret, and a sealed secret moved to another
//! user's row does not open. Changing the JWT secret therefore turns
//! two-factor off in effect for everyone (`hearth user disable-2fa` helps a
//! user who is locked out that way).

use base64::Engine;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use hearth_protocol::UserId;
use hearth_protocol::dto::TotpSetup;
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::sync::Arc;
use totp_rs::{Algorithm, TOTP};

/// Seconds per time step.
pub const STEP_SECS: u64 = 30;
const DIGITS: usize = 6;
/// Steps accepted on either side of the current one (clock drift).
const SKEW_STEPS: i64 = 1;
/// 160 bits, the size RFC 4226 recommends for HMAC-SHA1.
const SECRET_BYTES: usize = 20;
/// How many recovery codes a user gets.
pub const RECOVERY_CODES: usize = 10;
/// 16 base32 characters: 80 bits, so an unsalted hash is safe to store.
const RECOVERY_CODE_CHARS: usize = 16;
const SEAL_VERSION: &str = "v1:";
const BASE32: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";

/// Seals and opens TOTP secrets; cheap to clone.
#[derive(Clone)]
pub struct SecretSealer {
    cipher: Arc<ChaCha20Poly1305>,
}

impl SecretSealer {
    /// Derives the sealing key from the server's JWT secret.
    pub fn new(server_secret: &[u8]) -> Self {
        let key = Sha256::new()
            .chain_update(b"hearth totp secret sealing key v1\0")
            .chain_update(server_secret)
            .finalize();
        Self {
            cipher: Arc::new(ChaCha20Poly1305::new(&Key::from(key))),
        }
    }

    pub fn seal(&self, user: UserId, secret: &[u8]) -> anyhow::Result<String> {
        let mut nonce = [0u8; 12];
        rand::rng().fill_bytes(&mut nonce);
        let sealed = self
            .cipher
            .encrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: secret,
                    aad: user.0.as_bytes(),
                },
            )
            .map_err(|e| anyhow::anyhow!("sealing a TOTP secret failed: {e}"))?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        Ok(format!(
            "{SEAL_VERSION}{}",
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(out)
        ))
    }

    /// The secret, or an error when the sealed text is damaged or was sealed
    /// under another key or for another user.
    pub fn open(&self, user: UserId, sealed: &str) -> anyhow::Result<Vec<u8>> {
        let raw = sealed
            .strip_prefix(SEAL_VERSION)
            .ok_or_else(|| anyhow::anyhow!("unknown TOTP secret format"))?;
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(raw)?;
        if bytes.len() < 12 {
            anyhow::bail!("sealed TOTP secret is truncated");
        }
        let (nonce, ciphertext) = bytes.split_at(12);
        let nonce: [u8; 12] = nonce.try_into()?;
        self.cipher
            .decrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: ciphertext,
                    aad: user.0.as_bytes(),
                },
            )
            .map_err(|e| {
                anyhow::anyhow!("TOTP secret does not open (was the JWT secret changed?): {e}")
            })
    }
}

/// A new random TOTP secret.
pub fn new_secret() -> Vec<u8> {
    let mut secret = vec![0u8; SECRET_BYTES];
    rand::rng().fill_bytes(&mut secret);
    secret
}

fn totp(secret: Vec<u8>, account: &str) -> anyhow::Result<TOTP> {
    // The otpauth label is "issuer:account"; a ':' in the account would break it.
    let account = account.replace(':', "_");
    TOTP::new(
        Algorithm::SHA1,
        DIGITS,
        0,
        STEP_SECS,
        secret,
        Some("Hearth".to_string()),
        account,
    )
    .map_err(|e| anyhow::anyhow!("building TOTP: {e:?}"))
}

/// What the user loads into an authenticator app: the secret, its otpauth
/// URI and that URI as a QR code (an SVG `data:` URL, no external service).
pub fn setup_payload(secret: &[u8], account: &str) -> anyhow::Result<TotpSetup> {
    let totp = totp(secret.to_vec(), account)?;
    let uri = totp.get_url();
    let svg = qrcode::QrCode::new(uri.as_bytes())?
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(200, 200)
        .quiet_zone(true)
        .build();
    Ok(TotpSetup {
        secret: totp.get_secret_base32(),
        otpauth_uri: uri,
        qr_data_url: format!(
            "data:image/svg+xml;base64,{}",
            base64::engine::general_purpose::STANDARD.encode(svg)
        ),
    })
}

/// The time step `unix_secs` falls in.
pub fn step_at(unix_secs: i64) -> i64 {
    unix_secs.div_euclid(STEP_SECS as i64)
}

/// The step whose code `code` is, among the current step and its neighbours
/// at `unix_secs`; `None` when the code matches none of them. Spaces in the
/// code are ignored (apps show "123 456").
pub fn matching_step(secret: &[u8], code: &str, unix_secs: i64) -> Option<i64> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != DIGITS || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let totp = totp(secret.to_vec(), "user").ok()?;
    let now = step_at(unix_secs);
    // Newest first: when two steps match (they never should) the later wins.
    (now - SKEW_STEPS..=now + SKEW_STEPS).rev().find(|&step| {
        let at = u64::try_from(step).unwrap_or(0) * STEP_SECS;
        constant_time_eq(totp.generate(at).as_bytes(), code.as_bytes())
    })
}

/// The code of the step at `unix_secs` (tests and the CLI).
pub fn code_at(secret: &[u8], unix_secs: i64) -> anyhow::Result<String> {
    let at = u64::try_from(unix_secs)?;
    Ok(totp(secret.to_vec(), "user")?.generate(at))
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// New recovery codes, formatted `xxxx-xxxx-xxxx-xxxx`.
pub fn new_recovery_codes() -> Vec<String> {
    let mut rng = rand::rng();
    (0..RECOVERY_CODES)
        .map(|_| {
            let mut bytes = [0u8; RECOVERY_CODE_CHARS];
            rng.fill_bytes(&mut bytes);
            let chars: Vec<char> = bytes
                .iter()
                .map(|b| char::from(BASE32[usize::from(b & 31)]))
                .collect();
            chars
                .chunks(4)
                .map(|c| c.iter().collect::<String>())
                .collect::<Vec<_>>()
                .join("-")
        })
        .collect()
}

/// A recovery code as typed, reduced to its characters (case, dashes and
/// spaces do not matter); `None` when it cannot be one.
pub fn normalize_recovery_code(input: &str) -> Option<String> {
    let code: String = input
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c.to_ascii_lowercase())
        .collect();
    (code.len() == RECOVERY_CODE_CHARS && code.bytes().all(|b| BASE32.contains(&b))).then_some(code)
}

/// What the store keeps of a recovery code.
pub fn hash_recovery_code(normalized: &str) -> String {
    hex::encode(Sha256::digest(normalized.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 appendix B, SHA-1 (8-digit codes there; ours are their last 6).
    #[test]
    fn codes_match_the_rfc_test_vectors() {
        let secret = b"12345678901234567890".to_vec();
        for (t, code) in [
            (59, "287082"),
            (1_111_111_109, "081804"),
            (1_234_567_890, "005924"),
            (2_000_000_000, "279037"),
        ] {
            assert_eq!(code_at(&secret, t).ok().as_deref(), Some(code), "t={t}");
            assert_eq!(matching_step(&secret, code, t), Some(step_at(t)));
        }
    }

    #[test]
    fn neighbouring_steps_match_and_others_do_not() {
        let secret = new_secret();
        let t = 1_700_000_000;
        let Ok(previous) = code_at(&secret, t - 30) else {
            panic!("code")
        };
        assert_eq!(matching_step(&secret, &previous, t), Some(step_at(t) - 1));
        let Ok(old) = code_at(&secret, t - 90) else {
            panic!("code")
        };
        if old != previous {
            assert_eq!(matching_step(&secret, &old, t), None);
        }
        assert_eq!(matching_step(&secret, "12345", t), None);
        assert_eq!(matching_step(&secret, "abcdef", t), None);
    }

    #[test]
    fn sealed_secrets_open_only_for_their_user_and_key() {
        let sealer = SecretSealer::new(b"server secret");
        let (alice, bob) = (UserId::new(), UserId::new());
        let secret = new_secret();
        let Ok(sealed) = sealer.seal(alice, &secret) else {
            panic!("seal")
        };
        assert!(!sealed.contains(&hex::encode(&secret)));
        assert_eq!(sealer.open(alice, &sealed).ok(), Some(secret));
        assert!(sealer.open(bob, &sealed).is_err());
        assert!(SecretSealer::new(b"other").open(alice, &sealed).is_err());
        assert!(sealer.open(alice, "v1:AAAA").is_err());
        assert!(sealer.open(alice, "plain").is_err());
    }

    #[test]
    fn recovery_codes_are_distinct_and_normalize() {
        let codes = new_recovery_codes();
        assert_eq!(codes.len(), RECOVERY_CODES);
        let mut unique = codes.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), RECOVERY_CODES);
        let code = &codes[0];
        assert_eq!(code.len(), 19);
        let normalized = normalize_recovery_code(code);
        assert!(normalized.is_some());
        assert_eq!(
            normalize_recovery_code(&code.to_uppercase().replace('-', " ")),
            normalized
        );
        assert_eq!(normalize_recovery_code("123456"), None);
    }

    #[test]
    fn the_setup_payload_carries_uri_and_svg_qr() {
        let Ok(setup) = setup_payload(&new_secret(), "alice") else {
            panic!("setup")
        };
        assert!(
            setup
                .otpauth_uri
                .starts_with("otpauth://totp/Hearth:alice?")
        );
        assert!(setup.otpauth_uri.contains(&setup.secret));
        assert!(setup.qr_data_url.starts_with("data:image/svg+xml;base64,"));
    }
}
