//! Each schedule's rates at chosen steps, against values worked out by hand.

use std::f64::consts::PI;

use super::*;
use crate::layer::Affine;
use crate::optim::{Adam, Sgd};

fn close(a: f64, b: f64) {
    assert!((a - b).abs() <= 1e-12 * b.abs().max(1.0), "{a} vs {b}");
}

#[test]
fn constant_step_and_exponential_rates() {
    close(Constant::new(0.1).rate(12_345), 0.1);
    let s = StepDecay::new(0.1, 100, 0.5);
    for (step, want) in [
        (0, 0.1),
        (99, 0.1),
        (100, 0.05),
        (250, 0.025),
        (300, 0.0125),
    ] {
        close(s.rate(step), want);
    }
    let e = Exponential::new(0.2, 0.9);
    for (step, want) in [(0, 0.2), (1, 0.18), (2, 0.162), (10, 0.2 * 0.348_678_440_1)] {
        close(e.rate(step), want);
    }
}

#[test]
fn cosine_warms_up_linearly_then_follows_half_a_cosine() {
    let s = Cosine::new(0.1, 1100).with_warmup(100).with_min_lr(0.001);
    close(s.rate(0), 0.001); // 0.1 · 1/100
    close(s.rate(49), 0.05);
    close(s.rate(99), 0.1);
    close(s.rate(100), 0.1); // τ = 0
    close(s.rate(350), 0.001 + 0.099 * (1.0 + 0.5_f64.sqrt()) / 2.0); // τ = 1/4
    close(s.rate(600), 0.0505); // τ = 1/2: halfway
    close(s.rate(1100), 0.001);
    close(s.rate(5000), 0.001);
    let plain = Cosine::new(1.0, 4);
    for (step, want) in [(0, 1.0), (1, 0.853_553_390_593_273_8), (2, 0.5), (4, 0.0)] {
        close(plain.rate(step), want);
    }
}

#[test]
fn one_cycle_matches_pytorch() {
    // torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=1.0, total_steps=100):
    // initial 0.04 = 1/25, peak at step 29 (0.3·100 − 1), final 4e-6.
    let s = OneCycle::new(1.0, 100);
    close(s.rate(0), 0.04);
    close(s.rate(29), 1.0);
    let quarter = 0.04 + 0.96 * (1.0 - (PI * 0.25).cos()) / 2.0;
    close(
        s.rate(29 / 4),
        0.04 + 0.96 * (1.0 - (PI * 7.0 / 29.0).cos()) / 2.0,
    );
    assert!(quarter > 0.04 && quarter < 1.0);
    close(s.rate(99), 4e-6);
    close(s.rate(64), 4e-6 + (1.0 - 4e-6) / 2.0); // halfway down: (64 − 29)/(99 − 29)
}

#[test]
fn reduce_on_plateau_waits_for_patience_then_reduces() {
    let mut s = ReduceOnPlateau::new(0.1).with(0.5, 2);
    for metric in [1.0, 0.8, 0.8, 0.79995] {
        s.observe(metric); // 0.79995 is within the 1e-4 threshold: no improvement
    }
    close(s.rate(0), 0.1);
    assert_eq!(s.bad_epochs, 2);
    s.observe(0.9); // a third epoch without improvement
    close(s.rate(0), 0.05);
    assert_eq!(s.bad_epochs, 0);
    s.observe(0.5); // a new best
    assert_eq!((s.best, s.bad_epochs), (0.5, 0));
    s.min_lr = 0.04;
    for _ in 0..3 {
        s.observe(0.6);
    }
    close(s.rate(0), 0.04); // 0.025 is below the floor
}

#[test]
fn settings_that_mean_nothing_are_refused_by_name() {
    let err = |s: &dyn Fn() -> Result<()>| s().unwrap_err().to_string();
    assert_eq!(
        err(&|| Cosine::new(0.1, 100).with_warmup(100).validate()),
        "the warm-up is 100 steps: it must be shorter than the run (100 steps)"
    );
    assert_eq!(
        err(&|| StepDecay::new(0.1, 0, 0.5).validate()),
        "the steps between decays is 0: there must be at least 1"
    );
    assert_eq!(
        err(&|| Exponential::new(0.1, 1.5).validate()),
        "the decay factor is 1.5: it must be above 0 and at most 1"
    );
    assert_eq!(
        err(&|| Constant::new(f64::NAN).validate()),
        "the learning rate is NaN: it must be a finite number above 0"
    );
    assert!(OneCycle::new(0.1, 3).validate().is_err());
    assert!(ReduceOnPlateau::new(0.1).with(1.0, 3).validate().is_err());
    for ok in [
        Constant::new(0.1).validate(),
        StepDecay::new(0.1, 10, 0.5).validate(),
        Cosine::new(0.1, 100).with_warmup(10).validate(),
        OneCycle::new(0.1, 100).validate(),
        ReduceOnPlateau::new(0.1).validate(),
    ] {
        assert!(ok.is_ok());
    }
}

#[test]
fn apply_sets_the_rate_through_a_boxed_optimizer_and_keeps_its_state() {
    let mut net = Affine::<2, 2, f64>::zeros();
    net.weight.grad.as_mut_slice().fill(1.0);
    // Two Adam runs, one with its rate halved after a step: the second
    // step moves the weights by half as much, so the moments were kept.
    let run = |second_lr: f64| {
        let mut net = net.clone();
        let mut opt: Box<dyn Optimizer<f64>> = Box::new(Adam::new(0.1));
        opt.step(&mut net);
        let after_one = net.weight.value.as_slice()[0];
        StepDecay::new(0.1, 1, second_lr / 0.1).apply(1, opt.as_mut());
        assert!((opt.learning_rate() - second_lr).abs() < 1e-15);
        opt.step(&mut net);
        net.weight.value.as_slice()[0] - after_one
    };
    close(run(0.05), run(0.1) / 2.0);
    let mut sgd = Sgd::<f64>::new(1.0);
    Constant::new(0.25).apply(0, &mut sgd);
    assert_eq!(Optimizer::<f64>::learning_rate(&sgd), 0.25);
}

#[test]
fn a_plateau_schedule_continues_from_its_state_and_others_keep_none() {
    let mut straight = ReduceOnPlateau::new(0.1).with(0.5, 1);
    let mut resumed = ReduceOnPlateau::new(0.1).with(0.5, 1);
    for metric in [1.0, 1.0] {
        straight.observe(metric);
        resumed.observe(metric);
    }
    let state = resumed.state();
    assert_eq!(state, [0.1, 1.0, 1.0]);
    let mut resumed = ReduceOnPlateau::new(0.1).with(0.5, 1);
    resumed.load_state(&state).unwrap();
    straight.observe(1.0);
    resumed.observe(1.0); // the second epoch without improvement: halved
    assert_eq!(resumed, straight);
    close(resumed.rate(0), 0.05);
    assert!(Cosine::new(0.1, 10).state().is_empty());
    assert_eq!(
        Cosine::new(0.1, 10)
            .load_state(&state)
            .unwrap_err()
            .to_string(),
        "the saved schedule state is 3 numbers: this schedule keeps 0"
    );
}
