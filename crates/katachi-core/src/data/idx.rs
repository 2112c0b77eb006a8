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

use std::fmt;
use std::fs::{self, File};
use std::io::{self, BufReader, Read};
use std::path::Path;

use flate2::read::MultiGzDecoder;

use crate::error::{Error, Result};

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
        return Err(not_a_file(path, &meta));
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

/// The error for something under a data file's name that is not a file.
pub(crate) fn not_a_file(path: &Path, meta: &fs::Metadata) -> Error {
    let (kind, what) = if meta.is_dir() {
        (io::ErrorKind::IsADirectory, "a folder")
    } else {
        (
            io::ErrorKind::InvalidInput,
            "not a regular file (a FIFO, a socket or a device)",
        )
    };
    Error::io_problem(path, kind, format!("is {what}, not a data file"))
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

/// A gzip decoder whose errors say they come from the gzip stream, so that
/// a corrupt or cut stream is not taken for a short IDX file.
struct Gzip<R>(MultiGzDecoder<R>);

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
fn is_gzip_fault(e: &io::Error) -> bool {
    e.get_ref().is_some_and(|inner| inner.is::<GzipFault>())
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
mod tests {
    use super::*;

    /// IDX bytes for `dims` with elements `0, 1, 2, …` (mod 256).
    pub(crate) fn idx_bytes(kind: u8, dims: &[u32], extra: isize) -> Vec<u8> {
        let mut bytes = vec![0, 0, kind, dims.len() as u8];
        for d in dims {
            bytes.extend_from_slice(&d.to_be_bytes());
        }
        let count: usize = dims.iter().map(|&d| d as usize).product();
        let count = (count as isize + extra).max(0) as usize;
        bytes.extend((0..count).map(|i| i as u8));
        bytes
    }

    fn problem(result: Result<Idx>) -> String {
        match result.unwrap_err() {
            Error::Format { file, problem } => format!("{file}: {problem}"),
            other => panic!("expected a format error, got {other}"),
        }
    }

    #[test]
    fn reads_a_well_formed_file() {
        let idx = parse_idx("ok", &idx_bytes(8, &[2, 3], 0)).unwrap();
        assert_eq!(idx.dims, [2, 3]);
        assert_eq!(idx.data, [0, 1, 2, 3, 4, 5]);
    }

    #[test]
    fn every_malformation_is_an_error_naming_the_file() {
        assert_eq!(
            problem(parse_idx("a", &[0, 0])),
            "a: file is shorter than an IDX header (4 bytes)"
        );
        assert_eq!(
            problem(parse_idx("b", &[1, 0, 8, 1, 0, 0, 0, 0])),
            "b: not an IDX file: magic starts 0x01 0x00, expected 0x00 0x00"
        );
        assert_eq!(
            problem(parse_idx("c", &idx_bytes(0x0d, &[2], 0))),
            "c: element type 0x0d is not unsigned bytes (0x08)"
        );
        assert_eq!(
            problem(parse_idx("d", &[0, 0, 8, 0])),
            "d: 0 dimensions; expected 1 to 4"
        );
        assert_eq!(
            problem(parse_idx("e", &[0, 0, 8, 2, 0, 0, 0, 1])),
            "e: header ends before dimension 1 of 2"
        );
        assert_eq!(
            problem(parse_idx("f", &idx_bytes(8, &[2, 3], -1))),
            "f: header declares [2, 3] = 6 elements, the file holds 5"
        );
        assert_eq!(
            problem(parse_idx("g", &idx_bytes(8, &[2, 3], 2))),
            "g: header declares [2, 3] = 6 elements, the file holds 8"
        );
    }

    #[test]
    fn a_huge_declared_size_allocates_nothing() {
        // Four billion 28×28 images declared, 16 bytes present.
        let mut bytes = vec![0, 0, 8, 3];
        for d in [4_000_000_000u32, 28, 28] {
            bytes.extend_from_slice(&d.to_be_bytes());
        }
        let msg = problem(parse_idx("huge", &bytes));
        assert!(msg.starts_with("huge: header declares [4000000000, 28, 28] = 3136000000000 elements, the file holds 0"), "{msg}");
    }

    #[test]
    fn gzip_streams_are_bounded_by_the_declared_size() {
        use flate2::{Compression, write::GzEncoder};
        use std::io::Write;
        let dir = std::env::temp_dir().join(format!("katachi-idx-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let write_gz = |name: &str, bytes: &[u8]| {
            let path = dir.join(name);
            let mut enc = GzEncoder::new(File::create(&path).unwrap(), Compression::fast());
            enc.write_all(bytes).unwrap();
            enc.finish().unwrap();
            path
        };
        let good = write_gz("good.gz", &idx_bytes(8, &[3, 2], 0));
        assert_eq!(read_idx(&good).unwrap().data, [0, 1, 2, 3, 4, 5]);
        let short = write_gz("short.gz", &idx_bytes(8, &[3, 2], -2));
        assert!(
            problem(read_idx(&short))
                .ends_with("header declares [3, 2] = 6 elements, the file holds 4")
        );
        let long = write_gz("long.gz", &idx_bytes(8, &[3, 2], 5));
        assert!(
            problem(read_idx(&long))
                .ends_with("header declares [3, 2] = 6 elements, the file holds more")
        );
        let missing = dir.join("missing.gz");
        assert!(matches!(read_idx(&missing).unwrap_err(), Error::Io { .. }));
        fs::remove_dir_all(&dir).unwrap();
    }

    fn gz(bytes: &[u8]) -> Vec<u8> {
        use flate2::{Compression, write::GzEncoder};
        use std::io::Write;
        let mut enc = GzEncoder::new(Vec::new(), Compression::fast());
        enc.write_all(bytes).unwrap();
        enc.finish().unwrap()
    }

    fn temp_file(name: &str, bytes: &[u8]) -> std::path::PathBuf {
        let path = std::env::temp_dir().join(format!("katachi-idx-{}-{name}", std::process::id()));
        fs::write(&path, bytes).unwrap();
        path
    }

    #[test]
    fn every_member_of_a_multi_member_gzip_is_read() {
        let whole = idx_bytes(8, &[3, 4], 0);
        let mut two = gz(&whole[..9]);
        two.extend(gz(&whole[9..]));
        let path = temp_file("multi.gz", &two);
        assert_eq!(read_idx(&path).unwrap().data, (0..12).collect::<Vec<u8>>());
        fs::remove_file(&path).unwrap();
    }

    #[test]
    fn a_cut_or_corrupt_gzip_stream_is_reported_as_one() {
        let good = gz(&idx_bytes(8, &[30, 4], 0));
        let cut = temp_file("cut.gz", &good[..14]);
        let msg = problem(read_idx(&cut));
        assert!(msg.contains("corrupt or cut gzip stream"), "{msg}");
        let mut bad = good.clone();
        for b in &mut bad[10..16] {
            *b ^= 0xa5;
        }
        let corrupt = temp_file("corrupt.gz", &bad);
        let msg = problem(read_idx(&corrupt));
        assert!(msg.contains("corrupt or cut gzip stream"), "{msg}");
        for p in [cut, corrupt] {
            fs::remove_file(p).unwrap();
        }
    }

    #[test]
    fn a_gzip_bomb_is_refused_from_its_header() {
        // 100 000 images declared (78.4 M elements, over the default bound)
        // in a few kilobytes: refused before anything is inflated past the header.
        let mut header = vec![0, 0, 8, 3];
        for d in [100_000u32, 28, 28] {
            header.extend_from_slice(&d.to_be_bytes());
        }
        let mut bomb = header.clone();
        bomb.resize(header.len() + (8 << 20), 0);
        let path = temp_file("bomb.gz", &gz(&bomb));
        let msg = problem(read_idx(&path));
        assert!(msg.ends_with("header declares [100000, 28, 28] = 78400000 elements, more than the 67108864 allowed"), "{msg}");
        // A caller that expects such a set raises the bound; the short stream is then the fault.
        let msg = problem(read_idx_limited(&path, 100_000 * 784));
        assert!(msg.ends_with("the file holds 8388608"), "{msg}");
        fs::remove_file(&path).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn a_fifo_or_folder_is_refused_without_blocking() {
        let fifo = std::env::temp_dir().join(format!("katachi-idx-{}-fifo", std::process::id()));
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        if made.is_ok_and(|s| s.success()) {
            let err = read_idx(&fifo).unwrap_err().to_string();
            assert!(
                err.ends_with(
                    "is not a regular file (a FIFO, a socket or a device), not a data file"
                ),
                "{err}"
            );
            fs::remove_file(&fifo).unwrap();
        }
        let err = read_idx(&std::env::temp_dir()).unwrap_err().to_string();
        assert!(err.ends_with("is a folder, not a data file"), "{err}");
    }
}
