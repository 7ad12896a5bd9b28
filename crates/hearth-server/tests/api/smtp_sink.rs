//! A tiny SMTP server for tests: it listens on 127.0.0.1:0, accepts every
//! mail (220 / 250 / 354 / 221, no TLS, no auth) and keeps it, so a test can
//! point `Config::smtp` at it and *await* the mail the server sends.
//!
//! ```text
//! let sink = SmtpSink::start().await;
//! let app = spawn_app_with(|c| *c.smtp = Some(sink.settings())).await;
//! let mail = sink.expect_mail(|m| m.to.contains(&"a@example.org".into())).await;
//! let token = mail.link_token("reset-password");
//! ```

#![allow(dead_code)]

use base64::Engine;
use hearth_server::config::SmtpSettings;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;

use crate::helpers::TIMEOUT;

/// One mail as the sink received it.
#[derive(Clone, Debug)]
pub struct Mail {
    /// The envelope sender (MAIL FROM).
    pub from: String,
    /// The envelope recipients (RCPT TO).
    pub to: Vec<String>,
    /// The message as sent after DATA (headers and body), dot-stuffing undone.
    pub data: String,
}

impl Mail {
    fn split(&self) -> (&str, &str) {
        self.data
            .split_once("\r\n\r\n")
            .unwrap_or((self.data.as_str(), ""))
    }

    /// The value of a top-level header (unfolded), by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<String> {
        let (headers, _) = self.split();
        let unfolded = headers.replace("\r\n ", " ").replace("\r\n\t", " ");
        unfolded.split("\r\n").find_map(|line| {
            let (n, v) = line.split_once(':')?;
            n.trim()
                .eq_ignore_ascii_case(name)
                .then(|| v.trim().to_string())
        })
    }

    pub fn subject(&self) -> String {
        self.header("Subject").unwrap_or_default()
    }

    /// The body with its transfer encoding (quoted-printable, base64) undone.
    pub fn body(&self) -> String {
        let (_, body) = self.split();
        let encoding = self
            .header("Content-Transfer-Encoding")
            .unwrap_or_default()
            .to_ascii_lowercase();
        match encoding.as_str() {
            "quoted-printable" => decode_quoted_printable(body),
            "base64" => {
                let compact: String = body.chars().filter(|c| !c.is_whitespace()).collect();
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(compact)
                    .expect("base64 body");
                String::from_utf8(bytes).expect("UTF-8 body")
            }
            _ => body.to_string(),
        }
    }

    /// The first link in the body, whole.
    pub fn link(&self, route: &str) -> Option<String> {
        let body = self.body();
        let marker = format!("/#/{route}/");
        let at = body.find(&marker)?;
        let start = body[..at].rfind("http").unwrap_or(at);
        let end = body[at..]
            .find(char::is_whitespace)
            .map_or(body.len(), |e| at + e);
        Some(body[start..end].to_string())
    }

    /// The token of a `…/#/{route}/{token}` link in the body.
    pub fn link_token(&self, route: &str) -> Option<String> {
        let link = self.link(route)?;
        let marker = format!("/#/{route}/");
        let token = &link[link.find(&marker)? + marker.len()..];
        Some(token.to_string())
    }
}

fn decode_quoted_printable(text: &str) -> String {
    let joined = text.replace("=\r\n", "").replace("=\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'='
            && let Some(hex) = joined.get(i + 1..i + 3)
            && let Ok(b) = u8::from_str_radix(hex, 16)
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).expect("UTF-8 body")
}

/// The running sink; stops when dropped.
pub struct SmtpSink {
    pub addr: SocketAddr,
    mails: Arc<Mutex<Vec<Mail>>>,
    arrived: Arc<Notify>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl SmtpSink {
    pub async fn start() -> SmtpSink {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind SMTP sink");
        let addr = listener.local_addr().expect("sink address");
        let mails = Arc::new(Mutex::new(Vec::new()));
        let arrived = Arc::new(Notify::new());
        let (m, a) = (mails.clone(), arrived.clone());
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let (m, a) = (m.clone(), a.clone());
                tokio::spawn(async move {
                    let _ = serve(stream, m, a).await;
                });
            }
        });
        SmtpSink {
            addr,
            mails,
            arrived,
            task,
        }
    }

    pub fn url(&self) -> String {
        format!("smtp://{}", self.addr)
    }

    /// Settings for `Config::smtp` that send to this sink.
    pub fn settings(&self) -> SmtpSettings {
        SmtpSettings {
            url: self.url(),
            from: "Hearth <hearth@example.org>".to_string(),
        }
    }

    /// Every mail received so far (and not taken by `expect_mail`).
    pub fn mails(&self) -> Vec<Mail> {
        self.mails.lock().unwrap().clone()
    }

    /// Awaits (under the test timeout) the first mail matching `pred` and
    /// takes it out of the sink. Panics with what arrived on timeout.
    pub async fn expect_mail(&self, pred: impl Fn(&Mail) -> bool) -> Mail {
        let deadline = tokio::time::Instant::now() + TIMEOUT;
        loop {
            let notified = self.arrived.notified();
            {
                let mut mails = self.mails.lock().unwrap();
                if let Some(pos) = mails.iter().position(&pred) {
                    return mails.remove(pos);
                }
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                let seen: Vec<(Vec<String>, String)> = self
                    .mails()
                    .iter()
                    .map(|m| (m.to.clone(), m.subject()))
                    .collect();
                panic!("no matching mail within {TIMEOUT:?}; received: {seen:#?}");
            }
        }
    }

    /// Awaits a mail to `address` whose subject contains `subject`.
    pub async fn expect_mail_to(&self, address: &str, subject: &str) -> Mail {
        self.expect_mail(|m| {
            m.to.iter().any(|t| t.eq_ignore_ascii_case(address)) && m.subject().contains(subject)
        })
        .await
    }
}

/// One SMTP conversation; any number of mails per connection.
async fn serve(
    stream: TcpStream,
    mails: Arc<Mutex<Vec<Mail>>>,
    arrived: Arc<Notify>,
) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read);
    write.write_all(b"220 sink.test ESMTP ready\r\n").await?;
    let (mut from, mut to) = (String::new(), Vec::new());
    let mut line = String::new();
    loop {
        line.clear();
        if lines.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let command = line.trim_end().to_string();
        let verb = command
            .split_whitespace()
            .next()
            .unwrap_or_default()
            .to_ascii_uppercase();
        let reply: &[u8] = match verb.as_str() {
            "EHLO" | "HELO" => b"250 sink.test\r\n",
            "MAIL" => {
                from = address_in(&command);
                to.clear();
                b"250 OK\r\n"
            }
            "RCPT" => {
                to.push(address_in(&command));
                b"250 OK\r\n"
            }
            "DATA" => {
                write
                    .write_all(b"354 end data with <CR><LF>.<CR><LF>\r\n")
                    .await?;
                let mut data = String::new();
                loop {
                    line.clear();
                    if lines.read_line(&mut line).await? == 0 {
                        return Ok(());
                    }
                    if line == ".\r\n" || line == ".\n" {
                        break;
                    }
                    let unstuffed = line.strip_prefix('.').unwrap_or(&line);
                    data.push_str(unstuffed);
                }
                mails.lock().unwrap().push(Mail {
                    from: from.clone(),
                    to: std::mem::take(&mut to),
                    data,
                });
                arrived.notify_waiters();
                b"250 OK queued\r\n"
            }
            "QUIT" => {
                write.write_all(b"221 bye\r\n").await?;
                return Ok(());
            }
            _ => b"250 OK\r\n",
        };
        write.write_all(reply).await?;
    }
}

/// `MAIL FROM:<a@b>` → `a@b`.
fn address_in(command: &str) -> String {
    match (command.find('<'), command.rfind('>')) {
        (Some(start), Some(end)) if start < end => command[start + 1..end].to_string(),
        _ => command
            .split_once(':')
            .map(|(_, a)| a.trim().to_string())
            .unwrap_or_default(),
    }
}
