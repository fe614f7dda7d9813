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
#[command(name = "feedkeeper", version, about, long_about = None, after_help = MAIN_HELP)]
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
    /// Comma-separated values with a header row (RFC 4180).
    Csv,
}

/// Sort order of `query` and `export`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum OrderArg {
    /// Publication time (else first seen), newest first.
    Published,
    /// Time of the latest revision, newest first.
    Updated,
    /// When feedkeeper first stored the article, newest first.
    Seen,
}

/// The filters shared by `query` and `export` (and meaning the same in the HTTP API).
#[derive(Debug, Clone, clap::Args)]
pub struct FilterArgs {
    /// Only articles seen in this feed (repeatable: any of them).
    #[arg(long = "feed", value_name = "NAME")]
    pub feeds: Vec<String>,
    /// Only articles published since (RFC 3339, YYYY-MM-DD, or relative: 2h, 7d).
    #[arg(long)]
    pub since: Option<String>,
    /// Only articles published until (same forms as --since).
    #[arg(long)]
    pub until: Option<String>,
    /// Only articles with a new revision since (same forms as --since).
    #[arg(long)]
    pub updated_since: Option<String>,
    /// Search title and text: all words, "a phrase", -excluded (case, Arabic hamza, ta marbuta,
    /// alef maqsura, tashkeel, tatweel and digits folded).
    #[arg(long)]
    pub search: Option<String>,
    /// Only articles in this language (e.g. ar; matches ar-SA too).
    #[arg(long)]
    pub lang: Option<String>,
    /// Only articles whose author/byline contains this.
    #[arg(long)]
    pub author: Option<String>,
    /// Only articles with this tag.
    #[arg(long)]
    pub tag: Option<String>,
    /// Duplicates: `query` lists the duplicate groups (id, URLs, feeds: every article reached
    /// through more than one route); `export` keeps only those articles.
    #[arg(long)]
    pub duplicates: bool,
    /// Sort order.
    #[arg(long, value_enum, default_value_t = OrderArg::Published)]
    pub order: OrderArg,
    /// Continue after this cursor (printed with the previous page).
    #[arg(long)]
    pub cursor: Option<String>,
}

impl FilterArgs {
    /// Validates the flags into a [`crate::query::Filter`].
    ///
    /// # Errors
    /// A [`UsageError`] naming the flag.
    pub fn to_filter(&self, limit: usize) -> Result<crate::query::Filter, UsageError> {
        let now = chrono::Utc::now();
        let time = |flag: &str, v: &Option<String>| {
            v.as_deref()
                .map(|s| crate::query::parse_time(s, now))
                .transpose()
                .map_err(|m| UsageError(format!("{flag}: {m}")))
        };
        Ok(crate::query::Filter {
            feeds: self.feeds.clone(),
            since: time("--since", &self.since)?,
            until: time("--until", &self.until)?,
            updated_since: time("--updated-since", &self.updated_since)?,
            search: self.search.clone(),
            lang: self.lang.clone(),
            author: self.author.clone(),
            tag: self.tag.clone(),
            duplicates: self.duplicates,
            order: match self.order {
                OrderArg::Published => crate::query::Order::Published,
                OrderArg::Updated => crate::query::Order::Updated,
                OrderArg::Seen => crate::query::Order::Seen,
            },
            cursor: self
                .cursor
                .as_deref()
                .map(crate::query::Cursor::parse)
                .transpose()
                .map_err(|m| UsageError(format!("--cursor: {m}")))?,
            limit: Some(limit),
        })
    }
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
        /// Schedule and backoff are ignored; feeds held by Retry-After or parked are deferred.
        #[arg(long)]
        once: bool,
        /// With --once: poll even feeds held by Retry-After or parked by 410.
        #[arg(long, requires = "once")]
        force: bool,
    },
    /// Poll the named feeds now.
    Poll {
        /// Config file.
        #[arg(long, short)]
        config: Option<PathBuf>,
        /// Feed names (as in the config).
        #[arg(required = true)]
        feeds: Vec<String>,
        /// Poll even feeds held by Retry-After or parked by 410.
        #[arg(long)]
        force: bool,
    },
    /// List stored articles, newest first.
    #[command(after_help = QUERY_EXAMPLES)]
    Query {
        /// Config file.
        #[arg(long, short)]
        config: Option<PathBuf>,
        /// Filters.
        #[command(flatten)]
        filter: FilterArgs,
        /// At most N articles.
        #[arg(long, default_value_t = 50)]
        limit: usize,
        /// Comma-separated fields to print (id,title,url,feed,published,updated,lang,byline,
        /// tags,revisions,seen_in,content_hash,text,html,cursor,…).
        #[arg(long)]
        fields: Option<String>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = QueryFormat::Table)]
        format: QueryFormat,
    },
    /// Rebuild the search index from the stored articles.
    Reindex {
        /// Config file.
        #[arg(long, short)]
        config: Option<PathBuf>,
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
        /// Word-level diff between revisions A and B (e.g. `1..2`); words removed are shown
        /// as `[-…-]`, words added as `{+…+}`.
        #[arg(long, value_name = "A..B")]
        diff: Option<String>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = ShowFormat::Text)]
        format: ShowFormat,
    },
    /// Write one merged, deduplicated feed of stored articles, newest first.
    #[command(after_help = EXPORT_EXAMPLES)]
    Export {
        /// Config file.
        #[arg(long, short)]
        config: Option<PathBuf>,
        /// Feed format.
        #[arg(long, value_enum, default_value_t = ExportFormat::Atom)]
        format: ExportFormat,
        /// Filters (as for query).
        #[command(flatten)]
        filter: FilterArgs,
        /// At most N entries.
        #[arg(long, default_value_t = 100)]
        limit: usize,
        /// Write the RFC 5005 archive document of this month (YYYY-MM) instead of the newest
        /// entries.
        #[arg(long, value_name = "YYYY-MM")]
        archive: Option<String>,
        /// URL the export is published at; enables self and archive (prev-archive,
        /// next-archive) links as URL?archive=YYYY-MM.
        #[arg(long, value_name = "URL")]
        base_url: Option<String>,
        /// Feed title.
        #[arg(long, default_value = "feedkeeper")]
        title: String,
        /// Write to FILE instead of stdout.
        #[arg(short, long)]
        output: Option<PathBuf>,
    },
    /// Validate the config and the store (every index entry points at a stored article);
    /// exit 2 when the config is wrong, 1 when the store is inconsistent.
    Check {
        /// Config file.
        #[arg(long, short)]
        config: Option<PathBuf>,
    },
    /// Apply `[retention]`: remove (and tombstone) old articles, cap histories; report what
    /// was removed. Removes nothing when no retention limit is configured.
    Gc {
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
    /// Import the feeds of an OPML file into the config (comments kept).
    Opml {
        /// Config file.
        #[arg(long, short, global = true)]
        config: Option<PathBuf>,
        /// What to do.
        #[command(subcommand)]
        action: OpmlAction,
    },
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    #[command(
        after_help = "Example:\n  feedkeeper completions bash > /etc/bash_completion.d/feedkeeper"
    )]
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff), generated from these definitions.
    #[command(after_help = "Example:\n  feedkeeper man > /usr/local/share/man/man1/feedkeeper.1")]
    Man,
    /// Parse feed files and print what the parse stage produced (debugging, corpus scoring).
    /// Exit status 1 when any file could not be read or parsed (its line says why).
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

/// `feedkeeper opml …` actions.
#[derive(Debug, Subcommand)]
pub enum OpmlAction {
    /// Add every feed of an OPML file not yet configured (folders become `group`).
    Import {
        /// OPML file.
        file: PathBuf,
    },
    /// Print the configured feeds as OPML 2.0.
    Export,
}

/// `feedkeeper feeds …` actions.
#[derive(Debug, Subcommand)]
pub enum FeedsAction {
    /// List the configured feeds.
    List,
    /// Add a feed; a web page URL is searched for its feed link (autodiscovery).
    #[command(
        after_help = "Examples:\n  feedkeeper feeds add https://www.aa.com.tr/ar/rss/default?cat=guncel --name aa-ar\n  feedkeeper feeds add https://www.bbc.co.uk/news   # finds the page's <link rel=alternate>"
    )]
    Add {
        /// Feed URL, or the URL of a page announcing one.
        url: String,
        /// Feed name [default: from the feed's title].
        #[arg(long)]
        name: Option<String>,
        /// Group (category) to file it under.
        #[arg(long)]
        group: Option<String>,
    },
    /// Remove a feed from the config (its stored articles stay).
    Remove {
        /// Feed name.
        name: String,
    },
    /// Per-feed state: last poll, HTTP status, last error, failures, next poll and why,
    /// validators, 304 ratio, bytes, latency, pending URL move.
    Status {
        /// Output format.
        #[arg(long, value_enum, default_value_t = StatusFormat::Table)]
        format: StatusFormat,
    },
    /// Re-enable a feed parked by 410 Gone (and forget its backoff and Retry-After).
    Enable {
        /// Feed name.
        name: String,
    },
}

/// Output format of `feeds status`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum StatusFormat {
    /// Aligned columns for a terminal.
    Table,
    /// One JSON array.
    Json,
}

const MAIN_HELP: &str = "Examples:
  feedkeeper run --once                      # poll every feed now, then exit
  feedkeeper query --search الاردن --since 1d
  feedkeeper export --format rss -o merged.xml
  feedkeeper feeds add https://www.aa.com.tr/ar --name aa-ar
  feedkeeper completions zsh > ~/.zfunc/_feedkeeper

Exit codes: 0 ok, 1 runtime failure (network, store, I/O), 2 usage or configuration error.";

const QUERY_EXAMPLES: &str = "Examples:
  feedkeeper query --search 'الاردن \"وزير الاتصالات\"' --since 7d
  feedkeeper query --feed aa-ar --feed aljazeera-ar --lang ar --limit 20
  feedkeeper query --updated-since 1d --order updated --format jsonl
  feedkeeper query --fields id,published,title,url --format csv > articles.csv
  feedkeeper query --limit 50 --cursor 1732200000000.abcdefghijkl   # the next page

Exit codes: 0 ok, 1 runtime failure (store, I/O), 2 usage or configuration error.";

const EXPORT_EXAMPLES: &str = "Examples:
  feedkeeper export --format atom --lang ar --limit 200 -o merged.atom
  feedkeeper export --format json --search غزة --since 2d
  feedkeeper export --base-url https://news.example.org/feed --archive 2025-10

Exit codes: 0 ok, 1 runtime failure (store, I/O), 2 usage or configuration error.";

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
            // A reader that closed the pipe early (`| head`) is not a failure.
            let broken_pipe = e.chain().any(|c| {
                c.downcast_ref::<std::io::Error>()
                    .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            });
            if broken_pipe {
                return ExitCode::SUCCESS;
            }
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
        Command::Run {
            config,
            once,
            force,
        } => cmd_run(config.as_deref(), once, force),
        Command::Poll {
            config,
            feeds,
            force,
        } => cmd_poll(config.as_deref(), &feeds, force),
        Command::Query {
            config,
            filter,
            limit,
            fields,
            format,
        } => {
            if filter.duplicates {
                return cmd_duplicates(config.as_deref(), format);
            }
            let filter = filter.to_filter(limit)?;
            let fields = fields
                .as_deref()
                .map(crate::query::parse_fields)
                .transpose()
                .map_err(|m| UsageError(format!("--fields: {m}")))?
                .unwrap_or_default();
            cmd_query(config.as_deref(), &filter, &fields, format)
        }
        Command::Reindex { config } => cmd_reindex(config.as_deref()),
        Command::Opml { config, action } => cmd_opml(config.as_deref(), action),
        Command::Completions { shell } => {
            let mut cmd = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(shell, &mut cmd, "feedkeeper", &mut std::io::stdout());
            Ok(ExitCode::SUCCESS)
        }
        Command::Man => {
            let cmd = <Cli as clap::CommandFactory>::command();
            clap_mangen::Man::new(cmd).render(&mut std::io::stdout())?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Show {
            config,
            id,
            history,
            diff,
            format,
        } => match diff {
            Some(range) => cmd_diff(config.as_deref(), &id, &range, format),
            None => cmd_show(config.as_deref(), &id, history, format),
        },
        Command::Export {
            config,
            format,
            filter,
            limit,
            archive,
            base_url,
            title,
            output,
        } => {
            let mut filter = filter.to_filter(limit)?;
            let month = archive
                .as_deref()
                .map(crate::export::Month::parse)
                .transpose()
                .map_err(|m| UsageError(format!("--archive: {m}")))?;
            if let Some(m) = month {
                // An archive document holds the whole month.
                filter.since = Some(m.start());
                filter.until = Some(m.end());
                filter.limit = None;
                filter.cursor = None;
            }
            let opts = ExportOpts {
                format,
                month,
                base_url,
                title,
            };
            cmd_export(config.as_deref(), &filter, &opts, output.as_deref())
        }
        Command::Check { config } => cmd_check(config.as_deref()),
        Command::Gc { config } => cmd_gc(config.as_deref()),
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
    /// The store's search index and body log, read without opening sled (`query`, `export`).
    View(crate::store::search::ReadView),
    Daemon(crate::daemon::client::Client),
}

impl Source {
    fn query_page(&self, filter: &crate::query::Filter) -> Result<crate::query::Page> {
        Ok(match self {
            Source::Store(s) => crate::query::run_page(s, filter)?,
            Source::View(v) => crate::query::run_page(v, filter)?,
            Source::Daemon(c) => {
                let articles = c.articles(filter)?;
                let next = (Some(articles.len()) == filter.limit)
                    .then(|| {
                        articles
                            .last()
                            .map(|a| crate::query::cursor_of(a, filter.order))
                    })
                    .flatten();
                crate::query::Page { articles, next }
            }
        })
    }

    fn query(&self, filter: &crate::query::Filter) -> Result<Vec<crate::model::Article>> {
        Ok(match self {
            Source::Store(s) => crate::query::run(s, filter)?,
            Source::View(v) => crate::query::run(v, filter)?,
            Source::Daemon(c) => c.articles(filter)?,
        })
    }

    fn find(&self, id: &str) -> Result<Option<crate::model::Article>> {
        Ok(match self {
            Source::Store(s) => crate::query::find(s, id)?,
            Source::View(v) => crate::query::find(v, id)?,
            Source::Daemon(c) => c.article(id)?,
        })
    }

    fn revisions(&self, id: &crate::model::ArticleId) -> Result<Vec<crate::model::Revision>> {
        Ok(match self {
            Source::Store(s) => s.revisions(id)?,
            Source::View(_) => anyhow::bail!("revisions need the store itself (not its read view)"),
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
            Source::View(_) => {
                anyhow::bail!("feed states need the store itself (not its read view)")
            }
            Source::Daemon(c) => Ok(c.feed_states()?),
        }
    }
}

/// For `query` and `export`: the store's read view when nothing holds the store (it opens in
/// milliseconds; sled's open grows with the store), else [`open_source`].
fn open_read_source(cfg: &crate::config::Config) -> Result<Source> {
    require_store(cfg)?;
    match crate::store::search::ReadView::open(&cfg.store_path)? {
        Some(v) => Ok(Source::View(v)),
        None => open_source(cfg),
    }
}

/// Reading commands never create a store: a mistyped path is an error, not an empty result.
fn require_store(cfg: &crate::config::Config) -> Result<()> {
    if !cfg.store_path.join("db").exists() {
        anyhow::bail!(
            "no store at {} ([store] path); `feedkeeper run` creates it",
            cfg.store_path.display()
        );
    }
    Ok(())
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

fn cmd_run(config: Option<&std::path::Path>, once: bool, force: bool) -> Result<ExitCode> {
    crate::telemetry::init(if once { "warn" } else { "info" });
    let cfg = std::sync::Arc::new(load_config(config)?);
    let store = open_store(&cfg)?;
    let ctx = crate::pipeline::Context::new(std::sync::Arc::clone(&cfg), store.clone())?;
    let rt = runtime()?;
    if once {
        let reports = rt.block_on(poll_with_progress(&ctx, &cfg.feeds, force));
        print_reports(&reports)?;
        ctx.store.sync()?;
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

/// Polls feeds with a progress bar on stderr when it is a terminal.
async fn poll_with_progress(
    ctx: &crate::pipeline::Context,
    feeds: &[crate::config::FeedConfig],
    force: bool,
) -> Vec<crate::pipeline::PollReport> {
    let bar = progress_bar(feeds.len() as u64, "polling");
    let opts = crate::pipeline::PollOptions {
        force,
        ..Default::default()
    };
    let reports = crate::pipeline::poll_all_with_progress(
        ctx,
        feeds,
        opts,
        &|_: &crate::pipeline::PollReport| bar.inc(1),
    )
    .await;
    bar.finish_and_clear();
    reports
}

fn print_reports(reports: &[crate::pipeline::PollReport]) -> Result<()> {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    for r in reports {
        writeln!(out, "{r}")?;
    }
    Ok(())
}

fn cmd_poll(config: Option<&std::path::Path>, names: &[String], force: bool) -> Result<ExitCode> {
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
        Source::View(_) => anyhow::bail!("poll needs the store itself (not its read view)"),
        Source::Daemon(c) => {
            std::io::stdout()
                .lock()
                .write_all(c.poll(names)?.as_bytes())?;
            return Ok(ExitCode::SUCCESS);
        }
    };
    let ctx = crate::pipeline::Context::new(std::sync::Arc::clone(&cfg), store)?;
    let reports = runtime()?.block_on(poll_with_progress(&ctx, &feeds, force));
    print_reports(&reports)?;
    Ok(ExitCode::SUCCESS)
}

fn cmd_query(
    config: Option<&std::path::Path>,
    filter: &crate::query::Filter,
    fields: &[String],
    format: QueryFormat,
) -> Result<ExitCode> {
    let started = std::time::Instant::now();
    let cfg = load_config(config)?;
    let src = open_read_source(&cfg)?;
    let opened = started.elapsed();
    let page = src.query_page(filter)?;
    let queried = started.elapsed();
    let articles = &page.articles;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    match format {
        QueryFormat::Table => {
            let style = crate::query::TableStyle::for_stdout(fields.to_vec());
            write!(
                out,
                "{}",
                crate::query::table_with(articles, &style, filter.order)
            )?;
            if let Some(next) = &page.next {
                // The hint goes to stderr so the table stays clean when piped.
                eprintln!("more: --cursor {next}");
            }
        }
        QueryFormat::Json => {
            let v: Vec<_> = articles
                .iter()
                .map(|a| crate::query::article_fields(a, fields, filter.order))
                .collect();
            writeln!(out, "{}", serde_json::to_string_pretty(&v)?)?;
        }
        QueryFormat::Jsonl => {
            for a in articles {
                writeln!(
                    out,
                    "{}",
                    serde_json::to_string(&crate::query::article_fields(a, fields, filter.order))?
                )?;
            }
        }
        QueryFormat::Csv => write!(out, "{}", crate::query::csv(articles, fields, filter.order))?,
    }
    out.flush()?;
    report_timing("query", opened, queried, started.elapsed());
    if format != QueryFormat::Table {
        if let Some(next) = &page.next {
            eprintln!("more: --cursor {next}");
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

fn cmd_duplicates(config: Option<&std::path::Path>, format: QueryFormat) -> Result<ExitCode> {
    let cfg = load_config(config)?;
    let groups = match open_read_source(&cfg)? {
        Source::Store(s) => crate::query::duplicates(&s)?,
        Source::View(v) => crate::query::duplicates(&v)?,
        Source::Daemon(c) => c.articles(&crate::query::Filter {
            duplicates: true,
            ..Default::default()
        })?,
    };
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    match format {
        QueryFormat::Table => {
            for a in &groups {
                writeln!(out, "{}  \u{2068}{}\u{2069}", a.id, a.title)?;
                for s in &a.seen_in {
                    writeln!(out, "    {:<16}  {}", s.feed, s.url)?;
                }
            }
        }
        QueryFormat::Json => {
            let v: Vec<_> = groups.iter().map(crate::query::duplicate_json).collect();
            writeln!(out, "{}", serde_json::to_string_pretty(&v)?)?;
        }
        QueryFormat::Jsonl => {
            for a in &groups {
                writeln!(
                    out,
                    "{}",
                    serde_json::to_string(&crate::query::duplicate_json(a))?
                )?;
            }
        }
        QueryFormat::Csv => {
            // One row per route of each group (RFC 4180 quoting).
            let q = |v: &str| format!("\"{}\"", v.replace('"', "\"\""));
            writeln!(out, "id,feed,url")?;
            for a in &groups {
                for s in &a.seen_in {
                    writeln!(out, "{},{},{}", q(&a.id.0), q(&s.feed), q(&s.url))?;
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn cmd_reindex(config: Option<&std::path::Path>) -> Result<ExitCode> {
    let cfg = load_config(config)?;
    let store = open_store(&cfg)?;
    let started = std::time::Instant::now();
    let n = store.reindex()?;
    store.sync()?;
    println!(
        "reindex: {n} articles, {} documents in the search index, {} ms",
        store.search_index_len()?,
        started.elapsed().as_millis()
    );
    Ok(ExitCode::SUCCESS)
}

/// Options of `feedkeeper export` beyond the filters.
struct ExportOpts {
    format: ExportFormat,
    month: Option<crate::export::Month>,
    base_url: Option<String>,
    title: String,
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
    require_store(&cfg)?;
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
            v["near_duplicates"] =
                serde_json::json!(a.near.iter().map(|n| &n.0).collect::<Vec<_>>());
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
            writeln!(out, "extraction: {}{reason}", a.extraction.as_str())?;
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
            if !a.near.is_empty() {
                writeln!(out, "near-duplicates:")?;
                for n in &a.near {
                    let t = src.find(&n.0)?.map(|x| x.title).unwrap_or_default();
                    writeln!(out, "  {n}  \u{2068}{t}\u{2069}")?;
                }
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
    opts: &ExportOpts,
    output: Option<&std::path::Path>,
) -> Result<ExitCode> {
    let started = std::time::Instant::now();
    let cfg = load_config(config)?;
    let src = open_read_source(&cfg)?;
    let opened = started.elapsed();
    let articles = src.query(filter)?;
    let queried = started.elapsed();
    let fmt = match opts.format {
        ExportFormat::Atom => crate::export::Format::Atom,
        ExportFormat::Rss => crate::export::Format::Rss,
        ExportFormat::Json => crate::export::Format::Json,
    };
    let mut meta = crate::export::FeedMeta {
        title: opts.title.clone(),
        ..Default::default()
    };
    if let Some(base) = &opts.base_url {
        url::Url::parse(base).map_err(|e| UsageError(format!("--base-url {base:?}: {e}")))?;
        let oldest = match &src {
            Source::Store(s) => s.oldest_time()?,
            Source::View(v) => crate::store::search::Articles::oldest_time(v)?,
            Source::Daemon(_) => None,
        };
        meta.id = base.clone();
        meta.links = crate::export::archive_links(base, opts.month, oldest, chrono::Utc::now());
        meta.self_url = Some(match opts.month {
            Some(m) => format!(
                "{base}{}archive={m}",
                if base.contains('?') { '&' } else { '?' }
            ),
            None => base.clone(),
        });
    } else if let Some(m) = opts.month {
        meta.links.archive = crate::export::Month::of(chrono::Utc::now()) > m;
    }
    let bytes = crate::export::render(fmt, &meta, &articles);
    match output {
        Some(path) => {
            std::fs::write(path, &bytes).with_context(|| format!("write {}", path.display()))?
        }
        None => std::io::stdout().lock().write_all(&bytes)?,
    }
    report_timing("export", opened, queried, started.elapsed());
    Ok(ExitCode::SUCCESS)
}

/// With `FEEDKEEPER_TIMING=1`, prints to stderr how long opening the store, selecting the
/// articles and writing the output took (bench/query.sh uses it).
fn report_timing(
    what: &str,
    opened: std::time::Duration,
    queried: std::time::Duration,
    done: std::time::Duration,
) {
    if std::env::var_os("FEEDKEEPER_TIMING").is_some_and(|v| v == "1") {
        eprintln!(
            "timing: {what}: open {:.1} ms, select {:.1} ms, render+write {:.1} ms",
            opened.as_secs_f64() * 1e3,
            (queried - opened).as_secs_f64() * 1e3,
            (done - queried).as_secs_f64() * 1e3
        );
    }
}

fn cmd_opml(config: Option<&std::path::Path>, action: OpmlAction) -> Result<ExitCode> {
    let path = crate::config::locate(config);
    let mut doc = crate::feeds::ConfigDoc::open(&path)?;
    match action {
        OpmlAction::Export => print!("{}", crate::feeds::opml_export(&doc.feeds())),
        OpmlAction::Import { file } => {
            let xml = std::fs::read_to_string(&file)
                .with_context(|| format!("opml: read {}", file.display()))?;
            let found = crate::feeds::opml_parse(&xml, &file.display().to_string())?;
            let bar = progress_bar(found.len() as u64, "opml import");
            let (mut added, mut skipped) = (0, 0);
            for f in found {
                bar.inc(1);
                let existing = doc.feeds();
                if existing.iter().any(|e| e.url == f.url) {
                    skipped += 1;
                    continue;
                }
                if url::Url::parse(&f.url).is_err() {
                    eprintln!("opml: skipping {:?}: not a URL", f.url);
                    skipped += 1;
                    continue;
                }
                let base = crate::feeds::slug(if f.title.is_empty() { &f.url } else { &f.title });
                let name = crate::feeds::unique_name(&base, &existing);
                doc.add_feed(&crate::feeds::FeedEntry {
                    name,
                    url: f.url,
                    group: f.group,
                })?;
                added += 1;
            }
            bar.finish_and_clear();
            doc.save()?;
            println!(
                "opml import: {added} feeds added, {skipped} already configured or invalid ({})",
                path.display()
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// A progress bar drawn only when stderr is a terminal (hidden otherwise).
fn progress_bar(len: u64, what: &str) -> indicatif::ProgressBar {
    use std::io::IsTerminal;
    if !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(len);
    if let Ok(style) =
        indicatif::ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} {elapsed}")
    {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message(what.to_string());
    bar
}

async fn discover_feed(
    fetcher: &crate::fetch::Fetcher,
    url: &url::Url,
    allow_private: bool,
) -> Result<(url::Url, crate::parse::ParsedFeed)> {
    let get = |u: url::Url| crate::fetch::FetchRequest {
        url: u,
        kind: crate::fetch::Kind::Feed,
        etag: None,
        last_modified: None,
        trusted: true,
        allow_private,
    };
    let opts = crate::parse::ParseOptions::default();
    let page = fetcher.fetch(&get(url.clone())).await?;
    if let Ok(feed) = crate::parse::parse_feed(
        &page.body,
        page.charset.as_deref(),
        Some(&page.final_url),
        &opts,
    ) {
        return Ok((page.final_url, feed));
    }
    let html = crate::charset::decode(
        &page.body,
        page.charset.as_deref(),
        None,
        crate::charset::DocKind::Html,
    )
    .text;
    let links = crate::feeds::discover(&html, &page.final_url);
    if links.is_empty() {
        anyhow::bail!(
            "feeds add: {url} is neither a feed nor a page announcing one (no <link rel=\"alternate\" type=\"application/rss+xml\">)"
        );
    }
    let mut last_err = None;
    for link in links {
        match fetcher.fetch(&get(link.clone())).await {
            Ok(out) => match crate::parse::parse_feed(
                &out.body,
                out.charset.as_deref(),
                Some(&out.final_url),
                &opts,
            ) {
                Ok(feed) => return Ok((out.final_url, feed)),
                Err(e) => last_err = Some(anyhow::anyhow!("{link}: {e}")),
            },
            Err(e) => last_err = Some(anyhow::anyhow!(e)),
        }
    }
    Err(last_err
        .unwrap_or_else(|| anyhow::anyhow!("no feed found"))
        .context(format!("feeds add: the feeds {url} announces do not parse")))
}

fn cmd_check(config: Option<&std::path::Path>) -> Result<ExitCode> {
    let cfg = load_config(config)?;
    println!(
        "config: ok ({} feeds, {} site rules)",
        cfg.feeds.len(),
        cfg.sites.len()
    );
    let store = open_store(&cfg)?;
    let report = store.check()?;
    if !report.problems.is_empty() {
        for p in &report.problems {
            eprintln!("store: {p}");
        }
        anyhow::bail!(
            "store {}: {} inconsistencies (see above)",
            cfg.store_path.display(),
            report.problems.len()
        );
    }
    println!(
        "store: ok ({} articles, {} revisions at {}; schema v{}; {} bytes per article, {} bytes per revision, {} bytes of bodies)",
        report.articles,
        report.revisions,
        cfg.store_path.display(),
        store.schema_version()?,
        report.bytes_per_article(),
        report.bytes_per_revision(),
        report.body_bytes
    );
    Ok(ExitCode::SUCCESS)
}

fn cmd_gc(config: Option<&std::path::Path>) -> Result<ExitCode> {
    let cfg = load_config(config)?;
    let store = open_store(&cfg)?;
    if !cfg.retention.any() {
        println!(
            "gc: nothing removed: no [retention] limit is configured (max_age, max_per_feed, max_revisions)"
        );
        return Ok(ExitCode::SUCCESS);
    }
    let r = &cfg.retention;
    let retention = crate::store::Retention {
        max_age: r.max_age.and_then(|d| chrono::Duration::from_std(d).ok()),
        max_per_feed: r.max_per_feed,
        max_revisions: r.max_revisions,
    };
    let report = store.gc(&retention, chrono::Utc::now())?;
    println!(
        "gc: removed {} articles by age, {} by per-feed count, {} revisions by history cap",
        report.removed_by_age.len(),
        report.removed_by_count.len(),
        report.revisions_removed
    );
    for id in &report.removed_by_age {
        println!("  {id}  age");
    }
    for id in &report.removed_by_count {
        println!("  {id}  count");
    }
    Ok(ExitCode::SUCCESS)
}

/// Word-level diff of two texts: unchanged words as they are, removed `[-…-]`, added `{+…+}`.
/// Words are never split, so right-to-left text stays readable.
pub fn word_diff(old: &str, new: &str) -> String {
    use similar::{ChangeTag, TextDiff};
    let diff = TextDiff::configure().diff_words(old, new);
    let mut out = String::new();
    let mut open: Option<ChangeTag> = None;
    let close = |out: &mut String, tag: Option<ChangeTag>| match tag {
        Some(ChangeTag::Delete) => out.push_str("-]"),
        Some(ChangeTag::Insert) => out.push_str("+}"),
        _ => {}
    };
    for change in diff.iter_all_changes() {
        let tag = change.tag();
        let value = change.value();
        if open != Some(tag) {
            // Keep whitespace outside the markers.
            if tag != ChangeTag::Equal && value.trim().is_empty() && open.is_some() {
                out.push_str(value);
                continue;
            }
            close(&mut out, open);
            match tag {
                ChangeTag::Delete => out.push_str("[-"),
                ChangeTag::Insert => out.push_str("{+"),
                ChangeTag::Equal => {}
            }
            open = Some(tag);
        }
        out.push_str(value);
    }
    close(&mut out, open);
    out
}

fn cmd_diff(
    config: Option<&std::path::Path>,
    id: &str,
    range: &str,
    format: ShowFormat,
) -> Result<ExitCode> {
    let (a, b) = range
        .split_once("..")
        .and_then(|(a, b)| Some((a.trim().parse::<u32>().ok()?, b.trim().parse::<u32>().ok()?)))
        .ok_or_else(|| {
            UsageError(format!(
                "show --diff: expected A..B with revision numbers, got {range:?} (e.g. 1..2)"
            ))
        })?;
    let cfg = load_config(config)?;
    require_store(&cfg)?;
    // The daemon answers while it holds the store (no lock error).
    let src = open_source(&cfg)?;
    let Some(article) = src.find(id)? else {
        anyhow::bail!("show: no article with id {id:?} (ids are printed by `feedkeeper query`)");
    };
    let revs = src.revisions(&article.id)?;
    let get = |n: u32| {
        revs.iter().find(|r| r.number == n).ok_or_else(|| {
            let have: Vec<String> = revs.iter().map(|r| r.number.to_string()).collect();
            UsageError(format!(
                "show --diff: article {} has no revision {n} (it has {})",
                article.id,
                have.join(", ")
            ))
        })
    };
    let (ra, rb) = (get(a)?, get(b)?);
    let title = word_diff(&ra.title, &rb.title);
    let text = word_diff(&ra.text, &rb.text);
    match format {
        ShowFormat::Json => println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({
                "id": article.id.0, "from": a, "to": b, "title": title, "text": text,
                "changed": rb.changed,
            }))?
        ),
        ShowFormat::Text => {
            println!(
                "--- {} rev {a}  {}",
                article.id,
                rfc3339_or_dash(Some(ra.seen_at))
            );
            println!(
                "+++ {} rev {b}  {}",
                article.id,
                rfc3339_or_dash(Some(rb.seen_at))
            );
            println!("title: {title}");
            println!();
            println!("{text}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn cmd_feeds(config: Option<&std::path::Path>, action: FeedsAction) -> Result<ExitCode> {
    if let FeedsAction::Add { url, name, group } = &action {
        return cmd_feeds_add(config, url, name.as_deref(), group.as_deref());
    }
    if let FeedsAction::Remove { name } = &action {
        let path = crate::config::locate(config);
        let mut doc = crate::feeds::ConfigDoc::open(&path)?;
        let removed = doc
            .remove_feed(name)
            .map_err(|e| UsageError(e.to_string()))?;
        doc.save()?;
        println!(
            "feeds: removed {} ({}) from {}; its stored articles stay",
            removed.name,
            removed.url,
            path.display()
        );
        return Ok(ExitCode::SUCCESS);
    }
    let cfg = load_config(config)?;
    match action {
        FeedsAction::Add { .. } | FeedsAction::Remove { .. } => {}
        FeedsAction::List => {
            let stdout = std::io::stdout();
            let mut out = std::io::BufWriter::new(stdout.lock());
            for f in &cfg.feeds {
                writeln!(
                    out,
                    "{:<20} {:<14} scrape={:<5} {:<12} {}",
                    f.name,
                    f.schedule.expr,
                    f.scrape,
                    f.group.as_deref().unwrap_or("-"),
                    f.url
                )?;
            }
            out.flush()?;
        }
        FeedsAction::Status { format } => {
            let states = open_source(&cfg)?.feed_states(&cfg)?;
            let rows = crate::daemon::status_rows(&cfg, &states, chrono::Utc::now());
            match format {
                StatusFormat::Json => println!("{}", serde_json::to_string_pretty(&rows)?),
                StatusFormat::Table => print!("{}", feed_status_table(&rows)),
            }
        }
        FeedsAction::Enable { name } => {
            let f = cfg.feed(&name).ok_or_else(|| {
                UsageError(format!(
                    "feeds enable: no feed named {name:?} in the config"
                ))
            })?;
            let store = open_store(&cfg)?;
            let Some(mut st) = store.feed_state(&f.name)? else {
                println!("{name}: never polled; nothing to re-enable");
                return Ok(ExitCode::SUCCESS);
            };
            let was = st.parked.take();
            st.retry_after_until = None;
            st.consecutive_failures = 0;
            st.next_poll = Some(chrono::Utc::now());
            st.next_poll_reason = Some(crate::model::NextPollReason::Schedule);
            store.put_feed_state(&st)?;
            store.flush()?;
            match was {
                Some(r) => println!("{name}: re-enabled (was parked: {r})"),
                None => println!("{name}: was not parked; backoff and Retry-After cleared"),
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The `feeds status` table: one line per feed, then indented detail lines for errors,
/// parking and pending moves.
pub fn feed_status_table(rows: &[serde_json::Value]) -> String {
    use std::fmt::Write as _;
    let s = |v: &serde_json::Value| match v {
        serde_json::Value::Null => "-".to_string(),
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<20} {:<20} {:<4} {:<4} {:<20} {:<13} {:<5} {:<5} {:>10} {:>7}",
        "FEED", "LAST POLL", "HTTP", "FAIL", "NEXT POLL", "WHY", "VALID", "304%", "BYTES", "MS"
    );
    for r in rows {
        let valid = match (r["etag"].as_bool(), r["last_modified"].as_bool()) {
            (Some(true), Some(true)) => "E+LM",
            (Some(true), _) => "E",
            (_, Some(true)) => "LM",
            _ => "-",
        };
        let ratio = r["not_modified_ratio"]
            .as_f64()
            .map(|x| format!("{:.0}", x * 100.0))
            .unwrap_or_else(|| "-".into());
        let _ = writeln!(
            out,
            "{:<20} {:<20} {:<4} {:<4} {:<20} {:<13} {:<5} {:<5} {:>10} {:>7}",
            s(&r["feed"]),
            s(&r["last_poll"]),
            s(&r["last_status"]),
            s(&r["consecutive_failures"]),
            s(&r["next_poll"]),
            s(&r["next_poll_reason"]),
            valid,
            ratio,
            s(&r["bytes"]),
            s(&r["last_elapsed_ms"]),
        );
        if let Some(e) = r["last_error"].as_str() {
            let kind = r["last_error_kind"].as_str().unwrap_or("error");
            let _ = writeln!(out, "    {kind}: {e}");
        }
        if let Some(p) = r["parked"].as_str() {
            let _ = writeln!(out, "    parked: {p}");
        }
        if r["url"] != r["configured_url"] {
            let _ = writeln!(
                out,
                "    moved: polling {} (configured {})",
                s(&r["url"]),
                s(&r["configured_url"])
            );
        }
        if let Some(m) = r["pending_move"].as_object() {
            let _ = writeln!(
                out,
                "    pending move: permanent redirect to {} seen on {} poll(s)",
                m.get("to").map(s).unwrap_or_default(),
                m.get("seen").map(s).unwrap_or_default()
            );
        }
    }
    out
}

fn cmd_feeds_add(
    config: Option<&std::path::Path>,
    url: &str,
    name: Option<&str>,
    group: Option<&str>,
) -> Result<ExitCode> {
    let path = crate::config::locate(config);
    let mut doc = crate::feeds::ConfigDoc::open(&path)?;
    // Fetch settings from the file as it is (defaults when it does not exist yet).
    let cfg = crate::config::Config::from_toml(&doc.text(), &path.display().to_string())?;
    let parsed = url::Url::parse(url)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https"))
        .ok_or_else(|| UsageError(format!("feeds add: {url:?} is not an http(s) URL")))?;
    let fetcher = crate::fetch::Fetcher::new(&cfg.fetch)?;
    let (feed_url, feed) = runtime()?.block_on(discover_feed(
        &fetcher,
        &parsed,
        cfg.fetch.allow_private_networks,
    ))?;
    let existing = doc.feeds();
    let name = match name {
        Some(n) => n.to_string(),
        None => {
            let base = feed
                .title
                .as_deref()
                .map(crate::feeds::slug)
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| crate::feeds::slug(feed_url.host_str().unwrap_or("feed")));
            crate::feeds::unique_name(&base, &existing)
        }
    };
    doc.add_feed(&crate::feeds::FeedEntry {
        name: name.clone(),
        url: feed_url.to_string(),
        group: group.map(str::to_string),
    })
    .map_err(|e| UsageError(e.to_string()))?;
    doc.save()?;
    println!(
        "feeds: added {name} = {feed_url} ({} entries now) to {}",
        feed.entries.len(),
        path.display()
    );
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
    let mut failed = 0usize;
    for file in files {
        let result = std::fs::read(file)
            .with_context(|| format!("read {}", file.display()))
            .and_then(|bytes| {
                crate::parse::parse_feed(&bytes, None, url, &opts).map_err(anyhow::Error::from)
            });
        failed += usize::from(result.is_err());
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
    out.flush()?;
    Ok(if failed > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
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
