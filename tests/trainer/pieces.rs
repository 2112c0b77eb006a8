//! The pieces a resumable run is made of — the weights file, the
//! optimiser's state, every generator's state, the batches' state — put a
//! run stopped in the middle of an epoch back exactly where it was: the
//! weights at the end are the bits of a run that was never stopped, with
//! Dropout and BatchNorm in the network, for SGD and Adam.

use katachi::checkpoint;
use katachi::init::RngState;
use katachi::optim::OptimizerState;
use katachi::prelude::*;
use katachi::train::{Batches, BatchesState, gather_rows};

use super::resumable::{EXAMPLES, Net, bits, data, fresh_net};

const BATCH: usize = 8;
const EPOCHS: usize = 3;

/// One step on the examples `rows`.
fn step(net: &mut Net, opt: &mut dyn Optimizer<f32>, rows: &[usize]) {
    let (x, t) = data();
    let labels = Labels::new(rows.iter().map(|&r| t.as_slice()[r]).collect()).unwrap();
    backprop(
        net,
        &mut SoftmaxWithLoss::new(),
        gather_rows(&x, rows),
        &labels,
    )
    .unwrap();
    opt.step(net);
}

fn fresh() -> (Net, Batches) {
    (fresh_net(), Batches::new(EXAMPLES, BATCH, 11))
}

/// What a stopped run leaves behind besides its weights file.
struct Saved {
    optimizer: OptimizerState,
    rngs: Vec<(String, RngState)>,
    batches: BatchesState,
    epoch: usize,
    next_batch: usize,
}

fn resumes_exactly(make: fn() -> Box<dyn Optimizer<f32>>, stop_after: usize) {
    // Never stopped.
    let (mut net, mut batches) = fresh();
    let mut opt = make();
    for _ in 0..EPOCHS {
        let epoch: Vec<Vec<usize>> = batches.epoch().map(<[usize]>::to_vec).collect();
        for rows in &epoch {
            step(&mut net, opt.as_mut(), rows);
        }
    }
    let straight = bits(&net);

    // Stopped after `stop_after` steps, the state kept.
    let weights = std::env::temp_dir().join(format!(
        "katachi-resume-{}-{stop_after}-{}.safetensors",
        std::process::id(),
        make().state().kind
    ));
    let (mut net, mut batches) = fresh();
    let mut opt = make();
    let mut taken = 0;
    let mut saved = None;
    'run: for epoch in 0..EPOCHS {
        let order: Vec<Vec<usize>> = batches.epoch().map(<[usize]>::to_vec).collect();
        for (b, rows) in order.iter().enumerate() {
            step(&mut net, opt.as_mut(), rows);
            taken += 1;
            if taken == stop_after {
                checkpoint::save(&net, &weights).unwrap();
                saved = Some(Saved {
                    optimizer: opt.state(),
                    rngs: net.rng_states(),
                    batches: batches.state(),
                    epoch,
                    next_batch: b + 1,
                });
                break 'run;
            }
        }
    }
    drop((net, opt, batches)); // the process is gone

    // Resumed in a fresh network, optimiser and batches.
    let saved = saved.expect("the run stopped");
    let mut net = Net::default();
    checkpoint::load(&mut net, &weights).unwrap();
    net.restore_rngs(&saved.rngs).unwrap();
    let mut opt = make();
    opt.load_state(&saved.optimizer).unwrap();
    let mut batches = Batches::from_state(saved.batches).unwrap();
    let rest: Vec<Vec<usize>> = batches
        .current_epoch(saved.next_batch)
        .map(<[usize]>::to_vec)
        .collect();
    for rows in &rest {
        step(&mut net, opt.as_mut(), rows);
    }
    for _ in saved.epoch + 1..EPOCHS {
        let epoch: Vec<Vec<usize>> = batches.epoch().map(<[usize]>::to_vec).collect();
        for rows in &epoch {
            step(&mut net, opt.as_mut(), rows);
        }
    }
    std::fs::remove_file(&weights).unwrap();
    assert_eq!(
        bits(&net),
        straight,
        "{} stopped after {stop_after} steps",
        saved.optimizer.kind
    );
}

#[test]
fn sgd_and_adam_resume_mid_epoch_to_the_same_bits() {
    // 5 batches per epoch: stopped inside the first, at the end of one, inside the last.
    for stop_after in [2, 5, 12] {
        resumes_exactly(|| Box::new(Sgd::new(0.1)), stop_after);
        resumes_exactly(|| Box::new(Adam::new(0.01)), stop_after);
    }
}

#[test]
fn without_the_generators_state_the_dropout_masks_differ() {
    // The same resume, but the dropout generator reseeded instead of
    // restored: the weights at the end are not the straight run's. (So the
    // test above would catch a resume that forgot them.)
    let (mut a, _) = fresh();
    let (mut b, _) = fresh();
    let mut opt_a = Sgd::new(0.1);
    let mut opt_b = Sgd::new(0.1);
    let rows: Vec<usize> = (0..BATCH).collect();
    step(&mut a, &mut opt_a, &rows);
    step(&mut b, &mut opt_b, &rows);
    let saved = a.rng_states();
    step(&mut a, &mut opt_a, &rows);
    b.reseed(6);
    step(&mut b, &mut opt_b, &rows);
    assert_ne!(bits(&a), bits(&b));
    b.restore_rngs(&saved).unwrap();
    assert!(
        b.restore_rngs(&[("affine1".to_string(), saved[0].1)])
            .unwrap_err()
            .to_string()
            .contains("`affine1` where the network has `drop`")
    );
}
