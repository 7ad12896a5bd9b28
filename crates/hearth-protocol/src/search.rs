//! `GET /api/v1/search`: full-text search over the messages the caller may read.

use crate::dto::Message;
use crate::ids::RoomId;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// What a result must carry (`has=`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SearchHas {
    /// Any attachment.
    File,
    /// An image attachment.
    Image,
    /// An http(s) link in the text.
    Link,
}

/// One matching message.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct SearchResult {
    pub message: Message,
    pub room_id: RoomId,
    /// Plain text around the matches (never markup), on one line; `…` marks
    /// where the body was cut.
    pub snippet: String,
    /// The matched words in `snippet` as `[start, end)` offsets counted in
    /// Unicode code points, ascending and not overlapping.
    pub highlights: Vec<[u32; 2]>,
}

/// `GET /search` answer, newest first.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct SearchPage {
    pub results: Vec<SearchResult>,
    /// Pass as `cursor` for the next (older) page; null on the last page.
    pub next_cursor: Option<String>,
}
