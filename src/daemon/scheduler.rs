//! The daemon's scheduler: when each feed is next due, and the loop that polls feeds when
//! they are due.
//!
//! A feed's due time is its next cron occurrence after its last poll (in the feed's time zone,
//! so daylight-saving changes follow the wall clock), delayed by a stable per-feed jitter of up
//! to `[daemon] jitter` (default 10%) of the gap to the following occurrence, and never earlier
//! than the floors the fetch stage leaves on the feed's state: error backoff after consecutive
//! failures, and `next_poll` (a `Retry-After` or feed TTL hint). A feed never polled is due now.
//!
//! [`Scheduler`] is a plain state machine (no clock, no I/O); [`drive`] is the loop around it,
//! with the clock, the poller, the observer and the shutdown future as parameters, so tests run
//! it under `tokio::time::pause()`.

use crate::config::FeedConfig;
use crate::model::FeedState;
use crate::pipeline::{PollReport, PollStatus};
use chrono::{DateTime, Duration as CDuration, Utc};
use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinSet;

/// Error backoff: the first retry after a failure waits this long …
pub const BACKOFF_BASE: CDuration = CDuration::seconds(60);
/// … doubling per consecutive failure, up to this.
pub const BACKOFF_MAX: CDuration = CDuration::hours(6);

/// The wall clock the scheduler reads.
pub trait Clock: Send + Sync + 'static {
    /// Now, in UTC.
    fn now(&self) -> DateTime<Utc>;
}

/// The system clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A wall clock that follows tokio's (pausable) monotonic clock from a fixed start, for tests
/// under `tokio::time::pause()`.
#[derive(Clone, Copy, Debug)]
pub struct TokioClock {
    start_wall: DateTime<Utc>,
    start: tokio::time::Instant,
}

impl TokioClock {
    /// A clock that reads `start_wall` now and advances with `tokio::time`.
    pub fn starting_at(start_wall: DateTime<Utc>) -> TokioClock {
        TokioClock {
            start_wall,
            start: tokio::time::Instant::now(),
        }
    }
}

impl Clock for TokioClock {
    fn now(&self) -> DateTime<Utc> {
        let elapsed = tokio::time::Instant::now() - self.start;
        self.start_wall + CDuration::from_std(elapsed).unwrap_or(CDuration::zero())
    }
}

/// Why a feed is due when it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reason {
    /// Never polled: due now.
    FirstPoll,
    /// Its cron schedule (plus jitter).
    Schedule,
    /// Error backoff after consecutive failures.
    Backoff,
    /// A floor left by the fetch stage (`Retry-After`, feed TTL hint).
    RetryAfter,
    /// Asked for (`feedkeeper poll` through the API).
    Requested,
    /// The cron expression never fires again.
    Never,
}

impl Reason {
    /// A short lower-case name (`schedule`, `backoff`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::FirstPoll => "first poll",
            Reason::Schedule => "schedule",
            Reason::Backoff => "backoff",
            Reason::RetryAfter => "retry-after",
            Reason::Requested => "requested",
            Reason::Never => "never",
        }
    }
}

/// When a feed is due, and why.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Due {
    /// The due time (UTC).
    pub at: DateTime<Utc>,
    /// What decided it.
    pub reason: Reason,
}

/// The feed's stable jitter unit in `[0, 1)`, derived from its name.
pub fn jitter_unit(name: &str) -> f64 {
    let h = blake3::hash(name.as_bytes());
    let mut b = [0u8; 8];
    b.copy_from_slice(&h.as_bytes()[..8]);
    (u64::from_le_bytes(b) >> 11) as f64 / (1u64 << 53) as f64
}

/// The first two cron occurrences strictly after `after`, in UTC.
fn occurrences(
    feed: &FeedConfig,
    after: DateTime<Utc>,
) -> (Option<DateTime<Utc>>, Option<DateTime<Utc>>) {
    let local = after.with_timezone(&feed.timezone);
    let mut it = feed.schedule.cron.after(&local);
    let a = it.next().map(|t| t.with_timezone(&Utc));
    let b = it.next().map(|t| t.with_timezone(&Utc));
    (a, b)
}

/// The jittered poll time of the first cron occurrence after `after`: the occurrence plus
/// `jitter_unit(name) × fraction × gap to the following occurrence`. `None` if the expression
/// never fires again.
pub fn next_scheduled(
    feed: &FeedConfig,
    after: DateTime<Utc>,
    fraction: f64,
) -> Option<DateTime<Utc>> {
    let (a, b) = occurrences(feed, after);
    let a = a?;
    let gap = b.map(|b| b - a).unwrap_or(CDuration::zero());
    let ms =
        (gap.num_milliseconds() as f64 * fraction.clamp(0.0, 1.0) * jitter_unit(&feed.name)) as i64;
    Some(a + CDuration::milliseconds(ms))
}

/// The error-backoff floor: after `n` consecutive failures, the last poll plus
/// `BACKOFF_BASE × 2^(n-1)`, capped at [`BACKOFF_MAX`].
pub fn backoff_floor(state: &FeedState) -> Option<DateTime<Utc>> {
    if state.consecutive_failures == 0 {
        return None;
    }
    let last = state.last_poll?;
    let shift = (state.consecutive_failures - 1).min(16);
    let delay = BACKOFF_BASE
        .checked_mul(1 << shift)
        .unwrap_or(BACKOFF_MAX)
        .min(BACKOFF_MAX);
    Some(last + delay)
}

/// When `feed` is next due given its stored state (`None`: never polled).
pub fn plan(feed: &FeedConfig, state: Option<&FeedState>, now: DateTime<Utc>, jitter: f64) -> Due {
    let Some(last) = state.and_then(|s| s.last_poll) else {
        return Due {
            at: now,
            reason: Reason::FirstPoll,
        };
    };
    let mut due = match next_scheduled(feed, last, jitter) {
        Some(at) => Due {
            at,
            reason: Reason::Schedule,
        },
        None => Due {
            at: now + CDuration::days(365),
            reason: Reason::Never,
        },
    };
    if let Some(s) = state {
        if let Some(b) = backoff_floor(s) {
            if b > due.at {
                due = Due {
                    at: b,
                    reason: Reason::Backoff,
                };
            }
        }
        if let Some(r) = s.next_poll {
            if r > due.at {
                due = Due {
                    at: r,
                    reason: Reason::RetryAfter,
                };
            }
        }
    }
    due
}

/// What a reload changed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReloadSummary {
    /// Feeds new in the config.
    pub added: Vec<String>,
    /// Feeds no longer in the config.
    pub removed: Vec<String>,
    /// Feeds whose settings changed (rescheduled).
    pub changed: Vec<String>,
}

/// The scheduler's state: the configured feeds, when each is due, which are being polled.
#[derive(Debug)]
pub struct Scheduler {
    feeds: Vec<FeedConfig>,
    due: HashMap<String, Due>,
    busy: HashSet<String>,
    jitter: f64,
}

fn fingerprint(f: &FeedConfig) -> String {
    format!("{f:?}")
}

impl Scheduler {
    /// A scheduler for `feeds`; `state` gives each feed's stored state.
    pub fn new(
        feeds: Vec<FeedConfig>,
        jitter: f64,
        state: impl Fn(&str) -> Option<FeedState>,
        now: DateTime<Utc>,
    ) -> Scheduler {
        let mut s = Scheduler {
            feeds,
            due: HashMap::new(),
            busy: HashSet::new(),
            jitter,
        };
        for f in &s.feeds {
            s.due.insert(
                f.name.clone(),
                plan(f, state(&f.name).as_ref(), now, jitter),
            );
        }
        s
    }

    /// The configured feeds, in config order.
    pub fn feeds(&self) -> &[FeedConfig] {
        &self.feeds
    }

    /// When a feed is due (`None` while it is being polled or when unknown).
    pub fn due(&self, name: &str) -> Option<Due> {
        self.due.get(name).copied()
    }

    /// Whether a feed is being polled.
    pub fn is_busy(&self, name: &str) -> bool {
        self.busy.contains(name)
    }

    /// Polls in flight.
    pub fn in_flight(&self) -> usize {
        self.busy.len()
    }

    /// Takes the feeds due at `now` (in config order) and marks them busy; a busy feed is never
    /// returned again until [`Scheduler::finished`].
    pub fn take_due(&mut self, now: DateTime<Utc>) -> Vec<FeedConfig> {
        let mut out = Vec::new();
        for f in &self.feeds {
            if self.busy.contains(&f.name) {
                continue;
            }
            if self.due.get(&f.name).is_some_and(|d| d.at <= now) {
                self.due.remove(&f.name);
                self.busy.insert(f.name.clone());
                out.push(f.clone());
            }
        }
        out
    }

    /// Records the end of a poll and plans the feed's next one from its new state.
    pub fn finished(&mut self, name: &str, state: Option<&FeedState>, now: DateTime<Utc>) {
        self.busy.remove(name);
        if self
            .due
            .get(name)
            .is_some_and(|d| d.reason == Reason::Requested)
        {
            return;
        }
        if let Some(f) = self.feeds.iter().find(|f| f.name == name) {
            self.due
                .insert(name.to_string(), plan(f, state, now, self.jitter));
        }
    }

    /// Makes a feed due now (if it is being polled, right after that poll). Returns false
    /// for an unknown feed.
    pub fn request(&mut self, name: &str, now: DateTime<Utc>) -> bool {
        if !self.feeds.iter().any(|f| f.name == name) {
            return false;
        }
        self.due.insert(
            name.to_string(),
            Due {
                at: now,
                reason: Reason::Requested,
            },
        );
        true
    }

    /// The earliest due time of a feed not being polled.
    pub fn next_wake(&self) -> Option<DateTime<Utc>> {
        self.due
            .iter()
            .filter(|(n, _)| !self.busy.contains(*n))
            .map(|(_, d)| d.at)
            .min()
    }

    /// Replaces the feed list: added feeds are planned, removed ones dropped (a poll in flight
    /// finishes but is not planned again), changed ones re-planned.
    pub fn reload(
        &mut self,
        feeds: Vec<FeedConfig>,
        jitter: f64,
        state: impl Fn(&str) -> Option<FeedState>,
        now: DateTime<Utc>,
    ) -> ReloadSummary {
        let old: HashMap<String, String> = self
            .feeds
            .iter()
            .map(|f| (f.name.clone(), fingerprint(f)))
            .collect();
        let mut summary = ReloadSummary::default();
        let jitter_changed = (jitter - self.jitter).abs() > f64::EPSILON;
        self.jitter = jitter;
        for f in &feeds {
            match old.get(&f.name) {
                None => summary.added.push(f.name.clone()),
                Some(fp) if *fp != fingerprint(f) => summary.changed.push(f.name.clone()),
                Some(_) if !jitter_changed => continue,
                Some(_) => {}
            }
            if !self.busy.contains(&f.name) {
                self.due.insert(
                    f.name.clone(),
                    plan(f, state(&f.name).as_ref(), now, jitter),
                );
            }
        }
        let names: HashSet<&str> = feeds.iter().map(|f| f.name.as_str()).collect();
        for f in &self.feeds {
            if !names.contains(f.name.as_str()) {
                summary.removed.push(f.name.clone());
                self.due.remove(&f.name);
            }
        }
        self.feeds = feeds;
        summary
    }
}

/// A boxed poll future.
pub type PollFuture = Pin<Box<dyn Future<Output = (PollReport, Option<FeedState>)> + Send>>;

/// Polls one feed; returns the report and the feed's state afterwards.
pub trait Poller: Send + Sync + 'static {
    /// Polls `feed` now.
    fn poll(self: Arc<Self>, feed: FeedConfig) -> PollFuture;
}

/// Totals of one poll cycle (the polls between the loop going busy and idle again).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CycleSummary {
    /// Feeds polled.
    pub polled: usize,
    /// Of which failed.
    pub failed: usize,
    /// Of which answered 304.
    pub not_modified: usize,
    /// New articles.
    pub new: usize,
    /// Updated articles.
    pub updated: usize,
    /// Duplicates.
    pub duplicate: usize,
}

impl CycleSummary {
    fn add(&mut self, r: &PollReport) {
        self.polled += 1;
        match r.status {
            PollStatus::Failed(_) => self.failed += 1,
            PollStatus::NotModified => self.not_modified += 1,
            PollStatus::Ok | PollStatus::Deferred { .. } => {}
        }
        self.new += r.new;
        self.updated += r.updated;
        self.duplicate += r.duplicate;
    }
}

/// Hooks the loop calls: logging, metrics, sd_notify.
pub trait Observer: Send + Sync + 'static {
    /// A poll ended.
    fn poll_done(&self, _report: &PollReport, _state: Option<&FeedState>) {}
    /// Every poll started in a busy period ended.
    fn cycle_done(&self, _summary: &CycleSummary, _next: Option<DateTime<Utc>>) {}
    /// The watchdog interval elapsed while the loop runs.
    fn watchdog(&self) {}
    /// In-flight polls changed.
    fn in_flight(&self, _n: usize) {}
}

/// No hooks.
pub struct NoObserver;
impl Observer for NoObserver {}

/// A message to the running loop.
pub enum Command {
    /// Replace the feed list (a validated config's feeds and jitter).
    Reload {
        /// The new feeds.
        feeds: Vec<FeedConfig>,
        /// The new jitter fraction.
        jitter: f64,
        /// Receives what changed.
        reply: Option<oneshot::Sender<ReloadSummary>>,
    },
    /// Poll these feeds as soon as they are not being polled; reply with their reports in the
    /// order asked.
    PollNow {
        /// Feed names.
        feeds: Vec<String>,
        /// Receives the reports (a report per known feed).
        reply: oneshot::Sender<Vec<PollReport>>,
    },
}

/// How the loop ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stopped {
    /// Polls that finished within the grace period.
    pub drained: usize,
    /// Polls abandoned when the grace period ran out.
    pub abandoned: usize,
}

struct Waiting {
    names: Vec<String>,
    reports: HashMap<String, PollReport>,
    pending: HashSet<String>,
    reply: oneshot::Sender<Vec<PollReport>>,
}

/// Runs the scheduler until `shutdown` resolves, then waits up to `grace` for polls in flight.
///
/// The loop sleeps until the next due time, a finished poll, a [`Command`], the watchdog tick
/// or the shutdown; `state` reads a feed's stored state (for reloads).
#[allow(clippy::too_many_arguments)]
pub async fn drive<C: Clock, P: Poller, O: Observer>(
    mut sched: Scheduler,
    clock: &C,
    poller: Arc<P>,
    observer: &O,
    state: impl Fn(&str) -> Option<FeedState>,
    mut commands: mpsc::Receiver<Command>,
    watchdog: Option<Duration>,
    shutdown: impl Future<Output = ()>,
    grace: Duration,
) -> Stopped {
    tokio::pin!(shutdown);
    let mut running: JoinSet<(String, PollReport, Option<FeedState>)> = JoinSet::new();
    let mut cycle = CycleSummary::default();
    let mut waiting: Vec<Waiting> = Vec::new();
    // Names whose running poll started after a request: its report answers the request.
    let mut requested_started: HashSet<String> = HashSet::new();
    let mut requested: HashSet<String> = HashSet::new();
    let mut dog = tokio::time::interval(watchdog.unwrap_or(Duration::from_secs(3600)));
    dog.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut commands_open = true;
    loop {
        let now = clock.now();
        for feed in sched.take_due(now) {
            if requested.remove(&feed.name) {
                requested_started.insert(feed.name.clone());
            }
            let name = feed.name.clone();
            let fut = Arc::clone(&poller).poll(feed);
            running.spawn(async move {
                let (report, st) = fut.await;
                (name, report, st)
            });
        }
        observer.in_flight(running.len());
        let sleep_for = sched
            .next_wake()
            .map(|w| (w - clock.now()).to_std().unwrap_or_default())
            .unwrap_or(Duration::from_secs(3600));
        tokio::select! {
            _ = &mut shutdown => break,
            Some(done) = running.join_next() => {
                let Ok((name, report, st)) = done else { continue };
                sched.finished(&name, st.as_ref(), clock.now());
                observer.poll_done(&report, st.as_ref());
                cycle.add(&report);
                if requested_started.remove(&name) {
                    for w in waiting.iter_mut() {
                        if w.pending.remove(&name) {
                            w.reports.insert(name.clone(), report.clone());
                        }
                    }
                    let (ready, rest): (Vec<_>, Vec<_>) = waiting.drain(..).partition(|w| w.pending.is_empty());
                    waiting = rest;
                    for mut w in ready {
                        let out = w.names.iter().filter_map(|n| w.reports.remove(n)).collect();
                        let _ = w.reply.send(out);
                    }
                }
                if running.is_empty() {
                    observer.in_flight(0);
                    observer.cycle_done(&cycle, sched.next_wake());
                    cycle = CycleSummary::default();
                }
            }
            cmd = commands.recv(), if commands_open => match cmd {
                None => commands_open = false,
                Some(Command::Reload { feeds, jitter, reply }) => {
                    let summary = sched.reload(feeds, jitter, &state, clock.now());
                    if let Some(r) = reply { let _ = r.send(summary); }
                }
                Some(Command::PollNow { feeds, reply }) => {
                    let now = clock.now();
                    let names: Vec<String> = feeds.into_iter().filter(|n| sched.request(n, now)).collect();
                    if names.is_empty() {
                        let _ = reply.send(Vec::new());
                    } else {
                        for n in &names { requested.insert(n.clone()); }
                        waiting.push(Waiting { pending: names.iter().cloned().collect(), names, reports: HashMap::new(), reply });
                    }
                }
            },
            _ = dog.tick(), if watchdog.is_some() => observer.watchdog(),
            _ = tokio::time::sleep(sleep_for) => {}
        }
    }
    let in_flight = running.len();
    tracing::info!(in_flight, "shutting down: finishing in-flight polls");
    let mut drained = 0;
    let drain = async {
        while let Some(done) = running.join_next().await {
            if let Ok((_, report, st)) = done {
                observer.poll_done(&report, st.as_ref());
                drained += 1;
            }
        }
    };
    let timed_out = tokio::time::timeout(grace, drain).await.is_err();
    let abandoned = if timed_out {
        tracing::warn!(
            grace_secs = grace.as_secs(),
            "grace period over; abandoning unfinished polls (nothing half-written)"
        );
        let n = running.len();
        running.abort_all();
        n
    } else {
        0
    };
    Stopped { drained, abandoned }
}
