//! Fuzz target for the `parse` stage: any bytes, with or without an HTTP charset, must give a
//! feed or an error, never a panic escaping `parse_feed` and never an abort.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let opts = feedkeeper::parse::ParseOptions::default();
    let base = url::Url::parse("http://feeds.example.org/f.xml").ok();
    let (charset, bytes) = match data.split_first() {
        Some((b, rest)) if *b < 8 => {
            let cs = ["windows-1256", "iso-8859-6", "utf-16le", "utf-16be", "ibm855", "shift_jis", "utf-8", "bogus"];
            (Some(cs[usize::from(*b)]), rest)
        }
        _ => (None, data),
    };
    if let Err(feedkeeper::parse::ParseError::Panic(msg)) =
        feedkeeper::parse::parse_feed(bytes, charset, base.as_ref(), &opts)
    {
        panic!("parse_feed caught a panic: {msg}");
    }
});
