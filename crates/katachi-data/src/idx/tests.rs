//! The IDX reader against hostile files.

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
    assert!(
        msg.starts_with(
            "huge: header declares [4000000000, 28, 28] = 3136000000000 elements, the file holds 0"
        ),
        "{msg}"
    );
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
    assert!(
        msg.ends_with(
            "header declares [100000, 28, 28] = 78400000 elements, more than the 67108864 allowed"
        ),
        "{msg}"
    );
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
            err.ends_with("is not a regular file (a FIFO, a socket or a device), not a data file"),
            "{err}"
        );
        fs::remove_file(&fifo).unwrap();
    }
    let err = read_idx(&std::env::temp_dir()).unwrap_err().to_string();
    assert!(err.ends_with("is a folder, not a data file"), "{err}");
}
