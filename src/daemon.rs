//! The `daemon` layer: the scheduler loop that polls each feed on its cron schedule until the
//! shutdown future resolves, then lets in-flight polls finish (bounded by the grace period)
//! and flushes the store. The shutdown future is a parameter (mini-redis style), so `main`
//! passes a signal and tests pass anything.

use crate::pipeline::{self, Context};
use crate::schedule;
use crate::telemetry::fields;
use chrono::Utc;
use std::collections::HashMap;
use std::future::Future;
use tokio::task::JoinSet;

/// Runs the scheduler until `shutdown` resolves. Each feed is polled when due; a feed is never
/// polled twice at once. Returns after in-flight polls finished or the grace period ran out.
///
/// # Errors
/// When the store cannot be flushed at the end.
pub async fn run(
    ctx: Context,
    shutdown: impl Future<Output = ()>,
) -> Result<(), crate::store::StoreError> {
    tokio::pin!(shutdown);
    let mut next: HashMap<String, chrono::DateTime<Utc>> = HashMap::new();
    let now = Utc::now();
    for f in &ctx.config.feeds {
        let last = ctx
            .store
            .feed_state(&f.name)
            .ok()
            .flatten()
            .and_then(|s| s.last_poll);
        next.insert(f.name.clone(), schedule::next_due(f, last, now));
    }
    let mut running: JoinSet<String> = JoinSet::new();
    let mut busy: std::collections::HashSet<String> = std::collections::HashSet::new();
    tracing::info!(feeds = ctx.config.feeds.len(), "daemon started");
    loop {
        let now = Utc::now();
        for f in &ctx.config.feeds {
            let due = next.get(&f.name).copied().unwrap_or(now);
            if due <= now && !busy.contains(&f.name) {
                busy.insert(f.name.clone());
                let ctx2 = ctx.clone();
                let feed = f.clone();
                running.spawn(async move {
                    let report = pipeline::poll_feed(&ctx2, &feed).await;
                    tracing::info!({ fields::FEED } = %feed.name, "{report}");
                    feed.name
                });
                let after = now.max(due);
                next.insert(
                    f.name.clone(),
                    schedule::next_cron(f, after).unwrap_or(now + chrono::Duration::days(365)),
                );
            }
        }
        let wake = next
            .values()
            .min()
            .copied()
            .unwrap_or(now + chrono::Duration::hours(1));
        let sleep_for = (wake - Utc::now()).to_std().unwrap_or_default();
        tokio::select! {
            _ = &mut shutdown => break,
            Some(done) = running.join_next() => {
                if let Ok(name) = done { busy.remove(&name); }
            }
            _ = tokio::time::sleep(sleep_for) => {}
        }
    }
    tracing::info!(
        in_flight = running.len(),
        "shutting down: finishing in-flight polls"
    );
    let grace = ctx.config.daemon.shutdown_grace;
    let drain = async { while running.join_next().await.is_some() {} };
    if tokio::time::timeout(grace, drain).await.is_err() {
        tracing::warn!(
            grace_secs = grace.as_secs(),
            "grace period over; abandoning unfinished polls (nothing half-written)"
        );
        running.abort_all();
    }
    ctx.store.flush()?;
    tracing::info!("daemon stopped");
    Ok(())
}

/// Resolves on SIGTERM or SIGINT (Ctrl-C).
pub async fn shutdown_signal() {
    #[cfg(unix)]
    {
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
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
