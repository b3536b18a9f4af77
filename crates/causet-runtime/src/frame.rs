//! The frames nodes speak over TCP: a length-prefixed body and the handshake.
//!
//! Every frame is a 4-byte big-endian body length, then the body; a length above the
//! maximum frame size ([`DEFAULT_MAX_FRAME`] by default) is rejected before anything is
//! allocated. The first byte of a body is its kind:
//!
//! - `H` hello, the first frame of every connection, from the connecting node:
//!   `H`, `CAUSET`, version `1`, varint name length, name, varint token length, token,
//!   roster digest (u64 little-endian), plan digest (u64 little-endian).
//! - `M` message: `M` then a node message (see [`crate::Node`]: kind byte, varint sender,
//!   stamp, payload); the sender must be the node that said hello.
//!

use std::io::{self, Read, Write};

use crate::RuntimeError;
use crate::varint::{read_varint, write_varint};

/// Default maximum frame body, in bytes.
pub const DEFAULT_MAX_FRAME: usize = 1 << 20;
/// Longest accepted run token, in bytes.
pub const MAX_TOKEN_LEN: usize = 256;
/// The kind byte of a hello frame.
pub const HELLO: u8 = b'H';
/// The kind byte of a message frame.
pub const MESSAGE: u8 = b'M';
const MAGIC: &[u8] = b"CAUSET";
const VERSION: u8 = 1;

/// Writes one frame.
pub fn write_frame(stream: &mut impl Write, kind: u8, body: &[u8]) -> io::Result<()> {
    let len = u32::try_from(body.len() + 1)
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "frame too large"))?;
    let mut frame = Vec::with_capacity(body.len() + 5);
    frame.extend_from_slice(&len.to_be_bytes());
    frame.push(kind);
    frame.extend_from_slice(body);
    stream.write_all(&frame)
}

/// The handshake a connecting node sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hello {
    /// The connecting node's name.
    pub name: String,
    /// The run token.
    pub token: String,
    /// [`Roster::digest`](crate::Roster::digest) of its cluster.
    pub roster_digest: u64,
    /// [`Plan::digest`](crate::demo::Plan::digest) of its workload.
    pub plan_digest: u64,
}

impl Hello {
    /// The hello frame's body after the kind byte.
    pub fn encode(&self) -> Vec<u8> {
        let mut body = Vec::with_capacity(32 + self.name.len() + self.token.len());
        body.extend_from_slice(MAGIC);
        body.push(VERSION);
        write_varint(&mut body, self.name.len() as u64);
        body.extend_from_slice(self.name.as_bytes());
        write_varint(&mut body, self.token.len() as u64);
        body.extend_from_slice(self.token.as_bytes());
        body.extend_from_slice(&self.roster_digest.to_le_bytes());
        body.extend_from_slice(&self.plan_digest.to_le_bytes());
        body
    }

    /// Parses a hello body (after the kind byte).
    pub fn decode(body: &[u8]) -> Result<Hello, String> {
        let rest = body
            .strip_prefix(MAGIC)
            .ok_or("not a causet handshake (bad magic)")?;
        let (&version, rest) = rest.split_first().ok_or("handshake ends early")?;
        if version != VERSION {
            return Err(format!("handshake version {version}, expected {VERSION}"));
        }
        let mut pos = 0;
        let name = read_text(rest, &mut pos, crate::roster::MAX_NAME_LEN, "name")?;
        let token = read_text(rest, &mut pos, MAX_TOKEN_LEN, "token")?;
        let digests = &rest[pos..];
        if digests.len() != 16 {
            return Err(format!(
                "handshake has {} digest bytes, expected 16",
                digests.len()
            ));
        }
        let mut roster = [0u8; 8];
        let mut plan = [0u8; 8];
        roster.copy_from_slice(&digests[..8]);
        plan.copy_from_slice(&digests[8..]);
        Ok(Hello {
            name,
            token,
            roster_digest: u64::from_le_bytes(roster),
            plan_digest: u64::from_le_bytes(plan),
        })
    }
}

fn read_text(bytes: &[u8], pos: &mut usize, max: usize, what: &str) -> Result<String, String> {
    let len = read_varint(bytes, pos)?;
    if len > max as u64 || len > (bytes.len() - *pos) as u64 {
        return Err(format!("handshake {what} of {len} bytes is too long"));
    }
    let text = &bytes[*pos..*pos + len as usize];
    *pos += len as usize;
    String::from_utf8(text.to_vec()).map_err(|_| format!("handshake {what} is not UTF-8"))
}

/// Reads frames from a stream with a read timeout, keeping partial frames across timeouts.
#[derive(Debug)]
pub struct FrameReader {
    buffer: Vec<u8>,
    max: usize,
}

/// What [`FrameReader::poll`] found.
#[derive(Debug, PartialEq, Eq)]
pub enum Frame {
    /// A whole frame body (kind byte first).
    Body(Vec<u8>),
    /// No whole frame yet (the read timed out).
    Pending,
    /// The peer closed the connection between frames.
    Closed,
}

impl FrameReader {
    /// A reader rejecting bodies over `max` bytes.
    pub fn new(max: usize) -> Self {
        FrameReader {
            buffer: Vec::new(),
            max,
        }
    }

    /// Returns the next frame, reading at most once from `stream`.
    pub fn poll(&mut self, stream: &mut impl Read, peer: &str) -> Result<Frame, RuntimeError> {
        if let Some(body) = self.take(peer)? {
            return Ok(Frame::Body(body));
        }
        let mut chunk = [0u8; 16 * 1024];
        match stream.read(&mut chunk) {
            Ok(0) if self.buffer.is_empty() => Ok(Frame::Closed),
            Ok(0) => Err(RuntimeError::Malformed {
                peer: peer.to_string(),
                reason: format!(
                    "connection closed inside a frame ({} bytes)",
                    self.buffer.len()
                ),
            }),
            Ok(read) => {
                self.buffer.extend_from_slice(&chunk[..read]);
                Ok(match self.take(peer)? {
                    Some(body) => Frame::Body(body),
                    None => Frame::Pending,
                })
            }
            Err(err)
                if matches!(
                    err.kind(),
                    io::ErrorKind::WouldBlock
                        | io::ErrorKind::TimedOut
                        | io::ErrorKind::Interrupted
                ) =>
            {
                Ok(Frame::Pending)
            }
            Err(err) => Err(RuntimeError::io(format!("cannot read from {peer}"), err)),
        }
    }

    fn take(&mut self, peer: &str) -> Result<Option<Vec<u8>>, RuntimeError> {
        if self.buffer.len() < 4 {
            return Ok(None);
        }
        let mut len = [0u8; 4];
        len.copy_from_slice(&self.buffer[..4]);
        let len = u32::from_be_bytes(len) as usize;
        if len > self.max {
            return Err(RuntimeError::FrameTooLarge {
                peer: peer.to_string(),
                len: len as u64,
                max: self.max,
            });
        }
        if len == 0 {
            return Err(RuntimeError::Malformed {
                peer: peer.to_string(),
                reason: "empty frame".into(),
            });
        }
        if self.buffer.len() < 4 + len {
            return Ok(None);
        }
        let body = self.buffer[4..4 + len].to_vec();
        self.buffer.drain(..4 + len);
        Ok(Some(body))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hello_round_trips_and_rejects_garbage() {
        let hello = Hello {
            name: "node1".into(),
            token: "secret".into(),
            roster_digest: 7,
            plan_digest: 9,
        };
        assert_eq!(Hello::decode(&hello.encode()), Ok(hello.clone()));
        assert!(Hello::decode(b"GET / HTTP/1.1").is_err());
        let mut long = hello.encode();
        long.push(0);
        assert!(Hello::decode(&long).is_err());
    }

    #[test]
    fn frame_reader_rejects_oversized_frames_before_reading_them() {
        let mut reader = FrameReader::new(16);
        let mut bytes: &[u8] = &[0, 0, 1, 0, b'M'];
        assert!(matches!(
            reader.poll(&mut bytes, "peer"),
            Err(RuntimeError::FrameTooLarge { len: 256, .. })
        ));
        let mut frame = Vec::new();
        write_frame(&mut frame, b'M', b"abc").unwrap();
        let mut reader = FrameReader::new(16);
        let mut input: &[u8] = &frame;
        assert_eq!(
            reader.poll(&mut input, "peer").unwrap(),
            Frame::Body(b"Mabc".to_vec())
        );
        assert_eq!(reader.poll(&mut input, "peer").unwrap(), Frame::Closed);
    }
}
