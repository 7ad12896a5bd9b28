//! Web Push delivery: payloads encrypted for the browser (RFC 8291,
//! `aes128gcm`), requests signed with the server's VAPID key (RFC 8292, see
//! [`vapid`]), posted to the browser's push service (RFC 8030).
//!
//! Who is pushed what, and when, is decided in
//! `service::notifications`; this module only knows how to deliver, to
//! which endpoints ([`endpoint`]: public https addresses only) and how many
//! at once.

pub mod endpoint;
pub mod vapid;

use crate::config::Config;
use anyhow::Context;
use base64::Engine;
use base64::engine::general_purpose::{URL_SAFE, URL_SAFE_NO_PAD};
use hearth_store::PushSubscriptionRecord;
use reqwest_rustls::{StatusCode, Url};
use std::sync::Arc;
use std::time::Duration;
use time::OffsetDateTime;
use tokio::sync::Semaphore;
use vapid::VapidKeys;
use web_push_native::{Auth, p256};

/// Gives up on a push service that does not answer.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Pushes in flight at once on this node: a burst of messages to a big
/// room waits its turn instead of opening thousands of connections.
const MAX_CONCURRENT_PUSHES: usize = 32;
/// How long the push service keeps a message for an offline browser.
const TTL_SECONDS: u32 = 24 * 3600;
/// Longest endpoint URL accepted.
pub const MAX_ENDPOINT_LEN: usize = 1024;

/// What became of one push.
#[derive(Debug, PartialEq, Eq)]
pub enum Delivery {
    /// The push service accepted it (2xx).
    Sent,
    /// The subscription is gone (404 or 410): forget it.
    Gone,
    /// Any other answer; the subscription is kept.
    Refused(u16),
}

/// A browser's subscription keys, checked.
pub struct BrowserKeys {
    public: p256::PublicKey,
    auth: Auth,
}

impl BrowserKeys {
    /// Parses `p256dh` (an uncompressed P-256 point) and `auth` (16 bytes),
    /// both base64url with or without padding.
    pub fn parse(p256dh: &str, auth: &str) -> Result<Self, &'static str> {
        let public = decode_b64url(p256dh).ok_or("keys.p256dh: not base64url")?;
        let public = p256::PublicKey::from_sec1_bytes(&public)
            .ok()
            .ok_or("keys.p256dh: not a P-256 public key")?;
        let auth: [u8; 16] = decode_b64url(auth)
            .ok_or("keys.auth: not base64url")?
            .try_into()
            .ok()
            .ok_or("keys.auth: must be 16 bytes")?;
        Ok(Self {
            public,
            auth: Auth::from(auth),
        })
    }
}

fn decode_b64url(s: &str) -> Option<Vec<u8>> {
    let s = s.trim();
    if s.len() > 256 {
        return None;
    }
    if s.ends_with('=') {
        URL_SAFE.decode(s).ok()
    } else {
        URL_SAFE_NO_PAD.decode(s).ok()
    }
}

/// The server's Web Push sender.
pub struct WebPush {
    keys: VapidKeys,
    /// VAPID `sub`: how a push service can reach the operator.
    subject: String,
    client: reqwest_rustls::Client,
    /// Accept `http://` endpoints on any port and address (tests).
    allow_http: bool,
    /// Bounds the pushes in flight ([`MAX_CONCURRENT_PUSHES`]).
    in_flight: Arc<Semaphore>,
    /// Browsers a user may subscribe (`limits.push_subscriptions_per_user`).
    max_subscriptions: usize,
}

impl std::fmt::Debug for WebPush {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebPush")
            .field("keys", &self.keys)
            .field("subject", &self.subject)
            .finish_non_exhaustive()
    }
}

impl WebPush {
    /// Sends with `keys` (see [`VapidKeys::for_node`]).
    pub fn new(config: &Config, keys: VapidKeys) -> anyhow::Result<Self> {
        let allow_http = config.internal.push_allow_http;
        let mut client = reqwest_rustls::Client::builder()
            .timeout(REQUEST_TIMEOUT)
            .connect_timeout(CONNECT_TIMEOUT)
            // A push service never redirects; following one would let an
            // endpoint bounce our request elsewhere. A proxy would connect
            // for us, past the resolver's check.
            .redirect(reqwest_rustls::redirect::Policy::none())
            .no_proxy();
        if !allow_http {
            client = client.dns_resolver(Arc::new(endpoint::PublicResolver));
        }
        let client = client.build().context("building the push HTTP client")?;
        Ok(Self {
            keys,
            subject: vapid_subject(config),
            client,
            allow_http,
            in_flight: Arc::new(Semaphore::new(MAX_CONCURRENT_PUSHES)),
            max_subscriptions: config.limits.push_subscriptions_per_user,
        })
    }

    /// Subscriptions a user may have.
    pub fn max_subscriptions(&self) -> usize {
        self.max_subscriptions
    }

    pub fn public_key(&self) -> &str {
        self.keys.public_key()
    }

    /// Checks an endpoint a browser gave, without resolving it: an absolute
    /// `https` URL on port 443 with a host, of bounded length, and not a
    /// literal inside address (see [`endpoint::check_url`]).
    pub fn check_endpoint(&self, endpoint: &str) -> Result<(), &'static str> {
        if endpoint.len() > MAX_ENDPOINT_LEN {
            return Err("endpoint: too long");
        }
        let url = Url::parse(endpoint).ok().ok_or("endpoint: not a URL")?;
        endpoint::check_url(&url, self.allow_http)
    }

    /// [`WebPush::check_endpoint`], and its host must resolve to public
    /// addresses only: for new subscriptions.
    pub async fn check_new_endpoint(&self, endpoint: &str) -> Result<(), &'static str> {
        self.check_endpoint(endpoint)?;
        if self.allow_http {
            return Ok(());
        }
        let url = Url::parse(endpoint).ok().ok_or("endpoint: not a URL")?;
        endpoint::check_resolves_publicly(&url).await
    }

    /// Encrypts `payload` for the subscription and posts it.
    pub async fn send(
        &self,
        subscription: &PushSubscriptionRecord,
        payload: &[u8],
        now: OffsetDateTime,
    ) -> anyhow::Result<Delivery> {
        self.check_endpoint(&subscription.endpoint)
            .map_err(anyhow::Error::msg)?;
        let url = Url::parse(&subscription.endpoint)?;
        let keys = BrowserKeys::parse(&subscription.p256dh, &subscription.auth)
            .map_err(anyhow::Error::msg)?;
        let body = web_push_native::encrypt(payload.to_vec(), &keys.public, &keys.auth)
            .map_err(|e| anyhow::anyhow!("encrypting the push payload: {e}"))?;
        let audience = url.origin().ascii_serialization();
        let _permit = self
            .in_flight
            .acquire()
            .await
            .context("the push semaphore is closed")?;
        let response = self
            .client
            .post(url)
            .header("TTL", TTL_SECONDS.to_string())
            .header("Urgency", "high")
            .header("Content-Encoding", "aes128gcm")
            .header("Content-Type", "application/octet-stream")
            .header(
                "Authorization",
                self.keys.authorization(&audience, &self.subject, now),
            )
            .body(body)
            .send()
            .await
            .context("posting to the push service")?;
        Ok(match response.status() {
            s if s.is_success() => Delivery::Sent,
            StatusCode::NOT_FOUND | StatusCode::GONE => Delivery::Gone,
            s => Delivery::Refused(s.as_u16()),
        })
    }
}

/// `mailto:` the server's sender address when mail is configured, else the
/// public URL (RFC 8292 accepts either).
fn vapid_subject(config: &Config) -> String {
    let address = config.smtp.as_ref().map(|s| {
        // "Name <addr>" → addr
        let from = s.from.trim();
        match (from.rfind('<'), from.rfind('>')) {
            (Some(a), Some(b)) if a < b => from[a + 1..b].to_string(),
            _ => from.to_string(),
        }
    });
    match address {
        Some(a) if a.contains('@') => format!("mailto:{a}"),
        _ => config.public_url(),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn web_push(allow_http: bool) -> (WebPush, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let mut config = Config::defaults();
        config.data_dir = dir.path().to_path_buf();
        config.internal.push_allow_http = allow_http;
        let keys = VapidKeys::derive(b"test-secret-test-secret-test-secret-0123");
        (WebPush::new(&config, keys).unwrap(), dir)
    }

    #[test]
    fn endpoints_must_be_https_urls_with_a_host() {
        let (push, _dir) = web_push(false);
        assert!(
            push.check_endpoint("https://fcm.googleapis.com/fcm/send/abc")
                .is_ok()
        );
        for bad in [
            "http://push.example/x",
            "https://push.example:8443/x",
            "https://127.0.0.1/x",
            "ftp://push.example/x",
            "https://user:pw@push.example/x",
            "not a url",
            "",
        ] {
            assert!(push.check_endpoint(bad).is_err(), "{bad}");
        }
        let long = format!("https://push.example/{}", "a".repeat(MAX_ENDPOINT_LEN));
        assert!(push.check_endpoint(&long).is_err());
        let (push, _dir) = web_push(true);
        assert!(push.check_endpoint("http://127.0.0.1:9/x").is_ok());
    }

    #[test]
    fn browser_keys_are_checked() {
        let secret = p256::SecretKey::from_slice(&[7u8; 32]).unwrap();
        let public = {
            use p256::elliptic_curve::sec1::ToEncodedPoint;
            URL_SAFE_NO_PAD.encode(secret.public_key().to_encoded_point(false).as_bytes())
        };
        let auth = URL_SAFE_NO_PAD.encode([1u8; 16]);
        assert!(BrowserKeys::parse(&public, &auth).is_ok());
        assert!(BrowserKeys::parse(&public, &URL_SAFE.encode([1u8; 16])).is_ok());
        assert!(BrowserKeys::parse(&public, &URL_SAFE_NO_PAD.encode([1u8; 15])).is_err());
        assert!(BrowserKeys::parse("BAAA", &auth).is_err());
        assert!(BrowserKeys::parse("!!", &auth).is_err());
    }

    #[test]
    fn the_subject_is_the_sender_address_or_the_public_url() {
        let mut config = Config::defaults();
        assert_eq!(vapid_subject(&config), config.public_url());
        *config.smtp = Some(crate::config::SmtpSettings {
            url: "smtp://127.0.0.1:25".into(),
            from: "Hearth <hearth@example.org>".into(),
        });
        assert_eq!(vapid_subject(&config), "mailto:hearth@example.org");
    }
}
