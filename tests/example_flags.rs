//! The MNIST examples' flags refuse what has no meaning up front, with a
//! message about the flag (before, `--batch 0` panicked, `--lr nan` trained
//! into NaN and `--threads 100000` started that many threads).

#[allow(dead_code)]
#[path = "../examples/common/mod.rs"]
mod common;

use common::flag;

#[test]
fn learning_rates_must_be_finite_and_positive() {
    assert_eq!(flag::learning_rate("0.1"), Ok(0.1));
    for bad in ["nan", "NaN", "inf", "-inf"] {
        assert_eq!(
            flag::learning_rate(bad),
            Err("must be a finite number".to_string()),
            "{bad}"
        );
    }
    for bad in ["0", "-0.5", "-0"] {
        assert_eq!(
            flag::learning_rate(bad),
            Err("a learning rate must be above 0".to_string()),
            "{bad}"
        );
    }
    assert!(
        flag::learning_rate("fast")
            .unwrap_err()
            .starts_with("not a number")
    );
}

#[test]
fn weight_decay_must_be_finite_and_not_negative() {
    assert_eq!(flag::weight_decay("0"), Ok(0.0));
    assert_eq!(flag::weight_decay("1e-4"), Ok(1e-4));
    assert_eq!(
        flag::weight_decay("nan"),
        Err("must be a finite number".to_string())
    );
    assert_eq!(
        flag::weight_decay("-0.1"),
        Err("a weight decay must be 0 or more".to_string())
    );
}

#[test]
fn counts_start_at_one_and_threads_stay_near_the_cores() {
    assert_eq!(flag::positive("100"), Ok(100));
    assert_eq!(flag::positive("0"), Err("must be at least 1".to_string()));
    assert!(
        flag::positive("-3")
            .unwrap_err()
            .starts_with("not a whole number")
    );
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    assert_eq!(flag::threads("0"), Ok(0));
    assert_eq!(flag::threads(&cores.to_string()), Ok(cores));
    let err = flag::threads("100000").unwrap_err();
    assert_eq!(
        err,
        format!(
            "this machine has {cores} cores; use at most {} threads (0: one per core)",
            4 * cores
        )
    );
}

fn run_flags(args: &[&str]) -> common::RunFlags {
    use clap::{Args, FromArgMatches};
    let command = common::RunFlags::augment_args(clap::Command::new("example"));
    let matches = command.try_get_matches_from(args).unwrap();
    common::RunFlags::from_arg_matches(&matches).unwrap()
}

#[test]
fn each_schedule_flag_gives_its_rates_and_a_warmup_needs_cosine() {
    let rates = |args: &[&str]| {
        let schedule = run_flags(args).schedule(0.1, 100).unwrap();
        [0, 24, 25, 99].map(|step| schedule.rate(step))
    };
    assert_eq!(rates(&["x"]), [0.1; 4]);
    assert_eq!(
        rates(&["x", "--schedule", "step"]),
        [0.1, 0.1, 0.05, 0.0125]
    );
    let exponential = rates(&["x", "--schedule", "exponential"]);
    assert!((exponential[3] - 0.1 * 0.01f64.powf(0.99)).abs() < 1e-15);
    let cosine = rates(&["x", "--schedule", "cosine", "--warmup", "10"]);
    assert!((cosine[0] - 0.01).abs() < 1e-15, "{cosine:?}");
    let Err(err) = run_flags(&["x", "--schedule", "step", "--warmup", "10"]).schedule(0.1, 100)
    else {
        panic!("a warm-up without cosine was accepted")
    };
    assert_eq!(
        err.to_string(),
        "--warmup is 10: a warm-up goes with --schedule cosine"
    );
    let resumed = run_flags(&["x", "--resume", "runs/a"]);
    assert_eq!(
        resumed.out_dir(std::path::Path::new("target/mnist")),
        std::path::Path::new("runs/a")
    );
}

#[cfg(not(feature = "mpi"))]
#[test]
fn dist_needs_a_build_with_mpi() {
    let error = common::dist::Dist::start(true, 6).err().unwrap();
    assert_eq!(
        error.to_string(),
        "--dist is given: this build has no MPI: build with `--features mpi`"
    );
    let alone = common::dist::Dist::start(false, 6).unwrap();
    assert!(alone.is_root() && alone.comm().is_none());
}

#[cfg(feature = "mpi")]
#[test]
fn dist_without_mpirun_is_one_rank() {
    let dist = common::dist::Dist::start(true, 6).unwrap();
    let comm = dist.comm().unwrap();
    assert_eq!((comm.rank(), comm.size()), (0, 1));
    assert!(dist.is_root());
    assert_eq!(dist.describe(), ", 1 rank (6 groups per batch)");
}
