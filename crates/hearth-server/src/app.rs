//! The application: the router with its middleware, and the server loop
//! with graceful shutdown. The state it serves is [`crate::state`].

use crate::api;
use crate::gateway;
use crate::state::AppState;
use crate::web;
use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request};
use axum::http::{HeaderName, HeaderValue, header};
use axum::response::Response;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::net::TcpListener;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;
use tracing::Span;

fn security_headers(router: Router) -> Router {
    let headers: [(HeaderName, &'static str); 5] = [
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "no-referrer"),
        (
            HeaderName::from_static("permissions-policy"),
            "camera=(self), microphone=(self), geolocation=()",
        ),
        (header::CONTENT_SECURITY_POLICY, web::APP_POLICY),
    ];
    headers.into_iter().fold(router, |r, (name, value)| {
        r.layer(SetResponseHeaderLayer::if_not_present(
            name,
            HeaderValue::from_static(value),
        ))
    })
}

/// One log line per request: method, route, status, latency. The raw URI is
/// not logged (the route template says enough and cannot carry secrets).
fn trace_layer(router: Router) -> Router {
    router.layer(
        TraceLayer::new_for_http()
            .make_span_with(|req: &Request| {
                let route = req
                    .extensions()
                    .get::<MatchedPath>()
                    .map_or("(unmatched)", |m| m.as_str())
                    .to_owned();
                tracing::info_span!("http", method = %req.method(), route = %route)
            })
            .on_request(())
            .on_response(|res: &Response, latency: Duration, _span: &Span| {
                let status = res.status().as_u16();
                let latency_ms = latency.as_secs_f64() * 1000.0;
                // A gateway upgrade (101) is a connect, thousands a second
                // at peak: not worth a line each at info.
                if status == 101 {
                    tracing::debug!(status, latency_ms, "request");
                } else {
                    tracing::info!(status, latency_ms, "request");
                }
            })
            .on_failure(()),
    )
}

fn panic_response(_err: Box<dyn std::any::Any + Send + 'static>) -> Response {
    use axum::response::IntoResponse;
    crate::error::ApiError::internal(anyhow::anyhow!("handler panicked")).into_response()
}

pub fn router(state: AppState) -> Router {
    let api = api::router()
        .route("/gateway", axum::routing::get(gateway::upgrade))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            api::throttle::per_user,
        ))
        .layer(DefaultBodyLimit::max(state.config.limits.max_json_bytes));
    let app = Router::new()
        .nest("/api/v1", api)
        .route("/healthz", axum::routing::get(api::health::healthz))
        .route("/readyz", axum::routing::get(api::health::readyz))
        .route(
            "/api/openapi.json",
            axum::routing::get(api::openapi::openapi_json),
        )
        .route("/api/docs", axum::routing::get(api::openapi::docs_page))
        .route(
            "/api/docs/docs.js",
            axum::routing::get(api::openapi::docs_script),
        )
        .route(
            "/api/docs/docs.css",
            axum::routing::get(api::openapi::docs_style),
        )
        .merge(web::router())
        .with_state(state);
    let app = trace_layer(app);
    security_headers(app).layer(CatchPanicLayer::custom(panic_response))
}

/// Serves until the shutdown signal, then stops accepting, closes every
/// gateway session with 1012 and waits (bounded) for requests to finish.
pub async fn serve(
    state: AppState,
    listener: TcpListener,
    signal: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let shutdown = state.node.shutdown.clone();
    let grace = state.config.shutdown_grace;
    let hub = state.node.hub.clone();
    crate::tasks::spawn_background(&state);
    let app = router(state);
    let trigger = shutdown.clone();
    tokio::spawn(async move {
        signal.await;
        tracing::info!("shutting down: closing gateway sessions");
        trigger.trigger();
        hub.close_all(hearth_protocol::gateway::close_code::SERVICE_RESTART);
    });
    let wait = shutdown.clone();
    // Without TCP_NODELAY a small frame written right after another (an
    // `ack` after its `message.created`) waits for the peer's delayed ACK:
    // up to 40 ms per reply.
    let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::debug!(error = %e, "cannot set TCP_NODELAY");
        }
    });
    let server = axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async move { wait.wait().await });
    let server = tokio::spawn(async move { server.await });
    shutdown.wait().await;
    match tokio::time::timeout(grace, server).await {
        Ok(Ok(Ok(()))) => tracing::info!("stopped cleanly"),
        Ok(Ok(Err(e))) => return Err(e.into()),
        Ok(Err(join)) => return Err(join.into()),
        Err(_) => tracing::warn!(
            ?grace,
            "connections still open after the grace period; exiting"
        ),
    }
    Ok(())
}
