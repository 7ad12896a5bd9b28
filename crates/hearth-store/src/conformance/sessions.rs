//! Conformance cases for [`SessionStore`](crate::SessionStore): sessions and
//! their rotating refresh tokens.

use super::{now, now_plus, user};
use crate::error::StoreError;
use crate::records::{NewSession, RefreshOutcome, SessionRecord};
use crate::traits::Store;
use hearth_protocol::{SessionId, UserId};
use time::OffsetDateTime;

fn new_session(user: UserId, refresh_hash: &str, expires_at: OffsetDateTime) -> NewSession {
    NewSession {
        id: SessionId::new(),
        user_id: user,
        refresh_hash: refresh_hash.to_string(),
        user_agent: "test-agent".to_string(),
        ip: "127.0.0.1".to_string(),
        created_at: now(),
        expires_at,
    }
}

async fn session(store: &dyn Store, user: UserId, refresh_hash: &str) -> SessionRecord {
    store
        .create_session(new_session(user, refresh_hash, now_plus(3600)))
        .await
        .expect("create session")
}

fn rotated(outcome: RefreshOutcome) -> SessionRecord {
    match outcome {
        RefreshOutcome::Rotated(session) => session,
        other => panic!("expected Rotated, got {other:?}"),
    }
}

pub async fn sessions_are_created_and_refresh_tokens_rotate(store: &dyn Store) {
    let alice = user(store, "alice").await;
    let new = new_session(alice.id, "h1", now_plus(3600));
    let created = store.create_session(new.clone()).await.expect("create");
    assert_eq!(created.id, new.id);
    assert_eq!(created.user_id, alice.id);
    assert_eq!(
        (created.user_agent.as_str(), created.ip.as_str()),
        ("test-agent", "127.0.0.1")
    );
    assert_eq!(created.created_at, new.created_at);
    assert_eq!(created.last_active_at, new.created_at);
    assert_eq!(created.expires_at, new.expires_at);
    assert!(!created.revoked);
    assert_eq!(
        store
            .session_by_id(created.id)
            .await
            .expect("by id")
            .expect("found"),
        created
    );

    let later = now_plus(60);
    let extended = now_plus(7200);
    let session = rotated(
        store
            .rotate_refresh_token("h1", "h2", later, extended)
            .await
            .expect("rotate"),
    );
    assert_eq!(session.id, created.id);
    assert_eq!(session.expires_at, extended);
    assert_eq!(session.last_active_at, later);
    assert!(!session.revoked);

    let session = rotated(
        store
            .rotate_refresh_token("h2", "h3", later, extended)
            .await
            .expect("rotate again"),
    );
    assert_eq!(session.id, created.id);
    assert_eq!(
        store
            .session_by_id(created.id)
            .await
            .expect("by id")
            .expect("found"),
        session
    );
    assert!(matches!(
        store.session_by_id(SessionId::new()).await,
        Ok(None)
    ));
}

pub async fn reusing_a_spent_refresh_token_revokes_the_session(store: &dyn Store) {
    let alice = user(store, "alice").await;
    let created = session(store, alice.id, "h1").await;
    rotated(
        store
            .rotate_refresh_token("h1", "h2", now(), now_plus(3600))
            .await
            .expect("rotate"),
    );

    match store
        .rotate_refresh_token("h1", "h-thief", now(), now_plus(3600))
        .await
        .expect("replay")
    {
        RefreshOutcome::Reused(session) => {
            assert_eq!(session.id, created.id);
            assert!(session.revoked);
        }
        other => panic!("expected Reused, got {other:?}"),
    }
    assert!(
        store
            .session_by_id(created.id)
            .await
            .expect("by id")
            .expect("found")
            .revoked
    );
    // The legitimate holder of the newer token is logged out too.
    assert_eq!(
        store
            .rotate_refresh_token("h2", "h3", now(), now_plus(3600))
            .await
            .expect("current after theft"),
        RefreshOutcome::Invalid
    );
}

pub async fn unknown_expired_or_revoked_refresh_tokens_are_invalid(store: &dyn Store) {
    let alice = user(store, "alice").await;
    assert_eq!(
        store
            .rotate_refresh_token("unknown", "x", now(), now_plus(3600))
            .await
            .expect("unknown"),
        RefreshOutcome::Invalid
    );

    store
        .create_session(new_session(alice.id, "expired", now_plus(-1)))
        .await
        .expect("expired session");
    assert_eq!(
        store
            .rotate_refresh_token("expired", "x", now(), now_plus(3600))
            .await
            .expect("expired"),
        RefreshOutcome::Invalid
    );

    let revoked = session(store, alice.id, "revoked").await;
    store.revoke_session(revoked.id).await.expect("revoke");
    assert!(
        store
            .session_by_id(revoked.id)
            .await
            .expect("by id")
            .expect("found")
            .revoked
    );
    assert_eq!(
        store
            .rotate_refresh_token("revoked", "x", now(), now_plus(3600))
            .await
            .expect("revoked"),
        RefreshOutcome::Invalid
    );
    assert!(matches!(
        store.revoke_session(SessionId::new()).await,
        Err(StoreError::NotFound("session"))
    ));
}

pub async fn sessions_are_revoked_by_current_or_spent_refresh_token(store: &dyn Store) {
    let alice = user(store, "alice").await;
    let first = session(store, alice.id, "a1").await;
    let revoked = store
        .revoke_session_by_refresh("a1")
        .await
        .expect("revoke by current")
        .expect("session found");
    assert_eq!(revoked.id, first.id);
    assert!(revoked.revoked);

    let second = session(store, alice.id, "b1").await;
    rotated(
        store
            .rotate_refresh_token("b1", "b2", now(), now_plus(3600))
            .await
            .expect("rotate"),
    );
    let revoked = store
        .revoke_session_by_refresh("b1")
        .await
        .expect("revoke by spent")
        .expect("session found");
    assert_eq!(revoked.id, second.id);
    assert!(
        store
            .session_by_id(second.id)
            .await
            .expect("by id")
            .expect("found")
            .revoked
    );

    assert_eq!(
        store
            .revoke_session_by_refresh("unknown")
            .await
            .expect("unknown"),
        None
    );
}

pub async fn session_list_excludes_revoked_and_expired(store: &dyn Store) {
    let alice = user(store, "alice").await;
    let bob = user(store, "bob").await;
    let mut older = new_session(alice.id, "older", now_plus(3600));
    older.created_at = now_plus(-60);
    let older = store.create_session(older).await.expect("older");
    let newer = session(store, alice.id, "newer").await;
    store
        .create_session(new_session(alice.id, "expired", now_plus(-1)))
        .await
        .expect("expired");
    let revoked = session(store, alice.id, "revoked").await;
    store.revoke_session(revoked.id).await.expect("revoke");
    session(store, bob.id, "bob").await;

    let listed: Vec<SessionId> = store
        .list_sessions(alice.id, now())
        .await
        .expect("list")
        .into_iter()
        .map(|s| s.id)
        .collect();
    assert_eq!(listed, vec![newer.id, older.id]);
}

pub async fn user_sessions_are_revoked_except_one(store: &dyn Store) {
    let alice = user(store, "alice").await;
    let bob = user(store, "bob").await;
    let keep = session(store, alice.id, "keep").await;
    let second = session(store, alice.id, "second").await;
    let third = session(store, alice.id, "third").await;
    let bobs = session(store, bob.id, "bob").await;

    let mut revoked = store
        .revoke_user_sessions(alice.id, Some(keep.id))
        .await
        .expect("revoke others");
    revoked.sort();
    let mut expected = vec![second.id, third.id];
    expected.sort();
    assert_eq!(revoked, expected);
    let live: Vec<SessionId> = store
        .list_sessions(alice.id, now())
        .await
        .expect("list")
        .into_iter()
        .map(|s| s.id)
        .collect();
    assert_eq!(live, vec![keep.id]);
    assert!(
        !store
            .session_by_id(bobs.id)
            .await
            .expect("bob's")
            .expect("found")
            .revoked
    );

    let revoked = store
        .revoke_user_sessions(alice.id, None)
        .await
        .expect("revoke all");
    assert_eq!(
        revoked,
        vec![keep.id],
        "already revoked ones are not repeated"
    );
    assert_eq!(
        store.list_sessions(alice.id, now()).await.expect("list"),
        vec![]
    );
}

pub async fn a_session_is_read_with_its_user(store: &dyn Store) {
    let alice = user(store, "alice").await;
    let created = session(store, alice.id, "h").await;
    let (found, owner) = store
        .session_with_user(created.id)
        .await
        .expect("session with user")
        .expect("found");
    assert_eq!(
        found,
        store
            .session_by_id(created.id)
            .await
            .expect("by id")
            .expect("found")
    );
    assert_eq!(
        owner,
        store
            .user_by_id(alice.id)
            .await
            .expect("alice")
            .expect("found")
    );
    assert!(matches!(
        store.session_with_user(SessionId::new()).await,
        Ok(None)
    ));
}

pub async fn touching_sessions_records_activity_and_never_goes_back(store: &dyn Store) {
    let alice = user(store, "alice").await;
    let first = session(store, alice.id, "h1").await;
    let second = session(store, alice.id, "h2").await;
    let later = now_plus(120);
    store
        .touch_sessions(&[first.id, SessionId::new(), second.id], later)
        .await
        .expect("touch, an unknown id skipped");
    store
        .touch_sessions(&[first.id], now_plus(60))
        .await
        .expect("a late touch");
    for id in [first.id, second.id] {
        let found = store
            .session_by_id(id)
            .await
            .expect("by id")
            .expect("found");
        assert_eq!(found.last_active_at, later);
    }
    store
        .touch_sessions(&[], later)
        .await
        .expect("nothing to touch");
}

pub async fn refresh_tokens_are_looked_up_without_a_write(store: &dyn Store) {
    let alice = user(store, "alice").await;
    session(store, alice.id, "k1").await;
    assert!(store.refresh_token_known("k1").await.expect("current"));
    assert!(
        !store
            .refresh_token_known("k-unknown")
            .await
            .expect("unknown")
    );
    rotated(
        store
            .rotate_refresh_token("k1", "k2", now(), now_plus(3600))
            .await
            .expect("rotate"),
    );
    assert!(
        store.refresh_token_known("k1").await.expect("spent"),
        "a spent token is still known: presenting it again is theft"
    );
    assert!(store.refresh_token_known("k2").await.expect("new"));
}

/// The revocations recorded after `after_seq`, as (session, user) pairs.
async fn revocations_after(store: &dyn Store, after_seq: i64) -> Vec<(SessionId, UserId)> {
    store
        .session_revocations(after_seq, now_plus(-3600))
        .await
        .expect("revocations")
        .into_iter()
        .map(|r| (r.session_id, r.user_id))
        .collect()
}

pub async fn every_way_a_session_ends_records_one_revocation(store: &dyn Store) {
    let alice = user(store, "alice").await;
    let bob = user(store, "bob").await;
    let by_id = session(store, alice.id, "a1").await;
    let by_refresh = session(store, alice.id, "a2").await;
    let reused = session(store, alice.id, "a3").await;
    let kept = session(store, bob.id, "b1").await;
    let bobs_others = [
        session(store, bob.id, "b2").await,
        session(store, bob.id, "b3").await,
    ];
    assert!(revocations_after(store, 0).await.is_empty());

    store.revoke_session(by_id.id).await.expect("revoke");
    store
        .revoke_session_by_refresh("a2")
        .await
        .expect("revoke by refresh")
        .expect("known token");
    rotated(
        store
            .rotate_refresh_token("a3", "a3'", now(), now_plus(3600))
            .await
            .expect("rotate"),
    );
    let outcome = store
        .rotate_refresh_token("a3", "a3''", now(), now_plus(3600))
        .await
        .expect("reuse");
    assert!(matches!(outcome, RefreshOutcome::Reused(_)));
    store
        .revoke_user_sessions(bob.id, Some(kept.id))
        .await
        .expect("revoke others");
    // Ending an ended session records nothing more.
    store.revoke_session(by_id.id).await.expect("revoke again");
    store
        .revoke_user_sessions(bob.id, Some(kept.id))
        .await
        .expect("again");

    let all = store
        .session_revocations(0, now_plus(-3600))
        .await
        .expect("revocations");
    assert!(
        all.windows(2).all(|w| w[0].seq < w[1].seq),
        "in seq order: {all:?}"
    );
    let pairs: Vec<(SessionId, UserId)> = all.iter().map(|r| (r.session_id, r.user_id)).collect();
    assert_eq!(
        pairs[..3],
        [
            (by_id.id, alice.id),
            (by_refresh.id, alice.id),
            (reused.id, alice.id)
        ]
    );
    let mut bobs: Vec<SessionId> = pairs[3..].iter().map(|(s, _)| *s).collect();
    bobs.sort_by_key(|s| s.0);
    let mut want: Vec<SessionId> = bobs_others.iter().map(|s| s.id).collect();
    want.sort_by_key(|s| s.0);
    assert_eq!(bobs, want);
    assert!(all.iter().all(|r| r.revoked_at > now_plus(-60)));

    // Read on from a position; `since` leaves out older ones.
    assert_eq!(revocations_after(store, all[2].seq).await, pairs[3..]);
    assert!(
        store
            .session_revocations(0, now_plus(60))
            .await
            .expect("revocations")
            .is_empty()
    );
}

pub async fn revocations_are_pruned_by_age(store: &dyn Store) {
    let alice = user(store, "alice").await;
    let first = session(store, alice.id, "a1").await;
    store.revoke_session(first.id).await.expect("revoke");
    assert_eq!(
        store
            .prune_session_revocations(now_plus(-60))
            .await
            .expect("prune"),
        0,
        "a fresh revocation is kept"
    );
    assert_eq!(revocations_after(store, 0).await.len(), 1);
    assert_eq!(
        store
            .prune_session_revocations(now_plus(60))
            .await
            .expect("prune"),
        1
    );
    assert!(revocations_after(store, 0).await.is_empty());
    // Numbering goes on after a prune: a reader's position stays valid.
    let second = session(store, alice.id, "a2").await;
    store.revoke_session(second.id).await.expect("revoke");
    assert_eq!(
        revocations_after(store, 0).await,
        vec![(second.id, alice.id)]
    );
}

pub async fn live_sessions_are_unrevoked_unexpired_and_of_active_users(store: &dyn Store) {
    let alice = user(store, "alice").await;
    let bob = user(store, "bob").await;
    let live = session(store, alice.id, "a1").await;
    let revoked = session(store, alice.id, "a2").await;
    store.revoke_session(revoked.id).await.expect("revoke");
    let expired = store
        .create_session(new_session(alice.id, "a3", now_plus(-1)))
        .await
        .expect("create");
    let deactivated = session(store, bob.id, "b1").await;
    store
        .set_deactivated(bob.id, true)
        .await
        .expect("deactivate");
    let unknown = SessionId::new();
    let found = store
        .live_sessions(
            &[live.id, revoked.id, expired.id, deactivated.id, unknown],
            now(),
        )
        .await
        .expect("live");
    assert_eq!(found, vec![live.id]);
    assert!(
        store
            .live_sessions(&[], now())
            .await
            .expect("none asked")
            .is_empty()
    );
}
