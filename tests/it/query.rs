//! Issue 8: `query` filters, Arabic-folding search over the index, paging, output formats,
//! and the table snapshot with mixed Arabic and English titles.

use crate::support::{feedkeeper, feedkeeper_ok};
use chrono::{DateTime, TimeZone, Utc};
use feedkeeper::model::{Article, ArticleId, ExtractionStatus, SeenIn};
use feedkeeper::store::{ArticleWrite, Store};
use serde_json::Value;
use std::path::Path;

/// An article with the given key fields; the rest plain.
pub fn article(
    key: &str,
    feed: &str,
    title: &str,
    text: &str,
    published: DateTime<Utc>,
    lang: &str,
) -> Article {
    let id = ArticleId::from_key(key);
    Article {
        url: format!("https://news.example.org/{}", id),
        id,
        feed: feed.into(),
        guid: None,
        title: title.into(),
        published: Some(published),
        updated: None,
        lang: Some(lang.into()),
        dir: Some(if lang == "ar" { "rtl" } else { "ltr" }.into()),
        byline: None,
        tags: Vec::new(),
        content_hash: feedkeeper::dedup::content_hash(text),
        text: text.into(),
        html: format!("<p>{}</p>", html_escape::encode_text(text)),
        revisions: 1,
        seen_in: vec![SeenIn {
            feed: feed.into(),
            url: format!("https://news.example.org/item/{key}"),
            guid: None,
            seen_at: published,
        }],
        first_seen: published,
        last_seen: published,
        extraction: ExtractionStatus::Fallback,
        extraction_reason: None,
        item_key: String::new(),
        watch: Vec::new(),
        simhash: 0,
        near: Vec::new(),
    }
}

/// Writes articles through the store API (which also indexes them for search).
pub fn write_store(dir: &Path, articles: &[Article]) {
    let store = Store::open(&dir.join("store")).expect("open store");
    for a in articles {
        store
            .write(&ArticleWrite {
                article: a,
                previous: None,
                revision: None,
                routes: Vec::new(),
                urls: Vec::new(),
                index_hash: false,
                others: Vec::new(),
                print: None,
                body: None,
            })
            .expect("write article");
    }
    store.flush().expect("flush");
}

/// A config whose store is `dir/store`.
pub fn config(dir: &Path) -> String {
    let path = dir.join("feedkeeper.toml");
    std::fs::write(
        &path,
        format!(
            "[store]\npath = \"{}\"\n[[feed]]\nname = \"aa-ar\"\nurl = \"https://aa.example.org/rss\"\n",
            dir.join("store").display()
        ),
    )
    .expect("write config");
    path.display().to_string()
}

pub fn t(h: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 11, 20, h, 0, 0).unwrap()
}

fn corpus() -> Vec<Article> {
    let mut v = vec![
        article(
            "a1",
            "aa-ar",
            "الأردن يستضيف الملتقى السوري لتكنولوجيا المعلومات",
            "قال وزير الاتصالات إن الملتقى يجمع مئة شركة في عام ٢٠٢٥.",
            t(10),
            "ar",
        ),
        article(
            "a2",
            "aljazeera-ar",
            "مَدْرَسَةٌ جديدة في عمّان",
            "افتتحت الوزارة مدرسة في العاصمة، وقال الوزير إن الاتصالات متاحة.",
            t(9),
            "ar",
        ),
        article(
            "e1",
            "bbc-en",
            "Jordan hosts an IT forum",
            "The communications minister opened the forum in Amman.",
            t(8),
            "en",
        ),
        article(
            "e2",
            "bbc-en",
            "Markets & \"quotes\" <rise> in Amman",
            "Stocks rose. Sport was not mentioned.",
            t(7),
            "en-GB",
        ),
    ];
    v[2].byline = Some("Jane Doe".into());
    v[2].tags = vec!["Middle East".into()];
    v[3].seen_in.push(SeenIn {
        feed: "cnn-en".into(),
        url: "https://cnn.example.org/markets".into(),
        guid: None,
        seen_at: t(7),
    });
    v
}

fn ids(cfg: &str, extra: &[&str]) -> Vec<String> {
    let mut args = vec!["query", "--config", cfg, "--format", "json"];
    args.extend_from_slice(extra);
    let out: Value = serde_json::from_str(&feedkeeper_ok(&args)).expect("json");
    out.as_array()
        .expect("array")
        .iter()
        .map(|a| a["title"].as_str().unwrap_or_default().to_string())
        .collect()
}

fn setup() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    write_store(dir.path(), &corpus());
    let cfg = config(dir.path());
    (dir, cfg)
}

const T_AR1: &str = "الأردن يستضيف الملتقى السوري لتكنولوجيا المعلومات";
const T_AR2: &str = "مَدْرَسَةٌ جديدة في عمّان";
const T_EN1: &str = "Jordan hosts an IT forum";
const T_EN2: &str = "Markets & \"quotes\" <rise> in Amman";

#[test]
fn query_search_folds_arabic_spelling() {
    let (_dir, cfg) = setup();
    // Hamza on alef: الاردن finds الأردن.
    assert_eq!(ids(&cfg, &["--search", "الاردن"]), vec![T_AR1]);
    // A quoted phrase must be consecutive; the words alone match more.
    assert_eq!(ids(&cfg, &["--search", "\"وزير الاتصالات\""]), vec![T_AR1]);
    assert_eq!(ids(&cfg, &["--search", "الاتصالات"]), vec![T_AR1, T_AR2]);
    // Tashkeel in the text or in the query does not matter; ta marbuta folds to ha.
    assert_eq!(ids(&cfg, &["--search", "مدرسه"]), vec![T_AR2]);
    assert_eq!(ids(&cfg, &["--search", "مَدرَسة جديدة"]), vec![T_AR2]);
    // Eastern Arabic digits match ASCII ones.
    assert_eq!(ids(&cfg, &["--search", "2025"]), vec![T_AR1]);
    // Case; excluded words.
    assert_eq!(ids(&cfg, &["--search", "AMMAN"]), vec![T_EN1, T_EN2]);
    assert_eq!(ids(&cfg, &["--search", "amman -sport"]), vec![T_EN1]);
    assert_eq!(
        ids(&cfg, &["--search", "amman nothere"]),
        Vec::<String>::new()
    );
}

#[test]
fn query_filters() {
    let (_dir, cfg) = setup();
    assert_eq!(
        ids(&cfg, &["--feed", "aa-ar", "--feed", "bbc-en"]),
        vec![T_AR1, T_EN1, T_EN2]
    );
    // Any route counts, not only the first feed.
    assert_eq!(ids(&cfg, &["--feed", "cnn-en"]), vec![T_EN2]);
    assert_eq!(ids(&cfg, &["--lang", "en"]), vec![T_EN1, T_EN2]);
    assert_eq!(ids(&cfg, &["--author", "jane"]), vec![T_EN1]);
    assert_eq!(ids(&cfg, &["--tag", "middle east"]), vec![T_EN1]);
    assert_eq!(ids(&cfg, &["--duplicates"]), vec![T_EN2]);
    assert_eq!(
        ids(
            &cfg,
            &[
                "--since",
                "2025-11-20T08:00:00Z",
                "--until",
                "2025-11-20T09:00:00Z"
            ]
        ),
        vec![T_AR2, T_EN1]
    );
    assert_eq!(
        ids(
            &cfg,
            &["--search", "amman", "--until", "2025-11-20T07:30:00Z"]
        ),
        vec![T_EN2]
    );
    assert_eq!(
        ids(&cfg, &["--updated-since", "2000-01-01"]),
        Vec::<String>::new()
    );
    assert_eq!(ids(&cfg, &["--order", "seen", "--limit", "1"]), vec![T_AR1]);
    // A bad time is a usage error (exit 2) naming the flag.
    let out = feedkeeper(&["query", "--config", &cfg, "--since", "yesterday"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--since: invalid time \"yesterday\""));
}

#[test]
fn query_cursor_pages_through_everything() {
    let (_dir, cfg) = setup();
    for search in [None, Some("amman")] {
        let mut seen = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let mut args = vec![
                "query",
                "--config",
                &cfg,
                "--format",
                "jsonl",
                "--limit",
                "1",
                "--fields",
                "title,cursor",
            ];
            if let Some(s) = search {
                args.extend(["--search", s]);
            }
            let c;
            if let Some(cur) = &cursor {
                c = cur.clone();
                args.extend(["--cursor", c.as_str()]);
            }
            let out = feedkeeper_ok(&args);
            let Some(line) = out.lines().next() else {
                break;
            };
            let v: Value = serde_json::from_str(line).unwrap();
            seen.push(v["title"].as_str().unwrap().to_string());
            cursor = Some(v["cursor"].as_str().unwrap().to_string());
        }
        let want: Vec<&str> = match search {
            None => vec![T_AR1, T_AR2, T_EN1, T_EN2],
            Some(_) => vec![T_EN1, T_EN2],
        };
        assert_eq!(seen, want);
    }
}

#[test]
fn query_csv_and_fields() {
    let (_dir, cfg) = setup();
    let out = feedkeeper_ok(&[
        "query",
        "--config",
        &cfg,
        "--format",
        "csv",
        "--fields",
        "title,lang,seen_in",
        "--lang",
        "en",
    ]);
    assert_eq!(
        out,
        "title,lang,seen_in\r\nJordan hosts an IT forum,en,bbc-en\r\n\"Markets & \"\"quotes\"\" <rise> in Amman\",en-GB,bbc-en; cnn-en\r\n"
    );
    let out = feedkeeper(&["query", "--config", &cfg, "--fields", "title,nope"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn query_table_snapshot_mixed_arabic_english() {
    let (_dir, cfg) = setup();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_feedkeeper"))
        .args([
            "query",
            "--config",
            &cfg,
            "--fields",
            "published,feed,lang,title",
        ])
        .env("COLUMNS", "72")
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let want = "\
PUBLISHED         FEED          LANG   TITLE
2025-11-20 10:00  aa-ar         ar     \u{2068}الأردن يستضيف الملتقى السوري لتك…\u{2069}
2025-11-20 09:00  aljazeera-ar  ar     \u{2068}مَدْرَسَةٌ جديدة في عمّان\u{2069}
2025-11-20 08:00  bbc-en        en     Jordan hosts an IT forum
2025-11-20 07:00  bbc-en        en-GB  Markets & \"quotes\" <rise> in Amm…
";
    assert_eq!(text, want);
    // No line is wider than the terminal (display width; isolates are zero-width).
    use unicode_width::UnicodeWidthStr;
    for l in text.lines() {
        assert!(l.width() <= 72, "too wide: {l}");
    }
    // Not a terminal: no colour escapes.
    assert!(!text.contains('\x1b'));
}

#[test]
fn reindex_rebuilds_the_search_index() {
    let (dir, cfg) = setup();
    let out = feedkeeper_ok(&["reindex", "--config", &cfg]);
    assert!(out.starts_with("reindex: 4 articles, "), "{out}");
    assert_eq!(ids(&cfg, &["--search", "الاردن"]), vec![T_AR1]);
    // An article rewritten with a new title moves in the index.
    let mut a = corpus().remove(0);
    let previous = a.clone();
    a.title = "عنوان آخر تماما".into();
    a.text = "نص مختلف".into();
    a.revisions = 2;
    let store = Store::open(&dir.path().join("store")).unwrap();
    store
        .write(&ArticleWrite {
            article: &a,
            previous: Some(&previous),
            revision: None,
            routes: Vec::new(),
            urls: Vec::new(),
            index_hash: false,
            others: Vec::new(),
            print: None,
            body: None,
        })
        .unwrap();
    store.flush().unwrap();
    drop(store);
    assert_eq!(ids(&cfg, &["--search", "الاردن"]), Vec::<String>::new());
    assert_eq!(ids(&cfg, &["--search", "اخر"]), vec!["عنوان آخر تماما"]);
}

/// `query` and `export` read a store nobody holds through its search index (no sled open);
/// the view answers exactly what the store answers, and steps aside while a process holds
/// the store or after a writer died with documents uncommitted.
#[test]
fn read_view_matches_the_store_and_steps_aside() {
    use feedkeeper::store::search::ReadView;
    let (dir, cfg) = setup();
    let path = dir.path().join("store");
    let titles = |v: Vec<Article>| v.into_iter().map(|a| a.title).collect::<Vec<_>>();
    // A cleanly closed store has a read view, once sled's flusher thread has let go of the
    // lock (it can outlive the drop by a moment on a busy machine).
    let view = super::store::once_unlocked(
        || ReadView::open(&path).unwrap().ok_or(()),
        "the read view of a cleanly closed store",
    );
    let filter = feedkeeper::query::Filter::default();
    let from_view = titles(feedkeeper::query::run(&view, &filter).unwrap());
    let searched = feedkeeper::query::Filter {
        search: Some("الاتصالات".into()),
        ..Default::default()
    };
    let view_search = titles(feedkeeper::query::run(&view, &searched).unwrap());
    let one_feed = feedkeeper::query::Filter {
        feeds: vec!["cnn-en".into()],
        ..Default::default()
    };
    let view_feed = titles(feedkeeper::query::run(&view, &one_feed).unwrap());
    drop(view);
    assert_eq!(from_view, vec![T_AR1, T_AR2, T_EN1, T_EN2]);
    assert_eq!(view_search, vec![T_AR1, T_AR2]);
    assert_eq!(view_feed, vec![T_EN2]);
    let store = Store::open(&path).unwrap();
    assert_eq!(
        titles(feedkeeper::query::run(&store, &filter).unwrap()),
        from_view
    );
    assert_eq!(
        titles(feedkeeper::query::run(&store, &searched).unwrap()),
        view_search
    );
    assert_eq!(
        titles(feedkeeper::query::run(&store, &one_feed).unwrap()),
        view_feed
    );
    // Held by a process: no view (the CLI asks the daemon instead).
    assert!(ReadView::open(&path).unwrap().is_none());
    drop(store);
    // A writer that died with documents uncommitted leaves the marker: no view; the CLI
    // opens the store, which re-indexes what was pending and clears the marker.
    std::fs::write(path.join("search").join(".uncommitted"), b"").unwrap();
    assert!(ReadView::open(&path).unwrap().is_none());
    assert_eq!(ids(&cfg, &["--search", "الاردن"]), vec![T_AR1]);
    assert!(ReadView::open(&path).unwrap().is_some());
}

/// Reading commands never create a store at a mistyped path.
#[test]
fn query_on_a_missing_store_is_an_error_not_an_empty_store() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path());
    let out = feedkeeper(&["query", "--config", &cfg]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no store at"), "{err}");
    assert!(!dir.path().join("store").exists());
}
