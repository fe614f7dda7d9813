//! Turning the chosen containers into the body's plain text and HTML, cleaning as we go
//! (trafilatura-style): junk and boilerplate subtrees, link-dense lists and blocks, the
//! headline, short boilerplate lines. One iterative walk produces both outputs, so they always
//! hold the same blocks. Lazy images are resolved here; the HTML is sanitised later.

use super::dom::AttrExt;
use super::dom::{Dom, Kind, flag, is_block};
use super::patterns;
use scraper::node::Element;
use url::Url;

/// Emitted HTML nesting is capped; deeper structure is flattened (hostile pages).
const MAX_EMIT_DEPTH: usize = 48;

/// What the walk produced.
pub(crate) struct Body {
    /// Text blocks in order.
    pub blocks: Vec<String>,
    /// Unsanitised HTML.
    pub html: String,
    /// Absolute image URLs in order (for tests and the lead image fallback).
    pub images: Vec<String>,
}

/// Options of one walk.
pub(crate) struct Walk<'r> {
    pub base: &'r Url,
    /// Normalised title, to drop a heading that repeats it.
    pub title: Option<String>,
    /// Extra node indices to drop (site rule `strip`), sorted.
    pub strip: &'r [u32],
}

/// Tags emitted as structure.
fn structural(tag: &str) -> Option<&'static str> {
    Some(match tag {
        "p" => "p",
        "h2" => "h2",
        "h3" => "h3",
        "h4" => "h4",
        "h5" => "h5",
        "h6" => "h6",
        "blockquote" => "blockquote",
        "ul" => "ul",
        "ol" => "ol",
        "li" => "li",
        "dl" => "dl",
        "dt" => "dt",
        "dd" => "dd",
        "pre" => "pre",
        "table" => "table",
        "thead" => "thead",
        "tbody" => "tbody",
        "tfoot" => "tfoot",
        "tr" => "tr",
        "td" => "td",
        "th" => "th",
        "caption" => "caption",
        "figure" => "figure",
        "figcaption" => "figcaption",
        _ => return None,
    })
}

/// Inline tags emitted as such.
fn inline(tag: &str) -> Option<&'static str> {
    Some(match tag {
        "a" => "a",
        "b" => "b",
        "strong" => "strong",
        "i" => "i",
        "em" => "em",
        "u" => "u",
        "s" => "s",
        "del" => "del",
        "ins" => "ins",
        "sub" => "sub",
        "sup" => "sup",
        "code" => "code",
        "q" => "q",
        "cite" => "cite",
        "bdi" => "bdi",
        "bdo" => "bdo",
        "abbr" => "abbr",
        "mark" => "mark",
        "small" => "small",
        "span" => "span",
        "div" => "div",
        _ => return None,
    })
}

/// Emitted elements that cannot hold text directly (text in them gets a `<p>`).
fn needs_p(tag: &str) -> bool {
    matches!(
        tag,
        "ul" | "ol" | "dl" | "table" | "thead" | "tbody" | "tfoot" | "tr" | "blockquote" | "div"
    )
}

struct Open<'a> {
    end: u32,
    close: Option<&'a str>,
    block: bool,
    /// Text below goes to the HTML only (figures and their captions).
    html_only: bool,
    /// The lead figure's caption: its text goes to the plain text too; `html_only` as it
    /// was before it, restored when it closes.
    reveal: Option<u32>,
    /// For a `<figure>`: how many images the body had when it opened (the figure is a photo
    /// when it adds one before its caption).
    figure_images: Option<usize>,
}

struct State<'a> {
    html: String,
    /// Tags actually emitted and still open.
    emitted: Vec<&'a str>,
    /// `emitted.len()` when the anonymous `<p>` was opened.
    anon: Option<usize>,
    cur: String,
    blocks: Vec<String>,
    /// `html.len()` at the start of the current text block.
    mark: usize,
    images: Vec<String>,
    /// Open elements whose text stays out of the plain text (figures and captions).
    html_only: u32,
}

impl<'a> State<'a> {
    fn ensure_p(&mut self) {
        if self.anon.is_some() {
            return;
        }
        if self.emitted.last().is_none_or(|t| needs_p(t)) && self.emitted.len() < MAX_EMIT_DEPTH {
            self.html.push_str("<p>");
            self.emitted.push("p");
            self.anon = Some(self.emitted.len());
        }
    }

    fn close_anon(&mut self) {
        if self.anon == Some(self.emitted.len()) {
            self.html.push_str("</p>");
            self.emitted.pop();
            self.anon = None;
        }
    }

    /// A block boundary: the current text block ends.
    fn boundary(&mut self) {
        self.close_anon();
        let text = fold_block(&self.cur);
        self.cur.clear();
        if text.is_empty() {
            return;
        }
        if patterns::is_boiler_text(&text) {
            self.html.truncate(self.mark);
            return;
        }
        self.blocks.push(text);
    }
}

/// Collapses whitespace inside each line; keeps line breaks from `<br>`.
fn fold_block(s: &str) -> String {
    let mut out = String::new();
    for line in s.split('\n') {
        let l = super::collapse(line);
        if l.is_empty() {
            continue;
        }
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(&l);
    }
    out
}

fn is_heading(tag: &str) -> bool {
    matches!(tag, "h1" | "h2" | "h3" | "h4" | "h5" | "h6")
}

/// Should element `i` (inside a chosen container of `root_text` characters, not the
/// container itself) be dropped?
fn drop_element(dom: &Dom<'_>, i: u32, w: &Walk<'_>, root_text: u32) -> bool {
    let n = &dom.nodes[i as usize];
    if n.flags & (flag::SELF_JUNK | flag::SELF_BOILER) != 0 {
        return !matches!(n.tag, "figure" | "figcaption");
    }
    if n.flags & flag::SELF_WEAK != 0
        && n.text_len * 4 < root_text
        && !matches!(n.tag, "figure" | "figcaption")
    {
        return true;
    }
    if w.strip.binary_search(&i).is_ok() {
        return true;
    }
    match n.tag {
        "h1" | "header" | "footer" | "aside" | "nav" => return true,
        "ul" | "ol" | "dl" | "div" | "section" | "table" | "article" => {
            let ld = n.link_density();
            if n.commas < 10 && n.text_len > 0 {
                let limit = if n.weight >= 25 { 0.5 } else { 0.3 };
                if ld > limit {
                    return true;
                }
            }
        }
        "p" | "li" if n.text_len < 150 && n.link_density() > 0.6 => {
            return !(n.tag == "p" && inline_link_line(dom, i));
        }
        _ => {}
    }
    if let (Some(t), true) = (&w.title, is_heading(n.tag)) {
        if n.text_len < 300 && &dom.text_of(i) == t {
            return true;
        }
    }
    false
}

/// Whether the short, mostly-link paragraph `i` is a line of the story that points to
/// another article ("Read also: <a>headline</a>"), kept as body text: one link, preceded
/// by a plain-text lead-in (no text after it), between two prose paragraphs.
///
/// Emphasis is the signal. The same words in the same place are labelled both ways by the
/// fixtures and the benchmark: readability's expected text keeps a plain "Lire aussi :
/// <a>…</a>" line, while trafilatura's evaldata and the DEV labels drop "Dowiedz się
/// więcej: …", "Read more: …" lines. What separates them is markup: a line whose lead-in
/// is wrapped in `<strong>`/`<b>` (often the whole paragraph) is a styled call-out, a promo
/// box set in the text, and stays dropped; a plain lead-in reads as a sentence of the
/// story. Kept lines still meet the boilerplate text patterns at the block boundary (a
/// "Read also …" block under 60 characters goes), like any other block.
fn inline_link_line(dom: &Dom<'_>, i: u32) -> bool {
    let n = &dom.nodes[i as usize];
    let (mut links, mut lead, mut after) = (0u32, 0u32, 0u32);
    let mut j = i + 1;
    while j < n.end {
        let m = &dom.nodes[j as usize];
        if m.flags & (flag::JUNK | flag::BOILER) != 0 {
            j = m.end;
            continue;
        }
        match m.kind {
            Kind::Elem(_) if m.tag == "a" => {
                if m.text_len > 0 {
                    links += 1;
                    if links > 1 {
                        return false;
                    }
                }
                j = m.end;
                continue;
            }
            Kind::Elem(_) if is_block(m.tag) => return false,
            Kind::Elem(_) => {}
            Kind::Text(_) if m.text_len == 0 => {}
            Kind::Text(_) if links == 0 => {
                if emphasised(dom, j, i) {
                    return false;
                }
                lead += m.text_len;
            }
            Kind::Text(_) => after += m.text_len,
        }
        j += 1;
    }
    links == 1 && lead > 0 && after <= 2 && prose_neighbours(dom, i)
}

/// Whether text node `j` sits in a `<strong>`/`<b>` below paragraph `p`.
fn emphasised(dom: &Dom<'_>, j: u32, p: u32) -> bool {
    let mut k = dom.nodes[j as usize].parent;
    while k != p && k != super::dom::NONE {
        if matches!(dom.nodes[k as usize].tag, "strong" | "b") {
            return true;
        }
        k = dom.nodes[k as usize].parent;
    }
    false
}

/// Whether the element siblings right before and after `i` are prose paragraphs: `<p>`s
/// of some length with few links, with only whitespace, scripts or boilerplate between.
fn prose_neighbours(dom: &Dom<'_>, i: u32) -> bool {
    let parent = dom.nodes[i as usize].parent;
    if parent == super::dom::NONE {
        return false;
    }
    let prose = |k: u32| {
        let m = &dom.nodes[k as usize];
        m.tag == "p"
            && m.flags & (flag::JUNK | flag::BOILER | flag::SELF_WEAK) == 0
            && m.text_len >= 80
            && m.link_density() < 0.3
    };
    // The nearest non-blank sibling on each side.
    let (mut before, mut next) = (None, None);
    let mut seen = false;
    for k in dom.children(parent) {
        let m = &dom.nodes[k as usize];
        if k == i {
            seen = true;
            continue;
        }
        let blank = match m.kind {
            Kind::Text(_) => m.text_len == 0,
            Kind::Elem(_) => m.flags & (flag::JUNK | flag::BOILER) != 0,
        };
        if blank {
            continue;
        }
        if seen {
            next = Some(k);
            break;
        }
        before = Some(k);
    }
    before.is_some_and(prose) && next.is_some_and(prose)
}

/// Walks `roots` (document order) and builds text and HTML.
pub(crate) fn walk(dom: &Dom<'_>, roots: &[u32], w: &Walk<'_>) -> Body {
    let mut st = State {
        html: String::new(),
        emitted: Vec::new(),
        anon: None,
        cur: String::new(),
        blocks: Vec::new(),
        mark: 0,
        images: Vec::new(),
        html_only: 0,
    };
    for &root in roots {
        walk_one(dom, root, w, &mut st);
        st.boundary();
        st.mark = st.html.len();
    }
    Body {
        blocks: st.blocks,
        html: st.html,
        images: st.images,
    }
}

fn walk_one<'a>(dom: &Dom<'a>, root: u32, w: &Walk<'_>, st: &mut State<'a>) {
    let nodes = &dom.nodes;
    let end = nodes[root as usize].end;
    let root_text = nodes[root as usize].text_len;
    let mut stack: Vec<Open<'a>> = Vec::new();
    let mut i = root;
    while i < end {
        while stack.last().is_some_and(|o| o.end <= i) {
            close(st, &mut stack);
        }
        let n = &nodes[i as usize];
        match n.kind {
            Kind::Text(t) => {
                if n.flags & flag::JUNK == 0 || root_is(dom, root, flag::JUNK) {
                    if !t.trim().is_empty() {
                        st.ensure_p();
                    }
                    if st.html_only == 0 {
                        st.cur.push_str(t);
                    }
                    html_escape::encode_text_to_string(t, &mut st.html);
                }
                i += 1;
            }
            Kind::Elem(e) => {
                if i != root && drop_element(dom, i, w, root_text) {
                    if n.tag == "noscript" {
                        noscript_images(dom, i, w.base, st);
                    }
                    i = n.end;
                    continue;
                }
                open(dom, i, e, w, st, &mut stack);
                i += 1;
            }
        }
    }
    while !stack.is_empty() {
        close(st, &mut stack);
    }
}

fn root_is(dom: &Dom<'_>, root: u32, f: u8) -> bool {
    dom.nodes[root as usize].flags & f != 0
}

fn open<'a>(
    dom: &Dom<'a>,
    i: u32,
    e: &'a Element,
    w: &Walk<'_>,
    st: &mut State<'a>,
    stack: &mut Vec<Open<'a>>,
) {
    let n = &dom.nodes[i as usize];
    let tag = n.tag;
    let block = is_block(tag);
    if block {
        st.boundary();
    }
    if tag == "br" {
        st.cur.push('\n');
        st.html.push_str("<br>");
        return;
    }
    if tag == "img" {
        if let Some(src) = image_src(e, w.base) {
            if !st.images.contains(&src) {
                st.ensure_p();
                push_img(st, &src, e.attr_str("alt"));
            }
        }
        return;
    }
    let dirlang = e.attr_str("dir").is_some() || e.attr_str("lang").is_some();
    let emit = if st.emitted.len() >= MAX_EMIT_DEPTH {
        None
    } else if let Some(t) = structural(tag) {
        Some(t)
    } else if let Some(t) = inline(tag) {
        // Containers and spans only carry dir/lang.
        if matches!(t, "span" | "div") && !dirlang {
            None
        } else {
            Some(t)
        }
    } else if tag == "h1" {
        Some("h2")
    } else {
        None
    };
    if let Some(t) = emit {
        if !block || t == "div" {
            if inline(t).is_some() && t != "div" {
                st.ensure_p();
            }
        } else if st.anon.is_some() {
            st.close_anon();
        }
        st.html.push('<');
        st.html.push_str(t);
        for a in ["dir", "lang"] {
            if let Some(v) = e.attr_str(a) {
                push_attr(&mut st.html, a, v);
            }
        }
        match t {
            "a" => {
                if let Some(h) = e.attr_str("href").and_then(|h| w.base.join(h.trim()).ok()) {
                    push_attr(&mut st.html, "href", h.as_str());
                }
            }
            "td" | "th" => {
                for a in ["colspan", "rowspan"] {
                    if let Some(v) = e.attr_str(a) {
                        push_attr(&mut st.html, a, v);
                    }
                }
            }
            _ => {}
        }
        st.html.push('>');
        st.emitted.push(t);
    }
    if block {
        st.mark = st.html.len();
    }
    // Figures and captions stay out of the text (the benchmark's labels keep no caption),
    // except the caption of the lead photo: a figure that opens the body (before its first
    // text block) and shows an image before its caption is the story's photo, and its
    // caption reads as the story's first lines (readability keeps it). Credits and
    // copyright lines beside the caption stay out, and so does the caption of a lead video
    // player. The figure is the open element on top of `stack`: a caption's parent.
    let photo = || {
        stack
            .last()
            .and_then(|o| o.figure_images)
            .is_some_and(|k| st.images.len() > k)
    };
    let reveal = (tag == "figcaption" && st.blocks.is_empty() && photo()).then_some(st.html_only);
    let html_only = matches!(tag, "figcaption" | "figure") && reveal.is_none();
    if reveal.is_some() {
        st.html_only = 0;
    }
    st.html_only += html_only as u32;
    stack.push(Open {
        end: n.end,
        close: emit,
        block,
        html_only,
        reveal,
        figure_images: (tag == "figure").then_some(st.images.len()),
    });
}

fn close<'a>(st: &mut State<'a>, stack: &mut Vec<Open<'a>>) {
    let Some(o) = stack.pop() else { return };
    if o.block {
        st.boundary();
    }
    st.html_only -= o.html_only as u32;
    if let Some(h) = o.reveal {
        st.html_only = h;
    }
    if let Some(t) = o.close {
        // An anonymous paragraph opened inside this element ends with it.
        st.close_anon();
        st.html.push_str("</");
        st.html.push_str(t);
        st.html.push('>');
        st.emitted.pop();
    }
    if o.block {
        st.mark = st.html.len();
    }
}

fn push_attr(html: &mut String, name: &str, value: &str) {
    html.push(' ');
    html.push_str(name);
    html.push_str("=\"");
    html_escape::encode_double_quoted_attribute_to_string(value, html);
    html.push('"');
}

fn push_img(st: &mut State<'_>, src: &str, alt: Option<&str>) {
    st.html.push_str("<img");
    push_attr(&mut st.html, "src", src);
    if let Some(a) = alt {
        push_attr(&mut st.html, "alt", a);
    }
    st.html.push('>');
    st.images.push(src.to_string());
}

fn looks_placeholder(src: &str) -> bool {
    let s = src.trim();
    if s.is_empty() || s.starts_with("data:") || s.starts_with('#') {
        return true;
    }
    let l = s.to_ascii_lowercase();
    [
        "placeholder",
        "blank.",
        "spacer.",
        "1x1",
        "transparent.",
        "pixel.gif",
        "lazy.",
    ]
    .iter()
    .any(|p| l.contains(p))
}

fn largest_srcset(v: &str) -> Option<&str> {
    let mut best: Option<(f32, &str)> = None;
    for cand in v.split(", ").flat_map(|c| c.split(",\n")) {
        let mut parts = cand.split_whitespace();
        let Some(u) = parts.next() else { continue };
        let size = parts
            .next()
            .and_then(|d| d.get(..d.len().saturating_sub(1)))
            .and_then(|d| d.parse::<f32>().ok())
            .unwrap_or(1.0);
        if looks_placeholder(u) {
            continue;
        }
        if best.is_none_or(|(b, _)| size > b) {
            best = Some((size, u));
        }
    }
    best.map(|(_, u)| u)
}

fn is_pixel(e: &Element, url: &Url) -> bool {
    let tiny = |a: &str| {
        e.attr_str(a)
            .and_then(|v| v.trim().trim_end_matches("px").parse::<u32>().ok())
            .is_some_and(|n| n <= 2)
    };
    tiny("width")
        || tiny("height")
        || url.host_str().is_some_and(|h| {
            h.starts_with("pixel.") || h.contains("doubleclick") || h.starts_with("stats.")
        })
}

/// Attributes of lazy-loaded images holding the real URL, in order of preference.
pub(crate) const LAZY_SRC: [&str; 7] = [
    "data-src",
    "data-lazy-src",
    "data-original",
    "data-lazy",
    "data-url",
    "data-hi-res-src",
    "data-full-src",
];

/// Attributes of lazy-loaded images holding the real `srcset`.
pub(crate) const LAZY_SRCSET: [&str; 2] = ["data-srcset", "data-lazy-srcset"];

/// The real URL of a possibly lazy-loaded image, absolute; `None` for placeholders and
/// tracking pixels.
pub(crate) fn image_src(e: &Element, base: &Url) -> Option<String> {
    let mut found: Option<&str> = None;
    for a in LAZY_SRC {
        if let Some(v) = e.attr_str(a).filter(|v| !looks_placeholder(v)) {
            found = Some(v);
            break;
        }
    }
    if found.is_none() {
        for a in LAZY_SRCSET.into_iter().chain(["srcset"]) {
            if let Some(v) = e.attr_str(a).and_then(largest_srcset) {
                found = Some(v);
                break;
            }
        }
    }
    if found.is_none() {
        found = e.attr_str("src").filter(|v| !looks_placeholder(v));
    }
    let url = base.join(found?.trim()).ok()?;
    if !matches!(url.scheme(), "http" | "https") || is_pixel(e, &url) {
        return None;
    }
    Some(url.to_string())
}

/// `<noscript>` copies of lazy images: parsed as text by the HTML parser, so parse them again.
fn noscript_images(dom: &Dom<'_>, i: u32, base: &Url, st: &mut State<'_>) {
    let mut raw = String::new();
    for c in dom.children(i) {
        if let Kind::Text(t) = dom.nodes[c as usize].kind {
            raw.push_str(t);
        }
    }
    if !raw.contains("<img") {
        return;
    }
    let frag = scraper::Html::parse_fragment(&raw);
    for node in frag.tree.nodes() {
        if let scraper::Node::Element(e) = node.value() {
            if e.name() == "img" {
                if let Some(src) = image_src(e, base) {
                    if !st.images.contains(&src) {
                        st.ensure_p();
                        push_img(st, &src, e.attr_str("alt"));
                    }
                }
            }
        }
    }
}
