//! Removing the contents of `<script>` (except JSON-LD) and `<style>` before parsing. They are
//! never article text, are often most of a news page's bytes, and tokenising them is most of
//! the parser's time. A plain byte scan: no regex, no recursion, linear time.

use std::borrow::Cow;

fn starts_with_ci(hay: &[u8], needle: &[u8]) -> bool {
    hay.len() >= needle.len() && hay[..needle.len()].eq_ignore_ascii_case(needle)
}

/// Finds `</name` (any case) in `hay`, returning its offset.
fn find_close(hay: &str, name: &[u8]) -> Option<usize> {
    let mut from = 0;
    while let Some(p) = hay.get(from..)?.find("</") {
        let at = from + p;
        if starts_with_ci(&hay.as_bytes()[at + 2..], name) {
            return Some(at);
        }
        from = at + 2;
    }
    None
}

/// The page with script and style bodies emptied (JSON-LD scripts kept).
pub(crate) fn prestrip(html: &str) -> Cow<'_, str> {
    let b = html.as_bytes();
    let mut out: Option<String> = None;
    let mut copied = 0; // bytes of `html` already handled
    let mut i = 0;
    while i + 1 < b.len() {
        let Some(p) = html.get(i..).and_then(|h| h.find('<')) else {
            break;
        };
        let lt = i + p;
        let rest = &b[lt + 1..];
        let name: &[u8] = if starts_with_ci(rest, b"script") {
            b"script"
        } else if starts_with_ci(rest, b"style") {
            b"style"
        } else {
            i = lt + 1;
            continue;
        };
        // The name must end there (`<scripts>` is another element).
        let after = lt + 1 + name.len();
        if b.get(after)
            .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'-')
        {
            i = after;
            continue;
        }
        let Some(gt) = b[after..]
            .iter()
            .position(|&c| c == b'>')
            .map(|g| after + g)
        else {
            break;
        };
        let open_tag = &b[lt..gt];
        let keep = name == b"script"
            && open_tag
                .windows(7)
                .any(|w| w.eq_ignore_ascii_case(b"ld+json"));
        let body_start = gt + 1;
        let Some(close) = html
            .get(body_start..)
            .and_then(|h| find_close(h, name))
            .map(|c| body_start + c)
        else {
            break;
        };
        if !keep && close > body_start {
            let o = out.get_or_insert_with(|| String::with_capacity(html.len()));
            // Both cut points sit next to ASCII '<' / '>' bytes, so they are char boundaries.
            o.push_str(&html[copied..body_start]);
            copied = close;
        }
        i = close + 2;
    }
    match out {
        None => Cow::Borrowed(html),
        Some(mut o) => {
            o.push_str(&html[copied..]);
            Cow::Owned(o)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::prestrip;

    #[test]
    fn empties_scripts_and_styles_keeps_json_ld() {
        let html = "<p>a</p><SCRIPT>var x = '<p>no</p>';</script><style>p{}</STYLE>\
                    <script type=\"application/ld+json\">{\"a\":1}</script><scripts>k</scripts>";
        assert_eq!(
            prestrip(html),
            "<p>a</p><SCRIPT></script><style></STYLE>\
             <script type=\"application/ld+json\">{\"a\":1}</script><scripts>k</scripts>"
        );
        assert_eq!(prestrip("<script>unclosed"), "<script>unclosed");
        assert_eq!(prestrip("<p>é</p><"), "<p>é</p><");
    }
}
