//! Ingest benchmark (not a test): 100,000 synthetic articles, Arabic and English, through
//! the real identify → dedup → store path (`pipeline::ingest_parsed`, scraping off, so no
//! network), with 10 % revisions and 5 % duplicates. Prints articles/s, store size on disk,
//! bytes per article and per revision, and peak RSS.
//!
//! ```sh
//! cargo run --release --example bench_ingest -- [ARTICLES] [STORE_DIR]
//! ```

/// The allocator the `feedkeeper` binary uses, so the figures are the binary's.
#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

use chrono::{Duration, TimeZone, Utc};
use feedkeeper::config::Config;
use feedkeeper::parse::{ParsedEntry, ParsedFeed};
use feedkeeper::pipeline::{Context, ingest_parsed};
use std::sync::Arc;
use std::time::Instant;

const AR: &[&str] = &[
    "دمشق",
    "الملتقى",
    "الأردني",
    "السوري",
    "لتكنولوجيا",
    "المعلومات",
    "والاتصالات",
    "وزارة",
    "الاقتصاد",
    "الرقمي",
    "والريادة",
    "منصة",
    "الحكومة",
    "الرئيس",
    "مجلس",
    "الوزراء",
    "اتفاق",
    "التعاون",
    "الطاقة",
    "المياه",
    "العاصمة",
    "المحادثات",
    "الأمن",
    "الانتخابات",
];
const EN: &[&str] = &[
    "minister",
    "parliament",
    "budget",
    "storm",
    "coast",
    "railway",
    "talks",
    "ceasefire",
    "market",
    "energy",
    "water",
    "election",
    "court",
    "police",
    "report",
    "growth",
    "city",
    "school",
    "hospital",
    "vote",
    "agreement",
    "summit",
    "trade",
    "policy",
];

/// Deterministic xorshift.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

fn body(i: usize, rng: &mut Rng, edit: bool) -> String {
    let words = if i % 2 == 0 { AR } else { EN };
    let n = 250 + (rng.next() % 250) as usize;
    let mut paras = Vec::new();
    let mut p = Vec::new();
    for w in 0..n {
        p.push(words[(rng.next() % words.len() as u64) as usize].to_string());
        if w % 60 == 59 {
            paras.push(format!("<p>{} {i}.</p>", p.join(" ")));
            p.clear();
        }
    }
    paras.push(format!("<p>{} {i}.</p>", p.join(" ")));
    if edit {
        paras.push("<p>Update: more details were published later تحديث.</p>".into());
    }
    paras.concat()
}

fn entry(i: usize, link: String, html: String) -> ParsedEntry {
    ParsedEntry {
        id: Some(format!("guid-{i}")),
        title: Some(format!("Story {i} خبر")),
        link: Some(link),
        published: Utc
            .with_ymd_and_hms(2025, 1, 1, 0, 0, 0)
            .single()
            .map(|t| t + Duration::minutes(i as i64)),
        content_html: Some(html),
        ..ParsedEntry::default()
    }
}

fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

fn dir_size(p: &std::path::Path) -> u64 {
    let mut total = 0;
    if let Ok(rd) = std::fs::read_dir(p) {
        for e in rd.flatten() {
            let path = e.path();
            total += if path.is_dir() {
                dir_size(&path)
            } else {
                e.metadata().map(|m| m.len()).unwrap_or(0)
            };
        }
    }
    total
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let total: usize = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(100_000);
    let tmp = tempfile::tempdir()?;
    let dir = args
        .get(2)
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| tmp.path().join("store"));
    let toml = format!(
        "[store]\npath = {:?}\n[[feed]]\nname = \"wire\"\nurl = \"https://wire.example/feed.xml\"\nscrape = false\n[[feed]]\nname = \"copies\"\nurl = \"https://copies.example/feed.xml\"\nscrape = false\n",
        dir.display().to_string()
    );
    let cfg = Arc::new(Config::from_toml(&toml, "bench")?);
    let store = feedkeeper::store::Store::open(&cfg.store_path)?;
    let ctx = Context::new(Arc::clone(&cfg), store.clone())?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let (wire, copies) = (cfg.feeds[0].clone(), cfg.feeds[1].clone());
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let now = Utc::now();
    let batch = 100;
    let start = Instant::now();
    let (mut new, mut updated, mut dup) = (0, 0, 0);
    let mut i = 0;
    while i < total {
        let n = batch.min(total - i);
        // 95 % of the items are original stories of the wire feed…
        let originals: Vec<ParsedEntry> = (i..i + n)
            .filter(|k| k % 20 != 19)
            .map(|k| {
                entry(
                    k,
                    format!("https://wire.example/{k}"),
                    body(k, &mut Rng(k as u64 + 1), false),
                )
            })
            .collect();
        let doc = ParsedFeed {
            entries: originals,
            ..ParsedFeed::default()
        };
        let r = rt.block_on(ingest_parsed(&ctx, &wire, &doc, now))?;
        new += r.new;
        // …5 % are copies in another feed (every other one under a tracking-parameter URL,
        // the rest under another URL with the same body)…
        let copies_doc: Vec<ParsedEntry> = (i..i + n)
            .filter(|k| k % 20 == 19)
            .map(|k| {
                let orig = k - 1;
                let link = if k % 40 == 39 {
                    format!("https://wire.example/{orig}?utm_source=x")
                } else {
                    format!("https://copies.example/{orig}")
                };
                entry(k, link, body(orig, &mut Rng(orig as u64 + 1), false))
            })
            .collect();
        let doc = ParsedFeed {
            entries: copies_doc,
            ..ParsedFeed::default()
        };
        let r = rt.block_on(ingest_parsed(&ctx, &copies, &doc, now))?;
        dup += r.duplicate;
        // …and 10 % of all articles are edited later (a new revision).
        let edits: Vec<ParsedEntry> = (i..i + n)
            .filter(|k| k % 20 != 19 && rng.next() % 1000 < 105)
            .map(|k| {
                entry(
                    k,
                    format!("https://wire.example/{k}"),
                    body(k, &mut Rng(k as u64 + 1), true),
                )
            })
            .collect();
        let doc = ParsedFeed {
            entries: edits,
            ..ParsedFeed::default()
        };
        let r = rt.block_on(ingest_parsed(&ctx, &wire, &doc, now))?;
        updated += r.updated;
        i += n;
    }
    store.flush()?;
    let secs = start.elapsed().as_secs_f64();
    let check = store.check()?;
    drop(ctx);
    drop(store);
    let disk = dir_size(&dir);
    println!(
        "items ingested:      {total} ({new} new articles, {dup} duplicates, {updated} revisions)"
    );
    println!("elapsed:             {secs:.1} s");
    println!("items per second:    {:.0}", total as f64 / secs);
    println!("store on disk:       {:.1} MiB", disk as f64 / 1048576.0);
    println!(
        "disk bytes/article:  {}",
        disk / check.articles.max(1) as u64
    );
    println!(
        "value bytes:         {} per article (latest), {} per revision (compressed)",
        check.bytes_per_article(),
        check.bytes_per_revision()
    );
    println!(
        "articles/revisions:  {} / {}",
        check.articles, check.revisions
    );
    println!("consistency:         {} problems", check.problems.len());
    if let Some(kib) = peak_rss_kib() {
        println!("peak RSS:            {:.1} MiB", kib as f64 / 1024.0);
    }
    Ok(())
}
