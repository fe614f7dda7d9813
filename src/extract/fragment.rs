//! Plain text of an HTML fragment (a feed's `content:encoded` or summary), with block elements
//! separated by blank lines, the same shape as [`super::Extracted::text`].

use scraper::{Html, Node};

const BLOCKS: &[&str] = &[
    "p",
    "div",
    "br",
    "li",
    "ul",
    "ol",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "blockquote",
    "pre",
    "table",
    "tr",
    "figure",
    "figcaption",
    "section",
    "article",
    "header",
    "footer",
    "hr",
    "dd",
    "dt",
];

/// Converts an HTML fragment to text: tags dropped, entities decoded, runs of whitespace
/// collapsed inside a block, blocks separated by `\n\n`. Scripts and styles are dropped.
/// Iterative, so deeply nested input cannot exhaust the stack.
pub fn fragment_text(html: &str) -> String {
    let frag = Html::parse_fragment(html);
    let mut blocks: Vec<String> = Vec::new();
    let mut current = String::new();
    let flush = |current: &mut String, blocks: &mut Vec<String>| {
        let t = current.split_whitespace().collect::<Vec<_>>().join(" ");
        if !t.is_empty() {
            blocks.push(t);
        }
        current.clear();
    };
    // (node, entering)
    let mut stack = vec![(frag.tree.root(), true)];
    while let Some((node, entering)) = stack.pop() {
        match node.value() {
            Node::Text(t) if entering => {
                current.push_str(t);
            }
            Node::Element(e) => {
                let name = e.name();
                if matches!(name, "script" | "style" | "noscript" | "template") {
                    continue;
                }
                let is_block = BLOCKS.contains(&name);
                if is_block {
                    flush(&mut current, &mut blocks);
                }
                if entering {
                    stack.push((node, false));
                    let children: Vec<_> = node.children().collect();
                    for c in children.into_iter().rev() {
                        stack.push((c, true));
                    }
                }
            }
            _ if entering => {
                let children: Vec<_> = node.children().collect();
                for c in children.into_iter().rev() {
                    stack.push((c, true));
                }
            }
            _ => {}
        }
    }
    flush(&mut current, &mut blocks);
    blocks.join("\n\n")
}

#[cfg(test)]
mod tests {
    #[test]
    fn blocks_are_separated() {
        assert_eq!(
            super::fragment_text("<p>one <b>two</b></p><p>three&amp;four</p>text"),
            "one two\n\nthree&four\n\ntext"
        );
    }
}
