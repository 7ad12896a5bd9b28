//! The settings tables of the README and docs/operations.md, rendered from
//! the declarations; a test fails when the files say something else.

use clap::Arg;

/// A Markdown table of the settings `include` picks, in declaration order.
pub(super) fn settings_table(include: impl Fn(&str) -> bool) -> String {
    let mut table = String::from(
        "| TOML key | flag | environment | default | meaning |\n| --- | --- | --- | --- | --- |\n",
    );
    for arg in super::settings_command().get_arguments() {
        if !include(arg.get_id().as_str()) {
            continue;
        }
        let (meaning, default) = meaning_and_default(arg);
        let env = arg
            .get_env()
            .map(|env| format!("`{}`", env.to_string_lossy()))
            .unwrap_or_default();
        table.push_str(&format!(
            "| `{}` | `--{}` | {env} | {default} | {meaning} |\n",
            arg.get_id(),
            arg.get_long().unwrap_or_default(),
        ));
    }
    table
}

/// The help text, and the default: the declared one, or for a default that
/// is not a constant (a path in the data directory, a random name) the
/// help's own "[default: …]".
fn meaning_and_default(arg: &Arg) -> (String, String) {
    let help = arg.get_help().map(|h| h.to_string()).unwrap_or_default();
    if let Some((meaning, rest)) = help.split_once(" [default: ") {
        let default = rest.trim_end_matches(']');
        return (meaning.to_string(), format!("`{default}`"));
    }
    let defaults: Vec<String> = arg
        .get_default_values()
        .iter()
        .map(|v| format!("`{}`", v.to_string_lossy()))
        .collect();
    let default = if defaults.is_empty() {
        "–".to_string()
    } else {
        defaults.join(", ")
    };
    (help, default)
}

#[cfg(test)]
mod tests {
    use super::settings_table;
    use std::path::PathBuf;

    /// The settings that docs/operations.md lists for cluster mode.
    fn cluster_settings(id: &str) -> bool {
        id.starts_with("database.")
            || id.starts_with("cluster.")
            || id.starts_with("s3.")
            || id == "trust_proxy"
            || id == "trusted_proxies"
    }

    /// Replaces the text between `<!-- NAME:begin -->` and `<!-- NAME:end
    /// -->` of `file` with `table` when `UPDATE_DOCS` is set; otherwise
    /// fails if it differs.
    fn check(file: &str, name: &str, table: &str) {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../..")
            .join(file);
        let text = std::fs::read_to_string(&path).expect("read the document");
        let (begin, end) = (
            format!("<!-- {name}:begin -->\n"),
            format!("<!-- {name}:end -->"),
        );
        let start = text.find(&begin).expect("begin marker") + begin.len();
        let stop = text.find(&end).expect("end marker");
        if text[start..stop] == *table {
            return;
        }
        if std::env::var_os("UPDATE_DOCS").is_some() {
            let updated = format!("{}{table}{}", &text[..start], &text[stop..]);
            std::fs::write(&path, updated).expect("write the document");
            return;
        }
        panic!(
            "{file}: the settings table ({name}) differs from the settings declared in \
             crates/hearth-server/src/config/mod.rs. Regenerate it with\n  \
             UPDATE_DOCS=1 cargo test -p hearth-server --lib config::docs\n\
             expected:\n{table}"
        );
    }

    #[test]
    fn the_readme_lists_every_setting_as_declared() {
        check("README.md", "settings", &settings_table(|_| true));
    }

    #[test]
    fn operations_lists_the_cluster_settings_as_declared() {
        check(
            "docs/operations.md",
            "cluster-settings",
            &settings_table(cluster_settings),
        );
    }
}
