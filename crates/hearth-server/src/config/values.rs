//! What a setting's value must be (the parsers the declarations name), and
//! the one message every refused value gets: the setting by variable, flag
//! and TOML key, what it must be, and what it was.

use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::{Arg, Command};
use std::error::Error as _;
use std::fmt::Display;
use std::str::FromStr;
use std::time::Duration;

/// A number of at least `min`.
pub(super) fn at_least<T>(min: T) -> impl Fn(&str) -> Result<T, String> + Clone + Send + Sync
where
    T: FromStr + PartialOrd + Display + Copy + Send + Sync + 'static,
{
    move |text| {
        let value: T = text
            .parse()
            .map_err(|_not_a_number| "must be a whole number".to_string())?;
        if value < min {
            return Err(format!("must be at least {min}"));
        }
        Ok(value)
    }
}

/// A whole number of seconds, at least `min`.
pub(super) fn seconds(min: u64) -> impl Fn(&str) -> Result<Duration, String> + Clone + Send + Sync {
    move |text| {
        let secs: u64 = text
            .parse()
            .map_err(|_not_a_number| "must be a whole number of seconds".to_string())?;
        if secs < min {
            return Err(format!("must be at least {min} second(s)"));
        }
        Ok(Duration::from_secs(secs))
    }
}

/// Text of at least `min` characters (a secret: never echoed).
pub(super) fn at_least_chars(
    min: usize,
) -> impl Fn(&str) -> Result<String, String> + Clone + Send + Sync {
    move |text| {
        if text.chars().count() < min {
            return Err(format!("must be at least {min} characters"));
        }
        Ok(text.to_string())
    }
}

/// The names an operator may know a setting by: `HEARTH_SEND_BURST /
/// --send-burst / limits.send_burst`.
pub(super) fn setting_names(arg: &Arg) -> String {
    let mut names = Vec::new();
    if let Some(env) = arg.get_env() {
        names.push(env.to_string_lossy().into_owned());
    }
    if let Some(long) = arg.get_long() {
        names.push(format!("--{long}"));
    }
    names.push(arg.get_id().to_string());
    names.join(" / ")
}

/// Rewrites clap's complaint about a setting's value (which names only the
/// flag, though the value may have come from a variable or the file) into
/// one naming the setting every way: "HEARTH_SEND_BURST / --send-burst /
/// limits.send_burst: must be at least 1, got 0". Other errors pass as they
/// are.
pub(crate) fn name_the_setting(error: clap::Error, command: &Command) -> clap::Error {
    let (Some(ContextValue::String(arg)), Some(ContextValue::String(value))) = (
        error.get(ContextKind::InvalidArg),
        error.get(ContextKind::InvalidValue),
    ) else {
        return error;
    };
    // clap writes the argument as "--send-burst <SEND_BURST>".
    let long = arg
        .split([' ', '='])
        .next()
        .unwrap_or_default()
        .trim_start_matches("--");
    // Named as declared, whatever the parsing command changed.
    let declared = super::settings_command();
    let Some(setting) = declared
        .get_arguments()
        .find(|a| a.get_long() == Some(long))
    else {
        return error;
    };
    let reason = match (error.kind(), error.get(ContextKind::ValidValue)) {
        (ErrorKind::InvalidValue, Some(ContextValue::Strings(valid))) => {
            format!("must be one of {}", valid.join(", "))
        }
        _ => error
            .source()
            .map_or_else(|| "is not valid".to_string(), |why| why.to_string()),
    };
    let got = if setting.is_hide_env_values_set() {
        String::new()
    } else {
        format!(", got {value}")
    };
    clap::Error::raw(
        ErrorKind::ValueValidation,
        format!("{}: {reason}{got}\n", setting_names(setting)),
    )
    .with_cmd(command)
}
