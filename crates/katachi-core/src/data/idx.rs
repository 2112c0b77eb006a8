//! The IDX format (MNIST's): a 4-byte magic, one big-endian `u32` per
//! dimension, then the elements, here unsigned bytes.
//!
//! Nothing in a file is trusted before it is checked: the magic, the
//! element type, the number of dimensions, and the declared sizes against
//! the bytes that are really there. A header declaring four billion images
//! costs nothing: raw files are compared with their length on disk before
//! anything is read, and gzipped ones are read through a limit of the
//! declared size, so memory only grows with data that exists.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

use flate2::read::GzDecoder;

use crate::{Error, Result};

/// The IDX element-type byte for unsigned bytes, the only type MNIST uses.
const UNSIGNED_BYTE: u8 = 0x08;

/// A parsed IDX file of unsigned bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Idx {
    /// The extents, outermost first: `[60000, 28, 28]` for MNIST's images.
    pub dims: Vec<usize>,
    /// The elements, row-major.
    pub data: Vec<u8>,
}

/// Reads an IDX file, gzipped (detected by its magic bytes) or raw.
///
/// # Errors
/// [`Error::Io`] if the file cannot be read; [`Error::Format`], naming the
/// file and the problem, for every malformation listed in the module docs.
pub fn read_idx(path: &Path) -> Result<Idx> {
    let name = path.display().to_string();
    let file = File::open(path).map_err(|e| Error::io(path, &e))?;
    let on_disk = file.metadata().map_err(|e| Error::io(path, &e))?.len();
    let mut reader = BufReader::new(file);
    let mut magic = [0u8; 2];
    reader
        .read_exact(&mut magic)
        .map_err(|_| Error::format(&name, "file is shorter than an IDX header"))?;
    let rest = std::io::Cursor::new(magic).chain(reader);
    if magic == [0x1f, 0x8b] {
        parse(&name, GzDecoder::new(rest), None)
    } else {
        parse(&name, rest, Some(on_disk))
    }
}

/// Parses IDX bytes already in memory (`name` is used in errors).
///
/// # Errors
/// As [`read_idx`].
pub fn parse_idx(name: &str, bytes: &[u8]) -> Result<Idx> {
    parse(name, bytes, Some(bytes.len() as u64))
}

/// Parses from a stream; `total` is the stream's length when known.
fn parse(name: &str, mut stream: impl Read, total: Option<u64>) -> Result<Idx> {
    let read_err = |e: std::io::Error| Error::format(name, format!("cannot be read: {e}"));
    let mut magic = [0u8; 4];
    stream
        .read_exact(&mut magic)
        .map_err(|_| Error::format(name, "file is shorter than an IDX header (4 bytes)"))?;
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
        stream.read_exact(&mut word).map_err(|_| {
            Error::format(
                name,
                format!("header ends before dimension {axis} of {ndim}"),
            )
        })?;
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
    // Read at most one byte past the declared size: a short stream and a long
    // one are both caught, and memory never exceeds what the stream holds.
    let mut data = Vec::new();
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
        std::fs::create_dir_all(&dir).unwrap();
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
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
