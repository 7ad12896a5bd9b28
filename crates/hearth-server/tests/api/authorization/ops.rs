//! Runs the gateway half of the matrix: every op of [`OPS`] sent by every
//! caller over a socket of their own, then a `ping`; what came back before
//! the `pong` (or the close) is the cell's answer.

use super::scene::{Cast, Scene, deactivate, deactivate_by_cli, sign_out};
use super::table::{CALLERS, Caller, OPS, cell};
use crate::helpers::*;
use futures_util::future::join_all;
use futures_util::{SinkExt, StreamExt};
use hearth_protocol::gateway::PresenceStatus;
use tokio_tungstenite::tungstenite::Message as WsMessage;

/// The op a row names, aimed at the scene's room (the coverage check
/// builds every op through here).
pub fn op(name: &str, scene: &Scene, cast: &Cast, token: &str) -> ClientOp {
    let room_id = scene.room;
    match name {
        "auth" => ClientOp::Auth {
            token: token.to_string(),
        },
        "ping" => ClientOp::Ping { n: Some(1) },
        "presence" => ClientOp::Presence {
            status: PresenceStatus::Idle,
        },
        "send" => send_op(room_id, "matrix-nonce", "hello"),
        "typing" => ClientOp::Typing {
            room_id,
            anonymous: false,
        },
        "read" => ClientOp::Read { room_id, seq: 1 },
        "delivered" => ClientOp::Delivered { room_id, seq: 1 },
        "call.signal" => ClientOp::CallSignal {
            room_id,
            to: cast.victim.id,
            data: serde_json::json!({"type": "offer", "sdp": "v=0"}),
        },
        other => panic!("ops.rs builds no {other:?} op: add it"),
    }
}

/// The wire name of an op. Exhaustive on purpose: a new op fails to
/// compile here until it has a name, and then the coverage check until the
/// table has its row.
pub fn op_name(op: &ClientOp) -> &'static str {
    match op {
        ClientOp::Auth { .. } => "auth",
        ClientOp::Send { .. } => "send",
        ClientOp::Typing { .. } => "typing",
        ClientOp::Read { .. } => "read",
        ClientOp::Delivered { .. } => "delivered",
        ClientOp::Presence { .. } => "presence",
        ClientOp::Ping { .. } => "ping",
        ClientOp::CallSignal { .. } => "call.signal",
    }
}

/// What came back: `ack`, `pong` (for `ping`), `ok` (the pong with nothing
/// before it), `ready`, an error code, or `close:CODE`.
async fn answer(client: &mut WsClient, op: Option<ClientOp>, probe: u64) -> String {
    let mut frames = Vec::new();
    if let Some(op) = op {
        frames.push(serde_json::to_string(&op).expect("op"));
    }
    frames.push(serde_json::to_string(&ClientOp::Ping { n: Some(probe) }).expect("ping"));
    for frame in frames {
        // A socket the server closed refuses the write; its close is the answer.
        if client
            .stream
            .send(WsMessage::Text(frame.into()))
            .await
            .is_err()
        {
            break;
        }
    }
    let mut said: Option<String> = None;
    let deadline = tokio::time::Instant::now() + TIMEOUT;
    loop {
        let next = tokio::time::timeout_at(deadline, client.stream.next()).await;
        let text = match next {
            Ok(Some(Ok(WsMessage::Text(text)))) => text,
            Ok(Some(Ok(WsMessage::Close(frame)))) => {
                let code = frame.map(|f| u16::from(f.code)).unwrap_or(0);
                return said.map_or(format!("close:{code}"), |s| {
                    format!("{s} then close:{code}")
                });
            }
            Ok(Some(Ok(_))) => continue,
            Ok(Some(Err(_)) | None) => {
                return said.map_or("dropped".into(), |s| s + " then dropped");
            }
            Err(_) => return format!("nothing within {TIMEOUT:?} (after {said:?})"),
        };
        let event: ServerEvent = serde_json::from_str(&text).expect("a server event");
        match event {
            ServerEvent::Pong(p) if p.n == Some(probe) => {
                return said.unwrap_or_else(|| "ok".into());
            }
            ServerEvent::Pong(_) => said = Some("pong".into()),
            ServerEvent::Ack(_) => said = Some("ack".into()),
            ServerEvent::Ready(_) => said = Some("ready".into()),
            ServerEvent::Error(e) => {
                let code = serde_json::to_value(e.code).expect("code");
                said = Some(code.as_str().unwrap_or("?").to_string());
            }
            _ => {}
        }
    }
}

/// One cell: a socket for `caller`, the op, the answer.
async fn attempt(app: &TestApp, cast: &Cast, caller: Caller, name: &str, kind: RoomKind) -> String {
    let scene = cast.scene(app, kind).await;
    match caller {
        Caller::Anonymous => {
            let mut client = app.ws_raw().await;
            let op = op(name, &scene, cast, "");
            answer(&mut client, Some(op), 7).await
        }
        Caller::Deactivated | Caller::RevokedSession | Caller::DeactivatedByCli
            if name == "auth" =>
        {
            let user = cast.user(caller).expect("a user");
            let mut client = app.ws_raw().await;
            let op = op(name, &scene, cast, &user.token);
            answer(&mut client, Some(op), 7).await
        }
        Caller::Deactivated | Caller::RevokedSession | Caller::DeactivatedByCli => {
            // A member with an open socket whose access then ends.
            let user = cast
                .fresh_caller(app, Caller::Outsider)
                .await
                .expect("a user");
            app.add_member(&cast.owner, scene.room, &user).await;
            let mut client = app.ws(&user).await;
            match caller {
                Caller::Deactivated => deactivate(app, &cast.server_admin, &user).await,
                Caller::DeactivatedByCli => deactivate_by_cli(app, &user).await,
                _ => sign_out(app, &user).await,
            }
            let op = op(name, &scene, cast, &user.token);
            answer(&mut client, Some(op), 7).await
        }
        _ => {
            let user = cast.user(caller).expect("a user");
            if name == "auth" {
                let mut client = app.ws_raw().await;
                let op = op(name, &scene, cast, &user.token);
                return answer(&mut client, Some(op), 7).await;
            }
            let mut client = app.ws(user).await;
            let op = op(name, &scene, cast, &user.token);
            answer(&mut client, Some(op), 7).await
        }
    }
}

pub async fn run() {
    let app = spawn_app().await;
    let cast = Cast::new(&app).await;
    let mut report = super::report::Report::default();
    for row in OPS {
        for (kind, line) in row.cells.lines() {
            let room_kind = match kind {
                Some("channel") => RoomKind::Channel,
                _ => RoomKind::Group,
            };
            let cells = CALLERS.iter().map(|&caller| {
                let (app, cast) = (&app, &cast);
                async move { (caller, attempt(app, cast, caller, row.op, room_kind).await) }
            });
            for (caller, got) in join_all(cells).await {
                let (want, pending) = cell(line, caller);
                let name = format!(
                    "op {}{} as {caller:?}",
                    row.op,
                    kind.map(|k| format!(" ({k})")).unwrap_or_default()
                );
                report.check(&name, want, &got, pending, true, &serde_json::Value::Null);
            }
        }
    }
    report.finish();
}
