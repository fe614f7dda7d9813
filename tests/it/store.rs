//! Issue 6 (revisions, store): cases 018, aa-ar states, watch window, crash safety.
//!
//! Pages of the aa-ar fixture site are served by serve.py; the handed cases by a local
//! [`MapServer`] with scraping off, so no test ever reaches a real origin.

use crate::dedup::{MapServer, config, query, show};
use crate::support::{FixtureServer, feedkeeper, feedkeeper_ok};
use chrono::{DateTime, Utc};
use feedkeeper::pipeline::{Context, PollStatus, poll_feed_at};
use serde_json::Value;
use std::sync::Arc;

const TITLE: &str = "دمشق.. انطلاق الملتقى الأردني السوري لتكنولوجيا المعلومات والاتصالات";

fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().to_utc()
}

fn history_titles(v: &Value) -> Vec<(String, String)> {
    v["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["title"].as_str().unwrap().to_string(),
                r["updated"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

#[test]
fn case_018_title_and_body_edits_history() {
    const CASE: &str = "018-title-and-body-edits-history";
    let server = MapServer::start();
    server.put_case("/upd/politics.atom", CASE, "atom-v1.xml");
    server.put_case("/upd/weather.xml", CASE, "rss-v1.xml");
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(
        dir.path(),
        &[
            (
                "politics",
                format!("{}/upd/politics.atom", server.base),
                false,
            ),
            ("weather", format!("{}/upd/weather.xml", server.base), false),
        ],
        "",
    );
    assert_eq!(
        feedkeeper_ok(&["run", "--once", "--config", &cfg]),
        "politics: 1 new, 0 updated, 0 duplicate, 0 unchanged\nweather: 1 new, 0 updated, 0 duplicate, 0 unchanged\n"
    );
    server.put_case("/upd/politics.atom", CASE, "atom-v2.xml");
    server.put_case("/upd/weather.xml", CASE, "rss-v2.xml");
    assert_eq!(
        feedkeeper_ok(&["run", "--once", "--config", &cfg]),
        "politics: 0 new, 1 updated, 0 duplicate, 0 unchanged\nweather: 0 new, 1 updated, 0 duplicate, 0 unchanged\n"
    );
    server.put_case("/upd/politics.atom", CASE, "atom-v3.xml");
    assert_eq!(
        feedkeeper_ok(&["run", "--once", "--config", &cfg]),
        "politics: 0 new, 0 updated, 0 duplicate, 1 unchanged\nweather: 0 new, 0 updated, 0 duplicate, 1 unchanged\n"
    );
    let all = query(&cfg, None);
    assert_eq!(all.len(), 2, "exactly one entry per story");

    let politics = &query(&cfg, Some("politics"))[0];
    assert_eq!(
        politics["title"],
        "Minister resigns after no-confidence vote"
    );
    assert!(
        politics["text"]
            .as_str()
            .unwrap()
            .contains("Update: the prime minister accepted the resignation at noon.")
    );
    assert_eq!(politics["published"], "2024-06-10T08:00:00Z");
    assert_eq!(politics["updated"], "2024-06-10T12:45:00Z");
    assert_eq!(politics["revisions"], 2);
    let shown = show(&cfg, politics["id"].as_str().unwrap());
    assert_eq!(
        history_titles(&shown),
        [
            (
                "Minister resigns after vote".to_string(),
                "2024-06-10T08:00:00Z".to_string()
            ),
            (
                "Minister resigns after no-confidence vote".to_string(),
                "2024-06-10T12:45:00Z".to_string()
            ),
        ]
    );
    assert_eq!(
        shown["history"][1]["changed"],
        serde_json::json!(["text", "title", "updated"])
    );

    let weather = &query(&cfg, Some("weather"))[0];
    assert_eq!(weather["url"], "https://taqs.example.com/2024/06/storm");
    assert_eq!(
        weather["title"],
        "عاصفة تضرب الساحل وانقطاع الكهرباء عن الآلاف"
    );
    assert_eq!(weather["revisions"], 2);
    let wid = weather["id"].as_str().unwrap();
    let shown = show(&cfg, wid);
    assert_eq!(shown["history"][0]["title"], "عاصفة تضرب الساحل");

    // Word-level diff, Arabic words whole.
    let diff: Value = serde_json::from_str(&feedkeeper_ok(&[
        "show", wid, "--config", &cfg, "--diff", "1..2", "--format", "json",
    ]))
    .unwrap();
    assert_eq!(
        diff["title"],
        "عاصفة تضرب الساحل {+وانقطاع الكهرباء عن الآلاف+}"
    );
    let bad = feedkeeper(&["show", wid, "--config", &cfg, "--diff", "1..9"]);
    assert_eq!(bad.status.code(), Some(2));

    // Export: each article once, latest title, Atom <updated> of the edit.
    let atom = feedkeeper_ok(&["export", "--config", &cfg, "--format", "atom"]);
    let feed = feed_rs::parser::parse(atom.as_bytes()).unwrap();
    assert_eq!(feed.entries.len(), 2);
    let entry = feed
        .entries
        .iter()
        .find(|e| e.title.as_ref().unwrap().content == "Minister resigns after no-confidence vote")
        .unwrap();
    assert_eq!(entry.updated.unwrap(), t("2024-06-10T12:45:00Z"));

    // Cross-feed dedup is not confused by edits: both bodies' hashes map to this entry.
    let hashes: Vec<&str> = shown["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["content_hash"].as_str().unwrap())
        .collect();
    assert_ne!(hashes[0], hashes[1]);
    let check = feedkeeper_ok(&["check", "--config", &cfg]);
    assert!(
        check.contains("store: ok (2 articles, 4 revisions"),
        "{check}"
    );
}

fn aa_config(dir: &std::path::Path, feeds: &[(&str, String)]) -> String {
    let list: Vec<(&str, String, bool)> =
        feeds.iter().map(|(n, u)| (*n, u.clone(), true)).collect();
    config(dir, &list, "[dedup]\nwatch = [\"1h\", \"6h\", \"24h\"]\n")
}

fn log_paths(server: &FixtureServer) -> Vec<(String, u64)> {
    let log = server.take_log();
    let entries = log
        .as_array()
        .or_else(|| log["log"].as_array())
        .unwrap()
        .clone();
    entries
        .iter()
        .map(|e| {
            (
                e["path"].as_str().unwrap_or("").to_string(),
                e["status"].as_u64().unwrap_or(0),
            )
        })
        .collect()
}

/// aa-ar initial → edited → chrome-only: exactly 2 revisions. In chrome-only the feed answers
/// 304; the watch window (due at published + 6 h) re-fetches the page anyway and the
/// chrome-only change still makes no revision 3.
#[test]
fn aa_ar_states_give_two_revisions_and_watch_window_refetches() {
    let server = FixtureServer::start();
    let dir = tempfile::tempdir().unwrap();
    let cfg_path = aa_config(
        dir.path(),
        &[(
            "aa-ar",
            format!("{}/aa-ar/ar/rss/default?cat=guncel", server.base),
        )],
    );
    let cfg = Arc::new(feedkeeper::config::Config::load(std::path::Path::new(&cfg_path)).unwrap());
    let store = feedkeeper::store::Store::open(&cfg.store_path).unwrap();
    let ctx = Context::new(Arc::clone(&cfg), store.clone()).unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let feed = cfg.feeds[0].clone();
    let poll = |now: &str| rt.block_on(poll_feed_at(&ctx, &feed, None, t(now)));

    // Published 12:08 UTC, first seen 12:30: watched at 13:08, 18:08 and 12:08 next day.
    let r = poll("2025-11-21T12:30:00Z");
    assert_eq!((r.new, r.status.clone()), (2, PollStatus::Ok));
    let articles: Vec<_> = store.all_articles().collect::<Result<_, _>>().unwrap();
    let main = articles.iter().find(|a| a.title == TITLE).unwrap().clone();
    assert_eq!(
        main.watch,
        [
            t("2025-11-21T13:08:00Z"),
            t("2025-11-21T18:08:00Z"),
            t("2025-11-22T12:08:00Z")
        ]
    );

    server.set_state("aa-ar", "edited");
    server.take_log();
    let r = poll("2025-11-21T13:30:00Z");
    assert_eq!(r.updated, 1);
    let a = store.article(&main.id).unwrap().unwrap();
    assert_eq!(a.revisions, 2);
    assert_eq!(
        a.watch,
        [t("2025-11-21T18:08:00Z"), t("2025-11-22T12:08:00Z")]
    );

    server.set_state("aa-ar", "chrome-only");
    server.take_log();
    // Not yet due: the feed is unchanged (304) and no page is fetched.
    let r = poll("2025-11-21T14:00:00Z");
    assert_eq!(r.status, PollStatus::NotModified);
    let log = log_paths(&server);
    assert_eq!(log.len(), 1, "{log:?}");
    assert_eq!(log[0].1, 304);
    // Due at 18:08: the feed still answers 304, the page is re-fetched, no revision 3.
    let r = poll("2025-11-21T19:00:00Z");
    assert_eq!(r.status, PollStatus::NotModified);
    assert_eq!(r.updated, 0);
    let log = log_paths(&server);
    let page_fetches: Vec<&(String, u64)> = log
        .iter()
        .filter(|(p, _)| p.ends_with("/3745123"))
        .collect();
    assert_eq!(page_fetches.len(), 1, "{log:?}");
    assert_eq!(
        page_fetches[0].1, 200,
        "chrome-only page differs byte-wise: {log:?}"
    );
    let a = store.article(&main.id).unwrap().unwrap();
    assert_eq!(a.revisions, 2);
    assert_eq!(store.revisions(&main.id).unwrap().len(), 2);
    assert_eq!(a.watch, [t("2025-11-22T12:08:00Z")]);
    let report = store.check().unwrap();
    assert_eq!(report.problems, Vec::<String>::new());
}

/// The same story through four routes: two aa-ar URLs, yenisafak-ar, legacy-ar-cp1256 in
/// windows-1256 → one article, four `seen_in` entries, one duplicate group.
#[test]
fn same_story_four_routes_one_article() {
    let server = FixtureServer::start();
    let b = &server.base;
    let dir = tempfile::tempdir().unwrap();
    let cfg = aa_config(
        dir.path(),
        &[
            ("aa-ar", format!("{b}/aa-ar/ar/rss/default?cat=guncel")),
            ("aa-ar-dunya", format!("{b}/aa-ar/ar/rss/default?cat=dunya")),
            ("yenisafak-ar", format!("{b}/yenisafak-ar/ar/rss")),
            ("legacy-ar", format!("{b}/legacy-ar-cp1256/rss.xml")),
        ],
    );
    feedkeeper_ok(&["run", "--once", "--config", &cfg]);
    let all = query(&cfg, None);
    let refs: Vec<&Value> = all.iter().filter(|a| a["title"] == TITLE).collect();
    assert_eq!(refs.len(), 1);
    let seen: Vec<(&str, &str)> = refs[0]["seen_in"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["feed"].as_str().unwrap(), s["url"].as_str().unwrap()))
        .collect();
    assert_eq!(seen.len(), 4, "{seen:?}");
    assert_eq!(
        seen.iter().map(|s| s.0).collect::<Vec<_>>(),
        ["aa-ar", "aa-ar-dunya", "yenisafak-ar", "legacy-ar"]
    );
    assert_eq!(seen[2].1, format!("{b}/yenisafak-ar/ar/world/4109548"));
    assert_eq!(seen[3].1, format!("{b}/legacy-ar-cp1256/news/3745123.html"));
    assert_ne!(seen[0].1, seen[1].1, "two different aa-ar URLs");
    let dups: Value = serde_json::from_str(&feedkeeper_ok(&[
        "query",
        "--config",
        &cfg,
        "--duplicates",
        "--format",
        "json",
    ]))
    .unwrap();
    let group = dups
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["id"] == refs[0]["id"])
        .unwrap();
    assert_eq!(
        group["feeds"],
        serde_json::json!(["aa-ar", "aa-ar-dunya", "legacy-ar", "yenisafak-ar"])
    );
}

/// A large synthetic RSS feed: `n` items with 60-word bodies, every 20th item a copy of the
/// previous one under another guid and a tracking-parameter link (5 % duplicates).
fn big_feed(n: usize) -> (Vec<u8>, usize) {
    let mut xml = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss version=\"2.0\"><channel><title>big</title><link>https://big.example/</link><description>big</description>\n",
    );
    let mut distinct = 0;
    for i in 0..n {
        let (story, link) = if i % 20 == 19 {
            (
                i - 1,
                format!("https://big.example/s/{}?utm_source=rss", i - 1),
            )
        } else {
            distinct += 1;
            (i, format!("https://big.example/s/{i}"))
        };
        let words: Vec<String> = (0..60)
            .map(|w| format!("w{}x{}", story, w * 7 + story % 13))
            .collect();
        xml.push_str(&format!(
            "<item><title>Story {story} خبر</title><link>{link}</link><guid isPermaLink=\"false\">g-{i}</guid><pubDate>Mon, 17 Jun 2024 08:00:00 +0000</pubDate><description>{}</description></item>\n",
            words.join(" ")
        ));
    }
    xml.push_str("</channel></rss>\n");
    (xml.into_bytes(), distinct)
}

/// A child `feedkeeper run --once` ingesting a large feed is SIGKILLed at pseudo-random
/// points, 20 times, each into a fresh store; after each kill the store opens, `check` finds
/// every index entry pointing at a stored article and no half-written article, and a re-poll
/// completes the work with no duplicates and nothing missing.
#[test]
fn crash_test_sigkill_during_ingest() {
    const ITEMS: usize = 1000;
    let server = MapServer::start();
    let (bytes, distinct) = big_feed(ITEMS);
    server.put("/big.xml", "application/rss+xml", bytes);
    let root = tempfile::tempdir().unwrap();
    let feeds = [("big", format!("{}/big.xml", server.base), false)];
    let spawn = |cfg: &str| {
        std::process::Command::new(env!("CARGO_BIN_EXE_feedkeeper"))
            .args(["run", "--once", "--config", cfg])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap()
    };
    // Calibration: how long a whole run takes, so kills land anywhere inside it.
    let calib = root.path().join("calibration");
    std::fs::create_dir_all(&calib).unwrap();
    let cfg = config(&calib, &feeds, "");
    let started = std::time::Instant::now();
    assert!(spawn(&cfg).wait().unwrap().success());
    let whole_ms = started.elapsed().as_millis() as u64;
    assert_eq!(query(&cfg, None).len(), distinct);
    // xorshift, seeded from the clock; CRASH_SEED replays a failure.
    let mut seed: u64 = std::env::var("CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
                | 1
        });
    eprintln!("crash test seed {seed}, whole run {whole_ms} ms");
    let mut partial = Vec::new();
    for run in 0..20 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let delay = seed % whole_ms.max(1);
        let dir = root.path().join(format!("run{run}"));
        std::fs::create_dir_all(&dir).unwrap();
        let cfg = config(&dir, &feeds, "");
        let mut child = spawn(&cfg);
        std::thread::sleep(std::time::Duration::from_millis(delay));
        child.kill().unwrap(); // SIGKILL on Unix
        child.wait().unwrap();
        let out = feedkeeper(&["check", "--config", &cfg]);
        assert!(
            out.status.success(),
            "run {run} (killed after {delay} ms): {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        partial.push((delay, query(&cfg, None).len()));
        // The re-poll completes the work: every story once.
        feedkeeper_ok(&["run", "--once", "--config", &cfg]);
        let all = query(&cfg, None);
        assert_eq!(
            all.len(),
            distinct,
            "run {run}: no duplicates, nothing missing"
        );
        let mut urls: Vec<&str> = all.iter().map(|a| a["url"].as_str().unwrap()).collect();
        urls.sort();
        urls.dedup();
        assert_eq!(urls.len(), distinct, "run {run}");
        assert!(all.iter().all(|a| a["revisions"] == 1), "run {run}");
        let check = feedkeeper_ok(&["check", "--config", &cfg]);
        assert!(
            check.contains(&format!(
                "store: ok ({distinct} articles, {distinct} revisions"
            )),
            "run {run}: {check}"
        );
    }
    eprintln!("(kill after ms, articles stored at the kill): {partial:?}");
    // The kills must have landed inside the ingest at least sometimes.
    assert!(
        partial.iter().any(|(_, n)| *n > 0 && *n < distinct),
        "no kill interrupted an ingest: {partial:?}"
    );
}

/// Retention: nothing removed without a setting; `max_per_feed` removes the oldest, leaves
/// tombstones so a re-poll does not bring them back; the history cap keeps first and latest.
#[test]
fn gc_retention_and_tombstones() {
    const CASE: &str = "015-guid-missing-empty-or-shared";
    let server = MapServer::start();
    server.put_case("/identity/blog.xml", CASE, "fetch2.xml");
    let dir = tempfile::tempdir().unwrap();
    let feeds = [("blog", format!("{}/identity/blog.xml", server.base), false)];
    let cfg = config(dir.path(), &feeds, "");
    feedkeeper_ok(&["run", "--once", "--config", &cfg]);
    assert_eq!(query(&cfg, None).len(), 8);
    assert_eq!(
        feedkeeper_ok(&["gc", "--config", &cfg])
            .lines()
            .next()
            .unwrap(),
        "gc: nothing removed: no [retention] limit is configured (max_age, max_per_feed, max_revisions)"
    );
    assert_eq!(query(&cfg, None).len(), 8);
    let cfg = config(dir.path(), &feeds, "[retention]\nmax_per_feed = 3\n");
    let before = query(&cfg, None);
    let out = feedkeeper_ok(&["gc", "--config", &cfg]);
    assert_eq!(
        out.lines().next().unwrap(),
        "gc: removed 0 articles by age, 5 by per-feed count, 0 revisions by history cap"
    );
    let after = query(&cfg, None);
    assert_eq!(
        after.iter().map(|a| &a["id"]).collect::<Vec<_>>(),
        before[..3].iter().map(|a| &a["id"]).collect::<Vec<_>>(),
        "the newest three are kept"
    );
    assert_eq!(
        feedkeeper_ok(&["run", "--once", "--config", &cfg]),
        "blog: 0 new, 0 updated, 0 duplicate, 8 unchanged\n"
    );
    assert_eq!(
        query(&cfg, None).len(),
        3,
        "tombstones keep removed articles out"
    );
    feedkeeper_ok(&["check", "--config", &cfg]);
}

/// `open()`'s value once it succeeds: sled's flusher thread may hold the directory lock for
/// a moment after the previous handle drops (tried for up to 5 s).
pub fn once_unlocked<T, E>(mut open: impl FnMut() -> Result<T, E>, what: &str) -> T {
    for _ in 0..100 {
        match open() {
            Ok(v) => return v,
            Err(_) => std::thread::sleep(std::time::Duration::from_millis(50)),
        }
    }
    panic!("{what} does not open once the previous writer has let go");
}

/// A v1 store (plain JSON values) is migrated to the current schema on open (v2: compressed
/// values; v3: the search index built from the articles; v4: SimHash fingerprints), losing
/// nothing.
#[test]
fn store_migrates_v1_to_current() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store");
    let article = serde_json::json!({
        "id": "aaaaaaaaaaaa", "feed": "f", "url": "https://x.example/a", "guid": null,
        "title": "عنوان", "published": "2024-06-10T08:00:00Z", "updated": null, "lang": "ar",
        "content_hash": "00", "text": "نص المقال", "html": "<p>نص المقال</p>", "revisions": 1,
        "seen_in": [{"feed": "f", "url": "https://x.example/a", "seen_at": "2024-06-10T09:00:00Z"}],
        "first_seen": "2024-06-10T09:00:00Z", "last_seen": "2024-06-10T09:00:00Z"
    });
    let revision = serde_json::json!({
        "article": "aaaaaaaaaaaa", "number": 1, "title": "عنوان", "text": "نص المقال",
        "html": "<p>نص المقال</p>", "content_hash": "00", "published": null, "updated": null,
        "seen_at": "2024-06-10T09:00:00Z", "changed": []
    });
    {
        let db = sled::open(&path).unwrap();
        db.open_tree("meta")
            .unwrap()
            .insert("schema_version", &1u32.to_be_bytes())
            .unwrap();
        db.open_tree("articles")
            .unwrap()
            .insert("aaaaaaaaaaaa", serde_json::to_vec(&article).unwrap())
            .unwrap();
        let mut k = b"aaaaaaaaaaaa".to_vec();
        k.extend_from_slice(&1u32.to_be_bytes());
        db.open_tree("revisions")
            .unwrap()
            .insert(k, serde_json::to_vec(&revision).unwrap())
            .unwrap();
        let t = chrono::DateTime::parse_from_rfc3339("2024-06-10T08:00:00Z")
            .unwrap()
            .timestamp_millis();
        let mut tk = ((t as u64) ^ (1 << 63)).to_be_bytes().to_vec();
        tk.extend_from_slice(b"aaaaaaaaaaaa");
        db.open_tree("by_time").unwrap().insert(tk, &[]).unwrap();
        db.flush().unwrap();
    }
    let store = once_unlocked(|| feedkeeper::store::Store::open(&path), "the v1 store");
    assert_eq!(store.schema_version().unwrap(), 4);
    let id = feedkeeper::model::ArticleId("aaaaaaaaaaaa".into());
    let hits: Vec<_> = store
        .search_positions(&["المقال".to_string()], None, None)
        .unwrap()
        .map(|h| h.unwrap().1)
        .collect();
    assert_eq!(hits, vec![id.clone()], "the migrated article is searchable");
    let a = store.article(&id).unwrap().unwrap();
    assert_eq!((a.title.as_str(), a.text.as_str()), ("عنوان", "نص المقال"));
    assert_eq!(store.revisions(&id).unwrap()[0].html, "<p>نص المقال</p>");
    let report = store.check().unwrap();
    assert_eq!(report.problems, Vec::<String>::new());
    assert_eq!((report.articles, report.revisions), (1, 1));
}

/// A v3 store's SimHash fingerprints (BLAKE3 shingles) are recomputed on open (v4: XXH3
/// shingles) with their near-duplicate band keys; short articles keep none; nothing else
/// changes and the store checks clean.
#[test]
fn store_migrates_v3_simhash_to_v4() {
    use feedkeeper::model::ArticleId;
    use feedkeeper::store::{ArticleWrite, Store};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store");
    let t = DateTime::parse_from_rfc3339("2024-06-10T08:00:00Z")
        .unwrap()
        .with_timezone(&Utc);
    let long = "قال وزير الخارجية إن المحادثات ستستمر الأسبوع المقبل في العاصمة";
    let mut a = crate::query::article("k1", "f", "عنوان", long, t, "ar");
    a.simhash = 0x0123_4567_89ab_cdef; // a v3 (BLAKE3) fingerprint
    let mut short = crate::query::article("k2", "f", "short", "two words", t, "en");
    short.simhash = 0;
    {
        let store = Store::open(&path).unwrap();
        for x in [&a, &short] {
            let rev = feedkeeper::model::Revision {
                article: x.id.clone(),
                number: 1,
                title: x.title.clone(),
                text: x.text.clone(),
                html: x.html.clone(),
                content_hash: x.content_hash.clone(),
                published: x.published,
                updated: None,
                seen_at: t,
                changed: Vec::new(),
            };
            store
                .write(&ArticleWrite {
                    article: x,
                    previous: None,
                    revision: Some(&rev),
                    routes: Vec::new(),
                    urls: Vec::new(),
                    index_hash: false,
                    others: Vec::new(),
                    print: None,
                    body: None,
                })
                .unwrap();
        }
        assert_eq!(
            store.near_candidates(a.simhash, 0).unwrap(),
            vec![a.id.clone()]
        );
        store.sync().unwrap();
    }
    {
        let db = once_unlocked(|| sled::open(&path), "sled");
        db.open_tree("meta")
            .unwrap()
            .insert("schema_version", &3u32.to_be_bytes())
            .unwrap();
        db.flush().unwrap();
    }
    let store = once_unlocked(|| Store::open(&path), "the v3 store");
    assert_eq!(store.schema_version().unwrap(), 4);
    let fresh = feedkeeper::dedup::simhash(long, 0);
    assert_ne!(fresh, a.simhash);
    let got = store.article(&a.id).unwrap().unwrap();
    assert_eq!(got.simhash, fresh);
    assert_eq!((got.title.as_str(), got.text.as_str()), ("عنوان", long));
    assert_eq!(store.near_candidates(fresh, 0).unwrap(), vec![a.id.clone()]);
    assert!(store.near_candidates(a.simhash, 0).unwrap().is_empty());
    assert_eq!(
        store
            .article(&ArticleId::from_key("k2"))
            .unwrap()
            .unwrap()
            .simhash,
        0
    );
    let report = store.check().unwrap();
    assert_eq!(report.problems, Vec::<String>::new());
    assert_eq!(report.articles, 2);
}
