//! Configuration: TOML → raw serde types → validated [`Config`].
//!
//! Two stages as in ripgrep: the raw types mirror the file (every key optional where a default
//! exists), [`Config::from_toml`] validates them and turns strings into typed values (URLs,
//! durations, cron schedules). Errors name the key path and the fix, e.g.
//! `config: feed[2].schedule: expected 5 or 6 cron fields, got 4 (e.g. "*/15 * * * *")`.
//! Defaults are declared once, in [`defaults`].

use crate::model::SiteRule;
use serde::Deserialize;
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;
use url::Url;

/// Default values, declared once; the parser, `--help` and the example config use them.
pub mod defaults {
    /// Default config file location.
    pub const CONFIG_PATH: &str = "/etc/feedkeeper/feedkeeper.toml";
    /// Fallback config path, relative to the working directory.
    pub const LOCAL_CONFIG_PATH: &str = "config/feedkeeper.toml";
    /// Default store directory (relative to the working directory).
    pub const STORE_PATH: &str = "data";
    /// Default poll schedule (cron, every 15 minutes).
    pub const SCHEDULE: &str = "*/15 * * * *";
    /// Connect timeout, seconds.
    pub const CONNECT_TIMEOUT_SECS: u64 = 10;
    /// Whole-response timeout, seconds.
    pub const TIMEOUT_SECS: u64 = 30;
    /// Largest decompressed feed body, bytes (16 MiB).
    pub const MAX_FEED_BYTES: u64 = 16 * 1024 * 1024;
    /// Largest decompressed page body, bytes (8 MiB).
    pub const MAX_PAGE_BYTES: u64 = 8 * 1024 * 1024;
    /// Concurrent requests overall.
    pub const CONCURRENCY: usize = 16;
    /// Concurrent requests per host.
    pub const PER_HOST_CONCURRENCY: usize = 2;
    /// Minimum gap between two requests to one host, milliseconds.
    pub const PER_HOST_GAP_MS: u64 = 1000;
    /// Bodies shorter than this many words are deduplicated by identity only, never by hash.
    pub const MIN_HASH_WORDS: usize = 40;
    /// Watch window: delays after publication at which a recent article's page is re-fetched.
    pub const WATCH: &[&str] = &["1h", "6h", "24h"];
    /// Largest SimHash Hamming distance (of 64 bits) at which two bodies are near-duplicates.
    pub const NEAR_DUPLICATE_DISTANCE: u32 = 6;
    /// Maximum redirects followed.
    pub const MAX_REDIRECTS: usize = 10;
    /// Grace period for in-flight work at shutdown, seconds.
    pub const SHUTDOWN_GRACE_SECS: u64 = 30;
    /// Feed hints (`<ttl>`, skipHours/skipDays, `sy:update*`, `Cache-Control`, `Expires`) are
    /// floors on the next poll.
    pub const RESPECT_FEED_HINTS: bool = true;
    /// Never poll one feed more often than this, seconds (5 min).
    pub const MIN_INTERVAL_SECS: u64 = 5 * 60;
    /// Longest error backoff, longest `Retry-After` honoured and longest hint floor, seconds.
    pub const MAX_BACKOFF_SECS: u64 = 24 * 3600;
    /// A feed that only answers 304 still gets one unconditional request this often, seconds.
    pub const UNCONDITIONAL_EVERY_SECS: u64 = 24 * 3600;
    /// Consecutive successful polls through the same 301/308 before the feed URL moves.
    pub const MOVE_AFTER_POLLS: u32 = 3;
    /// Largest per-feed jitter, as a fraction of the feed's cron interval.
    pub const JITTER: f64 = 0.1;
    /// The daemon's local API socket (under the systemd `RuntimeDirectory`).
    pub const API_SOCKET: &str = "/run/feedkeeper/api.sock";
    /// File mode of the API socket.
    pub const API_SOCKET_MODE: u32 = 0o660;
}

/// A configuration error: the key path and what is wrong with it.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("config: cannot read {path}: {error} (give the file with --config PATH)")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error (in the message; not a `source`, so `{:#}` does not print it twice).
        error: std::io::Error,
    },
    /// The file is not valid TOML or has unknown/mistyped keys.
    #[error("config: {path}: {message}")]
    Syntax {
        /// The file.
        path: String,
        /// The TOML parser's message (it names line and column).
        message: String,
    },
    /// A key has an invalid value.
    #[error("config: {key}: {message}")]
    Invalid {
        /// Key path, e.g. `feed[2].schedule`.
        key: String,
        /// What is wrong and how to fix it.
        message: String,
    },
}

fn invalid(key: impl Into<String>, message: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        key: key.into(),
        message: message.into(),
    }
}

// ---------------------------------------------------------------- raw (file) types

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    store: RawStore,
    #[serde(default)]
    fetch: RawFetch,
    #[serde(default)]
    dedup: RawDedup,
    #[serde(default)]
    retention: RawRetention,
    #[serde(default)]
    daemon: RawDaemon,
    #[serde(default)]
    api: RawApi,
    #[serde(default)]
    feed: Vec<RawFeed>,
    #[serde(default)]
    site: Vec<SiteRule>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStore {
    path: Option<PathBuf>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFetch {
    allow_private_networks: Option<bool>,
    user_agent: Option<String>,
    connect_timeout: Option<String>,
    timeout: Option<String>,
    max_feed_bytes: Option<u64>,
    max_page_bytes: Option<u64>,
    concurrency: Option<usize>,
    per_host_concurrency: Option<usize>,
    per_host_gap: Option<String>,
    respect_feed_hints: Option<bool>,
    min_interval: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDedup {
    min_hash_words: Option<usize>,
    watch: Option<Vec<String>>,
    near_duplicate_distance: Option<u32>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRetention {
    max_age: Option<String>,
    max_per_feed: Option<usize>,
    max_revisions: Option<u32>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDaemon {
    shutdown_grace: Option<String>,
    jitter: Option<String>,
    timezone: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawApi {
    socket: Option<PathBuf>,
    socket_mode: Option<String>,
    tcp: Option<String>,
    token: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFeed {
    name: Option<String>,
    url: Option<String>,
    schedule: Option<String>,
    scrape: Option<bool>,
    timezone: Option<String>,
    encoding: Option<String>,
    allow_private_networks: Option<bool>,
    language: Option<String>,
    group: Option<String>,
    respect_feed_hints: Option<bool>,
    min_interval: Option<String>,
    #[serde(default)]
    headers: std::collections::BTreeMap<String, String>,
    basic_auth: Option<RawBasicAuth>,
    cookie_env: Option<String>,
    cookie_file: Option<PathBuf>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBasicAuth {
    username: Option<String>,
    password_env: Option<String>,
    password_file: Option<PathBuf>,
}

// ---------------------------------------------------------------- validated types

/// The validated configuration.
#[derive(Clone, Debug)]
pub struct Config {
    /// Where the sled store lives.
    pub store_path: PathBuf,
    /// HTTP settings.
    pub fetch: FetchConfig,
    /// Deduplication settings.
    pub dedup: DedupConfig,
    /// Retention settings (nothing is removed unless one is set).
    pub retention: RetentionConfig,
    /// Daemon settings.
    pub daemon: DaemonConfig,
    /// The daemon's local HTTP API.
    pub api: ApiConfig,
    /// The feeds, in file order; names are unique.
    pub feeds: Vec<FeedConfig>,
    /// Per-site extraction rules (`[[site]]`), applied before the heuristics.
    pub sites: Vec<SiteRule>,
}

/// `[fetch]`: HTTP client settings.
#[derive(Clone, Debug)]
pub struct FetchConfig {
    /// Let the scraper reach loopback/private/link-local addresses (default false).
    pub allow_private_networks: bool,
    /// `User-Agent` header (default `feedkeeper/<version> (+<repository>)`).
    pub user_agent: String,
    /// TCP+TLS connect timeout.
    pub connect_timeout: Duration,
    /// Whole-response timeout.
    pub timeout: Duration,
    /// Largest decompressed feed body, bytes.
    pub max_feed_bytes: u64,
    /// Largest decompressed page body, bytes.
    pub max_page_bytes: u64,
    /// Concurrent requests overall.
    pub concurrency: usize,
    /// Concurrent requests per host.
    pub per_host_concurrency: usize,
    /// Minimum gap between two requests to one host.
    pub per_host_gap: Duration,
    /// Treat feed hints as floors on the next poll (default true; per feed too).
    pub respect_feed_hints: bool,
    /// Never poll one feed more often than this (default 5 min; per feed too).
    pub min_interval: Duration,
}

impl Default for FetchConfig {
    fn default() -> Self {
        FetchConfig {
            allow_private_networks: false,
            user_agent: default_user_agent(),
            connect_timeout: Duration::from_secs(defaults::CONNECT_TIMEOUT_SECS),
            timeout: Duration::from_secs(defaults::TIMEOUT_SECS),
            max_feed_bytes: defaults::MAX_FEED_BYTES,
            max_page_bytes: defaults::MAX_PAGE_BYTES,
            concurrency: defaults::CONCURRENCY,
            per_host_concurrency: defaults::PER_HOST_CONCURRENCY,
            per_host_gap: Duration::from_millis(defaults::PER_HOST_GAP_MS),
            respect_feed_hints: defaults::RESPECT_FEED_HINTS,
            min_interval: Duration::from_secs(defaults::MIN_INTERVAL_SECS),
        }
    }
}

/// The honest User-Agent: `feedkeeper/<version> (+<repository URL>)`.
pub fn default_user_agent() -> String {
    format!(
        "feedkeeper/{} (+{})",
        env!("CARGO_PKG_VERSION"),
        env!("CARGO_PKG_REPOSITORY")
    )
}

/// `[dedup]`: deduplication settings.
#[derive(Clone, Debug)]
pub struct DedupConfig {
    /// Bodies with fewer words are deduplicated by identity only, never by content hash.
    pub min_hash_words: usize,
    /// Watch window (`[dedup] watch`): delays after publication at which a recently published
    /// article's page is re-fetched even when its feed item did not change.
    pub watch: Vec<Duration>,
    /// Largest SimHash distance at which two articles are linked as near-duplicates.
    pub near_duplicate_distance: u32,
}

impl Default for DedupConfig {
    fn default() -> Self {
        DedupConfig {
            min_hash_words: defaults::MIN_HASH_WORDS,
            watch: defaults::WATCH
                .iter()
                .filter_map(|s| parse_duration_str(s))
                .collect(),
            near_duplicate_distance: defaults::NEAR_DUPLICATE_DISTANCE,
        }
    }
}

/// `[retention]`: what `feedkeeper gc` may remove. Every limit is off by default.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RetentionConfig {
    /// Remove articles first seen (published, else first seen) longer ago than this.
    pub max_age: Option<Duration>,
    /// Keep at most this many articles per feed (newest kept).
    pub max_per_feed: Option<usize>,
    /// Keep at most this many revisions per article (the first and the newest are kept).
    pub max_revisions: Option<u32>,
}

impl RetentionConfig {
    /// Whether any limit is set.
    pub fn any(&self) -> bool {
        self.max_age.is_some() || self.max_per_feed.is_some() || self.max_revisions.is_some()
    }
}

/// `[daemon]`: daemon settings.
#[derive(Clone, Debug)]
pub struct DaemonConfig {
    /// How long in-flight work may take to finish after SIGTERM.
    pub shutdown_grace: Duration,
    /// Largest per-feed jitter as a fraction of the cron interval (`jitter = "10%"`, default
    /// 10%); each feed's offset is stable (derived from its name).
    pub jitter: f64,
    /// Default time zone for cron schedules and offset-less dates of feeds without their own
    /// `timezone` (default UTC).
    pub timezone: chrono_tz::Tz,
}

impl Default for DaemonConfig {
    fn default() -> Self {
        DaemonConfig {
            shutdown_grace: Duration::from_secs(defaults::SHUTDOWN_GRACE_SECS),
            jitter: defaults::JITTER,
            timezone: chrono_tz::UTC,
        }
    }
}

/// `[api]`: the daemon's local HTTP API.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiConfig {
    /// Unix socket path (default `/run/feedkeeper/api.sock`); the CLI finds the daemon here.
    pub socket: PathBuf,
    /// Socket file mode (default `0660`).
    pub socket_mode: u32,
    /// Optional TCP address (e.g. `127.0.0.1:8765`); loopback unless a `token` is set.
    pub tcp: Option<std::net::SocketAddr>,
    /// Bearer token required on the TCP listener (required for non-loopback addresses).
    pub token: Option<String>,
}

impl Default for ApiConfig {
    fn default() -> Self {
        ApiConfig {
            socket: PathBuf::from(defaults::API_SOCKET),
            socket_mode: defaults::API_SOCKET_MODE,
            tcp: None,
            token: None,
        }
    }
}

fn parse_jitter(s: &str) -> Result<f64, ConfigError> {
    let t = s.trim();
    let v = match t.strip_suffix('%') {
        Some(p) => p.trim().parse::<f64>().map(|p| p / 100.0),
        None => t.parse::<f64>(),
    };
    match v {
        Ok(v) if (0.0..=1.0).contains(&v) => Ok(v),
        _ => Err(invalid(
            "daemon.jitter",
            format!(
                "invalid jitter {s:?}: use a percentage of the interval between 0% and 100%, e.g. \"10%\""
            ),
        )),
    }
}

fn parse_api(raw: RawApi) -> Result<ApiConfig, ConfigError> {
    let mut api = ApiConfig::default();
    if let Some(p) = raw.socket {
        if p.as_os_str().is_empty() {
            return Err(invalid(
                "api.socket",
                "empty path: give a socket path, e.g. \"/run/feedkeeper/api.sock\"",
            ));
        }
        api.socket = p;
    }
    if let Some(m) = raw.socket_mode {
        api.socket_mode = u32::from_str_radix(m.trim().trim_start_matches("0o"), 8)
            .ok()
            .filter(|m| *m <= 0o777)
            .ok_or_else(|| {
                invalid(
                    "api.socket_mode",
                    format!("invalid mode {m:?}: use octal, e.g. \"0660\""),
                )
            })?;
    }
    api.token = raw.token.filter(|t| !t.trim().is_empty());
    if let Some(addr) = raw.tcp {
        let a: std::net::SocketAddr = addr.trim().parse().map_err(|_| {
            invalid(
                "api.tcp",
                format!("invalid address {addr:?}: use IP:PORT, e.g. \"127.0.0.1:8765\""),
            )
        })?;
        if !a.ip().is_loopback() && api.token.is_none() {
            return Err(invalid(
                "api.tcp",
                format!(
                    "{a} is not a loopback address: set api.token (clients send `Authorization: Bearer <token>`) or bind 127.0.0.1"
                ),
            ));
        }
        api.tcp = Some(a);
    }
    Ok(api)
}

/// One `[[feed]]`.
#[derive(Clone, Debug)]
pub struct FeedConfig {
    /// Unique name, used on the command line.
    pub name: String,
    /// Feed URL (trusted: the private-network guard applies to article links, not to it).
    pub url: Url,
    /// Poll schedule (cron).
    pub schedule: Schedule,
    /// Follow each item to its page and extract the article (default true).
    pub scrape: bool,
    /// Zone for dates without an offset, and for the cron schedule (default `[daemon] timezone`,
    /// else UTC).
    pub timezone: chrono_tz::Tz,
    /// Encoding override that beats every charset signal (e.g. `windows-1256`).
    pub encoding: Option<String>,
    /// Per-feed override of `[fetch] allow_private_networks`.
    pub allow_private_networks: bool,
    /// Language to assume when neither page nor feed states one.
    pub language: Option<String>,
    /// Per-feed override of `[fetch] respect_feed_hints`.
    pub respect_feed_hints: bool,
    /// Per-feed override of `[fetch] min_interval`.
    pub min_interval: Duration,
    /// Extra request headers sent with the feed request (not with article pages).
    pub headers: Vec<(String, String)>,
    /// HTTP basic auth for the feed request (RFC 7617); the password comes from env or file.
    pub basic_auth: Option<BasicAuth>,
    /// `Cookie` header for the feed request, from env or file.
    pub cookie: Option<Secret>,
    /// Category the feed is filed under (OPML `category` / outline folder); display only.
    pub group: Option<String>,
}

/// A secret value read from the environment or a file. Its `Debug` never shows it, so it
/// cannot leak into logs.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a value.
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The value, for the one place that sends it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// `basic_auth = { username = "...", password_env = "VAR" }` (or `password_file`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BasicAuth {
    /// User name (not secret).
    pub username: String,
    /// Password.
    pub password: Secret,
}

/// Reads a secret from `env` or `file` (exactly one), naming `key` in errors.
fn read_secret(
    key: &str,
    env: Option<&str>,
    file: Option<&Path>,
) -> Result<Option<Secret>, ConfigError> {
    match (env, file) {
        (None, None) => Ok(None),
        (Some(_), Some(_)) => Err(invalid(
            key,
            "give either the _env or the _file form of a secret, not both",
        )),
        (Some(var), None) => match std::env::var(var) {
            Ok(v) => Ok(Some(Secret(v))),
            Err(_) => Err(invalid(
                key,
                format!(
                    "environment variable {var} is not set (or not UTF-8): export it before starting feedkeeper"
                ),
            )),
        },
        (None, Some(path)) => match std::fs::read_to_string(path) {
            Ok(v) => Ok(Some(Secret(v.trim_end_matches(['\r', '\n']).to_string()))),
            Err(e) => Err(invalid(
                key,
                format!("cannot read secret file {}: {e}", path.display()),
            )),
        },
    }
}

/// Whether `name` is a valid HTTP header field name (RFC 9110 §5.1 token).
fn valid_header_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// A parsed cron schedule and its source text.
#[derive(Clone, Debug)]
pub struct Schedule {
    /// The expression as written (5 or 6 fields).
    pub expr: String,
    /// The parsed schedule (seconds field added for 5-field expressions).
    pub cron: cron::Schedule,
}

impl Schedule {
    /// Parses a 5-field (`min hour dom mon dow`) or 6-field (with seconds first) cron expression.
    ///
    /// # Errors
    /// A message saying what is wrong, with an example.
    pub fn parse(expr: &str) -> Result<Schedule, String> {
        let fields = expr.split_whitespace().count();
        let full = match fields {
            5 => format!("0 {expr}"),
            6 => expr.to_string(),
            n => {
                return Err(format!(
                    "expected 5 or 6 cron fields, got {n} (e.g. \"*/15 * * * *\")"
                ));
            }
        };
        let cron = cron::Schedule::from_str(&full).map_err(|e| {
            format!("invalid cron expression {expr:?}: {e} (e.g. \"*/15 * * * *\")")
        })?;
        Ok(Schedule {
            expr: expr.to_string(),
            cron,
        })
    }
}

fn parse_duration(key: &str, s: &str) -> Result<Duration, ConfigError> {
    crate::config::parse_duration_str(s).ok_or_else(|| {
        invalid(key, format!("invalid duration {s:?}: use a number and a unit, e.g. \"500ms\", \"30s\", \"5m\", \"2h\", \"7d\""))
    })
}

/// Parses `500ms`, `30s`, `5m`, `2h`, `7d` (or a bare number of seconds).
pub fn parse_duration_str(s: &str) -> Option<Duration> {
    let s = s.trim();
    let split = s
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: f64 = num.parse().ok()?;
    let secs = match unit.trim() {
        "ms" => n / 1000.0,
        "" | "s" => n,
        "m" | "min" => n * 60.0,
        "h" => n * 3600.0,
        "d" => n * 86400.0,
        "w" => n * 7.0 * 86400.0,
        _ => return None,
    };
    (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs))
}

impl Config {
    /// Reads and validates a config file.
    ///
    /// # Errors
    /// [`ConfigError`] naming the file or the key.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|error| ConfigError::Read {
            path: path.to_path_buf(),
            error,
        })?;
        Config::from_toml(&text, &path.display().to_string())
    }

    /// Validates a config given as TOML text; `origin` names it in errors.
    ///
    /// # Errors
    /// [`ConfigError`] naming the key and the fix.
    pub fn from_toml(text: &str, origin: &str) -> Result<Config, ConfigError> {
        let raw: RawConfig = toml::from_str(text).map_err(|e| ConfigError::Syntax {
            path: origin.to_string(),
            message: e.to_string().trim().to_string(),
        })?;
        let mut fetch = FetchConfig::default();
        let f = raw.fetch;
        fetch.allow_private_networks = f.allow_private_networks.unwrap_or(false);
        if let Some(ua) = f.user_agent {
            fetch.user_agent = ua;
        }
        if let Some(s) = f.connect_timeout {
            fetch.connect_timeout = parse_duration("fetch.connect_timeout", &s)?;
        }
        if let Some(s) = f.timeout {
            fetch.timeout = parse_duration("fetch.timeout", &s)?;
        }
        if let Some(s) = f.per_host_gap {
            fetch.per_host_gap = parse_duration("fetch.per_host_gap", &s)?;
        }
        if let Some(s) = f.min_interval {
            fetch.min_interval = parse_duration("fetch.min_interval", &s)?;
        }
        fetch.respect_feed_hints = f.respect_feed_hints.unwrap_or(fetch.respect_feed_hints);
        fetch.max_feed_bytes = f.max_feed_bytes.unwrap_or(fetch.max_feed_bytes);
        fetch.max_page_bytes = f.max_page_bytes.unwrap_or(fetch.max_page_bytes);
        fetch.concurrency = f.concurrency.unwrap_or(fetch.concurrency);
        fetch.per_host_concurrency = f.per_host_concurrency.unwrap_or(fetch.per_host_concurrency);
        if fetch.concurrency == 0 {
            return Err(invalid("fetch.concurrency", "must be at least 1"));
        }
        if fetch.per_host_concurrency == 0 {
            return Err(invalid("fetch.per_host_concurrency", "must be at least 1"));
        }
        let mut daemon = DaemonConfig::default();
        if let Some(s) = raw.daemon.shutdown_grace {
            daemon.shutdown_grace = parse_duration("daemon.shutdown_grace", &s)?;
        }
        if let Some(s) = raw.daemon.jitter {
            daemon.jitter = parse_jitter(&s)?;
        }
        if let Some(tz) = raw.daemon.timezone {
            daemon.timezone = tz.parse::<chrono_tz::Tz>().map_err(|_| invalid("daemon.timezone", format!("unknown time zone {tz:?}: use an IANA name such as \"Asia/Amman\" or \"UTC\"")))?;
        }
        let api = parse_api(raw.api)?;
        let mut dedup = DedupConfig {
            min_hash_words: raw.dedup.min_hash_words.unwrap_or(defaults::MIN_HASH_WORDS),
            ..DedupConfig::default()
        };
        if let Some(list) = raw.dedup.watch {
            dedup.watch = list
                .iter()
                .map(|s| parse_duration("dedup.watch", s))
                .collect::<Result<_, _>>()?;
        }
        if let Some(d) = raw.dedup.near_duplicate_distance {
            if d > 32 {
                return Err(invalid(
                    "dedup.near_duplicate_distance",
                    format!("{d} is too large: use 0..=32 bits of 64 (default 6)"),
                ));
            }
            dedup.near_duplicate_distance = d;
        }
        let retention = RetentionConfig {
            max_age: raw
                .retention
                .max_age
                .map(|s| parse_duration("retention.max_age", &s))
                .transpose()?,
            max_per_feed: raw.retention.max_per_feed,
            max_revisions: raw.retention.max_revisions,
        };
        if retention.max_revisions == Some(0) || retention.max_revisions == Some(1) {
            return Err(invalid(
                "retention.max_revisions",
                "must be at least 2 (the first and the latest revision are always kept)",
            ));
        }
        let mut names = HashSet::new();
        let mut feeds = Vec::with_capacity(raw.feed.len());
        for (i, rf) in raw.feed.into_iter().enumerate() {
            let key = |k: &str| format!("feed[{i}].{k}");
            let name = rf
                .name
                .map(|n| n.trim().to_string())
                .filter(|n| !n.is_empty())
                .ok_or_else(|| {
                    invalid(
                        key("name"),
                        "missing: every [[feed]] needs a unique name, e.g. name = \"aa-ar\"",
                    )
                })?;
            if !names.insert(name.clone()) {
                return Err(invalid(
                    key("name"),
                    format!("duplicate feed name {name:?}: names must be unique"),
                ));
            }
            let url_s = rf.url.ok_or_else(|| {
                invalid(
                    key("url"),
                    format!("missing for feed {name:?}: give the feed's http(s) URL"),
                )
            })?;
            let url = Url::parse(url_s.trim())
                .map_err(|e| invalid(key("url"), format!("invalid URL {url_s:?}: {e}")))?;
            if !matches!(url.scheme(), "http" | "https") {
                return Err(invalid(
                    key("url"),
                    format!("unsupported scheme {:?}: use http or https", url.scheme()),
                ));
            }
            let schedule = Schedule::parse(rf.schedule.as_deref().unwrap_or(defaults::SCHEDULE))
                .map_err(|m| invalid(key("schedule"), m))?;
            let timezone = match rf.timezone {
                None => daemon.timezone,
                Some(tz) => tz.parse::<chrono_tz::Tz>().map_err(|_| invalid(key("timezone"), format!("unknown time zone {tz:?}: use an IANA name such as \"Asia/Amman\" or \"UTC\"")))?,
            };
            if let Some(enc) = &rf.encoding {
                if crate::charset::encoding_for_label(enc).is_none() {
                    return Err(invalid(
                        key("encoding"),
                        format!(
                            "unknown encoding {enc:?}: use a WHATWG label such as \"windows-1256\""
                        ),
                    ));
                }
            }
            let min_interval = match &rf.min_interval {
                Some(s) => parse_duration(&key("min_interval"), s)?,
                None => fetch.min_interval,
            };
            let mut headers = Vec::new();
            for (k, v) in &rf.headers {
                if !valid_header_name(k) {
                    return Err(invalid(
                        key("headers"),
                        format!("invalid header name {k:?}: use letters, digits and '-'"),
                    ));
                }
                if v.bytes().any(|b| b == b'\r' || b == b'\n' || b == 0) {
                    return Err(invalid(
                        key("headers"),
                        format!("header {k:?}: value must be one line"),
                    ));
                }
                headers.push((k.clone(), v.clone()));
            }
            let basic_auth = match &rf.basic_auth {
                None => None,
                Some(b) => {
                    let username = b.username.clone().ok_or_else(|| {
                        invalid(
                            key("basic_auth.username"),
                            "missing: e.g. username = \"reader\"",
                        )
                    })?;
                    let password = read_secret(
                        &key("basic_auth.password"),
                        b.password_env.as_deref(),
                        b.password_file.as_deref(),
                    )?
                    .ok_or_else(|| {
                        invalid(
                            key("basic_auth"),
                            "missing password: give password_env = \"VAR\" or password_file = \"/path\"",
                        )
                    })?;
                    Some(BasicAuth { username, password })
                }
            };
            let cookie = read_secret(
                &key("cookie"),
                rf.cookie_env.as_deref(),
                rf.cookie_file.as_deref(),
            )?;
            feeds.push(FeedConfig {
                name,
                url,
                schedule,
                scrape: rf.scrape.unwrap_or(true),
                timezone,
                encoding: rf.encoding,
                allow_private_networks: rf
                    .allow_private_networks
                    .unwrap_or(fetch.allow_private_networks),
                language: rf.language,
                group: rf.group,
                respect_feed_hints: rf.respect_feed_hints.unwrap_or(fetch.respect_feed_hints),
                min_interval,
                headers,
                basic_auth,
                cookie,
            });
        }
        for (i, site) in raw.site.iter().enumerate() {
            if site.host.trim().is_empty() {
                return Err(invalid(
                    format!("site[{i}].host"),
                    "missing: e.g. host = \"aa.com.tr\"",
                ));
            }
            for (k, s) in [
                ("body", &site.body),
                ("title", &site.title),
                ("published", &site.published),
            ] {
                if let Some(s) = s {
                    scraper::Selector::parse(s).map_err(|e| {
                        invalid(
                            format!("site[{i}].{k}"),
                            format!("invalid CSS selector {s:?}: {e}"),
                        )
                    })?;
                }
            }
            for s in &site.strip {
                scraper::Selector::parse(s).map_err(|e| {
                    invalid(
                        format!("site[{i}].strip"),
                        format!("invalid CSS selector {s:?}: {e}"),
                    )
                })?;
            }
        }
        Ok(Config {
            store_path: raw
                .store
                .path
                .unwrap_or_else(|| PathBuf::from(defaults::STORE_PATH)),
            fetch,
            dedup,
            retention,
            daemon,
            api,
            feeds,
            sites: raw.site,
        })
    }

    /// Looks a feed up by name.
    pub fn feed(&self, name: &str) -> Option<&FeedConfig> {
        self.feeds.iter().find(|f| f.name == name)
    }
}

/// Finds the config file: an explicit path, else [`defaults::CONFIG_PATH`], else
/// [`defaults::LOCAL_CONFIG_PATH`] in the working directory.
pub fn locate(explicit: Option<&Path>) -> PathBuf {
    if let Some(p) = explicit {
        return p.to_path_buf();
    }
    let system = PathBuf::from(defaults::CONFIG_PATH);
    if system.exists() {
        system
    } else {
        PathBuf::from(defaults::LOCAL_CONFIG_PATH)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minimal_feed_gets_defaults() {
        let c = Config::from_toml(
            "[[feed]]\nname = \"a\"\nurl = \"https://example.org/rss\"\n",
            "t",
        )
        .unwrap();
        assert_eq!(c.feeds[0].schedule.expr, "*/15 * * * *");
        assert!(c.feeds[0].scrape);
        assert_eq!(c.store_path, PathBuf::from("data"));
        assert!(!c.fetch.allow_private_networks);
    }

    #[test]
    fn bad_schedule_names_key() {
        let e = Config::from_toml("[[feed]]\nname = \"a\"\nurl = \"https://x/\"\n[[feed]]\nname = \"b\"\nurl = \"https://y/\"\nschedule = \"* * * *\"\n", "t").unwrap_err();
        assert_eq!(
            e.to_string(),
            "config: feed[1].schedule: expected 5 or 6 cron fields, got 4 (e.g. \"*/15 * * * *\")"
        );
    }

    #[test]
    fn durations() {
        assert_eq!(
            parse_duration_str("500ms"),
            Some(Duration::from_millis(500))
        );
        assert_eq!(parse_duration_str("2h"), Some(Duration::from_secs(7200)));
        assert_eq!(parse_duration_str("x"), None);
    }
}
