//! Property tests of the clock algebra: merge is a join, compare a partial order that
//! agrees with it, dense and sparse clocks agree, every encoding round-trips.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};

use causet_clock::{Causality, DecodeError, VectorClock, VersionVector};
use proptest::prelude::*;

/// Entries drawn from a small range so that random clocks are often ordered or equal, with
/// an occasional huge value to exercise multi-byte varints.
fn entry() -> impl Strategy<Value = u64> {
    prop_oneof![8 => 0u64..4, 1 => any::<u64>()]
}

/// Raw entries, possibly with trailing zeros, long enough to cross chunk boundaries.
fn entries() -> impl Strategy<Value = Vec<u64>> {
    prop::collection::vec(entry(), 0..40)
}

fn dense() -> impl Strategy<Value = VectorClock> {
    entries().prop_map(VectorClock::from_entries)
}

/// Three clocks that share structure: `b` and `c` are often above `a` (so chains occur).
fn triple() -> impl Strategy<Value = (VectorClock, VectorClock, VectorClock)> {
    (dense(), dense(), dense(), any::<(bool, bool)>()).prop_map(|(a, x, y, (up_b, up_c))| {
        let mut b = x;
        if up_b {
            b.merge(&a);
        }
        let mut c = y;
        if up_c {
            c.merge(&b);
        }
        (a, b, c)
    })
}

fn sparse(clock: &VectorClock) -> VersionVector<u32> {
    clock
        .as_slice()
        .iter()
        .enumerate()
        .map(|(i, &n)| (i as u32, n))
        .collect()
}

fn named(clock: &VectorClock) -> VersionVector<String> {
    clock
        .as_slice()
        .iter()
        .enumerate()
        .map(|(i, &n)| (format!("node{i}"), n))
        .collect()
}

fn merged(a: &VectorClock, b: &VectorClock) -> VectorClock {
    let mut m = a.clone();
    m.merge(b);
    m
}

/// The definition, entry by entry over the zero-padded vectors.
fn reference(a: &[u64], b: &[u64]) -> Causality {
    let n = a.len().max(b.len());
    let at = |v: &[u64], i: usize| v.get(i).copied().unwrap_or(0);
    let less = (0..n).any(|i| at(a, i) < at(b, i));
    let greater = (0..n).any(|i| at(a, i) > at(b, i));
    match (less, greater) {
        (false, false) => Causality::Equal,
        (true, false) => Causality::Before,
        (false, true) => Causality::After,
        (true, true) => Causality::Concurrent,
    }
}

fn hash_of<T: Hash>(value: &T) -> u64 {
    let mut hasher = DefaultHasher::new();
    value.hash(&mut hasher);
    hasher.finish()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn merge_is_commutative_associative_idempotent((a, b, c) in triple()) {
        prop_assert_eq!(merged(&a, &b), merged(&b, &a));
        prop_assert_eq!(merged(&merged(&a, &b), &c), merged(&a, &merged(&b, &c)));
        prop_assert_eq!(merged(&a, &a), a.clone());
        let (sa, sb, sc) = (sparse(&a), sparse(&b), sparse(&c));
        let sm = |x: &VersionVector<u32>, y: &VersionVector<u32>| {
            let mut m = x.clone();
            m.merge(y);
            m
        };
        prop_assert_eq!(sm(&sa, &sb), sm(&sb, &sa));
        prop_assert_eq!(sm(&sm(&sa, &sb), &sc), sm(&sa, &sm(&sb, &sc)));
        prop_assert_eq!(sm(&sa, &sa), sa.clone());
    }

    #[test]
    fn merge_is_the_least_upper_bound((a, b, c) in triple()) {
        let m = merged(&a, &b);
        prop_assert!(m.dominates(&a) && m.dominates(&b));
        // Any clock above both inputs is above the merge.
        if c.dominates(&a) && c.dominates(&b) {
            prop_assert!(c.dominates(&m));
        }
        let above = merged(&m, &c);
        prop_assert!(above.dominates(&m));
        let (sa, sb, sc) = (sparse(&a), sparse(&b), sparse(&c));
        let mut sm = sa.clone();
        sm.merge(&sb);
        prop_assert!(sm.dominates(&sa) && sm.dominates(&sb));
        if sc.dominates(&sa) && sc.dominates(&sb) {
            prop_assert!(sc.dominates(&sm));
        }
    }

    #[test]
    fn meet_is_the_greatest_lower_bound((a, b, c) in triple()) {
        let mut m = a.clone();
        m.meet(&b);
        prop_assert!(a.dominates(&m) && b.dominates(&m));
        if a.dominates(&c) && b.dominates(&c) {
            prop_assert!(m.dominates(&c));
        }
        let mut sm = sparse(&a);
        sm.meet(&sparse(&b));
        prop_assert_eq!(sm, sparse(&m));
    }

    #[test]
    fn compare_is_a_partial_order((a, b, c) in triple()) {
        prop_assert_eq!(a.compare(&a), Causality::Equal);
        let (ab, bc, ac) = (a.compare(&b), b.compare(&c), a.compare(&c));
        // Antisymmetric: a ≤ b and b ≤ a only when equal (and then `==` holds).
        if b.dominates(&a) && a.dominates(&b) {
            prop_assert_eq!(&a, &b);
            prop_assert_eq!(ab, Causality::Equal);
        }
        // Transitive.
        if matches!(ab, Causality::Before | Causality::Equal)
            && matches!(bc, Causality::Before | Causality::Equal)
        {
            prop_assert!(matches!(ac, Causality::Before | Causality::Equal));
            if ab == Causality::Before || bc == Causality::Before {
                prop_assert_eq!(ac, Causality::Before);
            }
        }
        prop_assert_eq!(b.compare(&a), ab.reverse());
        prop_assert_eq!(a.partial_cmp(&b), ab.to_ordering());
        prop_assert_eq!(a == b, ab == Causality::Equal);
    }

    #[test]
    fn compare_agrees_with_dominates_and_the_definition(a in entries(), b in entries()) {
        let (ca, cb) = (VectorClock::from_entries(a.clone()), VectorClock::from_entries(b.clone()));
        let answer = ca.compare(&cb);
        prop_assert_eq!(answer, reference(&a, &b));
        prop_assert_eq!(ca.dominates(&cb), matches!(answer, Causality::After | Causality::Equal));
        prop_assert_eq!(cb.dominates(&ca), matches!(answer, Causality::Before | Causality::Equal));
        prop_assert_eq!(
            answer == Causality::Concurrent,
            !ca.dominates(&cb) && !cb.dominates(&ca)
        );
        prop_assert_eq!(ca.is_concurrent_with(&cb), answer == Causality::Concurrent);
    }

    #[test]
    fn dense_and_sparse_give_the_same_answers(a in dense(), b in dense()) {
        let (sa, sb) = (sparse(&a), sparse(&b));
        let (na, nb) = (named(&a), named(&b));
        let answer = a.compare(&b);
        prop_assert_eq!(sa.compare(&sb), answer);
        prop_assert_eq!(sa.dominates(&sb), a.dominates(&b));
        prop_assert_eq!(sb.dominates(&sa), b.dominates(&a));
        prop_assert_eq!(sa.partial_cmp(&sb), a.partial_cmp(&b));
        // String ids sort differently ("node10" < "node2"): the answers must not change.
        prop_assert_eq!(na.compare(&nb), answer);
        prop_assert_eq!(sparse(&merged(&a, &b)), {
            let mut m = sa.clone();
            m.merge(&sb);
            m
        });
        let mut nm = na.clone();
        nm.merge(&nb);
        prop_assert_eq!(nm, named(&merged(&a, &b)));
        prop_assert_eq!(VersionVector::<usize>::from(&a).len(), sa.len());
        for i in 0..a.len().max(b.len()) + 2 {
            prop_assert_eq!(sa.get(&(i as u32)), a.get(i));
        }
    }

    #[test]
    fn trailing_zeros_change_nothing(a in entries(), zeros in 0usize..20, b in dense()) {
        let mut padded = a.clone();
        padded.extend(std::iter::repeat_n(0, zeros));
        let (x, y) = (VectorClock::from_entries(a), VectorClock::from_entries(padded));
        prop_assert_eq!(&x, &y);
        prop_assert_eq!(hash_of(&x), hash_of(&y));
        prop_assert_eq!(x.compare(&y), Causality::Equal);
        prop_assert_eq!(x.compare(&b), y.compare(&b));
        prop_assert_eq!(x.encode(), y.encode());
        prop_assert!(x.as_slice().last() != Some(&0));
        // Zero entries of a sparse clock are never stored either.
        let mut s = sparse(&x);
        s.set(&1000, 0);
        prop_assert_eq!(hash_of(&s), hash_of(&sparse(&y)));
    }

    #[test]
    fn binary_round_trips(a in dense()) {
        let bytes = a.encode();
        prop_assert_eq!(bytes.len(), a.encoded_len());
        prop_assert_eq!(VectorClock::decode(&bytes), Ok(a.clone()));
        if a.as_slice().iter().all(|&n| n < 128) {
            prop_assert!(bytes.len() <= a.len() + 2);
        }
        let s = sparse(&a);
        let bytes = s.encode();
        prop_assert_eq!(bytes.len(), s.encoded_len());
        prop_assert_eq!(VersionVector::<u32>::decode(&bytes), Ok(s.clone()));
        prop_assert_eq!(VersionVector::<u64>::decode(&bytes).map(|v| v.len()), Ok(s.len()));
        let n = named(&a);
        let bytes = n.encode();
        prop_assert_eq!(bytes.len(), n.encoded_len());
        prop_assert_eq!(VersionVector::<String>::decode(&bytes), Ok(n));
    }

    #[test]
    fn json_round_trips(a in dense(), names in prop::collection::vec("[a-z\"\\\\é\u{1}\u{1F600} ]{0,6}", 0..6)) {
        let mut clock: VersionVector<String> = names
            .into_iter()
            .zip(a.as_slice().iter().copied())
            .collect();
        clock.merge(&named(&a));
        // Our GoVector text, parsed by us and by serde_json.
        let text = clock.to_string();
        prop_assert_eq!(text.parse::<VersionVector<String>>(), Ok(clock.clone()));
        let via_serde: VersionVector<String> = serde_json::from_str(&text).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(&via_serde, &clock);
        // serde_json's text, parsed by us.
        let json = serde_json::to_string(&clock).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(json.parse::<VersionVector<String>>(), Ok(clock.clone()));
        // Dense clocks are JSON lists.
        let list = serde_json::to_string(&a).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let back: VectorClock = serde_json::from_str(&list).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(back, a);
    }

    /// Our parser and serde_json (through our `Deserialize`) accept exactly the same
    /// texts, and agree on the value, over mutations of valid clocks.
    #[test]
    fn hand_parser_agrees_with_serde_json(
        base in prop::collection::vec(("[a-c]{1,2}", 0u64..3), 0..4),
        edits in prop::collection::vec((any::<prop::sample::Index>(), prop::sample::select(vec![
            "", "-", "0", "1", ".", "e", "\"", "\\", ",", ":", "{", "}", " ", "\t", "\\u00e9",
            "\\ud83d\\ude00", "\\ud83d", "1.5", "-1", "-0", "01", "null", "\"x\"", "99999999999999999999",
        ])), 0..3),
    ) {
        let mut text = String::from("{");
        for (k, (key, n)) in base.iter().enumerate() {
            if k > 0 {
                text.push_str(", ");
            }
            text.push_str(&format!("\"{key}\":{n}"));
        }
        text.push('}');
        for (at, insert) in edits {
            let at = at.index(text.len() + 1);
            if text.is_char_boundary(at) {
                text.insert_str(at, insert);
            }
        }
        let ours = text.parse::<VersionVector<String>>();
        // The TLA+ variant (`{\"a\":1}`) is the clock its one extra level of escaping holds.
        let tla = text.trim_start().strip_prefix('{').is_some_and(|rest| rest.trim_start().starts_with("\\\""));
        let json = if tla { text.replace("\\\\", "\u{1}").replace("\\\"", "\"").replace('\u{1}', "\\") } else { text.clone() };
        let theirs = serde_json::from_str::<VersionVector<String>>(&json);
        match (&ours, &theirs) {
            (Ok(x), Ok(y)) => prop_assert_eq!(x, y),
            (Err(_), Err(_)) => {}
            _ => prop_assert!(false, "{text:?}: ours {ours:?}, serde_json {theirs:?}"),
        }
    }

    #[test]
    fn decoders_never_panic_on_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..64)) {
        let _ = VectorClock::decode(&bytes);
        let _ = VersionVector::<u8>::decode(&bytes);
        let _ = VersionVector::<u32>::decode(&bytes);
        let _ = VersionVector::<String>::decode(&bytes);
        if let Ok(text) = std::str::from_utf8(&bytes) {
            let _ = text.parse::<VersionVector<String>>();
        }
    }
}

/// Length prefixes that claim far more than the input holds are rejected up front, for
/// every size of claim.
#[test]
fn adversarial_length_prefixes_are_rejected_before_allocating() {
    for shift in [7u32, 14, 21, 31, 32, 40, 56, 63] {
        let claimed = 1u64 << shift;
        let mut bytes = vec![0x03];
        let mut value = claimed;
        while value >= 0x80 {
            bytes.push((value as u8) | 0x80);
            value >>= 7;
        }
        bytes.push(value as u8);
        bytes.extend_from_slice(b"abc");
        let err = VersionVector::<String>::decode(&bytes).unwrap_err();
        assert_eq!(
            err,
            DecodeError::LengthTooLarge {
                claimed,
                remaining: 3,
                offset: 1
            },
            "claim 2^{shift}"
        );
    }
    // A length that is exactly right but followed by nothing for the counter.
    assert_eq!(
        VersionVector::<String>::decode(b"\x03\x03abc"),
        Err(DecodeError::UnexpectedEnd { offset: 5 })
    );
    // Ten continuation bytes: a varint past 64 bits.
    let mut overlong = vec![0x01];
    overlong.extend_from_slice(&[0xff; 10]);
    overlong.push(0x01);
    assert!(matches!(
        VectorClock::decode(&overlong),
        Err(DecodeError::VarintOverflow { .. })
    ));
    // Wrong format bytes are told apart.
    let sparse: VersionVector<u32> = [(1, 1)].into_iter().collect();
    assert_eq!(
        VersionVector::<String>::decode(&sparse.encode()),
        Err(DecodeError::UnknownFormat {
            byte: 0x02,
            offset: 0
        })
    );
}

/// Golden bytes and text: an accidental change of a wire format fails here.
#[test]
fn golden_encodings() {
    let dense = VectorClock::from_entries(vec![1, 0, 300]);
    assert_eq!(dense.encode(), [0x01, 0x01, 0x00, 0xac, 0x02]);
    let sparse: VersionVector<u32> = [(0, 1), (7, 2)].into_iter().collect();
    assert_eq!(sparse.encode(), [0x02, 0x00, 0x01, 0x06, 0x02]);
    let named: VersionVector<String> = r#"{"bob":1, "alice":2}"#.parse().unwrap();
    assert_eq!(named.encode(), b"\x03\x05alice\x02\x03bob\x01");
    assert_eq!(named.to_string(), r#"{"alice":2, "bob":1}"#);
    assert_eq!(
        serde_json::to_string(&named).unwrap(),
        r#"{"alice":2,"bob":1}"#
    );
    assert_eq!(serde_json::to_string(&dense).unwrap(), "[1,0,300]");
    let lamport = causet_clock::LamportClock::at(7);
    assert_eq!(serde_json::to_string(&lamport).unwrap(), "7");
}

/// serde rejects what is not a clock, with a message saying what a counter must be.
#[test]
fn serde_rejects_bad_counters() {
    for (text, needle) in [
        (r#"{"a":-1}"#, "non-negative integer counter"),
        (r#"{"a":1.5}"#, "non-negative integer counter"),
        (r#"{"a":"1"}"#, "non-negative integer counter"),
        (r#"{"a":1,"a":2}"#, "appears twice"),
        ("[1]", "clock object"),
    ] {
        let err = serde_json::from_str::<VersionVector<String>>(text).unwrap_err();
        assert!(err.to_string().contains(needle), "{text}: {err}");
    }
    assert_eq!(
        serde_json::from_str::<VersionVector<String>>(r#"{"a":0, "b":2}"#).unwrap(),
        r#"{"b":2}"#.parse().unwrap()
    );
    assert!(serde_json::from_str::<VectorClock>("[1,-2]").is_err());
}

/// The hand-written parser's messages name the column and the node.
#[test]
fn parse_errors_are_precise() {
    let cases = [
        (
            "",
            "column 1: expected '{' (a clock is a JSON object), found end of input",
        ),
        (
            "{\"a\":1",
            "column 7: expected ',' or '}', found end of input",
        ),
        (
            "{\"a\":1} x",
            "column 9: expected end of input after the clock, found 'x'",
        ),
        ("{a:1}", "column 2: expected a quoted node name, found 'a'"),
        (
            "{\"a\" 1}",
            "column 6: expected ':' after the node name, found '1'",
        ),
        ("{\"a\":}", "column 6: expected a counter, found '}'"),
        (
            "{\"a\":-7}",
            "column 6: counter of node \"a\" is negative: -7",
        ),
        (
            "{\"a\":1e3}",
            "column 6: counter of node \"a\" is not a non-negative integer: 1e3",
        ),
        (
            "{\"a\":true}",
            "column 6: counter of node \"a\" is not a non-negative integer: true",
        ),
        (
            "{\"a\":007}",
            "column 6: expected a counter without leading zeros, found 007",
        ),
        (
            "{\"b\":1,\"a\":1,\"b\":2}",
            "column 14: node \"b\" appears twice",
        ),
        (
            "{\"a\\q\":1}",
            "column 4: invalid node name: unknown escape",
        ),
        (
            "{\"a\u{1}\":1}",
            "column 4: invalid node name: raw control character (must be escaped)",
        ),
        (
            "{\"\\ud800\":1}",
            "column 3: invalid node name: lone surrogate in \\u escape",
        ),
        (
            "{\"abc",
            "column 2: invalid node name: missing closing quote",
        ),
    ];
    for (text, expected) in cases {
        let err = text.parse::<VersionVector<String>>().unwrap_err();
        assert_eq!(err.to_string(), expected, "{text:?}");
    }
    let ok: VersionVector<String> = " {\"\\u00e9\\ud83d\\ude00\\n\" :\t3 } \n".parse().unwrap();
    assert_eq!(ok.get("é😀\n"), 3);
    // `-0` is refused, as serde_json (which reads it as the float -0.0) refuses it.
    assert!("{\"a\":-0}".parse::<VersionVector<String>>().is_err());
}

/// Up to 8 entries stay inline; more spill to the heap.
#[test]
fn small_version_vectors_do_not_allocate() {
    let mut v: VersionVector<u32> = VersionVector::new();
    for node in 0..8 {
        v.tick(&node);
    }
    assert!(!v.spilled());
    let mut w = v.clone();
    w.merge(&v);
    assert!(!w.spilled());
    v.tick(&8);
    assert!(v.spilled());
}
