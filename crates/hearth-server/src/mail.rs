//! Outgoing e-mail over SMTP (lettre, rustls, no OpenSSL): password-reset
//! and verification links, and whatever else the server mails.
//!
//! Configured by `HEARTH_SMTP_URL` (`smtp://host:25` plain,
//! `smtp://user:pass@host:587?tls=required` STARTTLS, `smtps://host:465`
//! TLS) and `HEARTH_SMTP_FROM`. Without them the server sends no mail and
//! [`AppState::mailer`](crate::AppState) is `None`.

use crate::config::SmtpSettings;
use lettre::message::Mailbox;
use lettre::message::header::ContentType;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::sync::Arc;
use std::time::Duration;

/// Gives up on an SMTP server that does not answer.
const SMTP_TIMEOUT: Duration = Duration::from_secs(20);

/// An SMTP client; cheap to clone (the transport is shared).
#[derive(Clone)]
pub struct Mailer {
    transport: Arc<AsyncSmtpTransport<Tokio1Executor>>,
    from: Mailbox,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The transport holds credentials: never print it.
        f.debug_struct("Mailer").field("from", &self.from).finish()
    }
}

impl Mailer {
    pub fn new(settings: &SmtpSettings) -> anyhow::Result<Self> {
        let from: Mailbox = settings
            .from
            .parse()
            .map_err(|e| anyhow::anyhow!("smtp_from {:?} is not an address: {e}", settings.from))?;
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(&settings.url)
            // The URL may carry a password: name only what is wrong.
            .map_err(|e| anyhow::anyhow!("smtp_url is not a valid SMTP URL: {e}"))?
            .timeout(Some(SMTP_TIMEOUT))
            .build();
        Ok(Self {
            transport: Arc::new(transport),
            from,
        })
    }

    /// Sends a plain-text mail and waits for the server to accept it.
    pub async fn send(&self, to: &str, subject: &str, text: String) -> anyhow::Result<()> {
        let to: Mailbox = to
            .parse()
            .map_err(|e| anyhow::anyhow!("recipient is not an address: {e}"))?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject)
            .header(ContentType::TEXT_PLAIN)
            .body(text)?;
        self.transport.send(message).await?;
        Ok(())
    }

    /// Sends in the background and logs the outcome: for requests whose
    /// answer must not tell (by content or by timing) whether a mail went out.
    pub fn send_later(&self, to: String, subject: String, text: String) {
        let mailer = self.clone();
        tokio::spawn(async move {
            match mailer.send(&to, &subject, text).await {
                Ok(()) => tracing::info!(subject = %subject, "mail sent"),
                Err(e) => tracing::error!(error = ?e, subject = %subject, "sending mail failed"),
            }
        });
    }
}
