//! How ranks learn together that one of them failed, and why.

use super::Collective;
use crate::error::{Error, Result};

/// Longest message one rank's failure carries to the others, in bytes.
const MESSAGE_BYTES: usize = 2048;

/// What a rank puts into a status slot reduced with `max`: 0 when it is
/// fine, and for a failure a number that makes the lowest failing rank win.
pub(crate) fn status(comm: &dyn Collective, failed: bool) -> i64 {
    match failed {
        true => (comm.size() - comm.rank()) as i64,
        false => 0,
    }
}

/// After the status slot was reduced to `max`: `Ok` if no rank failed,
/// else the failing rank's error on every rank (it sends its message to
/// the others). `mine` is this rank's failure, if it had one.
pub(crate) fn outcome(comm: &dyn Collective, max: i64, mine: Option<&Error>) -> Result<()> {
    if max <= 0 {
        return Ok(());
    }
    let rank = comm.size() - max as usize;
    let mut words = vec![0i64; 1 + MESSAGE_BYTES / 8];
    if rank == comm.rank() {
        let text = mine.map_or_else(|| "unknown failure".to_string(), |e| e.to_string());
        let bytes = truncated(text.as_bytes());
        words[0] = bytes.len() as i64;
        for (word, chunk) in words[1..].iter_mut().zip(bytes.chunks(8)) {
            let mut b = [0u8; 8];
            b[..chunk.len()].copy_from_slice(chunk);
            *word = i64::from_le_bytes(b);
        }
    }
    comm.broadcast(&mut words, rank);
    let len = (words[0].max(0) as usize).min(MESSAGE_BYTES);
    let bytes: Vec<u8> = words[1..].iter().flat_map(|w| w.to_le_bytes()).collect();
    Err(Error::Rank {
        rank,
        size: comm.size(),
        cause: String::from_utf8_lossy(&bytes[..len]).into_owned(),
    })
}

/// At most [`MESSAGE_BYTES`], cut at a character boundary.
fn truncated(bytes: &[u8]) -> &[u8] {
    let mut end = bytes.len().min(MESSAGE_BYTES);
    while end > 0 && std::str::from_utf8(&bytes[..end]).is_err() {
        end -= 1;
    }
    &bytes[..end]
}

/// What every rank reached: `local` if every rank succeeded, otherwise the
/// failing rank's error on every rank. A collective: every rank calls it at
/// the same point.
pub(crate) fn settle<T>(comm: &dyn Collective, local: Result<T>) -> Result<T> {
    let mut slot = [status(comm, local.is_err())];
    comm.all_reduce_max(&mut slot);
    match local {
        Ok(value) => outcome(comm, slot[0], None).map(|()| value),
        Err(error) => {
            outcome(comm, slot[0], Some(&error))?;
            Err(error)
        }
    }
}

/// `Ok` if every rank has `value` for `what` (rank 0's is the reference),
/// else the first rank that differs fails, naming both values.
pub(crate) fn agree(comm: &dyn Collective, what: &str, value: i64) -> Result<()> {
    let mut theirs = [value];
    comm.broadcast(&mut theirs, 0);
    let local = match theirs[0] == value {
        true => Ok(()),
        false => Err(Error::setting(
            what,
            value,
            format!("rank 0 has {}: every rank must run the same job", theirs[0]),
        )),
    };
    settle(comm, local)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::train::parallel::Local;

    #[test]
    fn one_process_settles_to_its_own_outcome() {
        assert_eq!(settle(&Local, Ok(3)), Ok(3));
        let error = Error::setting("x", 1, "bad");
        assert_eq!(
            settle::<()>(&Local, Err(error)).unwrap_err().to_string(),
            "rank 0 of 1 failed: x is 1: bad"
        );
    }

    #[test]
    fn a_long_message_is_cut_at_a_character() {
        let text = "é".repeat(MESSAGE_BYTES);
        let cut = truncated(text.as_bytes());
        assert!(cut.len() <= MESSAGE_BYTES && std::str::from_utf8(cut).is_ok());
    }
}
