//! serde support (feature `serde`, on by default).
//!
//! - [`VersionVector<Id>`](crate::VersionVector) is a map from id to counter. With
//!   `serde_json` and string ids that is exactly the GoVector/ShiViz clock object
//!   `{"alice":2,"bob":1}`: keys sorted, zero entries omitted on output and accepted on
//!   input, a repeated id rejected.
//! - [`VectorClock`](crate::VectorClock) is a sequence of counters `[2,0,1]` (trailing zeros
//!   accepted on input).
//! - [`LamportClock`](crate::LamportClock) is its time, a bare integer.
//!
//! Counters must be non-negative integers that fit in 64 bits: a negative number, a
//! fraction or a non-number is an error saying so.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};

use crate::{VectorClock, VersionVector};

/// Most entries reserved from a length hint the input gives (the hint is not trusted).
const HINT_CAP: usize = 4096;

/// A counter: accepts only non-negative integers, with a message saying so.
struct Counter(u64);

impl<'de> Deserialize<'de> for Counter {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct CounterVisitor;

        impl Visitor<'_> for CounterVisitor {
            type Value = Counter;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a non-negative integer counter")
            }

            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Counter, E> {
                Ok(Counter(v))
            }

            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Counter, E> {
                u64::try_from(v)
                    .map(Counter)
                    .map_err(|_| E::invalid_value(de::Unexpected::Signed(v), &self))
            }

            fn visit_u128<E: de::Error>(self, v: u128) -> Result<Counter, E> {
                u64::try_from(v)
                    .map(Counter)
                    .map_err(|_| E::custom(format_args!("counter {v} does not fit in 64 bits")))
            }

            fn visit_i128<E: de::Error>(self, v: i128) -> Result<Counter, E> {
                u64::try_from(v).map(Counter).map_err(|_| {
                    E::custom(format_args!(
                        "counter {v} is not a non-negative integer below 2^64"
                    ))
                })
            }
        }

        deserializer.deserialize_u64(CounterVisitor)
    }
}

impl<Id: Serialize> Serialize for VersionVector<Id> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.len()))?;
        for (id, n) in self.iter() {
            map.serialize_entry(id, &n)?;
        }
        map.end()
    }
}

impl<'de, Id: Deserialize<'de> + Ord + Clone> Deserialize<'de> for VersionVector<Id> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct MapVisitor<Id>(PhantomData<Id>);

        impl<'de, Id: Deserialize<'de> + Ord + Clone> Visitor<'de> for MapVisitor<Id> {
            type Value = VersionVector<Id>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a clock object mapping node ids to non-negative integer counters")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut entries: Vec<(Id, u64)> =
                    Vec::with_capacity(map.size_hint().unwrap_or(0).min(HINT_CAP));
                while let Some((id, Counter(n))) = map.next_entry::<Id, Counter>()? {
                    entries.push((id, n));
                }
                entries.sort_by(|a, b| a.0.cmp(&b.0));
                if entries.windows(2).any(|pair| pair[0].0 == pair[1].0) {
                    return Err(de::Error::custom("a node appears twice in the clock"));
                }
                Ok(VersionVector::from_entries(entries))
            }
        }

        deserializer.deserialize_map(MapVisitor(PhantomData))
    }
}

impl Serialize for VectorClock {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.len()))?;
        for n in self.as_slice() {
            seq.serialize_element(n)?;
        }
        seq.end()
    }
}

impl<'de> Deserialize<'de> for VectorClock {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct SeqVisitor;

        impl<'de> Visitor<'de> for SeqVisitor {
            type Value = VectorClock;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a list of non-negative integer counters")
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<VectorClock, A::Error> {
                let mut entries = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(HINT_CAP));
                while let Some(Counter(n)) = seq.next_element()? {
                    entries.push(n);
                }
                Ok(VectorClock::from_entries(entries))
            }
        }

        deserializer.deserialize_seq(SeqVisitor)
    }
}
