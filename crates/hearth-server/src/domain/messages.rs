//! Message values: bodies, client nonces, reaction emoji, and the mentions
//! found in a body.

use crate::error::{ApiError, ApiResult};

/// A message body: at most the server's message length, no NUL, trailing
/// white space trimmed. It may be blank: whether a blank body is allowed
/// depends on the message's attachments, which the service checks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MessageBody(String);

impl MessageBody {
    pub fn parse(raw: &str, max_chars: usize) -> ApiResult<Self> {
        let body = raw.trim_end();
        if body.chars().count() > max_chars {
            return Err(ApiError::validation(format!(
                "body: at most {max_chars} characters"
            )));
        }
        if body.contains('\0') {
            return Err(ApiError::validation("body: NUL characters are not allowed"));
        }
        Ok(Self(body.to_string()))
    }

    /// Nothing but white space.
    pub fn is_blank(&self) -> bool {
        self.0.trim().is_empty()
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

/// A client nonce for idempotent sends: 1–64 visible ASCII characters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Nonce(String);

impl Nonce {
    pub fn parse(raw: &str) -> ApiResult<Self> {
        if !raw.is_empty() && raw.len() <= 64 && raw.bytes().all(|b| b.is_ascii_graphic()) {
            Ok(Self(raw.to_string()))
        } else {
            Err(ApiError::validation(
                "nonce: 1 to 64 visible ASCII characters",
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

/// A reaction: one emoji (up to 16 bytes covers ZWJ sequences and skin
/// tones) with no ASCII letters, or a short `:name:` of `[a-z0-9_+-]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Emoji(String);

impl Emoji {
    pub fn parse(raw: &str) -> ApiResult<Self> {
        let is_shortcode = raw.len() >= 3
            && raw.len() <= 34
            && raw.starts_with(':')
            && raw.ends_with(':')
            && raw[1..raw.len() - 1]
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"_+-".contains(&b));
        let is_emoji = !raw.is_empty()
            && raw.len() <= 32
            && raw.chars().count() <= 10
            && !raw.is_ascii()
            && raw
                .chars()
                .all(|c| !c.is_ascii_alphanumeric() && !c.is_whitespace() && !c.is_control());
        if is_shortcode || is_emoji {
            Ok(Self(raw.to_string()))
        } else {
            Err(ApiError::validation(
                "emoji: one emoji character or a :short_name:",
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

/// Mentions found in a message body.
#[derive(Debug, Default, PartialEq)]
pub struct Mentions {
    /// Lower-cased usernames, deduplicated, at most 50.
    pub usernames: Vec<String>,
    /// `@room` (or `@channel`, `@here`) was used.
    pub room: bool,
}

/// Finds `@username` tokens: an `@` at the start or after a non-word
/// character, followed by a valid username.
pub fn parse_mentions(body: &str) -> Mentions {
    let mut out = Mentions::default();
    let bytes = body.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let preceded_ok = i == 0 || !(bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_');
        if bytes[i] == b'@' && preceded_ok {
            let start = i + 1;
            let mut end = start;
            while end < bytes.len()
                && (bytes[end].is_ascii_alphanumeric() || b"_.-".contains(&bytes[end]))
            {
                end += 1;
            }
            // A trailing '.' or '-' is punctuation ("hi @ann.").
            while end > start && b".-".contains(&bytes[end - 1]) {
                end -= 1;
            }
            let name = body[start..end].to_ascii_lowercase();
            if matches!(name.as_str(), "room" | "channel" | "here" | "everyone") {
                out.room = true;
            } else if (3..=32).contains(&name.len())
                && !out.usernames.contains(&name)
                && out.usernames.len() < 50
            {
                out.usernames.push(name);
            }
            i = end.max(start);
        } else {
            i += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mentions_are_found_at_word_starts_only() {
        let m = parse_mentions("hi @Ann and @bob.smith, mail me@x.org, @room!");
        assert_eq!(m.usernames, vec!["ann", "bob.smith"]);
        assert!(m.room);
        assert_eq!(parse_mentions("no mentions").usernames.len(), 0);
        assert_eq!(parse_mentions("trailing @ann.").usernames, vec!["ann"]);
    }

    #[test]
    fn emoji_accepts_emoji_and_shortcodes_only() {
        assert!(Emoji::parse("👍").is_ok());
        assert!(Emoji::parse("👍🏽").is_ok());
        assert!(Emoji::parse("👨‍👩‍👧").is_ok());
        assert!(Emoji::parse(":party_parrot:").is_ok());
        assert!(Emoji::parse("abc").is_err());
        assert!(Emoji::parse("").is_err());
        assert!(Emoji::parse(":a b:").is_err());
        assert!(Emoji::parse(&"👍".repeat(20)).is_err());
    }

    #[test]
    fn bodies_are_bounded() {
        assert!(MessageBody::parse("hello", 4000).is_ok());
        assert!(MessageBody::parse("   ", 4000).is_ok_and(|b| b.is_blank()));
        assert!(MessageBody::parse(&"x".repeat(4001), 4000).is_err());
        assert!(MessageBody::parse(&"é".repeat(4000), 4000).is_ok());
        assert!(MessageBody::parse("a\0b", 4000).is_err());
    }

    #[test]
    fn nonces_are_short_visible_ascii() {
        assert!(Nonce::parse("n-1").is_ok());
        assert!(Nonce::parse("").is_err());
        assert!(Nonce::parse("with space").is_err());
        assert!(Nonce::parse(&"n".repeat(65)).is_err());
    }
}
