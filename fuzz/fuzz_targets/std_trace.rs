//! Fuzz the STD trace reader and the race engines: any input either fails with an error
//! naming a line, or all three engines give the same report; and the reader's word-at-a-time
//! path (the whole input in its buffer) gives exactly the events, names and first error of
//! its byte-wise paths (the input handed over one byte per read, so that no line has the
//! bytes the word path needs after it).
#![no_main]

use std::io::Read;

use causet_races::{Engine, RaceOptions, StdEvent, StdReader, detect_races};

/// Hands out one byte per read.
struct OneByte<'a>(&'a [u8]);

impl Read for OneByte<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match (self.0.split_first(), buf.first_mut()) {
            (Some((&b, rest)), Some(slot)) => {
                *slot = b;
                self.0 = rest;
                Ok(1)
            }
            _ => Ok(0),
        }
    }
}

/// Every event with its line and thread name, then the error (as text) if any.
fn read_all(mut reader: StdReader<impl Read>) -> (Vec<(StdEvent, u64, String)>, Option<String>) {
    let mut events = Vec::new();
    loop {
        match reader.next_event() {
            Ok(Some(event)) => {
                let thread = reader.names().thread(event.thread);
                events.push((event, reader.line(), thread));
            }
            Ok(None) => return (events, None),
            Err(err) => return (events, Some(format!("{err} @{}", err.line()))),
        }
    }
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let whole = read_all(StdReader::new(data, "fuzz.std"));
    let bytewise = read_all(StdReader::new(OneByte(data), "fuzz.std"));
    assert_eq!(whole, bytewise, "word path and byte-wise paths differ");

    let mut options = RaceOptions::new(Engine::VectorClock).with_list(8);
    // Keep clock memory small: fuzz inputs can name many threads.
    options.max_threads = 256;
    let reference = detect_races(data, "fuzz.std", &options);
    for engine in [Engine::Epoch, Engine::TreeClock] {
        let mut other_options = options.clone();
        other_options.engine = engine;
        let other = detect_races(data, "fuzz.std", &other_options);
        match (&reference, &other) {
            (Ok(a), Ok(b)) => assert_eq!(a, b, "{engine} differs from vc"),
            (Err(a), Err(b)) => {
                assert_eq!(a.line(), b.line());
                assert_eq!(a.to_string(), b.to_string());
            }
            _ => panic!("engines disagree on whether the trace is valid"),
        }
    }
    if let Err(err) = &reference {
        assert!(err.line() >= 1, "errors name a line");
    }
});
