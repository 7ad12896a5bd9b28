//! PostgreSQL restarts under a running node: requests answer 503 meanwhile
//! and work again once it is back, without restarting Hearth.

use super::support::*;
use crate::helpers::*;
use reqwest::StatusCode;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_fail_with_503_while_postgres_is_away_and_recover() {
    let db = TestDatabase::create().await;
    let mut relay = PgRelay::start(0).await;
    let url = relay.relayed(&db.url());
    let node = spawn_app_with(|c| c.database.url = Some(url.clone())).await;
    let alice = node.register("alice").await;
    let room = node
        .create_room(&alice, RoomKind::Group, "notes", &[])
        .await
        .id;
    node.send(&alice, room, "before").await;

    relay.cut();
    let (status, body) = node
        .get(&format!("/api/v1/rooms/{room}/messages"), &alice.token)
        .await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(error_code(&body), ErrorCode::Unavailable, "{body}");
    let ready = node.http.get(node.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), StatusCode::SERVICE_UNAVAILABLE);

    let _relay = PgRelay::start(relay.port).await;
    // A poll on purpose: the pool reconnects on its own retry timers and
    // announces nothing; /readyz answering 200 is the recovery to wait for.
    eventually_within("the node recovered", Duration::from_secs(15), || async {
        node.http
            .get(node.url("/readyz"))
            .send()
            .await
            .is_ok_and(|r| r.status() == StatusCode::OK)
    })
    .await;
    let after = node.send(&alice, room, "after").await;
    assert_eq!(after.seq, 2, "the failed request took no seq");
    drop(node);
}
