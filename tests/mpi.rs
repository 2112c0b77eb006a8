//! Data-parallel training over real MPI processes (feature `mpi`): jobs of
//! 2 and 3 ranks, over shared memory and over TCP on loopback, end with the
//! bits of one process; a rank started without `mpirun` trains alone; a
//! rank that fails, panics or is killed ends the whole job, named, within
//! seconds.
//!
//! Each job is `mpirun` starting this test binary again, running
//! `rank_child` with `KATACHI_MPI_TEST` naming the scenario and a folder;
//! each rank writes what it ended with there. Needs `mpirun` on the PATH
//! (Debian: `openmpi-bin`).

#[path = "common/parallel.rs"]
mod parallel;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use katachi::dist::{DataParallel, Local, World};
use katachi::prelude::*;
use katachi::train::{Progress, Trainer};

use parallel::{cnn_steps, data, net, train_on};

const CHILD: &str = "KATACHI_MPI_TEST";

/// Longer than any of these jobs takes; a job still running then hangs.
const PATIENCE: Duration = Duration::from_secs(120);

/// Little-endian bytes of 32-bit and 64-bit words.
fn bytes32(words: &[u32]) -> Vec<u8> {
    words.iter().flat_map(|w| w.to_le_bytes()).collect()
}

fn bytes64(words: &[u64]) -> Vec<u8> {
    words.iter().flat_map(|w| w.to_le_bytes()).collect()
}

/// In a rank: the scenario `KATACHI_MPI_TEST` names.
#[test]
fn rank_child() {
    let Ok(setting) = std::env::var(CHILD) else {
        return; // run as a test of its own: nothing to do
    };
    let (scenario, dir) = setting.split_once(':').expect("scenario:folder");
    let dir = Path::new(dir);
    let world = World::init().unwrap();
    let rank = world.rank();
    match scenario {
        "train" => {
            let (params, losses) = train_on(&world);
            std::fs::write(dir.join(format!("rank{rank}.params")), bytes32(&params)).unwrap();
            std::fs::write(dir.join(format!("rank{rank}.losses")), bytes64(&losses)).unwrap();
            let cnn = cnn_steps(&world);
            std::fs::write(dir.join(format!("rank{rank}.cnn")), bytes32(&cnn)).unwrap();
            std::fs::write(
                dir.join(format!("rank{rank}.size")),
                world.size().to_string(),
            )
            .unwrap();
            let local = format!("{} {}", world.local_size(), world.threads_per_rank());
            std::fs::write(dir.join(format!("rank{rank}.local")), local).unwrap();
        }
        "nan" | "panic" | "kill" => {
            let (mut x, labels) = data();
            if scenario == "nan" && rank == 1 {
                x.as_mut_slice()[7] = f32::NAN;
            }
            let mut net = net(1);
            let result = Trainer::new(&mut net, SoftmaxWithLoss::new(), Sgd::new(0.1))
                .epochs(1000)
                .batch(30)
                .data_parallel(DataParallel::new(&world))
                .progress(Progress::Off)
                .on_step(|s| {
                    if rank == 1 && s.step == 3 {
                        match scenario {
                            "panic" => panic!("a bug on rank 1"),
                            "kill" => {
                                // SIGKILL from outside: no handler, no unwinding.
                                let _ = Command::new("sh").args(["-c", "kill -9 $PPID"]).status();
                                std::thread::sleep(Duration::from_secs(30));
                            }
                            _ => {}
                        }
                    }
                })
                .fit(&(x, labels));
            if let Err(error) = result {
                let file = dir.join(format!("rank{rank}.error"));
                std::fs::write(file, error.to_string()).unwrap();
                world.exit_on_error(&error);
            }
        }
        other => panic!("no scenario {other}"),
    }
}

/// What a job printed and how it ended.
struct Job {
    ok: bool,
    output: String,
    seconds: f64,
}

/// This binary's `rank_child` in `scenario`, writing to a fresh folder, as
/// `launcher` starts it (`mpirun …`, or nothing for a process alone).
fn job(scenario: &str, launcher: &[&str]) -> (Job, PathBuf) {
    let dir = std::env::temp_dir().join(format!(
        "katachi-mpi-{}-{scenario}-{}",
        std::process::id(),
        launcher.len()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let exe = std::env::current_exe().unwrap();
    let exe = exe.to_str().unwrap();
    let child_args = [
        exe,
        "--exact",
        "rank_child",
        "--nocapture",
        "--test-threads=1",
    ];
    let all: Vec<&str> = launcher.iter().chain(&child_args).copied().collect();
    let started = Instant::now();
    let mut child = Command::new(all[0])
        .args(&all[1..])
        .env(CHILD, format!("{scenario}:{}", dir.display()))
        // Root in a container: Open MPI refuses root without these, and
        // shared-memory single copy needs ptrace rights containers lack.
        .env("OMPI_ALLOW_RUN_AS_ROOT", "1")
        .env("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1")
        .env("OMPI_MCA_btl_vader_single_copy_mechanism", "none")
        .env("RAYON_NUM_THREADS", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {} (is Open MPI installed?): {e}", all[0]));
    let mut pipes = [
        child.stdout.take().unwrap().boxed(),
        child.stderr.take().unwrap().boxed(),
    ];
    let readers: Vec<_> = pipes
        .iter_mut()
        .map(|p| std::mem::replace(p, Box::new(std::io::empty())))
        .map(|mut pipe| {
            std::thread::spawn(move || {
                let mut text = String::new();
                let _ = pipe.read_to_string(&mut text);
                text
            })
        })
        .collect();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > PATIENCE {
            let _ = child.kill();
            panic!("{scenario} under {launcher:?} still running after {PATIENCE:?}: a hang");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let output: String = readers.into_iter().map(|r| r.join().unwrap()).collect();
    let job = Job {
        ok: status.success(),
        output,
        seconds: started.elapsed().as_secs_f64(),
    };
    (job, dir)
}

/// A reader as a box, so stdout and stderr share a type.
trait Boxed {
    fn boxed(self) -> Box<dyn Read + Send>;
}

impl<R: Read + Send + 'static> Boxed for R {
    fn boxed(self) -> Box<dyn Read + Send> {
        Box::new(self)
    }
}

fn mpirun(np: usize, extra: &[&'static str]) -> Vec<&'static str> {
    let np: &'static str = Box::leak(np.to_string().into_boxed_str());
    let mut args = vec!["mpirun", "--oversubscribe", "-np", np];
    args.extend_from_slice(extra);
    args
}

/// Every rank's files in `dir` equal one process's run.
fn assert_ranks_match_one_process(dir: &Path, ranks: usize, how: &str) {
    let (params, losses) = train_on(&Local);
    let cnn = cnn_steps(&Local);
    for rank in 0..ranks {
        let read = |what: &str| std::fs::read(dir.join(format!("rank{rank}.{what}"))).unwrap();
        assert_eq!(
            String::from_utf8(read("size")).unwrap(),
            ranks.to_string(),
            "{how}"
        );
        // Every rank of these jobs is on this machine: the cores are shared out.
        let cores = std::thread::available_parallelism().unwrap().get();
        let local = format!("{ranks} {}", (cores / ranks).max(1));
        assert_eq!(String::from_utf8(read("local")).unwrap(), local, "{how}");
        assert!(
            read("params") == bytes32(&params),
            "{how}: rank {rank}'s parameters differ"
        );
        assert!(
            read("losses") == bytes64(&losses),
            "{how}: rank {rank}'s losses differ"
        );
        assert!(
            read("cnn") == bytes32(&cnn),
            "{how}: rank {rank}'s SimpleConvNet differs"
        );
    }
}

#[test]
fn two_and_three_ranks_end_with_the_bits_of_one_process() {
    for np in [2, 3] {
        let (job, dir) = job("train", &mpirun(np, &[]));
        assert!(job.ok, "mpirun -np {np}:\n{}", job.output);
        assert_ranks_match_one_process(&dir, np, &format!("mpirun -np {np}"));
        std::fs::remove_dir_all(dir).unwrap();
    }
}

#[test]
fn ranks_over_tcp_on_loopback_end_with_the_same_bits() {
    // The transport between machines, forced on one: no shared memory.
    let tcp = [
        "--mca",
        "btl",
        "self,tcp",
        "--mca",
        "btl_tcp_if_include",
        "lo",
    ];
    let oob = ["--mca", "oob_tcp_if_include", "lo"];
    let launcher = mpirun(2, &[&tcp[..], &oob[..]].concat());
    let (job, dir) = job("train", &launcher);
    assert!(job.ok, "over TCP:\n{}", job.output);
    assert_ranks_match_one_process(&dir, 2, "over TCP");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_rank_started_without_mpirun_trains_alone() {
    let (job, dir) = job("train", &[]);
    assert!(job.ok, "alone:\n{}", job.output);
    assert_ranks_match_one_process(&dir, 1, "alone");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn bad_data_on_one_rank_ends_every_rank_with_its_error() {
    let (job, dir) = job("nan", &mpirun(2, &[]));
    assert!(!job.ok, "{}", job.output);
    // Every rank ends with the error, and prints it.
    for rank in 0..2 {
        let error = std::fs::read_to_string(dir.join(format!("rank{rank}.error"))).unwrap();
        assert_eq!(
            error,
            "rank 1 of 2 failed: the training data holds NaN at sample 0, element 7"
        );
    }
    let line = "error: rank 1 of 2 failed: the training data holds NaN at sample 0, element 7\n";
    assert_eq!(job.output.matches(line).count(), 2, "{}", job.output);
    assert!(job.seconds < PATIENCE.as_secs_f64());
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_panic_on_one_rank_ends_the_job_naming_it() {
    let (job, dir) = job("panic", &mpirun(2, &[]));
    assert!(!job.ok, "{}", job.output);
    assert!(
        job.output.contains("rank 1 of 2 panicked: "),
        "{}",
        job.output
    );
    assert!(job.output.contains("a bug on rank 1"), "{}", job.output);
    // (mpirun adds its own `MPI_ABORT was invoked on rank 1` banner, but
    // Open MPI 4.1 sometimes loses it in a race with the job's end.)
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_killed_rank_ends_the_job_naming_it() {
    let (job, dir) = job("kill", &mpirun(2, &[]));
    assert!(!job.ok, "{}", job.output);
    assert!(
        job.output.contains("rank 1 with PID") && job.output.contains("signal 9"),
        "mpirun names the rank and the signal:\n{}",
        job.output
    );
    std::fs::remove_dir_all(dir).unwrap();
}
