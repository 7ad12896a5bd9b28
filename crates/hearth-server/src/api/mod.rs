//! The REST API under `/api/v1`: one file per resource, each handler thin
//! (extract → service → respond).

pub mod admin;
pub mod auth;
pub mod avatars;
pub mod extract;
pub mod health;
pub mod members;
pub mod messages;
pub mod notifications;
pub mod openapi;
pub mod rooms;
pub mod search;
pub mod server_info;
pub mod sessions;
pub mod throttle;
pub mod totp;
pub mod uploads;
pub mod users;

use crate::error::ApiError;
use crate::state::AppState;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post, put};
use hearth_protocol::ErrorCode;

/// Every `/api/v1` route.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/server", get(server_info::get_server_info))
        .route("/auth/register", post(auth::register))
        .route("/auth/login", post(auth::login))
        .route("/auth/refresh", post(auth::refresh))
        .route("/auth/logout", post(auth::logout))
        .route("/auth/password", post(auth::change_password))
        .route(
            "/auth/password-reset/request",
            post(auth::request_password_reset),
        )
        .route(
            "/auth/password-reset/confirm",
            post(auth::confirm_password_reset),
        )
        .route(
            "/auth/verify-email/request",
            post(auth::request_email_verification),
        )
        .route(
            "/auth/verify-email/confirm",
            post(auth::confirm_email_verification),
        )
        .route("/auth/totp/setup", post(totp::setup_totp))
        .route("/auth/totp/enable", post(totp::enable_totp))
        .route("/auth/totp/disable", post(totp::disable_totp))
        .route("/sessions", get(sessions::list_sessions))
        .route(
            "/sessions/revoke-others",
            post(sessions::revoke_other_sessions),
        )
        .route(
            "/sessions/{id}",
            axum::routing::delete(sessions::revoke_session),
        )
        .route("/admin/users/{id}/deactivate", post(admin::deactivate_user))
        .route("/admin/users/{id}/reactivate", post(admin::reactivate_user))
        .route(
            "/users/me",
            get(users::get_me)
                .patch(users::update_me)
                .delete(users::delete_me),
        )
        .route("/users", get(users::search_users))
        .route("/users/{id}", get(users::get_user))
        .route("/users/{id}/avatar", get(avatars::get_user_avatar))
        .route("/rooms", get(rooms::list_rooms).post(rooms::create_room))
        .route(
            "/rooms/{id}",
            get(rooms::get_room)
                .patch(rooms::update_room)
                .delete(rooms::archive_room),
        )
        .route("/rooms/{id}/avatar", get(avatars::get_room_avatar))
        .route("/channels", get(rooms::list_channels))
        .route("/rooms/{id}/join", post(rooms::join_room))
        .route("/rooms/{id}/leave", post(rooms::leave_room))
        .route("/rooms/{id}/read", post(rooms::mark_read))
        .route(
            "/rooms/{id}/notifications",
            get(notifications::get_room_notifications)
                .patch(notifications::update_room_notifications),
        )
        .route("/search", get(search::search_messages))
        .route(
            "/push/vapid-public-key",
            get(notifications::get_vapid_public_key),
        )
        .route(
            "/push/subscriptions",
            post(notifications::create_push_subscription)
                .delete(notifications::delete_push_subscription),
        )
        .route(
            "/rooms/{id}/members",
            get(members::list_members).post(members::add_members),
        )
        .route(
            "/rooms/{id}/members/{user_id}",
            axum::routing::patch(members::update_member).delete(members::remove_member),
        )
        .route(
            "/rooms/{id}/messages",
            get(messages::list_messages).post(messages::send_message),
        )
        .route(
            "/rooms/{id}/messages/{message_id}",
            get(messages::get_message)
                .patch(messages::edit_message)
                .delete(messages::delete_message),
        )
        .route(
            "/rooms/{id}/messages/{message_id}/reactions/{emoji}",
            put(messages::add_reaction).delete(messages::remove_reaction),
        )
        .route("/rooms/{id}/pins", get(messages::list_pins))
        .route(
            "/rooms/{id}/messages/{message_id}/pin",
            put(messages::pin_message).delete(messages::unpin_message),
        )
        // Uploads stream past the JSON body limit; `max_upload_bytes` is
        // enforced while they stream.
        .route(
            "/uploads",
            post(uploads::create_upload).layer(DefaultBodyLimit::disable()),
        )
        .route("/uploads/{id}", get(uploads::get_upload))
        .route("/uploads/{id}/thumbnail", get(uploads::get_thumbnail))
        .fallback(api_not_found)
        .method_not_allowed_fallback(method_not_allowed)
}

async fn api_not_found() -> ApiError {
    ApiError::new(ErrorCode::NotFound, "no such API endpoint")
}

async fn method_not_allowed() -> axum::response::Response {
    use axum::response::IntoResponse;
    let mut r = ApiError::new(
        ErrorCode::InvalidParameter,
        "method not allowed on this endpoint",
    )
    .into_response();
    *r.status_mut() = axum::http::StatusCode::METHOD_NOT_ALLOWED;
    r
}
