//! The `fetch` stage: the one HTTP client, conditional GET (RFC 9110 §13), decompression with
//! size caps enforced while streaming, manual redirect handling, per-host politeness and the
//! private-network guard. Returns raw bytes plus validators; never decodes text.
//!
//! reqwest types never leave this module.

// Errors carry the URL they are about; they are rare and off the hot path, so their size
// does not matter.
#![allow(clippy::result_large_err)]

use crate::config::FetchConfig;
use reqwest::header::{
    CONTENT_TYPE, ETAG, HeaderMap, HeaderValue, IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED,
    LOCATION,
};
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Instant;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
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

/// A DNS resolver that drops private addresses, so the check happens on the address actually
/// connected to (no DNS-rebinding gap between check and connect).
struct GuardedResolver;

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        Box::pin(async move {
            let host = name.as_str().to_string();
            let addrs: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
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

/// The HTTP client with politeness limits. Cheap to clone; share one per process.
#[derive(Clone)]
pub struct Fetcher {
    open: reqwest::Client,
    guarded: reqwest::Client,
    cfg: Arc<FetchConfig>,
    global: Arc<Semaphore>,
    hosts: Arc<Mutex<HashMap<String, HostSlot>>>,
}

impl Fetcher {
    /// Builds the client from `[fetch]` settings: rustls with the system trust store, HTTP/2,
    /// gzip/deflate/brotli, proxies from the environment, redirects handled here.
    ///
    /// # Errors
    /// When the TLS backend cannot be initialised.
    pub fn new(cfg: &FetchConfig) -> Result<Fetcher, FetchError> {
        let build = |guard: bool| {
            let mut b = reqwest::Client::builder()
                .user_agent(cfg.user_agent.clone())
                .connect_timeout(cfg.connect_timeout)
                .timeout(cfg.timeout)
                .redirect(reqwest::redirect::Policy::none())
                .gzip(true)
                .brotli(true)
                .deflate(true);
            if guard {
                b = b.dns_resolver(Arc::new(GuardedResolver));
            }
            b.build()
        };
        let err = |e: reqwest::Error| FetchError::Transport {
            url: Url::parse("about:blank").unwrap_or_else(|_| unreachable!()),
            message: format!("cannot build HTTP client: {e}"),
        };
        Ok(Fetcher {
            open: build(false).map_err(err)?,
            guarded: build(true).map_err(err)?,
            cfg: Arc::new(cfg.clone()),
            global: Arc::new(Semaphore::new(cfg.concurrency)),
            hosts: Arc::new(Mutex::new(HashMap::new())),
        })
    }

    /// Waits for a global permit, a per-host permit and the per-host gap.
    async fn acquire(&self, host: &str) -> (OwnedSemaphorePermit, Option<OwnedSemaphorePermit>) {
        // The semaphores are never closed, so acquire cannot fail.
        let global = Arc::clone(&self.global).acquire_owned().await;
        let sem = {
            let mut hosts = self.hosts.lock().unwrap_or_else(|p| p.into_inner());
            let slot = hosts.entry(host.to_string()).or_default();
            Arc::clone(
                slot.permits
                    .get_or_insert_with(|| Arc::new(Semaphore::new(self.cfg.per_host_concurrency))),
            )
        };
        let host_permit = sem.acquire_owned().await.ok();
        loop {
            let wait = {
                let mut hosts = self.hosts.lock().unwrap_or_else(|p| p.into_inner());
                let slot = hosts.entry(host.to_string()).or_default();
                let now = Instant::now();
                match slot.next_at {
                    Some(t) if t > now => Some(t - now),
                    _ => {
                        slot.next_at = Some(now + self.cfg.per_host_gap);
                        None
                    }
                }
            };
            match wait {
                Some(d) => tokio::time::sleep(d).await,
                None => break,
            }
        }
        match global {
            Ok(g) => (g, host_permit),
            Err(_) => unreachable!("the global semaphore is never closed"),
        }
    }

    /// Fetches one URL, following up to 10 redirects.
    ///
    /// # Errors
    /// [`FetchError`] naming the URL: error status, timeout, size cap, redirect loop, refused
    /// private address, or transport failure.
    pub async fn fetch(&self, req: &FetchRequest) -> Result<FetchOutcome, FetchError> {
        let start = Instant::now();
        let limit = match req.kind {
            Kind::Feed => self.cfg.max_feed_bytes,
            Kind::Page => self.cfg.max_page_bytes,
        };
        let mut url = req.url.clone();
        let mut redirects: Vec<Redirect> = Vec::new();
        let mut seen = vec![url.clone()];
        loop {
            let trusted = req.allow_private || (req.trusted && redirects.is_empty());
            if !trusted {
                check_literal(&url)?;
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
            if redirects.is_empty() {
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
            }
            let host = url.host_str().unwrap_or("").to_string();
            let _permits = self.acquire(&host).await;
            let resp = client
                .get(url.clone())
                .headers(headers)
                .send()
                .await
                .map_err(|e| self.classify(&url, e))?;
            let status = resp.status().as_u16();
            if matches!(status, 301 | 302 | 303 | 307 | 308) {
                let Some(loc) = resp.headers().get(LOCATION).and_then(|l| l.to_str().ok()) else {
                    return Err(FetchError::Status {
                        url,
                        status,
                        retry_after: None,
                    });
                };
                let next = url.join(loc).map_err(|e| FetchError::Transport {
                    url: url.clone(),
                    message: format!("bad redirect Location {loc:?}: {e}"),
                })?;
                redirects.push(Redirect {
                    status,
                    from: url.clone(),
                    to: next.clone(),
                });
                if seen.contains(&next) {
                    return Err(FetchError::Redirects {
                        url: next,
                        reason: "redirect loop".into(),
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
            let retry_after = header(reqwest::header::RETRY_AFTER)
                .and_then(|v| parse_retry_after(&v, chrono::Utc::now()));
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
pub fn parse_retry_after(value: &str, now: chrono::DateTime<chrono::Utc>) -> Option<u64> {
    let v = value.trim();
    let secs = if let Ok(n) = v.parse::<u64>() {
        n
    } else {
        let t = chrono::DateTime::parse_from_rfc2822(v).ok()?;
        (t.with_timezone(&chrono::Utc) - now).num_seconds().max(0) as u64
    };
    Some(secs.min(24 * 3600))
}
