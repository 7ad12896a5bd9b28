//! Conformance cases for [`SecurityStore`](crate::SecurityStore): two-factor
//! state, recovery codes, e-mail links, deactivation and deletion.

use super::{now, now_plus, user};
use crate::error::StoreError;
use crate::records::{EmailTokenPurpose, NewEmailToken, ProfilePatch, TotpState};
use crate::traits::Store;
use hearth_protocol::{UploadId, UserId};

fn codes(prefix: &str, n: usize) -> Vec<String> {
    (0..n).map(|i| format!("{prefix}-{i}")).collect()
}

pub async fn totp_is_set_up_then_enabled_with_recovery_codes(store: &dyn Store) {
    let alice = user(store, "alice").await;
    assert!(!alice.totp_enabled);
    assert_eq!(
        store
            .totp_state(alice.id)
            .await
            .expect("state")
            .expect("found"),
        TotpState::default()
    );
    assert!(
        matches!(
            store.enable_totp(alice.id, 1, &codes("r", 2)).await,
            Err(StoreError::NotFound("totp secret"))
        ),
        "nothing pending to enable"
    );

    store
        .set_pending_totp(alice.id, "sealed-1")
        .await
        .expect("setup");
    // Setting up again replaces the pending secret.
    store
        .set_pending_totp(alice.id, "sealed-2")
        .await
        .expect("setup again");
    let state = store
        .totp_state(alice.id)
        .await
        .expect("state")
        .expect("found");
    assert_eq!(state.secret.as_deref(), Some("sealed-2"));
    assert!(!state.enabled);
    assert!(
        !store
            .user_by_id(alice.id)
            .await
            .expect("user")
            .expect("found")
            .totp_enabled
    );

    store
        .enable_totp(alice.id, 1000, &codes("r", 10))
        .await
        .expect("enable");
    assert_eq!(
        store
            .totp_state(alice.id)
            .await
            .expect("state")
            .expect("found"),
        TotpState {
            secret: Some("sealed-2".to_string()),
            enabled: true,
            last_step: Some(1000),
        }
    );
    assert!(
        store
            .user_by_id(alice.id)
            .await
            .expect("user")
            .expect("found")
            .totp_enabled
    );
    assert_eq!(store.recovery_codes_left(alice.id).await.expect("left"), 10);
    assert!(matches!(
        store.set_pending_totp(alice.id, "sealed-3").await,
        Err(StoreError::Conflict("totp"))
    ));
    assert!(matches!(
        store.enable_totp(alice.id, 1001, &codes("r", 1)).await,
        Err(StoreError::Conflict("totp"))
    ));
    assert!(matches!(
        store.set_pending_totp(UserId::new(), "x").await,
        Err(StoreError::NotFound("user"))
    ));
    assert!(matches!(store.totp_state(UserId::new()).await, Ok(None)));
}

pub async fn totp_steps_are_claimed_once_and_only_forwards(store: &dyn Store) {
    let alice = user(store, "alice").await;
    store.set_pending_totp(alice.id, "s").await.expect("setup");
    store.enable_totp(alice.id, 100, &[]).await.expect("enable");
    assert!(
        !store.claim_totp_step(alice.id, 100).await.expect("claim"),
        "the step used to enable is spent"
    );
    assert!(!store.claim_totp_step(alice.id, 99).await.expect("claim"));
    assert!(store.claim_totp_step(alice.id, 101).await.expect("claim"));
    assert!(!store.claim_totp_step(alice.id, 101).await.expect("claim"));
    assert!(store.claim_totp_step(alice.id, 105).await.expect("claim"));
    assert_eq!(
        store
            .totp_state(alice.id)
            .await
            .expect("state")
            .expect("found")
            .last_step,
        Some(105)
    );
}

pub async fn recovery_codes_are_single_use_and_per_user(store: &dyn Store) {
    let alice = user(store, "alice").await;
    let bob = user(store, "bob").await;
    for (u, prefix) in [(alice.id, "a"), (bob.id, "b")] {
        store.set_pending_totp(u, "s").await.expect("setup");
        store
            .enable_totp(u, 1, &codes(prefix, 3))
            .await
            .expect("enable");
    }
    assert!(
        store
            .use_recovery_code(alice.id, "a-0", now())
            .await
            .expect("use")
    );
    assert!(
        !store
            .use_recovery_code(alice.id, "a-0", now())
            .await
            .expect("reuse"),
        "a code works once"
    );
    assert!(
        !store
            .use_recovery_code(alice.id, "b-1", now())
            .await
            .expect("other's"),
        "another user's code is no code"
    );
    assert!(
        !store
            .use_recovery_code(alice.id, "nope", now())
            .await
            .expect("unknown")
    );
    assert_eq!(store.recovery_codes_left(alice.id).await.expect("left"), 2);
    assert_eq!(store.recovery_codes_left(bob.id).await.expect("left"), 3);
}

pub async fn disabling_totp_forgets_secret_and_recovery_codes(store: &dyn Store) {
    let alice = user(store, "alice").await;
    store.set_pending_totp(alice.id, "s").await.expect("setup");
    store
        .enable_totp(alice.id, 7, &codes("r", 4))
        .await
        .expect("enable");
    store.disable_totp(alice.id).await.expect("disable");
    assert_eq!(
        store
            .totp_state(alice.id)
            .await
            .expect("state")
            .expect("found"),
        TotpState::default()
    );
    assert!(
        !store
            .user_by_id(alice.id)
            .await
            .expect("user")
            .expect("found")
            .totp_enabled
    );
    assert_eq!(store.recovery_codes_left(alice.id).await.expect("left"), 0);
    assert!(
        !store
            .use_recovery_code(alice.id, "r-0", now())
            .await
            .expect("use")
    );
    // It can be set up again, and old codes do not come back.
    store.set_pending_totp(alice.id, "t").await.expect("setup");
    store
        .enable_totp(alice.id, 8, &codes("n", 1))
        .await
        .expect("enable");
    assert_eq!(store.recovery_codes_left(alice.id).await.expect("left"), 1);
    assert!(matches!(
        store.disable_totp(UserId::new()).await,
        Err(StoreError::NotFound("user"))
    ));
}

fn token(user: UserId, hash: &str, purpose: EmailTokenPurpose, ttl_secs: i64) -> NewEmailToken {
    NewEmailToken {
        hash: hash.to_string(),
        user_id: user,
        purpose,
        email: "alice@example.com".to_string(),
        created_at: now(),
        expires_at: now_plus(ttl_secs),
    }
}

pub async fn email_tokens_are_single_use_and_expire(store: &dyn Store) {
    let alice = user(store, "alice").await;
    let reset = EmailTokenPurpose::PasswordReset;
    let new = token(alice.id, "t1", reset, 3600);
    store.insert_email_token(new.clone()).await.expect("insert");
    assert!(matches!(
        store.insert_email_token(new.clone()).await,
        Err(StoreError::Conflict("email token"))
    ));

    assert_eq!(
        store
            .consume_email_token("t1", EmailTokenPurpose::VerifyEmail, now())
            .await
            .expect("wrong purpose"),
        None,
        "a reset token does not verify an address"
    );
    let used = store
        .consume_email_token("t1", reset, now())
        .await
        .expect("consume")
        .expect("usable");
    assert_eq!(used.user_id, alice.id);
    assert_eq!(used.purpose, reset);
    assert_eq!(used.email, "alice@example.com");
    assert_eq!(used.created_at, new.created_at);
    assert_eq!(used.expires_at, new.expires_at);
    assert!(used.used);
    assert_eq!(
        store
            .consume_email_token("t1", reset, now())
            .await
            .expect("again"),
        None,
        "single use"
    );

    store
        .insert_email_token(token(alice.id, "t2", reset, 60))
        .await
        .expect("insert");
    assert_eq!(
        store
            .consume_email_token("t2", reset, now_plus(61))
            .await
            .expect("late"),
        None,
        "expired"
    );
    assert_eq!(
        store
            .consume_email_token("unknown", reset, now())
            .await
            .expect("unknown"),
        None
    );
}

pub async fn using_an_email_token_spends_the_users_other_tokens_of_that_purpose(store: &dyn Store) {
    let alice = user(store, "alice").await;
    let bob = user(store, "bob").await;
    let reset = EmailTokenPurpose::PasswordReset;
    let verify = EmailTokenPurpose::VerifyEmail;
    for (u, hash, purpose) in [
        (alice.id, "a-old", reset),
        (alice.id, "a-new", reset),
        (alice.id, "a-verify", verify),
        (bob.id, "b-reset", reset),
    ] {
        store
            .insert_email_token(token(u, hash, purpose, 3600))
            .await
            .expect("insert");
    }
    assert!(
        store
            .consume_email_token("a-new", reset, now())
            .await
            .expect("consume")
            .is_some()
    );
    assert_eq!(
        store
            .consume_email_token("a-old", reset, now())
            .await
            .expect("old"),
        None,
        "the older link died with the newer one"
    );
    assert!(
        store
            .consume_email_token("a-verify", verify, now())
            .await
            .expect("other purpose")
            .is_some()
    );
    assert!(
        store
            .consume_email_token("b-reset", reset, now())
            .await
            .expect("other user")
            .is_some()
    );
}

pub async fn email_tokens_are_counted_per_user_purpose_and_time(store: &dyn Store) {
    let alice = user(store, "alice").await;
    let bob = user(store, "bob").await;
    let reset = EmailTokenPurpose::PasswordReset;
    let mut old = token(alice.id, "old", reset, 3600);
    old.created_at = now_plus(-7200);
    store.insert_email_token(old).await.expect("old");
    for hash in ["a1", "a2"] {
        store
            .insert_email_token(token(alice.id, hash, reset, 3600))
            .await
            .expect("insert");
    }
    store
        .insert_email_token(token(alice.id, "v", EmailTokenPurpose::VerifyEmail, 3600))
        .await
        .expect("verify");
    store
        .insert_email_token(token(bob.id, "b", reset, 3600))
        .await
        .expect("bob");
    let since = now_plus(-3600);
    assert_eq!(
        store
            .count_email_tokens_since(alice.id, reset, since)
            .await
            .expect("count"),
        2
    );
    assert_eq!(
        store
            .count_email_tokens_since(alice.id, reset, now_plus(-10_000))
            .await
            .expect("count"),
        3
    );
    assert_eq!(
        store
            .count_email_tokens_since(alice.id, EmailTokenPurpose::VerifyEmail, since)
            .await
            .expect("count"),
        1
    );
}

pub async fn email_is_verified_only_for_the_current_address(store: &dyn Store) {
    let alice = user(store, "alice").await;
    assert!(!alice.email_verified);
    assert!(
        !store
            .mark_email_verified(alice.id, "old@example.com")
            .await
            .expect("other address")
    );
    assert!(
        !store
            .user_by_id(alice.id)
            .await
            .expect("user")
            .expect("found")
            .email_verified
    );
    assert!(
        store
            .mark_email_verified(alice.id, "ALICE@example.com")
            .await
            .expect("current address")
    );
    assert!(
        store
            .user_by_id(alice.id)
            .await
            .expect("user")
            .expect("found")
            .email_verified
    );
}

pub async fn accounts_are_deactivated_and_reactivated(store: &dyn Store) {
    let alice = user(store, "alice").await;
    store
        .set_deactivated(alice.id, true)
        .await
        .expect("deactivate");
    let found = store
        .user_by_id(alice.id)
        .await
        .expect("user")
        .expect("found");
    assert!(found.deactivated);
    assert_eq!(found.display_name, alice.display_name, "data stays");
    assert_eq!(
        store.search_users("ali", 10).await.expect("search"),
        vec![],
        "deactivated users are not found by search"
    );
    store
        .set_deactivated(alice.id, false)
        .await
        .expect("reactivate");
    assert!(
        !store
            .user_by_id(alice.id)
            .await
            .expect("user")
            .expect("found")
            .deactivated
    );
    assert!(matches!(
        store.set_deactivated(UserId::new(), true).await,
        Err(StoreError::NotFound("user"))
    ));
}

pub async fn scrubbing_a_user_keeps_id_and_username_and_forgets_the_rest(store: &dyn Store) {
    let alice = user(store, "alice").await;
    store
        .update_profile(
            alice.id,
            ProfilePatch {
                bio: Some("bio".to_string()),
                status_text: Some("status".to_string()),
                avatar: Some(Some(UploadId::new())),
                ..ProfilePatch::default()
            },
        )
        .await
        .expect("profile");
    store
        .mark_email_verified(alice.id, "alice@example.com")
        .await
        .expect("verify");
    store.set_pending_totp(alice.id, "s").await.expect("setup");
    store
        .enable_totp(alice.id, 1, &codes("r", 2))
        .await
        .expect("enable");
    store
        .insert_email_token(token(alice.id, "t", EmailTokenPurpose::PasswordReset, 3600))
        .await
        .expect("token");

    let scrubbed = store.scrub_user(alice.id).await.expect("scrub");
    assert_eq!(scrubbed.id, alice.id);
    assert_eq!(scrubbed.username, "alice");
    assert!(scrubbed.deactivated);
    assert_eq!(scrubbed.display_name, "deleted user");
    assert_eq!(
        (scrubbed.bio.as_str(), scrubbed.status_text.as_str()),
        ("", "")
    );
    assert_eq!(scrubbed.avatar, None);
    assert_eq!(scrubbed.email, None);
    assert!(!scrubbed.email_verified);
    assert!(!scrubbed.totp_enabled);
    assert_ne!(scrubbed.password_hash, alice.password_hash);
    assert_eq!(
        store
            .user_by_id(alice.id)
            .await
            .expect("user")
            .expect("found"),
        scrubbed
    );
    assert_eq!(
        store
            .totp_state(alice.id)
            .await
            .expect("state")
            .expect("found"),
        TotpState::default()
    );
    assert_eq!(store.recovery_codes_left(alice.id).await.expect("left"), 0);
    assert_eq!(
        store
            .consume_email_token("t", EmailTokenPurpose::PasswordReset, now())
            .await
            .expect("token"),
        None
    );
    // The username stays taken; the e-mail address is free again.
    assert!(matches!(
        store
            .create_user(super::new_user("alice", Some("other@example.com")))
            .await,
        Err(StoreError::Conflict("username"))
    ));
    store
        .create_user(super::new_user("alice2", Some("alice@example.com")))
        .await
        .expect("the address is free");
    assert!(matches!(
        store.scrub_user(UserId::new()).await,
        Err(StoreError::NotFound("user"))
    ));
}

pub async fn email_tokens_are_read_without_spending_them(store: &dyn Store) {
    let alice = user(store, "alice").await;
    let reset = EmailTokenPurpose::PasswordReset;
    let new = token(alice.id, "r1", reset, 3600);
    store.insert_email_token(new.clone()).await.expect("insert");
    let read = store
        .email_token("r1", reset)
        .await
        .expect("read")
        .expect("found");
    assert_eq!(read.user_id, alice.id);
    assert_eq!(read.expires_at, new.expires_at);
    assert!(!read.used);
    assert_eq!(
        store
            .email_token("r1", EmailTokenPurpose::VerifyEmail)
            .await
            .expect("other purpose"),
        None
    );
    assert_eq!(
        store.email_token("nope", reset).await.expect("unknown"),
        None
    );
    store
        .consume_email_token("r1", reset, now())
        .await
        .expect("consume")
        .expect("usable");
    assert!(
        store
            .email_token("r1", reset)
            .await
            .expect("read")
            .expect("found")
            .used
    );
}

pub async fn an_offered_address_is_attached_once_verified(store: &dyn Store) {
    let alice = user(store, "alice").await;
    let bob = user(store, "bob").await;
    let verify = EmailTokenPurpose::VerifyEmail;
    assert_eq!(
        store
            .latest_email_token_address(bob.id, verify)
            .await
            .expect("none yet"),
        None
    );
    for (hash, email, at) in [("o1", "old@example.com", 0), ("o2", "new@example.com", 5)] {
        store
            .insert_email_token(NewEmailToken {
                email: email.to_string(),
                created_at: now_plus(at),
                ..token(bob.id, hash, verify, 3600)
            })
            .await
            .expect("insert");
    }
    assert_eq!(
        store
            .latest_email_token_address(bob.id, verify)
            .await
            .expect("latest")
            .as_deref(),
        Some("new@example.com")
    );
    assert_eq!(
        store
            .latest_email_token_address(bob.id, EmailTokenPurpose::PasswordReset)
            .await
            .expect("other purpose"),
        None
    );

    store
        .attach_verified_email(bob.id, "New@example.com")
        .await
        .expect("attach");
    let bob = store
        .user_by_id(bob.id)
        .await
        .expect("read")
        .expect("found");
    assert_eq!(bob.email.as_deref(), Some("New@example.com"));
    assert!(bob.email_verified);
    assert_eq!(
        store
            .user_by_login("new@example.com")
            .await
            .expect("login")
            .map(|u| u.id),
        Some(bob.id)
    );
    assert!(matches!(
        store
            .attach_verified_email(alice.id, "NEW@example.com")
            .await,
        Err(StoreError::Conflict("email"))
    ));
    assert!(matches!(
        store
            .attach_verified_email(UserId::new(), "x@example.com")
            .await,
        Err(StoreError::NotFound("user"))
    ));
}
