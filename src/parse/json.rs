//! JSON Feed (https://jsonfeed.org/version/1.1), read leniently: when feed-rs rejects a document
//! that is valid JSON, the shapes real feeds get wrong are repaired and it is read again
//! (`tags` as one comma-separated string, missing `title` or `version`, numeric ids, a
//! non-string where a string belongs). Invalid JSON is an error that says so.

use super::ParseError;
use serde_json::{Map, Value};

/// Parses a JSON Feed document.
pub(crate) fn parse(
    parser: &feed_rs::parser::Parser,
    retry: &feed_rs::parser::Parser,
    text: &str,
) -> Result<(feed_rs::model::Feed, Vec<Option<String>>), ParseError> {
    let text = text.trim_start_matches('\u{feff}');
    let feed = parse_feed(parser, retry, text)?;
    Ok((feed, item_languages(text)))
}

/// Items' `language` (JSON Feed 1.1), which feed-rs does not map.
fn item_languages(text: &str) -> Vec<Option<String>> {
    if !text.contains("\"language\"") {
        return Vec::new();
    }
    let Ok(v) = serde_json::from_str::<Value>(text) else {
        return Vec::new();
    };
    v.get("items")
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter(|i| i.is_object())
                .map(|i| i.get("language").and_then(Value::as_str).map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

fn parse_feed(
    parser: &feed_rs::parser::Parser,
    retry: &feed_rs::parser::Parser,
    text: &str,
) -> Result<feed_rs::model::Feed, ParseError> {
    match parser.parse(text.as_bytes()) {
        Ok(f) => Ok(f),
        Err(first) => {
            let mut v: Value = serde_json::from_str(text)
                .map_err(|e| ParseError::Invalid(format!("invalid JSON: {e}")))?;
            let Some(root) = v.as_object_mut() else {
                return Err(ParseError::Invalid("JSON document is not an object".into()));
            };
            repair(root);
            let fixed =
                serde_json::to_string(&v).map_err(|e| ParseError::Invalid(e.to_string()))?;
            retry
                .parse(fixed.as_bytes())
                .map_err(|e| ParseError::Invalid(format!("JSON Feed: {first}; after repair: {e}")))
        }
    }
}

fn as_string(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

const STRING_FIELDS: &[&str] = &[
    "id",
    "url",
    "external_url",
    "title",
    "content_html",
    "content_text",
    "summary",
    "image",
    "banner_image",
    "date_published",
    "date_modified",
    "language",
    "home_page_url",
    "feed_url",
    "description",
    "user_comment",
    "next_url",
    "icon",
    "favicon",
    "version",
];

fn fix_strings(o: &mut Map<String, Value>) {
    for key in STRING_FIELDS {
        if let Some(v) = o.get(*key) {
            match as_string(v) {
                Some(s) => {
                    o.insert((*key).to_string(), Value::String(s));
                }
                None => {
                    o.remove(*key);
                }
            }
        }
    }
}

fn repair(root: &mut Map<String, Value>) {
    fix_strings(root);
    // feed-rs only knows the version URLs; "1.0", "1.1" or a missing version mean the same.
    let v11 = root
        .get("version")
        .and_then(Value::as_str)
        .is_some_and(|v| v.contains("1.1"));
    let version = if v11 {
        "https://jsonfeed.org/version/1.1"
    } else {
        "https://jsonfeed.org/version/1"
    };
    root.insert("version".into(), Value::String(version.into()));
    root.entry("title")
        .or_insert_with(|| Value::String(String::new()));
    match root.get_mut("items") {
        Some(Value::Array(items)) => {
            items.retain(|i| i.is_object());
            for item in items.iter_mut() {
                if let Some(o) = item.as_object_mut() {
                    fix_strings(o);
                    if let Some(Value::String(t)) = o.get("tags") {
                        let tags: Vec<Value> = t
                            .split(',')
                            .map(str::trim)
                            .filter(|t| !t.is_empty())
                            .map(|t| Value::String(t.to_string()))
                            .collect();
                        o.insert("tags".into(), Value::Array(tags));
                    } else if let Some(Value::Array(tags)) = o.get_mut("tags") {
                        tags.retain(|t| t.is_string());
                    } else {
                        o.remove("tags");
                    }
                    if o.get("author").is_some_and(|a| !a.is_object()) {
                        o.remove("author");
                    }
                    if o.get("authors").is_some_and(|a| !a.is_array()) {
                        o.remove("authors");
                    }
                    o.entry("id")
                        .or_insert_with(|| Value::String(String::new()));
                }
            }
        }
        _ => {
            root.insert("items".into(), Value::Array(Vec::new()));
        }
    }
    if root.get("author").is_some_and(|a| !a.is_object()) {
        root.remove("author");
    }
}
