//! Plain data types shared by every stage: feeds, articles, revisions and their ids.
//!
//! No I/O happens here. Every time is UTC; every duration is in seconds unless a
//! field says otherwise. Serde derives exist because the `store` module encodes these
//! values and the CLI prints them as JSON.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

/// A stable, short, printable article id: 12 lower-case RFC 4648 base32 characters
/// (alphabet `a-z2-7`) of the BLAKE3 hash of the article's first identity key.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ArticleId(pub String);

impl ArticleId {
    /// Number of base32 characters in an id (60 bits of the hash).
    pub const LEN: usize = 12;

    /// Derives the id from an identity key (see [`crate::dedup::IdentityKey`]).
    pub fn from_key(key: &str) -> Self {
        let hash = blake3::hash(key.as_bytes());
        ArticleId(base32_lower(&hash.as_bytes()[..8])[..Self::LEN].to_string())
    }

    /// The id as a string slice.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ArticleId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// RFC 4648 base32 (lower case, no padding).
fn base32_lower(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";
    let mut out = String::with_capacity(bytes.len() * 8 / 5 + 1);
    let mut buffer: u32 = 0;
    let mut bits = 0;
    for &b in bytes {
        buffer = (buffer << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(ALPHABET[((buffer >> bits) & 31) as usize] as char);
        }
    }
    if bits > 0 {
        out.push(ALPHABET[((buffer << (5 - bits)) & 31) as usize] as char);
    }
    out
}

/// How the article body was obtained.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ExtractionStatus {
    /// The page was fetched and its body extracted.
    Ok,
    /// The feed's own content was kept (scraping disabled, or it gave less); the reason says why.
    #[default]
    Fallback,
    /// Fetching or extracting the page failed; the feed's content was kept.
    Failed,
}

impl ExtractionStatus {
    /// The status as written in JSON and shown by `show`: `ok`, `fallback` or `failed`.
    pub fn as_str(&self) -> &'static str {
        match self {
            ExtractionStatus::Ok => "ok",
            ExtractionStatus::Fallback => "fallback",
            ExtractionStatus::Failed => "failed",
        }
    }
}

/// One place a story was seen: the feed that listed it and the item link as that feed gave it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeenIn {
    /// Configured feed name.
    pub feed: String,
    /// The item's link exactly as the feed wrote it (after origin resolution only).
    pub url: String,
    /// The item's guid / Atom id / JSON Feed id, when it had one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guid: Option<String>,
    /// When feedkeeper first saw the story through this route (UTC).
    pub seen_at: DateTime<Utc>,
}

/// A stored article: one story, whatever the number of feeds and URLs it arrived through.
/// The text fields hold the latest revision; older ones are kept as [`Revision`]s.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Article {
    /// Stable id (see [`ArticleId`]).
    pub id: ArticleId,
    /// Name of the feed the story first arrived through.
    pub feed: String,
    /// Canonical URL of the story (page `rel=canonical` when scraped, else the item link,
    /// normalised by [`crate::dedup::canonical_url`]).
    pub url: String,
    /// Trusted guid of the first route, if any.
    #[serde(default)]
    pub guid: Option<String>,
    /// Title of the latest revision.
    pub title: String,
    /// Publication time (UTC), the earliest one given by any route.
    pub published: Option<DateTime<Utc>>,
    /// Time of the latest revision's change as the source says it, else when feedkeeper saw it.
    pub updated: Option<DateTime<Utc>>,
    /// BCP 47 language tag (`ar`, `en-GB`), from the page or the feed.
    pub lang: Option<String>,
    /// Text direction, `rtl` or `ltr`.
    #[serde(default)]
    pub dir: Option<String>,
    /// Author or byline.
    #[serde(default)]
    pub byline: Option<String>,
    /// Tags / categories.
    #[serde(default)]
    pub tags: Vec<String>,
    /// Hex BLAKE3 of the normalised body text (see [`crate::dedup::content_hash`]).
    pub content_hash: String,
    /// Plain-text body of the latest revision; blocks separated by blank lines.
    pub text: String,
    /// Sanitised HTML body of the latest revision.
    pub html: String,
    /// Number of revisions stored (1 for a new article).
    pub revisions: u32,
    /// Every (feed, item link) the story arrived through, first first.
    pub seen_in: Vec<SeenIn>,
    /// When feedkeeper first stored the article (UTC).
    pub first_seen: DateTime<Utc>,
    /// When feedkeeper last saw the article in any feed (UTC).
    pub last_seen: DateTime<Utc>,
    /// How the body was obtained.
    #[serde(default)]
    pub extraction: ExtractionStatus,
    /// Why extraction fell back or failed.
    #[serde(default)]
    pub extraction_reason: Option<String>,
    /// Route key (within [`Article::feed`]) of the article's own identity: the only route
    /// whose page may add revisions.
    #[serde(default)]
    pub item_key: String,
    /// Watch window: when the page is still to be re-fetched (UTC, ascending); emptied as
    /// the times pass (see [`crate::dedup::watch_times`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub watch: Vec<DateTime<Utc>>,
    /// 64-bit SimHash of the body's word shingles (see [`crate::dedup::simhash`]); 0 when the
    /// body is too short to compare.
    #[serde(default)]
    pub simhash: u64,
    /// Near-duplicates: other articles whose SimHash is within the configured distance.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub near: Vec<ArticleId>,
}

/// One version of an article's content. Revisions are append-only.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Revision {
    /// The article this revision belongs to.
    pub article: ArticleId,
    /// 1-based revision number.
    pub number: u32,
    /// Title at this revision.
    pub title: String,
    /// Plain-text body.
    pub text: String,
    /// Sanitised HTML body.
    pub html: String,
    /// Hex BLAKE3 content hash of `text` after normalisation.
    pub content_hash: String,
    /// Publication time given at this revision (UTC).
    pub published: Option<DateTime<Utc>>,
    /// Modification time given at this revision (UTC).
    pub updated: Option<DateTime<Utc>>,
    /// When feedkeeper stored this revision (UTC).
    pub seen_at: DateTime<Utc>,
    /// Fields that changed from the previous revision (`title`, `text`, `published`, `updated`);
    /// empty for revision 1.
    pub changed: Vec<String>,
}

/// What feedkeeper remembers about a feed between polls.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct FeedState {
    /// Configured feed name.
    pub name: String,
    /// The URL polled last (may differ from the configured one after a permanent redirect).
    pub url: String,
    /// `ETag` of the last 200 response (RFC 9110 §8.8.3).
    pub etag: Option<String>,
    /// `Last-Modified` of the last 200 response (RFC 9110 §8.8.2), as sent.
    pub last_modified: Option<String>,
    /// When the feed was last polled (UTC).
    pub last_poll: Option<DateTime<Utc>>,
    /// When the feed last answered 200 (UTC).
    pub last_success: Option<DateTime<Utc>>,
    /// When the last unconditional request was made (UTC).
    #[serde(default)]
    pub last_unconditional: Option<DateTime<Utc>>,
    /// HTTP status of the last poll, if a response arrived.
    pub last_status: Option<u16>,
    /// Error of the last poll, if it failed.
    pub last_error: Option<String>,
    /// Failures since the last success.
    pub consecutive_failures: u32,
    /// When the feed is next due (UTC).
    pub next_poll: Option<DateTime<Utc>>,
    /// Polls made; `not_modified` of them answered 304.
    #[serde(default)]
    pub polls: u64,
    /// Polls answered with 304 Not Modified.
    #[serde(default)]
    pub not_modified: u64,
    /// Body bytes received over all polls.
    #[serde(default)]
    pub bytes: u64,
    /// Duration of the last poll's feed request, in milliseconds.
    #[serde(default)]
    pub last_elapsed_ms: Option<u64>,
    /// The configured URL this state belongs to; when the config names another URL, the
    /// state's URL and validators are reset (a moved `url` keeps this one).
    #[serde(default)]
    pub configured_url: Option<String>,
    /// A permanent redirect (301/308) seen on consecutive successful polls, not adopted yet.
    #[serde(default)]
    pub pending_move: Option<PendingMove>,
    /// Why the feed is parked (e.g. after 410 Gone): it is kept but not polled until the
    /// operator re-enables it (`feeds enable NAME`, or `poll --force`).
    #[serde(default)]
    pub parked: Option<String>,
    /// No request to the feed before this time: the server's `Retry-After` (429/503).
    #[serde(default)]
    pub retry_after_until: Option<DateTime<Utc>>,
    /// Why `next_poll` is what it is.
    #[serde(default)]
    pub next_poll_reason: Option<NextPollReason>,
    /// Short kind of the last error (`rate limited`, `http status`, `timeout`, `parse`, …).
    #[serde(default)]
    pub last_error_kind: Option<String>,
    /// Scheduling hints from the last responses (feed document and HTTP caching headers).
    #[serde(default)]
    pub hints: PollHints,
}

/// A permanent redirect observed on successful polls, counted until it is adopted.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingMove {
    /// Where the permanent redirects lead.
    pub to: String,
    /// Consecutive successful polls that saw it.
    pub seen: u32,
}

/// Scheduling hints remembered between polls; all are floors on the next poll.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PollHints {
    /// RSS 2.0 `<ttl>`, seconds.
    #[serde(default)]
    pub ttl_secs: Option<u64>,
    /// RSS 2.0 `<skipHours>`: hours (0–23, GMT) in which not to poll.
    #[serde(default)]
    pub skip_hours: Vec<u8>,
    /// RSS 2.0 `<skipDays>`: day names (`Monday` … `Sunday`) on which not to poll.
    #[serde(default)]
    pub skip_days: Vec<String>,
    /// `sy:updatePeriod` / `sy:updateFrequency` as a period, seconds.
    #[serde(default)]
    pub update_period_secs: Option<u64>,
    /// `Cache-Control: max-age` of the last response, seconds (RFC 9111 §5.2.2.1).
    #[serde(default)]
    pub max_age_secs: Option<u64>,
    /// `Expires` of the last response (RFC 9111 §5.3).
    #[serde(default)]
    pub expires: Option<DateTime<Utc>>,
}

/// Why a feed's next poll is at the time it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NextPollReason {
    /// The cron schedule.
    Schedule,
    /// The configured minimum interval between polls.
    MinInterval,
    /// RSS `<ttl>`.
    Ttl,
    /// `Cache-Control: max-age`.
    MaxAge,
    /// `Expires`.
    Expires,
    /// `sy:updatePeriod` / `sy:updateFrequency`.
    UpdatePeriod,
    /// RSS `<skipHours>`.
    SkipHours,
    /// RSS `<skipDays>`.
    SkipDays,
    /// Exponential backoff after failures.
    Backoff,
    /// The server's `Retry-After`.
    RetryAfter,
    /// Parked (410 Gone); not polled until re-enabled.
    Parked,
}

impl NextPollReason {
    /// The label shown by `feeds status`.
    pub fn as_str(self) -> &'static str {
        match self {
            NextPollReason::Schedule => "schedule",
            NextPollReason::MinInterval => "min_interval",
            NextPollReason::Ttl => "ttl",
            NextPollReason::MaxAge => "max_age",
            NextPollReason::Expires => "expires",
            NextPollReason::UpdatePeriod => "update_period",
            NextPollReason::SkipHours => "skip_hours",
            NextPollReason::SkipDays => "skip_days",
            NextPollReason::Backoff => "backoff",
            NextPollReason::RetryAfter => "retry_after",
            NextPollReason::Parked => "parked",
        }
    }
}

/// A per-site extraction rule (config `[[site]]`), applied before the heuristics.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SiteRule {
    /// Host the rule applies to; matches the host and its subdomains (`aa.com.tr` matches
    /// `www.aa.com.tr`).
    pub host: String,
    /// CSS selector of the article body.
    #[serde(default)]
    pub body: Option<String>,
    /// CSS selectors of elements removed from the body before text is taken.
    #[serde(default)]
    pub strip: Vec<String>,
    /// CSS selector of the title element.
    #[serde(default)]
    pub title: Option<String>,
    /// CSS selector of an element holding the publication date (`datetime` or `content`
    /// attribute, else its text).
    #[serde(default)]
    pub published: Option<String>,
}
