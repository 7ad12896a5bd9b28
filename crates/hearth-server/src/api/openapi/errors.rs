//! The error answers every operation shares, added to the document in one
//! place because they come from the extractors and layers around the
//! handlers rather than from the handlers: 400 for a malformed path, query
//! or body; 401 from the bearer-token check; 404 for an id that names
//! nothing the caller may see; 403 in a room where the caller's standing or
//! the room's state (archived, banned, muted) forbids the action; 413 for an
//! oversized body; 429 from the rate limits. A handler documents the answers of its own rules (403, 409, …).

use utoipa::Modify;
use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::schema::Ref;
use utoipa::openapi::{Content, OpenApi, RefOr, Response};

pub struct CommonErrors;

impl Modify for CommonErrors {
    fn modify(&self, openapi: &mut OpenApi) {
        for (path, item) in openapi.paths.paths.iter_mut() {
            let in_api = path.starts_with("/api/v1/");
            for op in [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ]
            .into_iter()
            .flatten()
            {
                add_common_errors(op, in_api, path.starts_with("/api/v1/rooms/{id}"));
            }
        }
    }
}

fn add_common_errors(op: &mut Operation, in_api: bool, in_room: bool) {
    let params = op.parameters.as_deref().unwrap_or_default();
    let has_path_id = params
        .iter()
        .any(|p| matches!(p.parameter_in, ParameterIn::Path));
    let has_input = !params.is_empty() || op.request_body.is_some();
    let secured = op.security.as_ref().is_some_and(|s| !s.is_empty());
    let mut add = |status: &str, description: &str, when: bool| {
        if when {
            op.responses
                .responses
                .entry(status.to_string())
                .or_insert_with(|| error(description));
        }
    };
    add("400", "A path, query or body value is malformed", has_input);
    add(
        "401",
        "No access token, or a bad, expired or revoked one",
        secured,
    );
    add(
        "403",
        "Beyond the caller's role or standing here, or the room is archived",
        in_room,
    );
    add("404", "Unknown, or not visible to the caller", has_path_id);
    add("413", "The body is too large", op.request_body.is_some());
    add(
        "429",
        "Too many requests; retry after the given delay",
        in_api,
    );
}

fn error(description: &str) -> RefOr<Response> {
    let mut response = Response::new(description);
    response.content.insert(
        "application/json".to_string(),
        Content::new(Some(Ref::from_schema_name("ErrorBody"))),
    );
    RefOr::T(response)
}
