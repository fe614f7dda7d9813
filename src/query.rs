//! The `query` layer: filters over the store, newest first, and output as a table, JSON or
//! JSON Lines.

use crate::model::{Article, ArticleId};
use crate::store::{Store, StoreError};
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::json;

/// Query filters; all optional, combined with AND.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    /// Only articles seen in this feed.
    pub feed: Option<String>,
    /// Only articles published (else first seen) at or after this time.
    pub since: Option<DateTime<Utc>>,
    /// Only articles published (else first seen) at or before this time.
    pub until: Option<DateTime<Utc>>,
    /// Every term must appear in the title or text (case, diacritics and spacing folded).
    pub search: Option<String>,
    /// Only articles in this language (prefix match: `ar` matches `ar-SA`).
    pub lang: Option<String>,
    /// At most this many articles.
    pub limit: Option<usize>,
}

/// Parses a time given on the command line: RFC 3339, a date `YYYY-MM-DD` (midnight UTC), or
/// relative to `now` (`90s`, `30m`, `2h`, `7d`, `2w` ago).
///
/// # Errors
/// A message naming the value and the accepted forms.
pub fn parse_time(s: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, String> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&Utc));
    }
    if let Ok(d) = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Ok(d.and_hms_opt(0, 0, 0).map(|n| n.and_utc()).unwrap_or(now));
    }
    if let Some(d) = crate::config::parse_duration_str(s)
        .filter(|_| s.trim().ends_with(|c: char| c.is_ascii_alphabetic()))
    {
        return chrono::Duration::from_std(d)
            .map(|d| now - d)
            .map_err(|e| e.to_string());
    }
    Err(format!(
        "invalid time {s:?}: use RFC 3339 (2025-11-21T12:00:00Z), a date (2025-11-21) or a relative age (2h, 7d)"
    ))
}

/// Runs a query, newest first.
///
/// # Errors
/// On store failure.
pub fn run(store: &Store, filter: &Filter) -> Result<Vec<Article>, StoreError> {
    let terms: Vec<String> = filter
        .search
        .as_deref()
        .map(|s| {
            crate::dedup::normalize_text(s)
                .split(' ')
                .filter(|t| !t.is_empty())
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    let mut out = Vec::new();
    let limit = filter.limit.unwrap_or(usize::MAX);
    for item in store.ids_newest_first(filter.feed.as_deref(), filter.since, filter.until) {
        if out.len() >= limit {
            break;
        }
        let (_, id) = item?;
        let Some(a) = store.article(&id)? else {
            continue;
        };
        if let Some(l) = &filter.lang {
            if !a.lang.as_deref().is_some_and(|al| {
                al.eq_ignore_ascii_case(l)
                    || al
                        .to_ascii_lowercase()
                        .starts_with(&format!("{}-", l.to_ascii_lowercase()))
            }) {
                continue;
            }
        }
        if !terms.is_empty() {
            let hay = crate::dedup::normalize_text(&format!("{} {}", a.title, a.text));
            if !terms.iter().all(|t| hay.contains(t.as_str())) {
                continue;
            }
        }
        out.push(a);
    }
    Ok(out)
}

/// Looks an article up by id, accepting a unique prefix of at least 4 characters.
///
/// # Errors
/// On store failure.
pub fn find(store: &Store, id: &str) -> Result<Option<Article>, StoreError> {
    store.article(&ArticleId(id.trim().to_ascii_lowercase()))
}

/// Duplicate groups: every article that arrived through more than one route (feed + link),
/// newest first.
///
/// # Errors
/// On store failure.
pub fn duplicates(store: &Store) -> Result<Vec<Article>, StoreError> {
    let mut groups = Vec::new();
    for item in store.ids_newest_first(None, None, None) {
        let (_, id) = item?;
        if let Some(a) = store.article(&id)? {
            if a.seen_in.len() > 1 {
                groups.push(a);
            }
        }
    }
    Ok(groups)
}

/// The JSON shape of a duplicate group: `id`, `title`, `url`, `feeds`, and `seen_in`
/// (`feed`, `url`, `guid`, `seen_at`).
pub fn duplicate_json(a: &Article) -> serde_json::Value {
    let mut feeds: Vec<&str> = a.seen_in.iter().map(|s| s.feed.as_str()).collect();
    feeds.sort_unstable();
    feeds.dedup();
    json!({
        "id": a.id.0,
        "title": a.title,
        "url": a.url,
        "feeds": feeds,
        "seen_in": a.seen_in.iter().map(|s| json!({"feed": s.feed, "url": s.url, "guid": s.guid, "seen_at": ts(Some(s.seen_at))})).collect::<Vec<_>>(),
    })
}

fn ts(t: Option<DateTime<Utc>>) -> serde_json::Value {
    t.map(|t| json!(t.to_rfc3339_opts(SecondsFormat::Secs, true)))
        .unwrap_or(serde_json::Value::Null)
}

/// The JSON shape of an article: `id`, `title`, `url`, `feed`, `published`, `updated`, `lang`,
/// `content_hash`, `revisions`, `seen_in` (`feed`, `url`, `seen_at`), and `text` when asked.
pub fn article_json(a: &Article, with_text: bool) -> serde_json::Value {
    let mut v = json!({
        "id": a.id.0,
        "title": a.title,
        "url": a.url,
        "feed": a.feed,
        "published": ts(a.published),
        "updated": ts(a.updated),
        "lang": a.lang,
        "dir": a.dir,
        "byline": a.byline,
        "tags": a.tags,
        "content_hash": a.content_hash,
        "revisions": a.revisions,
        "seen_in": a.seen_in.iter().map(|s| json!({"feed": s.feed, "url": s.url, "guid": s.guid, "seen_at": ts(Some(s.seen_at))})).collect::<Vec<_>>(),
        "extraction": a.extraction,
        "extraction_reason": a.extraction_reason,
    });
    if with_text {
        v["text"] = json!(a.text);
    }
    v
}

/// A plain table: id, published, feed, title. Right-to-left titles are wrapped in Unicode
/// FSI…PDI isolates so the columns keep their order in a bidi terminal.
pub fn table(articles: &[Article]) -> String {
    let mut s = String::new();
    for a in articles {
        let published = a
            .published
            .map(|t| t.format("%Y-%m-%d %H:%M").to_string())
            .unwrap_or_else(|| "-".repeat(16));
        let title: String = a.title.chars().take(100).collect();
        s.push_str(&format!(
            "{}  {}  {:<16}  \u{2068}{}\u{2069}\n",
            a.id, published, a.feed, title
        ));
    }
    s
}
