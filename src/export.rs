//! The `export` layer: one merged, deduplicated feed of stored articles as Atom 1.0
//! (RFC 4287), RSS 2.0 (with `content:encoded`, `dc:creator`) or JSON Feed 1.1, for
//! `feedkeeper export` and the HTTP API's feed endpoints ([`render`]).
//!
//! Rules every format follows:
//! - XML is written with quick-xml, so every text and attribute value is escaped exactly once;
//!   nothing is wrapped in CDATA (a `]]>` in a title can never end a section early).
//! - Code points XML 1.0 forbids (C0 controls but tab/LF/CR, U+FFFE, U+FFFF) are removed from
//!   every string, in JSON too, so all formats carry the same values; titles have their
//!   whitespace collapsed.
//! - Bodies are sanitised here, last, from an allowlist (ammonia): no script, style, frames,
//!   forms, event handlers or `javascript:`/`data:` URLs, whatever the store holds; links get
//!   `rel="noopener noreferrer"`.
//! - Ids are `urn:feedkeeper:article:ID`, stable across runs, and the feed's `updated` is the
//!   newest entry's, so the same store gives byte-identical output.
//! - Archive paging follows RFC 5005 §4: monthly archive documents marked `fh:archive`, linked
//!   with `prev-archive` / `next-archive` / `current`.

use crate::model::Article;
use chrono::{DateTime, Datelike, SecondsFormat, TimeZone, Utc};
use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};
use serde_json::json;
use std::borrow::Cow;

/// Export format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Atom 1.0 (RFC 4287).
    Atom,
    /// RSS 2.0.
    Rss,
    /// JSON Feed 1.1.
    Json,
}

impl Format {
    /// The media type to serve the format with.
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Atom => "application/atom+xml; charset=utf-8",
            Format::Rss => "application/rss+xml; charset=utf-8",
            Format::Json => "application/feed+json; charset=utf-8",
        }
    }
}

/// RFC 5005 paging links of one document.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ArchiveLinks {
    /// This document is an archive document (`<fh:archive/>`): its content will not change.
    pub archive: bool,
    /// The next older archive document.
    pub prev_archive: Option<String>,
    /// The next newer archive document.
    pub next_archive: Option<String>,
    /// The subscription (current) document.
    pub current: Option<String>,
}

/// Metadata of the merged feed.
#[derive(Clone, Debug)]
pub struct FeedMeta {
    /// Feed title.
    pub title: String,
    /// Stable feed id (a URN or the API URL).
    pub id: String,
    /// The document's own URL (`rel="self"`), when it is served.
    pub self_url: Option<String>,
    /// Feed `updated`; `None` = the newest entry's (deterministic output).
    pub updated: Option<DateTime<Utc>>,
    /// Archive paging links.
    pub links: ArchiveLinks,
}

impl Default for FeedMeta {
    fn default() -> Self {
        FeedMeta {
            title: "feedkeeper".into(),
            id: "urn:feedkeeper:merged".into(),
            self_url: None,
            updated: None,
            links: ArchiveLinks::default(),
        }
    }
}

/// A calendar month (UTC): the unit of RFC 5005 archive documents.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Month {
    /// Year.
    pub year: i32,
    /// Month, 1–12.
    pub month: u32,
}

impl Month {
    /// Parses `YYYY-MM`.
    ///
    /// # Errors
    /// A message naming the value.
    pub fn parse(s: &str) -> Result<Month, String> {
        let bad = || format!("invalid month {s:?}: expected YYYY-MM (e.g. 2025-11)");
        let (y, m) = s.trim().split_once('-').ok_or_else(bad)?;
        let year: i32 = y.parse().map_err(|_| bad())?;
        let month: u32 = m.parse().map_err(|_| bad())?;
        if !(1..=12).contains(&month) {
            return Err(bad());
        }
        Ok(Month { year, month })
    }

    /// The month containing `t`.
    pub fn of(t: DateTime<Utc>) -> Month {
        Month {
            year: t.year(),
            month: t.month(),
        }
    }

    /// First instant of the month.
    pub fn start(self) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(self.year, self.month, 1, 0, 0, 0)
            .single()
            .unwrap_or_default()
    }

    /// The following month.
    pub fn next(self) -> Month {
        if self.month == 12 {
            Month {
                year: self.year + 1,
                month: 1,
            }
        } else {
            Month {
                year: self.year,
                month: self.month + 1,
            }
        }
    }

    /// The preceding month.
    pub fn prev(self) -> Month {
        if self.month == 1 {
            Month {
                year: self.year - 1,
                month: 12,
            }
        } else {
            Month {
                year: self.year,
                month: self.month - 1,
            }
        }
    }

    /// Last instant (millisecond) of the month.
    pub fn end(self) -> DateTime<Utc> {
        self.next().start() - chrono::Duration::milliseconds(1)
    }
}

impl std::fmt::Display for Month {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

/// The RFC 5005 links for the document at `base` (the subscription document when `month` is
/// `None`, else the archive of that month). `oldest` is the oldest stored article's time, so no
/// link points before it; `now` decides which month is still open.
pub fn archive_links(
    base: &str,
    month: Option<Month>,
    oldest: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> ArchiveLinks {
    let sep = if base.contains('?') { '&' } else { '?' };
    let url = |m: Month| format!("{base}{sep}archive={m}");
    let has = |m: Month| oldest.is_some_and(|o| Month::of(o) <= m);
    let current_month = Month::of(now);
    match month {
        None => ArchiveLinks {
            archive: false,
            prev_archive: has(current_month.prev()).then(|| url(current_month.prev())),
            next_archive: None,
            current: None,
        },
        Some(m) => ArchiveLinks {
            archive: m < current_month,
            prev_archive: has(m.prev()).then(|| url(m.prev())),
            next_archive: (m.next() < current_month).then(|| url(m.next())),
            current: Some(base.to_string()),
        },
    }
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Whether XML 1.0 allows the character (§2.2 `Char`).
fn xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// `s` without the code points XML 1.0 forbids. A removed character between two spaces
/// leaves one space (`"a \u{FFFE} b"` → `"a b"`).
pub fn xml_clean(s: &str) -> Cow<'_, str> {
    if s.chars().all(xml_char) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut removed = false;
    for c in s.chars() {
        if !xml_char(c) {
            removed = true;
            continue;
        }
        if removed && c == ' ' && out.ends_with(' ') {
            continue;
        }
        removed = false;
        out.push(c);
    }
    Cow::Owned(out)
}

/// A one-line value (title, author, tag): XML-illegal code points removed, whitespace collapsed.
pub fn line_clean(s: &str) -> String {
    xml_clean(s)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// The sanitiser applied to every exported body.
fn sanitizer() -> ammonia::Builder<'static> {
    let mut b = ammonia::Builder::default();
    b.url_schemes(["http", "https", "mailto"].into_iter().collect());
    b.link_rel(Some("noopener noreferrer"));
    b
}

/// The exported form of an article: every string cleaned once, the body sanitised.
struct Entry<'a> {
    a: &'a Article,
    id: String,
    title: String,
    byline: Option<String>,
    tags: Vec<String>,
    html: String,
    text: String,
    updated: DateTime<Utc>,
}

fn entries<'a>(articles: &'a [Article]) -> Vec<Entry<'a>> {
    let s = sanitizer();
    articles
        .iter()
        .map(|a| Entry {
            a,
            id: format!("urn:feedkeeper:article:{}", a.id),
            title: line_clean(&a.title),
            byline: a
                .byline
                .as_deref()
                .map(line_clean)
                .filter(|b| !b.is_empty()),
            tags: a.tags.iter().map(|t| line_clean(t)).collect(),
            html: xml_clean(&s.clean(&a.html).to_string()).into_owned(),
            text: xml_clean(&a.text).into_owned(),
            updated: entry_updated(a),
        })
        .collect()
}

/// The time of an article's latest revision as exported (`updated`, else published, else first
/// seen).
pub fn entry_updated(a: &Article) -> DateTime<Utc> {
    a.updated.or(a.published).unwrap_or(a.first_seen)
}

fn feed_updated(meta: &FeedMeta, entries: &[Entry<'_>]) -> DateTime<Utc> {
    meta.updated
        .or_else(|| entries.iter().map(|e| e.updated).max())
        .unwrap_or_default()
}

/// Renders the merged feed. `articles` come in the order to publish (newest first); each
/// appears once.
pub fn render(format: Format, meta: &FeedMeta, articles: &[Article]) -> Vec<u8> {
    let entries = entries(articles);
    match format {
        Format::Json => json_feed(meta, &entries),
        Format::Atom => atom(meta, &entries).unwrap_or_default(),
        Format::Rss => rss(meta, &entries).unwrap_or_default(),
    }
}

type W = Writer<Vec<u8>>;
type XmlResult = std::io::Result<()>;

fn text_el(w: &mut W, name: &str, attrs: &[(&str, &str)], text: &str) -> XmlResult {
    let mut start = BytesStart::new(name);
    for (k, v) in attrs {
        start.push_attribute((*k, xml_clean(v).as_ref()));
    }
    w.write_event(Event::Start(start))?;
    w.write_event(Event::Text(BytesText::new(&xml_clean(text))))?;
    w.write_event(Event::End(BytesEnd::new(name)))?;
    Ok(())
}

fn empty_el(w: &mut W, name: &str, attrs: &[(&str, &str)]) -> XmlResult {
    let mut start = BytesStart::new(name);
    for (k, v) in attrs {
        start.push_attribute((*k, xml_clean(v).as_ref()));
    }
    w.write_event(Event::Empty(start))?;
    Ok(())
}

const FH_NS: &str = "http://purl.org/syndication/history/1.0";

/// Writes the RFC 5005 elements with the given element name for links (`link` in Atom,
/// `atom:link` in RSS).
fn paging(w: &mut W, link: &str, meta: &FeedMeta) -> XmlResult {
    if let Some(s) = &meta.self_url {
        empty_el(w, link, &[("rel", "self"), ("href", s)])?;
    }
    let l = &meta.links;
    for (rel, href) in [
        ("current", &l.current),
        ("prev-archive", &l.prev_archive),
        ("next-archive", &l.next_archive),
    ] {
        if let Some(h) = href {
            empty_el(w, link, &[("rel", rel), ("href", h)])?;
        }
    }
    if l.archive {
        empty_el(w, "fh:archive", &[])?;
    }
    Ok(())
}

fn atom(meta: &FeedMeta, entries: &[Entry<'_>]) -> std::io::Result<Vec<u8>> {
    let mut w = Writer::new_with_indent(Vec::new(), b' ', 1);
    w.write_event(Event::Decl(BytesDecl::new("1.0", Some("utf-8"), None)))?;
    let mut feed = BytesStart::new("feed");
    feed.push_attribute(("xmlns", "http://www.w3.org/2005/Atom"));
    feed.push_attribute(("xmlns:fh", FH_NS));
    w.write_event(Event::Start(feed))?;
    text_el(&mut w, "id", &[], &meta.id)?;
    text_el(&mut w, "title", &[], &meta.title)?;
    text_el(
        &mut w,
        "updated",
        &[],
        &rfc3339(feed_updated(meta, entries)),
    )?;
    text_el(
        &mut w,
        "generator",
        &[("version", env!("CARGO_PKG_VERSION"))],
        "feedkeeper",
    )?;
    // RFC 4287 §4.1.1: a feed carries an author unless every entry has its own; entries
    // without a byline inherit this one (the merged feed's title).
    if entries.iter().any(|e| e.byline.is_none()) {
        w.write_event(Event::Start(BytesStart::new("author")))?;
        text_el(&mut w, "name", &[], &meta.title)?;
        w.write_event(Event::End(BytesEnd::new("author")))?;
    }
    paging(&mut w, "link", meta)?;
    for e in entries {
        let a = e.a;
        let mut entry = BytesStart::new("entry");
        if let Some(lang) = &a.lang {
            entry.push_attribute(("xml:lang", xml_clean(lang).as_ref()));
        }
        w.write_event(Event::Start(entry))?;
        text_el(&mut w, "id", &[], &e.id)?;
        text_el(&mut w, "title", &[("type", "text")], &e.title)?;
        empty_el(&mut w, "link", &[("rel", "alternate"), ("href", &a.url)])?;
        if let Some(p) = a.published {
            text_el(&mut w, "published", &[], &rfc3339(p))?;
        }
        text_el(&mut w, "updated", &[], &rfc3339(e.updated))?;
        if let Some(by) = &e.byline {
            w.write_event(Event::Start(BytesStart::new("author")))?;
            text_el(&mut w, "name", &[], by)?;
            w.write_event(Event::End(BytesEnd::new("author")))?;
        }
        for t in &e.tags {
            empty_el(&mut w, "category", &[("term", t)])?;
        }
        // RFC 4287 §4.2.11: the feed the entry came from.
        w.write_event(Event::Start(BytesStart::new("source")))?;
        text_el(
            &mut w,
            "id",
            &[],
            &format!("urn:feedkeeper:feed:{}", a.feed),
        )?;
        text_el(&mut w, "title", &[], &a.feed)?;
        if let Some(s) = a.seen_in.iter().find(|s| s.feed == a.feed) {
            empty_el(&mut w, "link", &[("rel", "related"), ("href", &s.url)])?;
        }
        w.write_event(Event::End(BytesEnd::new("source")))?;
        text_el(&mut w, "content", &[("type", "html")], &e.html)?;
        w.write_event(Event::End(BytesEnd::new("entry")))?;
    }
    w.write_event(Event::End(BytesEnd::new("feed")))?;
    Ok(w.into_inner())
}

fn rss(meta: &FeedMeta, entries: &[Entry<'_>]) -> std::io::Result<Vec<u8>> {
    let mut w = Writer::new_with_indent(Vec::new(), b' ', 1);
    w.write_event(Event::Decl(BytesDecl::new("1.0", Some("utf-8"), None)))?;
    let mut rss = BytesStart::new("rss");
    rss.push_attribute(("version", "2.0"));
    rss.push_attribute(("xmlns:content", "http://purl.org/rss/1.0/modules/content/"));
    rss.push_attribute(("xmlns:dc", "http://purl.org/dc/elements/1.1/"));
    rss.push_attribute(("xmlns:atom", "http://www.w3.org/2005/Atom"));
    rss.push_attribute(("xmlns:fh", FH_NS));
    w.write_event(Event::Start(rss))?;
    w.write_event(Event::Start(BytesStart::new("channel")))?;
    text_el(&mut w, "title", &[], &meta.title)?;
    text_el(
        &mut w,
        "link",
        &[],
        meta.self_url.as_deref().unwrap_or(&meta.id),
    )?;
    text_el(
        &mut w,
        "description",
        &[],
        "Merged, deduplicated feed written by feedkeeper",
    )?;
    text_el(
        &mut w,
        "lastBuildDate",
        &[],
        &feed_updated(meta, entries).to_rfc2822(),
    )?;
    text_el(
        &mut w,
        "generator",
        &[],
        concat!("feedkeeper ", env!("CARGO_PKG_VERSION")),
    )?;
    paging(&mut w, "atom:link", meta)?;
    for e in entries {
        let a = e.a;
        w.write_event(Event::Start(BytesStart::new("item")))?;
        text_el(&mut w, "title", &[], &e.title)?;
        text_el(&mut w, "link", &[], &a.url)?;
        text_el(&mut w, "guid", &[("isPermaLink", "false")], &e.id)?;
        text_el(
            &mut w,
            "pubDate",
            &[],
            &a.published.unwrap_or(a.first_seen).to_rfc2822(),
        )?;
        if let Some(by) = &e.byline {
            text_el(&mut w, "dc:creator", &[], by)?;
        }
        if let Some(lang) = &a.lang {
            text_el(&mut w, "dc:language", &[], lang)?;
        }
        for t in &e.tags {
            text_el(&mut w, "category", &[], t)?;
        }
        // RSS 2.0 <source url="…">: the feed the item came from, named.
        let source = a
            .seen_in
            .iter()
            .find(|s| s.feed == a.feed)
            .map(|s| s.url.as_str())
            .unwrap_or(a.url.as_str());
        text_el(&mut w, "source", &[("url", source)], &a.feed)?;
        let summary: String = e.text.chars().take(300).collect();
        text_el(&mut w, "description", &[], &summary)?;
        text_el(&mut w, "content:encoded", &[], &e.html)?;
        w.write_event(Event::End(BytesEnd::new("item")))?;
    }
    w.write_event(Event::End(BytesEnd::new("channel")))?;
    w.write_event(Event::End(BytesEnd::new("rss")))?;
    Ok(w.into_inner())
}

fn json_feed(meta: &FeedMeta, entries: &[Entry<'_>]) -> Vec<u8> {
    let items: Vec<serde_json::Value> = entries
        .iter()
        .map(|e| {
            let a = e.a;
            let mut item = json!({
                "id": e.id,
                "url": a.url,
                "title": e.title,
                "content_html": e.html,
                "content_text": e.text,
                "date_modified": rfc3339(e.updated),
                "tags": e.tags,
                "_feedkeeper": {
                    "id": a.id.0,
                    "feed": a.feed,
                    "seen_in": a.seen_in.iter().map(|s| json!({
                        "feed": s.feed,
                        "url": s.url,
                        "guid": s.guid,
                        "seen_at": rfc3339(s.seen_at),
                    })).collect::<Vec<_>>(),
                    "revisions": a.revisions,
                    "content_hash": a.content_hash,
                },
            });
            if let Some(p) = a.published {
                item["date_published"] = json!(rfc3339(p));
            }
            if let Some(l) = &a.lang {
                item["language"] = json!(l);
            }
            if let Some(b) = &e.byline {
                item["authors"] = json!([{ "name": b }]);
            }
            item
        })
        .collect();
    let mut feed = json!({
        "version": "https://jsonfeed.org/version/1.1",
        "title": meta.title,
        "items": items,
    });
    if let Some(s) = &meta.self_url {
        feed["feed_url"] = json!(s);
    }
    // JSON Feed 1.1 `next_url` pages towards older items, like `prev-archive`.
    if let Some(p) = &meta.links.prev_archive {
        feed["next_url"] = json!(p);
    }
    serde_json::to_vec_pretty(&feed).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_and_links() {
        let m = Month::parse("2025-01").unwrap();
        assert_eq!(m.prev().to_string(), "2024-12");
        assert_eq!(m.end().to_rfc3339(), "2025-01-31T23:59:59.999+00:00");
        let now = Utc.with_ymd_and_hms(2025, 3, 10, 0, 0, 0).unwrap();
        let oldest = Utc.with_ymd_and_hms(2024, 12, 5, 0, 0, 0).single();
        let l = archive_links("https://x/feed", Some(m), oldest, now);
        assert_eq!(
            l,
            ArchiveLinks {
                archive: true,
                prev_archive: Some("https://x/feed?archive=2024-12".into()),
                next_archive: Some("https://x/feed?archive=2025-02".into()),
                current: Some("https://x/feed".into()),
            }
        );
        let l = archive_links("https://x/feed", Some(m.prev()), oldest, now);
        assert_eq!(l.prev_archive, None);
    }

    #[test]
    fn xml_illegal_removed() {
        assert_eq!(
            line_clean("Bell\u{7} and \u{c}non\u{FFFE}\u{FFFF}  end"),
            "Bell and non end"
        );
    }
}
