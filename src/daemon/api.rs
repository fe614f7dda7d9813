//! The daemon's local HTTP API (axum), on a Unix socket and optionally a TCP address.
//!
//! Routes (all `GET` unless noted):
//! - `/articles` — the `query` filters as parameters (`feed`, `since`, `until`, `search`, `lang`,
//!   `limit`), newest first, as the `query --format json` objects (`text=true` adds the body;
//!   `raw=true` returns the stored records, which the CLI uses to print identical output);
//! - `/articles/{id}`, `/articles/{id}/revisions`;
//! - `/feeds` (configured feeds), `/feeds/status` (per-feed state and next poll);
//! - `/feed.atom`, `/feed.rss`, `/feed.json` — the merged export (`feed`, `since`, `limit`), with
//!   `ETag` and `304 Not Modified`;
//! - `/healthz`, `/metrics` (Prometheus text);
//! - `POST /poll` with a JSON array of feed names — poll them now, one report line each.
//!
//! On TCP, every request needs `Authorization: Bearer <token>` when `[api] token` is set.

use super::metrics::Metrics;
use super::scheduler::Command;
use crate::config::Config;
use crate::model::{Article, ArticleId, FeedState};
use crate::store::Store;
use axum::Router;
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
use tokio::sync::{mpsc, oneshot};

/// What the handlers share.
pub struct ApiState {
    /// The store (the daemon holds the only handle).
    pub store: Store,
    /// The config in force (replaced on reload).
    pub config: RwLock<Arc<Config>>,
    /// The daemon's counters.
    pub metrics: Arc<Metrics>,
    /// The scheduler loop's command channel (for `POST /poll`).
    pub commands: mpsc::Sender<Command>,
    /// Whether the scheduler loop is healthy (store writable).
    pub healthy: Arc<AtomicBool>,
}

impl ApiState {
    fn config(&self) -> Arc<Config> {
        self.config
            .read()
            .map(|c| Arc::clone(&c))
            .unwrap_or_else(|p| Arc::clone(&p.into_inner()))
    }
}

type Shared = Arc<ApiState>;

/// The API's routes.
pub fn router(state: Shared) -> Router {
    Router::new()
        .route("/articles", get(articles))
        .route("/articles/{id}", get(article))
        .route("/articles/{id}/revisions", get(revisions))
        .route("/feeds", get(feeds))
        .route("/feeds/status", get(feeds_status))
        .route("/feed.atom", get(feed_atom))
        .route("/feed.rss", get(feed_rss))
        .route("/feed.json", get(feed_json))
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .route("/poll", post(poll))
        .with_state(state)
}

/// Wraps a router so every request needs `Authorization: Bearer <token>`.
pub fn with_token(router: Router, token: String) -> Router {
    let token = Arc::new(token);
    router.layer(axum::middleware::from_fn(
        move |req: Request, next: Next| {
            let token = Arc::clone(&token);
            async move {
                let ok = req
                    .headers()
                    .get(header::AUTHORIZATION)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.strip_prefix("Bearer "))
                    .is_some_and(|t| constant_time_eq(t.trim().as_bytes(), token.as_bytes()));
                if ok {
                    next.run(req).await
                } else {
                    (
                        StatusCode::UNAUTHORIZED,
                        [(header::WWW_AUTHENTICATE, "Bearer")],
                        "missing or wrong bearer token\n",
                    )
                        .into_response()
                }
            }
        },
    ))
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

struct ApiError(StatusCode, String);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.0, axum::Json(serde_json::json!({ "error": self.1 }))).into_response()
    }
}

impl From<crate::store::StoreError> for ApiError {
    fn from(e: crate::store::StoreError) -> Self {
        ApiError(StatusCode::INTERNAL_SERVER_ERROR, e.to_string())
    }
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| ApiError(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?
}

/// The `query` filters as URL parameters.
#[derive(Debug, Default, Deserialize)]
pub struct FilterParams {
    /// Only articles seen in this feed.
    pub feed: Option<String>,
    /// RFC 3339, a date, or a relative age (`2h`).
    pub since: Option<String>,
    /// Same forms as `since`.
    pub until: Option<String>,
    /// Every word must appear.
    pub search: Option<String>,
    /// Language prefix.
    pub lang: Option<String>,
    /// Articles with a revision since (same forms as `since`).
    pub updated_since: Option<String>,
    /// Byline contains this (case-insensitive).
    pub author: Option<String>,
    /// Has this tag.
    pub tag: Option<String>,
    /// Only articles seen in two or more feeds.
    #[serde(default)]
    pub duplicates: bool,
    /// `published` (default), `updated` or `seen`.
    pub order: Option<String>,
    /// Continue after this cursor (`MILLIS.ID`, as printed by the previous page).
    pub cursor: Option<String>,
    /// At most this many.
    pub limit: Option<usize>,
    /// Include the body text.
    #[serde(default)]
    pub text: bool,
    /// Return the stored records (for the CLI).
    #[serde(default)]
    pub raw: bool,
}

impl FilterParams {
    fn filter(&self, default_limit: usize) -> Result<crate::query::Filter, ApiError> {
        let now = chrono::Utc::now();
        let time = |s: &Option<String>| -> Result<_, ApiError> {
            s.as_deref()
                .map(|s| crate::query::parse_time(s, now))
                .transpose()
                .map_err(|e| ApiError(StatusCode::BAD_REQUEST, e))
        };
        Ok(crate::query::Filter {
            // Several feeds travel comma-separated (feed names have no commas in practice).
            feeds: self
                .feed
                .iter()
                .flat_map(|f| f.split(','))
                .filter(|f| !f.is_empty())
                .map(str::to_string)
                .collect(),
            since: time(&self.since)?,
            until: time(&self.until)?,
            search: self.search.clone(),
            lang: self.lang.clone(),
            updated_since: time(&self.updated_since)?,
            author: self.author.clone(),
            tag: self.tag.clone(),
            duplicates: self.duplicates,
            order: match self.order.as_deref() {
                None | Some("published") => crate::query::Order::Published,
                Some("updated") => crate::query::Order::Updated,
                Some("seen") => crate::query::Order::Seen,
                Some(o) => {
                    return Err(ApiError(
                        StatusCode::BAD_REQUEST,
                        format!("order {o:?}: expected published, updated or seen"),
                    ));
                }
            },
            cursor: self
                .cursor
                .as_deref()
                .map(crate::query::Cursor::parse)
                .transpose()
                .map_err(|e| ApiError(StatusCode::BAD_REQUEST, e))?,
            limit: Some(self.limit.unwrap_or(default_limit)),
        })
    }
}

async fn articles(
    State(st): State<Shared>,
    Query(p): Query<FilterParams>,
) -> Result<Response, ApiError> {
    let filter = p.filter(50)?;
    let store = st.store.clone();
    let list = blocking(move || Ok(crate::query::run(&store, &filter)?)).await?;
    if p.raw {
        return Ok(axum::Json(list).into_response());
    }
    let v: Vec<_> = list
        .iter()
        .map(|a| crate::query::article_json(a, p.text))
        .collect();
    Ok(axum::Json(v).into_response())
}

#[derive(Debug, Default, Deserialize)]
struct RawParam {
    #[serde(default)]
    raw: bool,
}

async fn find(st: &Shared, id: String) -> Result<Article, ApiError> {
    let store = st.store.clone();
    let id2 = id.clone();
    blocking(move || Ok(crate::query::find(&store, &id2)?))
        .await?
        .ok_or_else(|| ApiError(StatusCode::NOT_FOUND, format!("no article with id {id:?}")))
}

async fn article(
    State(st): State<Shared>,
    Path(id): Path<String>,
    Query(p): Query<RawParam>,
) -> Result<Response, ApiError> {
    let a = find(&st, id).await?;
    if p.raw {
        return Ok(axum::Json(a).into_response());
    }
    Ok(axum::Json(crate::query::article_json(&a, true)).into_response())
}

async fn revisions(State(st): State<Shared>, Path(id): Path<String>) -> Result<Response, ApiError> {
    let a = find(&st, id).await?;
    let store = st.store.clone();
    let revs = blocking(move || Ok(store.revisions(&ArticleId(a.id.0.clone()))?)).await?;
    Ok(axum::Json(revs).into_response())
}

async fn feeds(State(st): State<Shared>) -> Response {
    let cfg = st.config();
    let v: Vec<_> = cfg
        .feeds
        .iter()
        .map(|f| {
            serde_json::json!({
                "name": f.name, "url": f.url.as_str(), "schedule": f.schedule.expr,
                "timezone": f.timezone.name(), "scrape": f.scrape,
            })
        })
        .collect();
    axum::Json(v).into_response()
}

async fn feeds_status(
    State(st): State<Shared>,
    Query(p): Query<RawParam>,
) -> Result<Response, ApiError> {
    let cfg = st.config();
    let store = st.store.clone();
    let names: Vec<String> = cfg.feeds.iter().map(|f| f.name.clone()).collect();
    let states: Vec<Option<FeedState>> = blocking(move || {
        names
            .iter()
            .map(|n| store.feed_state(n).map_err(ApiError::from))
            .collect()
    })
    .await?;
    if p.raw {
        return Ok(axum::Json(states).into_response());
    }
    let now = chrono::Utc::now();
    let rows = super::status_rows(&cfg, &states, now);
    Ok(axum::Json(rows).into_response())
}

#[derive(Debug, Default, Deserialize)]
struct ExportParams {
    feed: Option<String>,
    since: Option<String>,
    limit: Option<usize>,
}

async fn export(
    st: Shared,
    p: ExportParams,
    format: crate::export::Format,
    content_type: &'static str,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let fp = FilterParams {
        feed: p.feed,
        since: p.since,
        limit: Some(p.limit.unwrap_or(100)),
        ..FilterParams::default()
    };
    let filter = fp.filter(100)?;
    let store = st.store.clone();
    let list = blocking(move || Ok(crate::query::run(&store, &filter)?)).await?;
    // A stable document for stable content: `updated` is the newest article's time, so the
    // ETag changes only when the articles do.
    let updated = list
        .iter()
        .map(crate::store::sort_time)
        .chain(list.iter().filter_map(|a| a.updated))
        .max()
        .unwrap_or(chrono::DateTime::<chrono::Utc>::UNIX_EPOCH);
    let meta = crate::export::FeedMeta {
        updated: Some(updated),
        ..crate::export::FeedMeta::default()
    };
    let body = crate::export::render(format, &meta, &list);
    let etag = format!("\"{}\"", &blake3::hash(&body).to_hex()[..32]);
    let matches = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    let etag_value = HeaderValue::from_str(&etag).unwrap_or(HeaderValue::from_static("\"0\""));
    if matches {
        return Ok((StatusCode::NOT_MODIFIED, [(header::ETAG, etag_value)]).into_response());
    }
    Ok((
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (header::ETAG, etag_value),
        ],
        body,
    )
        .into_response())
}

async fn feed_atom(
    State(st): State<Shared>,
    Query(p): Query<ExportParams>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    export(
        st,
        p,
        crate::export::Format::Atom,
        "application/atom+xml; charset=utf-8",
        headers,
    )
    .await
}

async fn feed_rss(
    State(st): State<Shared>,
    Query(p): Query<ExportParams>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    export(
        st,
        p,
        crate::export::Format::Rss,
        "application/rss+xml; charset=utf-8",
        headers,
    )
    .await
}

async fn feed_json(
    State(st): State<Shared>,
    Query(p): Query<ExportParams>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    export(
        st,
        p,
        crate::export::Format::Json,
        "application/feed+json; charset=utf-8",
        headers,
    )
    .await
}

async fn healthz(State(st): State<Shared>) -> Response {
    if st.healthy.load(Ordering::Relaxed) {
        (StatusCode::OK, "ok\n").into_response()
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            "unhealthy: the last store write failed\n",
        )
            .into_response()
    }
}

async fn metrics(State(st): State<Shared>) -> Response {
    let cfg = st.config();
    let path = cfg.store_path.clone();
    let store = st.store.clone();
    let (size, count) = tokio::task::spawn_blocking(move || {
        (super::metrics::dir_size(&path), store.article_count())
    })
    .await
    .unwrap_or((0, 0));
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        st.metrics.render(size, count, cfg.feeds.len()),
    )
        .into_response()
}

async fn poll(
    State(st): State<Shared>,
    axum::Json(names): axum::Json<Vec<String>>,
) -> Result<Response, ApiError> {
    let cfg = st.config();
    if let Some(unknown) = names.iter().find(|n| cfg.feed(n).is_none()) {
        let known: Vec<&str> = cfg.feeds.iter().map(|f| f.name.as_str()).collect();
        return Err(ApiError(
            StatusCode::BAD_REQUEST,
            format!(
                "poll: no feed named {unknown:?} in the config (known: {})",
                known.join(", ")
            ),
        ));
    }
    let (tx, rx) = oneshot::channel();
    st.commands
        .send(Command::PollNow {
            feeds: names,
            reply: tx,
        })
        .await
        .map_err(|_| {
            ApiError(
                StatusCode::SERVICE_UNAVAILABLE,
                "the daemon is stopping".into(),
            )
        })?;
    let reports = rx.await.map_err(|_| {
        ApiError(
            StatusCode::SERVICE_UNAVAILABLE,
            "the daemon is stopping".into(),
        )
    })?;
    let mut out = String::new();
    for r in reports {
        out.push_str(&format!("{r}\n"));
    }
    Ok(([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], out).into_response())
}
