//! Back-pressure: a session that falls behind is cut off with 4008 (resume)
//! and never slows anyone else down.

use crate::helpers::*;
use std::sync::atomic::Ordering;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_client_that_never_reads_is_cut_off_with_4008_while_the_others_keep_receiving() {
    let app = spawn_app_with(|c| c.limits.session_queue = 16).await;
    let sender = app.register("sender").await;
    let reader = app.register("reader").await;
    let sleeper = app.register("sleeper").await;
    let room = app
        .create_room(&sender, RoomKind::Group, "busy", &[&reader, &sleeper])
        .await
        .id;
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
            .send(&sender, room, &format!("{sent:05} {filler}"))
            .await;
        expect_event!(reader_ws, ServerEvent::MessageCreated(e) if e.message.id == msg.id);
        sent += 1;
    }
    assert_eq!(overflows(), 1, "only the sleeper fell behind");

    // Everyone else keeps receiving, in order, without a gap.
    for i in 0..20 {
        let msg = app.send(&sender, room, &format!("after the cut {i}")).await;
        expect_event!(reader_ws, ServerEvent::MessageCreated(e) if e.message.id == msg.id);
    }
    reader_ws.sync().await;
    reader_ws.assert_none_seen("a message arrived twice", |e| {
        matches!(e, ServerEvent::MessageCreated(_))
    });
    assert_eq!(overflows(), 1);

    // The sleeper, reading at last, finds what fitted in the pipes and then
    // the resume close code.
    assert_eq!(sleeper_ws.expect_close().await, Ended::Closed(Some(4008)));
    let got = seen_events!(sleeper_ws, ServerEvent::MessageCreated(e) => e.message.body.clone());
    assert!(
        got.len() < sent,
        "the sleeper got everything: nothing was cut"
    );
    assert!(
        got.iter().all(|body| !body.starts_with("after")),
        "the sleeper received events after it was cut off"
    );
}
