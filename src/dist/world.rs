//! [`World`]: the ranks of an MPI job, as a [`Collective`].

use std::sync::{Mutex, MutexGuard};

use mpi::Threading;
use mpi::collective::{CommunicatorCollectives, Root, SystemOperation};
use mpi::environment::Universe;
use mpi::topology::{Communicator, SimpleCommunicator};

use super::Collective;
use crate::Error;

/// The exit code of a rank that aborts the job.
const ABORT_CODE: i32 = 70;

/// Every process of the MPI job this one belongs to (`MPI_COMM_WORLD`).
///
/// Started by `mpirun -np N program`, each of the N processes gets its rank;
/// started on its own, the program is rank 0 of 1 and trains as a single
/// process. MPI is shut down when the `World` is dropped.
///
/// A panic on any rank aborts the whole job (every rank exits within
/// seconds, and `mpirun` names the rank), after printing
/// `rank R of N panicked: …`. An error that only one rank meets outside a
/// training step (a file only it cannot read) is ended the same way with
/// [`World::exit_on_error`]; errors inside a step already reach every rank
/// as [`Error::Rank`].
pub struct World {
    /// Every MPI call goes through this lock, one at a time.
    comm: Mutex<Serialized>,
    rank: usize,
    size: usize,
    local_size: usize,
    // Dropped after `comm`: MPI is finalised last.
    _universe: Universe,
}

/// The communicator, and the send side of in-place collectives.
struct Serialized {
    comm: SimpleCommunicator,
    scratch: Vec<i64>,
}

// SAFETY: MPI was initialised with MPI_THREAD_SERIALIZED (checked in
// `World::init`): any thread may call MPI as long as no two calls overlap.
// The communicator is only reached through `World::lock`, a mutex, so the
// calls made from the thread pool's workers never overlap.
unsafe impl Send for Serialized {}

impl World {
    /// Joins the MPI job, or starts one of one process when the program was
    /// not started by `mpirun`.
    ///
    /// # Errors
    /// [`Error::Setting`] if MPI was initialised already in this process, or
    /// if the MPI library cannot serve calls from more than one thread in
    /// turn (`MPI_THREAD_SERIALIZED`: the steps run on the thread pool).
    pub fn init() -> Result<Self, Error> {
        let Some((universe, threading)) = mpi::initialize_with_threading(Threading::Serialized)
        else {
            return Err(Error::setting(
                "MPI",
                "initialised already",
                "World::init is called once per process",
            ));
        };
        if threading < Threading::Serialized {
            return Err(Error::setting(
                "the MPI library's thread support",
                format!("{threading:?}"),
                "MPI_THREAD_SERIALIZED or more is needed",
            ));
        }
        let comm = universe.world();
        let (rank, size) = (comm.rank(), comm.size());
        // The ranks that share this machine's memory (MPI_COMM_TYPE_SHARED).
        let local_size = comm.split_shared(rank).size() as usize;
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            say(format!("rank {rank} of {size} panicked: {info}\n"));
            previous(info);
            // The last call this process makes: the job ends with it.
            SimpleCommunicator::world().abort(ABORT_CODE);
        }));
        Ok(Self {
            comm: Mutex::new(Serialized {
                comm,
                scratch: Vec::new(),
            }),
            rank: rank as usize,
            size: size as usize,
            local_size,
            _universe: universe,
        })
    }

    /// This process's rank, from 0 (also [`Collective::rank`]).
    pub fn rank(&self) -> usize {
        self.rank
    }

    /// The number of ranks in the job (also [`Collective::size`]).
    pub fn size(&self) -> usize {
        self.size
    }

    /// The number of ranks running on this machine (this one included):
    /// how many share its cores. `World::threads_per_rank` divides them.
    pub fn local_size(&self) -> usize {
        self.local_size
    }

    /// Threads for this rank's kernels when each rank should get an equal
    /// share of this machine's cores: the cores divided by
    /// [`World::local_size`], at least 1. Two ranks on a 16-core machine
    /// get 8 each, rather than 16 each fighting over the cores.
    pub fn threads_per_rank(&self) -> usize {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        (cores / self.local_size.max(1)).max(1)
    }

    /// Ends the program on an error. An [`Error::Rank`] reached every rank
    /// together, so each prints it and exits normally with code 1; any
    /// other error may be this rank's alone, so it is printed with the rank
    /// and the whole job is aborted, rather than leaving the other ranks
    /// waiting.
    pub fn exit_on_error(self, error: &Error) -> ! {
        if matches!(error, Error::Rank { .. }) || self.size == 1 {
            say(format!("error: {error}\n"));
            drop(self); // MPI_Finalize, on every rank alike
            std::process::exit(1);
        }
        say(format!(
            "rank {} of {}: error: {error}\n",
            self.rank, self.size
        ));
        self.lock().comm.abort(ABORT_CODE)
    }

    /// The communicator, for one MPI call at a time.
    fn lock(&self) -> MutexGuard<'_, Serialized> {
        // A panic while the lock was held aborted the job already.
        self.comm.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Collective for World {
    fn rank(&self) -> usize {
        self.rank
    }

    fn size(&self) -> usize {
        self.size
    }

    fn all_reduce_sum(&self, send: &[i64], recv: &mut [i64]) {
        (self.lock().comm).all_reduce_into(send, recv, SystemOperation::sum());
    }

    fn all_reduce_max(&self, buf: &mut [i64]) {
        let mut guard = self.lock();
        let Serialized { comm, scratch } = &mut *guard;
        scratch.clear();
        scratch.extend_from_slice(buf);
        comm.all_reduce_into(&scratch[..], buf, SystemOperation::max());
    }

    fn broadcast(&self, buf: &mut [i64], root: usize) {
        let guard = self.lock();
        guard.comm.process_at_rank(root as i32).broadcast_into(buf);
    }
}

/// Writes `line` to stderr in one piece: the ranks' stderr meet in mpirun's,
/// and a line written in parts can interleave with another rank's.
fn say(line: String) {
    use std::io::Write;
    let _ = std::io::stderr().write_all(line.as_bytes());
}
