//! Conformance cases for [`UploadStore`](crate::UploadStore): upload rows,
//! sharing through messages, and the orphan sweep.

use super::{new_message, now, now_plus, room, user};
use crate::error::StoreError;
use crate::records::{ProfilePatch, RoomPatch, UploadRecord};
use crate::traits::Store;
use hearth_protocol::dto::RoomKind;
use hearth_protocol::{UploadId, UserId};
use std::collections::HashSet;

/// A plain file upload of `uploader` with content hash `sha256`.
pub fn new_upload(uploader: UserId, sha256: &str) -> UploadRecord {
    UploadRecord {
        id: UploadId::new(),
        uploader_id: uploader,
        filename: "notes.txt".to_string(),
        content_type: "text/plain".to_string(),
        size: 42,
        sha256: sha256.to_string(),
        width: None,
        height: None,
        duration_ms: None,
        waveform: None,
        preview_type: None,
        created_at: now(),
    }
}

async fn insert(store: &dyn Store, upload: &UploadRecord) {
    store.insert_upload(upload).await.expect("insert upload");
}

fn ids(uploads: &[UploadRecord]) -> HashSet<UploadId> {
    uploads.iter().map(|u| u.id).collect()
}

pub async fn uploads_are_stored_and_found_by_id_ids_and_hash(store: &dyn Store) {
    let alice = user(store, "alice").await;
    let photo = UploadRecord {
        filename: "beach photo.jpg".to_string(),
        content_type: "image/jpeg".to_string(),
        size: 123_456,
        width: Some(4000),
        height: Some(3000),
        preview_type: Some("image/jpeg".to_string()),
        ..new_upload(alice.id, "aa11")
    };
    let voice = UploadRecord {
        filename: "voice.ogg".to_string(),
        content_type: "audio/ogg".to_string(),
        duration_ms: Some(3_500),
        waveform: Some(vec![0, 17, 255, 128]),
        ..new_upload(alice.id, "bb22")
    };
    let copy = new_upload(alice.id, "aa11");
    for u in [&photo, &voice, &copy] {
        insert(store, u).await;
    }

    assert_eq!(
        store
            .upload_by_id(photo.id)
            .await
            .expect("photo")
            .expect("found"),
        photo
    );
    assert_eq!(
        store
            .upload_by_id(voice.id)
            .await
            .expect("voice")
            .expect("found"),
        voice
    );
    assert!(matches!(
        store.upload_by_id(UploadId::new()).await,
        Ok(None)
    ));
    let found = store
        .uploads_by_ids(&[photo.id, voice.id, photo.id, UploadId::new()])
        .await
        .expect("by ids");
    assert_eq!(found.len(), 2);
    assert_eq!(ids(&found), ids(&[photo.clone(), voice.clone()]));
    assert!(store.uploads_by_ids(&[]).await.expect("none").is_empty());

    let by_hash = store
        .upload_by_sha256("aa11")
        .await
        .expect("by hash")
        .expect("some upload with that hash");
    assert!(by_hash.id == photo.id || by_hash.id == copy.id);
    assert_eq!(store.upload_by_sha256("cc33").await.expect("none"), None);
    assert!(store.sha256_in_use("aa11").await.expect("in use"));
    assert!(!store.sha256_in_use("cc33").await.expect("unused"));

    assert!(matches!(
        store.insert_upload(&photo).await,
        Err(StoreError::Conflict("upload"))
    ));
}

pub async fn uploaded_bytes_count_only_the_users_own_uploads(store: &dyn Store) {
    let alice = user(store, "alice").await;
    let bob = user(store, "bob").await;
    assert_eq!(store.uploaded_bytes(alice.id).await.expect("none yet"), 0);
    let big = UploadRecord {
        size: 5_000_000_000,
        ..new_upload(alice.id, "aa11")
    };
    for u in [
        &big,
        &new_upload(alice.id, "bb22"),
        &new_upload(bob.id, "cc33"),
    ] {
        insert(store, u).await;
    }
    assert_eq!(
        store.uploaded_bytes(alice.id).await.expect("alice's"),
        5_000_000_042
    );
    assert_eq!(store.uploaded_bytes(bob.id).await.expect("bob's"), 42);
}

pub async fn uploads_are_shared_through_live_messages_with_members(store: &dyn Store) {
    let alice = user(store, "alice").await;
    let bob = user(store, "bob").await;
    let carol = user(store, "carol").await;
    let group = room(store, RoomKind::Group, "group", &[&alice, &bob]).await;
    let file = new_upload(alice.id, "aa11");
    let unsent = new_upload(alice.id, "bb22");
    insert(store, &file).await;
    insert(store, &unsent).await;
    let shared = async |upload: &UploadRecord, who: UserId| {
        store
            .upload_shared_with(upload.id, who)
            .await
            .expect("shared with")
    };
    assert!(!shared(&file, bob.id).await, "not sent yet");

    let mut new = new_message(group.id, alice.id, "");
    new.attachments = vec![file.id, file.id];
    let message = store.insert_message(new).await.expect("send").into_inner();
    assert!(shared(&file, alice.id).await);
    assert!(shared(&file, bob.id).await);
    assert!(!shared(&file, carol.id).await, "carol is not in the room");
    assert!(!shared(&unsent, bob.id).await);

    // A second message with the same upload, in a room carol is in.
    let with_carol = room(store, RoomKind::Group, "with carol", &[&alice, &carol]).await;
    let mut again = new_message(with_carol.id, alice.id, "again");
    again.attachments = vec![file.id];
    let again = store
        .insert_message(again)
        .await
        .expect("send again")
        .into_inner();
    assert!(shared(&file, carol.id).await);
    store
        .delete_message(with_carol.id, again.id)
        .await
        .expect("delete");
    assert!(!shared(&file, carol.id).await, "the message was deleted");
    assert!(
        shared(&file, bob.id).await,
        "the first message still has it"
    );

    store
        .ban_member(group.id, bob.id, now())
        .await
        .expect("ban");
    assert!(!shared(&file, bob.id).await, "banned users are not members");
    store
        .delete_message(group.id, message.id)
        .await
        .expect("delete");
    assert!(!shared(&file, alice.id).await);
}

pub async fn the_orphan_sweep_deletes_only_old_uploads_nothing_uses(store: &dyn Store) {
    let alice = user(store, "alice").await;
    let general = room(store, RoomKind::Channel, "general", &[&alice]).await;
    let old = |sha: &str| UploadRecord {
        created_at: now_plus(-2 * 86_400),
        ..new_upload(alice.id, sha)
    };
    let attached = old("aa11");
    let user_avatar = old("bb22");
    let room_avatar = old("cc33");
    let orphan = old("dd44");
    let orphan_sharing_a_blob = old("aa11");
    let was_attached = old("ee55");
    let young = new_upload(alice.id, "ff66");
    for u in [
        &attached,
        &user_avatar,
        &room_avatar,
        &orphan,
        &orphan_sharing_a_blob,
        &was_attached,
        &young,
    ] {
        insert(store, u).await;
    }
    let mut new = new_message(general.id, alice.id, "files");
    new.attachments = vec![attached.id, was_attached.id];
    let mut kept_message = new_message(general.id, alice.id, "kept");
    kept_message.attachments = vec![attached.id];
    let message = store.insert_message(new).await.expect("send").into_inner();
    store
        .insert_message(kept_message)
        .await
        .expect("send another");
    store
        .delete_message(general.id, message.id)
        .await
        .expect("delete");
    store
        .update_profile(
            alice.id,
            ProfilePatch {
                avatar: Some(Some(user_avatar.id)),
                ..ProfilePatch::default()
            },
        )
        .await
        .expect("set avatar");
    store
        .update_room(
            general.id,
            RoomPatch {
                avatar: Some(Some(room_avatar.id)),
                ..RoomPatch::default()
            },
        )
        .await
        .expect("set room avatar");

    let cutoff = now_plus(-86_400);
    let first = store.delete_orphan_uploads(cutoff, 2).await.expect("sweep");
    assert_eq!(first.len(), 2, "the limit holds");
    let rest = store
        .delete_orphan_uploads(cutoff, 100)
        .await
        .expect("sweep the rest");
    let deleted: Vec<UploadRecord> = first.into_iter().chain(rest).collect();
    assert_eq!(
        ids(&deleted),
        ids(&[
            orphan.clone(),
            orphan_sharing_a_blob.clone(),
            was_attached.clone()
        ])
    );
    assert!(
        deleted.contains(&orphan),
        "the sweep returns the rows as they were"
    );
    assert!(
        store
            .delete_orphan_uploads(cutoff, 100)
            .await
            .expect("nothing left")
            .is_empty()
    );
    for kept in [&attached, &user_avatar, &room_avatar, &young] {
        assert_eq!(
            store
                .upload_by_id(kept.id)
                .await
                .expect("kept")
                .expect("found"),
            *kept
        );
    }
    assert!(matches!(store.upload_by_id(orphan.id).await, Ok(None)));
    assert!(store.sha256_in_use("aa11").await.expect("still used"));
    assert!(!store.sha256_in_use("dd44").await.expect("unused"));
    assert!(!store.sha256_in_use("ee55").await.expect("unused"));

    // Once the avatar is replaced, the old one is an orphan too.
    store
        .update_profile(
            alice.id,
            ProfilePatch {
                avatar: Some(None),
                ..ProfilePatch::default()
            },
        )
        .await
        .expect("clear avatar");
    let swept = store
        .delete_orphan_uploads(cutoff, 100)
        .await
        .expect("sweep");
    assert_eq!(ids(&swept), ids(std::slice::from_ref(&user_avatar)));
}
