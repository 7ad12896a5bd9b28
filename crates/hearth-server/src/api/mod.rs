//! The REST API under `/api/v1`: one file per resource, each handler thin
//! (extract → service → respond).

pub mod auth;
pub mod extract;
pub mod health;
pub mod members;
pub mod messages;
pub mod openapi;
pub mod rooms;
pub mod users;

use crate::app::AppState;
use crate::error::ApiError;
use axum::Router;
use axum::routing::{get, post, put};
use hearth_protocol::ErrorCode;

/// Every `/api/v1` route.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/auth/register", post(auth::register))
        .route("/auth/login", post(auth::login))
        .route("/auth/refresh", post(auth::refresh))
        .route("/auth/logout", post(auth::logout))
        .route("/users/me", get(users::get_me).patch(users::update_me))
        .route("/users", get(users::search_users))
        .route("/users/{id}", get(users::get_user))
        .route("/rooms", get(rooms::list_rooms).post(rooms::create_room))
        .route(
            "/rooms/{id}",
            get(rooms::get_room)
                .patch(rooms::update_room)
                .delete(rooms::archive_room),
        )
        .route("/channels", get(rooms::list_channels))
        .route("/rooms/{id}/join", post(rooms::join_room))
        .route("/rooms/{id}/leave", post(rooms::leave_room))
        .route("/rooms/{id}/read", post(rooms::mark_read))
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
        .route(
            "/rooms/{id}/messages/{message_id}/pin",
            put(messages::pin_message).delete(messages::unpin_message),
        )
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
