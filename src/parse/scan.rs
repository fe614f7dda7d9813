//! Small textual scans for what feed-rs does not expose: per-item `rdf:about`,
//! `feedburner:origLink`, `guid isPermaLink`, `dcterms:*` dates, and the channel's scheduling
//! hints (`skipHours`, `skipDays`, `sy:updatePeriod` / `sy:updateFrequency`, `ttl`).
//! They run on the fixed-up XML text and only when the markers they look for occur.

use super::FeedHints;

/// What the scan found for one item, in document order.
#[derive(Clone, Debug, Default)]
pub(crate) struct ItemExtra {
    /// RSS 1.0 `rdf:about` of the item.
    pub about: Option<String>,
    /// FeedBurner's `feedburner:origLink`: the article URL behind the proxy link.
    pub orig_link: Option<String>,
    /// False when the guid says `isPermaLink="false"`.
    pub permalink: bool,
    /// `dcterms:issued` / `dcterms:created` / `dcterms:available`.
    pub issued: Option<String>,
    /// `dcterms:modified` / `dc:date`; in an RSS `<item>` also `atom:updated` (and a bare
    /// `<updated>`), which feed-rs reads only in Atom entries.
    pub modified: Option<String>,
    /// RSS `pubDate`, read here too because feed-rs lets a later `dc:date` overwrite it.
    pub pub_date: Option<String>,
    /// `dc:title` / `media:title`, used when the item has no title of its own.
    pub alt_title: Option<String>,
}

/// The result of one pass over the document's tags: every item's start and its extras.
#[derive(Debug, Default)]
pub(crate) struct Scan {
    /// One per `<item>` / `<entry>` start tag (any prefix), in document order.
    pub items: Vec<ItemExtra>,
    /// Offset of the first item start tag.
    pub first_item: Option<usize>,
    /// A `<title>` holds child elements (feed-rs would keep only the text before the first).
    pub title_children: bool,
}

/// Namespaces whose elements the scan reads, with the prefix it knows them by.
const NAMESPACES: &[(&str, &str)] = &[
    ("http://www.w3.org/2005/Atom", "atom"),
    ("http://purl.org/dc/elements/1.1/", "dc"),
    ("http://purl.org/dc/elements/1.0/", "dc"),
    ("http://purl.org/dc/terms/", "dcterms"),
    ("http://rssnamespace.org/feedburner/ext/1.0", "feedburner"),
    ("http://search.yahoo.com/mrss/", "media"),
    ("http://search.yahoo.com/mrss", "media"),
];

/// Prefixes the document declares (before its first item) for the namespaces of
/// [`NAMESPACES`] under another name than the usual one (`dublincore:` for `dc:`), each with
/// the usual prefix.
fn prefix_aliases(head: &str) -> Vec<(&str, &'static str)> {
    let mut out = Vec::new();
    for (p, _) in head.match_indices("xmlns:") {
        let rest = &head[p + 6..];
        let Some(eq) = rest.find('=') else { break };
        let prefix = rest[..eq].trim();
        let value = rest[eq + 1..].trim_start();
        let Some(q) = value.chars().next().filter(|c| *c == '"' || *c == '\'') else {
            continue;
        };
        let Some(end) = value[1..].find(q) else {
            continue;
        };
        let uri = value[1..1 + end].trim();
        if let Some((_, usual)) = NAMESPACES.iter().find(|(ns, _)| *ns == uri) {
            if prefix != *usual {
                out.push((prefix, *usual));
            }
        }
    }
    out
}

/// One pass over the tags of `text` (CDATA sections and comments skipped): finds every item
/// and, inside it, the elements feed-rs does not expose. As in feedparser, every item start
/// tag (also an empty `<item/>`) begins an entry, and what follows an item's end tag belongs
/// to no entry until the next one begins.
pub(crate) fn scan(text: &str) -> Scan {
    let mut out = Scan::default();
    let mut from = 0;
    let mut in_title = false;
    let mut item_open = false;
    // The open item is an RSS `<item>` (not an Atom `<entry>`).
    let mut rss_item = false;
    let head_end = memchr::memmem::find(text.as_bytes(), b"<item")
        .or_else(|| memchr::memmem::find(text.as_bytes(), b"<entry"))
        .unwrap_or(text.len());
    let aliases = prefix_aliases(&text[..head_end]);
    let bytes = text.as_bytes();
    // Built once: a one-shot memmem::find sets up its searcher on every call.
    let cdata_end = memchr::memmem::Finder::new(b"]]>");
    let comment_end = memchr::memmem::Finder::new(b"-->");
    while let Some(p) = memchr::memchr(b'<', &bytes[from..]) {
        let at = from + p;
        let rest = &text[at + 1..];
        let rb = rest.as_bytes();
        if in_title {
            in_title = false;
            if !rb.starts_with(b"/") && !rb.starts_with(b"![CDATA[") && !rb.starts_with(b"!--") {
                out.title_children = true;
            }
        }
        if rb.starts_with(b"![CDATA[") {
            from = cdata_end.find(rb).map_or(text.len(), |e| at + 1 + e + 3);
            continue;
        }
        if rb.starts_with(b"!--") {
            from = comment_end.find(rb).map_or(text.len(), |e| at + 1 + e + 3);
            continue;
        }
        from = at + 1;
        if let Some(end) = rb.strip_prefix(b"/") {
            let n = end
                .iter()
                .position(|c| c.is_ascii_whitespace() || *c == b'>')
                .unwrap_or(end.len());
            let local = end[..n]
                .iter()
                .rposition(|c| *c == b':')
                .map_or(&end[..n], |c| &end[c + 1..n]);
            if local == b"item" || local == b"entry" {
                item_open = false;
            }
            continue;
        }
        let name_len = rb
            .iter()
            .position(|c| c.is_ascii_whitespace() || *c == b'>' || *c == b'/')
            .unwrap_or(rb.len());
        // Names end at ASCII bytes, so this is a char boundary.
        let name = &rest[..name_len];
        if name.is_empty() || name.starts_with(['!', '?']) {
            continue;
        }
        let local = local_name(name);
        if local == "title" {
            let tag = &rest[..gt(rest).unwrap_or(rest.len())];
            // Atom xhtml titles hold a <div> by design; feed-rs reads those.
            in_title = !tag.ends_with('/') && !tag.contains("xhtml");
        }
        if local == "item" || local == "entry" {
            let tag = &rest[..gt(rest).unwrap_or(rest.len())];
            out.first_item.get_or_insert(at);
            out.items.push(ItemExtra {
                about: attr(tag, "rdf:about").filter(|a| !a.trim().is_empty()),
                permalink: true,
                ..ItemExtra::default()
            });
            item_open = !tag.ends_with('/');
            rss_item = local == "item";
            continue;
        }
        if !item_open {
            continue;
        }
        let Some(item) = out.items.last_mut() else {
            continue;
        };
        let aliased;
        let name = match name.split_once(':') {
            Some((p, l)) if !aliases.is_empty() => match aliases.iter().find(|(a, _)| *a == p) {
                Some((_, usual)) => {
                    aliased = format!("{usual}:{l}");
                    aliased.as_str()
                }
                None => name,
            },
            _ => name,
        };
        let slot = match name {
            "feedburner:origLink" => &mut item.orig_link,
            "pubDate" => &mut item.pub_date,
            "dcterms:issued" | "dcterms:created" | "dcterms:available" => &mut item.issued,
            "dcterms:modified" | "dc:date" => &mut item.modified,
            "atom:updated" | "updated" if rss_item => &mut item.modified,
            "dc:title" | "media:title" => &mut item.alt_title,
            "guid" => {
                let tag = &rest[..gt(rest).unwrap_or(rest.len())];
                if attr(tag, "isPermaLink").is_some_and(|v| v.trim().eq_ignore_ascii_case("false"))
                {
                    item.permalink = false;
                }
                continue;
            }
            _ => continue,
        };
        if slot.is_none() {
            *slot = text_after(rest);
        }
    }
    out
}

fn attr(tag: &str, name: &str) -> Option<String> {
    let p = find(tag, name)?;
    let rest = tag[p + name.len()..]
        .trim_start()
        .strip_prefix('=')?
        .trim_start();
    let q = rest.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let v = &rest[1..];
    Some(unescape(&v[..v.find(q)?]))
}

fn element_text(seg: &str, name: &str) -> Option<String> {
    let open = format!("<{name}");
    let p = find(seg, &open)?;
    let after = &seg[p + open.len()..];
    if !after.starts_with(['>', ' ', '\t', '\n', '\r']) {
        return None;
    }
    text_after(&seg[p + 1..])
}

fn unescape(s: &str) -> String {
    quick_xml::escape::unescape(s).map_or_else(|_| s.to_string(), |c| c.into_owned())
}

/// The text content of the element whose start tag begins `rest` (just after `<`).
fn text_after(rest: &str) -> Option<String> {
    let gt = gt(rest)?;
    if rest[..gt].ends_with('/') {
        return None;
    }
    let body = &rest[gt + 1..];
    let t = if body.trim_start().starts_with("<![CDATA[") {
        let c = &body.trim_start()["<![CDATA[".len()..];
        c[..c.find("]]>")?].trim().to_string()
    } else {
        unescape(body[..body.find('<')?].trim())
    };
    (!t.is_empty()).then_some(t)
}

/// Channel-level scheduling hints.
pub(crate) fn hints(text: &str, first_item: Option<usize>) -> FeedHints {
    let head = &text[..first_item.unwrap_or(text.len())];
    let text = head;
    let mut h = FeedHints {
        ttl_minutes: element_text(head, "ttl").and_then(|t| t.parse().ok()),
        ..FeedHints::default()
    };
    if let Some(p) = find(text, "<skipHours") {
        let seg = &text[p..find(&text[p..], "</skipHours").map_or(text.len(), |e| p + e)];
        h.skip_hours = values(seg, "hour")
            .filter_map(|v| v.parse::<u8>().ok())
            .filter(|v| *v < 24)
            .collect();
    }
    if let Some(p) = find(text, "<skipDays") {
        let seg = &text[p..find(&text[p..], "</skipDays").map_or(text.len(), |e| p + e)];
        h.skip_days = values(seg, "day").filter(|d| !d.is_empty()).collect();
    }
    let period =
        element_text(head, "sy:updatePeriod").and_then(|p| match p.to_ascii_lowercase().as_str() {
            "hourly" => Some(3_600u64),
            "daily" => Some(86_400),
            "weekly" => Some(604_800),
            "monthly" => Some(2_592_000),
            "yearly" => Some(31_536_000),
            _ => None,
        });
    let freq = element_text(head, "sy:updateFrequency")
        .and_then(|f| f.parse::<u64>().ok())
        .filter(|f| *f > 0);
    if period.is_some() || freq.is_some() {
        // sy module: the default period is daily, the default frequency 1.
        h.update_period_secs = Some(period.unwrap_or(86_400) / freq.unwrap_or(1));
    }
    h
}

/// The name after its prefix. A byte loop: names are short, and `rsplit` sets up a searcher.
pub(crate) fn local_name(name: &str) -> &str {
    name.bytes()
        .rposition(|c| c == b':')
        .map_or(name, |c| &name[c + 1..])
}

/// Offset of the first `>`.
fn gt(s: &str) -> Option<usize> {
    memchr::memchr(b'>', s.as_bytes())
}

/// `str::find` for a string needle, with memchr's vectorised search (the channel head can be
/// the whole document when it has no items).
fn find(hay: &str, needle: &str) -> Option<usize> {
    memchr::memmem::find(hay.as_bytes(), needle.as_bytes())
}

fn values<'a>(seg: &'a str, name: &'a str) -> impl Iterator<Item = String> + 'a {
    let open = format!("<{name}>");
    let close = format!("</{name}>");
    seg.match_indices(open.clone().as_str())
        .filter_map(move |(p, _)| {
            let body = &seg[p + open.len()..];
            body.find(close.as_str())
                .map(|e| body[..e].trim().to_string())
        })
        .collect::<Vec<_>>()
        .into_iter()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hints_from_channel() {
        let s = "<rss><channel><ttl>30</ttl><sy:updatePeriod>hourly</sy:updatePeriod><sy:updateFrequency>2</sy:updateFrequency><skipHours><hour>0</hour><hour>1</hour></skipHours><skipDays><day>Sunday</day></skipDays><item><ttl>5</ttl></item></channel></rss>";
        assert_eq!(
            hints(s, s.find("<item>")),
            FeedHints {
                ttl_minutes: Some(30),
                skip_hours: vec![0, 1],
                skip_days: vec!["Sunday".into()],
                update_period_secs: Some(1800),
            }
        );
    }
}
