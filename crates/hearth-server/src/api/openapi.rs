//! The OpenAPI 3.1 document, generated from the handlers' annotations, and a
//! self-contained docs page that renders it (no CDN: it works offline).

use axum::Json;
use axum::http::header;
use axum::response::IntoResponse;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(title = "Hearth API", description = "REST API of Hearth, a self-hosted real-time chat server. The WebSocket gateway is described in docs/protocol.md."),
    paths(
        super::health::healthz, super::health::readyz,
        super::auth::register, super::auth::login, super::auth::refresh, super::auth::logout,
        super::users::get_me, super::users::update_me, super::users::search_users, super::users::get_user,
        super::rooms::create_room, super::rooms::list_rooms, super::rooms::get_room, super::rooms::update_room,
        super::rooms::archive_room, super::rooms::list_channels, super::rooms::join_room, super::rooms::leave_room,
        super::rooms::mark_read,
        super::members::list_members, super::members::add_members, super::members::update_member,
        super::members::remove_member,
        super::messages::send_message, super::messages::list_messages, super::messages::get_message,
        super::messages::edit_message, super::messages::delete_message, super::messages::add_reaction,
        super::messages::remove_reaction, super::messages::pin_message, super::messages::unpin_message,
    ),
    modifiers(&BearerAuth),
    tags(
        (name = "auth", description = "Accounts and tokens"),
        (name = "users", description = "Profiles and user search"),
        (name = "rooms", description = "DMs, groups and channels"),
        (name = "members", description = "Membership, roles and moderation"),
        (name = "messages", description = "Messages, reactions and pins"),
        (name = "operations", description = "Health and readiness"),
    )
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

pub async fn openapi_json() -> impl IntoResponse {
    Json(ApiDoc::openapi())
}

pub async fn docs_page() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        include_str!("../../assets/docs.html"),
    )
}

pub async fn docs_script() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        include_str!("../../assets/docs.js"),
    )
}

pub async fn docs_style() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
        include_str!("../../assets/docs.css"),
    )
}
