//! The conformance suite: what every [`Store`] backend must do, written
//! against the trait alone so SQLite and PostgreSQL run the same cases.
//!
//! A backend's test file provides a factory — an async fn returning a
//! [`TestStore`] over a fresh, empty database — and expands
//! [`conformance_tests!`](crate::conformance_tests) with it:
//!
//! ```text
//! async fn fresh_sqlite() -> TestStore { /* temp dir + SqliteStore::open */ }
//! hearth_store::conformance_tests!(fresh_sqlite());
//! ```
//!
//! Every case is a `pub async fn` taking `&dyn Store` (or `Arc<dyn Store>`
//! when it spawns tasks) and panics on failure, like any test.

// This is test code compiled into the library (behind a feature): a failed
// expectation is meant to panic with its message.
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod messages;
mod migrations;
mod notifications;
mod rooms;
mod search;
mod search_fuzz;
mod security;
mod sessions;
mod uploads;
mod users;

pub use messages::*;
pub use migrations::*;
pub use notifications::*;
pub use rooms::*;
pub use search::*;
pub use search_fuzz::*;
pub use security::*;
pub use sessions::*;
pub use uploads::*;
pub use users::*;

use crate::records::{MessageRecord, NewMessage, NewRoom, NewUser, RoomRecord, UserRecord};
use crate::traits::Store;
use hearth_protocol::dto::{Role, RoomKind};
use hearth_protocol::{MessageId, RoomId, UserId};
use std::any::Any;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use time::OffsetDateTime;

/// A store over a fresh database, and whatever must live as long as it
/// (a temp dir, a schema to drop).
pub struct TestStore {
    store: Arc<dyn Store>,
    /// Dropped after `store` (fields drop in declaration order).
    _resources: Box<dyn Any + Send + Sync>,
}

impl TestStore {
    pub fn new(store: Arc<dyn Store>, resources: impl Any + Send + Sync) -> Self {
        Self {
            store,
            _resources: Box::new(resources),
        }
    }

    pub fn store(&self) -> &dyn Store {
        &*self.store
    }

    pub fn shared(&self) -> Arc<dyn Store> {
        Arc::clone(&self.store)
    }
}

/// No case may hang a test run: a deadlocked store fails its case instead.
pub const CASE_TIMEOUT: Duration = Duration::from_secs(60);

/// Awaits `case`, failing if it takes longer than [`CASE_TIMEOUT`].
pub async fn within_timeout(case: impl Future<Output = ()>) {
    tokio::time::timeout(CASE_TIMEOUT, case)
        .await
        .expect("conformance case timed out");
}

/// Expands into one `#[tokio::test]` per conformance case, each on a fresh
/// store from `$factory` (an expression whose `.await` is a [`TestStore`]).
/// The calling crate needs tokio with `macros` and `rt-multi-thread`; the
/// cases that spawn tasks run on a multi-threaded runtime so they really race.
#[macro_export]
macro_rules! conformance_tests {
    ($factory:expr) => {
        $crate::conformance_tests!(@borrowed $factory;
            store_answers_ping,
            users_are_created_and_found_by_id_login_and_ids,
            usernames_conflict_case_insensitively,
            emails_conflict_case_insensitively,
            the_first_user_is_admin,
            users_are_searched_by_prefix,
            profile_patches_change_only_given_fields_and_clear_avatar,
            password_hash_and_admin_flag_are_updated,
            sessions_are_created_and_refresh_tokens_rotate,
            reusing_a_spent_refresh_token_revokes_the_session,
            unknown_expired_or_revoked_refresh_tokens_are_invalid,
            sessions_are_revoked_by_current_or_spent_refresh_token,
            session_list_excludes_revoked_and_expired,
            user_sessions_are_revoked_except_one,
            a_session_is_read_with_its_user,
            touching_sessions_records_activity_and_never_goes_back,
            refresh_tokens_are_looked_up_without_a_write,
            every_way_a_session_ends_records_one_revocation,
            revocations_are_pruned_by_age,
            live_sessions_are_unrevoked_unexpired_and_of_active_users,
            totp_is_set_up_then_enabled_with_recovery_codes,
            totp_steps_are_claimed_once_and_only_forwards,
            recovery_codes_are_single_use_and_per_user,
            disabling_totp_forgets_secret_and_recovery_codes,
            email_tokens_are_single_use_and_expire,
            using_an_email_token_spends_the_users_other_tokens_of_that_purpose,
            email_tokens_are_counted_per_user_purpose_and_time,
            email_is_verified_only_for_the_current_address,
            email_tokens_are_read_without_spending_them,
            an_offered_address_is_attached_once_verified,
            accounts_are_deactivated_and_reactivated,
            scrubbing_a_user_keeps_id_and_username_and_forgets_the_rest,
            rooms_are_created_with_their_members,
            a_dm_key_names_one_room,
            channel_names_are_unique_ignoring_case,
            room_patches_change_only_given_fields,
            channel_search_skips_groups_and_archived_rooms,
            adding_a_member_twice_returns_the_existing_membership,
            new_members_do_not_inherit_unread_history,
            removing_a_member_deletes_the_row,
            banned_users_are_not_members_but_keep_their_row,
            a_room_is_read_with_the_callers_membership,
            the_sending_context_is_what_the_separate_reads_say,
            room_counts_are_the_room_list_without_last_messages,
            member_role_and_mute_are_updated,
            read_and_delivered_markers_only_rise_and_clamp_to_last_seq,
            unread_and_mention_counts_follow_the_read_marker,
            unread_counts_stop_at_the_cap_and_mentions_do_not,
            room_list_shows_unread_counts_and_last_message,
            users_sharing_rooms_are_listed_once,
            users_sharing_rooms_skips_rooms_above_the_limit,
            message_seqs_are_gap_free_and_fields_round_trip,
            a_repeated_nonce_returns_the_first_message,
            each_room_has_its_own_seqs,
            inserting_into_an_unknown_room_is_not_found,
            editing_takes_a_new_seq_and_replaces_mentions,
            deleting_leaves_a_tombstone_in_place,
            deleted_messages_cannot_be_edited_pinned_or_reacted_to,
            pinning_takes_a_new_seq,
            pinned_messages_list_newest_first_without_unpinned_or_deleted,
            reactions_are_added_once_and_removed,
            distinct_reactions_are_limited,
            messages_before_pages_backwards_in_ascending_order,
            messages_changed_after_returns_edits_and_new_messages,
            uploads_are_stored_and_found_by_id_ids_and_hash,
            uploaded_bytes_count_only_the_users_own_uploads,
            uploads_are_shared_through_live_messages_with_members,
            the_orphan_sweep_deletes_only_old_uploads_nothing_uses,
            search_finds_every_word_newest_first_with_highlighted_snippets,
            search_pages_by_position,
            search_shows_only_rooms_the_user_is_a_member_of_now,
            search_in_a_quiet_room_of_a_busy_server,
            search_for_a_user_in_many_rooms_of_a_busy_server,
            search_treats_hostile_text_as_plain_words,
            search_follows_edits_and_deletes,
            search_filters_by_room_sender_time_and_content,
            search_with_filters_and_no_words_lists_what_passes_them,
            search_answers_any_generated_text,
            search_finds_a_message_by_its_words_among_operators,
            notify_levels_are_set_listed_and_reset,
            do_not_disturb_is_set_and_cleared,
            push_subscriptions_are_kept_per_endpoint,
            push_subscriptions_end_with_their_session,
            digest_recipients_have_an_email_and_no_do_not_disturb,
            digest_messages_are_unread_mentions_and_dms,
            a_digest_window_is_claimed_once,
        );
        $crate::conformance_tests!(@shared $factory;
            concurrent_inserts_get_gap_free_seqs,
            concurrent_duplicate_nonces_store_one_message,
            failing_inserts_in_a_burst_fail_alone,
        );
    };
    (@borrowed $factory:expr; $($case:ident),* $(,)?) => {
        $(
            #[tokio::test]
            async fn $case() {
                let test_store = $factory.await;
                $crate::conformance::within_timeout(
                    $crate::conformance::$case(test_store.store()),
                )
                .await;
            }
        )*
    };
    (@shared $factory:expr; $($case:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $case() {
                let test_store = $factory.await;
                $crate::conformance::within_timeout(
                    $crate::conformance::$case(test_store.shared()),
                )
                .await;
            }
        )*
    };
}

/// Now, at the millisecond precision every backend keeps.
pub fn now() -> OffsetDateTime {
    let nanos = OffsetDateTime::now_utc().unix_timestamp_nanos();
    OffsetDateTime::from_unix_timestamp_nanos(nanos - nanos.rem_euclid(1_000_000))
        .expect("now is a valid time")
}

/// `now()` moved by `seconds`.
pub fn now_plus(seconds: i64) -> OffsetDateTime {
    now() + time::Duration::seconds(seconds)
}

/// A user named `name` (display name `name`, e-mail `name@example.com`).
pub async fn user(store: &dyn Store, name: &str) -> UserRecord {
    store
        .create_user(new_user(name, Some(&format!("{name}@example.com"))))
        .await
        .expect("create user")
}

pub fn new_user(username: &str, email: Option<&str>) -> NewUser {
    NewUser {
        id: UserId::new(),
        username: username.to_lowercase(),
        display_name: username.to_string(),
        email: email.map(str::to_string),
        password_hash: "$argon2id$test".to_string(),
        created_at: now(),
    }
}

pub fn new_room(kind: RoomKind, name: &str, created_by: UserId) -> NewRoom {
    NewRoom {
        id: RoomId::new(),
        kind,
        name: name.to_string(),
        topic: String::new(),
        description: String::new(),
        anonymous_allowed: false,
        created_by,
        created_at: now(),
        dm_key: None,
    }
}

/// A room of `kind` whose first member is its owner and creator.
pub async fn room(
    store: &dyn Store,
    kind: RoomKind,
    name: &str,
    members: &[&UserRecord],
) -> RoomRecord {
    let owner = members.first().expect("a room needs a first member");
    let roles: Vec<(UserId, Role)> = members
        .iter()
        .enumerate()
        .map(|(i, u)| (u.id, if i == 0 { Role::Owner } else { Role::Member }))
        .collect();
    store
        .create_room(new_room(kind, name, owner.id), &roles)
        .await
        .expect("create room")
}

pub fn new_message(room: RoomId, sender: UserId, body: &str) -> NewMessage {
    NewMessage {
        id: MessageId::new(),
        room_id: room,
        sender_id: sender,
        body: body.to_string(),
        nonce: None,
        reply_to: None,
        mentions: Vec::new(),
        mentions_room: false,
        anonymous: false,
        attachments: Vec::new(),
        created_at: now(),
    }
}

/// Sends a plain message and returns it as stored.
pub async fn send(store: &dyn Store, room: RoomId, sender: UserId, body: &str) -> MessageRecord {
    store
        .insert_message(new_message(room, sender, body))
        .await
        .expect("insert message")
        .into_inner()
}

/// The room's `last_seq` as the store reports it now.
pub async fn last_seq(store: &dyn Store, room: RoomId) -> i64 {
    store
        .room_by_id(room)
        .await
        .expect("room by id")
        .expect("found")
        .last_seq
}
