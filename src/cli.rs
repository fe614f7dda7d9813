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

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
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
            ExitCode::from(1)
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
    }
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
