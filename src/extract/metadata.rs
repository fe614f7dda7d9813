//! Page metadata in one pass over the flat tree: JSON-LD (`NewsArticle` and friends, also
//! inside `@graph`), OpenGraph and `article:*` meta, Dublin Core and `itemprop` meta,
//! `<time datetime>`, `<html lang dir>`, `<link rel=canonical>`, `<title>` and the first
//! `<h1>`. Dates end up in UTC.

use super::Extracted;
use super::dom::AttrExt;
use super::dom::{Dom, Kind};
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use serde_json::Value;
use url::Url;

/// Raw findings, before choosing.
#[derive(Default)]
pub(crate) struct Found {
    ld_headline: Option<String>,
    ld_published: Option<String>,
    ld_modified: Option<String>,
    ld_author: Option<String>,
    ld_keywords: Vec<String>,
    ld_lang: Option<String>,
    /// (key, content) of every `<meta>` with a property/name/itemprop.
    meta: Vec<(String, String)>,
    canonical: Option<String>,
    title_tag: Option<String>,
    /// The first `<h1>`'s text.
    pub h1: Option<String>,
    time: Option<String>,
    /// Text of the first byline-looking element (`rel=author`, `itemprop=author`,
    /// class/id `byline`/`author`).
    dom_byline: Option<String>,
    html_lang: Option<String>,
    html_dir: Option<String>,
}

/// Every `<meta>` key (property, name or itemprop, lower-case) that [`apply`] reads. The
/// parser is never shown the others (`prestrip` drops them: viewport, twitter:card,
/// fb:app_id... are a sixth of a page's tags); a key read but missing here fails the tests
/// (debug assertion in `Found::meta`; `article:tag` is read directly, see `apply`).
pub(crate) const META_KEYS: [&str; 41] = [
    "og:site_name",
    "application-name",
    "og:title",
    "twitter:title",
    "article:published_time",
    "datepublished",
    "og:published_time",
    "article:published",
    "pubdate",
    "publishdate",
    "publish-date",
    "dc.date.issued",
    "dcterms.created",
    "dc.date",
    "date",
    "sailthru.date",
    "parsely-pub-date",
    "article:modified_time",
    "datemodified",
    "og:updated_time",
    "dcterms.modified",
    "article:author",
    "og:article:author",
    "cxenseparse:author",
    "parsely-author",
    "sailthru.author",
    "author",
    "dc.creator",
    "byl",
    "article:tag",
    "news_keywords",
    "keywords",
    "og:locale",
    "content-language",
    "language",
    "dc.language",
    "og:url",
    "og:image",
    "og:image:url",
    "twitter:image",
    "twitter:image:src",
];

impl Found {
    fn meta(&self, keys: &[&str]) -> Option<&str> {
        debug_assert!(
            keys.iter().all(|k| META_KEYS.contains(k)),
            "a meta key read by apply() is missing from META_KEYS: {keys:?}"
        );
        keys.iter().find_map(|k| {
            self.meta
                .iter()
                .find(|(mk, v)| mk == k && !v.trim().is_empty())
                .map(|(_, v)| v.trim())
        })
    }
}

/// Collects metadata from the flat tree.
pub(crate) fn collect(dom: &Dom<'_>) -> Found {
    let mut f = Found::default();
    for (i, n) in dom.nodes.iter().enumerate() {
        let Kind::Elem(e) = n.kind else { continue };
        match n.tag {
            "html" => {
                f.html_lang = e
                    .attr_str("lang")
                    .or_else(|| e.attr_str("xml:lang"))
                    .map(|l| l.trim().to_string())
                    .filter(|l| !l.is_empty());
                f.html_dir = e
                    .attr_str("dir")
                    .map(|d| d.trim().to_ascii_lowercase())
                    .filter(|d| d == "rtl" || d == "ltr");
            }
            "meta" => {
                let Some(content) = e.attr_str("content") else {
                    continue;
                };
                for k in [
                    e.attr_str("property"),
                    e.attr_str("name"),
                    e.attr_str("itemprop"),
                ]
                .into_iter()
                .flatten()
                {
                    f.meta
                        .push((k.trim().to_ascii_lowercase(), content.to_string()));
                }
            }
            "link"
                if f.canonical.is_none()
                    && e.attr_str("rel").is_some_and(|r| {
                        r.split_whitespace()
                            .any(|t| t.eq_ignore_ascii_case("canonical"))
                    }) =>
            {
                f.canonical = e.attr_str("href").map(|h| h.trim().to_string());
            }
            "title" if f.title_tag.is_none() => {
                let t = raw_text(dom, i as u32);
                if !t.is_empty() {
                    f.title_tag = Some(t);
                }
            }
            "h1" if f.h1.is_none() => {
                let t = dom.text_of(i as u32);
                if !t.is_empty() {
                    f.h1 = Some(t);
                }
            }
            _ if f.dom_byline.is_none()
                && n.flags & super::dom::flag::JUNK == 0
                && is_byline(e) =>
            {
                // Prefer a "name" part of a byline box that also holds the date.
                let end = n.end;
                let name_part = ((i as u32 + 1)..end).find(|&j| {
                    dom.nodes[j as usize]
                        .elem()
                        .and_then(|c| c.attr_str("class").or_else(|| c.attr_str("itemprop")))
                        .is_some_and(|c| c.contains("name"))
                });
                let t = dom.text_of(name_part.unwrap_or(i as u32));
                let t = t
                    .trim_start_matches(|c: char| !c.is_alphanumeric())
                    .trim_start_matches("By ")
                    .trim_start_matches("by ")
                    .trim();
                if (2..100).contains(&t.chars().count()) {
                    f.dom_byline = Some(t.to_string());
                }
            }
            "time" if f.time.is_none() => {
                f.time = e.attr_str("datetime").map(str::to_string);
            }
            "script"
                if e.attr_str("type")
                    .is_some_and(|t| t.trim().eq_ignore_ascii_case("application/ld+json")) =>
            {
                let raw = raw_text(dom, i as u32);
                if let Some(v) = parse_json_ld(&raw) {
                    json_ld(&v, &mut f);
                }
            }
            _ => {}
        }
    }
    f
}

/// Decodes character references left in a metadata value. JSON-LD strings are not HTML,
/// yet publishers write `&#163;` and `&amp;` in them, and `og:title` is often escaped twice
/// (`&amp;#8220;`, read once by the parser): a headline never means the literal reference.
fn decode_entities(s: &str) -> String {
    if s.contains('&') {
        html_escape::decode_html_entities(s).into_owned()
    } else {
        s.to_string()
    }
}

/// Parses a JSON-LD block as publishers write them: some CMSs wrap it in `<![CDATA[ ]]>`
/// (or `//<![CDATA[`, `<!-- -->`), some end it with a stray `;`. The first JSON value is
/// taken; anything after it is ignored.
fn parse_json_ld(raw: &str) -> Option<Value> {
    let mut s = raw.trim();
    loop {
        let before = s.len();
        for p in ["/*<![CDATA[*/", "//<![CDATA[", "<![CDATA[", "<!--"] {
            s = s.strip_prefix(p).unwrap_or(s).trim_start();
        }
        for p in ["/*]]>*/", "//]]>", "]]>", "-->"] {
            s = s.strip_suffix(p).unwrap_or(s).trim_end();
        }
        if s.len() == before {
            break;
        }
    }
    serde_json::Deserializer::from_str(s)
        .into_iter::<Value>()
        .next()?
        .ok()
}

fn is_byline(e: &scraper::node::Element) -> bool {
    if e.attr_str("rel") == Some("author")
        || e.attr_str("itemprop").is_some_and(|p| p.contains("author"))
    {
        return true;
    }
    [e.attr_str("class"), e.attr_str("id")]
        .into_iter()
        .flatten()
        .any(|v| {
            let v = v.to_ascii_lowercase();
            v.contains("byline") || v.split([' ', '-', '_']).any(|t| t == "author")
        })
}

fn raw_text(dom: &Dom<'_>, i: u32) -> String {
    let mut s = String::new();
    for c in dom.children(i) {
        if let Kind::Text(t) = dom.nodes[c as usize].kind {
            s.push_str(t);
        }
    }
    super::collapse(&s)
}

fn is_article_type(ty: &Value) -> bool {
    let check = |s: &str| s.contains("Article") || s.contains("Posting") || s == "Report";
    match ty {
        Value::String(s) => check(s),
        Value::Array(a) => a.iter().filter_map(Value::as_str).any(check),
        _ => false,
    }
}

fn json_ld(v: &Value, f: &mut Found) {
    // Iterative: JSON-LD nesting is attacker-controlled.
    let mut stack = vec![v];
    let mut budget = 10_000;
    while let Some(v) = stack.pop() {
        budget -= 1;
        if budget == 0 {
            return;
        }
        match v {
            Value::Array(a) => stack.extend(a.iter().rev()),
            Value::Object(o) => {
                if let Some(g) = o.get("@graph") {
                    stack.push(g);
                }
                if !o.get("@type").is_some_and(is_article_type) {
                    continue;
                }
                let s = |k: &str| o.get(k).and_then(Value::as_str).map(super::collapse);
                if f.ld_headline.is_none() {
                    let raw = |k: &str| {
                        o.get(k)
                            .and_then(Value::as_str)
                            .map(|t| t.trim().to_string())
                            .filter(|t| !t.is_empty())
                    };
                    f.ld_headline = raw("headline").or_else(|| raw("name"));
                }
                if f.ld_published.is_none() {
                    f.ld_published = s("datePublished").or_else(|| s("dateCreated"));
                }
                if f.ld_modified.is_none() {
                    f.ld_modified = s("dateModified");
                }
                if f.ld_author.is_none() {
                    f.ld_author = o.get("author").and_then(author_name);
                }
                if f.ld_keywords.is_empty() {
                    if let Some(k) = o.get("keywords") {
                        f.ld_keywords = match k {
                            Value::String(s) => split_tags(s),
                            Value::Array(a) => a
                                .iter()
                                .filter_map(Value::as_str)
                                .map(|t| t.trim().to_string())
                                .filter(|t| !t.is_empty())
                                .collect(),
                            _ => Vec::new(),
                        };
                    }
                }
                if f.ld_lang.is_none() {
                    f.ld_lang = s("inLanguage");
                }
            }
            _ => {}
        }
    }
}

fn split_tags(s: &str) -> Vec<String> {
    s.split([',', '،'])
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty())
        .collect()
}

fn author_name(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(super::collapse(s)).filter(|s| !s.is_empty()),
        Value::Object(o) => o
            .get("name")
            .and_then(Value::as_str)
            .map(super::collapse)
            .filter(|s| !s.is_empty()),
        Value::Array(a) => {
            let names: Vec<String> = a.iter().take(20).filter_map(author_name).collect();
            (!names.is_empty()).then(|| names.join(", "))
        }
        _ => None,
    }
}

/// Lower case without diacritics, for comparing names ("Aktuálně.cz" = "aktualne.cz").
fn fold_accents(s: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    s.nfd()
        .filter(|c| !unicode_normalization::char::is_combining_mark(*c))
        .collect::<String>()
        .to_lowercase()
}

/// Removes a " | Site" / " - Site" suffix naming the site (`og:site_name` or the host).
fn strip_site_name(title: &str, site: Option<&str>, base: &Url) -> String {
    let host = base.host_str().unwrap_or_default().to_lowercase();
    let labels: Vec<&str> = host.split('.').collect();
    // Host labels that can name the site: not the TLD, not "www", at least 4 letters.
    let names: Vec<String> = labels[..labels.len().saturating_sub(1)]
        .iter()
        .filter(|l| l.len() >= 4 && **l != "www")
        .map(|l| l.replace('-', ""))
        .collect();
    for sep in [" | ", " - ", " — ", " – ", " :: "] {
        if let Some((head, tail)) = title.rsplit_once(sep) {
            let tail_l = fold_accents(tail.trim());
            let names_site = site.is_some_and(|s| fold_accents(s.trim()) == tail_l)
                || names
                    .iter()
                    .any(|n| tail_l.replace([' ', '.', '-'], "").contains(n.as_str()));
            if names_site && head.trim().chars().count() >= 10 {
                return head.trim().to_string();
            }
        }
    }
    title.trim().to_string()
}

/// Parses the date formats pages use; UTC. A date without a time is midnight UTC; a time
/// without an offset is taken as UTC.
pub fn parse_date(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if s.is_empty() || s.len() > 64 {
        return None;
    }
    if let Ok(d) = DateTime::parse_from_rfc3339(s) {
        return Some(d.with_timezone(&Utc));
    }
    if let Ok(d) = DateTime::parse_from_rfc2822(s) {
        return Some(d.with_timezone(&Utc));
    }
    for fmt in [
        "%Y-%m-%dT%H:%M:%S%.f%z",
        "%Y-%m-%dT%H:%M%z",
        "%Y-%m-%d %H:%M:%S%.f%z",
        "%Y-%m-%d %H:%M:%S %z",
    ] {
        if let Ok(d) = DateTime::parse_from_str(s, fmt) {
            return Some(d.with_timezone(&Utc));
        }
    }
    let naive = s.trim_end_matches('Z');
    for fmt in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%d %H:%M",
    ] {
        if let Ok(d) = NaiveDateTime::parse_from_str(naive, fmt) {
            return Some(d.and_utc());
        }
    }
    for fmt in ["%Y-%m-%d", "%Y/%m/%d", "%d.%m.%Y", "%Y%m%d"] {
        if let Ok(d) = NaiveDate::parse_from_str(s.get(..10).unwrap_or(s), fmt) {
            return d.and_hms_opt(0, 0, 0).map(|n| n.and_utc());
        }
    }
    None
}

/// Reads a date written for people: `21/11/2025 - 15:08`, `21.11.2025`, `2025-11-21 15:08`,
/// with the offset when the line names it (`GMT+0400`, `(بتوقيت إسطنبول)` / Istanbul /
/// Mecca time = +03:00); UTC otherwise.
pub fn parse_text_date(s: &str) -> Option<DateTime<Utc>> {
    use regex::Regex;
    use std::sync::LazyLock;
    static DMY: LazyLock<Option<Regex>> = LazyLock::new(|| {
        Regex::new(r"(\d{1,2})[/.](\d{1,2})[/.](\d{4})(?:\D{1,5}(\d{1,2}):(\d{2}))?").ok()
    });
    static YMD: LazyLock<Option<Regex>> = LazyLock::new(|| {
        Regex::new(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:\D{1,5}(\d{1,2}):(\d{2}))?").ok()
    });
    static GMT: LazyLock<Option<Regex>> =
        LazyLock::new(|| Regex::new(r"(?:GMT|UTC)\s*([+-])(\d{1,2}):?(\d{2})?").ok());
    let num =
        |c: &regex::Captures<'_>, i: usize| c.get(i).and_then(|m| m.as_str().parse::<u32>().ok());
    let (y, m, d, hh, mm) = if let Some(c) = YMD.as_ref().and_then(|r| r.captures(s)) {
        (
            num(&c, 1)?,
            num(&c, 2)?,
            num(&c, 3)?,
            num(&c, 4),
            num(&c, 5),
        )
    } else if let Some(c) = DMY.as_ref().and_then(|r| r.captures(s)) {
        (
            num(&c, 3)?,
            num(&c, 2)?,
            num(&c, 1)?,
            num(&c, 4),
            num(&c, 5),
        )
    } else {
        return None;
    };
    let naive = NaiveDate::from_ymd_opt(y as i32, m, d)?.and_hms_opt(
        hh.unwrap_or(0),
        mm.unwrap_or(0),
        0,
    )?;
    let offset_min: i64 = if let Some(c) = GMT.as_ref().and_then(|r| r.captures(s)) {
        let sign = if c.get(1).is_some_and(|m| m.as_str() == "-") {
            -1
        } else {
            1
        };
        let h = num(&c, 2).unwrap_or(0) as i64;
        let mi = num(&c, 3).unwrap_or(0) as i64;
        sign * (h * 60 + mi)
    } else if [
        "إسطنبول",
        "اسطنبول",
        "Istanbul",
        "مكة",
        "Mecca",
        "Riyadh",
        "الرياض",
        "أنقرة",
    ]
    .iter()
    .any(|k| s.contains(k))
    {
        180
    } else {
        0
    };
    Some(naive.and_utc() - chrono::Duration::minutes(offset_min))
}

/// Fills the metadata fields of `out` from what was found.
pub(crate) fn apply(f: &Found, base: &Url, out: &mut Extracted) {
    if out.title.is_none() {
        // Meta values are only trimmed: publishers' titles are kept as written.
        let site = f.meta(&["og:site_name", "application-name"]);
        // The visible headline, when the page's `<title>` repeats it word for word, wins
        // over the JSON-LD / OpenGraph headline: those are often a shorter variant written
        // for search and social cards ("New York ramps up mass burials amid virus outbreak"
        // for the headline "Coronavirus: New York ramps up mass burials amid outbreak").
        let confirmed_h1 = f.h1.as_deref().map(super::collapse).filter(|h| {
            f.title_tag
                .as_deref()
                .is_some_and(|t| strip_site_name(t, site, base) == *h)
        });
        out.title = confirmed_h1
            .or_else(|| f.ld_headline.clone())
            .or_else(|| f.meta(&["og:title", "twitter:title"]).map(str::to_string))
            .or_else(|| f.h1.clone())
            .or_else(|| f.title_tag.clone())
            .map(|t| strip_site_name(&decode_entities(&t), site, base));
    }
    if out.published.is_none() {
        out.published = [
            f.ld_published.as_deref(),
            f.meta(&[
                "article:published_time",
                "datepublished",
                "og:published_time",
                "article:published",
                "pubdate",
                "publishdate",
                "publish-date",
                "dc.date.issued",
                "dcterms.created",
                "dc.date",
                "date",
                "sailthru.date",
                "parsely-pub-date",
            ]),
            f.time.as_deref(),
        ]
        .into_iter()
        .flatten()
        .find_map(parse_date);
    }
    out.updated = [
        f.ld_modified.as_deref(),
        f.meta(&[
            "article:modified_time",
            "datemodified",
            "og:updated_time",
            "dcterms.modified",
        ]),
    ]
    .into_iter()
    .flatten()
    .find_map(parse_date);
    if out.byline.is_none() {
        out.byline = f.ld_author.clone().or_else(|| {
            [
                "article:author",
                "og:article:author",
                "cxenseparse:author",
                "parsely-author",
                "sailthru.author",
                "author",
                "dc.creator",
                "byl",
            ]
            .iter()
            .filter_map(|k| f.meta(&[k]))
            .find(|a| !a.starts_with("http"))
            .map(super::collapse)
            .or_else(|| f.dom_byline.clone())
        });
        // "By Jane Doe" → "Jane Doe".
        out.byline = out.byline.take().map(|b| {
            let b = decode_entities(&b);
            b.strip_prefix("By ")
                .or_else(|| b.strip_prefix("by "))
                .or_else(|| b.strip_prefix("BY "))
                .map_or(b.clone(), |r| r.trim().to_string())
        });
    }
    out.tags = if f.ld_keywords.is_empty() {
        let mut t: Vec<String> = f
            .meta
            .iter()
            .filter(|(k, _)| k == "article:tag")
            .map(|(_, v)| v.trim().to_string())
            .filter(|v| !v.is_empty())
            .collect();
        if t.is_empty() {
            t = f
                .meta(&["news_keywords", "keywords"])
                .map(split_tags)
                .unwrap_or_default();
        }
        t
    } else {
        f.ld_keywords.clone()
    };
    out.lang = f
        .html_lang
        .clone()
        .or_else(|| f.ld_lang.clone())
        .or_else(|| {
            f.meta(&["og:locale", "content-language", "language", "dc.language"])
                .map(|l| l.replace('_', "-"))
        });
    out.dir = f.html_dir.clone();
    out.canonical_url = f
        .canonical
        .as_deref()
        .or_else(|| f.meta(&["og:url"]))
        .and_then(|c| base.join(c).ok())
        .filter(|u| matches!(u.scheme(), "http" | "https"))
        .map(|u| u.to_string());
    out.lead_image = f
        .meta(&[
            "og:image",
            "og:image:url",
            "twitter:image",
            "twitter:image:src",
        ])
        .and_then(|c| base.join(c).ok())
        .filter(|u| matches!(u.scheme(), "http" | "https"))
        .map(|u| u.to_string());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_ld_in_cdata_or_with_trailing_junk_is_read() {
        for raw in [
            "<![CDATA[ {\"headline\": \"h\"} ]]>",
            "//<![CDATA[\n{\"headline\": \"h\"}\n//]]>",
            "<!-- {\"headline\": \"h\"} -->",
            "{\"headline\": \"h\"};",
        ] {
            let v = parse_json_ld(raw);
            assert_eq!(
                v.as_ref().and_then(|v| v["headline"].as_str()),
                Some("h"),
                "{raw}"
            );
        }
        assert!(parse_json_ld("<![CDATA[ ]]>").is_none());
    }

    #[test]
    fn visible_headline_repeated_by_title_tag_beats_json_ld() {
        let base = Url::parse("https://www.example.com/a").expect("url");
        let mut f = Found {
            ld_headline: Some("Short SEO headline".into()),
            h1: Some("The  full headline".into()),
            title_tag: Some("The full headline - Example".into()),
            ..Found::default()
        };
        let mut out = Extracted::default();
        apply(&f, &base, &mut out);
        assert_eq!(out.title.as_deref(), Some("The full headline"));
        // Without the <title> agreeing, JSON-LD keeps precedence.
        f.title_tag = Some("Something else - Example".into());
        let mut out = Extracted::default();
        apply(&f, &base, &mut out);
        assert_eq!(out.title.as_deref(), Some("Short SEO headline"));
    }

    #[test]
    fn character_references_in_headline_and_byline_are_decoded() {
        let base = Url::parse("https://www.example.com/a").expect("url");
        let f = Found {
            ld_headline: Some("Chelsea pay &#163;71.6m &amp; more, AT&T says".into()),
            ld_author: Some("By Jos&eacute; Silva".into()),
            ..Found::default()
        };
        let mut out = Extracted::default();
        apply(&f, &base, &mut out);
        assert_eq!(
            out.title.as_deref(),
            Some("Chelsea pay £71.6m & more, AT&T says")
        );
        assert_eq!(out.byline.as_deref(), Some("José Silva"));
    }

    #[test]
    fn meta_keys_are_lower_case_and_unique() {
        for (i, k) in META_KEYS.iter().enumerate() {
            assert_eq!(*k, k.to_ascii_lowercase());
            assert!(!META_KEYS[..i].contains(k), "{k} twice");
        }
    }

    #[test]
    fn dates_become_utc() {
        let d = parse_date("2025-11-21T15:08:00+03:00").map(|d| d.to_rfc3339());
        assert_eq!(d.as_deref(), Some("2025-11-21T12:08:00+00:00"));
        let d = parse_date("2021-11-01T10:52:50+0100").map(|d| d.to_rfc3339());
        assert_eq!(d.as_deref(), Some("2021-11-01T09:52:50+00:00"));
        let d = parse_date("2023-10-18").map(|d| d.to_rfc3339());
        assert_eq!(d.as_deref(), Some("2023-10-18T00:00:00+00:00"));
        assert_eq!(parse_date("yesterday"), None);
        let d =
            parse_text_date("الجمعة 21/11/2025 - 15:08 (بتوقيت إسطنبول)").map(|d| d.to_rfc3339());
        assert_eq!(d.as_deref(), Some("2025-11-21T12:08:00+00:00"));
    }
}
