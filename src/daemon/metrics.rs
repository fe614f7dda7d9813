//! Prometheus metrics of the daemon, rendered as text exposition format 0.0.4 on `/metrics`.

use crate::model::FeedState;
use crate::pipeline::{PollReport, PollStatus};
use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// Latency histogram bucket bounds, seconds.
const BUCKETS: [f64; 10] = [0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0];

#[derive(Default)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    sum: f64,
    count: u64,
}

impl Histogram {
    fn observe(&mut self, secs: f64) {
        for (i, b) in BUCKETS.iter().enumerate() {
            if secs <= *b {
                self.counts[i] += 1;
            }
        }
        self.sum += secs;
        self.count += 1;
    }
}

#[derive(Default)]
struct Labelled {
    failures: BTreeMap<String, u64>,
    statuses: BTreeMap<u16, u64>,
    poll_seconds: Histogram,
    feed_seconds: Histogram,
    last_bytes: BTreeMap<String, u64>,
}

/// The daemon's counters; cheap to update from any task.
#[derive(Default)]
pub struct Metrics {
    polls: AtomicU64,
    not_modified: AtomicU64,
    bytes: AtomicU64,
    new: AtomicU64,
    updated: AtomicU64,
    duplicate: AtomicU64,
    unchanged: AtomicU64,
    scrape_failed: AtomicU64,
    in_flight: AtomicU64,
    reloads: AtomicU64,
    reload_failures: AtomicU64,
    labelled: Mutex<Labelled>,
}

/// The failure kind of a poll's reason: its first word (`fetch`, `parse`, `store`, …).
pub fn failure_kind(reason: &str) -> &str {
    reason
        .split(|c: char| !c.is_ascii_alphanumeric() && c != '_')
        .next()
        .filter(|s| !s.is_empty())
        .unwrap_or("other")
}

impl Metrics {
    /// Records one poll.
    pub fn poll_done(&self, r: &PollReport, state: Option<&FeedState>) {
        self.polls.fetch_add(1, Ordering::Relaxed);
        self.new.fetch_add(r.new as u64, Ordering::Relaxed);
        self.updated.fetch_add(r.updated as u64, Ordering::Relaxed);
        self.duplicate
            .fetch_add(r.duplicate as u64, Ordering::Relaxed);
        self.unchanged
            .fetch_add(r.unchanged as u64, Ordering::Relaxed);
        self.scrape_failed
            .fetch_add(r.scrape_failed as u64, Ordering::Relaxed);
        if r.status == PollStatus::NotModified {
            self.not_modified.fetch_add(1, Ordering::Relaxed);
        }
        let Ok(mut l) = self.labelled.lock() else {
            return;
        };
        if let PollStatus::Failed(reason) = &r.status {
            *l.failures
                .entry(failure_kind(reason).to_string())
                .or_default() += 1;
        }
        if let Some(s) = r.http_status {
            *l.statuses.entry(s).or_default() += 1;
        }
        l.poll_seconds.observe(r.elapsed_ms as f64 / 1000.0);
        if let Some(st) = state {
            if let Some(ms) = st.last_elapsed_ms {
                l.feed_seconds.observe(ms as f64 / 1000.0);
            }
            // FeedState.bytes is cumulative per feed: count the difference.
            let prev = l
                .last_bytes
                .insert(st.name.clone(), st.bytes)
                .unwrap_or(st.bytes);
            self.bytes
                .fetch_add(st.bytes.saturating_sub(prev), Ordering::Relaxed);
        }
    }

    /// Sets the number of polls in flight.
    pub fn set_in_flight(&self, n: usize) {
        self.in_flight.store(n as u64, Ordering::Relaxed);
    }

    /// Counts a config reload (accepted or rejected).
    pub fn reload(&self, ok: bool) {
        if ok {
            self.reloads.fetch_add(1, Ordering::Relaxed);
        } else {
            self.reload_failures.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Renders the text exposition format; `store_bytes` and `articles` are read by the caller.
    pub fn render(&self, store_bytes: u64, articles: usize, feeds: usize) -> String {
        use std::fmt::Write;
        let mut s = String::new();
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        let counter = |s: &mut String, name: &str, help: &str, v: u64| {
            let _ = writeln!(s, "# HELP {name} {help}\n# TYPE {name} counter\n{name} {v}");
        };
        counter(
            &mut s,
            "feedkeeper_polls_total",
            "Feed polls made.",
            get(&self.polls),
        );
        counter(
            &mut s,
            "feedkeeper_polls_not_modified_total",
            "Feed polls answered 304 Not Modified.",
            get(&self.not_modified),
        );
        counter(
            &mut s,
            "feedkeeper_feed_bytes_total",
            "Feed body bytes received.",
            get(&self.bytes),
        );
        counter(
            &mut s,
            "feedkeeper_reloads_total",
            "Config reloads accepted.",
            get(&self.reloads),
        );
        counter(
            &mut s,
            "feedkeeper_reload_failures_total",
            "Config reloads rejected (invalid config).",
            get(&self.reload_failures),
        );
        let _ = writeln!(
            s,
            "# HELP feedkeeper_articles_total Feed items by outcome.\n# TYPE feedkeeper_articles_total counter"
        );
        for (k, a) in [
            ("new", &self.new),
            ("updated", &self.updated),
            ("duplicate", &self.duplicate),
            ("unchanged", &self.unchanged),
        ] {
            let _ = writeln!(s, "feedkeeper_articles_total{{outcome=\"{k}\"}} {}", get(a));
        }
        let _ = writeln!(
            s,
            "# HELP feedkeeper_extraction_total Article pages by extraction outcome.\n# TYPE feedkeeper_extraction_total counter"
        );
        let extracted =
            (get(&self.new) + get(&self.updated) + get(&self.duplicate)).saturating_sub(0);
        let _ = writeln!(
            s,
            "feedkeeper_extraction_total{{outcome=\"stored\"}} {extracted}"
        );
        let _ = writeln!(
            s,
            "feedkeeper_extraction_total{{outcome=\"scrape_failed\"}} {}",
            get(&self.scrape_failed)
        );
        if let Ok(l) = self.labelled.lock() {
            let _ = writeln!(
                s,
                "# HELP feedkeeper_poll_failures_total Failed polls by kind.\n# TYPE feedkeeper_poll_failures_total counter"
            );
            for (k, v) in &l.failures {
                let _ = writeln!(s, "feedkeeper_poll_failures_total{{kind=\"{k}\"}} {v}");
            }
            let _ = writeln!(
                s,
                "# HELP feedkeeper_http_responses_total Feed responses by HTTP status.\n# TYPE feedkeeper_http_responses_total counter"
            );
            for (k, v) in &l.statuses {
                let _ = writeln!(s, "feedkeeper_http_responses_total{{status=\"{k}\"}} {v}");
            }
            for (name, help, h) in [
                (
                    "feedkeeper_poll_duration_seconds",
                    "Whole poll of one feed (fetch, scrape, store).",
                    &l.poll_seconds,
                ),
                (
                    "feedkeeper_feed_fetch_duration_seconds",
                    "The feed request of a poll.",
                    &l.feed_seconds,
                ),
            ] {
                let _ = writeln!(s, "# HELP {name} {help}\n# TYPE {name} histogram");
                for (i, b) in BUCKETS.iter().enumerate() {
                    let _ = writeln!(s, "{name}_bucket{{le=\"{b}\"}} {}", h.counts[i]);
                }
                let _ = writeln!(
                    s,
                    "{name}_bucket{{le=\"+Inf\"}} {}\n{name}_sum {}\n{name}_count {}",
                    h.count, h.sum, h.count
                );
            }
        }
        let mut gauge = |name: &str, help: &str, v: u64| {
            let _ = writeln!(s, "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {v}");
        };
        gauge(
            "feedkeeper_store_size_bytes",
            "Size of the store directory on disk.",
            store_bytes,
        );
        gauge(
            "feedkeeper_store_articles",
            "Articles in the store.",
            articles as u64,
        );
        gauge("feedkeeper_feeds", "Configured feeds.", feeds as u64);
        gauge(
            "feedkeeper_queue_depth",
            "Feed polls in flight (started, not finished).",
            get(&self.in_flight),
        );
        s
    }
}

/// Total size of the files under `dir` (the store directory).
pub fn dir_size(dir: &std::path::Path) -> u64 {
    let mut total = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd.flatten() {
            match e.metadata() {
                Ok(m) if m.is_dir() => stack.push(e.path()),
                Ok(m) => total += m.len(),
                Err(_) => {}
            }
        }
    }
    total
}
