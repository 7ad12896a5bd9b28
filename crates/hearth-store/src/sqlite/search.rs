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
//! word postings with those rooms' postings instead. A user in more rooms
//! than one expression names ([`MAX_ROOM_TOKENS`]) gets one query per group
//! of rooms, each stopping at the page size, and the newest of their hits
//! make the page: the walk never leaves the user's rooms, however many they
//! are in.

use super::dialect::{message_columns, position};
use super::{Db, SqliteStore};
use crate::error::StoreResult;
use crate::records::{SearchHit, SearchQuery};
use crate::sql::search::{hit, parse_markers, plain_snippet, search_filters, search_words};
use crate::traits::SearchStore;
use async_trait::async_trait;
use sqlx::QueryBuilder;
use uuid::Uuid;

/// Most room tokens ORed into one expression; more rooms take more queries.
const MAX_ROOM_TOKENS: usize = 64;
/// The room tokens are used when the user's rooms hold less than
/// 1/`ROOM_FILTER_SHARE` of all messages (by `last_seq` against the highest
/// rowid, both cheap to read); above that the walk finds their matches soon.
const ROOM_FILTER_SHARE: i64 = 4;
/// Snippet length in tokens (FTS5 allows up to 64).
const SNIPPET_TOKENS: i64 = 24;

#[async_trait]
impl SearchStore for SqliteStore {
    async fn search_messages(&self, query: &SearchQuery) -> StoreResult<Vec<SearchHit>> {
        if query.limit == 0 {
            return Ok(Vec::new());
        }
        let Some(words) = match_words(&query.text) else {
            if !query.has_filters() {
                return Ok(Vec::new());
            }
            let found = filter_sql(query).build().fetch_all(&self.reader).await?;
            return found
                .iter()
                .map(|row| hit(row, |_, body| (plain_snippet(body), Vec::new())))
                .collect();
        };
        // One read transaction: the room tokens and the results come from
        // the same snapshot.
        let mut tx = self.reader.begin().await?;
        let rooms: Vec<(Uuid, i64)> = match query.room {
            Some(room) => sqlx::query_as(
                "SELECT mb.room_id, r.last_seq FROM members mb JOIN rooms r ON r.id = mb.room_id \
                 WHERE mb.room_id = $1 AND mb.user_id = $2 AND NOT mb.banned",
            )
            .bind(room.0)
            .bind(query.user.0),
            None => sqlx::query_as(
                "SELECT mb.room_id, r.last_seq FROM members mb JOIN rooms r ON r.id = mb.room_id \
                 WHERE mb.user_id = $1 AND NOT mb.banned",
            )
            .bind(query.user.0),
        }
        .fetch_all(&mut *tx)
        .await?;
        if rooms.is_empty() {
            return Ok(Vec::new());
        }
        let newest: Option<i64> = sqlx::query_scalar("SELECT max(row_id) FROM messages")
            .fetch_one(&mut *tx)
            .await?;
        let in_rooms: i64 = rooms.iter().map(|(_, last_seq)| *last_seq).sum();
        let room_ids: Vec<Uuid> = rooms.iter().map(|(id, _)| *id).collect();
        let expressions = match_expressions(&words, &room_ids, in_rooms, newest.unwrap_or(0));

        let mut found = Vec::new();
        for expression in &expressions {
            let rows = search_sql("", query, expression.clone())
                .build()
                .fetch_all(&mut *tx)
                .await?;
            for row in &rows {
                found.push(hit(row, |raw, _| parse_markers(raw))?);
            }
        }
        tx.commit().await?;
        if expressions.len() > 1 {
            found.sort_by_key(|h| std::cmp::Reverse(h.position));
            found.truncate(usize::try_from(query.limit).unwrap_or(usize::MAX));
        }
        Ok(found)
    }
}

/// The FTS5 expressions to run for `words` and the user's rooms: the words
/// alone when the rooms hold a large share of the messages (`in_rooms` of
/// about `newest`; the walk finds theirs soon), else the words ANDed with
/// one group of at most [`MAX_ROOM_TOKENS`] room tokens per expression.
fn match_expressions(words: &str, rooms: &[Uuid], in_rooms: i64, newest: i64) -> Vec<String> {
    let body = format!("body : ({words})");
    if in_rooms.saturating_mul(ROOM_FILTER_SHARE) >= newest {
        return vec![body];
    }
    rooms
        .chunks(MAX_ROOM_TOKENS)
        .map(|group| {
            let tokens: Vec<String> = group
                .iter()
                .map(|id| format!("\"r{}\"", id.simple()))
                .collect();
            format!("{body} AND room : ({})", tokens.join(" OR "))
        })
        .collect()
}

search_filters!();

/// The search statement, after `prefix` (empty, or `EXPLAIN QUERY PLAN `).
fn search_sql<'a>(
    prefix: &'a str,
    query: &'a SearchQuery,
    expression: String,
) -> QueryBuilder<'a, Db> {
    // CROSS JOIN fixes the join order: the FTS index is the outer loop,
    // read in rowid order, so the LIMIT stops the walk early.
    let mut sql: QueryBuilder<Db> = QueryBuilder::new(prefix);
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
    sql.push(" AND NOT mb.banned WHERE messages_fts MATCH ");
    sql.push_bind(expression);
    sql.push(" AND NOT m.deleted");
    push_filters(&mut sql, query, "messages_fts.rowid");
    sql.push(" ORDER BY messages_fts.rowid DESC LIMIT ")
        .push_bind(i64::from(query.limit));
    sql
}

/// A search with filters and no words: the readable messages that pass
/// them, newest first, walking the messages' rowid (a hit's position, as
/// in a word search) down from the newest.
fn filter_sql(query: &SearchQuery) -> QueryBuilder<'_, Db> {
    let mut sql: QueryBuilder<Db> = QueryBuilder::new(concat!(
        "SELECT ",
        message_columns!(),
        ", m.row_id AS position, NULL AS snippet FROM messages m \
         JOIN members mb ON mb.room_id = m.room_id AND NOT mb.banned AND mb.user_id = "
    ));
    sql.push_bind(query.user.0);
    sql.push(" WHERE NOT m.deleted");
    push_filters(&mut sql, query, "m.row_id");
    sql.push(" ORDER BY m.row_id DESC LIMIT ")
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
    let words = search_words(text.split_whitespace())?;
    let mut out = String::new();
    for (i, word) in words.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        out.push('"');
        out.push_str(&word.text.replace('"', "\"\""));
        out.push('"');
        if word.prefix {
            out.push_str(" *");
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use hearth_protocol::search::SearchHas;
    use sqlx::Row;

    #[test]
    fn rooms_are_named_in_groups_unless_they_hold_much_of_the_server() {
        let rooms: Vec<Uuid> = (0..130).map(|_| Uuid::now_v7()).collect();
        // A large share: the words alone.
        assert_eq!(
            match_expressions("\"x\"", &rooms, 300, 1000),
            vec!["body : (\"x\")".to_string()]
        );
        // A small share: every room named, 64 at most per expression.
        let groups = match_expressions("\"x\"", &rooms, 10, 1000);
        assert_eq!(groups.len(), 3);
        for (group, rooms) in groups.iter().zip(rooms.chunks(MAX_ROOM_TOKENS)) {
            assert!(group.starts_with("body : (\"x\") AND room : (\"r"));
            for id in rooms {
                assert!(group.contains(&format!("\"r{}\"", id.simple())));
            }
            assert_eq!(group.matches(" OR ").count(), rooms.len() - 1);
        }
    }

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
}
