//! The `extract` stage on saved pages: every article of the fixture sites with an `expected`
//! block (title, body, date, author, language), the handed cases 024 and 026, site rules,
//! charset handling and hostile input.

use feedkeeper::extract::{self, ExtractError, Extracted, Extraction};
use feedkeeper::model::SiteRule;
use serde_json::Value;
use std::path::{Path, PathBuf};
use url::Url;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/extract")
}

/// The fixture sites, shared with the end-to-end tests (pages and manifests).
fn sites() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/sites")
}

fn fold(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Checks one page against its manifest `expected`; returns the list of mismatches.
fn check_page(site: &str, key: &str, file: &str, res: &Value, expected: &Value) -> Vec<String> {
    let path = sites().join(site).join(file);
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    let url = Url::parse(res["url"].as_str().unwrap_or_default()).expect("manifest url");
    let charset = res["content_type"]
        .as_str()
        .and_then(feedkeeper::charset::charset_from_content_type);
    let who = format!("{site} {key} ({file})");
    let x = match extract::extract(&bytes, charset.as_deref(), &url, &[]) {
        Ok(x) => x,
        Err(e) => return vec![format!("{who}: extraction failed: {e}")],
    };
    let mut bad = Vec::new();
    let text = fold(&x.text);
    if let Some(t) = expected["title"].as_str() {
        if x.title.as_deref() != Some(t) {
            bad.push(format!("{who}: title {:?}, expected {t:?}", x.title));
        }
    }
    if let Some(b) = expected["body_text"].as_str() {
        if text != fold(b) {
            bad.push(format!(
                "{who}: body differs\n  got:      {}\n  expected: {}",
                text,
                fold(b)
            ));
        }
    }
    for s in expected["body_contains"].as_array().into_iter().flatten() {
        let s = fold(s.as_str().unwrap_or_default());
        if !text.contains(&s) {
            bad.push(format!("{who}: body lacks {s:?}"));
        }
    }
    for s in expected["body_excludes"].as_array().into_iter().flatten() {
        let s = fold(s.as_str().unwrap_or_default());
        if text.contains(&s) {
            bad.push(format!("{who}: body contains excluded {s:?}"));
        }
    }
    if let Some(p) = expected["published"].as_str() {
        let ok = match x.published {
            None => false,
            Some(got) if p.len() == 10 => {
                // A date only, in the source's own time zone (unknown here): accept the
                // calendar day of any offset from UTC-12 to UTC+14.
                (-12..=14).any(|h| {
                    (got + chrono::Duration::hours(h))
                        .format("%Y-%m-%d")
                        .to_string()
                        == p
                })
            }
            Some(got) => chrono::DateTime::parse_from_rfc3339(p)
                .or_else(|_| chrono::DateTime::parse_from_str(p, "%Y-%m-%dT%H:%M:%S%z"))
                .is_ok_and(|want| want == got),
        };
        if !ok {
            bad.push(format!("{who}: published {:?}, expected {p}", x.published));
        }
    }
    if let Some(a) = expected["author"].as_str().or(expected["byline"].as_str()) {
        if x.byline.as_deref() != Some(a) {
            bad.push(format!("{who}: byline {:?}, expected {a:?}", x.byline));
        }
    }
    if let Some(l) = expected["language"].as_str() {
        if x.lang.as_deref() != Some(l) {
            bad.push(format!("{who}: lang {:?}, expected {l:?}", x.lang));
        }
    }
    bad
}

fn check_site(site: &str) {
    let manifest = sites().join(site).join("manifest.json");
    let m: Value = serde_json::from_slice(&std::fs::read(&manifest).expect("read manifest"))
        .expect("manifest json");
    let mut bad = Vec::new();
    let mut checked = 0;
    for (key, res) in m["resources"].as_object().expect("resources") {
        if res["kind"] != "article" {
            continue;
        }
        if res["expected"].is_object() {
            let file = res["file"].as_str().expect("file");
            bad.extend(check_page(site, key, file, res, &res["expected"]));
            checked += 1;
        }
        for (_, st) in res["states"].as_object().into_iter().flatten() {
            if let (Some(file), true) = (st["file"].as_str(), st["expected"].is_object()) {
                bad.extend(check_page(site, key, file, res, &st["expected"]));
                checked += 1;
            }
        }
    }
    assert!(checked > 0, "{site}: no page with expected values");
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

macro_rules! site_tests {
    ($($name:ident => $site:literal),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                check_site($site);
            }
        )*
    };
}

site_tests! {
    site_aa_ar => "aa-ar",
    site_yenisafak_ar => "yenisafak-ar",
    site_legacy_ar_cp1256 => "legacy-ar-cp1256",
    site_cnn_arabic => "cnn-arabic",
    site_assabah_tn => "assabah-tn",
    site_bbc_en => "bbc-en",
    site_guardian_en => "guardian-en",
    site_nytimes_en => "nytimes-en",
    site_reuters_en => "reuters-en",
    site_lemonde_fr => "lemonde-fr",
    site_folha_pt => "folha-pt",
    site_elpais_es => "elpais-es",
    site_aktualne_cz => "aktualne-cz",
    site_rp_pl => "rp-pl",
    site_badische_zeitung_de => "badische-zeitung-de",
    site_nachrichten_at => "nachrichten-at",
}

fn case_page(name: &str, url: &str) -> Extracted {
    let bytes = std::fs::read(fixtures().join("cases").join(name)).expect("read case page");
    let url = Url::parse(url).expect("url");
    extract::extract(&bytes, Some("utf-8"), &url, &[]).expect("extracts")
}

#[test]
fn case_024_lazy_loaded_images_resolved_and_boilerplate_dropped() {
    let x = case_page(
        "024-article.html",
        "https://news.example.com/ar/2024/06/solar-farm",
    );
    for p in [
        "بدأت محطة الطاقة الشمسية الجديدة التشغيل التجاري صباح اليوم بعد عامين من الإنشاء.",
        "وتبلغ قدرة المحطة ألفي ميغاواط، وهي تكفي لتزويد مئات الآلاف من المنازل بالكهرباء.",
        "وقال مدير المشروع إن المرحلة الثانية ستبدأ العام المقبل.",
    ] {
        assert!(
            x.text.split("\n\n").any(|b| b == p),
            "missing paragraph {p}"
        );
    }
    for m in [
        "NAV-MARKER",
        "RELATED-MARKER",
        "COMMENTS-MARKER",
        "FOOTER-MARKER",
    ] {
        assert!(!x.text.contains(m) && !x.html.contains(m), "{m} kept");
    }
    let want = [
        "https://news.example.com/media/solar-1.jpg",
        "https://cdn.example.net/solar-2.jpg",
        "https://cdn.example.net/solar-3-1024.jpg",
        "https://cdn.example.net/solar-4.jpg",
        "https://news.example.com/media/solar-5.jpg",
    ];
    assert_eq!(x.images, want);
    // The sanitised HTML holds exactly these image sources, in order.
    let srcs: Vec<&str> = x
        .html
        .split("<img ")
        .skip(1)
        .filter_map(|s| s.split("src=\"").nth(1))
        .filter_map(|s| s.split('"').next())
        .collect();
    assert_eq!(srcs, want);
    assert!(!x.html.contains("data:"));
    assert!(!x.html.contains("placeholder.svg"));
    assert!(!x.html.contains("pixel.example.net"));
    assert!(!x.html.contains("<script"));
    assert!(!x.html.contains("lazy-image"));
    assert!(x.html.contains("alt=\"ألواح شمسية\""));
    assert!(
        x.html
            .contains("<figcaption>ألواح شمسية في الصحراء</figcaption>")
    );
    assert_eq!(x.lang.as_deref(), Some("ar"));
    assert_eq!(x.dir.as_deref(), Some("rtl"));
}

#[test]
fn case_026_rtl_direction_and_language_preserved() {
    let x = case_page(
        "026-article-phone.html",
        "https://tech.example.com/ar/2024/06/phone-launch",
    );
    assert_eq!(x.title.as_deref(), Some("iPhone 16 يصل إلى الأسواق العربية"));
    assert_eq!(x.lang.as_deref(), Some("ar"));
    assert_eq!(x.dir.as_deref(), Some("rtl"));
    assert!(x.text.contains("3,999") && x.text.contains("A18"));
    assert!(
        x.html
            .contains("<blockquote dir=\"ltr\" lang=\"en\"><p>\"This is our best phone yet,\" the company said.</p></blockquote>"),
        "{}",
        x.html
    );
    let bidi = |c: char| matches!(c, '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}');
    assert!(!x.text.contains(bidi) && !x.html.contains(bidi));
    assert!(!x.title.unwrap_or_default().contains(bidi));
}

#[test]
fn lead_photo_caption_in_text_later_captions_in_html_only() {
    let url = Url::parse("https://example.org/a").expect("url");
    let para = "<p>A paragraph of the story, with commas, clauses, and enough words to count.</p>";
    let html = format!(
        "<html><body><article>\
         <figure><img src=\"/lead.jpg\"><span>Image copyright Agency</span>\
         <figcaption>Lead photo caption.</figcaption></figure>\
         {para}{para}\
         <figure><img src=\"/inline.jpg\"><figcaption>Inline photo caption.</figcaption></figure>\
         {para}</article></body></html>"
    );
    let x = extract::extract_str(&html, &url, &[]).expect("extracts");
    assert!(
        x.text.starts_with("Lead photo caption.\n\nA paragraph"),
        "{}",
        x.text
    );
    assert!(!x.text.contains("Inline photo caption"), "{}", x.text);
    assert!(!x.text.contains("Image copyright"), "{}", x.text);
    assert!(
        x.html
            .contains("<figcaption>Inline photo caption.</figcaption>")
    );
    // A lead video player is no photo: its caption stays in the HTML only.
    let html = format!(
        "<html><body><article>\
         <figure><div class=\"player\"></div><figcaption>Video caption.</figcaption></figure>\
         {para}{para}{para}</article></body></html>"
    );
    let x = extract::extract_str(&html, &url, &[]).expect("extracts");
    assert!(x.text.starts_with("A paragraph"), "{}", x.text);
}

/// A short paragraph that is mostly one link, between prose paragraphs, is body text when
/// its lead-in is plain ("Read also: <a>…</a>", as readability's lemonde-fr page keeps it)
/// and a call-out when it is set in bold (`<strong>` around the line, as rp-pl's
/// "Dowiedz się więcej" that trafilatura's labels drop). See `inline_link_line`.
#[test]
fn plain_link_line_between_prose_kept_bold_one_dropped() {
    let url = Url::parse("https://example.org/a").expect("url");
    let para = "<p>A paragraph of the story, with commas, clauses, and enough words to count as the prose around a line.</p>";
    let plain = "<p>Read also: <a href=\"/b\">The regulator's objections to the surveillance bill, point by point</a> </p>";
    let bold = "<p><strong>Read also: <a href=\"/c\"><em>Who voted how on the recovery fund, and who broke ranks</em></a></strong></p>";
    let html = format!(
        "<html><body><article>{para}{plain}{para}{bold}{para}{para}</article></body></html>"
    );
    let x = extract::extract_str(&html, &url, &[]).expect("extracts");
    assert!(
        x.text.split("\n\n").any(|b| b
            == "Read also: The regulator's objections to the surveillance bill, point by point"),
        "{}",
        x.text
    );
    assert!(
        x.html.contains("<a href=\"https://example.org/b\""),
        "{}",
        x.html
    );
    assert!(!x.text.contains("Who voted how"), "{}", x.text);
    assert_eq!(x.text.matches("A paragraph of the story").count(), 4);
    // Not between prose paragraphs (last in the body), or with no lead-in: dropped as before.
    let html = format!(
        "<html><body><article>{para}{para}{para}<p><a href=\"/d\">The regulator's objections to the surveillance bill, point by point</a></p>{para}{plain}</article></body></html>"
    );
    let x = extract::extract_str(&html, &url, &[]).expect("extracts");
    assert!(!x.text.contains("regulator"), "{}", x.text);
}

#[test]
fn direction_computed_from_text_when_page_is_silent() {
    let url = Url::parse("https://example.org/a").expect("url");
    let html = "<html><body><article><p>انطلقت في العاصمة دمشق، الجمعة، أعمال الملتقى الأردني السوري لتكنولوجيا المعلومات والاتصالات بمشاركة واسعة.</p></article></body></html>";
    let x = extract::extract_str(html, &url, &[]).expect("extracts");
    assert_eq!(x.dir.as_deref(), Some("rtl"));
    // No lang on the page: Arabic script without Persian/Urdu letters says Arabic.
    assert_eq!(x.lang.as_deref(), Some("ar"));
}

#[test]
fn configured_rule_beats_heuristics_and_builtin_rules() {
    let url = Url::parse("https://www.example.org/news/1").expect("url");
    let html = r#"<html><body>
        <div class="story"><h1 class="hl">Rule title</h1><p class="x">Short body kept by the rule.</p><p class="junk">Strip me.</p></div>
        <div class="other"><p>A much longer block of text that the heuristics would rather choose, with commas, clauses, and more words than the rule's body has.</p>
        <p>Another long paragraph that makes this block the heuristic winner by a wide margin, again with commas, clauses, and words.</p></div>
        <span class="when" data-x="1">2024-06-01</span></body></html>"#;
    let rule = SiteRule {
        host: "example.org".into(),
        body: Some("div.story".into()),
        strip: vec![".junk".into()],
        title: Some("h1.hl".into()),
        published: Some("span.when".into()),
    };
    let x = extract::extract_str(html, &url, &[rule]).expect("extracts");
    assert_eq!(x.text, "Short body kept by the rule.");
    assert_eq!(x.title.as_deref(), Some("Rule title"));
    assert_eq!(
        x.published.map(|d| d.to_rfc3339()).as_deref(),
        Some("2024-06-01T00:00:00+00:00")
    );
    assert_eq!(x.rule.as_deref(), Some("example.org"));
}

#[test]
fn builtin_rules_are_valid_selectors() {
    for r in extract::builtin_rules() {
        for s in r
            .body
            .iter()
            .chain(r.title.iter())
            .chain(r.published.iter())
            .chain(r.strip.iter())
        {
            assert!(
                scraper::Selector::parse(s).is_ok(),
                "{}: bad selector {s}",
                r.host
            );
        }
    }
}

#[test]
fn blocks_never_glue_words() {
    let url = Url::parse("https://example.org/a").expect("url");
    let html = "<html><body><article><div>First block of the story ends here<div>Second block starts here and goes on for a while, with commas, so it counts.</div></div>\
        <p>A paragraph of the story that goes on for a while, with commas, and reaches the end</p><p>Next one continues the story with more words, clauses, and commas.</p>\
        <ul><li>item one</li><li>item two</li></ul></article></body></html>";
    let x = extract::extract_str(html, &url, &[]).expect("extracts");
    assert!(x.text.contains("the end\n\nNext one"), "{:?}", x.text);
    assert!(x.text.contains("ends here\n\nSecond block"), "{:?}", x.text);
    assert!(!x.text.contains("hereSecond"));
    assert!(!x.text.contains("oneitem"));
}

#[test]
fn html_is_sanitised_with_absolute_urls() {
    let url = Url::parse("https://example.org/news/a").expect("url");
    let html = r#"<article><p onclick="x()">A paragraph with a <a href="/b" onmouseover="y()">relative link</a> and enough words, clauses, and commas to be chosen as the body.</p>
        <script>alert(1)</script><style>p{}</style><p>Second paragraph <img src="img/x.jpg" onerror="z()"> with more text, again, to count.</p>
        <p><a href="javascript:alert(1)">bad link</a> text text text text text text text text text text.</p></article>"#;
    let x = extract::extract_str(html, &url, &[]).expect("extracts");
    assert!(
        x.html.contains("href=\"https://example.org/b\""),
        "{}",
        x.html
    );
    assert!(
        x.html
            .contains("src=\"https://example.org/news/img/x.jpg\"")
    );
    for bad in [
        "onclick",
        "onmouseover",
        "onerror",
        "<script",
        "<style",
        "javascript:",
    ] {
        assert!(!x.html.contains(bad), "{bad} in {}", x.html);
    }
}

#[test]
fn charset_from_meta_when_header_is_silent() {
    let (bytes, _, _) = encoding_rs::WINDOWS_1256.encode(
        "<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=windows-1256\"></head><body><article><p>انطلقت في العاصمة دمشق، الجمعة، أعمال الملتقى الأردني السوري لتكنولوجيا المعلومات.</p></article></body></html>",
    );
    let url = Url::parse("https://example.org/a").expect("url");
    let x = extract::extract(&bytes, None, &url, &[]).expect("extracts");
    assert!(x.text.starts_with("انطلقت في العاصمة دمشق"), "{}", x.text);
}

#[test]
fn failures_and_short_pages_keep_the_feed_content() {
    let url = Url::parse("https://example.org/a").expect("url");
    let empty = extract::extract_str("<html><body><nav>menu</nav></body></html>", &url, &[]);
    assert_eq!(empty, Err(ExtractError::NoBody));
    assert_eq!(
        extract::judge(&empty, "feed text"),
        Extraction::Failed("no article body found".into())
    );
    let short = extract::extract_str(
        "<article><p>Only a teaser sentence here, behind a paywall.</p></article>",
        &url,
        &[],
    );
    let feed = "The feed gave a much longer description of the story than the page shows to visitors without an account.";
    assert!(matches!(
        extract::judge(&short, feed),
        Extraction::Fallback(_)
    ));
    assert_eq!(extract::judge(&short, "Teaser."), Extraction::Ok);
    let big = vec![b' '; extract::MAX_PAGE_BYTES + 1];
    assert!(matches!(
        extract::extract(&big, None, &url, &[]),
        Err(ExtractError::TooLarge(_, _))
    ));
}

/// Hostile pages are extracted or refused in bounded time: under 1 s in release builds (the
/// acceptance bound); debug builds get a looser bound that still catches anything quadratic.
#[test]
fn hostile_pages_are_bounded_in_time() {
    let url = Url::parse("https://example.org/a").expect("url");
    let bound = if cfg!(debug_assertions) {
        std::time::Duration::from_secs(15)
    } else {
        std::time::Duration::from_secs(1)
    };
    let para = "<p>Deep text, with a comma, and enough words to count as a paragraph.</p>";
    let mut pages = vec![
        (
            "50,000 nested divs",
            format!("{}{para}", "<div>".repeat(50_000)),
        ),
        // Unclosed menus: the page's rest is never seen whole by prestrip.
        (
            "50,000 unclosed navs",
            format!("{para}{}x", "<nav>".repeat(50_000)),
        ),
        (
            "50,000 unclosed svgs",
            format!("{para}{}x", "<svg>".repeat(50_000)),
        ),
        // Captions before the first block are checked for a lead photo: once each, cheaply.
        (
            "50,000 captions in one figure",
            format!(
                "<article><figure><img src=\"/a.jpg\">{}</figure>{para}</article>",
                "<figcaption><b></b></figcaption>".repeat(50_000)
            ),
        ),
        (
            "an unclosed comment",
            format!("{para}<!--{}", "<div>".repeat(50_000)),
        ),
    ];
    let mut big = String::from("<html><body><article>");
    while big.len() < extract::MAX_PAGE_BYTES - 200 {
        big.push_str("<p class=\"c\" data-x=\"1\">Some words, of a paragraph.</p>\n");
    }
    pages.push(("8 MiB of markup", big));
    for (what, html) in &pages {
        let t0 = std::time::Instant::now();
        let r = extract::extract_str(html, &url, &[]);
        let took = t0.elapsed();
        assert!(took < bound, "{what}: {took:?}");
        if let Ok(x) = r {
            assert!(!x.text.is_empty(), "{what}");
        }
    }
}

#[test]
fn deeply_nested_page_does_not_crash() {
    let url = Url::parse("https://example.org/a").expect("url");
    let mut html = String::from("<html><body>");
    for _ in 0..50_000 {
        html.push_str("<div>");
    }
    html.push_str("<p>Deep text, with a comma, and enough words to count as a paragraph.</p>");
    let r = extract::extract_str(&html, &url, &[]);
    // Either extracted or refused with a reason; never a crash.
    if let Ok(x) = r {
        assert!(x.text.contains("Deep text"));
    }
}
