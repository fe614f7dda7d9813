//! The `fetch` stage: the one HTTP client, conditional GET (RFC 9110 §13), decompression with
//! size caps enforced while streaming, manual redirect handling, per-host politeness and the
//! private-network guard. Returns raw bytes plus validators; never decodes text.
//!
//! reqwest types never leave this module.

// Errors carry the URL they are about; they are rare and off the hot path, so their size
// does not matter.
#![allow(clippy::result_large_err)]

use crate::config::{BasicAuth, FetchConfig, Secret};
use crate::schedule::Clock;
use chrono::{DateTime, Utc};
use reqwest::header::{
    CONTENT_TYPE, ETAG, HeaderMap, HeaderValue, IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED,
    LOCATION,
};
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;
use url::Url;

/// What is being fetched; decides the body cap and the `Accept` header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A feed document.
    Feed,
    /// An article page.
    Page,
}

/// One request.
#[derive(Clone, Debug)]
pub struct FetchRequest {
    /// The URL to fetch.
    pub url: Url,
    /// Feed or page.
    pub kind: Kind,
    /// `ETag` from the last 200, sent as `If-None-Match`.
    pub etag: Option<String>,
    /// `Last-Modified` from the last 200, sent as `If-Modified-Since`.
    pub last_modified: Option<String>,
    /// Whether the first hop is trusted (a configured feed URL). Redirect hops never are.
    pub trusted: bool,
    /// Lift the private-network guard for this request (config `allow_private_networks`).
    pub allow_private: bool,
}

/// Per-request extras for feed requests: operator-configured headers and credentials, sent
/// only to the origin of the first URL (never to a redirect target on another origin, never to
/// article pages), and never logged.
#[derive(Clone, Debug, Default)]
pub struct RequestOptions {
    /// Extra headers (name, value).
    pub headers: Vec<(String, String)>,
    /// HTTP basic auth (RFC 7617).
    pub basic_auth: Option<BasicAuth>,
    /// `Cookie` header value.
    pub cookie: Option<Secret>,
    /// Send even when the host is held by a `Retry-After` (`--force`).
    pub ignore_hold: bool,
}

/// Test and embedding hooks for [`Fetcher::with_options`].
#[derive(Clone, Debug, Default)]
pub struct FetcherOptions {
    /// The clock used for `Retry-After` dates and per-host holds.
    pub clock: Clock,
    /// Host names resolved to fixed addresses instead of DNS (like curl's `--resolve`). The
    /// private-network guard still applies to these addresses.
    pub resolve: Vec<(String, SocketAddr)>,
}

/// One redirect hop that was followed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Redirect {
    /// HTTP status (301, 302, 303, 307, 308).
    pub status: u16,
    /// The URL that answered with the redirect.
    pub from: Url,
    /// Where it pointed.
    pub to: Url,
}

/// A successful response (2xx, or 304).
#[derive(Clone, Debug)]
pub struct FetchOutcome {
    /// Final URL after redirects.
    pub final_url: Url,
    /// HTTP status: 200-class, or 304 (then `body` is empty).
    pub status: u16,
    /// `Content-Type` as sent.
    pub content_type: Option<String>,
    /// `charset` parameter of the Content-Type.
    pub charset: Option<String>,
    /// `ETag` as sent.
    pub etag: Option<String>,
    /// `Last-Modified` as sent.
    pub last_modified: Option<String>,
    /// `Cache-Control` as sent.
    pub cache_control: Option<String>,
    /// `Expires` as sent.
    pub expires: Option<String>,
    /// The decompressed body (empty on 304).
    pub body: Vec<u8>,
    /// Redirects followed, in order.
    pub redirects: Vec<Redirect>,
    /// Time from sending the first request to the end of the body, milliseconds.
    pub elapsed_ms: u64,
}

impl FetchOutcome {
    /// Whether the server answered 304 Not Modified.
    pub fn not_modified(&self) -> bool {
        self.status == 304
    }
}

/// Why a fetch failed. Each message names the URL.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// The server answered an error status.
    #[error("{url}: server returned {status}{}", retry_after.map(|s| format!("; retry after {s} s")).unwrap_or_default())]
    Status {
        /// The URL.
        url: Url,
        /// The status code.
        status: u16,
        /// `Retry-After` in seconds, for 429/503.
        retry_after: Option<u64>,
    },
    /// Connecting or reading timed out.
    #[error("{url}: timed out after {secs} s")]
    Timeout {
        /// The URL.
        url: Url,
        /// The limit that was hit, seconds.
        secs: u64,
    },
    /// The decompressed body exceeded the cap.
    #[error("{url}: body exceeds the {limit}-byte limit")]
    TooLarge {
        /// The URL.
        url: Url,
        /// The cap, bytes.
        limit: u64,
    },
    /// More than the allowed number of redirects, or a loop.
    #[error("{url}: {reason}")]
    Redirects {
        /// The URL where it stopped.
        url: Url,
        /// `too many redirects (limit 10)` or `redirect loop`.
        reason: String,
    },
    /// The target resolves to a loopback/private/link-local/… address and the guard is on.
    #[error(
        "{url}: refused: {host} resolves to a private or local address ({addr}); set allow_private_networks = true to allow it"
    )]
    Private {
        /// The URL.
        url: Url,
        /// Host name.
        host: String,
        /// The refused address.
        addr: String,
    },
    /// The host asked for no requests until `until` (`Retry-After` seen on another request);
    /// nothing was sent.
    #[error("{url}: not requested: the host asked for no requests before {until} (Retry-After)")]
    Held {
        /// The URL.
        url: Url,
        /// When the host may be asked again.
        until: DateTime<Utc>,
    },
    /// Connection, TLS, DNS or protocol failure.
    #[error("{url}: {message}")]
    Transport {
        /// The URL.
        url: Url,
        /// What happened, in plain words.
        message: String,
    },
}

impl FetchError {
    /// A short kind label for reports and metrics (`status`, `timeout`, `too_large`, …).
    pub fn kind(&self) -> &'static str {
        match self {
            FetchError::Status { .. } => "status",
            FetchError::Timeout { .. } => "timeout",
            FetchError::TooLarge { .. } => "too_large",
            FetchError::Redirects { .. } => "redirects",
            FetchError::Private { .. } => "private_address",
            FetchError::Held { .. } => "held",
            FetchError::Transport { .. } => "transport",
        }
    }
}

/// Whether an address is loopback, private (RFC 1918, ULA), link-local, CGNAT (100.64/10),
/// multicast, broadcast, documentation or unspecified, for IPv4, IPv6 and IPv4-mapped IPv6.
pub fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_multicast()
                || v4.is_broadcast()
                || v4.is_unspecified()
                || v4.is_documentation()
                || o[0] == 0
                || (o[0] == 100 && (o[1] & 0xc0) == 64)
                || (o[0] == 192 && o[1] == 0 && o[2] == 0)
                || o[0] >= 240
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_private(IpAddr::V4(v4));
            }
            let seg = v6.segments();
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (seg[0] & 0xfe00) == 0xfc00
                || (seg[0] & 0xffc0) == 0xfe80
                || (seg[0] == 0x64 && seg[1] == 0xff9b)
                || (seg[0] == 0x2001 && seg[1] == 0xdb8)
        }
    }
}

/// The DNS resolver of both clients: fixed overrides first, then the system resolver; the
/// guarded one drops private addresses, so the check happens on the address actually
/// connected to (no DNS-rebinding gap between check and connect).
struct Resolver {
    guard: bool,
    overrides: Arc<HashMap<String, Vec<SocketAddr>>>,
}

impl reqwest::dns::Resolve for Resolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let guard = self.guard;
        let overrides = Arc::clone(&self.overrides);
        Box::pin(async move {
            let host = name.as_str().to_ascii_lowercase();
            let addrs: Vec<SocketAddr> = match overrides.get(&host) {
                Some(a) => a.clone(),
                None => tokio::net::lookup_host((host.as_str(), 0)).await?.collect(),
            };
            if !guard {
                return Ok(Box::new(addrs.into_iter()) as reqwest::dns::Addrs);
            }
            let public: Vec<SocketAddr> = addrs
                .iter()
                .copied()
                .filter(|a| !is_private(a.ip()))
                .collect();
            if public.is_empty() {
                let first = addrs
                    .first()
                    .map(|a| a.ip().to_string())
                    .unwrap_or_else(|| "no address".into());
                return Err(format!("private-address:{host}:{first}").into());
            }
            Ok(Box::new(public.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

#[derive(Default)]
struct HostSlot {
    permits: Option<Arc<Semaphore>>,
    next_at: Option<Instant>,
}

/// Per-host politeness (lychee style): a semaphore per host plus a minimum gap between the
/// starts of two requests to one host, under a global semaphore. Uses tokio time, so tests
/// can run it on paused time.
#[derive(Clone)]
pub struct HostLimits {
    global: Arc<Semaphore>,
    per_host: usize,
    gap: Duration,
    hosts: Arc<Mutex<HashMap<String, HostSlot>>>,
}

/// Permits held for the duration of one request.
pub struct Permits {
    _host: Option<OwnedSemaphorePermit>,
    _global: Option<OwnedSemaphorePermit>,
}

impl HostLimits {
    /// `concurrency` requests overall, `per_host` per host, `gap` between starts per host.
    pub fn new(concurrency: usize, per_host: usize, gap: Duration) -> HostLimits {
        HostLimits {
            global: Arc::new(Semaphore::new(concurrency.max(1))),
            per_host: per_host.max(1),
            gap,
            hosts: Arc::new(Mutex::new(HashMap::new())),
        }
    }

    /// Waits for a per-host permit, then the host's next start slot (reserved in arrival
    /// order, `gap` apart), then a global permit. The host permit comes first so requests
    /// queued for one busy host never sit on global permits other hosts could use.
    pub async fn acquire(&self, host: &str) -> Permits {
        let sem = {
            let mut hosts = self.hosts.lock().unwrap_or_else(|p| p.into_inner());
            let slot = hosts.entry(host.to_string()).or_default();
            Arc::clone(
                slot.permits
                    .get_or_insert_with(|| Arc::new(Semaphore::new(self.per_host))),
            )
        };
        // The semaphores are never closed, so acquiring cannot fail.
        let host_permit = sem.acquire_owned().await.ok();
        let start = {
            let mut hosts = self.hosts.lock().unwrap_or_else(|p| p.into_inner());
            let slot = hosts.entry(host.to_string()).or_default();
            let now = Instant::now();
            let start = slot.next_at.map_or(now, |t| t.max(now));
            slot.next_at = Some(start + self.gap);
            start
        };
        tokio::time::sleep_until(start).await;
        let global = Arc::clone(&self.global).acquire_owned().await.ok();
        Permits {
            _host: host_permit,
            _global: global,
        }
    }
}

/// The HTTP client with politeness limits. Cheap to clone; share one per process.
#[derive(Clone)]
pub struct Fetcher {
    open: reqwest::Client,
    guarded: reqwest::Client,
    cfg: Arc<FetchConfig>,
    limits: HostLimits,
    clock: Clock,
    /// Hosts that answered 429/503 with `Retry-After`, and until when.
    holds: Arc<Mutex<HashMap<String, DateTime<Utc>>>>,
}

impl Fetcher {
    /// Builds the client from `[fetch]` settings: rustls with the system trust store, HTTP/2,
    /// gzip/deflate/brotli, proxies from the environment (`HTTP_PROXY`, `HTTPS_PROXY`,
    /// `NO_PROXY`), redirects handled here.
    ///
    /// # Errors
    /// When the TLS backend cannot be initialised.
    pub fn new(cfg: &FetchConfig) -> Result<Fetcher, FetchError> {
        Fetcher::with_options(cfg, FetcherOptions::default())
    }

    /// [`Fetcher::new`] with a clock and resolver overrides (tests, embedding).
    ///
    /// # Errors
    /// When the TLS backend cannot be initialised.
    pub fn with_options(cfg: &FetchConfig, opts: FetcherOptions) -> Result<Fetcher, FetchError> {
        let mut overrides: HashMap<String, Vec<SocketAddr>> = HashMap::new();
        for (host, addr) in &opts.resolve {
            overrides
                .entry(host.to_ascii_lowercase())
                .or_default()
                .push(*addr);
        }
        let overrides = Arc::new(overrides);
        let build = |guard: bool| {
            reqwest::Client::builder()
                .user_agent(cfg.user_agent.clone())
                .connect_timeout(cfg.connect_timeout)
                .timeout(cfg.timeout)
                .redirect(reqwest::redirect::Policy::none())
                .gzip(true)
                .brotli(true)
                .deflate(true)
                .dns_resolver(Arc::new(Resolver {
                    guard,
                    overrides: Arc::clone(&overrides),
                }))
                .build()
        };
        let err = |e: reqwest::Error| FetchError::Transport {
            url: Url::parse("about:blank").unwrap_or_else(|_| unreachable!()),
            message: format!("cannot build HTTP client: {e}"),
        };
        Ok(Fetcher {
            open: build(false).map_err(err)?,
            guarded: build(true).map_err(err)?,
            cfg: Arc::new(cfg.clone()),
            limits: HostLimits::new(cfg.concurrency, cfg.per_host_concurrency, cfg.per_host_gap),
            clock: opts.clock,
            holds: Arc::new(Mutex::new(HashMap::new())),
        })
    }

    /// When a host asked (through `Retry-After`) not to be requested before, if that is
    /// still in the future.
    pub fn host_hold(&self, host: &str) -> Option<DateTime<Utc>> {
        let now = self.clock.now();
        let holds = self.holds.lock().unwrap_or_else(|p| p.into_inner());
        holds.get(host).copied().filter(|t| *t > now)
    }

    fn set_hold(&self, host: &str, until: DateTime<Utc>) {
        let mut holds = self.holds.lock().unwrap_or_else(|p| p.into_inner());
        let e = holds.entry(host.to_string()).or_insert(until);
        *e = (*e).max(until);
    }

    /// Fetches one URL, following up to 10 redirects.
    ///
    /// # Errors
    /// [`FetchError`] naming the URL: error status, timeout, size cap, redirect loop, refused
    /// private address, held host, or transport failure.
    pub async fn fetch(&self, req: &FetchRequest) -> Result<FetchOutcome, FetchError> {
        self.fetch_with(req, &RequestOptions::default()).await
    }

    /// [`Fetcher::fetch`] with operator-configured headers and credentials.
    ///
    /// # Errors
    /// As [`Fetcher::fetch`].
    pub async fn fetch_with(
        &self,
        req: &FetchRequest,
        opts: &RequestOptions,
    ) -> Result<FetchOutcome, FetchError> {
        let start = Instant::now();
        let limit = match req.kind {
            Kind::Feed => self.cfg.max_feed_bytes,
            Kind::Page => self.cfg.max_page_bytes,
        };
        let origin = req.url.origin();
        let mut url = req.url.clone();
        let mut redirects: Vec<Redirect> = Vec::new();
        let mut seen = vec![url.clone()];
        loop {
            let trusted = req.allow_private || (req.trusted && redirects.is_empty());
            if !trusted {
                check_literal(&url)?;
            }
            let host = url.host_str().unwrap_or("").to_string();
            if !opts.ignore_hold {
                if let Some(until) = self.host_hold(&host) {
                    return Err(FetchError::Held { url, until });
                }
            }
            let client = if trusted { &self.open } else { &self.guarded };
            let mut headers = HeaderMap::new();
            let accept = match req.kind {
                Kind::Feed => {
                    "application/rss+xml, application/atom+xml, application/feed+json, application/json;q=0.9, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.8"
                }
                Kind::Page => "text/html, application/xhtml+xml;q=0.9, */*;q=0.8",
            };
            headers.insert(reqwest::header::ACCEPT, HeaderValue::from_static(accept));
            let same_origin = url.origin() == origin;
            if same_origin {
                for (k, v) in &opts.headers {
                    if let (Ok(k), Ok(v)) = (
                        reqwest::header::HeaderName::from_bytes(k.as_bytes()),
                        HeaderValue::from_str(v),
                    ) {
                        headers.insert(k, v);
                    }
                }
                if let Some(c) = &opts.cookie {
                    if let Ok(mut v) = HeaderValue::from_str(c.expose()) {
                        v.set_sensitive(true);
                        headers.insert(reqwest::header::COOKIE, v);
                    }
                }
            }
            // Validators go on every hop: a feed behind a permanent redirect still gets 304s.
            if let Some(v) = req
                .etag
                .as_deref()
                .and_then(|e| HeaderValue::from_str(e).ok())
            {
                headers.insert(IF_NONE_MATCH, v);
            }
            if let Some(v) = req
                .last_modified
                .as_deref()
                .and_then(|e| HeaderValue::from_str(e).ok())
            {
                headers.insert(IF_MODIFIED_SINCE, v);
            }
            let _permits = self.limits.acquire(&host).await;
            let mut builder = client.get(url.clone()).headers(headers);
            if same_origin {
                if let Some(a) = &opts.basic_auth {
                    builder = builder.basic_auth(&a.username, Some(a.password.expose()));
                }
            }
            let resp = builder.send().await.map_err(|e| self.classify(&url, e))?;
            let status = resp.status().as_u16();
            if matches!(status, 301 | 302 | 303 | 307 | 308) {
                let Some(loc) = resp.headers().get(LOCATION).and_then(|l| l.to_str().ok()) else {
                    return Err(FetchError::Status {
                        url,
                        status,
                        retry_after: None,
                    });
                };
                // RFC 9110 §10.2.2: a relative Location resolves against the URL that sent it.
                let next = url.join(loc).map_err(|e| FetchError::Transport {
                    url: url.clone(),
                    message: format!("bad redirect Location {loc:?}: {e}"),
                })?;
                if !matches!(next.scheme(), "http" | "https") {
                    return Err(FetchError::Redirects {
                        url: next,
                        reason: format!("redirect from {url} to a non-http(s) URL"),
                    });
                }
                redirects.push(Redirect {
                    status,
                    from: url.clone(),
                    to: next.clone(),
                });
                if seen.contains(&next) {
                    return Err(FetchError::Redirects {
                        url: next,
                        reason: format!("redirect loop after {} hops", redirects.len()),
                    });
                }
                if redirects.len() > crate::config::defaults::MAX_REDIRECTS {
                    return Err(FetchError::Redirects {
                        url: next,
                        reason: format!(
                            "too many redirects (limit {})",
                            crate::config::defaults::MAX_REDIRECTS
                        ),
                    });
                }
                seen.push(next.clone());
                url = next;
                continue;
            }
            let header = |name: reqwest::header::HeaderName| {
                resp.headers()
                    .get(name)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_string)
            };
            if status == 304 || resp.status().is_success() {
                let content_type = header(CONTENT_TYPE);
                let charset = content_type
                    .as_deref()
                    .and_then(crate::charset::charset_from_content_type);
                let etag = header(ETAG);
                let last_modified = header(LAST_MODIFIED);
                let cache_control = header(reqwest::header::CACHE_CONTROL);
                let expires = header(reqwest::header::EXPIRES);
                let body = if status == 304 {
                    Vec::new()
                } else {
                    self.read_capped(&url, resp, limit).await?
                };
                return Ok(FetchOutcome {
                    final_url: url,
                    status,
                    content_type,
                    charset,
                    etag,
                    last_modified,
                    cache_control,
                    expires,
                    body,
                    redirects,
                    elapsed_ms: start.elapsed().as_millis() as u64,
                });
            }
            let mut retry_after = None;
            if matches!(status, 429 | 503) {
                let now = self.clock.now();
                // An HTTP-date is read against the server's own `Date` when it sent one, so
                // a skewed local clock does not shorten or stretch the wait.
                let server_now = header(reqwest::header::DATE)
                    .and_then(|d| parse_http_date(&d))
                    .unwrap_or(now);
                retry_after = header(reqwest::header::RETRY_AFTER)
                    .and_then(|v| parse_retry_after(&v, server_now));
                if let Some(secs) = retry_after {
                    self.set_hold(&host, now + chrono::Duration::seconds(secs as i64));
                }
            }
            return Err(FetchError::Status {
                url,
                status,
                retry_after,
            });
        }
    }

    async fn read_capped(
        &self,
        url: &Url,
        resp: reqwest::Response,
        limit: u64,
    ) -> Result<Vec<u8>, FetchError> {
        use futures_util::StreamExt;
        if resp.content_length().is_some_and(|l| l > limit) {
            return Err(FetchError::TooLarge {
                url: url.clone(),
                limit,
            });
        }
        let mut body = Vec::new();
        let mut stream = resp.bytes_stream();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| self.classify(url, e))?;
            if body.len() as u64 + chunk.len() as u64 > limit {
                return Err(FetchError::TooLarge {
                    url: url.clone(),
                    limit,
                });
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }

    /// Turns a reqwest error into advice a user can act on.
    fn classify(&self, url: &Url, e: reqwest::Error) -> FetchError {
        let mut chain = String::new();
        let mut src: Option<&dyn std::error::Error> = Some(&e);
        while let Some(s) = src {
            chain.push_str(&s.to_string());
            chain.push_str(": ");
            src = s.source();
        }
        if let Some(pos) = chain.find("private-address:") {
            let rest = &chain[pos + "private-address:".len()..];
            let mut parts = rest.splitn(2, ':');
            let host = parts.next().unwrap_or_default().to_string();
            let addr = parts
                .next()
                .unwrap_or_default()
                .split(": ")
                .next()
                .unwrap_or_default()
                .to_string();
            return FetchError::Private {
                url: url.clone(),
                host,
                addr,
            };
        }
        if e.is_timeout() {
            let secs = if e.is_connect() {
                self.cfg.connect_timeout.as_secs()
            } else {
                self.cfg.timeout.as_secs()
            };
            return FetchError::Timeout {
                url: url.clone(),
                secs,
            };
        }
        let message = if e.is_connect() {
            format!("cannot connect: {}", chain.trim_end_matches(": "))
        } else if e.is_decode() || e.is_body() {
            format!("broken response body: {}", chain.trim_end_matches(": "))
        } else {
            chain.trim_end_matches(": ").to_string()
        };
        FetchError::Transport {
            url: url.clone(),
            message,
        }
    }
}

/// Refuses URLs whose host is a literal private IP address (they bypass DNS resolution).
fn check_literal(url: &Url) -> Result<(), FetchError> {
    let ip = match url.host() {
        Some(url::Host::Ipv4(v4)) => IpAddr::V4(v4),
        Some(url::Host::Ipv6(v6)) => IpAddr::V6(v6),
        Some(url::Host::Domain(d))
            if d.eq_ignore_ascii_case("localhost") || d.ends_with(".localhost") =>
        {
            return Err(FetchError::Private {
                url: url.clone(),
                host: d.to_string(),
                addr: "127.0.0.1".into(),
            });
        }
        _ => return Ok(()),
    };
    if is_private(ip) {
        return Err(FetchError::Private {
            url: url.clone(),
            host: ip.to_string(),
            addr: ip.to_string(),
        });
    }
    Ok(())
}

/// Parses `Retry-After` (RFC 9110 §10.2.3): delay-seconds or an HTTP-date; seconds from `now`,
/// capped at 24 h.
pub fn parse_retry_after(value: &str, now: DateTime<Utc>) -> Option<u64> {
    let v = value.trim();
    let secs = if let Ok(n) = v.parse::<u64>() {
        n
    } else {
        let t = parse_http_date(v)?;
        (t - now).num_seconds().max(0) as u64
    };
    Some(secs.min(crate::config::defaults::MAX_BACKOFF_SECS))
}

/// Parses an HTTP-date (RFC 9110 §5.6.7: IMF-fixdate, and the obsolete RFC 850 and asctime
/// forms).
pub fn parse_http_date(value: &str) -> Option<DateTime<Utc>> {
    let v = value.trim();
    if let Ok(t) = DateTime::parse_from_rfc2822(v) {
        return Some(t.with_timezone(&Utc));
    }
    for fmt in ["%A, %d-%b-%y %H:%M:%S GMT", "%a %b %e %H:%M:%S %Y"] {
        if let Ok(t) = chrono::NaiveDateTime::parse_from_str(v, fmt) {
            return Some(t.and_utc());
        }
    }
    None
}

/// `max-age` of a `Cache-Control` value, seconds (RFC 9111 §5.2.2.1); `no-cache` / `no-store`
/// give none.
pub fn parse_max_age(cache_control: &str) -> Option<u64> {
    let mut max_age = None;
    for d in cache_control.split(',') {
        let d = d.trim();
        let lower = d.to_ascii_lowercase();
        if lower == "no-cache" || lower == "no-store" {
            return None;
        }
        if let Some(v) = lower.strip_prefix("max-age=") {
            max_age = v.trim_matches('"').parse::<u64>().ok();
        }
    }
    max_age
}
