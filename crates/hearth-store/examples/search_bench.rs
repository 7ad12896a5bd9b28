//! Search latency on a big room: seeds a SQLite store with one room of
//! N messages (default 1,000,000), plus a quiet room of 1,000 sent through
//! `insert_message`, then times `search_messages` for common, rare and
//! prefix words and prints p50 / p99 per query, before and after the FTS
//! index is merged into one segment (`optimize`).
//!
//! ```text
//! cargo run --release -p hearth-store --example search_bench [-- MESSAGES [KEEP_PATH]]
//! ```
//!
//! `insert_message` commits one message per transaction (about 2,000 a
//! second here): the big room is written in batches of plain INSERTs into
//! the same schema instead (10,000 per transaction), so the migration's
//! triggers index every message exactly as they do for the store.
//!
//! The text is synthetic: words drawn from a 5,000-word vocabulary with a
//! Zipf-like distribution (a few words are in most messages, most words are
//! rare), plus marker words at known rates.

use hearth_protocol::dto::{Role, RoomKind};
use hearth_protocol::{MessageId, RoomId, UserId};
use hearth_store::sqlite::{SqliteOptions, SqliteStore};
use hearth_store::{
    MessageStore, NewMessage, NewRoom, NewUser, RoomStore, SearchQuery, SearchStore, UserStore,
};
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, Connection, QueryBuilder, Sqlite, SqliteConnection};
use std::sync::Arc;
use std::time::{Duration, Instant};
use time::OffsetDateTime;

/// Messages inserted concurrently (the store still writes one at a time;
/// this keeps the writer busy while tasks prepare the next insert).
const WRITERS: usize = 8;
/// Timed runs per query (after warm-up runs).
const RUNS: usize = 200;
const WARMUP: usize = 20;
const VOCABULARY: u64 = 5_000;

/// xorshift64*: deterministic, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// Zipf-like rank in 0..n: rank r has weight about 1 / (r + 1).
    fn zipf(&mut self, n: u64) -> u64 {
        let u = (self.next() >> 11) as f64 / (1u64 << 53) as f64;
        (((n + 1) as f64).powf(u) - 1.0) as u64
    }
}

/// Word number `rank` of the vocabulary: pronounceable, distinct.
fn word(rank: u64) -> String {
    const SYLLABLES: [&str; 16] = [
        "ka", "lo", "mi", "ne", "ru", "sa", "ti", "vo", "ba", "de", "fi", "go", "hu", "ja", "pe",
        "zu",
    ];
    let mut n = rank + 16;
    let mut w = String::new();
    while n > 0 {
        w.push_str(SYLLABLES[(n % 16) as usize]);
        n /= 16;
    }
    w
}

fn body(rng: &mut Rng, i: u64) -> String {
    let len = 6 + rng.next() % 12;
    let mut words: Vec<String> = (0..len).map(|_| word(rng.zipf(VOCABULARY))).collect();
    // Markers at known rates: "meeting" in 1 message of 5, "deploy" in 1 of
    // 100, "zanzibar" in 1 of 10,000.
    if i.is_multiple_of(5) {
        words.push("meeting".into());
    }
    if i % 100 == 7 {
        words.push("deploy".into());
    }
    if i % 10_000 == 4_242 {
        words.push("zanzibar".into());
    }
    words.join(" ")
}

fn new_user(name: &str) -> NewUser {
    NewUser {
        id: UserId::new(),
        username: name.into(),
        display_name: name.into(),
        email: None,
        password_hash: "x".into(),
        created_at: OffsetDateTime::now_utc(),
    }
}

fn new_room(name: &str, by: UserId) -> NewRoom {
    NewRoom {
        id: RoomId::new(),
        kind: RoomKind::Channel,
        name: name.into(),
        topic: String::new(),
        description: String::new(),
        anonymous_allowed: false,
        created_by: by,
        created_at: OffsetDateTime::now_utc(),
        dm_key: None,
    }
}

async fn seed(store: &Arc<SqliteStore>, room: RoomId, sender: UserId, count: u64, seed: u64) {
    let mut tasks = Vec::new();
    for w in 0..WRITERS as u64 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let mut rng = Rng(seed ^ (w + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15));
            let mut i = w;
            while i < count {
                let message = NewMessage {
                    id: MessageId::new(),
                    room_id: room,
                    sender_id: sender,
                    body: body(&mut rng, i),
                    nonce: None,
                    reply_to: None,
                    mentions: Vec::new(),
                    mentions_room: false,
                    anonymous: false,
                    attachments: Vec::new(),
                    created_at: OffsetDateTime::now_utc(),
                };
                if let Err(e) = store.insert_message(message).await {
                    panic!("insert failed: {e}");
                }
                i += WRITERS as u64;
            }
        }));
    }
    for t in tasks {
        if let Err(e) = t.await {
            panic!("seeding task failed: {e}");
        }
    }
}

/// Appends `count` messages to `room` in big transactions on a connection of
/// its own, taking seqs after the room's `last_seq`.
async fn bulk_seed(
    path: &std::path::Path,
    room: RoomId,
    sender: UserId,
    count: u64,
    seed: u64,
) -> Result<(), sqlx::Error> {
    const ROWS_PER_INSERT: u64 = 1_000;
    const ROWS_PER_TRANSACTION: u64 = 10_000;
    let mut conn: SqliteConnection = SqliteConnectOptions::new()
        .filename(path)
        .busy_timeout(Duration::from_secs(30))
        .connect()
        .await?;
    let mut rng = Rng(seed);
    let now = OffsetDateTime::now_utc();
    let millis = (now.unix_timestamp_nanos() / 1_000_000) as i64;
    let mut i = 0;
    while i < count {
        let mut tx = conn.begin_with("BEGIN IMMEDIATE").await?;
        let last: i64 = sqlx::query_scalar("SELECT last_seq FROM rooms WHERE id = ?")
            .bind(room.0)
            .fetch_one(&mut *tx)
            .await?;
        let end = (i + ROWS_PER_TRANSACTION).min(count);
        let mut seq = last;
        while i < end {
            let rows = ROWS_PER_INSERT.min(end - i);
            let mut insert: QueryBuilder<Sqlite> = QueryBuilder::new(
                "INSERT INTO messages (id, room_id, seq, updated_seq, sender_id, body, created_at) ",
            );
            insert.push_values(0..rows, |mut b, k| {
                let s = seq + 1 + k as i64;
                b.push_bind(MessageId::new().0)
                    .push_bind(room.0)
                    .push_bind(s)
                    .push_bind(s)
                    .push_bind(sender.0)
                    .push_bind(body(&mut rng, i + k))
                    .push_bind(millis);
            });
            insert.build().execute(&mut *tx).await?;
            seq += rows as i64;
            i += rows;
        }
        sqlx::query("UPDATE rooms SET last_seq = ? WHERE id = ?")
            .bind(seq)
            .bind(room.0)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
    }
    Ok(())
}

async fn run_queries(
    store: &SqliteStore,
    cases: &[(&str, &str, UserId, Option<RoomId>)],
    quiet_user: UserId,
) {
    println!("| query | who | hits (page of 21) | p50 ms | p99 ms |");
    println!("| --- | --- | --- | --- | --- |");
    for &(label, text, user, room) in cases {
        let (p50, p99, found) = time_query(store, user, text, room).await;
        let who = if user == quiet_user {
            "quiet room only"
        } else {
            "member of both rooms"
        };
        println!(
            "| {label}: `{text}` | {who} | {found} | {} | {} |",
            ms(p50),
            ms(p99)
        );
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let rank = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

fn ms(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64() * 1000.0)
}

async fn time_query(
    store: &SqliteStore,
    user: UserId,
    text: &str,
    room: Option<RoomId>,
) -> (Duration, Duration, usize) {
    let query = SearchQuery {
        user,
        text: text.into(),
        room,
        from: None,
        before: None,
        after: None,
        has: None,
        before_position: None,
        limit: 21,
    };
    let mut found = 0;
    let mut times = Vec::with_capacity(RUNS);
    for run in 0..WARMUP + RUNS {
        let start = Instant::now();
        let hits = match store.search_messages(&query).await {
            Ok(h) => h,
            Err(e) => panic!("search {text:?} failed: {e}"),
        };
        if run >= WARMUP {
            times.push(start.elapsed());
        }
        found = hits.len();
    }
    times.sort();
    (percentile(&times, 0.5), percentile(&times, 0.99), found)
}

#[tokio::main]
async fn main() {
    let messages: u64 = std::env::args()
        .nth(1)
        .and_then(|a| a.replace('_', "").parse().ok())
        .unwrap_or(1_000_000);
    let dir = match tempfile::tempdir() {
        Ok(d) => d,
        Err(e) => panic!("temp dir: {e}"),
    };
    let path = dir.path().join("bench.db");
    let url = format!("sqlite://{}", path.display());
    let store = match SqliteStore::open_with(&url, SqliteOptions::default()).await {
        Ok(s) => Arc::new(s),
        Err(e) => panic!("open: {e}"),
    };
    let setup = async {
        let alice = store.create_user(new_user("alice")).await?;
        let quinn = store.create_user(new_user("quinn")).await?;
        let big = store
            .create_room(new_room("big", alice.id), &[(alice.id, Role::Owner)])
            .await?;
        let quiet = store
            .create_room(
                new_room("quiet", alice.id),
                &[(alice.id, Role::Owner), (quinn.id, Role::Member)],
            )
            .await?;
        Ok::<_, hearth_store::StoreError>((alice, quinn, big, quiet))
    };
    let (alice, quinn, big, quiet) = match setup.await {
        Ok(v) => v,
        Err(e) => panic!("setup: {e}"),
    };

    let start = Instant::now();
    seed(&store, quiet.id, alice.id, 1_000, 7).await;
    if let Err(e) = bulk_seed(&path, big.id, alice.id, messages, 42).await {
        panic!("seeding the big room: {e}");
    }
    let seeding = start.elapsed();
    let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0)
        + std::fs::metadata(dir.path().join("bench.db-wal"))
            .map(|m| m.len())
            .unwrap_or(0);
    println!(
        "seeded {} messages in {:.1} s ({:.0}/s); database {:.0} MB",
        messages + 1_000,
        seeding.as_secs_f64(),
        (messages + 1_000) as f64 / seeding.as_secs_f64(),
        size as f64 / 1e6
    );
    println!();
    let frequent = word(0);
    let two = format!("meeting {}", word(1));
    let cases: [(&str, &str, UserId, Option<RoomId>); 9] = [
        ("common word (1 in 5 messages)", "meeting", alice.id, None),
        ("most frequent vocabulary word", &frequent, alice.id, None),
        ("less common word (1 in 100)", "deploy", alice.id, None),
        ("rare word (1 in 10,000)", "zanzibar", alice.id, None),
        ("no match", "xylophone", alice.id, None),
        ("prefix of a common word", "meet", alice.id, None),
        ("two words, both common", &two, alice.id, None),
        (
            "common word, member of the quiet room only",
            "meeting",
            quinn.id,
            None,
        ),
        (
            "common word, room_id = quiet room",
            "meeting",
            alice.id,
            Some(quiet.id),
        ),
    ];
    println!("As inserted (FTS index in many segments):\n");
    run_queries(&store, &cases, quinn.id).await;

    let start = Instant::now();
    let optimized = async {
        let mut conn: SqliteConnection = SqliteConnectOptions::new()
            .filename(&path)
            .connect()
            .await?;
        sqlx::query("INSERT INTO messages_fts (messages_fts) VALUES ('optimize')")
            .execute(&mut conn)
            .await
    };
    if let Err(e) = optimized.await {
        panic!("optimize: {e}");
    }
    println!(
        "\nAfter `optimize` ({:.1} s), one segment:\n",
        start.elapsed().as_secs_f64()
    );
    run_queries(&store, &cases, quinn.id).await;

    if let Some(keep) = std::env::args().nth(2) {
        drop(store);
        if let Err(e) = std::fs::copy(&path, &keep) {
            panic!("keeping the database: {e}");
        }
        println!("\ndatabase kept in {keep}");
    }
}
