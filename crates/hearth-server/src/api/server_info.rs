//! `GET /api/v1/server`: public facts about this server a client adapts to
//! (is mail configured, how registration works, message length limit).

use crate::config::Registration;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use hearth_protocol::dto::ServerInfo;

/// What this server offers; no authentication needed.
#[utoipa::path(get, path = "/api/v1/server", tag = "server",
    responses((status = 200, body = ServerInfo)))]
pub async fn get_server_info(State(state): State<AppState>) -> Json<ServerInfo> {
    let config = &state.config;
    Json(ServerInfo {
        email: config.smtp.is_some(),
        registration: match config.auth.registration {
            Registration::Open => "open",
            Registration::Invite => "invite",
            Registration::Closed => "closed",
        }
        .to_owned(),
        max_message_chars: u32::try_from(config.limits.max_message_chars).unwrap_or(u32::MAX),
    })
}
