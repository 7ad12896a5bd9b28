//! Free text fields: trimmed, bounded, no control characters; room names.

use crate::error::{ApiError, ApiResult};

/// Trims and bounds a short free-text field; `field` names it in the error.
pub fn bounded_text(raw: &str, field: &'static str, max_chars: usize) -> ApiResult<String> {
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

/// A group's or channel's name: 1–80 characters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoomName(String);

impl RoomName {
    pub fn parse(raw: &str) -> ApiResult<Self> {
        let name = bounded_text(raw, "name", 80)?;
        if name.is_empty() {
            return Err(ApiError::validation(
                "name: required for groups and channels",
            ));
        }
        Ok(Self(name))
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_trimmed_and_bounded() {
        assert_eq!(bounded_text("  hi ", "topic", 5).ok(), Some("hi".into()));
        assert!(bounded_text("toolong", "topic", 5).is_err());
        assert!(bounded_text("bell\u{7}", "topic", 50).is_err());
        assert!(bounded_text("two\nlines", "topic", 50).is_ok());
        assert!(RoomName::parse(" ").is_err());
    }
}
