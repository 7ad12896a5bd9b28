//! The OpenAPI 3.1 document, generated from the handlers' annotations, and a
//! self-contained docs page that renders it (no CDN: it works offline).
//! The answers every operation shares ([`errors`]) and the links between
//! operations ([`links`]) are added after the handlers' own annotations.

mod errors;
mod links;

use axum::Json;
use axum::http::header;
use axum::response::IntoResponse;
use errors::CommonErrors;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(title = "Hearth API", description = "REST API of Hearth, a self-hosted real-time chat server. The WebSocket gateway is described in docs/protocol.md."),
    paths(
        super::health::healthz, super::health::readyz, super::server_info::get_server_info,
        super::auth::register, super::auth::login, super::auth::refresh, super::auth::logout,
        super::auth::change_password, super::auth::request_password_reset,
        super::auth::confirm_password_reset, super::auth::request_email_verification,
        super::auth::confirm_email_verification,
        super::totp::setup_totp, super::totp::enable_totp, super::totp::disable_totp,
        super::sessions::list_sessions, super::sessions::revoke_session,
        super::sessions::revoke_other_sessions,
        super::admin::deactivate_user, super::admin::reactivate_user,
        super::users::delete_me,
        super::users::get_me, super::users::update_me, super::users::search_users, super::users::get_user,
        super::rooms::create_room, super::rooms::list_rooms, super::rooms::get_room, super::rooms::update_room,
        super::rooms::archive_room, super::rooms::list_channels, super::rooms::join_room, super::rooms::leave_room,
        super::rooms::mark_read,
        super::members::list_members, super::members::add_members, super::members::update_member,
        super::members::remove_member,
        super::messages::send_message, super::messages::list_messages, super::messages::get_message,
        super::messages::edit_message, super::messages::delete_message, super::messages::add_reaction,
        super::messages::remove_reaction, super::messages::pin_message, super::messages::unpin_message,
        super::messages::list_pins,
        super::uploads::create_upload, super::uploads::get_upload, super::uploads::get_thumbnail,
        super::avatars::get_user_avatar, super::avatars::get_room_avatar,
        super::search::search_messages,
        super::notifications::get_room_notifications, super::notifications::update_room_notifications,
        super::notifications::get_vapid_public_key, super::notifications::create_push_subscription,
        super::notifications::delete_push_subscription,
    ),
    components(schemas(hearth_protocol::search::SearchHas)),
    modifiers(&BearerAuth, &CommonErrors),
    tags(
        (name = "auth", description = "Accounts and tokens"),
        (name = "users", description = "Profiles and user search"),
        (name = "sessions", description = "Login sessions (devices) and revoking them"),
        (name = "admin", description = "Server administration (server admins only)"),
        (name = "rooms", description = "DMs, groups and channels"),
        (name = "members", description = "Membership, roles and moderation"),
        (name = "messages", description = "Messages, reactions and pins"),
        (name = "uploads", description = "Files, images and voice messages"),
        (name = "search", description = "Full-text search over the messages the caller may read"),
        (name = "notifications", description = "Per-room notification levels and Web Push"),
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

/// The document as served: the generated one, and the links.
pub fn document() -> serde_json::Value {
    let mut doc = serde_json::to_value(ApiDoc::openapi()).unwrap_or_default();
    links::add_links(&mut doc);
    doc
}

pub async fn openapi_json() -> impl IntoResponse {
    Json(document())
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

#[cfg(test)]
mod tests {
    use super::*;

    fn operation_ids(doc: &utoipa::openapi::OpenApi) -> Vec<String> {
        doc.paths
            .paths
            .values()
            .flat_map(|item| {
                [&item.get, &item.put, &item.post, &item.delete, &item.patch]
                    .into_iter()
                    .flatten()
                    .filter_map(|op| op.operation_id.clone())
            })
            .collect()
    }

    #[test]
    fn links_name_existing_operations() {
        let ids = operation_ids(&ApiDoc::openapi());
        for name in links::named_operations() {
            assert!(ids.iter().any(|id| id == name), "no operation {name}");
        }
        let doc = document();
        let link = doc.pointer("/paths/~1api~1v1~1auth~1login/post/responses/200/links/refresh");
        assert_eq!(
            link.and_then(|l| l.get("operationId")),
            Some(&serde_json::Value::from("refresh"))
        );
    }

    #[test]
    fn secured_operations_document_401_and_all_document_429() {
        let doc = ApiDoc::openapi();
        for (path, item) in &doc.paths.paths {
            for op in [&item.get, &item.put, &item.post, &item.delete, &item.patch]
                .into_iter()
                .flatten()
            {
                let has = |s: &str| op.responses.responses.contains_key(s);
                if op.security.as_ref().is_some_and(|s| !s.is_empty()) {
                    assert!(has("401"), "{path}");
                }
                if path.starts_with("/api/v1/") {
                    assert!(has("429"), "{path}");
                }
            }
        }
    }
}
