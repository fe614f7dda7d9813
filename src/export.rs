//! The `export` layer: one merged, deduplicated feed of stored articles as Atom 1.0
//! (RFC 4287), RSS 2.0 (RSS 2.0 specification, with `content:encoded` and `dc:creator`) or
//! JSON Feed 1.1. XML is written with quick-xml, so every text and attribute is escaped
//! exactly once.

use crate::model::Article;
use chrono::{DateTime, SecondsFormat, Utc};
use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};
use serde_json::json;

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

/// Metadata of the merged feed.
#[derive(Clone, Debug)]
pub struct FeedMeta {
    /// Feed title.
    pub title: String,
    /// Stable feed id / link (a URN or the API URL).
    pub id: String,
    /// Generation time (UTC).
    pub updated: DateTime<Utc>,
}

impl Default for FeedMeta {
    fn default() -> Self {
        FeedMeta {
            title: "feedkeeper".into(),
            id: "urn:feedkeeper:merged".into(),
            updated: Utc::now(),
        }
    }
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

type W = Writer<Vec<u8>>;

fn text_el(w: &mut W, name: &str, attrs: &[(&str, &str)], text: &str) -> std::io::Result<()> {
    let mut start = BytesStart::new(name);
    for (k, v) in attrs {
        start.push_attribute((*k, *v));
    }
    w.write_event(Event::Start(start))?;
    w.write_event(Event::Text(BytesText::new(text)))?;
    w.write_event(Event::End(BytesEnd::new(name)))?;
    Ok(())
}

/// Renders the merged feed. `articles` come newest first; each appears once.
pub fn render(format: Format, meta: &FeedMeta, articles: &[Article]) -> Vec<u8> {
    match format {
        Format::Json => json_feed(meta, articles),
        Format::Atom => atom(meta, articles).unwrap_or_default(),
        Format::Rss => rss(meta, articles).unwrap_or_default(),
    }
}

fn entry_updated(a: &Article) -> DateTime<Utc> {
    a.updated.or(a.published).unwrap_or(a.first_seen)
}

fn atom(meta: &FeedMeta, articles: &[Article]) -> std::io::Result<Vec<u8>> {
    let mut w = Writer::new_with_indent(Vec::new(), b' ', 1);
    w.write_event(Event::Decl(BytesDecl::new("1.0", Some("utf-8"), None)))?;
    let mut feed = BytesStart::new("feed");
    feed.push_attribute(("xmlns", "http://www.w3.org/2005/Atom"));
    w.write_event(Event::Start(feed))?;
    text_el(&mut w, "id", &[], &meta.id)?;
    text_el(&mut w, "title", &[], &meta.title)?;
    text_el(&mut w, "updated", &[], &rfc3339(meta.updated))?;
    text_el(
        &mut w,
        "generator",
        &[("version", env!("CARGO_PKG_VERSION"))],
        "feedkeeper",
    )?;
    for a in articles {
        let mut entry = BytesStart::new("entry");
        if let Some(lang) = &a.lang {
            entry.push_attribute(("xml:lang", lang.as_str()));
        }
        w.write_event(Event::Start(entry))?;
        text_el(
            &mut w,
            "id",
            &[],
            &format!("urn:feedkeeper:article:{}", a.id),
        )?;
        text_el(&mut w, "title", &[("type", "text")], &a.title)?;
        let mut link = BytesStart::new("link");
        link.push_attribute(("rel", "alternate"));
        link.push_attribute(("href", a.url.as_str()));
        w.write_event(Event::Empty(link))?;
        if let Some(p) = a.published {
            text_el(&mut w, "published", &[], &rfc3339(p))?;
        }
        text_el(&mut w, "updated", &[], &rfc3339(entry_updated(a)))?;
        if let Some(by) = &a.byline {
            w.write_event(Event::Start(BytesStart::new("author")))?;
            text_el(&mut w, "name", &[], by)?;
            w.write_event(Event::End(BytesEnd::new("author")))?;
        }
        for t in &a.tags {
            let mut c = BytesStart::new("category");
            c.push_attribute(("term", t.as_str()));
            w.write_event(Event::Empty(c))?;
        }
        w.write_event(Event::Start(BytesStart::new("source")))?;
        text_el(
            &mut w,
            "id",
            &[],
            &format!("urn:feedkeeper:feed:{}", a.feed),
        )?;
        text_el(&mut w, "title", &[], &a.feed)?;
        w.write_event(Event::End(BytesEnd::new("source")))?;
        text_el(&mut w, "content", &[("type", "html")], &a.html)?;
        w.write_event(Event::End(BytesEnd::new("entry")))?;
    }
    w.write_event(Event::End(BytesEnd::new("feed")))?;
    Ok(w.into_inner())
}

fn rss(meta: &FeedMeta, articles: &[Article]) -> std::io::Result<Vec<u8>> {
    let mut w = Writer::new_with_indent(Vec::new(), b' ', 1);
    w.write_event(Event::Decl(BytesDecl::new("1.0", Some("utf-8"), None)))?;
    let mut rss = BytesStart::new("rss");
    rss.push_attribute(("version", "2.0"));
    rss.push_attribute(("xmlns:content", "http://purl.org/rss/1.0/modules/content/"));
    rss.push_attribute(("xmlns:dc", "http://purl.org/dc/elements/1.1/"));
    w.write_event(Event::Start(rss))?;
    w.write_event(Event::Start(BytesStart::new("channel")))?;
    text_el(&mut w, "title", &[], &meta.title)?;
    text_el(&mut w, "link", &[], &meta.id)?;
    text_el(
        &mut w,
        "description",
        &[],
        "Merged, deduplicated feed written by feedkeeper",
    )?;
    text_el(&mut w, "lastBuildDate", &[], &meta.updated.to_rfc2822())?;
    text_el(
        &mut w,
        "generator",
        &[],
        concat!("feedkeeper ", env!("CARGO_PKG_VERSION")),
    )?;
    for a in articles {
        w.write_event(Event::Start(BytesStart::new("item")))?;
        text_el(&mut w, "title", &[], &a.title)?;
        text_el(&mut w, "link", &[], &a.url)?;
        text_el(
            &mut w,
            "guid",
            &[("isPermaLink", "false")],
            &format!("urn:feedkeeper:article:{}", a.id),
        )?;
        if let Some(p) = a.published.or(Some(a.first_seen)) {
            text_el(&mut w, "pubDate", &[], &p.to_rfc2822())?;
        }
        if let Some(by) = &a.byline {
            text_el(&mut w, "dc:creator", &[], by)?;
        }
        if let Some(lang) = &a.lang {
            text_el(&mut w, "dc:language", &[], lang)?;
        }
        for t in &a.tags {
            text_el(&mut w, "category", &[], t)?;
        }
        let first = a
            .seen_in
            .first()
            .map(|s| s.url.as_str())
            .unwrap_or(a.url.as_str());
        text_el(&mut w, "source", &[("url", first)], &a.feed)?;
        let summary: String = a.text.chars().take(300).collect();
        text_el(&mut w, "description", &[], &summary)?;
        text_el(&mut w, "content:encoded", &[], &a.html)?;
        w.write_event(Event::End(BytesEnd::new("item")))?;
    }
    w.write_event(Event::End(BytesEnd::new("channel")))?;
    w.write_event(Event::End(BytesEnd::new("rss")))?;
    Ok(w.into_inner())
}

fn json_feed(meta: &FeedMeta, articles: &[Article]) -> Vec<u8> {
    let items: Vec<serde_json::Value> = articles
        .iter()
        .map(|a| {
            let mut item = json!({
                "id": format!("urn:feedkeeper:article:{}", a.id),
                "url": a.url,
                "title": a.title,
                "content_html": a.html,
                "content_text": a.text,
                "date_modified": rfc3339(entry_updated(a)),
                "tags": a.tags,
                "_feedkeeper": {
                    "id": a.id.0,
                    "feed": a.feed,
                    "seen_in": a.seen_in.iter().map(|s| json!({"feed": s.feed, "url": s.url})).collect::<Vec<_>>(),
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
            if let Some(b) = &a.byline {
                item["authors"] = json!([{ "name": b }]);
            }
            item
        })
        .collect();
    let feed = json!({
        "version": "https://jsonfeed.org/version/1.1",
        "title": meta.title,
        "feed_url": meta.id,
        "items": items,
    });
    serde_json::to_vec_pretty(&feed).unwrap_or_default()
}
