//! Settings as the real binary reads them from the process environment,
//! which unit tests cannot set safely: variables override the `--config`
//! file, flags override variables, and a refused value names its setting.
//! (An invalid variable is refused even where a flag overrides it: clap
//! parses it for the subcommand too, where every setting may also be given.)
//! `hearth migrate` on a fresh data directory is the quickest full start.

use std::process::Output;

fn migrate(data_dir: &std::path::Path, args: &[&str], vars: &[(&str, &str)]) -> Output {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_hearth"));
    command
        .arg("--data-dir")
        .arg(data_dir)
        .args(args)
        .arg("migrate");
    // Only the variables this test sets: none inherited from the runner.
    for (name, _) in std::env::vars().filter(|(name, _)| name.starts_with("HEARTH_")) {
        command.env_remove(name);
    }
    command
        .envs(vars.iter().copied())
        .output()
        .expect("run hearth")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn an_invalid_variable_is_refused_naming_the_setting() {
    let dir = tempfile::tempdir().unwrap();
    let out = migrate(dir.path(), &[], &[("HEARTH_SEND_BURST", "0")]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains(
            "HEARTH_SEND_BURST / --send-burst / limits.send_burst: must be at least 1, got 0"
        ),
        "{}",
        stderr(&out)
    );
}

#[test]
fn the_variable_overrides_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("hearth.toml");
    std::fs::write(&file, "[limits]\nsend_burst = 0\n").unwrap();
    let config = file.to_str().unwrap();

    let out = migrate(dir.path(), &["--config", config], &[]);
    assert!(
        stderr(&out).contains("limits.send_burst: must be at least 1, got 0"),
        "{}",
        stderr(&out)
    );

    // The variable wins, so the file's invalid value is never used.
    let out = migrate(
        dir.path(),
        &["--config", config],
        &[("HEARTH_SEND_BURST", "5")],
    );
    assert!(out.status.success(), "{}", stderr(&out));
}

#[test]
fn a_flag_overrides_the_variable() {
    let dir = tempfile::tempdir().unwrap();
    // Port 1 cannot be bound by a test: the server listens on the flag's
    // port 0 or fails.
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_hearth"))
        .arg("--data-dir")
        .arg(dir.path())
        .args(["--bind", "127.0.0.1:0", "serve"])
        .env("HEARTH_BIND", "127.0.0.1:1")
        .env("RUST_LOG", "info")
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start hearth");
    let stderr = child.stderr.take().unwrap();
    let listening = std::io::BufRead::lines(std::io::BufReader::new(stderr))
        .map_while(Result::ok)
        .find(|line| line.contains("listening on"));
    child.kill().unwrap();
    child.wait().unwrap();
    let line = listening.expect("the server started");
    assert!(
        line.contains("http://127.0.0.1:") && !line.contains("http://127.0.0.1:1 "),
        "{line}"
    );
}

#[test]
fn the_settings_file_comes_from_its_variable_too() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("hearth.toml");
    std::fs::write(&file, "[cluster]\npresence_ttl = 0\n").unwrap();
    let out = migrate(
        dir.path(),
        &[],
        &[("HEARTH_CONFIG", file.to_str().unwrap())],
    );
    assert!(
        stderr(&out).contains("HEARTH_PRESENCE_TTL / --presence-ttl / cluster.presence_ttl: must be at least 1 second(s), got 0"),
        "{}",
        stderr(&out)
    );
}
