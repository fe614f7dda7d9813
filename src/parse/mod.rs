//! The `parse` stage: fetched feed bytes → [`ParsedFeed`], using feed-rs as the engine.
//!
//! Handles RSS 0.9x/1.0/2.0 (RSS 2.0 spec, RSS 1.0 RDF), Atom 1.0 (RFC 4287) and JSON Feed
//! 1.0/1.1. Bytes are transcoded to UTF-8 first ([`crate::charset`]), so feed-rs only ever
//! sees UTF-8. feed-rs types never leave this module.

use chrono::{DateTime, Utc};
use serde::Serialize;
use url::Url;

/// Options for one parse.
#[derive(Clone, Debug)]
pub struct ParseOptions {
    /// Zone in which dates without an offset are read (default UTC).
    pub timezone: chrono_tz::Tz,
    /// The fetch time; dates more than a day after it are clamped to it.
    pub now: DateTime<Utc>,
    /// A per-feed `encoding` override that beats every other charset signal.
    pub encoding_override: Option<String>,
}

impl Default for ParseOptions {
    fn default() -> Self {
        ParseOptions {
            timezone: chrono_tz::UTC,
            now: Utc::now(),
            encoding_override: None,
        }
    }
}

/// Scheduling hints a feed carries about itself (RSS 2.0 `<ttl>`, `<skipHours>`, `<skipDays>`;
/// RSS 1.0 syndication module `sy:updatePeriod` / `sy:updateFrequency`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct FeedHints {
    /// `<ttl>` in minutes.
    pub ttl_minutes: Option<u32>,
    /// Hours (0–23, GMT) in which the feed asks not to be polled.
    pub skip_hours: Vec<u8>,
    /// Days (`Monday` … `Sunday`) on which the feed asks not to be polled.
    pub skip_days: Vec<String>,
    /// `sy:updatePeriod` × `sy:updateFrequency` as a period in seconds.
    pub update_period_secs: Option<u64>,
}

/// A parsed feed: our model, independent of the wire format.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ParsedFeed {
    /// Feed title (plain text).
    pub title: Option<String>,
    /// The feed's home page link (absolute).
    pub link: Option<String>,
    /// Language tag from the feed (`<language>`, `xml:lang`, JSON Feed `language`).
    pub language: Option<String>,
    /// Entries in document order.
    pub entries: Vec<ParsedEntry>,
    /// Scheduling hints.
    pub hints: FeedHints,
    /// Name of the encoding the bytes were decoded from (WHATWG name, e.g. `windows-1256`).
    pub encoding: String,
}

/// One feed entry (RSS `<item>`, Atom `<entry>`, JSON Feed item).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ParsedEntry {
    /// RSS `guid`, Atom `id`, JSON Feed `id`, RSS 1.0 `rdf:about`; `None` when absent
    /// (feed-rs's generated fallback ids are never used).
    pub id: Option<String>,
    /// Title as plain text.
    pub title: Option<String>,
    /// Absolute link to the article page (feedburner `origLink` preferred when present).
    pub link: Option<String>,
    /// Publication time (UTC).
    pub published: Option<DateTime<Utc>>,
    /// Last modification time (UTC).
    pub updated: Option<DateTime<Utc>>,
    /// The raw date string when a date was clamped or could not be read.
    pub date_raw: Option<String>,
    /// Summary / description as HTML (relative URLs resolved).
    pub summary_html: Option<String>,
    /// Full content as HTML (`content:encoded`, Atom `content`, JSON `content_html`).
    pub content_html: Option<String>,
    /// Author names.
    pub authors: Vec<String>,
    /// Categories / tags.
    pub categories: Vec<String>,
    /// Entry language, when the entry states one.
    pub language: Option<String>,
}

/// Why a feed could not be parsed. Messages name the cause; the caller adds the feed/URL.
#[derive(Debug, thiserror::Error)]
pub enum ParseError {
    /// The document is not a feed feed-rs (or our fallbacks) can read.
    #[error("not a readable feed: {0}")]
    Invalid(String),
    /// The document parsed but yielded no entries while it holds item/entry elements.
    #[error("feed parsed to no entries although the document holds {0} item/entry elements")]
    SilentEmpty(usize),
    /// The parser panicked; the panic was caught.
    #[error("parser panicked: {0}")]
    Panic(String),
}

/// Parses fetched feed bytes.
///
/// `http_charset` is the `charset` parameter of the response's Content-Type; `base` is the
/// final URL after redirects, against which relative links resolve.
///
/// # Errors
/// [`ParseError`] when the bytes are not a feed, when they hold items but yield none, or when
/// the underlying parser panics (caught with `catch_unwind`).
pub fn parse_feed(
    bytes: &[u8],
    http_charset: Option<&str>,
    base: Option<&Url>,
    opts: &ParseOptions,
) -> Result<ParsedFeed, ParseError> {
    let result = std::panic::catch_unwind(|| parse_inner(bytes, http_charset, base, opts));
    match result {
        Ok(r) => r,
        Err(panic) => {
            let msg = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".into());
            Err(ParseError::Panic(msg))
        }
    }
}

fn parse_inner(
    bytes: &[u8],
    http_charset: Option<&str>,
    base: Option<&Url>,
    opts: &ParseOptions,
) -> Result<ParsedFeed, ParseError> {
    let decoded = crate::charset::decode(
        bytes,
        http_charset,
        opts.encoding_override.as_deref(),
        crate::charset::DocKind::Xml,
    );
    let encoding = decoded.encoding.name().to_string();
    let text = strip_xml_encoding_decl(&decoded.text);
    let parser = feed_rs::parser::Builder::new()
        .base_uri(base.map(|u| u.as_str()))
        .build();
    let feed = parser
        .parse(text.as_bytes())
        .map_err(|e| ParseError::Invalid(e.to_string()))?;
    let mut out = ParsedFeed {
        title: feed.title.map(|t| t.content.trim().to_string()),
        link: feed.links.first().map(|l| l.href.clone()),
        language: feed.language.clone(),
        entries: Vec::with_capacity(feed.entries.len()),
        hints: FeedHints {
            ttl_minutes: feed.ttl,
            ..FeedHints::default()
        },
        encoding,
    };
    for e in feed.entries {
        let link = e
            .links
            .iter()
            .find(|l| l.rel.as_deref().is_none_or(|r| r == "alternate"))
            .or(e.links.first())
            .map(|l| resolve(&l.href, base));
        let id = (!is_generated_id(&e.id)).then(|| e.id.clone());
        let clamp = |d: Option<DateTime<Utc>>| {
            d.map(|d| {
                if d > opts.now + chrono::Duration::days(1) {
                    opts.now
                } else {
                    d
                }
            })
        };
        out.entries.push(ParsedEntry {
            id,
            title: e.title.map(|t| t.content.trim().to_string()),
            link,
            published: clamp(e.published),
            updated: clamp(e.updated),
            date_raw: None,
            summary_html: e.summary.map(|s| s.content),
            content_html: e.content.and_then(|c| c.body),
            authors: e
                .authors
                .into_iter()
                .filter_map(|a| a.name)
                .filter(|n| !n.is_empty())
                .collect(),
            categories: e
                .categories
                .into_iter()
                .map(|c| c.label.unwrap_or(c.term))
                .collect(),
            language: e.language,
        });
    }
    if out.entries.is_empty() {
        let items = count_items(&text);
        if items > 0 {
            return Err(ParseError::SilentEmpty(items));
        }
    }
    Ok(out)
}

/// feed-rs invents ids (a hash of link+title, or a UUID) when an entry has none; those are not
/// guids and must not be used as identities (STYLE.md habit 7). feed-rs's generated ids are 32
/// lower-case hex characters; real guids of that exact shape are treated as missing too, which
/// only costs falling back to the link.
fn is_generated_id(id: &str) -> bool {
    id.is_empty()
        || (id.len() == 32
            && id
                .bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()))
}

fn resolve(href: &str, base: Option<&Url>) -> String {
    match (Url::parse(href), base) {
        (Ok(u), _) => u.to_string(),
        (Err(_), Some(b)) => b
            .join(href)
            .map(|u| u.to_string())
            .unwrap_or_else(|_| href.to_string()),
        (Err(_), None) => href.to_string(),
    }
}

/// After transcoding, an `encoding="…"` declaration would lie to feed-rs; drop it.
fn strip_xml_encoding_decl(text: &str) -> std::borrow::Cow<'_, str> {
    let trimmed = text.trim_start_matches(['\u{feff}', ' ', '\t', '\r', '\n']);
    if let Some(rest) = trimmed.strip_prefix("<?xml") {
        if let Some(end) = rest.find("?>") {
            return std::borrow::Cow::Owned(format!("<?xml version=\"1.0\"?>{}", &rest[end + 2..]));
        }
    }
    std::borrow::Cow::Borrowed(trimmed)
}

/// Counts `<item` / `<entry` start tags, to tell an empty feed from a silent failure.
fn count_items(text: &str) -> usize {
    let mut n = 0;
    for tag in ["<item", "<entry", "<rss:item", "<atom:entry"] {
        let mut from = 0;
        while let Some(p) = text[from..].find(tag) {
            let after = text.as_bytes().get(from + p + tag.len()).copied();
            if matches!(after, Some(b'>' | b' ' | b'\t' | b'\r' | b'\n' | b'/')) {
                n += 1;
            }
            from += p + tag.len();
        }
    }
    n
}

/// Plain visible text of an HTML fragment: tags dropped, entities decoded, whitespace collapsed.
pub fn html_to_text(html: &str) -> String {
    let frag = scraper::Html::parse_fragment(html);
    frag.root_element()
        .text()
        .collect::<Vec<_>>()
        .join(" ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}
