//! Issue 6: the daemon's scheduler under paused time (cron in a zone across DST, jitter,
//! backoff and Retry-After), and the daemon end to end: sd_notify datagrams, the CLI through
//! the API socket while the daemon holds the store, SIGHUP reloads, SIGTERM.

use chrono::{DateTime, Duration as CDuration, Utc};
use feedkeeper::config::Config;
use feedkeeper::daemon::scheduler::{
    self, Clock, Command, NoObserver, PollFuture, Poller, Reason, Scheduler, TokioClock,
};
use feedkeeper::model::FeedState;
use feedkeeper::pipeline::{PollReport, PollStatus};
use std::sync::{Arc, Mutex};
use std::time::Duration;

fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn config(feeds: &[(&str, &str)], extra: &str) -> Config {
    let mut toml = extra.to_string();
    for (name, schedule) in feeds {
        toml.push_str(&format!(
            "[[feed]]\nname = \"{name}\"\nurl = \"https://example.org/{name}\"\nschedule = \"{schedule}\"\n"
        ));
    }
    Config::from_toml(&toml, "test").unwrap()
}

fn report(name: &str, ok: bool) -> PollReport {
    PollReport {
        feed: name.into(),
        status: if ok {
            PollStatus::Ok
        } else {
            PollStatus::Failed("fetch http://x: 503".into())
        },
        http_status: Some(if ok { 200 } else { 503 }),
        new: 0,
        updated: 0,
        duplicate: 0,
        unchanged: 0,
        scrape_failed: 0,
        elapsed_ms: 0,
    }
}

/// One poll: feed, start, end.
type PollSpan = (String, DateTime<Utc>, DateTime<Utc>);

/// A fake poller: records (feed, start, end) in clock time, keeps each feed's state, fails
/// the first `fail` polls of every feed, optionally sets a Retry-After floor, and takes
/// `takes` (tokio time) per poll. Fires `stop` after `polls` polls.
struct Fake {
    clock: TokioClock,
    log: Mutex<Vec<PollSpan>>,
    states: Mutex<std::collections::HashMap<String, FeedState>>,
    fail: u32,
    retry_after: Option<CDuration>,
    takes: Duration,
    polls: usize,
    stop: Mutex<Option<tokio::sync::oneshot::Sender<()>>>,
}

impl Fake {
    fn new(clock: TokioClock, polls: usize) -> (Arc<Fake>, tokio::sync::oneshot::Receiver<()>) {
        let (tx, rx) = tokio::sync::oneshot::channel();
        (
            Arc::new(Fake {
                clock,
                log: Mutex::default(),
                states: Mutex::default(),
                fail: 0,
                retry_after: None,
                takes: Duration::ZERO,
                polls,
                stop: Mutex::new(Some(tx)),
            }),
            rx,
        )
    }

    fn offsets(&self, start: DateTime<Utc>) -> Vec<i64> {
        self.log
            .lock()
            .unwrap()
            .iter()
            .map(|(_, s, _)| (*s - start).num_seconds())
            .collect()
    }
}

impl Poller for Fake {
    fn poll(self: Arc<Self>, feed: feedkeeper::config::FeedConfig) -> PollFuture {
        let me = self;
        Box::pin(async move {
            let start = me.clock.now();
            tokio::time::sleep(me.takes).await;
            let end = me.clock.now();
            let st = {
                let mut states = me.states.lock().unwrap();
                let st = states.entry(feed.name.clone()).or_default();
                st.name = feed.name.clone();
                st.last_poll = Some(start);
                st.polls += 1;
                let ok = st.polls > u64::from(me.fail);
                st.consecutive_failures = if ok { 0 } else { st.consecutive_failures + 1 };
                st.next_poll = me.retry_after.map(|r| start + r);
                st.clone()
            };
            let ok = st.consecutive_failures == 0;
            let n = {
                let mut log = me.log.lock().unwrap();
                log.push((feed.name.clone(), start, end));
                log.len()
            };
            if n >= me.polls {
                if let Some(tx) = me.stop.lock().unwrap().take() {
                    let _ = tx.send(());
                }
            }
            (report(&feed.name, ok), Some(st))
        })
    }
}

async fn run_fake(
    cfg: &Config,
    clock: TokioClock,
    fake: Arc<Fake>,
    stop: tokio::sync::oneshot::Receiver<()>,
    commands: tokio::sync::mpsc::Receiver<Command>,
) -> scheduler::Stopped {
    let sched = Scheduler::new(cfg.feeds.clone(), cfg.daemon.jitter, |_| None, clock.now());
    scheduler::drive(
        sched,
        &clock,
        fake,
        &NoObserver,
        |_| None,
        commands,
        None,
        async {
            let _ = stop.await;
        },
        Duration::from_secs(30),
    )
    .await
}

#[tokio::test(start_paused = true)]
async fn cron_in_a_zone_follows_dst_both_ways() {
    let cfg = config(
        &[("daily", "0 9 * * *")],
        "[daemon]\ntimezone = \"Europe/Berlin\"\njitter = \"0%\"\n",
    );
    // Pure planning: 09:00 Berlin is 08:00Z in winter and 07:00Z in summer.
    let f = &cfg.feeds[0];
    let st = |last: &str| FeedState {
        last_poll: Some(t(last)),
        ..FeedState::default()
    };
    let due = scheduler::plan(
        f,
        Some(&st("2026-03-28T08:00:00Z")),
        t("2026-03-28T08:00:01Z"),
        0.0,
    );
    assert_eq!(due.at, t("2026-03-29T07:00:00Z"));
    assert_eq!(due.reason, Reason::Schedule);
    let due = scheduler::plan(
        f,
        Some(&st("2026-10-24T07:00:00Z")),
        t("2026-10-24T07:00:01Z"),
        0.0,
    );
    assert_eq!(due.at, t("2026-10-25T08:00:00Z"));

    // The loop under paused time: first poll at once, then 09:00 local each day, 23 h apart
    // across the spring change.
    let start = t("2026-03-27T12:00:00Z");
    let clock = TokioClock::starting_at(start);
    let (fake, stop) = Fake::new(clock, 4);
    let (_tx, rx) = tokio::sync::mpsc::channel(1);
    run_fake(&cfg, clock, Arc::clone(&fake), stop, rx).await;
    let times: Vec<String> = fake
        .log
        .lock()
        .unwrap()
        .iter()
        .map(|(_, s, _)| s.to_rfc3339())
        .collect();
    assert_eq!(
        times,
        [
            "2026-03-27T12:00:00+00:00",
            "2026-03-28T08:00:00+00:00",
            "2026-03-29T07:00:00+00:00",
            "2026-03-30T07:00:00+00:00"
        ]
    );
}

#[test]
fn api_and_daemon_config_keys() {
    let c = config(&[], "");
    assert_eq!(
        c.api.socket,
        std::path::PathBuf::from("/run/feedkeeper/api.sock")
    );
    assert_eq!(c.api.socket_mode, 0o660);
    assert_eq!(c.api.tcp, None);
    let c = config(
        &[],
        "[api]\ntcp = \"127.0.0.1:8765\"\nsocket_mode = \"0600\"\n",
    );
    assert_eq!(c.api.tcp.unwrap().to_string(), "127.0.0.1:8765");
    assert_eq!(c.api.socket_mode, 0o600);
    let e = Config::from_toml("[api]\ntcp = \"0.0.0.0:8765\"\n", "t").unwrap_err();
    assert!(
        e.to_string()
            .starts_with("config: api.tcp: 0.0.0.0:8765 is not a loopback address: set api.token"),
        "{e}"
    );
    assert!(Config::from_toml("[api]\ntcp = \"0.0.0.0:8765\"\ntoken = \"s3cret\"\n", "t").is_ok());
    let e = Config::from_toml("[daemon]\njitter = \"150%\"\n", "t").unwrap_err();
    assert!(
        e.to_string()
            .starts_with("config: daemon.jitter: invalid jitter"),
        "{e}"
    );
    let e = Config::from_toml("[daemon]\ntimezone = \"Mars/Olympus\"\n", "t").unwrap_err();
    assert!(
        e.to_string()
            .starts_with("config: daemon.timezone: unknown time zone"),
        "{e}"
    );
    // [daemon] timezone is the default zone of feeds without their own.
    let c = config(
        &[("a", "0 9 * * *")],
        "[daemon]\ntimezone = \"Asia/Amman\"\n",
    );
    assert_eq!(c.feeds[0].timezone, chrono_tz::Asia::Amman);
}

#[test]
fn jitter_is_bounded_stable_and_spread() {
    let names: Vec<String> = (0..300).map(|i| format!("feed-{i}")).collect();
    let feeds: Vec<(&str, &str)> = names.iter().map(|n| (n.as_str(), "*/10 * * * *")).collect();
    let cfg = config(&feeds, "");
    assert!(
        (cfg.daemon.jitter - 0.1).abs() < 1e-9,
        "default jitter is 10%"
    );
    let after = t("2026-01-01T00:00:01Z");
    let occurrence = t("2026-01-01T00:10:00Z");
    let mut offsets = Vec::new();
    for f in &cfg.feeds {
        let at = scheduler::next_scheduled(f, after, cfg.daemon.jitter).unwrap();
        assert_eq!(
            at,
            scheduler::next_scheduled(f, after, cfg.daemon.jitter).unwrap()
        );
        let off = (at - occurrence).num_milliseconds();
        assert!((0..60_000).contains(&off), "{}: offset {off} ms", f.name);
        offsets.push(off);
    }
    let min = *offsets.iter().min().unwrap();
    let max = *offsets.iter().max().unwrap();
    assert!(min < 2_000 && max > 58_000, "spread {min}..{max}");
    // Jitter 0 → exactly on the cron time.
    assert_eq!(
        scheduler::next_scheduled(&cfg.feeds[0], after, 0.0).unwrap(),
        occurrence
    );
}

#[tokio::test(start_paused = true)]
async fn backoff_then_recovery_under_paused_time() {
    let cfg = config(
        &[("flaky", "*/10 * * * * *")],
        "[daemon]\njitter = \"0%\"\n",
    );
    let start = t("2026-01-01T00:00:00Z");
    let clock = TokioClock::starting_at(start);
    let (fake, stop) = Fake::new(clock, 6);
    let fake = Arc::new(Fake {
        fail: 3,
        ..Arc::into_inner(fake).unwrap()
    });
    let (_tx, rx) = tokio::sync::mpsc::channel(1);
    run_fake(&cfg, clock, Arc::clone(&fake), stop, rx).await;
    // Failures at 0, +60 s, +120 s (backoff 60, 120, 240 s beats the 10 s schedule), then the
    // fourth poll succeeds and the schedule resumes every 10 s.
    assert_eq!(fake.offsets(start), [0, 60, 180, 420, 430, 440]);
}

#[tokio::test(start_paused = true)]
async fn retry_after_floor_beats_schedule_and_backoff() {
    // Pure: the latest floor wins, and names why.
    let cfg = config(&[("a", "* * * * *")], "[daemon]\njitter = \"0%\"\n");
    let f = &cfg.feeds[0];
    let last = t("2026-01-01T00:00:00Z");
    let mut st = FeedState {
        last_poll: Some(last),
        consecutive_failures: 3,
        ..FeedState::default()
    };
    let d = scheduler::plan(f, Some(&st), last, 0.0);
    assert_eq!(
        (d.at, d.reason),
        (last + CDuration::minutes(4), Reason::Backoff)
    );
    st.next_poll = Some(last + CDuration::minutes(30));
    let d = scheduler::plan(f, Some(&st), last, 0.0);
    assert_eq!(
        (d.at, d.reason),
        (last + CDuration::minutes(30), Reason::RetryAfter)
    );
    st.next_poll = Some(last + CDuration::seconds(20));
    st.consecutive_failures = 0;
    let d = scheduler::plan(f, Some(&st), last, 0.0);
    assert_eq!(
        (d.at, d.reason),
        (last + CDuration::minutes(1), Reason::Schedule)
    );
    // Backoff is capped at 6 h.
    st.consecutive_failures = 40;
    st.next_poll = None;
    let d = scheduler::plan(f, Some(&st), last, 0.0);
    assert_eq!(d.at, last + CDuration::hours(6));

    // The loop: a feed every 10 s whose server says Retry-After 45 s each time.
    let cfg = config(&[("busy", "*/10 * * * * *")], "[daemon]\njitter = \"0%\"\n");
    let start = t("2026-01-01T00:00:00Z");
    let clock = TokioClock::starting_at(start);
    let (fake, stop) = Fake::new(clock, 4);
    let fake = Arc::new(Fake {
        retry_after: Some(CDuration::seconds(45)),
        ..Arc::into_inner(fake).unwrap()
    });
    let (_tx, rx) = tokio::sync::mpsc::channel(1);
    run_fake(&cfg, clock, Arc::clone(&fake), stop, rx).await;
    assert_eq!(fake.offsets(start), [0, 45, 90, 135]);
}

#[tokio::test(start_paused = true)]
async fn never_polls_one_feed_twice_at_once_and_reloads() {
    // Polls take 25 s on a 10 s schedule, and a `poll` request arrives mid-poll: still one
    // poll at a time, back to back.
    let cfg = config(&[("slow", "*/10 * * * * *")], "[daemon]\njitter = \"0%\"\n");
    let start = t("2026-01-01T00:00:00Z");
    let clock = TokioClock::starting_at(start);
    let (fake, stop) = Fake::new(clock, 5);
    let fake = Arc::new(Fake {
        takes: Duration::from_secs(25),
        ..Arc::into_inner(fake).unwrap()
    });
    let (tx, rx) = tokio::sync::mpsc::channel(4);
    let requester = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_secs(5)).await;
        let (rtx, rrx) = tokio::sync::oneshot::channel();
        tx.send(Command::PollNow {
            feeds: vec!["slow".into()],
            reply: rtx,
        })
        .await
        .unwrap();
        let reports = rrx.await.unwrap();
        // A reload adds a feed; it is polled at once.
        let cfg2 = config(
            &[("slow", "*/10 * * * * *"), ("added", "0 0 * * *")],
            "[daemon]\njitter = \"0%\"\n",
        );
        let (stx, srx) = tokio::sync::oneshot::channel();
        tx.send(Command::Reload {
            feeds: cfg2.feeds.clone(),
            jitter: 0.0,
            reply: Some(stx),
        })
        .await
        .unwrap();
        (reports, srx.await.unwrap(), tx)
    });
    run_fake(&cfg, clock, Arc::clone(&fake), stop, rx).await;
    let (reports, summary, _tx) = requester.await.unwrap();
    assert_eq!(reports.len(), 1);
    assert_eq!(reports[0].feed, "slow");
    assert_eq!(summary.added, ["added"]);
    let log = fake.log.lock().unwrap().clone();
    let slow: Vec<_> = log.iter().filter(|(n, _, _)| n == "slow").collect();
    for w in slow.windows(2) {
        assert!(w[1].1 >= w[0].2, "overlapping polls: {w:?}");
    }
    assert_eq!(
        slow.iter()
            .map(|(_, s, _)| (*s - start).num_seconds())
            .collect::<Vec<_>>()[..2],
        [0, 25]
    );
    assert!(log.iter().any(|(n, _, _)| n == "added"), "{log:?}");
}

// ------------------------------------------------------------------ the daemon end to end

mod e2e {
    use crate::support::{FixtureServer, feedkeeper, feedkeeper_ok};
    use feedkeeper::daemon::client::Client;
    use std::os::unix::net::UnixDatagram;
    use std::path::Path;
    use std::process::{Command, Stdio};
    use std::sync::{Arc, Mutex};
    use std::time::{Duration, Instant};

    fn write_config(dir: &Path, feeds: &[(&str, String)]) -> String {
        let mut toml = format!(
            "[store]\npath = \"{}\"\n[fetch]\nallow_private_networks = true\ntimeout = \"3s\"\nconnect_timeout = \"2s\"\nper_host_gap = \"0s\"\nper_host_concurrency = 8\n[daemon]\njitter = \"0%\"\nshutdown_grace = \"10s\"\n[api]\nsocket = \"{}\"\n",
            dir.join("store").display(),
            dir.join("api.sock").display()
        );
        for (name, url) in feeds {
            toml.push_str(&format!(
                "[[feed]]\nname = \"{name}\"\nurl = \"{url}\"\nschedule = \"*/3 * * * * *\"\n"
            ));
        }
        let path = dir.join("feedkeeper.toml");
        std::fs::write(&path, toml).unwrap();
        path.display().to_string()
    }

    fn wait_for(what: &str, timeout: Duration, mut f: impl FnMut() -> bool) {
        let deadline = Instant::now() + timeout;
        while !f() {
            assert!(Instant::now() < deadline, "timed out waiting for {what}");
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    fn signal(pid: u32, sig: &str) {
        let st = Command::new("kill")
            .args([sig, &pid.to_string()])
            .status()
            .unwrap();
        assert!(st.success());
    }

    /// The read commands whose output must not depend on who holds the store.
    fn reads(cfg: &str, id: &str) -> Vec<String> {
        vec![
            feedkeeper_ok(&[
                "query", "--config", cfg, "--format", "json", "--limit", "1000",
            ]),
            feedkeeper_ok(&["query", "--config", cfg, "--limit", "1000"]),
            feedkeeper_ok(&[
                "query", "--config", cfg, "--feed", "bbc-en", "--search", "the", "--format",
                "jsonl",
            ]),
            feedkeeper_ok(&["show", id, "--config", cfg, "--history"]),
            feedkeeper_ok(&["show", id, "--config", cfg, "--history", "--format", "json"]),
            feedkeeper_ok(&["export", "--config", cfg, "--format", "json"]),
            feedkeeper_ok(&["query", "--config", cfg, "--duplicates", "--format", "json"]),
            feedkeeper_ok(&["show", id, "--config", cfg, "--diff", "1..1"]),
            feedkeeper_ok(&[
                "query", "--config", cfg, "--order", "seen", "--limit", "3", "--format", "jsonl",
            ]),
            feedkeeper_ok(&[
                "query", "--config", cfg, "--limit", "2", "--format", "jsonl",
            ]),
        ]
    }

    #[test]
    fn daemon_end_to_end() {
        let server = FixtureServer::start();
        let b = &server.base;
        let dir = tempfile::tempdir().unwrap();
        let feeds = vec![
            ("aa-ar", format!("{b}/aa-ar/ar/rss/default?cat=guncel")),
            ("bbc-en", format!("{b}/bbc-en/feed.xml")),
        ];
        let cfg = write_config(dir.path(), &feeds);
        let notify_path = dir.path().join("notify");
        let notify = UnixDatagram::bind(&notify_path).unwrap();
        notify
            .set_read_timeout(Some(Duration::from_millis(200)))
            .unwrap();
        let got: Arc<Mutex<Vec<String>>> = Arc::default();
        let stop_listening = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let listener = {
            let got = Arc::clone(&got);
            let stop = Arc::clone(&stop_listening);
            std::thread::spawn(move || {
                let mut buf = vec![0u8; 4096];
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    if let Ok(n) = notify.recv(&mut buf) {
                        got.lock()
                            .unwrap()
                            .push(String::from_utf8_lossy(&buf[..n]).into_owned());
                    }
                }
            })
        };
        let seen = |needle: &str| got.lock().unwrap().iter().any(|m| m.contains(needle));
        let stderr_path = dir.path().join("daemon.log");
        let mut daemon = Command::new(env!("CARGO_BIN_EXE_feedkeeper"))
            .args(["run", "--config", &cfg])
            .env("NOTIFY_SOCKET", &notify_path)
            .env("WATCHDOG_USEC", "1000000")
            .env("RUST_LOG", "feedkeeper=info")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&stderr_path).unwrap())
            .spawn()
            .unwrap();
        let pid = daemon.id();
        let log = || std::fs::read_to_string(&stderr_path).unwrap_or_default();

        // READY, then a STATUS summary after the first cycle, and watchdog pings.
        wait_for("READY=1", Duration::from_secs(30), || seen("READY=1"));
        wait_for("a STATUS after a cycle", Duration::from_secs(60), || {
            seen("STATUS=polled 2 feeds")
        });
        wait_for("WATCHDOG=1", Duration::from_secs(10), || seen("WATCHDOG=1"));
        let sock = dir.path().join("api.sock");
        assert!(sock.exists(), "API socket at the configured path");

        // The store is held by the daemon: the CLI goes through the socket.
        let list: Vec<serde_json::Value> = serde_json::from_str(&feedkeeper_ok(&[
            "query", "--config", &cfg, "--format", "json", "--limit", "1000",
        ]))
        .unwrap();
        assert!(list.iter().any(|a| a["feed"] == "aa-ar"), "{list:?}");
        assert!(list.iter().any(|a| a["feed"] == "bbc-en"), "{list:?}");
        let id = list[0]["id"].as_str().unwrap().to_string();
        let status = feedkeeper_ok(&["feeds", "status", "--config", &cfg, "--format", "json"]);
        let status: Vec<serde_json::Value> = serde_json::from_str(&status).unwrap();
        assert_eq!(status.len(), 2);
        assert!(
            status.iter().all(|s| s["polls"].as_u64().unwrap() >= 1),
            "{status:?}"
        );
        let atom = feedkeeper_ok(&["export", "--config", &cfg, "--format", "atom"]);
        assert!(
            atom.starts_with("<?xml") && atom.contains("<feed"),
            "{atom}"
        );
        let polled = feedkeeper_ok(&["poll", "bbc-en", "--config", &cfg]);
        assert!(polled.starts_with("bbc-en: "), "{polled}");
        let client = Client::new(&sock);
        let (code, body) = client.request("GET", "/healthz", None).unwrap();
        assert_eq!((code, body.as_slice()), (200, &b"ok\n"[..]));
        let (code, body) = client.request("GET", "/metrics", None).unwrap();
        let metrics = String::from_utf8(body).unwrap();
        assert_eq!(code, 200);
        assert!(metrics.contains("feedkeeper_polls_total "), "{metrics}");
        assert!(
            metrics.contains("feedkeeper_http_responses_total{status=\"200\"}"),
            "{metrics}"
        );

        // SIGHUP with a feed added: it starts and is polled.
        let mut more = feeds.clone();
        more.push(("guardian-en", format!("{b}/guardian-en/feed.xml")));
        write_config(dir.path(), &more);
        signal(pid, "-HUP");
        wait_for("RELOADING=1", Duration::from_secs(10), || {
            seen("RELOADING=1")
        });
        wait_for("the added feed polled", Duration::from_secs(60), || {
            let out = feedkeeper_ok(&[
                "query",
                "--config",
                &cfg,
                "--feed",
                "guardian-en",
                "--format",
                "jsonl",
            ]);
            !out.trim().is_empty()
        });

        // SIGHUP with a broken config: rejected, logged, the old config kept.
        std::fs::write(&cfg, "[[feed]\nname = ").unwrap();
        signal(pid, "-HUP");
        wait_for("the rejection logged", Duration::from_secs(10), || {
            log().contains("config reload rejected, keeping the previous config")
        });
        let (code, body) = client.request("GET", "/feeds", None).unwrap();
        assert_eq!(code, 200);
        let kept: Vec<serde_json::Value> = serde_json::from_slice(&body).unwrap();
        let names: Vec<&str> = kept.iter().map(|f| f["name"].as_str().unwrap()).collect();
        assert_eq!(names, ["aa-ar", "bbc-en", "guardian-en"]);
        assert!(daemon.try_wait().unwrap().is_none(), "still running");
        write_config(dir.path(), &more);

        // The read commands through the daemon …
        let via_daemon = reads(&cfg, &id);
        let count_before = serde_json::from_str::<Vec<serde_json::Value>>(&via_daemon[0])
            .unwrap()
            .len();

        // … SIGTERM: exit 0 within the grace period, STOPPING=1 sent.
        let t0 = Instant::now();
        signal(pid, "-TERM");
        let status = loop {
            if let Some(s) = daemon.try_wait().unwrap() {
                break s;
            }
            assert!(
                t0.elapsed() < Duration::from_secs(15),
                "did not stop within the grace period"
            );
            std::thread::sleep(Duration::from_millis(50));
        };
        assert!(status.success(), "exit status {status}\n{}", log());
        wait_for("STOPPING=1", Duration::from_secs(5), || seen("STOPPING=1"));
        stop_listening.store(true, std::sync::atomic::Ordering::Relaxed);
        listener.join().unwrap();
        assert!(!sock.exists(), "socket removed on exit");

        // … and the same commands on the free store print the same, with nothing lost.
        let direct = reads(&cfg, &id);
        assert_eq!(direct, via_daemon);
        assert_eq!(
            serde_json::from_str::<Vec<serde_json::Value>>(&direct[0])
                .unwrap()
                .len(),
            count_before
        );
        let out = feedkeeper(&["check", "--config", &cfg]);
        assert!(out.status.success());
    }
}
