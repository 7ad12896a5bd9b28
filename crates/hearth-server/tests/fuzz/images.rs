//! Hostile images and file names: sniffing (`media::sniff`) and decoding
//! (`media::images`). Mutated and truncated images of every accepted
//! format, and headers declaring huge canvases, must end in a rendition or
//! a client error, never a panic or an allocation past the decoder limits.

use crate::config;
use axum::http::HeaderValue;
use hearth_server::media::images::{
    AVATAR_EDGE, ImageFailure, MAX_PIXELS, THUMBNAIL_EDGE, avatar_bytes, thumbnail_file,
};
use hearth_server::media::sniff::{
    Kind, SNIFF_LEN, content_disposition, is_safe_inline, sanitize_filename, sniff,
};
use image::{DynamicImage, ImageFormat, Rgba, RgbaImage};
use proptest::prelude::*;

const FORMATS: [ImageFormat; 4] = [
    ImageFormat::Png,
    ImageFormat::Jpeg,
    ImageFormat::Gif,
    ImageFormat::WebP,
];

/// A small valid image in `format`.
fn encoded(format: ImageFormat, width: u32, height: u32, alpha: bool, seed: u8) -> Vec<u8> {
    let img = RgbaImage::from_fn(width, height, |x, y| {
        let v = (x as u8).wrapping_mul(seed) ^ (y as u8);
        Rgba([v, seed, v.wrapping_add(seed), if alpha { v } else { 255 }])
    });
    let img = DynamicImage::ImageRgba8(img);
    let img = if format == ImageFormat::Jpeg {
        DynamicImage::ImageRgb8(img.to_rgb8())
    } else {
        img
    };
    let mut out = Vec::new();
    img.write_to(&mut std::io::Cursor::new(&mut out), format)
        .unwrap();
    out
}

/// An image of an accepted format, then damaged: bytes overwritten (the
/// header's size fields among them), bytes inserted, the end cut off.
fn hostile_image() -> impl Strategy<Value = (ImageFormat, Vec<u8>)> {
    (
        0..FORMATS.len(),
        1u32..48,
        1u32..48,
        any::<bool>(),
        any::<u8>(),
        prop::collection::vec((0usize..64, any::<u8>()), 0..6),
        prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..6),
        any::<prop::sample::Index>(),
        any::<bool>(),
    )
        .prop_map(
            |(f, w, h, alpha, seed, header_writes, writes, cut, truncate)| {
                let format = FORMATS[f];
                let mut bytes = encoded(format, w, h, alpha, seed);
                for (at, b) in header_writes {
                    if at < bytes.len() {
                        bytes[at] = b;
                    }
                }
                for (at, b) in writes {
                    let i = at.index(bytes.len());
                    bytes[i] = b;
                }
                if truncate {
                    bytes.truncate(cut.index(bytes.len()) + 1);
                }
                (format, bytes)
            },
        )
}

fn check_thumbnail(format: ImageFormat, bytes: &[u8]) -> Result<(), TestCaseError> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("upload");
    std::fs::write(&path, bytes).unwrap();
    match thumbnail_file(&path, format) {
        Ok(t) => {
            prop_assert!(u64::from(t.width) * u64::from(t.height) <= MAX_PIXELS);
            let thumb = image::load_from_memory(&t.thumbnail.bytes).unwrap();
            prop_assert!(thumb.width() <= THUMBNAIL_EDGE && thumb.height() <= THUMBNAIL_EDGE);
        }
        Err(e) => prop_assert!(e.is_bad_input(), "{e}"),
    }
    Ok(())
}

fn check_avatar(bytes: &[u8]) -> Result<(), TestCaseError> {
    match avatar_bytes(bytes) {
        Ok(a) => {
            let img = image::load_from_memory(&a.bytes).unwrap();
            prop_assert!(img.width() == img.height() && img.width() <= AVATAR_EDGE);
        }
        Err(e) => prop_assert!(e.is_bad_input(), "{e}"),
    }
    Ok(())
}

proptest! {
    #![proptest_config(config(128))]

    #[test]
    fn damaged_images_make_a_thumbnail_or_a_client_error((format, bytes) in hostile_image()) {
        check_thumbnail(format, &bytes)?;
        check_avatar(&bytes)?;
    }

    #[test]
    fn sniffing_any_bytes_labels_them_safely(
        bytes in prop_oneof![
            prop::collection::vec(any::<u8>(), 0..64),
            hostile_image().prop_map(|(_, b)| b),
            "[ \t\r\n]{0,3}<[!?a-zA-Z]{0,9}.{0,40}".prop_map(String::into_bytes),
        ]
    ) {
        let s = sniff(&bytes);
        prop_assert!(!s.content_type.contains("html") && !s.content_type.contains("xml")
            && !s.content_type.contains("script"), "{}", s.content_type);
        if let Kind::Image(_) = s.kind {
            prop_assert!(is_safe_inline(s.content_type));
        }
        let head = &bytes[..bytes.len().min(SNIFF_LEN)];
        prop_assert_eq!(sniff(head), s);
    }

    #[test]
    fn file_names_come_out_safe_and_bounded(raw in proptest::option::of(".{0,300}")) {
        let name = sanitize_filename(raw.as_deref());
        prop_assert!(!name.is_empty() && name.chars().count() <= 200);
        prop_assert!(!name.contains(['/', '\\']) && !name.chars().any(char::is_control));
        prop_assert!(!name.starts_with('.') && name.trim() == name);
        prop_assert_eq!(sanitize_filename(Some(&name)), name.clone());
        for inline in [true, false] {
            let value = content_disposition(inline, &name);
            prop_assert!(HeaderValue::from_str(&value).is_ok(), "{value:?}");
        }
    }
}

/// A PNG (already covered in `media::images`), GIF, WebP or JPEG whose
/// header declares `width` × `height`: tiny on disk, huge decoded.
fn declaring(format: ImageFormat, width: u16, height: u16) -> Vec<u8> {
    let mut bytes = encoded(format, 8, 8, false, 3);
    match format {
        ImageFormat::Gif => {
            // Logical screen and the first image descriptor.
            bytes[6..8].copy_from_slice(&width.to_le_bytes());
            bytes[8..10].copy_from_slice(&height.to_le_bytes());
            let desc = bytes.iter().position(|&b| b == 0x2c).unwrap();
            bytes[desc + 5..desc + 7].copy_from_slice(&width.to_le_bytes());
            bytes[desc + 7..desc + 9].copy_from_slice(&height.to_le_bytes());
        }
        ImageFormat::Jpeg => {
            // The frame header (SOF0): FF C0, length, precision, height, width.
            let sof = bytes.windows(2).position(|w| w == [0xff, 0xc0]).unwrap();
            bytes[sof + 5..sof + 7].copy_from_slice(&height.to_be_bytes());
            bytes[sof + 7..sof + 9].copy_from_slice(&width.to_be_bytes());
        }
        ImageFormat::WebP => {
            // VP8L: 14-bit width-1 and height-1 after the signature byte.
            let at = bytes.windows(4).position(|w| w == b"VP8L").unwrap() + 9;
            let bits = u32::from(width - 1)
                | (u32::from(height - 1) << 14)
                | (u32::from_le_bytes([0, 0, 0, bytes[at + 3]]) & 0xf000_0000);
            bytes[at..at + 4].copy_from_slice(&bits.to_le_bytes());
        }
        _ => unreachable!(),
    }
    bytes
}

#[test]
fn huge_declared_canvases_are_refused_in_every_format() {
    for format in [ImageFormat::Gif, ImageFormat::Jpeg, ImageFormat::WebP] {
        let bomb = declaring(format, 16_000, 16_000);
        let err = avatar_bytes(&bomb).err();
        assert!(
            matches!(
                err,
                Some(ImageFailure::TooLarge { .. } | ImageFailure::Decode(_))
            ),
            "{format:?}: {err:?}"
        );
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bomb");
        std::fs::write(&path, &bomb).unwrap();
        let err = thumbnail_file(&path, format).err();
        assert!(
            matches!(
                err,
                Some(ImageFailure::TooLarge { .. } | ImageFailure::Decode(_))
            ),
            "{format:?}: {err:?}"
        );
    }
}
