//! The `query --format table` view: aligned columns for a terminal.
//!
//! Widths are display widths (unicode-width), not bytes or chars, so Arabic, CJK and emoji
//! align. A cell holding right-to-left text is wrapped in FIRST STRONG ISOLATE … POP
//! DIRECTIONAL ISOLATE (U+2068 … U+2069, Unicode Bidirectional Algorithm, UAX #9 §2.7) so a
//! bidi-aware terminal keeps the columns in order instead of reordering the whole line. The
//! last column takes what is left of the width and is cut with `…`.

use super::{Order, article_fields, cell};
use crate::model::Article;
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// How to draw a table.
#[derive(Clone, Debug)]
pub struct TableStyle {
    /// Total width in columns; `None` = no limit.
    pub width: Option<usize>,
    /// Colour with ANSI escapes (only on a terminal, never with `NO_COLOR`).
    pub color: bool,
    /// Columns; empty = `id`, `published`, `feed`, `title`.
    pub fields: Vec<String>,
}

impl TableStyle {
    /// The style for standard output: terminal width and colour on a TTY (colour off when
    /// `NO_COLOR` is set to anything non-empty); `COLUMNS` when not a terminal.
    pub fn for_stdout(fields: Vec<String>) -> TableStyle {
        use std::io::IsTerminal;
        let tty = std::io::stdout().is_terminal();
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        let width = if tty {
            terminal_size::terminal_size().map(|(w, _)| usize::from(w.0))
        } else {
            None
        }
        .or_else(|| std::env::var("COLUMNS").ok()?.trim().parse().ok());
        TableStyle {
            width,
            color: tty && !no_color,
            fields,
        }
    }
}

const DEFAULT_FIELDS: &[&str] = &["id", "published", "feed", "title"];
/// The widest a non-last column may get.
const MAX_COL: usize = 24;

/// Whether text holds a strong right-to-left character (Hebrew, Arabic, Syriac, Thaana, NKo
/// and their presentation forms).
pub fn has_rtl(s: &str) -> bool {
    s.chars().any(|c| {
        matches!(c as u32,
            0x0590..=0x08FF | 0xFB1D..=0xFDFF | 0xFE70..=0xFEFF | 0x10800..=0x10FFF | 0x1E800..=0x1EFFF)
    })
}

/// Cleans a cell: control characters and bidi controls out, whitespace collapsed.
fn clean(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for w in s
        .split(|c: char| c.is_whitespace() || c.is_control())
        .filter(|w| !w.is_empty())
    {
        if !out.is_empty() {
            out.push(' ');
        }
        out.extend(
            w.chars()
                .filter(|c| !matches!(*c as u32, 0x202A..=0x202E | 0x2066..=0x2069)),
        );
    }
    out
}

/// Cuts `s` to at most `max` display columns, ending in `…` when cut.
pub fn truncate(s: &str, max: usize) -> String {
    if s.width() <= max {
        return s.to_string();
    }
    if max == 0 {
        return String::new();
    }
    let mut out = String::new();
    let mut w = 0;
    for c in s.chars() {
        let cw = c.width().unwrap_or(0);
        if w + cw > max - 1 {
            break;
        }
        w += cw;
        out.push(c);
    }
    out.push('…');
    out
}

fn cell_text(field: &str, v: &serde_json::Value) -> String {
    let s = cell(v);
    match field {
        // Dates shown to the minute, in UTC.
        "published" | "updated" | "first_seen" | "last_seen" => {
            chrono::DateTime::parse_from_rfc3339(&s)
                .map(|t| t.format("%Y-%m-%d %H:%M").to_string())
                .unwrap_or_else(|_| if s.is_empty() { "-".into() } else { s })
        }
        _ => clean(&s),
    }
}

/// Renders a table with the default style (no width limit, no colour, default columns).
pub fn table(articles: &[Article]) -> String {
    table_with(
        articles,
        &TableStyle {
            width: None,
            color: false,
            fields: Vec::new(),
        },
        Order::Published,
    )
}

/// Renders a table: a header row, then one row per article.
pub fn table_with(articles: &[Article], style: &TableStyle, order: Order) -> String {
    let fields: Vec<String> = if style.fields.is_empty() {
        DEFAULT_FIELDS.iter().map(|s| s.to_string()).collect()
    } else {
        style.fields.clone()
    };
    let rows: Vec<Vec<String>> = articles
        .iter()
        .map(|a| {
            let v = article_fields(a, &fields, order);
            fields
                .iter()
                .map(|f| cell_text(f, &v[f.as_str()]))
                .collect()
        })
        .collect();
    let header: Vec<String> = fields.iter().map(|f| f.to_uppercase()).collect();
    let n = fields.len();
    // Column widths: the widest cell, capped, except the last column which takes the rest.
    let mut widths: Vec<usize> = (0..n)
        .map(|i| {
            rows.iter()
                .map(|r| r[i].width())
                .chain(std::iter::once(header[i].width()))
                .max()
                .unwrap_or(0)
        })
        .collect();
    for w in widths.iter_mut().take(n.saturating_sub(1)) {
        *w = (*w).min(MAX_COL);
    }
    if let Some(total) = style.width {
        let used: usize = widths[..n - 1].iter().sum::<usize>() + 2 * (n - 1);
        if let Some(last) = widths.last_mut() {
            *last = (*last).min(total.saturating_sub(used).max(1));
        }
    }
    let mut out = String::new();
    let mut line = |cells: &[String], is_header: bool| {
        let mut parts = Vec::with_capacity(n);
        for (i, c) in cells.iter().enumerate() {
            let t = truncate(c, widths[i]);
            let pad = if i + 1 == n {
                0
            } else {
                widths[i].saturating_sub(t.width())
            };
            let mut s = if has_rtl(&t) {
                format!("\u{2068}{t}\u{2069}")
            } else {
                t
            };
            if style.color {
                let code = if is_header {
                    "1"
                } else if i == 0 {
                    "33"
                } else {
                    ""
                };
                if !code.is_empty() {
                    s = format!("\x1b[{code}m{s}\x1b[0m");
                }
            }
            s.push_str(&" ".repeat(pad));
            parts.push(s);
        }
        out.push_str(parts.join("  ").trim_end());
        out.push('\n');
    };
    line(&header, true);
    for r in &rows {
        line(r, false);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncates_by_display_width() {
        assert_eq!(truncate("日本語テキスト", 7), "日本語…");
        assert_eq!(truncate("abc", 3), "abc");
        assert_eq!("مرحبا".width(), 5);
    }
}
