//! The `schedule` stage: when each feed is next due, and why. Pure functions of
//! `(feed, state, policy, now)` so tests run on an injected clock ([`Clock`]).
//!
//! Cron syntax: 5 fields (`min hour dom mon dow`) or 6 (seconds first), evaluated in the feed's
//! time zone (crate `cron` with `chrono-tz`).
//!
//! Order of the rules in [`next_poll`]:
//! 1. a parked feed (410 Gone) is not polled at all;
//! 2. after a failure, the server's `Retry-After` (429/503) wins; otherwise exponential backoff
//!    with jitter from the feed's interval, capped at 24 h, never giving up;
//! 3. after a success, the next cron occurrence, raised to the floors: the minimum interval and,
//!    with `respect_feed_hints`, `<ttl>`, `Cache-Control: max-age`, `Expires` and
//!    `sy:updatePeriod`/`sy:updateFrequency` (each floor capped at 24 h), then moved out of
//!    `<skipHours>`/`<skipDays>`.

use crate::config::{FeedConfig, defaults};
use crate::model::{FeedState, NextPollReason};
use chrono::{DateTime, Datelike, Duration, Timelike, Utc};
use std::sync::{Arc, Mutex};

/// The source of "now" for the pipeline and the fetcher: the system clock, or a manual one that
/// tests set and advance.
#[derive(Clone, Debug, Default)]
pub struct Clock {
    manual: Option<Arc<Mutex<DateTime<Utc>>>>,
}

impl Clock {
    /// The system clock.
    pub fn system() -> Clock {
        Clock { manual: None }
    }

    /// A clock that stays at `start` until [`Clock::set`] or [`Clock::advance`] moves it.
    pub fn manual(start: DateTime<Utc>) -> Clock {
        Clock {
            manual: Some(Arc::new(Mutex::new(start))),
        }
    }

    /// The current time.
    pub fn now(&self) -> DateTime<Utc> {
        match &self.manual {
            Some(t) => *t.lock().unwrap_or_else(|p| p.into_inner()),
            None => Utc::now(),
        }
    }

    /// Sets a manual clock (no effect on the system clock).
    pub fn set(&self, to: DateTime<Utc>) {
        if let Some(t) = &self.manual {
            *t.lock().unwrap_or_else(|p| p.into_inner()) = to;
        }
    }

    /// Moves a manual clock forward (no effect on the system clock).
    pub fn advance(&self, by: Duration) {
        if let Some(t) = &self.manual {
            let mut g = t.lock().unwrap_or_else(|p| p.into_inner());
            *g += by;
        }
    }
}

/// The scheduling knobs of one feed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Policy {
    /// Never poll more often than this.
    pub min_interval: Duration,
    /// Treat feed hints as floors.
    pub respect_feed_hints: bool,
    /// Longest backoff and longest hint floor.
    pub max_delay: Duration,
    /// A feed with validators still gets one unconditional request this often.
    pub unconditional_every: Duration,
    /// Successful polls through the same permanent redirect before the URL moves.
    pub move_after: u32,
}

impl Policy {
    /// The policy of a configured feed.
    pub fn for_feed(feed: &FeedConfig) -> Policy {
        Policy {
            min_interval: Duration::from_std(feed.min_interval).unwrap_or(Duration::minutes(5)),
            respect_feed_hints: feed.respect_feed_hints,
            ..Policy::default()
        }
    }
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            min_interval: Duration::seconds(defaults::MIN_INTERVAL_SECS as i64),
            respect_feed_hints: defaults::RESPECT_FEED_HINTS,
            max_delay: Duration::seconds(defaults::MAX_BACKOFF_SECS as i64),
            unconditional_every: Duration::seconds(defaults::UNCONDITIONAL_EVERY_SECS as i64),
            move_after: defaults::MOVE_AFTER_POLLS,
        }
    }
}

/// When a feed is next due and why; `at` is `None` for a parked feed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Due {
    /// The time, or `None` when the feed is parked.
    pub at: Option<DateTime<Utc>>,
    /// Which rule decided it.
    pub reason: NextPollReason,
}

/// Why an explicit poll (`run --once`, `poll`) does not happen without `--force`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Hold {
    /// The server asked for no request before this time (`Retry-After`).
    RetryAfter(DateTime<Utc>),
    /// The feed is parked; the reason says why.
    Parked(String),
}

/// The first cron occurrence strictly after `after`, in UTC; `None` if the expression never
/// fires again.
pub fn next_cron(feed: &FeedConfig, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let local = after.with_timezone(&feed.timezone);
    feed.schedule
        .cron
        .after(&local)
        .next()
        .map(|t| t.with_timezone(&Utc))
}

/// When a feed is next due by its cron schedule alone: the next occurrence after its last poll
/// (or now, for a feed never polled). See [`next_poll`] for the full rules.
pub fn next_due(
    feed: &FeedConfig,
    last_poll: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> DateTime<Utc> {
    match last_poll {
        None => now,
        Some(last) => next_cron(feed, last).unwrap_or(now + Duration::days(365)),
    }
}

/// The feed's normal interval around `at`: the gap between the next two cron occurrences
/// (at least one minute; 15 minutes when the schedule never fires again).
pub fn interval(feed: &FeedConfig, at: DateTime<Utc>) -> Duration {
    let fallback = Duration::minutes(15);
    let Some(a) = next_cron(feed, at) else {
        return fallback;
    };
    let Some(b) = next_cron(feed, a) else {
        return fallback;
    };
    (b - a).max(Duration::minutes(1))
}

/// The window the `failures`-th consecutive failure's delay is drawn from:
/// `[base·2^(n-1), base·2^n]`, both ends capped at `cap`. The lower end never goes below one
/// normal interval and doubles with each failure (case 023); the jitter spreads feeds that
/// failed together so they do not retry in lock-step.
pub fn backoff_bounds(base: Duration, failures: u32, cap: Duration) -> (Duration, Duration) {
    let n = failures.max(1);
    let factor = 1i64 << (n - 1).min(30);
    let lo = base
        .checked_mul(factor as i32)
        .unwrap_or(cap)
        .min(cap)
        .max(Duration::zero());
    let hi = lo.checked_mul(2).unwrap_or(cap).min(cap);
    (lo, hi)
}

/// The backoff delay for the `failures`-th consecutive failure, with `jitter` in `[0, 1)`
/// picking a point in [`backoff_bounds`].
pub fn backoff_delay(base: Duration, failures: u32, cap: Duration, jitter: f64) -> Duration {
    let (lo, hi) = backoff_bounds(base, failures, cap);
    let span = (hi - lo).num_milliseconds().max(0) as f64;
    lo + Duration::milliseconds((span * jitter.clamp(0.0, 1.0)) as i64)
}

/// A jitter fraction in `[0, 1)` that is a pure function of the feed, its failure count and
/// the time of the failed poll: reproducible in tests, different across feeds.
pub fn jitter_fraction(feed: &str, failures: u32, at: DateTime<Utc>) -> f64 {
    let h = blake3::hash(format!("{feed}\u{1f}{failures}\u{1f}{}", at.timestamp()).as_bytes());
    let mut b = [0u8; 8];
    b.copy_from_slice(&h.as_bytes()[..8]);
    (u64::from_le_bytes(b) >> 11) as f64 / (1u64 << 53) as f64
}

/// Whether an explicit poll at `now` is held back: parked, or inside a `Retry-After`.
pub fn hold(state: &FeedState, now: DateTime<Utc>) -> Option<Hold> {
    if let Some(reason) = &state.parked {
        return Some(Hold::Parked(reason.clone()));
    }
    match state.retry_after_until {
        Some(until) if until > now => Some(Hold::RetryAfter(until)),
        _ => None,
    }
}

/// Whether the next feed request should leave out its validators: once per
/// `unconditional_every`, so a server that answers 304 for ever (or whose validators are
/// broken) still gets one full request a day.
pub fn wants_unconditional(state: &FeedState, policy: &Policy, now: DateTime<Utc>) -> bool {
    if state.etag.is_none() && state.last_modified.is_none() {
        return true;
    }
    state
        .last_unconditional
        .is_none_or(|t| now - t >= policy.unconditional_every)
}

/// The next cron occurrence at or after `t` (or `t` itself when the schedule never fires).
fn at_or_after(feed: &FeedConfig, t: DateTime<Utc>) -> DateTime<Utc> {
    next_cron(feed, t - Duration::seconds(1)).unwrap_or(t)
}

const DAY_NAMES: [&str; 7] = [
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
];

/// Which skip rule (if any) forbids polling at `t` (RSS 2.0: hours and days are in GMT).
fn skipped(state: &FeedState, t: DateTime<Utc>) -> Option<NextPollReason> {
    let h = &state.hints;
    if h.skip_hours.contains(&(t.hour() as u8)) {
        return Some(NextPollReason::SkipHours);
    }
    let day = DAY_NAMES[t.weekday().num_days_from_monday() as usize];
    if h.skip_days
        .iter()
        .any(|d| d.trim().eq_ignore_ascii_case(day))
    {
        return Some(NextPollReason::SkipDays);
    }
    None
}

/// When the feed is next due and why (see the module docs for the order of the rules).
pub fn next_poll(feed: &FeedConfig, state: &FeedState, policy: &Policy, now: DateTime<Utc>) -> Due {
    if state.parked.is_some() {
        return Due {
            at: None,
            reason: NextPollReason::Parked,
        };
    }
    if let Some(until) = state
        .retry_after_until
        .filter(|u| state.last_poll.is_none_or(|l| *u > l))
    {
        let floor = state.last_poll.map(|l| l + policy.min_interval);
        return Due {
            at: Some(floor.map_or(until, |f| until.max(f))),
            reason: NextPollReason::RetryAfter,
        };
    }
    let Some(last) = state.last_poll else {
        return Due {
            at: Some(now),
            reason: NextPollReason::Schedule,
        };
    };
    let min_floor = last + policy.min_interval;
    if state.consecutive_failures > 0 {
        let n = state.consecutive_failures;
        let delay = backoff_delay(
            interval(feed, last),
            n,
            policy.max_delay,
            jitter_fraction(&state.name, n, last),
        );
        let at = last + delay;
        return if at < min_floor {
            Due {
                at: Some(min_floor),
                reason: NextPollReason::MinInterval,
            }
        } else {
            Due {
                at: Some(at),
                reason: NextPollReason::Backoff,
            }
        };
    }
    let mut at = next_cron(feed, last).unwrap_or(last + Duration::days(365));
    let mut reason = NextPollReason::Schedule;
    let cap = last + policy.max_delay;
    let mut floors = vec![(min_floor, NextPollReason::MinInterval)];
    if policy.respect_feed_hints {
        let h = &state.hints;
        let secs = |s: u64| Duration::seconds(s.min(i64::MAX as u64 / 1000) as i64);
        if let Some(s) = h.ttl_secs {
            floors.push((last + secs(s), NextPollReason::Ttl));
        }
        if let Some(s) = h.max_age_secs {
            floors.push((last + secs(s), NextPollReason::MaxAge));
        }
        if let Some(e) = h.expires {
            floors.push((e, NextPollReason::Expires));
        }
        if let Some(s) = h.update_period_secs {
            floors.push((last + secs(s), NextPollReason::UpdatePeriod));
        }
    }
    // The highest floor decides; ties go to the first listed (minimum interval first).
    let mut best: Option<(DateTime<Utc>, NextPollReason)> = None;
    for (f, r) in floors {
        let f = f.min(cap);
        if best.is_none_or(|(b, _)| f > b) {
            best = Some((f, r));
        }
    }
    if let Some((f, r)) = best {
        if f > at {
            at = at_or_after(feed, f);
            reason = r;
        }
    }
    if policy.respect_feed_hints {
        // At most 8 days of hours; a feed that skips every hour of every day is ignored.
        let start = at;
        let start_reason = reason;
        let mut moved = 0;
        while let Some(r) = skipped(state, at) {
            moved += 1;
            if moved > 24 * 8 {
                at = start;
                reason = start_reason;
                break;
            }
            let next_hour = at
                .with_minute(0)
                .and_then(|t| t.with_second(0))
                .and_then(|t| t.with_nanosecond(0))
                .unwrap_or(at)
                + Duration::hours(1);
            at = at_or_after(feed, next_hour);
            reason = r;
        }
    }
    Due {
        at: Some(at),
        reason,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    #[test]
    fn every_quarter_hour() {
        let c = Config::from_toml(
            "[[feed]]\nname='a'\nurl='https://x.example/'\nschedule='*/15 * * * *'\n",
            "t",
        )
        .unwrap();
        let t = DateTime::parse_from_rfc3339("2025-11-21T12:08:30Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(
            next_cron(&c.feeds[0], t).unwrap().to_rfc3339(),
            "2025-11-21T12:15:00+00:00"
        );
        assert_eq!(next_due(&c.feeds[0], None, t), t);
        assert_eq!(interval(&c.feeds[0], t), Duration::minutes(15));
    }
}
