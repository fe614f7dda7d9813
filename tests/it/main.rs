//! The one integration-test binary (STYLE.md habit 9): each module covers one stage or feature.

mod e2e;
mod export;
mod feeds;
mod query;
mod support;
