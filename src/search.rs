//! Search text handling, shared by the index writer ([`crate::store`]) and the reader
//! ([`crate::query`]): folding, tokenising and parsing a `--search` expression. Pure; no I/O.
//!
//! Folding makes spelling variants meet. Beyond case and Unicode compatibility forms (NFKC),
//! Arabic news text is written with and without hamza on alef, with alef maqsura or ya at the
//! end of a word, with ta marbuta or ha, with or without tashkeel and tatweel, and with Eastern
//! Arabic or ASCII digits; each pair folds to one form, so `الاردن` finds `الأردن`.

/// Longest token indexed, in bytes; longer runs (base64 blobs, URLs) are cut there.
pub const MAX_TOKEN_BYTES: usize = 64;

/// Whether `c` belongs to a word (a letter or digit): `char::is_alphanumeric` with fast
/// paths for ASCII and the Arabic block, which are most of our text.
#[inline]
pub fn is_word_char(c: char) -> bool {
    match c as u32 {
        0..=0x7F => c.is_ascii_alphanumeric(),
        0x621..=0x63A | 0x641..=0x64A | 0x660..=0x669 | 0x671..=0x6D3 | 0x6F0..=0x6F9 => true,
        _ => c.is_alphanumeric(),
    }
}

/// Maps one (NFKC, lower-cased) character to its folded form.
fn fold_char(c: char) -> char {
    match c {
        // Hamza forms of alef and alef wasla → bare alef.
        'أ' | 'إ' | 'آ' | 'ٱ' => 'ا',
        // Alef maqsura and Farsi yeh → ya.
        'ى' | 'ی' => 'ي',
        // Ta marbuta → ha.
        'ة' => 'ه',
        // Eastern Arabic and Extended (Persian/Urdu) digits → ASCII.
        '\u{0660}'..='\u{0669}' => char::from(b'0' + (c as u32 - 0x0660) as u8),
        '\u{06F0}'..='\u{06F9}' => char::from(b'0' + (c as u32 - 0x06F0) as u8),
        _ => c,
    }
}

/// Folds text for matching: [`crate::dedup::normalize_text`] (NFKC, lower case, marks and
/// invisible characters dropped, whitespace collapsed), then Arabic variants unified.
pub fn fold(text: &str) -> String {
    crate::dedup::normalize_text(text)
        .chars()
        .map(fold_char)
        .collect()
}

/// The tokens of `text`, in order (with repeats): runs of letters and digits of the folded
/// text (see [`fold`]), each cut to [`MAX_TOKEN_BYTES`] at a character boundary.
pub fn tokens(text: &str) -> Vec<String> {
    index_text(text)
        .split(' ')
        .filter(|t| !t.is_empty())
        .map(str::to_string)
        .collect()
}

/// The text an article is indexed under: the folded tokens of `text` (see [`tokens`]), each
/// followed by one space, with repeats — the index counts each once. One string, no
/// allocation per token: bodies run to thousands of words.
pub fn index_text(text: &str) -> String {
    index_text_normalized(&crate::dedup::normalize_text(text))
}

/// [`index_text`] of text already passed through [`crate::dedup::normalize_text`]: one pass
/// that folds each word character and ends a token at every other character.
pub fn index_text_normalized(norm: &str) -> String {
    let mut b = IndexTextBuilder::with_capacity(norm.len() + 1);
    b.push_str(norm);
    b.finish()
}

/// The distinct tokens of an index text (see [`index_text`]), each once, in order of first
/// occurrence, each followed by one space. The search index keeps document ids only (no
/// positions or frequencies), so a repeat is only work for it; phrases are checked on the
/// article's text.
pub fn unique_tokens(index_text: &str) -> String {
    let mut seen = std::collections::HashSet::with_capacity(index_text.len() / 16);
    let mut out = String::with_capacity(index_text.len() / 2);
    for t in index_text.split(' ').filter(|t| !t.is_empty()) {
        if seen.insert(t) {
            out.push_str(t);
            out.push(' ');
        }
    }
    out
}

/// Builds [`index_text`] from normalised text given piece by piece (so the normalisation
/// pass can produce it on the way, see [`crate::dedup::TextPrint`]).
pub(crate) struct IndexTextBuilder {
    out: String,
    /// Bytes of the current token written so far; past [`MAX_TOKEN_BYTES`] the rest of the
    /// run is dropped.
    len: usize,
}

impl IndexTextBuilder {
    /// An empty builder with room for `n` bytes.
    pub(crate) fn with_capacity(n: usize) -> IndexTextBuilder {
        IndexTextBuilder {
            out: String::with_capacity(n),
            len: 0,
        }
    }

    /// Adds one character of normalised text.
    #[inline]
    pub(crate) fn push(&mut self, c: char) {
        if is_word_char(c) {
            let f = fold_char(c);
            if self.len + f.len_utf8() <= MAX_TOKEN_BYTES {
                self.out.push(f);
                self.len += f.len_utf8();
            } else {
                self.len = MAX_TOKEN_BYTES + 1;
            }
        } else {
            self.end_token();
        }
    }

    /// Ends the current token (a separator).
    #[inline]
    pub(crate) fn end_token(&mut self) {
        if self.len > 0 {
            self.out.push(' ');
            self.len = 0;
        }
    }

    /// Adds a run of normalised text; runs of ASCII letters and digits are copied at once.
    pub(crate) fn push_str(&mut self, s: &str) {
        let bytes = s.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            let b = bytes[i];
            if b.is_ascii_alphanumeric() && self.len < MAX_TOKEN_BYTES {
                let run = bytes[i..]
                    .iter()
                    .take(MAX_TOKEN_BYTES - self.len)
                    .take_while(|b| b.is_ascii_alphanumeric())
                    .count();
                self.out.push_str(&s[i..i + run]);
                self.len += run;
                i += run;
                continue;
            }
            let c = if b < 0x80 {
                i += 1;
                char::from(b)
            } else {
                let Some(c) = s[i..].chars().next() else {
                    break;
                };
                i += c.len_utf8();
                c
            };
            self.push(c);
        }
    }

    /// The index text.
    pub(crate) fn finish(mut self) -> String {
        self.end_token();
        self.out
    }
}

/// A parsed `--search` expression: `word "a phrase" -excluded "-also excluded"`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SearchQuery {
    /// Every one of these tokens must occur (the words and the words of each phrase).
    pub required: Vec<String>,
    /// Each phrase (two or more tokens) must occur as consecutive tokens.
    pub phrases: Vec<Vec<String>>,
    /// None of these tokens may occur.
    pub excluded: Vec<String>,
}

impl SearchQuery {
    /// Parses an expression. Words are AND-ed; `"…"` is a phrase; a leading `-` excludes a word
    /// or phrase. Folding is the same as for the indexed text.
    pub fn parse(expr: &str) -> SearchQuery {
        let mut q = SearchQuery::default();
        let mut rest = expr.trim();
        while !rest.is_empty() {
            let negated = rest.starts_with('-');
            let body = if negated { &rest[1..] } else { rest };
            let (chunk, tail, quoted) = if let Some(inner) = body.strip_prefix('"') {
                match inner.find('"') {
                    Some(end) => (&inner[..end], &inner[end + 1..], true),
                    None => (inner, "", true),
                }
            } else {
                match body.find(char::is_whitespace) {
                    Some(end) => (&body[..end], &body[end..], false),
                    None => (body, "", false),
                }
            };
            let toks = tokens(chunk);
            if negated {
                // An excluded phrase is approximated by excluding its first word only when it
                // has one word; longer excluded phrases are checked as phrases.
                if toks.len() == 1 {
                    q.excluded.extend(toks);
                } else if !toks.is_empty() {
                    q.excluded_phrases_push(toks);
                }
            } else {
                if quoted && toks.len() > 1 {
                    q.phrases.push(toks.clone());
                }
                q.required.extend(toks);
            }
            rest = tail.trim_start();
        }
        q.required.sort_unstable();
        q.required.dedup();
        q
    }

    fn excluded_phrases_push(&mut self, toks: Vec<String>) {
        // Stored as a phrase joined by a space; `matches` treats multi-token exclusions as
        // phrases.
        self.excluded.push(toks.join(" "));
    }

    /// Whether the expression asks for nothing.
    pub fn is_empty(&self) -> bool {
        self.required.is_empty() && self.excluded.is_empty()
    }

    /// Whether a document (its folded tokens in order) satisfies the expression.
    pub fn matches(&self, doc: &[String]) -> bool {
        let has = |t: &String| doc.iter().any(|d| d == t);
        self.required.iter().all(has)
            && self.phrases.iter().all(|p| contains_phrase(doc, p))
            && !self.excluded.iter().any(|e| {
                if e.contains(' ') {
                    let p: Vec<String> = e.split(' ').map(str::to_string).collect();
                    contains_phrase(doc, &p)
                } else {
                    has(e)
                }
            })
    }
}

fn contains_phrase(doc: &[String], phrase: &[String]) -> bool {
    !phrase.is_empty() && doc.windows(phrase.len()).any(|w| w == phrase)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn word_chars_match_is_alphanumeric() {
        for u in 0..0x3000u32 {
            if let Some(c) = char::from_u32(u) {
                assert_eq!(is_word_char(c), c.is_alphanumeric(), "U+{u:04X}");
            }
        }
    }

    #[test]
    fn arabic_variants_fold_together() {
        assert_eq!(fold("الأردن"), "الاردن");
        assert_eq!(fold("إسرائيل آمنة ٱلله"), "اسرائيل امنه الله");
        assert_eq!(fold("مستشفى"), "مستشفي");
        assert_eq!(fold("مَدْرَسَةٌ"), "مدرسه");
        assert_eq!(fold("جـــميل"), "جميل");
        assert_eq!(fold("عام ٢٠٢٥ و۱۴"), "عام 2025 و14");
        assert_eq!(fold("Ｆｕｌｌ ＷＩＤＴＨ"), "full width");
    }

    #[test]
    fn index_text_is_the_cut_tokens_of_the_folded_text() {
        let long = "x".repeat(70);
        let long_ar = "ب".repeat(40);
        let texts = [
            "Gaza: قال وزير الاتصالات اليوم",
            "The Minister's 3rd visit — to the U.N. (2025)",
            "",
            "a",
            "  ٢٠٢٥/١١ e-mail\u{2060}x",
        ];
        for t in texts
            .iter()
            .copied()
            .chain([long.as_str(), long_ar.as_str()])
        {
            let mut want = String::new();
            for tok in fold(t)
                .split(|c: char| !is_word_char(c))
                .filter(|t| !t.is_empty())
            {
                let mut end = tok.len().min(MAX_TOKEN_BYTES);
                while !tok.is_char_boundary(end) {
                    end -= 1;
                }
                want.push_str(&tok[..end]);
                want.push(' ');
            }
            assert_eq!(index_text(t), want, "{t:?}");
        }
        assert_eq!(index_text("The Minister's 3rd"), "the minister s 3rd ");
        assert_eq!(index_text(&long).len(), MAX_TOKEN_BYTES + 1);
    }

    #[test]
    fn unique_tokens_keep_the_first_occurrences() {
        assert_eq!(
            unique_tokens("وزير gaza وزير 2025 gaza "),
            "وزير gaza 2025 "
        );
        assert_eq!(unique_tokens(""), "");
    }

    #[test]
    fn query_parsing() {
        let q = SearchQuery::parse(r#"gaza "وزير الاتصالات" -sport"#);
        assert_eq!(q.required, vec!["gaza", "الاتصالات", "وزير"]);
        assert_eq!(q.phrases, vec![vec!["وزير".to_string(), "الاتصالات".into()]]);
        assert_eq!(q.excluded, vec!["sport"]);
        let doc = tokens("Gaza: قال وزير الاتصالات اليوم");
        assert!(q.matches(&doc));
        assert!(!q.matches(&tokens("Gaza: الاتصالات قال وزير")));
        assert!(!q.matches(&tokens("Gaza sport وزير الاتصالات")));
    }
}
