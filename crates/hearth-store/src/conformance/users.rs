//! Conformance cases for [`UserStore`](crate::UserStore): accounts, logins,
//! search and profiles.

use super::{new_user, user};
use crate::error::StoreError;
use crate::records::ProfilePatch;
use crate::traits::Store;
use hearth_protocol::{UploadId, UserId};

pub async fn store_answers_ping(store: &dyn Store) {
    store.ping().await.expect("ping");
    assert!(!store.backend().is_empty());
}

pub async fn users_are_created_and_found_by_id_login_and_ids(store: &dyn Store) {
    let new = new_user("alice", Some("Alice@Example.com"));
    let alice = store.create_user(new.clone()).await.expect("create");
    assert_eq!(alice.id, new.id);
    assert_eq!(alice.username, "alice");
    assert_eq!(alice.display_name, "alice");
    assert_eq!(alice.email.as_deref(), Some("Alice@Example.com"));
    assert_eq!(alice.password_hash, new.password_hash);
    assert_eq!((alice.bio.as_str(), alice.status_text.as_str()), ("", ""));
    assert_eq!(alice.avatar, None);
    assert!(!alice.deactivated);
    assert_eq!(alice.created_at, new.created_at);

    assert_eq!(
        store
            .user_by_id(alice.id)
            .await
            .expect("by id")
            .expect("found"),
        alice
    );
    for login in ["alice", "ALICE", "alice@example.com", "ALICE@EXAMPLE.COM"] {
        let found = store
            .user_by_login(login)
            .await
            .expect("by login")
            .expect("found");
        assert_eq!(found.id, alice.id, "login {login:?}");
    }

    let bob = user(store, "bob").await;
    let mut found = store
        .users_by_ids(&[alice.id, bob.id, UserId::new()])
        .await
        .expect("by ids");
    found.sort_by_key(|u| u.username.clone());
    assert_eq!(found, vec![alice.clone(), bob]);
    assert_eq!(store.users_by_ids(&[]).await.expect("no ids"), vec![]);

    assert!(matches!(store.user_by_id(UserId::new()).await, Ok(None)));
    assert!(matches!(store.user_by_login("nobody").await, Ok(None)));
}

pub async fn usernames_conflict_case_insensitively(store: &dyn Store) {
    user(store, "alice").await;
    for username in ["alice", "Alice"] {
        let mut new = new_user("x", Some(&format!("{username}-other@example.com")));
        new.username = username.to_string();
        let err = store.create_user(new).await.expect_err("taken username");
        assert!(
            matches!(err, StoreError::Conflict("username")),
            "{username:?}: {err:?}"
        );
    }
}

pub async fn emails_conflict_case_insensitively(store: &dyn Store) {
    store
        .create_user(new_user("bob", Some("Bob@Example.com")))
        .await
        .expect("bob");
    let err = store
        .create_user(new_user("robert", Some("bob@example.COM")))
        .await
        .expect_err("taken e-mail");
    assert!(matches!(err, StoreError::Conflict("email")), "{err:?}");

    // Any number of users may have no address.
    for name in ["carol", "dave"] {
        store
            .create_user(new_user(name, None))
            .await
            .expect("no e-mail");
    }
}

pub async fn the_first_user_is_admin(store: &dyn Store) {
    let first = user(store, "first").await;
    let second = user(store, "second").await;
    assert!(first.is_admin);
    assert!(!second.is_admin);
}

pub async fn users_are_searched_by_prefix(store: &dyn Store) {
    let alan = user(store, "alan").await;
    let alice = user(store, "alice").await;
    let mut bob = new_user("bob", None);
    bob.display_name = "Albert Bob".to_string();
    let bob = store.create_user(bob).await.expect("bob");
    user(store, "carol").await;

    let ids = |found: Vec<crate::UserRecord>| -> Vec<UserId> {
        found.into_iter().map(|u| u.id).collect()
    };
    let found = store.search_users("al", 10).await.expect("search");
    assert_eq!(ids(found), vec![alan.id, alice.id, bob.id]);
    let found = store.search_users("AL", 2).await.expect("search, limit");
    assert_eq!(ids(found), vec![alan.id, alice.id]);
    let found = store.search_users("ali", 10).await.expect("search");
    assert_eq!(ids(found), vec![alice.id]);
    // Wildcards in the prefix are literal.
    for prefix in ["%", "_lice", "a%"] {
        let found = store.search_users(prefix, 10).await.expect("search");
        assert_eq!(found, vec![], "prefix {prefix:?}");
    }
}

pub async fn profile_patches_change_only_given_fields_and_clear_avatar(store: &dyn Store) {
    let alice = user(store, "alice").await;
    let avatar = UploadId::new();

    let patched = store
        .update_profile(
            alice.id,
            ProfilePatch {
                display_name: Some("Alice A.".to_string()),
                avatar: Some(Some(avatar)),
                ..ProfilePatch::default()
            },
        )
        .await
        .expect("patch");
    assert_eq!(patched.display_name, "Alice A.");
    assert_eq!(patched.avatar, Some(avatar));
    assert_eq!(patched.bio, alice.bio);

    let patched = store
        .update_profile(
            alice.id,
            ProfilePatch {
                bio: Some("hello".to_string()),
                status_text: Some("busy".to_string()),
                time_zone: Some("Europe/Berlin".to_string()),
                ..ProfilePatch::default()
            },
        )
        .await
        .expect("patch without avatar");
    assert_eq!(patched.avatar, Some(avatar), "avatar left alone");
    assert_eq!(patched.display_name, "Alice A.");
    assert_eq!(
        (patched.bio.as_str(), patched.status_text.as_str()),
        ("hello", "busy")
    );
    assert_eq!(patched.time_zone, "Europe/Berlin");

    let patched = store
        .update_profile(
            alice.id,
            ProfilePatch {
                avatar: Some(None),
                ..ProfilePatch::default()
            },
        )
        .await
        .expect("clear avatar");
    assert_eq!(patched.avatar, None);
    assert_eq!(
        store
            .user_by_id(alice.id)
            .await
            .expect("reread")
            .expect("found"),
        patched
    );

    assert!(matches!(
        store
            .update_profile(UserId::new(), ProfilePatch::default())
            .await,
        Err(StoreError::NotFound("user"))
    ));
}

pub async fn password_hash_and_admin_flag_are_updated(store: &dyn Store) {
    user(store, "root").await;
    let alice = user(store, "alice").await;

    store
        .set_password_hash(alice.id, "$argon2id$new")
        .await
        .expect("set hash");
    store.set_admin(alice.id, true).await.expect("make admin");
    let alice = store
        .user_by_id(alice.id)
        .await
        .expect("reread")
        .expect("found");
    assert_eq!(alice.password_hash, "$argon2id$new");
    assert!(alice.is_admin);
    store.set_admin(alice.id, false).await.expect("demote");
    assert!(
        !store
            .user_by_id(alice.id)
            .await
            .expect("reread")
            .expect("found")
            .is_admin
    );

    assert!(matches!(
        store.set_password_hash(UserId::new(), "x").await,
        Err(StoreError::NotFound("user"))
    ));
    assert!(matches!(
        store.set_admin(UserId::new(), true).await,
        Err(StoreError::NotFound("user"))
    ));
}
