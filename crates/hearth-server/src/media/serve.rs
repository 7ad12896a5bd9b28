//! Answering a download: the blob's bytes with headers that keep the
//! browser from doing anything clever with them, conditional requests by
//! ETag (the content hash, so it never goes stale) and single byte ranges.
//!
//! Every answer carries `X-Content-Type-Options: nosniff`, a sandboxing
//! `Content-Security-Policy` and `Cross-Origin-Resource-Policy: same-origin`.
//! Only raster images (see [`super::sniff::is_safe_inline`]) are `inline`;
//! everything else, SVG and HTML included, is an `attachment`: opening its
//! URL downloads it rather than rendering it on our origin.

use super::blob::{BlobError, BlobKey, BlobStore};
use super::sniff::{content_disposition, is_safe_inline};
use crate::error::{ApiError, ApiResult};
use axum::body::Body;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use hearth_protocol::ErrorCode;
use std::ops::Range;

/// Uploads: always revalidated (access may have been lost since), which
/// costs a 304 when nothing changed.
pub const CACHE_REVALIDATE: &str = "private, no-cache";
/// Avatars: the URL names the version, so what it shows never changes.
pub const CACHE_IMMUTABLE: &str = "private, max-age=31536000, immutable";

/// What to serve.
pub struct Served<'a> {
    pub key: BlobKey,
    pub content_type: &'a str,
    /// Without quotes; must change whenever the bytes could.
    pub etag: String,
    pub filename: &'a str,
    /// The blob's size when known up front: then byte ranges are served.
    pub size: Option<u64>,
    pub cache_control: &'static str,
}

/// How a `Range` header applies to a blob of a given size.
#[derive(Debug, PartialEq, Eq)]
pub enum RangeAnswer {
    /// No range, several ranges, or one we do not understand: the whole blob.
    Full,
    Partial(Range<u64>),
    Unsatisfiable,
}

/// Parses a single `bytes=` range (RFC 9110 §14.1.2). Anything malformed is
/// ignored, as the RFC allows, and answered with the whole blob.
pub fn parse_range(header: &str, size: u64) -> RangeAnswer {
    let Some(spec) = header.trim().strip_prefix("bytes=") else {
        return RangeAnswer::Full;
    };
    if spec.contains(',') {
        return RangeAnswer::Full;
    }
    let Some((first, last)) = spec.split_once('-') else {
        return RangeAnswer::Full;
    };
    let number = |s: &str| s.trim().parse::<u64>().ok();
    match (first.trim().is_empty(), last.trim().is_empty()) {
        // bytes=-N: the last N bytes.
        (true, false) => match number(last) {
            Some(0) => RangeAnswer::Unsatisfiable,
            Some(_) if size == 0 => RangeAnswer::Unsatisfiable,
            Some(n) => RangeAnswer::Partial(size - n.min(size)..size),
            None => RangeAnswer::Full,
        },
        // bytes=N-: from N to the end.
        (false, true) => match number(first) {
            Some(start) if start >= size => RangeAnswer::Unsatisfiable,
            Some(start) => RangeAnswer::Partial(start..size),
            None => RangeAnswer::Full,
        },
        (false, false) => match (number(first), number(last)) {
            (Some(start), Some(end)) if end < start => RangeAnswer::Full,
            (Some(start), Some(_)) if start >= size => RangeAnswer::Unsatisfiable,
            (Some(start), Some(end)) => {
                RangeAnswer::Partial(start..end.saturating_add(1).min(size))
            }
            _ => RangeAnswer::Full,
        },
        (true, true) => RangeAnswer::Full,
    }
}

/// Whether an `If-None-Match` list names `etag` (quoted), weakly compared.
fn none_match(header: &str, etag: &str) -> bool {
    header
        .split(',')
        .map(|t| t.trim().trim_start_matches("W/"))
        .any(|t| t == "*" || t == etag)
}

fn header_str(headers: &HeaderMap, name: HeaderName) -> Option<&str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// Headers every answer about this blob carries (304 and 416 included).
fn common_headers(served: &Served<'_>, etag: &str) -> Vec<(HeaderName, String)> {
    vec![
        (header::ETAG, etag.to_string()),
        (header::CACHE_CONTROL, served.cache_control.to_string()),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_string()),
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; style-src 'unsafe-inline'; sandbox".to_string(),
        ),
        (
            HeaderName::from_static("cross-origin-resource-policy"),
            "same-origin".to_string(),
        ),
    ]
}

fn with_headers(mut response: Response, headers: Vec<(HeaderName, String)>) -> Response {
    for (name, value) in headers {
        match HeaderValue::from_str(&value) {
            Ok(v) => {
                response.headers_mut().insert(name, v);
            }
            Err(e) => tracing::warn!(header = %name, error = %e, "header value dropped"),
        }
    }
    response
}

/// Answers a GET (or HEAD) for `served`, honouring `If-None-Match`,
/// `Range` and `If-Range` in `request`.
pub async fn respond(
    blobs: &dyn BlobStore,
    request: &HeaderMap,
    served: Served<'_>,
) -> ApiResult<Response> {
    let etag = format!("\"{}\"", served.etag);
    let mut headers = common_headers(&served, &etag);
    if header_str(request, header::IF_NONE_MATCH).is_some_and(|h| none_match(h, &etag)) {
        return Ok(with_headers(
            StatusCode::NOT_MODIFIED.into_response(),
            headers,
        ));
    }
    // A range only applies to the version the client already holds part of.
    let range_applies = header_str(request, header::IF_RANGE).is_none_or(|v| v.trim() == etag);
    let answer = match (served.size, header_str(request, header::RANGE)) {
        (Some(size), Some(range)) if range_applies => parse_range(range, size),
        _ => RangeAnswer::Full,
    };
    let range = match answer {
        RangeAnswer::Full => None,
        RangeAnswer::Partial(r) => Some(r),
        RangeAnswer::Unsatisfiable => {
            let size = served.size.unwrap_or(0);
            headers.push((header::CONTENT_RANGE, format!("bytes */{size}")));
            let error = ApiError::new(
                ErrorCode::InvalidParameter,
                format!("range not satisfiable: the file has {size} bytes"),
            );
            let mut response = error.into_response();
            *response.status_mut() = StatusCode::RANGE_NOT_SATISFIABLE;
            return Ok(with_headers(response, headers));
        }
    };
    let read = match blobs.get(&served.key, range.clone()).await {
        Ok(read) => read,
        Err(BlobError::NotFound) => {
            return Err(ApiError::internal(anyhow::anyhow!(
                "blob {} is missing",
                served.key
            )));
        }
        Err(e) => return Err(e.into()),
    };
    let content_type = match served.content_type {
        "text/plain" => "text/plain; charset=utf-8",
        other => other,
    };
    headers.push((header::CONTENT_TYPE, content_type.to_string()));
    headers.push((
        header::CONTENT_DISPOSITION,
        content_disposition(is_safe_inline(served.content_type), served.filename),
    ));
    let status = match &range {
        Some(r) => {
            headers.push((
                header::CONTENT_RANGE,
                format!(
                    "bytes {}-{}/{}",
                    r.start,
                    r.end.saturating_sub(1),
                    read.size
                ),
            ));
            headers.push((header::CONTENT_LENGTH, (r.end - r.start).to_string()));
            StatusCode::PARTIAL_CONTENT
        }
        None => {
            headers.push((header::CONTENT_LENGTH, read.size.to_string()));
            StatusCode::OK
        }
    };
    if served.size.is_some() {
        headers.push((header::ACCEPT_RANGES, "bytes".to_string()));
    }
    let response = (status, Body::from_stream(read.stream)).into_response();
    Ok(with_headers(response, headers))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_ranges_are_parsed_and_clamped() {
        use RangeAnswer::*;
        assert_eq!(parse_range("bytes=0-9", 100), Partial(0..10));
        assert_eq!(parse_range("bytes=90-200", 100), Partial(90..100));
        assert_eq!(parse_range("bytes=95-", 100), Partial(95..100));
        assert_eq!(parse_range("bytes=-10", 100), Partial(90..100));
        assert_eq!(parse_range("bytes=-500", 100), Partial(0..100));
        assert_eq!(parse_range("bytes=100-", 100), Unsatisfiable);
        assert_eq!(parse_range("bytes=100-200", 100), Unsatisfiable);
        assert_eq!(parse_range("bytes=-0", 100), Unsatisfiable);
        assert_eq!(parse_range("bytes=0-1,5-6", 100), Full);
        assert_eq!(parse_range("bytes=9-1", 100), Full);
        assert_eq!(parse_range("items=0-1", 100), Full);
        assert_eq!(parse_range("bytes=x-1", 100), Full);
    }

    #[test]
    fn if_none_match_lists_are_compared_weakly() {
        assert!(none_match("\"abc\"", "\"abc\""));
        assert!(none_match("\"x\", W/\"abc\"", "\"abc\""));
        assert!(none_match("*", "\"abc\""));
        assert!(!none_match("\"abcd\"", "\"abc\""));
    }
}
