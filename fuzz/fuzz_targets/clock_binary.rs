//! Fuzz target clock_binary: the binary decoders of dense and sparse clocks.
//!
//! Any bytes must decode or return a `DecodeError` (never panic, never allocate beyond a
//! bound proportional to the input), and whatever decodes must re-encode to bytes that
//! decode to the same clock, no longer than the input.
#![no_main]

use causet_clock::{VectorClock, VersionVector};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(clock) = VectorClock::decode(data) {
        let bytes = clock.encode();
        assert!(bytes.len() <= data.len(), "canonical form is never longer");
        assert_eq!(VectorClock::decode(&bytes), Ok(clock));
    }
    if let Ok(clock) = VersionVector::<u32>::decode(data) {
        let bytes = clock.encode();
        assert_eq!(VersionVector::<u32>::decode(&bytes), Ok(clock));
    }
    if let Ok(clock) = VersionVector::<u8>::decode(data) {
        assert_eq!(VersionVector::<u8>::decode(&clock.encode()), Ok(clock));
    }
    if let Ok(clock) = VersionVector::<String>::decode(data) {
        let bytes = clock.encode();
        assert!(bytes.len() <= data.len(), "canonical form is never longer");
        assert_eq!(VersionVector::<String>::decode(&bytes), Ok(clock));
    }
});
