//! Steps per second of data-parallel training, and what the communication
//! costs: the wide net (784-1024-1024-10, global batch 512) and the book's
//! SimpleConvNet (global batch 200), Adam, on synthetic data.
//!
//! ```sh
//! cargo build --release --features mpi --example dist_bench
//! # one process, the ordinary step, on 2 threads (the baseline):
//! RAYON_NUM_THREADS=2 target/release/examples/dist_bench --net wide --plain
//! # one rank, then two, one thread each:
//! RAYON_NUM_THREADS=1 target/release/examples/dist_bench --net wide
//! mpirun -np 2 -x RAYON_NUM_THREADS=1 target/release/examples/dist_bench --net wide
//! ```
//!
//! Rank 0 prints the median time per step over `--steps` steps (after
//! three warm-up steps), the communication per step and its share of the
//! step, and the bytes each rank puts into each step's collectives.

use std::time::Instant;

use clap::{Parser, ValueEnum};
use katachi::dist::{Collective, DataParallel, World};
use katachi::models::SimpleConvNet;
use katachi::prelude::*;

/// The network to time.
#[derive(Clone, Copy, Debug, ValueEnum)]
enum NetKind {
    /// 784-1024-1024-10, global batch 512.
    Wide,
    /// The book's SimpleConvNet, global batch 200.
    Cnn,
}

/// Time data-parallel training steps.
#[derive(Parser, Debug)]
struct Args {
    /// Which network.
    #[arg(long, value_enum, default_value_t = NetKind::Wide)]
    net: NetKind,
    /// Steps timed (after 3 warm-up steps).
    #[arg(long, default_value_t = 20)]
    steps: usize,
    /// The ordinary single-process step (`backprop`), not data-parallel.
    #[arg(long)]
    plain: bool,
    /// Groups per global batch.
    #[arg(long, default_value_t = 6)]
    groups: usize,
    /// Only the all-reduce of a buffer the size of the network's gradient
    /// (after a small all-reduce that lines the ranks up): the transfer
    /// alone, without waiting for a slower rank.
    #[arg(long)]
    comm_only: bool,
}

/// A wide multilayer perceptron: the GEMM-bound workload.
#[derive(Network, Default)]
struct WideNet {
    affine1: Affine<784, 1024>,
    relu1: Relu,
    affine2: Affine<1024, 1024>,
    relu2: Relu,
    affine3: Affine<1024, 10>,
}

fn main() -> Result<(), Error> {
    let args = Args::parse();
    let world = World::init()?;
    match args.net {
        NetKind::Wide => {
            let x = Tensor::<Batch<784>>::from_fn((512, Const), |i| pixel(i[0], i[1]));
            time(
                &args,
                &world,
                "wide 784-1024-1024-10",
                WideNet::seeded(1),
                &x,
            )
        }
        NetKind::Cnn => {
            let x = Tensor::<Nchw<1, 28, 28>>::from_fn((200, Const, Const, Const), |i| {
                pixel(i[0], i[2] * 28 + i[3])
            });
            time(&args, &world, "SimpleConvNet", SimpleConvNet::seeded(1), &x)
        }
    }
}

/// A pixel in [0, 1) that varies over samples and positions.
fn pixel(sample: usize, at: usize) -> f32 {
    ((sample * 31 + at * 7) % 17) as f32 / 17.0
}

fn time<S, N>(
    args: &Args,
    world: &World,
    name: &str,
    mut net: N,
    x: &Tensor<S>,
) -> Result<(), Error>
where
    S: Shape,
    N: Layer<Tensor<S>, Out = Tensor<Batch<10>>> + Parameters<Elem = f32>,
{
    if args.comm_only {
        return all_reduce_alone(args, world, name, net.num_params());
    }
    let batch = x.dims().as_ref()[0];
    let t = Labels::<10>::new((0..batch).map(|i| i * 3 % 10).collect())?;
    let mut loss = SoftmaxWithLoss::new();
    let mut adam = Adam::new(0.001);
    let mut step = DataParallel::new(world).groups(args.groups);
    let mut times = Vec::new();
    let mut before = step.traffic();
    for s in 0..args.steps + 3 {
        if s == 3 {
            before = step.traffic();
        }
        let started = Instant::now();
        match args.plain {
            true => {
                backprop(&mut net, &mut loss, x.clone(), &t)?;
            }
            false => {
                step.backprop(&mut net, &mut loss, x, &t, s)?;
            }
        }
        adam.step(&mut net);
        if s >= 3 {
            times.push(started.elapsed().as_secs_f64());
        }
    }
    if world.rank() != 0 {
        return Ok(());
    }
    times.sort_by(f64::total_cmp);
    let median = times[times.len() / 2];
    let threads = rayon::current_num_threads();
    let how = match args.plain {
        true => format!("one process, ordinary step, {threads} threads"),
        false => format!(
            "{} ranks × {threads} threads, {} groups",
            world.size(),
            args.groups
        ),
    };
    print!(
        "{name}, batch {batch}, {how}: {:.2} steps/s ({:.2} ms per step)",
        1.0 / median,
        median * 1e3
    );
    let after = step.traffic();
    if !args.plain {
        let steps = (after.steps - before.steps) as f64;
        let talk = (after.seconds - before.seconds) / steps;
        let whole = (after.step_seconds - before.step_seconds) / steps;
        print!(
            ", communication {:.2} ms per step ({:.1} %), {} bytes per step per rank",
            talk * 1e3,
            100.0 * talk / whole,
            after.bytes_per_step
        );
    }
    println!();
    Ok(())
}

/// Times `--steps` all-reduces of one 64-bit word per parameter (and the
/// loss), each after a one-word all-reduce that lines the ranks up.
fn all_reduce_alone(args: &Args, world: &World, name: &str, params: usize) -> Result<(), Error> {
    let send = vec![1i64; params + 1];
    let mut recv = vec![0i64; params + 1];
    let mut times = Vec::new();
    for _ in 0..args.steps + 3 {
        world.all_reduce_max(&mut [0]);
        let started = Instant::now();
        world.all_reduce_sum(&send, &mut recv);
        times.push(started.elapsed().as_secs_f64());
    }
    assert!(recv.iter().all(|&v| v == world.size() as i64));
    if world.rank() == 0 {
        let times = &mut times[3..];
        times.sort_by(f64::total_cmp);
        let bytes = 8 * send.len();
        let median = times[times.len() / 2];
        println!(
            "{name}: all-reduce of {bytes} bytes on {} ranks: {:.2} ms ({:.2} GB/s of buffer)",
            world.size(),
            median * 1e3,
            bytes as f64 / median / 1e9
        );
    }
    Ok(())
}
