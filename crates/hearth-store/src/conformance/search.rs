//! Conformance cases for [`SearchStore`](crate::SearchStore): matching,
//! order and paging, who may read what, hostile query text, filters, and the
//! index following edits and deletes.

use super::{new_message, new_upload, now_plus, room, send, user};
use crate::records::{MessageRecord, SearchHit, SearchQuery, UploadRecord};
use crate::traits::Store;
use hearth_protocol::dto::RoomKind;
use hearth_protocol::search::SearchHas;
use hearth_protocol::{MessageId, UserId};

/// A query by `user` for `text` with no filters, 50 results at most.
pub fn search_query(user: UserId, text: &str) -> SearchQuery {
    SearchQuery {
        user,
        text: text.to_string(),
        room: None,
        from: None,
        before: None,
        after: None,
        has: None,
        before_position: None,
        limit: 50,
    }
}

async fn hits(store: &dyn Store, query: &SearchQuery) -> Vec<SearchHit> {
    store
        .search_messages(query)
        .await
        .unwrap_or_else(|e| panic!("search for {:?} failed: {e:?}", query.text))
}

/// The ids found by `user` for `text`, newest first.
async fn found(store: &dyn Store, user: UserId, text: &str) -> Vec<MessageId> {
    hits(store, &search_query(user, text))
        .await
        .iter()
        .map(|h| h.message.id)
        .collect()
}

fn ids(messages: &[&MessageRecord]) -> Vec<MessageId> {
    messages.iter().map(|m| m.id).collect()
}

/// The highlighted parts of a hit's snippet.
fn highlighted(hit: &SearchHit) -> Vec<String> {
    hit.highlights
        .iter()
        .map(|&(start, end)| {
            hit.snippet
                .chars()
                .skip(start as usize)
                .take((end - start) as usize)
                .collect()
        })
        .collect()
}

pub async fn search_finds_every_word_newest_first_with_highlighted_snippets(store: &dyn Store) {
    let alice = user(store, "alice").await;
    let general = room(store, RoomKind::Channel, "general", &[&alice]).await;
    let fox = send(
        store,
        general.id,
        alice.id,
        "The quick brown fox\njumps over the lazy dog",
    )
    .await;
    let cow = send(store, general.id, alice.id, "How now, brown cow?").await;
    send(store, general.id, alice.id, "nothing to see here").await;

    assert_eq!(found(store, alice.id, "brown").await, ids(&[&cow, &fox]));
    assert_eq!(found(store, alice.id, "BROWN").await, ids(&[&cow, &fox]));
    // Every word must match; the last one also as a prefix.
    assert_eq!(found(store, alice.id, "brown qui").await, ids(&[&fox]));
    assert_eq!(
        found(store, alice.id, "quick cow").await,
        Vec::<MessageId>::new()
    );
    assert_eq!(found(store, alice.id, "laz").await, ids(&[&fox]));
    // Only the last word is a prefix.
    assert_eq!(
        found(store, alice.id, "qui brown").await,
        Vec::<MessageId>::new()
    );

    let hits = hits(store, &search_query(alice.id, "brown fox")).await;
    assert_eq!(hits.len(), 1);
    let hit = &hits[0];
    assert_eq!(hit.message, fox);
    assert!(!hit.snippet.contains('\n'), "{:?}", hit.snippet);
    assert!(hit.snippet.contains("quick brown fox"), "{:?}", hit.snippet);
    assert_eq!(highlighted(hit), vec!["brown", "fox"]);
}

pub async fn search_pages_by_position(store: &dyn Store) {
    let alice = user(store, "alice").await;
    let general = room(store, RoomKind::Channel, "general", &[&alice]).await;
    let mut sent = Vec::new();
    for i in 0..7 {
        sent.push(send(store, general.id, alice.id, &format!("report number {i}")).await);
    }
    let mut query = search_query(alice.id, "report");
    query.limit = 3;
    let mut pages = Vec::new();
    loop {
        let page = hits(store, &query).await;
        if page.is_empty() {
            break;
        }
        assert!(page.windows(2).all(|w| w[0].position > w[1].position));
        query.before_position = page.last().map(|h| h.position);
        pages.push(page.iter().map(|h| h.message.id).collect::<Vec<_>>());
    }
    assert_eq!(
        pages.iter().map(Vec::len).collect::<Vec<_>>(),
        vec![3, 3, 1]
    );
    let all: Vec<MessageId> = pages.concat();
    let newest_first: Vec<MessageId> = sent.iter().rev().map(|m| m.id).collect();
    assert_eq!(all, newest_first);
}

pub async fn search_shows_only_rooms_the_user_is_a_member_of_now(store: &dyn Store) {
    let alice = user(store, "alice").await;
    let bob = user(store, "bob").await;
    let carol = user(store, "carol").await;
    let dave = user(store, "dave").await;
    let erin = user(store, "erin").await;
    let shared = room(
        store,
        RoomKind::Group,
        "shared",
        &[&alice, &bob, &carol, &dave],
    )
    .await;
    let secret = room(store, RoomKind::Group, "secret", &[&bob, &carol, &dave]).await;
    let channel = room(store, RoomKind::Channel, "open", &[&bob]).await;
    let dm = room(store, RoomKind::Dm, "", &[&bob, &carol]).await;
    let in_shared = send(store, shared.id, bob.id, "pineapple pizza").await;
    let in_secret = send(store, secret.id, bob.id, "pineapple secret plans").await;
    let in_channel = send(store, channel.id, bob.id, "pineapple channel").await;
    let in_dm = send(store, dm.id, bob.id, "pineapple between us").await;

    store
        .remove_member(secret.id, carol.id)
        .await
        .expect("carol leaves");
    store
        .ban_member(secret.id, dave.id, now_plus(0))
        .await
        .expect("dave is banned");

    assert_eq!(
        found(store, alice.id, "pineapple").await,
        ids(&[&in_shared])
    );
    assert_eq!(
        found(store, bob.id, "pineapple").await,
        ids(&[&in_dm, &in_channel, &in_secret, &in_shared])
    );
    // Left and banned: what they could once read is not found any more.
    assert_eq!(
        found(store, carol.id, "pineapple").await,
        ids(&[&in_dm, &in_shared])
    );
    assert_eq!(found(store, dave.id, "pineapple").await, ids(&[&in_shared]));
    // In no room at all; and a public channel never joined.
    assert!(found(store, erin.id, "pineapple").await.is_empty());
    let mut only_channel = search_query(alice.id, "pineapple");
    only_channel.room = Some(channel.id);
    assert!(hits(store, &only_channel).await.is_empty());
    let mut only_secret = search_query(carol.id, "pineapple");
    only_secret.room = Some(secret.id);
    assert!(hits(store, &only_secret).await.is_empty());
}

/// A user in a small room of a busy server finds their messages (backends may
/// search such users' rooms differently from everyone's).
pub async fn search_in_a_quiet_room_of_a_busy_server(store: &dyn Store) {
    let alice = user(store, "alice").await;
    let bob = user(store, "bob").await;
    let busy = room(store, RoomKind::Channel, "busy", &[&bob]).await;
    let quiet = room(store, RoomKind::Group, "quiet", &[&alice, &bob]).await;
    let mine = send(store, quiet.id, bob.id, "lunch at noon?").await;
    for i in 0..60 {
        send(store, busy.id, bob.id, &format!("lunch order {i}")).await;
    }
    assert_eq!(found(store, alice.id, "lunch").await, ids(&[&mine]));
    let mut in_quiet = search_query(alice.id, "lunch");
    in_quiet.room = Some(quiet.id);
    assert_eq!(hits(store, &in_quiet).await.len(), 1);
    let mut everything = search_query(bob.id, "lunch");
    everything.limit = 100;
    assert_eq!(hits(store, &everything).await.len(), 61);
}

/// A user in more rooms than a backend may name in one query (SQLite names
/// at most 64 per query), on a busy server: every hit of theirs is found,
/// newest first, pages join up, and nothing from rooms they are not in.
pub async fn search_for_a_user_in_many_rooms_of_a_busy_server(store: &dyn Store) {
    let alice = user(store, "alice").await;
    let bob = user(store, "bob").await;
    let busy = room(store, RoomKind::Channel, "busy", &[&bob]).await;
    let mut mine = Vec::new();
    for i in 0..70 {
        let quiet = room(
            store,
            RoomKind::Group,
            &format!("quiet {i}"),
            &[&alice, &bob],
        )
        .await;
        mine.push(send(store, quiet.id, bob.id, &format!("lunch plan {i}")).await);
    }
    for i in 0..300 {
        send(store, busy.id, bob.id, &format!("lunch order {i}")).await;
    }
    let newest_first: Vec<MessageId> = mine.iter().rev().map(|m| m.id).collect();

    let mut everything = search_query(alice.id, "lunch");
    everything.limit = 100;
    let all: Vec<MessageId> = hits(store, &everything)
        .await
        .iter()
        .map(|h| h.message.id)
        .collect();
    assert_eq!(all, newest_first);

    let mut page = search_query(alice.id, "lunch");
    page.limit = 30;
    let mut paged = Vec::new();
    loop {
        let found = hits(store, &page).await;
        let Some(last) = found.last() else { break };
        page.before_position = Some(last.position);
        paged.extend(found.iter().map(|h| h.message.id));
    }
    assert_eq!(paged, newest_first);
}

/// Query text is data, never syntax: none of these is an error.
pub const HOSTILE_QUERIES: &[&str] = &[
    "",
    "   ",
    "\"",
    "\"\"",
    "\"unbalanced",
    "AND",
    "OR",
    "NOT",
    "a AND",
    "OR b",
    "NOT NOT",
    "*",
    "**",
    "a*",
    "*a",
    "NEAR(",
    "NEAR(a b, 2)",
    "body:rock",
    "room:x",
    "{body room}: x",
    "^rock",
    "-rock",
    "+rock",
    "(rock",
    "rock)",
    "rock \"AND\" roll",
    "'; DROP TABLE messages; --",
    "%_\\",
    "\u{E000}rock\u{E001}",
    "\u{0}",
    "rock\u{0}\"roll",
    "rock\u{1}\u{7f}roll",
    "🎸🎸",
    "Ⓡⓞⓒⓚ",
    "ROCK",
];

pub async fn search_treats_hostile_text_as_plain_words(store: &dyn Store) {
    let alice = user(store, "alice").await;
    let general = room(store, RoomKind::Channel, "general", &[&alice]).await;
    let rock = send(store, general.id, alice.id, "rock AND roll, not jazz").await;
    send(
        store,
        general.id,
        alice.id,
        "NEAR the body: room* (x) \"quoted\"",
    )
    .await;

    let punctuation = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~".repeat(320);
    let long_words = "and or not near ".repeat(600);
    let mut queries: Vec<&str> = HOSTILE_QUERIES.to_vec();
    queries.push(&punctuation);
    queries.push(&long_words);
    for text in queries {
        let result = store.search_messages(&search_query(alice.id, text)).await;
        assert!(result.is_ok(), "{text:?}: {result:?}");
    }
    // Operators are words like any other.
    assert_eq!(found(store, alice.id, "AND").await, ids(&[&rock]));
    assert_eq!(found(store, alice.id, "rock AND").await, ids(&[&rock]));
    assert_eq!(found(store, alice.id, "not jazz").await, ids(&[&rock]));
    assert_eq!(
        found(store, alice.id, "rock \"AND\" roll").await,
        ids(&[&rock])
    );
    assert_eq!(found(store, alice.id, "near").await.len(), 1);
    assert_eq!(found(store, alice.id, "body:").await.len(), 1);
    // Nothing searchable: nothing found.
    assert!(found(store, alice.id, "\"").await.is_empty());
    assert!(found(store, alice.id, "*").await.is_empty());
    assert!(found(store, alice.id, &punctuation).await.is_empty());
}

pub async fn search_follows_edits_and_deletes(store: &dyn Store) {
    let alice = user(store, "alice").await;
    let general = room(store, RoomKind::Channel, "general", &[&alice]).await;
    let pancakes = send(store, general.id, alice.id, "pancakes for breakfast").await;
    let waffles = send(store, general.id, alice.id, "waffles for breakfast").await;
    assert_eq!(found(store, alice.id, "pancakes").await, ids(&[&pancakes]));

    let edited = store
        .edit_message(
            general.id,
            pancakes.id,
            "crepes for breakfast",
            &[],
            false,
            now_plus(0),
        )
        .await
        .expect("edit");
    assert!(found(store, alice.id, "pancakes").await.is_empty());
    let hits = hits(store, &search_query(alice.id, "crepes")).await;
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].message, edited);

    store
        .delete_message(general.id, pancakes.id)
        .await
        .expect("delete");
    assert!(found(store, alice.id, "crepes").await.is_empty());
    assert_eq!(found(store, alice.id, "breakfast").await, ids(&[&waffles]));
}

pub async fn search_filters_by_room_sender_time_and_content(store: &dyn Store) {
    let alice = user(store, "alice").await;
    let bob = user(store, "bob").await;
    let general = room(store, RoomKind::Channel, "general", &[&alice, &bob]).await;
    let random = room(store, RoomKind::Channel, "random", &[&alice, &bob]).await;
    let photo = UploadRecord {
        content_type: "image/png".to_string(),
        ..new_upload(bob.id, "cc33")
    };
    let notes = new_upload(bob.id, "dd44");
    for u in [&photo, &notes] {
        store.insert_upload(u).await.expect("insert upload");
    }
    let by_alice = send(store, general.id, alice.id, "meeting notes attached").await;
    let mut with_photo = new_message(random.id, bob.id, "meeting photo");
    with_photo.attachments = vec![photo.id];
    let with_photo = store
        .insert_message(with_photo)
        .await
        .expect("insert")
        .into_inner();
    let mut with_file = new_message(general.id, bob.id, "meeting agenda");
    with_file.attachments = vec![notes.id];
    let with_file = store
        .insert_message(with_file)
        .await
        .expect("insert")
        .into_inner();
    let with_link = send(
        store,
        general.id,
        bob.id,
        "meeting at HTTPS://example.org/call",
    )
    .await;
    let mut anonymous = new_message(general.id, bob.id, "meeting complaints");
    anonymous.anonymous = true;
    let anonymous = store
        .insert_message(anonymous)
        .await
        .expect("insert")
        .into_inner();

    let run = async |edit: &dyn Fn(&mut SearchQuery)| -> Vec<MessageId> {
        let mut q = search_query(alice.id, "meeting");
        edit(&mut q);
        hits(store, &q).await.iter().map(|h| h.message.id).collect()
    };
    assert_eq!(
        run(&|_| {}).await,
        ids(&[&anonymous, &with_link, &with_file, &with_photo, &by_alice])
    );
    assert_eq!(
        run(&|q| q.room = Some(random.id)).await,
        ids(&[&with_photo])
    );
    // Anonymous posts are never attributed, not even by a filter.
    assert_eq!(
        run(&|q| q.from = Some(bob.id)).await,
        ids(&[&with_link, &with_file, &with_photo])
    );
    assert_eq!(run(&|q| q.from = Some(alice.id)).await, ids(&[&by_alice]));
    assert_eq!(
        run(&|q| q.has = Some(SearchHas::File)).await,
        ids(&[&with_file, &with_photo])
    );
    assert_eq!(
        run(&|q| q.has = Some(SearchHas::Image)).await,
        ids(&[&with_photo])
    );
    assert_eq!(
        run(&|q| q.has = Some(SearchHas::Link)).await,
        ids(&[&with_link])
    );
    assert!(
        run(&|q| q.before = Some(by_alice.created_at))
            .await
            .is_empty()
    );
    assert_eq!(
        run(&|q| q.after = Some(now_plus(3600))).await,
        Vec::<MessageId>::new()
    );
    assert_eq!(run(&|q| q.after = Some(by_alice.created_at)).await.len(), 5);
}

pub async fn search_with_filters_and_no_words_lists_what_passes_them(store: &dyn Store) {
    let alice = user(store, "alice").await;
    let bob = user(store, "bob").await;
    let carol = user(store, "carol").await;
    let general = room(store, RoomKind::Channel, "general", &[&alice, &bob]).await;
    let secret = room(store, RoomKind::Group, "secret", &[&bob, &carol]).await;
    let photo = UploadRecord {
        content_type: "image/png".to_string(),
        ..new_upload(bob.id, "ee55")
    };
    store.insert_upload(&photo).await.expect("insert upload");
    let first = send(store, general.id, bob.id, "first words").await;
    let hidden = send(store, secret.id, bob.id, "not for alice").await;
    let mut with_photo = new_message(general.id, bob.id, "look");
    with_photo.attachments = vec![photo.id];
    let with_photo = store
        .insert_message(with_photo)
        .await
        .expect("insert")
        .into_inner();
    let gone = send(store, general.id, bob.id, "deleted later").await;
    store
        .delete_message(general.id, gone.id)
        .await
        .expect("delete");
    let own = send(store, general.id, alice.id, "mine").await;

    let run = async |edit: &dyn Fn(&mut SearchQuery)| -> Vec<SearchHit> {
        let mut q = search_query(alice.id, "");
        edit(&mut q);
        hits(store, &q).await
    };
    // No words and no filter: nothing, as before.
    assert!(run(&|_| {}).await.is_empty());
    assert!(run(&|q| q.text = "  *** ".into()).await.is_empty());
    // A filter alone: what passes it, newest first, in rooms alice reads.
    let from_bob = run(&|q| q.from = Some(bob.id)).await;
    let from_bob_ids: Vec<MessageId> = from_bob.iter().map(|h| h.message.id).collect();
    assert_eq!(from_bob_ids, ids(&[&with_photo, &first]));
    assert!(!from_bob_ids.contains(&hidden.id));
    assert_eq!(from_bob[1].snippet, "first words");
    assert!(from_bob.iter().all(|h| h.highlights.is_empty()));
    let images: Vec<MessageId> = run(&|q| q.has = Some(SearchHas::Image))
        .await
        .iter()
        .map(|h| h.message.id)
        .collect();
    assert_eq!(images, ids(&[&with_photo]));
    let in_general: Vec<SearchHit> = run(&|q| q.room = Some(general.id)).await;
    assert_eq!(
        in_general.iter().map(|h| h.message.id).collect::<Vec<_>>(),
        ids(&[&own, &with_photo, &first])
    );
    // Pages by position, like a word search.
    let older: Vec<MessageId> = run(&|q| {
        q.room = Some(general.id);
        q.before_position = Some(in_general[1].position);
    })
    .await
    .iter()
    .map(|h| h.message.id)
    .collect();
    assert_eq!(older, ids(&[&first]));
}
