//! Issue 3: the polite fetcher. Every test runs against a scripted HTTP server on 127.0.0.1
//! that records each request it receives; host names such as `feeds.example.org` are mapped
//! to it through the fetcher's resolver overrides, and time comes from a manual clock.

use feedkeeper::config::Config;
use feedkeeper::fetch::{FetchError, FetchRequest, Fetcher, FetcherOptions, Kind};
use feedkeeper::model::{FeedState, NextPollReason};
use feedkeeper::pipeline::{self, Context, PollOptions, PollStatus};
use feedkeeper::schedule::Clock;
use feedkeeper::store::Store;
use server::{Body, Reply, Server};
use std::path::Path;
use std::sync::Arc;

/// A scripted HTTP/1.1 server: one thread per connection, `Connection: close`, every request
/// recorded (host, target, headers) before the script answers it.
pub mod server {
    use std::io::{Read, Write};
    use std::net::{SocketAddr, TcpListener, TcpStream};
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Arc, Mutex};
    use std::time::{Duration, Instant};

    /// One request as received.
    #[derive(Clone, Debug)]
    pub struct Recorded {
        /// `Host` header without the port.
        pub host: String,
        /// Request target as sent (path and query, or an absolute URL through a proxy).
        pub target: String,
        /// Header (lower-cased name, value) pairs in order.
        pub headers: Vec<(String, String)>,
        /// When it arrived (server side).
        pub at: Instant,
    }

    impl Recorded {
        /// A header's value.
        pub fn header(&self, name: &str) -> Option<&str> {
            self.headers
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
        }

        /// `host` + target, e.g. `r1.example.org/feed`.
        pub fn url(&self) -> String {
            format!("{}{}", self.host, self.target)
        }
    }

    /// What the server sends back.
    pub enum Body {
        /// The whole body, with Content-Length.
        Full(Vec<u8>),
        /// These bytes, then nothing more until the client hangs up.
        ThenHang(Vec<u8>),
        /// One byte every 100 ms, for ever (until the client hangs up).
        Drip,
    }

    /// A scripted answer.
    pub struct Reply {
        /// Status code.
        pub status: u16,
        /// Headers besides Content-Length and Connection.
        pub headers: Vec<(String, String)>,
        /// Body.
        pub body: Body,
        /// Hold the answer this long (to observe concurrency).
        pub delay: Duration,
    }

    impl Reply {
        /// A status with no body.
        pub fn status(status: u16) -> Reply {
            Reply {
                status,
                headers: Vec::new(),
                body: Body::Full(Vec::new()),
                delay: Duration::ZERO,
            }
        }

        /// 200 with an RSS body.
        pub fn rss(body: impl Into<Vec<u8>>) -> Reply {
            Reply::status(200)
                .header("Content-Type", "application/rss+xml; charset=utf-8")
                .body(body)
        }

        /// A redirect.
        pub fn redirect(status: u16, to: &str) -> Reply {
            Reply::status(status).header("Location", to)
        }

        /// Adds a header.
        pub fn header(mut self, k: &str, v: &str) -> Reply {
            self.headers.push((k.to_string(), v.to_string()));
            self
        }

        /// Sets the body.
        pub fn body(mut self, b: impl Into<Vec<u8>>) -> Reply {
            self.body = Body::Full(b.into());
            self
        }
    }

    type Handler = Box<dyn FnMut(&Recorded) -> Reply + Send>;

    /// The server; threads are detached and end with the process.
    #[derive(Clone)]
    pub struct Server {
        /// Where it listens.
        pub addr: SocketAddr,
        log: Arc<Mutex<Vec<Recorded>>>,
        handler: Arc<Mutex<Handler>>,
        in_flight: Arc<AtomicUsize>,
        max_in_flight: Arc<AtomicUsize>,
    }

    impl Server {
        /// Starts a server answering with `handler`.
        pub fn start(handler: impl FnMut(&Recorded) -> Reply + Send + 'static) -> Server {
            let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
            let server = Server {
                addr: listener.local_addr().expect("local addr"),
                log: Arc::default(),
                handler: Arc::new(Mutex::new(Box::new(handler))),
                in_flight: Arc::default(),
                max_in_flight: Arc::default(),
            };
            let s = server.clone();
            std::thread::spawn(move || {
                for stream in listener.incoming() {
                    let Ok(stream) = stream else { continue };
                    let s = s.clone();
                    std::thread::spawn(move || s.serve(stream));
                }
            });
            server
        }

        /// Replaces the script.
        pub fn set(&self, handler: impl FnMut(&Recorded) -> Reply + Send + 'static) {
            *self.handler.lock().unwrap() = Box::new(handler);
        }

        /// `http://HOST:PORT/PATH` for a host name mapped to this server.
        pub fn url(&self, host: &str, path: &str) -> String {
            format!("http://{host}:{}{path}", self.addr.port())
        }

        /// Every request since the last [`Server::take`], then forgets them.
        pub fn take(&self) -> Vec<Recorded> {
            std::mem::take(&mut *self.log.lock().unwrap())
        }

        /// Most requests that were being answered at once.
        pub fn max_in_flight(&self) -> usize {
            self.max_in_flight.load(Ordering::SeqCst)
        }

        fn serve(&self, mut stream: TcpStream) {
            let mut buf = Vec::new();
            let mut chunk = [0u8; 4096];
            while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                match stream.read(&mut chunk) {
                    Ok(0) | Err(_) => return,
                    Ok(n) => buf.extend_from_slice(&chunk[..n]),
                }
            }
            let text = String::from_utf8_lossy(&buf).to_string();
            let mut lines = text.split("\r\n");
            let target = lines
                .next()
                .and_then(|l| l.split(' ').nth(1))
                .unwrap_or("")
                .to_string();
            let headers: Vec<(String, String)> = lines
                .take_while(|l| !l.is_empty())
                .filter_map(|l| l.split_once(':'))
                .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
                .collect();
            let host = headers
                .iter()
                .find(|(k, _)| k == "host")
                .map(|(_, v)| {
                    v.rsplit_once(':')
                        .map_or(v.as_str(), |(h, _)| h)
                        .to_string()
                })
                .unwrap_or_default();
            let rec = Recorded {
                host,
                target,
                headers,
                at: Instant::now(),
            };
            let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
            self.max_in_flight.fetch_max(now, Ordering::SeqCst);
            self.log.lock().unwrap().push(rec.clone());
            let reply = (self.handler.lock().unwrap())(&rec);
            if !reply.delay.is_zero() {
                std::thread::sleep(reply.delay);
            }
            let mut head = format!(
                "HTTP/1.1 {} Scripted\r\nConnection: close\r\n",
                reply.status
            );
            for (k, v) in &reply.headers {
                head.push_str(&format!("{k}: {v}\r\n"));
            }
            let _ = match &reply.body {
                Body::Full(b) => {
                    head.push_str(&format!("Content-Length: {}\r\n\r\n", b.len()));
                    stream
                        .write_all(head.as_bytes())
                        .and_then(|_| stream.write_all(b))
                }
                Body::ThenHang(b) => {
                    head.push_str("Content-Length: 1000000000\r\n\r\n");
                    let r = stream
                        .write_all(head.as_bytes())
                        .and_then(|_| stream.write_all(b));
                    // Wait for the client to hang up, then note how much it had been sent.
                    let _ = stream.set_read_timeout(Some(Duration::from_secs(120)));
                    let mut sink = [0u8; 64];
                    while matches!(stream.read(&mut sink), Ok(n) if n > 0) {}
                    r
                }
                Body::Drip => {
                    head.push_str("Content-Length: 1000000\r\n\r\n");
                    let mut r = stream.write_all(head.as_bytes());
                    for _ in 0..1200 {
                        if r.is_err() {
                            break;
                        }
                        r = stream.write_all(b"<").and_then(|_| stream.flush());
                        std::thread::sleep(Duration::from_millis(100));
                    }
                    r
                }
            };
            let _ = stream.flush();
            self.in_flight.fetch_sub(1, Ordering::SeqCst);
        }
    }
}

/// The case files handed to this issue.
fn case_file(case: &str, file: &str) -> Vec<u8> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/cases");
    let dir = if dir.exists() {
        dir
    } else {
        Path::new("/work/shared/cases").to_path_buf()
    };
    let entry = std::fs::read_dir(&dir)
        .expect("shared/cases")
        .filter_map(Result::ok)
        .find(|e| e.file_name().to_string_lossy().starts_with(case))
        .unwrap_or_else(|| panic!("case {case} not found in {}", dir.display()));
    std::fs::read(entry.path().join(file)).unwrap()
}

fn t(s: &str) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::parse_from_rfc3339(s)
        .unwrap()
        .with_timezone(&chrono::Utc)
}

/// A pipeline context on a temp store, with `hosts` mapped to the server and a manual clock.
struct Harness {
    ctx: Context,
    clock: Clock,
    config: Arc<Config>,
    _dir: tempfile::TempDir,
}

impl Harness {
    fn new(server: &Server, hosts: &[&str], fetch: &str, feeds: &[(&str, String, &str)]) -> Self {
        Self::at(server, hosts, fetch, feeds, t("2024-06-17T08:00:00Z"))
    }

    fn at(
        server: &Server,
        hosts: &[&str],
        fetch: &str,
        feeds: &[(&str, String, &str)],
        start: chrono::DateTime<chrono::Utc>,
    ) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let mut toml = format!(
            "[store]\npath = \"{}\"\n[fetch]\nper_host_gap = \"0s\"\nper_host_concurrency = 8\ntimeout = \"20s\"\n{fetch}\n",
            dir.path().join("store").display()
        );
        for (name, url, extra) in feeds {
            toml.push_str(&format!(
                "[[feed]]\nname = \"{name}\"\nurl = \"{url}\"\nscrape = false\n{extra}\n"
            ));
        }
        let config = Arc::new(Config::from_toml(&toml, "test").unwrap());
        let clock = Clock::manual(start);
        let fetcher = Fetcher::with_options(
            &config.fetch,
            FetcherOptions {
                clock: clock.clone(),
                resolve: hosts.iter().map(|h| (h.to_string(), server.addr)).collect(),
            },
        )
        .unwrap();
        let store = Store::open(&dir.path().join("store")).unwrap();
        let ctx = Context::with_fetcher(Arc::clone(&config), store, fetcher, clock.clone());
        Harness {
            ctx,
            clock,
            config,
            _dir: dir,
        }
    }

    async fn poll(&self, name: &str) -> pipeline::PollReport {
        let feed = self.config.feed(name).unwrap();
        pipeline::poll_feed(&self.ctx, feed).await
    }

    async fn poll_forced(&self, name: &str) -> pipeline::PollReport {
        let feed = self.config.feed(name).unwrap();
        pipeline::poll_feed_with(
            &self.ctx,
            feed,
            None,
            PollOptions {
                force: true,
                ..Default::default()
            },
        )
        .await
    }

    fn state(&self, name: &str) -> FeedState {
        self.ctx.store.feed_state(name).unwrap().unwrap()
    }

    fn titles(&self) -> Vec<String> {
        let mut v: Vec<String> = feedkeeper::query::run(&self.ctx.store, &Default::default())
            .unwrap()
            .into_iter()
            .map(|a| a.title)
            .collect();
        v.sort();
        v
    }
}

fn targets(reqs: &[server::Recorded]) -> Vec<String> {
    reqs.iter().map(|r| r.url()).collect()
}

// ------------------------------------------------------------------ conditional GET

/// Case 020: validators stored verbatim and replaced whenever the response carries them; a 200
/// is processed even with an unchanged ETag; a 304 is a successful poll; one request per poll.
#[tokio::test]
async fn case_020_conditional_get_etag_last_modified() {
    let v1_gz = case_file("020", "v1.xml.gz");
    let v2 = case_file("020", "v2.xml");
    let server = Server::start(|_| Reply::status(500));
    let url = server.url("feeds.example.org", "/cond/feed.xml");
    let h = Harness::new(&server, &["feeds.example.org"], "", &[("cond", url, "")]);
    let lm1 = "Mon, 17 Jun 2024 08:00:00 GMT";
    let lm2 = "Mon, 17 Jun 2024 09:00:00 GMT";
    let steps: Vec<(Reply, Option<&str>, Option<&str>)> = vec![
        (
            Reply::rss(v1_gz.clone())
                .header("ETag", "\"v1\"")
                .header("Last-Modified", lm1)
                .header("Content-Encoding", "gzip"),
            None,
            None,
        ),
        (Reply::status(304), Some("\"v1\""), Some(lm1)),
        (
            Reply::rss(v2.clone())
                .header("ETag", "\"v1\"")
                .header("Last-Modified", lm2),
            Some("\"v1\""),
            Some(lm1),
        ),
        (
            Reply::rss(v2.clone())
                .header("ETag", "W/\"v2\"")
                .header("Last-Modified", lm2),
            Some("\"v1\""),
            Some(lm2),
        ),
        (Reply::status(304), Some("W/\"v2\""), Some(lm2)),
    ];
    let expected_entries = [2, 2, 3, 3, 3];
    for (i, (reply, inm, ims)) in steps.into_iter().enumerate() {
        let reply = std::sync::Mutex::new(Some(reply));
        server.set(move |_| reply.lock().unwrap().take().unwrap_or(Reply::status(500)));
        let before = h.clock.now();
        let report = h.poll("cond").await;
        let reqs = server.take();
        assert_eq!(reqs.len(), 1, "P{}: exactly one request", i + 1);
        let r = &reqs[0];
        assert_eq!(r.target, "/cond/feed.xml");
        assert_eq!(r.header("if-none-match"), inm, "P{}", i + 1);
        assert_eq!(r.header("if-modified-since"), ims, "P{}", i + 1);
        assert!(
            r.header("accept-encoding").unwrap().contains("gzip"),
            "P{}",
            i + 1
        );
        assert!(
            !matches!(report.status, PollStatus::Failed(_)),
            "P{}: {report}",
            i + 1
        );
        assert_eq!(h.titles().len(), expected_entries[i], "P{}", i + 1);
        let st = h.state("cond");
        assert_eq!(
            st.last_success,
            Some(before),
            "P{}: a 304 is a success",
            i + 1
        );
        assert_eq!(st.consecutive_failures, 0);
        h.clock.advance(chrono::Duration::minutes(15));
    }
    let st = h.state("cond");
    assert_eq!(st.etag.as_deref(), Some("W/\"v2\""));
    assert_eq!(st.last_modified.as_deref(), Some(lm2));
    assert_eq!((st.polls, st.not_modified), (5, 2));
}

/// A server that answers 304 for ever still gets one unconditional request a day.
#[tokio::test]
async fn stale_validators_get_one_unconditional_request_a_day() {
    let server = Server::start(|r| {
        if r.header("if-none-match").is_some() {
            Reply::status(304)
        } else {
            Reply::rss(case_file("020", "v1.xml")).header("ETag", "\"same\"")
        }
    });
    let url = server.url("feeds.example.org", "/stale.xml");
    let h = Harness::new(&server, &["feeds.example.org"], "", &[("stale", url, "")]);
    let start = h.clock.now();
    let mut unconditional_at = Vec::new();
    // One poll an hour for 50 hours.
    for hour in 0..50 {
        h.clock.set(start + chrono::Duration::hours(hour));
        h.poll("stale").await;
        let reqs = server.take();
        assert_eq!(reqs.len(), 1);
        if reqs[0].header("if-none-match").is_none() {
            unconditional_at.push(hour);
        }
    }
    assert_eq!(unconditional_at, [0, 24, 48]);
    let st = h.state("stale");
    assert_eq!((st.polls, st.not_modified), (50, 47));
}

// ------------------------------------------------------------------ caps and timeouts

/// A gzip bomb (8 MiB of zeros behind a few KiB) is stopped at the 1 MiB cap while streaming:
/// the server sends only the first part and then waits, so a client that inflated the whole
/// body before checking would time out instead.
#[tokio::test]
async fn gzip_bomb_is_stopped_at_the_cap_while_streaming() {
    use std::io::Write;
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    e.write_all(&vec![0u8; 8 << 20]).unwrap();
    e.flush().unwrap();
    let prefix = e.get_ref().clone();
    assert!(
        prefix.len() < 64 * 1024,
        "bomb prefix is {} bytes",
        prefix.len()
    );
    let server = Server::start(move |_| Reply {
        status: 200,
        headers: vec![
            ("Content-Type".into(), "application/rss+xml".into()),
            ("Content-Encoding".into(), "gzip".into()),
        ],
        body: Body::ThenHang(prefix.clone()),
        delay: std::time::Duration::ZERO,
    });
    let mut cfg = feedkeeper::config::FetchConfig {
        max_feed_bytes: 1 << 20,
        per_host_gap: std::time::Duration::ZERO,
        ..Default::default()
    };
    cfg.timeout = std::time::Duration::from_secs(60);
    let fetcher = Fetcher::new(&cfg).unwrap();
    let url =
        url::Url::parse(&format!("http://127.0.0.1:{}/bomb.xml", server.addr.port())).unwrap();
    let err = fetcher
        .fetch(&FetchRequest {
            url: url.clone(),
            kind: Kind::Feed,
            etag: None,
            last_modified: None,
            trusted: true,
            allow_private: false,
        })
        .await
        .unwrap_err();
    assert!(
        matches!(&err, FetchError::TooLarge { limit, .. } if *limit == 1 << 20),
        "{err}"
    );
    assert_eq!(
        err.to_string(),
        format!("{url}: body exceeds the 1048576-byte limit")
    );
    assert_eq!(server.take().len(), 1);
}

/// A body that trickles in one byte at a time never trips a read timeout; the whole-response
/// timeout stops it.
#[tokio::test]
async fn slow_drip_body_times_out() {
    let server = Server::start(|_| Reply {
        status: 200,
        headers: vec![("Content-Type".into(), "application/rss+xml".into())],
        body: Body::Drip,
        delay: std::time::Duration::ZERO,
    });
    let cfg = feedkeeper::config::FetchConfig {
        timeout: std::time::Duration::from_secs(1),
        per_host_gap: std::time::Duration::ZERO,
        ..Default::default()
    };
    let fetcher = Fetcher::new(&cfg).unwrap();
    let url =
        url::Url::parse(&format!("http://127.0.0.1:{}/drip.xml", server.addr.port())).unwrap();
    let err = fetcher
        .fetch(&FetchRequest {
            url: url.clone(),
            kind: Kind::Feed,
            etag: None,
            last_modified: None,
            trusted: true,
            allow_private: false,
        })
        .await
        .unwrap_err();
    assert!(matches!(err, FetchError::Timeout { secs: 1, .. }), "{err}");
    assert_eq!(err.to_string(), format!("{url}: timed out after 1 s"));
    assert_eq!(server.take().len(), 1);
}

// ------------------------------------------------------------------ redirects

/// A loop is detected when a URL comes back; a long chain stops after 10 redirects.
#[tokio::test]
async fn redirect_loop_and_too_many_redirects() {
    let server = Server::start(|r| match r.target.as_str() {
        "/a" => Reply::redirect(301, "/b"),
        "/b" => Reply::redirect(301, "/a"),
        t if t.starts_with("/hop/") => {
            let n: u32 = t[5..].parse().unwrap();
            Reply::redirect(302, &format!("/hop/{}", n + 1))
        }
        _ => Reply::status(404),
    });
    let url = server.url("loop.example.org", "/a");
    let chain = server.url("loop.example.org", "/hop/0");
    let h = Harness::new(
        &server,
        &["loop.example.org"],
        "allow_private_networks = true",
        &[("loop", url, ""), ("chain", chain, "")],
    );
    let report = h.poll("loop").await;
    assert_eq!(
        targets(&server.take()),
        ["loop.example.org/a", "loop.example.org/b"]
    );
    let PollStatus::Failed(reason) = &report.status else {
        panic!("{report}")
    };
    assert!(reason.contains("redirect loop after 2 hops"), "{reason}");
    let report = h.poll("chain").await;
    let reqs = server.take();
    assert_eq!(
        reqs.len(),
        11,
        "the first request and 10 redirects followed"
    );
    let PollStatus::Failed(reason) = &report.status else {
        panic!("{report}")
    };
    assert!(reason.contains("too many redirects (limit 10)"), "{reason}");
}

/// Case 022, on plain HTTP (the scripted server has no TLS; #1's https target becomes
/// `r1new`): 301/308 move the subscription after 3 successful polls, 302/307 never, nor a
/// temporary hop followed by a permanent one; loops and dead permanent targets fail without
/// moving anything; the single item is stored once.
#[tokio::test]
async fn case_022_redirects_permanent_vs_temporary() {
    let feed = case_file("022", "feed.xml");
    let port = std::sync::Arc::new(std::sync::Mutex::new(0u16));
    let p2 = std::sync::Arc::clone(&port);
    let server = Server::start(move |r| {
        let port = *p2.lock().unwrap();
        let to = |h: &str, p: &str| format!("http://{h}:{port}{p}");
        match (r.host.as_str(), r.target.as_str()) {
            ("r1.example.org", "/feed") => Reply::redirect(301, &to("r1new.example.org", "/feed")),
            ("pick.example.org", "/feed") => Reply::redirect(302, &to("m3.example.net", "/feed")),
            ("r3.example.org", "/feed") => Reply::redirect(307, &to("r3b.example.org", "/feed")),
            ("r4.example.org", "/feed") => Reply::redirect(308, &to("r4b.example.org", "/feed")),
            ("loop.example.org", "/a") => Reply::redirect(301, "/b"),
            ("loop.example.org", "/b") => Reply::redirect(301, "/a"),
            ("r6.example.org", "/feed") => Reply::redirect(301, &to("r6b.example.org", "/gone")),
            ("r7.example.org", "/feed") => Reply::redirect(302, &to("r7b.example.org", "/feed")),
            ("r7b.example.org", "/feed") => Reply::redirect(301, &to("r7c.example.org", "/feed")),
            (
                "r1new.example.org" | "m3.example.net" | "r3b.example.org" | "r4b.example.org"
                | "r7c.example.org",
                "/feed",
            ) => Reply::rss(feed.clone()),
            _ => Reply::status(404),
        }
    });
    *port.lock().unwrap() = server.addr.port();
    let hosts = [
        "r1.example.org",
        "r1new.example.org",
        "pick.example.org",
        "m3.example.net",
        "r3.example.org",
        "r3b.example.org",
        "r4.example.org",
        "r4b.example.org",
        "loop.example.org",
        "r6.example.org",
        "r6b.example.org",
        "r7.example.org",
        "r7b.example.org",
        "r7c.example.org",
    ];
    let u = |h: &str, p: &str| server.url(h, p);
    let feeds = [
        ("f1", u("r1.example.org", "/feed"), ""),
        ("f2", u("pick.example.org", "/feed"), ""),
        ("f3", u("r3.example.org", "/feed"), ""),
        ("f4", u("r4.example.org", "/feed"), ""),
        ("f5", u("loop.example.org", "/a"), ""),
        ("f6", u("r6.example.org", "/feed"), ""),
        ("f7", u("r7.example.org", "/feed"), ""),
    ];
    let h = Harness::new(&server, &hosts, "allow_private_networks = true", &feeds);
    let mut first: Vec<Vec<String>> = vec![Vec::new(); 7];
    for poll in 1..=5 {
        for (i, (name, _, _)) in feeds.iter().enumerate() {
            let report = h.poll(name).await;
            let reqs = server.take();
            first[i].push(reqs[0].url());
            match *name {
                "f5" => {
                    let PollStatus::Failed(r) = &report.status else {
                        panic!("{report}")
                    };
                    assert!(r.contains("redirect loop"), "{r}");
                    assert!(reqs.len() <= 11);
                }
                "f6" => {
                    assert_eq!(report.http_status, Some(404), "{report}");
                    assert_eq!(h.state("f6").last_status, Some(404));
                }
                _ => assert!(
                    !matches!(report.status, PollStatus::Failed(_)),
                    "poll {poll}: {report}"
                ),
            }
        }
        h.clock.advance(chrono::Duration::minutes(15));
        if poll == 2 {
            let pending = h.state("f1").pending_move.unwrap();
            assert_eq!(pending.seen, 2);
            assert_eq!(pending.to, u("r1new.example.org", "/feed"));
        }
    }
    let old_new = |old: &str, new: &str| {
        let mut v = vec![old.to_string(); 3];
        v.extend(vec![new.to_string(); 2]);
        v
    };
    assert_eq!(
        first[0],
        old_new("r1.example.org/feed", "r1new.example.org/feed")
    );
    assert_eq!(
        first[3],
        old_new("r4.example.org/feed", "r4b.example.org/feed")
    );
    assert_eq!(first[1], vec!["pick.example.org/feed"; 5]);
    assert_eq!(first[2], vec!["r3.example.org/feed"; 5]);
    assert_eq!(first[4], vec!["loop.example.org/a"; 5]);
    assert_eq!(first[5], vec!["r6.example.org/feed"; 5]);
    assert_eq!(first[6], vec!["r7.example.org/feed"; 5]);
    assert_eq!(h.state("f1").url, u("r1new.example.org", "/feed"));
    assert_eq!(h.state("f4").url, u("r4b.example.org", "/feed"));
    for (name, url) in [
        ("f2", u("pick.example.org", "/feed")),
        ("f3", u("r3.example.org", "/feed")),
        ("f5", u("loop.example.org", "/a")),
        ("f6", u("r6.example.org", "/feed")),
        ("f7", u("r7.example.org", "/feed")),
    ] {
        let st = h.state(name);
        assert_eq!(st.url, url, "{name}");
        assert_eq!(st.pending_move, None, "{name}");
    }
    assert_eq!(h.titles(), ["Only item"]);
    let stored = feedkeeper::query::run(&h.ctx.store, &Default::default()).unwrap();
    let mut seen: Vec<&str> = stored[0].seen_in.iter().map(|s| s.feed.as_str()).collect();
    seen.sort();
    assert_eq!(seen, ["f1", "f2", "f3", "f4", "f7"]);
}

/// 410 parks the feed: kept, not polled (deferred, no request), reason shown; `--force` polls
/// it and a success re-enables it.
#[tokio::test]
async fn gone_410_parks_the_feed() {
    let server = Server::start(|_| Reply::status(410));
    let url = server.url("gone.example.org", "/feed");
    let h = Harness::new(&server, &["gone.example.org"], "", &[("gone", url, "")]);
    let report = h.poll("gone").await;
    assert_eq!(report.http_status, Some(410));
    assert_eq!(server.take().len(), 1);
    let st = h.state("gone");
    assert!(
        st.parked
            .as_deref()
            .unwrap()
            .starts_with("410 Gone at 2024-06-17T08:00:00Z")
    );
    assert_eq!(
        (st.next_poll, st.next_poll_reason),
        (None, Some(NextPollReason::Parked))
    );
    h.clock.advance(chrono::Duration::days(3));
    let report = h.poll("gone").await;
    assert!(
        matches!(&report.status, PollStatus::Deferred { reason, until: None } if reason.starts_with("parked: 410 Gone")),
        "{report}"
    );
    assert!(server.take().is_empty(), "a parked feed is not requested");
    server.set(|_| Reply::rss(case_file("023", "feed.xml")));
    let report = h.poll_forced("gone").await;
    assert_eq!(report.status, PollStatus::Ok, "{report}");
    assert_eq!(server.take().len(), 1);
    assert_eq!(h.state("gone").parked, None);
}

// ------------------------------------------------------------------ rate limits and backoff

/// Case 023 on the injected clock: Retry-After in seconds and as an HTTP-date (read against the
/// server's Date), 503 too, 429 without it backs off doubling from the interval, a 200 resets,
/// 99999999 s is capped at 24 h; per host; the HTML error body is never parsed; other hosts
/// keep their schedule.
#[tokio::test]
async fn case_023_rate_limit_429_retry_after() {
    let html = case_file("023", "rate-limited.html");
    let feed_xml = case_file("023", "feed.xml");
    let server = Server::start(|_| Reply::status(500));
    let busy = server.url("feeds.example.org", "/busy/feed.xml");
    let sibling = server.url("feeds.example.org", "/busy/other.xml");
    let other = server.url("other.example.com", "/feed.xml");
    let h = Harness::at(
        &server,
        &["feeds.example.org", "other.example.com"],
        "",
        &[
            ("busy", busy, ""),
            ("sibling", sibling, ""),
            ("other", other, ""),
        ],
        t("2024-06-19T10:00:00Z"),
    );
    let script = |status: u16, retry_after: Option<&str>| {
        let html = html.clone();
        let feed_xml = feed_xml.clone();
        let retry_after = retry_after.map(str::to_string);
        move |r: &server::Recorded| {
            if r.host == "other.example.com" || status == 200 {
                return Reply::rss(feed_xml.clone());
            }
            let mut reply = Reply::status(status)
                .header("Content-Type", "text/html")
                .header("Date", "Wed, 19 Jun 2024 10:00:00 GMT")
                .body(html.clone());
            // The Date header is only right for the first exchange; later ones omit it.
            if status != 429 || retry_after.as_deref() != Some("3600") {
                reply.headers.retain(|(k, _)| k != "Date");
            }
            if let Some(ra) = &retry_after {
                reply = reply.header("Retry-After", ra);
            }
            reply
        }
    };
    let due = |name: &str| {
        let st = h.state(name);
        (st.next_poll.unwrap(), st.next_poll_reason.unwrap())
    };
    // 10:00 → 429 Retry-After: 3600.
    server.set(script(429, Some("3600")));
    let report = h.poll("busy").await;
    assert_eq!(report.http_status, Some(429));
    assert_eq!(server.take().len(), 1);
    assert_eq!(
        due("busy"),
        (t("2024-06-19T11:00:00Z"), NextPollReason::RetryAfter)
    );
    let st = h.state("busy");
    assert_eq!(st.last_error_kind.as_deref(), Some("rate limited"));
    assert_eq!(st.parked, None);
    // 10:15: the busy feed and its sibling on the same host are held; the other host is not.
    h.clock.set(t("2024-06-19T10:15:00Z"));
    for name in ["busy", "sibling"] {
        let report = h.poll(name).await;
        assert!(
            matches!(report.status, PollStatus::Deferred { until: Some(u), .. } if u == t("2024-06-19T11:00:00Z")),
            "{report}"
        );
    }
    assert!(server.take().is_empty());
    assert_eq!(h.poll("other").await.status, PollStatus::Ok);
    assert_eq!(targets(&server.take()), ["other.example.com/feed.xml"]);
    // 11:00 → 200.
    h.clock.set(t("2024-06-19T11:00:00Z"));
    server.set(script(200, None));
    assert_eq!(h.poll("busy").await.status, PollStatus::Ok);
    assert_eq!(server.take().len(), 1);
    assert_eq!(
        due("busy"),
        (t("2024-06-19T11:15:00Z"), NextPollReason::Schedule)
    );
    // 11:15 → 429 with an HTTP-date.
    h.clock.set(t("2024-06-19T11:15:00Z"));
    server.set(script(429, Some("Wed, 19 Jun 2024 14:00:00 GMT")));
    h.poll("busy").await;
    assert_eq!(server.take().len(), 1);
    assert_eq!(
        due("busy"),
        (t("2024-06-19T14:00:00Z"), NextPollReason::RetryAfter)
    );
    h.clock.set(t("2024-06-19T13:59:59Z"));
    assert!(matches!(
        h.poll("busy").await.status,
        PollStatus::Deferred { .. }
    ));
    assert!(server.take().is_empty());
    // 14:00 → 503 Retry-After: 120 (the 5-minute minimum interval still applies).
    h.clock.set(t("2024-06-19T14:00:00Z"));
    server.set(script(503, Some("120")));
    h.poll("busy").await;
    assert_eq!(server.take().len(), 1);
    assert_eq!(
        h.state("busy").retry_after_until,
        Some(t("2024-06-19T14:02:00Z"))
    );
    assert_eq!(
        due("busy"),
        (t("2024-06-19T14:05:00Z"), NextPollReason::RetryAfter)
    );
    // 429 without Retry-After, twice: exponential backoff, never below one interval, doubling.
    server.set(script(429, None));
    let mut at = t("2024-06-19T14:05:00Z");
    let mut windows = Vec::new();
    for _ in 0..2 {
        h.clock.set(at);
        h.poll("busy").await;
        assert_eq!(server.take().len(), 1);
        let (next, reason) = due("busy");
        assert_eq!(reason, NextPollReason::Backoff);
        windows.push((next - at).num_minutes());
        at = next;
    }
    // Failures 3 and 4 in a row on a 15-minute interval: [60, 120] and [120, 240] minutes.
    assert!((60..=120).contains(&windows[0]), "{windows:?}");
    assert!((120..=240).contains(&windows[1]), "{windows:?}");
    // 200 resets to the 15-minute schedule.
    h.clock.set(at);
    server.set(script(200, None));
    assert_eq!(h.poll("busy").await.status, PollStatus::Ok);
    server.take();
    let st = h.state("busy");
    assert_eq!(st.consecutive_failures, 0);
    assert_eq!(st.next_poll_reason, Some(NextPollReason::Schedule));
    assert!(st.next_poll.unwrap() - at <= chrono::Duration::minutes(15));
    // Retry-After: 99999999 is capped at 24 h.
    server.set(script(429, Some("99999999")));
    h.poll("busy").await;
    server.take();
    assert_eq!(
        due("busy"),
        (at + chrono::Duration::hours(24), NextPollReason::RetryAfter)
    );
    // The HTML bodies never became entries.
    assert_eq!(h.titles(), ["Rate limits explained"]);
}

/// Other failures back off inside the jitter bounds and never give up; a success resets.
#[tokio::test]
async fn backoff_on_errors_never_gives_up_and_resets_on_success() {
    let server = Server::start(|_| Reply::status(500));
    let url = server.url("flaky.example.org", "/feed");
    let h = Harness::new(&server, &["flaky.example.org"], "", &[("flaky", url, "")]);
    let mut at = h.clock.now();
    for n in 1..=12u32 {
        h.clock.set(at);
        let report = h.poll("flaky").await;
        assert_eq!(report.http_status, Some(500));
        assert_eq!(server.take().len(), 1);
        let st = h.state("flaky");
        assert_eq!(st.consecutive_failures, n);
        assert_eq!(st.next_poll_reason, Some(NextPollReason::Backoff));
        let wait = st.next_poll.unwrap() - at;
        let lo = (15i64 << (n - 1)).min(24 * 60);
        let hi = (15i64 << n).min(24 * 60);
        assert!(
            (lo..=hi).contains(&wait.num_minutes()),
            "failure {n}: {wait} not in [{lo}, {hi}] min"
        );
        at = st.next_poll.unwrap();
    }
    server.set(|_| Reply::rss(case_file("023", "feed.xml")));
    h.clock.set(at);
    assert_eq!(h.poll("flaky").await.status, PollStatus::Ok);
    let st = h.state("flaky");
    assert_eq!(st.consecutive_failures, 0);
    // Back on the 15-minute cron, raised to the 5-minute minimum when the slot is too close.
    let wait = st.next_poll.unwrap() - at;
    match st.next_poll_reason {
        Some(NextPollReason::Schedule) => assert!(wait <= chrono::Duration::minutes(15)),
        Some(NextPollReason::MinInterval) => assert!(wait <= chrono::Duration::minutes(20)),
        other => panic!("{other:?}"),
    }
}

// ------------------------------------------------------------------ hints

/// `<ttl>` and `Cache-Control: max-age` are floors when `respect_feed_hints` is on, ignored
/// when it is off.
#[tokio::test]
async fn ttl_and_max_age_are_floors_with_respect_feed_hints() {
    let xml = String::from_utf8(case_file("023", "feed.xml"))
        .unwrap()
        .replace("<title>Polite", "<ttl>120</ttl><title>Polite");
    let x2 = xml.clone();
    let server = Server::start(move |r| {
        if r.target == "/cc" {
            Reply::rss(case_file("022", "feed.xml")).header("Cache-Control", "public, max-age=3600")
        } else {
            Reply::rss(x2.clone())
        }
    });
    let h = Harness::new(
        &server,
        &["h.example.org"],
        "",
        &[
            ("ttl", server.url("h.example.org", "/ttl"), ""),
            ("cc", server.url("h.example.org", "/cc"), ""),
            (
                "ignore",
                server.url("h.example.org", "/ttl"),
                "respect_feed_hints = false",
            ),
        ],
    );
    let now = h.clock.now();
    for name in ["ttl", "cc", "ignore"] {
        assert_eq!(h.poll(name).await.status, PollStatus::Ok);
    }
    let st = h.state("ttl");
    assert_eq!(st.hints.ttl_secs, Some(7200));
    assert_eq!(
        (st.next_poll, st.next_poll_reason),
        (
            Some(now + chrono::Duration::hours(2)),
            Some(NextPollReason::Ttl)
        )
    );
    let st = h.state("cc");
    assert_eq!(st.hints.max_age_secs, Some(3600));
    assert_eq!(
        (st.next_poll, st.next_poll_reason),
        (
            Some(now + chrono::Duration::hours(1)),
            Some(NextPollReason::MaxAge)
        )
    );
    let st = h.state("ignore");
    assert_eq!(
        (st.next_poll, st.next_poll_reason),
        (
            Some(now + chrono::Duration::minutes(15)),
            Some(NextPollReason::Schedule)
        )
    );
}

// ------------------------------------------------------------------ politeness

/// Per-host concurrency is never exceeded and the i-th request to one host reaches the server
/// no earlier than i gaps after the fetches start (exact spacing is checked on paused time
/// below; on the wire, network delays only postpone).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn per_host_gap_and_concurrency_on_the_wire() {
    let server = Server::start(|_| {
        let mut r = Reply::rss(case_file("022", "feed.xml"));
        r.delay = std::time::Duration::from_millis(300);
        r
    });
    let cfg = feedkeeper::config::FetchConfig {
        per_host_concurrency: 2,
        per_host_gap: std::time::Duration::from_millis(100),
        ..Default::default()
    };
    let fetcher = Fetcher::with_options(
        &cfg,
        FetcherOptions {
            resolve: vec![("polite.example.org".into(), server.addr)],
            ..Default::default()
        },
    )
    .unwrap();
    let fetches = (0..6).map(|i| {
        let fetcher = fetcher.clone();
        let url = url::Url::parse(&server.url("polite.example.org", &format!("/{i}"))).unwrap();
        async move {
            fetcher
                .fetch(&FetchRequest {
                    url,
                    kind: Kind::Feed,
                    etag: None,
                    last_modified: None,
                    trusted: true,
                    allow_private: false,
                })
                .await
        }
    });
    let start = std::time::Instant::now();
    let results = futures_util::future::join_all(fetches).await;
    assert!(results.iter().all(Result::is_ok));
    let reqs = server.take();
    assert_eq!(reqs.len(), 6);
    assert_eq!(server.max_in_flight(), 2);
    let mut at: Vec<_> = reqs.iter().map(|r| r.at).collect();
    at.sort();
    // The client's i-th slot is at least i gaps after `start`, and the network can only
    // delay a request, never advance it: so the i-th arrival (sorted) is too. (Comparing
    // consecutive arrivals is wrong: a delayed request shortens the gap to the next one.)
    for (i, t) in at.iter().enumerate() {
        assert!(
            *t - start >= std::time::Duration::from_millis(100) * i as u32,
            "request {i} arrived {:?} after the start",
            *t - start
        );
    }
    // And the gate really spaced them: the last of six came at least five gaps in.
    assert!(at[5] - start >= std::time::Duration::from_millis(500));
}

/// The per-host gate on paused tokio time: starts `gap` apart per host, other hosts
/// unaffected, at most `per_host` at once.
#[tokio::test(start_paused = true)]
async fn per_host_gap_and_concurrency_on_paused_time() {
    use feedkeeper::fetch::HostLimits;
    use tokio::time::{Duration, Instant};
    let limits = HostLimits::new(16, 2, Duration::from_secs(1));
    let t0 = Instant::now();
    let mut tasks = Vec::new();
    for host in ["a", "a", "a", "b"] {
        let limits = limits.clone();
        tasks.push(tokio::spawn(async move {
            let _p = limits.acquire(host).await;
            let started = Instant::now() - t0;
            tokio::time::sleep(Duration::from_secs(10)).await;
            started
        }));
    }
    let mut started = Vec::new();
    for t in tasks {
        started.push(t.await.unwrap().as_secs());
    }
    // a: 0 s, 1 s, then the third waits for a permit (freed at 10 s); b: at once.
    assert_eq!(started, [0, 1, 10, 0]);
}

// ------------------------------------------------------------------ private-network guard

/// Article URLs and every redirect hop are refused when they reach loopback: a redirect into
/// 127.0.0.1, a host name resolving to it, and `localhost`; the trusted feed URL itself is
/// allowed, and `allow_private_networks` lifts the guard.
#[tokio::test]
async fn private_addresses_are_refused_on_redirects_and_pages() {
    let server = Server::start(|_| Reply::status(500));
    let port = server.addr.port();
    let into_ip = format!("http://127.0.0.1:{port}/internal");
    let into_name = format!("http://intranet.example.org:{port}/internal");
    server.set(move |r| match r.target.as_str() {
        "/to-ip" => Reply::redirect(302, &into_ip),
        "/to-name" => Reply::redirect(301, &into_name),
        _ => Reply::rss(case_file("022", "feed.xml")),
    });
    let cfg = feedkeeper::config::FetchConfig {
        per_host_gap: std::time::Duration::ZERO,
        ..Default::default()
    };
    let fetcher = Fetcher::with_options(
        &cfg,
        FetcherOptions {
            resolve: vec![("intranet.example.org".into(), server.addr)],
            ..Default::default()
        },
    )
    .unwrap();
    let req = |url: String, kind: Kind, trusted: bool, allow_private: bool| FetchRequest {
        url: url::Url::parse(&url).unwrap(),
        kind,
        etag: None,
        last_modified: None,
        trusted,
        allow_private,
    };
    let base = format!("http://127.0.0.1:{port}");
    // The configured feed URL is trusted, even on loopback.
    let ok = fetcher
        .fetch(&req(format!("{base}/feed"), Kind::Feed, true, false))
        .await
        .unwrap();
    assert_eq!(ok.status, 200);
    assert_eq!(server.take().len(), 1);
    // Its redirect into 127.0.0.1 is not.
    let err = fetcher
        .fetch(&req(format!("{base}/to-ip"), Kind::Feed, true, false))
        .await
        .unwrap_err();
    assert!(matches!(err, FetchError::Private { .. }), "{err}");
    assert_eq!(
        err.to_string(),
        format!(
            "http://127.0.0.1:{port}/internal: refused: 127.0.0.1 resolves to a private or local address (127.0.0.1); set allow_private_networks = true to allow it"
        )
    );
    assert_eq!(targets(&server.take()), ["127.0.0.1/to-ip"]);
    // Nor a redirect to a name that resolves to it (checked at connect time).
    let err = fetcher
        .fetch(&req(format!("{base}/to-name"), Kind::Feed, true, false))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, FetchError::Private { host, addr, .. } if host == "intranet.example.org" && addr == "127.0.0.1"),
        "{err}"
    );
    assert_eq!(targets(&server.take()), ["127.0.0.1/to-name"]);
    // Article pages: an address, a mapped name and `localhost`.
    for url in [
        format!("{base}/page"),
        format!("http://intranet.example.org:{port}/page"),
        format!("http://localhost:{port}/page"),
    ] {
        let err = fetcher
            .fetch(&req(url.clone(), Kind::Page, false, false))
            .await
            .unwrap_err();
        assert!(matches!(err, FetchError::Private { .. }), "{url}: {err}");
    }
    assert!(server.take().is_empty(), "nothing reached the server");
    // allow_private_networks lifts it.
    let ok = fetcher
        .fetch(&req(format!("{base}/to-name"), Kind::Feed, true, true))
        .await
        .unwrap();
    assert_eq!(
        ok.final_url.as_str(),
        format!("http://intranet.example.org:{port}/internal")
    );
}

/// The address classes the guard refuses, IPv4, IPv6 and IPv4-mapped.
#[test]
fn private_address_classes() {
    use feedkeeper::fetch::is_private;
    for a in [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",
        "224.0.0.1",
        "255.255.255.255",
        "::1",
        "::",
        "fe80::1",
        "fc00::1",
        "fd12:3456::1",
        "ff02::1",
        "::ffff:127.0.0.1",
        "::ffff:10.0.0.1",
        "::ffff:169.254.169.254",
    ] {
        assert!(is_private(a.parse().unwrap()), "{a} must be refused");
    }
    for a in [
        "93.184.216.34",
        "1.1.1.1",
        "2606:4700::1111",
        "::ffff:8.8.8.8",
    ] {
        assert!(!is_private(a.parse().unwrap()), "{a} is public");
    }
}

// ------------------------------------------------------------------ identity and credentials

/// The honest User-Agent, per-feed headers, basic auth and cookie from files; credentials go
/// only to the feed's origin, never to a redirect target elsewhere, and never into Debug.
#[tokio::test]
async fn user_agent_extra_headers_and_credentials() {
    let server = Server::start(|_| Reply::status(500));
    let port = server.addr.port();
    server.set(move |r| match r.host.as_str() {
        "auth.example.org" => Reply::redirect(302, &format!("http://cdn.example.net:{port}/feed")),
        _ => Reply::rss(case_file("022", "feed.xml")),
    });
    let dir = tempfile::tempdir().unwrap();
    let pw = dir.path().join("pw");
    let cookie = dir.path().join("cookie");
    std::fs::write(&pw, "s3cret\n").unwrap();
    std::fs::write(&cookie, "session=abc123").unwrap();
    let extra = format!(
        "headers = {{ \"X-Api-Key\" = \"k-1\" }}\nbasic_auth = {{ username = \"reader\", password_file = \"{}\" }}\ncookie_file = \"{}\"",
        pw.display(),
        cookie.display()
    );
    let h = Harness::new(
        &server,
        &["auth.example.org", "cdn.example.net"],
        "allow_private_networks = true",
        &[("auth", server.url("auth.example.org", "/feed"), &extra)],
    );
    let debug = format!("{:?}", h.config.feed("auth").unwrap());
    assert!(
        !debug.contains("s3cret") && !debug.contains("abc123"),
        "{debug}"
    );
    assert_eq!(h.poll("auth").await.status, PollStatus::Ok);
    let reqs = server.take();
    assert_eq!(reqs.len(), 2);
    let ua = "feedkeeper/0.1.0 (+https://github.com/feedkeeper/feedkeeper)";
    assert_eq!(reqs[0].header("user-agent"), Some(ua));
    assert_eq!(reqs[0].header("x-api-key"), Some("k-1"));
    // base64("reader:s3cret")
    assert_eq!(
        reqs[0].header("authorization"),
        Some("Basic cmVhZGVyOnMzY3JldA==")
    );
    assert_eq!(reqs[0].header("cookie"), Some("session=abc123"));
    assert_eq!(reqs[1].host, "cdn.example.net");
    assert_eq!(reqs[1].header("user-agent"), Some(ua));
    for k in ["x-api-key", "authorization", "cookie"] {
        assert_eq!(
            reqs[1].header(k),
            None,
            "{k} must not follow a cross-origin redirect"
        );
    }
}

// ------------------------------------------------------------------ CLI

/// `run --once` polls regardless of schedule and backoff, reports a feed held by Retry-After
/// as deferred with its due time, and `--force` polls it anyway; `feeds status` says why.
#[test]
fn run_once_defers_retry_after_and_force_overrides() {
    use crate::support::{feedkeeper, feedkeeper_ok};
    let server = Server::start(|r| {
        if r.target == "/busy" {
            Reply::status(429).header("Retry-After", "3600")
        } else {
            Reply::status(500)
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("feedkeeper.toml");
    std::fs::write(
        &cfg,
        format!(
            "[store]\npath = \"{}\"\n[fetch]\nper_host_gap = \"0s\"\n[[feed]]\nname = \"busy\"\nurl = \"http://127.0.0.1:{port}/busy\"\nscrape = false\n[[feed]]\nname = \"broken\"\nurl = \"http://127.0.0.1:{port}/broken\"\nscrape = false\n",
            dir.path().join("store").display(),
            port = server.addr.port()
        ),
    )
    .unwrap();
    let cfg = cfg.to_str().unwrap();
    let out = feedkeeper_ok(&["run", "--once", "--config", cfg]);
    assert!(
        out.contains("busy: failed: fetch http://127.0.0.1:"),
        "{out}"
    );
    assert!(
        out.contains("server returned 429; retry after 3600 s"),
        "{out}"
    );
    assert_eq!(server.take().len(), 2);
    // Second run: the broken feed is polled despite its backoff; the busy one is deferred.
    let out = feedkeeper_ok(&["run", "--once", "--config", cfg]);
    let busy = out.lines().find(|l| l.starts_with("busy: ")).unwrap();
    assert!(
        busy.starts_with("busy: deferred: rate limited (Retry-After); due 20"),
        "{busy}"
    );
    assert!(busy.ends_with("(--force polls it now)"), "{busy}");
    assert_eq!(targets(&server.take()), ["127.0.0.1/broken"]);
    let status = feedkeeper_ok(&["feeds", "status", "--config", cfg, "--format", "json"]);
    let rows: serde_json::Value = serde_json::from_str(&status).unwrap();
    assert_eq!(rows[0]["feed"], "busy");
    assert_eq!(rows[0]["next_poll_reason"], "retry_after");
    assert_eq!(rows[0]["last_status"], 429);
    assert_eq!(rows[0]["last_error_kind"], "rate limited");
    assert_eq!(rows[1]["next_poll_reason"], "backoff");
    assert_eq!(rows[1]["consecutive_failures"], 2);
    let table = feedkeeper_ok(&["feeds", "status", "--config", cfg]);
    assert!(table.starts_with("FEED "), "{table}");
    assert!(table.contains("retry_after"), "{table}");
    assert!(
        table.contains("    rate limited: fetch http://127.0.0.1:"),
        "{table}"
    );
    // --force polls it.
    let out = feedkeeper(&["run", "--once", "--force", "--config", cfg]);
    assert!(out.status.success());
    assert_eq!(server.take().len(), 2);
}

/// `HTTP_PROXY` from the environment is honoured: the request reaches the proxy in absolute
/// form.
#[test]
fn proxy_from_environment() {
    let server = Server::start(|_| Reply::rss(case_file("022", "feed.xml")));
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("feedkeeper.toml");
    std::fs::write(
        &cfg,
        format!(
            "[store]\npath = \"{}\"\n[[feed]]\nname = \"viaproxy\"\nurl = \"http://feeds.example.invalid/feed.xml\"\nscrape = false\n",
            dir.path().join("store").display()
        ),
    )
    .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_feedkeeper"))
        .args(["poll", "viaproxy", "--config", cfg.to_str().unwrap()])
        .env(
            "HTTP_PROXY",
            format!("http://127.0.0.1:{}", server.addr.port()),
        )
        .env_remove("http_proxy")
        .env_remove("NO_PROXY")
        .env_remove("no_proxy")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.starts_with("viaproxy: 1 new"),
        "{stdout} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let reqs = server.take();
    assert_eq!(reqs.len(), 1);
    assert_eq!(reqs[0].target, "http://feeds.example.invalid/feed.xml");
}

/// A 410 parks the feed across runs: `run --once` reports it deferred with the reason until
/// `feeds enable` re-enables it.
#[test]
fn parked_feed_is_deferred_until_feeds_enable() {
    use crate::support::feedkeeper_ok;
    let server = Server::start(|_| Reply::status(410));
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("feedkeeper.toml");
    std::fs::write(
        &cfg,
        format!(
            "[store]\npath = \"{}\"\n[[feed]]\nname = \"gone\"\nurl = \"http://127.0.0.1:{}/gone\"\nscrape = false\n",
            dir.path().join("store").display(),
            server.addr.port()
        ),
    )
    .unwrap();
    let cfg = cfg.to_str().unwrap();
    let out = feedkeeper_ok(&["run", "--once", "--config", cfg]);
    assert!(out.contains("server returned 410"), "{out}");
    assert_eq!(server.take().len(), 1);
    let out = feedkeeper_ok(&["run", "--once", "--config", cfg]);
    assert!(
        out.starts_with("gone: deferred: parked: 410 Gone at "),
        "{out}"
    );
    assert!(server.take().is_empty());
    let status = feedkeeper_ok(&["feeds", "status", "--config", cfg, "--format", "json"]);
    let rows: serde_json::Value = serde_json::from_str(&status).unwrap();
    assert_eq!(rows[0]["next_poll_reason"], "parked");
    assert_eq!(rows[0]["next_poll"], serde_json::Value::Null);
    let out = feedkeeper_ok(&["feeds", "enable", "gone", "--config", cfg]);
    assert!(
        out.starts_with("gone: re-enabled (was parked: 410 Gone at "),
        "{out}"
    );
    feedkeeper_ok(&["run", "--once", "--config", cfg]);
    assert_eq!(server.take().len(), 1);
}
