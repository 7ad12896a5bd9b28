//! Message search (`GET /search`), user search and channel search.

use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// `GET /api/v1/search` with `params` (URL-encoded by the client).
async fn search(app: &TestApp, user: &TestUser, params: &[(&str, &str)]) -> (StatusCode, Value) {
    let res = tokio::time::timeout(
        TIMEOUT,
        app.http
            .get(app.url("/api/v1/search"))
            .bearer_auth(&user.token)
            .query(params)
            .send(),
    )
    .await
    .expect("search timed out")
    .expect("search failed");
    let status = res.status();
    let text = res.text().await.unwrap_or_default();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

/// The bodies found for `q`, newest first (asserts 200).
async fn bodies(app: &TestApp, user: &TestUser, q: &str) -> Vec<String> {
    let (status, page) = search(app, user, &[("q", q)]).await;
    assert_eq!(status, StatusCode::OK, "{q:?}: {page}");
    page["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["message"]["body"].as_str().unwrap().to_string())
        .collect()
}

/// The highlighted parts of a result's snippet (offsets are in code points).
fn highlighted(result: &Value) -> Vec<String> {
    let snippet: Vec<char> = result["snippet"].as_str().unwrap().chars().collect();
    result["highlights"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            let (s, e) = (
                h[0].as_u64().unwrap() as usize,
                h[1].as_u64().unwrap() as usize,
            );
            snippet[s..e].iter().collect()
        })
        .collect()
}

#[tokio::test]
async fn search_answers_newest_first_with_snippets_and_pages_with_a_cursor() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let room = app.create_room(&alice, "group", "reports", &[&bob]).await;
    for i in 0..25 {
        app.send(&alice, &room, &format!("weekly report number {i}"))
            .await;
    }
    app.send(&bob, &room, "unrelated chatter").await;

    let (status, page) = search(&app, &bob, &[("q", "weekly rep"), ("limit", "10")]).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let first = &page["results"][0];
    assert_eq!(first["message"]["body"], "weekly report number 24");
    assert_eq!(first["room_id"], room.as_str());
    assert_eq!(first["message"]["sender"]["username"], "alice");
    assert_eq!(first["snippet"], "weekly report number 24");
    assert_eq!(highlighted(first), vec!["weekly", "report"]);

    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..5 {
        let mut params = vec![("q", "report"), ("limit", "10")];
        if let Some(c) = &cursor {
            params.push(("cursor", c.as_str()));
        }
        let (status, page) = search(&app, &bob, &params).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        for r in page["results"].as_array().unwrap() {
            seen.push(r["message"]["body"].as_str().unwrap().to_string());
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    let expected: Vec<String> = (0..25)
        .rev()
        .map(|i| format!("weekly report number {i}"))
        .collect();
    assert_eq!(seen, expected, "every match once, newest first");
}

#[tokio::test]
async fn search_never_shows_rooms_the_caller_left_was_banned_from_or_never_joined() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let carol = app.register("carol").await;
    let shared = app
        .create_room(&alice, "group", "shared", &[&bob, &carol])
        .await;
    let private = app.create_room(&alice, "group", "private", &[]).await;
    let channel = app.create_room(&alice, "channel", "lobby", &[]).await;
    let left = app.create_room(&alice, "group", "left", &[&bob]).await;
    let banned = app.create_room(&alice, "channel", "banned", &[]).await;
    let (s, b) = app
        .post(
            &format!("/api/v1/rooms/{banned}/join"),
            &carol.token,
            json!({}),
        )
        .await;
    assert!(s.is_success(), "{b}");
    let dm = app.create_room(&alice, "dm", "", &[&carol]).await;
    for (room, what) in [
        (&shared, "shared"),
        (&private, "private"),
        (&channel, "channel"),
        (&left, "left"),
        (&banned, "banned"),
        (&dm, "dm"),
    ] {
        app.send(&alice, room, &format!("treasure in {what}")).await;
    }
    let (s, b) = app
        .post(
            &format!("/api/v1/rooms/{left}/leave"),
            &bob.token,
            json!({}),
        )
        .await;
    assert!(s.is_success(), "{b}");
    let (s, b) = app
        .delete(
            &format!("/api/v1/rooms/{banned}/members/{}?ban=true", carol.id),
            &alice.token,
        )
        .await;
    assert!(s.is_success(), "{b}");

    assert_eq!(
        bodies(&app, &bob, "treasure").await,
        vec!["treasure in shared"]
    );
    assert_eq!(
        bodies(&app, &carol, "treasure").await,
        vec!["treasure in dm", "treasure in shared"]
    );
    assert_eq!(bodies(&app, &alice, "treasure").await.len(), 6);

    // Asking for a room directly: the usual 404 / 403.
    let (s, _) = search(&app, &bob, &[("q", "treasure"), ("room_id", &private)]).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = search(&app, &bob, &[("q", "treasure"), ("room_id", &left)]).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = search(&app, &bob, &[("q", "treasure"), ("room_id", &channel)]).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, page) = search(&app, &carol, &[("q", "treasure"), ("room_id", &shared)]).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(page["results"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn hostile_query_strings_are_answered_200_or_400_never_500() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let room = app.create_room(&alice, "group", "music", &[]).await;
    app.send(
        &alice,
        &room,
        "rock AND roll \"live\" at NEAR(the) *stadium*",
    )
    .await;

    let long = "a".repeat(257);
    let punctuation = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~".repeat(320);
    let cases: Vec<(&str, StatusCode)> = vec![
        ("", StatusCode::OK),
        ("   ", StatusCode::OK),
        ("\"", StatusCode::OK),
        ("\"unbalanced", StatusCode::OK),
        ("AND", StatusCode::OK),
        ("OR OR OR", StatusCode::OK),
        ("NOT", StatusCode::OK),
        ("*", StatusCode::OK),
        ("a*b*", StatusCode::OK),
        ("NEAR(", StatusCode::OK),
        ("NEAR(rock roll, 1)", StatusCode::OK),
        ("body:rock", StatusCode::OK),
        ("room:rock", StatusCode::OK),
        ("{body}: rock", StatusCode::OK),
        ("^rock", StatusCode::OK),
        ("-rock +roll", StatusCode::OK),
        ("(rock", StatusCode::OK),
        ("'; DROP TABLE messages; --", StatusCode::OK),
        ("%00\u{0}\u{1}", StatusCode::OK),
        ("\u{E000}rock\u{E001}", StatusCode::OK),
        ("🎸 Ⓡⓞⓒⓚ", StatusCode::OK),
        ("<script>alert(1)</script>", StatusCode::OK),
        (&long, StatusCode::BAD_REQUEST),
        (&punctuation, StatusCode::BAD_REQUEST),
    ];
    assert!(cases.len() >= 15);
    for (q, expected) in cases {
        let (status, body) = search(&app, &alice, &[("q", q)]).await;
        assert_eq!(status, expected, "{q:?}: {body}");
        if status == StatusCode::OK {
            assert!(body["results"].is_array(), "{q:?}: {body}");
        } else {
            assert_eq!(body["error"]["code"], "validation", "{q:?}: {body}");
        }
    }
    // Operators and quotes are plain words.
    assert_eq!(bodies(&app, &alice, "AND").await.len(), 1);
    assert_eq!(bodies(&app, &alice, "\"live\" near").await.len(), 1);
    assert_eq!(bodies(&app, &alice, "stadium*").await.len(), 1);
    assert!(bodies(&app, &alice, "*").await.is_empty());
    // The snippet is plain text: the markup-looking body comes back as is.
    app.send(&alice, &room, "<b>bold</b> & <script>x</script>")
        .await;
    let (_, page) = search(&app, &alice, &[("q", "bold")]).await;
    assert_eq!(
        page["results"][0]["snippet"],
        "<b>bold</b> & <script>x</script>"
    );
    assert_eq!(highlighted(&page["results"][0]), vec!["bold"]);
}

#[tokio::test]
async fn edits_and_deletes_update_the_results() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let room = app.create_room(&alice, "group", "kitchen", &[]).await;
    let msg = app.send(&alice, &room, "pancakes for breakfast").await;
    let id = msg["id"].as_str().unwrap();
    assert_eq!(bodies(&app, &alice, "pancakes").await.len(), 1);

    let (s, b) = app
        .patch(
            &format!("/api/v1/rooms/{room}/messages/{id}"),
            &alice.token,
            json!({"body": "crepes for breakfast"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert!(bodies(&app, &alice, "pancakes").await.is_empty());
    let (_, page) = search(&app, &alice, &[("q", "crepes")]).await;
    assert_eq!(
        page["results"][0]["message"]["body"],
        "crepes for breakfast"
    );
    assert!(page["results"][0]["message"]["edited_at"].is_string());

    let (s, _) = app
        .delete(&format!("/api/v1/rooms/{room}/messages/{id}"), &alice.token)
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    assert!(bodies(&app, &alice, "crepes").await.is_empty());
    assert!(bodies(&app, &alice, "breakfast").await.is_empty());
}

#[tokio::test]
async fn filters_narrow_the_results_and_bad_parameters_are_400() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let general = app.create_room(&alice, "group", "general", &[&bob]).await;
    let random = app.create_room(&alice, "group", "random", &[&bob]).await;
    app.send(&alice, &general, "meeting at noon").await;
    app.send(&bob, &general, "meeting notes: https://example.org/notes")
        .await;
    app.send(&bob, &random, "meeting moved").await;

    let only = |params: Vec<(&'static str, String)>| {
        let app = &app;
        let alice = &alice;
        async move {
            let mut p: Vec<(&str, &str)> = vec![("q", "meeting")];
            p.extend(params.iter().map(|(k, v)| (*k, v.as_str())));
            let (s, page) = search(app, alice, &p).await;
            assert_eq!(s, StatusCode::OK, "{page}");
            page["results"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["message"]["body"].as_str().unwrap().to_string())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        only(vec![("room_id", random.clone())]).await,
        vec!["meeting moved"]
    );
    assert_eq!(
        only(vec![("from", bob.id.clone())]).await,
        vec!["meeting moved", "meeting notes: https://example.org/notes"]
    );
    assert_eq!(
        only(vec![("has", "link".into())]).await,
        vec!["meeting notes: https://example.org/notes"]
    );
    assert!(only(vec![("has", "image".into())]).await.is_empty());
    assert!(only(vec![("before", "2000-01-01".into())]).await.is_empty());
    assert_eq!(
        only(vec![("after", "2000-01-01T00:00:00Z".into())])
            .await
            .len(),
        3
    );

    for (k, v) in [
        ("cursor", "nonsense"),
        ("limit", "0"),
        ("limit", "51"),
        ("limit", "many"),
        ("before", "yesterday"),
        ("after", "2025-13-45"),
        ("has", "video"),
        ("from", "not-a-user"),
        ("room_id", "not-a-room"),
    ] {
        let (s, body) = search(&app, &alice, &[("q", "meeting"), (k, v)]).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{k}={v}: {body}");
    }
    let (s, _) = search(
        &app,
        &alice,
        &[
            ("q", "meeting"),
            ("room_id", "01900000-0000-7000-8000-000000000000"),
        ],
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = app
        .request(reqwest::Method::GET, "/api/v1/search?q=meeting", None, None)
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn user_search_matches_username_and_display_name_prefixes() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    app.register("alan").await;
    let bob = app.register("bob").await;
    app.register("malice").await;
    let (s, b) = app
        .patch(
            "/api/v1/users/me",
            &bob.token,
            json!({"display_name": "Albert Bob"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let names = |v: &Value| -> Vec<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|u| u["username"].as_str().unwrap().to_string())
            .collect()
    };
    let (s, found) = app.get("/api/v1/users?q=al", &alice.token).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        names(&found),
        vec!["alan", "alice", "bob"],
        "username or display-name prefix"
    );
    let (_, found) = app.get("/api/v1/users?q=ALI", &alice.token).await;
    assert_eq!(
        names(&found),
        vec!["alice"],
        "a prefix, case-insensitive, not a substring"
    );
    let (_, found) = app.get("/api/v1/users?q=%40ali", &alice.token).await;
    assert_eq!(names(&found), vec!["alice"], "a leading @ is ignored");
    let (_, found) = app.get("/api/v1/users?q=%25", &alice.token).await;
    assert_eq!(names(&found), Vec::<String>::new(), "wildcards are literal");
}

#[tokio::test]
async fn channel_search_finds_names_by_prefix_and_ignores_case() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    app.create_room(&alice, "channel", "general", &[]).await;
    app.create_room(&alice, "channel", "gardening", &[]).await;
    app.create_room(&alice, "channel", "random", &[]).await;
    app.create_room(&alice, "group", "general private", &[])
        .await;
    let names = |v: &Value| -> Vec<String> {
        let mut n: Vec<String> = v
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["name"].as_str().unwrap().to_string())
            .collect();
        n.sort();
        n
    };
    let (s, found) = app.get("/api/v1/channels?q=ga", &alice.token).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(names(&found), vec!["gardening"]);
    let (_, found) = app.get("/api/v1/channels?q=GEN", &alice.token).await;
    assert_eq!(
        names(&found),
        vec!["general"],
        "channels only, case-insensitive"
    );
    let (_, found) = app.get("/api/v1/channels?q=%25", &alice.token).await;
    assert!(names(&found).is_empty(), "wildcards are literal");
}
