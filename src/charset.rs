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
    /// Set when a legacy code page outside the WHATWG set (e.g. `ibm855`) was used instead of
    /// `encoding`; its name.
    pub legacy: Option<&'static str>,
}

impl Decoded<'_> {
    /// Name of the encoding actually used (the legacy code page when there was one).
    pub fn name(&self) -> &'static str {
        self.legacy.unwrap_or_else(|| self.encoding.name())
    }
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
    declared_label(bytes, kind).and_then(|l| encoding_for_label(&l))
}

/// The raw label of the document's own declaration.
fn declared_label(bytes: &[u8], kind: DocKind) -> Option<String> {
    let head = &bytes[..bytes.len().min(1024)];
    match kind {
        DocKind::Xml => {
            // Only the prolog is looked at (declarations are ASCII; a lossy view is enough).
            let start = memchr::memmem::find(head, b"<?xml")
                .or_else(|| memchr::memmem::find(head, b"<?XML"))?;
            let end = memchr::memmem::find(&head[start..], b"?>")? + start;
            let prolog = String::from_utf8_lossy(&head[start..end]).to_ascii_lowercase();
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
            Some(value[..value.find(quote)?].trim().to_string())
        }
        DocKind::Html => {
            let head = String::from_utf8_lossy(head).to_ascii_lowercase();
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
                        if !label.is_empty() {
                            return Some(label);
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
    // UTF-32 (BOM or XML 1.0 Appendix F autodetection): encoding_rs does not implement it.
    if let Some((big_endian, skip)) = utf32_signature(bytes) {
        let unit = |c: &[u8]| {
            let a = [c[0], c[1], c[2], c[3]];
            if big_endian {
                u32::from_be_bytes(a)
            } else {
                u32::from_le_bytes(a)
            }
        };
        let mut had_errors = false;
        let text: String = bytes[skip..]
            .chunks_exact(4)
            .map(|c| {
                char::from_u32(unit(c)).unwrap_or_else(|| {
                    had_errors = true;
                    '\u{fffd}'
                })
            })
            .collect();
        return Decoded {
            text: Cow::Owned(text),
            encoding: encoding_rs::UTF_8,
            had_errors,
            legacy: Some(if big_endian { "utf-32be" } else { "utf-32le" }),
        };
    }
    // UTF-16 without a BOM, recognised by `<?` in two-byte units (XML 1.0 Appendix F).
    if !bytes.starts_with(&[0xfe, 0xff]) && !bytes.starts_with(&[0xff, 0xfe]) {
        if bytes.starts_with(&[0, b'<', 0, b'?']) {
            return run(bytes, encoding_rs::UTF_16BE);
        }
        if bytes.starts_with(&[b'<', 0, b'?', 0]) {
            return run(bytes, encoding_rs::UTF_16LE);
        }
    }
    if let Some((enc, bom_len)) = Encoding::for_bom(bytes) {
        let (text, had_errors) = enc.decode_without_bom_handling(&bytes[bom_len..]);
        return Decoded {
            text,
            encoding: enc,
            had_errors,
            legacy: None,
        };
    }
    // A code page encoding_rs does not know, named by the HTTP header or the declaration.
    let declared_label = declared_label(bytes, kind);
    let legacy = http_charset
        .filter(|l| encoding_for_label(l).is_none())
        .and_then(legacy_table)
        .or_else(|| {
            declared_label
                .as_deref()
                .filter(|l| encoding_for_label(l).is_none())
                .and_then(legacy_table)
        });
    if let Some((name, table)) = legacy {
        let text: String = bytes
            .iter()
            .map(|&b| {
                if b < 0x80 {
                    char::from(b)
                } else {
                    table[usize::from(b - 0x80)]
                }
            })
            .collect();
        return Decoded {
            text: Cow::Owned(text),
            encoding: encoding_rs::WINDOWS_1252,
            had_errors: false,
            legacy: Some(name),
        };
    }
    let http = http_charset
        .and_then(encoding_for_label)
        .map(ascii_compatible);
    let declared = declared_label
        .as_deref()
        .and_then(encoding_for_label)
        .map(ascii_compatible);
    let candidates: Vec<&'static Encoding> = [http, declared].into_iter().flatten().collect();
    // Bytes that are valid UTF-8 and not plain ASCII are UTF-8 whatever an 8-bit label says:
    // real legacy-encoded text is practically never valid UTF-8, and a stale label is common.
    if !candidates.is_empty() && !candidates.contains(&encoding_rs::UTF_8) && !bytes.is_ascii() {
        if let Ok(text) = simdutf8::basic::from_utf8(bytes) {
            return borrowed_utf8(text);
        }
    }
    // Prefer the first candidate under which the bytes decode without errors.
    for &enc in &candidates {
        if enc == encoding_rs::UTF_8 {
            if let Ok(text) = simdutf8::basic::from_utf8(bytes) {
                return borrowed_utf8(text);
            }
        } else if let Some(text) = enc.decode_without_bom_handling_and_without_replacement(bytes) {
            return Decoded {
                text,
                encoding: enc,
                had_errors: false,
                legacy: None,
            };
        }
    }
    if candidates.is_empty() {
        if let Ok(text) = simdutf8::basic::from_utf8(bytes) {
            return borrowed_utf8(text);
        }
    }
    if candidates.is_empty() || candidates.iter().all(|e| *e == encoding_rs::UTF_8) {
        return run(bytes, detect(bytes));
    }
    // Every candidate produced errors: trust the first one (HTTP before the document).
    run(bytes, candidates[0])
}

/// Guesses the encoding of bytes that are not UTF-8 with chardetng, fed only the lines that
/// hold a non-ASCII byte: its scores come from non-ASCII bytes and their neighbours, and the
/// markup lines of a feed (most of its bytes) would only make the detection slower.
fn detect(bytes: &[u8]) -> &'static Encoding {
    let mut det = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
    let mut start = 0;
    while start < bytes.len() {
        let end = memchr::memchr(b'\n', &bytes[start..]).map_or(bytes.len(), |p| start + p + 1);
        let line = &bytes[start..end];
        if !line.is_ascii() {
            det.feed(line, false);
        }
        start = end;
    }
    det.feed(&[], true);
    det.guess(None, chardetng::Utf8Detection::Allow)
}

/// `(big endian, bytes to skip)` when the document is UTF-32 (BOM, or `<` as a 4-byte unit).
fn utf32_signature(bytes: &[u8]) -> Option<(bool, usize)> {
    match bytes.get(..4)? {
        [0, 0, 0xfe, 0xff] => Some((true, 4)),
        [0xff, 0xfe, 0, 0] => Some((false, 4)),
        [0, 0, 0, b'<'] => Some((true, 0)),
        [b'<', 0, 0, 0] => Some((false, 0)),
        _ => None,
    }
}

/// A declaration of UTF-16/32 in a document that is readable as ASCII cannot be right.
fn ascii_compatible(enc: &'static Encoding) -> &'static Encoding {
    if enc == encoding_rs::UTF_16LE || enc == encoding_rs::UTF_16BE {
        encoding_rs::UTF_8
    } else {
        enc
    }
}

/// Valid UTF-8 needs no second pass through the decoder.
fn borrowed_utf8(text: &str) -> Decoded<'_> {
    Decoded {
        text: Cow::Borrowed(text),
        encoding: encoding_rs::UTF_8,
        had_errors: false,
        legacy: None,
    }
}

fn run<'a>(bytes: &'a [u8], enc: &'static Encoding) -> Decoded<'a> {
    let (text, had_errors) = enc.decode_without_bom_handling(bytes);
    Decoded {
        text,
        encoding: enc,
        had_errors,
        legacy: None,
    }
}

/// Repairs UTF-8 that was encoded twice (UTF-8 bytes read as windows-1252 and encoded again:
/// `Ã©` for `é`), as feedparser does. Only when the whole text maps back to windows-1252 bytes
/// that are valid UTF-8 and it shows the tell-tale `Ã`/`Â` pairs; otherwise `None`.
pub fn repair_double_utf8(text: &str) -> Option<String> {
    // `Ã`, `Â` and `â` are the windows-1252 readings of the lead bytes of Latin-1 letters,
    // no-break space and punctuation such as `’`; without one there is nothing to repair, and
    // when one is followed by a character that does not read back as a UTF-8 continuation
    // byte (`âge`), the whole text cannot be repaired: both are checked before re-encoding.
    let b = text.as_bytes();
    let mut leads = memchr::memchr_iter(0xc3, b)
        .filter(|&p| matches!(b.get(p + 1), Some(0x82 | 0x83 | 0xa2)))
        .peekable();
    leads.peek()?;
    for p in leads {
        let next = text[p + 2..].chars().next()?;
        let mut buf = [0u8; 4];
        let (byte, _, unmappable) = encoding_rs::WINDOWS_1252.encode(next.encode_utf8(&mut buf));
        if unmappable || byte.len() != 1 || !(0x80..=0xbf).contains(&byte[0]) {
            return None;
        }
    }
    let (bytes, _, unmappable) = encoding_rs::WINDOWS_1252.encode(text);
    if unmappable {
        return None;
    }
    // Re-reading as UTF-8 must succeed and change something.
    match String::from_utf8(bytes.into_owned()) {
        Ok(s) if s != text => Some(s),
        _ => None,
    }
}

fn legacy_table(label: &str) -> Option<(&'static str, &'static [char; 128])> {
    let l = label.trim().to_ascii_lowercase();
    legacy::LEGACY
        .iter()
        .find(|(labels, _)| labels.contains(&l.as_str()))
        .map(|(labels, t)| (labels[0], t))
}

/// Single-byte code pages real feeds declare that the WHATWG Encoding Standard (and so
/// encoding_rs) does not define. Upper halves (0x80–0xFF) generated from Python's codecs; the
/// lower half is ASCII in all of them.
mod legacy {

    /// `(labels, upper-half table)` for each code page.
    pub(crate) static LEGACY: &[(&[&str], [char; 128])] = &[
        (
            &["ibm437", "cp437", "437", "ibm-437"],
            [
                '\u{c7}', '\u{fc}', '\u{e9}', '\u{e2}', '\u{e4}', '\u{e0}', '\u{e5}', '\u{e7}',
                '\u{ea}', '\u{eb}', '\u{e8}', '\u{ef}', '\u{ee}', '\u{ec}', '\u{c4}', '\u{c5}',
                '\u{c9}', '\u{e6}', '\u{c6}', '\u{f4}', '\u{f6}', '\u{f2}', '\u{fb}', '\u{f9}',
                '\u{ff}', '\u{d6}', '\u{dc}', '\u{a2}', '\u{a3}', '\u{a5}', '\u{20a7}', '\u{192}',
                '\u{e1}', '\u{ed}', '\u{f3}', '\u{fa}', '\u{f1}', '\u{d1}', '\u{aa}', '\u{ba}',
                '\u{bf}', '\u{2310}', '\u{ac}', '\u{bd}', '\u{bc}', '\u{a1}', '\u{ab}', '\u{bb}',
                '\u{2591}', '\u{2592}', '\u{2593}', '\u{2502}', '\u{2524}', '\u{2561}', '\u{2562}',
                '\u{2556}', '\u{2555}', '\u{2563}', '\u{2551}', '\u{2557}', '\u{255d}', '\u{255c}',
                '\u{255b}', '\u{2510}', '\u{2514}', '\u{2534}', '\u{252c}', '\u{251c}', '\u{2500}',
                '\u{253c}', '\u{255e}', '\u{255f}', '\u{255a}', '\u{2554}', '\u{2569}', '\u{2566}',
                '\u{2560}', '\u{2550}', '\u{256c}', '\u{2567}', '\u{2568}', '\u{2564}', '\u{2565}',
                '\u{2559}', '\u{2558}', '\u{2552}', '\u{2553}', '\u{256b}', '\u{256a}', '\u{2518}',
                '\u{250c}', '\u{2588}', '\u{2584}', '\u{258c}', '\u{2590}', '\u{2580}', '\u{3b1}',
                '\u{df}', '\u{393}', '\u{3c0}', '\u{3a3}', '\u{3c3}', '\u{b5}', '\u{3c4}',
                '\u{3a6}', '\u{398}', '\u{3a9}', '\u{3b4}', '\u{221e}', '\u{3c6}', '\u{3b5}',
                '\u{2229}', '\u{2261}', '\u{b1}', '\u{2265}', '\u{2264}', '\u{2320}', '\u{2321}',
                '\u{f7}', '\u{2248}', '\u{b0}', '\u{2219}', '\u{b7}', '\u{221a}', '\u{207f}',
                '\u{b2}', '\u{25a0}', '\u{a0}',
            ],
        ),
        (
            &["ibm850", "cp850", "850", "ibm-850"],
            [
                '\u{c7}', '\u{fc}', '\u{e9}', '\u{e2}', '\u{e4}', '\u{e0}', '\u{e5}', '\u{e7}',
                '\u{ea}', '\u{eb}', '\u{e8}', '\u{ef}', '\u{ee}', '\u{ec}', '\u{c4}', '\u{c5}',
                '\u{c9}', '\u{e6}', '\u{c6}', '\u{f4}', '\u{f6}', '\u{f2}', '\u{fb}', '\u{f9}',
                '\u{ff}', '\u{d6}', '\u{dc}', '\u{f8}', '\u{a3}', '\u{d8}', '\u{d7}', '\u{192}',
                '\u{e1}', '\u{ed}', '\u{f3}', '\u{fa}', '\u{f1}', '\u{d1}', '\u{aa}', '\u{ba}',
                '\u{bf}', '\u{ae}', '\u{ac}', '\u{bd}', '\u{bc}', '\u{a1}', '\u{ab}', '\u{bb}',
                '\u{2591}', '\u{2592}', '\u{2593}', '\u{2502}', '\u{2524}', '\u{c1}', '\u{c2}',
                '\u{c0}', '\u{a9}', '\u{2563}', '\u{2551}', '\u{2557}', '\u{255d}', '\u{a2}',
                '\u{a5}', '\u{2510}', '\u{2514}', '\u{2534}', '\u{252c}', '\u{251c}', '\u{2500}',
                '\u{253c}', '\u{e3}', '\u{c3}', '\u{255a}', '\u{2554}', '\u{2569}', '\u{2566}',
                '\u{2560}', '\u{2550}', '\u{256c}', '\u{a4}', '\u{f0}', '\u{d0}', '\u{ca}',
                '\u{cb}', '\u{c8}', '\u{131}', '\u{cd}', '\u{ce}', '\u{cf}', '\u{2518}',
                '\u{250c}', '\u{2588}', '\u{2584}', '\u{a6}', '\u{cc}', '\u{2580}', '\u{d3}',
                '\u{df}', '\u{d4}', '\u{d2}', '\u{f5}', '\u{d5}', '\u{b5}', '\u{fe}', '\u{de}',
                '\u{da}', '\u{db}', '\u{d9}', '\u{fd}', '\u{dd}', '\u{af}', '\u{b4}', '\u{ad}',
                '\u{b1}', '\u{2017}', '\u{be}', '\u{b6}', '\u{a7}', '\u{f7}', '\u{b8}', '\u{b0}',
                '\u{a8}', '\u{b7}', '\u{b9}', '\u{b3}', '\u{b2}', '\u{25a0}', '\u{a0}',
            ],
        ),
        (
            &["ibm852", "cp852", "852", "ibm-852"],
            [
                '\u{c7}', '\u{fc}', '\u{e9}', '\u{e2}', '\u{e4}', '\u{16f}', '\u{107}', '\u{e7}',
                '\u{142}', '\u{eb}', '\u{150}', '\u{151}', '\u{ee}', '\u{179}', '\u{c4}',
                '\u{106}', '\u{c9}', '\u{139}', '\u{13a}', '\u{f4}', '\u{f6}', '\u{13d}',
                '\u{13e}', '\u{15a}', '\u{15b}', '\u{d6}', '\u{dc}', '\u{164}', '\u{165}',
                '\u{141}', '\u{d7}', '\u{10d}', '\u{e1}', '\u{ed}', '\u{f3}', '\u{fa}', '\u{104}',
                '\u{105}', '\u{17d}', '\u{17e}', '\u{118}', '\u{119}', '\u{ac}', '\u{17a}',
                '\u{10c}', '\u{15f}', '\u{ab}', '\u{bb}', '\u{2591}', '\u{2592}', '\u{2593}',
                '\u{2502}', '\u{2524}', '\u{c1}', '\u{c2}', '\u{11a}', '\u{15e}', '\u{2563}',
                '\u{2551}', '\u{2557}', '\u{255d}', '\u{17b}', '\u{17c}', '\u{2510}', '\u{2514}',
                '\u{2534}', '\u{252c}', '\u{251c}', '\u{2500}', '\u{253c}', '\u{102}', '\u{103}',
                '\u{255a}', '\u{2554}', '\u{2569}', '\u{2566}', '\u{2560}', '\u{2550}', '\u{256c}',
                '\u{a4}', '\u{111}', '\u{110}', '\u{10e}', '\u{cb}', '\u{10f}', '\u{147}',
                '\u{cd}', '\u{ce}', '\u{11b}', '\u{2518}', '\u{250c}', '\u{2588}', '\u{2584}',
                '\u{162}', '\u{16e}', '\u{2580}', '\u{d3}', '\u{df}', '\u{d4}', '\u{143}',
                '\u{144}', '\u{148}', '\u{160}', '\u{161}', '\u{154}', '\u{da}', '\u{155}',
                '\u{170}', '\u{fd}', '\u{dd}', '\u{163}', '\u{b4}', '\u{ad}', '\u{2dd}', '\u{2db}',
                '\u{2c7}', '\u{2d8}', '\u{a7}', '\u{f7}', '\u{b8}', '\u{b0}', '\u{a8}', '\u{2d9}',
                '\u{171}', '\u{158}', '\u{159}', '\u{25a0}', '\u{a0}',
            ],
        ),
        (
            &["ibm855", "cp855", "855", "ibm-855"],
            [
                '\u{452}', '\u{402}', '\u{453}', '\u{403}', '\u{451}', '\u{401}', '\u{454}',
                '\u{404}', '\u{455}', '\u{405}', '\u{456}', '\u{406}', '\u{457}', '\u{407}',
                '\u{458}', '\u{408}', '\u{459}', '\u{409}', '\u{45a}', '\u{40a}', '\u{45b}',
                '\u{40b}', '\u{45c}', '\u{40c}', '\u{45e}', '\u{40e}', '\u{45f}', '\u{40f}',
                '\u{44e}', '\u{42e}', '\u{44a}', '\u{42a}', '\u{430}', '\u{410}', '\u{431}',
                '\u{411}', '\u{446}', '\u{426}', '\u{434}', '\u{414}', '\u{435}', '\u{415}',
                '\u{444}', '\u{424}', '\u{433}', '\u{413}', '\u{ab}', '\u{bb}', '\u{2591}',
                '\u{2592}', '\u{2593}', '\u{2502}', '\u{2524}', '\u{445}', '\u{425}', '\u{438}',
                '\u{418}', '\u{2563}', '\u{2551}', '\u{2557}', '\u{255d}', '\u{439}', '\u{419}',
                '\u{2510}', '\u{2514}', '\u{2534}', '\u{252c}', '\u{251c}', '\u{2500}', '\u{253c}',
                '\u{43a}', '\u{41a}', '\u{255a}', '\u{2554}', '\u{2569}', '\u{2566}', '\u{2560}',
                '\u{2550}', '\u{256c}', '\u{a4}', '\u{43b}', '\u{41b}', '\u{43c}', '\u{41c}',
                '\u{43d}', '\u{41d}', '\u{43e}', '\u{41e}', '\u{43f}', '\u{2518}', '\u{250c}',
                '\u{2588}', '\u{2584}', '\u{41f}', '\u{44f}', '\u{2580}', '\u{42f}', '\u{440}',
                '\u{420}', '\u{441}', '\u{421}', '\u{442}', '\u{422}', '\u{443}', '\u{423}',
                '\u{436}', '\u{416}', '\u{432}', '\u{412}', '\u{44c}', '\u{42c}', '\u{2116}',
                '\u{ad}', '\u{44b}', '\u{42b}', '\u{437}', '\u{417}', '\u{448}', '\u{428}',
                '\u{44d}', '\u{42d}', '\u{449}', '\u{429}', '\u{447}', '\u{427}', '\u{a7}',
                '\u{25a0}', '\u{a0}',
            ],
        ),
        (
            &["ibm857", "cp857", "857"],
            [
                '\u{c7}', '\u{fc}', '\u{e9}', '\u{e2}', '\u{e4}', '\u{e0}', '\u{e5}', '\u{e7}',
                '\u{ea}', '\u{eb}', '\u{e8}', '\u{ef}', '\u{ee}', '\u{131}', '\u{c4}', '\u{c5}',
                '\u{c9}', '\u{e6}', '\u{c6}', '\u{f4}', '\u{f6}', '\u{f2}', '\u{fb}', '\u{f9}',
                '\u{130}', '\u{d6}', '\u{dc}', '\u{f8}', '\u{a3}', '\u{d8}', '\u{15e}', '\u{15f}',
                '\u{e1}', '\u{ed}', '\u{f3}', '\u{fa}', '\u{f1}', '\u{d1}', '\u{11e}', '\u{11f}',
                '\u{bf}', '\u{ae}', '\u{ac}', '\u{bd}', '\u{bc}', '\u{a1}', '\u{ab}', '\u{bb}',
                '\u{2591}', '\u{2592}', '\u{2593}', '\u{2502}', '\u{2524}', '\u{c1}', '\u{c2}',
                '\u{c0}', '\u{a9}', '\u{2563}', '\u{2551}', '\u{2557}', '\u{255d}', '\u{a2}',
                '\u{a5}', '\u{2510}', '\u{2514}', '\u{2534}', '\u{252c}', '\u{251c}', '\u{2500}',
                '\u{253c}', '\u{e3}', '\u{c3}', '\u{255a}', '\u{2554}', '\u{2569}', '\u{2566}',
                '\u{2560}', '\u{2550}', '\u{256c}', '\u{a4}', '\u{ba}', '\u{aa}', '\u{ca}',
                '\u{cb}', '\u{c8}', '\u{fffd}', '\u{cd}', '\u{ce}', '\u{cf}', '\u{2518}',
                '\u{250c}', '\u{2588}', '\u{2584}', '\u{a6}', '\u{cc}', '\u{2580}', '\u{d3}',
                '\u{df}', '\u{d4}', '\u{d2}', '\u{f5}', '\u{d5}', '\u{b5}', '\u{fffd}', '\u{d7}',
                '\u{da}', '\u{db}', '\u{d9}', '\u{ec}', '\u{ff}', '\u{af}', '\u{b4}', '\u{ad}',
                '\u{b1}', '\u{fffd}', '\u{be}', '\u{b6}', '\u{a7}', '\u{f7}', '\u{b8}', '\u{b0}',
                '\u{a8}', '\u{b7}', '\u{b9}', '\u{b3}', '\u{b2}', '\u{25a0}', '\u{a0}',
            ],
        ),
        (
            &["ibm862", "cp862", "862"],
            [
                '\u{5d0}', '\u{5d1}', '\u{5d2}', '\u{5d3}', '\u{5d4}', '\u{5d5}', '\u{5d6}',
                '\u{5d7}', '\u{5d8}', '\u{5d9}', '\u{5da}', '\u{5db}', '\u{5dc}', '\u{5dd}',
                '\u{5de}', '\u{5df}', '\u{5e0}', '\u{5e1}', '\u{5e2}', '\u{5e3}', '\u{5e4}',
                '\u{5e5}', '\u{5e6}', '\u{5e7}', '\u{5e8}', '\u{5e9}', '\u{5ea}', '\u{a2}',
                '\u{a3}', '\u{a5}', '\u{20a7}', '\u{192}', '\u{e1}', '\u{ed}', '\u{f3}', '\u{fa}',
                '\u{f1}', '\u{d1}', '\u{aa}', '\u{ba}', '\u{bf}', '\u{2310}', '\u{ac}', '\u{bd}',
                '\u{bc}', '\u{a1}', '\u{ab}', '\u{bb}', '\u{2591}', '\u{2592}', '\u{2593}',
                '\u{2502}', '\u{2524}', '\u{2561}', '\u{2562}', '\u{2556}', '\u{2555}', '\u{2563}',
                '\u{2551}', '\u{2557}', '\u{255d}', '\u{255c}', '\u{255b}', '\u{2510}', '\u{2514}',
                '\u{2534}', '\u{252c}', '\u{251c}', '\u{2500}', '\u{253c}', '\u{255e}', '\u{255f}',
                '\u{255a}', '\u{2554}', '\u{2569}', '\u{2566}', '\u{2560}', '\u{2550}', '\u{256c}',
                '\u{2567}', '\u{2568}', '\u{2564}', '\u{2565}', '\u{2559}', '\u{2558}', '\u{2552}',
                '\u{2553}', '\u{256b}', '\u{256a}', '\u{2518}', '\u{250c}', '\u{2588}', '\u{2584}',
                '\u{258c}', '\u{2590}', '\u{2580}', '\u{3b1}', '\u{df}', '\u{393}', '\u{3c0}',
                '\u{3a3}', '\u{3c3}', '\u{b5}', '\u{3c4}', '\u{3a6}', '\u{398}', '\u{3a9}',
                '\u{3b4}', '\u{221e}', '\u{3c6}', '\u{3b5}', '\u{2229}', '\u{2261}', '\u{b1}',
                '\u{2265}', '\u{2264}', '\u{2320}', '\u{2321}', '\u{f7}', '\u{2248}', '\u{b0}',
                '\u{2219}', '\u{b7}', '\u{221a}', '\u{207f}', '\u{b2}', '\u{25a0}', '\u{a0}',
            ],
        ),
        (
            &["ibm864", "cp864", "864"],
            [
                '\u{b0}', '\u{b7}', '\u{2219}', '\u{221a}', '\u{2592}', '\u{2500}', '\u{2502}',
                '\u{253c}', '\u{2524}', '\u{252c}', '\u{251c}', '\u{2534}', '\u{2510}', '\u{250c}',
                '\u{2514}', '\u{2518}', '\u{3b2}', '\u{221e}', '\u{3c6}', '\u{b1}', '\u{bd}',
                '\u{bc}', '\u{2248}', '\u{ab}', '\u{bb}', '\u{fef7}', '\u{fef8}', '\u{fffd}',
                '\u{fffd}', '\u{fefb}', '\u{fefc}', '\u{fffd}', '\u{a0}', '\u{ad}', '\u{fe82}',
                '\u{a3}', '\u{a4}', '\u{fe84}', '\u{fffd}', '\u{fffd}', '\u{fe8e}', '\u{fe8f}',
                '\u{fe95}', '\u{fe99}', '\u{60c}', '\u{fe9d}', '\u{fea1}', '\u{fea5}', '\u{660}',
                '\u{661}', '\u{662}', '\u{663}', '\u{664}', '\u{665}', '\u{666}', '\u{667}',
                '\u{668}', '\u{669}', '\u{fed1}', '\u{61b}', '\u{feb1}', '\u{feb5}', '\u{feb9}',
                '\u{61f}', '\u{a2}', '\u{fe80}', '\u{fe81}', '\u{fe83}', '\u{fe85}', '\u{feca}',
                '\u{fe8b}', '\u{fe8d}', '\u{fe91}', '\u{fe93}', '\u{fe97}', '\u{fe9b}', '\u{fe9f}',
                '\u{fea3}', '\u{fea7}', '\u{fea9}', '\u{feab}', '\u{fead}', '\u{feaf}', '\u{feb3}',
                '\u{feb7}', '\u{febb}', '\u{febf}', '\u{fec1}', '\u{fec5}', '\u{fecb}', '\u{fecf}',
                '\u{a6}', '\u{ac}', '\u{f7}', '\u{d7}', '\u{fec9}', '\u{640}', '\u{fed3}',
                '\u{fed7}', '\u{fedb}', '\u{fedf}', '\u{fee3}', '\u{fee7}', '\u{feeb}', '\u{feed}',
                '\u{feef}', '\u{fef3}', '\u{febd}', '\u{fecc}', '\u{fece}', '\u{fecd}', '\u{fee1}',
                '\u{fe7d}', '\u{651}', '\u{fee5}', '\u{fee9}', '\u{feec}', '\u{fef0}', '\u{fef2}',
                '\u{fed0}', '\u{fed5}', '\u{fef5}', '\u{fef6}', '\u{fedd}', '\u{fed9}', '\u{fef1}',
                '\u{25a0}', '\u{fffd}',
            ],
        ),
        (
            &["macarabic", "mac-arabic", "x-mac-arabic"],
            [
                '\u{c4}', '\u{a0}', '\u{c7}', '\u{c9}', '\u{d1}', '\u{d6}', '\u{dc}', '\u{e1}',
                '\u{e0}', '\u{e2}', '\u{e4}', '\u{6ba}', '\u{ab}', '\u{e7}', '\u{e9}', '\u{e8}',
                '\u{ea}', '\u{eb}', '\u{ed}', '\u{2026}', '\u{ee}', '\u{ef}', '\u{f1}', '\u{f3}',
                '\u{bb}', '\u{f4}', '\u{f6}', '\u{f7}', '\u{fa}', '\u{f9}', '\u{fb}', '\u{fc}',
                '\u{20}', '\u{21}', '\u{22}', '\u{23}', '\u{24}', '\u{66a}', '\u{26}', '\u{27}',
                '\u{28}', '\u{29}', '\u{2a}', '\u{2b}', '\u{60c}', '\u{2d}', '\u{2e}', '\u{2f}',
                '\u{660}', '\u{661}', '\u{662}', '\u{663}', '\u{664}', '\u{665}', '\u{666}',
                '\u{667}', '\u{668}', '\u{669}', '\u{3a}', '\u{61b}', '\u{3c}', '\u{3d}', '\u{3e}',
                '\u{61f}', '\u{274a}', '\u{621}', '\u{622}', '\u{623}', '\u{624}', '\u{625}',
                '\u{626}', '\u{627}', '\u{628}', '\u{629}', '\u{62a}', '\u{62b}', '\u{62c}',
                '\u{62d}', '\u{62e}', '\u{62f}', '\u{630}', '\u{631}', '\u{632}', '\u{633}',
                '\u{634}', '\u{635}', '\u{636}', '\u{637}', '\u{638}', '\u{639}', '\u{63a}',
                '\u{5b}', '\u{5c}', '\u{5d}', '\u{5e}', '\u{5f}', '\u{640}', '\u{641}', '\u{642}',
                '\u{643}', '\u{644}', '\u{645}', '\u{646}', '\u{647}', '\u{648}', '\u{649}',
                '\u{64a}', '\u{64b}', '\u{64c}', '\u{64d}', '\u{64e}', '\u{64f}', '\u{650}',
                '\u{651}', '\u{652}', '\u{67e}', '\u{679}', '\u{686}', '\u{6d5}', '\u{6a4}',
                '\u{6af}', '\u{688}', '\u{691}', '\u{7b}', '\u{7c}', '\u{7d}', '\u{698}',
                '\u{6d2}',
            ],
        ),
    ];
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
