//! Defaults, flags, the settings file and refused values, read without the
//! process environment (tests/api/settings.rs runs the binary with it).

use super::*;
use crate::cli::Cli;
use std::io::Write;

fn load(args: &[&str]) -> Result<Cli, String> {
    let mut argv = vec!["hearth"];
    argv.extend_from_slice(args);
    Cli::load_without_env(argv).map_err(|e| e.to_string())
}

fn settings(args: &[&str]) -> Config {
    match load(args) {
        Ok(cli) => cli.settings,
        Err(e) => panic!("{e}"),
    }
}

fn with_file(toml: &str, args: &[&str]) -> Result<Cli, String> {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    file.write_all(toml.as_bytes()).unwrap();
    let path = file.path().to_str().unwrap().to_string();
    let mut all = vec!["--config", path.as_str()];
    all.extend_from_slice(args);
    load(&all)
}

#[test]
fn every_setting_has_its_documented_default() {
    let c = Config::defaults();
    assert_eq!(c.bind, "127.0.0.1:8080".parse().unwrap());
    assert_eq!(c.data_dir, PathBuf::from("./data"));
    assert_eq!(c.public_url, None);
    assert_eq!(c.public_url(), "http://127.0.0.1:8080");
    assert!(!c.trust_proxy);
    assert!(c.trusted_proxies.contains("127.0.0.1".parse().unwrap()));
    assert!(!c.trusted_proxies.contains("203.0.113.7".parse().unwrap()));
    assert_eq!(c.email_digest_after, Duration::from_secs(900));
    assert_eq!(c.log_format, LogFormat::Text);
    assert_eq!(c.shutdown_grace, Duration::from_secs(10));

    assert_eq!(c.database.url, None);
    assert_eq!(c.database_url(), "sqlite://./data/hearth.db");
    assert_eq!(c.database.max_connections, 10);
    assert!(c.database.sqlite_sync_full);

    assert_eq!(c.auth.jwt_secret, None);
    assert_eq!(c.auth.access_token_ttl, Duration::from_secs(900));
    assert_eq!(c.auth.refresh_token_ttl, Duration::from_secs(30 * 86_400));
    assert_eq!(c.auth.registration, Registration::Open);
    assert_eq!(c.auth.invite_code, None);

    let l = &c.limits;
    assert_eq!(l.max_json_bytes, 64 * 1024);
    assert_eq!(l.max_message_chars, 4000);
    assert_eq!(l.max_upload_bytes, 25 * 1024 * 1024);
    assert_eq!(l.auth_rate_per_minute, 30);
    assert_eq!(l.send_rate_per_second, 10);
    assert_eq!(l.send_burst, 30);
    assert_eq!(l.gateway_ops_per_second, 20);
    assert_eq!(l.gateway_auth_timeout, Duration::from_secs(10));
    assert_eq!(l.session_queue, 1024);
    assert_eq!(l.presence_room_limit, 100);

    assert!(c.s3.is_none(), "uploads on the local disk");
    assert!(c.smtp.is_none(), "no mail");
    assert!(c.cluster.is_none(), "a single node");
    assert!(!c.internal.push_allow_http);
    assert_eq!(c.internal.session_touch_interval, Duration::from_secs(60));
}

#[test]
fn the_sections_other_settings_have_their_defaults_once_switched_on() {
    let c = settings(&[
        "--s3-bucket",
        "b",
        "--smtp-url",
        "smtp://mail:25",
        "--redis-url",
        "redis://r:6379",
    ]);
    let s3 = c.s3.as_ref().unwrap();
    assert_eq!((s3.bucket.as_str(), s3.region.as_str()), ("b", "us-east-1"));
    assert_eq!(
        (s3.endpoint.clone(), s3.access_key_id.clone()),
        (None, None)
    );
    assert_eq!(s3.secret_access_key, None);
    let smtp = c.smtp.as_ref().unwrap();
    assert_eq!(
        (smtp.url.as_str(), smtp.from.as_str()),
        ("smtp://mail:25", "hearth@localhost")
    );
    let cluster = c.cluster.as_ref().unwrap();
    assert_eq!(cluster.redis_prefix, "hearth");
    assert_eq!(cluster.presence_ttl, Duration::from_secs(45));
    assert_eq!(
        cluster.node_id.len(),
        16,
        "a random name: {}",
        cluster.node_id
    );
}

#[test]
fn a_section_is_off_without_its_switch_whatever_else_is_set() {
    let c = settings(&[
        "--smtp-from",
        "a@b.c",
        "--redis-prefix",
        "x",
        "--s3-region",
        "eu",
    ]);
    assert!(c.smtp.is_none() && c.cluster.is_none() && c.s3.is_none());
}

#[test]
fn flags_set_settings_before_or_after_the_subcommand() {
    let cli = load(&["--send-burst", "7", "serve", "--bind", "0.0.0.0:9000"]).unwrap();
    assert_eq!(cli.settings.limits.send_burst, 7);
    assert_eq!(cli.settings.bind, "0.0.0.0:9000".parse().unwrap());
    assert!(matches!(cli.command, Some(crate::cli::Command::Serve)));
    let c = settings(&[
        "--gateway-auth-timeout=3",
        "--sqlite-sync-full",
        "false",
        "--registration",
        "invite",
        "--public-url",
        "https://chat.example.org/",
    ]);
    assert_eq!(c.limits.gateway_auth_timeout, Duration::from_secs(3));
    assert!(!c.database.sqlite_sync_full);
    assert_eq!(c.auth.registration, Registration::Invite);
    assert_eq!(c.public_url(), "https://chat.example.org");
}

#[test]
fn the_file_nests_settings_in_sections_and_flags_win_over_it() {
    let cli = with_file(
        r#"
        bind = "0.0.0.0:8081"
        trust_proxy = true
        trusted_proxies = "192.0.2.0/24"

        [database]
        url = "postgres://db/hearth"
        max_connections = 4

        [limits]
        send_burst = 50
        gateway_auth_timeout = 5

        [smtp]
        url = "smtp://mail:25"
        from = "Hearth <hearth@example.org>"

        [cluster]
        redis_url = "redis://r:6379"
        node_id = "chat-1"
        presence_ttl = 30
        "#,
        &["--send-burst", "60"],
    )
    .unwrap();
    assert!(cli.file_warnings.is_empty(), "{:?}", cli.file_warnings);
    let c = cli.settings;
    assert_eq!(c.bind, "0.0.0.0:8081".parse().unwrap());
    assert!(c.trust_proxy);
    assert!(c.trusted_proxies.contains("192.0.2.9".parse().unwrap()));
    assert!(!c.trusted_proxies.contains("127.0.0.1".parse().unwrap()));
    assert_eq!(c.database_url(), "postgres://db/hearth");
    assert_eq!(c.database.max_connections, 4);
    assert_eq!(c.limits.send_burst, 60, "the flag wins");
    assert_eq!(c.limits.gateway_auth_timeout, Duration::from_secs(5));
    assert_eq!(c.limits.session_queue, 1024, "unset: the default");
    assert_eq!(c.smtp.as_ref().unwrap().from, "Hearth <hearth@example.org>");
    let cluster = c.cluster.as_ref().unwrap();
    assert_eq!(
        (cluster.node_id.as_str(), cluster.presence_ttl),
        ("chat-1", Duration::from_secs(30))
    );
}

#[test]
fn the_flat_keys_of_earlier_versions_are_read_with_a_warning() {
    let cli = with_file(
        "send_burst = 5\nsmtp_url = \"smtp://m:25\"\nbind = \"0.0.0.0:1\"\n",
        &[],
    )
    .unwrap();
    assert_eq!(cli.settings.limits.send_burst, 5);
    assert_eq!(cli.settings.smtp.as_ref().unwrap().url, "smtp://m:25");
    assert_eq!(
        cli.file_warnings,
        [
            "settings file: `send_burst` is now `limits.send_burst` (a key in [limits])",
            "settings file: `smtp_url` is now `smtp.url` (a key in [smtp])",
        ]
    );
    let twice = with_file("send_burst = 5\n[limits]\nsend_burst = 6\n", &[]).unwrap_err();
    assert!(
        twice.contains("`limits.send_burst` is set twice"),
        "{twice}"
    );
}

#[test]
fn unknown_keys_in_the_file_are_refused() {
    let e = with_file("[limits]\nsend_bursts = 5\n", &[]).unwrap_err();
    assert!(e.contains("`limits.send_bursts` is not a setting"), "{e}");
    let e = with_file("[server]\nbind = \"0.0.0.0:1\"\n", &[]).unwrap_err();
    assert!(e.contains("`server` is not a setting"), "{e}");
}

#[test]
fn an_invalid_value_is_refused_with_a_message_naming_the_setting() {
    let e = load(&["--send-burst", "0"]).unwrap_err();
    assert!(
        e.contains(
            "HEARTH_SEND_BURST / --send-burst / limits.send_burst: must be at least 1, got 0"
        ),
        "{e}"
    );
    let e = with_file("[limits]\nsession_queue = 4\n", &[]).unwrap_err();
    assert!(
        e.contains("HEARTH_SESSION_QUEUE / --session-queue / limits.session_queue: must be at least 8, got 4"),
        "{e}"
    );
    let e = with_file("[cluster]\npresence_ttl = \"soon\"\n", &[]).unwrap_err();
    assert!(
        e.contains("cluster.presence_ttl: must be a whole number of seconds, got soon"),
        "{e}"
    );
    let e = load(&["--log-format", "xml"]).unwrap_err();
    assert!(
        e.contains(
            "HEARTH_LOG_FORMAT / --log-format / log_format: must be one of text, json, got xml"
        ),
        "{e}"
    );
    let e = load(&["--bind", "here"]).unwrap_err();
    assert!(e.contains("HEARTH_BIND / --bind / bind: "), "{e}");
}

#[test]
fn a_refused_secret_is_not_echoed() {
    let e = load(&["--jwt-secret", "short-secret"]).unwrap_err();
    assert!(
        e.contains(
            "HEARTH_JWT_SECRET / --jwt-secret / auth.jwt_secret: must be at least 32 characters"
        ),
        "{e}"
    );
    assert!(!e.contains("short-secret"), "{e}");
}

#[test]
fn secrets_are_redacted_in_debug_output() {
    let c = settings(&[
        "--jwt-secret",
        "0123456789abcdef0123456789abcdef",
        "--smtp-url",
        "smtp://user:hunter2@mail:587",
        "--redis-url",
        "redis://:hunter2@r:6379",
        "--s3-bucket",
        "b",
        "--s3-secret-access-key",
        "hunter2",
    ]);
    let debug = format!("{c:?}");
    assert!(
        !debug.contains("hunter2") && !debug.contains("0123456789abcdef"),
        "{debug}"
    );
}

#[test]
fn mail_without_a_public_url_is_warned_about() {
    let mail = settings(&["--smtp-url", "smtp://localhost:25"]);
    let warnings = mail.warnings();
    assert_eq!(warnings.len(), 1);
    assert!(
        warnings[0].contains("http://127.0.0.1:8080"),
        "{warnings:?}"
    );
    let set = settings(&[
        "--smtp-url",
        "smtp://localhost:25",
        "--public-url",
        "https://chat.example.com/",
    ]);
    assert_eq!(set.warnings(), Vec::<String>::new());
    assert_eq!(
        Config::defaults().warnings(),
        Vec::<String>::new(),
        "no mail, no links"
    );
}
