//! OpenAPI links: which answer carries the ids that other operations take
//! (a created room's `id` → everything under `/rooms/{id}`, a sent
//! message's ids → its edit, reactions and pins, …). Clients can read the
//! API's shape from them, and a stateful fuzzer follows them to reach past
//! "404 not found" into each operation's rules. One table, so the graph is
//! seen whole; an operation id named here that does not exist fails the
//! `links_name_existing_operations` test.

use serde_json::{Map, Value};

/// Operations that take a room `id` in their path.
const ROOM_OPS: &[&str] = &[
    "get_room",
    "update_room",
    "archive_room",
    "join_room",
    "leave_room",
    "mark_read",
    "list_members",
    "add_members",
    "send_message",
    "list_messages",
    "get_room_notifications",
    "update_room_notifications",
    "get_room_avatar",
];
/// Operations that take a room `id` and a `message_id`.
const MESSAGE_OPS: &[&str] = &[
    "get_message",
    "edit_message",
    "delete_message",
    "add_reaction",
    "remove_reaction",
    "pin_message",
    "unpin_message",
];
/// Operations that take a room `id` and a member's `user_id`.
const MEMBER_OPS: &[&str] = &["update_member", "remove_member"];
/// Operations that take a user `id`.
const USER_OPS: &[&str] = &[
    "get_user",
    "get_user_avatar",
    "deactivate_user",
    "reactivate_user",
];
/// Operations that take an upload `id`.
const UPLOAD_OPS: &[&str] = &["get_upload", "get_thumbnail"];

/// One set of links: from the answers `statuses` of operation `from` to
/// each of the operations `to`, with their parameters taken as `params`
/// say (runtime expressions), and optionally a request body.
struct Links {
    from: &'static str,
    statuses: &'static [&'static str],
    to: &'static [&'static str],
    params: &'static [(&'static str, &'static str)],
    body: Option<&'static [(&'static str, &'static str)]>,
}

const fn links(
    from: &'static str,
    statuses: &'static [&'static str],
    to: &'static [&'static str],
    params: &'static [(&'static str, &'static str)],
) -> Links {
    Links {
        from,
        statuses,
        to,
        params,
        body: None,
    }
}

/// The answer's own `id`, or the first listed one's.
const ID: &[(&str, &str)] = &[("id", "$response.body#/id")];
const FIRST_ID: &[(&str, &str)] = &[("id", "$response.body#/0/id")];
const SENT_MESSAGE: &[(&str, &str)] = &[
    ("id", "$response.body#/room_id"),
    ("message_id", "$response.body#/id"),
];
const LISTED_MESSAGE: &[(&str, &str)] = &[
    ("id", "$request.path.id"),
    ("message_id", "$response.body#/messages/0/id"),
];
const FIRST_MEMBER: &[(&str, &str)] = &[
    ("id", "$request.path.id"),
    ("user_id", "$response.body#/0/user/id"),
];
const UPDATED_MEMBER: &[(&str, &str)] = &[
    ("id", "$request.path.id"),
    ("user_id", "$response.body#/user/id"),
];
const SIGNED_IN_USER: &[(&str, &str)] = &[("id", "$response.body#/user/id")];
const REFRESH_TOKEN: &[(&str, &str)] = &[("refresh_token", "$response.body#/refresh_token")];

const TABLE: &[Links] = &[
    links("create_room", &["200", "201"], ROOM_OPS, ID),
    links("get_room", &["200"], ROOM_OPS, ID),
    links("join_room", &["200"], ROOM_OPS, ID),
    links("list_rooms", &["200"], ROOM_OPS, FIRST_ID),
    links("list_channels", &["200"], ROOM_OPS, FIRST_ID),
    links("send_message", &["200", "201"], MESSAGE_OPS, SENT_MESSAGE),
    links("get_message", &["200"], MESSAGE_OPS, SENT_MESSAGE),
    links("add_reaction", &["200"], MESSAGE_OPS, SENT_MESSAGE),
    links("pin_message", &["200"], MESSAGE_OPS, SENT_MESSAGE),
    links("list_messages", &["200"], MESSAGE_OPS, LISTED_MESSAGE),
    links("list_members", &["200"], MEMBER_OPS, FIRST_MEMBER),
    links("add_members", &["200"], MEMBER_OPS, FIRST_MEMBER),
    links("update_member", &["200"], MEMBER_OPS, UPDATED_MEMBER),
    links("register", &["201"], USER_OPS, SIGNED_IN_USER),
    links("login", &["200"], USER_OPS, SIGNED_IN_USER),
    links("get_me", &["200"], USER_OPS, ID),
    links("get_user", &["200"], USER_OPS, ID),
    links("search_users", &["200"], USER_OPS, FIRST_ID),
    links("list_sessions", &["200"], &["revoke_session"], FIRST_ID),
    links("create_upload", &["201"], UPLOAD_OPS, ID),
    Links {
        from: "register",
        statuses: &["201"],
        to: &["refresh", "logout"],
        params: &[],
        body: Some(REFRESH_TOKEN),
    },
    Links {
        from: "login",
        statuses: &["200"],
        to: &["refresh", "logout"],
        params: &[],
        body: Some(REFRESH_TOKEN),
    },
];

/// Adds the links to the served document. On its JSON rather than through
/// utoipa's `Link`, which serializes its fields in snake case
/// (`operation_id`), where OpenAPI has `operationId` and `requestBody`.
pub fn add_links(doc: &mut Value) {
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    let operations = paths
        .values_mut()
        .filter_map(Value::as_object_mut)
        .flat_map(|item| item.values_mut());
    for op in operations {
        let Some(id) = op.get("operationId").and_then(Value::as_str) else {
            continue;
        };
        let id = id.to_string();
        for set in TABLE.iter().filter(|set| set.from == id) {
            for status in set.statuses {
                let Some(response) = op
                    .pointer_mut(&format!("/responses/{status}"))
                    .and_then(Value::as_object_mut)
                else {
                    continue;
                };
                let links = response
                    .entry("links")
                    .or_insert_with(|| Value::Object(Map::new()));
                if let Some(links) = links.as_object_mut() {
                    for to in set.to {
                        links.insert(to.to_string(), link(set, to));
                    }
                }
            }
        }
    }
}

fn link(set: &Links, to: &str) -> Value {
    let pairs = |pairs: &[(&str, &str)]| -> Map<String, Value> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), Value::from(*v)))
            .collect()
    };
    let mut link = Map::new();
    link.insert("operationId".into(), Value::from(to));
    if !set.params.is_empty() {
        link.insert("parameters".into(), Value::Object(pairs(set.params)));
    }
    if let Some(body) = set.body {
        link.insert("requestBody".into(), Value::Object(pairs(body)));
    }
    Value::Object(link)
}

/// Every operation id the table names, for the test that they all exist.
#[cfg(test)]
pub fn named_operations() -> impl Iterator<Item = &'static str> {
    TABLE
        .iter()
        .flat_map(|set| std::iter::once(set.from).chain(set.to.iter().copied()))
}
