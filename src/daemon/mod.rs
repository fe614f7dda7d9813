//! The `daemon` layer: the long-running service.
//!
//! - [`scheduler`]: due times (cron in the feed's zone, stable jitter, backoff and
//!   `Retry-After` floors) and the loop that polls feeds when due, never one feed twice at once;
//! - [`notify`]: sd_notify (`READY=1`, `STATUS=`, `WATCHDOG=1`, `RELOADING=1`, `STOPPING=1`);
//! - [`api`]: the local HTTP API on a Unix socket (and optionally TCP);
//! - [`metrics`]: Prometheus counters;
//! - [`client`]: the CLI's side of the API, used when the daemon holds the store.
//!
//! [`serve`] wires them: the store is opened by the caller (READY follows), SIGHUP reloads the
//! config (an invalid one is rejected and the old one kept), and the shutdown future (SIGTERM or
//! SIGINT in `main`, anything in tests) stops new polls, lets in-flight ones finish within the
//! grace period, flushes the store and returns.

pub mod api;
pub mod client;
pub mod metrics;
pub mod notify;
pub mod scheduler;

use crate::config::Config;
use crate::model::FeedState;
use crate::pipeline::{self, Context, PollReport, PollStatus};
use crate::store::Store;
use crate::telemetry::fields;
use chrono::{DateTime, SecondsFormat, Utc};
use scheduler::{CycleSummary, Observer, PollFuture, Poller, Scheduler};
use std::future::Future;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};

/// The per-feed rows of `feeds status` (text and JSON) and `/feeds/status`. The next poll is
/// [`scheduler::plan`] of the stored state: the time the daemon plans too.
pub fn status_rows(
    cfg: &Config,
    states: &[Option<FeedState>],
    now: DateTime<Utc>,
) -> Vec<serde_json::Value> {
    cfg.feeds
        .iter()
        .zip(states.iter().chain(std::iter::repeat(&None)))
        .map(|(f, st)| feed_status_json(f, &st.clone().unwrap_or_default(), now))
        .collect()
}

fn ts(d: Option<DateTime<Utc>>) -> Option<String> {
    d.map(|d| d.to_rfc3339_opts(SecondsFormat::Secs, true))
}

/// One feed's `feeds status` row as JSON: the state plus the next poll and why.
pub fn feed_status_json(
    f: &crate::config::FeedConfig,
    st: &crate::model::FeedState,
    now: chrono::DateTime<chrono::Utc>,
) -> serde_json::Value {
    let (next, reason) = match (st.next_poll_reason, st.last_poll.or(st.next_poll)) {
        (Some(r), Some(_)) => (st.next_poll, r.as_str()),
        _ => (
            Some(crate::schedule::next_due(f, st.last_poll, now)),
            "schedule",
        ),
    };
    let ratio = if st.polls == 0 {
        serde_json::Value::Null
    } else {
        serde_json::json!((st.not_modified as f64 / st.polls as f64 * 1000.0).round() / 1000.0)
    };
    serde_json::json!({
        "feed": f.name,
        "url": if st.url.is_empty() { f.url.to_string() } else { st.url.clone() },
        "configured_url": f.url.as_str(),
        "last_poll": ts(st.last_poll),
        "last_success": ts(st.last_success),
        "last_status": st.last_status,
        "last_error": st.last_error,
        "last_error_kind": st.last_error_kind,
        "consecutive_failures": st.consecutive_failures,
        "next_poll": ts(next),
        "next_poll_reason": reason,
        "retry_after_until": ts(st.retry_after_until),
        "parked": st.parked,
        "etag": st.etag.is_some(),
        "last_modified": st.last_modified.is_some(),
        "polls": st.polls,
        "not_modified": st.not_modified,
        "not_modified_ratio": ratio,
        "bytes": st.bytes,
        "last_elapsed_ms": st.last_elapsed_ms,
        "pending_move": st.pending_move.as_ref().map(|m| serde_json::json!({"to": m.to, "seen": m.seen})),
    })
}

/// Polls through the pipeline with the context in force (replaced on reload).
struct PipelinePoller {
    ctx: RwLock<Context>,
}

impl PipelinePoller {
    fn ctx(&self) -> Context {
        match self.ctx.read() {
            Ok(c) => c.clone(),
            Err(p) => p.into_inner().clone(),
        }
    }
}

impl Poller for PipelinePoller {
    fn poll(self: Arc<Self>, feed: crate::config::FeedConfig) -> PollFuture {
        let ctx = self.ctx();
        Box::pin(async move {
            let report = pipeline::poll_feed(&ctx, &feed).await;
            let state = ctx.store.feed_state(&feed.name).ok().flatten();
            (report, state)
        })
    }
}

/// Logs, counts and notifies.
struct DaemonObserver {
    notifier: notify::Notifier,
    metrics: Arc<metrics::Metrics>,
    store: Store,
    healthy: Arc<AtomicBool>,
}

impl Observer for DaemonObserver {
    fn poll_done(&self, report: &PollReport, state: Option<&FeedState>) {
        tracing::info!({ fields::FEED } = %report.feed, "{report}");
        self.metrics.poll_done(report, state);
        match &report.status {
            PollStatus::Failed(r) if r.starts_with("store") => {
                self.healthy.store(false, Ordering::Relaxed)
            }
            PollStatus::Failed(_) => {}
            _ => self.healthy.store(true, Ordering::Relaxed),
        }
    }

    fn cycle_done(&self, s: &CycleSummary, next: Option<DateTime<Utc>>) {
        let next = next
            .map(|n| n.to_rfc3339_opts(SecondsFormat::Secs, true))
            .unwrap_or_else(|| "-".into());
        let line = format!(
            "polled {} feeds ({} failed, {} not modified): {} new, {} updated, {} duplicate; {} articles stored; next poll {next}",
            s.polled,
            s.failed,
            s.not_modified,
            s.new,
            s.updated,
            s.duplicate,
            self.store.article_count()
        );
        tracing::info!("{line}");
        self.notifier.status(&line);
        // The cycle's articles durable and searchable now, not at the next poll's flush.
        if let Err(e) = self.store.sync() {
            tracing::warn!(error = %e, "store sync after the poll cycle failed");
        }
    }

    fn watchdog(&self) {
        if self.healthy.load(Ordering::Relaxed) {
            self.notifier.watchdog();
        } else {
            tracing::warn!("unhealthy (store writes fail): withholding the watchdog ping");
        }
    }

    fn in_flight(&self, n: usize) {
        self.metrics.set_in_flight(n);
    }
}

/// Binds the API's Unix socket (replacing a stale one) with the configured mode.
fn bind_unix(path: &std::path::Path, mode: u32) -> std::io::Result<tokio::net::UnixListener> {
    use std::os::unix::fs::PermissionsExt;
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)?;
    }
    // A leftover socket is removed only when nothing answers on it: another daemon (of
    // another store) may serve the same path. Anything else at the path is not ours.
    match std::fs::symlink_metadata(path) {
        Ok(meta) => {
            use std::os::unix::fs::FileTypeExt;
            if !meta.file_type().is_socket() {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::AlreadyExists,
                    format!("{} exists and is not a socket", path.display()),
                ));
            }
            if std::os::unix::net::UnixStream::connect(path).is_ok() {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::AddrInUse,
                    format!(
                        "another process is listening on {} (another feedkeeper daemon?)",
                        path.display()
                    ),
                ));
            }
            std::fs::remove_file(path)?;
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    let l = tokio::net::UnixListener::bind(path)?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))?;
    Ok(l)
}

/// Runs the daemon until `shutdown` resolves: scheduler, API, SIGHUP reloads, sd_notify.
/// `config_path` is re-read on SIGHUP. Returns once in-flight polls finished (or the grace
/// period ran out) and the store is flushed.
///
/// # Errors
/// When the HTTP client cannot be built or the final flush fails.
pub async fn serve(
    config_path: PathBuf,
    cfg: Arc<Config>,
    store: Store,
    shutdown: impl Future<Output = ()>,
) -> anyhow::Result<()> {
    let notifier = notify::Notifier::from_env();
    let metrics = Arc::new(metrics::Metrics::default());
    let healthy = Arc::new(AtomicBool::new(true));
    let ctx = Context::new(Arc::clone(&cfg), store.clone())?;
    let poller = Arc::new(PipelinePoller {
        ctx: RwLock::new(ctx),
    });
    let (cmd_tx, cmd_rx) = tokio::sync::mpsc::channel(16);
    let api_state = Arc::new(api::ApiState {
        store: store.clone(),
        config: RwLock::new(Arc::clone(&cfg)),
        metrics: Arc::clone(&metrics),
        commands: cmd_tx.clone(),
        healthy: Arc::clone(&healthy),
    });

    // The API.
    let (stop_api_tx, stop_api_rx) = tokio::sync::watch::channel(false);
    let mut servers = tokio::task::JoinSet::new();
    let socket = cfg.api.socket.clone();
    let mut bound = false;
    match bind_unix(&socket, cfg.api.socket_mode) {
        // Another daemon answers there: the CLI would reach it with this store's commands.
        Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => {
            anyhow::bail!("cannot serve the API on {}: {e}", socket.display())
        }
        Ok(listener) => {
            bound = true;
            let app = api::router(Arc::clone(&api_state));
            let mut stop = stop_api_rx.clone();
            servers.spawn(async move {
                let r = axum::serve(listener, app)
                    .with_graceful_shutdown(async move {
                        let _ = stop.wait_for(|s| *s).await;
                    })
                    .await;
                if let Err(e) = r {
                    tracing::error!(error = %e, "API server (unix socket) failed");
                }
            });
            tracing::info!(socket = %socket.display(), "API listening");
        }
        Err(e) => tracing::error!(
            socket = %socket.display(), error = %e,
            "cannot bind the API socket: `query`, `show` and `export` cannot reach the daemon (set [api] socket to a writable path)"
        ),
    }
    if let Some(addr) = cfg.api.tcp {
        match tokio::net::TcpListener::bind(addr).await {
            Ok(listener) => {
                let mut app = api::router(Arc::clone(&api_state));
                if let Some(t) = cfg.api.token.clone() {
                    app = api::with_token(app, t);
                }
                let mut stop = stop_api_rx.clone();
                servers.spawn(async move {
                    let r = axum::serve(listener, app)
                        .with_graceful_shutdown(async move {
                            let _ = stop.wait_for(|s| *s).await;
                        })
                        .await;
                    if let Err(e) = r {
                        tracing::error!(error = %e, "API server (tcp) failed");
                    }
                });
                tracing::info!(%addr, "API listening on TCP");
            }
            Err(e) => tracing::error!(%addr, error = %e, "cannot bind the API TCP address"),
        }
    }

    // SIGHUP: reload.
    let reloader = {
        let poller = Arc::clone(&poller);
        let api_state = Arc::clone(&api_state);
        let notifier = notifier.clone();
        let metrics = Arc::clone(&metrics);
        let store = store.clone();
        let cmd_tx = cmd_tx.clone();
        tokio::spawn(async move {
            let Ok(mut hup) =
                tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())
            else {
                tracing::warn!("cannot listen for SIGHUP: config reload disabled");
                return;
            };
            while hup.recv().await.is_some() {
                reload(
                    &config_path,
                    &poller,
                    &api_state,
                    &notifier,
                    &metrics,
                    &store,
                    &cmd_tx,
                )
                .await;
            }
        })
    };
    drop(cmd_tx);

    let now = Utc::now();
    let sched = Scheduler::new(
        cfg.feeds.clone(),
        cfg.daemon.jitter,
        |n| store.feed_state(n).ok().flatten(),
        now,
    );
    let observer = DaemonObserver {
        notifier: notifier.clone(),
        metrics: Arc::clone(&metrics),
        store: store.clone(),
        healthy,
    };
    tracing::info!(feeds = cfg.feeds.len(), "daemon started");
    notifier.ready(&format!(
        "{} feeds, {} articles stored; first polls starting",
        cfg.feeds.len(),
        store.article_count()
    ));
    let notifier2 = notifier.clone();
    let shutdown = async move {
        shutdown.await;
        tracing::info!("stop requested");
        notifier2.stopping();
    };
    let stopped = scheduler::drive(
        sched,
        &scheduler::SystemClock,
        Arc::clone(&poller),
        &observer,
        |n| store.feed_state(n).ok().flatten(),
        cmd_rx,
        notify::watchdog_interval(),
        shutdown,
        cfg.daemon.shutdown_grace,
    )
    .await;
    reloader.abort();
    let _ = stop_api_tx.send(true);
    let _ = tokio::time::timeout(std::time::Duration::from_secs(5), async {
        while servers.join_next().await.is_some() {}
    })
    .await;
    servers.abort_all();
    if bound {
        let _ = std::fs::remove_file(&socket);
    }
    store.sync()?;
    tracing::info!(
        drained = stopped.drained,
        abandoned = stopped.abandoned,
        "daemon stopped"
    );
    Ok(())
}

#[allow(clippy::too_many_arguments)]
async fn reload(
    path: &std::path::Path,
    poller: &PipelinePoller,
    api_state: &api::ApiState,
    notifier: &notify::Notifier,
    metrics: &metrics::Metrics,
    store: &Store,
    cmd_tx: &tokio::sync::mpsc::Sender<scheduler::Command>,
) {
    tracing::info!(config = %path.display(), "SIGHUP: reloading the config");
    notifier.reloading();
    let old = poller.ctx();
    let new = match Config::load(path) {
        Ok(c) => Arc::new(c),
        Err(e) => {
            tracing::error!(config = %path.display(), "config reload rejected, keeping the previous config: {e}");
            metrics.reload(false);
            notifier.ready(&format!(
                "config reload rejected ({e}); previous config kept"
            ));
            return;
        }
    };
    if new.store_path != old.config.store_path {
        tracing::warn!("[store] path changed: takes effect after a restart");
    }
    if new.api != old.config.api {
        tracing::warn!("[api] settings changed: take effect after a restart");
    }
    let mut ctx = match Context::new(Arc::clone(&new), store.clone()) {
        Ok(c) => c,
        Err(e) => {
            tracing::error!("config reload rejected, keeping the previous config: {e}");
            metrics.reload(false);
            notifier.ready("config reload rejected; previous config kept");
            return;
        }
    };
    // In-flight polls keep the old context; both must serialise on one ingest lock.
    ctx.ingest = Arc::clone(&old.ingest);
    if let Ok(mut c) = poller.ctx.write() {
        *c = ctx;
    }
    if let Ok(mut c) = api_state.config.write() {
        *c = Arc::clone(&new);
    }
    let (tx, rx) = tokio::sync::oneshot::channel();
    let sent = cmd_tx
        .send(scheduler::Command::Reload {
            feeds: new.feeds.clone(),
            jitter: new.daemon.jitter,
            reply: Some(tx),
        })
        .await;
    if sent.is_ok() {
        if let Ok(s) = rx.await {
            tracing::info!(
                added = ?s.added, removed = ?s.removed, changed = ?s.changed,
                "config reloaded: {} feeds", new.feeds.len()
            );
        }
    }
    metrics.reload(true);
    notifier.ready(&format!("config reloaded: {} feeds", new.feeds.len()));
}

/// Resolves on SIGTERM or SIGINT (Ctrl-C).
pub async fn shutdown_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    match signal(SignalKind::terminate()) {
        Ok(mut term) => {
            tokio::select! {
                _ = term.recv() => {}
                _ = tokio::signal::ctrl_c() => {}
            }
        }
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

#[cfg(test)]
mod socket_tests {
    use super::bind_unix;

    #[tokio::test]
    async fn the_api_socket_never_replaces_a_live_socket_or_a_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        // A regular file at the path: refused and left alone.
        let file = dir.path().join("notasock");
        std::fs::write(&file, "hi").expect("write");
        let e = bind_unix(&file, 0o660).expect_err("refused");
        assert_eq!(e.kind(), std::io::ErrorKind::AlreadyExists);
        assert_eq!(std::fs::read_to_string(&file).expect("kept"), "hi");
        // A socket another process listens on: refused, still there.
        let live = dir.path().join("live.sock");
        let other = std::os::unix::net::UnixListener::bind(&live).expect("bind");
        let e = bind_unix(&live, 0o660).expect_err("refused");
        assert_eq!(e.kind(), std::io::ErrorKind::AddrInUse);
        assert!(std::os::unix::net::UnixStream::connect(&live).is_ok());
        // A stale socket (its listener gone): replaced.
        drop(other);
        let l = bind_unix(&live, 0o660).expect("stale socket replaced");
        drop(l);
    }
}
