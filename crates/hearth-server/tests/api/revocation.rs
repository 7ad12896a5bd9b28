//! Access that ends when it is taken away: every way of ending a session
//! (here: the admin CLI in another process, a restart in between, a
//! deactivation the node was never told of) closes its connections with
//! 4003 and makes its access token useless on REST.

use crate::helpers::*;
use hearth_server::Config;
use hearth_server::cli::{UserCommand, run_user_command};
use reqwest::StatusCode;
use serde_json::json;

/// Runs `hearth user …` against the app's database, as an admin would from
/// a shell next to the running server.
async fn admin_cli(app: &TestApp, command: UserCommand) {
    run_user_command((*app.state.config).clone(), command)
        .await
        .expect("the command succeeds");
}

async fn me_status(app: &TestApp, user: &TestUser) -> StatusCode {
    app.get("/api/v1/users/me", &user.token).await.0
}

#[tokio::test]
async fn hearth_user_deactivate_ends_the_running_servers_sessions() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let room = app
        .create_room(&alice, RoomKind::Group, "team", &[&bob])
        .await
        .id;
    let mut ws = app.ws(&bob).await;
    assert_eq!(me_status(&app, &bob).await, StatusCode::OK);

    admin_cli(
        &app,
        UserCommand::Deactivate {
            username: "bob".into(),
        },
    )
    .await;
    assert_eq!(ws.expect_close().await, Ended::Closed(Some(4003)));
    assert_eq!(me_status(&app, &bob).await, StatusCode::UNAUTHORIZED);
    let (status, body) = app
        .post(
            &format!("/api/v1/rooms/{room}/messages"),
            &bob.token,
            json!({"body": "still here?"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
}

#[tokio::test]
async fn hearth_user_reset_password_ends_the_running_servers_sessions() {
    let app = spawn_app().await;
    let bob = app.register("bob").await;
    let mut ws = app.ws(&bob).await;

    admin_cli(
        &app,
        UserCommand::ResetPassword {
            username: "bob".into(),
            password: Some("a-new-password-42".into()),
        },
    )
    .await;
    assert_eq!(ws.expect_close().await, Ended::Closed(Some(4003)));
    assert_eq!(me_status(&app, &bob).await, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_revoked_access_token_stays_refused_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_path_buf();
    let same_data = move |c: &mut Config| {
        c.data_dir = data.clone();
        c.database.url = Some(format!("sqlite://{}", data.join("hearth.db").display()));
    };
    let mut first = spawn_app_with(same_data.clone()).await;
    let alice = first.register("alice").await;
    let (status, body) = first
        .request(
            reqwest::Method::POST,
            "/api/v1/auth/logout",
            None,
            Some(json!({"refresh_token": alice.refresh})),
        )
        .await;
    assert!(status.is_success(), "{status} {body}");
    assert_eq!(me_status(&first, &alice).await, StatusCode::UNAUTHORIZED);
    first.stop();
    first.server.take().unwrap().await.unwrap().unwrap();

    let second = spawn_app_with(same_data).await;
    assert_eq!(
        me_status(&second, &alice).await,
        StatusCode::UNAUTHORIZED,
        "the restarted server still refuses the signed-out token"
    );
    let mut ws = second.ws_raw().await;
    ws.send_op(ClientOp::Auth {
        token: alice.token.clone(),
    })
    .await;
    assert_eq!(ws.expect_close().await, Ended::Closed(Some(4001)));
}

#[tokio::test]
async fn a_deactivated_account_cannot_post_with_a_token_it_still_holds() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let room = app
        .create_room(&alice, RoomKind::Group, "team", &[&bob])
        .await
        .id;
    // Deactivated behind the node's back: no revocation recorded.
    app.state
        .node
        .store
        .set_deactivated(bob.id, true)
        .await
        .unwrap();
    let (status, body) = app
        .post(
            &format!("/api/v1/rooms/{room}/messages"),
            &bob.token,
            json!({"body": "one last word"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert!(app.messages(&alice, room, "").await.messages.is_empty());
}

#[tokio::test]
async fn the_liveness_check_closes_connections_whose_session_ended_unannounced() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let mut alice_ws = app.ws(&alice).await;
    let mut bob_ws = app.ws(&bob).await;
    // As if the news were lost: the store says bob is deactivated, and no
    // revocation reached this node.
    app.state
        .node
        .store
        .set_deactivated(bob.id, true)
        .await
        .unwrap();
    // What the gateway's ping tick runs.
    app.state.services.sessions.close_dead_connections().await;
    assert_eq!(bob_ws.expect_close().await, Ended::Closed(Some(4003)));
    assert_eq!(me_status(&app, &bob).await, StatusCode::UNAUTHORIZED);
    alice_ws.send_op(ClientOp::Ping { n: Some(7) }).await;
    expect_event!(alice_ws, ServerEvent::Pong(p) if p.n == Some(7));
}
