//! The `pipeline`: one poll of one feed through every stage — fetch → parse → scrape →
//! extract → identify + dedup → store — returning a [`PollReport`]. A feed's failure is
//! recorded on its [`FeedState`] and in the report, never raised past it.
//!
//! Rules (DESIGN.md "Identity, dedup and revisions"):
//! - each feed item maps to an article through a *route* (feed + item key); the item key is
//!   the trusted guid, else the canonical link, else a hash of title + date;
//! - a new item whose canonical URL (item link, or the page's `rel=canonical` once scraped) or
//!   content hash is already stored is a *duplicate*: it adds a `seen_in` entry, not an article;
//! - an item on the article's own route whose page changed (re-checked with conditional GET
//!   when the feed changed) gets a new revision when the content hash, title or dates differ;
//!   duplicate routes never add revisions;
//! - a new item of an article's own feed whose URL or content is known while the article's
//!   own item is gone from the document is a *rotated guid*: it takes over as the own route;
//! - the *watch window* re-fetches recently published pages at `[dedup] watch` delays on the
//!   feed's poll, even after a 304, so silent edits become revisions (`recheck_due`).

use crate::config::{Config, FeedConfig};
use crate::dedup;
use crate::extract::{self, Extracted};
use crate::fetch::{FetchError, FetchOutcome, FetchRequest, Fetcher, Kind, RequestOptions};
use crate::model::{
    Article, ArticleId, ExtractionStatus, FeedState, PendingMove, PollHints, Revision, SeenIn,
    SiteRule,
};
use crate::parse::{self, ParsedEntry, ParsedFeed};
use crate::schedule::{self, Clock, Hold, Policy};
use crate::store::bodies::EncodedBody;
use crate::store::{ArticleWrite, Route, Store, StoreError};
use crate::telemetry::fields;
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use url::Url;

/// Everything a poll needs; cheap to clone.
#[derive(Clone)]
pub struct Context {
    /// The validated configuration.
    pub config: Arc<Config>,
    /// The store.
    pub store: Store,
    /// The shared HTTP client.
    pub fetcher: Fetcher,
    /// Site rules: config `[[site]]` first, then built-in ones.
    pub rules: Arc<Vec<SiteRule>>,
    /// Serialises identify+store across concurrent feed polls, so one story arriving through
    /// two feeds at once is stored once.
    pub ingest: Arc<tokio::sync::Mutex<()>>,
    /// Where "now" comes from (the system clock, or a manual one in tests).
    pub clock: Clock,
    /// Extraction permits, one per CPU: extraction is CPU-bound, and every page extracted at
    /// once holds its DOM (several MB for a 100 KB page) — 64 concurrent fetches used to mean
    /// 64 DOMs alive on 2 cores.
    pub extract_permits: Arc<tokio::sync::Semaphore>,
}

impl Context {
    /// Builds a context: the HTTP client from `[fetch]` and the site rules.
    ///
    /// # Errors
    /// When the HTTP client cannot be built.
    #[allow(clippy::result_large_err)]
    pub fn new(config: Arc<Config>, store: Store) -> Result<Context, FetchError> {
        let fetcher = Fetcher::new(&config.fetch)?;
        Ok(Context::with_fetcher(
            config,
            store,
            fetcher,
            Clock::system(),
        ))
    }

    /// A context with a given fetcher and clock (tests inject a manual clock and resolver
    /// overrides through them).
    pub fn with_fetcher(
        config: Arc<Config>,
        store: Store,
        fetcher: Fetcher,
        clock: Clock,
    ) -> Context {
        let rules = Arc::new(config.sites.clone());
        Context {
            config,
            store,
            fetcher,
            rules,
            ingest: Arc::new(tokio::sync::Mutex::new(())),
            clock,
            extract_permits: Arc::new(tokio::sync::Semaphore::new(
                std::thread::available_parallelism().map_or(2, |n| n.get()),
            )),
        }
    }
}

/// How an explicit poll treats holds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PollOptions {
    /// Poll even a feed held by `Retry-After` or parked by 410 (`--force`).
    pub force: bool,
    /// Poll as if at this time instead of the context's clock (tests of the watch window).
    pub now: Option<DateTime<Utc>>,
}

/// How a poll ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PollStatus {
    /// The feed was fetched and processed.
    Ok,
    /// The server answered 304 Not Modified.
    NotModified,
    /// The poll failed; the reason names the URL and cause.
    Failed(String),
    /// Not polled: held by the server's `Retry-After` or parked; `until` is when it becomes
    /// due (`None` for a parked feed).
    Deferred {
        /// Why.
        reason: String,
        /// When it becomes due.
        until: Option<DateTime<Utc>>,
    },
}

/// What one poll of one feed did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PollReport {
    /// Feed name.
    pub feed: String,
    /// Outcome.
    pub status: PollStatus,
    /// HTTP status of the feed response, if one arrived.
    pub http_status: Option<u16>,
    /// New articles stored.
    pub new: usize,
    /// Known articles that got a new revision.
    pub updated: usize,
    /// Items that were copies of stored articles (added to `seen_in`).
    pub duplicate: usize,
    /// Items already known and unchanged.
    pub unchanged: usize,
    /// Items whose page could not be scraped (stored from the feed's content).
    pub scrape_failed: usize,
    /// Wall time of the poll, milliseconds.
    pub elapsed_ms: u64,
}

impl fmt::Display for PollReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.status {
            PollStatus::Failed(reason) => write!(f, "{}: failed: {reason}", self.feed),
            PollStatus::Deferred { reason, until } => {
                write!(f, "{}: deferred: {reason}", self.feed)?;
                if let Some(t) = until {
                    write!(
                        f,
                        "; due {}",
                        t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
                    )?;
                }
                write!(f, " (--force polls it now)")
            }
            PollStatus::NotModified => write!(
                f,
                "{}: not modified (304), 0 new, 0 updated, 0 duplicate, 0 unchanged",
                self.feed
            ),
            PollStatus::Ok => {
                write!(
                    f,
                    "{}: {} new, {} updated, {} duplicate, {} unchanged",
                    self.feed, self.new, self.updated, self.duplicate, self.unchanged
                )?;
                if self.scrape_failed > 0 {
                    write!(
                        f,
                        " ({} pages not scraped, feed content kept)",
                        self.scrape_failed
                    )?;
                }
                Ok(())
            }
        }
    }
}

/// Orders the store step of concurrent polls: feed `i` of a batch stores its items only after
/// feeds `0..i` finished, so when one story arrives through several feeds in one `run --once`,
/// the feed listed first in the config is its origin, whatever the network timing.
#[derive(Default)]
pub struct Sequencer {
    state: std::sync::Mutex<(usize, std::collections::BTreeSet<usize>)>,
    notify: tokio::sync::Notify,
}

impl Sequencer {
    async fn wait_turn(&self, i: usize) {
        loop {
            let notified = self.notify.notified();
            if self.state.lock().map(|s| s.0 >= i).unwrap_or(true) {
                return;
            }
            notified.await;
        }
    }

    /// Waits until feed `i` is fewer than `window` places after the next feed to store, so a
    /// slow early feed cannot make every later feed's extracted pages pile up in memory.
    async fn wait_window(&self, i: usize, window: usize) {
        loop {
            let notified = self.notify.notified();
            if self.state.lock().map(|s| s.0 + window > i).unwrap_or(true) {
                return;
            }
            notified.await;
        }
    }

    fn finish(&self, i: usize) {
        if let Ok(mut guard) = self.state.lock() {
            let (next, finished) = &mut *guard;
            finished.insert(i);
            while finished.remove(next) {
                *next += 1;
            }
        }
        self.notify.notify_waiters();
    }
}

/// A feed's place in a [`Sequencer`]; marks the feed finished when dropped, on every path.
pub struct Turn {
    seq: Arc<Sequencer>,
    index: usize,
}

impl Drop for Turn {
    fn drop(&mut self) {
        self.seq.finish(self.index);
    }
}

/// Polls one feed now and records the result on its state. Never returns an error: failures
/// are in the report and on the feed's state. A feed held by `Retry-After` or parked is
/// deferred, not polled.
pub async fn poll_feed(ctx: &Context, feed: &FeedConfig) -> PollReport {
    poll_feed_with(ctx, feed, None, PollOptions::default()).await
}

/// [`poll_feed`], storing only when `turn` comes (see [`Sequencer`]).
pub async fn poll_feed_in_turn(ctx: &Context, feed: &FeedConfig, turn: Option<Turn>) -> PollReport {
    poll_feed_with(ctx, feed, turn, PollOptions::default()).await
}

/// Why a poll failed, with what the schedule needs to know about it.
struct Failure {
    message: String,
    kind: &'static str,
    /// `Retry-After` of a 429/503, seconds.
    retry_after: Option<u64>,
    /// 410 Gone: park the feed.
    gone: bool,
    /// The host is held by an earlier `Retry-After`: nothing was sent.
    held: Option<DateTime<Utc>>,
}

impl Failure {
    fn other(kind: &'static str, message: String) -> Failure {
        Failure {
            message,
            kind,
            retry_after: None,
            gone: false,
            held: None,
        }
    }
}

/// [`poll_feed_in_turn`] at an injected `now` (tests drive the watch window with it).
pub async fn poll_feed_at(
    ctx: &Context,
    feed: &FeedConfig,
    turn: Option<Turn>,
    now: DateTime<Utc>,
) -> PollReport {
    poll_feed_with(
        ctx,
        feed,
        turn,
        PollOptions {
            now: Some(now),
            ..PollOptions::default()
        },
    )
    .await
}

/// [`poll_feed_in_turn`] with [`PollOptions`].
pub async fn poll_feed_with(
    ctx: &Context,
    feed: &FeedConfig,
    turn: Option<Turn>,
    opts: PollOptions,
) -> PollReport {
    let start = std::time::Instant::now();
    let now = opts.now.unwrap_or_else(|| ctx.clock.now());
    let policy = Policy::for_feed(feed);
    let mut report = PollReport {
        feed: feed.name.clone(),
        status: PollStatus::Ok,
        http_status: None,
        new: 0,
        updated: 0,
        duplicate: 0,
        unchanged: 0,
        scrape_failed: 0,
        elapsed_ms: 0,
    };
    let mut state = match ctx.store.feed_state(&feed.name) {
        Ok(Some(s)) => s,
        Ok(None) => FeedState {
            name: feed.name.clone(),
            url: feed.url.to_string(),
            ..FeedState::default()
        },
        Err(e) => {
            report.status = PollStatus::Failed(format!("store: {e}"));
            return report;
        }
    };
    let configured = state.configured_url.clone().unwrap_or(state.url.clone());
    if configured != feed.url.as_str() {
        // The configured URL changed: the old validators and redirects belong to another
        // document, and an operator edit re-enables a parked feed.
        state.url = feed.url.to_string();
        state.etag = None;
        state.last_modified = None;
        state.pending_move = None;
        state.parked = None;
        state.retry_after_until = None;
    }
    state.configured_url = Some(feed.url.to_string());
    if !opts.force {
        if let Some(hold) = schedule::hold(&state, now) {
            drop(turn);
            let (reason, until) = match hold {
                Hold::Parked(r) => (format!("parked: {r}"), None),
                Hold::RetryAfter(t) => ("rate limited (Retry-After)".to_string(), Some(t)),
            };
            report.status = PollStatus::Deferred { reason, until };
            return report;
        }
    }
    let mut result = poll_inner(
        ctx,
        feed,
        &mut state,
        &mut report,
        now,
        &policy,
        opts.force,
        turn.as_ref(),
    )
    .await;
    drop(turn);
    if result.is_ok() {
        result = recheck_due(ctx, feed, &mut report, now)
            .await
            .map_err(|e| Failure::other("store", format!("store: {e}")));
    }
    report.elapsed_ms = start.elapsed().as_millis() as u64;
    match result {
        Ok(()) => {
            state.last_poll = Some(now);
            state.polls += 1;
            state.last_success = Some(now);
            state.consecutive_failures = 0;
            state.last_error = None;
            state.last_error_kind = None;
            state.retry_after_until = None;
            if state.parked.take().is_some() {
                tracing::info!({ fields::FEED } = %feed.name, "parked feed answered again: re-enabled");
            }
            tracing::info!(
                { fields::FEED } = %feed.name, { fields::URL } = %state.url, { fields::STATUS } = report.http_status.unwrap_or(0),
                { fields::ELAPSED_MS } = report.elapsed_ms, new = report.new, updated = report.updated,
                duplicate = report.duplicate, unchanged = report.unchanged, "feed polled"
            );
        }
        Err(f) if f.held.is_some() => {
            // Nothing was sent: another feed on this host was told to wait. Not a failure.
            state.retry_after_until = f.held;
            report.status = PollStatus::Deferred {
                reason: "rate limited (Retry-After on this host)".into(),
                until: f.held,
            };
        }
        Err(f) => {
            state.last_poll = Some(now);
            state.polls += 1;
            state.consecutive_failures += 1;
            state.pending_move = None;
            state.last_error = Some(f.message.clone());
            state.last_error_kind = Some(f.kind.to_string());
            state.retry_after_until = f
                .retry_after
                .map(|s| now + chrono::Duration::seconds(s as i64));
            if f.gone {
                state.parked = Some(format!(
                    "410 Gone at {}; re-enable with `feedkeeper feeds enable {}`",
                    now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                    feed.name
                ));
            }
            tracing::warn!(
                { fields::FEED } = %feed.name, { fields::URL } = %state.url, { fields::STATUS } = report.http_status.unwrap_or(0),
                { fields::ELAPSED_MS } = report.elapsed_ms, error = %f.message, "feed poll failed"
            );
            report.status = PollStatus::Failed(f.message);
        }
    }
    let due = schedule::next_poll(feed, &state, &policy, now);
    state.next_poll = due.at;
    state.next_poll_reason = Some(due.reason);
    if let Err(e) = ctx
        .store
        .put_feed_state(&state)
        .and_then(|_| ctx.store.flush())
    {
        report.status = PollStatus::Failed(format!("store: {e}"));
    }
    report
}

/// The leading run of permanent redirects (301/308) of a chain, as the URL it ends at. A
/// temporary hop first means the subscription must not move (case 022 #7).
fn permanent_target(outcome: &FetchOutcome) -> Option<&Url> {
    outcome
        .redirects
        .iter()
        .take_while(|r| matches!(r.status, 301 | 308))
        .last()
        .map(|r| &r.to)
}

/// Counts a permanent redirect seen on a successful poll; adopts it after `move_after`.
fn observe_redirects(
    feed: &FeedConfig,
    state: &mut FeedState,
    outcome: &FetchOutcome,
    policy: &Policy,
) {
    let Some(target) = permanent_target(outcome) else {
        state.pending_move = None;
        return;
    };
    let seen = match &state.pending_move {
        Some(p) if p.to == target.as_str() => p.seen + 1,
        _ => 1,
    };
    if seen >= policy.move_after {
        tracing::info!(
            { fields::FEED } = %feed.name, from = %state.url, to = %target, polls = seen,
            "feed moved permanently: polling the new URL from now on"
        );
        state.url = target.to_string();
        state.pending_move = None;
    } else {
        state.pending_move = Some(PendingMove {
            to: target.to_string(),
            seen,
        });
    }
}

#[allow(clippy::too_many_arguments)]
async fn poll_inner(
    ctx: &Context,
    feed: &FeedConfig,
    state: &mut FeedState,
    report: &mut PollReport,
    now: DateTime<Utc>,
    policy: &Policy,
    force: bool,
    turn: Option<&Turn>,
) -> Result<(), Failure> {
    let url = Url::parse(&state.url).unwrap_or_else(|_| feed.url.clone());
    let unconditional = schedule::wants_unconditional(state, policy, now);
    let req = FetchRequest {
        url,
        kind: Kind::Feed,
        etag: state.etag.clone().filter(|_| !unconditional),
        last_modified: state.last_modified.clone().filter(|_| !unconditional),
        trusted: true,
        allow_private: feed.allow_private_networks,
    };
    let opts = RequestOptions {
        headers: feed.headers.clone(),
        basic_auth: feed.basic_auth.clone(),
        cookie: feed.cookie.clone(),
        ignore_hold: force,
    };
    let outcome = match ctx.fetcher.fetch_with(&req, &opts).await {
        Ok(o) => o,
        Err(e) => {
            let mut f = Failure::other(e.kind(), format!("fetch {e}"));
            match &e {
                FetchError::Status {
                    status,
                    retry_after,
                    ..
                } => {
                    report.http_status = Some(*status);
                    state.last_status = Some(*status);
                    f.retry_after = *retry_after;
                    f.gone = *status == 410;
                    f.kind = match status {
                        429 | 503 => "rate limited",
                        410 => "gone",
                        _ => "http status",
                    };
                }
                FetchError::Held { until, .. } => f.held = Some(*until),
                _ => {}
            }
            return Err(f);
        }
    };
    report.http_status = Some(outcome.status);
    state.last_status = Some(outcome.status);
    state.last_elapsed_ms = Some(outcome.elapsed_ms);
    state.bytes += outcome.body.len() as u64;
    if unconditional {
        state.last_unconditional = Some(now);
    }
    // RFC 9111 §4.3.4: a 304 updates the stored validators it carries.
    if outcome.etag.is_some() {
        state.etag = outcome.etag.clone();
    }
    if outcome.last_modified.is_some() {
        state.last_modified = outcome.last_modified.clone();
    }
    state.hints.max_age_secs = outcome
        .cache_control
        .as_deref()
        .and_then(crate::fetch::parse_max_age);
    state.hints.expires = outcome
        .expires
        .as_deref()
        .and_then(crate::fetch::parse_http_date)
        .filter(|t| *t > now);
    if outcome.not_modified() {
        state.not_modified += 1;
        report.status = PollStatus::NotModified;
        observe_redirects(feed, state, &outcome, policy);
        return Ok(());
    }
    let opts = parse::ParseOptions {
        timezone: feed.timezone,
        now,
        encoding_override: feed.encoding.clone(),
    };
    let parsed = parse::parse_feed(
        &outcome.body,
        outcome.charset.as_deref(),
        Some(&outcome.final_url),
        &opts,
    )
    .map_err(|e| Failure::other("parse", format!("parse {}: {e}", outcome.final_url)))?;
    let h = &parsed.hints;
    state.hints = PollHints {
        ttl_secs: h.ttl_minutes.map(|m| u64::from(m) * 60),
        skip_hours: h.skip_hours.clone(),
        skip_days: h.skip_days.clone(),
        update_period_secs: h.update_period_secs,
        ..state.hints.clone()
    };
    observe_redirects(feed, state, &outcome, policy);
    ingest(ctx, feed, &parsed, report, now, turn)
        .await
        .map_err(|e| Failure::other("store", format!("store: {e}")))
}

/// An entry with its derived identity.
struct Item<'a> {
    entry: &'a ParsedEntry,
    /// Route key within the feed.
    key: String,
    guid: Option<String>,
    link: Option<String>,
    canonical: Option<String>,
    fingerprint: String,
}

fn items<'a>(feed: &FeedConfig, parsed: &'a ParsedFeed) -> Vec<Item<'a>> {
    let mut guid_count: HashMap<&str, usize> = HashMap::new();
    for e in &parsed.entries {
        if let Some(g) = e.id.as_deref() {
            *guid_count.entry(g.trim()).or_default() += 1;
        }
    }
    parsed
        .entries
        .iter()
        .map(|e| {
            let guid = e
                .id
                .as_deref()
                .filter(|g| {
                    dedup::guid_trustworthy(g, guid_count.get(g.trim()).copied().unwrap_or(0) > 1)
                })
                .map(|g| g.trim().to_string());
            let link = e.link.clone();
            let canonical = link.as_deref().map(dedup::canonical_url);
            let published = e.published.map(|d| d.to_rfc3339());
            let key = dedup::identity_key(
                &feed.name,
                guid.as_deref(),
                canonical.as_deref(),
                e.title.as_deref().unwrap_or(""),
                published.as_deref(),
            )
            .as_string();
            let fingerprint = blake3::hash(
                format!(
                    "{:?}\u{1f}{:?}\u{1f}{:?}\u{1f}{:?}\u{1f}{:?}\u{1f}{:?}",
                    e.title, e.link, e.published, e.updated, e.summary_html, e.content_html
                )
                .as_bytes(),
            )
            .to_hex()[..32]
                .to_string();
            Item {
                entry: e,
                key,
                guid,
                link,
                canonical,
                fingerprint,
            }
        })
        .collect()
}

/// What the page gave, or why not.
enum Page {
    Extracted {
        extracted: Box<Extracted>,
        /// Hash, SimHash, word count and index text of `extracted.text`, computed with the
        /// extraction (off the ingest lock; taken by [`prepare`]).
        print: Option<Box<dedup::TextPrint>>,
        /// `extracted.text` and `.html` encoded for the body log, also off the lock.
        record: Option<Box<EncodedBody>>,
        final_url: Url,
        etag: Option<String>,
        last_modified: Option<String>,
    },
    NotModified,
    Failed(String),
    Skipped,
}

async fn fetch_page(ctx: &Context, feed: &FeedConfig, link: &str, route: Option<&Route>) -> Page {
    let Ok(url) = Url::parse(link) else {
        return Page::Failed(format!("invalid item link {link:?}"));
    };
    if !matches!(url.scheme(), "http" | "https") {
        return Page::Failed(format!("{url}: not an http(s) link"));
    }
    let req = FetchRequest {
        url,
        kind: Kind::Page,
        etag: route.and_then(|r| r.page_etag.clone()),
        last_modified: route.and_then(|r| r.page_last_modified.clone()),
        trusted: false,
        allow_private: feed.allow_private_networks,
    };
    let outcome: FetchOutcome = match ctx.fetcher.fetch(&req).await {
        Ok(o) => o,
        Err(e) => return Page::Failed(format!("scrape {e}")),
    };
    if outcome.not_modified() {
        return Page::NotModified;
    }
    let rules = Arc::clone(&ctx.rules);
    let final_url = outcome.final_url.clone();
    let charset = outcome.charset.clone();
    let body = outcome.body;
    let base = final_url.clone();
    // Extraction is CPU work: keep it off the async workers, one page per CPU at a time.
    let permit = Arc::clone(&ctx.extract_permits).acquire_owned().await;
    let min_words = ctx.config.dedup.min_hash_words;
    let result = tokio::task::spawn_blocking(move || {
        let x = extract::extract(&body, charset.as_deref(), &base, &rules).map(|x| {
            let print = dedup::TextPrint::of(&x.text, min_words);
            let record = EncodedBody::new(&x.text, &x.html).ok().map(Box::new);
            (x, print, record)
        });
        drop(permit);
        x
    })
    .await;
    match result {
        Ok(Ok((x, print, record))) => Page::Extracted {
            extracted: Box::new(x),
            print: Some(Box::new(print)),
            record,
            final_url,
            etag: outcome.etag,
            last_modified: outcome.last_modified,
        },
        Ok(Err(e)) => Page::Failed(format!("extract {final_url}: {e}")),
        Err(e) => Page::Failed(format!("extract {final_url}: extractor crashed: {e}")),
    }
}

/// The article body chosen from the page and the feed's own content.
struct Body {
    title: String,
    text: String,
    html: String,
    published: Option<DateTime<Utc>>,
    updated: Option<DateTime<Utc>>,
    lang: Option<String>,
    dir: Option<String>,
    byline: Option<String>,
    tags: Vec<String>,
    page_canonical: Option<String>,
    extraction: ExtractionStatus,
    reason: Option<String>,
}

/// The body of an item chosen from its page and its feed content, with the print of its text:
/// computed before the ingest lock (it depends on nothing stored).
struct Prepared {
    body: Body,
    print: dedup::TextPrint,
    /// The body encoded for the body log (None if encoding failed: the store then reports it).
    record: Option<EncodedBody>,
}

/// Chooses the body of `item` (see [`choose_body`]) and takes or computes its print. Moves
/// the extracted text and HTML out of `page` when they are chosen.
fn prepare(
    ctx: &Context,
    feed: &FeedConfig,
    parsed: &ParsedFeed,
    item: &Item<'_>,
    page: &mut Page,
) -> Prepared {
    let body = choose_body(feed, parsed, item, page);
    let (print, record) = match page {
        Page::Extracted { print, record, .. } if body.extraction == ExtractionStatus::Ok => {
            (print.take().map(|p| *p), record.take().map(|r| *r))
        }
        _ => (None, None),
    };
    let print =
        print.unwrap_or_else(|| dedup::TextPrint::of(&body.text, ctx.config.dedup.min_hash_words));
    let record = record.or_else(|| EncodedBody::new(&body.text, &body.html).ok());
    Prepared {
        body,
        print,
        record,
    }
}

/// Chooses an item's body: the extracted page when it has at least as many words as the
/// feed's own content (its text and HTML are then moved out of `page`), else the feed's.
fn choose_body(feed: &FeedConfig, parsed: &ParsedFeed, item: &Item<'_>, page: &mut Page) -> Body {
    let e = item.entry;
    let feed_html = e
        .content_html
        .as_deref()
        .or(e.summary_html.as_deref())
        .unwrap_or("");
    let feed_text = extract::fragment::fragment_text(feed_html);
    let feed_words = dedup::word_count(&feed_text);
    let base = item
        .link
        .as_deref()
        .and_then(|l| Url::parse(l).ok())
        .or_else(|| Url::parse(feed.url.as_str()).ok());
    let feed_html_clean = match &base {
        Some(b) => extract::sanitize(feed_html, b),
        None => String::new(),
    };
    let lang_fallback = e
        .language
        .clone()
        .or_else(|| parsed.language.clone())
        .or_else(|| feed.language.clone());
    let mut body = Body {
        title: e.title.clone().unwrap_or_default(),
        text: feed_text,
        html: feed_html_clean,
        published: e.published,
        updated: e.updated,
        lang: lang_fallback.clone(),
        dir: None,
        byline: e.authors.first().cloned(),
        tags: e.categories.clone(),
        page_canonical: None,
        extraction: ExtractionStatus::Fallback,
        reason: None,
    };
    match page {
        Page::Extracted {
            extracted: x,
            final_url,
            print,
            ..
        } => {
            let words = match print {
                Some(p) => p.words,
                None => dedup::word_count(&x.text),
            };
            body.page_canonical = x
                .canonical_url
                .as_deref()
                .and_then(|c| Url::parse(c).ok())
                .filter(|u| u.path().len() > 1)
                .map(|u| dedup::canonical_url(u.as_str()))
                .or_else(|| Some(dedup::canonical_url(final_url.as_str())));
            if body.title.trim().is_empty() {
                body.title = x.title.clone().unwrap_or_default();
            }
            body.published = body.published.or(x.published);
            body.updated = body.updated.or(x.updated);
            body.lang = x.lang.clone().or(lang_fallback);
            body.dir = x.dir.clone();
            if body.byline.is_none() {
                body.byline = x.byline.clone();
            }
            if body.tags.is_empty() || !x.tags.is_empty() {
                body.tags = x.tags.clone();
            }
            if words >= feed_words {
                body.text = std::mem::take(&mut x.text);
                body.html = std::mem::take(&mut x.html);
                body.extraction = ExtractionStatus::Ok;
            } else {
                body.reason = Some(format!(
                    "extracted body ({words} words) is shorter than the feed's content ({feed_words} words)"
                ));
            }
        }
        Page::Failed(reason) => {
            body.extraction = ExtractionStatus::Failed;
            body.reason = Some(reason.clone());
        }
        Page::Skipped => body.reason = Some("scraping disabled for this feed".into()),
        Page::NotModified => {}
    }
    if body.dir.is_none() && !body.text.is_empty() {
        body.dir = Some(extract::text_direction(&body.text).to_string());
    }
    body
}

async fn ingest(
    ctx: &Context,
    feed: &FeedConfig,
    parsed: &ParsedFeed,
    report: &mut PollReport,
    now: DateTime<Utc>,
    turn: Option<&Turn>,
) -> Result<(), StoreError> {
    let items = items(feed, parsed);
    // Decide which pages to fetch: new items, and own routes (re-checked conditionally).
    let mut routes: Vec<Option<Route>> = Vec::with_capacity(items.len());
    for it in &items {
        routes.push(ctx.store.route(&feed.name, &it.key)?);
    }
    let mut known_by_url: Vec<bool> = Vec::with_capacity(items.len());
    for it in &items {
        known_by_url.push(match &it.canonical {
            Some(c) => ctx.store.id_by_url(c)?.is_some(),
            None => false,
        });
    }
    let fetches = items
        .iter()
        .zip(&routes)
        .zip(&known_by_url)
        .map(|((it, route), known)| {
            let want = feed.scrape
                && it.link.is_some()
                && match route {
                    Some(r) => r.own,
                    None => !known,
                };
            async move {
                match (&it.link, want) {
                    (Some(link), true) => fetch_page(ctx, feed, link, route.as_ref()).await,
                    _ => Page::Skipped,
                }
            }
        });
    let mut pages: Vec<Page> = futures_util::future::join_all(fetches).await;
    // Bodies and their prints depend on nothing stored: chosen before waiting for the turn
    // and the lock. Known routes that were not re-scraped rarely need one (lazily, below).
    let prepared: Vec<Option<Prepared>> = items
        .iter()
        .zip(&routes)
        .zip(pages.iter_mut())
        .map(|((it, route), page)| {
            (route.is_none() || matches!(page, Page::Extracted { .. }))
                .then(|| prepare(ctx, feed, parsed, it, page))
        })
        .collect();
    if let Some(t) = turn {
        t.seq.wait_turn(t.index).await;
    }
    let keys: std::collections::HashSet<&str> = items.iter().map(|i| i.key.as_str()).collect();
    let _guard = ctx.ingest.lock().await;
    for (((it, route), page), prep) in items.iter().zip(routes).zip(pages).zip(prepared) {
        if let Page::Failed(reason) = &page {
            report.scrape_failed += 1;
            tracing::warn!({ fields::FEED } = %feed.name, { fields::URL } = it.link.as_deref().unwrap_or(""), error = %reason, "page not scraped");
        }
        let doc = Doc {
            feed,
            parsed,
            keys: &keys,
        };
        ingest_item(ctx, &doc, it, route, page, prep, report, now)?;
    }
    Ok(())
}

/// Ingests an already parsed document of `feed` at `now` (identify, dedup, store) with no
/// network access when the feed has `scrape = false`: the entry point of the ingest
/// benchmark and of tests that feed documents directly.
///
/// # Errors
/// On store failure.
pub async fn ingest_parsed(
    ctx: &Context,
    feed: &FeedConfig,
    parsed: &ParsedFeed,
    now: DateTime<Utc>,
) -> Result<PollReport, StoreError> {
    let mut report = PollReport {
        feed: feed.name.clone(),
        status: PollStatus::Ok,
        http_status: None,
        new: 0,
        updated: 0,
        duplicate: 0,
        unchanged: 0,
        scrape_failed: 0,
        elapsed_ms: 0,
    };
    ingest(ctx, feed, parsed, &mut report, now, None).await?;
    Ok(report)
}

/// The document an item came from.
struct Doc<'a> {
    feed: &'a FeedConfig,
    parsed: &'a ParsedFeed,
    /// Route keys of every item in the document (to tell a rotated guid from a live one).
    keys: &'a std::collections::HashSet<&'a str>,
}

/// Watch window: re-fetches (conditionally) the pages of this feed's articles whose watch
/// time has come, even when the feed did not change (304), so silent edits become revisions.
/// Returns after storing what changed; pages that fail are retried at the next watch time.
async fn recheck_due(
    ctx: &Context,
    feed: &FeedConfig,
    report: &mut PollReport,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    if !feed.scrape {
        return Ok(());
    }
    let store = &ctx.store;
    for id in store.watch_due(&feed.name, now)? {
        let Some(article) = store.article(&id)? else {
            continue;
        };
        let route = store.route(&article.feed, &article.item_key)?;
        let link = route
            .as_ref()
            .map(|r| r.link.clone())
            .filter(|l| !l.is_empty());
        let mut page = match &link {
            Some(l) => fetch_page(ctx, feed, l, route.as_ref()).await,
            None => Page::Skipped,
        };
        let _guard = ctx.ingest.lock().await;
        // Re-read: another feed's poll may have written the article meanwhile.
        let Some(article) = store.article(&id)? else {
            continue;
        };
        let mut updated = article.clone();
        updated.watch = dedup::watch_after(&article.watch, now);
        let mut revision = None;
        let mut print = None;
        let mut route = route;
        if let Page::Extracted {
            extracted,
            etag,
            last_modified,
            print: page_print,
            ..
        } = &mut page
        {
            let p = match page_print.take() {
                Some(p) => *p,
                None => dedup::TextPrint::of(&extracted.text, ctx.config.dedup.min_hash_words),
            };
            if p.words > 0 {
                // No feed item here: title and dates stay as stored; only the body can change.
                let last = store.revisions(&id)?.pop();
                let body = Body {
                    title: article.title.clone(),
                    text: std::mem::take(&mut extracted.text),
                    html: std::mem::take(&mut extracted.html),
                    published: last.as_ref().and_then(|l| l.published),
                    updated: last.as_ref().and_then(|l| l.updated),
                    lang: extracted.lang.clone().or(article.lang.clone()),
                    dir: extracted.dir.clone(),
                    byline: None,
                    tags: Vec::new(),
                    page_canonical: None,
                    extraction: ExtractionStatus::Ok,
                    reason: None,
                };
                revision = revise(&mut updated, &body, &p.content_hash, now, store)?;
            }
            if let Some(r) = route.as_mut() {
                r.page_etag = etag.clone();
                r.page_last_modified = last_modified.clone();
            }
            print = Some(p).filter(|_| revision.is_some());
        }
        if revision.is_some() {
            report.updated += 1;
        }
        let routes: Vec<(&str, &str, &Route)> = route
            .iter()
            .map(|r| (article.feed.as_str(), article.item_key.as_str(), r))
            .collect();
        let index_hash = print
            .as_ref()
            .is_some_and(|p| p.words >= ctx.config.dedup.min_hash_words);
        if let Some(p) = &print {
            // The near-duplicate fingerprint follows the edited body.
            updated.simhash = p.simhash;
        }
        store.write(&ArticleWrite {
            article: &updated,
            previous: Some(&article),
            revision: revision.as_ref(),
            routes,
            urls: Vec::new(),
            index_hash,
            others: Vec::new(),
            print: print.as_ref(),
            body: None,
        })?;
    }
    Ok(())
}

/// Stores one item of a document (under the ingest lock): updates the article its route
/// names, or files it as new or a duplicate. `prep` is its body when chosen already.
#[allow(clippy::too_many_arguments)]
fn ingest_item(
    ctx: &Context,
    doc: &Doc<'_>,
    it: &Item<'_>,
    route: Option<Route>,
    mut page: Page,
    prep: Option<Prepared>,
    report: &mut PollReport,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let (feed, parsed) = (doc.feed, doc.parsed);
    let store = &ctx.store;
    // 1. A known route.
    if let Some(mut route) = route {
        let Some(article) = store.article(&route.article)? else {
            // A route to a missing article cannot happen (one transaction), but heal it.
            return new_or_duplicate(ctx, doc, it, page, prep, report, now);
        };
        let (page_etag, page_lm) = match &page {
            Page::Extracted {
                etag,
                last_modified,
                ..
            } => (etag.clone(), last_modified.clone()),
            _ => (route.page_etag.clone(), route.page_last_modified.clone()),
        };
        let item_changed = route.item_fingerprint != it.fingerprint;
        let scraped = matches!(page, Page::Extracted { .. });
        let may_revise = route.own && (scraped || (!feed.scrape && item_changed));
        let mut updated = article.clone();
        updated.last_seen = now;
        if route.own && (scraped || matches!(page, Page::NotModified)) {
            // The page was just re-checked: watch times up to now are served.
            updated.watch = dedup::watch_after(&article.watch, now);
        }
        let mut revision = None;
        let mut print = None;
        let mut record = None;
        if may_revise {
            let p = match prep {
                Some(p) => p,
                None => prepare(ctx, feed, parsed, it, &mut page),
            };
            // A scrape that fell back to the feed's text must not flip the stored body.
            if p.body.extraction == ExtractionStatus::Ok || !feed.scrape {
                revision = revise(&mut updated, &p.body, &p.print.content_hash, now, store)?;
            }
            print = Some(p.print);
            record = p.record;
        }
        route.page_etag = page_etag;
        route.page_last_modified = page_lm;
        route.item_fingerprint = it.fingerprint.clone();
        if revision.is_some() {
            report.updated += 1;
        } else {
            report.unchanged += 1;
        }
        let routes = vec![(feed.name.as_str(), it.key.as_str(), &route)];
        let print = print.filter(|_| revision.is_some());
        let index_hash = print
            .as_ref()
            .is_some_and(|p| p.words >= ctx.config.dedup.min_hash_words);
        if let Some(p) = &print {
            updated.simhash = p.simhash;
        }
        store.write(&ArticleWrite {
            article: &updated,
            previous: Some(&article),
            revision: revision.as_ref(),
            routes,
            urls: Vec::new(),
            index_hash,
            others: Vec::new(),
            print: print.as_ref(),
            body: record.as_ref().filter(|_| revision.is_some()),
        })?;
        return Ok(());
    }
    new_or_duplicate(ctx, doc, it, page, prep, report, now)
}

/// Compares a fresh body with the stored article; on a change of content hash, title or
/// dates, updates the article and returns the new revision.
fn revise(
    article: &mut Article,
    body: &Body,
    hash: &str,
    now: DateTime<Utc>,
    store: &Store,
) -> Result<Option<Revision>, StoreError> {
    let hash = hash.to_string();
    let mut changed = Vec::new();
    if hash != article.content_hash {
        changed.push("text".to_string());
    }
    if body.title.trim() != article.title.trim() && !body.title.trim().is_empty() {
        changed.push("title".to_string());
    }
    let last = store.revisions(&article.id)?.pop();
    if let Some(last) = &last {
        if body.published.is_some() && body.published != last.published {
            changed.push("published".to_string());
        }
        if body.updated.is_some() && body.updated != last.updated {
            changed.push("updated".to_string());
        }
    }
    if changed.is_empty() {
        return Ok(None);
    }
    let number = article.revisions + 1;
    let rev = Revision {
        article: article.id.clone(),
        number,
        title: body.title.clone(),
        text: body.text.clone(),
        html: body.html.clone(),
        content_hash: hash.clone(),
        published: body.published,
        updated: body.updated,
        seen_at: now,
        changed,
    };
    article.title = body.title.clone();
    article.text = body.text.clone();
    article.html = body.html.clone();
    article.content_hash = hash;
    article.updated = Some(
        body.updated
            .filter(|u| Some(*u) != last.as_ref().and_then(|l| l.updated))
            .unwrap_or(now),
    );
    article.revisions = number;
    if body.lang.is_some() {
        article.lang = body.lang.clone();
    }
    Ok(Some(rev))
}

fn new_or_duplicate(
    ctx: &Context,
    doc: &Doc<'_>,
    it: &Item<'_>,
    mut page: Page,
    prep: Option<Prepared>,
    report: &mut PollReport,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let (feed, parsed) = (doc.feed, doc.parsed);
    let store = &ctx.store;
    let Prepared {
        body,
        print,
        record,
    } = match prep {
        Some(p) => p,
        None => prepare(ctx, feed, parsed, it, &mut page),
    };
    let (hash, simhash) = (print.content_hash.clone(), print.simhash);
    let provable = print.words >= ctx.config.dedup.min_hash_words;
    let mut urls: Vec<String> = it
        .canonical
        .iter()
        .chain(body.page_canonical.iter())
        .cloned()
        .collect();
    urls.dedup();
    // Removed by retention: never ingested again.
    if store.tombstoned(
        &feed.name,
        &it.key,
        &urls,
        provable.then_some(hash.as_str()),
    )? {
        report.unchanged += 1;
        return Ok(());
    }
    let (page_etag, page_lm) = match &page {
        Page::Extracted {
            etag,
            last_modified,
            ..
        } => (etag.clone(), last_modified.clone()),
        _ => (None, None),
    };
    let seen = SeenIn {
        feed: feed.name.clone(),
        url: it.link.clone().unwrap_or_default(),
        guid: it.entry.id.clone(),
        seen_at: now,
    };
    // A copy of a stored article?
    let mut existing: Option<ArticleId> = None;
    for u in &urls {
        if let Some(id) = store.id_by_url(u)? {
            existing = Some(id);
            break;
        }
    }
    if existing.is_none() && provable {
        existing = store.id_by_hash(&hash)?;
    }
    if let Some(id) = existing {
        if let Some(article) = store.article(&id)? {
            let mut updated = article.clone();
            // A rotated guid: the article's own item is gone from its own feed's document and
            // this new item of that feed carries the same URL or content. It takes over as the
            // article's own identity (and may add revisions from now on).
            let rotated = article.feed == feed.name
                && !article.item_key.is_empty()
                && !doc.keys.contains(article.item_key.as_str());
            let mut old_own = None;
            let mut revision = None;
            if rotated {
                old_own = store.route(&article.feed, &article.item_key)?.map(|mut r| {
                    r.own = false;
                    r
                });
                updated.item_key = it.key.clone();
                // The article's own item, under its new guid: its edits count.
                if body.extraction == ExtractionStatus::Ok || !feed.scrape {
                    revision = revise(&mut updated, &body, &hash, now, store)?;
                }
            }
            if !updated
                .seen_in
                .iter()
                .any(|s| s.feed == seen.feed && s.url == seen.url)
            {
                updated.seen_in.push(seen);
            }
            updated.last_seen = now;
            if let Some(p) = body.published {
                if updated.published.is_none_or(|q| p < q) {
                    updated.published = Some(p);
                }
            }
            let route = Route {
                article: id.clone(),
                own: rotated,
                link: it.link.clone().unwrap_or_default(),
                page_etag,
                page_last_modified: page_lm,
                item_fingerprint: it.fingerprint.clone(),
            };
            let mut routes = vec![(feed.name.as_str(), it.key.as_str(), &route)];
            if let Some(r) = &old_own {
                routes.push((article.feed.as_str(), article.item_key.as_str(), r));
            }
            let index_hash = revision.is_some() && provable;
            if revision.is_some() {
                updated.simhash = simhash;
            }
            store.write(&ArticleWrite {
                article: &updated,
                previous: Some(&article),
                revision: revision.as_ref(),
                routes,
                urls,
                index_hash,
                others: Vec::new(),
                print: revision.as_ref().map(|_| &print),
                body: record.as_ref().filter(|_| revision.is_some()),
            })?;
            if revision.is_some() {
                report.updated += 1;
            } else if rotated {
                report.unchanged += 1;
            } else {
                report.duplicate += 1;
            }
            return Ok(());
        }
    }
    let id = ArticleId::from_key(&it.key);
    let url = body
        .page_canonical
        .clone()
        .or_else(|| it.canonical.clone())
        .unwrap_or_default();
    // Near-duplicates: the same wire story lightly edited elsewhere. Linked both ways.
    let mut partners: Vec<Article> = Vec::new();
    if simhash != 0 {
        for other in store.near_candidates(simhash, ctx.config.dedup.near_duplicate_distance)? {
            if other == id {
                continue;
            }
            if let Some(mut o) = store.article(&other)? {
                if !o.near.contains(&id) {
                    o.near.push(id.clone());
                }
                partners.push(o);
            }
        }
    }
    let article = Article {
        id: id.clone(),
        feed: feed.name.clone(),
        url,
        guid: it.guid.clone(),
        title: body.title.clone(),
        published: body.published,
        updated: body.updated.or(body.published),
        lang: body.lang.clone(),
        dir: body.dir.clone(),
        byline: body.byline.clone(),
        tags: body.tags.clone(),
        content_hash: hash.clone(),
        text: body.text.clone(),
        html: body.html.clone(),
        revisions: 1,
        seen_in: vec![seen],
        first_seen: now,
        last_seen: now,
        extraction: body.extraction.clone(),
        extraction_reason: body.reason.clone(),
        item_key: it.key.clone(),
        watch: if feed.scrape && it.link.is_some() {
            dedup::watch_times(body.published, now, &ctx.config.dedup.watch)
        } else {
            Vec::new()
        },
        simhash,
        near: partners.iter().map(|p| p.id.clone()).collect(),
    };
    let revision = Revision {
        article: id.clone(),
        number: 1,
        title: body.title.clone(),
        text: body.text.clone(),
        html: body.html.clone(),
        content_hash: hash,
        published: body.published,
        updated: body.updated,
        seen_at: now,
        changed: Vec::new(),
    };
    let route = Route {
        article: id,
        own: true,
        link: it.link.clone().unwrap_or_default(),
        page_etag,
        page_last_modified: page_lm,
        item_fingerprint: it.fingerprint.clone(),
    };
    let routes = vec![(feed.name.as_str(), it.key.as_str(), &route)];
    store.write(&ArticleWrite {
        article: &article,
        previous: None,
        revision: Some(&revision),
        routes,
        urls,
        index_hash: provable,
        others: partners.iter().collect(),
        print: Some(&print),
        body: record.as_ref(),
    })?;
    report.new += 1;
    Ok(())
}

/// Polls every given feed once, concurrently (bounded by the fetcher's limits), storing in
/// the given order (see [`Sequencer`]), and returns the reports in that order. Feeds held by
/// `Retry-After` or parked are deferred.
pub async fn poll_all(ctx: &Context, feeds: &[FeedConfig]) -> Vec<PollReport> {
    poll_all_with(ctx, feeds, PollOptions::default()).await
}

/// [`poll_all`] with [`PollOptions`] (`--force`).
pub async fn poll_all_with(
    ctx: &Context,
    feeds: &[FeedConfig],
    opts: PollOptions,
) -> Vec<PollReport> {
    poll_all_with_progress(ctx, feeds, opts, &|_: &PollReport| {}).await
}

/// [`poll_all`], calling `progress` with each report as its feed finishes (the CLI's progress
/// bar for `run --once` and `poll`).
pub async fn poll_all_with_progress(
    ctx: &Context,
    feeds: &[FeedConfig],
    opts: PollOptions,
    progress: &(dyn Fn(&PollReport) + Sync),
) -> Vec<PollReport> {
    let seq = Arc::new(Sequencer::default());
    // Feeds allowed ahead of the store order. Each holds its extracted pages (text + HTML, up
    // to a few MB per feed) until its turn, so this bounds memory; 8 feeds of ~20 pages keep
    // the default 16 fetch permits busy. On the 1,000-feed farm (64 permits) 32 feeds ahead
    // peaked at 459 MB, and 100 of its feeds took 280 MB with 32 ahead, 158 MB with 8.
    let window = (ctx.config.fetch.concurrency / 8).max(8);
    let polls = feeds.iter().enumerate().map(|(index, f)| {
        let turn = Turn {
            seq: Arc::clone(&seq),
            index,
        };
        async move {
            turn.seq.wait_window(index, window).await;
            let report = poll_feed_with(ctx, f, Some(turn), opts).await;
            progress(&report);
            report
        }
    });
    futures_util::future::join_all(polls).await
}
