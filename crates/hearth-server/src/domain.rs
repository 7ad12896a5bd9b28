//! Validated domain values ("parse, don't validate"). Each `parse` returns a
//! 400-class `ApiError` naming the field, so handlers never check by hand.

use crate::error::{ApiError, ApiResult};

/// 3–32 of `[a-z0-9_.-]`, stored lower-case (usernames are case-insensitive).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Username(String);

impl Username {
    pub fn parse(raw: &str) -> ApiResult<Self> {
        let lower = raw.trim().to_ascii_lowercase();
        let ok_len = (3..=32).contains(&lower.len());
        let ok_chars = lower
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"_.-".contains(&b));
        if ok_len && ok_chars {
            Ok(Self(lower))
        } else {
            Err(ApiError::validation(
                "username: 3 to 32 characters of a-z, 0-9, '_', '.', '-'",
            ))
        }
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

/// At least 8 characters, at most 1024 (argon2 input stays bounded).
pub struct Password(String);

impl Password {
    pub fn parse(raw: String) -> ApiResult<Self> {
        let chars = raw.chars().count();
        if chars < 8 {
            return Err(ApiError::validation(
                "password: at least 8 characters are needed",
            ));
        }
        if raw.len() > 1024 {
            return Err(ApiError::validation("password: at most 1024 bytes"));
        }
        Ok(Self(raw))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(***)")
    }
}

/// A loosely checked e-mail address, stored lower-case.
pub fn parse_email(raw: &str) -> ApiResult<String> {
    let e = raw.trim().to_ascii_lowercase();
    let valid = e.len() <= 254
        && !e.chars().any(char::is_whitespace)
        && e.split_once('@')
            .is_some_and(|(local, domain)| !local.is_empty() && domain.contains('.'));
    if valid {
        Ok(e)
    } else {
        Err(ApiError::validation("email: not a valid e-mail address"))
    }
}

/// Trims and bounds a short free-text field; `field` names it in the error.
pub fn parse_text(raw: &str, field: &'static str, max_chars: usize) -> ApiResult<String> {
    let t = raw.trim();
    if t.chars().count() > max_chars {
        return Err(ApiError::validation(format!(
            "{field}: at most {max_chars} characters"
        )));
    }
    if t.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return Err(ApiError::validation(format!(
            "{field}: control characters are not allowed"
        )));
    }
    Ok(t.to_string())
}

/// A display name: 1–64 characters, no control characters.
pub fn parse_display_name(raw: &str) -> ApiResult<String> {
    let name = parse_text(raw, "display_name", 64)?;
    if name.is_empty() {
        return Err(ApiError::validation("display_name: must not be empty"));
    }
    Ok(name)
}

/// A message body: at most `max_chars` characters; empty only with attachments.
pub fn parse_message_body(raw: &str, max_chars: usize, has_attachments: bool) -> ApiResult<String> {
    let body = raw.trim_end();
    if body.chars().count() > max_chars {
        return Err(ApiError::validation(format!(
            "body: at most {max_chars} characters"
        )));
    }
    if body.trim().is_empty() && !has_attachments {
        return Err(ApiError::validation("body: must not be empty"));
    }
    if body.contains('\0') {
        return Err(ApiError::validation("body: NUL characters are not allowed"));
    }
    Ok(body.to_string())
}

/// A client nonce for idempotent sends: 1–64 visible ASCII characters.
pub fn parse_nonce(raw: &str) -> ApiResult<String> {
    if !raw.is_empty() && raw.len() <= 64 && raw.bytes().all(|b| b.is_ascii_graphic()) {
        Ok(raw.to_string())
    } else {
        Err(ApiError::validation(
            "nonce: 1 to 64 visible ASCII characters",
        ))
    }
}

/// A reaction: one emoji (up to 16 bytes covers ZWJ sequences and skin tones)
/// with no ASCII letters, or a short `:name:` of `[a-z0-9_+-]`.
pub fn parse_emoji(raw: &str) -> ApiResult<String> {
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
        Ok(raw.to_string())
    } else {
        Err(ApiError::validation(
            "emoji: one emoji character or a :short_name:",
        ))
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
    fn usernames_are_lowercased_and_bounded() {
        assert_eq!(
            Username::parse("Alice_1").map(Username::into_inner).ok(),
            Some("alice_1".into())
        );
        assert!(Username::parse("ab").is_err());
        assert!(Username::parse(&"a".repeat(33)).is_err());
        assert!(Username::parse("bad name").is_err());
        assert!(Username::parse("émile").is_err());
    }

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
        assert!(parse_emoji("👍").is_ok());
        assert!(parse_emoji("👍🏽").is_ok());
        assert!(parse_emoji("👨‍👩‍👧").is_ok());
        assert!(parse_emoji(":party_parrot:").is_ok());
        assert!(parse_emoji("abc").is_err());
        assert!(parse_emoji("").is_err());
        assert!(parse_emoji(":a b:").is_err());
        assert!(parse_emoji(&"👍".repeat(20)).is_err());
    }

    #[test]
    fn bodies_are_bounded() {
        assert!(parse_message_body("hello", 4000, false).is_ok());
        assert!(parse_message_body("   ", 4000, false).is_err());
        assert!(parse_message_body("", 4000, true).is_ok());
        assert!(parse_message_body(&"x".repeat(4001), 4000, false).is_err());
        assert!(parse_message_body(&"é".repeat(4000), 4000, false).is_ok());
    }
}
