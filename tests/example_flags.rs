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

#[test]
fn weights_are_saved_whole_and_replaced_each_time() {
    use katachi::prelude::*;
    let out = std::env::temp_dir().join(format!("katachi-example-out-{}", std::process::id()));
    let mut net = Affine::<3, 2>::zeros();
    let first = common::save_weights(&net, &out).unwrap();
    net.init(Init::He, 4);
    let second = common::save_weights(&net, &out).unwrap();
    assert_eq!(first, second);
    let mut back = Affine::<3, 2>::zeros();
    katachi::checkpoint::load(&mut back, &second).unwrap();
    assert_eq!(back.weight.value, net.weight.value);
    std::fs::remove_dir_all(&out).unwrap();
}
