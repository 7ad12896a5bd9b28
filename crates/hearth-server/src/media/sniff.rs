//! What an upload is, judged from its first bytes — never from the name or
//! the Content-Type the client sent — and a file name safe to store and to
//! send back in a `Content-Disposition` header.

/// How many leading bytes [`sniff`] looks at.
pub const SNIFF_LEN: usize = 8 * 1024;

/// What the server does with an upload beyond storing it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// JPEG, PNG, GIF or WebP: gets dimensions and a thumbnail, and may be
    /// shown inline.
    Image(image::ImageFormat),
    /// A container a voice message may come in: may carry a duration and a
    /// waveform.
    Audio,
    /// Anything else: stored and offered as a download.
    File,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sniffed {
    pub content_type: &'static str,
    pub kind: Kind,
}

impl Sniffed {
    /// With voice-message fields a WebM or MP4 container is audio: say so,
    /// so that clients offer a player rather than a video.
    pub fn as_voice(self) -> Sniffed {
        let content_type = match self.content_type {
            "video/webm" => "audio/webm",
            "video/mp4" => "audio/mp4",
            other => other,
        };
        Sniffed {
            content_type,
            ..self
        }
    }
}

/// Types a browser may render inline from our origin without risk: raster
/// images only. SVG is not among them (it can carry script).
pub fn is_safe_inline(content_type: &str) -> bool {
    matches!(
        content_type,
        "image/jpeg" | "image/png" | "image/gif" | "image/webp"
    )
}

/// Sniffs `head`, the first [`SNIFF_LEN`] bytes (or fewer) of a file.
///
/// Markup (HTML, XML, scripts) is never labelled as such: it becomes
/// `text/plain`, or `image/svg+xml` for SVG (which is served as a download).
/// Unrecognised binary data is `application/octet-stream`.
pub fn sniff(head: &[u8]) -> Sniffed {
    let file = |content_type| Sniffed {
        content_type,
        kind: Kind::File,
    };
    let audio = |content_type| Sniffed {
        content_type,
        kind: Kind::Audio,
    };
    let image = |content_type, format| Sniffed {
        content_type,
        kind: Kind::Image(format),
    };
    if let Some(t) = infer::get(head) {
        match t.mime_type() {
            "image/jpeg" => return image("image/jpeg", image::ImageFormat::Jpeg),
            "image/png" => return image("image/png", image::ImageFormat::Png),
            "image/gif" => return image("image/gif", image::ImageFormat::Gif),
            "image/webp" => return image("image/webp", image::ImageFormat::WebP),
            "audio/ogg" | "audio/opus" => return audio("audio/ogg"),
            "audio/m4a" => return audio("audio/mp4"),
            "audio/mpeg" => return audio("audio/mpeg"),
            "audio/x-wav" => return audio("audio/wav"),
            "video/webm" => return audio("video/webm"),
            "video/mp4" => return audio("video/mp4"),
            // Markup: decided below, like any other text.
            "text/html" | "text/xml" | "text/x-shellscript" => {}
            other => return file(other),
        }
    }
    if looks_like_svg(head) {
        file("image/svg+xml")
    } else if looks_like_text(head) {
        file("text/plain")
    } else {
        file("application/octet-stream")
    }
}

/// UTF-8 (a character cut off at the end of `head` is fine) without NULs.
fn looks_like_text(head: &[u8]) -> bool {
    if head.contains(&0) {
        return false;
    }
    match std::str::from_utf8(head) {
        Ok(_) => true,
        // `error_len() == None`: the input ended inside a character.
        Err(e) => e.error_len().is_none() && head.len() - e.valid_up_to() < 4,
    }
}

/// An `<svg` root element, after any prolog (BOM, XML declaration,
/// comments, doctype), compared case-insensitively.
fn looks_like_svg(head: &[u8]) -> bool {
    let text = String::from_utf8_lossy(head).to_ascii_lowercase();
    let mut rest = text.trim_start_matches('\u{feff}').trim_start();
    loop {
        if rest.starts_with("<svg") {
            return true;
        }
        let skipped = if rest.starts_with("<?") {
            rest.find("?>").map(|i| i + 2)
        } else if rest.starts_with("<!--") {
            rest.find("-->").map(|i| i + 3)
        } else if rest.starts_with("<!doctype") {
            rest.find('>').map(|i| i + 1)
        } else {
            None
        };
        match skipped {
            Some(n) => rest = rest[n..].trim_start(),
            None => return false,
        }
    }
}

/// Longest stored file name, in characters.
const MAX_FILENAME_CHARS: usize = 200;

/// A file name safe to store and show: the last path component, without
/// control or bidirectional-override characters (which could disguise
/// `txt.exe` as `exe.txt`), without characters file systems reject, at most
/// 200 characters (keeping the extension), never empty or hidden.
pub fn sanitize_filename(raw: Option<&str>) -> String {
    let raw = raw.unwrap_or_default();
    let base = raw.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = base
        .chars()
        .filter(|c| !c.is_control() && !is_invisible_format_char(*c))
        .map(|c| match c {
            '<' | '>' | ':' | '"' | '|' | '?' | '*' => '_',
            c => c,
        })
        .collect();
    let trimmed = cleaned.trim().trim_matches('.').trim();
    let name = if trimmed.is_empty() { "file" } else { trimmed };
    shorten(name)
}

fn is_invisible_format_char(c: char) -> bool {
    matches!(c,
        '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2069}' | '\u{FEFF}')
}

fn shorten(name: &str) -> String {
    if name.chars().count() <= MAX_FILENAME_CHARS {
        return name.to_string();
    }
    let ext = name
        .rsplit_once('.')
        .map(|(_, e)| e)
        .filter(|e| !e.is_empty() && e.chars().count() <= 16);
    match ext {
        Some(ext) => {
            let keep = MAX_FILENAME_CHARS - ext.chars().count() - 1;
            let stem: String = name.chars().take(keep).collect();
            format!("{}.{ext}", stem.trim_end())
        }
        None => name.chars().take(MAX_FILENAME_CHARS).collect(),
    }
}

/// `inline` or `attachment`, with the name as an ASCII fallback and as
/// RFC 8187 UTF-8 (`filename*`), for a name from [`sanitize_filename`].
pub fn content_disposition(inline: bool, filename: &str) -> String {
    let ascii: String = filename
        .chars()
        .map(|c| {
            if c.is_ascii() && !c.is_ascii_control() && c != '"' && c != '\\' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut encoded = String::with_capacity(filename.len() * 3);
    for b in filename.bytes() {
        if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
            encoded.push(char::from(b));
        } else {
            encoded.push_str(&format!("%{b:02X}"));
        }
    }
    let disposition = if inline { "inline" } else { "attachment" };
    format!("{disposition}; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

#[cfg(test)]
mod tests {
    use super::*;

    const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";

    #[test]
    fn images_audio_and_files_are_told_apart_by_their_bytes() {
        assert_eq!(sniff(PNG).content_type, "image/png");
        assert_eq!(sniff(PNG).kind, Kind::Image(image::ImageFormat::Png));
        assert_eq!(sniff(b"GIF89a\x01\0\x01\0").content_type, "image/gif");
        assert_eq!(sniff(b"OggS\0\x02\0\0\0\0").kind, Kind::Audio);
        assert_eq!(sniff(b"%PDF-1.7\n").content_type, "application/pdf");
        assert_eq!(sniff(b"just some notes\n").content_type, "text/plain");
        assert_eq!(
            sniff(&[0x00, 0xff, 0x13, 0x37]).content_type,
            "application/octet-stream"
        );
    }

    #[test]
    fn markup_is_never_labelled_as_markup() {
        for html in [
            &b"<!DOCTYPE html><html><script>alert(1)</script>"[..],
            b"<html><body>hi</body></html>",
            b"  <script>alert(1)</script>",
        ] {
            assert_eq!(sniff(html).content_type, "text/plain", "{html:?}");
        }
        for svg in [
            &b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>"[..],
            b"\xef\xbb\xbf<?xml version=\"1.0\"?>\n<!-- x -->\n<!DOCTYPE svg>\n<SVG>",
        ] {
            assert_eq!(sniff(svg).content_type, "image/svg+xml", "{svg:?}");
            assert!(!is_safe_inline(sniff(svg).content_type));
        }
    }

    #[test]
    fn text_cut_inside_a_character_is_still_text() {
        let text = "héllo wörld".as_bytes();
        assert!(looks_like_text(&text[..2]));
        assert!(!looks_like_text(b"\xff\xfe not utf-8"));
    }

    #[test]
    fn voice_containers_become_audio_types() {
        let mut webm =
            b"\x1a\x45\xdf\xa3\x01\0\0\0\0\0\0\x1f\x42\x86\x81\x01\x42\x82\x84webm".to_vec();
        webm.resize(300, 0);
        let sniffed = sniff(&webm);
        assert_eq!(sniffed.kind, Kind::Audio);
        assert_eq!(sniffed.content_type, "video/webm");
        assert_eq!(sniffed.as_voice().content_type, "audio/webm");
    }

    #[test]
    fn file_names_are_sanitised() {
        assert_eq!(sanitize_filename(Some("../../etc/passwd")), "passwd");
        assert_eq!(
            sanitize_filename(Some("C:\\Users\\me\\report.pdf")),
            "report.pdf"
        );
        assert_eq!(
            sanitize_filename(Some("invoice\u{202E}fdp.exe")),
            "invoicefdp.exe"
        );
        assert_eq!(sanitize_filename(Some("a\"b<c>|d?.txt")), "a_b_c__d_.txt");
        assert_eq!(
            sanitize_filename(Some("line\r\nbreak.txt")),
            "linebreak.txt"
        );
        assert_eq!(sanitize_filename(Some(" .hidden ")), "hidden");
        assert_eq!(sanitize_filename(Some("..")), "file");
        assert_eq!(sanitize_filename(None), "file");
        let long = format!("{}.jpeg", "x".repeat(300));
        let short = sanitize_filename(Some(&long));
        assert_eq!(short.chars().count(), 200);
        assert!(short.ends_with("x.jpeg"));
    }

    #[test]
    fn dispositions_carry_ascii_and_utf8_names() {
        assert_eq!(
            content_disposition(false, "résumé 1.pdf"),
            "attachment; filename=\"r_sum_ 1.pdf\"; filename*=UTF-8''r%C3%A9sum%C3%A9%201.pdf"
        );
        assert!(content_disposition(true, "a.png").starts_with("inline; "));
    }
}
