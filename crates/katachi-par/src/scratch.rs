//! Buffers a kernel's tasks reuse from one call to the next, so that a warm
//! training step allocates nothing.

use std::any::Any;
use std::cell::Cell;
use std::thread::LocalKey;

use crate::element::{Element, ElementKind};
use crate::gemm::GemmScratch;

/// Lends the calling thread's reusable buffers: `count` of them, buffer `i`
/// resized to `len(i)` elements (its contents are whatever the previous
/// call left: callers overwrite or clear what they use). The buffers belong
/// to the calling thread whichever threads the tasks run on, so they are
/// sized once, not each time a thread happens to take a task. A nested
/// call on the same thread gets fresh buffers instead of borrowed ones.
pub(crate) fn with_buffers<E: Element, R>(
    count: usize,
    len: impl Fn(usize) -> usize,
    f: impl FnOnce(&mut [Vec<E>]) -> R,
) -> R {
    thread_local! {
        static F32: Cell<Vec<Vec<f32>>> = const { Cell::new(Vec::new()) };
        static F64: Cell<Vec<Vec<f64>>> = const { Cell::new(Vec::new()) };
    }
    let size = |i: usize, buffer: &mut Vec<E>| buffer.resize(len(i), E::ZERO);
    match E::KIND {
        ElementKind::F32 => lend(&F32, count, size, f),
        ElementKind::F64 => lend(&F64, count, size, f),
    }
}

/// Lends the calling thread's packing buffers for `count` tasks, one set
/// each, for the products the tasks run ([`crate::gemm::gemm_in`]): they
/// then pack into buffers the caller keeps, whichever thread runs a task
/// (a thread's own would be sized the first time it took a task of that
/// size, which may be late in a run).
pub(crate) fn with_packing<E: Element, R>(
    count: usize,
    f: impl FnOnce(&mut [GemmScratch<E>]) -> R,
) -> R {
    thread_local! {
        static F32: Cell<Vec<GemmScratch<f32>>> = const { Cell::new(Vec::new()) };
        static F64: Cell<Vec<GemmScratch<f64>>> = const { Cell::new(Vec::new()) };
    }
    match E::KIND {
        ElementKind::F32 => lend(&F32, count, |_, _| {}, f),
        ElementKind::F64 => lend(&F64, count, |_, _| {}, f),
    }
}

/// Lends the first `count` buffers kept in `cell` (as many more made as
/// needed), each passed through `prepare` first. `T` is `B` for the element
/// type asked for, which the caller picked the cell by.
fn lend<T: 'static, B: Default + 'static, R>(
    cell: &'static LocalKey<Cell<Vec<T>>>,
    count: usize,
    prepare: impl Fn(usize, &mut B),
    f: impl FnOnce(&mut [B]) -> R,
) -> R {
    // Taken out while in use: a nested call finds none, not these.
    let mut buffers = cell.with(Cell::take);
    let same = (&mut buffers as &mut dyn Any).downcast_mut::<Vec<B>>();
    let same = same.expect("the buffers of the element type asked for");
    if same.len() < count {
        same.resize_with(count, B::default);
    }
    for (i, buffer) in same[..count].iter_mut().enumerate() {
        prepare(i, buffer);
    }
    let out = f(&mut same[..count]);
    cell.with(|c| c.set(buffers));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buffers_are_reused_and_resized_and_nested_calls_get_their_own() {
        let first = with_buffers::<f32, _>(
            2,
            |i| 3 + i,
            |b| {
                b[1][3] = 7.0;
                (b[0].len(), b[1].len(), b[1].as_ptr() as usize)
            },
        );
        assert_eq!((first.0, first.1), (3, 4));
        // The same allocation comes back, with what was left in it.
        let again = with_buffers::<f32, _>(2, |i| 3 + i, |b| (b[1][3], b[1].as_ptr() as usize));
        assert_eq!(again, (7.0, first.2));
        let nested = with_buffers::<f32, _>(
            1,
            |_| 5,
            |outer| {
                with_buffers::<f32, _>(1, |_| 5, |inner| inner[0].as_ptr() != outer[0].as_ptr())
            },
        );
        assert!(nested);
        // Each element type has its own.
        assert_eq!(with_buffers::<f64, _>(1, |_| 2, |b| b[0].len()), 2);
    }
}
