//! Data-parallel training (`katachi::dist`): several ranks end with the
//! bits of one process, failures reach every rank, settings that cannot
//! work are refused. The ranks here are threads of one process
//! (`ranks.rs`); `tests/mpi.rs` runs real MPI processes.

mod ranks;

#[path = "../common/parallel.rs"]
mod parallel;
// Only its network with BatchNorm, to be refused.
#[allow(dead_code)]
#[path = "../common/resumable.rs"]
mod resumable;

use katachi::dist::{Collective, DataParallel, Local};
use katachi::models::SimpleConvNet;
use katachi::prelude::*;
use katachi::train::{Progress, Trainer};

use parallel::{bits, cnn_steps, data, images, net, train_on};

#[test]
fn one_two_three_and_six_ranks_end_with_the_bits_of_one_process() {
    let reference = train_on(&Local);
    for size in [1, 2, 3, 6] {
        for (rank, got) in ranks::run(size, |me| train_on(me)).into_iter().enumerate() {
            assert!(
                got == reference,
                "rank {rank} of {size} differs from one process"
            );
        }
    }
    // And the run trained: the loss fell.
    let loss = |i: usize| f64::from_bits(reference.1[i]);
    assert!(loss(8) < 0.8 * loss(0), "{} then {}", loss(0), loss(8));
}

#[test]
fn the_grouped_gradient_is_the_batch_gradient() {
    // A convolutional network, so every kernel's backward is in the sum.
    let mut net = SimpleConvNet::<f32>::default();
    net.init(Init::He, 4);
    let (x, t) = images();
    let mut reference = net.clone();
    let expected =
        f64::from(backprop(&mut reference, &mut SoftmaxWithLoss::new(), x.clone(), &t).unwrap());
    let mut step = DataParallel::new(&Local).groups(4);
    let value = step
        .backprop(&mut net, &mut SoftmaxWithLoss::new(), &x, &t, 0)
        .unwrap();
    assert!(
        (value - expected).abs() < 1e-5 * expected.abs(),
        "{value} vs {expected}"
    );
    let (mut grads, mut references) = (Vec::new(), Vec::new());
    net.visit(&ParamPath::ROOT, &mut |_, p| {
        grads.extend_from_slice(p.grad)
    });
    reference.visit(&ParamPath::ROOT, &mut |_, p| {
        references.extend_from_slice(p.grad)
    });
    let largest = references.iter().fold(0f32, |m, g| m.max(g.abs()));
    for (i, (g, r)) in grads.iter().zip(&references).enumerate() {
        assert!((g - r).abs() <= 1e-5 * largest, "gradient {i}: {g} vs {r}");
    }
    // Two steps on two ranks: the same bits as on one process.
    let ours = cnn_steps(&Local);
    assert!(ranks::run(2, |me| cnn_steps(me)).iter().all(|g| *g == ours));
}

#[test]
fn bad_data_on_one_rank_fails_every_rank_naming_it() {
    let errors = ranks::run(3, |me| {
        let (mut x, labels) = data();
        if me.rank() == 1 {
            x.as_mut_slice()[50 * 12 + 3] = f32::NAN;
        }
        let mut net = net(1);
        Trainer::new(&mut net, SoftmaxWithLoss::new(), Sgd::new(0.1))
            .batch(30)
            .data_parallel(DataParallel::new(me))
            .progress(Progress::Off)
            .fit(&(x, labels))
            .unwrap_err()
    });
    for error in errors {
        assert_eq!(
            error.to_string(),
            "rank 1 of 3 failed: the training data holds NaN at sample 50, element 3"
        );
    }
}

#[test]
fn a_failing_step_fails_every_rank_together() {
    // Rank 2 computes groups 4 and 5 of six: samples 20..30 of the batch.
    let results = ranks::run(3, |me| {
        let (mut x, labels) = data();
        if me.rank() == 2 {
            x.as_mut_slice()[25 * 12] = f32::INFINITY;
        }
        let mut net = net(1);
        let mut step = DataParallel::new(me);
        let mut loss = SoftmaxWithLoss::new();
        let fine = step.backprop(&mut net, &mut loss, &x, &labels, 0);
        let rows: Vec<usize> = (0..30).collect();
        let x = katachi::train::gather_rows(&x, &rows);
        let t = Labels::new(labels.as_slice()[..30].to_vec()).unwrap();
        (fine.is_ok(), step.backprop(&mut net, &mut loss, &x, &t, 1))
    });
    for (first, second) in results {
        // All 90 rows in one batch: rank 2 holds rows 60..90, not 25.
        assert!(first);
        assert_eq!(
            second.unwrap_err().to_string(),
            "rank 2 of 3 failed: the training data holds inf at sample 25, element 0"
        );
    }
}

#[test]
fn ranks_with_other_settings_are_refused() {
    let errors = ranks::run(2, |me| {
        let mut net = net(1);
        Trainer::new(&mut net, SoftmaxWithLoss::new(), Sgd::new(0.1))
            .batch(30)
            .seed(if me.rank() == 1 { 5 } else { 9 })
            .data_parallel(DataParallel::new(me))
            .progress(Progress::Off)
            .fit(&data())
            .unwrap_err()
    });
    for error in errors {
        assert_eq!(
            error.to_string(),
            "rank 1 of 2 failed: the seed is 5: rank 0 has 9: every rank must run the same job"
        );
    }
}

#[test]
fn fewer_groups_than_ranks_and_running_statistics_are_refused() {
    for error in ranks::run(3, |me| {
        let mut net = net(1);
        DataParallel::new(me).groups(2).start(&mut net).unwrap_err()
    }) {
        assert_eq!(
            error.to_string(),
            "the number of groups is 2: at least the number of ranks (3): every rank computes whole groups"
        );
    }
    let mut net = resumable::fresh_net();
    let error = DataParallel::new(&Local).start(&mut net).unwrap_err();
    assert_eq!(
        error.to_string(),
        "data-parallel training is a network with running statistics (`norm.running_mean`): \
         not supported yet: each rank would update them from its own samples"
    );
}

#[test]
fn a_write_that_fails_on_rank_zero_stops_every_rank() {
    let dir = std::env::temp_dir().join(format!("katachi-dp-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let blocker = dir.join("a-file");
    std::fs::write(&blocker, b"not a folder").unwrap();
    let errors = ranks::run(2, |me| {
        let mut net = net(1);
        Trainer::new(&mut net, SoftmaxWithLoss::new(), Sgd::new(0.1))
            .batch(30)
            .data_parallel(DataParallel::new(me))
            .out_dir(blocker.join("out"))
            .progress(Progress::Off)
            .fit(&data())
            .unwrap_err()
    });
    for error in &errors {
        let text = error.to_string();
        assert!(text.starts_with("rank 0 of 2 failed: "), "{text}");
        assert!(text.contains("a-file"), "{text}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_data_parallel_run_resumes_to_the_same_bits() {
    let dir = std::env::temp_dir().join(format!("katachi-dp-resume-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let straight = ranks::run(2, |me| train_on(me).0);
    let run = |me: &ranks::Rank, steps: usize, resume: bool| {
        let mut net = net(3);
        let mut trainer = Trainer::new(&mut net, SoftmaxWithLoss::new(), Adam::new(0.05))
            .steps(steps)
            .batch(30)
            .seed(9)
            .data_parallel(DataParallel::new(me))
            .out_dir(&dir)
            .checkpoint_every(2)
            .progress(Progress::Off);
        if resume {
            trainer = trainer.resume(&dir);
        }
        trainer.fit(&data()).unwrap();
        bits(&net)
    };
    ranks::run(2, |me| run(me, 5, false));
    let resumed = ranks::run(2, |me| run(me, 9, true));
    assert!(resumed.iter().all(|r| *r == straight[0]));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_traffic_is_one_flat_buffer_and_a_header() {
    let mut net = net(1);
    let (x, t) = data();
    let mut step = DataParallel::new(&Local);
    step.backprop(&mut net, &mut SoftmaxWithLoss::new(), &x, &t, 0)
        .unwrap();
    let traffic = step.traffic();
    // 12·16 + 16 + 16·3 + 3 = 259 parameters and the loss; a status and
    // five scales (the loss, four tensors).
    assert_eq!((traffic.steps, traffic.bytes_per_step), (1, 8 * (260 + 6)));
    assert!(traffic.share() > 0.0 && traffic.share() < 1.0);
}
