//! Multipart upload parsing (`media::upload::receive`): any body, well
//! formed or not, ends in a staged upload or a 4xx, never a panic or a 5xx;
//! a well-formed form comes out as it went in.

use crate::config;
use axum::body::Body;
use axum::extract::{FromRequest, Multipart};
use axum::http::{Request, header};
use hearth_server::media::Media;
use hearth_server::media::local::LocalBlobs;
use hearth_server::media::upload::{MAX_WAVEFORM_SAMPLES, receive};
use proptest::prelude::*;
use sha2::{Digest, Sha256};
use std::sync::Arc;

const BOUNDARY: &str = "fuzz-boundary-7MA4YWxk";
const LIMIT: u64 = 4096;

/// One part of a form.
#[derive(Clone, Debug)]
struct Part {
    name: String,
    filename: Option<String>,
    content: Vec<u8>,
}

fn part() -> impl Strategy<Value = Part> {
    let name = prop_oneof![
        4 => Just("file".to_string()),
        2 => Just("duration_ms".to_string()),
        2 => Just("waveform".to_string()),
        1 => "[a-z\"é\r\n;]{0,8}",
    ];
    let content = prop_oneof![
        prop::collection::vec(any::<u8>(), 0..600),
        (1u32..4_000_000).prop_map(|d| d.to_string().into_bytes()),
        prop::collection::vec(0u16..300, 0..300)
            .prop_map(|w| { serde_json::to_vec(&w).unwrap_or_default() }),
        Just(vec![b'7'; LIMIT as usize + 1]),
    ];
    (
        name,
        proptest::option::of(r#"[^"\\\x00-\x1F\x7F]{0,40}"#),
        content,
    )
        .prop_map(|(name, filename, content)| Part {
            name,
            filename,
            content,
        })
}

fn encode(parts: &[Part]) -> Vec<u8> {
    let mut body = Vec::new();
    for p in parts {
        body.extend_from_slice(format!("--{BOUNDARY}\r\n").as_bytes());
        let mut disposition = format!("Content-Disposition: form-data; name=\"{}\"", p.name);
        if let Some(f) = &p.filename {
            disposition.push_str(&format!("; filename=\"{f}\""));
        }
        body.extend_from_slice(disposition.as_bytes());
        body.extend_from_slice(b"\r\n\r\n");
        body.extend_from_slice(&p.content);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

/// What `receive` made of a body: `Ok((size, sha256, duration, waveform))`
/// or the error's HTTP status.
type Outcome = Result<(u64, String, Option<u32>, Option<Vec<u8>>), u16>;

fn run(body: Vec<u8>, content_type: &str) -> Outcome {
    let dir = tempfile::tempdir().unwrap();
    let media = Media::with_blobs(
        Arc::new(LocalBlobs::new(dir.path().to_path_buf())),
        dir.path().join("tmp"),
        LIMIT,
    );
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let req = Request::builder()
            .method("POST")
            .uri("/api/v1/uploads")
            .header(header::CONTENT_TYPE, content_type)
            .body(Body::from(body))
            .unwrap();
        let headers = req.headers().clone();
        let multipart = match Multipart::from_request(req, &()).await {
            Ok(m) => m,
            Err(rejection) => {
                use axum::response::IntoResponse;
                return Err(rejection.into_response().status().as_u16());
            }
        };
        match receive(&media, &headers, multipart).await {
            Ok(r) => {
                let bytes = std::fs::read(r.upload.file.path()).unwrap();
                assert_eq!(bytes.len() as u64, r.upload.size);
                assert_eq!(hex::encode(Sha256::digest(&bytes)), r.upload.sha256);
                assert!(r.upload.head.len() <= bytes.len().min(8 * 1024));
                assert!(bytes.starts_with(&r.upload.head));
                Ok((r.upload.size, r.upload.sha256, r.duration_ms, r.waveform))
            }
            Err(e) => Err(e.status().as_u16()),
        }
    })
}

fn content_type() -> String {
    format!("multipart/form-data; boundary={BOUNDARY}")
}

/// The outcome a well-formed form must have.
fn expected(parts: &[Part]) -> Option<Outcome> {
    let named = |n: &str| parts.iter().filter(|p| p.name == n).collect::<Vec<_>>();
    if parts
        .iter()
        .any(|p| !["file", "duration_ms", "waveform"].contains(&p.name.as_str()))
    {
        return None;
    }
    let (files, durations, waveforms) = (named("file"), named("duration_ms"), named("waveform"));
    if files.len() != 1 || durations.len() > 1 || waveforms.len() > 1 {
        return None;
    }
    let file = &files[0].content;
    if file.is_empty() || file.len() as u64 > LIMIT {
        return None;
    }
    let duration = match durations.first() {
        None => None,
        Some(p) => {
            let ms = std::str::from_utf8(&p.content)
                .ok()?
                .trim()
                .parse::<u32>()
                .ok()?;
            if !(1..=3_600_000).contains(&ms) {
                return None;
            }
            Some(ms)
        }
    };
    let waveform = match waveforms.first() {
        None => None,
        Some(p) => {
            let w: Vec<u8> = serde_json::from_slice(&p.content).ok()?;
            if w.is_empty() || w.len() > MAX_WAVEFORM_SAMPLES {
                return None;
            }
            Some(w)
        }
    };
    Some(Ok((
        file.len() as u64,
        hex::encode(Sha256::digest(file)),
        duration,
        waveform,
    )))
}

fn is_client_error(outcome: &Outcome) -> bool {
    matches!(outcome, Err(status) if (400..500).contains(status))
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn forms_come_out_as_they_went_in_or_get_a_4xx(
        parts in prop::collection::vec(part(), 0..4)
    ) {
        let body = encode(&parts);
        // A part whose bytes hold the boundary ends early: no round trip.
        let clean = !parts.iter().any(|p| {
            p.content.windows(BOUNDARY.len()).any(|w| w == BOUNDARY.as_bytes())
        });
        let outcome = run(body, &content_type());
        match expected(&parts) {
            Some(want) if clean => prop_assert_eq!(outcome, want),
            _ => prop_assert!(outcome.is_ok() || is_client_error(&outcome), "{outcome:?}"),
        }
    }

    #[test]
    fn broken_bodies_get_a_4xx_never_a_panic(
        parts in prop::collection::vec(part(), 0..3),
        cut in any::<prop::sample::Index>(),
        flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..4),
    ) {
        let mut body = encode(&parts);
        for (at, byte) in flips {
            if !body.is_empty() {
                let i = at.index(body.len());
                body[i] = byte;
            }
        }
        let keep = cut.index(body.len() + 1);
        body.truncate(keep);
        let outcome = run(body, &content_type());
        prop_assert!(outcome.is_ok() || is_client_error(&outcome), "{outcome:?}");
    }

    #[test]
    fn any_content_type_and_body_get_a_4xx_never_a_panic(
        content_type in prop_oneof![
            Just("multipart/form-data".to_string()),
            Just("multipart/form-data; boundary=".to_string()),
            "multipart/form-data; boundary=.{0,80}",
            ".{0,60}",
        ],
        body in prop::collection::vec(any::<u8>(), 0..300),
    ) {
        // A value no client can put in a header is not a case.
        prop_assume!(axum::http::HeaderValue::from_str(&content_type).is_ok());
        let outcome = run(body, &content_type);
        prop_assert!(outcome.is_ok() || is_client_error(&outcome), "{outcome:?}");
    }
}
