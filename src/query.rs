//! The `query` layer: filters over the store, ordering, cursor paging, and output as a table,
//! JSON, JSON Lines or CSV. `export` and the HTTP API select articles through [`run`] too, so
//! every filter means the same thing everywhere.
//!
//! Newest-first queries by publication time walk the store's time index (or the search index
//! for `--search`) and stop after `limit` matches; ordering by update or first-seen time has no
//! index and sorts every matching article.

pub mod table;

use crate::model::{Article, ArticleId};
use crate::search::SearchQuery;
use crate::store::search::{Articles, Position, position, split_position};
use crate::store::{StoreError, sort_time};
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::json;

pub use table::{TableStyle, table, table_with};

/// What articles are ordered by, newest first.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Order {
    /// Publication time, else first seen (indexed).
    #[default]
    Published,
    /// Time of the latest revision.
    Updated,
    /// When feedkeeper first stored the article.
    Seen,
}

/// Query filters; all optional, combined with AND.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    /// Only articles seen in one of these feeds (any route, not only the first).
    pub feeds: Vec<String>,
    /// Only articles published (else first seen) at or after this time.
    pub since: Option<DateTime<Utc>>,
    /// Only articles published (else first seen) at or before this time.
    pub until: Option<DateTime<Utc>>,
    /// Only articles with a new revision (more than one) updated at or after this time.
    pub updated_since: Option<DateTime<Utc>>,
    /// A search expression (see [`SearchQuery::parse`]): words, `"phrases"`, `-excluded`.
    pub search: Option<String>,
    /// Only articles in this language (prefix match: `ar` matches `ar-SA`).
    pub lang: Option<String>,
    /// Only articles whose byline contains this (folded).
    pub author: Option<String>,
    /// Only articles with this tag (folded, exact).
    pub tag: Option<String>,
    /// Only articles that arrived through more than one route (feed or link).
    pub duplicates: bool,
    /// Sort order.
    pub order: Order,
    /// Continue after this cursor (from a previous page's [`Page::next`]).
    pub cursor: Option<Cursor>,
    /// At most this many articles.
    pub limit: Option<usize>,
}

/// A paging cursor: the position of the last article of a page in the query's order.
/// Printed as `MILLIS.ID`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cursor {
    /// Sort time of the last article shown.
    pub time: DateTime<Utc>,
    /// Its id (breaks ties).
    pub id: ArticleId,
}

impl Cursor {
    /// Parses `MILLIS.ID`.
    ///
    /// # Errors
    /// A message naming the value.
    pub fn parse(s: &str) -> Result<Cursor, String> {
        let bad = || {
            format!("invalid cursor {s:?}: pass the `cursor` value printed by the previous page")
        };
        let (ms, id) = s.split_once('.').ok_or_else(bad)?;
        let ms: i64 = ms.parse().map_err(|_| bad())?;
        if id.is_empty() || !id.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(bad());
        }
        Ok(Cursor {
            time: DateTime::from_timestamp_millis(ms).ok_or_else(bad)?,
            id: ArticleId(id.to_string()),
        })
    }

    fn position(&self) -> Position {
        position(self.time, &self.id)
    }
}

impl std::fmt::Display for Cursor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.time.timestamp_millis(), self.id)
    }
}

/// One page of results.
#[derive(Clone, Debug, Default)]
pub struct Page {
    /// The articles, in the query's order.
    pub articles: Vec<Article>,
    /// The cursor of the next page, when this page is full (there may be more).
    pub next: Option<Cursor>,
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

/// The time an article is ordered by under `order`.
pub fn order_time(a: &Article, order: Order) -> DateTime<Utc> {
    match order {
        Order::Published => sort_time(a),
        Order::Updated => a.updated.unwrap_or_else(|| sort_time(a)),
        Order::Seen => a.first_seen,
    }
}

/// Whether an article passes every filter except time range, cursor and search terms (which
/// the index walk applies) — but phrases and exclusions of `search` are checked here.
fn passes(a: &Article, f: &Filter, search: Option<&SearchQuery>) -> bool {
    if !f.feeds.is_empty()
        && !f
            .feeds
            .iter()
            .any(|x| a.feed == *x || a.seen_in.iter().any(|s| s.feed == *x))
    {
        return false;
    }
    if let Some(l) = &f.lang {
        let ok = a.lang.as_deref().is_some_and(|al| {
            al.eq_ignore_ascii_case(l)
                || al
                    .to_ascii_lowercase()
                    .starts_with(&format!("{}-", l.to_ascii_lowercase()))
        });
        if !ok {
            return false;
        }
    }
    if let Some(au) = &f.author {
        let needle = crate::search::fold(au);
        if !a
            .byline
            .as_deref()
            .is_some_and(|b| crate::search::fold(b).contains(needle.trim()))
        {
            return false;
        }
    }
    if let Some(t) = &f.tag {
        let needle = crate::search::fold(t.trim());
        if !a
            .tags
            .iter()
            .any(|x| crate::search::fold(x.trim()) == needle)
        {
            return false;
        }
    }
    if f.duplicates && a.seen_in.len() < 2 {
        return false;
    }
    if let Some(u) = f.updated_since {
        if a.revisions < 2 || a.updated.is_none_or(|t| t < u) {
            return false;
        }
    }
    if let Some(q) = search {
        let doc = crate::search::tokens(&format!("{}\n{}\n{}", a.title, a.tags.join("\n"), a.text));
        if !q.matches(&doc) {
            return false;
        }
    }
    true
}

/// Runs a query and returns the articles only (see [`run_page`]).
///
/// # Errors
/// On store failure.
pub fn run(store: &dyn Articles, filter: &Filter) -> Result<Vec<Article>, StoreError> {
    Ok(run_page(store, filter)?.articles)
}

/// Runs a query: the articles matching `filter` in its order, newest first, at most `limit`,
/// after `cursor`; with the cursor of the next page.
///
/// # Errors
/// On store failure.
pub fn run_page(store: &dyn Articles, filter: &Filter) -> Result<Page, StoreError> {
    let search = filter
        .search
        .as_deref()
        .map(SearchQuery::parse)
        .filter(|q| !q.is_empty());
    let limit = filter.limit.unwrap_or(usize::MAX);
    let mut out = Vec::new();
    if limit == 0 {
        return Ok(Page::default());
    }
    let in_range = |t: DateTime<Utc>| {
        filter.since.is_none_or(|s| t >= s) && filter.until.is_none_or(|u| t <= u)
    };
    if filter.order == Order::Published {
        let cursor_pos = filter.cursor.as_ref().map(Cursor::position);
        let ids: crate::store::TimeIter<'_> =
            match search.as_ref().filter(|q| !q.required.is_empty()) {
                Some(q) => {
                    // Start below the cursor or just above `until`.
                    let before = cursor_pos.clone().or_else(|| {
                        filter.until.map(|u| {
                            position(
                                u + chrono::Duration::milliseconds(1),
                                &ArticleId(String::new()),
                            )
                        })
                    });
                    store.search(&q.required, before, filter.since)?
                }
                None => {
                    let feed = match filter.feeds.as_slice() {
                        [one] => Some(one.as_str()),
                        _ => None,
                    };
                    let until = match (&filter.cursor, filter.until) {
                        (Some(c), Some(u)) => Some(c.time.min(u)),
                        (Some(c), None) => Some(c.time),
                        (None, u) => u,
                    };
                    Box::new(store.ids_newest_first(feed, filter.since, until))
                }
            };
        for item in ids {
            let (t, id) = item?;
            if let Some(c) = &cursor_pos {
                if position(t, &id).as_slice() >= c.as_slice() {
                    continue;
                }
            }
            if !in_range(t) {
                continue;
            }
            let Some(a) = store.article(&id)? else {
                continue;
            };
            if passes(&a, filter, search.as_ref()) {
                out.push(a);
                if out.len() >= limit {
                    break;
                }
            }
        }
    } else {
        // No index for these orders: collect every match, sort, then page.
        let mut all: Vec<(Position, Article)> = Vec::new();
        for item in store.ids_newest_first(None, filter.since, filter.until) {
            let (_, id) = item?;
            let Some(a) = store.article(&id)? else {
                continue;
            };
            if passes(&a, filter, search.as_ref()) {
                all.push((position(order_time(&a, filter.order), &a.id), a));
            }
        }
        all.sort_by(|x, y| y.0.cmp(&x.0));
        let cursor_pos = filter.cursor.as_ref().map(Cursor::position);
        out = all
            .into_iter()
            .filter(|(p, _)| cursor_pos.as_ref().is_none_or(|c| p < c))
            .take(limit)
            .map(|(_, a)| a)
            .collect();
    }
    let next = (out.len() == limit)
        .then(|| out.last().map(|a| cursor_of(a, filter.order)))
        .flatten();
    Ok(Page {
        articles: out,
        next,
    })
}

/// The cursor that continues after `a` in `order`.
pub fn cursor_of(a: &Article, order: Order) -> Cursor {
    let p = position(order_time(a, order), &a.id);
    let (time, id) = split_position(&p).unwrap_or((order_time(a, order), a.id.clone()));
    Cursor { time, id }
}

/// Looks an article up by id.
///
/// # Errors
/// On store failure.
pub fn find(store: &dyn Articles, id: &str) -> Result<Option<Article>, StoreError> {
    store.article(&ArticleId(id.trim().to_ascii_lowercase()))
}

/// Duplicate groups: every article that arrived through more than one route (feed + link),
/// newest first.
///
/// # Errors
/// On store failure.
pub fn duplicates(store: &dyn Articles) -> Result<Vec<Article>, StoreError> {
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
/// `dir`, `byline`, `tags`, `content_hash`, `revisions`, `seen_in` (`feed`, `url`, `guid`,
/// `seen_at`), `first_seen`, `last_seen`, `extraction`, and `text` when asked.
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
        "first_seen": ts(Some(a.first_seen)),
        "last_seen": ts(Some(a.last_seen)),
        "extraction": a.extraction,
        "extraction_reason": a.extraction_reason,
    });
    if with_text {
        v["text"] = json!(a.text);
    }
    v
}

/// Every field name `--fields` accepts.
pub const FIELDS: &[&str] = &[
    "id",
    "title",
    "url",
    "feed",
    "published",
    "updated",
    "lang",
    "dir",
    "byline",
    "tags",
    "content_hash",
    "revisions",
    "seen_in",
    "first_seen",
    "last_seen",
    "extraction",
    "extraction_reason",
    "text",
    "html",
    "cursor",
];

/// Parses a `--fields` list (`id,title,url`).
///
/// # Errors
/// A message naming the unknown field and listing the known ones.
pub fn parse_fields(s: &str) -> Result<Vec<String>, String> {
    let mut v = Vec::new();
    for f in s.split(',').map(str::trim).filter(|f| !f.is_empty()) {
        if !FIELDS.contains(&f) {
            return Err(format!(
                "unknown field {f:?}; known fields: {}",
                FIELDS.join(",")
            ));
        }
        v.push(f.to_string());
    }
    Ok(v)
}

/// The JSON of an article restricted to `fields` (in that order); all of [`article_json`]
/// with text when `fields` is empty. `cursor` is the article's paging cursor under `order`.
pub fn article_fields(a: &Article, fields: &[String], order: Order) -> serde_json::Value {
    let full = article_json(a, true);
    if fields.is_empty() {
        return full;
    }
    let mut m = serde_json::Map::new();
    for f in fields {
        let v = match f.as_str() {
            "html" => json!(a.html),
            "cursor" => json!(cursor_of(a, order).to_string()),
            k => full.get(k).cloned().unwrap_or(serde_json::Value::Null),
        };
        m.insert(f.clone(), v);
    }
    serde_json::Value::Object(m)
}

/// A JSON value as one CSV/table cell: strings as they are, arrays joined by `; `
/// (`seen_in` as its feeds), null as empty.
pub fn cell(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::Null => String::new(),
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Array(items) => items
            .iter()
            .map(|i| match i {
                serde_json::Value::Object(o) => {
                    o.get("feed").map(cell).unwrap_or_else(|| i.to_string())
                }
                other => cell(other),
            })
            .collect::<Vec<_>>()
            .join("; "),
        other => other.to_string(),
    }
}

/// Default CSV columns.
pub const CSV_FIELDS: &[&str] = &["id", "published", "updated", "feed", "lang", "title", "url"];

/// CSV (RFC 4180: comma separated, CRLF line ends, fields quoted when they hold a comma, quote
/// or line break) with a header row.
pub fn csv(articles: &[Article], fields: &[String], order: Order) -> String {
    let fields: Vec<String> = if fields.is_empty() {
        CSV_FIELDS.iter().map(|s| s.to_string()).collect()
    } else {
        fields.to_vec()
    };
    let quote = |s: &str| {
        if s.contains([',', '"', '\n', '\r']) {
            format!("\"{}\"", s.replace('"', "\"\""))
        } else {
            s.to_string()
        }
    };
    let mut out = fields
        .iter()
        .map(|f| quote(f))
        .collect::<Vec<_>>()
        .join(",");
    out.push_str("\r\n");
    for a in articles {
        let v = article_fields(a, &fields, order);
        let row: Vec<String> = fields
            .iter()
            .map(|f| quote(&cell(&v[f.as_str()])))
            .collect();
        out.push_str(&row.join(","));
        out.push_str("\r\n");
    }
    out
}
