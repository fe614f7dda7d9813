//! # feedkeeper
//!
//! A scheduled daemon that polls RSS/Atom/JSON feeds, follows each item to its page and
//! scrapes the full article, deduplicates articles by a hash of their normalised content,
//! and keeps every article and every revision of it in an embedded store (sled).
//!
//! ```text
//!  schedule ──> fetch ──> parse ──> (per entry) scrape page ──> extract ──> identify + dedup ──> store
//!    cron         HTTP      feed-rs                 HTTP           DOM          content hash       sled
//!                                                                                                │
//!                           query / show / export / HTTP API  <──────────────────────────────────┘
//! ```
//!
//! - [`model`]: plain types (`Article`, `Revision`, `FeedState`, `ArticleId`); no I/O.
//! - [`config`]: TOML → validated [`config::Config`]; errors name the key and the fix.
//! - [`schedule`]: cron due times, jitter, error backoff; pure functions of `(state, now)`.
//! - [`fetch`]: the one HTTP client; conditional GET, size caps, private-address guard.
//! - [`charset`]: bytes → UTF-8 for feeds and pages (BOM, HTTP charset, declaration, chardetng).
//! - [`parse`]: feed bytes → [`parse::ParsedFeed`] through feed-rs, with the repairs real feeds need.
//! - [`extract`]: page bytes → [`extract::Extracted`]: readability-style body, metadata, sanitised HTML.
//! - [`dedup`]: text normalisation, content hash, identity keys, canonical URLs; pure.
//! - [`store`]: every sled tree and key; one transaction per article write.
//! - [`pipeline`]: one poll of one feed through every stage, returning a [`pipeline::PollReport`].
//! - [`daemon`]: the scheduler loop, bounded concurrency and signal handling.
//! - [`search`]: folding (case, NFKC, Arabic spelling variants) and `--search` expressions;
//!   the index itself lives in `store::search`.
//! - [`query`] and [`export`]: reading the store back as tables, JSON, CSV and merged feeds.
//! - [`feeds`]: `feeds add/remove`, OPML import/export and autodiscovery, editing the config
//!   file in place (comments kept).
//! - [`cli`]: clap definitions and thin subcommand handlers.
//! - [`telemetry`]: tracing set-up and log field names.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod charset;
pub mod cli;
pub mod config;
pub mod daemon;
pub mod dedup;
pub mod export;
pub mod extract;
pub mod feeds;
pub mod fetch;
pub mod model;
pub mod parse;
pub mod pipeline;
pub mod query;
pub mod schedule;
pub mod search;
pub mod store;
pub mod telemetry;
