//! The conformance suite against PostgreSQL, each case in a fresh database
//! created on the machine's server and dropped afterwards, plus what only a
//! shared server has: several stores (nodes) on one database, connection
//! loss and recovery.
//!
//! The server is `HEARTH_TEST_POSTGRES_URL` (default
//! `postgres://postgres@127.0.0.1:5432/postgres`, an account that may create
//! databases). These tests fail, never skip, when it cannot be reached.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use hearth_protocol::dto::Role;
use hearth_protocol::dto::RoomKind;
use hearth_protocol::notifications::NotifyLevel;
use hearth_store::conformance::{
    self, TestStore, new_message, new_upload, now, now_plus, room, search_query, send, user,
};
use hearth_store::postgres::{PgOptions, PgStore};
use hearth_store::sqlite::SqliteStore;
use hearth_store::{
    EmailTokenPurpose, MessageStore, NewEmailToken, NewSession, PushSubscriptionRecord,
    RefreshOutcome, Store, StoreError,
};
use sqlx::{Connection, PgConnection};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};

const DEFAULT_ADMIN_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

fn admin_url() -> String {
    std::env::var("HEARTH_TEST_POSTGRES_URL").unwrap_or_else(|_| DEFAULT_ADMIN_URL.to_string())
}

/// A database of its own on the test server, dropped (with any connection
/// still open to it) when this is dropped.
struct TestDatabase {
    name: String,
}

impl TestDatabase {
    async fn create() -> Self {
        let name = format!("hearth_test_{}", uuid::Uuid::now_v7().simple());
        let mut admin = PgConnection::connect(&admin_url())
            .await
            .expect("the test PostgreSQL server must be reachable (HEARTH_TEST_POSTGRES_URL)");
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut admin)
            .await
            .expect("create test database");
        Self { name }
    }

    /// The test server's URL with this database's name.
    fn url(&self) -> String {
        with_database(&admin_url(), &self.name)
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        // Drop runs inside the test's runtime, which cannot be blocked on:
        // a thread of its own with a small runtime does the async work.
        let name = self.name.clone();
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            runtime.block_on(async {
                let mut admin = PgConnection::connect(&admin_url()).await?;
                sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .execute(&mut admin)
                    .await?;
                Ok::<_, sqlx::Error>(())
            })
        })
        .join();
        if !matches!(dropped, Ok(Ok(()))) {
            eprintln!("could not drop test database {}: {dropped:?}", self.name);
        }
    }
}

/// `url` with its database (path) replaced by `database`.
fn with_database(url: &str, database: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let authority_end = base
        .find("://")
        .map(|i| i + 3)
        .and_then(|start| base[start..].find('/').map(|i| start + i))
        .unwrap_or(base.len());
    let mut out = format!("{}/{database}", &base[..authority_end]);
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}

/// Small pools: many cases run at once against one server.
fn options() -> PgOptions {
    PgOptions {
        max_connections: 5,
        ..PgOptions::default()
    }
}

async fn fresh_postgres() -> TestStore {
    let db = TestDatabase::create().await;
    let store = PgStore::open_with(&db.url(), options())
        .await
        .expect("open PostgreSQL store");
    TestStore::new(Arc::new(store), db)
}

hearth_store::conformance_tests!(fresh_postgres());

#[test]
fn urls_get_their_database_replaced() {
    assert_eq!(
        with_database("postgres://u@h:5432/postgres", "x"),
        "postgres://u@h:5432/x"
    );
    assert_eq!(
        with_database("postgres://u@h/postgres?sslmode=disable", "x"),
        "postgres://u@h/x?sslmode=disable"
    );
    assert_eq!(with_database("postgres://h", "x"), "postgres://h/x");
}

#[tokio::test]
async fn open_picks_postgres_by_url_scheme() {
    let db = TestDatabase::create().await;
    let store = hearth_store::open(&db.url()).await.expect("open");
    assert_eq!(store.backend(), "postgres");
    store.ping().await.expect("ping");
    // Opening again (another node) finds the migrations applied.
    let again = hearth_store::open(&db.url().replace("postgres://", "postgresql://"))
        .await
        .expect("second open");
    again.ping().await.expect("ping");
}

/// Two stores on one database are two nodes: their concurrent sends to one
/// room still get strictly increasing, gap-free seqs, and a nonce sent
/// through both yields one message.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_nodes_share_seqs_and_nonces() {
    let db = TestDatabase::create().await;
    let a: Arc<dyn Store> = Arc::new(PgStore::open_with(&db.url(), options()).await.unwrap());
    let b: Arc<dyn Store> = Arc::new(PgStore::open_with(&db.url(), options()).await.unwrap());
    let alice = user(&*a, "alice").await;
    let general = room(&*a, RoomKind::Channel, "general", &[&alice]).await;

    let mut tasks = Vec::new();
    for i in 0..40 {
        let store = if i % 2 == 0 { a.clone() } else { b.clone() };
        let mut new = new_message(general.id, alice.id, &format!("m{i}"));
        // Every fourth send is a retry of the one before, through the other node.
        new.nonce = Some(format!("n{}", i - i % 4 / 3));
        tasks.push(tokio::spawn(async move { store.insert_message(new).await }));
    }
    let mut created = Vec::new();
    for t in tasks {
        if let hearth_store::Inserted::Created(m) = t.await.unwrap().expect("insert") {
            created.push(m.seq);
        }
    }
    created.sort_unstable();
    let expected: Vec<i64> = (1..=created.len() as i64).collect();
    assert_eq!(created, expected, "gap-free, each seq once");
    assert_eq!(created.len(), 30, "one message per nonce");
    let all = b
        .messages_before(general.id, None, 100)
        .await
        .expect("page");
    assert_eq!(all.len(), 30);
    assert_eq!(
        a.room_by_id(general.id).await.unwrap().unwrap().last_seq,
        30,
        "retries gave their seq back"
    );
}

/// A connection killed by the server (what a restart does to every open
/// connection) is `Unavailable` — a 503 — and the pool replaces it.
#[tokio::test]
async fn terminated_connections_are_unavailable_then_replaced() {
    let db = TestDatabase::create().await;
    let store = PgStore::open_with(&db.url(), options()).await.unwrap();
    let pool = store.pool().clone();
    let sleeper = tokio::spawn(async move {
        sqlx::query("SELECT pg_sleep(30)")
            .execute(&pool)
            .await
            .map_err(StoreError::from)
    });
    let mut admin = PgConnection::connect(&admin_url()).await.unwrap();
    let killed = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            let n: i64 = sqlx::query_scalar(
                "SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                 WHERE datname = $1 AND query LIKE 'SELECT pg_sleep%') t",
            )
            .bind(&db.name)
            .fetch_one(&mut admin)
            .await
            .unwrap();
            if n > 0 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    assert!(killed.is_ok(), "the sleeping query never showed up");
    let err = sleeper.await.unwrap().expect_err("terminated");
    assert!(matches!(err, StoreError::Unavailable(_)), "{err:?}");
    store
        .ping()
        .await
        .expect("a fresh connection serves the next call");
}

/// A TCP relay in front of PostgreSQL that can be cut and restored, to play a
/// server restart without restarting the machine's shared server.
struct Relay {
    port: u16,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Relay {
    async fn start(port: u16) -> Self {
        let listener = TcpListener::bind(("127.0.0.1", port))
            .await
            .expect("bind relay");
        let port = listener.local_addr().unwrap().port();
        let task = tokio::spawn(async move {
            let mut pipes = tokio::task::JoinSet::new();
            while let Ok((mut client, _)) = listener.accept().await {
                pipes.spawn(async move {
                    if let Ok(mut server) = TcpStream::connect("127.0.0.1:5432").await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                });
            }
        });
        Self {
            port,
            task: Some(task),
        }
    }

    /// Closes the listener and every relayed connection (the JoinSet aborts
    /// its tasks when dropped with the accept loop).
    fn cut(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.cut();
    }
}

#[tokio::test]
async fn the_store_is_unavailable_while_the_server_is_gone_and_recovers_after() {
    let db = TestDatabase::create().await;
    let mut relay = Relay::start(0).await;
    let port = relay.port;
    let relayed = db.url().replace(":5432/", &format!(":{port}/"));
    assert_ne!(relayed, db.url(), "the test server URL names port 5432");
    let store = PgStore::open_with(&relayed, options()).await.unwrap();
    let alice = user(&store, "alice").await;
    let general = room(&store, RoomKind::Channel, "general", &[&alice]).await;
    send(&store, general.id, alice.id, "before").await;

    relay.cut();
    // The listener and its pipes go when the aborted task is dropped.
    let gone = tokio::time::timeout(Duration::from_secs(10), async {
        while TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
            tokio::task::yield_now().await;
        }
    })
    .await;
    assert!(gone.is_ok(), "the relay stopped listening");
    let started = std::time::Instant::now();
    let err = store
        .insert_message(new_message(general.id, alice.id, "during"))
        .await
        .expect_err("server gone");
    assert!(matches!(err, StoreError::Unavailable(_)), "{err:?}");
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "failed fast enough: {:?}",
        started.elapsed()
    );

    let _relay = Relay::start(port).await;
    let recovered = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            if store.ping().await.is_ok() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await;
    assert!(recovered.is_ok(), "the pool reconnected");
    let after = send(&store, general.id, alice.id, "after").await;
    assert_eq!(after.seq, 2, "the failed send took no seq");
}

/// `hearth migrate-to-postgres`: everything a single-node install holds
/// arrives, ids, seqs, nonces, order and all, and PostgreSQL carries on
/// from there.
#[tokio::test]
async fn a_sqlite_database_moves_to_postgres_whole() {
    let dir = tempfile::tempdir().expect("temp dir");
    let sqlite_url = format!("sqlite://{}", dir.path().join("hearth.db").display());
    let lite = SqliteStore::open(&sqlite_url).await.expect("open SQLite");
    let source: &dyn Store = &lite;

    let alice = user(source, "alice").await;
    let bob = user(source, "bob").await;
    let carol = user(source, "carol").await;
    let general = room(
        source,
        RoomKind::Channel,
        "general",
        &[&alice, &bob, &carol],
    )
    .await;
    let dm = room(source, RoomKind::Dm, "", &[&alice, &bob]).await;
    source
        .ban_member(general.id, carol.id, now())
        .await
        .unwrap();
    source
        .set_notify_level(general.id, bob.id, Some(NotifyLevel::All))
        .await
        .unwrap();
    let photo = new_upload(alice.id, &"ab".repeat(32));
    source.insert_upload(&photo).await.unwrap();
    let first = send(source, general.id, alice.id, "café opens at nine").await;
    let mut reply = new_message(general.id, bob.id, "see you there @alice");
    reply.nonce = Some("n-1".to_string());
    reply.reply_to = Some(first.id);
    reply.mentions = vec![alice.id];
    reply.attachments = vec![photo.id];
    let reply = source.insert_message(reply).await.unwrap().into_inner();
    let doomed = send(source, general.id, alice.id, "oops").await;
    source.delete_message(general.id, doomed.id).await.unwrap();
    source
        .edit_message(general.id, first.id, "café opens at ten", &[], false, now())
        .await
        .unwrap();
    for (who, emoji) in [(&bob, "👍"), (&alice, "🎉"), (&alice, "👍")] {
        source
            .add_reaction(general.id, first.id, who.id, emoji)
            .await
            .unwrap();
    }
    send(source, dm.id, bob.id, "psst").await;
    source.set_read_seq(general.id, bob.id, 2).await.unwrap();
    let session = source
        .create_session(NewSession {
            id: hearth_protocol::SessionId::new(),
            user_id: bob.id,
            refresh_hash: "refresh-1".to_string(),
            user_agent: "test".to_string(),
            ip: "127.0.0.1".to_string(),
            created_at: now(),
            expires_at: now_plus(3600),
        })
        .await
        .unwrap();
    source.set_pending_totp(alice.id, "sealed").await.unwrap();
    source
        .enable_totp(alice.id, 7, &["r1".to_string(), "r2".to_string()])
        .await
        .unwrap();
    source
        .insert_email_token(NewEmailToken {
            hash: "mail-1".to_string(),
            user_id: bob.id,
            purpose: EmailTokenPurpose::VerifyEmail,
            email: "bob@example.com".to_string(),
            created_at: now(),
            expires_at: now_plus(3600),
        })
        .await
        .unwrap();
    let push = PushSubscriptionRecord {
        id: uuid::Uuid::now_v7(),
        user_id: bob.id,
        session_id: Some(session.id),
        endpoint: "https://push.example/1".to_string(),
        p256dh: "key".to_string(),
        auth: "auth".to_string(),
        created_at: now(),
    };
    source.upsert_push_subscription(&push).await.unwrap();
    let signed_out = source
        .create_session(NewSession {
            id: hearth_protocol::SessionId::new(),
            user_id: bob.id,
            refresh_hash: "refresh-old".to_string(),
            user_agent: "test".to_string(),
            ip: "127.0.0.1".to_string(),
            created_at: now(),
            expires_at: now_plus(3600),
        })
        .await
        .unwrap();
    source.revoke_session(signed_out.id).await.unwrap();
    drop(lite);

    let db = TestDatabase::create().await;
    let report = hearth_store::transfer::sqlite_to_postgres(&sqlite_url, &db.url())
        .await
        .expect("transfer");
    assert_eq!(report.rows("users"), 3);
    assert_eq!(report.rows("messages"), 4);
    assert_eq!(report.rows("reactions"), 3);
    assert_eq!(report.rows("uploads"), 1);

    let lite = SqliteStore::open(&sqlite_url).await.unwrap();
    let pg = PgStore::open_with(&db.url(), options()).await.unwrap();
    let (before, after): (&dyn Store, &dyn Store) = (&lite, &pg);
    let ids = [alice.id, bob.id, carol.id];
    let mut users_before = before.users_by_ids(&ids).await.unwrap();
    let mut users_after = after.users_by_ids(&ids).await.unwrap();
    users_before.sort_by_key(|u| u.id);
    users_after.sort_by_key(|u| u.id);
    assert_eq!(users_after, users_before);
    for u in ids {
        let (b, a) = (
            before.rooms_for_user(u).await.unwrap(),
            after.rooms_for_user(u).await.unwrap(),
        );
        assert_eq!(a.len(), b.len());
        for (x, y) in b.iter().zip(&a) {
            assert_eq!(y.room, x.room, "rooms, member counts included");
            assert_eq!(y.member, x.member);
            assert_eq!((y.unread, y.mention_count), (x.unread, x.mention_count));
            assert_eq!(y.last_message, x.last_message);
        }
    }
    for r in [general.id, dm.id] {
        let messages = after.messages_before(r, None, 100).await.unwrap();
        assert_eq!(
            messages,
            before.messages_before(r, None, 100).await.unwrap()
        );
        let ids: Vec<_> = messages.iter().map(|m| m.id).collect();
        assert_eq!(
            after.reactions_for(&ids).await.unwrap(),
            before.reactions_for(&ids).await.unwrap(),
            "reactions in first-use order"
        );
    }
    assert_eq!(
        after.uploads_by_ids(&[photo.id]).await.unwrap(),
        vec![photo.clone()]
    );
    assert!(after.upload_shared_with(photo.id, bob.id).await.unwrap());
    assert_eq!(
        after.session_by_id(session.id).await.unwrap().unwrap(),
        before.session_by_id(session.id).await.unwrap().unwrap()
    );
    assert!(matches!(
        after
            .rotate_refresh_token("refresh-1", "refresh-2", now(), now_plus(7200))
            .await
            .unwrap(),
        RefreshOutcome::Rotated(_)
    ));
    assert_eq!(
        after.totp_state(alice.id).await.unwrap().unwrap(),
        before.totp_state(alice.id).await.unwrap().unwrap()
    );
    assert_eq!(after.recovery_codes_left(alice.id).await.unwrap(), 2);
    assert!(
        after
            .consume_email_token("mail-1", EmailTokenPurpose::VerifyEmail, now())
            .await
            .unwrap()
            .is_some()
    );
    assert_eq!(
        after.push_subscriptions(bob.id, now()).await.unwrap(),
        vec![push]
    );
    // A token revoked before the move stays refused after it.
    let revoked: Vec<_> = after
        .session_revocations(0, now_plus(-3600))
        .await
        .unwrap()
        .into_iter()
        .map(|r| (r.session_id, r.user_id))
        .collect();
    assert_eq!(revoked, vec![(signed_out.id, bob.id)]);
    assert_eq!(
        after
            .members_with_notify_level(general.id, NotifyLevel::All)
            .await
            .unwrap(),
        vec![bob.id]
    );

    // PostgreSQL carries on: the same nonce is still the same message, seqs
    // and reaction order continue, the moved text is searchable.
    let mut again = new_message(general.id, bob.id, "see you there @alice");
    again.nonce = Some("n-1".to_string());
    assert_eq!(
        after.insert_message(again).await.unwrap(),
        hearth_store::Inserted::Existing(
            after
                .message_by_id(general.id, reply.id)
                .await
                .unwrap()
                .unwrap()
        )
    );
    let next = send(after, general.id, carol.id, "next").await;
    assert_eq!(
        next.seq,
        before
            .room_by_id(general.id)
            .await
            .unwrap()
            .unwrap()
            .last_seq
            + 1
    );
    after
        .add_reaction(general.id, first.id, carol.id, "🚀")
        .await
        .unwrap();
    let reactions = after.reactions_for(&[first.id]).await.unwrap();
    assert_eq!(reactions.last().map(|r| r.emoji.as_str()), Some("🚀"));
    let found = after
        .search_messages(&search_query(alice.id, "cafe"))
        .await
        .unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].message.id, first.id);
    let added = after.add_member(dm.id, carol.id, Role::Member, now()).await;
    assert!(added.is_ok());

    // A second copy into a database with users is refused, and so is a
    // source that does not exist (rather than copying an empty new file).
    let err = hearth_store::transfer::sqlite_to_postgres(&sqlite_url, &db.url())
        .await
        .expect_err("not empty");
    assert!(matches!(err, StoreError::Config(_)), "{err:?}");
    let missing = format!("sqlite://{}", dir.path().join("typo.db").display());
    let fresh = TestDatabase::create().await;
    let err = hearth_store::transfer::sqlite_to_postgres(&missing, &fresh.url())
        .await
        .expect_err("no such file");
    assert!(matches!(err, StoreError::Config(_)), "{err:?}");
    assert!(!dir.path().join("typo.db").exists());
}

/// The suite's helpers are usable on their own too.
#[tokio::test]
async fn conformance_cases_can_be_called_directly() {
    let test_store = fresh_postgres().await;
    conformance::within_timeout(conformance::the_first_user_is_admin(test_store.store())).await;
}

/// Channels that shared a name before names were unique (migration 0009):
/// the oldest keeps it, later ones get "-2", "-3", … or, where that is taken,
/// a piece of their id; the index is in place afterwards.
#[tokio::test]
async fn the_unique_name_migration_renames_existing_duplicate_channels() {
    let db = TestDatabase::create().await;
    let ids = {
        let store = PgStore::open_with(&db.url(), options())
            .await
            .expect("open");
        let alice = user(&store, "alice").await;
        let mut before = PgConnection::connect(&db.url()).await.expect("connect");
        sqlx::raw_sql(
            "DROP INDEX rooms_unique_channel_name; DELETE FROM _sqlx_migrations WHERE version = 9;",
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
    let store = PgStore::open_with(&db.url(), options())
        .await
        .expect("reopen, migrating");
    conformance::duplicate_channels_were_renamed(&store, &ids).await;
}
