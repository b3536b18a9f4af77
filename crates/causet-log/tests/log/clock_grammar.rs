//! One clock grammar: the log reader's scanner (`causet_log::parse_clock_json`, behind `causet
//! check` and every log command) and the clock crate's parser (`VersionVector::from_str`,
//! behind `causet clock`) accept the same texts and read the same entries, except for the
//! log's own documented rules: counters below 2^32, names not empty and free of control
//! characters. Texts are built from pieces a real clock
//! and its near misses are made of: escapes, whitespace, the TLA+ variant, signs, fractions,
//! huge numbers, duplicates, truncation.

use causet_clock::VersionVector;
use causet_log::ClockJsonErrorKind;
use proptest::prelude::*;

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("a".to_string()),
        Just("b".to_string()),
        Just("node0".to_string()),
        Just("x\\\"y".to_string()),
        Just("\\u00e9".to_string()),
        Just("\\ud83d\\ude00".to_string()),
        Just("\\ud83d".to_string()),
        Just("t\\tab".to_string()),
        Just("\\q".to_string()),
        Just(String::new()),
        "[a-c]{1,3}",
    ]
}

fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        (0u64..100).prop_map(|n| n.to_string()),
        Just("4294967295".to_string()),
        Just("4294967296".to_string()),
        Just("18446744073709551615".to_string()),
        Just("18446744073709551616".to_string()),
        Just("-1".to_string()),
        Just("-0".to_string()),
        Just("007".to_string()),
        Just("1.5".to_string()),
        Just("1e3".to_string()),
        Just("true".to_string()),
        Just("\"1\"".to_string()),
    ]
}

fn space() -> impl Strategy<Value = &'static str> {
    prop_oneof![Just(""), Just(" "), Just("\n"), Just(" \t"), Just("\u{a0}")]
}

prop_compose! {
    fn clock_text()(
        entries in proptest::collection::vec((key(), space(), value(), space()), 0..4),
        lead in space(),
        trail in space(),
        tla in proptest::bool::weighted(0.2),
        cut in proptest::option::weighted(0.15, 0usize..40),
        extra in prop_oneof![Just(""), Just(","), Just("}"), Just("x")],
    ) -> String {
        let q = if tla { "\\\"" } else { "\"" };
        let body: Vec<String> = entries
            .iter()
            .map(|(k, s1, v, s2)| format!("{q}{k}{q}{s1}:{s2}{v}"))
            .collect();
        let mut text = format!("{lead}{{{}}}{extra}{trail}", body.join(", "));
        if let Some(cut) = cut {
            let mut at = cut.min(text.len());
            while !text.is_char_boundary(at) {
                at -= 1;
            }
            text.truncate(at);
        }
        text
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4000))]

    #[test]
    fn the_log_reader_and_the_clock_parser_read_one_grammar(text in clock_text()) {
        let log = causet_log::parse_clock_json(&text);
        let clock = text.parse::<VersionVector<String>>();
        match (&log, &clock) {
            (Ok(entries), Ok(vv)) => {
                // Zero counters are dropped by the clock and kept by the scanner.
                let nonzero: Vec<(String, u64)> = entries
                    .iter()
                    .filter(|(_, n)| *n > 0)
                    .map(|(k, n)| (k.clone(), u64::from(*n)))
                    .collect();
                let mut sorted = nonzero.clone();
                sorted.sort();
                let read: Vec<(String, u64)> = vv.iter().map(|(k, n)| (k.clone(), n)).collect();
                prop_assert_eq!(read, sorted);
            }
            (Err(_), Err(_)) => {}
            (Err(error), Ok(vv)) => {
                // Only the log's own rules may refuse what the clock reads: a counter of
                // 2^32 or more, an empty name, a control character in a name.
                prop_assert!(
                    matches!(
                        error.kind,
                        ClockJsonErrorKind::TooLarge
                            | ClockJsonErrorKind::EmptyKey
                            | ClockJsonErrorKind::BadEscape
                    ),
                    "the log refuses {:?} ({}), the clock reads {:?}", text, error, vv
                );
            }
            (Ok(entries), Err(error)) => {
                prop_assert!(false, "the log reads {:?} as {:?}, the clock refuses it: {}", text, entries, error);
            }
        }

        // The reader's fast paths (the plain scanner, and the template of the host's
        // previous clock, learned from a first line of the same shape with other digits)
        // accept exactly what the scanner accepts.
        let text = text.trim_matches([' ', '\t']);
        if !text.contains(['\n', '\r']) && text.starts_with('{') {
            let first: String = text
                .chars()
                .map(|c| if c.is_ascii_digit() { '1' } else { c })
                .collect();
            let first_ok = causet_log::parse_clock_json(&first).is_ok();
            let log = format!("h {first}\nfirst\nh {text}\nsecond\n");
            let read = causet_log::parse_log(log.as_bytes(), &causet_log::ReadOptions::default());
            let events = read.as_ref().map(|log| log.executions.iter().map(|e| e.len()).sum::<usize>());
            prop_assert_eq!(
                events.as_ref().ok().copied(),
                (first_ok && causet_log::parse_clock_json(text).is_ok()).then_some(2),
                "reader on {:?}: {:?}", log, read.err().map(|e| e.to_string())
            );
        }
    }
}
