//! `--dist`: an example's run data-parallel over MPI, with rank 0 speaking
//! and writing for every rank.

use katachi::Error;
use katachi::dist::{Collective, DataParallel};
use katachi::train::{Report, Trainer};

/// The job this process belongs to, when `--dist` asked for one.
pub struct Dist {
    #[cfg(feature = "mpi")]
    world: Option<katachi::dist::World>,
    groups: usize,
}

impl Dist {
    /// Joins the MPI job (`--dist`), or runs alone.
    ///
    /// # Errors
    /// `--dist` in a build without the `mpi` feature, or if MPI cannot start.
    pub fn start(dist: bool, groups: usize) -> Result<Self, Error> {
        #[cfg(feature = "mpi")]
        {
            let world = match dist {
                true => Some(katachi::dist::World::init()?),
                false => None,
            };
            Ok(Self { world, groups })
        }
        #[cfg(not(feature = "mpi"))]
        match dist {
            true => Err(Error::setting(
                "--dist",
                "given",
                "this build has no MPI: build with `--features mpi`",
            )),
            false => Ok(Self { groups }),
        }
    }

    /// No job: for reporting an error before one could start.
    pub fn alone() -> Self {
        Self {
            #[cfg(feature = "mpi")]
            world: None,
            groups: 1,
        }
    }

    /// The job's ranks, if `--dist`.
    pub fn comm(&self) -> Option<&dyn Collective> {
        #[cfg(feature = "mpi")]
        if let Some(world) = &self.world {
            return Some(world);
        }
        None
    }

    /// The kernel threads for `--threads requested`: as asked, or for 0
    /// ("one per core") in a job, this machine's cores shared out among the
    /// ranks running on it.
    pub fn threads(&self, requested: usize) -> usize {
        #[cfg(feature = "mpi")]
        if let (0, Some(world)) = (requested, &self.world) {
            return world.threads_per_rank();
        }
        requested
    }

    /// Whether this process prints and writes: rank 0, or the only one.
    pub fn is_root(&self) -> bool {
        self.comm().is_none_or(|c| c.rank() == 0)
    }

    /// `", 2 ranks (6 groups per batch)"` for a job, nothing alone.
    pub fn describe(&self) -> String {
        match self.comm() {
            Some(c) if c.size() == 1 => format!(", 1 rank ({} groups per batch)", self.groups),
            Some(c) => format!(", {} ranks ({} groups per batch)", c.size(), self.groups),
            None => String::new(),
        }
    }

    /// `trainer`, data-parallel over the job's ranks if `--dist`.
    pub fn apply<'a, N, L, S, const C: usize>(
        &'a self,
        trainer: Trainer<'a, N, L, S, C, f32>,
    ) -> Trainer<'a, N, L, S, C, f32> {
        match self.comm() {
            Some(comm) => trainer.data_parallel(DataParallel::new(comm).groups(self.groups)),
            None => trainer,
        }
    }

    /// What the communication cost, on rank 0 of a job.
    pub fn print_traffic(&self, report: &Report) {
        if let (true, Some(t)) = (self.is_root(), report.traffic) {
            let per_step = t.seconds / t.steps.max(1) as f64;
            println!(
                "communication: {:.2} ms per step ({:.1} % of the step), {} bytes per step from each rank",
                per_step * 1e3,
                100.0 * t.share(),
                t.bytes_per_step
            );
        }
    }

    /// Ends the program with the run's outcome: an error is printed (by
    /// every rank for an error they share, else with this rank's number,
    /// ending the whole job so no rank waits).
    pub fn finish(self, result: Result<(), Error>) {
        let Err(error) = result else {
            return;
        };
        #[cfg(feature = "mpi")]
        if let Some(world) = self.world {
            world.exit_on_error(&error);
        }
        eprintln!("error: {error}");
        std::process::exit(1);
    }
}
