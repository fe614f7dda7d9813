//! Command-line interface: clap definitions and thin handlers over the library.
//!
//! Exit codes: 0 success, 1 runtime failure, 2 usage or configuration error.

use anyhow::{Context, Result};
use clap::{Parser, Subcommand, ValueEnum};
use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::process::ExitCode;

/// feedkeeper: poll news feeds, scrape full articles, deduplicate and keep every revision.
#[derive(Debug, Parser)]
#[command(name = "feedkeeper", version, about, long_about = None)]
pub struct Cli {
    /// The subcommand to run.
    #[command(subcommand)]
    pub command: Command,
}

/// Output format of the `parse` and `extract` debugging commands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum JsonFormat {
    /// One pretty JSON document.
    Json,
    /// One JSON object per line.
    Jsonl,
}

/// Output format of `query`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum QueryFormat {
    /// Aligned columns for a terminal.
    Table,
    /// One JSON array.
    Json,
    /// One JSON object per line.
    Jsonl,
}

/// Output format of `show`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ShowFormat {
    /// Human-readable text.
    Text,
    /// One JSON document.
    Json,
}

/// Export format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    /// Atom 1.0 (RFC 4287).
    Atom,
    /// RSS 2.0.
    Rss,
    /// JSON Feed 1.1.
    Json,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the daemon: poll every feed on its cron schedule until SIGTERM/SIGINT.
    Run {
        /// Config file [default: /etc/feedkeeper/feedkeeper.toml, else config/feedkeeper.toml].
        #[arg(long, short)]
        config: Option<PathBuf>,
        /// Poll every feed once, wait for all scraping, print one line per feed and exit.
        #[arg(long)]
        once: bool,
    },
    /// Poll the named feeds now.
    Poll {
        /// Config file.
        #[arg(long, short)]
        config: Option<PathBuf>,
        /// Feed names (as in the config).
        #[arg(required = true)]
        feeds: Vec<String>,
    },
    /// List stored articles, newest first.
    Query {
        /// Config file.
        #[arg(long, short)]
        config: Option<PathBuf>,
        /// Only articles seen in this feed.
        #[arg(long)]
        feed: Option<String>,
        /// Only articles published since (RFC 3339, YYYY-MM-DD, or relative: 2h, 7d).
        #[arg(long)]
        since: Option<String>,
        /// Only articles published until (same forms as --since).
        #[arg(long)]
        until: Option<String>,
        /// Only articles containing every word (case and Arabic diacritics folded).
        #[arg(long)]
        search: Option<String>,
        /// Only articles in this language (e.g. ar).
        #[arg(long)]
        lang: Option<String>,
        /// At most N articles.
        #[arg(long, default_value_t = 50)]
        limit: usize,
        /// Output format.
        #[arg(long, value_enum, default_value_t = QueryFormat::Table)]
        format: QueryFormat,
    },
    /// Show one article (and its revision history).
    Show {
        /// Config file.
        #[arg(long, short)]
        config: Option<PathBuf>,
        /// Article id (as printed by query).
        id: String,
        /// List every revision.
        #[arg(long)]
        history: bool,
        /// Output format.
        #[arg(long, value_enum, default_value_t = ShowFormat::Text)]
        format: ShowFormat,
    },
    /// Write one merged, deduplicated feed of stored articles, newest first.
    Export {
        /// Config file.
        #[arg(long, short)]
        config: Option<PathBuf>,
        /// Feed format.
        #[arg(long, value_enum, default_value_t = ExportFormat::Atom)]
        format: ExportFormat,
        /// Only articles seen in this feed.
        #[arg(long)]
        feed: Option<String>,
        /// Only articles published since (RFC 3339 or relative: 2h, 7d).
        #[arg(long)]
        since: Option<String>,
        /// At most N entries.
        #[arg(long, default_value_t = 100)]
        limit: usize,
        /// Write to FILE instead of stdout.
        #[arg(short, long)]
        output: Option<PathBuf>,
    },
    /// Validate the config and the store; exit 2 when the config is wrong.
    Check {
        /// Config file.
        #[arg(long, short)]
        config: Option<PathBuf>,
    },
    /// Manage and inspect feeds.
    Feeds {
        /// Config file.
        #[arg(long, short, global = true)]
        config: Option<PathBuf>,
        /// What to do.
        #[command(subcommand)]
        action: FeedsAction,
    },
    /// Parse feed files and print what the parse stage produced (debugging, corpus scoring).
    Parse {
        /// Feed files to parse.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// URL the feed was fetched from (base for relative links).
        #[arg(long)]
        url: Option<url::Url>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = JsonFormat::Jsonl)]
        format: JsonFormat,
    },
    /// Extract the article from a page (one page, or a JSONL manifest of pages).
    Extract {
        /// Fetch and extract this URL (or, with --html, the page's URL used as base).
        #[arg(long)]
        url: Option<url::Url>,
        /// Read the page from this file instead of fetching it.
        #[arg(long)]
        html: Option<PathBuf>,
        /// JSONL manifest `{"id","html","url"}`; prints JSONL results in the same order.
        #[arg(long, conflicts_with_all = ["url", "html"])]
        manifest: Option<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = JsonFormat::Json)]
        format: JsonFormat,
    },
}

/// `feedkeeper feeds …` actions.
#[derive(Debug, Subcommand)]
pub enum FeedsAction {
    /// List the configured feeds.
    List,
    /// Per-feed state: last poll, HTTP status, last error, failures, next poll.
    Status {
        /// Output format.
        #[arg(long, value_enum, default_value_t = ShowFormat::Text)]
        format: ShowFormat,
    },
}

/// An error that maps to exit code 2 (usage or configuration).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// Runs the CLI and maps the outcome to an exit code.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("feedkeeper: {e:#}");
            let usage = e.downcast_ref::<UsageError>().is_some()
                || e.downcast_ref::<crate::config::ConfigError>().is_some();
            ExitCode::from(if usage { 2 } else { 1 })
        }
    }
}

fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Parse { files, url, format } => cmd_parse(&files, url.as_ref(), format),
        Command::Extract {
            url,
            html,
            manifest,
            format,
        } => cmd_extract(url, html, manifest, format),
        Command::Run { config, once } => cmd_run(config.as_deref(), once),
        Command::Poll { config, feeds } => cmd_poll(config.as_deref(), &feeds),
        Command::Query {
            config,
            feed,
            since,
            until,
            search,
            lang,
            limit,
            format,
        } => {
            let now = chrono::Utc::now();
            let filter = crate::query::Filter {
                feed,
                since: since
                    .map(|s| crate::query::parse_time(&s, now))
                    .transpose()
                    .map_err(|m| UsageError(format!("--since: {m}")))?,
                until: until
                    .map(|s| crate::query::parse_time(&s, now))
                    .transpose()
                    .map_err(|m| UsageError(format!("--until: {m}")))?,
                search,
                lang,
                limit: Some(limit),
            };
            cmd_query(config.as_deref(), &filter, format)
        }
        Command::Show {
            config,
            id,
            history,
            format,
        } => cmd_show(config.as_deref(), &id, history, format),
        Command::Export {
            config,
            format,
            feed,
            since,
            limit,
            output,
        } => {
            let now = chrono::Utc::now();
            let filter = crate::query::Filter {
                feed,
                since: since
                    .map(|s| crate::query::parse_time(&s, now))
                    .transpose()
                    .map_err(|m| UsageError(format!("--since: {m}")))?,
                limit: Some(limit),
                ..Default::default()
            };
            cmd_export(config.as_deref(), &filter, format, output.as_deref())
        }
        Command::Check { config } => cmd_check(config.as_deref()),
        Command::Feeds { config, action } => cmd_feeds(config.as_deref(), action),
    }
}

fn load_config(path: Option<&std::path::Path>) -> Result<crate::config::Config> {
    let path = crate::config::locate(path);
    Ok(crate::config::Config::load(&path)?)
}

fn open_store(cfg: &crate::config::Config) -> Result<crate::store::Store> {
    if let Some(parent) = cfg
        .store_path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
    {
        std::fs::create_dir_all(parent).with_context(|| format!("create {}", parent.display()))?;
    }
    Ok(crate::store::Store::open(&cfg.store_path)?)
}

/// Where the read commands get their data: the store when it is free, else the daemon that
/// holds it (through its API socket). Both give the same records, printed by the same code.
enum Source {
    Store(crate::store::Store),
    Daemon(crate::daemon::client::Client),
}

impl Source {
    fn query(&self, filter: &crate::query::Filter) -> Result<Vec<crate::model::Article>> {
        Ok(match self {
            Source::Store(s) => crate::query::run(s, filter)?,
            Source::Daemon(c) => c.articles(filter)?,
        })
    }

    fn find(&self, id: &str) -> Result<Option<crate::model::Article>> {
        Ok(match self {
            Source::Store(s) => crate::query::find(s, id)?,
            Source::Daemon(c) => c.article(id)?,
        })
    }

    fn revisions(&self, id: &crate::model::ArticleId) -> Result<Vec<crate::model::Revision>> {
        Ok(match self {
            Source::Store(s) => s.revisions(id)?,
            Source::Daemon(c) => c.revisions(&id.0)?,
        })
    }

    fn feed_states(
        &self,
        cfg: &crate::config::Config,
    ) -> Result<Vec<Option<crate::model::FeedState>>> {
        match self {
            Source::Store(s) => cfg
                .feeds
                .iter()
                .map(|f| Ok(s.feed_state(&f.name)?))
                .collect(),
            Source::Daemon(c) => Ok(c.feed_states()?),
        }
    }
}

/// Opens the store, or — when another process holds it — the daemon's API socket. A store
/// locked by a short-lived command (no daemon answering) is retried for a few seconds.
fn open_source(cfg: &crate::config::Config) -> Result<Source> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        match open_store(cfg) {
            Ok(s) => return Ok(Source::Store(s)),
            Err(e) => {
                let locked = matches!(
                    e.downcast_ref::<crate::store::StoreError>(),
                    Some(crate::store::StoreError::Locked(_))
                );
                if !locked {
                    return Err(e);
                }
                if std::os::unix::net::UnixStream::connect(&cfg.api.socket).is_ok() {
                    return Ok(Source::Daemon(crate::daemon::client::Client::new(
                        &cfg.api.socket,
                    )));
                }
                if std::time::Instant::now() >= deadline {
                    anyhow::bail!(
                        "the store {} is in use by another process, and no feedkeeper daemon answers on {} ([api] socket); is another command running?",
                        cfg.store_path.display(),
                        cfg.api.socket.display()
                    );
                }
                std::thread::sleep(std::time::Duration::from_millis(100));
            }
        }
    }
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("start the async runtime")
}

fn cmd_run(config: Option<&std::path::Path>, once: bool) -> Result<ExitCode> {
    crate::telemetry::init(if once { "warn" } else { "info" });
    let cfg = std::sync::Arc::new(load_config(config)?);
    let store = open_store(&cfg)?;
    let ctx = crate::pipeline::Context::new(std::sync::Arc::clone(&cfg), store.clone())?;
    let rt = runtime()?;
    if once {
        let reports = rt.block_on(crate::pipeline::poll_all(&ctx, &cfg.feeds));
        print_reports(&reports)?;
        ctx.store.flush()?;
        return Ok(ExitCode::SUCCESS);
    }
    drop(ctx);
    let path = crate::config::locate(config);
    rt.block_on(crate::daemon::serve(
        path,
        cfg,
        store,
        crate::daemon::shutdown_signal(),
    ))?;
    Ok(ExitCode::SUCCESS)
}

fn print_reports(reports: &[crate::pipeline::PollReport]) -> Result<()> {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    for r in reports {
        writeln!(out, "{r}")?;
    }
    Ok(())
}

fn cmd_poll(config: Option<&std::path::Path>, names: &[String]) -> Result<ExitCode> {
    crate::telemetry::init("warn");
    let cfg = std::sync::Arc::new(load_config(config)?);
    let mut feeds = Vec::new();
    for n in names {
        let f = cfg.feed(n).ok_or_else(|| {
            let known: Vec<&str> = cfg.feeds.iter().map(|f| f.name.as_str()).collect();
            UsageError(format!(
                "poll: no feed named {n:?} in the config (known: {})",
                known.join(", ")
            ))
        })?;
        feeds.push(f.clone());
    }
    let store = match open_source(&cfg)? {
        Source::Store(s) => s,
        Source::Daemon(c) => {
            std::io::stdout()
                .lock()
                .write_all(c.poll(names)?.as_bytes())?;
            return Ok(ExitCode::SUCCESS);
        }
    };
    let ctx = crate::pipeline::Context::new(std::sync::Arc::clone(&cfg), store)?;
    let reports = runtime()?.block_on(crate::pipeline::poll_all(&ctx, &feeds));
    print_reports(&reports)?;
    Ok(ExitCode::SUCCESS)
}

fn cmd_query(
    config: Option<&std::path::Path>,
    filter: &crate::query::Filter,
    format: QueryFormat,
) -> Result<ExitCode> {
    let cfg = load_config(config)?;
    let src = open_source(&cfg)?;
    let articles = src.query(filter)?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    match format {
        QueryFormat::Table => write!(out, "{}", crate::query::table(&articles))?,
        QueryFormat::Json => {
            let v: Vec<_> = articles
                .iter()
                .map(|a| crate::query::article_json(a, true))
                .collect();
            writeln!(out, "{}", serde_json::to_string_pretty(&v)?)?;
        }
        QueryFormat::Jsonl => {
            for a in &articles {
                writeln!(
                    out,
                    "{}",
                    serde_json::to_string(&crate::query::article_json(a, true))?
                )?;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn rfc3339_or_dash(d: Option<chrono::DateTime<chrono::Utc>>) -> String {
    rfc3339(d).unwrap_or_else(|| "-".into())
}

fn cmd_show(
    config: Option<&std::path::Path>,
    id: &str,
    history: bool,
    format: ShowFormat,
) -> Result<ExitCode> {
    let cfg = load_config(config)?;
    let src = open_source(&cfg)?;
    let Some(a) = src.find(id)? else {
        anyhow::bail!("show: no article with id {id:?} (ids are printed by `feedkeeper query`)");
    };
    let revisions = if history {
        src.revisions(&a.id)?
    } else {
        Vec::new()
    };
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    match format {
        ShowFormat::Json => {
            let mut v = crate::query::article_json(&a, true);
            if history {
                v["history"] = serde_json::to_value(&revisions)?;
            }
            writeln!(out, "{}", serde_json::to_string_pretty(&v)?)?;
        }
        ShowFormat::Text => {
            writeln!(out, "id:         {}", a.id)?;
            writeln!(out, "title:      {}", a.title)?;
            writeln!(out, "url:        {}", a.url)?;
            writeln!(out, "feed:       {}", a.feed)?;
            writeln!(out, "published:  {}", rfc3339_or_dash(a.published))?;
            writeln!(out, "updated:    {}", rfc3339_or_dash(a.updated))?;
            writeln!(out, "lang:       {}", a.lang.as_deref().unwrap_or("-"))?;
            writeln!(out, "hash:       {}", a.content_hash)?;
            writeln!(out, "revisions:  {}", a.revisions)?;
            let reason = a
                .extraction_reason
                .as_deref()
                .map(|r| format!(" ({r})"))
                .unwrap_or_default();
            writeln!(out, "extraction: {:?}{reason}", a.extraction)?;
            writeln!(out, "seen in:")?;
            for s in &a.seen_in {
                writeln!(
                    out,
                    "  {}  {}  {}",
                    s.feed,
                    rfc3339_or_dash(Some(s.seen_at)),
                    s.url
                )?;
            }
            if history {
                writeln!(out, "history:")?;
                for r in &revisions {
                    let changed = if r.changed.is_empty() {
                        "first version".to_string()
                    } else {
                        r.changed.join(", ")
                    };
                    let short = &r.content_hash[..12.min(r.content_hash.len())];
                    writeln!(
                        out,
                        "  rev {}  {}  {short}  [{changed}]  {}",
                        r.number,
                        rfc3339_or_dash(Some(r.seen_at)),
                        r.title
                    )?;
                }
            }
            writeln!(out)?;
            writeln!(out, "{}", a.text)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn cmd_export(
    config: Option<&std::path::Path>,
    filter: &crate::query::Filter,
    format: ExportFormat,
    output: Option<&std::path::Path>,
) -> Result<ExitCode> {
    let cfg = load_config(config)?;
    let src = open_source(&cfg)?;
    let articles = src.query(filter)?;
    let fmt = match format {
        ExportFormat::Atom => crate::export::Format::Atom,
        ExportFormat::Rss => crate::export::Format::Rss,
        ExportFormat::Json => crate::export::Format::Json,
    };
    let bytes = crate::export::render(fmt, &crate::export::FeedMeta::default(), &articles);
    match output {
        Some(path) => {
            std::fs::write(path, &bytes).with_context(|| format!("write {}", path.display()))?
        }
        None => std::io::stdout().lock().write_all(&bytes)?,
    }
    Ok(ExitCode::SUCCESS)
}

fn cmd_check(config: Option<&std::path::Path>) -> Result<ExitCode> {
    let cfg = load_config(config)?;
    println!(
        "config: ok ({} feeds, {} site rules)",
        cfg.feeds.len(),
        cfg.sites.len()
    );
    let store = open_store(&cfg)?;
    println!(
        "store: ok ({} articles at {})",
        store.article_count(),
        cfg.store_path.display()
    );
    Ok(ExitCode::SUCCESS)
}

fn cmd_feeds(config: Option<&std::path::Path>, action: FeedsAction) -> Result<ExitCode> {
    let cfg = load_config(config)?;
    match action {
        FeedsAction::List => {
            for f in &cfg.feeds {
                println!(
                    "{:<20} {:<14} scrape={:<5} {}",
                    f.name, f.schedule.expr, f.scrape, f.url
                );
            }
        }
        FeedsAction::Status { format } => {
            let states = open_source(&cfg)?.feed_states(&cfg)?;
            let rows = crate::daemon::status_rows(&cfg, &states, chrono::Utc::now());
            match format {
                ShowFormat::Json => println!("{}", serde_json::to_string_pretty(&rows)?),
                ShowFormat::Text => {
                    for r in rows {
                        println!(
                            "{:<20} status={:<4} failures={:<3} next={} {}",
                            r["feed"].as_str().unwrap_or(""),
                            r["last_status"]
                                .as_u64()
                                .map(|s| s.to_string())
                                .unwrap_or_else(|| "-".into()),
                            r["consecutive_failures"],
                            r["next_poll"].as_str().unwrap_or("-"),
                            r["last_error"].as_str().unwrap_or("")
                        );
                    }
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// One line of `feedkeeper parse` output.
#[derive(serde::Serialize)]
struct ParseLine<'a> {
    file: String,
    ok: bool,
    error: Option<String>,
    title: Option<&'a str>,
    link: Option<&'a str>,
    entries: Vec<EntryLine<'a>>,
}

#[derive(serde::Serialize)]
struct EntryLine<'a> {
    title: Option<&'a str>,
    link: Option<&'a str>,
    id: Option<&'a str>,
    published: Option<String>,
    updated: Option<String>,
    summary: Option<String>,
}

fn rfc3339(d: Option<chrono::DateTime<chrono::Utc>>) -> Option<String> {
    d.map(|d| d.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
}

fn cmd_parse(files: &[PathBuf], url: Option<&url::Url>, format: JsonFormat) -> Result<ExitCode> {
    let opts = crate::parse::ParseOptions::default();
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut all = Vec::new();
    for file in files {
        let result = std::fs::read(file)
            .with_context(|| format!("read {}", file.display()))
            .and_then(|bytes| {
                crate::parse::parse_feed(&bytes, None, url, &opts).map_err(anyhow::Error::from)
            });
        let value = match &result {
            Ok(feed) => serde_json::to_value(ParseLine {
                file: file.display().to_string(),
                ok: true,
                error: None,
                title: feed.title.as_deref(),
                link: feed.link.as_deref(),
                entries: feed
                    .entries
                    .iter()
                    .map(|e| EntryLine {
                        title: e.title.as_deref(),
                        link: e.link.as_deref(),
                        id: e.id.as_deref(),
                        published: rfc3339(e.published),
                        updated: rfc3339(e.updated),
                        summary: e.summary_html.as_deref().map(crate::parse::html_to_text),
                    })
                    .collect(),
            })?,
            Err(e) => serde_json::to_value(ParseLine {
                file: file.display().to_string(),
                ok: false,
                error: Some(format!("{e:#}")),
                title: None,
                link: None,
                entries: Vec::new(),
            })?,
        };
        match format {
            JsonFormat::Jsonl => writeln!(out, "{}", serde_json::to_string(&value)?)?,
            JsonFormat::Json => all.push(value),
        }
    }
    if format == JsonFormat::Json {
        let v = if all.len() == 1 {
            all.remove(0)
        } else {
            serde_json::Value::Array(all)
        };
        writeln!(out, "{}", serde_json::to_string_pretty(&v)?)?;
    }
    Ok(ExitCode::SUCCESS)
}

#[derive(serde::Deserialize)]
struct ManifestLine {
    id: String,
    html: String,
    url: String,
}

fn extracted_json(
    id: Option<&str>,
    r: Result<crate::extract::Extracted, String>,
) -> serde_json::Value {
    match r {
        Ok(x) => serde_json::json!({
            "id": id, "title": x.title, "text": x.text, "html": x.html,
            "published": rfc3339(x.published), "updated": rfc3339(x.updated), "byline": x.byline,
            "lang": x.lang, "dir": x.dir, "tags": x.tags, "canonical_url": x.canonical_url,
            "lead_image": x.lead_image,
        }),
        Err(e) => serde_json::json!({"id": id, "text": null, "error": e}),
    }
}

fn cmd_extract(
    url: Option<url::Url>,
    html: Option<PathBuf>,
    manifest: Option<PathBuf>,
    format: JsonFormat,
) -> Result<ExitCode> {
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    if let Some(manifest) = manifest {
        let file = std::fs::File::open(&manifest)
            .with_context(|| format!("open manifest {}", manifest.display()))?;
        for (n, line) in std::io::BufReader::new(file).lines().enumerate() {
            let line = line.with_context(|| format!("read manifest {}", manifest.display()))?;
            if line.trim().is_empty() {
                continue;
            }
            let entry: ManifestLine = serde_json::from_str(&line).with_context(|| {
                format!(
                    "manifest {} line {}: expected {{\"id\",\"html\",\"url\"}}",
                    manifest.display(),
                    n + 1
                )
            })?;
            let result = (|| -> Result<crate::extract::Extracted, String> {
                let base = url::Url::parse(&entry.url)
                    .map_err(|e| format!("bad url {}: {e}", entry.url))?;
                // `html` is a path, or the HTML itself (evaluate.py --inline-html).
                let bytes = if entry.html.trim_start().starts_with('<') {
                    entry.html.clone().into_bytes()
                } else {
                    std::fs::read(&entry.html).map_err(|e| format!("read {}: {e}", entry.html))?
                };
                crate::extract::extract(&bytes, None, &base, &[]).map_err(|e| e.to_string())
            })();
            writeln!(
                out,
                "{}",
                serde_json::to_string(&extracted_json(Some(&entry.id), result))?
            )?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    let (Some(url), Some(html)) = (url, html) else {
        anyhow::bail!(
            "extract: give --html FILE --url URL, or --manifest FILE.jsonl (fetching --url alone needs the fetch stage)"
        );
    };
    let bytes = std::fs::read(&html).with_context(|| format!("read {}", html.display()))?;
    let value = extracted_json(
        None,
        crate::extract::extract(&bytes, None, &url, &[]).map_err(|e| e.to_string()),
    );
    match format {
        JsonFormat::Json => writeln!(out, "{}", serde_json::to_string_pretty(&value)?)?,
        JsonFormat::Jsonl => writeln!(out, "{}", serde_json::to_string(&value)?)?,
    }
    Ok(ExitCode::SUCCESS)
}
