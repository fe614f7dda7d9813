//! A flat, pre-order copy of the parsed page with per-element text statistics.
//!
//! Every later pass (scoring, cleaning, output) walks this array with loops, never with
//! recursion: a subtree is the index range `i..nodes[i].end`, so skipping one is a jump. That
//! keeps hostile pages (50,000 nested `<div>`s) from blowing the stack, and one linear pass
//! computes text length, link text length and commas for every element at once.

use super::patterns;
use scraper::node::Element;
use scraper::{Html, Node};

/// Attribute lookup by name without interning it. scraper's `Element::attr` turns the name
/// into an atom (a hash and, for names outside the static set, a lock) and binary-searches;
/// elements have a handful of attributes, so comparing the strings is several times cheaper
/// on the hot paths that ask every element for `class`, `id` and `style`.
pub(crate) trait AttrExt {
    /// The value of attribute `name` (ASCII lower-case, as the parser stores names).
    fn attr_str(&self, name: &str) -> Option<&str>;
}

impl AttrExt for Element {
    fn attr_str(&self, name: &str) -> Option<&str> {
        self.attrs().find(|(n, _)| *n == name).map(|(_, v)| v)
    }
}

/// Sentinel for "no parent".
pub(crate) const NONE: u32 = u32::MAX;

/// What a node is.
#[derive(Clone, Copy)]
pub(crate) enum Kind<'a> {
    /// An element.
    Elem(&'a Element),
    /// A text node.
    Text(&'a str),
}

/// Per-element flags.
pub(crate) mod flag {
    /// Never content: script, style, nav, forms, hidden elements, and everything below them.
    pub const JUNK: u8 = 1;
    /// class/id says boilerplate (share, related, comments…) and nothing says content.
    pub const BOILER: u8 = 2;
    /// Has a block-level element child.
    pub const HAS_BLOCK: u8 = 4;
    /// Inside an `<a>`.
    pub const IN_LINK: u8 = 8;
    /// This element itself (not an ancestor) is junk.
    pub const SELF_JUNK: u8 = 16;
    /// This element itself (not an ancestor) is boilerplate by class/id.
    pub const SELF_BOILER: u8 = 32;
    /// This element has a weak boilerplate word in class/id.
    pub const SELF_WEAK: u8 = 64;
}

/// One node of the flat tree.
pub(crate) struct N<'a> {
    pub kind: Kind<'a>,
    /// The node's id in scraper's tree.
    pub id: ego_tree::NodeId,
    /// Lower-case tag name ("" for text).
    pub tag: &'a str,
    pub parent: u32,
    /// One past the last descendant.
    pub end: u32,
    pub flags: u8,
    /// Non-whitespace characters of text below, excluding junk and boilerplate subtrees.
    pub text_len: u32,
    /// The part of `text_len` inside links.
    pub link_len: u32,
    /// Commas (Latin, Arabic, CJK) below.
    pub commas: u32,
    /// Non-whitespace characters of direct text children.
    pub own_text: u32,
    /// `<p>` elements below.
    pub paras: u32,
    /// Commas in direct text children.
    pub own_commas: u32,
    /// Direct text children with at least 20 non-whitespace characters.
    pub own_runs: u32,
    /// class/id weight: positive for content words, negative for boilerplate words.
    pub weight: i32,
}

impl<'a> N<'a> {
    /// The element, when this node is one.
    pub fn elem(&self) -> Option<&'a Element> {
        match self.kind {
            Kind::Elem(e) => Some(e),
            Kind::Text(_) => None,
        }
    }

    /// `link_len / text_len` (0 when there is no text).
    pub fn link_density(&self) -> f32 {
        if self.text_len == 0 {
            0.0
        } else {
            self.link_len as f32 / self.text_len as f32
        }
    }
}

/// Tags that start a new block of text.
pub(crate) fn is_block(tag: &str) -> bool {
    matches!(
        tag,
        "p" | "div"
            | "section"
            | "article"
            | "main"
            | "header"
            | "footer"
            | "aside"
            | "nav"
            | "blockquote"
            | "ul"
            | "ol"
            | "li"
            | "dl"
            | "dt"
            | "dd"
            | "pre"
            | "table"
            | "thead"
            | "tbody"
            | "tfoot"
            | "tr"
            | "td"
            | "th"
            | "caption"
            | "figure"
            | "figcaption"
            | "h1"
            | "h2"
            | "h3"
            | "h4"
            | "h5"
            | "h6"
            | "hr"
            | "address"
            | "center"
            | "details"
            | "summary"
            | "fieldset"
            | "form"
            | "hgroup"
            | "dialog"
            | "menu"
            | "body"
    )
}

/// Tags whose whole subtree is never article text.
fn is_junk_tag(tag: &str) -> bool {
    matches!(
        tag,
        "script"
            | "style"
            | "noscript"
            | "template"
            | "nav"
            | "button"
            | "select"
            | "option"
            | "textarea"
            | "input"
            | "iframe"
            | "object"
            | "embed"
            | "svg"
            | "math"
            | "canvas"
            | "audio"
            | "video"
            | "head"
            | "title"
            | "meta"
            | "link"
            | "label"
            | "dialog"
    )
}

/// Whether the element is hidden from readers (`hidden`, `aria-hidden`, `display:none`).
fn is_hidden(e: &Element) -> bool {
    if e.attr_str("hidden").is_some() {
        return true;
    }
    if e.attr_str("aria-hidden") == Some("true") {
        return true;
    }
    if let Some(style) = e.attr_str("style") {
        let s = style.to_ascii_lowercase();
        let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
        if s.contains("display:none") || s.contains("visibility:hidden") {
            return true;
        }
    }
    false
}

fn count_text(s: &str) -> (u32, u32) {
    let mut len = 0u32;
    let mut commas = 0u32;
    for c in s.chars() {
        if !c.is_whitespace() {
            len += 1;
            if matches!(c, ',' | '،' | '，' | '、' | '؛') {
                commas += 1;
            }
        }
    }
    (len, commas)
}

/// The flat tree.
pub(crate) struct Dom<'a> {
    pub nodes: Vec<N<'a>>,
}

impl<'a> Dom<'a> {
    /// Flattens `doc` and computes the statistics: one iterative pass to flatten, then
    /// linear passes to aggregate, decide boilerplate, and aggregate again without it.
    pub fn build(doc: &'a Html) -> Dom<'a> {
        let mut nodes: Vec<N<'a>> = Vec::with_capacity(doc.tree.nodes().len());
        // Stack of indices of open elements in `nodes`.
        let mut stack: Vec<u32> = Vec::new();
        let mut signals = patterns::ClassSignals::default();
        for edge in doc.tree.root().traverse() {
            match edge {
                ego_tree::iter::Edge::Open(node) => match node.value() {
                    Node::Element(e) => {
                        let parent = stack.last().copied().unwrap_or(NONE);
                        let tag = e.name();
                        let pflags = if parent == NONE {
                            0
                        } else {
                            nodes[parent as usize].flags
                        };
                        let mut flags = pflags & (flag::JUNK | flag::IN_LINK);
                        if tag == "a" {
                            flags |= flag::IN_LINK;
                        }
                        let mut weight = 0;
                        if flags & flag::JUNK == 0 {
                            if is_junk_tag(tag) || is_hidden(e) {
                                flags |= flag::JUNK | flag::SELF_JUNK;
                            } else {
                                weight = signals.class_weight(e);
                                if weight < 0 && !matches!(tag, "body" | "html" | "a" | "main") {
                                    flags |= flag::SELF_BOILER;
                                } else if weight <= 0 && signals.is_weak(e) {
                                    flags |= flag::SELF_WEAK;
                                }
                            }
                        }
                        if parent != NONE && is_block(tag) {
                            nodes[parent as usize].flags |= flag::HAS_BLOCK;
                        }
                        let idx = nodes.len() as u32;
                        nodes.push(N {
                            kind: Kind::Elem(e),
                            id: node.id(),
                            tag,
                            parent,
                            end: idx + 1,
                            flags,
                            text_len: 0,
                            link_len: 0,
                            commas: 0,
                            own_text: 0,
                            paras: 0,
                            own_commas: 0,
                            own_runs: 0,
                            weight,
                        });
                        stack.push(idx);
                    }
                    Node::Text(t) => {
                        let parent = stack.last().copied().unwrap_or(NONE);
                        let pflags = if parent == NONE {
                            flag::JUNK
                        } else {
                            nodes[parent as usize].flags
                        };
                        let (len, commas) = if pflags & flag::JUNK == 0 {
                            count_text(&t.text)
                        } else {
                            (0, 0)
                        };
                        if parent != NONE {
                            let p = &mut nodes[parent as usize];
                            p.own_text += len;
                            p.own_commas += commas;
                            p.own_runs += (len >= 20) as u32;
                        }
                        let idx = nodes.len() as u32;
                        nodes.push(N {
                            kind: Kind::Text(&t.text),
                            id: node.id(),
                            tag: "",
                            parent,
                            end: idx + 1,
                            flags: pflags & (flag::JUNK | flag::IN_LINK),
                            text_len: len,
                            link_len: if pflags & flag::IN_LINK != 0 { len } else { 0 },
                            commas,
                            own_text: 0,
                            paras: 0,
                            own_commas: 0,
                            own_runs: 0,
                            weight: 0,
                        });
                    }
                    _ => {}
                },
                ego_tree::iter::Edge::Close(node) => {
                    if let Node::Element(_) = node.value() {
                        let Some(idx) = stack.pop() else { continue };
                        let end = nodes.len() as u32;
                        nodes[idx as usize].end = end;
                    }
                }
            }
        }
        let mut dom = Dom { nodes };
        dom.aggregate();
        // A boilerplate word on a wrapper that holds most of the page's text is a layout
        // class ("has-sidebar", "ad-free-wrapper"), not boilerplate.
        let total = dom
            .nodes
            .iter()
            .find(|n| n.tag == "body")
            .map_or(0, |n| n.text_len);
        let nodes = &mut dom.nodes;
        for i in 0..nodes.len() {
            let p = nodes[i].parent;
            let inherited = p != NONE && nodes[p as usize].flags & flag::BOILER != 0;
            let n = &mut nodes[i];
            if n.flags & flag::SELF_BOILER != 0 && n.text_len * 10 >= total * 6 && total > 0 {
                n.flags &= !flag::SELF_BOILER;
            }
            if inherited || n.flags & flag::SELF_BOILER != 0 {
                n.flags |= flag::BOILER;
            }
        }
        dom.aggregate();
        dom
    }

    /// Sums text statistics bottom-up (reverse pre-order visits children before parents),
    /// leaving out junk and boilerplate subtrees.
    fn aggregate(&mut self) {
        let nodes = &mut self.nodes;
        for n in nodes.iter_mut() {
            if n.elem().is_some() {
                n.text_len = 0;
                n.link_len = 0;
                n.commas = 0;
                n.paras = 0;
            }
        }
        for i in (0..nodes.len()).rev() {
            let n = &nodes[i];
            let p = n.parent;
            if p == NONE || n.flags & (flag::JUNK | flag::BOILER) != 0 {
                continue;
            }
            let add = (
                n.text_len,
                n.link_len,
                n.commas,
                n.paras + (n.tag == "p") as u32,
            );
            let pn = &mut nodes[p as usize];
            pn.text_len += add.0;
            pn.link_len += add.1;
            pn.commas += add.2;
            pn.paras += add.3;
        }
    }

    /// Indices of the element children of `i`.
    pub fn children(&self, i: u32) -> ChildIter<'_, 'a> {
        ChildIter {
            dom: self,
            next: i + 1,
            end: self.nodes[i as usize].end,
        }
    }

    /// Text of the subtree at `i`, skipping junk, with whitespace collapsed.
    pub fn text_of(&self, i: u32) -> String {
        let mut s = String::new();
        let end = self.nodes[i as usize].end;
        let mut j = i;
        while j < end {
            let n = &self.nodes[j as usize];
            if n.flags & flag::JUNK != 0 && j != i {
                j = n.end;
                continue;
            }
            if let Kind::Text(t) = n.kind {
                s.push_str(t);
            } else if is_block(n.tag) || n.tag == "br" {
                s.push(' ');
            }
            j += 1;
        }
        super::collapse(&s)
    }
}

/// Iterator over child indices (text and elements).
pub(crate) struct ChildIter<'d, 'a> {
    dom: &'d Dom<'a>,
    next: u32,
    end: u32,
}

impl Iterator for ChildIter<'_, '_> {
    type Item = u32;
    fn next(&mut self) -> Option<u32> {
        if self.next >= self.end {
            return None;
        }
        let i = self.next;
        self.next = self.dom.nodes[i as usize].end;
        Some(i)
    }
}
