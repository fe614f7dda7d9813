//! Logging set-up (tracing-subscriber) and the fixed log field names (STYLE.md habit 12).
//! Logs go to stderr; user-facing output goes to stdout and is separate.

/// Log field names, used by every `tracing` call so logs can be queried by field.
pub mod fields {
    /// Configured feed name.
    pub const FEED: &str = "feed";
    /// Request URL.
    pub const URL: &str = "url";
    /// HTTP status code.
    pub const STATUS: &str = "status";
    /// Elapsed wall time, milliseconds.
    pub const ELAPSED_MS: &str = "elapsed_ms";
    /// Article id.
    pub const ARTICLE: &str = "article";
}

/// Installs the global subscriber: `RUST_LOG` filter (default `warn` for one-shot commands,
/// `info` for the daemon), compact one-line format on stderr. Calling it twice is harmless.
pub fn init(default_level: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        tracing_subscriber::EnvFilter::new(format!("feedkeeper={default_level},warn"))
    });
    // Colour only on a terminal: journald and log files get plain text.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr())
        && std::env::var_os("NO_COLOR").is_none();
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .with_ansi(ansi)
        .try_init();
}
