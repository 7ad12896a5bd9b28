//! The outcome of a matrix run: cells that differ from the table, and
//! pending cells (see `table::PENDING`) still failing, reported together.

/// The outcome of a matrix run: cells that differ from the table, and
/// pending cells (see `super::table::PENDING`) still failing.
#[derive(Default)]
pub struct Report {
    wrong: Vec<String>,
    pending: Vec<String>,
}

impl Report {
    pub fn check(
        &mut self,
        name: &str,
        want: &str,
        got: &str,
        pending: bool,
        well_formed: bool,
        body: &serde_json::Value,
    ) {
        let matches = want == got && well_formed;
        match (matches, pending) {
            (true, false) => {}
            (false, false) => self
                .wrong
                .push(format!("{name}: want {want}, got {got} {body}")),
            (false, true) => self.pending.push(format!("{name}: want {want}, got {got}")),
            (true, true) => self.wrong.push(format!(
                "{name}: passes now ({got}): drop its pending mark `?` in authorization/table.rs"
            )),
        }
    }

    pub fn finish(self) {
        if !self.pending.is_empty() {
            eprintln!(
                "pending cells still failing ({}):\n{}",
                super::table::PENDING.join("; "),
                self.pending.join("\n")
            );
        }
        assert!(
            self.wrong.is_empty(),
            "{} cell(s) differ from authorization/table.rs:\n{}",
            self.wrong.len(),
            self.wrong.join("\n")
        );
    }
}
