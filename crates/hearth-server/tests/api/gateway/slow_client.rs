//! Back-pressure: a session that falls behind is cut off with 4008 (resume)
//! and never slows anyone else down.

use crate::helpers::*;
use std::sync::atomic::Ordering;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_client_that_never_reads_is_cut_off_with_4008_while_the_others_keep_receiving() {
    let app = spawn_app_with(|c| c.session_queue = 16).await;
    let sender = app.register("sender").await;
    let reader = app.register("reader").await;
    let sleeper = app.register("sleeper").await;
    let room = app
        .create_room(&sender, "group", "busy", &[&reader, &sleeper])
        .await;
    let mut reader_ws = app.ws(&reader).await;
    // From here on nobody polls the sleeper's socket: the kernel buffers
    // fill, then its 16-frame queue, then the server cuts it off.
    let mut sleeper_ws = app.ws(&sleeper).await;
    let overflows = || {
        app.state
            .node
            .hub
            .stats
            .overflow_closes
            .load(Ordering::Relaxed)
    };
    let filler = "x".repeat(3990);

    let mut sent = 0usize;
    // The hub enqueues before the 201 returns, so the counter is current.
    while overflows() == 0 {
        assert!(
            sent < 5000,
            "sent {sent} large messages and the sleeper was never cut off"
        );
        let msg = app
            .send(&sender, &room, &format!("{sent:05} {filler}"))
            .await;
        reader_ws
            .expect_event("message.created", |d| d["message"]["id"] == msg["id"])
            .await;
        sent += 1;
    }
    assert_eq!(overflows(), 1, "only the sleeper fell behind");

    // Everyone else keeps receiving, in order, without a gap.
    for i in 0..20 {
        let msg = app
            .send(&sender, &room, &format!("after the cut {i}"))
            .await;
        reader_ws
            .expect_event("message.created", |d| d["message"]["id"] == msg["id"])
            .await;
    }
    reader_ws.sync().await;
    assert!(reader_ws.seen_named("message.created").is_empty());
    assert_eq!(overflows(), 1);

    // The sleeper, reading at last, finds what fitted in the pipes and then
    // the resume close code.
    assert_eq!(sleeper_ws.expect_close().await, Ended::Closed(Some(4008)));
    let got = sleeper_ws.seen_named("message.created");
    assert!(
        got.len() < sent,
        "the sleeper got everything: nothing was cut"
    );
    assert!(
        got.iter()
            .all(|d| !d["message"]["body"].as_str().unwrap().starts_with("after")),
        "the sleeper received events after it was cut off"
    );
}
