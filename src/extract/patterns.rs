//! Words in `class`/`id` attributes and in short text blocks that say "content" or
//! "boilerplate", in several languages (English, Arabic-site conventions, Turkish, German,
//! French, Spanish, Portuguese, Italian, Russian transliterations). Generic signals only: no
//! site names.

use super::dom::AttrExt;
use regex::Regex;
use scraper::node::Element;
use std::collections::HashMap;
use std::sync::LazyLock;

fn re(s: &str) -> Regex {
    // The patterns are literals in this file, checked by the unit tests below.
    Regex::new(s).unwrap_or_else(|e| unreachable!("bad built-in pattern: {e}"))
}

/// Boilerplate words in class/id (readability's "unlikely candidates" plus trafilatura's
/// discard list, plus other languages). These exclude a subtree from scoring and output.
/// Word tails are `[a-z0-9_]*`, not `\w*`: the same matches here (any tail is followed by
/// something outside `[a-z]`), but Unicode `\w` made this one regex cost 13 ms to compile,
/// paid by every process before its first page.
static NEGATIVE: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)(?:^|[^a-z])(?:ads?|advert[a-z0-9_]*|ad-?slot|banner|breadcrumbs?|combx|comments?|commentary|community|disqus|extra|footer|gdpr|masthead|legends|menu|related|remark|replies|rss|shoutbox|sidebar|skyscraper|social|sponsor[a-z0-9_]*|supplemental|agegate|pagination|pager|popup|share|sharing|sharebar|newsletter|subscri[a-z0-9_]*|promo[a-z0-9_]*|cookie[a-z0-9_]*|consent|outbrain|taboola|recommend[a-z0-9_]*|trending|popular|most-?read|most-?viewed|more-?stories|author-?bio|paylas[a-z0-9_]*|ilgili|yorum[a-z0-9_]*|kommentar[a-z0-9_]*|teilen|verwandt[a-z0-9_]*|anzeige|werbung|partage|commentaires?|compartir|comentarios?|relacionad[a-z0-9_]*|publicidad|publicidade|compartilh[a-z0-9_]*|leia-?tambem|pubblicit[a-z0-9_]*|condivid[a-z0-9_]*|commenti|reklam[a-z0-9_]*)(?:$|[^a-z])",
    )
});

/// Substrings that are boilerplate wherever they appear in a class/id.
static NEGATIVE_SUB: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)sidebar|comment|related|sharing|social|newsletter|subscribe|breadcrumb|footer|advert|sponsor|outbrain|taboola|disqus|trending|recommend|cookie",
    )
});

/// Weaker boilerplate words: only used when cleaning inside the chosen container, and only
/// for elements holding a small part of its text.
static WEAK: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)(?:^|[^a-z])(?:tags?|tag-?list|keywords|caption|credits?|meta|byline|dateline|author|toolbar|tools|print|email|signup|login|modal|overlay|hidden|sr-only|visually-hidden|screen-?reader|widget|jump|skip|teaser|paywall|rating|feedback|sticky|shopping|affiliate|donate|contribut[a-z0-9_]*|read-?more|info|date|time|share[a-z0-9_]*|pie|pied|rodape|nota-?pie|etiket[a-z0-9_]*|header|head|topics?|label|kicker|subtitle|standfirst|dek|summary|lede|lead|intro)(?:$|[^a-z])",
    )
});

/// Content words in class/id.
static POSITIVE: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)article|body|content|entry|main|page|post|text|blog|story|column|detail|detay|icerik|haber|metin|artikel|inhalt|contenu|noticia|materia|texto|corpo|testo|nachricht|news-?text|paragraph|prose|rich-?text",
    )
});

/// class/id verdicts, memoised by attribute value: a page repeats the same few class
/// strings on hundreds of elements, and matching the patterns once per element was a tenth
/// of the extraction time.
#[derive(Default)]
pub(crate) struct ClassSignals<'a> {
    seen: HashMap<&'a str, Verdict>,
}

#[derive(Clone, Copy)]
struct Verdict {
    weight: i32,
    weak: bool,
}

impl<'a> ClassSignals<'a> {
    fn verdict(&mut self, v: &'a str) -> Verdict {
        *self.seen.entry(v).or_insert_with(|| {
            if v.is_empty() || v.len() > 300 {
                return Verdict {
                    weight: 0,
                    weak: false,
                };
            }
            let mut weight = 0;
            if NEGATIVE_SUB.is_match(v) || NEGATIVE.is_match(v) {
                weight -= 25;
            }
            if POSITIVE.is_match(v) {
                weight += 25;
            }
            Verdict {
                weight,
                weak: WEAK.is_match(v),
            }
        })
    }

    /// class/id weight in the spirit of readability: -25 for boilerplate words, +25 for
    /// content words, both can apply (each of class and id counts).
    pub(crate) fn class_weight(&mut self, e: &'a Element) -> i32 {
        [e.attr_str("class"), e.attr_str("id")]
            .into_iter()
            .flatten()
            .map(|v| self.verdict(v).weight)
            .sum()
    }

    /// Whether class/id has a weak boilerplate word.
    pub(crate) fn is_weak(&mut self, e: &'a Element) -> bool {
        [e.attr_str("class"), e.attr_str("id")]
            .into_iter()
            .flatten()
            .any(|v| self.verdict(v).weak)
    }
}

/// Short blocks that are boilerplate whatever their markup ("Advertisement", "Read more",
/// "اقرأ أيضا"…).
static BOILER_TEXT: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)^(?:advertisement|advertising|sponsored|ad|read more|read also|see also|related|related articles|related stories|more from|share this|share on|follow us|sign up|subscribe|click here|you may also like|recommended|continue reading|lesen sie auch|mehr zum thema|anzeige|werbung|leia também|leia mais|lee también|publicidad|ver también|اقرأ أيضا|اقرأ أيضاً|اقرأ ايضا|إقرأ أيضا|إقرأ أيضاً|اقرأ المزيد|مواضيع ذات صلة|أخبار ذات صلة|ذات صلة|إعلان|اعلان|شارك|شارك الخبر|تابعونا|تابعنا|اشترك|الكلمات الدالة|كلمات مفتاحية|الأكثر قراءة|الأكثر مشاهدة|ilgili haberler|reklam|paylaş)\b",
    )
});

/// Comment-policy and contact notes that close many article pages.
static NOTE_TEXT: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)(?:ترحب|نرحب)[^.]{0,80}(?:بالنقاش|بالتعليقات|بتعليقات)|إرشادات الاستخدام|لا تعبر عن رأي|لا تعبّر عن رأي|do not (?:necessarily )?reflect the (?:views|opinions?)|comments? (?:are|is) moderated|community guidelines|we welcome (?:your )?comments",
    )
});

/// Whether a block's text is boilerplate: a short "Advertisement"/"Read more" line, or a
/// comment-policy note.
pub(crate) fn is_boiler_text(text: &str) -> bool {
    let n = text.chars().count();
    (n < 60 && BOILER_TEXT.is_match(text.trim())) || (n < 600 && NOTE_TEXT.is_match(text))
}

/// A date or time in a short line: digits like `21/11/2025`, `14:00`, `2013`, or a month
/// name in Arabic, English, French, German or Spanish.
static DATE_BITS: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)\d{1,2}[:/.]\d{2}|\b(?:19|20)\d{2}\b|\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.? \d{1,2}\b|يناير|فبراير|مارس|أبريل|ابريل|مايو|يونيو|يوليو|أغسطس|اغسطس|سبتمبر|أكتوبر|اكتوبر|نوفمبر|ديسمبر|كانون|شباط|آذار|نيسان|أيار|حزيران|تموز|آب|أيلول|تشرين",
    )
});

/// Source and update lines ("المصدر: الأناضول", "Updated:", "Published:").
static SOURCE_LINE: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)^(?:المصدر|مصدر|تحديث|آخر تحديث|نشر في|source|updated?|published|posted|last updated|quelle|fuente|mis à jour|publié)\s*:",
    )
});

/// Whether a short block is a date/time or source line (page furniture above a body).
pub(crate) fn is_dateline(text: &str) -> bool {
    let n = text.chars().count();
    if n >= 80 {
        return false;
    }
    if SOURCE_LINE.is_match(text) {
        return true;
    }
    let ends_sentence = text.ends_with(['.', '!', '?', '؟', '。']);
    let digits = text.chars().filter(char::is_ascii_digit).count();
    !ends_sentence && DATE_BITS.is_match(text) && (digits >= 4 || n < 50)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_compile_and_match() {
        assert!(NEGATIVE.is_match("share-buttons"));
        assert!(NEGATIVE.is_match("post-comments"));
        assert!(NEGATIVE.is_match("ad"));
        assert!(!NEGATIVE.is_match("read"));
        assert!(POSITIVE.is_match("article-body"));
        assert!(is_boiler_text("اقرأ أيضا: خبر آخر"));
        assert!(is_boiler_text("Advertisement"));
        assert!(!is_boiler_text("Advertisers said on Monday that…"));
        assert!(is_dateline(
            "الأربعاء، 28 آب/اغسطس 2013، آخر تحديث 14:00 (GMT+0400)"
        ));
        assert!(is_dateline("Updated: Nov 19, 2019"));
        assert!(!is_dateline(
            "The company was founded in 1998 and grew fast."
        ));
    }
}
