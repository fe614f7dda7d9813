//! Text fix-ups applied to every decoded XML feed before feed-rs sees it.
//!
//! They make the text acceptable to a strict XML reader without changing what it says:
//! the XML declaration is removed (the text is UTF-8 now, and a stale `encoding=` would make the
//! reader decode it twice), characters XML 1.0 forbids (§2.2) are dropped, HTML named entities
//! become the characters they name, and a bare or unknown `&` becomes `&amp;`. CDATA sections
//! and comments are copied untouched. One linear pass; nothing is allocated for clean input.

use super::entities::HTML_ENTITIES;
use std::borrow::Cow;

/// Applies every fix-up; borrows when the text needed none.
pub(crate) fn fix_text(text: &str) -> Cow<'_, str> {
    let (start, decl) = prolog_span(text);
    let body = &text[start..];
    // Most feeds need nothing but the declaration at the very start removed: checked with
    // a few vectorised searches instead of the byte-by-byte pass below, and borrowed.
    let rest_from = match decl {
        None => Some(0),
        Some((0, de)) => Some(de),
        Some(_) => None,
    };
    if let Some(from) = rest_from {
        if needs_nothing(&body.as_bytes()[from..]) {
            return Cow::Borrowed(&body[from..]);
        }
    }
    let mut out: Option<String> = None;
    let bytes = body.as_bytes();
    // Without control characters only `<` and `&` matter, and memchr2 jumps to the next one.
    let controls = forbidden_controls(bytes);
    let mut copied = 0; // bytes of `body` already in `out`
    let mut i = 0;
    if let Some((ds, de)) = decl {
        // Drop the declaration: keep what precedes it (comments) and what follows.
        let mut s = String::with_capacity(body.len());
        s.push_str(&body[..ds]);
        out = Some(s);
        copied = de;
        i = de;
    }
    while i < bytes.len() {
        let b = bytes[i];
        if !SPECIAL[usize::from(b)] {
            i = if controls {
                i + 1
            } else {
                memchr::memchr2(b'<', b'&', &bytes[i..]).map_or(bytes.len(), |p| i + p)
            };
            continue;
        }
        match b {
            b'<' => {
                let rest = &bytes[i..];
                let skip_to = if rest.starts_with(b"<![CDATA[") {
                    find(rest, b"]]>").map(|p| p + 3)
                } else if rest.starts_with(b"<!--") {
                    find(&rest[4..], b"-->").map(|p| p + 7)
                } else if rest.starts_with(b"<?xml")
                    && rest
                        .get(5)
                        .is_some_and(|c| c.is_ascii_whitespace() || *c == b'?')
                {
                    // A declaration that is not at the start is ill-formed, and quick-xml
                    // panics on one that names an encoding (found by fuzzing): drop it.
                    let end = find(rest, b"?>").map_or(rest.len(), |p| p + 2);
                    let o = out.get_or_insert_with(|| String::with_capacity(body.len()));
                    o.push_str(&body[copied..i]);
                    i += end;
                    copied = i;
                    continue;
                } else {
                    None
                };
                match skip_to {
                    Some(n) => i += n,
                    None => i += 1,
                }
            }
            b'&' => {
                let (keep, replacement) = entity_at(&body[i..]);
                match replacement {
                    None => i += keep,
                    Some(rep) => {
                        let o = out.get_or_insert_with(|| String::with_capacity(body.len() + 64));
                        o.push_str(&body[copied..i]);
                        o.push_str(&rep);
                        i += keep;
                        copied = i;
                    }
                }
            }
            0..=8 | 0x0b | 0x0c | 0x0e..=0x1f => {
                let o = out.get_or_insert_with(|| String::with_capacity(body.len()));
                o.push_str(&body[copied..i]);
                i += 1;
                copied = i;
            }
            _ => i += 1,
        }
    }
    match out {
        Some(mut o) => {
            o.push_str(&body[copied..]);
            Cow::Owned(o)
        }
        None => Cow::Borrowed(body),
    }
}

/// Whether the fix-up pass would leave `b` unchanged: no control character XML forbids, no
/// XML declaration, and every `&` starts a reference XML knows (inside CDATA too, where the
/// pass would not touch it anyway).
fn needs_nothing(b: &[u8]) -> bool {
    if forbidden_controls(b) {
        return false;
    }
    let declaration = memchr::memmem::find_iter(b, b"<?xml").any(|p| {
        b.get(p + 5)
            .is_none_or(|c| c.is_ascii_whitespace() || *c == b'?')
    });
    if declaration {
        return false;
    }
    memchr::memchr_iter(b'&', b).all(|p| {
        let r = &b[p + 1..];
        // The references feeds use most, accepted without a closer look.
        if r.starts_with(b"amp;") || r.starts_with(b"lt;") || r.starts_with(b"gt;") {
            return true;
        }
        // `b` is a suffix of a `str` cut at a char boundary and `&` is ASCII.
        std::str::from_utf8(&b[p..b.len().min(p + 48)])
            .or_else(|e| std::str::from_utf8(&b[p..p + e.valid_up_to()]))
            .is_ok_and(|s| entity_at(s).1.is_none())
    })
}

/// Whether `b` holds a control character XML 1.0 forbids (§2.2).
fn forbidden_controls(b: &[u8]) -> bool {
    // Branch-free per chunk, so the compiler vectorises it.
    b.chunks(256).any(|chunk| {
        chunk.iter().fold(false, |acc, &c| {
            acc | ((c < 0x20) & (c != b'\t') & (c != b'\n') & (c != b'\r'))
        })
    })
}

/// Bytes the pass has to look at: `<`, `&` and the control characters XML forbids.
static SPECIAL: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 0x20 {
        t[b] = !matches!(b, 0x09 | 0x0a | 0x0d);
        b += 1;
    }
    t[b'<' as usize] = true;
    t[b'&' as usize] = true;
    t
};

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    memchr::memmem::find(hay, needle)
}

/// Skips a BOM and whitespace before the first markup, and finds the XML declaration when it
/// comes before the root element (possibly after comments). Returns the start of the document
/// and the declaration's span relative to it.
fn prolog_span(text: &str) -> (usize, Option<(usize, usize)>) {
    let start = text.len()
        - text
            .trim_start_matches(['\u{feff}', ' ', '\t', '\r', '\n'])
            .len();
    let body = &text[start..];
    let b = body.as_bytes();
    let mut i = 0;
    loop {
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        let rest = &b[i..];
        if rest.starts_with(b"<?xml")
            && rest
                .get(5)
                .is_some_and(|c| c.is_ascii_whitespace() || *c == b'?')
        {
            let end = find(rest, b"?>").map_or(rest.len(), |p| p + 2);
            return (start, Some((i, i + end)));
        } else if rest.starts_with(b"<!--") {
            match find(&rest[4..], b"-->") {
                Some(p) => i += p + 7,
                None => return (start, None),
            }
        } else if rest.starts_with(b"<?") {
            match find(rest, b"?>") {
                Some(p) => i += p + 2,
                None => return (start, None),
            }
        } else {
            return (start, None);
        }
    }
}

/// Looks at an `&` and decides: `(bytes consumed, None)` to keep it as is, or
/// `(bytes consumed, Some(replacement))`.
fn entity_at(s: &str) -> (usize, Option<Cow<'static, str>>) {
    let b = s.as_bytes();
    let mut j = 1;
    if b.get(1) == Some(&b'#') {
        j = 2;
        let hex = matches!(b.get(2), Some(b'x' | b'X'));
        if hex {
            j = 3;
        }
        let digits_start = j;
        while j < b.len()
            && j < 12
            && (if hex {
                b[j].is_ascii_hexdigit()
            } else {
                b[j].is_ascii_digit()
            })
        {
            j += 1;
        }
        if j > digits_start && b.get(j) == Some(&b';') {
            let n = u32::from_str_radix(&s[digits_start..j], if hex { 16 } else { 10 }).ok();
            let ok = n.and_then(char::from_u32).is_some_and(|c| {
                !matches!(c, '\u{0}'..='\u{8}' | '\u{b}' | '\u{c}' | '\u{e}'..='\u{1f}' | '\u{fffe}' | '\u{ffff}')
            });
            return if ok {
                (j + 1, None)
            } else {
                (j + 1, Some(Cow::Borrowed("")))
            };
        }
        return (1, Some(Cow::Borrowed("&amp;")));
    }
    while j < b.len() && j < 40 && b[j].is_ascii_alphanumeric() {
        j += 1;
    }
    if j == 1 || b.get(j) != Some(&b';') {
        return (1, Some(Cow::Borrowed("&amp;")));
    }
    let name = &s[1..j];
    if matches!(name, "amp" | "lt" | "gt" | "quot" | "apos") {
        return (j + 1, None);
    }
    match HTML_ENTITIES.binary_search_by(|(n, _)| n.cmp(&name)) {
        Ok(k) => {
            let rep = HTML_ENTITIES[k].1;
            let rep = match rep {
                "<" => "&lt;",
                ">" => "&gt;",
                "&" => "&amp;",
                "\"" => "&quot;",
                "'" => "&apos;",
                r => r,
            };
            (j + 1, Some(Cow::Borrowed(rep)))
        }
        Err(_) => (1, Some(Cow::Borrowed("&amp;"))),
    }
}

#[cfg(test)]
mod tests {
    use super::fix_text;

    #[test]
    fn entities_controls_and_declaration() {
        let s = "<?xml version=\"1.0\" encoding=\"windows-1256\"?><t a=\"x&y\">caf&eacute;&nbsp;Q&A &amp; &#38; &bogus; \u{13}<![CDATA[&nbsp;]]></t>";
        assert_eq!(
            fix_text(s),
            "<t a=\"x&amp;y\">caf\u{e9}\u{a0}Q&amp;A &amp; &#38; &amp;bogus; <![CDATA[&nbsp;]]></t>"
        );
    }

    #[test]
    fn declaration_after_comment_is_removed() {
        assert_eq!(
            fix_text("\n <!-- c --><?xml version='1.0'?><r/>"),
            "<!-- c --><r/>"
        );
        assert!(matches!(
            fix_text("<r>ok</r>"),
            std::borrow::Cow::Borrowed(_)
        ));
    }
}
