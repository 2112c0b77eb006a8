//! Replacing a file so that a crash leaves the old one or the new one,
//! never a mix, and nothing behind.

use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

/// Bytes of the target's name kept in a temporary name: enough to tell
/// whose it is, short enough that any valid name still gives a valid one.
const NAME_PART: usize = 64;

/// What temporary names end with.
const SUFFIX: &str = ".tmp";

/// Saves started by this process, so that two at once get distinct names.
static SAVES: AtomicU64 = AtomicU64::new(0);

/// Writes `bytes` to `path` through a temporary file in the same folder:
/// write, sync, rename, sync the folder. The temporary file is removed on
/// every error path; those of killed processes are removed first.
pub(super) fn write(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let name = path
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "the path names no file"))?
        .to_string_lossy();
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let prefix = temp_prefix(&name);
    remove_stale(dir, &prefix);
    let tmp = dir.join(format!(
        "{prefix}{}-{}{SUFFIX}",
        std::process::id(),
        SAVES.fetch_add(1, Ordering::Relaxed)
    ));
    let result = (|| {
        let mut file = OpenOptions::new().write(true).create_new(true).open(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        drop(file);
        fs::rename(&tmp, path)?;
        sync_dir(dir)
    })();
    if result.is_err() {
        // Gone already if the rename succeeded and only the folder sync failed.
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// `.{start of the name}.`, cut on a character boundary.
fn temp_prefix(name: &str) -> String {
    let mut end = name.len().min(NAME_PART);
    while !name.is_char_boundary(end) {
        end -= 1;
    }
    format!(".{}.", &name[..end])
}

/// Removes `{prefix}{pid}-{n}.tmp` files in `dir` whose process is gone.
fn remove_stale(dir: &Path, prefix: &str) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let file_name = entry.file_name();
        let Some(rest) = file_name
            .to_str()
            .and_then(|n| n.strip_prefix(prefix))
            .and_then(|n| n.strip_suffix(SUFFIX))
        else {
            continue;
        };
        let Some(pid) = rest
            .split_once('-')
            .and_then(|(pid, _)| pid.parse::<u32>().ok())
        else {
            continue;
        };
        if pid != std::process::id() && is_dead(pid) {
            let _ = fs::remove_file(entry.path());
        }
    }
}

/// Whether process `pid` has certainly exited. Only Linux can tell here
/// (its `/proc`); elsewhere no file is ever taken for stale.
fn is_dead(pid: u32) -> bool {
    cfg!(target_os = "linux")
        && Path::new("/proc/self").exists()
        && !Path::new("/proc").join(pid.to_string()).exists()
}

/// Makes the rename durable: on Unix a directory is synced through a
/// handle to it; elsewhere there is no such handle, and the rename is left
/// to the file system.
fn sync_dir(dir: &Path) -> io::Result<()> {
    if cfg!(unix) {
        fs::File::open(dir)?.sync_all()
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temporary_names_stay_short_for_any_valid_name() {
        let long = "é".repeat(100) + &"x".repeat(50); // 250 bytes
        let prefix = temp_prefix(&long);
        assert!(prefix.len() <= NAME_PART + 2);
        assert!(prefix.ends_with("é."), "{prefix}");
        assert_eq!(temp_prefix("w.safetensors"), ".w.safetensors.");
    }
}
