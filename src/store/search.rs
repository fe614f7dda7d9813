//! The search index: a [tantivy] index in the store directory (`<store>/search/`), one
//! document per article.
//!
//! | field | kind | content |
//! |---|---|---|
//! | `id` | string, stored | article id |
//! | `t` | i64, indexed + fast | sort time (published, else first seen), ms since the epoch UTC |
//! | `tok` | text, whitespace-tokenised, doc ids only | the article's distinct folded tokens (title, tags, text; see [`crate::search::index_tokens`]) |
//!
//! A search is a conjunction of term queries ordered by `t`, newest first, fetched in pages;
//! within one millisecond ties are ordered by id, so a result [`Position`] (sortable ms + id)
//! orders exactly like the `by_time` tree and cursors work the same with and without search.
//!
//! Why tantivy and not postings in sled (the schema v2 design): one sled key per (token,
//! article) meant ~500 keys per real article. On the 1,000-feed farm (`bench/farm.sh`) the
//! cold run spent most of its 511 CPU-seconds inserting 10 M postings into sled and left a
//! 3.8 GB store, and sled's open time grows with its key count (70 ms for 1.3 M postings of
//! 20,000 small articles). A tantivy segment stores the same postings as compressed blocks,
//! is written once per commit, and opens by `mmap` in milliseconds. Figures: `bench/query.md`.
//!
//! Consistency with sled: [`Store::write`] records the article id in the `search_pending`
//! tree inside the article's transaction; the id leaves that tree only after a tantivy commit
//! that covers it. Opening a store re-indexes every id still pending (a crash between the two
//! commits), and a search re-checks every hit against the stored article (`query::passes`),
//! so a stale or orphaned document can never produce a wrong result.

use super::{Store, StoreError, sort_time, sortable_ms};
use crate::model::{Article, ArticleId};
use chrono::{DateTime, Utc};
use std::collections::VecDeque;
use std::ops::Bound;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};
use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, Occur, Query, RangeQuery, TermQuery};
use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing,
    TextOptions, Value,
};
use tantivy::tokenizer::{TextAnalyzer, WhitespaceTokenizer};
use tantivy::{
    DocAddress, Index, IndexReader, IndexWriter, Order, ReloadPolicy, TantivyDocument, Term,
};

/// Directory of the index inside the store directory.
pub const DIR: &str = "search";

/// Indexing memory budget of the writer, bytes (tantivy's minimum is 15 MB per thread).
const WRITER_BYTES: usize = 20_000_000;

/// Commits closer together than this are deferred unless [`COMMIT_DOCS`] are waiting
/// (a commit writes a segment and fsyncs; the pipeline flushes after every feed poll).
const COMMIT_EVERY: Duration = Duration::from_secs(2);

/// Uncommitted documents that force a commit at the next flush.
const COMMIT_DOCS: usize = 2_000;

/// The analyzer name registered for `tok`.
const TOKENIZER: &str = "feedkeeper_ws";

/// The position of an article in time order: sortable ms + id (the order of `by_time` keys).
pub type Position = Vec<u8>;

/// The position of an article in newest-first order, as used by results and cursors.
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

struct Fields {
    id: Field,
    t: Field,
    tok: Field,
}

fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let id = b.add_text_field("id", STRING | STORED);
    let t = b.add_i64_field("t", INDEXED | FAST);
    let tok = b.add_text_field(
        "tok",
        TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(TOKENIZER)
                .set_index_option(IndexRecordOption::Basic),
        ),
    );
    (b.build(), Fields { id, t, tok })
}

struct WriterState {
    writer: Option<IndexWriter>,
    /// Ids indexed (or deleted) since the last commit.
    uncommitted: Vec<ArticleId>,
    last_commit: Instant,
}

/// The open search index of a store. Shared by every clone of the [`Store`]; the writer is
/// created on the first write and commits on drop.
pub(crate) struct SearchIndex {
    dir: PathBuf,
    index: Index,
    reader: IndexReader,
    fields: Fields,
    state: Mutex<WriterState>,
    /// The store's `search_pending` tree: ids written to sled and not yet committed here.
    pending: sled::Tree,
}

fn search_err(dir: &Path, e: impl std::fmt::Display) -> StoreError {
    StoreError::Search {
        path: dir.display().to_string(),
        message: e.to_string(),
    }
}

impl SearchIndex {
    /// Opens the index in `dir`, creating it when missing. Returns whether it was created
    /// (the caller then fills it from the articles).
    pub(crate) fn open(dir: &Path, pending: sled::Tree) -> Result<(SearchIndex, bool), StoreError> {
        let (schema, fields) = schema();
        let existed = dir.join("meta.json").exists();
        if !existed {
            std::fs::create_dir_all(dir).map_err(|e| search_err(dir, e))?;
        }
        let open = || -> tantivy::Result<Index> {
            let mmap = tantivy::directory::MmapDirectory::open(dir)?;
            Index::open_or_create(mmap, schema.clone())
        };
        let (index, created) = match open() {
            Ok(i) => (i, !existed),
            Err(e) => {
                // A damaged or foreign index is only a cache of the articles: rebuild it.
                tracing::warn!(path = %dir.display(), error = %e, "search index unreadable; rebuilding it");
                std::fs::remove_dir_all(dir).map_err(|e| search_err(dir, e))?;
                std::fs::create_dir_all(dir).map_err(|e| search_err(dir, e))?;
                (open().map_err(|e| search_err(dir, e))?, true)
            }
        };
        index.tokenizers().register(
            TOKENIZER,
            TextAnalyzer::from(WhitespaceTokenizer::default()),
        );
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()
            .map_err(|e| search_err(dir, e))?;
        Ok((
            SearchIndex {
                dir: dir.to_path_buf(),
                index,
                reader,
                fields,
                state: Mutex::new(WriterState {
                    writer: None,
                    uncommitted: Vec::new(),
                    last_commit: Instant::now(),
                }),
                pending,
            },
            created,
        ))
    }

    fn err(&self, e: impl std::fmt::Display) -> StoreError {
        search_err(&self.dir, e)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, WriterState> {
        // A panic while holding the lock leaves plain data behind; keep using it.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn with_writer<R>(
        &self,
        f: impl FnOnce(&IndexWriter, &mut Vec<ArticleId>) -> tantivy::Result<R>,
    ) -> Result<R, StoreError> {
        let mut st = self.lock();
        if st.writer.is_none() {
            let w = self
                .index
                .writer_with_num_threads(1, WRITER_BYTES)
                .map_err(|e| self.err(e))?;
            st.writer = Some(w);
        }
        let WriterState {
            writer,
            uncommitted,
            ..
        } = &mut *st;
        match writer {
            Some(w) => f(w, uncommitted).map_err(|e| self.err(e)),
            None => Err(self.err("no index writer")),
        }
    }

    /// Replaces the document of `a` (deletes any older one, adds the current one).
    fn put(&self, a: &Article) -> Result<(), StoreError> {
        let f = &self.fields;
        let mut text = String::new();
        for t in
            crate::search::index_tokens(&a.title, &format!("{}\n{}", a.tags.join("\n"), a.text))
        {
            text.push_str(&t);
            text.push(' ');
        }
        let mut doc = TantivyDocument::default();
        doc.add_text(f.id, &a.id.0);
        doc.add_i64(f.t, sort_time(a).timestamp_millis());
        doc.add_text(f.tok, &text);
        self.with_writer(|w, pending| {
            w.delete_term(Term::from_field_text(f.id, &a.id.0));
            w.add_document(doc)?;
            pending.push(a.id.clone());
            Ok(())
        })
    }

    /// Deletes the document of `id`.
    fn delete(&self, id: &ArticleId) -> Result<(), StoreError> {
        let f = self.fields.id;
        self.with_writer(|w, pending| {
            w.delete_term(Term::from_field_text(f, &id.0));
            pending.push(id.clone());
            Ok(())
        })
    }

    /// Commits when documents are waiting and `force`, or the last commit is old enough, or
    /// many are waiting; then clears the committed ids from `search_pending`.
    fn commit(&self, force: bool) -> Result<(), StoreError> {
        let mut st = self.lock();
        if st.uncommitted.is_empty() {
            return Ok(());
        }
        if !force && st.last_commit.elapsed() < COMMIT_EVERY && st.uncommitted.len() < COMMIT_DOCS {
            return Ok(());
        }
        Self::commit_locked(&self.dir, &self.pending, &mut st)?;
        drop(st);
        self.reader.reload().map_err(|e| self.err(e))
    }

    fn commit_locked(
        dir: &Path,
        pending: &sled::Tree,
        st: &mut WriterState,
    ) -> Result<(), StoreError> {
        if let Some(w) = st.writer.as_mut() {
            w.commit().map_err(|e| search_err(dir, e))?;
        }
        st.last_commit = Instant::now();
        let mut batch = sled::Batch::default();
        for id in st.uncommitted.drain(..) {
            batch.remove(id.0.as_bytes());
        }
        pending.apply_batch(batch).map_err(|e| search_err(dir, e))
    }

    fn num_docs(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    /// Deletes every document (for a rebuild).
    fn clear(&self) -> Result<(), StoreError> {
        self.with_writer(|w, _| w.delete_all_documents().map(|_| ()))
    }

    /// Up to `limit` hits of `terms` with `floor_ms <= t <= ceil_ms`, newest first:
    /// (t in ms, article id).
    fn page(
        &self,
        terms: &[String],
        floor_ms: Option<i64>,
        ceil_ms: Option<i64>,
        limit: usize,
    ) -> Result<Vec<(i64, String)>, StoreError> {
        let f = &self.fields;
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = terms
            .iter()
            .map(|t| {
                let q: Box<dyn Query> = Box::new(TermQuery::new(
                    Term::from_field_text(f.tok, t),
                    IndexRecordOption::Basic,
                ));
                (Occur::Must, q)
            })
            .collect();
        if floor_ms.is_some() || ceil_ms.is_some() {
            let bound = |v: Option<i64>| match v {
                Some(ms) => Bound::Included(Term::from_field_i64(f.t, ms)),
                None => Bound::Unbounded,
            };
            clauses.push((
                Occur::Must,
                Box::new(RangeQuery::new(bound(floor_ms), bound(ceil_ms))),
            ));
        }
        let query = BooleanQuery::new(clauses);
        let searcher = self.reader.searcher();
        let hits: Vec<(i64, DocAddress)> = searcher
            .search(
                &query,
                &TopDocs::with_limit(limit).order_by_fast_field::<i64>("t", Order::Desc),
            )
            .map_err(|e| self.err(e))?;
        let mut out = Vec::with_capacity(hits.len());
        for (t, addr) in hits {
            let doc: TantivyDocument = searcher.doc(addr).map_err(|e| self.err(e))?;
            if let Some(id) = doc.get_first(f.id).and_then(|v| v.as_str()) {
                out.push((t, id.to_string()));
            }
        }
        Ok(out)
    }
}

impl Drop for SearchIndex {
    fn drop(&mut self) {
        let st = self.state.get_mut().unwrap_or_else(|p| p.into_inner());
        if st.uncommitted.is_empty() {
            return;
        }
        // On failure the ids stay in `search_pending` and are re-indexed at the next open.
        let done = Self::commit_locked(&self.dir, &self.pending, st)
            .and_then(|()| self.pending.flush().map_err(|e| search_err(&self.dir, e)));
        if let Err(e) = done {
            tracing::warn!(path = %self.dir.display(), error = %e, "search index commit failed");
        }
    }
}

impl Store {
    /// Indexes (or re-indexes) `article` for search; called by [`Store::write`] after the
    /// article's transaction, which recorded the id in `search_pending`.
    ///
    /// # Errors
    /// On an index failure.
    pub fn index_article(&self, article: &Article) -> Result<(), StoreError> {
        self.search.put(article)
    }

    /// Removes an article from the search index (garbage collection).
    pub(crate) fn unindex_article(&self, id: &ArticleId) -> Result<(), StoreError> {
        self.search.delete(id)
    }

    /// Commits the search index (when due, or always with `force`) and clears the committed
    /// ids from `search_pending`.
    pub(crate) fn commit_search(&self, force: bool) -> Result<(), StoreError> {
        self.search.commit(force)
    }

    /// Re-indexes the ids left in `search_pending` by an interrupted run (see the module doc).
    pub(crate) fn repair_search(&self) -> Result<usize, StoreError> {
        let mut n = 0;
        for k in self.search_pending.iter().keys() {
            let k = k.map_err(|e| self.err(e))?;
            let id = ArticleId(String::from_utf8_lossy(&k).into_owned());
            match self.article(&id)? {
                Some(a) => self.search.put(&a)?,
                None => self.search.delete(&id)?,
            }
            n += 1;
        }
        if n > 0 {
            tracing::info!(path = %self.path, articles = n, "search index: re-indexed articles of an interrupted run");
            self.commit_search(true)?;
        }
        Ok(n)
    }

    /// Drops and rebuilds the search index from every stored article; returns the number of
    /// articles indexed.
    ///
    /// # Errors
    /// On I/O failure or a corrupt article.
    pub fn reindex(&self) -> Result<usize, StoreError> {
        self.search.clear()?;
        let mut n = 0;
        for v in self.articles.iter().values() {
            let a: Article = self.decode_article(&v.map_err(|e| self.err(e))?)?;
            self.search.put(&a)?;
            n += 1;
        }
        // Everything is indexed now, including what an interrupted run left pending.
        let stale: Vec<sled::IVec> = self
            .search_pending
            .iter()
            .keys()
            .collect::<Result<_, _>>()
            .map_err(|e| self.err(e))?;
        self.commit_search(true)?;
        let mut batch = sled::Batch::default();
        for k in stale {
            batch.remove(k);
        }
        self.search_pending
            .apply_batch(batch)
            .map_err(|e| self.err(e))?;
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

    /// Number of documents (articles) in the search index, as of its last commit.
    ///
    /// # Errors
    /// Never today; kept fallible for index backends that read from disk.
    pub fn search_index_len(&self) -> Result<usize, StoreError> {
        Ok(usize::try_from(self.search.num_docs()).unwrap_or(usize::MAX))
    }

    /// Positions of articles whose indexed tokens include every one of `tokens`, newest
    /// first, strictly before `before` (a [`Position`]) when given, and not older than
    /// `since`. Documents written by this process and not yet committed are committed first.
    ///
    /// # Errors
    /// On an index failure (items are errors on later failures).
    pub fn search_positions<'a>(
        &'a self,
        tokens: &[String],
        before: Option<Position>,
        since: Option<DateTime<Utc>>,
    ) -> Result<SearchIter<'a>, StoreError> {
        self.commit_search(true)?;
        Ok(SearchIter {
            store: self,
            terms: tokens.to_vec(),
            bound: before,
            floor_ms: since.map(|s| s.timestamp_millis()),
            buf: VecDeque::new(),
            page: 64,
            exhausted: tokens.is_empty(),
        })
    }
}

/// Iterator of [`Store::search_positions`]: pages of index hits, newest first.
pub struct SearchIter<'a> {
    store: &'a Store,
    terms: Vec<String>,
    /// Exclusive upper bound of the next answer; `None` = unbounded.
    bound: Option<Position>,
    floor_ms: Option<i64>,
    buf: VecDeque<Position>,
    page: usize,
    exhausted: bool,
}

impl SearchIter<'_> {
    /// Fetches the next page of hits below `bound` into `buf`.
    fn fill(&mut self) -> Result<(), StoreError> {
        let ceil_ms = self
            .bound
            .as_deref()
            .and_then(super::from_sortable_ms)
            .map(|t| t.timestamp_millis());
        loop {
            let hits = self
                .store
                .search
                .page(&self.terms, self.floor_ms, ceil_ms, self.page)?;
            let full = hits.len() == self.page;
            let mut ps: Vec<(i64, Position)> = hits
                .into_iter()
                .filter_map(|(t, id)| {
                    let when = DateTime::from_timestamp_millis(t)?;
                    Some((t, position(when, &ArticleId(id))))
                })
                .filter(|(_, p)| self.bound.as_ref().is_none_or(|b| p < b))
                .collect();
            ps.sort_by(|a, b| b.1.cmp(&a.1));
            if full {
                // The page may hold only some of the hits of its oldest millisecond: keep the
                // newer ones; the next page starts at that millisecond again.
                let Some(&(oldest, _)) = ps.last() else {
                    self.page *= 4;
                    continue;
                };
                if ps.iter().all(|(t, _)| *t == oldest) {
                    self.page *= 4;
                    continue;
                }
                ps.retain(|(t, _)| *t > oldest);
                self.page = (self.page * 2).min(4096);
            } else {
                self.exhausted = true;
            }
            if let Some((_, p)) = ps.last() {
                self.bound = Some(p.clone());
            }
            self.buf.extend(ps.into_iter().map(|(_, p)| p));
            return Ok(());
        }
    }
}

impl Iterator for SearchIter<'_> {
    type Item = Result<(DateTime<Utc>, ArticleId), StoreError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(p) = self.buf.pop_front() {
                return Some(split_position(&p).ok_or(StoreError::Corrupt {
                    tree: "search",
                    message: "bad position".into(),
                }));
            }
            if self.exhausted {
                return None;
            }
            if let Err(e) = self.fill() {
                self.exhausted = true;
                return Some(Err(e));
            }
        }
    }
}
