//! Issue 8: `feeds add` with autodiscovery, `feeds remove`, `feeds list`, OPML import/export;
//! the config file is edited in place with its comments kept. Also `completions` and `man`.

use crate::export::serve;
use crate::support::{feedkeeper, feedkeeper_ok};

const RSS: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>أخبار الأردن</title><link>http://x/</link>
<item><title>خبر</title><link>https://news.example.org/1</link><guid>1</guid></item>
</channel></rss>"#;

const CONFIG: &str = r#"# My feeds — keep this comment.
[store]
path = "data" # trailing comment

[fetch]
allow_private_networks = true

# Anadolu (Arabic).
[[feed]]
name = "aa-ar"
url = "https://aa.example.org/rss"
"#;

#[test]
fn feeds_add_discovers_and_keeps_comments() {
    let page = r#"<html><head><title>News</title>
        <link rel="alternate" type="application/rss+xml" title="RSS" href="/feeds/main.xml?a=1&amp;b=2">
        </head><body>hello</body></html>"#;
    let base = serve(vec![
        (
            "/".into(),
            page.as_bytes().to_vec(),
            "text/html; charset=utf-8",
        ),
        (
            "/feeds/main.xml?a=1&b=2".into(),
            RSS.as_bytes().to_vec(),
            "application/rss+xml",
        ),
        (
            "/direct.xml".into(),
            RSS.as_bytes().to_vec(),
            "application/rss+xml",
        ),
    ]);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("feedkeeper.toml");
    std::fs::write(&path, CONFIG).unwrap();
    let cfg = path.display().to_string();

    // A page: its <link rel="alternate"> is followed; the name comes from the feed title.
    let out = feedkeeper_ok(&["feeds", "add", &format!("{base}/"), "--config", &cfg]);
    assert!(out.contains("added أخبار-الأردن"), "{out}");
    // A feed URL directly, with a name and group.
    feedkeeper_ok(&[
        "feeds",
        "add",
        &format!("{base}/direct.xml"),
        "--name",
        "direct",
        "--group",
        "Arabic",
        "--config",
        &cfg,
    ]);
    let text = std::fs::read_to_string(&path).unwrap();
    let want = format!(
        "{CONFIG}\n[[feed]]\nname = \"أخبار-الأردن\"\nurl = \"{base}/feeds/main.xml?a=1&b=2\"\n\n[[feed]]\nname = \"direct\"\nurl = \"{base}/direct.xml\"\ngroup = \"Arabic\"\n"
    );
    assert_eq!(text, want);
    // Adding the same URL again is refused (exit 2) and changes nothing.
    let again = feedkeeper(&[
        "feeds",
        "add",
        &format!("{base}/direct.xml"),
        "--config",
        &cfg,
    ]);
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("already configured as \"direct\""));
    // A page without a feed link is a clear runtime error naming the URL.
    let none = feedkeeper(&[
        "feeds",
        "add",
        &format!("{base}/feeds/main.xml?a=1&b=2x"),
        "--config",
        &cfg,
    ]);
    assert_eq!(none.status.code(), Some(1));

    let list = feedkeeper_ok(&["feeds", "list", "--config", &cfg]);
    assert_eq!(list.lines().count(), 3);
    assert!(list.lines().nth(2).unwrap().contains("Arabic"));

    let out = feedkeeper_ok(&["feeds", "remove", "aa-ar", "--config", &cfg]);
    assert!(out.contains("removed aa-ar"));
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.starts_with(
        "# My feeds — keep this comment.\n[store]\npath = \"data\" # trailing comment\n"
    ));
    assert!(!text.contains("aa-ar") && !text.contains("# Anadolu"));
    let missing = feedkeeper(&["feeds", "remove", "nope", "--config", &cfg]);
    assert_eq!(missing.status.code(), Some(2));
}

#[test]
fn opml_import_export_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("feedkeeper.toml");
    std::fs::write(&path, CONFIG).unwrap();
    let cfg = path.display().to_string();
    let opml = dir.path().join("in.opml");
    std::fs::write(
        &opml,
        r#"<?xml version="1.0"?>
<opml version="2.0"><head><title>x</title></head><body>
  <outline text="عربي">
    <outline type="rss" text="Al Jazeera" xmlUrl="https://aj.example.org/rss?a=1&amp;b=2"/>
    <outline type="rss" text="AA dup" xmlUrl="https://aa.example.org/rss"/>
  </outline>
  <outline type="rss" text="BBC News" xmlUrl="https://bbc.example.org/rss" category="/English"/>
  <outline type="rss" text="BBC News" xmlUrl="https://bbc.example.org/world"/>
</body></opml>"#,
    )
    .unwrap();
    let out = feedkeeper_ok(&[
        "opml",
        "import",
        &opml.display().to_string(),
        "--config",
        &cfg,
    ]);
    assert!(
        out.starts_with("opml import: 3 feeds added, 1 already configured"),
        "{out}"
    );
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.starts_with(CONFIG), "comments and order kept:\n{text}");
    let exported = feedkeeper_ok(&["opml", "export", "--config", &cfg]);
    assert_eq!(
        exported,
        r#"<?xml version="1.0" encoding="UTF-8"?>
<opml version="2.0">
  <head>
    <title>feedkeeper feeds</title>
  </head>
  <body>
    <outline type="rss" text="aa-ar" title="aa-ar" xmlUrl="https://aa.example.org/rss"/>
    <outline type="rss" text="bbc-news-2" title="bbc-news-2" xmlUrl="https://bbc.example.org/world"/>
    <outline text="عربي" title="عربي">
      <outline type="rss" text="al-jazeera" title="al-jazeera" xmlUrl="https://aj.example.org/rss?a=1&amp;b=2" category="/عربي"/>
    </outline>
    <outline text="English" title="English">
      <outline type="rss" text="bbc-news" title="bbc-news" xmlUrl="https://bbc.example.org/rss" category="/English"/>
    </outline>
  </body>
</opml>
"#
    );
    // The export imports back into an empty config to the same feeds.
    let path2 = dir.path().join("second.toml");
    let out_opml = dir.path().join("out.opml");
    std::fs::write(&out_opml, &exported).unwrap();
    feedkeeper_ok(&[
        "opml",
        "import",
        &out_opml.display().to_string(),
        "--config",
        &path2.display().to_string(),
    ]);
    let again = feedkeeper_ok(&["opml", "export", "--config", &path2.display().to_string()]);
    assert_eq!(again, exported);
}

#[test]
fn completions_and_man_page() {
    let bash = feedkeeper_ok(&["completions", "bash"]);
    assert!(bash.contains("feedkeeper") && bash.contains("--search"));
    let man = feedkeeper_ok(&["man"]);
    assert!(
        man.contains(".TH feedkeeper"),
        "{}",
        &man[..200.min(man.len())]
    );
    let help = feedkeeper_ok(&["query", "--help"]);
    assert!(help.contains("Exit codes: 0 ok, 1 runtime failure"));
    let bad = feedkeeper(&["completions", "nosuchshell"]);
    assert_eq!(bad.status.code(), Some(2));
}
