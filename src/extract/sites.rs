//! Built-in site rules, kept as data (`sites.toml`, embedded at build time).

use crate::model::SiteRule;
use std::sync::LazyLock;

#[derive(serde::Deserialize)]
struct Table {
    #[serde(default)]
    site: Vec<SiteRule>,
}

/// The site rules shipped with feedkeeper (`src/extract/sites.toml`). Configured rules are
/// looked up first and win over these.
pub fn builtin_rules() -> Vec<SiteRule> {
    BUILTIN.clone()
}

/// Parsed once. The table is a literal in the source tree, checked by a unit test; a broken
/// edit would only disable the built-in rules, never stop extraction.
pub(crate) static BUILTIN: LazyLock<Vec<SiteRule>> = LazyLock::new(|| {
    toml::from_str::<Table>(include_str!("sites.toml"))
        .map(|t| t.site)
        .unwrap_or_default()
});

#[cfg(test)]
mod tests {
    #[test]
    fn builtin_table_parses() {
        let t: Result<super::Table, _> = toml::from_str(include_str!("sites.toml"));
        assert!(t.is_ok(), "{:?}", t.err());
    }
}
