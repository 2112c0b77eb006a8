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

fn sgd(net: &mut TwoLayerNet, lr: f32) {
    net.visit_mut(&ParamPath::ROOT, &mut |_, p| {
        for (v, g) in p.value.iter_mut().zip(p.grad.iter()) {
            *v -= lr * g;
        }
    });
}

#[test]
fn a_warm_training_step_allocates_nothing() {
    let mut net = <TwoLayerNet>::seeded(1);
    let mut loss = SoftmaxWithLoss::<10>::new();
    let x = Tensor::<Batch<784>>::from_fn((100, Const), |i| ((i[0] * 7 + i[1]) % 13) as f32 / 13.0);
    let t = Labels::<10>::new((0..100).map(|i| i % 10).collect()).unwrap();
    // The caller's batches: prepared before counting (the step takes them by value).
    let mut batches: Vec<_> = (0..13).map(|_| x.clone()).collect();

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
