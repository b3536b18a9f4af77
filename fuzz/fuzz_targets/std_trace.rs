//! Fuzz the STD trace reader and the race engines: any input either fails with an error
//! naming a line, or all three engines give the same report.
#![no_main]

use causet_trace::races::{Engine, RaceOptions, detect_races};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
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
