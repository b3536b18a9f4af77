//! Carriers: whatever a stamp travels in beside a message (headers, metadata, maps).

use std::collections::{BTreeMap, HashMap};

/// A carrier a stamp can be put into: HTTP headers, gRPC metadata, a string map.
pub trait Injector {
    /// Sets `name` to `value`, replacing what it held. `value` is base64url text (always a
    /// valid HTTP header value).
    fn set(&mut self, name: &'static str, value: &str);
}

/// A carrier a stamp can be read from.
pub trait Extractor {
    /// The value of `name`: `Ok(None)` when absent, `Err(count)` when it appears `count`
    /// (more than one) times.
    fn get_one(&self, name: &str) -> Result<Option<&[u8]>, usize>;
}

impl<S: std::hash::BuildHasher> Injector for HashMap<String, String, S> {
    fn set(&mut self, name: &'static str, value: &str) {
        self.insert(name.to_string(), value.to_string());
    }
}

impl<S: std::hash::BuildHasher> Extractor for HashMap<String, String, S> {
    fn get_one(&self, name: &str) -> Result<Option<&[u8]>, usize> {
        Ok(self.get(name).map(String::as_bytes))
    }
}

impl Injector for BTreeMap<String, String> {
    fn set(&mut self, name: &'static str, value: &str) {
        self.insert(name.to_string(), value.to_string());
    }
}

impl Extractor for BTreeMap<String, String> {
    fn get_one(&self, name: &str) -> Result<Option<&[u8]>, usize> {
        Ok(self.get(name).map(String::as_bytes))
    }
}

/// A list of `(name, value)` pairs (names compared exactly).
impl Injector for Vec<(String, String)> {
    fn set(&mut self, name: &'static str, value: &str) {
        self.retain(|(key, _)| key != name);
        self.push((name.to_string(), value.to_string()));
    }
}

impl Extractor for Vec<(String, String)> {
    fn get_one(&self, name: &str) -> Result<Option<&[u8]>, usize> {
        let mut found = self.iter().filter(|(key, _)| key == name);
        match (found.next(), found.count()) {
            (None, _) => Ok(None),
            (Some((_, value)), 0) => Ok(Some(value.as_bytes())),
            (Some(_), more) => Err(more + 1),
        }
    }
}

impl Extractor for [(String, String)] {
    fn get_one(&self, name: &str) -> Result<Option<&[u8]>, usize> {
        let mut found = self.iter().filter(|(key, _)| key == name);
        match (found.next(), found.count()) {
            (None, _) => Ok(None),
            (Some((_, value)), 0) => Ok(Some(value.as_bytes())),
            (Some(_), more) => Err(more + 1),
        }
    }
}

/// Any collection that takes `(name, value)` pairs: the stamp is appended (use it on a
/// fresh collection; a map replaces an earlier value).
///
/// ```
/// use causet_tracing::{EventLog, Extending, OpenNode, Priority};
///
/// let mut node = OpenNode::new("client", EventLog::discard())?;
/// let mut pairs: Vec<(&'static str, String)> = Vec::new();
/// node.inject(Priority::Info, "send", &[], &mut Extending(&mut pairs))?;
/// assert_eq!(pairs[0].0, "causet-stamp");
/// Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct Extending<'a, E>(pub &'a mut E);

impl<E: Extend<(&'static str, String)>> Injector for Extending<'_, E> {
    fn set(&mut self, name: &'static str, value: &str) {
        self.0.extend([(name, value.to_string())]);
    }
}

#[cfg(feature = "http")]
mod http_headers {
    use http::header::{HeaderMap, HeaderName, HeaderValue};

    use super::{Extractor, Injector};

    impl Injector for HeaderMap {
        fn set(&mut self, name: &'static str, value: &str) {
            // Base64url text is always a valid header value.
            if let Ok(value) = HeaderValue::from_str(value) {
                self.insert(HeaderName::from_static(name), value);
            }
        }
    }

    impl Extractor for HeaderMap {
        fn get_one(&self, name: &str) -> Result<Option<&[u8]>, usize> {
            let mut values = self.get_all(name).iter();
            match (values.next(), values.count()) {
                (None, _) => Ok(None),
                (Some(value), 0) => Ok(Some(value.as_bytes())),
                (Some(_), more) => Err(more + 1),
            }
        }
    }
}
