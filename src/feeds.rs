//! Feed management: the config file stays the source of truth and is edited in place with
//! toml_edit, so comments, order and formatting survive `feeds add`, `feeds remove` and
//! `opml import`. Also OPML 2.0 import/export (categories kept as the feed's `group` key) and
//! feed autodiscovery from an HTML page (`<link rel="alternate" type="application/rss+xml">`,
//! the convention of the RSS Advisory Board's autodiscovery spec).

use quick_xml::Reader;
use quick_xml::events::Event;
use std::path::{Path, PathBuf};
use toml_edit::{ArrayOfTables, DocumentMut, Item, Table, value};
use url::Url;

/// A feed-management error, naming the file, URL or feed.
#[derive(Debug, thiserror::Error)]
pub enum FeedsError {
    /// The config file could not be read or written.
    #[error("config {path}: {source}")]
    Io {
        /// Config path.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The config file is not valid TOML.
    #[error("config {path}: {message}")]
    Toml {
        /// Config path.
        path: String,
        /// Parser message.
        message: String,
    },
    /// The edit would make the config invalid, or names a feed that does not exist.
    #[error("{0}")]
    Invalid(String),
    /// The OPML file could not be read.
    #[error("opml {path}: {message}")]
    Opml {
        /// OPML path.
        path: String,
        /// What is wrong.
        message: String,
    },
}

/// One configured feed as the config file writes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FeedEntry {
    /// `name`.
    pub name: String,
    /// `url`.
    pub url: String,
    /// `group` (OPML category), if any.
    pub group: Option<String>,
}

/// A config file opened for editing.
pub struct ConfigDoc {
    path: PathBuf,
    doc: DocumentMut,
}

impl ConfigDoc {
    /// Reads the config file; a missing file gives an empty document (created on save).
    ///
    /// # Errors
    /// [`FeedsError::Io`] or [`FeedsError::Toml`], naming the file.
    pub fn open(path: &Path) -> Result<ConfigDoc, FeedsError> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(e) => {
                return Err(FeedsError::Io {
                    path: path.display().to_string(),
                    source: e,
                });
            }
        };
        let doc = text.parse::<DocumentMut>().map_err(|e| FeedsError::Toml {
            path: path.display().to_string(),
            message: e.to_string(),
        })?;
        Ok(ConfigDoc {
            path: path.to_path_buf(),
            doc,
        })
    }

    /// The `[[feed]]` entries, in file order.
    pub fn feeds(&self) -> Vec<FeedEntry> {
        let Some(arr) = self.doc.get("feed").and_then(Item::as_array_of_tables) else {
            return Vec::new();
        };
        arr.iter()
            .map(|t| FeedEntry {
                name: t.get("name").and_then(Item::as_str).unwrap_or("").into(),
                url: t.get("url").and_then(Item::as_str).unwrap_or("").into(),
                group: t.get("group").and_then(Item::as_str).map(str::to_string),
            })
            .collect()
    }

    /// Appends a `[[feed]]` table.
    ///
    /// # Errors
    /// [`FeedsError::Invalid`] when the name or URL is already configured.
    pub fn add_feed(&mut self, entry: &FeedEntry) -> Result<(), FeedsError> {
        for f in self.feeds() {
            if f.name == entry.name {
                return Err(FeedsError::Invalid(format!(
                    "feeds: a feed named {:?} already exists ({}); choose another with --name",
                    f.name, f.url
                )));
            }
            if f.url == entry.url {
                return Err(FeedsError::Invalid(format!(
                    "feeds: {} is already configured as {:?}",
                    f.url, f.name
                )));
            }
        }
        let mut t = Table::new();
        t.insert("name", value(entry.name.as_str()));
        t.insert("url", value(entry.url.as_str()));
        if let Some(g) = &entry.group {
            t.insert("group", value(g.as_str()));
        }
        match self.doc.get_mut("feed") {
            Some(item) => match item.as_array_of_tables_mut() {
                Some(arr) => arr.push(t),
                None => {
                    return Err(FeedsError::Invalid(format!(
                        "config {}: `feed` must be an array of tables ([[feed]])",
                        self.path.display()
                    )));
                }
            },
            None => {
                let mut arr = ArrayOfTables::new();
                arr.push(t);
                self.doc.insert("feed", Item::ArrayOfTables(arr));
            }
        }
        Ok(())
    }

    /// Removes the `[[feed]]` named `name` (and the comment lines written above it).
    ///
    /// # Errors
    /// [`FeedsError::Invalid`] when no feed has that name.
    pub fn remove_feed(&mut self, name: &str) -> Result<FeedEntry, FeedsError> {
        let feeds = self.feeds();
        let idx = feeds.iter().position(|f| f.name == name).ok_or_else(|| {
            FeedsError::Invalid(format!(
                "feeds: no feed named {name:?} in {} (known: {})",
                self.path.display(),
                feeds
                    .iter()
                    .map(|f| f.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        })?;
        if let Some(arr) = self
            .doc
            .get_mut("feed")
            .and_then(Item::as_array_of_tables_mut)
        {
            arr.remove(idx);
        }
        Ok(feeds[idx].clone())
    }

    /// The document as text.
    pub fn text(&self) -> String {
        self.doc.to_string()
    }

    /// Validates the edited document with the config loader, then replaces the file atomically
    /// (write a sibling temporary file, rename).
    ///
    /// # Errors
    /// [`FeedsError::Invalid`] with the loader's message when the result would not load;
    /// [`FeedsError::Io`] on write failure.
    pub fn save(&self) -> Result<(), FeedsError> {
        let text = self.text();
        crate::config::Config::from_toml(&text, &self.path.display().to_string())
            .map_err(|e| FeedsError::Invalid(e.to_string()))?;
        let io = |e| FeedsError::Io {
            path: self.path.display().to_string(),
            source: e,
        };
        let tmp = self.path.with_extension("toml.tmp");
        std::fs::write(&tmp, text.as_bytes()).map_err(io)?;
        std::fs::rename(&tmp, &self.path).map_err(io)
    }
}

/// A feed name from a title or URL: lower-case ASCII letters, digits and `-` (Arabic and
/// other scripts are kept as they are, spaces become `-`), at most 40 characters.
pub fn slug(s: &str) -> String {
    let mut out = String::new();
    for c in s.trim().chars().flat_map(char::to_lowercase) {
        if c.is_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
        if out.chars().count() >= 40 {
            break;
        }
    }
    out.trim_end_matches('-').to_string()
}

/// A unique name for a new feed: `base`, else `base-2`, `base-3`, …
pub fn unique_name(base: &str, taken: &[FeedEntry]) -> String {
    let base = if base.is_empty() { "feed" } else { base };
    if !taken.iter().any(|f| f.name == base) {
        return base.to_string();
    }
    (2..)
        .map(|n| format!("{base}-{n}"))
        .find(|c| !taken.iter().any(|f| f.name == *c))
        .unwrap_or_else(|| base.to_string())
}

/// Feed links announced by an HTML page (`<link rel="alternate">` with an RSS, Atom or JSON
/// Feed type), resolved against `base`, in document order.
pub fn discover(html: &str, base: &Url) -> Vec<Url> {
    const TYPES: &[&str] = &[
        "application/rss+xml",
        "application/atom+xml",
        "application/feed+json",
        "application/json",
        "application/rdf+xml",
        "application/xml",
        "text/xml",
    ];
    let Ok(tag) = regex::Regex::new(r"(?is)<link\b[^>]*>") else {
        return Vec::new();
    };
    let Ok(attr) = regex::Regex::new(
        r#"(?s)([A-Za-z_:][-A-Za-z0-9_:.]*)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))"#,
    ) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for m in tag.find_iter(html) {
        let (mut rel, mut ty, mut href) = (String::new(), String::new(), None);
        for c in attr.captures_iter(m.as_str()) {
            let v = c
                .get(2)
                .or_else(|| c.get(3))
                .or_else(|| c.get(4))
                .map(|v| html_escape::decode_html_entities(v.as_str()).into_owned())
                .unwrap_or_default();
            match c[1].to_ascii_lowercase().as_str() {
                "rel" => rel = v.to_ascii_lowercase(),
                "type" => ty = v.trim().to_ascii_lowercase(),
                "href" => href = Some(v),
                _ => {}
            }
        }
        let is_alt = rel.split_whitespace().any(|r| r == "alternate");
        if let (true, true, Some(h)) = (is_alt, TYPES.contains(&ty.as_str()), href) {
            if let Ok(u) = base.join(h.trim()) {
                if matches!(u.scheme(), "http" | "https") && !out.contains(&u) {
                    out.push(u);
                }
            }
        }
    }
    out
}

/// One feed read from an OPML file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpmlFeed {
    /// `text` (else `title`) of the outline.
    pub title: String,
    /// `xmlUrl`.
    pub url: String,
    /// The enclosing folder outline's text, else the first `category` path.
    pub group: Option<String>,
}

/// Reads the feeds of an OPML 1.0/2.0 document: every `<outline>` with an `xmlUrl`, with the
/// folder it sits in (or its `category` attribute) as its group.
///
/// # Errors
/// [`FeedsError::Opml`] when the XML is malformed.
pub fn opml_parse(xml: &str, path: &str) -> Result<Vec<OpmlFeed>, FeedsError> {
    let mut reader = Reader::from_str(xml);
    let mut folders: Vec<Option<String>> = Vec::new();
    let mut out = Vec::new();
    loop {
        let ev = reader.read_event().map_err(|e| FeedsError::Opml {
            path: path.to_string(),
            message: format!("at byte {}: {e}", reader.buffer_position()),
        })?;
        let (e, empty) = match ev {
            Event::Start(e) => (e, false),
            Event::Empty(e) => (e, true),
            Event::End(e) => {
                if e.name().as_ref().eq_ignore_ascii_case(b"outline") {
                    folders.pop();
                }
                continue;
            }
            Event::Eof => break,
            _ => continue,
        };
        if !e.name().as_ref().eq_ignore_ascii_case(b"outline") {
            continue;
        }
        let mut get = std::collections::HashMap::new();
        for a in e.attributes().flatten() {
            let k = String::from_utf8_lossy(a.key.as_ref()).to_ascii_lowercase();
            let v = a
                .unescape_value()
                .map(|v| v.into_owned())
                .unwrap_or_else(|_| String::from_utf8_lossy(&a.value).into_owned());
            get.insert(k, v);
        }
        let text = get
            .get("text")
            .or_else(|| get.get("title"))
            .cloned()
            .unwrap_or_default();
        match get.get("xmlurl").filter(|u| !u.trim().is_empty()) {
            Some(url) => {
                let category = get.get("category").and_then(|c| {
                    c.split(',')
                        .next()
                        .map(|p| p.trim().trim_start_matches('/').to_string())
                        .filter(|p| !p.is_empty())
                });
                let folder = folders.iter().rev().flatten().next().cloned();
                out.push(OpmlFeed {
                    title: text.trim().to_string(),
                    url: url.trim().to_string(),
                    group: folder.or(category),
                });
                if !empty {
                    folders.push(None);
                }
            }
            None => {
                if !empty {
                    folders.push(Some(text.trim().to_string()).filter(|t| !t.is_empty()));
                }
            }
        }
    }
    Ok(out)
}

/// Writes an OPML 2.0 document of the feeds; feeds with a group go in a folder outline of that
/// name (and carry it as `category`), in config order.
pub fn opml_export(feeds: &[FeedEntry]) -> String {
    use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText};
    let mut w = quick_xml::Writer::new_with_indent(Vec::new(), b' ', 2);
    let outline = |f: &FeedEntry| {
        let mut o = BytesStart::new("outline");
        o.push_attribute(("type", "rss"));
        o.push_attribute(("text", f.name.as_str()));
        o.push_attribute(("title", f.name.as_str()));
        o.push_attribute(("xmlUrl", f.url.as_str()));
        if let Some(g) = &f.group {
            o.push_attribute(("category", format!("/{g}").as_str()));
        }
        Event::Empty(o)
    };
    let result = (|| -> std::io::Result<()> {
        w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
        let mut opml = BytesStart::new("opml");
        opml.push_attribute(("version", "2.0"));
        w.write_event(Event::Start(opml))?;
        w.write_event(Event::Start(BytesStart::new("head")))?;
        w.write_event(Event::Start(BytesStart::new("title")))?;
        w.write_event(Event::Text(BytesText::new("feedkeeper feeds")))?;
        w.write_event(Event::End(BytesEnd::new("title")))?;
        w.write_event(Event::End(BytesEnd::new("head")))?;
        w.write_event(Event::Start(BytesStart::new("body")))?;
        let mut groups: Vec<&str> = Vec::new();
        for f in feeds {
            match &f.group {
                None => w.write_event(outline(f))?,
                Some(g) if !groups.contains(&g.as_str()) => groups.push(g),
                Some(_) => {}
            }
        }
        for g in groups {
            let mut o = BytesStart::new("outline");
            o.push_attribute(("text", g));
            o.push_attribute(("title", g));
            w.write_event(Event::Start(o))?;
            for f in feeds.iter().filter(|f| f.group.as_deref() == Some(g)) {
                w.write_event(outline(f))?;
            }
            w.write_event(Event::End(BytesEnd::new("outline")))?;
        }
        w.write_event(Event::End(BytesEnd::new("body")))?;
        w.write_event(Event::End(BytesEnd::new("opml")))?;
        Ok(())
    })();
    if result.is_err() {
        return String::new();
    }
    let mut s = String::from_utf8_lossy(&w.into_inner()).into_owned();
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn discovers_alternate_links() {
        let base = Url::parse("http://news.example.org/ar/").unwrap();
        let html = r#"<head><link rel="stylesheet" href="a.css">
            <LINK REL="alternate" TYPE="application/rss+xml" title="RSS" href="/rss?cat=1&amp;x=2">
            <link rel='alternate' type='application/atom+xml' href='atom.xml'></head>"#;
        assert_eq!(
            discover(html, &base)
                .iter()
                .map(Url::as_str)
                .collect::<Vec<_>>(),
            vec![
                "http://news.example.org/rss?cat=1&x=2",
                "http://news.example.org/ar/atom.xml"
            ]
        );
    }

    #[test]
    fn opml_folders_become_groups() {
        let xml = r#"<opml version="2.0"><body>
            <outline text="أخبار"><outline text="AA" xmlUrl="https://a/rss"/></outline>
            <outline text="BBC" xmlUrl="https://b/rss" category="/World,/UK"/>
            </body></opml>"#;
        let f = opml_parse(xml, "t.opml").unwrap();
        assert_eq!(f[0].group.as_deref(), Some("أخبار"));
        assert_eq!(f[1].group.as_deref(), Some("World"));
        assert_eq!(slug("Al Jazeera — عربي"), "al-jazeera-عربي");
    }
}
