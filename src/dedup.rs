//! The `dedup` stage: text normalisation, content hash, canonical URLs and identity keys.
//! Pure functions, no I/O (DESIGN.md "Identity, dedup and revisions").

use unicode_normalization::UnicodeNormalization;
use url::Url;

/// Query parameters that only track the click, never select the resource. Data, not code:
/// exact names, and prefixes ending in `_` or `*`.
pub const TRACKING_PARAMS: &[&str] = &[
    "utm_*",
    "fbclid",
    "gclid",
    "gclsrc",
    "dclid",
    "msclkid",
    "mc_cid",
    "mc_eid",
    "ocid",
    "yclid",
    "igshid",
    "_ga",
    "_gl",
    "ref_src",
    "ref_url",
    "cmpid",
    "ncid",
    "sr_share",
    "s_cid",
    "wt.mc_id",
    "traffic_source",
    "rss",
    "at_medium",
    "at_campaign",
    "at_custom*",
    "xtor",
    "spm",
    "__twitter_impression",
    "fb_action_ids",
    "fb_action_types",
    "fb_source",
    "hsctrk",
    "_hsenc",
    "_hsmi",
    "mkt_tok",
    "oly_anon_id",
    "oly_enc_id",
    "vero_id",
    "rb_clickid",
    "ito",
    "cid_source",
];

fn is_tracking(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    TRACKING_PARAMS.iter().any(|p| match p.strip_suffix('*') {
        Some(prefix) => n.starts_with(prefix),
        None => n == *p,
    })
}

/// Normalises a URL for identity: scheme and host lower-cased (the `url` crate does that and
/// drops default ports), fragment removed, tracking parameters removed, empty query dropped.
/// Returns the input unchanged (trimmed) when it is not an absolute URL.
pub fn canonical_url(raw: &str) -> String {
    let raw = raw.trim();
    let Ok(mut url) = Url::parse(raw) else {
        return raw.to_string();
    };
    url.set_fragment(None);
    if url.query().is_some() {
        let kept: Vec<(String, String)> = url
            .query_pairs()
            .filter(|(k, _)| !is_tracking(k))
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        if kept.is_empty() {
            url.set_query(None);
        } else {
            url.query_pairs_mut().clear().extend_pairs(kept);
        }
    }
    url.to_string()
}

/// True for characters dropped by normalisation: zero-width and bidi controls, Arabic
/// tashkeel (U+064B–U+065F, U+0670, Quranic marks U+06D6–U+06ED) and tatweel (U+0640).
pub(crate) fn is_ignorable(c: char) -> bool {
    matches!(c as u32,
        0x200B..=0x200F | 0x202A..=0x202E | 0x2060..=0x2064 | 0x2066..=0x2069 | 0xFEFF | 0x00AD | 0x061C
        | 0x064B..=0x065F | 0x0670 | 0x06D6..=0x06ED | 0x0640)
}

/// `text` in Unicode NFKC: borrowed when the quick check says it already is (most text),
/// so the slow decompose/compose pass runs only on text that needs it.
pub fn nfkc(text: &str) -> std::borrow::Cow<'_, str> {
    use unicode_normalization::{IsNormalized, is_nfkc_quick};
    if plainly_nfkc(text) || is_nfkc_quick(text.chars()) == IsNormalized::Yes {
        std::borrow::Cow::Borrowed(text)
    } else {
        std::borrow::Cow::Owned(text.nfkc().collect())
    }
}

/// A fast, conservative NFKC check for the common case (ASCII, Latin-1 and Latin
/// Extended-A letters, Arabic letters and tashkeel in canonical order, common punctuation):
/// true only when `text` is certainly NFKC; false sends it to the full quick check.
fn plainly_nfkc(text: &str) -> bool {
    let mut last_ccc = 0u32;
    for c in text.chars() {
        let u = c as u32;
        let ccc = match u {
            0..=0x7F
            | 0xC0..=0xD6
            | 0xD8..=0xF6
            | 0xF8..=0x131
            | 0x134..=0x13E
            | 0x141..=0x148
            | 0x14A..=0x17E
            | 0x60C
            | 0x61B
            | 0x61F
            | 0x621..=0x64A
            | 0x660..=0x66F
            | 0x671..=0x674
            | 0x679..=0x6D3
            | 0x2013
            | 0x2014
            | 0x2018
            | 0x2019
            | 0x201C
            | 0x201D
            | 0x2022 => 0,
            // Arabic tashkeel (fathatan … sukun): canonical combining classes 27–34.
            0x64B..=0x652 => u - 0x64B + 27,
            _ => return false,
        };
        if ccc != 0 && ccc < last_ccc {
            return false;
        }
        last_ccc = ccc;
    }
    true
}

/// Lower-cases one character into `out` (ASCII without the Unicode tables; the Hebrew and
/// Arabic blocks have no case).
#[inline]
pub(crate) fn push_lower(out: &mut String, c: char, map: impl Fn(char) -> char) {
    if c.is_ascii() {
        out.push(map(c.to_ascii_lowercase()));
    } else if ('\u{0590}'..='\u{06FF}').contains(&c) {
        out.push(map(c));
    } else {
        for l in c.to_lowercase() {
            out.push(map(l));
        }
    }
}

/// Whether an ASCII byte is whitespace for [`char::is_whitespace`] (space, U+0009–U+000D).
#[inline]
pub(crate) fn is_ascii_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t'..=b'\r')
}

/// Normalises body text for hashing: Unicode NFKC, case folded (lower-case), zero-width and
/// bidi controls removed, Arabic tashkeel and tatweel removed, whitespace collapsed to single
/// spaces and trimmed.
pub fn normalize_text(text: &str) -> String {
    normalize_with(text, None).0
}

/// Writes the one space owed between two words of normalised text (and ends the index
/// token), if one is pending.
#[inline]
fn separate(
    out: &mut String,
    pending: &mut bool,
    index: Option<&mut crate::search::IndexTextBuilder>,
) {
    if std::mem::take(pending) {
        out.push(' ');
        if let Some(ix) = index {
            ix.end_token();
        }
    }
}

/// [`normalize_text`], also feeding every character of the result to `index` (see
/// [`TextPrint`]); returns the normalised text and [`word_count`] of `text` when the pass
/// could count it (`text` already NFKC, the usual case).
fn normalize_with(
    text: &str,
    mut index: Option<&mut crate::search::IndexTextBuilder>,
) -> (String, Option<usize>) {
    let src = nfkc(text);
    // Words of `text` are counted on the way when the pass reads `text` itself.
    let counting = matches!(src, std::borrow::Cow::Borrowed(_));
    let mut words = 0usize;
    let mut in_word = false;
    let mut out = String::with_capacity(src.len());
    let mut pending_space = false;
    let bytes = src.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        // ASCII (most bytes of most text) without decoding or the Unicode tables: a run of
        // non-space ASCII is copied and lower-cased at once.
        if b < 0x80 {
            if is_ascii_space(b) {
                pending_space = !out.is_empty();
                in_word = false;
                i += 1;
            } else {
                separate(&mut out, &mut pending_space, index.as_deref_mut());
                let run = bytes[i..]
                    .iter()
                    .take_while(|&&b| b.is_ascii() && !is_ascii_space(b))
                    .count();
                let start = out.len();
                out.push_str(&src[i..i + run]);
                out[start..].make_ascii_lowercase();
                if let Some(ix) = index.as_deref_mut() {
                    ix.push_str(&out[start..]);
                }
                if !in_word {
                    words += 1;
                    in_word = true;
                }
                i += run;
            }
            continue;
        }
        // Arabic block (U+0600–U+06FF, two bytes, lead 0xD8–0xDB): never whitespace, no case.
        if (0xD8..=0xDB).contains(&b) && i + 1 < bytes.len() {
            let u = ((u32::from(b) & 0x1F) << 6) | (u32::from(bytes[i + 1]) & 0x3F);
            let Some(c) = char::from_u32(u) else {
                break;
            };
            i += 2;
            if !in_word {
                words += 1;
                in_word = true;
            }
            if is_ignorable(c) {
                continue;
            }
            separate(&mut out, &mut pending_space, index.as_deref_mut());
            out.push(c);
            if let Some(ix) = index.as_deref_mut() {
                ix.push(c);
            }
            continue;
        }
        let Some(c) = src[i..].chars().next() else {
            break;
        };
        i += c.len_utf8();
        let space = c.is_whitespace();
        if !space && !in_word {
            words += 1;
        }
        in_word = !space;
        if is_ignorable(c) {
            continue;
        }
        if space {
            pending_space = !out.is_empty();
        } else {
            separate(&mut out, &mut pending_space, index.as_deref_mut());
            let start = out.len();
            push_lower(&mut out, c, |l| l);
            if let Some(ix) = index.as_deref_mut() {
                for l in out[start..].chars() {
                    ix.push(l);
                }
            }
        }
    }
    // Lower-casing can produce whitespace only from whitespace; nothing to collapse again.
    (out, counting.then_some(words))
}

/// Hex BLAKE3 of [`normalize_text`] of `text` (64 lower-case hex characters).
pub fn content_hash(text: &str) -> String {
    blake3::hash(normalize_text(text).as_bytes())
        .to_hex()
        .to_string()
}

/// Number of whitespace-separated words in `text`.
pub fn word_count(text: &str) -> usize {
    // `text.split_whitespace().count()`, with ASCII bytes classified without decoding.
    let bytes = text.as_bytes();
    let (mut i, mut words, mut in_word) = (0, 0, false);
    while i < bytes.len() {
        let b = bytes[i];
        let space = if b < 0x80 {
            i += 1;
            is_ascii_space(b)
        } else if !matches!(b, 0xC2 | 0xE1 | 0xE2 | 0xE3) {
            // Only these lead bytes start a non-ASCII whitespace character (U+0085, U+00A0,
            // U+1680, U+2000–U+205F, U+3000); continuation bytes and other leads are text.
            i += 1;
            false
        } else {
            let Some(c) = text[i..].chars().next() else {
                break;
            };
            i += c.len_utf8();
            c.is_whitespace()
        };
        if !space && !in_word {
            words += 1;
        }
        in_word = !space;
    }
    words
}

/// Whether a guid can serve as identity: not empty, not repeated by a different item of the
/// same document (`repeated`), and not an obviously non-unique value (a bare site root).
pub fn guid_trustworthy(guid: &str, repeated: bool) -> bool {
    let g = guid.trim();
    if g.is_empty() || repeated {
        return false;
    }
    if let Ok(u) = Url::parse(g) {
        // A guid equal to a site's home page is shared by every item of some feeds.
        if u.path() == "/" && u.query().is_none() {
            return false;
        }
    }
    true
}

/// An entry's identity key, in the order of DESIGN.md: a trusted guid (scoped by feed), else
/// the canonical link, else a hash of title + published date.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IdentityKey {
    /// `guid:<feed>:<guid>`.
    Guid(String),
    /// `url:<canonical url>`.
    Url(String),
    /// `th:<hex>` of title + published.
    TitleDate(String),
}

impl IdentityKey {
    /// The key as stored.
    pub fn as_string(&self) -> String {
        match self {
            IdentityKey::Guid(g) => format!("guid:{g}"),
            IdentityKey::Url(u) => format!("url:{u}"),
            IdentityKey::TitleDate(h) => format!("th:{h}"),
        }
    }
}

/// Builds the identity key of an entry of feed `feed`.
pub fn identity_key(
    feed: &str,
    guid: Option<&str>,
    canonical_link: Option<&str>,
    title: &str,
    published: Option<&str>,
) -> IdentityKey {
    if let Some(g) = guid {
        return IdentityKey::Guid(format!("{feed}:{}", g.trim()));
    }
    if let Some(u) = canonical_link {
        return IdentityKey::Url(u.to_string());
    }
    let h = blake3::hash(
        format!("{}\u{1f}{}", normalize_text(title), published.unwrap_or("")).as_bytes(),
    );
    IdentityKey::TitleDate(h.to_hex()[..32].to_string())
}

/// 64-bit SimHash (Charikar) of the word 3-shingles of [`normalize_text`] of `text`, each
/// shingle (its three words joined by single spaces) hashed with XXH3-64 (seed 0). Returns 0
/// for bodies of fewer than `min_words` words: too little text to call two bodies
/// near-duplicates. (Store schema v4; v3 stores hashed shingles with BLAKE3 and are
/// re-fingerprinted on open.)
pub fn simhash(text: &str, min_words: usize) -> u64 {
    simhash_normalized(&normalize_text(text), min_words)
}

/// [`simhash`] of text already passed through [`normalize_text`] (single spaces between
/// words, none at the ends).
pub fn simhash_normalized(norm: &str, min_words: usize) -> u64 {
    // Byte ranges of the words; `norm` has exactly one space between words.
    let mut words: Vec<(usize, usize)> = Vec::with_capacity(norm.len() / 5);
    let mut start = 0;
    for (i, b) in norm.bytes().enumerate() {
        if b == b' ' {
            if i > start {
                words.push((start, i));
            }
            start = i + 1;
        }
    }
    if norm.len() > start {
        words.push((start, norm.len()));
    }
    if words.len() < min_words.max(3) {
        return 0;
    }
    // Per bit, how many shingle hashes set it. Eight byte-wide counters per u64 lane
    // (`SPREAD` turns a hash byte into one 0/1 per counter byte), moved to `set` before any
    // can overflow: 8 table additions per shingle instead of 64 bit tests.
    let mut set = [0u32; 64];
    let mut lanes = [0u64; 8];
    let mut in_lanes = 0u32;
    let mut shingles = 0u32;
    for sh in words.windows(3) {
        let h = xxhash_rust::xxh3::xxh3_64(&norm.as_bytes()[sh[0].0..sh[2].1]).to_le_bytes();
        for (lane, byte) in lanes.iter_mut().zip(h) {
            *lane += SPREAD[usize::from(byte)];
        }
        shingles += 1;
        in_lanes += 1;
        if in_lanes == 255 {
            drain_lanes(&mut lanes, &mut set);
            in_lanes = 0;
        }
    }
    drain_lanes(&mut lanes, &mut set);
    let mut out = 0u64;
    for (i, n) in set.iter().enumerate() {
        // Set by more than half of the shingles: the sum of +1 (set) and -1 (clear) is > 0.
        if 2 * u64::from(*n) > u64::from(shingles) {
            out |= 1 << i;
        }
    }
    // 0 means "not comparable"; a real all-zero fingerprint is vanishingly rare.
    out.max(1)
}

/// `SPREAD[b]` has byte `k` = bit `k` of `b` (0 or 1): adds a hash byte's eight bits to
/// eight byte-wide counters at once.
const SPREAD: [u64; 256] = {
    let mut t = [0u64; 256];
    let mut b = 0;
    while b < 256 {
        let mut k = 0;
        while k < 8 {
            if b >> k & 1 == 1 {
                t[b] |= 1 << (8 * k);
            }
            k += 1;
        }
        b += 1;
    }
    t
};

/// Adds the byte-wide counters of `lanes` (lane `j`, byte `k` counts bit `8j + k`) to `set`
/// and clears them.
fn drain_lanes(lanes: &mut [u64; 8], set: &mut [u32; 64]) {
    for (j, lane) in lanes.iter_mut().enumerate() {
        for (k, byte) in lane.to_le_bytes().iter().enumerate() {
            set[8 * j + k] += u32::from(*byte);
        }
        *lane = 0;
    }
}

/// What ingest needs of a body's text, from one normalisation pass (run with the
/// extraction, off the ingest lock): its [`content_hash`], [`simhash`], [`word_count`] and
/// search [`crate::search::index_text`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TextPrint {
    /// [`content_hash`] of the text (64 hex characters).
    pub content_hash: String,
    /// [`simhash`] of the text (0 below `min_words` words).
    pub simhash: u64,
    /// [`word_count`] of the text.
    pub words: usize,
    /// The distinct tokens of [`crate::search::index_text`] of the text (see
    /// [`crate::search::unique_tokens`]): what the search index stores.
    pub index_text: String,
}

impl TextPrint {
    /// Computes every field for `text` (SimHash with `min_words`).
    pub fn of(text: &str, min_words: usize) -> TextPrint {
        let mut index = crate::search::IndexTextBuilder::with_capacity(text.len() + 1);
        let (norm, words) = normalize_with(text, Some(&mut index));
        TextPrint {
            content_hash: blake3::hash(norm.as_bytes()).to_hex().to_string(),
            simhash: simhash_normalized(&norm, min_words),
            words: words.unwrap_or_else(|| word_count(text)),
            index_text: crate::search::unique_tokens(&index.finish()),
        }
    }
}

/// Hamming distance between two SimHashes.
pub fn simhash_distance(a: u64, b: u64) -> u32 {
    (a ^ b).count_ones()
}

/// Watch window: the times at which an article's page is re-fetched, given when it was
/// published (else first seen), when feedkeeper first saw it, and the configured delays.
/// Only times still in the future of `first_seen` are kept, so an old story seen for the
/// first time is not watched at all.
pub fn watch_times(
    published: Option<chrono::DateTime<chrono::Utc>>,
    first_seen: chrono::DateTime<chrono::Utc>,
    delays: &[std::time::Duration],
) -> Vec<chrono::DateTime<chrono::Utc>> {
    let base = published.unwrap_or(first_seen).min(first_seen);
    let mut v: Vec<_> = delays
        .iter()
        .filter_map(|d| chrono::Duration::from_std(*d).ok())
        .map(|d| base + d)
        .filter(|t| *t > first_seen)
        .collect();
    v.sort();
    v.dedup();
    v
}

/// Whether an article with these pending watch times is due for a re-fetch at `now`.
pub fn watch_due(
    watch: &[chrono::DateTime<chrono::Utc>],
    now: chrono::DateTime<chrono::Utc>,
) -> bool {
    watch.first().is_some_and(|t| *t <= now)
}

/// The watch times left after a re-fetch at `now`.
pub fn watch_after(
    watch: &[chrono::DateTime<chrono::Utc>],
    now: chrono::DateTime<chrono::Utc>,
) -> Vec<chrono::DateTime<chrono::Utc>> {
    watch.iter().copied().filter(|t| *t > now).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The SimHash by its definition: +1/-1 per bit over the XXH3 hashes of the shingles.
    fn simhash_reference(text: &str, min_words: usize) -> u64 {
        let norm = normalize_text(text);
        let words: Vec<&str> = norm.split(' ').filter(|w| !w.is_empty()).collect();
        if words.len() < min_words.max(3) {
            return 0;
        }
        let mut counts = [0i32; 64];
        for sh in words.windows(3) {
            let h = xxhash_rust::xxh3::xxh3_64(sh.join(" ").as_bytes());
            for (i, c) in counts.iter_mut().enumerate() {
                if h >> i & 1 == 1 {
                    *c += 1;
                } else {
                    *c -= 1;
                }
            }
        }
        let mut out = 0u64;
        for (i, c) in counts.iter().enumerate() {
            if *c > 0 {
                out |= 1 << i;
            }
        }
        out.max(1)
    }

    #[test]
    fn fast_paths_agree_with_the_plain_definitions() {
        let texts = [
            "",
            "  \t\n ",
            "Hello\u{0B}World\u{0C}x\r\ny",
            "a\u{85}b\u{A0}c\u{2003}d\u{3000}e\u{1C}f",
            "ÉCOLE Straße İstanbul ΣΊΣΥΦΟΣ",
            "الأردن  وزير\u{200F}  الخارجية ـ مَدْرَسَةٌ \u{0640} ٢٠٢٥",
            "שלום WORLD ﬁne Ｆｕｌｌ",
        ];
        for t in texts {
            assert_eq!(word_count(t), t.split_whitespace().count(), "{t:?}");
            // The definition: NFKC, drop ignorables, lower-case, collapse whitespace.
            let plain: String = t
                .nfkc()
                .filter(|c| !is_ignorable(*c))
                .flat_map(char::to_lowercase)
                .collect::<String>()
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ");
            assert_eq!(normalize_text(t), plain, "{t:?}");
            let p = TextPrint::of(t, 3);
            assert_eq!(p.words, word_count(t), "{t:?}");
            assert_eq!(
                p.index_text,
                crate::search::unique_tokens(&crate::search::index_text_normalized(&plain)),
                "{t:?}"
            );
            assert_eq!(p.content_hash, content_hash(t), "{t:?}");
        }
        assert_eq!(normalize_text("ÉCOLE  Straße\tİ"), "école straße i\u{307}");
        assert_eq!(word_count("one\u{A0}two three"), 3);
    }

    /// Pinned SimHash of "one two three" (one shingle: its XXH3-64): stored fingerprints must
    /// stay comparable across releases.
    const SIMHASH_ONE_TWO_THREE: u64 = 0x6415_426d_7ec0_92b2;

    #[test]
    fn simhash_matches_its_definition() {
        let texts = [
            "قال وزير الخارجية التركي إن بلاده ستواصل دعم الشعب الفلسطيني في غزة",
            "The  minister said on Monday that the economy\n\ngrew by 3 per cent.  ",
            "one two three",
            "Ｆｕｌｌ ＷＩＤＴＨ words\u{200B} and تـــطويل مَدْرَسَةٌ here too",
        ];
        for t in texts {
            assert_eq!(simhash(t, 3), simhash_reference(t, 3), "{t}");
            let p = TextPrint::of(t, 3);
            assert_eq!(p.simhash, simhash_reference(t, 3));
            assert_eq!(p.content_hash, content_hash(t));
            assert_eq!(p.words, word_count(t));
            assert_eq!(
                p.index_text,
                crate::search::unique_tokens(&crate::search::index_text(t))
            );
        }
        assert_eq!(simhash("one two three", 3), SIMHASH_ONE_TWO_THREE);
        assert_eq!(simhash("one two", 3), 0);
    }

    #[test]
    fn plainly_nfkc_agrees_with_the_quick_check() {
        use unicode_normalization::{IsNormalized, is_nfkc_quick};
        for t in [
            "Hello, world",
            "الأردنُّ وزيرٌ",
            "Ça coûte 3 € — «bien»",
            "shadda then fatha: \u{0651}\u{064E}",
            "fatha then shadda: \u{064E}\u{0651}",
            "ﻻ ligature",
            "\u{00A0}nbsp",
        ] {
            if plainly_nfkc(t) {
                assert_eq!(is_nfkc_quick(t.chars()), IsNormalized::Yes, "{t:?}");
            }
        }
        assert!(plainly_nfkc("الأردن Jordan"));
        assert!(!plainly_nfkc("shadda then fatha: \u{0651}\u{064E}"));
        assert_eq!(nfkc("\u{0651}\u{064E}"), "\u{064E}\u{0651}");
    }

    #[test]
    fn tracking_removed() {
        assert_eq!(
            canonical_url(
                "HTTPS://News.Example.com:443/ar/2024/06/x?utm_source=rss&id=5&fbclid=1#top"
            ),
            "https://news.example.com/ar/2024/06/x?id=5"
        );
        assert_eq!(
            canonical_url("https://a.example/p?utm_medium=x"),
            "https://a.example/p"
        );
    }

    #[test]
    fn tashkeel_and_spacing_do_not_change_hash() {
        assert_eq!(
            content_hash("مُحَمَّد  ذهب\n\nإلى المدرسة"),
            content_hash("محمد ذهب إلى المدرسـة")
        );
        assert_ne!(content_hash("a b"), content_hash("a c"));
    }

    #[test]
    fn watch_window_is_a_function_of_now() {
        let t = |s: &str| chrono::DateTime::parse_from_rfc3339(s).unwrap().to_utc();
        let delays = [3600, 6 * 3600, 24 * 3600].map(std::time::Duration::from_secs);
        let w = watch_times(
            Some(t("2025-11-21T12:08:00Z")),
            t("2025-11-21T12:30:00Z"),
            &delays,
        );
        assert_eq!(
            w,
            [
                t("2025-11-21T13:08:00Z"),
                t("2025-11-21T18:08:00Z"),
                t("2025-11-22T12:08:00Z")
            ]
        );
        assert!(!watch_due(&w, t("2025-11-21T13:00:00Z")));
        assert!(watch_due(&w, t("2025-11-21T13:08:00Z")));
        assert_eq!(
            watch_after(&w, t("2025-11-21T19:00:00Z")),
            [t("2025-11-22T12:08:00Z")]
        );
        // An old story first seen today is not watched.
        assert!(
            watch_times(
                Some(t("2020-01-01T00:00:00Z")),
                t("2025-01-01T00:00:00Z"),
                &delays
            )
            .is_empty()
        );
    }

    #[test]
    fn simhash_near_and_far() {
        let a = "the quick brown fox jumps over the lazy dog while the farmer watches from the old red barn near the river bank at dawn";
        let b = "the quick brown fox jumps over the lazy dog while the farmer watches from the old red barn near the river bank at dusk";
        let c = "parliament passed the budget after a long night of debate about taxes schools hospitals and the new railway line to the north";
        assert!(
            simhash_distance(simhash(a, 10), simhash(b, 10))
                < simhash_distance(simhash(a, 10), simhash(c, 10))
        );
        assert_eq!(simhash("too short", 10), 0);
    }

    #[test]
    fn normalize_folds_case_and_controls() {
        assert_eq!(
            normalize_text("\u{200f}Hello\u{200b}  WORLD "),
            "hello world"
        );
    }
}
