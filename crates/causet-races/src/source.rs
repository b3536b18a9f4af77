//! What the detector reads events through: a source of dense-id event batches (the STD
//! reader and the RapidBin reader each implement it) and its name tables. Below the readers
//! and the detector, so that neither imports the other.

use crate::error::{TraceError, TraceErrorKind};
use crate::std_format::batch::Batch;

/// A reader that fills [`Batch`]es of dense-id events (STD text or RapidBin).
pub(crate) trait EventSource {
    /// The name tables, for the report and the errors.
    type Names: NameTable;
    /// Replaces `batch`'s events with the next ones (and the error that ends the input).
    fn fill(&mut self, batch: &mut Batch);
    /// The name tables so far.
    fn names(&self) -> &Self::Names;
    /// Events read so far.
    fn events_read(&self) -> u64;
    /// Bytes consumed from the input so far.
    fn bytes_read(&self) -> u64;
    /// An ill-formedness error at the 1-based event (line) `event`, whose text is `text`.
    fn error(&self, event: u64, text: &[u8], kind: TraceErrorKind) -> TraceError;
}

/// Names by dense id, as reports and errors spell them.
pub(crate) trait NameTable {
    fn thread(&self, id: u32) -> String;
    fn lock(&self, id: u32) -> String;
    fn variable(&self, id: u32) -> String;
    fn location(&self, key: u64) -> String;
    fn thread_count(&self) -> usize;
    fn lock_count(&self) -> usize;
    fn variable_count(&self) -> usize;
}
