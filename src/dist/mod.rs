//! Training on more than one process, and more than one machine:
//! data-parallel over MPI.
//!
//! Every process (a **rank**) runs the same program on the same data; each
//! global batch is cut into groups, each rank computes its groups'
//! gradients, the exact sum of all of them reaches every rank in one flat
//! buffer per step, and every rank applies the same update. The parameters
//! stay **bit-identical on every rank and to the same run in one process**,
//! whatever the number of ranks up to the group count (6 by default): see
//! [`parallel`](katachi_core::train::parallel) for exactly what is
//! guaranteed, and how.
//!
//! `World` (cargo feature `mpi`) is the job MPI started; [`Local`] is one
//! process on its own, the reference every job reproduces. Either goes into
//! [`DataParallel`], which a [`Trainer`](crate::train::Trainer) takes with
//! [`data_parallel`](crate::train::Trainer::data_parallel):
//!
//! ```no_run
//! # #[cfg(feature = "mpi")]
//! # fn main() -> Result<(), katachi::Error> {
//! use katachi::dist::{DataParallel, World};
//! use katachi::models::TwoLayerNet;
//! use katachi::prelude::*;
//! use katachi::train::Trainer;
//!
//! let world = World::init()?; // one process if not started by mpirun
//! let mnist = katachi::data::Mnist::<f32>::load("data/mnist".as_ref())?;
//! let mut net = TwoLayerNet::<784, 50>::seeded(42);
//! let report = Trainer::new(&mut net, SoftmaxWithLoss::new(), Sgd::new(0.1))
//!     .epochs(17)
//!     .batch(100) // the global batch, whatever the number of ranks
//!     .data_parallel(DataParallel::new(&world))
//!     .out_dir("target/mnist") // written by rank 0 only
//!     .fit(&mnist.train)?;
//! if world.rank() == 0 {
//!     println!("{:?}", report.traffic);
//! }
//! # Ok(())
//! # }
//! # #[cfg(not(feature = "mpi"))]
//! # fn main() {}
//! ```
//!
//! Run it with `mpirun -np 2 target/release/examples/…`, or across machines
//! with a hostfile (the README's "More than one machine").

pub use katachi_core::train::parallel::{Collective, DataParallel, Local, Traffic};

#[cfg(feature = "mpi")]
mod world;
#[cfg(feature = "mpi")]
pub use world::World;
