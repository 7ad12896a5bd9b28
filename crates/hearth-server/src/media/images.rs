//! Decoding images and making their renditions: a thumbnail that fits in
//! 480 × 480 and a square 256 px avatar. Blocking CPU work: callers run it
//! on the blocking pool (`spawn_blocking`), a few at a time.
//!
//! Renditions are re-encoded from pixels, so they carry none of the
//! original's metadata (EXIF GPS positions, camera serials, …); the EXIF
//! orientation is applied to the pixels first so they still display upright.
//! Images with transparency become PNG, all others JPEG.

use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::PngEncoder;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};
use std::io::{BufRead, Seek};
use std::path::Path;

/// Thumbnails fit in a square of this many pixels (never enlarged).
pub const THUMBNAIL_EDGE: u32 = 480;
/// Avatars are squares of this many pixels (smaller images stay smaller).
pub const AVATAR_EDGE: u32 = 256;
/// Larger images are refused before decoding: a small file can declare a
/// huge canvas (a "decompression bomb"), and 40 MP already takes 160 MB of
/// RGBA.
pub const MAX_PIXELS: u64 = 40_000_000;
/// Longest side accepted, whatever the pixel count.
const MAX_EDGE: u32 = 20_000;
const JPEG_QUALITY: u8 = 82;

#[derive(Debug, thiserror::Error)]
pub enum ImageFailure {
    #[error("the image is {width}×{height} pixels; at most {MAX_PIXELS} pixels are accepted")]
    TooLarge { width: u32, height: u32 },
    #[error("the image could not be decoded")]
    Decode(#[from] image::ImageError),
    #[error("the image could not be read")]
    Io(#[from] std::io::Error),
}

impl ImageFailure {
    /// True when the fault is in the image (the client's), not in our I/O.
    pub fn is_bad_input(&self) -> bool {
        !matches!(self, Self::Io(_))
    }
}

/// An encoded rendition.
pub struct Encoded {
    pub bytes: Vec<u8>,
    pub content_type: &'static str,
}

/// What an image upload yields: its displayed size and its thumbnail.
pub struct Thumbnailed {
    pub width: u32,
    pub height: u32,
    pub thumbnail: Encoded,
}

/// Decodes the image file at `path` (in `format`) and makes its thumbnail.
pub fn thumbnail_file(path: &Path, format: ImageFormat) -> Result<Thumbnailed, ImageFailure> {
    let reader = ImageReader::new(std::io::BufReader::new(std::fs::File::open(path)?));
    let img = decode(reader, Some(format))?;
    let (width, height) = (img.width(), img.height());
    let small = if width <= THUMBNAIL_EDGE && height <= THUMBNAIL_EDGE {
        img
    } else {
        img.thumbnail(THUMBNAIL_EDGE, THUMBNAIL_EDGE)
    };
    Ok(Thumbnailed {
        width,
        height,
        thumbnail: encode(&small)?,
    })
}

/// Decodes an image held in memory and makes its avatar: the centred
/// square, scaled down to [`AVATAR_EDGE`].
pub fn avatar_bytes(bytes: &[u8]) -> Result<Encoded, ImageFailure> {
    let reader = ImageReader::new(std::io::Cursor::new(bytes));
    let img = decode(reader, None)?;
    let side = img.width().min(img.height());
    let square = img.crop_imm(
        (img.width() - side) / 2,
        (img.height() - side) / 2,
        side,
        side,
    );
    let edge = side.min(AVATAR_EDGE);
    let small = if side > edge {
        square.thumbnail(edge, edge)
    } else {
        square
    };
    encode(&small)
}

/// Decodes the first frame, refusing oversized canvases before allocating
/// them, and turns it upright.
fn decode<R: BufRead + Seek>(
    mut reader: ImageReader<R>,
    format: Option<ImageFormat>,
) -> Result<DynamicImage, ImageFailure> {
    match format {
        Some(f) => reader.set_format(f),
        None => reader = reader.with_guessed_format()?,
    }
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_EDGE);
    limits.max_image_height = Some(MAX_EDGE);
    // RGBA, 16 bits per channel at worst, plus the decoder's own buffers.
    limits.max_alloc = Some(MAX_PIXELS * 8 + 64 * 1024 * 1024);
    reader.limits(limits);
    let mut decoder = reader.into_decoder()?;
    let (width, height) = decoder.dimensions();
    if u64::from(width) * u64::from(height) > MAX_PIXELS {
        return Err(ImageFailure::TooLarge { width, height });
    }
    let orientation = decoder.orientation()?;
    let mut img = DynamicImage::from_decoder(decoder)?;
    img.apply_orientation(orientation);
    Ok(img)
}

fn encode(img: &DynamicImage) -> Result<Encoded, ImageFailure> {
    let mut bytes = Vec::new();
    let content_type = if img.color().has_alpha() {
        img.to_rgba8()
            .write_with_encoder(PngEncoder::new(&mut bytes))?;
        "image/png"
    } else {
        img.to_rgb8()
            .write_with_encoder(JpegEncoder::new_with_quality(&mut bytes, JPEG_QUALITY))?;
        "image/jpeg"
    };
    Ok(Encoded {
        bytes,
        content_type,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use image::{ImageEncoder, Rgb, RgbImage, Rgba, RgbaImage};

    fn png(img: &DynamicImage) -> Vec<u8> {
        let mut out = Vec::new();
        img.write_to(&mut std::io::Cursor::new(&mut out), ImageFormat::Png)
            .unwrap();
        out
    }

    #[test]
    fn thumbnails_fit_the_box_and_keep_the_aspect_ratio() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("wide.png");
        let wide = DynamicImage::ImageRgb8(RgbImage::from_pixel(1200, 600, Rgb([200, 10, 10])));
        std::fs::write(&path, png(&wide)).unwrap();
        let t = thumbnail_file(&path, ImageFormat::Png).unwrap();
        assert_eq!((t.width, t.height), (1200, 600));
        assert_eq!(t.thumbnail.content_type, "image/jpeg");
        let thumb = image::load_from_memory(&t.thumbnail.bytes).unwrap();
        assert_eq!((thumb.width(), thumb.height()), (480, 240));
    }

    #[test]
    fn small_and_transparent_images_are_not_enlarged_and_stay_png() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("dot.png");
        let dot = DynamicImage::ImageRgba8(RgbaImage::from_pixel(30, 20, Rgba([0, 0, 0, 0])));
        std::fs::write(&path, png(&dot)).unwrap();
        let t = thumbnail_file(&path, ImageFormat::Png).unwrap();
        assert_eq!(t.thumbnail.content_type, "image/png");
        let thumb = image::load_from_memory(&t.thumbnail.bytes).unwrap();
        assert_eq!((thumb.width(), thumb.height()), (30, 20));
    }

    #[test]
    fn avatars_are_centred_squares() {
        let tall = DynamicImage::ImageRgb8(RgbImage::from_pixel(300, 900, Rgb([1, 2, 3])));
        let a = avatar_bytes(&png(&tall)).unwrap();
        let img = image::load_from_memory(&a.bytes).unwrap();
        assert_eq!((img.width(), img.height()), (256, 256));
    }

    /// CRC-32 as PNG chunks use it.
    fn crc32(bytes: &[u8]) -> u32 {
        let mut crc = 0xffff_ffffu32;
        for b in bytes {
            crc ^= u32::from(*b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xedb8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }

    #[test]
    fn decompression_bombs_are_refused_before_decoding() {
        // A small PNG whose header is rewritten to declare 10000 × 10000
        // pixels: tiny on disk, 100 MP once decoded.
        let mut bomb = Vec::new();
        PngEncoder::new(&mut bomb)
            .write_image(&[0u8; 16], 4, 4, image::ExtendedColorType::L8)
            .unwrap();
        bomb[16..20].copy_from_slice(&10_000u32.to_be_bytes());
        bomb[20..24].copy_from_slice(&10_000u32.to_be_bytes());
        let crc = crc32(&bomb[12..29]);
        bomb[29..33].copy_from_slice(&crc.to_be_bytes());
        let err = avatar_bytes(&bomb).err().expect("refused");
        assert!(
            matches!(
                err,
                ImageFailure::TooLarge {
                    width: 10_000,
                    height: 10_000
                }
            ),
            "{err}"
        );
        assert!(err.is_bad_input());
    }

    #[test]
    fn garbage_is_a_decode_error() {
        let err = avatar_bytes(b"\x89PNG\r\n\x1a\nnot really")
            .err()
            .expect("refused");
        assert!(matches!(err, ImageFailure::Decode(_)), "{err}");
    }
}
