//! The trainer does what the loop it replaces does, bit for bit, plus what
//! it promises: schedules, clipping, step budgets, early stopping with the
//! best weights, metrics and CSV, refusals of settings and checkpoints that
//! do not fit, and a resume that ends where an uninterrupted run ends.

use std::path::PathBuf;

use katachi::checkpoint;
use katachi::optim::clip_grad_norm;
use katachi::optim::schedule::{Cosine, Schedule};
use katachi::prelude::*;
use katachi::train::{
    Batches, EarlyStopping, Goal, Progress, Report, StepRecord, Trainer, gather_rows, train_epoch,
};

#[path = "../common/resumable.rs"]
mod resumable;
use resumable::{EXAMPLES, Net, bits, data, fresh_net};

// One test binary for the training tests: the kill test re-runs it as its
// child, and each binary costs CI a link.
mod kill;
mod pieces;

const BATCH: usize = 8;
const SEED: u64 = 11;
const PER_EPOCH: usize = EXAMPLES / BATCH;

/// A folder of its own for one test, emptied.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("katachi-trainer-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// A trainer of the fixture's network on its data.
type Run<'a> = Trainer<'a, Net, SoftmaxWithLoss<3>, Batch<6>, 3, f32>;

fn trainer<'a>(net: &'a mut Net, opt: impl Optimizer<f32> + 'a) -> Run<'a> {
    Trainer::new(net, SoftmaxWithLoss::new(), opt)
        .batch(BATCH)
        .seed(SEED)
        .progress(Progress::Off)
}

#[test]
fn the_trainer_takes_the_same_steps_as_train_epoch() {
    let mut bare = fresh_net();
    let (mut loss, mut opt) = (SoftmaxWithLoss::new(), Adam::new(0.01));
    let mut batches = Batches::new(EXAMPLES, BATCH, SEED);
    let mut means = Vec::new();
    for epoch in 1..=3 {
        let mean = train_epoch(
            &mut bare,
            &mut loss,
            &mut opt,
            &data(),
            &mut batches,
            epoch,
            |_, _| {},
        );
        means.push(mean.unwrap());
    }
    let mut net = fresh_net();
    let report = trainer(&mut net, Adam::new(0.01))
        .epochs(3)
        .fit(&data())
        .unwrap();
    assert_eq!(bits(&net), bits(&bare));
    let losses: Vec<f64> = report.epochs.iter().map(|e| e.loss).collect();
    assert_eq!(losses, means);
    assert_eq!(report.steps.len(), 3 * PER_EPOCH);
    assert_eq!(
        (report.stopped_early, report.best, report.resumed_from),
        (false, None, None)
    );
}

#[test]
fn the_schedule_sets_each_steps_rate_and_clipping_matches_clip_grad_norm() {
    let schedule = Cosine::new(0.1, 10).with_warmup(3);
    let mut net = fresh_net();
    let report = trainer(&mut net, Sgd::new(0.1))
        .steps(10)
        .schedule(schedule)
        .clip_grad_norm(0.5)
        .fit(&data())
        .unwrap();
    let rates: Vec<f64> = report.steps.iter().map(|s| s.lr).collect();
    let expected: Vec<f64> = (0..10).map(|t| schedule.rate(t)).collect();
    assert_eq!(rates, expected);
    assert_eq!(rates[0], 0.1 / 3.0);

    // The same ten steps by hand.
    let mut bare = fresh_net();
    let (x, t) = data();
    let mut opt = Sgd::new(0.1);
    let mut batches = Batches::new(EXAMPLES, BATCH, SEED);
    let mut step = 0;
    while step < 10 {
        for rows in batches.epoch().map(<[usize]>::to_vec).collect::<Vec<_>>() {
            let labels = Labels::new(rows.iter().map(|&r| t.as_slice()[r]).collect()).unwrap();
            backprop(
                &mut bare,
                &mut SoftmaxWithLoss::new(),
                gather_rows(&x, &rows),
                &labels,
            )
            .unwrap();
            clip_grad_norm(&mut bare, 0.5).unwrap();
            schedule.apply(step, &mut opt);
            opt.step(&mut bare);
            step += 1;
        }
    }
    assert_eq!(bits(&net), bits(&bare));
}

#[test]
fn a_step_budget_ends_inside_an_epoch_with_a_partial_record() {
    let mut net = fresh_net();
    let report = trainer(&mut net, Sgd::new(0.1))
        .steps(7)
        .fit(&data())
        .unwrap();
    let places: Vec<(usize, usize, usize)> = report
        .steps
        .iter()
        .map(|s| (s.step, s.epoch, s.batch))
        .collect();
    assert_eq!(
        places,
        [
            (1, 1, 1),
            (2, 1, 2),
            (3, 1, 3),
            (4, 1, 4),
            (5, 1, 5),
            (6, 2, 1),
            (7, 2, 2)
        ]
    );
    assert_eq!(report.epochs.len(), 2);
    let second = &report.epochs[1];
    assert_eq!((second.epoch, second.step), (2, 7));
    assert_eq!(
        second.loss,
        (report.steps[5].loss + report.steps[6].loss) / 2.0
    );
}

#[test]
fn early_stopping_keeps_the_best_epoch_and_writes_it() {
    let dir = scratch("early");
    let mut net = fresh_net();
    // A rate this large wanders: the validation loss stops improving soon.
    let mut seen = Vec::new();
    let report = trainer(&mut net, Sgd::new(2.0))
        .epochs(40)
        .validation("val", &data())
        .early_stopping("val_loss", EarlyStopping::new(Goal::Minimize, 2))
        .restore_best()
        .out_dir(&dir)
        .on_epoch(|e, _| seen.push(e.epoch))
        .fit(&data())
        .unwrap();
    assert!(report.stopped_early, "{:?}", report.epochs);
    let (best_epoch, best_loss) = report.best.unwrap();
    let last = report.epochs.len();
    assert_eq!(
        last,
        best_epoch + 2,
        "stops after two epochs without improvement"
    );
    assert_eq!(seen, (1..=last).collect::<Vec<_>>());
    let losses: Vec<f64> = report
        .epochs
        .iter()
        .map(|e| e.get("val_loss").unwrap())
        .collect();
    assert_eq!(
        best_loss,
        losses.iter().copied().fold(f64::INFINITY, f64::min)
    );
    // The network holds the best epoch's weights, as best.safetensors does.
    let mut best = Net::default();
    checkpoint::load(&mut best, &dir.join("best.safetensors")).unwrap();
    assert_eq!(bits(&best), bits(&net));
    // So does weights.safetensors, the network as the run left it; the
    // training checkpoint has the last epoch's, to continue from.
    let mut left = Net::default();
    checkpoint::load(&mut left, &dir.join("weights.safetensors")).unwrap();
    assert_eq!(bits(&left), bits(&net));
    let mut last = fresh_net();
    Trainer::new(&mut last, SoftmaxWithLoss::new(), Sgd::new(2.0))
        .resume(&dir)
        .batch(BATCH)
        .seed(SEED)
        .epochs(1)
        .progress(Progress::Off)
        .fit(&data())
        .unwrap();
    assert_ne!(bits(&last), bits(&net));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn metrics_are_recorded_and_written_as_csv() {
    let dir = scratch("csv");
    let mut net = fresh_net();
    let calls = std::cell::Cell::new(0);
    let report = trainer(&mut net, Sgd::new(0.1))
        .epochs(2)
        .train_accuracy(10)
        .validation("test", &data())
        .metric("calls", |_| {
            calls.set(calls.get() + 1);
            Ok(calls.get() as f64)
        })
        .out_dir(&dir)
        .fit(&data())
        .unwrap();
    let names: Vec<&str> = report.epochs[0]
        .metrics
        .iter()
        .map(|(n, _)| n.as_str())
        .collect();
    assert_eq!(
        names,
        ["train_accuracy", "test_loss", "test_accuracy", "calls"]
    );
    assert_eq!(report.epochs[1].get("calls"), Some(2.0));
    let epochs = std::fs::read_to_string(dir.join("epochs.csv")).unwrap();
    let lines: Vec<&str> = epochs.lines().collect();
    assert_eq!(
        lines[0],
        "epoch,step,loss,train_accuracy,test_loss,test_accuracy,calls,lr,seconds"
    );
    assert_eq!(lines.len(), 3);
    let e2 = &report.epochs[1];
    assert!(
        lines[2].starts_with(&format!("2,10,{},", e2.loss)),
        "{}",
        lines[2]
    );
    let steps = std::fs::read_to_string(dir.join("steps.csv")).unwrap();
    let rows: Vec<&str> = steps.lines().collect();
    assert_eq!(rows[0], "step,epoch,batch,loss,lr");
    assert_eq!(rows.len(), 1 + 2 * PER_EPOCH);
    let s6 = report.steps[5];
    assert_eq!(rows[6], format!("6,2,1,{},0.1", s6.loss));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn settings_that_mean_nothing_are_refused_before_any_step() {
    let refuse = |f: &dyn Fn(Run<'_>) -> Run<'_>| {
        let mut net = fresh_net();
        let before = bits(&net);
        let err = f(trainer(&mut net, Sgd::new(0.1)))
            .fit(&data())
            .unwrap_err()
            .to_string();
        assert_eq!(bits(&net), before);
        err
    };
    assert_eq!(
        refuse(&|t| t.epochs(0)),
        "the number of epochs is 0: a run needs at least 1"
    );
    assert_eq!(
        refuse(&|t| t.batch(0)),
        "the batch size is 0: a batch needs at least one example"
    );
    assert_eq!(
        refuse(&|t| t.clip_grad_norm(f64::NAN)),
        "the gradient norm limit is NaN: it must be a finite number above 0"
    );
    assert_eq!(
        refuse(&|t| t.checkpoint_every(5)),
        "the steps between checkpoints is 5: checkpoints need a folder to go to: set `out_dir`"
    );
    assert_eq!(
        refuse(&|t| t.early_stopping("val_loss", EarlyStopping::new(Goal::Minimize, 2))),
        "the watched metric is val_loss: this run measures loss"
    );
    assert_eq!(
        refuse(&|t| t.restore_best()),
        "restore_best is set: it needs `early_stopping` or `keep_best` to say which epoch is best"
    );
    assert_eq!(
        refuse(&|t| t.schedule(Cosine::new(0.1, 10).with_warmup(10))),
        Cosine::new(0.1, 10)
            .with_warmup(10)
            .validate()
            .unwrap_err()
            .to_string()
    );
}

/// Runs `epochs` epochs (or stops after `stop_after` steps) writing to `dir`.
fn run_to(
    dir: &PathBuf,
    opt: Box<dyn Optimizer<f32>>,
    stop_after: Option<usize>,
    resume: bool,
) -> (Net, Report) {
    let mut net = fresh_net();
    let mut t = trainer(&mut net, opt)
        .epochs(3)
        .out_dir(dir)
        .checkpoint_every(2);
    if let Some(steps) = stop_after {
        t = t.steps(steps);
    }
    if resume {
        t = t.resume(dir);
    }
    let report = t.fit(&data()).unwrap();
    (net, report)
}

#[test]
fn a_resumed_run_ends_with_the_bits_and_the_history_of_one_never_stopped() {
    for make in [
        || -> Box<dyn Optimizer<f32>> { Box::new(Sgd::new(0.1)) },
        || -> Box<dyn Optimizer<f32>> { Box::new(Adam::new(0.01)) },
    ] {
        let dir = scratch("straight");
        let (straight, straight_report) = run_to(&dir, make(), None, false);
        let straight_steps = std::fs::read_to_string(dir.join("steps.csv")).unwrap();
        let dir = scratch("stopped");
        run_to(&dir, make(), Some(7), false);
        let (resumed, report) = run_to(&dir, make(), None, true);
        assert_eq!(bits(&resumed), bits(&straight));
        assert_eq!(report.resumed_from, Some(7));
        let strip = |r: &Report| -> Vec<StepRecord> { r.steps.clone() };
        assert_eq!(strip(&report), strip(&straight_report));
        // The second epoch was cut at step 7 by the budget; resumed, it is
        // finished, so its record is there twice (partial, then whole).
        assert_eq!(report.epochs.len(), 4);
        assert_eq!(report.epochs[3].loss, straight_report.epochs[2].loss);
        assert_eq!(
            std::fs::read_to_string(dir.join("steps.csv")).unwrap(),
            straight_steps
        );
        let _ = std::fs::remove_dir_all(&dir);
        let _ = std::fs::remove_dir_all(scratch("straight"));
    }
}

#[test]
fn a_checkpoint_of_another_run_is_refused_saying_what_differs() {
    let dir = scratch("refuse");
    let mut net = fresh_net();
    trainer(&mut net, Adam::new(0.01))
        .epochs(1)
        .out_dir(&dir)
        .fit(&data())
        .unwrap();
    let file = dir.join("training.safetensors").display().to_string();

    let mut other = fresh_net();
    let err = trainer(&mut other, Sgd::new(0.1))
        .resume(&dir)
        .fit(&data())
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "cannot resume from {file}: it was written by a run with the Adam optimiser; this one uses Sgd"
        )
    );
    let err = trainer(&mut other, Adam::new(0.01))
        .batch(4)
        .resume(&dir)
        .fit(&data())
        .unwrap_err();
    assert!(
        err.to_string()
            .ends_with("it was written with batch size 8; this run's is 4"),
        "{err}"
    );
    let mut shifted = data();
    shifted.0.as_mut_slice()[3] += 1.0;
    let err = trainer(&mut other, Adam::new(0.01))
        .resume(&dir)
        .fit(&shifted)
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("it was written for another training set: 40 samples"),
        "{err}"
    );

    #[derive(Network, Default)]
    struct Wider {
        affine1: Affine<6, 9>,
        relu: Relu,
        affine2: Affine<9, 3>,
    }
    let mut wider = Wider::default();
    let err = Trainer::new(&mut wider, SoftmaxWithLoss::new(), Adam::new(0.01))
        .batch(BATCH)
        .seed(SEED)
        .progress(Progress::Off)
        .resume(&dir)
        .fit(&data())
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "cannot resume from {file}: it was written for another network: it has `affine1.weight` [6, 8] where this one has `affine1.weight` [6, 9]"
        )
    );
    assert!(matches!(err, Error::Resume { .. }));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_nan_sample_is_refused_before_the_first_step() {
    let mut bad = data();
    bad.0.as_mut_slice()[17 * 6 + 4] = f32::NAN;
    let mut net = fresh_net();
    let before = bits(&net);
    let err = trainer(&mut net, Sgd::new(0.1)).fit(&bad).unwrap_err();
    assert_eq!(
        err.to_string(),
        "the training data holds NaN at sample 17, element 4"
    );
    assert_eq!(bits(&net), before);
}

#[test]
fn a_validation_split_holds_out_the_last_samples() {
    let mut net = fresh_net();
    let report = trainer(&mut net, Sgd::new(0.1))
        .epochs(2)
        .validation_split(0.25)
        .fit(&data())
        .unwrap();
    // 30 samples left to train on: 4 batches an epoch (8, 8, 8, 6).
    assert_eq!(report.steps.len(), 2 * 4);
    let (x, t) = data();
    let rows: Vec<usize> = (30..40).collect();
    let held = (
        gather_rows(&x, &rows),
        Labels::new(t.as_slice()[30..].to_vec()).unwrap(),
    );
    let m = katachi::train::measure(&net, &SoftmaxWithLoss::new(), &held).unwrap();
    let last = report.epochs.last().unwrap();
    assert_eq!(last.get("val_loss"), Some(m.loss));
    assert_eq!(last.get("val_accuracy"), Some(m.accuracy));
    let mut again = fresh_net();
    let err = trainer(&mut again, Sgd::new(0.1))
        .validation_split(1.0)
        .fit(&data())
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "the validation split is 1: it must be above 0 and below 1"
    );
}

#[test]
fn a_network_left_in_eval_mode_still_trains_on_batch_statistics() {
    let mut straight = fresh_net();
    trainer(&mut straight, Sgd::new(0.1)).fit(&data()).unwrap();
    let mut left = fresh_net();
    left.set_mode(Mode::Eval);
    trainer(&mut left, Sgd::new(0.1)).fit(&data()).unwrap();
    assert_eq!(bits(&left), bits(&straight));
}
