//! Stamps in gRPC metadata (feature `tonic`): [`tonic::metadata::MetadataMap`] is a
//! carrier, the stamp in its ASCII entry [`HEADER_NAME`](crate::stamp::HEADER_NAME).
//!
//! ```
//! use causet_tracing::{EventLog, OpenNode, Priority};
//! use tonic::metadata::MetadataMap;
//!
//! let mut client = OpenNode::new("client", EventLog::memory())?;
//! let mut server = OpenNode::new("server", EventLog::memory())?;
//! let mut metadata = MetadataMap::new();
//! client.inject(Priority::Info, "send /orders.Orders/Get", &[], &mut metadata)?;
//! assert!(server.extract(Priority::Info, "receive /orders.Orders/Get", &[], &metadata)?);
//! assert_eq!(server.clock().to_string(), r#"{"client":1, "server":1}"#);
//! Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use tonic::metadata::{MetadataMap, MetadataValue};

use crate::carrier::{Extractor, Injector};

impl Injector for MetadataMap {
    fn set(&mut self, name: &'static str, value: &str) {
        // Base64url text is always a valid ASCII metadata value.
        if let Ok(value) = MetadataValue::try_from(value) {
            self.insert(name, value);
        }
    }
}

impl Extractor for MetadataMap {
    fn get_one(&self, name: &str) -> Result<Option<&[u8]>, usize> {
        let mut values = self.get_all(name).iter();
        match (values.next(), values.count()) {
            (None, _) => Ok(None),
            (Some(value), 0) => Ok(Some(value.as_bytes())),
            (Some(_), more) => Err(more + 1),
        }
    }
}
