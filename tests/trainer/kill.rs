//! A run killed with SIGKILL at a random step — a child process, stopped
//! wherever it stands, perhaps in the middle of writing a checkpoint — and
//! resumed from its folder ends with weights byte-identical to a run that
//! was never interrupted: for SGD and for Adam, with BatchNorm and Dropout
//! in the network.
//!
//! The child is this test binary again, running `kill::training_child` with
//! `KATACHI_KILL_TEST` naming the optimiser and the folder.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{SystemTime, UNIX_EPOCH};

use katachi::checkpoint;
use katachi::prelude::*;
use katachi::train::{Progress, Trainer};

use super::resumable::{EXAMPLES, Net, bits, data, fresh_net};

const BATCH: usize = 8;
const EPOCHS: usize = 4;
const TOTAL: usize = EPOCHS * EXAMPLES / BATCH;
/// Steps between checkpoints: the kill lands on, before and after them.
const EVERY: usize = 3;
const CHILD: &str = "KATACHI_KILL_TEST";

fn optimizer(name: &str) -> Box<dyn Optimizer<f32>> {
    match name {
        "sgd" => Box::new(Sgd::new(0.1)),
        _ => Box::new(Adam::new(0.01)),
    }
}

/// The run, writing to `out` (if any) and resuming from it if asked;
/// `on_step` is told each step's number.
fn run(opt: &str, out: Option<&Path>, resume: bool, on_step: impl FnMut(usize)) -> Net {
    let mut on_step = on_step;
    let mut net = fresh_net();
    let mut trainer = Trainer::new(&mut net, SoftmaxWithLoss::new(), optimizer(opt))
        .epochs(EPOCHS)
        .batch(BATCH)
        .seed(3)
        .progress(Progress::Off)
        .on_step(|s| on_step(s.step));
    if let Some(dir) = out {
        trainer = trainer.out_dir(dir).checkpoint_every(EVERY);
        if resume {
            trainer = trainer.resume(dir);
        }
    }
    trainer.fit(&data()).unwrap();
    net
}

/// In the child: the run, announcing each step and slow enough that the
/// parent's kill lands near the step it chose.
#[test]
fn training_child() {
    let Ok(setting) = std::env::var(CHILD) else {
        return; // run as a test of its own: nothing to do
    };
    let (opt, dir) = setting.split_once(':').expect("optimiser:folder");
    run(opt, Some(Path::new(dir)), false, |step| {
        println!("step {step}");
        std::thread::sleep(std::time::Duration::from_millis(3));
    });
}

/// Starts the child on `dir`, kills it once it has announced `kill_at`, and
/// returns the last step it announced.
fn kill_child_at(opt: &str, dir: &Path, kill_at: usize) -> usize {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "kill::training_child",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD, format!("{opt}:{}", dir.display()))
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = BufReader::new(child.stdout.take().unwrap());
    let mut last = 0;
    for line in stdout.lines() {
        if let Some(step) = line.unwrap().strip_prefix("step ") {
            last = step.parse().unwrap();
            if last >= kill_at {
                child.kill().unwrap(); // SIGKILL on Unix
                break;
            }
        }
    }
    child.wait().unwrap();
    last
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("katachi-kill-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

#[test]
fn a_run_killed_at_a_random_step_resumes_to_the_same_bytes() {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .subsec_nanos() as usize;
    for (i, opt) in ["sgd", "adam"].into_iter().enumerate() {
        let straight = run(opt, None, false, |_| {});
        // After step EVERY + 1 is announced the first checkpoint is on disk.
        let kill_at = EVERY + 1 + (nanos / (i + 1)) % (TOTAL - EVERY - 1);
        let dir = scratch(opt);
        let killed_after = kill_child_at(opt, &dir, kill_at);
        assert!(
            killed_after < TOTAL,
            "{opt}: the child finished before the kill"
        );
        let resumed = run(opt, Some(&dir), true, |_| {});
        assert_eq!(
            bits(&resumed),
            bits(&straight),
            "{opt}: killed after step {killed_after} (aimed at {kill_at})"
        );
        // What is on disk is the resumed run's end too.
        let mut saved = Net::default();
        checkpoint::load(&mut saved, &dir.join("weights.safetensors")).unwrap();
        assert_eq!(bits(&saved), bits(&straight), "{opt}");
        let steps = std::fs::read_to_string(dir.join("steps.csv")).unwrap();
        assert_eq!(
            steps.lines().count(),
            1 + TOTAL,
            "{opt}: one row per step, none twice"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
