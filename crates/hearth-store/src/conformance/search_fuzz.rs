//! Conformance fuzz case for [`SearchStore`](crate::SearchStore): query
//! text generated from the syntax of both query languages (FTS5 and
//! `to_tsquery`) mixed with arbitrary Unicode. Whatever a user types, a
//! search answers (possibly nothing), never a database error; and the words
//! of a message, typed back among the operators, still find it.
//!
//! `HEARTH_FUZZ_CASES` sets the number of generated queries (default 200,
//! a few seconds per backend); see docs/testing.md for a longer run.

use super::search::{HOSTILE_QUERIES, search_query};
use super::{room, send, user};
use crate::traits::Store;
use hearth_protocol::dto::RoomKind;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, TestRunner};

fn cases() -> u32 {
    std::env::var("HEARTH_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200)
}

/// Pieces that mean something to FTS5 or to `to_tsquery`, and some that
/// mean something to SQL or C strings.
fn syntax() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "\"", "'", "''", "*", ":", ":*", "(", ")", "&", "|", "!", "<->", "<2>", "\\", "^", "+",
        "-", "{", "}", ",", ";", "%", "_", "NEAR", "NEAR(", "AND", "OR", "NOT", "body:", "room:",
        "\u{0}", "\u{1}", "\u{7f}", "\u{E000}", "\u{E001}", "\u{301}", "\u{200D}", "\u{FEFF}",
    ])
    .prop_map(str::to_string)
}

fn word() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9]{1,12}"
}

/// Text a user might type, or a fuzzer would: words, syntax and noise.
fn query_text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        3 => syntax(),
        3 => word(),
        2 => Just(" ".to_string()),
        1 => "\\PC{1,4}",
        1 => "[\\x00-\\x20]{1,2}",
    ];
    prop::collection::vec(piece, 0..24).prop_map(|p| p.concat())
}

/// Values from `strategy`, `count` of them, reproducibly.
fn generate<S: Strategy>(strategy: S, count: u32) -> Vec<S::Value> {
    let mut runner = TestRunner::new(Config {
        failure_persistence: None,
        ..Config::default()
    });
    (0..count)
        .filter_map(|_| strategy.new_tree(&mut runner).ok().map(|t| t.current()))
        .collect()
}

pub async fn search_answers_any_generated_text(store: &dyn Store) {
    let alice = user(store, "alice").await;
    let general = room(store, RoomKind::Channel, "general", &[&alice]).await;
    send(
        store,
        general.id,
        alice.id,
        "rock AND roll \"NEAR\" body: x*",
    )
    .await;
    let mut texts: Vec<String> = HOSTILE_QUERIES.iter().map(|s| s.to_string()).collect();
    texts.extend(generate(query_text(), cases()));
    for text in texts {
        let result = store.search_messages(&search_query(alice.id, &text)).await;
        assert!(result.is_ok(), "{text:?}: {result:?}");
    }
}

pub async fn search_finds_a_message_by_its_words_among_operators(store: &dyn Store) {
    let alice = user(store, "alice").await;
    let general = room(store, RoomKind::Channel, "general", &[&alice]).await;
    let wrapped = (prop::collection::vec(word(), 1..4), syntax(), syntax());
    for (words, before, after) in generate(wrapped, cases() / 4) {
        let body = words.join(" ");
        let message = send(store, general.id, alice.id, &body).await;
        // Syntax glued to a word becomes part of it; kept apart, it is
        // dropped (no letter or digit) or is a word of its own, like `AND`,
        // that the message must then hold too: add it to the body first.
        let text = format!("{before} {body} {after}");
        let typed_words = text
            .split_whitespace()
            .filter(|w| w.chars().any(char::is_alphanumeric));
        let extra: Vec<&str> = typed_words
            .filter(|w| !words.iter().any(|x| x.as_str() == *w))
            .collect();
        if !extra.is_empty() {
            continue;
        }
        let hits = store
            .search_messages(&search_query(alice.id, &text))
            .await
            .unwrap_or_else(|e| panic!("{text:?}: {e:?}"));
        assert!(
            hits.iter().any(|h| h.message.id == message.id),
            "{text:?} does not find {body:?}"
        );
    }
}
