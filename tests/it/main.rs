//! The one integration-test binary (STYLE.md habit 9): each module covers one stage or feature.

mod daemon;
mod dedup;
mod e2e;
mod export;
mod extract;
mod feeds;
mod fetch;
mod parse;
mod query;
mod schedule;
mod store;
mod support;
mod systemd;
