//! The `--config` TOML file: its keys mapped to settings, its values as the
//! text the settings' own parsers check (so a value from the file is
//! refused exactly like the same value given as a flag).
//!
//! Keys are the settings' ids: top-level ones at the top, the others in
//! their section (`[limits]` `send_burst = 30`). The flat keys of earlier
//! versions (`send_burst = 30` at the top) are still read, with a warning.

use clap::{Arg, Command};
use std::collections::BTreeMap;
use std::path::Path;

/// What a settings file says.
#[derive(Debug, Default)]
pub struct FileSettings {
    /// Setting id → value as text, e.g. `limits.send_burst` → `30`.
    pub values: BTreeMap<String, String>,
    /// Keys of earlier versions that were read under their new name.
    pub warnings: Vec<String>,
}

/// Reads `path`, mapping its keys to the settings of `command`.
pub fn read(path: &Path, command: &Command) -> Result<FileSettings, String> {
    let text =
        std::fs::read_to_string(path).map_err(|e| format!("reading {}: {e}", path.display()))?;
    parse(&text, command).map_err(|e| format!("{}: {e}", path.display()))
}

/// Maps the keys of a TOML document to the settings of `command`.
pub fn parse(text: &str, command: &Command) -> Result<FileSettings, String> {
    let table: toml::Table = text.parse().map_err(|e| format!("{e}"))?;
    let settings: Vec<&Arg> = command.get_arguments().collect();
    let is_section = |name: &str| {
        settings
            .iter()
            .any(|arg| arg.get_id().as_str().split_once('.').map(|(s, _)| s) == Some(name))
    };
    let mut file = FileSettings::default();
    for (key, value) in table {
        match value {
            toml::Value::Table(section) if is_section(&key) => {
                for (name, value) in section {
                    file.put(&settings, &format!("{key}.{name}"), value)?;
                }
            }
            value => file.put(&settings, &key, value)?,
        }
    }
    Ok(file)
}

impl FileSettings {
    fn put(&mut self, settings: &[&Arg], key: &str, value: toml::Value) -> Result<(), String> {
        let setting = match settings.iter().find(|arg| arg.get_id() == key) {
            Some(setting) => setting,
            None => {
                let flat = |arg: &&&Arg| {
                    arg.get_long().map(|long| long.replace('-', "_")).as_deref() == Some(key)
                };
                let setting = settings
                    .iter()
                    .find(flat)
                    .ok_or_else(|| format!("`{key}` is not a setting (see `hearth --help`)"))?;
                self.warnings.push(format!(
                    "settings file: `{key}` is now `{}` (a key in [{}])",
                    setting.get_id(),
                    section_of(setting.get_id().as_str())
                ));
                setting
            }
        };
        let id = setting.get_id().to_string();
        let text = match value {
            toml::Value::String(s) => s,
            toml::Value::Integer(i) => i.to_string(),
            toml::Value::Boolean(b) => b.to_string(),
            toml::Value::Float(f) => f.to_string(),
            _ => return Err(format!("`{id}` must be a string, a number or true/false")),
        };
        if self.values.insert(id.clone(), text).is_some() {
            return Err(format!("`{id}` is set twice"));
        }
        Ok(())
    }
}

/// `limits` of `limits.send_burst`.
fn section_of(id: &str) -> &str {
    id.split_once('.').map_or("", |(section, _)| section)
}
