//! Resolving relative URLs: single links, and the `href` / `src` attributes inside HTML
//! fragments (RFC 3986 §5 reference resolution, via `url::Url::join`).

use std::borrow::Cow;
use url::Url;

/// Resolves `href` against `base`; absolute or unresolvable references come back unchanged.
pub(crate) fn resolve(href: &str, base: Option<&Url>) -> String {
    let href = href.trim();
    match Url::parse(href) {
        Ok(u) => u.to_string(),
        Err(url::ParseError::RelativeUrlWithoutBase) => match base {
            Some(b) => b
                .join(href)
                .map_or_else(|_| href.to_string(), |u| u.to_string()),
            None => href.to_string(),
        },
        Err(_) => href.to_string(),
    }
}

fn is_relative(v: &str) -> bool {
    let v = v.trim();
    if v.is_empty() || v.starts_with('#') {
        return false;
    }
    // A scheme (RFC 3986 §3.1) before any `/`, `?` or `#` makes it absolute: no URL parse needed.
    match v.find([':', '/', '?', '#']) {
        Some(p) if v.as_bytes()[p] == b':' => {
            let scheme = &v[..p];
            !(scheme.starts_with(|c: char| c.is_ascii_alphabetic())
                && scheme
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')))
        }
        _ => true,
    }
}

/// Rewrites relative `href="…"` / `src="…"` attribute values in an HTML fragment to absolute
/// URLs. A fast scan, not a full HTML parse: it only touches attribute-shaped text inside tags.
pub(crate) fn resolve_html_urls<'a>(html: &'a str, base: &Url) -> Cow<'a, str> {
    resolve_html_urls_with(html, || Some(base.clone()))
}

/// Like [`resolve_html_urls`], with the base computed only when a relative URL is found.
pub(crate) fn resolve_html_urls_with(
    html: &str,
    base: impl FnOnce() -> Option<Url>,
) -> Cow<'_, str> {
    let mut base = Some(base);
    let mut base_url: Option<Url> = None;
    let b = html.as_bytes();
    let mut out: Option<String> = None;
    let mut copied = 0;
    // Attribute values are found from their `=` (a vectorised search); whether the `=` is
    // inside a tag is decided by the last `<` or `>` before it. Bytes before `scanned` are
    // accounted for in `in_tag`; a resolved value is skipped whole.
    let mut in_tag = false;
    let mut scanned = 0;
    let mut from = 0;
    while let Some(off) = memchr::memchr(b'=', &b[from..]) {
        let eq = from + off;
        from = eq + 1;
        let name_len = if eq >= 4 && b[eq - 4..eq].eq_ignore_ascii_case(b"href") {
            4
        } else if eq >= 3 && b[eq - 3..eq].eq_ignore_ascii_case(b"src") {
            3
        } else {
            continue;
        };
        // The name must follow whitespace (`data-src=` is another attribute).
        let ws = eq - name_len;
        if ws == 0 || !b[ws - 1].is_ascii_whitespace() {
            continue;
        }
        if let Some(seg) = b.get(scanned..ws - 1) {
            if let Some(p) = memchr::memrchr2(b'<', b'>', seg) {
                in_tag = seg[p] == b'<';
            }
            scanned = ws - 1;
        }
        if !in_tag {
            continue;
        }
        let vstart = eq + 1;
        let (vs, ve, next) = match b.get(vstart) {
            Some(q @ (b'"' | b'\'')) => match memchr::memchr(*q, &b[vstart + 1..]) {
                Some(p) => (vstart + 1, vstart + 1 + p, vstart + 2 + p),
                None => break,
            },
            Some(_) => {
                let end = b[vstart..]
                    .iter()
                    .position(|x| x.is_ascii_whitespace() || *x == b'>')
                    .map_or(b.len(), |p| vstart + p);
                (vstart, end, end)
            }
            None => break,
        };
        from = next.max(from);
        scanned = next;
        let value = &html[vs..ve];
        // Attribute values in HTML may hold `&amp;`; resolve on the decoded form.
        let decoded = if value.contains('&') {
            Cow::Owned(value.replace("&amp;", "&"))
        } else {
            Cow::Borrowed(value)
        };
        if is_relative(&decoded) {
            if let Some(f) = base.take() {
                base_url = f();
            }
            let Some(base) = base_url.as_ref() else {
                return Cow::Borrowed(html);
            };
            if let Ok(abs) = base.join(decoded.trim()) {
                let o = out.get_or_insert_with(|| String::with_capacity(html.len() + 64));
                o.push_str(&html[copied..vs]);
                o.push_str(&abs.as_str().replace('&', "&amp;").replace('"', "%22"));
                copied = ve;
            }
        }
    }
    match out {
        Some(mut o) => {
            o.push_str(&html[copied..]);
            Cow::Owned(o)
        }
        None => Cow::Borrowed(html),
    }
}

/// Whether an XML document (possibly holding escaped or CDATA HTML) may hold a URL reference
/// that an `xml:base` could change: an `href`, `src` or `url` value, quoted, entity-quoted or
/// bare, that does not start with a scheme (RFC 3986 §4.3), a `<link>` element whose text does
/// not, or any `rdf:about` / `rdf:resource`. Conservative: whatever it cannot read counts as
/// such a reference, so a `false` means XML Base resolution would change nothing.
pub(crate) fn may_hold_relative_refs(text: &str) -> bool {
    let b = text.as_bytes();
    if memchr::memmem::find(b, b"rdf:about").is_some()
        || memchr::memmem::find(b, b"rdf:resource").is_some()
    {
        return true;
    }
    for eq in memchr::memchr_iter(b'=', b) {
        // The name (at most 4 bytes) and the whitespace before it; looking further back
        // would only make long unspaced runs (query strings) costly.
        let lo = eq.saturating_sub(16);
        let Some(name_end) = b[lo..eq]
            .iter()
            .rposition(|c| !c.is_ascii_whitespace())
            .map(|p| lo + p + 1)
        else {
            continue;
        };
        let lo = name_end.saturating_sub(5);
        let Some(name_start) = b[lo..name_end]
            .iter()
            .rposition(|c| c.is_ascii_whitespace())
            .map(|p| lo + p + 1)
        else {
            continue;
        };
        let name = &b[name_start..name_end];
        if !(name.eq_ignore_ascii_case(b"href")
            || name.eq_ignore_ascii_case(b"src")
            || name.eq_ignore_ascii_case(b"url"))
        {
            continue;
        }
        let mut v = &b[eq + 1..];
        v = &v[v.iter().take_while(|c| c.is_ascii_whitespace()).count()..];
        if let Some(q) = [
            &b"\""[..],
            b"'",
            b"&quot;",
            b"&#34;",
            b"&#x22;",
            b"&apos;",
            b"&#39;",
            b"&#x27;",
        ]
        .iter()
        .find(|q| v.starts_with(q))
        {
            v = &v[q.len()..];
        }
        if !starts_with_scheme(v) {
            return true;
        }
    }
    for p in memchr::memmem::find_iter(b, b"link") {
        let opens = p > 0 && matches!(b[p - 1], b'<' | b':');
        let Some(&after) = b.get(p + 4) else { break };
        if !opens || !(after == b'>' || after.is_ascii_whitespace()) {
            continue;
        }
        let Some(gt) = memchr::memchr(b'>', &b[p..]).map(|g| p + g) else {
            return true;
        };
        if b[gt - 1] == b'/' {
            continue;
        }
        let rest = &b[gt + 1..];
        let v = &rest[rest.iter().take_while(|c| c.is_ascii_whitespace()).count()..];
        if !(v.starts_with(b"</") || starts_with_scheme(v)) {
            return true;
        }
    }
    false
}

/// Whether `v` begins with a URI scheme and its `:` (RFC 3986 §3.1).
fn starts_with_scheme(v: &[u8]) -> bool {
    v.first().is_some_and(u8::is_ascii_alphabetic)
        && v.iter()
            .position(|c| !(c.is_ascii_alphanumeric() || matches!(c, b'+' | b'-' | b'.')))
            .is_some_and(|p| v[p] == b':')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_relative_attributes_only() {
        let base = Url::parse("https://www.example.com/blog/2024/03/x.html").unwrap();
        let html = r##"<p><img src="images/chart.png"> <a href='/about'>a</a> <a href="mailto:e@x">m</a> <a href="//static.example.net/s">s</a> <a href="#top">t</a></p>"##;
        assert_eq!(
            resolve_html_urls(html, &base),
            r##"<p><img src="https://www.example.com/blog/2024/03/images/chart.png"> <a href='https://www.example.com/about'>a</a> <a href="mailto:e@x">m</a> <a href="https://static.example.net/s">s</a> <a href="#top">t</a></p>"##
        );
    }

    #[test]
    fn finds_references_an_xml_base_could_change() {
        let abs = r#"<feed xml:base="https://x.org/"><link href="https://x.org/a"/><link>https://x.org/</link><link></link><content type="html">&lt;a href=&quot;https://x.org/b&quot;&gt;&lt;img SRC='http://x.org/c.png'&gt;</content><a data-src="d.png" title="u?url=e">x</a></feed>"#;
        assert!(!may_hold_relative_refs(abs));
        for rel in [
            r#"<a href="/about">"#,
            r#"&lt;img src=&quot;images/c.png&quot;&gt;"#,
            r#"<a href=#top>"#,
            r#"<a href="">"#,
            r#"<img src = "//cdn.x.org/p.png">"#,
            r#"<a href="&#104;ttp://x.org/">"#,
            "<link>\n  /post/1</link>",
            r#"<atom:link rel="x">p/2</atom:link>"#,
            r#"<item rdf:about="https://x.org/1">"#,
        ] {
            assert!(may_hold_relative_refs(rel), "{rel}");
        }
    }
}
