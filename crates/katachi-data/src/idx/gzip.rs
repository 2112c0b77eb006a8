//! Gzip streams whose faults say so: a corrupt or cut stream is reported
//! as such, not taken for a short IDX file.

use std::fmt;
use std::io::{self, Read};

pub(super) use flate2::read::MultiGzDecoder;

/// A gzip decoder whose errors say they come from the gzip stream, so that
/// a corrupt or cut stream is not taken for a short IDX file.
pub(super) struct Gzip<R>(pub(super) MultiGzDecoder<R>);

/// What [`Gzip`] wraps its decoder's errors in.
#[derive(Debug)]
struct GzipFault(io::Error);

impl fmt::Display for GzipFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "corrupt or cut gzip stream: {}", self.0)
    }
}

impl std::error::Error for GzipFault {}

impl<R: io::BufRead> Read for Gzip<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0
            .read(buf)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, GzipFault(e)))
    }
}

/// Whether `e` is a fault of the gzip stream rather than of the IDX data.
pub(super) fn is_gzip_fault(e: &io::Error) -> bool {
    e.get_ref().is_some_and(|inner| inner.is::<GzipFault>())
}
