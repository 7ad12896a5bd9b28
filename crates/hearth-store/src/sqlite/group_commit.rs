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

use super::messages::{insert_attachments, insert_mentions, select_by_nonce, select_message};
use super::rows::attachments_json;
use super::{from_millis, is_unique_violation_of, millis};
use crate::error::{StoreError, StoreResult};
use crate::records::{Inserted, MessageRecord, NewMessage};
use sqlx::error::ErrorKind;
use sqlx::{SqliteConnection, SqlitePool};
use tokio::sync::{mpsc, oneshot};

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

/// Inserts every job of `batch` in one transaction and answers each.
async fn commit_batch(writer: &SqlitePool, batch: &mut Vec<Job>) {
    let mut outcomes = Vec::with_capacity(batch.len());
    let committed = async {
        let mut tx = writer.begin_with("BEGIN IMMEDIATE").await?;
        for job in batch.iter() {
            outcomes.push(insert_one(&mut tx, &job.new).await?);
        }
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

/// One message of a batch. `Ok(Err(_))` is this message's own failure (the
/// transaction goes on without it); `Err(_)` fails the whole batch.
async fn insert_one(
    conn: &mut SqliteConnection,
    new: &NewMessage,
) -> StoreResult<StoreResult<Inserted<MessageRecord>>> {
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
/// the UPDATE moves the room past it, so a failed INSERT takes no seq.
async fn insert_row(
    conn: &mut SqliteConnection,
    new: &NewMessage,
) -> StoreResult<StoreResult<Inserted<MessageRecord>>> {
    let inserted = sqlx::query_scalar::<_, i64>(
        "INSERT INTO messages (id, room_id, seq, updated_seq, sender_id, body, nonce, \
         reply_to, mentions_room, anonymous, attachments, created_at) \
         SELECT ?1, id, last_seq + 1, last_seq + 1, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10 \
         FROM rooms WHERE id = ?2 RETURNING seq",
    )
    .bind(new.id.0)
    .bind(new.room_id.0)
    .bind(new.sender_id.0)
    .bind(&new.body)
    .bind(&new.nonce)
    .bind(new.reply_to.map(|id| id.0))
    .bind(new.mentions_room)
    .bind(new.anonymous)
    .bind(attachments_json(&new.attachments))
    .bind(millis(new.created_at))
    .fetch_optional(&mut *conn)
    .await;
    let seq = match inserted {
        Ok(Some(seq)) => seq,
        Ok(None) => return Ok(Err(StoreError::NotFound)),
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
            // A constraint this message broke (e.g. an unknown sender):
            // SQLite undid the statement, the batch goes on. Any other
            // error (I/O, disk full) may have ended the transaction.
            return match &e {
                sqlx::Error::Database(db) if db.kind() != ErrorKind::Other => Ok(Err(e.into())),
                _ => Err(e.into()),
            };
        }
    };
    sqlx::query("UPDATE rooms SET last_seq = ?1 WHERE id = ?2")
        .bind(seq)
        .bind(new.room_id.0)
        .execute(&mut *conn)
        .await?;
    Ok(Ok(Inserted::Created(MessageRecord {
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
    })))
}
