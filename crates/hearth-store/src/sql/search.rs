//! What both full-text searches share (each backend keeps its own index and
//! query language): the words taken from the user's text, the filters of a
//! [`SearchQuery`](crate::SearchQuery), and the turning of a marked snippet
//! into plain text with highlight ranges.

use super::rows::{self, RecordRow};
use crate::error::StoreResult;
use crate::records::SearchHit;

/// Start and end of a match in the database's snippet: private-use
/// characters, which a body is unlikely to hold (one that does gets a plain
/// snippet).
pub(crate) const MARK_START: char = '\u{E000}';
pub(crate) const MARK_END: char = '\u{E001}';
/// Most words of a query that are used; the server bounds the text anyway.
const MAX_WORDS: usize = 32;
/// A prefix match on a one-character word would match nearly everything
/// (and merge the postings of every word starting with it).
const MIN_PREFIX_CHARS: usize = 2;
/// Length of the plain snippet used when the database's cannot be trusted.
const PLAIN_SNIPPET_CHARS: usize = 160;

/// A word to look for, as the user typed it.
pub(crate) struct SearchWord<'a> {
    pub text: &'a str,
    /// The last word also matches as a prefix (when long enough).
    pub prefix: bool,
}

/// The words of a search: whitespace-separated, those without a letter or
/// digit dropped (they hold no token), at most [`MAX_WORDS`]; `None` when
/// nothing is left. Every word must match; the last one also as a prefix.
pub(crate) fn search_words<'a>(
    words: impl Iterator<Item = &'a str>,
) -> Option<Vec<SearchWord<'a>>> {
    let mut words: Vec<SearchWord> = words
        .filter(|w| w.chars().any(char::is_alphanumeric))
        .take(MAX_WORDS)
        .map(|text| SearchWord {
            text,
            prefix: false,
        })
        .collect();
    let last = words.last_mut()?;
    last.prefix = last.text.chars().filter(|c| c.is_alphanumeric()).count() >= MIN_PREFIX_CHARS;
    Some(words)
}

/// A hit from a row holding a message (`message_columns!`), its raw marked
/// `snippet` and its `position`; `clean` turns the raw snippet into text
/// and highlights.
pub(crate) fn hit(
    row: &impl RecordRow,
    clean: impl Fn(&str, &str) -> (String, Vec<(u32, u32)>),
) -> StoreResult<SearchHit> {
    let message = rows::message(row)?;
    let raw = row.opt_text("snippet")?;
    let (snippet, highlights) = if message.body.contains([MARK_START, MARK_END]) {
        (plain_snippet(&message.body), Vec::new())
    } else {
        clean(raw.as_deref().unwrap_or_default(), &message.body)
    };
    Ok(SearchHit {
        position: row.int("position")?,
        message,
        snippet,
        highlights,
    })
}

/// Removes the match markers from a snippet, putting it on one line
/// (whitespace runs become one space), and returns the char ranges they
/// enclosed.
pub(crate) fn parse_markers(raw: &str) -> (String, Vec<(u32, u32)>) {
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

/// `text` on one line: whitespace runs become one space.
pub(crate) fn flatten(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The start of `body` on one line, `…` where cut, without highlights.
pub(crate) fn plain_snippet(body: &str) -> String {
    let flat = flatten(body);
    let mut out: String = flat.chars().take(PLAIN_SNIPPET_CHARS).collect();
    if flat.chars().count() > PLAIN_SNIPPET_CHARS {
        out.push('…');
    }
    out
}

/// `push_filters(sql, query, position)`: appends to a search statement the
/// conditions of a query beyond its words — `AND …` for each filter set —
/// with `position` the expression of a hit's position (see the [module
/// docs](super) for what the invoking module provides).
macro_rules! search_filters {
    () => {
        fn push_filters<'a>(
            sql: &mut sqlx::QueryBuilder<'a, Db>,
            query: &'a $crate::records::SearchQuery,
            position: &str,
        ) {
            use hearth_protocol::search::SearchHas;
            use $crate::sql::values::{Ids, Time};
            if let Some(before) = query.before_position {
                sql.push(format_args!(" AND {position} < "))
                    .push_bind(before);
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
                sql.push(" AND m.created_at < ").push_bind(Time(before));
            }
            if let Some(after) = query.after {
                sql.push(" AND m.created_at >= ").push_bind(Time(after));
            }
            match query.has {
                None => {}
                Some(SearchHas::File) => {
                    sql.push(" AND m.attachments <> ").push_bind(Ids::default());
                }
                Some(SearchHas::Image) => {
                    sql.push(
                        " AND EXISTS (SELECT 1 FROM message_attachments ma \
                         JOIN uploads u ON u.id = ma.upload_id \
                         WHERE ma.message_id = m.id AND u.content_type LIKE 'image/%')",
                    );
                }
                Some(SearchHas::Link) => {
                    sql.push(concat!(
                        " AND (",
                        position!(),
                        "(lower(m.body), 'http://') > 0 OR ",
                        position!(),
                        "(lower(m.body), 'https://') > 0)"
                    ));
                }
            }
        }
    };
}
pub(crate) use search_filters;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_word_is_a_prefix_when_long_enough() {
        let words = search_words("  *** brown fox".split_whitespace()).unwrap_or_default();
        let seen: Vec<(&str, bool)> = words.iter().map(|w| (w.text, w.prefix)).collect();
        assert_eq!(seen, [("brown", false), ("fox", true)]);
        let one = search_words(["a"].into_iter()).unwrap_or_default();
        assert!(!one[0].prefix);
        assert!(search_words(["*", "("].into_iter()).is_none());
        assert_eq!(
            search_words(std::iter::repeat_n("w", 100)).map(|w| w.len()),
            Some(MAX_WORDS)
        );
    }

    #[test]
    fn snippets_lose_their_markers_and_keep_char_offsets() {
        let raw = format!("the {MARK_START}café{MARK_END} is\n\n{MARK_START}open{MARK_END}…");
        let (text, marks) = parse_markers(&raw);
        assert_eq!(text, "the café is open…");
        assert_eq!(marks, vec![(4, 8), (12, 16)]);
    }

    #[test]
    fn a_highlight_after_whitespace_starts_after_the_space() {
        let raw = format!("a \n{MARK_START}b{MARK_END}");
        assert_eq!(parse_markers(&raw), ("a b".to_string(), vec![(2, 3)]));
        let raw = format!("  {MARK_START}b{MARK_END}  c  ");
        assert_eq!(parse_markers(&raw), ("b c".to_string(), vec![(0, 1)]));
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
