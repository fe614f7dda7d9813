//! The `schedule` stage: when each feed is next due. Pure functions of `(schedule, state, now)`
//! so tests run without a clock.
//!
//! Cron syntax: 5 fields (`min hour dom mon dow`) or 6 (seconds first), evaluated in the feed's
//! time zone (crate `cron` with `chrono-tz`).

use crate::config::FeedConfig;
use chrono::{DateTime, Utc};

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

/// When a feed is next due: the next cron occurrence after its last poll (or now, for a feed
/// never polled), and never earlier than `now` minus nothing — an overdue feed is due now.
pub fn next_due(
    feed: &FeedConfig,
    last_poll: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> DateTime<Utc> {
    match last_poll {
        None => now,
        Some(last) => next_cron(feed, last).unwrap_or(now + chrono::Duration::days(365)),
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
    }
}
