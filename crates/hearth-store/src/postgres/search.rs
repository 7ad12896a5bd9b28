//! [`SearchStore`] for PostgreSQL: a generated `tsvector` column under a GIN
//! index, in the `hearth_search` configuration (`simple` words, accents
//! folded by `unaccent`; see migration 0003).
//!
//! The user's text never reaches `to_tsquery` as syntax: each
//! whitespace-separated word becomes a quoted lexeme (quotes and backslashes
//! escaped), the words are ANDed and the last one also matches as a prefix,
//! as the SQLite backend does. Who may read what is decided by a join with
//! `members` on every query; the user's rooms are also named to the index
//! (`room_id = ANY(…)` on the `(room_id, search)` GIN index, migration
//! 0007), so a search reads the postings of those rooms only, never every
//! match on the server. Snippets come from `ts_headline` with private-
//! use characters as match markers, turned into plain text and char ranges.

use super::dialect::{message_columns, position};
use super::{Db, PgStore};
use crate::error::StoreResult;
use crate::records::{SearchHit, SearchQuery};
use crate::sql::search::{
    MARK_END, MARK_START, flatten, hit, parse_markers, plain_snippet, search_filters, search_words,
};
use crate::traits::SearchStore;
use async_trait::async_trait;
use sqlx::QueryBuilder;

search_filters!();

#[async_trait]
impl SearchStore for PgStore {
    async fn search_messages(&self, query: &SearchQuery) -> StoreResult<Vec<SearchHit>> {
        if query.limit == 0 {
            return Ok(Vec::new());
        }
        let Some(words) = tsquery_text(&query.text) else {
            if !query.has_filters() {
                return Ok(Vec::new());
            }
            let found = filter_sql(query).build().fetch_all(&self.pool).await?;
            return found
                .iter()
                .map(|row| hit(row, |_, body| (plain_snippet(body), Vec::new())))
                .collect();
        };
        let rooms: Vec<uuid::Uuid> = match query.room {
            Some(room) => vec![room.0],
            None => {
                sqlx::query_scalar("SELECT room_id FROM members WHERE user_id = $1 AND NOT banned")
                    .bind(query.user.0)
                    .fetch_all(&self.pool)
                    .await?
            }
        };
        if rooms.is_empty() {
            return Ok(Vec::new());
        }
        // The page is chosen first (index walk, membership join, filters,
        // LIMIT); headlines, which re-parse bodies, are made for it alone.
        let mut sql: QueryBuilder<Db> =
            QueryBuilder::new("WITH q AS (SELECT to_tsquery('hearth_search', ");
        sql.push_bind(words);
        sql.push(
            ") AS q), page AS (SELECT m.id FROM q, messages m \
             JOIN members mb ON mb.room_id = m.room_id AND NOT mb.banned AND mb.user_id = ",
        );
        sql.push_bind(query.user.0);
        sql.push(" WHERE m.room_id = ANY(");
        sql.push_bind(rooms);
        sql.push(") AND m.search @@ q.q AND NOT m.deleted");
        push_filters(&mut sql, query, "m.row_id");
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

        found.iter().map(|row| hit(row, headline)).collect()
    }
}

/// A search with filters and no words: the readable messages that pass
/// them, newest first by `row_id` (a hit's position, as in a word search).
fn filter_sql(query: &SearchQuery) -> QueryBuilder<'_, Db> {
    let mut sql: QueryBuilder<Db> = QueryBuilder::new(concat!(
        "SELECT ",
        message_columns!(),
        ", m.row_id AS position, NULL::text AS snippet FROM messages m \
         JOIN members mb ON mb.room_id = m.room_id AND NOT mb.banned AND mb.user_id = "
    ));
    sql.push_bind(query.user.0);
    sql.push(" WHERE NOT m.deleted");
    push_filters(&mut sql, query, "m.row_id");
    sql.push(" ORDER BY m.row_id DESC LIMIT ")
        .push_bind(i64::from(query.limit));
    sql
}

/// The user's text as a `to_tsquery` expression: each whitespace-separated
/// word a quoted lexeme, ANDed; the last one also a prefix. Words without a
/// letter or digit are dropped (they hold no token), as is NUL (PostgreSQL
/// text cannot hold it); `None` when nothing is left.
fn tsquery_text(text: &str) -> Option<String> {
    let words: Vec<String> = text
        .split_whitespace()
        .map(|w| w.replace('\0', ""))
        .collect();
    let words = search_words(words.iter().map(String::as_str))?;
    let mut out = String::new();
    for (i, word) in words.iter().enumerate() {
        if i > 0 {
            out.push_str(" & ");
        }
        out.push('\'');
        out.push_str(&word.text.replace('\\', "\\\\").replace('\'', "''"));
        out.push('\'');
        if word.prefix {
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
}
