//! Choosing the article's container, readability-style: paragraphs give points to their
//! ancestors (more to near ones), scores are cut by link density and moved by class/id
//! words, the winner may climb to a parent that holds several strong candidates, and
//! siblings that look like more of the article join it.

use super::dom::AttrExt;
use super::dom::{self, Dom, Kind, NONE, flag};

/// Text lengths are counted without whitespace, so readability's thresholds (which count
/// spaces) are scaled by about 0.85.
const MIN_PARA: u32 = 20;

fn base_score(tag: &str) -> f32 {
    match tag {
        "div" | "article" | "section" | "main" => 5.0,
        "pre" | "td" | "blockquote" => 3.0,
        "address" | "ol" | "ul" | "dl" | "dd" | "dt" | "li" | "form" => -3.0,
        "h1" | "h2" | "h3" | "h4" | "h5" | "h6" | "th" => -5.0,
        _ => 0.0,
    }
}

/// Paragraph-like units: `<p>`, `<pre>`, `<td>`, and the direct text of any other element
/// (readability wraps such text runs in paragraphs). Returns (length, commas, runs, first
/// ancestor to credit).
fn paragraph(dom: &Dom<'_>, i: usize) -> Option<(u32, u32, u32, u32)> {
    let n = &dom.nodes[i];
    match n.tag {
        "p" | "pre" | "td" => Some((n.text_len, n.commas, 1, n.parent)),
        "a" | "li" | "h1" | "h2" | "h3" | "h4" | "h5" | "h6" | "th" | "dt" | "option"
        | "button" | "label" | "figcaption" | "caption" => None,
        _ if n.own_runs > 0 && n.own_text >= MIN_PARA => {
            // Inline wrappers credit their block ancestor.
            let target = if dom::is_block(n.tag) {
                i as u32
            } else {
                n.parent
            };
            Some((n.own_text, n.own_commas, n.own_runs, target))
        }
        _ => None,
    }
}

/// Returns the chosen container and the siblings that join it, in document order, or
/// `None` when nothing scored.
pub(crate) fn choose(dom: &Dom<'_>) -> Option<Vec<u32>> {
    let nodes = &dom.nodes;
    let mut score: Vec<f32> = vec![f32::NAN; nodes.len()];
    let mut candidates: Vec<u32> = Vec::new();
    for i in 0..nodes.len() {
        let n = &nodes[i];
        if n.elem().is_none() || n.flags & (flag::JUNK | flag::BOILER) != 0 {
            continue;
        }
        let Some((len, commas, runs, first)) = paragraph(dom, i) else {
            continue;
        };
        if len < MIN_PARA {
            continue;
        }
        let s = runs as f32 + commas as f32 + (len as f32 / 85.0).min(3.0 * runs as f32);
        let mut anc = first;
        let mut level = 0u32;
        while anc != NONE && level < 5 {
            let a = &nodes[anc as usize];
            if matches!(a.tag, "html" | "") {
                break;
            }
            if score[anc as usize].is_nan() {
                score[anc as usize] = base_score(a.tag) + a.weight as f32;
                candidates.push(anc);
            }
            let div = match level {
                0 => 1.0,
                1 => 2.0,
                l => l as f32 * 3.0,
            };
            score[anc as usize] += s / div;
            anc = a.parent;
            level += 1;
        }
    }
    if candidates.is_empty() {
        return None;
    }
    for &c in &candidates {
        let n = &nodes[c as usize];
        score[c as usize] *= 1.0 - n.link_density();
    }
    candidates.sort_by(|a, b| score[*b as usize].total_cmp(&score[*a as usize]));
    let mut top = candidates[0];
    let top_score = score[top as usize];
    if top_score <= 0.0 {
        return None;
    }

    // Several strong candidates under one ancestor: the article is that ancestor.
    let alts: Vec<u32> = candidates[1..candidates.len().min(5)]
        .iter()
        .copied()
        .filter(|&c| score[c as usize] / top_score >= 0.75)
        .collect();
    if alts.len() >= 3 {
        let mut p = nodes[top as usize].parent;
        while p != NONE && !matches!(nodes[p as usize].tag, "body" | "html") {
            let (start, end) = (p, nodes[p as usize].end);
            let inside = alts.iter().filter(|&&a| a > start && a < end).count();
            if inside >= 3 {
                top = p;
                break;
            }
            p = nodes[p as usize].parent;
        }
    }
    if score[top as usize].is_nan() {
        score[top as usize] = base_score(nodes[top as usize].tag);
    }

    // Climb while the parent scores better.
    let mut last = score[top as usize];
    let threshold = last / 3.0;
    let mut p = nodes[top as usize].parent;
    while p != NONE && !matches!(nodes[p as usize].tag, "body" | "html") {
        let ps = score[p as usize];
        if ps.is_nan() {
            p = nodes[p as usize].parent;
            continue;
        }
        if ps < threshold {
            break;
        }
        if ps > last {
            top = p;
            break;
        }
        last = ps;
        p = nodes[p as usize].parent;
    }

    // An only child says nothing: use the parent.
    loop {
        let p = nodes[top as usize].parent;
        if p == NONE || matches!(nodes[p as usize].tag, "body" | "html") {
            break;
        }
        let elems = dom
            .children(p)
            .filter(|&c| matches!(nodes[c as usize].kind, Kind::Elem(_)))
            .count();
        if elems != 1 {
            break;
        }
        if score[p as usize].is_nan() {
            score[p as usize] = score[top as usize];
        }
        top = p;
    }

    // Siblings that look like more of the article.
    let top_score = score[top as usize].max(0.0);
    let parent = nodes[top as usize].parent;
    if parent == NONE {
        return Some(vec![top]);
    }
    let threshold = (top_score * 0.2).max(10.0);
    let top_class = nodes[top as usize]
        .elem()
        .and_then(|e| e.attr_str("class"))
        .unwrap_or("");
    let mut out = Vec::new();
    for s in dom.children(parent) {
        if s == top {
            out.push(s);
            continue;
        }
        let n = &nodes[s as usize];
        let Some(e) = n.elem() else { continue };
        if n.flags & (flag::JUNK | flag::BOILER) != 0 || n.text_len == 0 {
            continue;
        }
        let bonus = if !top_class.is_empty() && e.attr_str("class") == Some(top_class) {
            top_score * 0.2
        } else {
            0.0
        };
        let ss = score[s as usize];
        if !ss.is_nan() && ss + bonus >= threshold {
            out.push(s);
            continue;
        }
        if n.tag == "p" {
            let ld = n.link_density();
            if n.text_len > 65 && ld < 0.25 {
                out.push(s);
            } else if n.text_len < 65 && ld == 0.0 {
                let t = dom.text_of(s);
                if t.ends_with('.') || t.contains(". ") {
                    out.push(s);
                }
            }
        }
    }
    Some(out)
}
