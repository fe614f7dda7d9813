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

/// Escapes once more every `&` (and turns CDATA into escaped text) inside Atom elements whose
/// `type` is `xhtml` or an XML media type (RFC 4287 §3.1.1.3, §4.1.3.3): feed-rs 2 rebuilds such
/// inline markup from the parsed events without escaping their text again, so `&lt;blink&gt;`
/// would come back as a `<blink>` tag and `&amp;` as a bare `&`. After this, what feed-rs
/// rebuilds is the markup as the document wrote it. Runs after [`fix_text`] (every `&` begins a
/// reference then); borrows when the document has no such element.
pub(crate) fn escape_inline_xml(text: &str) -> Cow<'_, str> {
    let b = text.as_bytes();
    let mut out: Option<String> = None;
    let mut copied = 0;
    let mut from = 0;
    // Only tags with a `type` attribute can qualify, and few tags have one: jump between them.
    let type_attr = memchr::memmem::Finder::new(b"type=");
    let mut opaque = Opaque::default();
    while let Some(p) = type_attr.find(&b[from..]) {
        let pos = from + p;
        from = pos + 5;
        // The tag this attribute is in: its `<` (start tags are short: looked for in the
        // 512 bytes before), with no `>` in between.
        let window = pos.saturating_sub(512);
        let Some(at) = memchr::memrchr(b'<', &b[window..pos]).map(|a| window + a) else {
            continue;
        };
        if memchr::memchr(b'>', &b[at..pos]).is_some() {
            continue;
        }
        let Some(tag_len) = memchr::memchr(b'>', &b[at..]) else {
            break;
        };
        let tag = &text[at..at + tag_len];
        if tag.starts_with("<!")
            || tag.starts_with("<?")
            || tag.starts_with("</")
            || tag.ends_with('/')
        {
            continue;
        }
        let name_len = tag[1..]
            .find(|c: char| c.is_ascii_whitespace())
            .unwrap_or(tag.len() - 1);
        let name = &tag[1..1 + name_len];
        let local = super::scan::local_name(name);
        // Atom's text constructs and content (and Atom 0.3's names for them).
        let text_construct = matches!(
            local,
            "content"
                | "title"
                | "summary"
                | "subtitle"
                | "rights"
                | "tagline"
                | "copyright"
                | "info"
        );
        if !text_construct || !inline_xml_type(tag) || opaque.covers(b, at) {
            continue;
        }
        let close = format!("</{name}");
        let body_start = at + tag_len + 1;
        let Some(body_len) = find(&b[body_start..], close.as_bytes()) else {
            break;
        };
        let body_end = body_start + body_len;
        let o = out.get_or_insert_with(|| String::with_capacity(text.len() + 64));
        o.push_str(&text[copied..body_start]);
        let body = xhtml_div_inner(&text[body_start..body_end]);
        let mut rest = body;
        while let Some(c) = rest.find("<![CDATA[") {
            escape_refs(&rest[..c], o);
            let after = &rest[c + 9..];
            let end = after.find("]]>").unwrap_or(after.len());
            for ch in after[..end].chars() {
                match ch {
                    '&' => o.push_str("&amp;amp;"),
                    '<' => o.push_str("&amp;lt;"),
                    '>' => o.push_str("&amp;gt;"),
                    c => o.push(c),
                }
            }
            rest = after.get(end + 3..).unwrap_or("");
        }
        escape_refs(rest, o);
        copied = body_end;
        from = body_end.max(from);
    }
    match out {
        Some(mut o) => {
            o.push_str(&text[copied..]);
            Cow::Owned(o)
        }
        None => Cow::Borrowed(text),
    }
}

/// The markup inside the one `<div>` that wraps Atom xhtml content (RFC 4287 §3.1.1.3: the div
/// is not part of the content); `body` itself when it is not one div.
fn xhtml_div_inner(body: &str) -> &str {
    let t = body.trim();
    let Some(open_end) = t.find('>') else {
        return body;
    };
    let opens_div = t
        .strip_prefix("<div")
        .is_some_and(|r| r.starts_with([' ', '\t', '\n', '\r', '>']));
    // The open tag must end before the end tag begins (found by fuzzing: `<div …»…</div>`).
    if !opens_div
        || !t.ends_with("</div>")
        || t[..open_end].ends_with('/')
        || open_end + 1 > t.len() - "</div>".len()
    {
        return body;
    }
    // The wrapper's end tag must be the last: the div depth inside never goes below zero.
    let inner = &t[open_end + 1..t.len() - "</div>".len()];
    let mut depth = 0i32;
    for (p, _) in inner.match_indices("div") {
        let before = &inner[..p];
        if before.ends_with("</") {
            depth -= 1;
        } else if before.ends_with('<') {
            depth += 1;
        }
        if depth < 0 {
            return body;
        }
    }
    inner.trim()
}

/// Copies `s` escaping the `&` of every reference that stands for markup (`&lt;`, `&amp;`, …,
/// and character references to `<`, `>`, `&`, `"`, `'`); other character references are left
/// for feed-rs to resolve.
fn escape_refs(s: &str, out: &mut String) {
    let mut copied = 0;
    for (i, _) in s.match_indices('&') {
        let r = &s[i + 1..];
        let markup = match r.strip_prefix('#') {
            Some(num) => {
                let end = num.find(';').unwrap_or(num.len());
                let v = match num[..end].strip_prefix(['x', 'X']) {
                    Some(h) => u32::from_str_radix(h, 16).ok(),
                    None => num[..end].parse::<u32>().ok(),
                };
                matches!(v, Some(34 | 38 | 39 | 60 | 62))
            }
            None => true,
        };
        if markup {
            out.push_str(&s[copied..=i]);
            out.push_str("amp;");
            copied = i + 1;
        }
    }
    out.push_str(&s[copied..]);
}

/// CDATA sections and comments met so far, walked forward once: what looks like a tag inside
/// one is text.
#[derive(Default)]
struct Opaque {
    /// Everything before this offset has been walked.
    walked: usize,
    /// The end of the last section or comment seen.
    end: usize,
}

impl Opaque {
    /// Whether offset `at` (increasing between calls) lies inside a CDATA section or comment.
    fn covers(&mut self, b: &[u8], at: usize) -> bool {
        while self.walked < at {
            let Some(p) = find(&b[self.walked..at], b"<!") else {
                self.walked = at;
                break;
            };
            let start = self.walked + p;
            let rest = &b[start..];
            let close: &[u8] = if rest.starts_with(b"<![CDATA[") {
                b"]]>"
            } else if rest.starts_with(b"<!--") {
                b"-->"
            } else {
                self.walked = start + 2;
                continue;
            };
            self.end = find(&rest[2..], close).map_or(b.len(), |e| start + 2 + e + 3);
            self.walked = self.end;
        }
        at < self.end
    }
}

/// Whether a start tag has a `type` attribute of `xhtml` or an XML media type (`…/xml`,
/// `…+xml`): Atom's inline-markup content.
fn inline_xml_type(tag: &str) -> bool {
    let mut rest = tag;
    while let Some(p) = rest.find("type") {
        let before = rest[..p].chars().next_back();
        let after = rest[p + 4..].trim_start();
        rest = &rest[p + 4..];
        if !before.is_some_and(|c| c.is_ascii_whitespace()) {
            continue;
        }
        let Some(v) = after.strip_prefix('=') else {
            continue;
        };
        let v = v.trim_start();
        let Some(q) = v.chars().next().filter(|c| *c == '"' || *c == '\'') else {
            continue;
        };
        let v = &v[1..];
        let v = v[..v.find(q).unwrap_or(v.len())].trim();
        return v.eq_ignore_ascii_case("xhtml") || v.ends_with("/xml") || v.ends_with("+xml");
    }
    false
}

#[cfg(test)]
mod tests {
    use super::{escape_inline_xml, fix_text};
    use std::borrow::Cow;

    #[test]
    fn inline_xml_is_escaped_once_more() {
        let s = r#"<feed><title type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml">a &lt;b&gt; &amp; &#369;&#60; <a href="x?a=1&amp;b=2">l</a><![CDATA[<i>&]]></div></title><summary type="html">&lt;p&gt;</summary></feed>"#;
        assert_eq!(
            escape_inline_xml(s),
            r#"<feed><title type="xhtml">a &amp;lt;b&amp;gt; &amp;amp; &#369;&amp;#60; <a href="x?a=1&amp;amp;b=2">l</a>&amp;lt;i&amp;gt;&amp;amp;</title><summary type="html">&lt;p&gt;</summary></feed>"#
        );
        assert!(matches!(
            escape_inline_xml("<feed><title type=\"html\">&lt;p&gt;</title></feed>"),
            Cow::Borrowed(_)
        ));
    }

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
