//! Lenient re-serialisation: turns a feed that feed-rs cannot read as is into one it can.
//!
//! Runs only when needed (an old format at the root, `xml:base`, or a first attempt that failed
//! or lost items). It reads the document with quick-xml in its forgiving mode and writes a
//! well-formed equivalent:
//! - **ill-formed XML** the way feedparser recovers it: an end tag closes the innermost open
//!   element of that name (closing the ones inside it), unmatched end tags are dropped, a
//!   truncated document is closed at the end;
//! - **old formats**: Atom 0.3 (`http://purl.org/atom/ns#`, its element names and `mode`
//!   attribute) becomes Atom 1.0; RSS 0.90 (`http://my.netscape.com/rdf/simple/0.9/`) becomes
//!   RSS 1.0; any `<rss>` version, and a stray default namespace on `<rss>`/`<channel>`/`<item>`
//!   (UserLand's, or Atom's by mistake) is dropped; items after `</channel>` move inside it;
//! - **items inside items** the way feedparser reads them: every item (entry) start tag begins a
//!   new entry, so an item opened inside another closes the outer one there; what follows the
//!   inner item's end up to the outer's end belongs to no entry and is dropped; an item inside
//!   another element of the channel (left open) is moved out of it, into the channel;
//! - **values feed-rs rejects**: Atom text `type`s outside `text|html|xhtml` are mapped, empty
//!   text elements are dropped, child elements inside a `<title>` (RSS, or Atom text / html)
//!   become escaped text;
//! - **`xml:base`** (XML Base, W3C): relative URLs in link attributes and inside content HTML are
//!   resolved against the innermost base, so nothing downstream needs to know about it.

use super::urls::{resolve, resolve_html_urls};
use quick_xml::events::{BytesStart, Event};
use std::borrow::Cow;
use std::rc::Rc;
use url::Url;

const ATOM03_NS: &str = "http://purl.org/atom/ns#";
const ATOM10_NS: &str = "http://www.w3.org/2005/Atom";
const RSS090_NS: &str = "http://my.netscape.com/rdf/simple/0.9/";
const RSS10_NS: &str = "http://purl.org/rss/1.0/";

/// Namespaces of old formats and the ones feed-rs knows that replace them.
const NS_ALIASES: &[(&str, &str)] = &[
    (ATOM03_NS, ATOM10_NS),
    (RSS090_NS, RSS10_NS),
    ("http://channel.netscape.com/rdf/simple/0.9/", RSS10_NS),
    (
        "http://purl.org/dc/elements/1.0/",
        "http://purl.org/dc/elements/1.1/",
    ),
];

/// Atom 0.3 element names and their Atom 1.0 equivalents.
const ATOM03_RENAMES: &[(&str, &str)] = &[
    ("issued", "published"),
    ("modified", "updated"),
    ("tagline", "subtitle"),
    ("copyright", "rights"),
];

/// Elements that are Atom text constructs (RFC 4287 §3.1) or Atom 0.3 content elements.
const ATOM_TEXT: &[&str] = &["title", "subtitle", "summary", "content", "rights", "info"];

/// Elements whose text is HTML in which relative URLs are resolved.
const HTML_BEARING: &[&str] = &[
    "description",
    "content",
    "summary",
    "encoded",
    "body",
    "fullitem",
];

/// Structural elements never dropped even when empty.
const STRUCTURAL: &[&str] = &[
    "rss", "channel", "item", "feed", "entry", "RDF", "items", "Seq",
];

#[derive(Clone, Copy, PartialEq, Eq)]
enum Flavor {
    Rss,
    Rdf,
    Atom,
    /// Microsoft's Channel Definition Format (`<CHANNEL><ITEM HREF=…>`), rewritten as RSS 2.0.
    Cdf,
    Other,
}

struct Frame {
    /// The name as written in the source (end tags are matched against it).
    src_name: String,
    /// The name written to the output.
    out_name: String,
    /// Shared with the frames inside: every element has one when the document has a URL.
    base: Option<Rc<Url>>,
    /// Children are written as escaped text (RSS `<title>` holding markup).
    escape_children: bool,
    /// Text inside is HTML (escaped or CDATA) whose URLs are resolved against `base`.
    html: bool,
    /// Text inside is a single URL (`<link>`), resolved against `base`.
    url_text: bool,
    /// For RSS 1.0 items: whether a `<link>` child was seen (feed-rs drops items without one).
    saw_link: bool,
    /// Atom 0.3 `mode="base64"`: the text is base64 of the value.
    base64: bool,
}

/// Written as the link of an RSS 1.0 item that has none, so feed-rs keeps the item; removed
/// again when the entry is converted.
pub(crate) const NO_LINK: &str = "urn:feedkeeper:no-link";

struct Writer {
    out: String,
    stack: Vec<Frame>,
    /// Text and entity references seen since the last tag, raw (still escaped).
    text: String,
    /// A start tag held back until we know whether the element is empty.
    pending: Option<String>,
    flavor: Flavor,
    atom03: bool,
    channel_deferred: bool,
    root_closed: bool,
    /// Whether any `xml:base` was seen (then URLs are resolved while writing).
    saw_base: bool,
    /// Depth of wrapper elements (e.g. an HTML page around the feed) being skipped.
    wrapper_depth: usize,
    /// The prefix of a prefixed RSS 2.0 root (`<r:rss>`), stripped from its elements.
    root_prefix: Option<String>,
    /// Whether an RSS 2.0 `<channel>` was opened (items directly under `<rss>` get one).
    saw_channel: bool,
    /// An RSS 1.0 / 0.90 channel closed early because items were nested in it.
    rdf_channel_closed: bool,
    /// Outer items closed early because an item was nested in them, whose end tags are still
    /// to come (innermost last), each with the depth of elements opened (and skipped) in it
    /// since: what is between an inner item's end and such an end tag is skipped.
    ghosts: Vec<usize>,
}

/// Re-serialises `text` (UTF-8, after [`super::fixup::fix_text`]) as well-formed XML that
/// feed-rs reads. `base` is the document URL.
pub(crate) fn repair(text: &str, base: Option<&Url>) -> String {
    let mut reader = quick_xml::Reader::from_str(text);
    {
        let c = reader.config_mut();
        c.check_end_names = false;
        c.allow_unmatched_ends = true;
        c.check_comments = false;
        c.allow_dangling_amp = true;
        c.trim_text(false);
    }
    let mut w = Writer {
        out: String::with_capacity(text.len() + 256),
        stack: Vec::new(),
        text: String::new(),
        pending: None,
        flavor: Flavor::Other,
        atom03: memchr::memmem::find(text.as_bytes(), ATOM03_NS.as_bytes()).is_some(),
        channel_deferred: false,
        root_closed: false,
        saw_base: false,
        wrapper_depth: 0,
        root_prefix: None,
        saw_channel: false,
        rdf_channel_closed: false,
        ghosts: Vec::new(),
    };
    let doc_base = base.cloned().map(Rc::new);
    // A syntax error means the rest cannot be tokenised: it is treated as truncation.
    while let Ok(ev) = reader.read_event() {
        if w.root_closed {
            break;
        }
        if w.in_ghost() && w.ghost_event(&ev) {
            continue;
        }
        match ev {
            Event::Start(e) => w.start(&e, false, &doc_base),
            Event::Empty(e) => w.start(&e, true, &doc_base),
            Event::End(e) => {
                let name = String::from_utf8_lossy(e.name().as_ref()).into_owned();
                w.end(&name);
            }
            Event::Text(t) => {
                if !w.stack.is_empty() {
                    let raw = t.into_inner();
                    w.text.push_str(
                        &source_str(text, &raw).map_or_else(|| utf8(&raw), Cow::Borrowed),
                    );
                }
            }
            Event::GeneralRef(r) => {
                if !w.stack.is_empty() {
                    w.text.push('&');
                    w.text.push_str(&String::from_utf8_lossy(&r.into_inner()));
                    w.text.push(';');
                }
            }
            Event::CData(c) => {
                if !w.stack.is_empty() {
                    let raw = c.into_inner();
                    w.cdata(&source_str(text, &raw).map_or_else(|| utf8(&raw), Cow::Borrowed));
                }
            }
            Event::Eof => break,
            // Declarations, DTDs, comments and processing instructions carry nothing we use.
            Event::Decl(_) | Event::PI(_) | Event::DocType(_) | Event::Comment(_) => {}
        }
    }
    while !w.stack.is_empty() {
        w.close_top();
    }
    w.out
}

/// The `str` an event's bytes are when they are a slice of `source` (the reader borrows from
/// it): found by address, so no second UTF-8 validation is needed. `None` for bytes the reader
/// owns, and for a range that does not fall on char boundaries.
fn source_str<'a>(source: &'a str, raw: &[u8]) -> Option<&'a str> {
    let off = (raw.as_ptr() as usize).checked_sub(source.as_ptr() as usize)?;
    source.get(off..off.checked_add(raw.len())?)
}

/// The text of an event: the reader reads a `str` and cuts it at markup (ASCII), so this is
/// valid UTF-8 and only validated; anything else would be replaced, never trusted.
fn utf8(b: &[u8]) -> std::borrow::Cow<'_, str> {
    match std::str::from_utf8(b) {
        Ok(s) => std::borrow::Cow::Borrowed(s),
        Err(_) => String::from_utf8_lossy(b),
    }
}

/// The name after its prefix (a byte loop: names are short, `rsplit` sets up a searcher).
fn local(name: &str) -> &str {
    name.bytes()
        .rposition(|c| c == b':')
        .map_or(name, |c| &name[c + 1..])
}

fn prefix(name: &str) -> Option<&str> {
    name.bytes().position(|c| c == b':').map(|c| &name[..c])
}

/// Maps an Atom text-construct `type` (plus Atom 0.3's `mode`) to one feed-rs accepts.
fn atom_type(value: &str, mode: Option<&str>, is_content: bool) -> Option<String> {
    let t = value.trim().to_ascii_lowercase();
    let escaped = mode.is_some_and(|m| m.eq_ignore_ascii_case("escaped"));
    let mapped = match t.as_str() {
        "text" | "html" | "xhtml" => t.clone(),
        "" | "text/plain" | "plain" => "text".into(),
        "text/html" | "escaped" => "html".into(),
        "application/xhtml+xml" | "xhtml+xml" | "text/xhtml" => {
            if escaped {
                "html".into()
            } else {
                "xhtml".into()
            }
        }
        _ if is_content && t.contains('/') && !t.contains("html") => {
            return Some(value.to_string());
        }
        _ if t.contains("html") => "html".into(),
        _ => "text".into(),
    };
    Some(mapped)
}

/// Whether `local` names an entry of the document's format (RSS / RDF `item`, Atom `entry`).
fn is_entry(flavor: Flavor, local: &str) -> bool {
    match flavor {
        Flavor::Rss | Flavor::Rdf => local == "item",
        Flavor::Atom => local == "entry",
        Flavor::Cdf | Flavor::Other => false,
    }
}

impl Writer {
    /// Inside the rest of an outer item whose nested item has ended (no live item is open).
    fn in_ghost(&self) -> bool {
        !self.ghosts.is_empty()
            && !self
                .stack
                .iter()
                .any(|f| is_entry(self.flavor, local(&f.out_name)))
    }

    /// Handles an event inside a ghost item; returns false when the event must be processed
    /// normally (a new item starting there).
    fn ghost_event(&mut self, ev: &Event<'_>) -> bool {
        let Some(depth) = self.ghosts.last_mut() else {
            return false;
        };
        match ev {
            Event::Start(e) | Event::Empty(e) => {
                let name = String::from_utf8_lossy(e.name().as_ref()).into_owned();
                if is_entry(self.flavor, local(&name)) {
                    return false;
                }
                if matches!(ev, Event::Start(_)) {
                    *depth += 1;
                }
            }
            Event::End(e) => {
                if *depth > 0 {
                    *depth -= 1;
                } else {
                    let name = String::from_utf8_lossy(e.name().as_ref()).into_owned();
                    if is_entry(self.flavor, local(&name)) {
                        self.ghosts.pop();
                    } else if self.stack.iter().any(|f| f.src_name == name) {
                        // An ancestor (the channel) ends: the outer items never did.
                        self.ghosts.clear();
                        return false;
                    }
                    // Otherwise the end tag of an element of the outer item, closed with it.
                }
            }
            Event::Eof => return false,
            _ => {}
        }
        true
    }

    fn current_base(&self) -> Option<&Url> {
        self.stack.last().and_then(|f| f.base.as_deref())
    }

    /// Writes held-back text and start tag before anything else is written.
    fn flush(&mut self) {
        if let Some(p) = self.pending.take() {
            self.out.push_str(&p);
        }
        if self.text.is_empty() {
            return;
        }
        let mut text = std::mem::take(&mut self.text);
        if self.stack.last().is_some_and(|f| f.base64) {
            if let Some(plain) = base64_decode(text.trim()).and_then(|b| String::from_utf8(b).ok())
            {
                text = quick_xml::escape::escape(plain.as_str()).into_owned();
            }
        }
        let top = self.stack.last();
        let base = top.and_then(|f| f.base.as_deref());
        match (top, base) {
            (Some(f), Some(b)) if self.saw_base && (f.html || f.url_text) => {
                let plain = quick_xml::escape::unescape(&text)
                    .map(|c| c.into_owned())
                    .unwrap_or_else(|_| text.clone());
                if f.url_text {
                    let fixed = resolve(&plain, Some(b));
                    self.out
                        .push_str(&quick_xml::escape::escape(fixed.as_str()));
                } else {
                    match resolve_html_urls(&plain, b) {
                        // Nothing relative: the text is written as it came.
                        std::borrow::Cow::Borrowed(_) => self.out.push_str(&text),
                        std::borrow::Cow::Owned(fixed) => self
                            .out
                            .push_str(&quick_xml::escape::escape(fixed.as_str())),
                    }
                }
            }
            _ => self.out.push_str(&text),
        }
        // Handed back emptied, so the next text node reuses its capacity.
        text.clear();
        self.text = text;
    }

    fn cdata(&mut self, raw: &str) {
        if self.stack.last().is_some_and(|f| f.escape_children) {
            self.text.push_str(&quick_xml::escape::escape(raw));
            return;
        }
        self.flush();
        let fixed = match (self.stack.last(), self.current_base()) {
            (Some(f), Some(b)) if self.saw_base && f.html => resolve_html_urls(raw, b),
            _ => std::borrow::Cow::Borrowed(raw),
        };
        self.out.push_str("<![CDATA[");
        self.out.push_str(&fixed);
        self.out.push_str("]]>");
    }

    fn start(&mut self, e: &BytesStart<'_>, empty: bool, doc_base: &Option<Rc<Url>>) {
        let src_name = String::from_utf8_lossy(e.name().as_ref()).into_owned();
        // Markup inside an RSS title is text of the title.
        if self.stack.last().is_some_and(|f| f.escape_children) {
            let raw = String::from_utf8_lossy(e.attributes_raw()).into_owned();
            let tag = format!("<{src_name}{raw}{}>", if empty { "/" } else { "" });
            self.text.push_str(&quick_xml::escape::escape(tag.as_str()));
            if !empty {
                self.stack.push(Frame {
                    src_name,
                    out_name: String::new(),
                    base: None,
                    escape_children: true,
                    html: false,
                    url_text: false,
                    saw_link: false,
                    base64: false,
                });
            }
            return;
        }
        self.flush();
        let mut lname: &str = local(&src_name);
        if self.stack.is_empty() {
            self.flavor = match lname {
                "rss" => Flavor::Rss,
                "RDF" => Flavor::Rdf,
                "feed" | "entry" => Flavor::Atom,
                "CHANNEL" | "Channel" => Flavor::Cdf,
                _ => {
                    // Not a feed root: skip the wrapper (an HTML page around the feed).
                    if !empty {
                        self.wrapper_depth += 1;
                    }
                    return;
                }
            };
            if self.flavor == Flavor::Rss {
                self.root_prefix = prefix(&src_name).map(String::from);
            }
            if self.flavor == Flavor::Cdf {
                self.out.push_str("<rss version=\"2.0\">");
                self.stack.push(Frame {
                    src_name: String::new(),
                    out_name: "rss".into(),
                    base: doc_base.clone(),
                    escape_children: false,
                    html: false,
                    url_text: false,
                    saw_link: false,
                    base64: false,
                });
            }
        }
        if self.flavor == Flavor::Cdf {
            self.cdf_start(e, &src_name, empty);
            return;
        }
        // An item inside an open item: the outer one ends here (feedparser starts a new entry at
        // every item start tag); the rest of it, after the inner item, is skipped.
        if is_entry(self.flavor, lname) {
            if let Some(pos) = self
                .stack
                .iter()
                .rposition(|f| is_entry(self.flavor, local(&f.out_name)))
            {
                while self.stack.len() > pos {
                    self.close_top();
                }
                self.ghosts.push(0);
            }
            // An item inside another element of the channel (an `<itunes:category>` left
            // open) belongs to the channel: the elements around it are closed there.
            let parent = match self.flavor {
                Flavor::Rss => Some("channel"),
                Flavor::Atom => Some("feed"),
                _ => None,
            };
            if let Some(pos) =
                parent.and_then(|p| self.stack.iter().rposition(|f| local(&f.out_name) == p))
            {
                while self.stack.len() > pos + 1 {
                    self.close_top();
                }
            }
        }
        let mut depth = self.stack.len();
        // RSS 2.0 items straight under <rss>: give them a channel. An extension element there
        // (`<sx:sharing>` before the channel) is not channel content.
        let extension = prefix(&src_name).is_some_and(|p| Some(p) != self.root_prefix.as_deref());
        if self.flavor == Flavor::Rss
            && depth == 1
            && lname != "channel"
            && !extension
            && !self.saw_channel
        {
            self.saw_channel = true;
            self.out.push_str("<channel>");
            self.stack.push(Frame {
                src_name: "\u{0}channel".into(),
                out_name: "channel".into(),
                base: self.stack.last().and_then(|f| f.base.clone()),
                escape_children: false,
                html: false,
                url_text: false,
                saw_link: false,
                base64: false,
            });
            depth = 2;
        }
        if self.flavor == Flavor::Rss && lname == "channel" {
            self.saw_channel = true;
        }
        // RSS 1.0 / 0.90 items nested in <channel>: close the channel, items are its siblings.
        if self.flavor == Flavor::Rdf
            && depth == 2
            && lname == "item"
            && self
                .stack
                .last()
                .is_some_and(|f| local(&f.src_name) == "channel")
        {
            self.close_top();
            self.rdf_channel_closed = true;
            depth = 1;
        }
        if self.flavor == Flavor::Rdf && lname == "link" {
            if let Some(f) = self.stack.last_mut() {
                f.saw_link = true;
            }
        }
        let mut out_name = src_name.clone();
        if let (Some(p), Some(n)) = (&self.root_prefix, src_name.split_once(':')) {
            if n.0 == p {
                out_name = n.1.to_string();
                lname = n.1;
            }
        }
        if self.atom03 {
            if let Some((_, new)) = ATOM03_RENAMES.iter().find(|(o, _)| *o == lname) {
                out_name = match prefix(&src_name) {
                    Some(p) => format!("{p}:{new}"),
                    None => (*new).to_string(),
                };
            }
        }
        let out_local = local(&out_name);
        let atom_el = self.flavor == Flavor::Atom
            && matches!(prefix(&src_name), None | Some("atom"))
            && ATOM_TEXT.contains(&out_local);

        // Attributes: dedupe, map namespaces / types / bases, resolve link attributes.
        let mut attrs: Vec<(String, String)> = Vec::new();
        let mut base = self
            .stack
            .last()
            .and_then(|f| f.base.clone())
            .or_else(|| if depth == 0 { doc_base.clone() } else { None });
        let mut mode: Option<String> = None;
        for a in e.html_attributes().with_checks(false).flatten() {
            let key = String::from_utf8_lossy(a.key.as_ref()).into_owned();
            let val = String::from_utf8_lossy(&a.value).into_owned();
            if key == "mode" {
                mode = Some(val.clone());
            }
            if attrs.iter().any(|(k, _)| *k == key) {
                continue;
            }
            attrs.push((key, val));
        }
        let mut has_type = false;
        let mut out_attrs: Vec<(String, String)> = Vec::with_capacity(attrs.len());
        for (key, val) in attrs {
            let v = val.trim();
            match key.as_str() {
                "xmlns"
                    if matches!(self.flavor, Flavor::Rss)
                        && matches!(lname, "rss" | "channel" | "item") =>
                {
                    continue;
                }
                k if self
                    .root_prefix
                    .as_deref()
                    .is_some_and(|p| k.strip_prefix("xmlns:") == Some(p)) =>
                {
                    continue;
                }
                k if k == "xmlns" || k.starts_with("xmlns:") => {
                    let mapped = NS_ALIASES
                        .iter()
                        .find(|(old, _)| *old == v)
                        .map_or(v, |(_, new)| *new);
                    out_attrs.push((key, mapped.to_string()));
                }
                "version" if depth == 0 => {
                    if self.flavor == Flavor::Rss {
                        out_attrs.push((key, "2.0".into()));
                    }
                }
                "mode" if atom_el => {}
                // feed-rs wants a MIME type with `src`, and no body; keep the inline body.
                "src" if atom_el && out_local == "content" => {}
                "type" if atom_el => {
                    has_type = true;
                    let is_content = out_local == "content" || out_local == "info";
                    if let Some(t) = atom_type(v, mode.as_deref(), is_content) {
                        out_attrs.push((key, t));
                    }
                }
                "xml:base" => {
                    self.saw_base = true;
                    let plain = quick_xml::escape::unescape(v)
                        .map(|c| c.into_owned())
                        .unwrap_or_else(|_| v.to_string());
                    let new = match &base {
                        Some(b) => b.join(&plain).ok(),
                        None => Url::parse(&plain).ok(),
                    };
                    if let Some(n) = new {
                        out_attrs.push((key, n.to_string()));
                        base = Some(Rc::new(n));
                    } else {
                        out_attrs.push((key, val));
                    }
                }
                _ => out_attrs.push((key, val)),
            }
        }
        if self.flavor == Flavor::Rss
            && depth == 0
            && !out_attrs.iter().any(|(k, _)| k == "version")
        {
            out_attrs.push(("version".into(), "2.0".into()));
        }
        if atom_el && !has_type {
            // An escaped or base64 value without a type is read as HTML, as feedparser does
            // (Atom 0.3 feeds used both modes for HTML).
            if let Some(m) = &mode {
                if m.eq_ignore_ascii_case("escaped") || m.eq_ignore_ascii_case("base64") {
                    out_attrs.push(("type".into(), "html".into()));
                }
            }
        }
        // Link-bearing attributes resolve against the innermost base.
        if self.saw_base {
            if let Some(b) = &base {
                for (k, v) in out_attrs.iter_mut() {
                    if matches!(
                        k.as_str(),
                        "href" | "src" | "url" | "rdf:about" | "rdf:resource"
                    ) {
                        let plain = quick_xml::escape::unescape(v)
                            .map(|c| c.into_owned())
                            .unwrap_or_else(|_| v.clone());
                        *v = quick_xml::escape::escape(resolve(&plain, Some(b.as_ref())).as_str())
                            .into_owned();
                    }
                }
            }
        }
        let mut tag = String::with_capacity(out_name.len() + 32);
        tag.push('<');
        tag.push_str(&out_name);
        for (k, v) in &out_attrs {
            let v: Cow<'_, str> = if v.contains('<') {
                Cow::Owned(v.replace('<', "&lt;"))
            } else {
                Cow::Borrowed(v)
            };
            let q = if v.contains('"') { '\'' } else { '"' };
            let v = if q == '\'' {
                Cow::Owned(v.replace('\'', "&apos;"))
            } else {
                v
            };
            tag.push(' ');
            tag.push_str(k);
            tag.push('=');
            tag.push(q);
            tag.push_str(&v);
            tag.push(q);
        }
        let only_trivial_attrs = out_attrs
            .iter()
            .all(|(k, _)| matches!(k.as_str(), "type" | "mode") || k.starts_with("xml"));
        let droppable = only_trivial_attrs && !STRUCTURAL.contains(&lname);
        if empty {
            if !droppable {
                tag.push_str("/>");
                self.out.push_str(&tag);
            }
            return;
        }
        tag.push('>');
        let is_xhtml = out_attrs.iter().any(|(k, v)| k == "type" && v == "xhtml");
        // Markup written unescaped inside a text or html title is part of its value (an xhtml
        // title holds its `<div>` by design, and feed-rs reads that).
        let escape_children = out_local == "title" && !is_xhtml;
        let base64 = atom_el
            && mode
                .as_deref()
                .is_some_and(|m| m.eq_ignore_ascii_case("base64"));
        if droppable {
            self.pending = Some(tag);
        } else {
            self.out.push_str(&tag);
        }
        let html = HTML_BEARING.contains(&out_local) && !is_xhtml;
        let url_text = out_local == "link";
        self.stack.push(Frame {
            src_name,
            out_name,
            base,
            escape_children,
            html,
            url_text,
            saw_link: false,
            base64,
        });
    }

    /// CDF → RSS 2.0: lower-case names, `ABSTRACT` → `description`, `HREF` → `<link>`,
    /// `LASTMOD` → `<pubDate>`.
    fn cdf_start(&mut self, e: &BytesStart<'_>, src_name: &str, empty: bool) {
        let upper = src_name.to_ascii_uppercase();
        let out_name = match upper.as_str() {
            "CHANNEL" => "channel",
            "ITEM" => "item",
            "TITLE" => "title",
            "ABSTRACT" => "description",
            _ => "",
        };
        if out_name.is_empty() {
            if !empty {
                self.stack.push(Frame {
                    src_name: upper,
                    out_name: "x-cdf".into(),
                    base: None,
                    escape_children: false,
                    html: false,
                    url_text: false,
                    saw_link: false,
                    base64: false,
                });
                self.out.push_str("<x-cdf>");
            }
            return;
        }
        self.out.push('<');
        self.out.push_str(out_name);
        self.out.push('>');
        for a in e.html_attributes().with_checks(false).flatten() {
            let key = String::from_utf8_lossy(a.key.as_ref()).to_ascii_uppercase();
            let val = String::from_utf8_lossy(&a.value).replace('<', "&lt;");
            let child = match key.as_str() {
                "HREF" => "link",
                "LASTMOD" => "pubDate",
                _ => continue,
            };
            self.out.push_str(&format!("<{child}>{val}</{child}>"));
        }
        if empty {
            self.out.push_str(&format!("</{out_name}>"));
        } else {
            self.stack.push(Frame {
                src_name: upper,
                out_name: out_name.into(),
                base: None,
                escape_children: false,
                html: out_name == "description",
                url_text: false,
                saw_link: false,
                base64: false,
            });
        }
    }

    fn end(&mut self, name: &str) {
        if self.stack.is_empty() {
            self.wrapper_depth = self.wrapper_depth.saturating_sub(1);
            return;
        }
        let name = match self.flavor {
            Flavor::Cdf => name.to_ascii_uppercase(),
            _ => name.to_string(),
        };
        let name = name.as_str();
        let Some(pos) = self.stack.iter().rposition(|f| f.src_name == name) else {
            return; // an end tag nothing opened: dropped
        };
        // Inside an escaped title, only a matching escaped child closes as text.
        if let Some(top) = self.stack.last() {
            if top.escape_children && top.out_name.is_empty() && pos == self.stack.len() - 1 {
                self.text
                    .push_str(&quick_xml::escape::escape(format!("</{name}>").as_str()));
                self.stack.pop();
                return;
            }
        }
        // `</channel>` of an RSS 2.0 document with items after it: keep the channel open.
        if self.flavor == Flavor::Rss
            && self.stack.len() == 2
            && pos == 1
            && local(name) == "channel"
        {
            self.flush();
            self.stack.pop();
            self.channel_deferred = true;
            return;
        }
        while self.stack.len() > pos + 1 {
            self.close_top();
        }
        self.close_top();
    }

    fn close_top(&mut self) {
        let Some(top) = self.stack.last() else { return };
        if top.escape_children && top.out_name.is_empty() {
            let name = top.src_name.clone();
            self.text
                .push_str(&quick_xml::escape::escape(format!("</{name}>").as_str()));
            self.stack.pop();
            return;
        }
        if self.pending.is_some() && self.text.trim().is_empty() {
            // An element with nothing inside: dropped (feed-rs rejects empty text constructs).
            self.pending = None;
            self.text.clear();
            self.stack.pop();
            if self.stack.is_empty() {
                self.root_closed = true;
            }
            return;
        }
        self.flush();
        let Some(top) = self.stack.pop() else { return };
        if self.flavor == Flavor::Rdf && local(&top.out_name) == "item" && !top.saw_link {
            self.out.push_str("<link>");
            self.out.push_str(NO_LINK);
            self.out.push_str("</link>");
        }
        if self.stack.is_empty() && self.flavor == Flavor::Rss && !self.saw_channel {
            // An <rss> with nothing in it is an empty feed, not an unreadable one.
            self.out.push_str("<channel></channel>");
        }
        if self.stack.is_empty() && self.channel_deferred {
            self.out.push_str("</channel>");
            self.channel_deferred = false;
        }
        self.out.push_str("</");
        self.out.push_str(&top.out_name);
        self.out.push('>');
        if self.stack.is_empty() {
            self.root_closed = true;
        }
    }
}

/// Standard base64 (RFC 4648 §4), whitespace ignored; `None` on any other character.
fn base64_decode(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let mut acc = 0u32;
    let mut bits = 0;
    for c in s.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'=' => break,
            c if c.is_ascii_whitespace() => continue,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::repair;

    #[test]
    fn closes_truncated_and_mismatched() {
        assert_eq!(
            repair(
                "<rss><channel><item><title>a</b></title><item><title>b",
                None
            ),
            // The second item begins a new entry: it closes the first (feedparser's reading).
            "<rss version=\"2.0\"><channel><item><title>a</title></item><item><title>b</title></item></channel></rss>"
        );
    }

    #[test]
    fn base64_text() {
        assert_eq!(
            super::base64_decode("RXhhbXBsZSA8Yj5BdG9tPC9iPg==").as_deref(),
            Some(&b"Example <b>Atom</b>"[..])
        );
    }

    #[test]
    fn atom03_to_atom10() {
        let s = r#"<feed version="0.3" xmlns="http://purl.org/atom/ns#"><entry><title type="text/html" mode="escaped">x</title><issued>2004-01-01T00:00:00Z</issued><summary/></entry></feed>"#;
        assert_eq!(
            repair(s, None),
            r#"<feed xmlns="http://www.w3.org/2005/Atom"><entry><title type="html">x</title><published>2004-01-01T00:00:00Z</published></entry></feed>"#
        );
    }

    #[test]
    fn items_after_channel_and_title_children() {
        let s = "<rss version=\"0.94\"><channel><title>c</title></channel><item><title>a <b>bold</b> move</title></item></rss>";
        assert_eq!(
            repair(s, None),
            "<rss version=\"2.0\"><channel><title>c</title><item><title>a &lt;b&gt;bold&lt;/b&gt; move</title></item></channel></rss>"
        );
    }
}
