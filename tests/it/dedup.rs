//! Issue 6 (identity and dedup): handed cases 015 and 017, served from a local mutable server
//! (the feeds' real origins are never contacted: scraping is off for these feeds).

use crate::support::{feedkeeper_ok, fixtures};
use serde_json::Value;
use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::sync::{Arc, Mutex};

/// Path → (content type, body).
type Files = Arc<Mutex<HashMap<String, (String, Vec<u8>)>>>;

/// A loopback HTTP/1.0 server whose path → (content type, body) map the test can change.
#[derive(Clone)]
pub struct MapServer {
    files: Files,
    /// `http://127.0.0.1:PORT`
    pub base: String,
}

impl MapServer {
    pub fn start() -> MapServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let files: Files = Arc::default();
        let shared = Arc::clone(&files);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let files = Arc::clone(&shared);
                std::thread::spawn(move || {
                    let mut buf = Vec::new();
                    let mut chunk = [0u8; 4096];
                    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                        match stream.read(&mut chunk) {
                            Ok(0) | Err(_) => return,
                            Ok(n) => buf.extend_from_slice(&chunk[..n]),
                        }
                    }
                    let head = String::from_utf8_lossy(&buf);
                    let path = head.split_whitespace().nth(1).unwrap_or("/").to_string();
                    let found = files.lock().unwrap().get(&path).cloned();
                    let _ = match found {
                        Some((ct, body)) => {
                            let _ = write!(
                                stream,
                                "HTTP/1.1 200 OK\r\nContent-Type: {ct}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                                body.len()
                            );
                            stream.write_all(&body)
                        }
                        None => write!(
                            stream,
                            "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                        ),
                    };
                });
            }
        });
        MapServer { files, base }
    }

    /// Serves `body` at `path` from now on.
    pub fn put(&self, path: &str, content_type: &str, body: Vec<u8>) {
        self.files
            .lock()
            .unwrap()
            .insert(path.to_string(), (content_type.to_string(), body));
    }

    /// Serves a handed case's file at `path`.
    pub fn put_case(&self, path: &str, case: &str, file: &str) {
        let bytes = std::fs::read(fixtures().join("cases").join(case).join(file)).unwrap();
        self.put(path, "application/xml; charset=utf-8", bytes);
    }
}

/// Writes a config for `feeds` (name, url, scrape) with the store in `dir`; extra TOML appended.
pub fn config(dir: &Path, feeds: &[(&str, String, bool)], extra: &str) -> String {
    let mut toml = format!(
        "[store]\npath = \"{}\"\n[fetch]\nallow_private_networks = true\ntimeout = \"5s\"\nconnect_timeout = \"2s\"\nper_host_gap = \"0s\"\nper_host_concurrency = 8\n{extra}\n",
        dir.join("store").display()
    );
    for (name, url, scrape) in feeds {
        toml.push_str(&format!(
            "[[feed]]\nname = \"{name}\"\nurl = \"{url}\"\nscrape = {scrape}\n"
        ));
    }
    let path = dir.join("feedkeeper.toml");
    std::fs::write(&path, toml).unwrap();
    path.display().to_string()
}

/// `query --format json` (all articles, or one feed's).
pub fn query(cfg: &str, feed: Option<&str>) -> Vec<Value> {
    let mut args = vec![
        "query", "--config", cfg, "--format", "json", "--limit", "100000",
    ];
    if let Some(f) = feed {
        args.extend(["--feed", f]);
    }
    serde_json::from_str::<Value>(&feedkeeper_ok(&args))
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

/// `show ID --history --format json`.
pub fn show(cfg: &str, id: &str) -> Value {
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

fn titles(articles: &[Value]) -> Vec<String> {
    let mut t: Vec<String> = articles
        .iter()
        .map(|a| a["title"].as_str().unwrap().to_string())
        .collect();
    t.sort();
    t
}

#[test]
fn case_015_guid_missing_empty_or_shared() {
    const CASE: &str = "015-guid-missing-empty-or-shared";
    let server = MapServer::start();
    server.put_case("/identity/blog.xml", CASE, "fetch1.xml");
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(
        dir.path(),
        &[("blog", format!("{}/identity/blog.xml", server.base), false)],
        "",
    );
    let out = feedkeeper_ok(&["run", "--once", "--config", &cfg]);
    assert_eq!(
        out.trim(),
        "blog: 7 new, 0 updated, 0 duplicate, 0 unchanged"
    );
    let first = query(&cfg, None);
    assert_eq!(
        titles(&first),
        [
            "Alpha: no guid",
            "Bravo: empty guid",
            "Charlie: whitespace guid",
            "Delta: shared guid",
            "Echo: shared guid",
            "Foxtrot: shared guid",
            "Service notice",
        ]
    );
    let by_title = |arts: &[Value], t: &str| -> Value {
        arts.iter().find(|a| a["title"] == t).unwrap().clone()
    };
    for (title, link) in [
        ("Alpha: no guid", "https://www.example.com/a"),
        ("Bravo: empty guid", "https://www.example.com/b"),
        ("Charlie: whitespace guid", "https://www.example.com/c"),
        ("Delta: shared guid", "https://www.example.com/d"),
        ("Echo: shared guid", "https://www.example.com/e"),
        ("Foxtrot: shared guid", "https://www.example.com/f"),
    ] {
        assert_eq!(by_title(&first, title)["url"], link, "{title}");
    }
    let notice = by_title(&first, "Service notice");
    assert_eq!(notice["url"], "");
    assert_eq!(notice["text"], "Maintenance window tonight 22:00-23:00.");
    // Delta, Echo and Foxtrot keep their own bodies.
    let bodies: Vec<String> = ["Delta", "Echo", "Foxtrot"]
        .iter()
        .map(|n| {
            by_title(&first, &format!("{n}: shared guid"))["text"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert!(bodies[0] != bodies[1] && bodies[1] != bodies[2] && bodies[0] != bodies[2]);

    server.put_case("/identity/blog.xml", CASE, "fetch2.xml");
    let out = feedkeeper_ok(&["run", "--once", "--config", &cfg]);
    assert_eq!(
        out.trim(),
        "blog: 1 new, 0 updated, 0 duplicate, 7 unchanged"
    );
    let second = query(&cfg, None);
    assert_eq!(second.len(), 8);
    for a in &first {
        let now = second.iter().find(|b| b["id"] == a["id"]).unwrap();
        assert_eq!(now["revisions"], 1, "{}", a["title"]);
        assert_eq!(now["updated"], a["updated"], "{}", a["title"]);
    }
    assert!(
        second
            .iter()
            .any(|a| a["title"].as_str().unwrap().starts_with("Hotel"))
    );
}

#[test]
fn case_017_same_story_in_two_feeds() {
    const CASE: &str = "017-same-story-in-two-feeds";
    let server = MapServer::start();
    server.put_case("/ar/world.xml", CASE, "feed-world.xml");
    server.put_case("/ar/middle-east.xml", CASE, "feed-middle-east.xml");
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(
        dir.path(),
        &[
            ("world", format!("{}/ar/world.xml", server.base), false),
            (
                "middle-east",
                format!("{}/ar/middle-east.xml", server.base),
                false,
            ),
        ],
        "",
    );
    let out = feedkeeper_ok(&["run", "--once", "--config", &cfg]);
    assert_eq!(
        out,
        "world: 2 new, 0 updated, 0 duplicate, 0 unchanged\nmiddle-east: 2 new, 0 updated, 1 duplicate, 0 unchanged\n"
    );
    let all = query(&cfg, None);
    assert_eq!(all.len(), 4);
    assert_eq!(query(&cfg, Some("world")).len(), 2);
    assert_eq!(query(&cfg, Some("middle-east")).len(), 3);
    let ceasefire: Vec<&Value> = all
        .iter()
        .filter(|a| a["url"] == "https://news.example.com/ar/2024/06/ceasefire-talks")
        .collect();
    assert_eq!(ceasefire.len(), 1);
    assert_eq!(ceasefire[0]["published"], "2024-06-19T07:00:00Z");
    assert_eq!(ceasefire[0]["seen_in"].as_array().unwrap().len(), 2);
    let quakes = all
        .iter()
        .filter(|a| a["title"] == "زلزال بقوة 5 درجات يضرب الساحل دون أضرار")
        .count();
    assert_eq!(quakes, 2, "same title, different story: not merged");

    // Exactly one duplicate group: {world-55120, me-55120}.
    let dups: Value = serde_json::from_str(&feedkeeper_ok(&[
        "query",
        "--config",
        &cfg,
        "--duplicates",
        "--format",
        "json",
    ]))
    .unwrap();
    let groups = dups.as_array().unwrap();
    assert_eq!(groups.len(), 1, "{dups}");
    let mut guids: Vec<&str> = groups[0]["seen_in"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["guid"].as_str().unwrap())
        .collect();
    guids.sort();
    assert_eq!(guids, ["me-55120", "world-55120"]);
    assert_eq!(groups[0]["id"], ceasefire[0]["id"]);

    // The merged export: 4 items, the ceasefire once, no utm_ anywhere.
    let atom = feedkeeper_ok(&["export", "--config", &cfg, "--format", "atom"]);
    let feed = feed_rs::parser::parse(atom.as_bytes()).unwrap();
    assert_eq!(feed.entries.len(), 4);
    assert!(!atom.contains("utm_"));
    let ceasefire_entries = feed
        .entries
        .iter()
        .filter(|e| {
            e.title.as_ref().map(|t| t.content.as_str())
                == Some("استئناف محادثات وقف إطلاق النار في العاصمة")
        })
        .count();
    assert_eq!(ceasefire_entries, 1);
}

fn rss(items: &[(&str, &str, &str, &str)]) -> Vec<u8> {
    let mut x = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss version=\"2.0\"><channel><title>t</title><link>https://n.example/</link><description>d</description>",
    );
    for (guid, link, title, body) in items {
        x.push_str(&format!(
            "<item><title>{title}</title><link>{link}</link><guid isPermaLink=\"false\">{guid}</guid><pubDate>Fri, 21 Nov 2025 12:08:00 +0000</pubDate><description>{}</description></item>",
            html_escape::encode_text(body)
        ));
    }
    x.push_str("</channel></rss>");
    x.into_bytes()
}

fn reference_text() -> String {
    let m = crate::support::manifest("aa-ar");
    m["resources"]
        .as_object()
        .unwrap()
        .values()
        .find(|v| {
            v["kind"] == "article"
                && v["expected"]["body_text"]
                    .as_str()
                    .is_some_and(|t| t.len() > 2000)
        })
        .unwrap()["expected"]["body_text"]
        .as_str()
        .unwrap()
        .to_string()
}

/// The same wire story lightly edited by a second outlet (one sentence reworded, another URL):
/// not merged (different content), but linked as near-duplicates both ways and shown by
/// `show`. A guid rotation in the first feed with the same URL stays the same article.
#[test]
fn near_duplicates_linked_and_guid_rotation_keeps_article() {
    let text = reference_text();
    let html: String = text.split("\n\n").map(|p| format!("<p>{p}</p>")).collect();
    let edited = html.replacen("الجمعة", "يوم الجمعة الماضي", 1);
    assert_ne!(html, edited);
    let server = MapServer::start();
    server.put(
        "/a.xml",
        "application/rss+xml",
        rss(&[("a-1", "https://a.example/story", "خبر", &html)]),
    );
    server.put(
        "/b.xml",
        "application/rss+xml",
        rss(&[("b-1", "https://b.example/copy", "خبر", &edited)]),
    );
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(
        dir.path(),
        &[
            ("a", format!("{}/a.xml", server.base), false),
            ("b", format!("{}/b.xml", server.base), false),
        ],
        "",
    );
    assert_eq!(
        feedkeeper_ok(&["run", "--once", "--config", &cfg]),
        "a: 1 new, 0 updated, 0 duplicate, 0 unchanged\nb: 1 new, 0 updated, 0 duplicate, 0 unchanged\n"
    );
    let a = &query(&cfg, Some("a"))[0];
    let b = &query(&cfg, Some("b"))[0];
    assert_eq!(
        show(&cfg, a["id"].as_str().unwrap())["near_duplicates"],
        serde_json::json!([b["id"]])
    );
    assert_eq!(
        show(&cfg, b["id"].as_str().unwrap())["near_duplicates"],
        serde_json::json!([a["id"]])
    );

    // Feed a rotates its guid; same URL, body gains a paragraph: same article, revision 2.
    let more = format!("{html}<p>تحديث: أضيفت تفاصيل جديدة.</p>");
    server.put(
        "/a.xml",
        "application/rss+xml",
        rss(&[(
            "a-2-rotated",
            "https://a.example/story?utm_source=rss",
            "خبر",
            &more,
        )]),
    );
    assert_eq!(
        feedkeeper_ok(&["run", "--once", "--config", &cfg]),
        "a: 0 new, 1 updated, 0 duplicate, 0 unchanged\nb: 0 new, 0 updated, 0 duplicate, 1 unchanged\n"
    );
    let all = query(&cfg, None);
    assert_eq!(all.len(), 2);
    let a2 = all.iter().find(|x| x["id"] == a["id"]).unwrap();
    assert_eq!(a2["revisions"], 2);
    assert!(a2["text"].as_str().unwrap().contains("أضيفت تفاصيل جديدة"));
}
