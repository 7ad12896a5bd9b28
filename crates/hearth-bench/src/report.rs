//! What a scenario hands back: a table for people, JSON for scripts, and an
//! error count that `--strict` turns into a non-zero exit.

use serde::Serialize;
use std::fmt;

/// A scenario's result.
pub trait Outcome: Send {
    /// The scenario's name, e.g. "fanout".
    fn name(&self) -> &'static str;
    fn table(&self) -> Table;
    /// The full result as JSON: `{"scenario": NAME, "result": {...}}`.
    fn json(&self) -> serde_json::Value;
    /// Violations and failures; `--strict` exits non-zero when this is > 0.
    fn errors(&self) -> u64;
}

/// Implements [`Outcome::json`] and [`Outcome::name`] for a `Serialize` report.
#[macro_export]
macro_rules! outcome_json {
    ($name:literal) => {
        fn name(&self) -> &'static str {
            $name
        }
        fn json(&self) -> serde_json::Value {
            serde_json::json!({
                "scenario": $name,
                "result": serde_json::to_value(self).unwrap_or(serde_json::Value::Null),
            })
        }
    };
}

/// A two-column table: a title, then one `name  value` row per figure.
pub struct Table {
    pub title: String,
    pub rows: Vec<(String, String)>,
}

impl Table {
    pub fn new(title: impl Into<String>) -> Self {
        Self {
            title: title.into(),
            rows: Vec::new(),
        }
    }

    pub fn row(mut self, name: &str, value: impl fmt::Display) -> Self {
        self.rows.push((name.to_string(), value.to_string()));
        self
    }

    /// Adds a row only when `value` is present.
    pub fn opt_row(self, name: &str, value: Option<impl fmt::Display>) -> Self {
        match value {
            Some(v) => self.row(name, v),
            None => self,
        }
    }
}

impl fmt::Display for Table {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let width = self.rows.iter().map(|(n, _)| n.len()).max().unwrap_or(0);
        let rule =
            "-".repeat(width + 2 + self.rows.iter().map(|(_, v)| v.len()).max().unwrap_or(0));
        writeln!(f, "{}", self.title)?;
        writeln!(f, "{rule}")?;
        for (name, value) in &self.rows {
            writeln!(f, "{name:<width$}  {value}")?;
        }
        writeln!(f, "{rule}")
    }
}

/// Server-side figures read from `/proc/PID` around a measurement.
#[derive(Clone, Copy, Debug, Default, Serialize)]
pub struct ServerUsage {
    pub rss_before_kib: Option<u64>,
    pub rss_after_kib: Option<u64>,
    /// utime + stime spent by the server during the measured interval.
    pub cpu_seconds: Option<f64>,
}

/// Formats a float with a fixed number of decimals.
pub fn f(v: f64, decimals: usize) -> String {
    format!("{v:.decimals$}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_aligns_names() {
        let t = Table::new("demo").row("a", 1).row("longer", "x");
        let s = t.to_string();
        assert!(s.contains("a       1"), "{s}");
        assert!(s.contains("longer  x"), "{s}");
    }
}
