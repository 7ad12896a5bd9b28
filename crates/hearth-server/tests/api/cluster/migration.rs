//! `hearth migrate-to-postgres`: a single-node install moved to PostgreSQL
//! keeps every user, room, message, reaction and upload.

use super::support::*;
use crate::helpers::*;
use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};

async fn upload(app: &TestApp, user: &TestUser, name: &str, bytes: &[u8]) -> Value {
    let form = Form::new().part(
        "file",
        Part::bytes(bytes.to_vec()).file_name(name.to_string()),
    );
    let res = app
        .http
        .post(app.url("/api/v1/uploads"))
        .bearer_auth(&user.token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    res.json().await.unwrap()
}

async fn download(app: &TestApp, user: &TestUser, path: &str) -> Vec<u8> {
    let res = app
        .http
        .get(app.url(path))
        .bearer_auth(&user.token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK, "{path}");
    res.bytes().await.unwrap().to_vec()
}

/// What a user sees: their rooms and every room's messages.
async fn view(app: &TestApp, user: &TestUser) -> Value {
    let (status, rooms) = app.get("/api/v1/rooms", &user.token).await;
    assert_eq!(status, StatusCode::OK);
    let mut messages = Vec::new();
    for room in rooms.as_array().unwrap() {
        let id = room["id"].as_str().unwrap();
        let (status, page) = app
            .get(
                &format!("/api/v1/rooms/{id}/messages?limit=100"),
                &user.token,
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        messages.push(page);
    }
    json!({"rooms": rooms, "messages": messages})
}

#[tokio::test]
async fn a_sqlite_install_moves_to_postgres_with_everything() {
    let mut single = spawn_app().await;
    let alice = single.register("alice").await;
    let bob = single.register("bob").await;
    let room = single
        .create_room(&alice, RoomKind::Group, "plans", &[&bob])
        .await
        .id;
    let dm = single
        .create_room(&alice, RoomKind::Dm, "", &[&bob])
        .await
        .id;
    let file = upload(&single, &alice, "agenda.txt", b"1. cluster mode\n2. cake\n").await;
    let (status, with_file) = single
        .post(
            &format!("/api/v1/rooms/{room}/messages"),
            &alice.token,
            json!({"body": "agenda attached", "attachments": [file["id"]], "nonce": "a-1"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{with_file}");
    let reply = single.send(&bob, room, "looks good @alice").await;
    let doomed = single.send(&bob, room, "typo").await;
    single.send(&alice, dm, "see you at nine").await;
    for (user, emoji) in [(&bob, "👍"), (&alice, "🎉")] {
        let (status, body) = single
            .put(
                &format!(
                    "/api/v1/rooms/{room}/messages/{}/reactions/{emoji}",
                    with_file["id"].as_str().unwrap()
                ),
                &user.token,
            )
            .await;
        assert!(status.is_success(), "{body}");
    }
    let (status, _) = single
        .patch(
            &format!("/api/v1/rooms/{room}/messages/{}", reply.id),
            &bob.token,
            json!({"body": "looks great @alice"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = single
        .delete(
            &format!("/api/v1/rooms/{room}/messages/{}", doomed.id),
            &bob.token,
        )
        .await;
    assert!(status.is_success());
    let before = (view(&single, &alice).await, view(&single, &bob).await);
    let file_url = file["url"].as_str().unwrap().to_string();
    let bytes = download(&single, &bob, &file_url).await;

    // Stop the single node, copy, and start a node on PostgreSQL with the
    // same data directory (where the uploads' bytes are).
    single.stop();
    if let Some(server) = single.server.take() {
        server.await.unwrap().unwrap();
    }
    let db = TestDatabase::create().await;
    let config = (*single.state.config).clone();
    hearth_server::transfer::run(&config, None, &db.url())
        .await
        .expect("migrate-to-postgres");
    let data_dir = config.data_dir.clone();
    let moved = spawn_app_with(|c| {
        c.database.url = Some(db.url());
        c.data_dir = data_dir;
    })
    .await;
    assert_eq!(moved.state.node.store.backend(), "postgres");

    // Passwords, sessions' refresh tokens and everything seen carry over.
    let (status, login) = moved
        .request(
            reqwest::Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"username": "alice", "password": "password123"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{login}");
    let (status, refreshed) = moved
        .request(
            reqwest::Method::POST,
            "/api/v1/auth/refresh",
            None,
            Some(json!({"refresh_token": bob.refresh})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{refreshed}");
    assert_eq!(view(&moved, &alice).await, before.0);
    assert_eq!(view(&moved, &bob).await, before.1);
    assert_eq!(download(&moved, &bob, &file_url).await, bytes);

    // The moved room goes on where it stopped; the old nonce still dedups.
    let (status, again) = moved
        .post(
            &format!("/api/v1/rooms/{room}/messages"),
            &alice.token,
            json!({"body": "agenda attached", "attachments": [file["id"]], "nonce": "a-1"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(again["id"], with_file["id"]);
    let next = moved.send(&alice, room, "first on postgres").await;
    let last_seq = before.0["rooms"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == room.to_string())
        .map(|r| r["last_seq"].as_i64().unwrap())
        .unwrap();
    assert_eq!(next.seq, last_seq + 1);
}
