//! Receiving an upload: the multipart body is streamed to a staging file
//! (never held in memory) while it is hashed, measured against the size
//! limit and its first bytes kept for sniffing; then the bytes are moved to
//! blob storage under their hash and the upload is recorded.
//!
//! Form fields: `file` (required), and for voice messages `duration_ms`
//! (milliseconds) and `waveform` (a JSON array of at most 256 numbers 0–255).

use super::blob::BlobKind;
use super::images::Encoded;
use super::sniff::{Kind, SNIFF_LEN, sanitize_filename, sniff};
use super::{Media, key};
use crate::error::{ApiError, ApiResult};
use axum::extract::Multipart;
use axum::extract::multipart::{Field, MultipartError};
use axum::http::{HeaderMap, header};
use hearth_protocol::{ErrorCode, UploadId, UserId};
use hearth_store::{Store, UploadRecord};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use time::OffsetDateTime;
use tokio::io::AsyncWriteExt;

/// Most samples in a waveform.
pub const MAX_WAVEFORM_SAMPLES: usize = 256;
/// Longest voice message: one hour.
pub const MAX_DURATION_MS: u32 = 3_600_000;
/// Room for the multipart framing and the small fields around the file,
/// when judging a declared Content-Length against the size limit.
const FORM_OVERHEAD: u64 = 16 * 1024;
/// Longest accepted small (non-file) field.
const MAX_TEXT_FIELD: usize = 4 * 1024;

/// A file in the staging directory, deleted when dropped unless it was
/// moved away (which is what a local blob store does with it).
pub struct StagedFile {
    path: PathBuf,
}

impl StagedFile {
    async fn create(dir: &Path) -> std::io::Result<(StagedFile, tokio::fs::File)> {
        tokio::fs::create_dir_all(dir).await?;
        let path = dir.join(format!("upload-{}.part", uuid::Uuid::new_v4().simple()));
        let file = tokio::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .await?;
        Ok((StagedFile { path }, file))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for StagedFile {
    fn drop(&mut self) {
        // Usually already moved into blob storage; an unlink of a missing
        // file is a cheap no-op.
        let _ = std::fs::remove_file(&self.path);
    }
}

/// The `file` field, staged.
pub struct StagedUpload {
    pub file: StagedFile,
    pub filename: String,
    pub size: u64,
    /// Lower-case hex.
    pub sha256: String,
    /// The first [`SNIFF_LEN`] bytes.
    pub head: Vec<u8>,
}

/// A whole upload form, received.
pub struct Received {
    pub upload: StagedUpload,
    pub duration_ms: Option<u32>,
    pub waveform: Option<Vec<u8>>,
}

fn too_large(limit: u64) -> ApiError {
    ApiError::new(
        ErrorCode::PayloadTooLarge,
        format!("file: larger than the limit of {limit} bytes"),
    )
}

fn multipart_error(e: MultipartError) -> ApiError {
    if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::new(ErrorCode::PayloadTooLarge, e.body_text())
    } else {
        ApiError::new(ErrorCode::InvalidBody, e.body_text())
    }
}

/// Reads the form. A body that declares itself too large is refused before
/// a byte of it is read; one that turns out too large, as soon as it does.
pub async fn receive(
    media: &Media,
    headers: &HeaderMap,
    mut multipart: Multipart,
) -> ApiResult<Received> {
    let limit = media.max_upload_bytes();
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit.saturating_add(FORM_OVERHEAD)) {
        return Err(too_large(limit));
    }
    let mut upload = None;
    let mut duration_ms = None;
    let mut waveform = None;
    while let Some(field) = multipart.next_field().await.map_err(multipart_error)? {
        let name = field.name().unwrap_or_default().to_string();
        let duplicate = || ApiError::validation(format!("{name}: given more than once"));
        match name.as_str() {
            "file" if upload.is_some() => return Err(duplicate()),
            "file" => upload = Some(stage(media, field).await?),
            "duration_ms" if duration_ms.is_some() => return Err(duplicate()),
            "duration_ms" => duration_ms = Some(parse_duration(&small_text(field).await?)?),
            "waveform" if waveform.is_some() => return Err(duplicate()),
            "waveform" => waveform = Some(parse_waveform(&small_text(field).await?)?),
            _ => {
                return Err(ApiError::validation(format!(
                    "unknown form field {name:?} (expected file, duration_ms, waveform)"
                )));
            }
        }
    }
    let upload = upload.ok_or_else(|| ApiError::validation("file: required"))?;
    if upload.size == 0 {
        return Err(ApiError::validation("file: empty"));
    }
    Ok(Received {
        upload,
        duration_ms,
        waveform,
    })
}

/// Streams the file field to a staging file, hashing it on the way.
async fn stage(media: &Media, mut field: Field<'_>) -> ApiResult<StagedUpload> {
    let filename = sanitize_filename(field.file_name());
    let limit = media.max_upload_bytes();
    let (staged, file) = StagedFile::create(media.staging_dir())
        .await
        .map_err(ApiError::internal)?;
    let mut out = tokio::io::BufWriter::with_capacity(64 * 1024, file);
    let mut hasher = Sha256::new();
    let mut size: u64 = 0;
    let mut head = Vec::with_capacity(SNIFF_LEN);
    while let Some(chunk) = field.chunk().await.map_err(multipart_error)? {
        size += chunk.len() as u64;
        if size > limit {
            return Err(too_large(limit));
        }
        if head.len() < SNIFF_LEN {
            let take = (SNIFF_LEN - head.len()).min(chunk.len());
            head.extend_from_slice(&chunk[..take]);
        }
        hasher.update(&chunk);
        out.write_all(&chunk).await.map_err(ApiError::internal)?;
    }
    out.flush().await.map_err(ApiError::internal)?;
    Ok(StagedUpload {
        file: staged,
        filename,
        size,
        sha256: hex::encode(hasher.finalize()),
        head,
    })
}

/// A small text field, bounded.
async fn small_text(mut field: Field<'_>) -> ApiResult<String> {
    let name = field.name().unwrap_or_default().to_string();
    let mut bytes = Vec::new();
    while let Some(chunk) = field.chunk().await.map_err(multipart_error)? {
        bytes.extend_from_slice(&chunk);
        if bytes.len() > MAX_TEXT_FIELD {
            return Err(ApiError::validation(format!(
                "{name}: at most {MAX_TEXT_FIELD} bytes"
            )));
        }
    }
    String::from_utf8(bytes).map_err(|e| ApiError::validation(format!("{name}: {e}")))
}

pub fn parse_duration(raw: &str) -> ApiResult<u32> {
    match raw.trim().parse::<u32>() {
        Ok(ms) if (1..=MAX_DURATION_MS).contains(&ms) => Ok(ms),
        _ => Err(ApiError::validation(format!(
            "duration_ms: a whole number of milliseconds from 1 to {MAX_DURATION_MS}"
        ))),
    }
}

pub fn parse_waveform(raw: &str) -> ApiResult<Vec<u8>> {
    let expected =
        format!("waveform: a JSON array of 1 to {MAX_WAVEFORM_SAMPLES} integers from 0 to 255");
    let samples: Vec<u8> =
        serde_json::from_str(raw).map_err(|e| ApiError::validation(format!("{expected} ({e})")))?;
    if samples.is_empty() || samples.len() > MAX_WAVEFORM_SAMPLES {
        return Err(ApiError::validation(expected));
    }
    Ok(samples)
}

/// Moves the staged bytes into blob storage and records the upload.
///
/// Images are decoded (off the runtime) for their size and thumbnail; when
/// the same bytes were uploaded before, what was learnt then is reused.
pub async fn store(
    store: &dyn Store,
    media: &Media,
    uploader: UserId,
    received: Received,
) -> ApiResult<UploadRecord> {
    let Received {
        upload,
        duration_ms,
        waveform,
    } = received;
    let mut sniffed = sniff(&upload.head);
    if duration_ms.is_some() || waveform.is_some() {
        if sniffed.kind != Kind::Audio {
            return Err(ApiError::validation(
                "duration_ms and waveform are for voice messages: Ogg, WebM, MP4/M4A, MP3 or WAV audio",
            ));
        }
        sniffed = sniffed.as_voice();
    }
    let mut rec = UploadRecord {
        id: UploadId::new(),
        uploader_id: uploader,
        filename: upload.filename.clone(),
        content_type: sniffed.content_type.to_string(),
        size: i64::try_from(upload.size).map_err(ApiError::internal)?,
        sha256: upload.sha256.clone(),
        width: None,
        height: None,
        duration_ms,
        waveform,
        preview_type: None,
        created_at: OffsetDateTime::now_utc(),
    };
    let original = key(BlobKind::Original, &rec)?;
    let image_format = match sniffed.kind {
        Kind::Image(format) => Some(format),
        _ => None,
    };
    let mut thumbnail: Option<Encoded> = None;
    if let Some(format) = image_format {
        let earlier = store
            .upload_by_sha256(&rec.sha256)
            .await?
            .filter(|e| e.preview_type.is_some());
        match earlier {
            Some(e) => {
                (rec.width, rec.height, rec.preview_type) = (e.width, e.height, e.preview_type)
            }
            None => thumbnail = Some(make_thumbnail(media, &upload.file, format, &mut rec).await?),
        }
    }

    let _blob_guard = media.lock_for(&rec.sha256).lock().await;
    if let Some(format) = image_format {
        let thumb_key = key(BlobKind::Thumbnail, &rec)?;
        if thumbnail.is_none() && !media.blobs.exists(&thumb_key).await? {
            // The earlier upload's thumbnail is gone (swept a moment ago):
            // make it again while the bytes are at hand.
            thumbnail = Some(make_thumbnail(media, &upload.file, format, &mut rec).await?);
        }
        if let Some(t) = thumbnail {
            media.blobs.put_bytes(&thumb_key, t.bytes.into()).await?;
        }
    }
    media.blobs.put_file(&original, upload.file.path()).await?;
    store.insert_upload(&rec).await?;
    // Who uploaded it stays out of the info log: an anonymous post's
    // attachment ids would otherwise name its author to whoever reads it.
    tracing::info!(
        upload_id = %rec.id, size = rec.size,
        content_type = %rec.content_type, "upload stored"
    );
    tracing::debug!(upload_id = %rec.id, user_id = %uploader, "uploader");
    Ok(rec)
}

async fn make_thumbnail(
    media: &Media,
    staged: &StagedFile,
    format: image::ImageFormat,
    rec: &mut UploadRecord,
) -> ApiResult<Encoded> {
    let path = staged.path().to_path_buf();
    let made = media
        .image_work(move || super::images::thumbnail_file(&path, format))
        .await?;
    rec.width = Some(made.width);
    rec.height = Some(made.height);
    rec.preview_type = Some(made.thumbnail.content_type.to_string());
    Ok(made.thumbnail)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_are_whole_positive_milliseconds_up_to_an_hour() {
        assert_eq!(parse_duration("1500").ok(), Some(1500));
        assert_eq!(parse_duration(" 1 ").ok(), Some(1));
        for bad in ["0", "-5", "1.5", "", "abc", "3600001"] {
            assert!(parse_duration(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn waveforms_are_bounded_arrays_of_bytes() {
        assert_eq!(
            parse_waveform("[0, 128, 255]").ok(),
            Some(vec![0, 128, 255])
        );
        let full = format!("[{}]", vec!["7"; 256].join(","));
        assert_eq!(parse_waveform(&full).map(|w| w.len()).ok(), Some(256));
        let too_long = format!("[{}]", vec!["7"; 257].join(","));
        for bad in ["[]", "[256]", "[-1]", "[1.5]", "{}", "\"abc\"", &too_long] {
            assert!(parse_waveform(bad).is_err(), "{bad:?}");
        }
    }
}
