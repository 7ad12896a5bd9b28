//! The browser client, embedded from `web/` at compile time (debug builds
//! read the folder from disk, so edits show on reload).
//!
//! `index.html` is served uncached with `__HEARTH_VERSION__` replaced by a
//! hash of the assets; assets under `/v/{version}/…` are cached forever, so a
//! new build is picked up on the next page load and never mixed with an old one.
//! The page's import map names those versioned URLs, so it differs per build:
//! the page's `Content-Security-Policy` allows it, and no other inline script,
//! by its hash.
//!
//! The page also gets a `<link rel="modulepreload">` for every module under
//! `js/`, listed from the embedded assets, so the browser fetches the whole
//! module graph in one round instead of one round per level of imports; and
//! its stylesheets, listed one per component in `index.html`, are served as
//! one file (`css/all.css`, their concatenation in the page's order): over
//! HTTP/1.1 a browser opens six connections per host, so at a high round-trip
//! time the number of requests, not their size, sets the load time.

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

/// The entry module's tag; the preload links go in front of it.
const ENTRY_SCRIPT: &str = "<script type=\"module\"";

/// A stylesheet link of `index.html`, up to its `/v/{version}/` path.
const STYLESHEET_OPEN: &str = "<link rel=\"stylesheet\" href=\"/v/";
/// The one stylesheet the page links: the others, concatenated.
const ALL_STYLES: &str = "css/all.css";

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

/// `<link rel="modulepreload">` tags for every module under `js/`, in name order.
fn module_preloads(version: &str) -> String {
    let mut modules: Vec<_> = Assets::iter()
        .filter(|name| name.starts_with("js/") && name.ends_with(".js"))
        .collect();
    modules.sort();
    modules
        .iter()
        .map(|name| format!("<link rel=\"modulepreload\" href=\"/v/{version}/{name}\">\n  "))
        .collect()
}

/// The asset paths of the page's stylesheet links, in order, and the page
/// with those links taken out (and the first one's place marked by `at`).
fn stylesheets(html: &str) -> (Vec<String>, String, Option<usize>) {
    let mut names = Vec::new();
    let mut rest = String::with_capacity(html.len());
    let mut at = None;
    for line in html.split_inclusive('\n') {
        let link = line.trim();
        let name = link
            .strip_prefix(STYLESHEET_OPEN)
            .and_then(|l| l.strip_suffix("\">"))
            .and_then(|l| l.split_once('/'))
            .map(|(_, path)| path)
            .filter(|path| path.ends_with(".css") && !path.contains('"'));
        match name {
            Some(path) => {
                at.get_or_insert(rest.len());
                names.push(path.to_string());
            }
            None => rest.push_str(line),
        }
    }
    (names, rest, at)
}

/// The page's stylesheets in its order, as one file.
fn all_styles() -> Option<String> {
    let file = Assets::get("index.html")?;
    let (names, _, _) = stylesheets(&String::from_utf8_lossy(&file.data));
    let mut out = String::new();
    for name in names {
        let css = Assets::get(&name)?;
        out.push_str(&format!("/* {name} */\n"));
        out.push_str(&String::from_utf8_lossy(&css.data));
        out.push('\n');
    }
    Some(out)
}

/// `index.html` as served: the version filled in, one stylesheet link in
/// place of the page's list, and the module preloads.
fn page(template: &str, version: &str) -> String {
    let html = template.replace(VERSION_PLACEHOLDER, version);
    let (names, mut html, at) = stylesheets(&html);
    if let Some(at) = at.filter(|_| !names.is_empty()) {
        html.insert_str(
            at,
            &format!("  <link rel=\"stylesheet\" href=\"/v/{version}/{ALL_STYLES}\">\n"),
        );
    }
    match html.find(ENTRY_SCRIPT) {
        Some(at) => format!("{}{}{}", &html[..at], module_preloads(version), &html[at..]),
        None => html,
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
    let html = page(&String::from_utf8_lossy(&file.data), &version());
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
    if path == ALL_STYLES {
        return match all_styles() {
            Some(css) => (
                [
                    (header::CONTENT_TYPE, HeaderValue::from_static("text/css")),
                    (header::CACHE_CONTROL, HeaderValue::from_static(cache)),
                ],
                css,
            )
                .into_response(),
            None => StatusCode::NOT_FOUND.into_response(),
        };
    }
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

    #[test]
    fn the_served_page_preloads_every_module_before_the_entry_script() {
        let Some(file) = Assets::get("index.html") else {
            panic!("index.html is not embedded");
        };
        let html = page(&String::from_utf8_lossy(&file.data), "abc123");
        let entry = html.find(ENTRY_SCRIPT).unwrap_or(0);
        let modules: Vec<_> = Assets::iter()
            .filter(|n| n.starts_with("js/") && n.ends_with(".js"))
            .collect();
        assert!(modules.len() > 10, "{modules:?}");
        for name in modules {
            let link = format!("<link rel=\"modulepreload\" href=\"/v/abc123/{name}\">");
            let at = html.find(&link);
            assert!(
                at.is_some_and(|at| at < entry),
                "{link} missing or after the entry"
            );
        }
        // The preloads are plain links: the policy still allows only the import map inline.
        assert_eq!(page_policy(&html).matches("'sha256-").count(), 1);
    }

    #[test]
    fn the_served_page_links_one_stylesheet_holding_the_others_in_order() {
        let Some(file) = Assets::get("index.html") else {
            panic!("index.html is not embedded");
        };
        let template = String::from_utf8_lossy(&file.data);
        let html = page(&template, "abc123");
        assert_eq!(html.matches("rel=\"stylesheet\"").count(), 1, "{html}");
        assert!(html.contains("<link rel=\"stylesheet\" href=\"/v/abc123/css/all.css\">"));
        let (names, _, _) = stylesheets(&template.replace(VERSION_PLACEHOLDER, "abc123"));
        assert_eq!(names.first().map(String::as_str), Some("css/tokens.css"));
        assert!(names.len() > 10, "{names:?}");
        let all = all_styles().unwrap_or_default();
        let mut last = 0;
        for name in &names {
            let at = all.find(&format!("/* {name} */")).unwrap_or(0);
            assert!(at >= last, "{name} out of order");
            last = at;
        }
    }
}
