//! `/api/v1/search`: full-text search over the messages the caller may read.

use crate::api::extract::ApiQuery;
use crate::auth::AuthUser;
use crate::error::ApiResult;
use crate::service::search::SearchParams;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use hearth_protocol::search::{SearchHas, SearchPage};
use hearth_protocol::{ErrorBody, RoomId, UserId};
use serde::Deserialize;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchMessagesQuery {
    /// The words to find (at most 256 characters). Every word must match,
    /// the last one also as a prefix; case and accents are ignored. Operators
    /// and punctuation are plain text. No word: the messages that pass the
    /// filters below, newest first (no filter either: no results).
    #[serde(default)]
    #[param(max_length = 256)]
    pub q: String,
    /// Only this room (the caller must be a member).
    pub room_id: Option<RoomId>,
    /// Only messages this user posted under their name.
    pub from: Option<UserId>,
    /// Only messages created before this RFC 3339 time or YYYY-MM-DD date.
    pub before: Option<String>,
    /// Only messages created at or after this RFC 3339 time or YYYY-MM-DD date.
    pub after: Option<String>,
    /// Only messages with an attachment (`file`), an image, or a link.
    #[param(value_type = Option<SearchHas>)]
    pub has: Option<SearchHas>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Results per page, 1 to 50 [default: 20].
    #[param(minimum = 1, maximum = 50)]
    pub limit: Option<u32>,
}

/// Search the messages of the rooms the caller is a member of now, newest
/// first, with a plain-text snippet and the matched words' offsets in it.
#[utoipa::path(get, path = "/api/v1/search", tag = "search", params(SearchMessagesQuery),
    responses((status = 200, body = SearchPage), (status = 400, body = ErrorBody),
        (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn search_messages(
    State(state): State<AppState>,
    auth: AuthUser,
    ApiQuery(q): ApiQuery<SearchMessagesQuery>,
) -> ApiResult<Json<SearchPage>> {
    let params = SearchParams {
        q: q.q,
        room_id: q.room_id,
        from: q.from,
        before: q.before,
        after: q.after,
        has: q.has,
        cursor: q.cursor,
        limit: q.limit,
    };
    Ok(Json(
        state.services.search.search(auth.user_id, params).await?,
    ))
}
