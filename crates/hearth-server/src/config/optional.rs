//! `Optional<T>`: a section of settings that is on only when its switch (the
//! section's first setting, e.g. `smtp.url`) is given.
//!
//! clap's own `Option<flatten>` turns a section on when any of its settings
//! is given, so `HEARTH_SMTP_FROM` alone would ask for an SMTP URL; here the
//! other settings of a section that is off are checked and then ignored.

use clap::{ArgMatches, Args, Command, FromArgMatches, Id};
use std::ops::{Deref, DerefMut};

/// A section that names its switch: the setting whose presence turns it on.
/// That setting is declared `required = false`: it is required only to
/// build the section, which happens only when it is given.
pub trait Switched {
    /// The clap id (TOML key) of the switch.
    const SWITCH: &'static str;
}

/// `Some` when the section's switch is given (by flag, variable or file).
#[derive(Clone, Debug)]
pub struct Optional<T>(pub Option<T>);

impl<T> Default for Optional<T> {
    fn default() -> Self {
        Optional(None)
    }
}

impl<T> From<Option<T>> for Optional<T> {
    fn from(value: Option<T>) -> Self {
        Optional(value)
    }
}

impl<T> Deref for Optional<T> {
    type Target = Option<T>;

    fn deref(&self) -> &Option<T> {
        &self.0
    }
}

impl<T> DerefMut for Optional<T> {
    fn deref_mut(&mut self) -> &mut Option<T> {
        &mut self.0
    }
}

impl<T: Args + Switched> Args for Optional<T> {
    fn augment_args(cmd: Command) -> Command {
        T::augment_args(cmd)
    }

    fn augment_args_for_update(cmd: Command) -> Command {
        T::augment_args_for_update(cmd)
    }

    fn group_id() -> Option<Id> {
        T::group_id()
    }
}

impl<T: Args + Switched> FromArgMatches for Optional<T> {
    fn from_arg_matches(matches: &ArgMatches) -> Result<Self, clap::Error> {
        if matches.contains_id(T::SWITCH) {
            Ok(Optional(Some(T::from_arg_matches(matches)?)))
        } else {
            Ok(Optional(None))
        }
    }

    fn update_from_arg_matches(&mut self, matches: &ArgMatches) -> Result<(), clap::Error> {
        *self = Self::from_arg_matches(matches)?;
        Ok(())
    }
}
