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
    /// `dcterms:modified`.
    pub modified: Option<String>,
    /// `dc:title` / `media:title`, used when the item has no title of its own.
    pub alt_title: Option<String>,
}

const MARKERS: &[&str] = &[
    "rdf:about",
    "origLink",
    "isPermaLink",
    "dcterms:",
    "dc:title",
    "media:title",
];

/// Offsets of every `<item` / `<entry` start tag, whatever its prefix.
pub(crate) fn item_starts(text: &str) -> Vec<usize> {
    let b = text.as_bytes();
    let mut starts = Vec::new();
    let mut from = 0;
    while let Some(p) = text[from..].find('<') {
        let at = from + p;
        let rest = &text[at + 1..];
        let name_len = rest
            .find(|c: char| c.is_ascii_whitespace() || c == '>' || c == '/')
            .unwrap_or(rest.len());
        let name = &rest[..name_len];
        let local = name.rsplit(':').next().unwrap_or(name);
        if (local == "item" || local == "entry") && b.get(at + 1 + name_len) != Some(&b'/') {
            starts.push(at);
        }
        from = at + 1;
    }
    starts
}

fn attr(tag: &str, name: &str) -> Option<String> {
    let p = tag.find(name)?;
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
    let p = seg.find(&open)?;
    let after = &seg[p + open.len()..];
    if !after.starts_with(['>', ' ', '\t', '\n', '\r']) {
        return None;
    }
    let gt = after.find('>')?;
    let body = &after[gt + 1..];
    let end = body.find(&format!("</{name}"))?;
    let t = body[..end].trim();
    let t = t
        .strip_prefix("<![CDATA[")
        .and_then(|x| x.strip_suffix("]]>"))
        .unwrap_or(t);
    (!t.is_empty()).then(|| unescape(t.trim()))
}

fn unescape(s: &str) -> String {
    quick_xml::escape::unescape(s).map_or_else(|_| s.to_string(), |c| c.into_owned())
}

/// Per-item extras, or an empty list when the document has none of the markers.
pub(crate) fn item_extras(text: &str) -> Vec<ItemExtra> {
    if !MARKERS.iter().any(|m| text.contains(m)) {
        return Vec::new();
    }
    let starts = item_starts(text);
    let mut out = Vec::with_capacity(starts.len());
    for (k, &s) in starts.iter().enumerate() {
        let end = starts.get(k + 1).copied().unwrap_or(text.len());
        let seg = &text[s..end];
        let tag = &seg[..seg.find('>').unwrap_or(seg.len())];
        let guid_tag = seg
            .find("<guid")
            .map(|p| &seg[p..p + seg[p..].find('>').unwrap_or(0)]);
        out.push(ItemExtra {
            about: attr(tag, "rdf:about").filter(|a| !a.trim().is_empty()),
            orig_link: element_text(seg, "feedburner:origLink"),
            permalink: guid_tag
                .and_then(|t| attr(t, "isPermaLink"))
                .is_none_or(|v| !v.trim().eq_ignore_ascii_case("false")),
            issued: element_text(seg, "dcterms:issued")
                .or_else(|| element_text(seg, "dcterms:created"))
                .or_else(|| element_text(seg, "dcterms:available")),
            modified: element_text(seg, "dcterms:modified")
                .or_else(|| element_text(seg, "dc:date")),
            alt_title: element_text(seg, "dc:title").or_else(|| element_text(seg, "media:title")),
        });
    }
    out
}

/// Channel-level scheduling hints.
pub(crate) fn hints(text: &str) -> FeedHints {
    let head = match item_starts_first(text) {
        Some(p) => &text[..p],
        None => text,
    };
    let mut h = FeedHints {
        ttl_minutes: element_text(head, "ttl").and_then(|t| t.parse().ok()),
        ..FeedHints::default()
    };
    if let Some(p) = text.find("<skipHours") {
        let seg = &text[p..text[p..].find("</skipHours").map_or(text.len(), |e| p + e)];
        h.skip_hours = values(seg, "hour")
            .filter_map(|v| v.parse::<u8>().ok())
            .filter(|v| *v < 24)
            .collect();
    }
    if let Some(p) = text.find("<skipDays") {
        let seg = &text[p..text[p..].find("</skipDays").map_or(text.len(), |e| p + e)];
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

fn item_starts_first(text: &str) -> Option<usize> {
    ["<item>", "<item ", "<entry>", "<entry "]
        .iter()
        .filter_map(|t| text.find(t))
        .min()
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
            hints(s),
            FeedHints {
                ttl_minutes: Some(30),
                skip_hours: vec![0, 1],
                skip_days: vec!["Sunday".into()],
                update_period_secs: Some(1800),
            }
        );
    }
}
