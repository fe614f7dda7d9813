//! The `parse` stage: fetched feed bytes → [`ParsedFeed`], using feed-rs as the engine.
//!
//! Handles RSS 0.9x/1.0/2.0 (RSS 2.0 spec, RSS 1.0 RDF), Atom 1.0 (RFC 4287) and JSON Feed
//! 1.0/1.1. Bytes are transcoded to UTF-8 first ([`crate::charset`]), so feed-rs only ever
//! sees UTF-8. feed-rs types never leave this module.

mod dates;
mod entities;
mod fixup;
mod json;
mod repair;
mod scan;
mod urls;

pub use dates::parse_date;

use chrono::{DateTime, Utc};
use serde::Serialize;
use std::sync::{Arc, Mutex};
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
    // The encoding name stays a label other stages can look up, even after a repair.
    let encoding = decoded.name().to_string();
    let repaired = (decoded.encoding == encoding_rs::UTF_8 && decoded.legacy.is_none())
        .then(|| crate::charset::repair_double_utf8(&decoded.text))
        .flatten();
    let text: &str = repaired.as_deref().unwrap_or(&decoded.text);
    let first = text
        .bytes()
        .find(|b| !b.is_ascii_whitespace() && *b != 0xef && *b != 0xbb && *b != 0xbf);
    let raw_dates = Arc::new(Mutex::new(Vec::new()));
    // A feed-rs parser keeps per-document state (MediaRSS scopes) that a failed parse can
    // leave behind, so every attempt gets a fresh one.
    let parser = || build_parser(base, opts, &raw_dates);
    let (feed, fixed) = if first == Some(b'{') {
        let (mut feed, languages) = json::parse(&parser(), &parser(), text)?;
        if languages.len() == feed.entries.len() {
            for (e, lang) in feed.entries.iter_mut().zip(languages) {
                if e.language.is_none() {
                    e.language = lang;
                }
            }
        }
        (feed, None)
    } else {
        let fixed = fixup::fix_text(text);
        let scanned = scan::scan(&fixed);
        let items = scanned.items.len();
        let feed = if scanned.title_children || needs_repair(&fixed) {
            parse_xml(&parser(), &repair::repair(&fixed, base))
        } else {
            match parse_xml(&parser(), &fixed) {
                Ok(f) if f.entries.len() >= items => Ok(f),
                first_try => {
                    let second = parse_xml(&parser(), &repair::repair(&fixed, base));
                    match (first_try, second) {
                        (Ok(a), Ok(b)) => Ok(if b.entries.len() > a.entries.len() {
                            b
                        } else {
                            a
                        }),
                        (Ok(a), Err(_)) => Ok(a),
                        (Err(_), Ok(b)) => Ok(b),
                        (Err(a), Err(_)) => Err(a),
                    }
                }
            }
        }?;
        if feed.entries.is_empty() && items > 0 {
            return Err(ParseError::SilentEmpty(items));
        }
        (feed, Some((fixed, scanned)))
    };
    let raw_dates = raw_dates.lock().map(|v| v.clone()).unwrap_or_default();
    Ok(convert(
        feed,
        fixed.as_ref().map(|(t, s)| (t.as_ref(), s)),
        base,
        opts,
        encoding,
        &raw_dates,
    ))
}

/// Builds the feed-rs parser: our lenient timestamps, no invented ids, no sanitising (that
/// happens last, in `extract`, DESIGN.md).
fn build_parser(
    base: Option<&Url>,
    opts: &ParseOptions,
    raw_dates: &Arc<Mutex<Vec<(i64, String)>>>,
) -> feed_rs::parser::Parser {
    let tz = opts.timezone;
    let limit = opts.now + chrono::Duration::days(1);
    let raw_dates = Arc::clone(raw_dates);
    feed_rs::parser::Builder::new()
        .base_uri(base.map(|u| u.as_str()))
        .sanitize_content(false)
        .id_generator(|_, _, _| String::new())
        .timestamp_parser(move |s| {
            let d = dates::parse_date(s, tz);
            if let Some(d) = d {
                if d > limit {
                    if let Ok(mut v) = raw_dates.lock() {
                        v.push((d.timestamp(), s.trim().to_string()));
                    }
                }
            }
            d
        })
        .build()
}

/// Removes every `<?xml …?>` declaration left in the (already UTF-8) text: quick-xml, inside
/// feed-rs, panics on one naming an encoding anywhere but at the very start (found by fuzzing).
fn strip_declarations(text: &str) -> std::borrow::Cow<'_, str> {
    if !has(text, "<?xml") {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(p) = rest.find("<?xml") {
        let after = &rest[p + 5..];
        if after.starts_with('-') {
            out.push_str(&rest[..p + 5]);
            rest = after;
            continue;
        }
        out.push_str(&rest[..p]);
        rest = after.find("?>").map_or("", |e| &after[e + 2..]);
    }
    out.push_str(rest);
    std::borrow::Cow::Owned(out)
}

fn parse_xml(
    parser: &feed_rs::parser::Parser,
    text: &str,
) -> Result<feed_rs::model::Feed, ParseError> {
    let text = strip_declarations(text);
    parser
        .parse(fixup::escape_inline_xml(&text).as_bytes())
        .map_err(|e| ParseError::Invalid(e.to_string()))
}

/// Old formats and an `xml:base` that could change a URL go through the repairing
/// re-serialiser straight away. feed-rs itself applies `xml:base` to links; the repair adds
/// relative URLs inside content HTML, `rdf:about` and `<link>` text, so a document whose
/// references are all absolute needs none of it.
fn needs_repair(text: &str) -> bool {
    let head = &text[..floor_char_boundary(text, 4096)];
    if (has(text, "xml:base") && urls::may_hold_relative_refs(text))
        || has(head, "purl.org/atom/ns#")
        || has(head, "netscape.com/rdf/simple/0.9")
        || has(head, "purl.org/dc/elements/1.0/")
    {
        return true;
    }
    match head.find("<rss") {
        Some(p) => {
            let tag_end = head[p..].find('>').map_or(head.len(), |e| p + e);
            let tag = &head[p..tag_end];
            tag.contains("xmlns=")
                || !(tag.contains("\"2.0\"")
                    || tag.contains("'2.0'")
                    || tag.contains("\"0.91\"")
                    || tag.contains("\"0.92\""))
        }
        None => false,
    }
}

/// `str::contains` with memchr's vectorised search, for needles looked for in whole documents.
fn has(hay: &str, needle: &str) -> bool {
    memchr::memmem::find(hay.as_bytes(), needle.as_bytes()).is_some()
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    if i >= s.len() {
        return s.len();
    }
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Repairs a value that is double-encoded UTF-8 on its own (feeds that mix clean and
/// double-encoded items); see [`crate::charset::repair_double_utf8`].
fn undouble(s: String) -> String {
    crate::charset::repair_double_utf8(&s).unwrap_or(s)
}

/// A title as plain text: markup in it is dropped and entities decoded (feeds of every format
/// put HTML entities and tags in titles, also where their spec says plain text, so this follows
/// feedparser); a `<` that begins no tag stays.
fn text_of(t: feed_rs::model::Text) -> String {
    let content = t.content;
    // Most titles need no trimming: they are kept, not copied.
    let c = if content.trim().len() == content.len() {
        content
    } else {
        content.trim().to_string()
    };
    let c = undouble(c);
    if looks_like_markup(&c) {
        html_to_text(&c)
    } else if single_spaced(&c) {
        c
    } else {
        c.split(|ch: char| ch.is_whitespace() && ch != '\u{a0}')
            .filter(|w| !w.is_empty())
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// Whether whitespace in `s` is only single ASCII spaces between words (or no-break spaces), so
/// collapsing it would change nothing.
fn single_spaced(s: &str) -> bool {
    let mut after_space = true;
    for ch in s.chars() {
        if ch == ' ' {
            if after_space {
                return false;
            }
            after_space = true;
        } else if ch.is_whitespace() && ch != '\u{a0}' {
            return false;
        } else {
            after_space = false;
        }
    }
    !after_space || s.is_empty()
}

/// Whether text holds a tag (`<` then a letter, `/` or `!`) or an entity reference, i.e.
/// whether it needs an HTML parse to become plain text. Titles rarely do, and the parse is the
/// costliest step per entry.
fn looks_like_markup(s: &str) -> bool {
    let b = s.as_bytes();
    b.iter().enumerate().any(|(i, &c)| match c {
        b'<' => b
            .get(i + 1)
            .is_some_and(|n| n.is_ascii_alphabetic() || *n == b'/' || *n == b'!'),
        b'&' => {
            let rest = &b[i + 1..b.len().min(i + 34)];
            let n = rest
                .iter()
                .take_while(|x| x.is_ascii_alphanumeric() || **x == b'#')
                .count();
            n > 0 && rest.get(n) == Some(&b';')
        }
        _ => false,
    })
}

fn convert(
    feed: feed_rs::model::Feed,
    text: Option<(&str, &scan::Scan)>,
    base: Option<&Url>,
    opts: &ParseOptions,
    encoding: String,
    raw_dates: &[(i64, String)],
) -> ParsedFeed {
    let extras: &[scan::ItemExtra] = text.map_or(&[], |(_, s)| &s.items);
    // feed-rs has already resolved the links of an XML document against the innermost
    // `xml:base` (which starts at `base`) and normalised them (`Url::parse` then serialised);
    // resolving them again would give the same string. JSON Feed links come as written.
    let from_xml = text.is_some();
    let resolve_link = |h: String| {
        if from_xml { h } else { urls::resolve(&h, base) }
    };
    let use_extras = extras.len() == feed.entries.len();
    let hints = text
        .map(|(t, s)| scan::hints(t, s.first_item))
        .unwrap_or_default();
    let feed_link = pick_link(&feed.links).map(resolve_link);
    let feed_base = feed_link
        .as_deref()
        .and_then(|l| Url::parse(l).ok())
        .or_else(|| base.cloned());
    let mut out = ParsedFeed {
        title: feed.title.map(text_of).filter(|t| !t.is_empty()),
        link: feed_link,
        language: feed.language.clone(),
        entries: Vec::with_capacity(feed.entries.len()),
        hints: FeedHints {
            ttl_minutes: feed.ttl.or(hints.ttl_minutes),
            ..hints
        },
        encoding,
    };
    let limit = opts.now + chrono::Duration::days(1);
    let feed_type = feed.feed_type.clone();
    for (i, e) in feed.entries.into_iter().enumerate() {
        let extra = if use_extras { extras.get(i) } else { None };
        let mut id = (!e.id.trim().is_empty()).then(|| e.id.trim().to_string());
        if let Some(about) = extra.and_then(|x| x.about.clone()) {
            id.get_or_insert(about);
        }
        let mut link = pick_link(&e.links)
            .filter(|h| h != repair::NO_LINK)
            .map(resolve_link);
        if let Some(orig) = extra.and_then(|x| x.orig_link.clone()) {
            link = Some(urls::resolve(&orig, base));
        }
        if link.is_none() {
            // A guid that is a permalink, an Atom id that is a URL, or rdf:about.
            link = id
                .as_deref()
                .filter(|i| i.starts_with("http://") || i.starts_with("https://"))
                .filter(|_| extra.is_none_or(|x| x.permalink))
                .map(String::from);
        }
        let mut date_raw = None;
        let mut clamp = |d: Option<DateTime<Utc>>| {
            d.map(|d| {
                if d > limit {
                    date_raw = raw_dates
                        .iter()
                        .find(|(t, _)| *t == d.timestamp())
                        .map(|(_, r)| r.clone())
                        .or_else(|| Some(d.to_rfc3339()));
                    opts.now
                } else {
                    d
                }
            })
        };
        let mut published = clamp(e.published);
        let mut updated = clamp(e.updated);
        if let Some(x) = extra {
            // feedparser's mapping: `pubDate` → published, `dc:date` / `dcterms:modified` →
            // updated (feed-rs folds both into published, the last one winning).
            let read = |s: &Option<String>| {
                s.as_deref()
                    .and_then(|s| dates::parse_date(s, opts.timezone))
            };
            // Without a dc:date or dcterms:modified, feed-rs's published is the pubDate's.
            if x.modified.is_some() {
                if let Some(d) = read(&x.pub_date) {
                    published = clamp(Some(d));
                }
                if let Some(d) = read(&x.modified) {
                    updated = clamp(Some(d));
                }
            }
            if published.is_none() {
                published = clamp(read(&x.issued));
            }
        }
        let item_base = || {
            link.as_deref()
                .and_then(|l| Url::parse(l).ok())
                .or_else(|| feed_base.clone())
        };
        let fix_html = |h: String| match urls::resolve_html_urls_with(&h, item_base) {
            std::borrow::Cow::Borrowed(_) => h,
            std::borrow::Cow::Owned(o) => o,
        };
        // Whitespace is no summary or content: the repair drops such elements, and the
        // extract stage would take an empty content over a real summary.
        let summary_html = e
            .summary
            .map(|s| s.content)
            .filter(|s| !s.trim().is_empty())
            .map(|s| fix_html(undouble(s)));
        let content_html = e
            .content
            .and_then(|c| c.body)
            .filter(|b| !b.trim().is_empty())
            .map(|b| fix_html(undouble(b)));
        out.entries.push(ParsedEntry {
            id,
            title: e
                .title
                .map(text_of)
                .filter(|t| !t.is_empty())
                .or_else(|| extra.and_then(|x| x.alt_title.as_deref()).map(html_to_text)),
            link,
            published,
            updated,
            date_raw,
            summary_html,
            content_html,
            authors: e
                .authors
                .into_iter()
                .filter_map(|p| person_name(p, &feed_type))
                .collect(),
            categories: e
                .categories
                .into_iter()
                .filter_map(|c| category_label(c.label.unwrap_or(c.term)))
                .collect(),
            language: e.language,
        });
    }
    out
}

/// The name of an entry's author. feed-rs 2 gives an RSS `<author>` (an e-mail address,
/// optionally with the name: `jo@example.com (Jo Smith)`, `Jo Smith <jo@example.com>`) as a
/// person named after the element, with the raw text as e-mail, and names an Atom author
/// without `<name>` "unknown"; both are read here as the RSS 2.0 spec and RFC 4287 mean them.
/// A bare address gives no name.
fn person_name(p: feed_rs::model::Person, feed_type: &feed_rs::model::FeedType) -> Option<String> {
    use feed_rs::model::FeedType;
    let rss = matches!(feed_type, FeedType::RSS0 | FeedType::RSS1 | FeedType::RSS2);
    let name = match p.email {
        Some(raw) if rss && p.name == "author" => name_in_contact(&raw)?,
        _ if !rss && p.name == "unknown" => return None,
        // `dc:creator` and `<name>` sometimes carry an address too.
        _ if p.name.contains('@') => name_in_contact(&p.name)?,
        _ => p.name,
    };
    let name = name.trim();
    (!name.is_empty()).then(|| name.to_string())
}

/// The name in an RSS contact (`addr (Name)`, `Name <addr>`, `Name`); `None` for a bare address.
fn name_in_contact(raw: &str) -> Option<String> {
    static EMAIL: std::sync::OnceLock<Option<regex::Regex>> = std::sync::OnceLock::new();
    let re = EMAIL
        .get_or_init(|| {
            regex::Regex::new(
                r"[<\[(]?(?:mailto:)?[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}[>\])]?",
            )
            .ok()
        })
        .as_ref()?;
    let raw = raw.trim();
    let Some(m) = re.find(raw) else {
        return Some(raw.to_string());
    };
    // The name is what remains around the address, without the brackets around it.
    let rest = format!("{} {}", &raw[..m.start()], &raw[m.end()..]);
    let name = rest
        .trim()
        .trim_start_matches(['(', '<', '['])
        .trim_end_matches([')', '>', ']'])
        .trim();
    (!name.is_empty()).then(|| name.to_string())
}

/// A category's label: feed-rs 2 appends any child elements of `<category>` as markup, which
/// are no part of it; empty categories are dropped.
fn category_label(label: String) -> Option<String> {
    let l = label.split('<').next().unwrap_or("").trim();
    (!l.is_empty()).then(|| l.to_string())
}

/// The page link among a feed's or entry's links: `alternate` (or no `rel`), else the first
/// that is not `self`, an enclosure or an API endpoint.
fn pick_link(links: &[feed_rs::model::Link]) -> Option<String> {
    links
        .iter()
        .find(|l| l.rel.as_deref().is_none_or(|r| r == "alternate"))
        .or_else(|| {
            links.iter().find(|l| {
                l.rel.as_deref().is_some_and(|r| {
                    !matches!(
                        r,
                        "self"
                            | "enclosure"
                            | "edit"
                            | "replies"
                            | "hub"
                            | "license"
                            | "next"
                            | "previous"
                    ) && !r.starts_with("service.")
                })
            })
        })
        .map(|l| l.href.trim().to_string())
        .filter(|h| !h.is_empty())
}

/// Plain visible text of an HTML fragment: tags dropped (a block-level tag or `<br>` separates
/// words, an inline one does not), `<script>`/`<style>` contents and comments dropped, entities
/// decoded, whitespace collapsed (a no-break space is kept: it is text, not layout). A `<` that
/// does not begin a tag is text.
///
/// For titles and one-line values; article text with its paragraphs kept is
/// [`crate::extract::fragment::fragment_text`].
///
/// One linear pass: feed values can be hostile (100,000 nested `<div>`s made an HTML tree
/// builder take 41 s, its scope checks being linear in the depth).
pub fn html_to_text(html: &str) -> String {
    let mut text = String::with_capacity(html.len());
    let b = html.as_bytes();
    let mut i = 0;
    let mut copied = 0;
    let flush = |text: &mut String, seg: &str| {
        if seg.contains('&') {
            text.push_str(&html_escape::decode_html_entities(seg));
        } else {
            text.push_str(seg);
        }
    };
    while let Some(p) = memchr::memchr(b'<', &b[i..]) {
        let at = i + p;
        let next = b.get(at + 1).copied().unwrap_or(b' ');
        if !(next.is_ascii_alphabetic() || next == b'/' || next == b'!' || next == b'?') {
            i = at + 1;
            continue;
        }
        let end = if b[at..].starts_with(b"<!--") {
            memchr::memmem::find(&b[at + 4..], b"-->").map(|e| at + 4 + e + 3)
        } else {
            memchr::memchr(b'>', &b[at..]).map(|e| at + e + 1)
        };
        let Some(end) = end else {
            // No end: the rest is text, as written.
            break;
        };
        flush(&mut text, &html[copied..at]);
        let tag = &html[at + 1..end - 1];
        let closing = tag.starts_with('/');
        let name: String = tag
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .map(|c| c.to_ascii_lowercase())
            .collect();
        i = end;
        if !closing && (name == "script" || name == "style") {
            // Skip to the end tag (any case), scanning forward only: linear however many.
            let close = name.as_bytes();
            let mut j = end;
            i = loop {
                let Some(q) = memchr::memmem::find(&b[j..], b"</") else {
                    break html.len();
                };
                let k = j + q + 2;
                if b.get(k..k + close.len())
                    .is_some_and(|n| n.eq_ignore_ascii_case(close))
                {
                    break memchr::memchr(b'>', &b[k..]).map_or(html.len(), |g| k + g + 1);
                }
                j = k;
            };
            text.push(' ');
        } else if is_block(&name) {
            text.push(' ');
        }
        copied = i;
    }
    flush(&mut text, &html[copied..]);
    text.split(|c: char| c.is_whitespace() && c != '\u{a0}')
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// HTML elements that begin a new block (or break the line): their tags separate words.
fn is_block(name: &str) -> bool {
    matches!(
        name,
        "address"
            | "article"
            | "aside"
            | "blockquote"
            | "br"
            | "dd"
            | "div"
            | "dl"
            | "dt"
            | "figcaption"
            | "figure"
            | "footer"
            | "form"
            | "h1"
            | "h2"
            | "h3"
            | "h4"
            | "h5"
            | "h6"
            | "header"
            | "hr"
            | "li"
            | "main"
            | "nav"
            | "ol"
            | "p"
            | "pre"
            | "section"
            | "table"
            | "tbody"
            | "td"
            | "tfoot"
            | "th"
            | "thead"
            | "tr"
            | "ul"
            | "img"
            | "title"
            | "option"
            | "select"
            | "textarea"
            | "iframe"
            | "video"
            | "audio"
    )
}
