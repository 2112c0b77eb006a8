use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Barrier, Mutex};
use std::thread;

use super::*;

/// Runs a region and returns how many times each index ran.
fn runs(threads: usize, count: usize) -> Vec<usize> {
    let hits: Vec<AtomicUsize> = (0..count).map(|_| AtomicUsize::new(0)).collect();
    for_each_index(threads, count, &|i| {
        hits[i].fetch_add(1, SeqCst);
    });
    hits.into_iter().map(AtomicUsize::into_inner).collect()
}

#[test]
fn every_index_runs_exactly_once_on_any_number_of_threads() {
    for threads in 1..=5 {
        for count in [0, 1, 2, 3, 7, 64, 1000] {
            assert_eq!(
                runs(threads, count),
                vec![1; count],
                "{threads} threads, {count} tasks"
            );
        }
    }
}

#[test]
fn chunks_handed_out_by_for_each_are_each_written_once() {
    let mut data = vec![0_usize; 1003];
    let chunks = data.chunks_mut(10).enumerate();
    for_each(3, chunks, |(i, chunk)| {
        for (j, x) in chunk.iter_mut().enumerate() {
            *x += i * 10 + j + 1;
        }
    });
    let expected: Vec<usize> = (1..=1003).collect();
    assert_eq!(data, expected);
}

#[test]
fn regions_started_inside_tasks_run_all_their_tasks() {
    // The inner regions find the team busy and run on their own thread
    // (or claim it, if another test's region held it): never a deadlock.
    let total = AtomicUsize::new(0);
    for_each_index(2, 4, &|_| {
        for_each_index(2, 5, &|_| {
            total.fetch_add(1, SeqCst);
        });
    });
    assert_eq!(total.into_inner(), 20);
}

#[test]
fn callers_on_many_threads_at_once_each_get_all_their_tasks_run() {
    let start = Arc::new(Barrier::new(4));
    let callers: Vec<_> = (0..4)
        .map(|c| {
            let start = Arc::clone(&start);
            thread::spawn(move || {
                start.wait();
                for round in 0..200 {
                    let count = 1 + (c * 7 + round) % 13;
                    assert_eq!(runs(3, count), vec![1; count]);
                }
            })
        })
        .collect();
    for caller in callers {
        caller.join().expect("no caller panics");
    }
}

#[test]
fn a_panicking_task_is_resumed_in_the_caller_and_the_team_goes_on() {
    for _ in 0..50 {
        let hits: Vec<AtomicUsize> = (0..40).map(|_| AtomicUsize::new(0)).collect();
        let outcome = panic::catch_unwind(AssertUnwindSafe(|| {
            for_each_index(3, 40, &|i| {
                if i == 17 {
                    panic!("task 17 failed");
                }
                hits[i].fetch_add(1, SeqCst);
            })
        }));
        let payload = outcome.expect_err("the panic reaches the caller");
        assert_eq!(payload.downcast_ref::<&str>(), Some(&"task 17 failed"));
        // Tasks not yet taken when the caller's own task panicked may
        // never run (as with a panic in a sequential loop); none runs twice.
        assert!(hits.iter().all(|h| h.load(SeqCst) <= 1));
    }
    // And the team still works.
    assert_eq!(runs(3, 9), vec![1; 9]);
}

/// Whether a region of `count` tasks of `work` on two threads ran on both
/// of them, in one of a hundred attempts, each after `idle`: the tests of
/// the whole crate share the team, and a region that finds it busy runs on
/// its caller alone (ten attempts were once all taken by the GEMM harness
/// running beside this test on two cores).
fn shared_with_the_team(idle: Duration, count: usize, work: impl Fn() + Sync) -> bool {
    (0..100).any(|_| {
        thread::sleep(idle);
        let workers = Mutex::new(HashSet::new());
        for_each_index(2, count, &|_| {
            work();
            let mut workers = workers.lock().expect("no task panics");
            workers.insert(thread::current().id());
        });
        workers.into_inner().expect("no task panics").len() == 2
    })
}

/// Busy work for about `time`, as a product would be.
fn compute_for(time: Duration) {
    let start = Instant::now();
    while start.elapsed() < time {
        std::hint::spin_loop();
    }
}

#[test]
fn a_team_thread_takes_tasks_while_the_caller_computes() {
    // Two tasks of 20 ms: the caller takes one; the team thread, spinning
    // after the previous region, must take the other.
    runs(2, 8);
    let shared = shared_with_the_team(Duration::ZERO, 2, || compute_for(Duration::from_millis(20)));
    assert!(shared, "two 20 ms tasks never ran on two threads");
}

#[test]
fn a_team_thread_that_went_to_sleep_is_woken_for_the_next_region() {
    runs(2, 8); // the team thread exists
    // 20 × SPIN idle: the team thread is asleep when the region opens; a
    // lost wake-up would fail every attempt.
    let shared = shared_with_the_team(SPIN * 20, 40, || compute_for(Duration::from_millis(1)));
    assert!(shared, "40 tasks of 1 ms never ran on two threads");
}
