//! The search index: a [tantivy] index in the store directory (`<store>/search/`), one
//! document per article.
//!
//! | field | kind | content |
//! |---|---|---|
//! | `id` | string, stored | article id |
//! | `t` | i64, indexed + fast | sort time (published, else first seen), ms since the epoch UTC |
//! | `tok` | text, doc ids only | title, tags and text, folded and tokenised by [`crate::search::index_text`], split at spaces by tantivy |
//! | `feed` | string, multi-valued | every feed the article was seen in |
//! | `meta` | bytes, stored | the article's `articles` value (metadata + body reference) |
//!
//! With `meta` the index alone answers `query` and `export` on a store no process holds
//! ([`ReadView`]): it opens by `mmap` in a few milliseconds, while sled rebuilds its page
//! table from disk on every open (20–30 ms for 20,000 articles, growing with the store).
//! A marker file, `search/.uncommitted`, exists while documents wait for a commit; a
//! [`ReadView`] refuses a store with the marker (a crashed writer) or a locked store (a
//! running daemon), and the CLI then opens sled (which repairs) or asks the daemon.
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

use super::bodies::BodyLog;
use super::{Store, StoreError, TimeIter, sort_time, sortable_ms};
use crate::model::{Article, ArticleId};
use chrono::{DateTime, Utc};
use std::collections::{HashMap, VecDeque};
use std::ops::Bound;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tantivy::collector::TopDocs;
use tantivy::query::{AllQuery, BooleanQuery, Occur, Query, RangeQuery, TermQuery};
use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing,
    TextOptions, Value,
};
use tantivy::tokenizer::{TextAnalyzer, Token, TokenStream, Tokenizer};
use tantivy::{
    DocAddress, Index, IndexReader, IndexWriter, Order, ReloadPolicy, TantivyDocument, Term,
};

/// Directory of the index inside the store directory.
pub const DIR: &str = "search";

/// Indexing memory budget of the writer, bytes (tantivy's minimum is 15 MB per thread).
const WRITER_BYTES: usize = 20_000_000;

/// Commits closer together than this are deferred unless [`COMMIT_DOCS`] are waiting
/// (a commit writes a segment and fsyncs, and every segment is merged again later: with a
/// commit every 2 s, merging took 14% of a cold 1,000-feed run's CPU). The daemon commits at
/// the end of every poll cycle and `run --once` at its end ([`Store::sync`]).
const COMMIT_EVERY: Duration = Duration::from_secs(15);

/// Uncommitted documents that force a commit at the next flush: a commit waits for
/// tantivy's indexing thread, which bounds its queue of documents (each holds a body's index
/// text). Folding runs before the queue now, so the thread keeps up and the queue stays short.
const COMMIT_DOCS: usize = 5_000;

/// The analyzer name registered for `tok`.
const TOKENIZER: &str = "feedkeeper_fold";

/// The tokenizer of `tok`: splits at spaces. The text given to `tok` is already folded and
/// tokenised ([`crate::search::index_text`]), mostly with the extraction, off the ingest
/// lock (see [`crate::dedup::TextPrint`]). The registered name ([`TOKENIZER`]) is kept from
/// when this tokenizer folded on tantivy's thread: the tokens, and so the index, are the same.
#[derive(Clone, Default)]
struct SpaceTokenizer;

/// Token stream of [`SpaceTokenizer`].
struct SpaceStream<'a> {
    text: &'a str,
    pos: usize,
    token: Token,
}

impl Tokenizer for SpaceTokenizer {
    type TokenStream<'a> = SpaceStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> SpaceStream<'a> {
        SpaceStream {
            text,
            pos: 0,
            token: Token::default(),
        }
    }
}

impl TokenStream for SpaceStream<'_> {
    fn advance(&mut self) -> bool {
        let rest = &self.text[self.pos..];
        let start = self.pos + (rest.len() - rest.trim_start_matches(' ').len());
        let end = self.text[start..]
            .find(' ')
            .map_or(self.text.len(), |i| start + i);
        if start >= end {
            self.pos = self.text.len();
            return false;
        }
        self.token.text.clear();
        self.token.text.push_str(&self.text[start..end]);
        self.token.offset_from = start;
        self.token.offset_to = end;
        self.token.position = self.token.position.wrapping_add(1);
        self.token.position_length = 1;
        self.pos = end;
        true
    }

    fn token(&self) -> &Token {
        &self.token
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.token
    }
}

/// Exists while documents wait for a commit (see the module doc).
const MARKER: &str = ".uncommitted";

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
    feed: Field,
    meta: Field,
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
    let feed = b.add_text_field("feed", STRING);
    let meta = b.add_bytes_field("meta", STORED);
    (
        b.build(),
        Fields {
            id,
            t,
            tok,
            feed,
            meta,
        },
    )
}

fn search_err(dir: &Path, e: impl std::fmt::Display) -> StoreError {
    StoreError::Search {
        path: dir.display().to_string(),
        message: e.to_string(),
    }
}

/// One hit: sort time (ms), article id, the stored `articles` value.
type Hit = (i64, String, Vec<u8>);

/// Read access to an index: what both the store and a [`ReadView`] search with.
pub(crate) struct IndexRead {
    dir: PathBuf,
    index: Index,
    reader: IndexReader,
    fields: Fields,
}

impl IndexRead {
    /// Opens the index in `dir` (creating an empty one when `create` and it is missing).
    fn open(dir: &Path, create: bool) -> tantivy::Result<IndexRead> {
        let (schema, fields) = schema();
        let mmap = tantivy::directory::MmapDirectory::open(dir)?;
        let index = if create {
            Index::open_or_create(mmap, schema)?
        } else {
            let index = Index::open(mmap)?;
            if index.schema() != schema {
                return Err(tantivy::TantivyError::SchemaError(
                    "index of another layout".into(),
                ));
            }
            index
        };
        index
            .tokenizers()
            .register(TOKENIZER, TextAnalyzer::from(SpaceTokenizer));
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        Ok(IndexRead {
            dir: dir.to_path_buf(),
            index,
            reader,
            fields,
        })
    }

    fn err(&self, e: impl std::fmt::Display) -> StoreError {
        search_err(&self.dir, e)
    }

    /// Up to `limit` hits of `terms` (and `feed`) with `floor_ms <= t <= ceil_ms`, newest
    /// first.
    fn page(
        &self,
        terms: &[String],
        feed: Option<&str>,
        floor_ms: Option<i64>,
        ceil_ms: Option<i64>,
        limit: usize,
    ) -> Result<Vec<Hit>, StoreError> {
        let f = &self.fields;
        let term = |t: Term| -> (Occur, Box<dyn Query>) {
            (
                Occur::Must,
                Box::new(TermQuery::new(t, IndexRecordOption::Basic)),
            )
        };
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = terms
            .iter()
            .map(|t| term(Term::from_field_text(f.tok, t)))
            .collect();
        if let Some(name) = feed {
            clauses.push(term(Term::from_field_text(f.feed, name)));
        }
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
        let query: Box<dyn Query> = if clauses.is_empty() {
            Box::new(AllQuery)
        } else {
            Box::new(BooleanQuery::new(clauses))
        };
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
            let id = doc.get_first(f.id).and_then(|v| v.as_str());
            let meta = doc.get_first(f.meta).and_then(|v| v.as_bytes());
            if let (Some(id), Some(meta)) = (id, meta) {
                out.push((t, id.to_string(), meta.to_vec()));
            }
        }
        Ok(out)
    }

    /// The stored `articles` value of `id`.
    fn meta_of(&self, id: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let f = &self.fields;
        let q = TermQuery::new(Term::from_field_text(f.id, id), IndexRecordOption::Basic);
        let searcher = self.reader.searcher();
        let hits = searcher
            .search(&q, &TopDocs::with_limit(1))
            .map_err(|e| self.err(e))?;
        let Some((_, addr)) = hits.first() else {
            return Ok(None);
        };
        let doc: TantivyDocument = searcher.doc(*addr).map_err(|e| self.err(e))?;
        Ok(doc
            .get_first(f.meta)
            .and_then(|v| v.as_bytes())
            .map(<[u8]>::to_vec))
    }

    fn num_docs(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    /// Hits newest first (see [`HitIter`]).
    fn hits<'a>(
        &'a self,
        terms: Vec<String>,
        feed: Option<String>,
        before: Option<Position>,
        since: Option<DateTime<Utc>>,
        cache: Option<&'a Mutex<HashMap<String, Vec<u8>>>>,
    ) -> HitIter<'a> {
        HitIter {
            index: self,
            terms,
            feed,
            bound: before,
            floor_ms: since.map(|s| s.timestamp_millis()),
            buf: VecDeque::new(),
            page: 64,
            exhausted: false,
            cache,
        }
    }
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
    read: IndexRead,
    state: Mutex<WriterState>,
    /// The store's `search_pending` tree: ids written to sled and not yet committed here.
    pending: sled::Tree,
    /// The store's body log, synced (with sled) before every commit.
    bodies: Arc<BodyLog>,
}

impl SearchIndex {
    /// Opens the index in `dir`, creating it when missing. Returns whether it was created
    /// (the caller then fills it from the articles).
    pub(crate) fn open(
        dir: &Path,
        pending: sled::Tree,
        bodies: Arc<BodyLog>,
    ) -> Result<(SearchIndex, bool), StoreError> {
        let existed = dir.join("meta.json").exists();
        if !existed {
            std::fs::create_dir_all(dir).map_err(|e| search_err(dir, e))?;
        }
        let opened = if existed {
            IndexRead::open(dir, false)
        } else {
            IndexRead::open(dir, true)
        };
        let (read, created) = match opened {
            Ok(r) => (r, !existed),
            Err(e) => {
                // A damaged index, or one of another layout, is only a copy of the
                // articles: rebuild it.
                tracing::warn!(path = %dir.display(), error = %e, "search index unreadable; rebuilding it");
                std::fs::remove_dir_all(dir).map_err(|e| search_err(dir, e))?;
                std::fs::create_dir_all(dir).map_err(|e| search_err(dir, e))?;
                (
                    IndexRead::open(dir, true).map_err(|e| search_err(dir, e))?,
                    true,
                )
            }
        };
        Ok((
            SearchIndex {
                read,
                state: Mutex::new(WriterState {
                    writer: None,
                    uncommitted: Vec::new(),
                    last_commit: Instant::now(),
                }),
                pending,
                bodies,
            },
            created,
        ))
    }

    fn err(&self, e: impl std::fmt::Display) -> StoreError {
        self.read.err(e)
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
                .read
                .index
                .writer_with_num_threads(1, WRITER_BYTES)
                .map_err(|e| self.err(e))?;
            st.writer = Some(w);
        }
        if st.uncommitted.is_empty() {
            std::fs::write(self.read.dir.join(MARKER), b"").map_err(|e| self.err(e))?;
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

    /// Replaces the document of `a` (deletes any older one, adds the current one); `meta`
    /// is its `articles` value; `body_index` is the distinct tokens of `a.text`
    /// ([`crate::dedup::TextPrint::index_text`]) when the caller has them (computed here
    /// otherwise).
    fn put(&self, a: &Article, meta: &[u8], body_index: Option<&str>) -> Result<(), StoreError> {
        let f = &self.read.fields;
        let mut text = crate::search::index_text(&a.title);
        for t in &a.tags {
            text.push_str(&crate::search::index_text(t));
        }
        match body_index {
            Some(b) => text.push_str(b),
            None => text.push_str(&crate::search::unique_tokens(&crate::search::index_text(
                &a.text,
            ))),
        }
        let mut doc = TantivyDocument::default();
        doc.add_text(f.id, &a.id.0);
        doc.add_i64(f.t, sort_time(a).timestamp_millis());
        doc.add_text(f.tok, &text);
        for feed in super::feeds_of(a) {
            doc.add_text(f.feed, feed);
        }
        doc.add_bytes(f.meta, meta);
        self.with_writer(|w, pending| {
            w.delete_term(Term::from_field_text(f.id, &a.id.0));
            w.add_document(doc)?;
            pending.push(a.id.clone());
            Ok(())
        })
    }

    /// Deletes the document of `id`.
    fn delete(&self, id: &ArticleId) -> Result<(), StoreError> {
        let f = self.read.fields.id;
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
        Self::commit_locked(&self.read.dir, &self.pending, &self.bodies, &mut st)?;
        drop(st);
        self.read.reader.reload().map_err(|e| self.err(e))
    }

    fn commit_locked(
        dir: &Path,
        pending: &sled::Tree,
        bodies: &BodyLog,
        st: &mut WriterState,
    ) -> Result<(), StoreError> {
        // What the index is about to name must be durable first: bodies, then sled.
        bodies.sync().map_err(|e| search_err(dir, e))?;
        pending.flush().map_err(|e| search_err(dir, e))?;
        if let Some(w) = st.writer.as_mut() {
            w.commit().map_err(|e| search_err(dir, e))?;
        }
        st.last_commit = Instant::now();
        let mut batch = sled::Batch::default();
        for id in st.uncommitted.drain(..) {
            batch.remove(id.0.as_bytes());
        }
        pending.apply_batch(batch).map_err(|e| search_err(dir, e))?;
        match std::fs::remove_file(dir.join(MARKER)) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(search_err(dir, e)),
            _ => Ok(()),
        }
    }

    fn num_docs(&self) -> u64 {
        self.read.num_docs()
    }

    /// Deletes every document (for a rebuild).
    fn clear(&self) -> Result<(), StoreError> {
        self.with_writer(|w, _| w.delete_all_documents().map(|_| ()))
    }
}

impl Drop for SearchIndex {
    fn drop(&mut self) {
        let st = self.state.get_mut().unwrap_or_else(|p| p.into_inner());
        if st.uncommitted.is_empty() {
            return;
        }
        // On failure the ids stay in `search_pending` and are re-indexed at the next open.
        let dir = &self.read.dir;
        let done = Self::commit_locked(dir, &self.pending, &self.bodies, st)
            .and_then(|()| self.pending.flush().map_err(|e| search_err(dir, e)));
        if let Err(e) = done {
            tracing::warn!(path = %dir.display(), error = %e, "search index commit failed");
        }
    }
}

impl Store {
    /// Indexes (or re-indexes) `article`, whose `articles` value is `meta`; called by
    /// [`Store::write`] after the article's transaction, which recorded the id in
    /// `search_pending`.
    pub(crate) fn index_article(
        &self,
        article: &Article,
        meta: &[u8],
        body_index: Option<&str>,
    ) -> Result<(), StoreError> {
        self.search.put(article, meta, body_index)
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

    /// (Re-)indexes the stored article `id`, or drops its document when it is gone.
    fn index_stored(&self, id: &ArticleId) -> Result<(), StoreError> {
        match self
            .articles
            .get(id.0.as_bytes())
            .map_err(|e| self.err(e))?
        {
            Some(v) => {
                let a = self.decode_article(&v)?;
                self.search.put(&a, &v, None)
            }
            None => self.search.delete(id),
        }
    }

    /// Re-indexes the ids left in `search_pending` by an interrupted run (see the module doc).
    pub(crate) fn repair_search(&self) -> Result<usize, StoreError> {
        let ids: Vec<ArticleId> = self
            .search_pending
            .iter()
            .keys()
            .map(|k| k.map(|k| ArticleId(String::from_utf8_lossy(&k).into_owned())))
            .collect::<Result<_, _>>()
            .map_err(|e| self.err(e))?;
        for id in &ids {
            self.index_stored(id)?;
        }
        if !ids.is_empty() {
            tracing::info!(path = %self.path, articles = ids.len(), "search index: re-indexed articles of an interrupted run");
            self.commit_search(true)?;
        }
        // A marker left by a writer that died after its last commit: nothing is missing.
        if self.search.lock().uncommitted.is_empty() {
            let marker = self.search.read.dir.join(MARKER);
            if let Err(e) = std::fs::remove_file(&marker) {
                if e.kind() != std::io::ErrorKind::NotFound {
                    return Err(self.search.err(e));
                }
            }
        }
        Ok(ids.len())
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
            let v = v.map_err(|e| self.err(e))?;
            let a: Article = self.decode_article(&v)?;
            self.search.put(&a, &v, None)?;
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
    ) -> Result<HitIter<'a>, StoreError> {
        self.commit_search(true)?;
        let mut it = self
            .search
            .read
            .hits(tokens.to_vec(), None, before, since, None);
        it.exhausted = tokens.is_empty();
        Ok(it)
    }
}

/// Iterator of index hits, newest first, fetched in pages: `(sort time, article id)`.
pub struct HitIter<'a> {
    index: &'a IndexRead,
    terms: Vec<String>,
    feed: Option<String>,
    /// Exclusive upper bound of the next answer; `None` = unbounded.
    bound: Option<Position>,
    floor_ms: Option<i64>,
    buf: VecDeque<Position>,
    page: usize,
    exhausted: bool,
    /// Where a [`ReadView`] keeps the stored values of the hits, to answer `article` without
    /// a second lookup.
    cache: Option<&'a Mutex<HashMap<String, Vec<u8>>>>,
}

impl HitIter<'_> {
    /// Fetches the next page of hits below `bound` into `buf`.
    fn fill(&mut self) -> Result<(), StoreError> {
        let ceil_ms = self
            .bound
            .as_deref()
            .and_then(super::from_sortable_ms)
            .map(|t| t.timestamp_millis());
        loop {
            let hits = self.index.page(
                &self.terms,
                self.feed.as_deref(),
                self.floor_ms,
                ceil_ms,
                self.page,
            )?;
            let full = hits.len() == self.page;
            let mut ps: Vec<(i64, Position, Vec<u8>)> = hits
                .into_iter()
                .filter_map(|(t, id, meta)| {
                    let when = DateTime::from_timestamp_millis(t)?;
                    Some((t, position(when, &ArticleId(id)), meta))
                })
                .filter(|(_, p, _)| self.bound.as_ref().is_none_or(|b| p < b))
                .collect();
            ps.sort_by(|a, b| b.1.cmp(&a.1));
            if full {
                // The page may hold only some of the hits of its oldest millisecond: keep the
                // newer ones; the next page starts at that millisecond again.
                let Some(oldest) = ps.last().map(|x| x.0) else {
                    self.page *= 4;
                    continue;
                };
                if ps.iter().all(|x| x.0 == oldest) {
                    self.page *= 4;
                    continue;
                }
                ps.retain(|x| x.0 > oldest);
                self.page = (self.page * 2).min(4096);
            } else {
                self.exhausted = true;
            }
            if let Some((_, p, _)) = ps.last() {
                self.bound = Some(p.clone());
            }
            if let Some(cache) = self.cache {
                let mut c = cache.lock().unwrap_or_else(|p| p.into_inner());
                if c.len() > 20_000 {
                    c.clear();
                }
                for (_, p, meta) in &ps {
                    if let Some(id) = p.get(8..).and_then(|b| std::str::from_utf8(b).ok()) {
                        c.insert(id.to_string(), meta.clone());
                    }
                }
            }
            self.buf.extend(ps.into_iter().map(|(_, p, _)| p));
            return Ok(());
        }
    }
}

impl Iterator for HitIter<'_> {
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

/// Read-only access to a store's articles through its search index and body log, without
/// opening sled (see the module doc). Used by `query` and `export` when no process holds the
/// store.
pub struct ReadView {
    index: IndexRead,
    bodies: BodyLog,
    cache: Mutex<HashMap<String, Vec<u8>>>,
}

impl ReadView {
    /// Opens the view of the store at `path`, or `None` when the view cannot be trusted: no
    /// index, an index of another layout, documents left uncommitted by a crashed writer, or
    /// a process (the daemon) holding the store. The caller then opens the store itself.
    ///
    /// # Errors
    /// Never for the cases above; on an I/O error reading the index.
    pub fn open(path: &Path) -> Result<Option<ReadView>, StoreError> {
        let dir = path.join(DIR);
        let body_path = path.join(super::bodies::FILE);
        if !dir.join("meta.json").exists()
            || dir.join(MARKER).exists()
            || !body_path.exists()
            || held(&path.join("db"))
        {
            return Ok(None);
        }
        let Ok(index) = IndexRead::open(&dir, false) else {
            return Ok(None);
        };
        let bodies = BodyLog::open_read(&body_path).map_err(|message| StoreError::Body {
            path: body_path.display().to_string(),
            message,
        })?;
        Ok(Some(ReadView {
            index,
            bodies,
            cache: Mutex::new(HashMap::new()),
        }))
    }
}

/// Whether another process holds the lock sled takes on its `db` file.
fn held(db: &Path) -> bool {
    let Ok(f) = std::fs::File::open(db) else {
        return false;
    };
    match fs4::fs_std::FileExt::try_lock_exclusive(&f) {
        Ok(true) => {
            let _ = fs4::fs_std::FileExt::unlock(&f);
            false
        }
        _ => true,
    }
}

/// Read access to articles: from the store, or from a [`ReadView`].
pub trait Articles {
    /// Article ids newest first (by publication time, else first seen), optionally of one
    /// feed, between `since` and `until` (inclusive).
    fn ids_newest_first<'a>(
        &'a self,
        feed: Option<&str>,
        since: Option<DateTime<Utc>>,
        until: Option<DateTime<Utc>>,
    ) -> TimeIter<'a>;

    /// Ids of articles indexed under every one of `tokens`, newest first, strictly before
    /// `before`, not older than `since` (see [`Store::search_positions`]).
    ///
    /// # Errors
    /// On an index failure.
    fn search<'a>(
        &'a self,
        tokens: &[String],
        before: Option<Position>,
        since: Option<DateTime<Utc>>,
    ) -> Result<TimeIter<'a>, StoreError>;

    /// An article by id.
    ///
    /// # Errors
    /// On I/O failure or a corrupt value.
    fn article(&self, id: &ArticleId) -> Result<Option<Article>, StoreError>;

    /// The sort time of the oldest article.
    ///
    /// # Errors
    /// On I/O failure.
    fn oldest_time(&self) -> Result<Option<DateTime<Utc>>, StoreError>;
}

impl Articles for Store {
    fn ids_newest_first<'a>(
        &'a self,
        feed: Option<&str>,
        since: Option<DateTime<Utc>>,
        until: Option<DateTime<Utc>>,
    ) -> TimeIter<'a> {
        Store::ids_newest_first(self, feed, since, until)
    }

    fn search<'a>(
        &'a self,
        tokens: &[String],
        before: Option<Position>,
        since: Option<DateTime<Utc>>,
    ) -> Result<TimeIter<'a>, StoreError> {
        Ok(Box::new(self.search_positions(tokens, before, since)?))
    }

    fn article(&self, id: &ArticleId) -> Result<Option<Article>, StoreError> {
        Store::article(self, id)
    }

    fn oldest_time(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        Store::oldest_time(self)
    }
}

impl Articles for ReadView {
    fn ids_newest_first<'a>(
        &'a self,
        feed: Option<&str>,
        since: Option<DateTime<Utc>>,
        until: Option<DateTime<Utc>>,
    ) -> TimeIter<'a> {
        let before = until.map(|u| {
            position(
                u + chrono::Duration::milliseconds(1),
                &ArticleId(String::new()),
            )
        });
        Box::new(self.index.hits(
            Vec::new(),
            feed.map(str::to_string),
            before,
            since,
            Some(&self.cache),
        ))
    }

    fn search<'a>(
        &'a self,
        tokens: &[String],
        before: Option<Position>,
        since: Option<DateTime<Utc>>,
    ) -> Result<TimeIter<'a>, StoreError> {
        let mut it = self
            .index
            .hits(tokens.to_vec(), None, before, since, Some(&self.cache));
        it.exhausted = tokens.is_empty();
        Ok(Box::new(it))
    }

    fn article(&self, id: &ArticleId) -> Result<Option<Article>, StoreError> {
        let cached = self
            .cache
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&id.0);
        let meta = match cached {
            Some(m) => m,
            None => match self.index.meta_of(&id.0)? {
                Some(m) => m,
                None => return Ok(None),
            },
        };
        super::decode_article_with(&self.bodies, &meta).map(Some)
    }

    fn oldest_time(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        let searcher = self.index.reader.searcher();
        let hits: Vec<(i64, DocAddress)> = searcher
            .search(
                &AllQuery,
                &TopDocs::with_limit(1).order_by_fast_field::<i64>("t", Order::Asc),
            )
            .map_err(|e| self.index.err(e))?;
        Ok(hits
            .first()
            .and_then(|(t, _)| DateTime::from_timestamp_millis(*t)))
    }
}
