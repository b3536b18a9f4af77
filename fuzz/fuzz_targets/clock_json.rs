//! Fuzz target clock_json: the hand-written GoVector/ShiViz JSON clock parser.
//!
//! Any text must parse or return a `ParseError` (never panic), and whatever parses must
//! print back (GoVector style) to text that parses to the same clock, with a column inside
//! the input for every error.
#![no_main]

use causet_clock::VersionVector;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match text.parse::<VersionVector<String>>() {
        Ok(clock) => {
            let printed = clock.to_string();
            let again: VersionVector<String> = printed
                .parse()
                .expect("the printed form of a parsed clock parses");
            assert_eq!(again, clock, "round trip through {printed:?}");
            let bytes = clock.encode();
            assert_eq!(VersionVector::<String>::decode(&bytes), Ok(clock));
        }
        Err(err) => {
            assert!(
                err.column >= 1 && err.column <= text.len() + 1,
                "column {} outside the input of {} bytes",
                err.column,
                text.len()
            );
        }
    }
});
