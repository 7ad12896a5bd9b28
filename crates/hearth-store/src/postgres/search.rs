//! [`SearchStore`] for PostgreSQL: a generated `tsvector` column under a GIN
//! index, in the `hearth_search` configuration (`simple` words, accents
//! folded by `unaccent`; see migration 0003).
//!
//! The user's text never reaches `to_tsquery` as syntax: each
//! whitespace-separated word becomes a quoted lexeme (quotes and backslashes
//! escaped), the words are ANDed and the last one also matches as a prefix,
//! as the SQLite backend does. Who may read what is decided by a join with
//! `members` on every query. Snippets come from `ts_headline` with private-
//! use characters as match markers, turned into plain text and char ranges.

use super::PgStore;
use super::rows::{self, message_columns};
use crate::error::StoreResult;
use crate::records::{SearchHit, SearchQuery};
use crate::traits::SearchStore;
use async_trait::async_trait;
use hearth_protocol::search::SearchHas;
use sqlx::{Postgres, QueryBuilder, Row};

/// Start and end of a match in `ts_headline` output: private-use characters,
/// which a body is unlikely to hold (one that does gets a plain snippet).
const MARK_START: char = '\u{E000}';
const MARK_END: char = '\u{E001}';
/// Most words of a query that are used; the server bounds the text anyway.
const MAX_WORDS: usize = 32;
/// A prefix match on a one-character word would match nearly everything.
const MIN_PREFIX_CHARS: usize = 2;
/// Length of the plain snippet used when the headline cannot be trusted.
const PLAIN_SNIPPET_CHARS: usize = 160;

#[async_trait]
impl SearchStore for PgStore {
    async fn search_messages(&self, query: &SearchQuery) -> StoreResult<Vec<SearchHit>> {
        let Some(words) = tsquery_text(&query.text) else {
            return Ok(Vec::new());
        };
        if query.limit == 0 {
            return Ok(Vec::new());
        }
        // The page is chosen first (index walk, membership join, filters,
        // LIMIT); headlines, which re-parse bodies, are made for it alone.
        let mut sql: QueryBuilder<Postgres> =
            QueryBuilder::new("WITH q AS (SELECT to_tsquery('hearth_search', ");
        sql.push_bind(words);
        sql.push(
            ") AS q), page AS (SELECT m.id FROM q, messages m \
             JOIN members mb ON mb.room_id = m.room_id AND NOT mb.banned AND mb.user_id = ",
        );
        sql.push_bind(query.user.0);
        sql.push(" WHERE m.search @@ q.q AND NOT m.deleted");
        if let Some(before) = query.before_position {
            sql.push(" AND m.row_id < ").push_bind(before);
        }
        if let Some(room) = query.room {
            sql.push(" AND m.room_id = ").push_bind(room.0);
        }
        if let Some(from) = query.from {
            // An anonymous post must not be found by its author's name.
            sql.push(" AND NOT m.anonymous AND m.sender_id = ")
                .push_bind(from.0);
        }
        if let Some(before) = query.before {
            sql.push(" AND m.created_at < ").push_bind(before);
        }
        if let Some(after) = query.after {
            sql.push(" AND m.created_at >= ").push_bind(after);
        }
        match query.has {
            None => {}
            Some(SearchHas::File) => {
                sql.push(" AND cardinality(m.attachments) > 0");
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
                    " AND (strpos(lower(m.body), 'http://') > 0 \
                     OR strpos(lower(m.body), 'https://') > 0)",
                );
            }
        }
        sql.push(" ORDER BY m.row_id DESC LIMIT ")
            .push_bind(i64::from(query.limit));
        sql.push(concat!(
            ") SELECT ",
            message_columns!(),
            ", m.row_id AS position, ts_headline('hearth_search', m.body, q.q, "
        ));
        sql.push_bind(format!(
            "StartSel=\"{MARK_START}\", StopSel=\"{MARK_END}\", MaxWords=24, MinWords=12, \
             ShortWord=0, MaxFragments=1, FragmentDelimiter=\" … \""
        ));
        sql.push(
            ") AS snippet FROM page JOIN messages m ON m.id = page.id, q ORDER BY m.row_id DESC",
        );
        let found = sql.build().fetch_all(&self.pool).await?;

        let mut hits = Vec::with_capacity(found.len());
        for row in &found {
            let message = rows::message(row)?;
            let raw: Option<String> = row.try_get("snippet")?;
            let (snippet, highlights) = if message.body.contains([MARK_START, MARK_END]) {
                (plain_snippet(&message.body), Vec::new())
            } else {
                headline(raw.as_deref().unwrap_or_default(), &message.body)
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

/// The user's text as a `to_tsquery` expression: each whitespace-separated
/// word a quoted lexeme, ANDed; the last one also a prefix. Words without a
/// letter or digit are dropped (they hold no token), as is NUL (PostgreSQL
/// text cannot hold it); `None` when nothing is left.
fn tsquery_text(text: &str) -> Option<String> {
    let words: Vec<String> = text
        .split_whitespace()
        .map(|w| w.replace('\0', ""))
        .filter(|w| w.chars().any(char::is_alphanumeric))
        .take(MAX_WORDS)
        .collect();
    let last = words.len().checked_sub(1)?;
    let mut out = String::new();
    for (i, word) in words.iter().enumerate() {
        if i > 0 {
            out.push_str(" & ");
        }
        out.push('\'');
        out.push_str(&word.replace('\\', "\\\\").replace('\'', "''"));
        out.push('\'');
        if i == last && word.chars().filter(|c| c.is_alphanumeric()).count() >= MIN_PREFIX_CHARS {
            out.push_str(":*");
        }
    }
    Some(out)
}

/// Turns `ts_headline` output into plain text on one line (whitespace runs
/// become one space), with `…` where it cuts `body`, and the char ranges its
/// markers enclosed.
fn headline(raw: &str, body: &str) -> (String, Vec<(u32, u32)>) {
    let (text, mut highlights) = parse_markers(raw);
    let flat_body = flatten(body);
    let Some(start) = flat_body.find(&text) else {
        return (text, highlights);
    };
    let mut out = String::with_capacity(text.len() + 6);
    if start > 0 {
        out.push('…');
        for h in &mut highlights {
            h.0 += 1;
            h.1 += 1;
        }
    }
    out.push_str(&text);
    if start + text.len() < flat_body.len() {
        out.push('…');
    }
    (out, highlights)
}

/// Removes the match markers, collapsing whitespace, and returns the char
/// ranges they enclosed.
fn parse_markers(raw: &str) -> (String, Vec<(u32, u32)>) {
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

fn flatten(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The start of `body` on one line, `…` where cut, without highlights.
fn plain_snippet(body: &str) -> String {
    let flat = flatten(body);
    let mut out: String = flat.chars().take(PLAIN_SNIPPET_CHARS).collect();
    if flat.chars().count() > PLAIN_SNIPPET_CHARS {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_quoted_lexemes_and_the_last_is_a_prefix() {
        assert_eq!(
            tsquery_text("brown fox").as_deref(),
            Some("'brown' & 'fox':*")
        );
        assert_eq!(tsquery_text("a").as_deref(), Some("'a'"));
        assert_eq!(
            tsquery_text("it's a\\b & x").as_deref(),
            Some("'it''s' & 'a\\\\b' & 'x'")
        );
        assert_eq!(tsquery_text("  *** \" ( ) "), None);
        assert_eq!(tsquery_text("\0"), None);
        assert_eq!(tsquery_text("a\0b").as_deref(), Some("'ab':*"));
        assert_eq!(
            tsquery_text(&"w ".repeat(100)).map(|q| q.matches('&').count()),
            Some(31)
        );
    }

    #[test]
    fn headlines_lose_their_markers_and_gain_ellipses_where_cut() {
        let body = "one two\n\nthe café is open today";
        let raw = format!("the {MARK_START}café{MARK_END} is\n{MARK_START}open{MARK_END}");
        let (text, marks) = headline(&raw, body);
        assert_eq!(text, "…the café is open…");
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
        let (whole, _) = headline("a  b", "a b");
        assert_eq!(whole, "a b");
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
