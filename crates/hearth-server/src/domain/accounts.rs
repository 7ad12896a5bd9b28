//! Account values: usernames, passwords, e-mail addresses, display names.

use super::text::bounded_text;
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

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

/// At least 8 characters, at most 1024 (argon2 input stays bounded: 4 KiB
/// at most). Both counted in characters, as the API document says.
pub struct Password(String);

impl Password {
    pub fn parse(raw: String) -> ApiResult<Self> {
        let chars = raw.chars().count();
        if chars < 8 {
            return Err(ApiError::validation(
                "password: at least 8 characters are needed",
            ));
        }
        if chars > 1024 {
            return Err(ApiError::validation("password: at most 1024 characters"));
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
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> ApiResult<Self> {
        let e = raw.trim().to_ascii_lowercase();
        let valid = e.len() <= 254
            && !e.chars().any(char::is_whitespace)
            && e.split_once('@')
                .is_some_and(|(local, domain)| !local.is_empty() && domain.contains('.'));
        if valid {
            Ok(Self(e))
        } else {
            Err(ApiError::validation("email: not a valid e-mail address"))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

/// A display name: 1–64 characters, no control characters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DisplayName(String);

impl DisplayName {
    pub fn parse(raw: &str) -> ApiResult<Self> {
        let name = bounded_text(raw, "display_name", 64)?;
        if name.is_empty() {
            return Err(ApiError::validation("display_name: must not be empty"));
        }
        Ok(Self(name))
    }

    /// A username is always a valid display name (the default one).
    pub fn from_username(username: &Username) -> Self {
        Self(username.as_str().to_string())
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

/// A time zone as an IANA name (`Europe/Berlin`, `UTC`), as browsers report
/// it (`Intl.DateTimeFormat().resolvedOptions().timeZone`), or empty for
/// "not given". Only its shape is checked: the server never computes with
/// it, clients that cannot resolve a name show no local time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TimeZone(String);

impl TimeZone {
    pub fn parse(raw: &str) -> ApiResult<Self> {
        let tz = raw.trim();
        let shape_ok = tz.len() <= 64
            && tz.split('/').all(|part| {
                !part.is_empty()
                    && part
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"_+-".contains(&b))
            })
            && tz.starts_with(|c: char| c.is_ascii_alphabetic());
        if !tz.is_empty() && !shape_ok {
            return Err(ApiError::validation(
                "time_zone: an IANA time zone name such as Europe/Berlin, or empty",
            ));
        }
        Ok(Self(tz.to_string()))
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_zones_are_iana_shaped_or_empty() {
        for ok in [
            "Europe/Berlin",
            "UTC",
            "America/Argentina/Buenos_Aires",
            "Etc/GMT+5",
            "",
        ] {
            assert_eq!(
                TimeZone::parse(ok).map(TimeZone::into_inner).ok(),
                Some(ok.to_string()),
                "{ok}"
            );
        }
        for bad in [
            "Europe//Berlin",
            "/UTC",
            "Berlin Time",
            "<script>",
            "1/2",
            &"A".repeat(65),
        ] {
            assert!(TimeZone::parse(bad).is_err(), "{bad}");
        }
    }

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
    fn emails_are_lowercased_and_loosely_checked() {
        assert_eq!(
            Email::parse(" Ann@Example.org ")
                .map(Email::into_inner)
                .ok(),
            Some("ann@example.org".into())
        );
        assert!(Email::parse("ann").is_err());
        assert!(Email::parse("ann@localhost").is_err());
        assert!(Email::parse("a nn@example.org").is_err());
    }

    #[test]
    fn display_names_are_trimmed_and_not_empty() {
        assert!(DisplayName::parse("  ").is_err());
        assert!(DisplayName::parse(&"x".repeat(65)).is_err());
        assert_eq!(
            DisplayName::parse(" Ann ")
                .map(DisplayName::into_inner)
                .ok(),
            Some("Ann".into())
        );
    }
}
