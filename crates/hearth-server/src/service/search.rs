//! Message search: checks the parameters, asks the store for what the caller
//! may read now, and builds the answer with the message DTOs.

use crate::error::{ApiError, ApiResult};
use crate::service::access::RoomAccess;
use crate::service::permissions::Action;
use crate::service::views::Views;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hearth_protocol::search::{SearchHas, SearchPage, SearchResult};
use hearth_protocol::{ErrorCode, RoomId, UserId};
use hearth_store::{SearchQuery, Store};
use std::sync::Arc;
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{Date, OffsetDateTime};

/// Longest query text, in characters.
pub const MAX_QUERY_CHARS: usize = 256;
/// Results per page: default and most.
pub const DEFAULT_LIMIT: u32 = 20;
pub const MAX_LIMIT: u32 = 50;
/// Cursors start with this, so a future format can tell itself apart.
const CURSOR_PREFIX: &str = "p1.";

/// What a caller asks for (query parameters of `GET /search`).
#[derive(Debug, Default, Clone)]
pub struct SearchParams {
    pub q: String,
    pub room_id: Option<RoomId>,
    pub from: Option<UserId>,
    /// RFC 3339 time, or a date (`2025-01-31`, midnight UTC).
    pub before: Option<String>,
    pub after: Option<String>,
    pub has: Option<SearchHas>,
    pub cursor: Option<String>,
    pub limit: Option<u32>,
}

fn invalid(message: &'static str) -> ApiError {
    ApiError::new(ErrorCode::InvalidParameter, message)
}

/// `2025-01-31T12:00:00Z` or `2025-01-31` (midnight UTC).
fn parse_time(raw: &str, field: &'static str) -> ApiResult<OffsetDateTime> {
    let raw = raw.trim();
    if let Ok(t) = OffsetDateTime::parse(raw, &Rfc3339) {
        return Ok(t);
    }
    Date::parse(raw, format_description!("[year]-[month]-[day]"))
        .ok()
        .map(|d| d.midnight().assume_utc())
        .ok_or_else(|| {
            ApiError::new(
                ErrorCode::InvalidParameter,
                format!("{field}: an RFC 3339 time or a YYYY-MM-DD date"),
            )
        })
}

fn encode_cursor(position: i64) -> String {
    format!(
        "{CURSOR_PREFIX}{}",
        URL_SAFE_NO_PAD.encode(position.to_be_bytes())
    )
}

fn decode_cursor(cursor: &str) -> ApiResult<i64> {
    let bad = || invalid("cursor: not a cursor from a previous page");
    let encoded = cursor.strip_prefix(CURSOR_PREFIX).ok_or_else(bad)?;
    let bytes: [u8; 8] = URL_SAFE_NO_PAD
        .decode(encoded)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(bad)?;
    Ok(i64::from_be_bytes(bytes))
}

/// Message search, limited to the rooms the caller may read.
#[derive(Clone)]
pub struct SearchService {
    store: Arc<dyn Store>,
    access: RoomAccess,
    views: Views,
}

impl SearchService {
    pub fn new(store: Arc<dyn Store>, access: RoomAccess, views: Views) -> Self {
        Self {
            store,
            access,
            views,
        }
    }

    /// Messages matching `params.q` that `user` may read now, newest first.
    pub async fn search(&self, user: UserId, params: SearchParams) -> ApiResult<SearchPage> {
        if params.q.chars().count() > MAX_QUERY_CHARS {
            return Err(ApiError::validation(format!(
                "q: at most {MAX_QUERY_CHARS} characters"
            )));
        }
        let limit = params.limit.unwrap_or(DEFAULT_LIMIT);
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(invalid("limit: 1 to 50"));
        }
        let before = params
            .before
            .as_deref()
            .map(|b| parse_time(b, "before"))
            .transpose()?;
        let after = params
            .after
            .as_deref()
            .map(|a| parse_time(a, "after"))
            .transpose()?;
        let before_position = params.cursor.as_deref().map(decode_cursor).transpose()?;
        if let Some(room) = params.room_id {
            // The usual 404 / 403 for a room the caller cannot read.
            self.access.authorize(user, room, Action::Read).await?;
        }
        let mut hits = self
            .store
            .search_messages(&SearchQuery {
                user,
                text: params.q,
                room: params.room_id,
                from: params.from,
                before,
                after,
                has: params.has,
                before_position,
                limit: limit + 1,
            })
            .await?;
        let next_cursor = if hits.len() > limit as usize {
            hits.truncate(limit as usize);
            hits.last().map(|h| encode_cursor(h.position))
        } else {
            None
        };
        let records: Vec<_> = hits.iter().map(|h| h.message.clone()).collect();
        let messages = self.views.messages(&records, Some(user)).await?;
        let results = hits
            .into_iter()
            .zip(messages)
            .map(|(hit, message)| SearchResult {
                room_id: message.room_id,
                message,
                snippet: hit.snippet,
                highlights: hit.highlights.into_iter().map(|(s, e)| [s, e]).collect(),
            })
            .collect();
        Ok(SearchPage {
            results,
            next_cursor,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_reject_garbage() {
        for p in [0, 1, 42, i64::MAX] {
            assert_eq!(decode_cursor(&encode_cursor(p)).ok(), Some(p));
        }
        for bad in ["", "p1.", "p1.!!", "42", "p1.AAAA", "p2.AAAAAAAAAAA"] {
            assert!(decode_cursor(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn times_are_rfc3339_or_dates() {
        assert_eq!(
            parse_time("2025-01-31", "before").ok(),
            Some(time::macros::datetime!(2025-01-31 0:00 UTC))
        );
        assert_eq!(
            parse_time("2025-01-31T12:30:00+01:00", "before").ok(),
            Some(time::macros::datetime!(2025-01-31 11:30 UTC))
        );
        assert!(parse_time("yesterday", "before").is_err());
    }
}
