//! The `extract` stage: article page bytes → [`Extracted`] (title, body text, sanitised body
//! HTML and metadata), working on `scraper`'s DOM. Pure: no I/O.
//!
//! Order: decode (HTTP charset, BOM, `<meta>` in the first 1024 bytes, then chardetng: see
//! [`crate::charset`]), cut what is never read before parsing (`prestrip`: scripts, styles,
//! menus, unread attributes and `<meta>`/`<link>` tags, whitespace between tags; parsing is
//! half the time, and linear in what it is given), parse, flatten the tree once ([`dom`]: every later pass is a loop over
//! an array, so deep nesting cannot overflow the stack), read metadata ([`metadata`]), apply
//! a matching [`SiteRule`] (configured rules first, then [`builtin_rules`]), else choose the
//! container readability-style ([`scoring`]), then clean it and build text and HTML together
//! ([`output`]), and sanitise the HTML last (ammonia, [`sanitize`]).
//!
//! When extraction fails, or finds less than the feed already gave, the caller keeps the
//! feed's own content: [`ExtractError`] says why it failed, and [`judge`] compares a success
//! with the feed's text and returns an [`Extraction`] verdict to record on the article.

mod dom;
pub mod metadata;
mod output;
mod patterns;
mod prestrip;
mod scoring;
mod sites;

pub use sites::builtin_rules;

pub mod fragment;

use crate::model::SiteRule;
use chrono::{DateTime, Utc};
use dom::{AttrExt, Dom, Kind};
use scraper::{Html, Selector};
use serde::Serialize;
use std::collections::HashMap;
use url::Url;

/// What extraction produced for one page.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Extracted {
    /// Article headline (plain text).
    pub title: Option<String>,
    /// Body as plain text; block elements separated by a blank line.
    pub text: String,
    /// Body as sanitised HTML with absolute URLs.
    pub html: String,
    /// Publication time (UTC).
    pub published: Option<DateTime<Utc>>,
    /// Modification time (UTC).
    pub updated: Option<DateTime<Utc>>,
    /// Author / byline.
    pub byline: Option<String>,
    /// Language tag (`<html lang>`, JSON-LD `inLanguage`, `og:locale`).
    pub lang: Option<String>,
    /// `rtl` or `ltr`: from `<html dir>`, else computed from the body text.
    pub dir: Option<String>,
    /// Keywords / tags.
    pub tags: Vec<String>,
    /// `rel=canonical` or `og:url`, absolute.
    pub canonical_url: Option<String>,
    /// Lead image URL (`og:image`, else the body's first image), absolute.
    pub lead_image: Option<String>,
    /// Absolute URLs of the images kept in `html`, in order.
    pub images: Vec<String>,
    /// The host of the site rule that chose the body, when one did.
    pub rule: Option<String>,
}

/// Why a page could not be extracted. The caller keeps the feed's content and records the
/// reason (`extraction: failed`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExtractError {
    /// No block of the page looked like an article body.
    #[error("no article body found")]
    NoBody,
    /// The page is larger than the extractor accepts.
    #[error("page too large: {0} bytes (limit {1})")]
    TooLarge(usize, usize),
    /// The page has more elements than the extractor accepts.
    #[error("page has too many elements: {0} (limit {1})")]
    TooManyNodes(usize, usize),
}

/// Largest page accepted, in bytes.
pub const MAX_PAGE_BYTES: usize = 8 * 1024 * 1024;

/// Largest number of DOM nodes accepted (a real news page has a few thousand).
pub const MAX_NODES: usize = 1_000_000;

/// Extracts the article from page bytes. `http_charset` is the Content-Type charset of the
/// response; `url` is the page's final URL (base for relative links); `rules` are the
/// configured site rules (the first whose host matches is used; they take precedence over
/// [`builtin_rules`]).
///
/// # Errors
/// [`ExtractError::NoBody`] when no body is found; [`ExtractError::TooLarge`] above
/// [`MAX_PAGE_BYTES`]; [`ExtractError::TooManyNodes`] above [`MAX_NODES`].
pub fn extract(
    bytes: &[u8],
    http_charset: Option<&str>,
    url: &Url,
    rules: &[SiteRule],
) -> Result<Extracted, ExtractError> {
    if bytes.len() > MAX_PAGE_BYTES {
        return Err(ExtractError::TooLarge(bytes.len(), MAX_PAGE_BYTES));
    }
    let decoded = crate::charset::decode(bytes, http_charset, None, crate::charset::DocKind::Html);
    extract_str(&decoded.text, url, rules)
}

/// Like [`extract`], for a page already decoded to UTF-8.
///
/// # Errors
/// As [`extract`].
pub fn extract_str(html: &str, url: &Url, rules: &[SiteRule]) -> Result<Extracted, ExtractError> {
    if html.len() > MAX_PAGE_BYTES {
        return Err(ExtractError::TooLarge(html.len(), MAX_PAGE_BYTES));
    }
    let keep = prestrip::rule_keep(rules.iter().chain(sites::BUILTIN.iter()));
    let stripped = prestrip::prestrip(html, &keep);
    // limit_depth rescans the page; only worth it when prestrip saw deep nesting (its count
    // skips raw text, hence the margin).
    let doc = if stripped.depth > prestrip::MAX_DEPTH / 2 {
        Html::parse_document(&prestrip::limit_depth(&stripped.html))
    } else {
        Html::parse_document(&stripped.html)
    };
    let count = doc.tree.nodes().len();
    if count > MAX_NODES {
        return Err(ExtractError::TooManyNodes(count, MAX_NODES));
    }
    let dom = Dom::build(&doc);
    let found = metadata::collect(&dom);
    let mut out = Extracted::default();

    // A site rule is found by the page's host, else by the host of its canonical URL, so a
    // page read through a mirror, proxy or cache still gets its site's rule.
    let canonical = {
        let mut meta = Extracted::default();
        metadata::apply(&found, url, &mut meta);
        meta.canonical_url.and_then(|c| Url::parse(&c).ok())
    };
    let rule = find_rule(rules, url)
        .or_else(|| find_rule(&sites::BUILTIN, url))
        .or_else(|| {
            let c = canonical.as_ref()?;
            find_rule(rules, c).or_else(|| find_rule(&sites::BUILTIN, c))
        });
    let mut roots: Option<Vec<u32>> = None;
    let mut strip: Vec<u32> = Vec::new();
    if let Some(rule) = rule {
        let index = node_index(&dom);
        let first = |s: &str| -> Option<u32> {
            let sel = Selector::parse(s).ok()?;
            doc.select(&sel).find_map(|e| index.get(&e.id()).copied())
        };
        if let Some(i) = rule.body.as_deref().and_then(first) {
            roots = Some(vec![i]);
            out.rule = Some(rule.host.clone());
        }
        for s in &rule.strip {
            if let Ok(sel) = Selector::parse(s) {
                strip.extend(doc.select(&sel).filter_map(|e| index.get(&e.id()).copied()));
            }
        }
        strip.sort_unstable();
        if let Some(i) = rule.title.as_deref().and_then(first) {
            let t = dom.text_of(i);
            if !t.is_empty() {
                out.title = Some(t);
            }
        }
        if let Some(i) = rule.published.as_deref().and_then(first) {
            out.published = dom.nodes[i as usize]
                .elem()
                .and_then(|e| e.attr_str("datetime").or_else(|| e.attr_str("content")))
                .and_then(metadata::parse_date)
                .or_else(|| metadata::parse_date(&dom.text_of(i)))
                .or_else(|| metadata::parse_text_date(&dom.text_of(i)));
        }
    }
    metadata::apply(&found, url, &mut out);
    let roots = match roots {
        Some(r) => r,
        None => scoring::choose(&dom).ok_or(ExtractError::NoBody)?,
    };
    let title_norm = out.title.as_deref().map(collapse);
    let walk = output::Walk {
        base: url,
        title: title_norm,
        strip: &strip,
    };
    let mut body = output::walk(&dom, &roots, &walk);
    if body.blocks.is_empty() {
        return Err(ExtractError::NoBody);
    }
    trim_blocks(&mut body.blocks, out.title.as_deref());
    if body.blocks.is_empty() {
        return Err(ExtractError::NoBody);
    }
    out.text = body.blocks.join("\n\n");
    out.html = sanitize(&body.html, url);
    if out.dir.is_none() {
        out.dir = Some(text_direction(&out.text).to_string());
    }
    if out.lang.is_none() {
        out.lang = guess_lang(&out.text).map(str::to_string);
    }
    if out.lead_image.is_none() {
        out.lead_image = body.images.first().cloned();
    }
    out.images = body.images;
    Ok(out)
}

/// Drops leading blocks that are page furniture rather than body: a repeat of the title, a
/// date/time line ("Wednesday, 28 August 2013, last update 14:00"), a source line.
fn trim_blocks(blocks: &mut Vec<String>, title: Option<&str>) {
    let title = title.map(collapse);
    let mut drop = 0;
    for b in blocks.iter().take(4) {
        if title.as_deref() == Some(b.as_str()) || patterns::is_dateline(b) {
            drop += 1;
        } else {
            break;
        }
    }
    // Never leave nothing.
    if drop < blocks.len() {
        blocks.drain(..drop);
    }
}

fn find_rule<'r>(rules: &'r [SiteRule], url: &Url) -> Option<&'r SiteRule> {
    let host = url.host_str()?.to_ascii_lowercase();
    rules.iter().find(|r| {
        let h = r.host.trim().to_ascii_lowercase();
        !h.is_empty()
            && (host == h
                || host
                    .strip_suffix(h.as_str())
                    .is_some_and(|p| p.ends_with('.')))
    })
}

fn node_index(dom: &Dom<'_>) -> HashMap<ego_tree::NodeId, u32> {
    // Only built when a site rule applies: maps scraper's node ids to flat indices.
    dom.nodes
        .iter()
        .enumerate()
        .filter(|(_, n)| matches!(n.kind, Kind::Elem(_)))
        .map(|(i, n)| (n.id, i as u32))
        .collect()
}

/// Sanitises body HTML with ammonia's allowlist, keeping `dir`/`lang`/`bdi`/`bdo`, figures,
/// tables and links, making URLs absolute. Scripts, styles, event handlers and unknown
/// attributes are removed.
pub fn sanitize(html: &str, base: &Url) -> String {
    ammonia::Builder::empty()
        .tags(
            [
                "p",
                "br",
                "h2",
                "h3",
                "h4",
                "h5",
                "h6",
                "blockquote",
                "ul",
                "ol",
                "li",
                "dl",
                "dt",
                "dd",
                "pre",
                "code",
                "table",
                "thead",
                "tbody",
                "tfoot",
                "tr",
                "td",
                "th",
                "caption",
                "figure",
                "figcaption",
                "img",
                "a",
                "b",
                "strong",
                "i",
                "em",
                "u",
                "s",
                "del",
                "ins",
                "sub",
                "sup",
                "q",
                "cite",
                "bdi",
                "bdo",
                "abbr",
                "mark",
                "small",
                "span",
                "div",
                "hr",
            ]
            .into_iter()
            .collect(),
        )
        .generic_attributes(["dir", "lang", "title"].into_iter().collect())
        .tag_attributes(
            [
                ("a", ["href"].into_iter().collect()),
                ("img", ["src", "alt"].into_iter().collect()),
                ("td", ["colspan", "rowspan"].into_iter().collect()),
                ("th", ["colspan", "rowspan"].into_iter().collect()),
            ]
            .into_iter()
            .collect(),
        )
        .url_schemes(["http", "https", "mailto"].into_iter().collect())
        .link_rel(Some("noopener noreferrer nofollow"))
        .url_relative(ammonia::UrlRelative::RewriteWithBase(base.clone()))
        // Nesting past the parser's comfort is dropped first, as for pages (a feed's HTML is
        // as hostile as a page's).
        .clean(&prestrip::limit_depth(html))
        .to_string()
}

/// `rtl` when strong right-to-left letters outnumber left-to-right ones.
pub fn text_direction(text: &str) -> &'static str {
    let (mut rtl, mut ltr) = (0usize, 0usize);
    for c in text.chars() {
        match c as u32 {
            0x0590..=0x08FF | 0xFB1D..=0xFDFF | 0xFE70..=0xFEFF | 0x10800..=0x10FFF => rtl += 1,
            _ if c.is_alphabetic() => ltr += 1,
            _ => {}
        }
    }
    if rtl > ltr { "rtl" } else { "ltr" }
}

/// A language tag from the script of the text, only where the script says it: Arabic
/// script without Persian or Urdu letters is `ar`, with them `fa` / `ur`; Hebrew is `he`.
/// Other scripts are shared by too many languages to guess: `None`.
pub fn guess_lang(text: &str) -> Option<&'static str> {
    let (mut arabic, mut persian, mut urdu, mut hebrew, mut letters) = (0, 0, 0, 0, 0);
    for c in text.chars().take(5000) {
        if !c.is_alphabetic() {
            continue;
        }
        letters += 1;
        match c {
            'پ' | 'چ' | 'ژ' | 'گ' | 'ی' | 'ک' => persian += 1,
            'ٹ' | 'ڈ' | 'ڑ' | 'ں' | 'ے' | 'ہ' | 'ھ' => urdu += 1,
            '\u{0600}'..='\u{06FF}' | '\u{0750}'..='\u{077F}' | '\u{FB50}'..='\u{FEFF}' => {
                arabic += 1
            }
            '\u{0590}'..='\u{05FF}' => hebrew += 1,
            _ => {}
        }
    }
    let script = arabic + persian + urdu;
    if letters == 0 {
        None
    } else if script * 2 > letters {
        Some(if urdu * 100 > script {
            "ur"
        } else if persian * 100 > script {
            "fa"
        } else {
            "ar"
        })
    } else if hebrew * 2 > letters {
        Some("he")
    } else {
        None
    }
}

/// How extraction went for one article, to record on it (`extraction: ok|fallback|failed`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "extraction", content = "reason", rename_all = "lowercase")]
pub enum Extraction {
    /// The page's body is used.
    Ok,
    /// Extraction worked but found less than the feed gave; the feed's content is kept.
    Fallback(String),
    /// Extraction failed; the feed's content is kept.
    Failed(String),
}

/// Decides whether the extracted body should replace the feed's own content (`feed_text`:
/// the item's description/content as plain text). The page wins unless it failed or its
/// text is shorter than the feed's (in words): a teaser page, a paywall, or a wrong block.
pub fn judge(result: &Result<Extracted, ExtractError>, feed_text: &str) -> Extraction {
    match result {
        Err(e) => Extraction::Failed(e.to_string()),
        Ok(x) => {
            let page = word_count(&x.text);
            let feed = word_count(feed_text);
            if page < feed {
                Extraction::Fallback(format!(
                    "extracted body has {page} words, the feed gave {feed}"
                ))
            } else {
                Extraction::Ok
            }
        }
    }
}

/// Words in a text (runs of alphanumeric characters), for [`judge`].
pub fn word_count(text: &str) -> usize {
    text.split(|c: char| !crate::search::is_word_char(c))
        .filter(|w| !w.is_empty())
        .count()
}

/// Collapses runs of whitespace to one space and trims.
pub(crate) fn collapse(s: &str) -> String {
    // Separators: whitespace, and a stray BOM or zero-width space inside a page, which is
    // not text (ZWJ/ZWNJ are, in Persian). Scanned by byte: only ASCII and the lead bytes
    // 0xC2, 0xE1, 0xE2, 0xE3 and 0xEF can start one; other characters are never decoded.
    let bytes = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    let mut word: Option<usize> = None;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let (sep, width) = if b < 0x80 {
            (crate::dedup::is_ascii_space(b), 1)
        } else if matches!(b, 0xC2 | 0xE1 | 0xE2 | 0xE3 | 0xEF) {
            match s[i..].chars().next() {
                Some(c) => (
                    c.is_whitespace() || c == '\u{FEFF}' || c == '\u{200B}',
                    c.len_utf8(),
                ),
                None => break,
            }
        } else {
            (false, 1)
        };
        if sep {
            if let Some(start) = word.take() {
                if !out.is_empty() {
                    out.push(' ');
                }
                out.push_str(&s[start..i]);
            }
        } else if word.is_none() {
            word = Some(i);
        }
        i += width;
    }
    if let Some(start) = word {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(&s[start..]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::collapse;

    #[test]
    fn collapse_agrees_with_split_on_separators() {
        for t in [
            "",
            "  a  b\t\nc ",
            "x\u{A0}y\u{2003}z\u{3000}w\u{85}v",
            "\u{FEFF}بسم\u{200B}الله  الرحمن\u{200D}الرحيم",
            "ﬁ\u{E9}t\u{E9} — «quoted»\u{202F}!",
        ] {
            let want = t
                .split(|c: char| c.is_whitespace() || c == '\u{FEFF}' || c == '\u{200B}')
                .filter(|w| !w.is_empty())
                .collect::<Vec<_>>()
                .join(" ");
            assert_eq!(collapse(t), want, "{t:?}");
        }
    }
}
