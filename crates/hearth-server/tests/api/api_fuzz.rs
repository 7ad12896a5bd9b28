//! Regression cases for what the schema-driven API fuzzer
//! (scripts/api-fuzz.sh) found: each a request it sent and the answer the
//! document promises.

use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::json;

/// A struct body sent as a JSON array of its fields (`[null, null]`) was
/// taken field by field and answered 200: every body is an object.
#[tokio::test]
async fn a_json_array_is_not_a_body() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    for (path, body) in [
        ("/api/v1/users/me", json!([null, null])),
        ("/api/v1/rooms", json!(["group", "name"])),
    ] {
        let method = if path.ends_with("/me") {
            reqwest::Method::PATCH
        } else {
            reqwest::Method::POST
        };
        let (status, answer) = app
            .request(method, path, Some(&ann.token), Some(body))
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}: {answer}");
        assert_eq!(answer["error"]["code"], "validation", "{answer}");
    }
}

/// The document says a password is at most 1024 characters; the server
/// counted bytes, so 1024 characters of `é` were refused.
#[tokio::test]
async fn a_password_is_bounded_in_characters_as_documented() {
    let app = spawn_app().await;
    let register =
        |username: &str, password: String| json!({"username": username, "password": password});
    let (status, answer) = app
        .request(
            reqwest::Method::POST,
            "/api/v1/auth/register",
            None,
            Some(register("ann", "é".repeat(1024))),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    let (status, answer) = app
        .request(
            reqwest::Method::POST,
            "/api/v1/auth/register",
            None,
            Some(register("bob", "x".repeat(1025))),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
}

/// The document's constraints: ids are UUIDs, the cross-cutting answers are
/// listed, the links lead from a created room to its operations.
#[tokio::test]
async fn the_document_describes_ids_common_errors_and_links() {
    let app = spawn_app().await;
    let doc: serde_json::Value = app
        .http
        .get(app.url("/api/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let get_room = &doc["paths"]["/api/v1/rooms/{id}"]["get"];
    assert_eq!(get_room["parameters"][0]["schema"]["format"], "uuid");
    for status in ["400", "401", "404", "429"] {
        assert!(get_room["responses"][status].is_object(), "{status}");
    }
    let created = &doc["paths"]["/api/v1/rooms"]["post"]["responses"]["201"]["links"];
    assert_eq!(created["send_message"]["operationId"], "send_message");
    assert_eq!(
        created["send_message"]["parameters"]["id"],
        "$response.body#/id"
    );
}

/// The stateful run removed a reaction in a room it had archived: 403
/// `room_archived`, which the room's operations did not document.
#[tokio::test]
async fn room_operations_document_403() {
    let app = spawn_app().await;
    let doc: serde_json::Value = app
        .http
        .get(app.url("/api/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let reaction = &doc["paths"]["/api/v1/rooms/{id}/messages/{message_id}/reactions/{emoji}"];
    for method in ["put", "delete"] {
        assert!(reaction[method]["responses"]["403"].is_object(), "{method}");
    }
}
