//! Fuzz target for the HTML entry point of the `extract` stage: arbitrary bytes (any
//! encoding, any markup) must never panic, overflow the stack or hang. The first byte picks
//! an HTTP charset hint so the decoding paths are exercised too.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (hint, page) = match data.split_first() {
        Some((h, rest)) => (*h, rest),
        None => (0, data),
    };
    let charset = match hint % 5 {
        0 => None,
        1 => Some("utf-8"),
        2 => Some("windows-1256"),
        3 => Some("iso-8859-1"),
        _ => Some("utf-16"),
    };
    let Ok(url) = url::Url::parse("https://www.aa.com.tr/ar/news/1") else {
        return;
    };
    if let Ok(x) = feedkeeper::extract::extract(page, charset, &url, &[]) {
        // The sanitised HTML never carries a script.
        assert!(!x.html.contains("<script"));
    }
});
