//! Issue 1: the main job end to end on the offline fixture sites — poll, scrape, dedup, store,
//! revisions, conditional GET, query/show/export, and per-feed failures.

use crate::support::{FixtureServer, Script, feedkeeper, feedkeeper_ok, manifest, scripted_server};
use serde_json::Value;
use std::path::Path;

const TITLE: &str = "دمشق.. انطلاق الملتقى الأردني السوري لتكنولوجيا المعلومات والاتصالات";
const OLD_PARAGRAPH: &str =
    "وقالت وزارة الاقتصاد الرقمي والريادة الأردنية على منصة شركة \"اكس\" الأمريكية";
const NEW_PARAGRAPH: &str = "وقالت وزارة الاقتصاد الرقمي والريادة الأردنية في منشور على منصة \"إكس\"";

/// The reference article's manifest entry (initial state).
fn reference_expected() -> Value {
    let m = manifest("aa-ar");
    let res = m["resources"].as_object().unwrap();
    res.iter()
        .find(|(k, v)| {
            k.contains("الدول-العربية") && k.ends_with("3745123") && v["kind"] == "article"
        })
        .map(|(_, v)| v["expected"].clone())
        .unwrap()
}

fn write_config(dir: &Path, feeds: &[(&str, String)]) -> String {
    let mut toml = format!(
        "[store]\npath = \"{}\"\n[fetch]\nallow_private_networks = true\ntimeout = \"3s\"\nconnect_timeout = \"2s\"\nper_host_gap = \"0s\"\nper_host_concurrency = 8\n",
        dir.join("store").display()
    );
    for (name, url) in feeds {
        toml.push_str(&format!("[[feed]]\nname = \"{name}\"\nurl = \"{url}\"\n"));
    }
    let path = dir.join("feedkeeper.toml");
    std::fs::write(&path, toml).unwrap();
    path.display().to_string()
}

fn query_all(cfg: &str) -> Vec<Value> {
    let out = feedkeeper_ok(&[
        "query", "--config", cfg, "--format", "json", "--limit", "1000",
    ]);
    serde_json::from_str::<Value>(&out)
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

fn show(cfg: &str, id: &str) -> Value {
    serde_json::from_str(&feedkeeper_ok(&[
        "show",
        id,
        "--config",
        cfg,
        "--history",
        "--format",
        "json",
    ]))
    .unwrap()
}

fn line<'a>(stdout: &'a str, feed: &str) -> &'a str {
    stdout
        .lines()
        .find(|l| l.starts_with(&format!("{feed}: ")))
        .unwrap_or_else(|| panic!("no line for {feed} in:\n{stdout}"))
}

#[test]
fn main_job_end_to_end() {
    let server = FixtureServer::start();
    let garbage = scripted_server(Script::Bytes(
        b"\x00\x9f\x92garbage that is not a feed \xff\xfe<<<",
    ));
    let hang = scripted_server(Script::Hang);
    let b = &server.base;
    let dir = tempfile::tempdir().unwrap();
    let cfg = write_config(
        dir.path(),
        &[
            ("aa-ar", format!("{b}/aa-ar/ar/rss/default?cat=guncel")),
            ("aa-ar-dunya", format!("{b}/aa-ar/ar/rss/default?cat=dunya")),
            ("yenisafak-ar", format!("{b}/yenisafak-ar/ar/rss")),
            ("legacy-ar", format!("{b}/legacy-ar-cp1256/rss.xml")),
            ("cnn-arabic", format!("{b}/cnn-arabic/feed.xml")),
            ("bbc-en", format!("{b}/bbc-en/feed.xml")),
            ("lemonde-fr", format!("{b}/lemonde-fr/feed.xml")),
            ("guardian-en", format!("{b}/guardian-en/feed.xml")),
            ("missing", format!("{b}/aa-ar/no-such-feed.xml")),
            ("garbage", format!("{garbage}/feed.xml")),
            ("silent", format!("{hang}/feed.xml")),
        ],
    );

    // --- first poll: everything new, the reference story stored once.
    let out = feedkeeper(&["run", "--once", "--config", &cfg]);
    assert!(
        out.status.success(),
        "run --once must exit 0 even with failing feeds"
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        line(&stdout, "aa-ar").starts_with("aa-ar: 2 new, 0 updated, 0 duplicate"),
        "{stdout}"
    );
    assert_eq!(
        line(&stdout, "aa-ar-dunya"),
        "aa-ar-dunya: 0 new, 0 updated, 1 duplicate, 0 unchanged"
    );
    assert_eq!(
        line(&stdout, "yenisafak-ar"),
        "yenisafak-ar: 0 new, 0 updated, 1 duplicate, 0 unchanged"
    );
    assert!(
        line(&stdout, "legacy-ar").contains("1 duplicate"),
        "{stdout}"
    );
    let missing = line(&stdout, "missing");
    assert!(
        missing.starts_with("missing: failed: fetch ") && missing.contains("server returned 404"),
        "{missing}"
    );
    let garbage_line = line(&stdout, "garbage");
    assert!(
        garbage_line.starts_with("garbage: failed: parse "),
        "{garbage_line}"
    );
    let silent = line(&stdout, "silent");
    assert!(
        silent.starts_with("silent: failed: fetch ") && silent.contains("timed out"),
        "{silent}"
    );

    let articles = query_all(&cfg);
    let refs: Vec<&Value> = articles.iter().filter(|a| a["title"] == TITLE).collect();
    assert_eq!(refs.len(), 1, "the reference story is stored exactly once");
    let reference = refs[0];
    assert_eq!(reference["published"], "2025-11-21T12:08:00Z");
    assert_eq!(reference["lang"], "ar");
    assert_eq!(reference["revisions"], 1);
    let id = reference["id"].as_str().unwrap().to_string();
    let stored_count = articles.len();

    let expected = reference_expected();
    let body = expected["body_text"].as_str().unwrap();
    let paragraphs: Vec<&str> = body.split("\n\n").collect();
    let shown = show(&cfg, &id);
    let text = shown["text"].as_str().unwrap();
    // The text view names the extraction status exactly as the JSON does.
    assert_eq!(shown["extraction"], "ok");
    let plain = feedkeeper_ok(&["show", &id, "--config", &cfg]);
    assert!(plain.contains("\nextraction: ok\n"), "{plain}");
    assert!(
        text.contains(paragraphs[0]),
        "first paragraph missing from:\n{text}"
    );
    assert!(
        text.contains(paragraphs[paragraphs.len() - 1]),
        "last paragraph missing"
    );
    for ex in expected["body_excludes"].as_array().unwrap() {
        assert!(
            !text.contains(ex.as_str().unwrap()),
            "body must not contain {ex}"
        );
    }
    let seen: Vec<(String, String)> = shown["seen_in"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["feed"].as_str().unwrap().to_string(),
                s["url"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let feeds: Vec<&str> = seen.iter().map(|(f, _)| f.as_str()).collect();
    assert_eq!(
        feeds,
        ["aa-ar", "aa-ar-dunya", "yenisafak-ar", "legacy-ar"],
        "{seen:?}"
    );
    assert!(
        seen[1]
            .1
            .contains("/aa-ar/ar/%D8%A7%D9%84%D8%B9%D8%A7%D9%84%D9%85/"),
        "second aa-ar URL: {}",
        seen[1].1
    );
    assert_eq!(seen[2].1, format!("{b}/yenisafak-ar/ar/world/4109548"));
    assert_eq!(seen[3].1, format!("{b}/legacy-ar-cp1256/news/3745123.html"));

    // --- second poll, nothing changed: conditional requests, nothing stored.
    server.take_log();
    let stdout = feedkeeper_ok(&["run", "--once", "--config", &cfg]);
    for feed in [
        "aa-ar",
        "aa-ar-dunya",
        "yenisafak-ar",
        "legacy-ar",
        "cnn-arabic",
        "bbc-en",
        "lemonde-fr",
        "guardian-en",
    ] {
        assert!(
            line(&stdout, feed).contains("not modified (304)"),
            "{stdout}"
        );
    }
    let log = server.take_log();
    let entries = log.as_array().or_else(|| log["log"].as_array()).unwrap();
    let feed_requests: Vec<&Value> = entries.iter().filter(|e| e["status"] != 404).collect();
    assert_eq!(
        feed_requests.len(),
        8,
        "one request per fixture feed: {log}"
    );
    assert!(
        feed_requests
            .iter()
            .all(|e| e["conditional"] == true && e["status"] == 304),
        "{log}"
    );
    assert_eq!(
        query_all(&cfg).len(),
        stored_count,
        "nothing new stored, nothing lost"
    );

    // --- the story is edited: revision 2 holds the reworded paragraph, revision 1 unchanged.
    server.set_state("aa-ar", "edited");
    let stdout = feedkeeper_ok(&["run", "--once", "--config", &cfg]);
    assert!(line(&stdout, "aa-ar").contains("1 updated"), "{stdout}");
    let shown = show(&cfg, &id);
    assert_eq!(shown["revisions"], 2);
    let history = shown["history"].as_array().unwrap();
    assert_eq!(history.len(), 2);
    assert!(history[0]["text"].as_str().unwrap().contains(OLD_PARAGRAPH));
    assert!(!history[0]["text"].as_str().unwrap().contains(NEW_PARAGRAPH));
    assert!(history[1]["text"].as_str().unwrap().contains(NEW_PARAGRAPH));
    assert_eq!(history[1]["changed"][0], "text");
    assert!(shown["text"].as_str().unwrap().contains(NEW_PARAGRAPH));

    // --- a chrome-only change makes no revision 3.
    server.set_state("aa-ar", "chrome-only");
    feedkeeper_ok(&["run", "--once", "--config", &cfg]);
    assert_eq!(show(&cfg, &id)["revisions"], 2);
    assert_eq!(query_all(&cfg).len(), stored_count);

    // --- export parses back with feed-rs: one entry per article, Arabic intact.
    for format in ["atom", "rss", "json"] {
        let file = dir.path().join(format!("export.{format}"));
        feedkeeper_ok(&[
            "export",
            "--config",
            &cfg,
            "--format",
            format,
            "-o",
            file.to_str().unwrap(),
        ]);
        let bytes = std::fs::read(&file).unwrap();
        let feed = feed_rs::parser::parse(&bytes[..])
            .unwrap_or_else(|e| panic!("{format} export does not parse: {e}"));
        assert_eq!(
            feed.entries.len(),
            stored_count,
            "{format}: one entry per stored article"
        );
        let entry = feed
            .entries
            .iter()
            .find(|e| e.title.as_ref().is_some_and(|t| t.content == TITLE))
            .expect("reference entry");
        let content = entry
            .content
            .as_ref()
            .and_then(|c| c.body.clone())
            .expect("content present");
        assert!(
            content.contains(NEW_PARAGRAPH),
            "{format}: Arabic text intact in content"
        );
        assert!(
            content.contains(paragraphs[0]),
            "{format}: first paragraph in content"
        );
    }
}

/// The chrome-only state differs from `edited` only in page chrome: same extracted content hash.
#[test]
fn chrome_only_page_has_same_content_hash_as_edited() {
    let dir = crate::support::fixtures().join("sites/aa-ar/ar/الدول-العربية/دمشق-انطلاق-الملتقى-الأردني-السوري-لتكنولوجيا-المعلومات-والاتصالات");
    let url = url::Url::parse("https://www.aa.com.tr/ar/x/3745123").unwrap();
    let hash = |file: &str| {
        let bytes = std::fs::read(dir.join(file)).unwrap();
        let x = feedkeeper::extract::extract(&bytes, Some("utf-8"), &url, &[]).unwrap();
        feedkeeper::dedup::content_hash(&x.text)
    };
    assert_eq!(
        hash("3745123.v2-edited.html"),
        hash("3745123.v3-chrome-only.html")
    );
    assert_ne!(hash("3745123.html"), hash("3745123.v2-edited.html"));
}
