//! Issue 8: the merged export — cases 027 (escaping, namespaces) and 028 (sanitisation),
//! every format read back by feed-rs and by Python feedparser, byte-stable output, archive
//! paging, and a property test of hostile titles.

use crate::query::{article, config, t, write_store};
use crate::support::feedkeeper_ok;
use feedkeeper::export::{ArchiveLinks, FeedMeta, Format, render};
use proptest::prelude::*;
use serde_json::Value;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};

/// Serves `(path, file, content type)` routes on 127.0.0.1; 404 otherwise. Runs until the
/// test process ends.
pub fn serve(routes: Vec<(String, Vec<u8>, &'static str)>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    let routes = std::sync::Arc::new(routes);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let routes = std::sync::Arc::clone(&routes);
            std::thread::spawn(move || {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 1024];
                while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                    match stream.read(&mut chunk) {
                        Ok(0) | Err(_) => return,
                        Ok(n) => buf.extend_from_slice(&chunk[..n]),
                    }
                }
                let req = String::from_utf8_lossy(&buf);
                let path = req.split_whitespace().nth(1).unwrap_or("/").to_string();
                match routes.iter().find(|(p, _, _)| *p == path) {
                    Some((_, body, ct)) => {
                        let _ = write!(
                            stream,
                            "HTTP/1.1 200 OK\r\nContent-Type: {ct}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                            body.len()
                        );
                        let _ = stream.write_all(body);
                    }
                    None => {
                        let _ = write!(
                            stream,
                            "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                        );
                    }
                }
            });
        }
    });
    format!("http://{addr}")
}

fn case_dir(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/cases")
        .join(name)
}

/// Polls the case's files (served locally, scraping off) into a fresh store; returns the
/// config path.
fn poll_case(dir: &Path, case: &str, files: &[(&str, &'static str)]) -> String {
    let routes = files
        .iter()
        .map(|(f, ct)| {
            (
                format!("/{f}"),
                std::fs::read(case_dir(case).join(f)).expect("case file"),
                *ct,
            )
        })
        .collect();
    let base = serve(routes);
    let mut toml = format!(
        "[store]\npath = \"{}\"\n[fetch]\nallow_private_networks = true\nper_host_gap = \"0s\"\n",
        dir.join("store").display()
    );
    for (i, (f, _)) in files.iter().enumerate() {
        toml.push_str(&format!(
            "[[feed]]\nname = \"f{i}\"\nurl = \"{base}/{f}\"\nscrape = false\n"
        ));
    }
    let path = dir.join("feedkeeper.toml");
    std::fs::write(&path, toml).unwrap();
    let cfg = path.display().to_string();
    feedkeeper_ok(&["run", "--once", "--config", &cfg]);
    cfg
}

fn export(cfg: &str, format: &str) -> Vec<u8> {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_feedkeeper"))
        .args([
            "export", "--config", cfg, "--format", format, "--limit", "100",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// Strict XML check with expat (well-formed, every prefix declared).
fn strict_xml(bytes: &[u8]) {
    let mut child = std::process::Command::new("python3")
        .args([
            "-c",
            "import sys, xml.dom.minidom; xml.dom.minidom.parseString(sys.stdin.buffer.read())",
        ])
        .stdin(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("python3");
    child.stdin.take().unwrap().write_all(bytes).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "not well-formed XML: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Entries read back by feedparser: `[{title, link, content, tags, author}]`; panics on
/// `bozo`.
fn feedparser(bytes: &[u8]) -> Vec<Value> {
    // feedparser 6.0 (the current release) reads RSS and Atom but not JSON Feed; a JSON Feed
    // is read back with Python's json module into the same shape instead.
    let script = r#"
import sys, json, feedparser
raw = sys.stdin.buffer.read()
if raw.lstrip().startswith(b"{"):
    d = json.loads(raw)
    print(json.dumps([{"title": i.get("title"), "link": i.get("url"),
        "content": i.get("content_html", ""), "tags": i.get("tags", []),
        "author": (i.get("authors") or [{}])[0].get("name")} for i in d["items"]]))
    sys.exit(0)
d = feedparser.parse(raw)
if d.bozo:
    print("bozo: %r" % (d.bozo_exception,), file=sys.stderr); sys.exit(3)
out = []
for e in d.entries:
    content = e.get("content", [{}])[0].get("value") or e.get("summary", "")
    out.append({"title": e.get("title"), "link": e.get("link"), "content": content,
                "tags": [t.get("term") for t in e.get("tags", [])],
                "author": e.get("author")})
print(json.dumps(out))
"#;
    let mut child = std::process::Command::new("python3")
        .args(["-c", script])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("python3");
    child.stdin.take().unwrap().write_all(bytes).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "feedparser failed (pip install feedparser): {}\n{}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(bytes)
    );
    serde_json::from_slice::<Value>(&out.stdout)
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

fn feed_rs(bytes: &[u8]) -> feed_rs::model::Feed {
    feed_rs::parser::parse(bytes).unwrap_or_else(|e| panic!("feed-rs: {e}"))
}

fn entry_by_title<'a>(entries: &'a [Value], title: &str) -> &'a Value {
    entries
        .iter()
        .find(|e| e["title"] == title)
        .unwrap_or_else(|| panic!("no entry titled {title:?} in {entries:#?}"))
}

#[test]
fn case_027_merged_export_escaping_and_namespaces() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = poll_case(
        dir.path(),
        "027-merged-export-escaping-and-namespaces",
        &[
            ("feed-a.xml", "application/rss+xml"),
            ("feed-b.atom", "application/atom+xml"),
            ("feed-c.json", "application/feed+json"),
        ],
    );
    // The CDATA title must survive as the store holds it; whether `<b>` is markup (the parse
    // stage reads titles as feedparser does, as text) is not what the case tests.
    let stored: Vec<Value> = serde_json::from_str(&feedkeeper_ok(&[
        "query", "--config", &cfg, "--format", "json", "--limit", "100",
    ]))
    .unwrap();
    let cdata_title = stored
        .iter()
        .filter_map(|a| a["title"].as_str())
        .find(|t| t.starts_with("CDATA title with"))
        .expect("the CDATA-titled item is stored")
        .to_string();
    assert!(cdata_title.ends_with("tags & a ]]> split"), "{cdata_title}");
    for format in ["atom", "rss", "json"] {
        let bytes = export(&cfg, format);
        // 3. Byte-identical when generated twice.
        assert_eq!(bytes, export(&cfg, format), "{format} export is not stable");
        if format != "json" {
            strict_xml(&bytes);
        }
        let entries = feedparser(&bytes);
        assert_eq!(entries.len(), 4, "{format}: {entries:#?}");
        let e1 = entry_by_title(&entries, "Fans say \"<3\" & cheer ]]> at the final");
        assert_eq!(e1["link"], "https://esc.example.com/post?id=1&lang=en");
        assert_eq!(e1["tags"], serde_json::json!(["Q&A \"live\""]));
        let body1 = e1["content"].as_str().unwrap();
        assert!(!body1.contains("<script"), "{format}: {body1}");
        for visible in ["a[b[i]]&gt;0", "]]&gt;", "&lt;script&gt;"] {
            assert!(
                body1.contains(visible),
                "{format}: {visible} not in {body1}"
            );
        }
        let e2 = entry_by_title(&entries, &cdata_title);
        assert!(
            e2["content"].as_str().unwrap().contains("]]&gt;"),
            "{format}"
        );
        let e3 = entry_by_title(&entries, "جولة في السوق القديم");
        assert_eq!(e3["link"], "https://video.example.com/watch?v=abc123XYZ");
        let e4 = entry_by_title(&entries, "Bell and non-character end");
        assert!(
            e4["content"]
                .as_str()
                .unwrap()
                .contains("Body with a form feed and a non-character in it."),
            "{format}: {}",
            e4["content"]
        );
        // feed-rs agrees.
        let f = feed_rs(&bytes);
        assert_eq!(f.entries.len(), 4);
        assert!(f.entries.iter().any(|e| {
            e.title.as_ref().map(|t| t.content.as_str())
                == Some("Fans say \"<3\" & cheer ]]> at the final")
                && e.links.first().map(|l| l.href.as_str())
                    == Some("https://esc.example.com/post?id=1&lang=en")
        }));
    }
}

/// Everything case 028 forbids, checked case-insensitively after decoding entities.
fn assert_safe(html: &str, what: &str) {
    let decoded = html_escape::decode_html_entities(html)
        .to_lowercase()
        .replace(['\t', '\n', '\r'], "");
    for bad in [
        "<script",
        "javascript:",
        "vbscript:",
        "data:text/html",
        "<iframe",
        "<object",
        "<embed",
        "<form",
        "<input",
        "<meta",
        "<base",
        "<style",
        "ontoggle",
    ] {
        assert!(!decoded.contains(bad), "{what}: {bad} survived in {html}");
    }
    let on_attr = regex::Regex::new(r"<[^>]*\son[a-z]+\s*=").unwrap();
    assert!(
        !on_attr.is_match(&decoded),
        "{what}: event handler in {html}"
    );
    let style_url = regex::Regex::new(r#"style\s*=\s*["'][^"']*url\("#).unwrap();
    assert!(
        !style_url.is_match(&decoded),
        "{what}: style url( in {html}"
    );
}

#[test]
fn case_028_content_sanitization_xss() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = poll_case(
        dir.path(),
        "028-content-sanitization-xss",
        &[
            ("feed.xml", "application/rss+xml"),
            ("feed-xhtml.atom", "application/atom+xml"),
        ],
    );
    // The stored bodies.
    let stored: Value = serde_json::from_str(&feedkeeper_ok(&[
        "query",
        "--config",
        &cfg,
        "--format",
        "json",
        "--fields",
        "title,html",
    ]))
    .unwrap();
    let stored = stored.as_array().unwrap();
    assert_eq!(stored.len(), 2);
    let all_stored: String = stored
        .iter()
        .map(|a| a["html"].as_str().unwrap_or_default())
        .collect();
    assert_safe(&all_stored, "stored");
    // The exported bodies, in every format.
    let a_tag =
        regex::Regex::new(r#"<a [^>]*href="https://safe\.example\.com/page"[^>]*>"#).unwrap();
    for format in ["atom", "rss", "json"] {
        let bytes = export(&cfg, format);
        let entries = feedparser(&bytes);
        let html: String = entries
            .iter()
            .map(|e| e["content"].as_str().unwrap_or_default().to_string())
            .collect();
        assert_safe(&html, format);
        for kept in [
            "Normal paragraph with",
            "https://safe.example.com/page",
            "a safe link",
            "https://img.example.com/ok.jpg",
            "ok picture",
            "styled div text",
            "Paragraph with a handler.",
            "Closing paragraph.",
            "XHTML body text.",
            "https://img.example.com/ok2.jpg",
            "js link",
            "encoded js link",
            "tab js link",
            "data link",
            "x link",
        ] {
            assert!(html.contains(kept), "{format}: {kept:?} lost in {html}");
        }
        // Off-site links carry rel="noopener noreferrer".

        let tag = a_tag.find(&html).expect("safe link kept").as_str();
        assert!(
            tag.contains("noopener") && tag.contains("noreferrer"),
            "{tag}"
        );
    }
}

#[test]
fn export_formats_parse_back_with_arabic_intact() {
    let dir = tempfile::tempdir().unwrap();
    let mut a = article(
        "x1",
        "aa-ar",
        "دمشق.. انطلاق الملتقى الأردني \u{200F}«السوري»",
        "نص عربي & <نص>",
        t(10),
        "ar",
    );
    a.byline = Some("مراسل الأناضول".into());
    a.tags = vec!["اقتصاد".into()];
    let b = article("x2", "bbc-en", "Fish & chips <now>", "Body.", t(9), "en");
    write_store(dir.path(), &[a.clone(), b.clone()]);
    let cfg = config(dir.path());
    for format in ["atom", "rss", "json"] {
        let bytes = export(&cfg, format);
        let entries = feedparser(&bytes);
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[0]["title"], a.title.as_str(), "{format}");
        assert_eq!(entries[0]["link"], a.url.as_str());
        assert_eq!(entries[0]["author"], "مراسل الأناضول", "{format}");
        assert_eq!(
            entries[0]["tags"],
            serde_json::json!(["اقتصاد"]),
            "{format}"
        );
        assert!(
            entries[0]["content"]
                .as_str()
                .unwrap()
                .contains("نص عربي &amp; &lt;نص&gt;")
        );
        assert_eq!(entries[1]["title"], b.title.as_str());
        let f = feed_rs(&bytes);
        assert_eq!(f.entries[0].title.as_ref().unwrap().content, a.title);
        assert_eq!(f.entries[1].title.as_ref().unwrap().content, b.title);
        assert_eq!(f.entries[0].links[0].href, a.url);
    }
    // The JSON Feed extension and the Atom source / xml:lang.
    let json: Value = serde_json::from_slice(&export(&cfg, "json")).unwrap();
    let item = &json["items"][0];
    assert_eq!(item["language"], "ar");
    assert_eq!(item["authors"][0]["name"], "مراسل الأناضول");
    assert_eq!(item["_feedkeeper"]["revisions"], 1);
    assert_eq!(item["_feedkeeper"]["content_hash"], a.content_hash.as_str());
    assert_eq!(item["_feedkeeper"]["seen_in"][0]["feed"], "aa-ar");
    let atom = String::from_utf8(export(&cfg, "atom")).unwrap();
    assert!(atom.contains("<entry xml:lang=\"ar\">"));
    assert!(atom.contains("<title>aa-ar</title>"));
    // RFC 4287 §4.1.1: the bbc entry has no byline, so the feed carries an author.
    let feed_author = atom.find("<author>").unwrap();
    assert!(feed_author < atom.find("<entry").unwrap(), "{atom}");
    assert_eq!(feed_rs(&export(&cfg, "atom")).authors.len(), 1);
    // Same filters as query.
    let out = feedkeeper_ok(&[
        "export", "--config", &cfg, "--format", "json", "--search", "fish",
    ]);
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["items"].as_array().unwrap().len(), 1);
}

#[test]
fn export_archive_paging_rfc5005() {
    let dir = tempfile::tempdir().unwrap();
    let old = article(
        "old",
        "bbc-en",
        "October story",
        "x",
        t(1) - chrono::Duration::days(40),
        "en",
    );
    let new = article("new", "bbc-en", "November story", "y", t(1), "en");
    write_store(dir.path(), &[old, new]);
    let cfg = config(dir.path());
    let base = "https://news.example.org/feed";
    let page = feedkeeper_ok(&[
        "export",
        "--config",
        &cfg,
        "--base-url",
        base,
        "--archive",
        "2025-11",
    ]);
    strict_xml(page.as_bytes());
    assert!(page.contains("<fh:archive/>"), "{page}");
    assert!(page.contains(
        r#"<link rel="prev-archive" href="https://news.example.org/feed?archive=2025-10"/>"#
    ));
    assert!(page.contains(r#"<link rel="current" href="https://news.example.org/feed"/>"#));
    assert!(page.contains("November story") && !page.contains("October story"));
    let oct = feedkeeper_ok(&[
        "export",
        "--config",
        &cfg,
        "--base-url",
        base,
        "--archive",
        "2025-10",
        "--format",
        "rss",
    ]);
    strict_xml(oct.as_bytes());
    assert!(oct.contains(r#"<atom:link rel="next-archive" href="https://news.example.org/feed?archive=2025-11"/>"#), "{oct}");
    assert!(!oct.contains("prev-archive"));
    assert!(oct.contains("October story") && !oct.contains("November story"));
}

fn hostile_title() -> impl Strategy<Value = String> {
    let atoms = prop::sample::select(vec![
        "<",
        ">",
        "&",
        "&amp;",
        "\"",
        "'",
        "]]>",
        "\u{200F}",
        "\u{200E}",
        "\u{202B}",
        "\u{2067}",
        "😀",
        "👩‍👩‍👧",
        "عربي",
        "الأردن",
        "a",
        "Z",
        " ",
        "<b>",
        "&#x26;",
        "\u{7}",
        "\u{FFFE}",
    ]);
    prop::collection::vec(atoms, 1..12).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn export_round_trips_hostile_titles(title in hostile_title(), byline in hostile_title()) {
        let mut a = article("p", "aa-ar", &title, "body", t(3), "ar");
        a.byline = Some(byline.clone());
        let want = feedkeeper::export::line_clean(&title);
        let want_by = feedkeeper::export::line_clean(&byline);
        prop_assume!(!want.is_empty() && !want_by.is_empty());
        for format in [Format::Atom, Format::Rss, Format::Json] {
            let meta = FeedMeta { links: ArchiveLinks::default(), ..FeedMeta::default() };
            let bytes = render(format, &meta, std::slice::from_ref(&a));
            let f = feed_rs::parser::parse(bytes.as_slice());
            prop_assert!(f.is_ok(), "{:?}: {:?}", format, f.err());
            let f = f.unwrap();
            let got = f.entries[0].title.as_ref().map(|t| t.content.clone());
            prop_assert_eq!(got.as_deref(), Some(want.as_str()), "{:?}", format);
            let author: Option<String> = f.entries[0].authors.first().map(|p| p.name.clone());
            prop_assert_eq!(author.as_deref(), Some(want_by.as_str()), "{:?}", format);
        }
    }
}
