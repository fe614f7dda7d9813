//! Lenient timestamp parsing, plugged into feed-rs with `Builder::timestamp_parser`.
//!
//! Real feeds write dates every way: RFC 822/1123/2822 (with or without weekday, seconds or
//! zone, two-digit years, named zones such as `PST`, `CEST`, `GMT+7`), RFC 3339 / ISO 8601 (with
//! a space for `T`, no zone, no seconds, `/` separators), and localised month and weekday names
//! — including Arabic (Egyptian/Gulf, Levantine and Maghrebi month names) with Eastern Arabic
//! digits. Everything here is data: the month-name and zone tables below. Weekday names are never
//! used for validation. A date with no zone is read in the feed's configured zone.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use regex::Regex;
use std::sync::LazyLock;

/// Month names (lower case, without trailing dots) in the languages feeds use, by month number.
/// Multi-word Levantine names are handled in [`MULTIWORD_MONTHS`].
const MONTHS: &[(&str, u32)] = &[
    // English
    ("jan", 1),
    ("january", 1),
    ("feb", 2),
    ("february", 2),
    ("mar", 3),
    ("march", 3),
    ("apr", 4),
    ("april", 4),
    ("may", 5),
    ("jun", 6),
    ("june", 6),
    ("jul", 7),
    ("july", 7),
    ("aug", 8),
    ("august", 8),
    ("sep", 9),
    ("sept", 9),
    ("september", 9),
    ("oct", 10),
    ("october", 10),
    ("nov", 11),
    ("november", 11),
    ("dec", 12),
    ("december", 12),
    // German
    ("januar", 1),
    ("jän", 1),
    ("jänner", 1),
    ("februar", 2),
    ("mär", 3),
    ("mrz", 3),
    ("märz", 3),
    ("maerz", 3),
    ("mai", 5),
    ("juni", 6),
    ("juli", 7),
    ("okt", 10),
    ("oktober", 10),
    ("dez", 12),
    ("dezember", 12),
    // Dutch
    ("januari", 1),
    ("februari", 2),
    ("mrt", 3),
    ("maart", 3),
    ("mei", 5),
    ("augustus", 8),
    // Scandinavian
    ("maj", 5),
    ("mars", 3),
    ("des", 12),
    ("desember", 12),
    ("augusti", 8),
    // Finnish (abbreviations are the first three letters of the stem)
    ("tammi", 1),
    ("tammikuu", 1),
    ("tam", 1),
    ("helmi", 2),
    ("helmikuu", 2),
    ("hel", 2),
    ("maalis", 3),
    ("maaliskuu", 3),
    ("maa", 3),
    ("huhti", 4),
    ("huhtikuu", 4),
    ("huh", 4),
    ("touko", 5),
    ("toukokuu", 5),
    ("tou", 5),
    ("kesä", 6),
    ("kesäkuu", 6),
    ("kes", 6),
    ("heinä", 7),
    ("heinäkuu", 7),
    ("hei", 7),
    ("elo", 8),
    ("elokuu", 8),
    ("syys", 9),
    ("syyskuu", 9),
    ("syy", 9),
    ("loka", 10),
    ("lokakuu", 10),
    ("lok", 10),
    ("marras", 11),
    ("marraskuu", 11),
    ("joulu", 12),
    ("joulukuu", 12),
    ("jou", 12),
    // French
    ("janv", 1),
    ("janvier", 1),
    ("fév", 2),
    ("févr", 2),
    ("février", 2),
    ("fevr", 2),
    ("fevrier", 2),
    ("avr", 4),
    ("avril", 4),
    ("juin", 6),
    ("juil", 7),
    ("juillet", 7),
    ("aoû", 8),
    ("août", 8),
    ("aout", 8),
    ("septembre", 9),
    ("octobre", 10),
    ("novembre", 11),
    ("déc", 12),
    ("décembre", 12),
    ("decembre", 12),
    // Spanish
    ("ene", 1),
    ("enero", 1),
    ("febrero", 2),
    ("marzo", 3),
    ("abr", 4),
    ("abril", 4),
    ("mayo", 5),
    ("junio", 6),
    ("julio", 7),
    ("ago", 8),
    ("agosto", 8),
    ("septiembre", 9),
    ("setiembre", 9),
    ("octubre", 10),
    ("noviembre", 11),
    ("dic", 12),
    ("diciembre", 12),
    // Italian
    ("gen", 1),
    ("gennaio", 1),
    ("febbraio", 2),
    ("aprile", 4),
    ("mag", 5),
    ("maggio", 5),
    ("giu", 6),
    ("giugno", 6),
    ("lug", 7),
    ("luglio", 7),
    ("set", 9),
    ("settembre", 9),
    ("ott", 10),
    ("ottobre", 10),
    ("dicembre", 12),
    // Portuguese
    ("janeiro", 1),
    ("fev", 2),
    ("fevereiro", 2),
    ("março", 3),
    ("marco", 3),
    ("maio", 5),
    ("junho", 6),
    ("julho", 7),
    ("setembro", 9),
    ("out", 10),
    ("outubro", 10),
    ("novembro", 11),
    ("dezembro", 12),
    // Turkish
    ("ocak", 1),
    ("şubat", 2),
    ("mart", 3),
    ("nisan", 4),
    ("mayıs", 5),
    ("haziran", 6),
    ("temmuz", 7),
    ("ağustos", 8),
    ("eylül", 9),
    ("ekim", 10),
    ("kasım", 11),
    ("aralık", 12),
    // Russian (genitive and abbreviations)
    ("января", 1),
    ("янв", 1),
    ("февраля", 2),
    ("фев", 2),
    ("марта", 3),
    ("мар", 3),
    ("апреля", 4),
    ("апр", 4),
    ("мая", 5),
    ("май", 5),
    ("июня", 6),
    ("июн", 6),
    ("июля", 7),
    ("июл", 7),
    ("августа", 8),
    ("авг", 8),
    ("сентября", 9),
    ("сен", 9),
    ("октября", 10),
    ("окт", 10),
    ("ноября", 11),
    ("ноя", 11),
    ("декабря", 12),
    ("дек", 12),
    // Arabic, Egypt / Gulf (transliterated European names)
    ("يناير", 1),
    ("فبراير", 2),
    ("مارس", 3),
    ("أبريل", 4),
    ("ابريل", 4),
    ("إبريل", 4),
    ("مايو", 5),
    ("يونيو", 6),
    ("يونيه", 6),
    ("يوليو", 7),
    ("يوليه", 7),
    ("أغسطس", 8),
    ("اغسطس", 8),
    ("سبتمبر", 9),
    ("أكتوبر", 10),
    ("اكتوبر", 10),
    ("نوفمبر", 11),
    ("ديسمبر", 12),
    // Arabic, Levant / Iraq (Syriac names; the two-word ones are in MULTIWORD_MONTHS)
    ("شباط", 2),
    ("آذار", 3),
    ("اذار", 3),
    ("نيسان", 4),
    ("أيار", 5),
    ("ايار", 5),
    ("حزيران", 6),
    ("تموز", 7),
    ("آب", 8),
    ("اب", 8),
    ("أيلول", 9),
    ("ايلول", 9),
    // Arabic, Morocco
    ("ماي", 5),
    ("يوليوز", 7),
    ("غشت", 8),
    ("شتنبر", 9),
    ("نونبر", 11),
    ("دجنبر", 12),
    // Arabic, Algeria / Tunisia (French names)
    ("جانفي", 1),
    ("فيفري", 2),
    ("أفريل", 4),
    ("افريل", 4),
    ("جوان", 6),
    ("جويلية", 7),
    ("أوت", 8),
    ("اوت", 8),
];

/// Two-word Levantine month names, replaced by a one-word token before tokenising.
const MULTIWORD_MONTHS: &[(&str, &str)] = &[
    ("كانون الثاني", " jan "),
    ("كانون الأول", " dec "),
    ("كانون الاول", " dec "),
    ("تشرين الأول", " oct "),
    ("تشرين الاول", " oct "),
    ("تشرين الثاني", " nov "),
];

/// Zone abbreviations and their UTC offsets in minutes. `EST` is −05:00 all year (a fixed
/// abbreviation, not a region). `IST` is read as India, the common case in feeds.
const ZONES: &[(&str, i32)] = &[
    ("z", 0),
    ("ut", 0),
    ("utc", 0),
    ("gmt", 0),
    ("wet", 0),
    ("west", 60),
    ("bst", 60),
    ("cet", 60),
    ("met", 60),
    ("mez", 60),
    ("cest", 120),
    ("mest", 120),
    ("mesz", 120),
    ("eet", 120),
    ("eest", 180),
    ("sast", 120),
    ("msk", 180),
    ("ast", -240),
    ("adt", -180),
    ("est", -300),
    ("edt", -240),
    ("cst", -360),
    ("cdt", -300),
    ("mst", -420),
    ("mdt", -360),
    ("pst", -480),
    ("pdt", -420),
    ("akst", -540),
    ("akdt", -480),
    ("hst", -600),
    ("nst", -210),
    ("ndt", -150),
    ("ist", 330),
    ("pkt", 300),
    ("jst", 540),
    ("kst", 540),
    ("hkt", 480),
    ("sgt", 480),
    ("awst", 480),
    ("acst", 570),
    ("aest", 600),
    ("aedt", 660),
    ("nzst", 720),
    ("nzdt", 780),
    ("wib", 420),
    ("brt", -180),
    ("art", -180),
];

static ISO: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^(\d{4})(?:-|/|\.)?(\d{1,2})(?:-|/|\.)?(\d{1,2})(?:(?:T|t|\s+|_)(\d{1,2}):?(\d{2})(?::?(\d{1,2})(?:[.,]\d+)?)?)?\s*(.*)$",
    )
    .unwrap_or_else(|_| unreachable_regex())
});
static TIME: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(\d{1,2})[:.h](\d{2})(?::(\d{2})(?:[.,]\d+)?)?(?:\s*([ap])\.?m\.?\b)?")
        .unwrap_or_else(|_| unreachable_regex())
});
static OFFSET: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(?:^|\s|\d)(?:(gmt|utc|ut))?\s*([+-])(\d{1,2})(?::?(\d{2}))?\b")
        .unwrap_or_else(|_| unreachable_regex())
});

/// The patterns above are literals; a failure to compile them is a programming error caught by
/// the unit tests, never input-dependent.
fn unreachable_regex() -> Regex {
    #[allow(clippy::unwrap_used)]
    Regex::new("$^").unwrap()
}

/// Replaces Eastern Arabic (U+0660–0669) and Persian (U+06F0–06F9) digits with ASCII ones and
/// Arabic punctuation with its Latin counterpart.
fn ascii_digits(s: &str) -> std::borrow::Cow<'_, str> {
    if s.is_ascii() {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut t: String = s
        .chars()
        .map(|c| match c {
            '\u{660}'..='\u{669}' => char::from(b'0' + (c as u32 - 0x660) as u8),
            '\u{6f0}'..='\u{6f9}' => char::from(b'0' + (c as u32 - 0x6f0) as u8),
            '\u{60c}' => ',',
            '\u{66b}' => '.',
            '\u{200f}' | '\u{200e}' | '\u{a0}' => ' ',
            c => c,
        })
        .collect();
    for (from, to) in MULTIWORD_MONTHS {
        if t.contains(from) {
            t = t.replace(from, to);
        }
    }
    std::borrow::Cow::Owned(t)
}

fn month_of(word: &str) -> Option<u32> {
    let w = word.trim_end_matches('.').to_lowercase();
    MONTHS.iter().find(|(n, _)| *n == w).map(|(_, m)| *m)
}

fn zone_of(word: &str) -> Option<i32> {
    let w = word.to_ascii_lowercase();
    ZONES.iter().find(|(n, _)| *n == w).map(|(_, m)| *m)
}

fn year4(y: i32) -> i32 {
    match y {
        0..=49 => 2000 + y,
        50..=99 => 1900 + y,
        _ => y,
    }
}

/// Parses a feed timestamp; dates without a zone are read in `tz`.
pub fn parse_date(raw: &str, tz: chrono_tz::Tz) -> Option<DateTime<Utc>> {
    let s = raw.trim();
    if s.is_empty() || s.len() > 120 {
        return None;
    }
    if let Ok(d) = DateTime::parse_from_rfc3339(s) {
        return Some(d.with_timezone(&Utc));
    }
    if let Ok(d) = DateTime::parse_from_rfc2822(s) {
        return Some(d.with_timezone(&Utc));
    }
    let s = ascii_digits(s);
    let s = s.trim();
    if let Some(c) = ISO.captures(s) {
        let num = |i: usize| c.get(i).and_then(|m| m.as_str().parse::<u32>().ok());
        let date = NaiveDate::from_ymd_opt(num(1)? as i32, num(2)?, num(3)?)?;
        let time = match num(4) {
            Some(h) => NaiveTime::from_hms_opt(h, num(5)?, num(6).unwrap_or(0).min(59))?,
            None => NaiveTime::MIN,
        };
        let rest = c.get(7).map_or("", |m| m.as_str());
        return finish(date.and_time(time), zone(rest, true), tz);
    }
    general(s, tz)
}

/// Reads an offset from the zone part of a date. `strict` = the whole text is the zone.
fn zone(rest: &str, strict: bool) -> Option<Option<i32>> {
    let r = rest.trim();
    if r.is_empty() {
        return Some(None);
    }
    if let Some(c) = OFFSET.captures(&format!(" {r}")) {
        let sign = if &c[2] == "-" { -1 } else { 1 };
        let h: i32 = c[3].parse().ok()?;
        let m: i32 = c.get(4).map_or(Some(0), |m| m.as_str().parse().ok())?;
        // `+0530` arrives as h = "05", m = "30"; `+530` / `+5` as h only.
        let (h, m) = if c[3].len() > 2 {
            (h / 100, h % 100)
        } else {
            (h, m)
        };
        if h > 14 || m > 59 {
            return None;
        }
        return Some(Some(sign * (h * 60 + m)));
    }
    for word in r
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        if let Some(z) = zone_of(word) {
            return Some(Some(z));
        }
    }
    if strict && r.chars().any(|c| c.is_ascii_digit()) {
        return None;
    }
    Some(None)
}

fn finish(
    dt: NaiveDateTime,
    zone: Option<Option<i32>>,
    tz: chrono_tz::Tz,
) -> Option<DateTime<Utc>> {
    match zone? {
        Some(mins) => {
            let off = FixedOffset::east_opt(mins * 60)?;
            off.from_local_datetime(&dt)
                .single()
                .map(|d| d.with_timezone(&Utc))
        }
        None => tz
            .from_local_datetime(&dt)
            .earliest()
            .map(|d| d.with_timezone(&Utc)),
    }
}

/// Free-form dates: a time `H:MM[:SS] [am|pm]`, a zone, and a day / month / year in any order,
/// the month as a name in any language of [`MONTHS`] or as a number.
fn general(s: &str, tz: chrono_tz::Tz) -> Option<DateTime<Utc>> {
    let (time, rest) = match TIME.captures(s) {
        Some(c) => {
            let mut h: u32 = c[1].parse().ok()?;
            let m: u32 = c[2].parse().ok()?;
            let sec: u32 = c.get(3).map_or(Some(0), |m| m.as_str().parse().ok())?;
            if let Some(ap) = c.get(4) {
                let pm = ap.as_str().eq_ignore_ascii_case("p");
                h = match (h, pm) {
                    (12, false) => 0,
                    (12, true) => 12,
                    (h, true) => h + 12,
                    (h, false) => h,
                };
            }
            let all = c.get(0)?;
            let t = NaiveTime::from_hms_opt(h, m, sec.min(59))?;
            (t, format!("{} {}", &s[..all.start()], &s[all.end()..]))
        }
        None => (NaiveTime::MIN, s.to_string()),
    };
    let mut year = None;
    let mut month = None;
    let mut nums: Vec<u32> = Vec::new();
    let mut zone_text = String::new();
    // The offset, if any, is read from the text after the date words are taken out.
    for tok in rest
        .split(|c: char| c.is_whitespace() || matches!(c, ',' | '/' | '-' | '.' | '+' | '(' | ')'))
    {
        if tok.is_empty() {
            continue;
        }
        if let Ok(n) = tok.parse::<u32>() {
            if tok.len() == 4 && year.is_none() && (1000..=9999).contains(&n) {
                year = Some(n as i32);
            } else if tok.len() <= 2 {
                nums.push(n);
            } else if tok.len() == 4 {
                zone_text.push_str(tok);
            }
            continue;
        }
        if month.is_none() {
            if let Some(m) = month_of(tok) {
                month = Some(m);
                continue;
            }
            // "1st", "2nd", "23rd"
            let digits: String = tok.chars().take_while(|c| c.is_ascii_digit()).collect();
            if !digits.is_empty() && matches!(&tok[digits.len()..], "st" | "nd" | "rd" | "th") {
                if let Ok(n) = digits.parse() {
                    nums.push(n);
                }
                continue;
            }
        }
    }
    let (day, month) = match (month, nums.as_slice()) {
        (Some(m), [d, ..]) => {
            if year.is_none() && nums.len() >= 2 {
                year = Some(year4(nums[1] as i32));
            }
            (*d, m)
        }
        (None, [a, b, ..]) => {
            if year.is_none() && nums.len() >= 3 {
                year = Some(year4(nums[2] as i32));
            }
            // Numeric dates: day first (month first with `/`, the US habit) unless only the
            // other order can be a valid day-month pair.
            if *a > 12 || (*b <= 12 && !s.contains('/')) {
                (*a, *b)
            } else {
                (*b, *a)
            }
        }
        _ => return None,
    };
    let date = NaiveDate::from_ymd_opt(year?, month, day)?;
    // The zone is whatever follows the time (or the date when there is no time).
    let after_time = TIME.find(s).map_or("", |m| &s[m.end()..]);
    let zone = if after_time.is_empty() {
        zone(&zone_text, false)
    } else {
        zone(after_time, false)
    };
    finish(date.and_time(time), zone, tz)
}

#[cfg(test)]
mod tests {
    use super::parse_date;

    fn p(s: &str) -> Option<String> {
        parse_date(s, chrono_tz::UTC).map(|d| d.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
    }

    #[test]
    fn rfc822_variants_and_zones() {
        assert_eq!(
            p("Tue, 14 Nov 2023 09:15:00 PST").as_deref(),
            Some("2023-11-14T17:15:00Z")
        );
        assert_eq!(
            p("Tue, 09 Jun 2020 07:05:00 EST").as_deref(),
            Some("2020-06-09T12:05:00Z")
        );
        assert_eq!(
            p("Mon, 18 Mar 2019 03:10:00 UT").as_deref(),
            Some("2019-03-18T03:10:00Z")
        );
        assert_eq!(
            p("Thu, 14 Oct 2021 15:45:05 GMT+7").as_deref(),
            Some("2021-10-14T08:45:05Z")
        );
        assert_eq!(
            p("Tue, 27 Feb 2024 23:30:00 Z").as_deref(),
            Some("2024-02-27T23:30:00Z")
        );
        assert_eq!(
            p("Tue, 27 Feb 2024 09:00:00").as_deref(),
            Some("2024-02-27T09:00:00Z")
        );
        assert_eq!(
            p("Wed, 19 Jun 2024 16:00:00 +0530").as_deref(),
            Some("2024-06-19T10:30:00Z")
        );
        assert_eq!(
            p("Sun, 19 May 02 15:21 GMT").as_deref(),
            Some("2002-05-19T15:21:00Z")
        );
        assert_eq!(
            p("2024-02-27 08:30:00").as_deref(),
            Some("2024-02-27T08:30:00Z")
        );
        assert_eq!(
            p("2024-02-27T09:00:00").as_deref(),
            Some("2024-02-27T09:00:00Z")
        );
        assert_eq!(
            p("2003-12-31T10:14:55.1-08:00").as_deref(),
            Some("2003-12-31T18:14:55Z")
        );
    }

    #[test]
    fn localised_names_and_arabic_digits() {
        assert_eq!(
            p("Sa, 09 Mär 2019  8:05:09 GMT").as_deref(),
            Some("2019-03-09T08:05:09Z")
        );
        assert_eq!(
            p("Ke, 16 Lok 2013 18:00:00 +0300").as_deref(),
            Some("2013-10-16T15:00:00Z")
        );
        assert_eq!(
            p("Mardi, 18 Février 2020 15:40:00 +0100").as_deref(),
            Some("2020-02-18T14:40:00Z")
        );
        assert_eq!(
            p("mié, 05 jun 2024 09:15:00 -0300").as_deref(),
            Some("2024-06-05T12:15:00Z")
        );
        assert_eq!(
            p("الثلاثاء، ١٨ حزيران ٢٠٢٤ ١٠:٣٠ +0300").as_deref(),
            Some("2024-06-18T07:30:00Z")
        );
        assert_eq!(
            p("٢٠ كانون الثاني ٢٠٢٤ 08:00 GMT").as_deref(),
            Some("2024-01-20T08:00:00Z")
        );
        assert_eq!(
            p("05 شتنبر 2023 12:00").as_deref(),
            Some("2023-09-05T12:00:00Z")
        );
        assert_eq!(p("ayer por la tarde"), None);
    }
}
