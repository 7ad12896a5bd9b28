//! Files and media: uploads, downloads (types, ranges, ETags), thumbnails,
//! avatars, voice messages, attachments and who may see them, clean-up,
//! and the S3 backend against a real S3-compatible server.

use crate::helpers::*;
use hearth_protocol::dto::Attachment;
use hearth_server::media::cleanup::sweep_orphans;
use image::{DynamicImage, ImageFormat, Rgb, RgbImage};
use reqwest::StatusCode;
use reqwest::header::{self, HeaderMap};
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use time::OffsetDateTime;

/// A minimal Ogg page header: enough for the sniffer to see Ogg audio.
const OGG: &[u8] = b"OggS\x00\x02\x00\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x13OpusHead\x01\x01";
/// The start of a WebM (EBML) file; see [`webm`].
const WEBM_HEAD: &[u8] = b"\x1a\x45\xdf\xa3\x01\x00\x00\x00\x00\x00\x00\x1f\x42\x86\x81\x01\x42\xf7\x81\x01\x42\xf2\x81\x04\x42\xf3\x81\x08\x42\x82\x84webm\x42\x87\x81\x04";
const PDF: &[u8] =
    b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";

/// A WebM file as long as a sniffer needs (it looks 256 bytes in).
fn webm() -> Vec<u8> {
    let mut bytes = WEBM_HEAD.to_vec();
    bytes.resize(400, 0);
    bytes
}

fn png(width: u32, height: u32) -> Vec<u8> {
    let img = DynamicImage::ImageRgb8(RgbImage::from_fn(width, height, |x, y| {
        Rgb([(x % 256) as u8, (y % 256) as u8, 99])
    }));
    let mut out = Vec::new();
    img.write_to(&mut std::io::Cursor::new(&mut out), ImageFormat::Png)
        .unwrap();
    out
}

/// A JPEG with an EXIF segment carrying a recognisable "GPS position".
fn jpeg_with_exif(width: u32, height: u32) -> Vec<u8> {
    let img = DynamicImage::ImageRgb8(RgbImage::from_pixel(width, height, Rgb([10, 120, 200])));
    let mut plain = Vec::new();
    img.write_to(&mut std::io::Cursor::new(&mut plain), ImageFormat::Jpeg)
        .unwrap();
    // APP1 "Exif": a big-endian TIFF header with an empty IFD, then a marker.
    let mut payload = b"Exif\0\0MM\0\x2a\0\0\0\x08\0\0\0\0\0\0".to_vec();
    payload.extend_from_slice(b"GPS-52.5200N-13.4050E");
    let len = u16::try_from(payload.len() + 2).unwrap().to_be_bytes();
    let mut out = plain[..2].to_vec();
    out.extend_from_slice(&[0xff, 0xe1, len[0], len[1]]);
    out.extend_from_slice(&payload);
    out.extend_from_slice(&plain[2..]);
    out
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Uploads `bytes` as `filename`, with extra text fields.
async fn upload_with(
    app: &TestApp,
    user: &TestUser,
    filename: &str,
    bytes: &[u8],
    fields: &[(&str, &str)],
) -> (StatusCode, Value) {
    let mut form = Form::new();
    for (name, value) in fields {
        form = form.text(name.to_string(), value.to_string());
    }
    let part = Part::bytes(bytes.to_vec()).file_name(filename.to_string());
    // The client's claimed type is a lie on purpose: the server must not care.
    let part = part.mime_str("image/png").unwrap();
    form = form.part("file", part);
    send_form(app, user, form).await
}

async fn send_form(app: &TestApp, user: &TestUser, form: Form) -> (StatusCode, Value) {
    let req = app
        .http
        .post(app.url("/api/v1/uploads"))
        .bearer_auth(&user.token)
        .multipart(form);
    let res = tokio::time::timeout(TIMEOUT, req.send())
        .await
        .expect("upload timed out")
        .expect("upload failed");
    let status = res.status();
    let text = res.text().await.unwrap_or_default();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

/// Uploads and expects 201; returns the upload.
async fn upload(app: &TestApp, user: &TestUser, filename: &str, bytes: &[u8]) -> Attachment {
    let (status, body) = upload_with(app, user, filename, bytes, &[]).await;
    assert_eq!(status, StatusCode::CREATED, "upload {filename}: {body}");
    decode(body)
}

struct Fetched {
    status: StatusCode,
    headers: HeaderMap,
    body: Vec<u8>,
}

impl Fetched {
    fn header(&self, name: header::HeaderName) -> &str {
        self.headers
            .get(&name)
            .map(|v| v.to_str().unwrap())
            .unwrap_or("")
    }
}

/// GETs `path` with an optional token and extra request headers.
async fn fetch(
    app: &TestApp,
    path: &str,
    token: Option<&str>,
    extra: &[(header::HeaderName, &str)],
) -> Fetched {
    let mut req = app.http.get(app.url(path));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    for (name, value) in extra {
        req = req.header(name.clone(), *value);
    }
    let res = tokio::time::timeout(TIMEOUT, req.send())
        .await
        .expect("GET timed out")
        .expect("GET failed");
    let status = res.status();
    let headers = res.headers().clone();
    let body = res.bytes().await.unwrap().to_vec();
    Fetched {
        status,
        headers,
        body,
    }
}

/// Every file under `dir`, recursively.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for entry in entries {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            out.push(path);
        }
    }
    out
}

fn uploads_dir(app: &TestApp, kind: &str) -> PathBuf {
    app.state.config.data_dir.join("uploads").join(kind)
}

#[tokio::test]
async fn an_upload_round_trips_with_its_sniffed_type_and_safe_headers() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bytes = b"meeting notes\n- ship uploads\n".to_vec();
    let up = upload(&app, &alice, "../../notes\u{202E}txt.exe", &bytes).await;
    assert_eq!(
        up.filename, "notestxt.exe",
        "path and bidi override stripped"
    );
    assert_eq!(
        up.content_type, "text/plain",
        "sniffed, not the client's image/png"
    );
    assert_eq!(up.size, bytes.len() as i64);
    assert_eq!(up.url, format!("/api/v1/uploads/{}", up.id));
    assert!(up.thumbnail_url.is_none() && up.width.is_none(), "{up:?}");

    let got = fetch(&app, &up.url, Some(&alice.token), &[]).await;
    assert_eq!(got.status, StatusCode::OK);
    assert_eq!(got.body, bytes);
    assert_eq!(
        got.header(header::CONTENT_TYPE),
        "text/plain; charset=utf-8"
    );
    assert_eq!(got.header(header::X_CONTENT_TYPE_OPTIONS), "nosniff");
    assert!(
        got.header(header::CONTENT_DISPOSITION)
            .starts_with("attachment; filename=\"notestxt.exe\"")
    );
    assert_eq!(
        got.header(header::ETAG),
        format!("\"{}\"", sha256_hex(&bytes))
    );
    assert_eq!(got.header(header::ACCEPT_RANGES), "bytes");
    assert!(
        got.header(header::CONTENT_SECURITY_POLICY)
            .contains("sandbox")
    );

    // Far past the 64 KiB limit of JSON bodies: uploads have their own.
    let big: Vec<u8> = (0..300_000u32).map(|i| (i % 253) as u8).collect();
    let up_big = upload(&app, &alice, "big.bin", &big).await;
    assert_eq!(up_big.size, 300_000);
    let got_big = fetch(&app, &up_big.url, Some(&alice.token), &[]).await;
    assert_eq!(got_big.body, big);

    // Without a token there is nothing to see.
    let anonymous = fetch(&app, &up.url, None, &[]).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    // Malformed forms are 400s in our error shape.
    let (s, b) = send_form(&app, &alice, Form::new().text("duration_ms", "5")).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "no file: {b}");
    let (s, b) = upload_with(&app, &alice, "x.txt", b"", &[]).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "empty file: {b}");
    let (s, b) = upload_with(&app, &alice, "x.txt", b"x", &[("colour", "blue")]).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "unknown field: {b}");
    let (s, b) = app
        .post("/api/v1/uploads", &alice.token, json!({"file": "x"}))
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "not multipart: {b}");
    assert_eq!(error_code(&b), ErrorCode::InvalidBody);

    // The routes are in the OpenAPI document.
    let (_, doc) = app
        .request(reqwest::Method::GET, "/api/openapi.json", None, None)
        .await;
    for path in [
        "/api/v1/uploads",
        "/api/v1/uploads/{id}",
        "/api/v1/uploads/{id}/thumbnail",
        "/api/v1/users/{id}/avatar",
        "/api/v1/rooms/{id}/avatar",
    ] {
        assert!(
            doc["paths"].get(path).is_some(),
            "{path} missing from OpenAPI"
        );
    }
}

#[tokio::test]
async fn identical_bytes_are_stored_once_under_two_upload_ids() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let bytes = PDF.to_vec();
    let first = upload(&app, &alice, "report.pdf", &bytes).await;
    let second = upload(&app, &bob, "copy of report.pdf", &bytes).await;
    assert_ne!(first.id, second.id);
    assert_eq!(first.content_type, "application/pdf");
    assert_eq!(second.filename, "copy of report.pdf");
    let originals = files_under(&uploads_dir(&app, "originals"));
    assert_eq!(originals.len(), 1, "{originals:?}");
    assert_eq!(
        originals[0].file_name().unwrap().to_str().unwrap(),
        sha256_hex(&bytes)
    );
    // Each user sees their own upload, not the other's.
    assert_eq!(
        fetch(&app, &first.url, Some(&alice.token), &[]).await.body,
        bytes
    );
    assert_eq!(
        fetch(&app, &second.url, Some(&alice.token), &[])
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert!(
        files_under(&uploads_dir(&app, "tmp")).is_empty(),
        "staging is left clean"
    );
}

#[tokio::test]
async fn uploads_over_the_size_limit_are_refused_with_413() {
    let app = spawn_app_with(|c| c.limits.max_upload_bytes = 4096).await;
    let alice = app.register("alice").await;
    let (s, b) = upload_with(&app, &alice, "ok.bin", &[7u8; 4096], &[]).await;
    assert_eq!(s, StatusCode::CREATED, "exactly the limit is fine: {b}");
    // A declared length over the limit is refused before the body is read.
    let (s, b) = upload_with(&app, &alice, "big.bin", &[7u8; 40_000], &[]).await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE, "{b}");
    assert_eq!(error_code(&b), ErrorCode::PayloadTooLarge);
    // A streamed body of unknown length is cut off as soon as it passes it.
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
        (0..5).map(|_| Ok(vec![1u8; 1024])).collect();
    let part = Part::stream(reqwest::Body::wrap_stream(futures_util::stream::iter(
        chunks,
    )))
    .file_name("stream.bin");
    let (s, b) = send_form(&app, &alice, Form::new().part("file", part)).await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE, "{b}");
    assert!(
        files_under(&uploads_dir(&app, "tmp")).is_empty(),
        "the partial file is deleted"
    );
    assert_eq!(files_under(&uploads_dir(&app, "originals")).len(), 1);
}

#[tokio::test]
async fn markup_is_never_served_as_markup() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let html = b"<!DOCTYPE html><html><body><script>alert(document.domain)</script></body></html>";
    let up = upload(&app, &alice, "cat.png", html).await;
    assert_eq!(up.content_type, "text/plain");
    assert!(up.thumbnail_url.is_none());
    let got = fetch(&app, &up.url, Some(&alice.token), &[]).await;
    assert_eq!(got.status, StatusCode::OK);
    assert!(
        !got.header(header::CONTENT_TYPE).contains("html"),
        "{:?}",
        got.headers
    );
    assert!(
        got.header(header::CONTENT_DISPOSITION)
            .starts_with("attachment")
    );
    assert_eq!(got.header(header::X_CONTENT_TYPE_OPTIONS), "nosniff");

    let svg = b"<?xml version=\"1.0\"?><svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>";
    let up = upload(&app, &alice, "logo.svg", svg).await;
    assert_eq!(up.content_type, "image/svg+xml");
    assert!(
        up.thumbnail_url.is_none(),
        "SVG is not treated as a safe image"
    );
    let got = fetch(&app, &up.url, Some(&alice.token), &[]).await;
    assert!(
        got.header(header::CONTENT_DISPOSITION)
            .starts_with("attachment"),
        "{:?}",
        got.headers
    );
    assert!(
        got.header(header::CONTENT_SECURITY_POLICY)
            .contains("sandbox")
    );
    // A real image is shown inline.
    let up = upload(&app, &alice, "pixel.png", &png(2, 2)).await;
    let got = fetch(&app, &up.url, Some(&alice.token), &[]).await;
    assert_eq!(got.header(header::CONTENT_TYPE), "image/png");
    assert!(
        got.header(header::CONTENT_DISPOSITION)
            .starts_with("inline")
    );
}

#[tokio::test]
async fn byte_ranges_and_etags_are_honoured() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bytes: Vec<u8> = (0..1000u32).map(|i| (i % 251) as u8).collect();
    let up = upload(&app, &alice, "data.bin", &bytes).await;
    let url = &up.url;
    let token = Some(alice.token.as_str());

    let part = fetch(&app, url, token, &[(header::RANGE, "bytes=100-199")]).await;
    assert_eq!(part.status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(part.header(header::CONTENT_RANGE), "bytes 100-199/1000");
    assert_eq!(part.header(header::CONTENT_LENGTH), "100");
    assert_eq!(part.body, bytes[100..200]);
    let tail = fetch(&app, url, token, &[(header::RANGE, "bytes=-10")]).await;
    assert_eq!(tail.status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(tail.body, bytes[990..]);
    let open = fetch(&app, url, token, &[(header::RANGE, "bytes=900-")]).await;
    assert_eq!(open.header(header::CONTENT_RANGE), "bytes 900-999/1000");
    let beyond = fetch(&app, url, token, &[(header::RANGE, "bytes=1000-")]).await;
    assert_eq!(beyond.status, StatusCode::RANGE_NOT_SATISFIABLE);
    assert_eq!(beyond.header(header::CONTENT_RANGE), "bytes */1000");
    let several = fetch(&app, url, token, &[(header::RANGE, "bytes=0-1,5-6")]).await;
    assert_eq!(
        (several.status, several.body.len()),
        (StatusCode::OK, 1000),
        "multiple ranges: whole file"
    );

    let etag = format!("\"{}\"", sha256_hex(&bytes));
    let cached = fetch(&app, url, token, &[(header::IF_NONE_MATCH, &etag)]).await;
    assert_eq!(cached.status, StatusCode::NOT_MODIFIED);
    assert!(cached.body.is_empty());
    assert_eq!(cached.header(header::ETAG), etag);
    let listed = fetch(
        &app,
        url,
        token,
        &[(header::IF_NONE_MATCH, &format!("\"other\", W/{etag}"))],
    )
    .await;
    assert_eq!(listed.status, StatusCode::NOT_MODIFIED);
    let stale = fetch(&app, url, token, &[(header::IF_NONE_MATCH, "\"other\"")]).await;
    assert_eq!(stale.status, StatusCode::OK);
    // If-Range with another version: the whole (current) file instead.
    let changed = fetch(
        &app,
        url,
        token,
        &[
            (header::RANGE, "bytes=0-9"),
            (header::IF_RANGE, "\"other\""),
        ],
    )
    .await;
    assert_eq!((changed.status, changed.body.len()), (StatusCode::OK, 1000));
    let same = fetch(
        &app,
        url,
        token,
        &[(header::RANGE, "bytes=0-9"), (header::IF_RANGE, &etag)],
    )
    .await;
    assert_eq!(
        (same.status, same.body.len()),
        (StatusCode::PARTIAL_CONTENT, 10)
    );
}

#[tokio::test]
async fn images_get_dimensions_and_a_thumbnail_without_metadata() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let up = upload(&app, &alice, "wide.png", &png(1200, 600)).await;
    assert_eq!(
        (up.content_type.as_str(), up.width, up.height),
        ("image/png", Some(1200), Some(600))
    );
    let thumb_url = up.thumbnail_url.as_deref().unwrap();
    assert_eq!(thumb_url, format!("/api/v1/uploads/{}/thumbnail", up.id));
    let thumb = fetch(&app, thumb_url, Some(&alice.token), &[]).await;
    assert_eq!(thumb.status, StatusCode::OK);
    assert_eq!(thumb.header(header::CONTENT_TYPE), "image/jpeg");
    assert!(
        thumb
            .header(header::CONTENT_DISPOSITION)
            .starts_with("inline")
    );
    let img = image::load_from_memory(&thumb.body).unwrap();
    assert_eq!((img.width(), img.height()), (480, 240));
    let etag = thumb.header(header::ETAG).to_string();
    let again = fetch(
        &app,
        thumb_url,
        Some(&alice.token),
        &[(header::IF_NONE_MATCH, &etag)],
    )
    .await;
    assert_eq!(again.status, StatusCode::NOT_MODIFIED);

    let tall = upload(&app, &alice, "tall.jpg", &jpeg_with_exif(300, 1000)).await;
    assert_eq!(tall.content_type, "image/jpeg");
    assert_eq!((tall.width, tall.height), (Some(300), Some(1000)));
    let original = fetch(&app, &tall.url, Some(&alice.token), &[]).await;
    assert!(
        contains(&original.body, b"GPS-52.5200N"),
        "the original is served as uploaded"
    );
    let thumb = fetch(
        &app,
        tall.thumbnail_url.as_deref().unwrap(),
        Some(&alice.token),
        &[],
    )
    .await;
    let img = image::load_from_memory(&thumb.body).unwrap();
    assert_eq!((img.width(), img.height()), (144, 480));
    assert!(
        !contains(&thumb.body, b"Exif") && !contains(&thumb.body, b"GPS-52"),
        "thumbnails carry no EXIF"
    );

    // Corrupt image data is refused, not stored.
    let mut broken = png(50, 50);
    broken.truncate(60);
    let (s, b) = upload_with(&app, &alice, "broken.png", &broken, &[]).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{b}");
    // Files that are not images have no thumbnail.
    let doc = upload(&app, &alice, "doc.pdf", PDF).await;
    let none = fetch(
        &app,
        &format!("/api/v1/uploads/{}/thumbnail", doc.id),
        Some(&alice.token),
        &[],
    )
    .await;
    assert_eq!(none.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn voice_messages_carry_a_validated_duration_and_waveform() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let (s, voice) = upload_with(
        &app,
        &alice,
        "voice.ogg",
        OGG,
        &[
            ("duration_ms", "4250"),
            ("waveform", "[0, 12, 255, 128, 64]"),
        ],
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{voice}");
    assert_eq!(voice["content_type"], "audio/ogg");
    assert_eq!(voice["duration_ms"], 4250);
    assert_eq!(voice["waveform"], json!([0, 12, 255, 128, 64]));
    // A browser's WebM recording is audio when it comes as a voice message.
    let (s, webm) = upload_with(
        &app,
        &alice,
        "voice.webm",
        &webm(),
        &[("duration_ms", "900")],
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{webm}");
    assert_eq!(webm["content_type"], "audio/webm");
    assert!(webm.get("waveform").is_none());
    let full = format!("[{}]", vec!["9"; 256].join(","));
    let (s, b) = upload_with(&app, &alice, "voice.ogg", OGG, &[("waveform", &full)]).await;
    assert_eq!(s, StatusCode::CREATED, "256 samples are fine: {b}");

    let too_long = format!("[{}]", vec!["9"; 257].join(","));
    let bad: [(&str, &str); 7] = [
        ("waveform", &too_long),
        ("waveform", "[0, 256]"),
        ("waveform", "[-1]"),
        ("waveform", "not json"),
        ("waveform", "[]"),
        ("duration_ms", "0"),
        ("duration_ms", "soon"),
    ];
    for (field, value) in bad {
        let (s, b) = upload_with(&app, &alice, "voice.ogg", OGG, &[(field, value)]).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{field}={value}: {b}");
        assert_eq!(error_code(&b), ErrorCode::Validation);
    }
    let (s, b) = upload_with(
        &app,
        &alice,
        "pic.png",
        &png(4, 4),
        &[("duration_ms", "1000")],
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "voice fields need audio: {b}");
    let (s, b) = upload_with(
        &app,
        &alice,
        "voice.ogg",
        OGG,
        &[("duration_ms", "1"), ("duration_ms", "2")],
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "duplicate field: {b}");
}

#[tokio::test]
async fn attachments_are_shown_to_members_and_hidden_from_everyone_else() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let carol = app.register("carol").await;
    let room = app
        .create_room(&alice, RoomKind::Group, "team", &[&bob])
        .await
        .id;
    let mut bob_ws = app.ws(&bob).await;

    let photo = upload(&app, &alice, "photo.png", &png(800, 400)).await;
    let doc = upload(&app, &alice, "plan.pdf", PDF).await;
    let (_, voice) = upload_with(
        &app,
        &alice,
        "voice.ogg",
        OGG,
        &[("duration_ms", "3000"), ("waveform", "[1,2,3]")],
    )
    .await;
    let voice: Attachment = decode(voice);
    let ids = [photo.id, doc.id, voice.id];
    let path = format!("/api/v1/rooms/{room}/messages");
    let (s, sent) = app
        .post(&path, &alice.token, json!({"body": "", "attachments": ids}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{sent}");
    let sent: Message = decode(sent);
    let attachments = &sent.attachments;
    assert_eq!(attachments.iter().map(|a| a.id).collect::<Vec<_>>(), ids);
    assert_eq!(attachments[0].width, Some(800));
    assert_eq!(attachments[1].content_type, "application/pdf");
    assert_eq!(attachments[2].waveform.as_deref(), Some(&[1u8, 2, 3][..]));

    // Bob sees them live and in history, and may fetch each one.
    let live = expect_event!(bob_ws,
        ServerEvent::MessageCreated(e) if e.message.id == sent.id => e.message.attachments.clone());
    assert_eq!(&live, attachments);
    let page = app.messages(&bob, room, "").await;
    assert_eq!(&page.messages[0].attachments, attachments);
    for a in attachments {
        let got = fetch(&app, &a.url, Some(&bob.token), &[]).await;
        assert_eq!(got.status, StatusCode::OK, "{a:?}");
        assert_eq!(got.body.len() as u64, a.size as u64);
    }
    let thumb = fetch(
        &app,
        attachments[0].thumbnail_url.as_deref().unwrap(),
        Some(&bob.token),
        &[],
    )
    .await;
    assert_eq!(thumb.status, StatusCode::OK);

    // Carol is in no room with them: the uploads do not exist for her.
    for a in attachments {
        let got = fetch(&app, &a.url, Some(&carol.token), &[]).await;
        assert_eq!(got.status, StatusCode::NOT_FOUND, "{a:?}");
    }
    let thumb = fetch(
        &app,
        attachments[0].thumbnail_url.as_deref().unwrap(),
        Some(&carol.token),
        &[],
    )
    .await;
    assert_eq!(thumb.status, StatusCode::NOT_FOUND);
    let unknown = fetch(
        &app,
        &format!("/api/v1/uploads/{}", uuid::Uuid::now_v7()),
        Some(&carol.token),
        &[],
    )
    .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    // Nor can she attach them somewhere she is, nor can anyone send more than ten.
    let carols = app
        .create_room(&carol, RoomKind::Group, "carol's", &[&bob])
        .await
        .id;
    let (s, b) = app
        .post(
            &format!("/api/v1/rooms/{carols}/messages"),
            &carol.token,
            json!({"body": "mine now", "attachments": [photo.id]}),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{b}");
    let (s, b) = app
        .post(
            &format!("/api/v1/rooms/{carols}/messages"),
            &carol.token,
            json!({"body": "x", "attachments": [uuid::Uuid::now_v7()]}),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "unknown upload: {b}");
    let mut eleven = Vec::new();
    for i in 0..11 {
        eleven.push(
            upload(
                &app,
                &alice,
                &format!("{i}.txt"),
                format!("file {i}").as_bytes(),
            )
            .await
            .id,
        );
    }
    let (s, b) = app
        .post(
            &path,
            &alice.token,
            json!({"body": "many", "attachments": eleven}),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{b}");
    let (s, b) = app
        .post(
            &path,
            &alice.token,
            json!({"body": "ten", "attachments": eleven[..10]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");

    // Once the message is deleted, Bob loses access; Alice keeps her uploads.
    let (s, _) = app
        .delete(&format!("{path}/{}", sent.id), &alice.token)
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let gone = fetch(&app, &photo.url, Some(&bob.token), &[]).await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
    let mine = fetch(&app, &photo.url, Some(&alice.token), &[]).await;
    assert_eq!(mine.status, StatusCode::OK);
}

#[tokio::test]
async fn avatars_are_set_served_without_a_token_and_cleared() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let picture = upload(&app, &alice, "me.png", &png(600, 300)).await;
    let (s, me) = app
        .patch(
            "/api/v1/users/me",
            &alice.token,
            json!({"avatar": picture.id}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{me}");
    let url = me["avatar_url"].as_str().unwrap().to_string();
    assert_eq!(
        url,
        format!("/api/v1/users/{}/avatar?v={}", alice.id, picture.id)
    );

    // <img src> sends no token, so none is needed.
    let avatar = fetch(&app, &url, None, &[]).await;
    assert_eq!(avatar.status, StatusCode::OK);
    assert_eq!(avatar.header(header::CONTENT_TYPE), "image/jpeg");
    assert!(avatar.header(header::CACHE_CONTROL).contains("immutable"));
    let img = image::load_from_memory(&avatar.body).unwrap();
    assert_eq!((img.width(), img.height()), (256, 256));
    let etag = avatar.header(header::ETAG).to_string();
    assert_eq!(
        fetch(&app, &url, None, &[(header::IF_NONE_MATCH, &etag)])
            .await
            .status,
        StatusCode::NOT_MODIFIED
    );
    // The URL must name the current avatar.
    for wrong in [
        format!("/api/v1/users/{}/avatar", alice.id),
        format!(
            "/api/v1/users/{}/avatar?v={}",
            alice.id,
            uuid::Uuid::now_v7()
        ),
        format!("/api/v1/users/{}/avatar?v={}", bob.id, picture.id),
    ] {
        assert_eq!(
            fetch(&app, &wrong, None, &[]).await.status,
            StatusCode::NOT_FOUND,
            "{wrong}"
        );
    }

    // Only one's own images can become an avatar.
    let doc = upload(&app, &alice, "doc.pdf", PDF).await;
    let (s, b) = app
        .patch("/api/v1/users/me", &alice.token, json!({"avatar": doc.id}))
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{b}");
    let (s, b) = app
        .patch(
            "/api/v1/users/me",
            &bob.token,
            json!({"avatar": picture.id}),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{b}");

    // Rooms too; and clearing an avatar retires its URL.
    let room = app
        .create_room(&alice, RoomKind::Group, "team", &[&bob])
        .await
        .id;
    let (s, updated) = app
        .patch(
            &format!("/api/v1/rooms/{room}"),
            &alice.token,
            json!({"avatar": picture.id}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{updated}");
    let room_url = updated["avatar_url"].as_str().unwrap().to_string();
    assert_eq!(
        room_url,
        format!("/api/v1/rooms/{room}/avatar?v={}", picture.id)
    );
    let room_avatar = fetch(&app, &room_url, None, &[]).await;
    assert_eq!(room_avatar.status, StatusCode::OK);
    assert_eq!(
        room_avatar.body, avatar.body,
        "same picture, same rendition"
    );
    let (s, me) = app
        .patch("/api/v1/users/me", &alice.token, json!({"avatar": null}))
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(me["avatar_url"].is_null());
    assert_eq!(
        fetch(&app, &url, None, &[]).await.status,
        StatusCode::NOT_FOUND
    );
    let (_, updated) = app
        .patch(
            &format!("/api/v1/rooms/{room}"),
            &alice.token,
            json!({"avatar": null}),
        )
        .await;
    assert!(updated["avatar_url"].is_null());
    assert_eq!(
        fetch(&app, &room_url, None, &[]).await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn unattached_uploads_are_swept_after_a_day_and_shared_blobs_survive() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let room = app
        .create_room(&alice, RoomKind::Group, "notes", &[])
        .await
        .id;
    let shared = png(64, 64);
    let unsent = upload(&app, &alice, "a.png", &shared).await;
    let sent = upload(&app, &alice, "b.png", &shared).await;
    let lonely = upload(&app, &alice, "c.pdf", PDF).await;
    let avatar = upload(&app, &alice, "me.png", &png(32, 32)).await;
    app.patch(
        "/api/v1/users/me",
        &alice.token,
        json!({"avatar": avatar.id}),
    )
    .await;
    let (s, message) = app
        .post(
            &format!("/api/v1/rooms/{room}/messages"),
            &alice.token,
            json!({"body": "", "attachments": [sent.id]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{message}");
    let message: Message = decode(message);
    let originals = || files_under(&uploads_dir(&app, "originals")).len();
    assert_eq!(originals(), 3);

    // Nothing is a day old yet.
    let now = OffsetDateTime::now_utc();
    let swept = sweep_orphans(&*app.state.node.store, &app.state.node.media, now)
        .await
        .unwrap();
    assert_eq!(swept.uploads, 0);

    let tomorrow = now + time::Duration::hours(25);
    let swept = sweep_orphans(&*app.state.node.store, &app.state.node.media, tomorrow)
        .await
        .unwrap();
    assert_eq!(
        (swept.uploads, swept.blobs),
        (2, 1),
        "the unsent PNG and the PDF; only the PDF's blob"
    );
    assert_eq!(originals(), 2);
    let token = Some(alice.token.as_str());
    assert_eq!(
        fetch(&app, &unsent.url, token, &[]).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        fetch(&app, &lonely.url, token, &[]).await.status,
        StatusCode::NOT_FOUND
    );
    let kept = fetch(&app, &sent.url, token, &[]).await;
    assert_eq!(
        (kept.status, kept.body == shared),
        (StatusCode::OK, true),
        "the attached copy still works"
    );
    assert_eq!(
        fetch(&app, sent.thumbnail_url.as_deref().unwrap(), token, &[])
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        fetch(
            &app,
            &format!("/api/v1/users/{}/avatar?v={}", alice.id, avatar.id),
            None,
            &[]
        )
        .await
        .status,
        StatusCode::OK
    );

    // Deleting the message orphans its upload; then its blob goes too.
    let (s, _) = app
        .delete(
            &format!("/api/v1/rooms/{room}/messages/{}", message.id),
            &alice.token,
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let swept = sweep_orphans(&*app.state.node.store, &app.state.node.media, tomorrow)
        .await
        .unwrap();
    assert_eq!((swept.uploads, swept.blobs), (1, 1));
    assert_eq!(originals(), 1, "only the avatar's picture is left");
    assert!(
        files_under(&uploads_dir(&app, "thumbnails"))
            .iter()
            .all(|p| !p.ends_with(sha256_hex(&shared)))
    );
}

/// Starts `moto_server` (PyPI `moto[server]`) on a free port, or returns
/// `None` when it is not installed.
struct S3Server {
    child: tokio::process::Child,
    endpoint: String,
}

impl S3Server {
    async fn start() -> Option<S3Server> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = tokio::process::Command::new("moto_server")
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .ok()?;
        let endpoint = format!("http://127.0.0.1:{port}");
        let http = reqwest::Client::new();
        // A poll on purpose: another process, which says nothing when it
        // starts to listen.
        eventually_within(
            "moto_server answering",
            std::time::Duration::from_secs(30),
            || async {
                http.get(format!("{endpoint}/moto-api/"))
                    .send()
                    .await
                    .is_ok()
            },
        )
        .await;
        Some(S3Server { child, endpoint })
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
    }
}

#[tokio::test]
async fn the_s3_backend_stores_serves_and_sweeps_blobs() {
    let Some(s3) = S3Server::start().await else {
        // CI sets HEARTH_TEST_S3=1 after installing moto: there, never skip.
        assert!(
            std::env::var_os("HEARTH_TEST_S3").is_none(),
            "HEARTH_TEST_S3 is set but moto_server is not installed (pip install 'moto[server]')"
        );
        eprintln!(
            "SKIPPED: moto_server not found (pip install 'moto[server]'); the S3 backend was not tested"
        );
        return;
    };
    let bucket = "hearth-test";
    let created = reqwest::Client::new()
        .put(format!("{}/{bucket}", s3.endpoint))
        .send()
        .await
        .unwrap();
    assert!(
        created.status().is_success(),
        "create bucket: {}",
        created.status()
    );
    let endpoint = s3.endpoint.clone();
    let app = spawn_app_with(move |c| {
        *c.s3 = Some(hearth_server::config::S3Settings {
            bucket: bucket.to_string(),
            endpoint: Some(endpoint),
            region: "us-east-1".to_string(),
            access_key_id: Some("testing".to_string()),
            secret_access_key: Some("testing".to_string()),
        });
    })
    .await;
    assert_eq!(app.state.node.media.blobs().backend(), "s3");
    let alice = app.register("alice").await;
    let bytes = png(900, 300);
    let first = upload(&app, &alice, "a.png", &bytes).await;
    let second = upload(&app, &alice, "b.png", &bytes).await;
    assert_eq!((first.width, second.height), (Some(900), Some(300)));
    assert!(
        files_under(&uploads_dir(&app, "originals")).is_empty(),
        "nothing on local disk"
    );
    assert!(files_under(&uploads_dir(&app, "tmp")).is_empty());

    let token = Some(alice.token.as_str());
    let url = &first.url;
    let whole = fetch(&app, url, token, &[]).await;
    assert_eq!((whole.status, whole.body == bytes), (StatusCode::OK, true));
    let part = fetch(&app, url, token, &[(header::RANGE, "bytes=8-15")]).await;
    assert_eq!(part.status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(
        part.header(header::CONTENT_RANGE),
        format!("bytes 8-15/{}", bytes.len())
    );
    assert_eq!(part.body, bytes[8..16]);
    let thumb = fetch(&app, first.thumbnail_url.as_deref().unwrap(), token, &[]).await;
    assert_eq!(image::load_from_memory(&thumb.body).unwrap().width(), 480);
    let (s, me) = app
        .patch(
            "/api/v1/users/me",
            &alice.token,
            json!({"avatar": second.id}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{me}");
    let avatar = fetch(&app, me["avatar_url"].as_str().unwrap(), None, &[]).await;
    assert_eq!(image::load_from_memory(&avatar.body).unwrap().width(), 256);

    // The first upload is swept; the blob stays for the avatar's upload.
    let tomorrow = OffsetDateTime::now_utc() + time::Duration::hours(25);
    let swept = sweep_orphans(&*app.state.node.store, &app.state.node.media, tomorrow)
        .await
        .unwrap();
    assert_eq!((swept.uploads, swept.blobs), (1, 0));
    let kept = fetch(&app, &second.url, token, &[]).await;
    assert_eq!((kept.status, kept.body == bytes), (StatusCode::OK, true));
    app.patch("/api/v1/users/me", &alice.token, json!({"avatar": null}))
        .await;
    let swept = sweep_orphans(&*app.state.node.store, &app.state.node.media, tomorrow)
        .await
        .unwrap();
    assert_eq!((swept.uploads, swept.blobs), (1, 1));
    let key = hearth_server::media::blob::BlobKey::new(
        hearth_server::media::blob::BlobKind::Original,
        &sha256_hex(&bytes),
    )
    .unwrap();
    assert!(
        !app.state.node.media.blobs().exists(&key).await.unwrap(),
        "deleted from the bucket"
    );
}
