//! Fuzz the RapidBin reader and the race engines on binary input: any input either fails
//! with an error naming the header or an event and its byte offset (the same for every
//! engine, and for the public reader when the fault is in the words), or every engine gives
//! the report of the trace's STD rendering. Memory stays bounded whatever the header says.
//! The public reader accepts exactly the words the detector accepts: it fails where the
//! detector reports a fault in the words (with the same error), and reads every word of a
//! trace the detector accepts or finds ill-formed (a lock or thread rule, which only the
//! detector checks).
#![no_main]

use causet_races::rapidbin::{RapidBinReader, rapidbin_to_std};
use causet_races::{
    Engine, RaceOptions, TraceError, TraceErrorKind, TraceFormat, detect_races,
    detect_races_with_format,
};

/// Whether the detector's error is about the bytes (the header or an event word) rather
/// than about what the events do (locks, forks, joins, limits).
fn is_word_fault(kind: &TraceErrorKind) -> bool {
    matches!(
        kind,
        TraceErrorKind::HeaderCut { .. }
            | TraceErrorKind::NegativeCount { .. }
            | TraceErrorKind::EventCut { .. }
            | TraceErrorKind::SignBit
            | TraceErrorKind::UnknownOperationCode { .. }
            | TraceErrorKind::IdBeyondHeader { .. }
            | TraceErrorKind::MissingEvents { .. }
            | TraceErrorKind::ExtraEvents { .. }
    )
}

/// The public reader over `data`: the number of events, or its first error.
fn read_all(data: &[u8]) -> Result<u64, TraceError> {
    let mut reader = RapidBinReader::new(data, "fuzz.data")?;
    let mut events = 0;
    while reader.next_event()?.is_some() {
        events += 1;
    }
    Ok(events)
}

fn run(
    data: &[u8],
    engine: Engine,
) -> Result<causet_races::RaceReport, causet_races::TraceError> {
    let mut options = RaceOptions::new(engine).with_list(8);
    // Keep clock memory small: fuzz inputs can name many threads.
    options.max_threads = 256;
    detect_races_with_format(
        data,
        "fuzz.data",
        TraceFormat::RapidBin,
        &options,
        &mut |_| {},
    )
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let reference = run(data, Engine::VectorClock);
    for engine in [Engine::Epoch, Engine::TreeClock] {
        let other = run(data, engine);
        match (&reference, &other) {
            (Ok(a), Ok(b)) => assert_eq!(a, b, "{engine} differs from vc"),
            (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string()),
            _ => panic!("engines disagree on whether the trace is valid"),
        }
    }
    match &reference {
        Err(err) => {
            let offset = err
                .byte_offset()
                .expect("RapidBin errors have a byte offset");
            if err.line() == 0 {
                assert_eq!(offset, 0, "header errors are at offset 0");
            } else {
                assert_eq!(offset, 18 + 8 * (err.line() - 1), "{err}");
            }
        }
        Ok(report) => {
            // Well-formed: the STD rendering reads to the same report.
            let mut text = Vec::new();
            let events = rapidbin_to_std(data, "fuzz.data", &mut text).expect("valid words");
            assert_eq!(events, report.events);
            let mut options = RaceOptions::new(Engine::VectorClock).with_list(8);
            options.max_threads = 256;
            let from_text =
                detect_races(text.as_slice(), "fuzz.std", &options).expect("same trace");
            assert_eq!(&from_text, report);
        }
    }
    match (&reference, read_all(data)) {
        (Ok(report), Ok(events)) => assert_eq!(events, report.events),
        (Ok(_), Err(error)) => panic!("the reader refuses a trace the detector accepts: {error}"),
        (Err(detected), Ok(_)) => assert!(
            !is_word_fault(detected.kind()),
            "the detector refuses words the reader accepts: {detected}"
        ),
        (Err(detected), Err(read)) => {
            assert!(is_word_fault(read.kind()), "reader error {read:?}");
            if is_word_fault(detected.kind()) {
                assert_eq!(detected.to_string(), read.to_string());
            } else {
                assert!(
                    read.line() > detected.line(),
                    "the reader fails at {read}, before the detector's {detected}"
                );
            }
        }
    }
});
