//! Ranks as threads of one process: a [`Collective`] over shared memory,
//! so the data-parallel step can be tested with several ranks without MPI
//! (`tests/mpi.rs` runs the same over real MPI processes).

use std::sync::{Arc, Barrier, Mutex};

use katachi::dist::Collective;

/// What the ranks of one job share.
struct Hub {
    size: usize,
    barrier: Barrier,
    slots: Mutex<Vec<Vec<i64>>>,
}

/// One rank of a job of threads.
pub struct Rank {
    rank: usize,
    hub: Arc<Hub>,
}

impl Rank {
    /// Every rank puts `buf` in its slot; once all have, `read` sees the
    /// slots; once all have read, the next collective may begin.
    fn exchange(&self, buf: &[i64], read: impl FnOnce(&[Vec<i64>])) {
        self.hub.slots.lock().unwrap()[self.rank] = buf.to_vec();
        self.hub.barrier.wait();
        read(&self.hub.slots.lock().unwrap());
        self.hub.barrier.wait();
    }
}

impl Collective for Rank {
    fn rank(&self) -> usize {
        self.rank
    }

    fn size(&self) -> usize {
        self.hub.size
    }

    fn all_reduce_sum(&self, send: &[i64], recv: &mut [i64]) {
        self.exchange(send, |slots| {
            for (i, r) in recv.iter_mut().enumerate() {
                *r = slots.iter().map(|s| s[i]).sum();
            }
        });
    }

    fn all_reduce_max(&self, buf: &mut [i64]) {
        let mine = buf.to_vec();
        self.exchange(&mine, |slots| {
            for (i, r) in buf.iter_mut().enumerate() {
                *r = slots.iter().map(|s| s[i]).max().unwrap();
            }
        });
    }

    fn broadcast(&self, buf: &mut [i64], root: usize) {
        let mine = buf.to_vec();
        self.exchange(&mine, |slots| buf.copy_from_slice(&slots[root]));
    }
}

/// Runs `job` on `size` ranks, each on its own thread, and returns what
/// each rank returned, in rank order.
pub fn run<T: Send>(size: usize, job: impl Fn(&Rank) -> T + Sync) -> Vec<T> {
    let hub = Arc::new(Hub {
        size,
        barrier: Barrier::new(size),
        slots: Mutex::new(vec![Vec::new(); size]),
    });
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..size)
            .map(|rank| {
                let me = Rank {
                    rank,
                    hub: Arc::clone(&hub),
                };
                let job = &job;
                scope.spawn(move || job(&me))
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    })
}
