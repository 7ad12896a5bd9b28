//! Message inserts for PostgreSQL: the room's next seq is taken under its
//! row lock (`next_seq`) in the transaction that stores the message, so
//! seqs commit in order across nodes and a failed insert hands its seq back.

use super::PgStore;
use super::message_store::{
    bind_new_message, insert_attachments, insert_mentions, next_seq, select_by_nonce,
    select_message,
};
use crate::error::StoreResult;
use crate::records::{Inserted, MessageRecord, NewMessage};
use crate::sql::is_unique_violation_of;
use crate::traits::MessageStore;

impl PgStore {
    /// [`MessageStore::insert_message`]: the rule (a repeated nonce answers
    /// with the message it first sent) checked before any lock, again under
    /// the room's lock, and last by the unique constraint.
    pub(super) async fn insert_new_message(
        &self,
        new: NewMessage,
    ) -> StoreResult<Inserted<MessageRecord>> {
        // A retried send usually finds its message without taking any lock.
        if let Some(nonce) = &new.nonce
            && let Some(existing) =
                select_by_nonce(&self.pool, new.room_id, new.sender_id, nonce).await?
        {
            return Ok(Inserted::Existing(existing));
        }
        let mut tx = self.begin_write().await?;
        let seq = next_seq(&mut tx, new.room_id).await?;
        // Holding the room's lock, this statement sees every message that
        // committed before it, including a twin sent through another node.
        if let Some(nonce) = &new.nonce
            && let Some(existing) =
                select_by_nonce(&mut *tx, new.room_id, new.sender_id, nonce).await?
        {
            return Ok(Inserted::Existing(existing));
        }
        let insert = sqlx::query(
            "INSERT INTO messages (id, room_id, sender_id, body, nonce, reply_to, mentions_room, \
             anonymous, attachments, created_at, seq, updated_seq) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11)",
        );
        let inserted = bind_new_message(insert, &new)
            .bind(seq)
            .execute(&mut *tx)
            .await;
        if let Err(e) = inserted {
            // Unreachable while every writer takes the room lock first, but
            // the unique constraint is the rule: the winner's message is the
            // answer.
            if let Some(nonce) = &new.nonce
                && is_unique_violation_of(&e, "messages_unique_nonce")
            {
                drop(tx);
                if let Some(existing) = self
                    .message_by_nonce(new.room_id, new.sender_id, nonce)
                    .await?
                {
                    return Ok(Inserted::Existing(existing));
                }
            }
            return Err(e.into());
        }
        insert_mentions(&mut tx, new.id, new.room_id, seq, &new.mentions).await?;
        insert_attachments(&mut tx, new.id, &new.attachments).await?;
        let message = select_message(&mut *tx, new.room_id, new.id).await?;
        tx.commit().await?;
        Ok(Inserted::Created(message))
    }
}
