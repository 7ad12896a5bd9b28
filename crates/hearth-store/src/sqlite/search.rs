//! [`SearchStore`] for SQLite: FTS5 over message bodies (see migration 0003).
//!
//! The user's text never reaches FTS5's query parser as syntax: every word
//! becomes a double-quoted string (inner quotes doubled), so `AND`, `NEAR(`,
//! `*`, `:` or an unbalanced quote are just characters to look for. The words
//! are restricted to the `body` column; the `room` column is ours.
//!
//! Who may read what is decided by a join with `members` on every query.
//! FTS5 is the outer loop, walking matches newest first (rowid descending)
//! until the page is full. For a user whose rooms hold a small share of the
//! server's messages that walk could pass over many matches from other rooms,
//! so the expression also ANDs their rooms' tokens: FTS5 then intersects the
//! word postings with those rooms' postings instead.

use super::SqliteStore;
use super::millis;
use super::rows::{self, message_columns};
use crate::error::StoreResult;
use crate::records::{SearchHit, SearchQuery};
use crate::traits::SearchStore;
use async_trait::async_trait;
use hearth_protocol::search::SearchHas;
use sqlx::{QueryBuilder, Row, Sqlite};
use uuid::Uuid;

/// Start and end of a match in `snippet()` output: private-use characters,
/// which a body is unlikely to hold (one that does gets a plain snippet).
const MARK_START: char = '\u{E000}';
const MARK_END: char = '\u{E001}';
/// Most words of a query that are used; the server bounds the text anyway.
const MAX_WORDS: usize = 32;
/// A prefix match on a one-character word would merge the postings of every
/// word starting with that character: it needs at least this many.
const MIN_PREFIX_CHARS: usize = 2;
/// Most room tokens ANDed into the expression; a user in more rooms relies
/// on the membership join alone.
const MAX_ROOM_TOKENS: usize = 64;
/// The room tokens are used when the user's rooms hold less than
/// 1/`ROOM_FILTER_SHARE` of all messages (by `last_seq` against the highest
/// rowid, both cheap to read); above that the walk finds their matches soon.
const ROOM_FILTER_SHARE: i64 = 4;
/// Snippet length in tokens (FTS5 allows up to 64).
const SNIPPET_TOKENS: i64 = 24;
/// Length of the plain snippet used when `snippet()` cannot be trusted.
const PLAIN_SNIPPET_CHARS: usize = 160;

#[async_trait]
impl SearchStore for SqliteStore {
    async fn search_messages(&self, query: &SearchQuery) -> StoreResult<Vec<SearchHit>> {
        let Some(words) = match_words(&query.text) else {
            return Ok(Vec::new());
        };
        if query.limit == 0 {
            return Ok(Vec::new());
        }
        // One read transaction: the room tokens and the results come from
        // the same snapshot.
        let mut tx = self.reader.begin().await?;
        let rooms: Vec<(Uuid, i64)> = match query.room {
            Some(room) => sqlx::query_as(
                "SELECT mb.room_id, r.last_seq FROM members mb JOIN rooms r ON r.id = mb.room_id \
                 WHERE mb.room_id = ? AND mb.user_id = ? AND mb.banned = 0",
            )
            .bind(room.0)
            .bind(query.user.0),
            None => sqlx::query_as(
                "SELECT mb.room_id, r.last_seq FROM members mb JOIN rooms r ON r.id = mb.room_id \
                 WHERE mb.user_id = ? AND mb.banned = 0",
            )
            .bind(query.user.0),
        }
        .fetch_all(&mut *tx)
        .await?;
        if rooms.is_empty() {
            return Ok(Vec::new());
        }
        let mut expression = format!("body : ({words})");
        if rooms.len() <= MAX_ROOM_TOKENS {
            let newest: Option<i64> = sqlx::query_scalar("SELECT max(row_id) FROM messages")
                .fetch_one(&mut *tx)
                .await?;
            let in_rooms: i64 = rooms.iter().map(|(_, last_seq)| *last_seq).sum();
            if in_rooms.saturating_mul(ROOM_FILTER_SHARE) < newest.unwrap_or(0) {
                let tokens: Vec<String> = rooms
                    .iter()
                    .map(|(id, _)| format!("\"r{}\"", id.simple()))
                    .collect();
                expression.push_str(&format!(" AND room : ({})", tokens.join(" OR ")));
            }
        }

        let found = search_sql("", query, expression)
            .build()
            .fetch_all(&mut *tx)
            .await?;
        tx.commit().await?;

        let mut hits = Vec::with_capacity(found.len());
        for row in &found {
            let message = rows::message(row)?;
            let raw: Option<String> = row.try_get("snippet")?;
            let (snippet, highlights) = if message.body.contains([MARK_START, MARK_END]) {
                (plain_snippet(&message.body), Vec::new())
            } else {
                parse_snippet(raw.as_deref().unwrap_or_default())
            };
            hits.push(SearchHit {
                position: row.try_get("position")?,
                message,
                snippet,
                highlights,
            });
        }
        Ok(hits)
    }
}

/// The search statement, after `prefix` (empty, or `EXPLAIN QUERY PLAN `).
fn search_sql<'a>(
    prefix: &'a str,
    query: &'a SearchQuery,
    expression: String,
) -> QueryBuilder<'a, Sqlite> {
    // CROSS JOIN fixes the join order: the FTS index is the outer loop,
    // read in rowid order, so the LIMIT stops the walk early.
    let mut sql: QueryBuilder<Sqlite> = QueryBuilder::new(prefix);
    sql.push(concat!(
        "SELECT ",
        message_columns!(),
        ", messages_fts.rowid AS position, \
         snippet(messages_fts, 0, char(57344), char(57345), '…', "
    ));
    sql.push(SNIPPET_TOKENS);
    sql.push(
        ") AS snippet FROM messages_fts \
         CROSS JOIN messages m ON m.row_id = messages_fts.rowid \
         CROSS JOIN members mb ON mb.room_id = m.room_id AND mb.user_id = ",
    );
    sql.push_bind(query.user.0);
    sql.push(" AND mb.banned = 0 WHERE messages_fts MATCH ");
    sql.push_bind(expression);
    sql.push(" AND m.deleted = 0");
    if let Some(before) = query.before_position {
        sql.push(" AND messages_fts.rowid < ").push_bind(before);
    }
    if let Some(room) = query.room {
        sql.push(" AND m.room_id = ").push_bind(room.0);
    }
    if let Some(from) = query.from {
        // An anonymous post must not be found by its author's name.
        sql.push(" AND m.anonymous = 0 AND m.sender_id = ")
            .push_bind(from.0);
    }
    if let Some(before) = query.before {
        sql.push(" AND m.created_at < ").push_bind(millis(before));
    }
    if let Some(after) = query.after {
        sql.push(" AND m.created_at >= ").push_bind(millis(after));
    }
    match query.has {
        None => {}
        Some(SearchHas::File) => {
            sql.push(" AND m.attachments != '[]'");
        }
        Some(SearchHas::Image) => {
            sql.push(
                " AND EXISTS (SELECT 1 FROM message_attachments ma \
                 JOIN uploads u ON u.id = ma.upload_id \
                 WHERE ma.message_id = m.id AND u.content_type LIKE 'image/%')",
            );
        }
        Some(SearchHas::Link) => {
            sql.push(
                " AND (instr(lower(m.body), 'http://') > 0 \
                 OR instr(lower(m.body), 'https://') > 0)",
            );
        }
    }
    sql.push(" ORDER BY messages_fts.rowid DESC LIMIT ")
        .push_bind(i64::from(query.limit));
    sql
}

/// The user's text as FTS5 phrases, ANDed: each whitespace-separated word
/// quoted (inner quotes doubled); the last one also matches as a prefix.
/// Words without a letter or digit are dropped (FTS5 would find no token in
/// them); `None` when nothing is left.
fn match_words(text: &str) -> Option<String> {
    // FTS5 reads its query as a C string: a NUL would cut the expression
    // short (an unbalanced quote). Control characters separate words.
    let text: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let words: Vec<&str> = text
        .split_whitespace()
        .filter(|w| w.chars().any(char::is_alphanumeric))
        .take(MAX_WORDS)
        .collect();
    let last = words.len().checked_sub(1)?;
    let mut out = String::new();
    for (i, word) in words.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        out.push('"');
        out.push_str(&word.replace('"', "\"\""));
        out.push('"');
        if i == last && word.chars().filter(|c| c.is_alphanumeric()).count() >= MIN_PREFIX_CHARS {
            out.push_str(" *");
        }
    }
    Some(out)
}

/// Turns `snippet()` output into plain text on one line (whitespace runs
/// become one space) and the char ranges its markers enclosed.
fn parse_snippet(raw: &str) -> (String, Vec<(u32, u32)>) {
    let mut text = String::with_capacity(raw.len());
    let mut chars: u32 = 0;
    let mut highlights = Vec::new();
    let mut open: Option<u32> = None;
    let mut pending_space = false;
    for c in raw.chars() {
        match c {
            MARK_START => open = Some(chars + u32::from(pending_space && chars > 0)),
            MARK_END => {
                if let Some(start) = open.take()
                    && start < chars
                {
                    highlights.push((start, chars));
                }
            }
            c if c.is_whitespace() => pending_space = true,
            c => {
                if pending_space && chars > 0 {
                    text.push(' ');
                    chars += 1;
                }
                pending_space = false;
                text.push(c);
                chars += 1;
            }
        }
    }
    (text, highlights)
}

/// The start of `body` on one line, `…` where cut, without highlights.
fn plain_snippet(body: &str) -> String {
    let flat = body.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut out: String = flat.chars().take(PLAIN_SNIPPET_CHARS).collect();
    if flat.chars().count() > PLAIN_SNIPPET_CHARS {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn words_are_quoted_and_the_last_is_a_prefix() {
        assert_eq!(
            match_words("brown fox").as_deref(),
            Some("\"brown\" \"fox\" *")
        );
        assert_eq!(match_words("a").as_deref(), Some("\"a\""));
        assert_eq!(
            match_words("say \"hi\" NEAR(x").as_deref(),
            Some("\"say\" \"\"\"hi\"\"\" \"NEAR(x\" *")
        );
        assert_eq!(match_words("  *** \" ( ) "), None);
        assert_eq!(match_words(""), None);
    }

    #[test]
    fn snippets_lose_their_markers_and_keep_char_offsets() {
        let raw = format!("the {MARK_START}café{MARK_END} is\n\n{MARK_START}open{MARK_END}…");
        let (text, marks) = parse_snippet(&raw);
        assert_eq!(text, "the café is open…");
        assert_eq!(marks, vec![(4, 8), (12, 16)]);
        let words: Vec<String> = marks
            .iter()
            .map(|&(s, e)| {
                text.chars()
                    .skip(s as usize)
                    .take((e - s) as usize)
                    .collect()
            })
            .collect();
        assert_eq!(words, vec!["café", "open"]);
    }

    #[test]
    fn a_highlight_after_whitespace_starts_after_the_space() {
        let raw = format!("a \n{MARK_START}b{MARK_END}");
        assert_eq!(parse_snippet(&raw), ("a b".to_string(), vec![(2, 3)]));
        let raw = format!("  {MARK_START}b{MARK_END}  c  ");
        assert_eq!(parse_snippet(&raw), ("b c".to_string(), vec![(0, 1)]));
    }

    /// The plan the module docs promise: the FTS index drives, in rowid
    /// order (no sort), messages and the membership by primary key.
    #[tokio::test]
    async fn the_fts_index_is_the_outer_loop_and_needs_no_sort() {
        let store = SqliteStore::open("sqlite::memory:").await.unwrap();
        let mut query = SearchQuery {
            user: hearth_protocol::UserId::new(),
            text: "x".into(),
            room: Some(hearth_protocol::RoomId::new()),
            from: Some(hearth_protocol::UserId::new()),
            before: None,
            after: None,
            has: Some(SearchHas::Image),
            before_position: Some(10),
            limit: 21,
        };
        for has in [Some(SearchHas::Image), None] {
            query.has = has;
            let plan: Vec<String> = search_sql(
                "EXPLAIN QUERY PLAN ",
                &query,
                "body : (\"x\") AND room : (\"r00\")".into(),
            )
            .build()
            .fetch_all(&store.reader)
            .await
            .unwrap()
            .iter()
            .map(|row| row.get::<String, _>("detail"))
            .collect();
            assert!(
                plan[0].starts_with("SCAN messages_fts VIRTUAL TABLE"),
                "{plan:#?}"
            );
            assert!(
                plan.iter()
                    .any(|p| p.starts_with("SEARCH m USING INTEGER PRIMARY KEY")),
                "{plan:#?}"
            );
            assert!(
                plan.iter()
                    .any(|p| p.starts_with("SEARCH mb USING PRIMARY KEY")),
                "{plan:#?}"
            );
            assert!(!plan.iter().any(|p| p.contains("TEMP B-TREE")), "{plan:#?}");
        }
    }

    #[test]
    fn plain_snippets_are_cut_with_an_ellipsis() {
        assert_eq!(plain_snippet("a\n b"), "a b");
        let long = "x".repeat(PLAIN_SNIPPET_CHARS + 5);
        assert_eq!(
            plain_snippet(&long).chars().count(),
            PLAIN_SNIPPET_CHARS + 1
        );
    }
}
