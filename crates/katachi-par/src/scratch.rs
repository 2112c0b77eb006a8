//! Buffers a kernel's tasks reuse from one call to the next, so that a warm
//! training step allocates nothing.

use std::any::Any;
use std::cell::Cell;
use std::thread::LocalKey;

use crate::element::{Element, ElementKind};

/// Lends the calling thread's reusable buffers: `count` of them, buffer `i`
/// resized to `len(i)` elements (its contents are whatever the previous
/// call left: callers overwrite or clear what they use). The buffers belong
/// to the calling thread whichever threads the tasks run on, so they are
/// sized once, not each time a worker happens to steal a task. A nested
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
    fn lend<T: 'static, E: Element, R>(
        cell: &'static LocalKey<Cell<Vec<Vec<T>>>>,
        count: usize,
        len: impl Fn(usize) -> usize,
        f: impl FnOnce(&mut [Vec<E>]) -> R,
    ) -> R {
        // Taken out while in use: a nested call finds none, not these.
        let mut buffers = cell.with(Cell::take);
        let same = (&mut buffers as &mut dyn Any).downcast_mut::<Vec<Vec<E>>>();
        let same = same.expect("the buffers of the element type asked for");
        if same.len() < count {
            same.resize_with(count, Vec::new);
        }
        for (i, buffer) in same[..count].iter_mut().enumerate() {
            buffer.resize(len(i), E::ZERO);
        }
        let out = f(&mut same[..count]);
        cell.with(|c| c.set(buffers));
        out
    }
    match E::KIND {
        ElementKind::F32 => lend(&F32, count, len, f),
        ElementKind::F64 => lend(&F64, count, len, f),
    }
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
