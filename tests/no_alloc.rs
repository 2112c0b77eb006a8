//! Once warm, a training step allocates nothing: layers reuse their buffers
//! and the kernels their packing scratch. Counted with a global allocator
//! that tallies every allocation in this test binary.

use katachi::models::TwoLayerNet;
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use katachi::prelude::*;

struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards every call to the system allocator unchanged; the counter
// has no effect on the memory handed out.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: the caller upholds `alloc`'s contract, passed on as is.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `System.alloc` with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: as for `dealloc`; `new_size` is the caller's, unchanged.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Held by each test for its whole run: the count is of the whole process,
/// so another test allocating at the same time would be counted too.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn alone() -> std::sync::MutexGuard<'static, ()> {
    ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner())
}

fn sgd(net: &mut TwoLayerNet, lr: f32) {
    net.visit_mut(&ParamPath::ROOT, &mut |_, p| {
        for (v, g) in p.value.iter_mut().zip(p.grad.iter()) {
            *v -= lr * g;
        }
    });
}

#[test]
fn a_warm_training_step_allocates_nothing() {
    let _alone = alone();
    let mut net = <TwoLayerNet>::seeded(1);
    let mut loss = SoftmaxWithLoss::<10>::new();
    let x = Tensor::<Batch<784>>::from_fn((100, Const), |i| ((i[0] * 7 + i[1]) % 13) as f32 / 13.0);
    let t = Labels::<10>::new((0..100).map(|i| i % 10).collect()).unwrap();
    // The caller's batches: prepared before counting (the step takes them by value).
    let mut batches: Vec<_> = (0..13).map(|_| x.clone()).collect();
    // The kernels ask rayon's global pool for the thread count, which
    // starts its threads; they allocate as they start up, on their own
    // time. Wait for that once, so it is not counted as the steps'.
    rayon::broadcast(|_| ());

    for _ in 0..3 {
        backprop(&mut net, &mut loss, batches.pop().unwrap(), &t).unwrap();
        sgd(&mut net, 0.1);
    }
    let before = ALLOCATIONS.load(Ordering::Relaxed);
    let mut last = 0.0;
    for _ in 0..10 {
        last = backprop(&mut net, &mut loss, batches.pop().unwrap(), &t).unwrap();
        sgd(&mut net, 0.1);
    }
    let during = ALLOCATIONS.load(Ordering::Relaxed) - before;
    assert!(last.is_finite());
    assert_eq!(during, 0, "10 warm steps allocated {during} times");
}

/// Warm steps of a network with Adam: the allocations counted.
fn warm_step_allocations<S, N>(mut net: N, x: Tensor<S>, t: Labels<10>) -> usize
where
    S: Shape,
    N: Layer<Tensor<S>, Out = Tensor<Batch<10>>> + Parameters<Elem = f32>,
{
    let mut loss = SoftmaxWithLoss::<10>::new();
    let mut adam = Adam::new(0.001);
    let mut batches: Vec<_> = (0..8).map(|_| x.clone()).collect();
    for _ in 0..3 {
        backprop(&mut net, &mut loss, batches.pop().unwrap(), &t).unwrap();
        adam.step(&mut net);
    }
    let before = ALLOCATIONS.load(Ordering::Relaxed);
    for _ in 0..5 {
        let value = backprop(&mut net, &mut loss, batches.pop().unwrap(), &t).unwrap();
        assert!(value.is_finite());
        adam.step(&mut net);
    }
    ALLOCATIONS.load(Ordering::Relaxed) - before
}

fn images(batch: usize) -> Tensor<Nchw<1, 28, 28>> {
    Tensor::from_fn((batch, Const, Const, Const), |i| {
        ((i[0] * 31 + i[2] * 7 + i[3] * 3) % 23) as f32 / 23.0
    })
}

#[test]
fn a_warm_cnn_step_allocates_nothing() {
    let _alone = alone();
    // Two threads, inside a pool as the examples train: every task of a
    // convolution packs its products into buffers its caller keeps, so it
    // does not matter which thread takes which task.
    let threads = 2;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap();
    let t = Labels::<10>::new((0..20).map(|i| i % 10).collect()).unwrap();
    let simple = katachi::models::SimpleConvNet::<f32>::seeded(1);
    let during = pool.install(|| warm_step_allocations(simple, images(20), t.clone()));
    assert_eq!(
        during, 0,
        "5 warm SimpleConvNet steps on {threads} threads allocated {during} times"
    );
    let mut deep = katachi::models::DeepConvNet::<f32>::default();
    deep.init(Init::He, 1);
    let during = pool.install(|| warm_step_allocations(deep, images(20), t));
    assert_eq!(
        during, 0,
        "5 warm DeepConvNet steps on {threads} threads allocated {during} times"
    );
}
