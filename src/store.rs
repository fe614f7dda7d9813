//! The `store` stage: every sled tree and key, value encoding, schema version, transactions.
//! No sled type leaves this module.
//!
//! Trees (keys → values; values are JSON documents of the `model` types):
//!
//! | tree | key | value |
//! |---|---|---|
//! | `meta` | `schema_version` | big-endian u32 |
//! | `feed_state` | feed name | [`FeedState`] |
//! | `articles` | article id | [`Article`] (latest revision's fields) |
//! | `revisions` | article id + big-endian u32 revision number | [`Revision`] |
//! | `routes` | feed name + `0x00` + item key | [`Route`] |
//! | `by_url` | canonical URL | article id |
//! | `by_hash` | content hash (hex) | article id |
//! | `by_time` | big-endian sortable i64 ms (published, else first seen) + id | empty |
//! | `by_feed_time` | feed name + `0x00` + sortable ms + id | empty |
//! | `search` | folded token + `0x00` + sortable ms + id (see [`search`]) | empty |
//!
//! One article write (article, revision, routes and index entries) is one sled transaction,
//! so a `kill -9` never leaves an index entry pointing at a missing article. The store is
//! flushed at the end of every poll ([`Store::flush`]).

pub mod search;

use crate::model::{Article, ArticleId, FeedState, Revision};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sled::Transactional;
use std::path::Path;

/// Current schema version, stored in `meta`.
pub const SCHEMA_VERSION: u32 = 1;

/// A store error, naming what was being done.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// sled failed (I/O, corruption, or the directory is locked by another process).
    #[error("store {path}: {source}")]
    Sled {
        /// Store directory.
        path: String,
        /// The sled error.
        source: sled::Error,
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

fn decode<T: for<'de> Deserialize<'de>>(tree: &'static str, bytes: &[u8]) -> Result<T, StoreError> {
    serde_json::from_slice(bytes).map_err(|e| StoreError::Corrupt {
        tree,
        message: e.to_string(),
    })
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
                    source: e,
                },
            })?;
        let tree = |name: &str| {
            db.open_tree(name).map_err(|e| StoreError::Sled {
                path: p.clone(),
                source: e,
            })
        };
        let store = Store {
            meta: tree("meta")?,
            feed_state: tree("feed_state")?,
            articles: tree("articles")?,
            revisions: tree("revisions")?,
            routes: tree("routes")?,
            by_url: tree("by_url")?,
            by_hash: tree("by_hash")?,
            by_time: tree("by_time")?,
            by_feed_time: tree("by_feed_time")?,
            path: p,
            db,
        };
        store.check_schema()?;
        Ok(store)
    }

    fn err(&self, e: sled::Error) -> StoreError {
        StoreError::Sled {
            path: self.path.clone(),
            source: e,
        }
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
                    Err(StoreError::TooNew {
                        path: self.path.clone(),
                        found,
                        supported: SCHEMA_VERSION,
                    })
                } else {
                    Ok(())
                }
            }
        }
    }

    /// Flushes every write to disk.
    ///
    /// # Errors
    /// [`StoreError::Sled`] on I/O failure.
    pub fn flush(&self) -> Result<(), StoreError> {
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
            .map(|v| decode("articles", &v))
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
            .map(|v| decode("revisions", &v.map_err(|e| self.err(e))?))
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
        let article_bytes = encode(a);
        let rev = w
            .revision
            .map(|r| (revision_key(&r.article, r.number), encode(r)));
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
        )
            .transaction(
                |(articles, revisions, routes_t, by_url, by_hash, by_time, by_feed_time)| {
                    articles.insert(a.id.0.as_bytes(), article_bytes.as_slice())?;
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
        result.map_err(|e| match e {
            sled::transaction::TransactionError::Storage(e) => self.err(e),
            sled::transaction::TransactionError::Abort(()) => StoreError::Corrupt {
                tree: "articles",
                message: "transaction aborted".into(),
            },
        })?;
        // The search index follows every revision (see `store::search`).
        self.index_article(w.previous, a)
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
