//! The one integration-test binary (STYLE.md habit 9): each module covers one stage or feature.
mod parse;
