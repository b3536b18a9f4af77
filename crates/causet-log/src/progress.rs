//! The progress callback of the readers (the GoVector reader and the ShiViz regex reader
//! both report through it), apart from both so that neither imports the other for it.

/// Progress of a read: bytes consumed so far and the total, when known.
pub type Progress<'a> = &'a mut dyn FnMut(u64, Option<u64>);
