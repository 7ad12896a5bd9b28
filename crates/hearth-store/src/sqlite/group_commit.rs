//! Group commit for message inserts: sends queue up in front of the single
//! writer connection and are committed together, in one transaction with one
//! fsync, instead of one transaction (and one fsync) each.
//!
//! There is no timer: the batch is whatever queued while the previous batch
//! was committing, so a lone sender pays no extra wait, and under load a
//! batch grows until the commit amortises. Nobody is answered before the
//! commit that holds their message succeeded, and a message that fails (its
//! room is gone, its nonce was already used, its sender does not exist)
//! fails alone: a failing statement is rolled back by SQLite without
//! touching the rest of the transaction, and a message with several
//! statements runs under its own savepoint.

use super::message_store::{
    bind_new_message, insert_attachments, insert_mentions, select_by_nonce, select_message,
};
use crate::error::{StoreError, StoreResult};
use crate::records::{Inserted, MessageRecord, NewMessage};
use crate::sql::is_unique_violation_of;
use crate::sql::values::{from_millis, millis};
use sqlx::error::ErrorKind;
use sqlx::{Row, SqliteConnection, SqlitePool};
use std::collections::HashMap;
use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

/// Most messages in one transaction: bounds the time a batch holds the
/// writer (other writes queue behind it) and the memory of the queue drain.
const MAX_BATCH: usize = 256;
/// Sends waiting for the writer; more wait for a slot (back-pressure).
const QUEUE_DEPTH: usize = 4096;

type Reply = oneshot::Sender<StoreResult<Inserted<MessageRecord>>>;

struct Job {
    new: NewMessage,
    reply: Reply,
}

/// The queue in front of the writer's message inserts.
pub(super) struct GroupCommit {
    jobs: mpsc::Sender<Job>,
}

impl GroupCommit {
    /// Starts the committing task on the current runtime.
    pub(super) fn start(writer: SqlitePool) -> Self {
        let (jobs, queue) = mpsc::channel(QUEUE_DEPTH);
        tokio::spawn(run(writer, queue));
        Self { jobs }
    }

    /// Inserts `new` in the next batch and returns once that batch is committed.
    pub(super) async fn insert(&self, new: NewMessage) -> StoreResult<Inserted<MessageRecord>> {
        let (reply, answer) = oneshot::channel();
        if self.jobs.send(Job { new, reply }).await.is_err() {
            return Err(writer_gone());
        }
        match answer.await {
            Ok(outcome) => outcome,
            // The task dropped the reply: it stopped mid-batch.
            Err(_) => Err(writer_gone()),
        }
    }
}

/// The committing task has stopped (its runtime is shutting down).
fn writer_gone() -> StoreError {
    StoreError::Unavailable(sqlx::Error::WorkerCrashed)
}

async fn run(writer: SqlitePool, mut queue: mpsc::Receiver<Job>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while queue.recv_many(&mut batch, MAX_BATCH).await > 0 {
        commit_batch(&writer, &mut batch).await;
    }
}

/// Inserts every job of `batch` in one transaction and answers each. A
/// lone message too: an autocommit INSERT measured dearer than `BEGIN
/// IMMEDIATE`, INSERT, `COMMIT` (2,300 against 3,600 acks per server
/// CPU-second with one sender).
async fn commit_batch(writer: &SqlitePool, batch: &mut Vec<Job>) {
    let mut outcomes = Vec::with_capacity(batch.len());
    let committed = async {
        let mut tx = writer.begin_with("BEGIN IMMEDIATE").await?;
        insert_all(&mut tx, batch, &mut outcomes).await?;
        tx.commit().await?;
        Ok::<_, StoreError>(())
    }
    .await;
    match committed {
        Ok(()) => {
            for (job, outcome) in batch.drain(..).zip(outcomes) {
                let _ = job.reply.send(outcome);
            }
        }
        Err(e) => {
            // The transaction is gone with every insert in it: nobody's
            // message was stored, everybody gets the error.
            tracing::warn!(error = %e, batch = batch.len(), "message batch failed");
            for job in batch.drain(..) {
                let _ = job.reply.send(Err(batch_error(&e)));
            }
        }
    }
}

/// The error of a failed batch, for each of its jobs (`StoreError` is not `Clone`).
fn batch_error(e: &StoreError) -> StoreError {
    let copy = sqlx::Error::Protocol(format!("message batch failed: {e:?}"));
    match e {
        StoreError::Unavailable(_) => StoreError::Unavailable(copy),
        _ => StoreError::Backend(copy),
    }
}

/// This message's own failure, or what fails the batch. `Ok(Err(_))` is the
/// message's own failure (the transaction goes on without it); `Err(_)`
/// fails the whole batch.
type Outcome = StoreResult<StoreResult<Inserted<MessageRecord>>>;

/// Inserts the jobs of a batch in their order. Runs of plain messages (no
/// mentions, no attachments: nearly all) go in one statement each, because
/// every statement is a round trip to the connection's worker thread and
/// those round trips, not SQLite, were most of a send's cost.
async fn insert_all(
    conn: &mut SqliteConnection,
    batch: &[Job],
    outcomes: &mut Vec<StoreResult<Inserted<MessageRecord>>>,
) -> StoreResult<()> {
    let mut rest = batch;
    while let Some(first) = rest.first() {
        let plain = rest.iter().take_while(|job| is_plain(&job.new)).count();
        if plain < 2 {
            outcomes.push(insert_one(conn, &first.new).await?);
            rest = &rest[1..];
        } else {
            let (run, after) = rest.split_at(plain);
            insert_plain_run(conn, run, outcomes).await?;
            rest = after;
        }
    }
    Ok(())
}

fn is_plain(new: &NewMessage) -> bool {
    new.mentions.is_empty() && new.attachments.is_empty()
}

/// Plain messages in one INSERT, with seqs handed out here from the rooms'
/// `last_seq` (read in one statement; the insert trigger moves them). If any of them
/// breaks a constraint (a repeated nonce, an unknown sender) SQLite undoes
/// the whole statement and the run is inserted one by one instead, so each
/// message still succeeds or fails alone.
async fn insert_plain_run(
    conn: &mut SqliteConnection,
    run: &[Job],
    outcomes: &mut Vec<StoreResult<Inserted<MessageRecord>>>,
) -> StoreResult<()> {
    let mut room_ids: Vec<Uuid> = run.iter().map(|job| job.new.room_id.0).collect();
    room_ids.sort_unstable();
    room_ids.dedup();
    let mut last_seq: HashMap<Uuid, i64> = sqlx::query_as::<_, (Uuid, i64)>(
        "SELECT id, last_seq FROM rooms WHERE id IN (SELECT unhex(value) FROM json_each(?1))",
    )
    .bind(json_array(
        room_ids.iter().map(|id| id.simple().to_string().into()),
    ))
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .collect();
    // The seq each message takes; `None`: its room does not exist.
    let seqs: Vec<Option<i64>> = run
        .iter()
        .map(|job| {
            last_seq.get_mut(&job.new.room_id.0).map(|seq| {
                *seq += 1;
                *seq
            })
        })
        .collect();
    let rows = run
        .iter()
        .zip(&seqs)
        .filter_map(|(job, seq)| seq.map(|seq| plain_row(&job.new, seq)));
    let inserted = sqlx::query(
        "INSERT INTO messages (id, room_id, seq, updated_seq, sender_id, body, nonce, \
         reply_to, mentions_room, anonymous, created_at) \
         SELECT unhex(value->>0), unhex(value->>1), value->>2, value->>2, unhex(value->>3), \
         value->>4, value->>5, unhex(value->>6), value->>7, value->>8, value->>9 \
         FROM json_each(?1)",
    )
    .bind(json_array(rows))
    .execute(&mut *conn)
    .await;
    match inserted {
        Ok(_) => {}
        Err(e) if is_statement_failure(&e) => {
            for job in run {
                outcomes.push(insert_row(conn, &job.new).await?);
            }
            return Ok(());
        }
        Err(e) => return Err(e.into()),
    }
    for (job, seq) in run.iter().zip(seqs) {
        outcomes.push(match seq {
            Some(seq) => created(&job.new, seq).map(Inserted::Created),
            None => Err(StoreError::NotFound("room")),
        });
    }
    Ok(())
}

/// One row of the plain-run INSERT, in the order its SELECT reads them.
fn plain_row(new: &NewMessage, seq: i64) -> serde_json::Value {
    serde_json::json!([
        new.id.0.simple().to_string(),
        new.room_id.0.simple().to_string(),
        seq,
        new.sender_id.0.simple().to_string(),
        new.body,
        new.nonce,
        new.reply_to.map(|id| id.0.simple().to_string()),
        new.mentions_room,
        new.anonymous,
        millis(new.created_at),
    ])
}

/// The text of a JSON array, for `json_each(?)`.
fn json_array(items: impl Iterator<Item = serde_json::Value>) -> String {
    serde_json::Value::Array(items.collect()).to_string()
}

/// A constraint the statement broke: SQLite undid the statement and the
/// transaction goes on. Any other error (I/O, disk full) may have ended it.
fn is_statement_failure(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(db) if db.kind() != ErrorKind::Other)
}

/// One message of a batch, in statements of its own.
async fn insert_one(conn: &mut SqliteConnection, new: &NewMessage) -> Outcome {
    if new.mentions.is_empty() && new.attachments.is_empty() {
        return insert_row(conn, new).await;
    }
    // More than one statement changes the database: undo them together.
    sqlx::query("SAVEPOINT message").execute(&mut *conn).await?;
    let mut outcome = insert_row(conn, new).await?;
    if let Ok(Inserted::Created(record)) = &outcome {
        let extras = async {
            insert_mentions(conn, new.id, new.room_id, record.seq, &new.mentions).await?;
            insert_attachments(conn, new.id, &new.attachments).await?;
            select_message(&mut *conn, new.room_id, new.id).await
        }
        .await;
        outcome = extras.map(Inserted::Created);
    }
    if outcome.is_err() {
        sqlx::query("ROLLBACK TO message")
            .execute(&mut *conn)
            .await?;
    }
    sqlx::query("RELEASE message").execute(&mut *conn).await?;
    Ok(outcome)
}

/// The message row and its seq: the INSERT takes the room's next seq and
/// its trigger moves the room past it, so a failed INSERT takes no seq.
async fn insert_row(conn: &mut SqliteConnection, new: &NewMessage) -> Outcome {
    let insert = sqlx::query(
        "INSERT INTO messages (id, room_id, seq, updated_seq, sender_id, body, nonce, \
         reply_to, mentions_room, anonymous, attachments, created_at) \
         SELECT $1, id, last_seq + 1, last_seq + 1, $3, $4, $5, $6, $7, $8, $9, $10 \
         FROM rooms WHERE id = $2 RETURNING seq",
    );
    let inserted = match bind_new_message(insert, new)
        .fetch_optional(&mut *conn)
        .await
    {
        Ok(Some(row)) => row.try_get::<i64, _>("seq").map(Some),
        other => other.map(|_| None),
    };
    let seq = match inserted {
        Ok(Some(seq)) => seq,
        Ok(None) => return Ok(Err(StoreError::NotFound("room"))),
        Err(e) => {
            if let Some(nonce) = &new.nonce
                && is_unique_violation_of(&e, "messages.nonce")
            {
                return match select_by_nonce(&mut *conn, new.room_id, new.sender_id, nonce).await {
                    Ok(Some(existing)) => Ok(Ok(Inserted::Existing(existing))),
                    Ok(None) => Ok(Err(e.into())),
                    Err(e) => Err(e),
                };
            }
            // A constraint this message broke (e.g. an unknown sender).
            return if is_statement_failure(&e) {
                Ok(Err(e.into()))
            } else {
                Err(e.into())
            };
        }
    };
    created(new, seq).map(|record| Ok(Inserted::Created(record)))
}

/// The record of a plain message just inserted with `seq`, built without
/// reading it back.
fn created(new: &NewMessage, seq: i64) -> StoreResult<MessageRecord> {
    Ok(MessageRecord {
        id: new.id,
        room_id: new.room_id,
        seq,
        updated_seq: seq,
        sender_id: new.sender_id,
        body: new.body.clone(),
        nonce: new.nonce.clone(),
        reply_to: new.reply_to,
        mentions: Vec::new(),
        mentions_room: new.mentions_room,
        anonymous: new.anonymous,
        attachments: Vec::new(),
        pinned: false,
        // As stored: milliseconds.
        created_at: from_millis(millis(new.created_at))?,
        edited_at: None,
        deleted: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conformance::{last_seq, new_message, room, user};
    use crate::sqlite::SqliteStore;
    use crate::traits::MessageStore;
    use hearth_protocol::RoomId;
    use hearth_protocol::dto::RoomKind;

    /// Commits `news` as one batch, as the committing task would, and
    /// returns each message's answer.
    async fn commit(
        store: &SqliteStore,
        news: Vec<NewMessage>,
    ) -> Vec<StoreResult<Inserted<MessageRecord>>> {
        let mut answers = Vec::new();
        let mut batch: Vec<Job> = news
            .into_iter()
            .map(|new| {
                let (reply, answer) = oneshot::channel();
                answers.push(answer);
                Job { new, reply }
            })
            .collect();
        commit_batch(&store.writer, &mut batch).await;
        let mut outcomes = Vec::new();
        for answer in answers {
            outcomes.push(answer.await.expect("every job is answered"));
        }
        outcomes
    }

    fn seq_of(outcome: &StoreResult<Inserted<MessageRecord>>) -> Option<i64> {
        match outcome {
            Ok(Inserted::Created(m)) => Some(m.seq),
            _ => None,
        }
    }

    #[tokio::test]
    async fn a_run_of_plain_messages_takes_seqs_in_order_and_each_fails_alone() {
        let store = SqliteStore::open("sqlite::memory:").await.expect("open");
        let alice = user(&store, "alice").await;
        let general = room(&store, RoomKind::Channel, "general", &[&alice]).await;
        let random = room(&store, RoomKind::Channel, "random", &[&alice]).await;

        // One statement: two rooms, and a message for a room that does not exist.
        let outcomes = commit(
            &store,
            vec![
                new_message(general.id, alice.id, "g1"),
                new_message(random.id, alice.id, "r1"),
                new_message(RoomId::new(), alice.id, "lost"),
                new_message(general.id, alice.id, "g2"),
            ],
        )
        .await;
        let seqs: Vec<Option<i64>> = outcomes.iter().map(seq_of).collect();
        assert_eq!(seqs, [Some(1), Some(1), None, Some(2)]);
        assert!(matches!(outcomes[2], Err(StoreError::NotFound("room"))));
        assert_eq!(last_seq(&store, general.id).await, 2);
        assert_eq!(last_seq(&store, random.id).await, 1);
        for outcome in outcomes.iter().flatten() {
            let sent = outcome.clone().into_inner();
            let stored = store
                .message_by_id(sent.room_id, sent.id)
                .await
                .expect("stored");
            assert_eq!(stored, Some(sent), "the answer is what was stored");
        }

        // A repeated nonce breaks the statement: the run goes one by one.
        let mut first = new_message(general.id, alice.id, "g3");
        first.nonce = Some("n1".into());
        let stored_first = commit(&store, vec![first.clone()]).await;
        let mut again = first.clone();
        again.id = hearth_protocol::MessageId::new();
        let mut fresh = new_message(general.id, alice.id, "g4");
        fresh.nonce = Some("n2".into());
        let outcomes = commit(
            &store,
            vec![fresh, again, new_message(general.id, alice.id, "g5")],
        )
        .await;
        assert_eq!(seq_of(&outcomes[0]), Some(4));
        match (&outcomes[1], &stored_first[0]) {
            (Ok(Inserted::Existing(m)), Ok(Inserted::Created(original))) => {
                assert_eq!(m, original)
            }
            other => panic!("a repeated nonce answers with the original: {other:?}"),
        }
        assert_eq!(seq_of(&outcomes[2]), Some(5));
        assert_eq!(last_seq(&store, general.id).await, 5);
    }
}
