//! Message text: mentions, bodies, nonces, reaction emoji, bounded text.

use crate::config;
use hearth_server::domain::{Emoji, MessageBody, Nonce, RoomName, bounded_text, parse_mentions};
use proptest::prelude::*;

/// Text rich in what the mention parser looks at: `@`, name characters,
/// the punctuation it trims, multi-byte characters next to them.
fn mention_text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("@".to_string()),
        Just("@room".to_string()),
        Just("@Here".to_string()),
        Just(".".to_string()),
        Just("-".to_string()),
        Just(" ".to_string()),
        Just("é".to_string()),
        Just("👍".to_string()),
        "[a-zA-Z0-9_.-]{1,40}",
        ".{1,3}",
    ];
    prop::collection::vec(piece, 0..60).prop_map(|p| p.concat())
}

fn is_name_byte(b: u8) -> bool {
    b.is_ascii_lowercase() || b.is_ascii_digit() || b"_.-".contains(&b)
}

fn check_mentions(body: &str) -> Result<(), TestCaseError> {
    let m = parse_mentions(body);
    let lower = body.to_ascii_lowercase();
    prop_assert!(m.usernames.len() <= 50);
    for (i, name) in m.usernames.iter().enumerate() {
        prop_assert!((3..=32).contains(&name.len()), "{name:?}");
        prop_assert!(name.bytes().all(is_name_byte), "{name:?}");
        prop_assert!(!name.ends_with(['.', '-']), "{name:?}");
        prop_assert!(
            lower.contains(&format!("@{name}")),
            "{name:?} not in {body:?}"
        );
        prop_assert!(!m.usernames[..i].contains(name), "{name:?} twice");
    }
    if m.room {
        prop_assert!(
            ["@room", "@channel", "@here", "@everyone"]
                .iter()
                .any(|w| lower.contains(w)),
            "room mention without one in {body:?}"
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(config(1024))]

    #[test]
    fn mentions_are_valid_usernames_found_in_the_text(body in mention_text()) {
        check_mentions(&body)?;
    }

    #[test]
    fn mentions_of_any_text_are_bounded(body in ".{0,400}") {
        check_mentions(&body)?;
    }

    #[test]
    fn message_values_parse_or_refuse_without_panicking(raw in ".{0,80}") {
        if let Ok(body) = MessageBody::parse(&raw, 40) {
            prop_assert!(body.as_str().chars().count() <= 40);
            prop_assert!(!body.as_str().contains('\0'));
            prop_assert_eq!(body.as_str(), raw.trim_end());
        }
        if let Ok(nonce) = Nonce::parse(&raw) {
            prop_assert!((1..=64).contains(&nonce.as_str().len()));
        }
        if let Ok(emoji) = Emoji::parse(&raw) {
            prop_assert!(emoji.as_str().len() <= 34);
        }
        if let Ok(text) = bounded_text(&raw, "topic", 20) {
            prop_assert!(text.chars().count() <= 20);
            prop_assert_eq!(text.as_str(), raw.trim());
        }
        if let Ok(name) = RoomName::parse(&raw) {
            let name = name.into_inner();
            prop_assert!(!name.is_empty() && name.chars().count() <= 80);
        }
    }
}

/// The mention parser on the longest body it is given: linear, bounded.
#[test]
fn a_body_of_nothing_but_mentions_yields_at_most_fifty() {
    let body: String = (0..2000).map(|i| format!("@user{i} ")).collect();
    let m = parse_mentions(&body);
    assert_eq!(m.usernames.len(), 50);
    assert_eq!(m.usernames[0], "user0");
}
