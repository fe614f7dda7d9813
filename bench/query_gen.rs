//! Benchmark fixture generator (not a test): writes N synthetic Arabic and English articles
//! through the store API — so the search index is built exactly as the pipeline builds it —
//! and prints the store's logical sizes.
//!
//! `cargo bench --bench query_gen -- DIR [N]` (release profile), used by `bench/query.sh`.

use chrono::{Duration, TimeZone, Utc};
use feedkeeper::model::{Article, ArticleId, ExtractionStatus, Revision, SeenIn};
use feedkeeper::store::{ArticleWrite, Route, Store};
use std::process::ExitCode;

/// xorshift64*: deterministic, dependency-free.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    /// Zipf-like index into a vocabulary of `n` words (frequent words are frequent).
    fn word(&mut self, n: usize) -> usize {
        let u = (self.next() >> 11) as f64 / (1u64 << 53) as f64;
        ((u * u * u) * n as f64) as usize % n
    }
}

fn vocabulary(syllables: &[&str], n: usize, rng: &mut Rng) -> Vec<String> {
    (0..n)
        .map(|_| {
            let len = 2 + (rng.next() % 3) as usize;
            (0..len)
                .map(|_| syllables[(rng.next() % syllables.len() as u64) as usize])
                .collect()
        })
        .collect()
}

fn sentence(vocab: &[String], words: usize, rng: &mut Rng) -> String {
    (0..words)
        .map(|_| vocab[rng.word(vocab.len())].as_str())
        .collect::<Vec<_>>()
        .join(" ")
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let Some(dir) = args.first() else {
        eprintln!("usage: query_gen DIR [N]");
        return ExitCode::from(2);
    };
    let n: usize = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(100_000);
    let store = match Store::open(std::path::Path::new(dir)) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("query_gen: {e}");
            return ExitCode::from(1);
        }
    };
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let ar = vocabulary(
        &[
            "ال", "م", "ت", "س", "ك", "ر", "د", "ن", "ة", "أ", "إ", "و", "ي", "ى", "ب", "ع", "ق",
            "ل", "ح", "ش",
        ],
        20_000,
        &mut rng,
    );
    let en = vocabulary(
        &[
            "ka", "lo", "mi", "tra", "pe", "ron", "sta", "vel", "in", "qu", "es", "tor", "an",
            "di", "mu",
        ],
        20_000,
        &mut rng,
    );
    // Real words too, so the benchmark can search for them.
    let ar_real = [
        "الأردن",
        "وزير",
        "الاتصالات",
        "غزة",
        "الاقتصاد",
        "عمان",
        "دمشق",
        "الحكومة",
    ];
    let en_real = [
        "jordan",
        "minister",
        "communications",
        "gaza",
        "economy",
        "amman",
        "market",
    ];
    let feeds = [
        "aa-ar",
        "aljazeera-ar",
        "cnn-arabic",
        "bbc-en",
        "reuters-en",
        "assabah-tn",
    ];
    let start = Utc
        .with_ymd_and_hms(2024, 1, 1, 0, 0, 0)
        .single()
        .unwrap_or_default();
    let t0 = std::time::Instant::now();
    for i in 0..n {
        let arabic = i % 3 != 2;
        let (vocab, real): (&[String], &[&str]) = if arabic {
            (&ar, &ar_real)
        } else {
            (&en, &en_real)
        };
        let mut title = sentence(vocab, 8, &mut rng);
        let mut text = sentence(vocab, 60, &mut rng);
        for _ in 0..2 {
            let w = real[(rng.next() % real.len() as u64) as usize];
            if rng.next() % 4 == 0 {
                title.push(' ');
                title.push_str(w);
            } else {
                text.push(' ');
                text.push_str(w);
            }
        }
        let published = start + Duration::minutes(i as i64 * 5);
        let feed = feeds[i % feeds.len()];
        let id = ArticleId::from_key(&format!("bench:{i}"));
        let a = Article {
            url: format!("https://news.example.org/{i}"),
            id,
            feed: feed.into(),
            guid: None,
            title,
            published: Some(published),
            updated: None,
            lang: Some(if arabic { "ar" } else { "en" }.into()),
            dir: Some(if arabic { "rtl" } else { "ltr" }.into()),
            byline: None,
            tags: Vec::new(),
            content_hash: feedkeeper::dedup::content_hash(&text),
            html: format!("<p>{text}</p>"),
            text,
            revisions: 1,
            seen_in: vec![SeenIn {
                feed: feed.into(),
                url: format!("https://news.example.org/{i}"),
                guid: None,
                seen_at: published,
            }],
            first_seen: published,
            last_seen: published,
            extraction: ExtractionStatus::Fallback,
            extraction_reason: None,
            item_key: String::new(),
            watch: Vec::new(),
            simhash: 0,
            near: Vec::new(),
        };
        let a = Article {
            simhash: feedkeeper::dedup::simhash(&a.text, 40),
            ..a
        };
        // Like a pipeline write of a new article: revision 1, the feed's route, the URL and
        // content-hash lookups, the near-duplicate bands.
        let rev = Revision {
            article: a.id.clone(),
            number: 1,
            title: a.title.clone(),
            text: a.text.clone(),
            html: a.html.clone(),
            content_hash: a.content_hash.clone(),
            published: a.published,
            updated: None,
            seen_at: published,
            changed: Vec::new(),
        };
        let route = Route {
            article: a.id.clone(),
            own: true,
            link: a.url.clone(),
            page_etag: None,
            page_last_modified: None,
            item_fingerprint: String::new(),
        };
        let item = a.url.clone();
        let w = ArticleWrite {
            article: &a,
            previous: None,
            revision: Some(&rev),
            routes: vec![(feed, item.as_str(), &route)],
            urls: vec![a.url.clone()],
            index_hash: true,
            others: Vec::new(),
            print: None,
            body: None,
        };
        if let Err(e) = store.write(&w) {
            eprintln!("query_gen: article {i}: {e}");
            return ExitCode::from(1);
        }
    }
    if let Err(e) = store.sync() {
        eprintln!("query_gen: {e}");
        return ExitCode::from(1);
    }
    println!(
        "query_gen: {n} articles written in {:.1} s; {} documents in the search index",
        t0.elapsed().as_secs_f64(),
        store.search_index_len().unwrap_or(0)
    );
    ExitCode::SUCCESS
}
