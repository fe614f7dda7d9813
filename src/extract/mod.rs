//! The `extract` stage: article page bytes → [`Extracted`] (title, body text, sanitised body
//! HTML and metadata), working on `scraper`'s DOM. Pure: no I/O.
//!
//! Order: decode ([`crate::charset`]), parse, read metadata (JSON-LD `NewsArticle`, OpenGraph
//! and `article:*` meta, `<html lang dir>`), apply a matching [`SiteRule`], else score candidate
//! blocks readability-style, then build text and HTML and sanitise the HTML last (ammonia).

pub mod fragment;

use crate::model::SiteRule;
use chrono::{DateTime, Utc};
use scraper::{ElementRef, Html, Node, Selector};
use serde::Serialize;
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
    /// Language tag (`<html lang>`, `og:locale`, JSON-LD `inLanguage`).
    pub lang: Option<String>,
    /// `rtl` or `ltr`: from the page, else computed from the body text.
    pub dir: Option<String>,
    /// Keywords / tags.
    pub tags: Vec<String>,
    /// `rel=canonical` or `og:url`, absolute.
    pub canonical_url: Option<String>,
    /// Lead image URL (`og:image`), absolute.
    pub lead_image: Option<String>,
}

/// Why a page could not be extracted.
#[derive(Debug, thiserror::Error)]
pub enum ExtractError {
    /// No block of the page looked like an article body.
    #[error("no article body found")]
    NoBody,
    /// The page is larger than the extractor accepts.
    #[error("page too large: {0} bytes (limit {1})")]
    TooLarge(usize, usize),
}

/// Largest page accepted, in bytes.
pub const MAX_PAGE_BYTES: usize = 8 * 1024 * 1024;

/// Extracts the article from page bytes. `http_charset` is the Content-Type charset of the
/// response; `url` is the page's final URL (base for relative links); `rules` are the
/// configured site rules (the first whose host matches is used).
///
/// # Errors
/// [`ExtractError::NoBody`] when no body is found; [`ExtractError::TooLarge`] above
/// [`MAX_PAGE_BYTES`].
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
    let doc = Html::parse_document(html);
    let mut out = Extracted::default();
    read_metadata(&doc, url, &mut out);
    let rule = url.host_str().and_then(|h| {
        rules
            .iter()
            .find(|r| h == r.host || h.ends_with(&format!(".{}", r.host)))
    });
    let mut strip: Vec<Selector> = Vec::new();
    let mut body: Option<ElementRef<'_>> = None;
    if let Some(rule) = rule {
        strip = rule
            .strip
            .iter()
            .filter_map(|s| Selector::parse(s).ok())
            .collect();
        if let Some(sel) = rule.body.as_deref().and_then(|s| Selector::parse(s).ok()) {
            body = doc.select(&sel).next();
        }
        if let Some(sel) = rule.title.as_deref().and_then(|s| Selector::parse(s).ok()) {
            if let Some(t) = doc.select(&sel).next() {
                out.title = Some(collapse(&t.text().collect::<String>()));
            }
        }
    }
    let body = match body {
        Some(b) => b,
        None => best_candidate(&doc).ok_or(ExtractError::NoBody)?,
    };
    let stripped: Vec<ego_id::Id> = strip
        .iter()
        .flat_map(|s| body.select(s).map(|e| ego_id::Id(e.id())))
        .collect();
    let mut blocks: Vec<(&'static str, String)> = Vec::new();
    collect_blocks(body, &stripped, &mut blocks);
    if blocks.is_empty() {
        return Err(ExtractError::NoBody);
    }
    out.text = blocks
        .iter()
        .map(|(_, t)| t.as_str())
        .collect::<Vec<_>>()
        .join("\n\n");
    let mut html_out = String::new();
    for (tag, text) in &blocks {
        html_out.push_str(&format!(
            "<{tag}>{}</{tag}>",
            html_escape::encode_text(text)
        ));
    }
    out.html = sanitize(&html_out, url);
    if out.dir.is_none() {
        out.dir = Some(text_direction(&out.text).to_string());
    }
    Ok(out)
}

mod ego_id {
    /// Node id wrapper so the stripped set can be compared.
    #[derive(PartialEq, Eq, Clone, Copy)]
    pub struct Id(pub ego_tree::NodeId);
}

/// Sanitises body HTML with ammonia's allowlist, keeping `dir`/`lang` and making URLs absolute.
pub fn sanitize(html: &str, base: &Url) -> String {
    ammonia::Builder::default()
        .add_generic_attributes(["dir", "lang"])
        .add_tags(["bdi", "bdo", "figure", "figcaption"])
        .url_relative(ammonia::UrlRelative::RewriteWithBase(base.clone()))
        .clean(html)
        .to_string()
}

/// `rtl` when strong right-to-left letters outnumber left-to-right ones.
pub fn text_direction(text: &str) -> &'static str {
    let (mut rtl, mut ltr) = (0usize, 0usize);
    for c in text.chars() {
        match c as u32 {
            0x0590..=0x08FF | 0xFB1D..=0xFDFF | 0xFE70..=0xFEFF => rtl += 1,
            _ if c.is_alphabetic() => ltr += 1,
            _ => {}
        }
    }
    if rtl > ltr { "rtl" } else { "ltr" }
}

fn sel(s: &str) -> Selector {
    // Selectors below are literals known to be valid.
    Selector::parse(s).unwrap_or_else(|_| unreachable!("invalid built-in selector {s}"))
}

fn meta(doc: &Html, keys: &[&str]) -> Option<String> {
    for key in keys {
        let s = sel(&format!(
            "meta[property=\"{key}\"], meta[name=\"{key}\"], meta[itemprop=\"{key}\"]"
        ));
        if let Some(v) = doc.select(&s).find_map(|m| m.value().attr("content")) {
            let v = v.trim();
            if !v.is_empty() {
                return Some(v.to_string());
            }
        }
    }
    None
}

fn parse_date(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s.trim())
        .or_else(|_| DateTime::parse_from_rfc2822(s.trim()))
        .map(|d| d.with_timezone(&Utc))
        .ok()
        .or_else(|| {
            chrono::NaiveDateTime::parse_from_str(s.trim(), "%Y-%m-%dT%H:%M:%S")
                .ok()
                .map(|n| n.and_utc())
        })
}

fn read_metadata(doc: &Html, url: &Url, out: &mut Extracted) {
    // JSON-LD first: NewsArticle and friends.
    for script in doc.select(&sel("script[type=\"application/ld+json\"]")) {
        let raw: String = script.text().collect();
        let Ok(value) = serde_json::from_str::<serde_json::Value>(&raw) else {
            continue;
        };
        let mut stack = vec![&value];
        while let Some(v) = stack.pop() {
            match v {
                serde_json::Value::Array(a) => stack.extend(a.iter()),
                serde_json::Value::Object(o) => {
                    if let Some(g) = o.get("@graph") {
                        stack.push(g);
                    }
                    let ty = o.get("@type").map(|t| t.to_string()).unwrap_or_default();
                    if ty.contains("Article") || ty.contains("Posting") {
                        if out.title.is_none() {
                            out.title = o.get("headline").and_then(|h| h.as_str()).map(collapse);
                        }
                        out.published = out.published.or_else(|| {
                            o.get("datePublished")
                                .and_then(|d| d.as_str())
                                .and_then(parse_date)
                        });
                        out.updated = out.updated.or_else(|| {
                            o.get("dateModified")
                                .and_then(|d| d.as_str())
                                .and_then(parse_date)
                        });
                        if out.byline.is_none() {
                            out.byline = o.get("author").and_then(author_name);
                        }
                        if out.tags.is_empty() {
                            if let Some(k) = o.get("keywords") {
                                out.tags = match k {
                                    serde_json::Value::String(s) => s
                                        .split(',')
                                        .map(|t| t.trim().to_string())
                                        .filter(|t| !t.is_empty())
                                        .collect(),
                                    serde_json::Value::Array(a) => a
                                        .iter()
                                        .filter_map(|t| t.as_str())
                                        .map(str::to_string)
                                        .collect(),
                                    _ => Vec::new(),
                                };
                            }
                        }
                        if out.lang.is_none() {
                            out.lang = o
                                .get("inLanguage")
                                .and_then(|l| l.as_str())
                                .map(str::to_string);
                        }
                    }
                }
                _ => {}
            }
        }
    }
    if out.title.is_none() {
        out.title = meta(doc, &["og:title", "twitter:title"])
            .map(|t| collapse(&t))
            .or_else(|| {
                doc.select(&sel("h1"))
                    .next()
                    .map(|h| collapse(&h.text().collect::<String>()))
            })
            .or_else(|| {
                doc.select(&sel("title"))
                    .next()
                    .map(|t| collapse(&t.text().collect::<String>()))
            });
    }
    out.published = out.published.or_else(|| {
        meta(
            doc,
            &["article:published_time", "datePublished", "date", "dc.date"],
        )
        .and_then(|d| parse_date(&d))
    });
    out.updated = out.updated.or_else(|| {
        meta(doc, &["article:modified_time", "dateModified"]).and_then(|d| parse_date(&d))
    });
    if out.published.is_none() {
        out.published = doc
            .select(&sel("time[datetime]"))
            .find_map(|t| t.value().attr("datetime").and_then(parse_date));
    }
    if out.byline.is_none() {
        out.byline = meta(doc, &["author", "article:author"]);
    }
    if out.tags.is_empty() {
        let tags: Vec<String> = doc
            .select(&sel("meta[property=\"article:tag\"]"))
            .filter_map(|m| m.value().attr("content"))
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect();
        out.tags = tags;
    }
    if let Some(html) = doc.select(&sel("html")).next() {
        if out.lang.is_none() {
            out.lang = html
                .value()
                .attr("lang")
                .map(|l| l.trim().to_string())
                .filter(|l| !l.is_empty());
        }
        out.dir = html
            .value()
            .attr("dir")
            .map(|d| d.trim().to_ascii_lowercase())
            .filter(|d| d == "rtl" || d == "ltr");
    }
    if out.lang.is_none() {
        out.lang = meta(doc, &["og:locale"])
            .map(|l| l.split(['_', '-']).next().unwrap_or_default().to_string());
    }
    let canonical = doc
        .select(&sel("link[rel=\"canonical\"]"))
        .find_map(|l| l.value().attr("href"))
        .map(str::to_string)
        .or_else(|| meta(doc, &["og:url"]));
    out.canonical_url = canonical
        .and_then(|c| url.join(c.trim()).ok())
        .map(|u| u.to_string());
    out.lead_image = meta(doc, &["og:image", "twitter:image", "twitter:image:src"])
        .and_then(|c| url.join(&c).ok())
        .map(|u| u.to_string());
}

fn author_name(v: &serde_json::Value) -> Option<String> {
    match v {
        serde_json::Value::String(s) => Some(s.trim().to_string()),
        serde_json::Value::Object(o) => o
            .get("name")
            .and_then(|n| n.as_str())
            .map(|s| s.trim().to_string()),
        serde_json::Value::Array(a) => {
            let names: Vec<String> = a.iter().filter_map(author_name).collect();
            (!names.is_empty()).then(|| names.join(", "))
        }
        _ => None,
    }
}

fn collapse(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

const SKIP_TAGS: &[&str] = &[
    "script", "style", "noscript", "nav", "aside", "footer", "form", "button", "iframe", "svg",
    "header", "select", "template",
];
const NEGATIVE: &[&str] = &[
    "share",
    "social",
    "related",
    "comment",
    "footer",
    "sidebar",
    "advert",
    "ad-",
    "promo",
    "tags",
    "breadcrumb",
    "newsletter",
    "subscribe",
    "paylas",
    "most-read",
    "bilgi",
    "menu",
    "nav",
    "widget",
    "popular",
];
const POSITIVE: &[&str] = &[
    "article", "content", "body", "story", "entry", "post", "text", "icerik", "detay", "main",
];

fn class_weight(e: &scraper::node::Element) -> i64 {
    let mut w = 0;
    let s = format!(
        "{} {}",
        e.attr("class").unwrap_or(""),
        e.attr("id").unwrap_or("")
    )
    .to_ascii_lowercase();
    if NEGATIVE.iter().any(|n| s.contains(n)) {
        w -= 25;
    }
    if POSITIVE.iter().any(|p| s.contains(p)) {
        w += 25;
    }
    w
}

fn is_skipped(e: &scraper::node::Element) -> bool {
    SKIP_TAGS.contains(&e.name())
        || class_weight(e) < 0
            && !POSITIVE
                .iter()
                .any(|p| e.attr("class").unwrap_or("").contains(p))
}

fn best_candidate(doc: &Html) -> Option<ElementRef<'_>> {
    use std::collections::HashMap;
    let mut scores: HashMap<ego_tree::NodeId, f64> = HashMap::new();
    for p in doc.select(&sel("p, pre, td, blockquote")) {
        let text: String = p.text().collect();
        let len = text.trim().chars().count();
        if len < 25 {
            continue;
        }
        let score = 1.0 + text.matches([',', '،']).count() as f64 + (len as f64 / 100.0).min(3.0);
        if let Some(parent) = p.parent().and_then(ElementRef::wrap) {
            *scores.entry(parent.id()).or_default() += score;
            if let Some(gp) = parent.parent().and_then(ElementRef::wrap) {
                *scores.entry(gp.id()).or_default() += score / 2.0;
            }
        }
    }
    let mut best: Option<(f64, ElementRef<'_>)> = None;
    for (id, score) in scores {
        let Some(node) = doc.tree.get(id) else {
            continue;
        };
        let Some(el) = ElementRef::wrap(node) else {
            continue;
        };
        let text_len: usize = el.text().map(|t| t.chars().count()).sum();
        let link_len: usize = el
            .select(&sel("a"))
            .flat_map(|a| a.text())
            .map(|t| t.chars().count())
            .sum();
        let link_density = if text_len == 0 {
            1.0
        } else {
            link_len as f64 / text_len as f64
        };
        let s = (score + class_weight(el.value()) as f64 / 5.0) * (1.0 - link_density);
        if best.as_ref().is_none_or(|(b, _)| s > *b) {
            best = Some((s, el));
        }
    }
    best.map(|(_, e)| e)
}

fn collect_blocks(
    el: ElementRef<'_>,
    stripped: &[ego_id::Id],
    out: &mut Vec<(&'static str, String)>,
) {
    for child in el.children() {
        let Some(c) = ElementRef::wrap(child) else {
            continue;
        };
        if stripped.contains(&ego_id::Id(c.id())) || is_skipped(c.value()) {
            continue;
        }
        let tag: Option<&'static str> = match c.value().name() {
            "p" => Some("p"),
            "h2" => Some("h2"),
            "h3" => Some("h3"),
            "h4" => Some("h4"),
            "h5" | "h6" => Some("h5"),
            "li" => Some("li"),
            "blockquote" => Some("blockquote"),
            "pre" => Some("pre"),
            "figcaption" => Some("figcaption"),
            _ => None,
        };
        match tag {
            Some(tag) => {
                let text = collapse(&inline_text(c, stripped));
                if !text.is_empty() {
                    out.push((tag, text));
                }
            }
            None => {
                let before = out.len();
                collect_blocks(c, stripped, out);
                // A div holding bare text (no block children) is a paragraph too.
                if out.len() == before && c.value().name() == "div" {
                    let text = collapse(&inline_text(c, stripped));
                    if text.chars().count() > 80 {
                        out.push(("p", text));
                    }
                }
            }
        }
    }
}

fn inline_text(el: ElementRef<'_>, stripped: &[ego_id::Id]) -> String {
    let mut s = String::new();
    for node in el.children() {
        match node.value() {
            Node::Text(t) => s.push_str(t),
            Node::Element(e) => {
                if let Some(c) = ElementRef::wrap(node) {
                    if stripped.contains(&ego_id::Id(c.id())) || SKIP_TAGS.contains(&e.name()) {
                        continue;
                    }
                    if e.name() == "br" {
                        s.push('\n');
                    }
                    s.push_str(&inline_text(c, stripped));
                }
            }
            _ => {}
        }
    }
    s
}
