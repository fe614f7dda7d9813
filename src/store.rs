//! The `store` stage: every sled tree and key, value encoding, schema version, transactions.
//! No sled type leaves this module.
//!
//! Trees (keys → values; values are JSON documents of the `model` types):
//!
//! | tree | key | value |
//! |---|---|---|
//! | `meta` | `schema_version` | big-endian u32 ([`SCHEMA_VERSION`]; older stores are migrated on open) |
//! | `feed_state` | feed name | [`FeedState`] |
//! | `articles` | article id | [`Article`] (latest revision's fields) |
//! | `revisions` | article id + big-endian u32 revision number | [`Revision`] |
//! | `routes` | feed name + `0x00` + item key | [`Route`] |
//! | `by_url` | canonical URL | article id |
//! | `by_hash` | content hash (hex) | article id |
//! | `by_time` | big-endian sortable i64 ms (published, else first seen) + id | empty |
//! | `by_feed_time` | feed name + `0x00` + sortable ms + id | empty |
//! | `watch` | feed name + `0x00` + sortable ms (due) + id | empty (watch window, v2) |
//! | `near` | band (1 byte) + 16-bit band value + id | SimHash, big-endian u64 (v2) |
//! | `tombstones` | `route:` feed `0x00` item key, `url:` URL, `hash:` hash | deletion time (v2) |
//! | `search_pending` | article id | empty: written with the article, removed once the search index (a tantivy index in `<store>/search/`, see [`search`]) has committed it (v3) |
//!
//! Schema v3 also moved bodies out of sled: `articles` and `revisions` values carry a
//! `_body` reference (offset, length) into the body log `<store>/bodies` (see [`bodies`])
//! instead of `text` and `html`; values written by v2 keep their inline bodies and still
//! decode. Schema v3 moved the search index out of sled (v2 kept one `search` key per token and
//! article); opening a v2 store drops that tree and builds the new index.
//!
//! Schema v2 stores `articles` and `revisions` values as `0xF2` + LZ4 block (size
//! prepended) of the JSON document; v1 values (plain JSON, starting with `{`) still decode,
//! and opening a v1 store rewrites them (see [`Store::open`]).
//!
//! One article write (article, revision, routes and index entries) is one sled transaction,
//! so a `kill -9` never leaves an index entry pointing at a missing article. The store is
//! flushed at the end of every poll ([`Store::flush`]).

pub mod bodies;
pub mod search;

use crate::model::{Article, ArticleId, FeedState, Revision};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sled::Transactional;
use std::path::Path;

/// Current schema version, stored in `meta`.
pub const SCHEMA_VERSION: u32 = 4;

/// First byte of a compressed (schema v2) value.
const COMPRESSED: u8 = 0xF2;

/// sled's page cache, bytes. sled's default (1 GiB) made a 1,000-feed cold poll peak at
/// 737 MB RSS (bench/RESULTS.md); the working set of one poll is far smaller.
pub const CACHE_BYTES: u64 = 64 * 1024 * 1024;

/// [`Store::flush`] makes writes durable at most this often (sled's own flusher thread
/// writes every 500 ms anyway); [`Store::sync`] always does. The pipeline flushes after each
/// feed: 1,000 feeds meant 1,000 `fdatasync`s and ~40,000 `sync_file_range`s on the thread
/// that stores every feed.
pub const FLUSH_EVERY: std::time::Duration = std::time::Duration::from_secs(1);

/// A store error, naming what was being done.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// sled failed (I/O, corruption, or the directory is locked by another process).
    #[error("store {path}: {error}")]
    Sled {
        /// Store directory.
        path: String,
        /// The sled error (in the message; not a `source`, so `{:#}` does not print it twice).
        error: sled::Error,
    },
    /// The store is held by another process (the daemon).
    #[error("store {0} is in use by another feedkeeper process (the daemon?)")]
    Locked(String),
    /// A stored value could not be decoded.
    #[error("store: corrupt value in tree {tree}: {message}")]
    Corrupt {
        /// Tree name.
        tree: &'static str,
        /// Decoder message.
        message: String,
    },
    /// The body log (`<store>/bodies`) failed or holds a bad record.
    #[error("store {path}: body log: {message}")]
    Body {
        /// Log file.
        path: String,
        /// What failed.
        message: String,
    },
    /// The search index (`<store>/search/`) failed.
    #[error("store {path}: search index: {message}")]
    Search {
        /// Index directory.
        path: String,
        /// What failed.
        message: String,
    },
    /// The store was written by a newer feedkeeper.
    #[error(
        "store {path}: schema version {found} is newer than this feedkeeper supports ({supported}); upgrade feedkeeper"
    )]
    TooNew {
        /// Store directory.
        path: String,
        /// Version found.
        found: u32,
        /// Version supported.
        supported: u32,
    },
}

/// How an item of a feed leads to an article.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Route {
    /// The article the item maps to.
    pub article: ArticleId,
    /// Whether this route is the article's own identity (it may add revisions); duplicate
    /// routes (syndicated copies, other feeds' copies) never do.
    pub own: bool,
    /// The item link as the feed gave it.
    pub link: String,
    /// `ETag` of the last page response, for conditional re-scrapes.
    #[serde(default)]
    pub page_etag: Option<String>,
    /// `Last-Modified` of the last page response.
    #[serde(default)]
    pub page_last_modified: Option<String>,
    /// Fingerprint of the feed item (title, link, dates, summary), to notice item changes.
    #[serde(default)]
    pub item_fingerprint: String,
}

/// What one article write changes, handed to [`Store::write`].
#[derive(Debug)]
pub struct ArticleWrite<'a> {
    /// The article as it must be stored.
    pub article: &'a Article,
    /// The article as it was stored before (to move its time index entries), if any.
    pub previous: Option<&'a Article>,
    /// A new revision to append, if any.
    pub revision: Option<&'a Revision>,
    /// Routes to set: (feed, item key, route).
    pub routes: Vec<(&'a str, &'a str, &'a Route)>,
    /// Canonical URLs to index for the article.
    pub urls: Vec<String>,
    /// Whether to index the article's content hash (only for bodies long enough to prove sameness).
    pub index_hash: bool,
    /// Other articles rewritten in the same transaction (near-duplicate partners whose `near`
    /// list gained this article).
    pub others: Vec<&'a Article>,
    /// The [`crate::dedup::TextPrint`] of the article's text, when the caller computed it
    /// (its index text is used when its content hash is the article's; else the store folds
    /// the text itself).
    pub print: Option<&'a crate::dedup::TextPrint>,
    /// The article's body already encoded for the body log (see [`bodies::EncodedBody`]),
    /// when the caller has it; used when it [holds](bodies::EncodedBody::holds) the body.
    pub body: Option<&'a bodies::EncodedBody>,
}

/// Iterator over `(sort time, article id)`, newest first.
pub type TimeIter<'a> =
    Box<dyn Iterator<Item = Result<(DateTime<Utc>, ArticleId), StoreError>> + 'a>;

/// The embedded store.
#[derive(Clone)]
pub struct Store {
    path: String,
    db: sled::Db,
    meta: sled::Tree,
    feed_state: sled::Tree,
    articles: sled::Tree,
    revisions: sled::Tree,
    routes: sled::Tree,
    by_url: sled::Tree,
    by_hash: sled::Tree,
    by_time: sled::Tree,
    by_feed_time: sled::Tree,
    watch: sled::Tree,
    near: sled::Tree,
    tombstones: sled::Tree,
    search_pending: sled::Tree,
    search: std::sync::Arc<search::SearchIndex>,
    bodies: std::sync::Arc<bodies::BodyLog>,
    /// When [`Store::flush`] last made writes durable.
    last_flush: std::sync::Arc<std::sync::Mutex<std::time::Instant>>,
}

/// An `articles` or `revisions` value: the document with its body moved to the body log.
#[derive(Serialize, Deserialize)]
struct Stored<T> {
    #[serde(flatten)]
    doc: T,
    #[serde(default, rename = "_body", skip_serializing_if = "Option::is_none")]
    body: Option<bodies::BodyRef>,
}

/// Just the body reference of a stored value.
#[derive(Deserialize)]
struct BodyOnly {
    #[serde(default, rename = "_body")]
    body: Option<bodies::BodyRef>,
}

fn sortable_ms(t: DateTime<Utc>) -> [u8; 8] {
    ((t.timestamp_millis() as u64) ^ (1 << 63)).to_be_bytes()
}

fn from_sortable_ms(b: &[u8]) -> Option<DateTime<Utc>> {
    let arr: [u8; 8] = b.get(..8)?.try_into().ok()?;
    DateTime::from_timestamp_millis((u64::from_be_bytes(arr) ^ (1 << 63)) as i64)
}

fn route_key(feed: &str, item: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(feed.len() + item.len() + 1);
    k.extend_from_slice(feed.as_bytes());
    k.push(0);
    k.extend_from_slice(item.as_bytes());
    k
}

fn feed_time_key(feed: &str, t: DateTime<Utc>, id: &ArticleId) -> Vec<u8> {
    let mut k = route_key(feed, "");
    k.extend_from_slice(&sortable_ms(t));
    k.extend_from_slice(id.0.as_bytes());
    k
}

fn time_key(t: DateTime<Utc>, id: &ArticleId) -> Vec<u8> {
    let mut k = sortable_ms(t).to_vec();
    k.extend_from_slice(id.0.as_bytes());
    k
}

fn revision_key(id: &ArticleId, n: u32) -> Vec<u8> {
    let mut k = id.0.as_bytes().to_vec();
    k.extend_from_slice(&n.to_be_bytes());
    k
}

/// The feeds an article is listed in: its first feed and every feed of `seen_in`, deduplicated.
fn feeds_of(a: &Article) -> Vec<&str> {
    let mut v: Vec<&str> = std::iter::once(a.feed.as_str())
        .chain(a.seen_in.iter().map(|s| s.feed.as_str()))
        .collect();
    v.sort_unstable();
    v.dedup();
    v
}

/// The time an article is ordered by: its publication time, else when it was first seen.
pub fn sort_time(a: &Article) -> DateTime<Utc> {
    a.published.unwrap_or(a.first_seen)
}

fn encode<T: Serialize>(v: &T) -> Vec<u8> {
    // Serialising our own plain structs to JSON cannot fail.
    serde_json::to_vec(v).unwrap_or_default()
}

/// JSON, LZ4-compressed behind the [`COMPRESSED`] marker (articles and revisions).
fn encode_compressed<T: Serialize>(v: &T) -> Vec<u8> {
    let json = encode(v);
    let mut out = Vec::with_capacity(json.len() / 2 + 8);
    out.push(COMPRESSED);
    out.extend_from_slice(&lz4_flex::compress_prepend_size(&json));
    out
}

fn decode<T: for<'de> Deserialize<'de>>(tree: &'static str, bytes: &[u8]) -> Result<T, StoreError> {
    let corrupt = |message: String| StoreError::Corrupt { tree, message };
    match bytes.first() {
        Some(&COMPRESSED) => {
            let json = lz4_flex::decompress_size_prepended(&bytes[1..])
                .map_err(|e| corrupt(format!("lz4: {e}")))?;
            serde_json::from_slice(&json).map_err(|e| corrupt(e.to_string()))
        }
        _ => serde_json::from_slice(bytes).map_err(|e| corrupt(e.to_string())),
    }
}

fn read_body(
    log: &bodies::BodyLog,
    tree: &'static str,
    r: bodies::BodyRef,
) -> Result<bodies::Body, StoreError> {
    log.read(r).map_err(|message| StoreError::Corrupt {
        tree,
        message: format!("{} ({message})", log.path().display()),
    })
}

/// Decodes an `articles` value, reading its body from `log`.
fn decode_article_with(log: &bodies::BodyLog, bytes: &[u8]) -> Result<Article, StoreError> {
    let s: Stored<Article> = decode("articles", bytes)?;
    let mut a = s.doc;
    if let Some(r) = s.body {
        let b = read_body(log, "articles", r)?;
        a.text = b.text;
        a.html = b.html;
    }
    Ok(a)
}

fn watch_key(feed: &str, t: DateTime<Utc>, id: &ArticleId) -> Vec<u8> {
    feed_time_key(feed, t, id)
}

/// SimHash bands: 4 × 16 bits. Two fingerprints within distance 3 always share a band
/// (pigeonhole); within the default distance 6 they usually do.
fn near_keys(simhash: u64, id: &ArticleId) -> Vec<Vec<u8>> {
    if simhash == 0 {
        return Vec::new();
    }
    (0..4u8)
        .map(|band| {
            let v = ((simhash >> (band * 16)) & 0xffff) as u16;
            let mut k = vec![band];
            k.extend_from_slice(&v.to_be_bytes());
            k.extend_from_slice(id.0.as_bytes());
            k
        })
        .collect()
}

/// Tombstone key of a route.
fn tomb_route(feed: &str, item: &str) -> Vec<u8> {
    let mut k = b"route:".to_vec();
    k.extend_from_slice(&route_key(feed, item));
    k
}

/// What [`Store::check`] found.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct CheckReport {
    /// Articles stored.
    pub articles: usize,
    /// Revisions stored.
    pub revisions: usize,
    /// Bytes of article values (compressed, as stored).
    pub article_bytes: u64,
    /// Bytes of revision values (compressed, as stored).
    pub revision_bytes: u64,
    /// Size of the body log (`<store>/bodies`), bytes: the bodies of articles and revisions,
    /// each distinct body once, LZ4-compressed, plus those of removed articles.
    pub body_bytes: u64,
    /// Inconsistencies found, one sentence each; empty when the store is consistent.
    pub problems: Vec<String>,
}

impl CheckReport {
    /// Average stored bytes per article (its latest state, not counting revisions).
    pub fn bytes_per_article(&self) -> u64 {
        self.article_bytes / self.articles.max(1) as u64
    }
    /// Average stored bytes per revision.
    pub fn bytes_per_revision(&self) -> u64 {
        self.revision_bytes / self.revisions.max(1) as u64
    }
}

/// What [`Store::gc`] removed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct GcReport {
    /// Articles removed (tombstoned) for their age.
    pub removed_by_age: Vec<ArticleId>,
    /// Articles removed (tombstoned) by the per-feed count limit.
    pub removed_by_count: Vec<ArticleId>,
    /// Revisions removed by the per-article history cap.
    pub revisions_removed: usize,
}

/// Retention limits handed to [`Store::gc`] (see `[retention]` in the config).
#[derive(Clone, Debug, Default)]
pub struct Retention {
    /// Articles ordered before `now - max_age` are removed.
    pub max_age: Option<chrono::Duration>,
    /// At most this many articles per origin feed (newest kept).
    pub max_per_feed: Option<usize>,
    /// At most this many revisions per article (first and newest kept).
    pub max_revisions: Option<u32>,
}

impl Store {
    /// Opens (creating if needed) the store at `path`.
    ///
    /// # Errors
    /// [`StoreError::Locked`] when another process holds it; [`StoreError::TooNew`] for a store
    /// from a newer release; [`StoreError::Sled`] otherwise.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        let p = path.display().to_string();
        let db = sled::Config::new()
            .path(path)
            .cache_capacity(CACHE_BYTES)
            .open()
            .map_err(|e| match &e {
                sled::Error::Io(io)
                    if io.kind() == std::io::ErrorKind::WouldBlock
                        || io.to_string().contains("lock") =>
                {
                    StoreError::Locked(p.clone())
                }
                _ => StoreError::Sled {
                    path: p.clone(),
                    error: e,
                },
            })?;
        let tree = |name: &str| {
            db.open_tree(name).map_err(|e| StoreError::Sled {
                path: p.clone(),
                error: e,
            })
        };
        let body_path = path.join(bodies::FILE);
        let body_log = bodies::BodyLog::open(&body_path).map_err(|message| StoreError::Body {
            path: body_path.display().to_string(),
            message,
        })?;
        let body_log = std::sync::Arc::new(body_log);
        let search_pending = tree("search_pending")?;
        let (index, created) = search::SearchIndex::open(
            &path.join(search::DIR),
            search_pending.clone(),
            std::sync::Arc::clone(&body_log),
        )?;
        let store = Store {
            search_pending,
            search: std::sync::Arc::new(index),
            bodies: body_log,
            meta: tree("meta")?,
            feed_state: tree("feed_state")?,
            articles: tree("articles")?,
            revisions: tree("revisions")?,
            routes: tree("routes")?,
            by_url: tree("by_url")?,
            by_hash: tree("by_hash")?,
            by_time: tree("by_time")?,
            by_feed_time: tree("by_feed_time")?,
            watch: tree("watch")?,
            near: tree("near")?,
            tombstones: tree("tombstones")?,
            path: p,
            db,
            last_flush: std::sync::Arc::new(std::sync::Mutex::new(std::time::Instant::now())),
        };
        store.check_schema()?;
        if created {
            // A new store, a v2 store, or a lost index: (re)build it from the articles.
            if !store.articles.is_empty() {
                tracing::info!(path = %store.path, "building the search index");
            }
            store.reindex()?;
        } else {
            store.repair_search()?;
        }
        Ok(store)
    }

    fn err(&self, e: sled::Error) -> StoreError {
        StoreError::Sled {
            path: self.path.clone(),
            error: e,
        }
    }

    /// The error of a failed article transaction (ours never abort on purpose).
    fn txn_err(&self, e: sled::transaction::TransactionError<()>) -> StoreError {
        match e {
            sled::transaction::TransactionError::Storage(e) => self.err(e),
            sled::transaction::TransactionError::Abort(()) => StoreError::Corrupt {
                tree: "articles",
                message: "transaction aborted".into(),
            },
        }
    }

    fn body_err(&self, message: String) -> StoreError {
        StoreError::Body {
            path: self.bodies.path().display().to_string(),
            message,
        }
    }

    fn append_body(&self, text: &str, html: &str) -> Result<bodies::BodyRef, StoreError> {
        self.bodies.append(text, html).map_err(|m| self.body_err(m))
    }

    /// The body reference of a stored article, if it has one (v2 values keep bodies inline).
    fn body_ref(&self, id: &ArticleId) -> Result<Option<bodies::BodyRef>, StoreError> {
        match self
            .articles
            .get(id.0.as_bytes())
            .map_err(|e| self.err(e))?
        {
            Some(v) => Ok(decode::<BodyOnly>("articles", &v)?.body),
            None => Ok(None),
        }
    }

    fn encode_article(&self, a: &Article, body: bodies::BodyRef) -> Vec<u8> {
        // Every field but the body (no `..a.clone()`: that copies the body first; a new
        // field must be added here, which the compiler enforces).
        let doc = Article {
            id: a.id.clone(),
            feed: a.feed.clone(),
            url: a.url.clone(),
            guid: a.guid.clone(),
            title: a.title.clone(),
            published: a.published,
            updated: a.updated,
            lang: a.lang.clone(),
            dir: a.dir.clone(),
            byline: a.byline.clone(),
            tags: a.tags.clone(),
            content_hash: a.content_hash.clone(),
            text: String::new(),
            html: String::new(),
            revisions: a.revisions,
            seen_in: a.seen_in.clone(),
            first_seen: a.first_seen,
            last_seen: a.last_seen,
            extraction: a.extraction.clone(),
            extraction_reason: a.extraction_reason.clone(),
            item_key: a.item_key.clone(),
            watch: a.watch.clone(),
            simhash: a.simhash,
            near: a.near.clone(),
        };
        encode_compressed(&Stored {
            doc,
            body: Some(body),
        })
    }

    fn encode_revision(&self, r: &Revision, body: bodies::BodyRef) -> Vec<u8> {
        let doc = Revision {
            article: r.article.clone(),
            number: r.number,
            title: r.title.clone(),
            text: String::new(),
            html: String::new(),
            content_hash: r.content_hash.clone(),
            published: r.published,
            updated: r.updated,
            seen_at: r.seen_at,
            changed: r.changed.clone(),
        };
        encode_compressed(&Stored {
            doc,
            body: Some(body),
        })
    }

    fn decode_article(&self, bytes: &[u8]) -> Result<Article, StoreError> {
        decode_article_with(&self.bodies, bytes)
    }

    fn decode_revision(&self, bytes: &[u8]) -> Result<Revision, StoreError> {
        let s: Stored<Revision> = decode("revisions", bytes)?;
        let mut r = s.doc;
        if let Some(b) = s.body {
            let b = read_body(&self.bodies, "revisions", b)?;
            r.text = b.text;
            r.html = b.html;
        }
        Ok(r)
    }

    fn check_schema(&self) -> Result<(), StoreError> {
        match self.meta.get("schema_version").map_err(|e| self.err(e))? {
            None => {
                self.meta
                    .insert("schema_version", &SCHEMA_VERSION.to_be_bytes())
                    .map_err(|e| self.err(e))?;
                Ok(())
            }
            Some(v) => {
                let found = v
                    .as_ref()
                    .try_into()
                    .map(u32::from_be_bytes)
                    .unwrap_or(u32::MAX);
                if found > SCHEMA_VERSION {
                    return Err(StoreError::TooNew {
                        path: self.path.clone(),
                        found,
                        supported: SCHEMA_VERSION,
                    });
                }
                if found < 2 {
                    self.migrate_v1_to_v2()?;
                }
                if found < 3 {
                    // v2's postings tree; the tantivy index is built by `open`.
                    self.db.drop_tree("search").map_err(|e| self.err(e))?;
                    self.meta
                        .insert("schema_version", &3u32.to_be_bytes())
                        .map_err(|e| self.err(e))?;
                    self.flush_now()?;
                }
                if found < 4 {
                    self.migrate_v3_to_v4()?;
                }
                Ok(())
            }
        }
    }

    /// v3 → v4: SimHash shingles are hashed with XXH3 instead of BLAKE3
    /// ([`crate::dedup::simhash`]), so every stored fingerprint is recomputed from the
    /// article's text, with its `near` band keys; the article's search document is queued
    /// for re-indexing (its stored value changed). An article stored without a fingerprint
    /// (too short) keeps none. Each article is rewritten in one transaction from its text,
    /// so a crash mid-way leaves a consistent store and the migration runs again; the
    /// version is written last, after a flush.
    fn migrate_v3_to_v4(&self) -> Result<(), StoreError> {
        let mut n = 0usize;
        for kv in self.articles.iter() {
            let (k, v) = kv.map_err(|e| self.err(e))?;
            let stored: Stored<Article> = decode("articles", &v)?;
            let mut a = stored.doc;
            if a.simhash == 0 {
                continue;
            }
            let (fresh, body) = match stored.body {
                Some(r) => {
                    let text = read_body(&self.bodies, "articles", r)?.text;
                    (crate::dedup::simhash(&text, 0), r)
                }
                // A v2 value with its body inline: the body moves to the log.
                None => (
                    crate::dedup::simhash(&a.text, 0),
                    self.append_body(&a.text, &a.html)?,
                ),
            };
            let old_near = near_keys(a.simhash, &a.id);
            let new_near = near_keys(fresh, &a.id);
            a.simhash = fresh;
            let value = self.encode_article(&a, body);
            (&self.articles, &self.near, &self.search_pending)
                .transaction(|(articles, near, pending)| {
                    for old in &old_near {
                        near.remove(old.as_slice())?;
                    }
                    for new in &new_near {
                        near.insert(new.as_slice(), &fresh.to_be_bytes())?;
                    }
                    articles.insert(&k, value.as_slice())?;
                    pending.insert(&k, &[] as &[u8])?;
                    Ok::<(), sled::transaction::ConflictableTransactionError<()>>(())
                })
                .map_err(|e| self.txn_err(e))?;
            n += 1;
        }
        self.flush_now()?;
        self.meta
            .insert("schema_version", &4u32.to_be_bytes())
            .map_err(|e| self.err(e))?;
        self.flush_now()?;
        if n > 0 {
            tracing::info!(path = %self.path, articles = n, "store schema v4: near-duplicate fingerprints recomputed");
        }
        Ok(())
    }

    /// v1 → v2: compresses every article and revision value. Each value is rewritten on its
    /// own and both encodings decode, so a crash mid-way leaves a readable store and the
    /// migration simply runs again; the version is written last, after a flush.
    fn migrate_v1_to_v2(&self) -> Result<(), StoreError> {
        for (tree, name) in [(&self.articles, "articles"), (&self.revisions, "revisions")] {
            for kv in tree.iter() {
                let (k, v) = kv.map_err(|e| self.err(e))?;
                if v.first() == Some(&COMPRESSED) {
                    continue;
                }
                let doc: serde_json::Value = decode(name, &v)?;
                tree.insert(k, encode_compressed(&doc))
                    .map_err(|e| self.err(e))?;
            }
        }
        self.flush_now()?;
        self.meta
            .insert("schema_version", &2u32.to_be_bytes())
            .map_err(|e| self.err(e))?;
        self.flush_now()
    }

    /// The schema version recorded in `meta`.
    ///
    /// # Errors
    /// On I/O failure.
    pub fn schema_version(&self) -> Result<u32, StoreError> {
        Ok(self
            .meta
            .get("schema_version")
            .map_err(|e| self.err(e))?
            .and_then(|v| v.as_ref().try_into().ok().map(u32::from_be_bytes))
            .unwrap_or(0))
    }

    /// Flushes every write to disk, unless the last flush was less than [`FLUSH_EVERY`] ago
    /// (a crash loses at most that much; what is stored stays consistent).
    ///
    /// # Errors
    /// [`StoreError::Sled`] on I/O failure.
    pub fn flush(&self) -> Result<(), StoreError> {
        {
            let last = self.last_flush.lock().unwrap_or_else(|p| p.into_inner());
            if last.elapsed() < FLUSH_EVERY {
                return Ok(());
            }
        }
        self.flush_now()
    }

    /// Flushes every write to disk now (bodies, then sled, then a due search commit).
    fn flush_now(&self) -> Result<(), StoreError> {
        *self.last_flush.lock().unwrap_or_else(|p| p.into_inner()) = std::time::Instant::now();
        // Bodies first: a flushed sled value never names a body the disk does not hold.
        self.bodies.sync().map_err(|m| self.body_err(m))?;
        self.db.flush().map_err(|e| self.err(e))?;
        // After sled: a committed search document never names an article sled could lose.
        self.commit_search(false)
    }

    /// [`Store::flush`], and commits the search index even if the last commit was recent.
    /// Call at the end of a run.
    ///
    /// # Errors
    /// As [`Store::flush`].
    pub fn sync(&self) -> Result<(), StoreError> {
        self.bodies.sync().map_err(|m| self.body_err(m))?;
        self.db.flush().map_err(|e| self.err(e))?;
        self.commit_search(true)?;
        self.db.flush().map(|_| ()).map_err(|e| self.err(e))
    }

    /// The stored state of a feed.
    ///
    /// # Errors
    /// On I/O failure or a corrupt value.
    pub fn feed_state(&self, name: &str) -> Result<Option<FeedState>, StoreError> {
        self.feed_state
            .get(name)
            .map_err(|e| self.err(e))?
            .map(|v| decode("feed_state", &v))
            .transpose()
    }

    /// Stores a feed's state.
    ///
    /// # Errors
    /// On I/O failure.
    pub fn put_feed_state(&self, state: &FeedState) -> Result<(), StoreError> {
        self.feed_state
            .insert(state.name.as_bytes(), encode(state))
            .map(|_| ())
            .map_err(|e| self.err(e))
    }

    /// Every stored feed state.
    ///
    /// # Errors
    /// On I/O failure or a corrupt value.
    pub fn feed_states(&self) -> Result<Vec<FeedState>, StoreError> {
        self.feed_state
            .iter()
            .values()
            .map(|v| decode("feed_state", &v.map_err(|e| self.err(e))?))
            .collect()
    }

    /// An article by id.
    ///
    /// # Errors
    /// On I/O failure or a corrupt value.
    pub fn article(&self, id: &ArticleId) -> Result<Option<Article>, StoreError> {
        self.articles
            .get(id.0.as_bytes())
            .map_err(|e| self.err(e))?
            .map(|v| self.decode_article(&v))
            .transpose()
    }

    /// Every revision of an article, oldest first.
    ///
    /// # Errors
    /// On I/O failure or a corrupt value.
    pub fn revisions(&self, id: &ArticleId) -> Result<Vec<Revision>, StoreError> {
        self.revisions
            .scan_prefix(id.0.as_bytes())
            .values()
            .map(|v| self.decode_revision(&v.map_err(|e| self.err(e))?))
            .collect()
    }

    /// The route of item `item` in feed `feed`.
    ///
    /// # Errors
    /// On I/O failure or a corrupt value.
    pub fn route(&self, feed: &str, item: &str) -> Result<Option<Route>, StoreError> {
        self.routes
            .get(route_key(feed, item))
            .map_err(|e| self.err(e))?
            .map(|v| decode("routes", &v))
            .transpose()
    }

    /// The article stored under a canonical URL.
    ///
    /// # Errors
    /// On I/O failure.
    pub fn id_by_url(&self, url: &str) -> Result<Option<ArticleId>, StoreError> {
        Ok(self
            .by_url
            .get(url)
            .map_err(|e| self.err(e))?
            .map(|v| ArticleId(String::from_utf8_lossy(&v).into_owned())))
    }

    /// The article stored under a content hash.
    ///
    /// # Errors
    /// On I/O failure.
    pub fn id_by_hash(&self, hash: &str) -> Result<Option<ArticleId>, StoreError> {
        Ok(self
            .by_hash
            .get(hash)
            .map_err(|e| self.err(e))?
            .map(|v| ArticleId(String::from_utf8_lossy(&v).into_owned())))
    }

    /// Number of stored articles.
    pub fn article_count(&self) -> usize {
        self.articles.len()
    }

    /// Writes an article, its new revision, routes and index entries in one transaction.
    ///
    /// # Errors
    /// On I/O failure; nothing is written then.
    pub fn write(&self, w: &ArticleWrite<'_>) -> Result<(), StoreError> {
        let a = w.article;
        // Bodies go to the body log first; an unchanged body keeps its record.
        let kept = match w.previous {
            Some(p) if p.text == a.text && p.html == a.html => self.body_ref(&a.id)?,
            _ => None,
        };
        let a_ref = match (kept, w.body) {
            (Some(r), _) => r,
            (None, Some(e)) if e.holds(&a.text, &a.html) => self
                .bodies
                .append_encoded(e)
                .map_err(|m| self.body_err(m))?,
            (None, _) => self.append_body(&a.text, &a.html)?,
        };
        let article_bytes = self.encode_article(a, a_ref);
        let mut others: Vec<(Vec<u8>, Vec<u8>)> = Vec::with_capacity(w.others.len());
        for o in &w.others {
            let r = match self.body_ref(&o.id)? {
                Some(r) => r,
                None => self.append_body(&o.text, &o.html)?,
            };
            others.push((o.id.0.as_bytes().to_vec(), self.encode_article(o, r)));
        }
        let rev = match w.revision {
            Some(r) => {
                let body = if r.text == a.text && r.html == a.html {
                    a_ref
                } else {
                    self.append_body(&r.text, &r.html)?
                };
                Some((
                    revision_key(&r.article, r.number),
                    self.encode_revision(r, body),
                ))
            }
            None => None,
        };
        let old_watch: Vec<Vec<u8>> = w
            .previous
            .map(|p| {
                p.watch
                    .iter()
                    .map(|t| watch_key(&p.feed, *t, &p.id))
                    .collect()
            })
            .unwrap_or_default();
        let new_watch: Vec<Vec<u8>> = a
            .watch
            .iter()
            .map(|t| watch_key(&a.feed, *t, &a.id))
            .collect();
        let old_near = w
            .previous
            .map(|p| near_keys(p.simhash, &p.id))
            .unwrap_or_default();
        let new_near = near_keys(a.simhash, &a.id);
        let routes: Vec<(Vec<u8>, Vec<u8>)> = w
            .routes
            .iter()
            .map(|(f, i, r)| (route_key(f, i), encode(*r)))
            .collect();
        let new_time = time_key(sort_time(a), &a.id);
        let new_feed_time: Vec<Vec<u8>> = feeds_of(a)
            .into_iter()
            .map(|f| feed_time_key(f, sort_time(a), &a.id))
            .collect();
        let old_keys = w.previous.map(|p| {
            (
                time_key(sort_time(p), &p.id),
                feeds_of(p)
                    .into_iter()
                    .map(|f| feed_time_key(f, sort_time(p), &p.id))
                    .collect::<Vec<_>>(),
            )
        });
        let result = (
            &self.articles,
            &self.revisions,
            &self.routes,
            &self.by_url,
            &self.by_hash,
            &self.by_time,
            &self.by_feed_time,
            &self.watch,
            &self.near,
            &self.search_pending,
        )
            .transaction(
                |(
                    articles,
                    revisions,
                    routes_t,
                    by_url,
                    by_hash,
                    by_time,
                    by_feed_time,
                    watch,
                    near,
                    pending,
                )| {
                    articles.insert(a.id.0.as_bytes(), article_bytes.as_slice())?;
                    pending.insert(a.id.0.as_bytes(), &[] as &[u8])?;
                    for (k, _) in &others {
                        pending.insert(k.as_slice(), &[] as &[u8])?;
                    }
                    for (k, v) in &others {
                        articles.insert(k.as_slice(), v.as_slice())?;
                    }
                    for k in &old_watch {
                        watch.remove(k.as_slice())?;
                    }
                    for k in &new_watch {
                        watch.insert(k.as_slice(), &[] as &[u8])?;
                    }
                    for k in &old_near {
                        near.remove(k.as_slice())?;
                    }
                    for k in &new_near {
                        near.insert(k.as_slice(), &a.simhash.to_be_bytes())?;
                    }
                    if let Some((k, v)) = &rev {
                        revisions.insert(k.as_slice(), v.as_slice())?;
                    }
                    for (k, v) in &routes {
                        routes_t.insert(k.as_slice(), v.as_slice())?;
                    }
                    for u in &w.urls {
                        by_url.insert(u.as_bytes(), a.id.0.as_bytes())?;
                    }
                    if w.index_hash {
                        by_hash.insert(a.content_hash.as_bytes(), a.id.0.as_bytes())?;
                    }
                    if let Some((t, fts)) = &old_keys {
                        by_time.remove(t.as_slice())?;
                        for ft in fts {
                            by_feed_time.remove(ft.as_slice())?;
                        }
                    }
                    by_time.insert(new_time.as_slice(), &[] as &[u8])?;
                    for ft in &new_feed_time {
                        by_feed_time.insert(ft.as_slice(), &[] as &[u8])?;
                    }
                    Ok::<(), sled::transaction::ConflictableTransactionError<()>>(())
                },
            );
        result.map_err(|e| self.txn_err(e))?;
        // The search index follows every write (see `store::search`).
        let body_index = w
            .print
            .filter(|p| p.content_hash == a.content_hash)
            .map(|p| p.index_text.as_str());
        self.index_article(a, &article_bytes, body_index)?;
        for (o, (_, bytes)) in w.others.iter().zip(&others) {
            self.index_article(o, bytes, None)?;
        }
        Ok(())
    }

    /// Article ids newest first (by publication time, else first seen), optionally of one feed
    /// (any feed the article was seen in), between `since` and `until` (inclusive).
    pub fn ids_newest_first<'a>(
        &'a self,
        feed: Option<&str>,
        since: Option<DateTime<Utc>>,
        until: Option<DateTime<Utc>>,
    ) -> TimeIter<'a> {
        let (tree, prefix) = match feed {
            Some(f) => (&self.by_feed_time, route_key(f, "")),
            None => (&self.by_time, Vec::new()),
        };
        let plen = prefix.len();
        let lo = {
            let mut k = prefix.clone();
            if let Some(s) = since {
                k.extend_from_slice(&sortable_ms(s));
            }
            k
        };
        let hi = {
            let mut k = prefix.clone();
            match until {
                Some(u) => k.extend_from_slice(&sortable_ms(u + chrono::Duration::milliseconds(1))),
                None => k.extend_from_slice(&[0xff; 9]),
            }
            k
        };
        Box::new(tree.range(lo..hi).rev().map(move |kv| {
            let (k, _) = kv.map_err(|e| self.err(e))?;
            let t = from_sortable_ms(&k[plen..]).ok_or(StoreError::Corrupt {
                tree: "by_time",
                message: "short key".into(),
            })?;
            Ok((
                t,
                ArticleId(String::from_utf8_lossy(&k[plen + 8..]).into_owned()),
            ))
        }))
    }
}

impl Store {
    /// Articles of `feed` whose watch window has a time at or before `now`, soonest first.
    ///
    /// # Errors
    /// On I/O failure.
    pub fn watch_due(&self, feed: &str, now: DateTime<Utc>) -> Result<Vec<ArticleId>, StoreError> {
        let lo = route_key(feed, "");
        let hi = feed_time_key(
            feed,
            now + chrono::Duration::milliseconds(1),
            &ArticleId(String::new()),
        );
        let plen = lo.len();
        let mut ids = Vec::new();
        for kv in self.watch.range(lo..hi) {
            let (k, _) = kv.map_err(|e| self.err(e))?;
            let id = ArticleId(
                String::from_utf8_lossy(k.get(plen + 8..).unwrap_or_default()).into_owned(),
            );
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
        Ok(ids)
    }

    /// Stored articles whose SimHash shares a 16-bit band with `simhash` and lies within
    /// `max_distance` of it, nearest first.
    ///
    /// # Errors
    /// On I/O failure.
    pub fn near_candidates(
        &self,
        simhash: u64,
        max_distance: u32,
    ) -> Result<Vec<ArticleId>, StoreError> {
        let mut found: Vec<(u32, ArticleId)> = Vec::new();
        for k in near_keys(simhash, &ArticleId(String::new())) {
            for kv in self.near.scan_prefix(&k) {
                let (key, v) = kv.map_err(|e| self.err(e))?;
                let other = v.as_ref().try_into().map(u64::from_be_bytes).unwrap_or(0);
                let d = crate::dedup::simhash_distance(simhash, other);
                let id = ArticleId(
                    String::from_utf8_lossy(key.get(3..).unwrap_or_default()).into_owned(),
                );
                if d <= max_distance && !found.iter().any(|(_, f)| *f == id) {
                    found.push((d, id));
                }
            }
        }
        found.sort();
        Ok(found.into_iter().map(|(_, id)| id).collect())
    }

    /// Whether a route, URL or content hash belongs to an article removed by retention.
    ///
    /// # Errors
    /// On I/O failure.
    pub fn tombstoned(
        &self,
        feed: &str,
        item: &str,
        urls: &[String],
        hash: Option<&str>,
    ) -> Result<bool, StoreError> {
        if self
            .tombstones
            .contains_key(tomb_route(feed, item))
            .map_err(|e| self.err(e))?
        {
            return Ok(true);
        }
        if let Some(h) = hash {
            if self
                .tombstones
                .contains_key(format!("hash:{h}"))
                .map_err(|e| self.err(e))?
            {
                return Ok(true);
            }
        }
        for u in urls {
            if self
                .tombstones
                .contains_key(format!("url:{u}"))
                .map_err(|e| self.err(e))?
            {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Every stored article, in id order.
    pub fn all_articles(&self) -> impl Iterator<Item = Result<Article, StoreError>> + '_ {
        self.articles
            .iter()
            .values()
            .map(move |v| self.decode_article(&v.map_err(|e| self.err(e))?))
    }

    /// Consistency check (also `feedkeeper check`): every index entry (routes, URLs, hashes,
    /// time indexes, watch, near) points at a stored article, every article decodes, has its
    /// latest revision and its time index entry. Also counts stored bytes.
    ///
    /// # Errors
    /// On I/O failure; inconsistencies are reported in [`CheckReport::problems`].
    pub fn check(&self) -> Result<CheckReport, StoreError> {
        let mut r = CheckReport {
            body_bytes: self.bodies.len(),
            ..CheckReport::default()
        };
        let exists = |id: &[u8]| self.articles.contains_key(id).map_err(|e| self.err(e));
        for kv in self.articles.iter() {
            let (k, v) = kv.map_err(|e| self.err(e))?;
            r.articles += 1;
            r.article_bytes += (k.len() + v.len()) as u64;
            match self.decode_article(&v) {
                Err(e) => r
                    .problems
                    .push(format!("article {}: {e}", String::from_utf8_lossy(&k))),
                Ok(a) => {
                    if !self
                        .revisions
                        .contains_key(revision_key(&a.id, a.revisions))
                        .map_err(|e| self.err(e))?
                    {
                        r.problems.push(format!(
                            "article {}: latest revision {} missing",
                            a.id, a.revisions
                        ));
                    }
                    if !self
                        .by_time
                        .contains_key(time_key(sort_time(&a), &a.id))
                        .map_err(|e| self.err(e))?
                    {
                        r.problems
                            .push(format!("article {}: no by_time entry", a.id));
                    }
                }
            }
        }
        for kv in self.revisions.iter() {
            let (k, v) = kv.map_err(|e| self.err(e))?;
            r.revisions += 1;
            r.revision_bytes += (k.len() + v.len()) as u64;
            let id = &k[..k.len().saturating_sub(4)];
            if !exists(id)? {
                r.problems.push(format!(
                    "revision of missing article {}",
                    String::from_utf8_lossy(id)
                ));
            } else if let Err(e) = self.decode_revision(&v) {
                r.problems
                    .push(format!("revision of {}: {e}", String::from_utf8_lossy(id)));
            }
        }
        for kv in self.routes.iter() {
            let (k, v) = kv.map_err(|e| self.err(e))?;
            match decode::<Route>("routes", &v) {
                Ok(route) if !exists(route.article.0.as_bytes())? => r.problems.push(format!(
                    "route {} points at missing article {}",
                    String::from_utf8_lossy(&k).replace('\0', " "),
                    route.article
                )),
                Ok(_) => {}
                Err(e) => r.problems.push(e.to_string()),
            }
        }
        for (tree, name) in [(&self.by_url, "by_url"), (&self.by_hash, "by_hash")] {
            for kv in tree.iter() {
                let (k, v) = kv.map_err(|e| self.err(e))?;
                if !exists(&v)? {
                    r.problems.push(format!(
                        "{name} {} points at missing article {}",
                        String::from_utf8_lossy(&k),
                        String::from_utf8_lossy(&v)
                    ));
                }
            }
        }
        let id_at_end = |k: &[u8]| {
            k.len() >= ArticleId::LEN && exists(&k[k.len() - ArticleId::LEN..]).unwrap_or(false)
        };
        for (tree, name) in [
            (&self.by_time, "by_time"),
            (&self.by_feed_time, "by_feed_time"),
            (&self.watch, "watch"),
            (&self.near, "near"),
        ] {
            for kv in tree.iter() {
                let (k, _) = kv.map_err(|e| self.err(e))?;
                if !id_at_end(&k) {
                    r.problems
                        .push(format!("{name} entry points at a missing article"));
                }
            }
        }
        Ok(r)
    }

    /// Applies retention at `now`: removes articles older than `max_age` and beyond
    /// `max_per_feed` (each in one transaction, leaving tombstones for its routes, URLs and
    /// hash so it is not ingested again), and caps each article's history. Nothing is
    /// removed when no limit is set.
    ///
    /// # Errors
    /// On I/O failure; what was removed before the failure stays removed and tombstoned.
    pub fn gc(&self, retention: &Retention, now: DateTime<Utc>) -> Result<GcReport, StoreError> {
        let mut report = GcReport::default();
        if retention.max_age.is_none()
            && retention.max_per_feed.is_none()
            && retention.max_revisions.is_none()
        {
            return Ok(report);
        }
        let mut articles: Vec<Article> = self.all_articles().collect::<Result<_, _>>()?;
        articles.sort_by(|a, b| sort_time(b).cmp(&sort_time(a)).then(a.id.cmp(&b.id)));
        let mut per_feed: std::collections::HashMap<String, usize> =
            std::collections::HashMap::new();
        let mut doomed: Vec<(Article, bool)> = Vec::new();
        let mut kept: Vec<Article> = Vec::new();
        for a in articles {
            let n = per_feed.entry(a.feed.clone()).or_default();
            *n += 1;
            if retention.max_age.is_some_and(|m| sort_time(&a) < now - m) {
                doomed.push((a, true));
            } else if retention.max_per_feed.is_some_and(|m| *n > m) {
                doomed.push((a, false));
            } else {
                kept.push(a);
            }
        }
        if !doomed.is_empty() {
            let mut routes_of: std::collections::HashMap<ArticleId, Vec<Vec<u8>>> =
                std::collections::HashMap::new();
            for kv in self.routes.iter() {
                let (k, v) = kv.map_err(|e| self.err(e))?;
                if let Ok(route) = decode::<Route>("routes", &v) {
                    routes_of.entry(route.article).or_default().push(k.to_vec());
                }
            }
            for (a, by_age) in doomed {
                let routes = routes_of.remove(&a.id).unwrap_or_default();
                self.remove_article(&a, &routes, now)?;
                self.unindex_article(&a.id)?;
                if by_age {
                    report.removed_by_age.push(a.id);
                } else {
                    report.removed_by_count.push(a.id);
                }
            }
        }
        if let Some(cap) = retention.max_revisions {
            for a in kept {
                let keys: Vec<sled::IVec> = self
                    .revisions
                    .scan_prefix(a.id.0.as_bytes())
                    .keys()
                    .collect::<Result<_, _>>()
                    .map_err(|e| self.err(e))?;
                let cap = cap.max(2) as usize;
                if keys.len() > cap {
                    // Keep the first revision and the newest cap-1.
                    let drop: Vec<&sled::IVec> = keys[1..keys.len() - (cap - 1)].iter().collect();
                    let mut batch = sled::Batch::default();
                    for k in &drop {
                        batch.remove(*k);
                    }
                    self.revisions.apply_batch(batch).map_err(|e| self.err(e))?;
                    report.revisions_removed += drop.len();
                }
            }
        }
        self.flush_now()?;
        Ok(report)
    }

    fn remove_article(
        &self,
        a: &Article,
        routes: &[Vec<u8>],
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let revs: Vec<sled::IVec> = self
            .revisions
            .scan_prefix(a.id.0.as_bytes())
            .keys()
            .collect::<Result<_, _>>()
            .map_err(|e| self.err(e))?;
        let mut urls: Vec<Vec<u8>> = Vec::new();
        for kv in self.by_url.iter() {
            let (k, v) = kv.map_err(|e| self.err(e))?;
            if v.as_ref() == a.id.0.as_bytes() {
                urls.push(k.to_vec());
            }
        }
        let hash_owned = self
            .by_hash
            .get(a.content_hash.as_bytes())
            .map_err(|e| self.err(e))?
            .is_some_and(|v| v.as_ref() == a.id.0.as_bytes());
        let stamp = now.to_rfc3339();
        let time = time_key(sort_time(a), &a.id);
        let feed_times: Vec<Vec<u8>> = feeds_of(a)
            .into_iter()
            .map(|f| feed_time_key(f, sort_time(a), &a.id))
            .collect();
        let watch_keys: Vec<Vec<u8>> = a
            .watch
            .iter()
            .map(|t| watch_key(&a.feed, *t, &a.id))
            .collect();
        let near = near_keys(a.simhash, &a.id);
        let result = (
            &self.articles,
            &self.revisions,
            &self.routes,
            &self.by_url,
            &self.by_hash,
            &self.by_time,
            &self.by_feed_time,
            &self.watch,
            &self.near,
            &self.tombstones,
        )
            .transaction(
                |(
                    articles,
                    revisions,
                    routes_t,
                    by_url,
                    by_hash,
                    by_time,
                    by_feed_time,
                    watch,
                    near_t,
                    tombs,
                )| {
                    articles.remove(a.id.0.as_bytes())?;
                    for k in &revs {
                        revisions.remove(k)?;
                    }
                    for k in routes {
                        routes_t.remove(k.as_slice())?;
                        let mut t = b"route:".to_vec();
                        t.extend_from_slice(k);
                        tombs.insert(t, stamp.as_bytes())?;
                    }
                    for u in &urls {
                        by_url.remove(u.as_slice())?;
                        let mut t = b"url:".to_vec();
                        t.extend_from_slice(u);
                        tombs.insert(t, stamp.as_bytes())?;
                    }
                    if hash_owned {
                        by_hash.remove(a.content_hash.as_bytes())?;
                    }
                    tombs.insert(
                        format!("hash:{}", a.content_hash).as_bytes(),
                        stamp.as_bytes(),
                    )?;
                    by_time.remove(time.as_slice())?;
                    for k in &feed_times {
                        by_feed_time.remove(k.as_slice())?;
                    }
                    for k in &watch_keys {
                        watch.remove(k.as_slice())?;
                    }
                    for k in &near {
                        near_t.remove(k.as_slice())?;
                    }
                    Ok::<(), sled::transaction::ConflictableTransactionError<()>>(())
                },
            );
        result.map_err(|e| self.txn_err(e))
    }
}
