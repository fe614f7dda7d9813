//! The search index: an inverted index kept in the store, in its own sled tree.
//!
//! | tree | key | value |
//! |---|---|---|
//! | `search` | folded token + `0x00` + sortable ms (published, else first seen) + id | empty |
//!
//! Each token's postings are therefore sorted by the same time as `by_time`, so a search
//! walks every term's postings newest first and intersects them by seeking (leapfrog join):
//! a query for 50 results touches about 50 postings per term, whatever the store size.
//!
//! The index is written after the article's transaction ([`Store::write`] calls
//! [`Store::index_article`]); a crash in between leaves at most one article unindexed or
//! stale, which `feedkeeper reindex` repairs. Why an index in the store rather than a search
//! library: see `bench/query.md`.

use super::{Store, StoreError, decode, sort_time, sortable_ms};
use crate::model::{Article, ArticleId};
use chrono::{DateTime, Utc};

const TREE: &str = "search";

fn posting_prefix(token: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(token.len() + 1 + 8 + ArticleId::LEN);
    k.extend_from_slice(token.as_bytes());
    k.push(0);
    k
}

/// The position of an article in time order: sortable ms + id (the suffix of index keys).
pub type Position = Vec<u8>;

/// The position of an article in newest-first order, as used by postings and cursors.
pub fn position(t: DateTime<Utc>, id: &ArticleId) -> Position {
    let mut k = sortable_ms(t).to_vec();
    k.extend_from_slice(id.0.as_bytes());
    k
}

/// Splits a position back into time and id.
pub fn split_position(p: &[u8]) -> Option<(DateTime<Utc>, ArticleId)> {
    let t = super::from_sortable_ms(p)?;
    let id = std::str::from_utf8(p.get(8..)?).ok()?;
    Some((t, ArticleId(id.to_string())))
}

fn postings(a: &Article) -> Vec<Vec<u8>> {
    let pos = position(sort_time(a), &a.id);
    // Tags are searchable too: a story tagged الأردن is found by --search الاردن.
    crate::search::index_tokens(&a.title, &format!("{}\n{}", a.tags.join("\n"), a.text))
        .into_iter()
        .map(|t| {
            let mut k = posting_prefix(&t);
            k.extend_from_slice(&pos);
            k
        })
        .collect()
}

impl Store {
    fn search_tree(&self) -> Result<sled::Tree, StoreError> {
        self.db.open_tree(TREE).map_err(|e| self.err(e))
    }

    /// Updates the search index for one article write: removes the postings of `previous`
    /// (the article as stored before), adds those of `article`.
    ///
    /// # Errors
    /// On I/O failure.
    pub fn index_article(
        &self,
        previous: Option<&Article>,
        article: &Article,
    ) -> Result<(), StoreError> {
        let tree = self.search_tree()?;
        let new = postings(article);
        let mut batch = sled::Batch::default();
        if let Some(p) = previous {
            let old = postings(p);
            for k in old.iter().filter(|k| !new.contains(k)) {
                batch.remove(k.as_slice());
            }
        }
        for k in &new {
            batch.insert(k.as_slice(), &[] as &[u8]);
        }
        tree.apply_batch(batch).map_err(|e| self.err(e))
    }

    /// Drops and rebuilds the search index from every stored article; returns the number of
    /// articles indexed.
    ///
    /// # Errors
    /// On I/O failure or a corrupt article.
    pub fn reindex(&self) -> Result<usize, StoreError> {
        let tree = self.search_tree()?;
        tree.clear().map_err(|e| self.err(e))?;
        let mut n = 0;
        let mut batch = sled::Batch::default();
        for v in self.articles.iter().values() {
            let a: Article = decode("articles", &v.map_err(|e| self.err(e))?)?;
            for k in postings(&a) {
                batch.insert(k, &[] as &[u8]);
            }
            n += 1;
            if n % 1000 == 0 {
                tree.apply_batch(std::mem::take(&mut batch))
                    .map_err(|e| self.err(e))?;
            }
        }
        tree.apply_batch(batch).map_err(|e| self.err(e))?;
        Ok(n)
    }

    /// The sort time of the oldest stored article (see [`sort_time`]).
    ///
    /// # Errors
    /// On I/O failure.
    pub fn oldest_time(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        Ok(self
            .by_time
            .first()
            .map_err(|e| self.err(e))?
            .and_then(|(k, _)| super::from_sortable_ms(&k)))
    }

    /// Number of postings in the search index.
    pub fn search_index_len(&self) -> Result<usize, StoreError> {
        Ok(self.search_tree()?.len())
    }

    /// Positions of articles containing every token, newest first, strictly before `before`
    /// (a [`Position`]) when given, and not older than `since`.
    ///
    /// # Errors
    /// Items are errors on I/O failure.
    pub fn search_positions<'a>(
        &'a self,
        tokens: &[String],
        before: Option<Position>,
        since: Option<DateTime<Utc>>,
    ) -> Result<SearchIter<'a>, StoreError> {
        Ok(SearchIter {
            store: self,
            tree: self.search_tree()?,
            prefixes: tokens.iter().map(|t| posting_prefix(t)).collect(),
            target: before,
            inclusive: false,
            floor: since.map(|s| sortable_ms(s).to_vec()),
            done: tokens.is_empty(),
        })
    }
}

/// Iterator of [`Store::search_positions`]: a leapfrog intersection of posting lists.
pub struct SearchIter<'a> {
    store: &'a Store,
    tree: sled::Tree,
    prefixes: Vec<Vec<u8>>,
    /// Upper bound of the next answer (exclusive unless `inclusive`); `None` = unbounded.
    target: Option<Position>,
    inclusive: bool,
    floor: Option<Vec<u8>>,
    done: bool,
}

impl SearchIter<'_> {
    /// The greatest posting suffix of `prefix` at or below the current target.
    fn seek(&self, prefix: &[u8]) -> Result<Option<Position>, StoreError> {
        let lo = prefix.to_vec();
        let found = match &self.target {
            None => {
                let mut hi = prefix.to_vec();
                hi.extend_from_slice(&[0xff; 9]);
                self.tree.range(lo..hi).next_back()
            }
            Some(t) => {
                let mut hi = prefix.to_vec();
                hi.extend_from_slice(t);
                if self.inclusive {
                    self.tree.range(lo..=hi).next_back()
                } else {
                    self.tree.range(lo..hi).next_back()
                }
            }
        };
        match found {
            None => Ok(None),
            Some(Err(e)) => Err(self.store.err(e)),
            Some(Ok((k, _))) => Ok(Some(k[prefix.len()..].to_vec())),
        }
    }

    fn step(&mut self) -> Result<Option<Position>, StoreError> {
        let mut agreed = 0;
        let mut i = 0;
        let n = self.prefixes.len();
        loop {
            let Some(found) = self.seek(&self.prefixes[i].clone())? else {
                return Ok(None);
            };
            if let Some(f) = &self.floor {
                if found.as_slice() < f.as_slice() {
                    return Ok(None);
                }
            }
            if self.inclusive && self.target.as_deref() == Some(found.as_slice()) {
                agreed += 1;
            } else {
                self.target = Some(found);
                self.inclusive = true;
                agreed = 1;
            }
            if agreed == n {
                // Every list holds the target: emit it and continue strictly below.
                self.inclusive = false;
                return Ok(self.target.clone());
            }
            i = (i + 1) % n;
        }
    }
}

impl Iterator for SearchIter<'_> {
    type Item = Result<(DateTime<Utc>, ArticleId), StoreError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        match self.step() {
            Ok(Some(p)) => match split_position(&p) {
                Some(x) => Some(Ok(x)),
                None => {
                    self.done = true;
                    Some(Err(StoreError::Corrupt {
                        tree: TREE,
                        message: "short posting key".into(),
                    }))
                }
            },
            Ok(None) => {
                self.done = true;
                None
            }
            Err(e) => {
                self.done = true;
                Some(Err(e))
            }
        }
    }
}
