//! The gateway side: opening authenticated sessions (optionally from several
//! loopback source addresses, to get past ~28,000 ephemeral ports per
//! address), and reading server frames cheaply.
//!
//! Hot-path frames (`message.created`, `ack`) are parsed into small borrowed
//! structs instead of hearth-protocol's full `ServerEvent`: the bench reads
//! every delivery of every session, and parsing timestamps and nested DTOs it
//! does not look at would make the bench, not the server, the bottleneck.

use anyhow::{Context, anyhow, bail};
use futures_util::{SinkExt, StreamExt};
use hearth_protocol::gateway::{ClientOp, Ready, ServerEvent};
use hearth_protocol::{MessageId, RoomId};
use serde::Deserialize;
use std::borrow::Cow;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use tokio::net::{TcpSocket, TcpStream};
use tokio_tungstenite::tungstenite::Message as WsMessage;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::{WebSocketStream, client_async_with_config};

pub type Ws = WebSocketStream<TcpStream>;

/// How long one session may take from TCP connect to `ready`.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);

/// Opens gateway sessions to one server.
pub struct Connector {
    url: String,
    server: SocketAddr,
    sources: Vec<IpAddr>,
    next_source: AtomicUsize,
}

impl Connector {
    /// `base` is the server's http URL. With `source_addrs > 0` and a
    /// loopback IPv4 server, client sockets are bound round-robin to
    /// 127.0.0.2, 127.0.0.3, … so each address has its own port range.
    pub async fn new(base: &reqwest::Url, source_addrs: usize) -> anyhow::Result<Self> {
        let host = base.host_str().context("--url has no host")?;
        let port = base.port_or_known_default().unwrap_or(80);
        let server = tokio::net::lookup_host((host, port))
            .await?
            .find(SocketAddr::is_ipv4)
            .or(tokio::net::lookup_host((host, port)).await?.next())
            .with_context(|| format!("cannot resolve {host}"))?;
        let ws_scheme = if base.scheme() == "https" {
            "wss"
        } else {
            "ws"
        };
        let url = format!("{ws_scheme}://{host}:{port}/api/v1/gateway");
        let sources = match server.ip() {
            IpAddr::V4(v4) if v4.is_loopback() => (0..source_addrs.min(250))
                .map(|i| IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2 + i as u8)))
                .collect(),
            _ => Vec::new(),
        };
        Ok(Self {
            url,
            server,
            sources,
            next_source: AtomicUsize::new(0),
        })
    }

    pub fn server_addr(&self) -> SocketAddr {
        self.server
    }

    async fn tcp(&self, recv_buffer: Option<u32>) -> std::io::Result<TcpStream> {
        let socket = if self.server.is_ipv4() {
            TcpSocket::new_v4()?
        } else {
            TcpSocket::new_v6()?
        };
        if let Some(bytes) = recv_buffer {
            // A fixed SO_RCVBUF also turns off the kernel's autotuning (up
            // to 32 MiB here): a client that stops reading fills it fast.
            socket.set_recv_buffer_size(bytes)?;
        }
        if !self.sources.is_empty() {
            let i = self.next_source.fetch_add(1, Ordering::Relaxed) % self.sources.len();
            bind_address_no_port(&socket);
            socket.bind(SocketAddr::new(self.sources[i], 0))?;
        }
        socket.set_nodelay(true)?;
        socket.connect(self.server).await
    }

    /// TCP connect and WebSocket upgrade, with small buffers: the bench may
    /// hold 19,000 sessions, and tungstenite's default read buffer is 128 KiB.
    pub async fn upgrade(&self) -> anyhow::Result<Ws> {
        self.upgrade_with(None).await
    }

    /// [`Self::upgrade`] with a fixed socket receive buffer.
    pub async fn upgrade_with(&self, recv_buffer: Option<u32>) -> anyhow::Result<Ws> {
        let stream = self.tcp(recv_buffer).await.context("tcp connect")?;
        let config = WebSocketConfig::default()
            .read_buffer_size(8 * 1024)
            .write_buffer_size(0)
            .max_message_size(Some(16 << 20))
            .max_frame_size(Some(16 << 20));
        let (ws, _) = client_async_with_config(self.url.as_str(), stream, Some(config))
            .await
            .context("websocket upgrade")?;
        Ok(ws)
    }

    /// Upgrade, `auth`, and wait for `ready`. Returns the session, its ready
    /// snapshot and how long all of that took.
    pub async fn open(&self, token: &str) -> anyhow::Result<(Ws, Ready, Duration)> {
        self.open_with(token, None).await
    }

    /// [`Self::open`] with a fixed socket receive buffer (slow consumers).
    pub async fn open_with(
        &self,
        token: &str,
        recv_buffer: Option<u32>,
    ) -> anyhow::Result<(Ws, Ready, Duration)> {
        let started = Instant::now();
        let fut = async {
            let mut ws = self.upgrade_with(recv_buffer).await?;
            send_op(
                &mut ws,
                &ClientOp::Auth {
                    token: token.to_string(),
                },
            )
            .await?;
            let ready = wait_ready(&mut ws).await?;
            anyhow::Ok((ws, ready))
        };
        let (ws, ready) = tokio::time::timeout(CONNECT_TIMEOUT, fut)
            .await
            .map_err(|elapsed| anyhow!("no ready within {CONNECT_TIMEOUT:?}: {elapsed}"))??;
        Ok((ws, ready, started.elapsed()))
    }
}

/// IP_BIND_ADDRESS_NO_PORT: bind picks the port at connect time from the
/// whole 4-tuple, so one source address is not limited to one port range
/// shared by every destination. Best effort: without it bind still works.
fn bind_address_no_port(socket: &TcpSocket) {
    use std::os::fd::AsRawFd;
    let one: libc::c_int = 1;
    // SAFETY: a valid socket fd and a pointer to a c_int of the right size.
    unsafe {
        libc::setsockopt(
            socket.as_raw_fd(),
            libc::IPPROTO_IP,
            libc::IP_BIND_ADDRESS_NO_PORT,
            (&one as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        );
    }
}

pub async fn send_op(ws: &mut Ws, op: &ClientOp) -> anyhow::Result<()> {
    let text = serde_json::to_string(op)?;
    ws.send(WsMessage::text(text)).await?;
    Ok(())
}

/// Reads until `ready`; a close frame or an `error` before it is an error.
async fn wait_ready(ws: &mut Ws) -> anyhow::Result<Ready> {
    while let Some(msg) = ws.next().await {
        match msg? {
            WsMessage::Text(t) => {
                if frame_tag(&t) != Some("ready") {
                    continue;
                }
                return match serde_json::from_str::<ServerEvent>(&t)? {
                    ServerEvent::Ready(r) => Ok(*r),
                    other => bail!("expected ready, got {}", other.name()),
                };
            }
            WsMessage::Close(frame) => {
                let (code, reason) = frame
                    .map(|f| (u16::from(f.code), f.reason.to_string()))
                    .unwrap_or((u16::from(CloseCode::Status), String::new()));
                bail!("closed before ready: {code} {reason}");
            }
            _ => {}
        }
    }
    bail!("connection ended before ready")
}

/// The `t` of a server frame, read without parsing: the server writes `t`
/// first (`{"t":"NAME","d":…}`). None when the frame does not look like that.
pub fn frame_tag(text: &str) -> Option<&str> {
    let rest = text.strip_prefix(r#"{"t":""#)?;
    let end = rest.find('"')?;
    Some(&rest[..end])
}

/// The fields of a message the bench checks.
#[derive(Debug, Deserialize)]
pub struct LiteMessage<'a> {
    pub id: MessageId,
    pub room_id: RoomId,
    pub seq: i64,
    #[serde(borrow)]
    pub body: Cow<'a, str>,
}

#[derive(Debug, Deserialize)]
struct MessageData<'a> {
    #[serde(borrow)]
    message: LiteMessage<'a>,
}

#[derive(Debug, Deserialize)]
struct AckData<'a> {
    #[serde(borrow)]
    nonce: Cow<'a, str>,
    #[serde(borrow)]
    message: LiteMessage<'a>,
}

#[derive(Debug, Deserialize)]
struct ErrorData<'a> {
    #[serde(borrow)]
    code: Cow<'a, str>,
    #[serde(borrow)]
    message: Cow<'a, str>,
    #[serde(default, borrow)]
    nonce: Option<Cow<'a, str>>,
}

#[derive(Debug, Deserialize)]
struct Envelope<D> {
    d: D,
}

/// A server frame as far as the bench cares.
#[derive(Debug)]
pub enum Incoming<'a> {
    Created(LiteMessage<'a>),
    Ack {
        nonce: Cow<'a, str>,
        message: LiteMessage<'a>,
    },
    Error {
        code: Cow<'a, str>,
        message: Cow<'a, str>,
        nonce: Option<Cow<'a, str>>,
    },
    /// Any other event, by name (typing, presence, read, …).
    Other(&'a str),
    /// Not a frame of the protocol.
    Garbled,
}

/// Parses a server text frame; only the frames the bench counts are decoded.
pub fn parse_incoming(text: &str) -> Incoming<'_> {
    let Some(tag) = frame_tag(text) else {
        return Incoming::Garbled;
    };
    match tag {
        "message.created" => match fast_created(text) {
            Some(m) => Incoming::Created(m),
            None => match serde_json::from_str::<Envelope<MessageData>>(text) {
                Ok(e) => Incoming::Created(e.d.message),
                Err(_) => Incoming::Garbled,
            },
        },
        "ack" => match serde_json::from_str::<Envelope<AckData>>(text) {
            Ok(e) => Incoming::Ack {
                nonce: e.d.nonce,
                message: e.d.message,
            },
            Err(_) => Incoming::Garbled,
        },
        "error" => match serde_json::from_str::<Envelope<ErrorData>>(text) {
            Ok(e) => Incoming::Error {
                code: e.d.code,
                message: e.d.message,
                nonce: e.d.nonce,
            },
            Err(_) => Incoming::Garbled,
        },
        other => Incoming::Other(other),
    }
}

/// `message.created` without serde, for the layout the server writes
/// (`{"t":"message.created","d":{"message":{"id":"…","room_id":"…","seq":N,`
/// … `"body":"…"`): the fan-out receive path reads tens of thousands of
/// these per second. The body is taken only when it has no escapes (the
/// bench's own bodies never do). None when the frame looks any different;
/// the caller then parses it with serde, so nothing is lost but speed.
pub fn fast_created(text: &str) -> Option<LiteMessage<'_>> {
    const HEAD: &str = r#"{"t":"message.created","d":{"message":{"id":""#;
    let rest = text.strip_prefix(HEAD)?;
    let id: MessageId = rest.get(..36)?.parse().ok()?;
    let rest = rest.get(36..)?.strip_prefix(r#"","room_id":""#)?;
    let room_id: RoomId = rest.get(..36)?.parse().ok()?;
    let rest = rest.get(36..)?.strip_prefix(r#"","seq":"#)?;
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 || digits > 18 || rest.as_bytes().get(digits) != Some(&b',') {
        return None;
    }
    let seq: i64 = rest[..digits].parse().ok()?;
    // `"body":"` cannot occur inside a JSON string (its quotes would be
    // escaped), so the first one after the seq is the message's own key.
    let at = rest.find(r#""body":""#)? + 8;
    let body = &rest[at..];
    let end = body.find('"')?;
    let body = &body[..end];
    if body.contains('\\') {
        return None;
    }
    Some(LiteMessage {
        id,
        room_id,
        seq,
        body: Cow::Borrowed(body),
    })
}

/// A message body that carries its send time: `"<ns> <tag> <padding>"`.
pub fn stamped_body(sent_ns: u64, tag: &str, pad: usize) -> String {
    let mut body = format!("{sent_ns} {tag} ");
    body.extend(std::iter::repeat_n('x', pad));
    body
}

/// The send time of a [`stamped_body`], if it is one.
pub fn body_sent_ns(body: &str) -> Option<u64> {
    body.split(' ').next()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_read_without_parsing() {
        assert_eq!(
            frame_tag(r#"{"t":"message.created","d":{}}"#),
            Some("message.created")
        );
        assert_eq!(frame_tag(r#"{"d":{},"t":"x"}"#), None);
    }

    #[test]
    fn a_created_frame_parses_into_the_lite_message() {
        let text = r#"{"t":"message.created","d":{"message":{"id":"0190f0f0-0000-7000-8000-000000000000","room_id":"0190f0f0-0000-7000-8000-000000000001","seq":7,"updated_seq":7,"sender":{"id":"0190f0f0-0000-7000-8000-000000000002","username":"a","display_name":"a","avatar_url":null},"body":"123 t xx","reply_to":null,"mentions":[],"mentions_room":false,"attachments":[],"reactions":[],"anonymous":false,"pinned":false,"created_at":"2025-01-01T00:00:00Z","edited_at":null,"deleted":false}}}"#;
        match parse_incoming(text) {
            Incoming::Created(m) => {
                assert_eq!(m.seq, 7);
                assert_eq!(body_sent_ns(&m.body), Some(123));
                assert!(matches!(m.body, Cow::Borrowed(_)));
            }
            other => panic!("{other:?}"),
        }
        assert!(fast_created(text).is_some());
    }

    #[test]
    fn the_fast_path_agrees_with_serde_or_steps_aside() {
        let id = "0190f0f0-0000-7000-8000-000000000000";
        let room = "0190f0f0-0000-7000-8000-000000000001";
        let frame = |seq: &str, name: &str, body: &str| {
            format!(
                r#"{{"t":"message.created","d":{{"message":{{"id":"{id}","room_id":"{room}","seq":{seq},"updated_seq":1,"sender":{{"id":"{id}","username":"a","display_name":"{name}","avatar_url":null}},"body":"{body}","reply_to":null}}}}}}"#
            )
        };
        // A display name that mentions "body" does not fool it.
        let t = frame("42", r#"x\"body\":\"y"#, "9 b");
        let m = fast_created(&t).unwrap();
        assert_eq!((m.seq, m.body.as_ref()), (42, "9 b"));
        assert_eq!(m.id.to_string(), id);
        assert_eq!(m.room_id.to_string(), room);
        // Escapes in the body, or another layout: serde takes over.
        let t = frame("42", "n", r#"a\"b"#);
        assert!(fast_created(&t).is_none());
        match parse_incoming(&t) {
            Incoming::Created(m) => assert_eq!(m.body, "a\"b"),
            other => panic!("{other:?}"),
        }
        assert!(fast_created(&frame("-1", "n", "b")).is_none());
        assert!(
            fast_created(&frame("1", "n", "b").replace(r#""seq":1,"#, r#""seq":1 ,"#)).is_none()
        );
    }

    #[test]
    fn stamped_bodies_round_trip() {
        let b = stamped_body(42, "s1", 5);
        assert_eq!(b, "42 s1 xxxxx");
        assert_eq!(body_sent_ns(&b), Some(42));
    }
}
