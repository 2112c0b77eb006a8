//! The IDX format (MNIST's): a 4-byte magic, one big-endian `u32` per
//! dimension, then the elements, here unsigned bytes.
//!
//! Nothing in a file is trusted before it is checked: that it is a regular
//! file (a FIFO would block, a device never end), the magic, the element
//! type, the number of dimensions, and the declared sizes, first against a
//! bound ([`DEFAULT_MAX_ELEMENTS`], or the one given to
//! [`read_idx_limited`]) and then against the bytes that are really there.
//! Raw files are compared with their length on disk before anything is
//! read; gzipped ones (any number of members, as `cat a.gz b.gz` makes) are
//! inflated through a limit of one byte past the declared size, so memory
//! only grows with data that exists and was declared. A corrupt or cut
//! gzip stream is reported as such.

use std::fs::{self, File};
use std::io::{self, BufReader, Read};
use std::path::Path;

use katachi_core::{Error, Result};

mod gzip;

use gzip::{Gzip, MultiGzDecoder, is_gzip_fault};

/// The IDX element-type byte for unsigned bytes, the only type MNIST uses.
const UNSIGNED_BYTE: u8 = 0x08;

/// The most elements [`read_idx`] accepts a file to declare: 2²⁶ (64 MiB
/// of bytes, 256 MiB once converted to `f32`), above MNIST's 47 million
/// training pixels. A larger data set is read with [`read_idx_limited`].
pub const DEFAULT_MAX_ELEMENTS: usize = 1 << 26;

/// A parsed IDX file of unsigned bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Idx {
    /// The extents, outermost first: `[60000, 28, 28]` for MNIST's images.
    pub dims: Vec<usize>,
    /// The elements, row-major.
    pub data: Vec<u8>,
}

/// Reads an IDX file, gzipped (detected by its magic bytes) or raw, that
/// declares at most [`DEFAULT_MAX_ELEMENTS`] elements.
///
/// # Errors
/// [`Error::Io`] if the file cannot be opened or is not a regular file;
/// [`Error::Format`], naming the file and the problem, for every
/// malformation listed in the module docs.
pub fn read_idx(path: &Path) -> Result<Idx> {
    read_idx_limited(path, DEFAULT_MAX_ELEMENTS)
}

/// [`read_idx`] for a file that may declare up to `max_elements` elements.
///
/// ```
/// # let dir = std::env::temp_dir().join(format!("katachi-idx-doc-{}", std::process::id()));
/// # std::fs::create_dir_all(&dir)?;
/// let path = dir.join("labels-idx1-ubyte");
/// std::fs::write(&path, [0, 0, 8, 1, 0, 0, 0, 3, 7, 2, 1])?;
/// assert_eq!(katachi::data::read_idx_limited(&path, 3)?.data, [7, 2, 1]);
/// let err = katachi::data::read_idx_limited(&path, 2).unwrap_err();
/// assert!(err.to_string().ends_with("declares [3] = 3 elements, more than the 2 allowed"));
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
/// As [`read_idx`].
pub fn read_idx_limited(path: &Path, max_elements: usize) -> Result<Idx> {
    let name = path.display().to_string();
    let meta = fs::metadata(path).map_err(|e| Error::io(path, e))?;
    if !meta.is_file() {
        return Err(Error::not_a_file(path, &meta, "a data file"));
    }
    let mut reader = BufReader::new(File::open(path).map_err(|e| Error::io(path, e))?);
    let mut magic = [0u8; 2];
    let n = read_up_to(&mut reader, &mut magic).map_err(|e| Error::io(path, e))?;
    let rest = io::Cursor::new(magic[..n].to_vec()).chain(reader);
    if magic == [0x1f, 0x8b] {
        parse(&name, Gzip(MultiGzDecoder::new(rest)), None, max_elements)
    } else {
        parse(&name, rest, Some(meta.len()), max_elements)
    }
}

/// Reads until `buf` is full or the stream ends; the bytes read.
fn read_up_to(reader: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match reader.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// Parses IDX bytes already in memory (`name` is used in errors).
///
/// # Errors
/// As [`read_idx`], with the bound of [`DEFAULT_MAX_ELEMENTS`].
pub fn parse_idx(name: &str, bytes: &[u8]) -> Result<Idx> {
    parse(name, bytes, Some(bytes.len() as u64), DEFAULT_MAX_ELEMENTS)
}

/// Parses from a stream; `total` is the stream's length when known.
fn parse(name: &str, mut stream: impl Read, total: Option<u64>, max: usize) -> Result<Idx> {
    let read_err = |e: io::Error| Error::format(name, format!("cannot be read: {e}"));
    // A short header is the IDX file's fault; a gzip fault is reported as one.
    let header_err = |e: io::Error, short: String| {
        if is_gzip_fault(&e) || e.kind() != io::ErrorKind::UnexpectedEof {
            read_err(e)
        } else {
            Error::format(name, short)
        }
    };
    let mut magic = [0u8; 4];
    stream.read_exact(&mut magic).map_err(|e| {
        header_err(
            e,
            "file is shorter than an IDX header (4 bytes)".to_string(),
        )
    })?;
    if magic[0] != 0 || magic[1] != 0 {
        return Err(Error::format(
            name,
            format!(
                "not an IDX file: magic starts {:#04x} {:#04x}, expected 0x00 0x00",
                magic[0], magic[1]
            ),
        ));
    }
    if magic[2] != UNSIGNED_BYTE {
        return Err(Error::format(
            name,
            format!(
                "element type {:#04x} is not unsigned bytes (0x08)",
                magic[2]
            ),
        ));
    }
    let ndim = usize::from(magic[3]);
    if !(1..=4).contains(&ndim) {
        return Err(Error::format(
            name,
            format!("{ndim} dimensions; expected 1 to 4"),
        ));
    }
    let mut dims = Vec::with_capacity(ndim);
    for axis in 0..ndim {
        let mut word = [0u8; 4];
        stream
            .read_exact(&mut word)
            .map_err(|e| header_err(e, format!("header ends before dimension {axis} of {ndim}")))?;
        dims.push(u32::from_be_bytes(word) as usize);
    }
    let count = dims
        .iter()
        .try_fold(1usize, |acc, &d| acc.checked_mul(d))
        .ok_or_else(|| Error::format(name, format!("declared extents {dims:?} overflow")))?;
    let header = 4 + 4 * ndim as u64;
    if let Some(total) = total {
        let found = total.saturating_sub(header);
        if found != count as u64 {
            return Err(Error::format(
                name,
                format!("header declares {dims:?} = {count} elements, the file holds {found}"),
            ));
        }
    }
    if count > max {
        return Err(Error::format(
            name,
            format!("header declares {dims:?} = {count} elements, more than the {max} allowed"),
        ));
    }
    // Read at most one byte past the declared size: a short stream and a long
    // one are both caught, and memory never exceeds what the stream holds.
    // The whole declared size up front only when the file's length has
    // vouched for it; a stream's memory grows with what it really holds.
    let reserve = if total.is_some() {
        count
    } else {
        count.min(1 << 20)
    };
    let mut data = Vec::with_capacity(reserve);
    stream
        .take(count as u64 + 1)
        .read_to_end(&mut data)
        .map_err(read_err)?;
    if data.len() != count {
        let found = if data.len() > count {
            "more".to_string()
        } else {
            data.len().to_string()
        };
        return Err(Error::format(
            name,
            format!("header declares {dims:?} = {count} elements, the file holds {found}"),
        ));
    }
    Ok(Idx { dims, data })
}

#[cfg(test)]
mod tests;
