//! The conformance suite against SQLite, one fresh temp-file database per
//! case, plus the few behaviours only SQLite has (files, WAL, FTS index).

#![allow(clippy::expect_used, clippy::unwrap_used)]

use hearth_protocol::dto::RoomKind;
use hearth_store::conformance::{self, TestStore, new_message, now, room, send, user};
use hearth_store::sqlite::{SqliteOptions, SqliteStore};
use hearth_store::{MessageStore, Store, StoreError, UserStore};
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, SqliteConnection};
use std::path::Path;
use std::sync::Arc;

/// A store over a new database file in its own temp dir (deleted on drop).
async fn fresh_sqlite() -> TestStore {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = sqlite_url(&dir.path().join("hearth.db"));
    let store = SqliteStore::open(&url).await.expect("open SQLite store");
    TestStore::new(Arc::new(store), dir)
}

fn sqlite_url(path: &Path) -> String {
    format!("sqlite://{}", path.display())
}

/// A connection of its own to the file, to look at what the store wrote.
async fn inspect(path: &Path) -> SqliteConnection {
    SqliteConnectOptions::new()
        .filename(path)
        .connect()
        .await
        .expect("inspection connection")
}

hearth_store::conformance_tests!(fresh_sqlite());

#[tokio::test]
async fn opens_an_in_memory_database() {
    let store = SqliteStore::open("sqlite::memory:").await.expect("open");
    assert_eq!(store.backend(), "sqlite");
    let alice = user(&store, "alice").await;
    let general = room(&store, RoomKind::Channel, "general", &[&alice]).await;
    let message = send(&store, general.id, alice.id, "hello").await;
    assert_eq!(
        store
            .message_by_id(general.id, message.id)
            .await
            .expect("read back")
            .expect("found"),
        message
    );
}

#[tokio::test]
async fn creates_missing_directories_and_keeps_data_across_reopen() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("nested/deeper/hearth.db");
    let url = sqlite_url(&path);
    let alice = {
        let store = SqliteStore::open(&url).await.expect("first open");
        user(&store, "alice").await
    };
    assert!(path.exists());
    let store = SqliteStore::open_with(
        &url,
        SqliteOptions {
            synchronous_full: true,
            ..SqliteOptions::default()
        },
    )
    .await
    .expect("reopen, migrations already applied");
    assert_eq!(
        store
            .user_by_id(alice.id)
            .await
            .expect("still there")
            .expect("found"),
        alice
    );

    let mut conn = inspect(&path).await;
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(&mut conn)
        .await
        .expect("journal mode");
    assert_eq!(mode, "wal");
}

#[tokio::test]
async fn the_full_text_index_follows_inserts_edits_and_deletes() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("hearth.db");
    let store = SqliteStore::open(&sqlite_url(&path)).await.expect("open");
    let alice = user(&store, "alice").await;
    let general = room(&store, RoomKind::Channel, "general", &[&alice]).await;
    let pancakes = send(&store, general.id, alice.id, "pancakes for breakfast").await;
    send(&store, general.id, alice.id, "waffles for lunch").await;

    let mut conn = inspect(&path).await;
    let mut matches = async |term: &str| -> i64 {
        sqlx::query_scalar("SELECT count(*) FROM messages_fts WHERE messages_fts MATCH ?")
            .bind(term)
            .fetch_one(&mut conn)
            .await
            .expect("fts query")
    };
    assert_eq!(matches("pancakes").await, 1);
    assert_eq!(matches("for").await, 2);

    store
        .edit_message(
            general.id,
            pancakes.id,
            "crepes for breakfast",
            &[],
            false,
            now(),
        )
        .await
        .expect("edit");
    assert_eq!(matches("pancakes").await, 0);
    assert_eq!(matches("crepes").await, 1);

    store
        .delete_message(general.id, pancakes.id)
        .await
        .expect("delete");
    assert_eq!(matches("crepes").await, 0);
    assert_eq!(matches("for").await, 1);
}

#[tokio::test]
async fn duplicate_ids_are_database_errors_not_conflicts_or_not_found() {
    let test_store = fresh_sqlite().await;
    let store = test_store.store();
    let alice = user(store, "alice").await;
    let general = room(store, RoomKind::Channel, "general", &[&alice]).await;
    let mut new = new_message(general.id, alice.id, "one");
    store.insert_message(new.clone()).await.expect("first");
    new.body = "same id again".to_string();
    let err = store.insert_message(new).await.expect_err("duplicate id");
    assert!(matches!(err, StoreError::Backend(_)), "{err:?}");
}

#[tokio::test]
async fn unsupported_urls_are_configuration_errors() {
    let err = hearth_store::open("mysql://localhost/hearth")
        .await
        .err()
        .expect("mysql is not supported");
    assert!(matches!(err, StoreError::Config(_)), "{err:?}");
}

/// The suite's helpers are usable on their own too.
#[tokio::test]
async fn conformance_cases_can_be_called_directly() {
    let test_store = fresh_sqlite().await;
    conformance::within_timeout(conformance::the_first_user_is_admin(test_store.store())).await;
}

/// The access check behind every attachment download walks indexes only:
/// no table is scanned, however many uploads, messages or members there are.
#[tokio::test]
async fn the_upload_access_check_uses_indexes_only() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("hearth.db");
    let _store = SqliteStore::open(&sqlite_url(&path)).await.expect("open");
    let mut conn = inspect(&path).await;
    let plan: Vec<String> = sqlx::query_as(
        "EXPLAIN QUERY PLAN SELECT EXISTS (SELECT 1 FROM message_attachments ma \
         JOIN messages m ON m.id = ma.message_id \
         JOIN members mem ON mem.room_id = m.room_id AND mem.user_id = ?2 \
         WHERE ma.upload_id = ?1 AND m.deleted = 0 AND mem.banned = 0)",
    )
    .bind(uuid::Uuid::nil())
    .bind(uuid::Uuid::nil())
    .fetch_all(&mut conn)
    .await
    .map(|rows: Vec<(i64, i64, i64, String)>| rows.into_iter().map(|r| r.3).collect())
    .expect("query plan");
    assert!(
        plan.iter()
            .all(|step| !step.starts_with("SCAN") || step == "SCAN CONSTANT ROW"),
        "{plan:#?}"
    );
}

/// Channels that shared a name before names were unique (migration 0012):
/// the oldest keeps it, later ones get "-2", "-3", … or, where that is taken,
/// a piece of their id; the index is in place afterwards.
#[tokio::test]
async fn the_unique_name_migration_renames_existing_duplicate_channels() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("hearth.db");
    let url = sqlite_url(&path);
    let ids = {
        let store = SqliteStore::open(&url).await.expect("open");
        let alice = user(&store, "alice").await;
        let mut before = inspect(&path).await;
        sqlx::raw_sql(
            "DROP INDEX rooms_unique_channel_name; DELETE FROM _sqlx_migrations WHERE version = 12;",
        )
        .execute(&mut before)
        .await
        .expect("back to the schema before the migration");
        let mut ids = Vec::new();
        for name in ["general", "general-2", "General", "GENERAL"] {
            ids.push(room(&store, RoomKind::Channel, name, &[&alice]).await.id);
        }
        room(&store, RoomKind::Group, "general", &[&alice]).await;
        ids
    };
    let store = SqliteStore::open(&url).await.expect("reopen, migrating");
    conformance::duplicate_channels_were_renamed(&store, &ids).await;
}
