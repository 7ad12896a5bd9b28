//! Message search (`GET /search`), user search and channel search.

use crate::helpers::*;
use hearth_protocol::search::{SearchPage, SearchResult};
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

/// A search that must answer 200, decoded.
async fn found(app: &TestApp, user: &TestUser, params: &[(&str, &str)]) -> SearchPage {
    let (status, page) = search(app, user, params).await;
    assert_eq!(status, StatusCode::OK, "{params:?}: {page}");
    decode(page)
}

/// The bodies of a page's results, in order.
fn bodies_of(page: &SearchPage) -> Vec<String> {
    page.results
        .iter()
        .map(|r| r.message.body.clone())
        .collect()
}

/// The bodies found for `q`, newest first (asserts 200).
async fn bodies(app: &TestApp, user: &TestUser, q: &str) -> Vec<String> {
    bodies_of(&found(app, user, &[("q", q)]).await)
}

/// The highlighted parts of a result's snippet (offsets are in code points).
fn highlighted(result: &SearchResult) -> Vec<String> {
    let snippet: Vec<char> = result.snippet.chars().collect();
    result
        .highlights
        .iter()
        .map(|[s, e]| snippet[*s as usize..*e as usize].iter().collect())
        .collect()
}

#[tokio::test]
async fn search_answers_newest_first_with_snippets_and_pages_with_a_cursor() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let room = app
        .create_room(&alice, RoomKind::Group, "reports", &[&bob])
        .await
        .id;
    for i in 0..25 {
        app.send(&alice, room, &format!("weekly report number {i}"))
            .await;
    }
    app.send(&bob, room, "unrelated chatter").await;

    let page = found(&app, &bob, &[("q", "weekly rep"), ("limit", "10")]).await;
    let first = &page.results[0];
    assert_eq!(first.message.body, "weekly report number 24");
    assert_eq!(first.room_id, room);
    let sender = first.message.sender.as_ref().map(|s| s.username.as_str());
    assert_eq!(sender, Some("alice"));
    assert_eq!(first.snippet, "weekly report number 24");
    assert_eq!(highlighted(first), vec!["weekly", "report"]);

    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..5 {
        let mut params = vec![("q", "report"), ("limit", "10")];
        if let Some(c) = &cursor {
            params.push(("cursor", c.as_str()));
        }
        let page = found(&app, &bob, &params).await;
        seen.extend(bodies_of(&page));
        match page.next_cursor {
            Some(c) => cursor = Some(c),
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
        .create_room(&alice, RoomKind::Group, "shared", &[&bob, &carol])
        .await
        .id;
    let private = app
        .create_room(&alice, RoomKind::Group, "private", &[])
        .await
        .id;
    let channel = app
        .create_room(&alice, RoomKind::Channel, "lobby", &[])
        .await
        .id;
    let left = app
        .create_room(&alice, RoomKind::Group, "left", &[&bob])
        .await
        .id;
    let banned = app
        .create_room(&alice, RoomKind::Channel, "banned", &[])
        .await
        .id;
    let (s, b) = app
        .post(
            &format!("/api/v1/rooms/{banned}/join"),
            &carol.token,
            json!({}),
        )
        .await;
    assert!(s.is_success(), "{b}");
    let dm = app
        .create_room(&alice, RoomKind::Dm, "", &[&carol])
        .await
        .id;
    for (room, what) in [
        (shared, "shared"),
        (private, "private"),
        (channel, "channel"),
        (left, "left"),
        (banned, "banned"),
        (dm, "dm"),
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
    let (s, _) = search(
        &app,
        &bob,
        &[("q", "treasure"), ("room_id", &private.to_string())],
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = search(
        &app,
        &bob,
        &[("q", "treasure"), ("room_id", &left.to_string())],
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = search(
        &app,
        &bob,
        &[("q", "treasure"), ("room_id", &channel.to_string())],
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let page = found(
        &app,
        &carol,
        &[("q", "treasure"), ("room_id", &shared.to_string())],
    )
    .await;
    assert_eq!(page.results.len(), 1);
}

#[tokio::test]
async fn hostile_query_strings_are_answered_200_or_400_never_500() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let room = app
        .create_room(&alice, RoomKind::Group, "music", &[])
        .await
        .id;
    app.send(
        &alice,
        room,
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
            assert_eq!(error_code(&body), ErrorCode::Validation, "{q:?}: {body}");
        }
    }
    // Operators and quotes are plain words.
    assert_eq!(bodies(&app, &alice, "AND").await.len(), 1);
    assert_eq!(bodies(&app, &alice, "\"live\" near").await.len(), 1);
    assert_eq!(bodies(&app, &alice, "stadium*").await.len(), 1);
    assert!(bodies(&app, &alice, "*").await.is_empty());
    // The snippet is plain text: the markup-looking body comes back as is.
    app.send(&alice, room, "<b>bold</b> & <script>x</script>")
        .await;
    let page = found(&app, &alice, &[("q", "bold")]).await;
    assert_eq!(page.results[0].snippet, "<b>bold</b> & <script>x</script>");
    assert_eq!(highlighted(&page.results[0]), vec!["bold"]);
}

#[tokio::test]
async fn edits_and_deletes_update_the_results() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let room = app
        .create_room(&alice, RoomKind::Group, "kitchen", &[])
        .await
        .id;
    let msg = app.send(&alice, room, "pancakes for breakfast").await;
    let id = msg.id;
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
    let page = found(&app, &alice, &[("q", "crepes")]).await;
    assert_eq!(page.results[0].message.body, "crepes for breakfast");
    assert!(page.results[0].message.edited_at.is_some());

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
    let general = app
        .create_room(&alice, RoomKind::Group, "general", &[&bob])
        .await
        .id;
    let random = app
        .create_room(&alice, RoomKind::Group, "random", &[&bob])
        .await
        .id;
    app.send(&alice, general, "meeting at noon").await;
    app.send(&bob, general, "meeting notes: https://example.org/notes")
        .await;
    app.send(&bob, random, "meeting moved").await;

    let only = |params: Vec<(&'static str, String)>| {
        let app = &app;
        let alice = &alice;
        async move {
            let mut p: Vec<(&str, &str)> = vec![("q", "meeting")];
            p.extend(params.iter().map(|(k, v)| (*k, v.as_str())));
            bodies_of(&found(app, alice, &p).await)
        }
    };
    assert_eq!(
        only(vec![("room_id", random.to_string())]).await,
        vec!["meeting moved"]
    );
    assert_eq!(
        only(vec![("from", bob.id.to_string())]).await,
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
        decode::<Vec<UserSummary>>(v.clone())
            .into_iter()
            .map(|u| u.username)
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
    app.create_room(&alice, RoomKind::Channel, "general", &[])
        .await;
    app.create_room(&alice, RoomKind::Channel, "gardening", &[])
        .await;
    app.create_room(&alice, RoomKind::Channel, "random", &[])
        .await;
    app.create_room(&alice, RoomKind::Group, "general private", &[])
        .await;
    let names = |v: &Value| -> Vec<String> {
        let mut n: Vec<String> = decode::<Vec<Room>>(v.clone())
            .into_iter()
            .map(|r| r.name)
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
