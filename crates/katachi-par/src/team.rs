//! The threads the kernels split their work across: the calling thread
//! works alongside them, and between parallel regions they spin for a
//! while before they sleep.
//!
//! Why not hand each region to rayon: a training step of a small net is a
//! chain of products a few tens of microseconds apart, and rayon's idle
//! workers fall asleep within microseconds. Waking one costs 10–25 µs
//! (measured: a `rayon::join` of two 20 µs halves took 30–45 µs after the
//! worker had been idle 20 µs or more), and a caller outside the pool pays
//! twice more, handing the region in and being woken when it is done. Here
//! the caller takes tasks itself, and the team spins for [`SPIN`] after
//! each region, as OpenBLAS's and OpenMP's threads do, so the next region
//! of the same step starts at once.
//!
//! How many threads a region uses is still the current rayon pool's
//! thread count (`RAYON_NUM_THREADS`, or `ThreadPoolBuilder::install`):
//! one knob for the whole crate.
//!
//! Which thread runs which task never changes a result: every task writes
//! its own part of the output in a fixed order of operations.

// The one `unsafe` here: a region's task borrows from the caller's stack
// and is lent to threads that outlive it (see `Team::run`).
#![allow(unsafe_code)]

use std::any::Any;
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::{Condvar, Mutex, MutexGuard, OnceLock, PoisonError};
use std::time::{Duration, Instant};

/// How long a team thread keeps looking for the next region before it
/// sleeps. Long enough to span the single-threaded work between the
/// products of one training step, short enough that a program that
/// stops using the kernels gives the cores back almost at once.
pub(crate) const SPIN: Duration = Duration::from_millis(1);

/// Runs `task(i)` for every `i` in `0..count`, each exactly once, on up to
/// `threads` threads: the calling thread and `threads - 1` of the team.
///
/// Runs everything on the calling thread when `threads` or `count` is 1,
/// or when the team is already running a region (a nested call from
/// inside a task, or another thread's region): nothing ever waits for the
/// team to be free. A panic in a task is resumed here once no thread is
/// running a task of the region any more (tasks not yet taken by then may
/// never run, as in a sequential loop).
pub(crate) fn for_each_index(threads: usize, count: usize, task: &(dyn Fn(usize) + Sync)) {
    if threads <= 1 || count <= 1 {
        return (0..count).for_each(task);
    }
    match team().try_claim() {
        Some(claim) => claim.run(threads - 1, count, task),
        None => (0..count).for_each(task),
    }
}

/// Calls `f` on every item of `items` (chunks of slices, zipped and
/// enumerated, say), each exactly once, on up to `threads` threads (see
/// [`for_each_index`]).
///
/// The items are handed out one at a time under a lock, so a task gets
/// an item (a `&mut` chunk, say) that no other task can see, with no
/// `unsafe` splitting; the lock is taken once per task, which costs tens
/// of nanoseconds against tasks of microseconds.
pub(crate) fn for_each<I>(threads: usize, items: I, f: impl Fn(I::Item) + Sync)
where
    I: ExactSizeIterator + Send,
    I::Item: Send,
{
    let count = items.len();
    let items = Mutex::new(items);
    let next = || items.lock().unwrap_or_else(PoisonError::into_inner).next();
    for_each_index(threads, count, &|_| {
        if let Some(item) = next() {
            f(item);
        }
    });
}

/// The process's one team, started on first use.
fn team() -> &'static Team {
    static TEAM: OnceLock<Team> = OnceLock::new();
    TEAM.get_or_init(Team::default)
}

/// What the caller of a region shares with the team's threads.
#[derive(Default)]
struct Team {
    /// `epoch << 1 | open`: a new epoch for every region, `open` while
    /// its tasks may still be taken.
    state: AtomicUsize,
    /// The open region's task (see `Team::run` for why `'static`).
    region: Mutex<Region>,
    /// The next task index to hand out.
    next: AtomicUsize,
    /// Team threads inside the current region.
    inside: AtomicUsize,
    /// Team threads asleep on `wake`.
    sleepers: AtomicUsize,
    sleep: Mutex<()>,
    wake: Condvar,
    /// The first panic of a task run by a team thread.
    panic: Mutex<Option<Box<dyn Any + Send>>>,
    /// Set while one caller runs a region.
    busy: AtomicBool,
    /// Threads started so far.
    started: Mutex<usize>,
    /// Threads that have begun serving (their start-up done).
    serving: AtomicUsize,
}

/// One region, as the team's threads see it.
#[derive(Clone, Copy, Default)]
struct Region {
    task: Option<&'static (dyn Fn(usize) + Sync)>,
    count: usize,
    /// How many team threads may take part (the rest sit it out).
    helpers: usize,
}

/// The right to run one region, held by the caller that set `busy`.
struct Claim {
    team: &'static Team,
}

impl Team {
    fn try_claim(&'static self) -> Option<Claim> {
        match self.busy.swap(true, SeqCst) {
            true => None,
            false => Some(Claim { team: self }),
        }
    }

    /// Takes and runs tasks until none are left.
    fn work(&self, region: Region) {
        let Some(task) = region.task else { return };
        loop {
            let i = self.next.fetch_add(1, SeqCst);
            if i >= region.count {
                return;
            }
            task(i);
        }
    }

    fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
        mutex.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Team thread number `index` (0-based), from the epoch it was started
    /// in.
    fn serve(&'static self, index: usize, mut epoch: usize) {
        self.serving.fetch_add(1, SeqCst);
        loop {
            let state = self.next_region(epoch);
            epoch = state >> 1;
            if state & 1 == 0 {
                continue; // closed before this thread saw it open
            }
            // Counted in `inside` before looking at the region, and the
            // region checked still open after: the caller, which closes
            // it and then waits for `inside` to reach zero, either sees
            // this thread counted or this thread sees it closed.
            self.inside.fetch_add(1, SeqCst);
            if self.state.load(SeqCst) == state {
                let region = *Self::lock(&self.region);
                if index < region.helpers {
                    // After a panic the other tasks still run: the caller
                    // resumes the first panic once they are all done.
                    while let Err(payload) =
                        panic::catch_unwind(AssertUnwindSafe(|| self.work(region)))
                    {
                        Self::lock(&self.panic).get_or_insert(payload);
                    }
                }
            }
            self.inside.fetch_sub(1, SeqCst);
        }
    }

    /// Waits for a region newer than `epoch`: spins for [`SPIN`], then
    /// sleeps until the next caller wakes it.
    fn next_region(&self, epoch: usize) -> usize {
        let start = Instant::now();
        let mut polls = 0_u32;
        loop {
            let state = self.state.load(SeqCst);
            if state >> 1 != epoch {
                return state;
            }
            polls = polls.wrapping_add(1);
            if polls.is_multiple_of(64) {
                if start.elapsed() > SPIN {
                    break;
                }
                // Lets a thread with real work have this core.
                std::thread::yield_now();
            } else {
                std::hint::spin_loop();
            }
        }
        let mut guard = Self::lock(&self.sleep);
        self.sleepers.fetch_add(1, SeqCst);
        loop {
            // Checked after counting itself a sleeper, and the caller
            // checks for sleepers after opening: one of them sees the
            // other, so no wake-up is lost.
            let state = self.state.load(SeqCst);
            if state >> 1 != epoch {
                self.sleepers.fetch_sub(1, SeqCst);
                return state;
            }
            guard = self
                .wake
                .wait(guard)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }

    /// Starts team threads until there are `wanted`, all waiting for a
    /// region after `epoch`, and waits until they have started: a thread
    /// allocates as it starts up, and that belongs to the first region that
    /// needed it (a warm step allocates nothing), not to whatever runs when
    /// the thread happens to be scheduled. A thread that cannot be started
    /// is simply not there: its tasks are taken by the others and the
    /// caller.
    fn start(&'static self, wanted: usize, epoch: usize) {
        let mut started = Self::lock(&self.started);
        if *started >= wanted {
            return;
        }
        while *started < wanted {
            let index = *started;
            let spawned = std::thread::Builder::new()
                .name(format!("katachi-team-{index}"))
                .spawn(move || self.serve(index, epoch));
            if spawned.is_err() {
                break;
            }
            *started += 1;
        }
        while self.serving.load(SeqCst) < *started {
            std::thread::yield_now();
        }
    }
}

impl Claim {
    /// Opens a region of `count` tasks for up to `helpers` team threads,
    /// takes tasks alongside them, and returns once every task is done.
    fn run(self, helpers: usize, count: usize, task: &(dyn Fn(usize) + Sync)) {
        let team = self.team;
        let epoch = team.state.load(SeqCst) >> 1;
        team.start(helpers, epoch);
        // SAFETY: only the lifetime changes. The team's threads use `task`
        // only between counting themselves in `inside` and leaving it, and
        // only after seeing this region open; `Closer` (dropped below, or
        // while unwinding from a panic in `task`) closes the region and
        // then waits for `inside` to reach zero before this function
        // returns, so no thread touches `task` after the borrow ends. The
        // region is cleared before `busy` is released.
        let task: &'static (dyn Fn(usize) + Sync) = unsafe { std::mem::transmute(task) };
        let region = Region {
            task: Some(task),
            count,
            helpers,
        };
        *Team::lock(&team.region) = region;
        team.next.store(0, SeqCst);
        let open = (epoch + 1) << 1 | 1;
        team.state.store(open, SeqCst);
        if team.sleepers.load(SeqCst) > 0 {
            let _guard = Team::lock(&team.sleep);
            team.wake.notify_all();
        }
        let closer = Closer { team, open };
        team.work(region);
        let panic = closer.close();
        if let Some(payload) = panic {
            panic::resume_unwind(payload);
        }
    }
}

/// Ends a region: closes it, waits for the team's threads to leave it,
/// clears it and frees the team. Also runs when the caller's own task
/// panics, so the region never outlives the borrow of its task.
struct Closer {
    team: &'static Team,
    open: usize,
}

impl Closer {
    /// Ends the region and returns the panic of a team thread's task, if
    /// any.
    fn close(self) -> Option<Box<dyn Any + Send>> {
        self.end();
        let panic = Team::lock(&self.team.panic).take();
        self.team.busy.store(false, SeqCst);
        std::mem::forget(self);
        panic
    }

    fn end(&self) {
        let team = self.team;
        team.state.store(self.open & !1, SeqCst);
        let mut polls = 0_u32;
        while team.inside.load(SeqCst) != 0 {
            polls = polls.wrapping_add(1);
            if polls.is_multiple_of(64) {
                // A team thread still in its last task may be waiting for
                // this core (more threads than cores): let it run.
                std::thread::yield_now();
            } else {
                std::hint::spin_loop();
            }
        }
        *Team::lock(&team.region) = Region::default();
    }
}

impl Drop for Closer {
    fn drop(&mut self) {
        // Only reached by unwinding from the caller's own task: its panic
        // wins over any panic of the team's.
        self.end();
        Team::lock(&self.team.panic).take();
        self.team.busy.store(false, SeqCst);
    }
}

#[cfg(test)]
mod tests;
