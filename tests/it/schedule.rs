//! Issue 3: the pure scheduling rules, on an injected `now` (no clock, no network).

use chrono::{DateTime, Duration, Utc};
use feedkeeper::config::Config;
use feedkeeper::model::{FeedState, NextPollReason, PollHints};
use feedkeeper::schedule::{self, Due, Hold, Policy};

fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn feed(schedule: &str, extra: &str) -> feedkeeper::config::FeedConfig {
    let c = Config::from_toml(
        &format!("[[feed]]\nname='a'\nurl='https://x.example/'\nschedule='{schedule}'\n{extra}\n"),
        "t",
    )
    .unwrap();
    c.feeds[0].clone()
}

fn polled_at(last: &str) -> FeedState {
    FeedState {
        name: "a".into(),
        last_poll: Some(t(last)),
        ..FeedState::default()
    }
}

fn due(at: &str, reason: NextPollReason) -> Due {
    Due {
        at: Some(t(at)),
        reason,
    }
}

#[test]
fn cron_schedule_after_success() {
    let f = feed("*/15 * * * *", "");
    let st = polled_at("2024-06-19T10:03:00Z");
    let p = Policy::for_feed(&f);
    assert_eq!(
        schedule::next_poll(&f, &st, &p, t("2024-06-19T10:03:00Z")),
        due("2024-06-19T10:15:00Z", NextPollReason::Schedule)
    );
    // Never polled: due now.
    let fresh = FeedState::default();
    assert_eq!(
        schedule::next_poll(&f, &fresh, &p, t("2024-06-19T10:03:00Z")),
        due("2024-06-19T10:03:00Z", NextPollReason::Schedule)
    );
}

#[test]
fn minimum_interval_default_five_minutes_and_configurable() {
    let f = feed("* * * * *", "");
    let st = polled_at("2024-06-19T10:00:00Z");
    assert_eq!(
        schedule::next_poll(&f, &st, &Policy::for_feed(&f), t("2024-06-19T10:00:00Z")),
        due("2024-06-19T10:05:00Z", NextPollReason::MinInterval)
    );
    let f = feed("* * * * *", "min_interval = '12m'");
    assert_eq!(
        schedule::next_poll(&f, &st, &Policy::for_feed(&f), t("2024-06-19T10:00:00Z")),
        due("2024-06-19T10:12:00Z", NextPollReason::MinInterval)
    );
}

#[test]
fn feed_hints_are_floors_aligned_to_the_schedule() {
    let f = feed("*/15 * * * *", "");
    let p = Policy::for_feed(&f);
    let now = t("2024-06-19T10:00:00Z");
    let with = |hints: PollHints| FeedState {
        hints,
        ..polled_at("2024-06-19T10:00:00Z")
    };
    // <ttl>50</ttl>: not before 10:50, so the 11:00 slot.
    let st = with(PollHints {
        ttl_secs: Some(50 * 60),
        ..Default::default()
    });
    assert_eq!(
        schedule::next_poll(&f, &st, &p, now),
        due("2024-06-19T11:00:00Z", NextPollReason::Ttl)
    );
    // sy:updatePeriod=daily, sy:updateFrequency=4 → every 6 h.
    let st = with(PollHints {
        update_period_secs: Some(6 * 3600),
        ttl_secs: Some(3600),
        ..Default::default()
    });
    assert_eq!(
        schedule::next_poll(&f, &st, &p, now),
        due("2024-06-19T16:00:00Z", NextPollReason::UpdatePeriod)
    );
    // Expires and max-age.
    let st = with(PollHints {
        expires: Some(t("2024-06-19T12:20:00Z")),
        max_age_secs: Some(1800),
        ..Default::default()
    });
    assert_eq!(
        schedule::next_poll(&f, &st, &p, now),
        due("2024-06-19T12:30:00Z", NextPollReason::Expires)
    );
    // A week-long TTL is capped at 24 h.
    let st = with(PollHints {
        ttl_secs: Some(7 * 86400),
        ..Default::default()
    });
    assert_eq!(
        schedule::next_poll(&f, &st, &p, now),
        due("2024-06-20T10:00:00Z", NextPollReason::Ttl)
    );
    // respect_feed_hints = false ignores them all.
    let f2 = feed("*/15 * * * *", "respect_feed_hints = false");
    assert_eq!(
        schedule::next_poll(&f2, &st, &Policy::for_feed(&f2), now),
        due("2024-06-19T10:15:00Z", NextPollReason::Schedule)
    );
}

#[test]
fn skip_hours_and_skip_days_move_the_poll_out() {
    let f = feed("*/15 * * * *", "");
    let p = Policy::for_feed(&f);
    // Wednesday 2024-06-19 22:50; skipHours 23, 0..=5 → Thursday 06:00.
    let st = FeedState {
        hints: PollHints {
            skip_hours: vec![23, 0, 1, 2, 3, 4, 5],
            ..Default::default()
        },
        ..polled_at("2024-06-19T22:50:00Z")
    };
    assert_eq!(
        schedule::next_poll(&f, &st, &p, t("2024-06-19T22:50:00Z")),
        due("2024-06-20T06:00:00Z", NextPollReason::SkipHours)
    );
    // skipDays Thursday and Friday → Saturday 00:00.
    let st = FeedState {
        hints: PollHints {
            skip_days: vec!["Thursday".into(), "Friday".into()],
            ..Default::default()
        },
        ..polled_at("2024-06-19T23:50:00Z")
    };
    assert_eq!(
        schedule::next_poll(&f, &st, &p, t("2024-06-19T23:50:00Z")),
        due("2024-06-22T00:00:00Z", NextPollReason::SkipDays)
    );
    // Every hour skipped: the hint is ignored rather than never polling.
    let st = FeedState {
        hints: PollHints {
            skip_hours: (0..24).collect(),
            ..Default::default()
        },
        ..polled_at("2024-06-19T10:00:00Z")
    };
    assert_eq!(
        schedule::next_poll(&f, &st, &p, t("2024-06-19T10:00:00Z")),
        due("2024-06-19T10:15:00Z", NextPollReason::Schedule)
    );
}

#[test]
fn backoff_bounds_double_from_the_interval_up_to_24h_and_never_give_up() {
    let base = Duration::minutes(15);
    let cap = Duration::hours(24);
    let expected = [
        (1, 15, 30),
        (2, 30, 60),
        (3, 60, 120),
        (4, 120, 240),
        (7, 960, 1440),
        (8, 1440, 1440),
        (1000, 1440, 1440),
    ];
    for (n, lo, hi) in expected {
        let (l, h) = schedule::backoff_bounds(base, n, cap);
        assert_eq!((l.num_minutes(), h.num_minutes()), (lo, hi), "failure {n}");
        assert_eq!(schedule::backoff_delay(base, n, cap, 0.0), l);
        assert_eq!(schedule::backoff_delay(base, n, cap, 1.0), h);
    }
    // The jitter is a pure function and spreads feeds across the window.
    let at = t("2024-06-19T10:00:00Z");
    let j = schedule::jitter_fraction("a", 3, at);
    assert_eq!(j, schedule::jitter_fraction("a", 3, at));
    assert!((0.0..1.0).contains(&j));
    let spread: Vec<f64> = (0..50)
        .map(|i| schedule::jitter_fraction(&format!("feed{i}"), 3, at))
        .collect();
    assert!(spread.iter().any(|&x| x < 0.3) && spread.iter().any(|&x| x > 0.7));
    // In next_poll: failure n waits inside its window, and a success resets.
    let f = feed("*/15 * * * *", "");
    let p = Policy::for_feed(&f);
    for n in [1u32, 5, 40] {
        let st = FeedState {
            consecutive_failures: n,
            ..polled_at("2024-06-19T10:00:00Z")
        };
        let d = schedule::next_poll(&f, &st, &p, at);
        assert_eq!(d.reason, NextPollReason::Backoff);
        let (lo, hi) = schedule::backoff_bounds(base, n, cap);
        let wait = d.at.unwrap() - at;
        assert!(wait >= lo && wait <= hi, "failure {n}: {wait}");
    }
    let st = polled_at("2024-06-19T10:00:00Z");
    assert_eq!(
        schedule::next_poll(&f, &st, &p, at),
        due("2024-06-19T10:15:00Z", NextPollReason::Schedule)
    );
}

#[test]
fn retry_after_seconds_and_http_date_capped_at_24h() {
    use feedkeeper::fetch::parse_retry_after;
    let now = t("2024-06-19T10:00:00Z");
    assert_eq!(parse_retry_after("3600", now), Some(3600));
    assert_eq!(
        parse_retry_after("Wed, 19 Jun 2024 14:00:00 GMT", now),
        Some(4 * 3600)
    );
    assert_eq!(
        parse_retry_after("Wednesday, 19-Jun-24 14:00:00 GMT", now),
        Some(4 * 3600)
    );
    assert_eq!(parse_retry_after("99999999", now), Some(86400));
    assert_eq!(
        parse_retry_after("Wed, 19 Jun 2024 09:00:00 GMT", now),
        Some(0)
    );
    assert_eq!(parse_retry_after("soon", now), None);
    // Held feeds: Retry-After wins over backoff, and explicit polls are held until then.
    let f = feed("*/15 * * * *", "");
    let st = FeedState {
        consecutive_failures: 4,
        retry_after_until: Some(t("2024-06-19T11:00:00Z")),
        ..polled_at("2024-06-19T10:00:00Z")
    };
    assert_eq!(
        schedule::next_poll(&f, &st, &Policy::for_feed(&f), now),
        due("2024-06-19T11:00:00Z", NextPollReason::RetryAfter)
    );
    assert_eq!(
        schedule::hold(&st, t("2024-06-19T10:59:59Z")),
        Some(Hold::RetryAfter(t("2024-06-19T11:00:00Z")))
    );
    assert_eq!(schedule::hold(&st, t("2024-06-19T11:00:00Z")), None);
    let parked = FeedState {
        parked: Some("410 Gone".into()),
        ..st
    };
    assert_eq!(
        schedule::next_poll(&f, &parked, &Policy::for_feed(&f), now),
        Due {
            at: None,
            reason: NextPollReason::Parked
        }
    );
}

#[test]
fn unconditional_request_once_a_day() {
    let p = Policy::default();
    let mut st = FeedState {
        etag: Some("\"x\"".into()),
        last_unconditional: Some(t("2024-06-19T10:00:00Z")),
        ..FeedState::default()
    };
    assert!(!schedule::wants_unconditional(
        &st,
        &p,
        t("2024-06-20T09:59:59Z")
    ));
    assert!(schedule::wants_unconditional(
        &st,
        &p,
        t("2024-06-20T10:00:00Z")
    ));
    st.etag = None;
    assert!(schedule::wants_unconditional(
        &st,
        &p,
        t("2024-06-19T10:00:01Z")
    ));
}
