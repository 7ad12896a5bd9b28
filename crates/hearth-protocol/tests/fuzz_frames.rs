//! Fuzz target: the gateway frame decoder (`frame::decode_client_op`).
//! Any text must decode without a panic into an op or a bounded error;
//! every op a client can send survives encode → decode unchanged.
//!
//! `HEARTH_FUZZ_CASES` sets the cases per property (default 512, a second
//! or two); see docs/testing.md for a longer run.

use hearth_protocol::frame::{MAX_ECHOED_NONCE_BYTES, MAX_ERROR_MESSAGE_CHARS, decode_client_op};
use hearth_protocol::gateway::{ClientOp, PresenceStatus};
use hearth_protocol::{MessageId, RoomId, UploadId, UserId};
use proptest::prelude::*;
use proptest::test_runner::Config;
use uuid::Uuid;

fn config() -> Config {
    let cases = std::env::var("HEARTH_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(512);
    Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    }
}

fn uuid() -> impl Strategy<Value = Uuid> {
    any::<u128>().prop_map(Uuid::from_u128)
}

fn json_value() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        ".{0,16}".prop_map(serde_json::Value::from),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::from),
            prop::collection::btree_map("[a-z]{1,6}", inner, 0..4)
                .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    })
}

fn client_op() -> impl Strategy<Value = ClientOp> {
    prop_oneof![
        ".{0,40}".prop_map(|token| ClientOp::Auth { token }),
        (
            uuid(),
            ".{0,20}",
            ".{0,80}",
            proptest::option::of(uuid()),
            prop::collection::vec(uuid(), 0..3),
            any::<bool>()
        )
            .prop_map(|(room, nonce, body, reply, files, anonymous)| {
                ClientOp::Send {
                    room_id: RoomId(room),
                    nonce,
                    body,
                    reply_to: reply.map(MessageId),
                    attachments: files.into_iter().map(UploadId).collect(),
                    anonymous,
                }
            }),
        (uuid(), any::<bool>()).prop_map(|(r, anonymous)| ClientOp::Typing {
            room_id: RoomId(r),
            anonymous
        }),
        (uuid(), any::<i64>()).prop_map(|(r, seq)| ClientOp::Read {
            room_id: RoomId(r),
            seq
        }),
        (uuid(), any::<i64>()).prop_map(|(r, seq)| ClientOp::Delivered {
            room_id: RoomId(r),
            seq
        }),
        prop_oneof![
            Just(PresenceStatus::Online),
            Just(PresenceStatus::Active),
            Just(PresenceStatus::Idle),
            Just(PresenceStatus::Offline),
        ]
        .prop_map(|status| ClientOp::Presence { status }),
        proptest::option::of(any::<u64>()).prop_map(|n| ClientOp::Ping { n }),
        (uuid(), uuid(), json_value()).prop_map(|(r, to, data)| ClientOp::CallSignal {
            room_id: RoomId(r),
            to: UserId(to),
            data
        }),
    ]
}

/// Text shaped like frames: JSON objects with op names and fields mixed
/// from every op, values of any type, and the odd broken byte.
fn frame_like_text() -> impl Strategy<Value = String> {
    let op = prop_oneof![
        Just("auth"),
        Just("send"),
        Just("typing"),
        Just("read"),
        Just("delivered"),
        Just("presence"),
        Just("ping"),
        Just("call.signal"),
        Just(""),
        Just("dance"),
    ];
    let key = prop_oneof![
        Just("op".to_string()),
        Just("token".to_string()),
        Just("room_id".to_string()),
        Just("nonce".to_string()),
        Just("body".to_string()),
        Just("seq".to_string()),
        Just("status".to_string()),
        Just("n".to_string()),
        Just("to".to_string()),
        Just("data".to_string()),
        Just("attachments".to_string()),
        ".{0,300}",
    ];
    let fields = prop::collection::vec((key, json_value()), 0..6);
    (op, fields, ".{0,4}").prop_map(|(op, fields, tail)| {
        let mut object = serde_json::Map::new();
        object.insert("op".into(), op.into());
        for (k, v) in fields {
            object.insert(k, v);
        }
        let mut text = serde_json::Value::Object(object).to_string();
        text.push_str(&tail);
        text
    })
}

fn check_bounded(text: &str) {
    if let Err(e) = decode_client_op(text) {
        assert!(
            e.message.chars().count() <= MAX_ERROR_MESSAGE_CHARS,
            "message of {} chars",
            e.message.chars().count()
        );
        assert!(e.nonce.is_none_or(|n| n.len() <= MAX_ECHOED_NONCE_BYTES));
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn any_text_decodes_or_fails_with_a_bounded_error(text in ".{0,200}") {
        check_bounded(&text);
    }

    #[test]
    fn frame_shaped_text_decodes_or_fails_with_a_bounded_error(text in frame_like_text()) {
        check_bounded(&text);
    }

    #[test]
    fn every_op_survives_encode_and_decode(op in client_op()) {
        let encoded = serde_json::to_value(&op).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let decoded = decode_client_op(&encoded.to_string())
            .map_err(|e| TestCaseError::fail(format!("{e:?}")))?;
        let again = serde_json::to_value(&decoded).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(encoded, again);
    }
}
