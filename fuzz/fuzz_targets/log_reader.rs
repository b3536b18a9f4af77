//! Fuzz target for the log reader and everything that runs on what it reads: the GoVector
//! fast path, the regex layouts (the first byte picks one), check, analyze, order.
//!
//! Invariants beyond "no panic": a log that passes check (strict or lenient) has a
//! concurrent-pair count that equals counting `order` over every pair, for small logs; and
//! the streaming regex reader reads what the whole-text one reads (the latter forced by a
//! regex that matches the same entries but may span any number of lines).
#![no_main]

use causet_clock::Causality;
use causet_log::{
    CheckOptions, ReadOptions, SHIVIZ_DEFAULT_REGEX, analyze, parse_clock_json, parse_log,
};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Some((&selector, input)) = data.split_first() else {
        return;
    };
    let options = match selector % 4 {
        0 => ReadOptions::default(),
        1 => ReadOptions {
            regex: Some(SHIVIZ_DEFAULT_REGEX.to_string()),
            delimiter: Some(r"^=== (?<trace>.*) ===$".to_string()),
            ..ReadOptions::default()
        },
        2 => ReadOptions {
            strict: true,
            ..ReadOptions::default()
        },
        _ => {
            if let Ok(text) = std::str::from_utf8(input) {
                let _ = parse_clock_json(text);
            }
            ReadOptions::default()
        }
    };
    if selector % 4 == 1 {
        let whole_text = ReadOptions {
            regex: Some(format!("{SHIVIZ_DEFAULT_REGEX}[\\s\\S]*?")),
            ..options.clone()
        };
        let streamed = parse_log(input, &options);
        let whole = parse_log(input, &whole_text);
        match (&streamed, &whole) {
            (Ok(a), Ok(b)) => {
                assert_eq!(a.unmatched, b.unmatched);
                assert_eq!(a.executions.len(), b.executions.len());
                for (x, y) in a.executions.iter().zip(&b.executions) {
                    assert_eq!(x.name(), y.name());
                    assert_eq!(x.nodes(), y.nodes());
                    assert!(x.events().eq(y.events()));
                }
            }
            (Err(a), Err(b)) => assert_eq!(a.line, b.line),
            _ => panic!("streamed {streamed:?} but whole text {whole:?}"),
        }
    }
    let Ok(log) = parse_log(input, &options) else {
        return;
    };
    for execution in &log.executions {
        let strict = execution.check(&CheckOptions::default()).is_ok();
        let lenient = execution.check(&CheckOptions { lenient: true }).is_ok();
        assert!(
            !strict || lenient,
            "strict validity implies lenient validity"
        );
        let messages = execution.messages();
        assert!(
            messages
                .iter()
                .all(|&(s, r)| s < execution.len() && r < execution.len())
        );
        if !lenient {
            continue;
        }
        let summary = analyze(execution);
        if execution.len() <= 64 {
            let mut concurrent = 0;
            for a in 0..execution.len() {
                for b in a + 1..execution.len() {
                    if execution.order(a, b) == Causality::Concurrent {
                        concurrent += 1;
                    }
                }
            }
            assert_eq!(summary.concurrent_pairs, concurrent);
        }
        for event in execution.events().take(8) {
            let id = execution.display_id(event.id());
            let _ = execution.order_ids(&id, &id);
        }
    }
});
