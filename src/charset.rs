//! Byte-to-UTF-8 decoding shared by the `parse` (feeds) and `extract` (pages) stages.
//!
//! Order of evidence (DESIGN.md "Fetching rules"): a byte-order mark wins; then the HTTP
//! `Content-Type` charset and the document's own declaration (XML prolog, or `<meta charset>` /
//! `http-equiv` in the first 1024 bytes of HTML), preferring one under which the bytes decode
//! cleanly when they disagree; then detection with chardetng. Labels follow the WHATWG Encoding
//! Standard (encoding_rs), plus aliases real feeds use.

use encoding_rs::Encoding;
use std::borrow::Cow;

/// What kind of document the bytes are, which decides where a declaration is looked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DocKind {
    /// XML: the `encoding` pseudo-attribute of the `<?xml …?>` prolog.
    Xml,
    /// HTML: `<meta charset>` or `<meta http-equiv="Content-Type">` in the first 1024 bytes.
    Html,
}

/// The result of decoding: UTF-8 text and the encoding that was used.
#[derive(Debug)]
pub struct Decoded<'a> {
    /// The document as UTF-8 (borrowed when the input already was valid UTF-8).
    pub text: Cow<'a, str>,
    /// The encoding used.
    pub encoding: &'static Encoding,
    /// Whether some bytes were malformed in that encoding and replaced by U+FFFD.
    pub had_errors: bool,
}

/// Extracts the `charset` parameter of an HTTP `Content-Type` value (RFC 9110 §8.3), unquoted
/// and trimmed; `None` when absent.
pub fn charset_from_content_type(content_type: &str) -> Option<String> {
    content_type.split(';').skip(1).find_map(|param| {
        let (name, value) = param.split_once('=')?;
        if name.trim().eq_ignore_ascii_case("charset") {
            let v = value.trim().trim_matches(|c| c == '"' || c == '\'').trim();
            (!v.is_empty()).then(|| v.to_string())
        } else {
            None
        }
    })
}

/// Looks an encoding label up, accepting the WHATWG labels and common non-standard aliases
/// (`cp1256`, `win-1256`, `maccyrillic`, `ibm855`→`ibm866`-family fallbacks are not invented:
/// unknown labels give `None`).
pub fn encoding_for_label(label: &str) -> Option<&'static Encoding> {
    let l = label.trim().to_ascii_lowercase();
    if let Some(e) = Encoding::for_label(l.as_bytes()) {
        return Some(e);
    }
    let alias = match l.as_str() {
        "cp1250" | "win-1250" | "windows1250" => "windows-1250",
        "cp1251" | "win-1251" | "windows1251" => "windows-1251",
        "cp1252" | "win-1252" | "windows1252" => "windows-1252",
        "cp1253" | "win-1253" => "windows-1253",
        "cp1254" | "win-1254" => "windows-1254",
        "cp1255" | "win-1255" => "windows-1255",
        "cp1256" | "win-1256" | "windows1256" | "arabic-windows" => "windows-1256",
        "cp1257" | "win-1257" => "windows-1257",
        "cp1258" | "win-1258" => "windows-1258",
        "utf8" | "utf_8" => "utf-8",
        "iso8859-6" | "iso_8859_6" | "iso88596" => "iso-8859-6",
        "iso8859-1" | "iso_8859_1" | "iso88591" | "latin-1" => "windows-1252",
        "maccyrillic" | "mac-cyrillic" | "x-mac-cyrillic" => "x-mac-cyrillic",
        "utf-16" | "utf16" => "utf-16le",
        _ => return None,
    };
    Encoding::for_label(alias.as_bytes())
}

/// Finds the encoding declared inside the document (XML prolog or HTML meta), if any.
pub fn declared_encoding(bytes: &[u8], kind: DocKind) -> Option<&'static Encoding> {
    let head = &bytes[..bytes.len().min(1024)];
    // Declarations are ASCII; a lossy view is enough to find them.
    let head = String::from_utf8_lossy(head).to_ascii_lowercase();
    match kind {
        DocKind::Xml => {
            let start = head.find("<?xml")?;
            let end = head[start..].find("?>")? + start;
            let prolog = &head[start..end];
            let pos = prolog.find("encoding")?;
            let rest = prolog[pos + "encoding".len()..]
                .trim_start()
                .strip_prefix('=')?;
            let rest = rest.trim_start();
            let quote = rest.chars().next()?;
            if quote != '"' && quote != '\'' {
                return None;
            }
            let value = &rest[1..];
            let label = &value[..value.find(quote)?];
            encoding_for_label(label)
        }
        DocKind::Html => {
            let mut from = 0;
            while let Some(p) = head[from..].find("<meta") {
                let start = from + p;
                let end = head[start..].find('>').map_or(head.len(), |e| start + e);
                let tag = &head[start..end];
                if let Some(c) = tag.find("charset") {
                    let rest = tag[c + "charset".len()..].trim_start();
                    if let Some(rest) = rest.strip_prefix('=') {
                        let label: String = rest
                            .trim_start()
                            .trim_start_matches(['"', '\''])
                            .chars()
                            .take_while(|ch| !matches!(ch, '"' | '\'' | ';' | ' ' | '/' | '>'))
                            .collect();
                        if let Some(e) = encoding_for_label(&label) {
                            return Some(e);
                        }
                    }
                }
                from = end;
            }
            None
        }
    }
}

/// Decodes `bytes` to UTF-8. `http_charset` is the `charset` of the response's Content-Type;
/// `override_label` (a per-feed `encoding` setting) beats every other signal.
///
/// UTF-16 declared in a prolog of an 8-bit document is ignored (the declaration cannot be
/// true if it was readable as ASCII). The returned text never contains a BOM.
pub fn decode<'a>(
    bytes: &'a [u8],
    http_charset: Option<&str>,
    override_label: Option<&str>,
    kind: DocKind,
) -> Decoded<'a> {
    if let Some(enc) = override_label.and_then(encoding_for_label) {
        return run(bytes, enc);
    }
    if let Some((enc, bom_len)) = Encoding::for_bom(bytes) {
        let (text, had_errors) = enc.decode_without_bom_handling(&bytes[bom_len..]);
        return Decoded {
            text,
            encoding: enc,
            had_errors,
        };
    }
    let http = http_charset
        .and_then(encoding_for_label)
        .map(ascii_compatible);
    let declared = declared_encoding(bytes, kind).map(ascii_compatible);
    let candidates: Vec<&'static Encoding> = [http, declared].into_iter().flatten().collect();
    // Prefer the first candidate under which the bytes decode without errors.
    for &enc in &candidates {
        if enc == encoding_rs::UTF_8 {
            if std::str::from_utf8(bytes).is_ok() {
                return run(bytes, enc);
            }
        } else if enc
            .decode_without_bom_handling_and_without_replacement(bytes)
            .is_some()
        {
            return run(bytes, enc);
        }
    }
    if candidates.is_empty() && std::str::from_utf8(bytes).is_ok() {
        return run(bytes, encoding_rs::UTF_8);
    }
    if candidates.is_empty() || candidates.iter().all(|e| *e == encoding_rs::UTF_8) {
        let mut det = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
        det.feed(bytes, true);
        return run(bytes, det.guess(None, chardetng::Utf8Detection::Allow));
    }
    // Every candidate produced errors: trust the first one (HTTP before the document).
    run(bytes, candidates[0])
}

/// A declaration of UTF-16/32 in a document that is readable as ASCII cannot be right.
fn ascii_compatible(enc: &'static Encoding) -> &'static Encoding {
    if enc == encoding_rs::UTF_16LE || enc == encoding_rs::UTF_16BE {
        encoding_rs::UTF_8
    } else {
        enc
    }
}

fn run<'a>(bytes: &'a [u8], enc: &'static Encoding) -> Decoded<'a> {
    let (text, had_errors) = enc.decode_without_bom_handling(bytes);
    Decoded {
        text,
        encoding: enc,
        had_errors,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_type_charset() {
        assert_eq!(
            charset_from_content_type("text/html; charset=\"Windows-1256\"").as_deref(),
            Some("Windows-1256")
        );
        assert_eq!(charset_from_content_type("application/rss+xml"), None);
    }

    #[test]
    fn windows_1256_from_prolog() {
        let (bytes, _, _) = encoding_rs::WINDOWS_1256
            .encode("<?xml version=\"1.0\" encoding=\"windows-1256\"?><t>سوريا</t>");
        let d = decode(&bytes, None, None, DocKind::Xml);
        assert_eq!(d.encoding, encoding_rs::WINDOWS_1256);
        assert!(d.text.contains("سوريا"));
    }

    #[test]
    fn http_charset_wrong_falls_back_to_declaration() {
        let (bytes, _, _) = encoding_rs::WINDOWS_1256
            .encode("<html><head><meta charset=\"windows-1256\"></head><p>دمشق</p>");
        let d = decode(&bytes, Some("utf-8"), None, DocKind::Html);
        assert_eq!(d.encoding, encoding_rs::WINDOWS_1256);
        assert!(d.text.contains("دمشق"));
    }
}
