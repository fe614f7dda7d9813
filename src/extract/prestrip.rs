//! Removing the contents of `<script>` (except JSON-LD), `<style>`, inline `<svg>`, `<nav>`,
//! `<template>` and `<select>`, and comments, before parsing. They are never article text
//! (the flat tree marks all of them junk, see `dom`), are often most of a news page's bytes,
//! and tokenising them is most of the parser's time. A plain byte scan: no regex, no
//! recursion, linear time.

use crate::model::SiteRule;
use std::borrow::Cow;

fn starts_with_ci(hay: &[u8], needle: &[u8]) -> bool {
    hay.len() >= needle.len() && hay[..needle.len()].eq_ignore_ascii_case(needle)
}

/// Finds `</name` (any case) in `hay`, returning its offset.
fn find_close(hay: &str, name: &[u8]) -> Option<usize> {
    // Searching for the byte '<' (memchr, word at a time) and checking the next one is
    // several times faster than a substring search for "</" over script bodies, which are
    // most of a page's bytes.
    let b = hay.as_bytes();
    let mut from = 0;
    while let Some(p) = hay.get(from..)?.find('<') {
        let at = from + p;
        if b.get(at + 1) == Some(&b'/') && starts_with_ci(&b[at + 2..], name) {
            return Some(at);
        }
        from = at + 1;
    }
    None
}

/// Finds the `</name` (any case) that closes an element whose start tag was just read,
/// counting nested `<name` start tags (menus inside menus), returning its offset.
fn find_balanced_close(hay: &str, name: &[u8]) -> Option<usize> {
    let b = hay.as_bytes();
    let mut depth = 1usize;
    let mut from = 0;
    while let Some(p) = hay.get(from..)?.find('<') {
        let at = from + p;
        let rest = &b[at + 1..];
        let (close, name_at) = match rest.first() {
            Some(b'/') => (true, at + 2),
            _ => (false, at + 1),
        };
        from = at + 1;
        if !starts_with_ci(&b[name_at..], name) || !name_ends(b, name_at + name.len()) {
            continue;
        }
        if close {
            depth -= 1;
            if depth == 0 {
                return Some(at);
            }
        } else {
            depth += 1;
        }
    }
    None
}

/// Whether a tag name that would end at `at` really ends there (`<navbar>` is not `<nav>`).
fn name_ends(b: &[u8], at: usize) -> bool {
    !b.get(at)
        .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'-' || *c == b':')
}

/// Elements whose contents are emptied, and whether they nest (raw-text elements end at the
/// first end tag; the others are matched by counting).
const EMPTIED: [(&[u8], bool); 6] = [
    (b"script", false),
    (b"style", false),
    (b"svg", true),
    (b"nav", true),
    (b"template", true),
    (b"select", false),
];

/// Elements whose contents are raw text to the parser: a `<` inside is not a tag, so their
/// contents are copied untouched. (`<noscript>` is one: the parser runs with scripting on.)
const RAW: [&[u8]; 7] = [
    b"title",
    b"textarea",
    b"xmp",
    b"noscript",
    b"iframe",
    b"noembed",
    b"noframes",
];

/// Whether an attribute is dropped before parsing: `data-*` (except the lazy-image ones the
/// output reads), `on*` event handlers and `aria-*` (except `aria-hidden`), unless `keep`
/// (lower-case names a site rule selects on) has it. Nothing downstream reads them, news
/// pages carry a lot of them (`data-*` alone is ~8% of a page's markup), and html5ever
/// interns every attribute name it has not seen before.
fn dropped(name: &[u8], keep: &[String]) -> bool {
    let mut buf = [0u8; 24];
    let Some(out) = buf.get_mut(..name.len()) else {
        // Longer than any name we keep: only the prefix matters.
        return droppable_prefix(name)
            && !keep.iter().any(|k| k.as_bytes().eq_ignore_ascii_case(name));
    };
    for (o, c) in out.iter_mut().zip(name) {
        *o = c.to_ascii_lowercase();
    }
    let lower: &[u8] = out;
    if !droppable_prefix(lower) || keep.iter().any(|k| k.as_bytes() == lower) {
        return false;
    }
    if lower.starts_with(b"data-") {
        !super::output::LAZY_SRC
            .iter()
            .chain(super::output::LAZY_SRCSET.iter())
            .any(|a| a.as_bytes() == lower)
    } else {
        lower != b"aria-hidden"
    }
}

fn droppable_prefix(name: &[u8]) -> bool {
    starts_with_ci(name, b"data-")
        || starts_with_ci(name, b"aria-")
        || (name.len() > 2 && starts_with_ci(name, b"on"))
}

fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\r' | 0x0c)
}

/// One attribute of a start tag, as byte offsets into the page.
struct Attr {
    /// Where cutting the attribute out starts (its leading whitespace, when taking it along
    /// cannot join its neighbours) and ends.
    cut: (usize, usize),
    name: (usize, usize),
    /// The value without quotes (empty for a bare attribute).
    value: (usize, usize),
}

/// Lexes the start tag at `lt` (`<` followed by a letter) as the HTML tokenizer does
/// (WHATWG HTML 13.2.5.8 to 13.2.5.39: names end at whitespace, `/`, `>`, `=`; values are
/// quoted, or run to whitespace or `>`). Fills `attrs` and returns the offset just past the
/// tag's `>` with the tag name's range, or `None` when the page ends inside the tag.
fn start_tag(b: &[u8], lt: usize, attrs: &mut Vec<Attr>) -> Option<(usize, (usize, usize))> {
    attrs.clear();
    let name_start = lt + 1;
    let mut i = name_start;
    while i < b.len() && !is_space(b[i]) && b[i] != b'/' && b[i] != b'>' {
        i += 1;
    }
    let name = (name_start, i);
    loop {
        let ws_start = i;
        while i < b.len() && (is_space(b[i]) || b[i] == b'/') {
            i += 1;
        }
        if *b.get(i)? == b'>' {
            return Some((i + 1, name));
        }
        // Attribute name: its first character is taken whatever it is (even `=`).
        let a_start = i;
        i += 1;
        while i < b.len() && !is_space(b[i]) && !matches!(b[i], b'/' | b'>' | b'=') {
            i += 1;
        }
        let a_name = (a_start, i);
        let mut value = (i, i);
        let mut j = i;
        while j < b.len() && is_space(b[j]) {
            j += 1;
        }
        if b.get(j) == Some(&b'=') {
            j += 1;
            while j < b.len() && is_space(b[j]) {
                j += 1;
            }
            match b.get(j)? {
                q @ (b'"' | b'\'') => {
                    let close = b[j + 1..].iter().position(|c| c == q)?;
                    value = (j + 1, j + 1 + close);
                    i = j + 1 + close + 1;
                }
                _ => {
                    let v = j;
                    while j < b.len() && !is_space(b[j]) && b[j] != b'>' {
                        j += 1;
                    }
                    value = (v, j);
                    i = j;
                }
            }
        }
        // Cutting takes the whitespace before the attribute along only when whitespace,
        // `/` or `>` follows it, so neighbours never run together.
        let follows_gap = b
            .get(i)
            .is_none_or(|&c| is_space(c) || c == b'/' || c == b'>');
        let from = if follows_gap
            && ws_start < a_start
            && b[ws_start..a_start].iter().all(|&c| is_space(c))
        {
            ws_start
        } else {
            a_start
        };
        attrs.push(Attr {
            cut: (from, i),
            name: a_name,
            value,
        });
    }
}

/// Whether a `<link>` is worth parsing: only `rel=canonical` (and `rel=author`) ones are
/// read; stylesheets, preloads, icons and alternates are a tenth of a page's tags.
fn link_wanted(b: &[u8], attrs: &[Attr]) -> bool {
    attrs.iter().any(|a| {
        b[a.name.0..a.name.1].eq_ignore_ascii_case(b"rel")
            && b[a.value.0..a.value.1]
                .split(|&c| is_space(c))
                .any(|t| t.eq_ignore_ascii_case(b"canonical") || t.eq_ignore_ascii_case(b"author"))
    })
}

/// The name of the tag starting after a `<` (`rest`), end tags included.
fn next_tag_name(rest: &[u8]) -> &[u8] {
    let rest = rest.strip_prefix(b"/").unwrap_or(rest);
    let n = rest
        .iter()
        .take_while(|c| c.is_ascii_alphanumeric())
        .count();
    &rest[..n]
}

/// Tags around which whitespace is never text: blocks (`dom::is_block`), and the head and
/// script elements, which render nothing.
fn block_tag(name: &[u8]) -> bool {
    let mut buf = [0u8; 10];
    let Some(lower) = lower(name, &mut buf) else {
        return false;
    };
    let Ok(lower) = std::str::from_utf8(lower) else {
        return false;
    };
    super::dom::is_block(lower)
        || matches!(
            lower,
            "html" | "head" | "title" | "meta" | "link" | "base" | "script" | "style"
        )
}

/// What [`prestrip`] hands the parser.
pub(crate) struct Stripped<'h> {
    /// The page, smaller.
    pub html: Cow<'h, str>,
    /// Deepest element nesting seen, counted like [`limit_depth`] counts (an estimate: tags
    /// inside raw-text elements are not counted).
    pub depth: usize,
}

/// The output being built: the page's bytes up to `copied`, minus the cuts.
struct Cuts<'h> {
    html: &'h str,
    out: Option<String>,
    copied: usize,
}

impl Cuts<'_> {
    /// Leaves out `from..to`. Cut points sit next to ASCII bytes; checked anyway, a page is
    /// never trusted to be well formed.
    fn cut(&mut self, from: usize, to: usize) {
        let h = self.html;
        if from < self.copied || !h.is_char_boundary(from) || !h.is_char_boundary(to) {
            return;
        }
        let o = self
            .out
            .get_or_insert_with(|| String::with_capacity(h.len()));
        o.push_str(&h[self.copied..from]);
        self.copied = to;
    }
}

/// Whether a `<meta>` is one metadata reads (its property, name or itemprop is one of
/// [`META_KEYS`](super::metadata::META_KEYS)).
fn meta_wanted(b: &[u8], attrs: &[Attr]) -> bool {
    attrs.iter().any(|a| {
        let name = &b[a.name.0..a.name.1];
        (name.eq_ignore_ascii_case(b"property")
            || name.eq_ignore_ascii_case(b"name")
            || name.eq_ignore_ascii_case(b"itemprop"))
            && {
                let v = b[a.value.0..a.value.1].trim_ascii();
                super::metadata::META_KEYS
                    .iter()
                    .any(|k| k.as_bytes().eq_ignore_ascii_case(v))
            }
    })
}

/// The page with the contents of the [`EMPTIED`] elements removed (JSON-LD scripts kept),
/// `<script>`/`<style>` elements and unread `<link>`s removed whole, the [`dropped`]
/// attributes left out, and runs of whitespace between tags cut (outside `<pre>`): to one
/// character, or to nothing between two block tags. No text changes; the parser just has
/// fewer characters to step through and fewer text nodes to build.
/// `keep`: what site rules select on (see [`rule_keep`]), kept whatever its kind.
pub(crate) fn prestrip<'h>(html: &'h str, keep: &Keep) -> Stripped<'h> {
    let b = html.as_bytes();
    let mut out = Cuts {
        html,
        out: None,
        copied: 0,
    };
    let (mut depth, mut max_depth, mut pre) = (0usize, 0usize, 0usize);
    let mut i = 0;
    // Whether `i` sits just after a tag, so that `i..` up to the next `<` is text between tags,
    // and that tag's name (only looked at when whitespace follows it).
    let mut after_tag = false;
    let mut prev_tag: &[u8] = b"";
    let mut attrs: Vec<Attr> = Vec::new();
    // Set when a construct never ends (an unclosed comment, tag or element): the rest of
    // the page is passed on as it is, its nesting not counted.
    let mut unscanned = false;
    while i + 1 < b.len() {
        let Some(p) = html.get(i..).and_then(|h| h.find('<')) else {
            break;
        };
        let lt = i + p;
        if after_tag && pre == 0 && p > 0 && b[i..lt].iter().all(|&c| is_space(c)) {
            // Between two block tags whitespace is no text at all; elsewhere it separates
            // words, and one character of it does that as well as many.
            if block_tag(prev_tag) && block_tag(next_tag_name(&b[lt + 1..])) {
                out.cut(i, lt);
            } else if p > 1 {
                out.cut(i + 1, lt);
            }
        }
        after_tag = false;
        prev_tag = b"";
        let rest = &b[lt + 1..];
        if rest.starts_with(b"!--") {
            // A comment: dropped whole.
            let Some(e) = html.get(lt + 4..).and_then(|h| h.find("-->")) else {
                {
                    unscanned = true;
                    break;
                }
            };
            out.cut(lt, lt + 4 + e + 3);
            i = lt + 4 + e + 3;
            after_tag = true;
            continue;
        }
        if rest.first() == Some(&b'/') {
            // An end tag.
            let name_len = rest[1..]
                .iter()
                .take_while(|c| c.is_ascii_alphanumeric() || **c == b'-' || **c == b':')
                .count();
            let name = &rest[1..1 + name_len];
            if !name.first().is_some_and(u8::is_ascii_alphabetic) {
                i = lt + 1;
                continue;
            }
            let Some(gt) = rest[1 + name_len..].iter().position(|&c| c == b'>') else {
                {
                    unscanned = true;
                    break;
                }
            };
            if !uncounted(name) {
                depth = depth.saturating_sub(1);
            }
            if name.eq_ignore_ascii_case(b"pre") {
                pre = pre.saturating_sub(1);
            }
            i = lt + 2 + name_len + gt + 1;
            after_tag = true;
            prev_tag = name;
            continue;
        }
        let Some(&(name, nests)) = EMPTIED.iter().find(|(n, _)| starts_with_ci(rest, n)) else {
            if !rest.first().is_some_and(u8::is_ascii_alphabetic) {
                i = lt + 1;
                continue;
            }
            let Some((end, (ns, ne))) = start_tag(b, lt, &mut attrs) else {
                {
                    unscanned = true;
                    break;
                }
            };
            let tag = &b[ns..ne];
            if (tag.eq_ignore_ascii_case(b"link") && !link_wanted(b, &attrs))
                || (tag.eq_ignore_ascii_case(b"meta") && !keep.metas && !meta_wanted(b, &attrs))
            {
                out.cut(lt, end);
            } else {
                for a in &attrs {
                    if dropped(&b[a.name.0..a.name.1], &keep.attrs) {
                        out.cut(a.cut.0, a.cut.1);
                    }
                }
            }
            i = end;
            after_tag = true;
            prev_tag = tag;
            let counted = !uncounted(tag) && b[end - 2] != b'/';
            if counted {
                depth += 1;
                max_depth = max_depth.max(depth);
            }
            if tag.eq_ignore_ascii_case(b"pre") {
                pre += 1;
            }
            if let Some(raw) = RAW.iter().find(|r| tag.eq_ignore_ascii_case(r)) {
                // Raw text: no tags inside; resume after its end tag, which closes it.
                match html.get(end..).and_then(|h| find_close(h, raw)) {
                    Some(c) => i = end + c + 2,
                    None => break,
                }
                after_tag = false;
                if counted {
                    depth -= 1;
                }
            }
            continue;
        };
        // The name must end there (`<scripts>` is another element).
        let after = lt + 1 + name.len();
        if !name_ends(b, after) {
            i = after;
            continue;
        }
        let Some(gt) = b[after..]
            .iter()
            .position(|&c| c == b'>')
            .map(|g| after + g)
        else {
            {
                unscanned = true;
                break;
            }
        };
        let open_tag = &b[lt..gt];
        let json_ld = name == b"script"
            && open_tag
                .windows(7)
                .any(|w| w.eq_ignore_ascii_case(b"ld+json"));
        let body_start = gt + 1;
        let self_closed = b[gt - 1] == b'/' && name == b"svg";
        let found = if self_closed {
            Some(0)
        } else if nests {
            html.get(body_start..)
                .and_then(|h| find_balanced_close(h, name))
        } else {
            html.get(body_start..).and_then(|h| find_close(h, name))
        };
        let Some(close) = found.map(|c| body_start + c) else {
            {
                unscanned = true;
                break;
            }
        };
        if !json_ld && (name == b"script" || name == b"style") {
            // Nothing of a script or style element is ever read: the whole element goes
            // (a page has hundreds of `<script src>` tags).
            let Some(ce) = b[close..].iter().position(|&c| c == b'>') else {
                {
                    unscanned = true;
                    break;
                }
            };
            out.cut(lt, close + ce + 1);
            i = close + ce + 1;
            after_tag = true;
            prev_tag = b"script";
            continue;
        }
        max_depth = max_depth.max(depth + 1);
        if !json_ld && close > body_start {
            out.cut(body_start, close);
        }
        i = if self_closed { body_start } else { close + 2 };
    }
    let html = match out.out {
        None => Cow::Borrowed(html),
        Some(mut o) => {
            o.push_str(&html[out.copied..]);
            Cow::Owned(o)
        }
    };
    Stripped {
        html,
        // Unknown nesting counts as too deep: limit_depth then looks at it.
        depth: if unscanned { usize::MAX } else { max_depth },
    }
}

/// What site rules need kept that [`prestrip`] would otherwise drop.
#[derive(Default)]
pub(crate) struct Keep {
    /// Lower-case names of the attributes the rules' selectors test (`[data-component]`).
    attrs: Vec<String>,
    /// A selector mentions `meta`: keep every `<meta>`.
    metas: bool,
}

/// What the site rules' selectors need kept (see [`Keep`]).
pub(crate) fn rule_keep<'r>(rules: impl IntoIterator<Item = &'r SiteRule>) -> Keep {
    let mut out = Keep::default();
    for r in rules {
        let sels = r
            .body
            .iter()
            .chain(&r.strip)
            .chain(&r.title)
            .chain(&r.published);
        for sel in sels {
            for part in sel.split('[').skip(1) {
                let name: String = part
                    .trim_start()
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | ':'))
                    .map(|c| c.to_ascii_lowercase())
                    .collect();
                if droppable_prefix(name.as_bytes()) && !out.attrs.contains(&name) {
                    out.attrs.push(name);
                }
            }
            out.metas |= sel.to_ascii_lowercase().contains("meta");
        }
    }
    out
}

/// Deepest element nesting let through to the parser. html5ever checks "is there a `<p>` in
/// button scope" by scanning its stack of open elements on every block start tag, which is
/// quadratic in the depth (50,000 nested `<div>`s take 10 s); no real page nests this deep.
pub(crate) const MAX_DEPTH: usize = 400;

/// Lower-cases a tag name into `buf`; `None` when longer than any name we look for.
fn lower<'b>(name: &[u8], buf: &'b mut [u8; 10]) -> Option<&'b [u8]> {
    let out = buf.get_mut(..name.len())?;
    for (o, c) in out.iter_mut().zip(name) {
        *o = c.to_ascii_lowercase();
    }
    Some(out)
}

/// Void elements, and elements whose end tag is optional (not counted, or unclosed lists
/// would look deep).
fn uncounted(name: &[u8]) -> bool {
    let mut buf = [0u8; 10];
    matches!(
        lower(name, &mut buf),
        Some(
            b"area"
                | b"base"
                | b"br"
                | b"col"
                | b"embed"
                | b"hr"
                | b"img"
                | b"input"
                | b"link"
                | b"meta"
                | b"param"
                | b"source"
                | b"track"
                | b"wbr"
                | b"keygen"
                | b"p"
                | b"li"
                | b"dt"
                | b"dd"
                | b"option"
                | b"optgroup"
                | b"tr"
                | b"td"
                | b"th"
                | b"tbody"
                | b"thead"
                | b"tfoot"
                | b"colgroup"
                | b"caption"
                | b"rb"
                | b"rt"
                | b"rp"
                | b"rtc"
                | b"html"
                | b"head"
                | b"body"
        )
    )
}

fn is_raw_text(name: &[u8]) -> bool {
    let mut buf = [0u8; 10];
    matches!(
        lower(name, &mut buf),
        Some(b"title" | b"textarea" | b"script" | b"style" | b"xmp")
    )
}

/// Removes start tags (and their end tags) nested deeper than [`MAX_DEPTH`], keeping all
/// text. A linear byte scan that follows tag balance approximately; pages within the limit
/// are returned unchanged without copying.
pub(crate) fn limit_depth(html: &str) -> Cow<'_, str> {
    // Pass 1: is there anything to do?
    let mut too_deep = false;
    scan(html, |_, _, depth_after, _| {
        if depth_after > MAX_DEPTH {
            too_deep = true;
        }
    });
    if !too_deep {
        return Cow::Borrowed(html);
    }
    let mut out = String::with_capacity(html.len());
    let mut copied = 0;
    scan(html, |start, end, depth_after, open| {
        // An open tag that goes past the limit, or a close tag of such a tag (`depth_after`
        // is the depth of the element the tag opens or closes).
        let _ = open;
        let drop = depth_after > MAX_DEPTH;
        if drop {
            out.push_str(&html[copied..start]);
            copied = end;
        }
    });
    out.push_str(&html[copied..]);
    Cow::Owned(out)
}

/// Calls `f(start, end, depth, is_open)` for each counted start/end tag, `depth` being the
/// nesting level of the element it opens or closes.
fn scan(html: &str, mut f: impl FnMut(usize, usize, usize, bool)) {
    let b = html.as_bytes();
    let mut depth: usize = 0;
    let mut i = 0;
    while i < b.len() {
        // memchr-backed search (str::find on an ASCII char); `i` always follows an ASCII
        // byte, so it is a char boundary.
        let Some(p) = html.get(i..).and_then(|h| h.find('<')) else {
            return;
        };
        let lt = i + p;
        let rest = &b[lt + 1..];
        if rest.starts_with(b"!--") {
            match find(&b[lt + 4..], b"-->") {
                Some(e) => i = lt + 4 + e + 3,
                None => return,
            }
            continue;
        }
        let close = rest.first() == Some(&b'/');
        let name_start = lt + 1 + close as usize;
        let name_len = b[name_start..]
            .iter()
            .take_while(|c| c.is_ascii_alphanumeric() || **c == b'-' || **c == b':')
            .count();
        if name_len == 0 || !b[name_start].is_ascii_alphabetic() {
            i = lt + 1;
            continue;
        }
        let name = &b[name_start..name_start + name_len];
        let Some(gt) = b[name_start + name_len..].iter().position(|&c| c == b'>') else {
            return;
        };
        let end = name_start + name_len + gt + 1;
        i = end;
        if uncounted(name) {
            continue;
        }
        if close {
            f(lt, end, depth, false);
            depth = depth.saturating_sub(1);
        } else if b[end - 2] != b'/' {
            depth += 1;
            f(lt, end, depth, true);
            // Raw text: skip to the end tag.
            if is_raw_text(name) {
                let mut j = end;
                loop {
                    match find(&b[j..], b"</") {
                        Some(e) if starts_with_ci(&b[j + e + 2..], name) => {
                            i = j + e;
                            break;
                        }
                        Some(e) => j = j + e + 2,
                        None => return,
                    }
                }
            }
        }
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::{Keep, MAX_DEPTH, limit_depth, prestrip};

    fn strip(html: &str, attrs: &[String]) -> String {
        let keep = Keep {
            attrs: attrs.to_vec(),
            metas: false,
        };
        prestrip(html, &keep).html.into_owned()
    }

    #[test]
    fn deep_nesting_is_capped_and_text_kept() {
        let html = format!(
            "{}<p>deep</p>{}",
            "<div>".repeat(1000),
            "</div>".repeat(1000)
        );
        let out = limit_depth(&html);
        assert_eq!(out.matches("<div>").count(), MAX_DEPTH);
        assert_eq!(out.matches("</div>").count(), MAX_DEPTH);
        assert!(out.contains("<p>deep</p>"));
        let shallow = "<div><p>a<p>b<ul><li>c</ul></div>";
        assert!(matches!(
            limit_depth(shallow),
            std::borrow::Cow::Borrowed(_)
        ));
    }

    #[test]
    fn empties_scripts_and_styles_keeps_json_ld() {
        let html = "<p>a</p><SCRIPT>var x = '<p>no</p>';</script><style>p{}</STYLE>\
                    <script type=\"application/ld+json\">{\"a\":1}</script><scripts>k</scripts>";
        assert_eq!(
            strip(html, &[]),
            "<p>a</p>\
             <script type=\"application/ld+json\">{\"a\":1}</script><scripts>k</scripts>"
        );
        assert_eq!(strip("<script>unclosed", &[]), "<script>unclosed");
        assert_eq!(
            strip(
                "a<!-- <p>x</p> -->b<svg viewBox=\"0 0 1 1\"><path d=\"M0\"/></svg>c",
                &[]
            ),
            "ab<svg viewBox=\"0 0 1 1\"></svg>c"
        );
        assert_eq!(strip("<p>é</p><", &[]), "<p>é</p><");
    }

    #[test]
    fn drops_unread_attributes_and_links() {
        let keep = vec!["data-component".to_string()];
        assert_eq!(
            strip(
                "<div class=a data-x='1>2' onclick=\"f()\" data-component=t aria-label=m \
                 aria-hidden=true><img data-src=i.jpg data-y=2/><p id=p data-z>t</p></div>",
                &keep
            ),
            // (`data-y=2/`: an unquoted value runs to whitespace or `>`, slash included.)
            "<div class=a data-component=t aria-hidden=true><img data-src=i.jpg>\
             <p id=p>t</p></div>"
        );
        // No whitespace between attributes: cutting one never joins its neighbours.
        assert_eq!(
            strip("<p a=\"1\"data-x=\"2\"b=3>t</p>", &[]),
            "<p a=\"1\"b=3>t</p>"
        );
        // Raw text is not markup: a title or noscript body is copied as it is.
        assert_eq!(
            strip(
                "<title>a <b data-x=1></title><noscript><img data-x=1 src=a></noscript>",
                &[]
            ),
            "<title>a <b data-x=1></title><noscript><img data-x=1 src=a></noscript>"
        );
        assert_eq!(
            strip(
                "<link rel=stylesheet href=s.css><link rel=\"canonical\" href=/c>\
                 <LINK REL='preload author' href=/a data-x=1>",
                &[]
            ),
            "<link rel=\"canonical\" href=/c><LINK REL='preload author' href=/a>"
        );
        assert_eq!(strip("<p data-x=\"unclosed>", &[]), "<p data-x=\"unclosed>");
        assert_eq!(
            strip(
                "<meta name=viewport content=w><meta property=\"OG:Title \" content=t>\
                 <meta itemprop=datePublished content=d><meta charset=utf-8>",
                &[]
            ),
            "<meta property=\"OG:Title \" content=t><meta itemprop=datePublished content=d>"
        );
        let keep = Keep {
            attrs: Vec::new(),
            metas: true,
        };
        assert_eq!(
            prestrip("<meta name=viewport content=w>", &keep).html,
            "<meta name=viewport content=w>"
        );
    }

    #[test]
    fn cuts_whitespace_between_tags_outside_pre_and_counts_depth() {
        assert_eq!(
            strip(
                "<div>\n   <p>a  b</p>\n  </div> <pre>\n  <b>x</b>\n  </pre>\t\t<i>y</i>",
                &[]
            ),
            "<div><p>a  b</p></div><pre>\n  <b>x</b>\n  </pre>\t<i>y</i>"
        );
        // Whitespace next to an inline tag separates words: one character of it stays.
        assert_eq!(
            strip("<p><b>a</b>\n  <i>b</i>\n</p>\n<span>c</span>", &[]),
            "<p><b>a</b>\n<i>b</i>\n</p>\n<span>c</span>"
        );
        assert_eq!(
            prestrip("<div><div><p>x<br></div></div>", &Keep::default()).depth,
            2
        );
        let deep = format!("{}x{}", "<div>".repeat(1000), "</div>".repeat(1000));
        assert_eq!(prestrip(&deep, &Keep::default()).depth, 1000);
        // A construct that never ends leaves the rest uncounted: unknown counts as deep.
        assert_eq!(
            prestrip(&"<nav>".repeat(3), &Keep::default()).depth,
            usize::MAX
        );
        assert_eq!(prestrip("<div><!-- x", &Keep::default()).depth, usize::MAX);
        // Tags inside raw text are text.
        assert_eq!(
            prestrip("<title><div><div></title><div></div>", &Keep::default()).depth,
            1
        );
    }

    #[test]
    fn empties_menus_counting_nested_ones() {
        assert_eq!(
            strip(
                "<nav class=m><ul><li><nav><a>x</a></nav><li>y</ul></NAV><p>body</p><navbar>k</navbar>",
                &[]
            ),
            "<nav class=m></NAV><p>body</p><navbar>k</navbar>"
        );
        assert_eq!(
            strip(
                "<template><p>t</p></template><select><option>o</select><p>b</p>",
                &[]
            ),
            "<template></template><select></select><p>b</p>"
        );
        // A self-closed <svg/> has no body: what follows it is kept.
        assert_eq!(
            strip("<svg/><p>kept</p><svg><path/></svg>", &[]),
            "<svg/><p>kept</p><svg></svg>"
        );
        // An unclosed menu is left alone.
        assert_eq!(strip("<nav><p>a</p>", &[]), "<nav><p>a</p>");
    }
}
