//! hearth-bench at small scale against the real server: setup, fan-out and
//! sends through both paths must lose, duplicate and misroute nothing.
//! No timing assertions: this is a correctness run of the load generator
//! and of the delivery path under concurrent senders.

use crate::helpers::spawn_app_with;
use clap::Parser;
use hearth_bench::Cli;
use serde_json::Value;
use std::time::Duration;

/// Runs one hearth-bench command line against `url` and returns its JSON result.
async fn bench(url: &str, state: &std::path::Path, args: &[&str]) -> Value {
    let mut argv = vec![
        "hearth-bench",
        "--url",
        url,
        "--state",
        state.to_str().unwrap(),
        "--quiet",
        "--source-addrs",
        "0",
    ];
    argv.extend_from_slice(args);
    let cli = Cli::try_parse_from(&argv).unwrap();
    let outcome = tokio::time::timeout(Duration::from_secs(120), hearth_bench::run(&cli))
        .await
        .expect("bench run timed out")
        .unwrap_or_else(|e| panic!("{argv:?}: {e:#}"));
    let json = outcome.json();
    assert_eq!(outcome.errors(), 0, "{argv:?}: {json:#}");
    json["result"].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bench_fanout_and_sends_lose_and_duplicate_nothing() {
    let app = spawn_app_with(|_| {}).await;
    let url = format!("http://{}", app.addr);
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("bench-state.json");

    let setup = bench(
        &url,
        &state,
        &["setup", "--users", "20", "--rooms", "2", "--members", "10"],
    )
    .await;
    assert_eq!(setup["users_total"], 20);
    assert_eq!(setup["rooms_total"], 2);

    // Twice: the second run reuses the state file's users and rooms, and
    // must not reuse nonces (the server would dedupe them into old messages).
    for _ in 0..2 {
        let fanout = bench(
            &url,
            &state,
            &[
                "fanout",
                "--rooms",
                "2",
                "--members",
                "10",
                "--senders",
                "3",
                "--rate",
                "20",
                "--duration",
                "2",
                "--settle",
                "0",
                "--drain",
                "20",
            ],
        )
        .await;
        let acked = fanout["acked"].as_u64().unwrap();
        assert!(acked > 0, "{fanout:#}");
        assert_eq!(fanout["expected_deliveries"], acked * 10, "{fanout:#}");
        assert_eq!(
            fanout["delivered"], fanout["expected_deliveries"],
            "{fanout:#}"
        );
        for field in [
            "lost",
            "duplicates",
            "wrong_room",
            "id_mismatch",
            "disconnects",
            "stale_acks",
        ] {
            assert_eq!(fanout[field], 0, "{field}: {fanout:#}");
        }
    }

    for via in ["gateway", "rest"] {
        let send = bench(
            &url,
            &state,
            &[
                "send",
                "--via",
                via,
                "-k",
                "4",
                "--duration",
                "1",
                "--rooms",
                "2",
                "--members",
                "10",
            ],
        )
        .await;
        assert!(send["acked"].as_u64().unwrap() > 0, "{via}: {send:#}");
        assert_eq!(send["failed"], 0, "{via}: {send:#}");
    }

    // A reconnect storm, cut by the bench dropping its own sockets (a server
    // restart is not possible in-process): everyone back and caught up,
    // the posted messages fetched or received, nothing duplicated.
    let storm = bench(
        &url,
        &state,
        &[
            "storm",
            "--rooms",
            "2",
            "--members",
            "10",
            "--messages",
            "3",
            "--jitter-ms",
            "300",
            "--timeout",
            "30",
        ],
    )
    .await;
    assert_eq!(storm["clients"], 20, "{storm:#}");
    assert_eq!(storm["caught_up"], 20, "{storm:#}");
    assert_eq!(storm["messages_posted"], 6, "{storm:#}");
    // Each client is in one room: it must hold that room's 3 posted messages.
    assert_eq!(
        storm["posted_via_fetch"].as_u64().unwrap() + storm["posted_via_live"].as_u64().unwrap(),
        20 * 3,
        "{storm:#}"
    );
    assert!(
        storm["all_caught_up_seconds"].as_f64().is_some(),
        "{storm:#}"
    );

    // A second run reuses the state file: no new users, same rooms.
    let again = bench(
        &url,
        &state,
        &["setup", "--users", "20", "--rooms", "2", "--members", "10"],
    )
    .await;
    assert_eq!(again["users_registered"], 0);
    assert_eq!(again["rooms_created"], 0);
}
