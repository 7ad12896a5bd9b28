//! `/healthz` (the process is up) and `/readyz` (the store and bus answer,
//! and in a cluster this node's secrets are the other nodes').

use crate::bus::secrets::Agreement;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use hearth_protocol::dto::Health;

/// Liveness: answers while the process runs.
#[utoipa::path(get, path = "/healthz", tag = "operations", responses((status = 200, body = Health)))]
pub async fn healthz() -> Json<Health> {
    Json(Health {
        status: "ok".into(),
    })
}

/// Readiness: 200 when the store answers, the bus is connected and (in a
/// cluster) this node holds the same secrets as the others, else 503 with
/// the reason as `status`.
#[utoipa::path(get, path = "/readyz", tag = "operations",
    responses((status = 200, body = Health), (status = 503, body = Health)))]
pub async fn readyz(State(state): State<AppState>) -> (StatusCode, Json<Health>) {
    let store_ok = state.node.store.ping().await.is_ok();
    let bus_ok = state.node.events.is_healthy();
    let draining = state.node.shutdown.is_draining();
    let secrets_differ = match &state.node.cluster {
        Some(cluster) if bus_ok => matches!(cluster.secrets.compare().await, Ok(Agreement::Differ)),
        _ => false,
    };
    let (code, status) = match (store_ok, bus_ok, draining) {
        (_, _, true) => (StatusCode::SERVICE_UNAVAILABLE, "shutting down"),
        _ if secrets_differ => (
            StatusCode::SERVICE_UNAVAILABLE,
            "secrets differ from the other nodes': give every node the same HEARTH_JWT_SECRET",
        ),
        (true, true, false) => (StatusCode::OK, "ready"),
        (false, _, _) => (StatusCode::SERVICE_UNAVAILABLE, "store unavailable"),
        (true, false, _) => (StatusCode::SERVICE_UNAVAILABLE, "bus unavailable"),
    };
    (
        code,
        Json(Health {
            status: status.into(),
        }),
    )
}
