//! The browser client, embedded from `web/` at compile time (debug builds
//! read the folder from disk, so edits show on reload).
//!
//! `index.html` is served uncached with `__HEARTH_VERSION__` replaced by a
//! hash of the assets; assets under `/v/{version}/…` are cached forever, so a
//! new build is picked up on the next page load and never mixed with an old one.
//! The page's import map names those versioned URLs, so it differs per build:
//! the page's `Content-Security-Policy` allows it, and no other inline script,
//! by its hash.

use crate::error::ApiError;
use crate::state::AppState;
use axum::Router;
use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use base64::Engine;
use hearth_protocol::ErrorCode;
use rust_embed::RustEmbed;
use sha2::{Digest, Sha256};
use std::sync::OnceLock;

#[derive(RustEmbed)]
#[folder = "$CARGO_MANIFEST_DIR/../../web"]
#[exclude = "*.md"]
struct Assets;

const VERSION_PLACEHOLDER: &str = "__HEARTH_VERSION__";

const IMPORT_MAP_OPEN: &str = "<script type=\"importmap\">";

/// The `Content-Security-Policy` of every response (app.rs sets it). The
/// page itself adds its import map's hash to `script-src` (see
/// [`page_policy`]).
pub const APP_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
     img-src 'self' data: blob:; media-src 'self' blob:; connect-src 'self'; \
     frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/// Where the page's inline-script hashes go in [`APP_POLICY`].
const SCRIPT_SRC: &str = "script-src 'self'";

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(index))
        .route("/v/{version}/{*path}", get(versioned_asset))
        .fallback(get(asset_or_index))
}

/// A short hash of every asset's content.
fn version() -> String {
    fn compute() -> String {
        let mut hasher = Sha256::new();
        let mut names: Vec<_> = Assets::iter().collect();
        names.sort();
        for name in names {
            if let Some(file) = Assets::get(&name) {
                hasher.update(name.as_bytes());
                hasher.update(file.metadata.sha256_hash());
            }
        }
        hex::encode(&hasher.finalize()[..6])
    }
    static VERSION: OnceLock<String> = OnceLock::new();
    if cfg!(debug_assertions) {
        compute()
    } else {
        VERSION.get_or_init(compute).clone()
    }
}

async fn index() -> Response {
    let Some(file) = Assets::get("index.html") else {
        return (
            StatusCode::NOT_FOUND,
            "web client not built into this binary",
        )
            .into_response();
    };
    let html = String::from_utf8_lossy(&file.data).replace(VERSION_PLACEHOLDER, &version());
    let policy = HeaderValue::from_str(&page_policy(&html));
    let mut response = (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        ],
        html,
    )
        .into_response();
    // Without it the app-wide policy applies, which blocks the import map.
    if let Ok(policy) = policy {
        response
            .headers_mut()
            .insert(header::CONTENT_SECURITY_POLICY, policy);
    }
    response
}

/// The text of the page's `<script type="importmap">`, exactly as the browser hashes it.
fn import_map(html: &str) -> Option<&str> {
    let start = html.find(IMPORT_MAP_OPEN)? + IMPORT_MAP_OPEN.len();
    let len = html[start..].find("</script>")?;
    Some(&html[start..start + len])
}

/// The page's policy: the app-wide one, with the import map allowed by its hash.
fn page_policy(html: &str) -> String {
    let hashes = import_map(html)
        .map(|map| {
            let digest = Sha256::digest(map.as_bytes());
            let hash = base64::engine::general_purpose::STANDARD.encode(digest);
            format!(" 'sha256-{hash}'")
        })
        .unwrap_or_default();
    APP_POLICY.replacen(SCRIPT_SRC, &format!("{SCRIPT_SRC}{hashes}"), 1)
}

fn serve_asset(path: &str, cache: &'static str) -> Option<Response> {
    let file = Assets::get(path)?;
    let mime = mime_guess::from_path(path).first_or_octet_stream();
    let content_type = HeaderValue::from_str(mime.as_ref())
        .unwrap_or(HeaderValue::from_static("application/octet-stream"));
    Some(
        (
            [
                (header::CONTENT_TYPE, content_type),
                (header::CACHE_CONTROL, HeaderValue::from_static(cache)),
            ],
            file.data.into_owned(),
        )
            .into_response(),
    )
}

async fn versioned_asset(Path((version_in_url, path)): Path<(String, String)>) -> Response {
    // An old version's URL still gets today's file, but is not cached forever.
    let cache = if version_in_url == version() {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    serve_asset(&path, cache).unwrap_or_else(|| StatusCode::NOT_FOUND.into_response())
}

async fn asset_or_index(uri: Uri) -> Response {
    let path = uri.path().trim_start_matches('/');
    if path.starts_with("api/") || path == "api" {
        return ApiError::new(ErrorCode::NotFound, "no such API endpoint").into_response();
    }
    if let Some(r) = serve_asset(path, "no-cache") {
        return r;
    }
    // Client-side routes load the app.
    index().await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_allows_its_import_map_by_hash_and_nothing_else_inline() {
        let html = "<head><script type=\"importmap\">{\"imports\": {}}</script></head>";
        let policy = page_policy(html);
        // echo -n '{"imports": {}}' | openssl dgst -sha256 -binary | base64
        assert!(
            policy.contains(
                "script-src 'self' 'sha256-CJt/FpW3RQlGvqBeO/YK74xrTm1ctS6rLMJu1bV4fMc='; "
            ),
            "{policy}"
        );
        assert!(!policy.contains("unsafe-inline"));
    }

    #[test]
    fn a_page_without_an_import_map_allows_no_inline_script() {
        let policy = page_policy("<head></head>");
        assert!(policy.contains("script-src 'self'; "), "{policy}");
    }

    #[test]
    fn the_served_page_has_an_import_map_naming_versioned_urls() {
        let Some(file) = Assets::get("index.html") else {
            panic!("index.html is not embedded");
        };
        let html = String::from_utf8_lossy(&file.data).replace(VERSION_PLACEHOLDER, "abc123");
        let map = import_map(&html).unwrap_or_default();
        assert!(map.contains("\"/v/abc123/js/"), "{map}");
        assert!(!map.contains(VERSION_PLACEHOLDER));
    }
}
