use super::*;

/// Elements the buffers hold room for.
fn room(scratch: &GemmScratch<f32>) -> usize {
    let tasks = scratch
        .tasks
        .iter()
        .map(|t| t.a.capacity() + t.b.capacity());
    scratch.shared_b.capacity() + tasks.sum::<usize>()
}

#[test]
fn a_product_given_buffers_packs_into_them_and_not_the_threads() {
    let (a, b) = (vec![1.0_f32; 64 * 48], vec![0.5_f32; 48 * 80]);
    let mut c = vec![0.0_f32; 64 * 80];
    let mut product = |packing: &mut GemmScratch<f32>| {
        let (a, b) = (MatRef::row_major(&a, 64, 48), MatRef::row_major(&b, 48, 80));
        gemm_in(
            packing,
            MatMut::row_major(&mut c, 64, 80),
            Accum::Replace,
            a,
            b,
        );
    };
    // A fresh thread, as a team thread taking its first task would be.
    std::thread::scope(|s| {
        s.spawn(|| {
            let mut lent = GemmScratch::default();
            product(&mut lent);
            let packed = room(&lent);
            assert!(
                packed > 0,
                "the product packed into the buffers it was given"
            );
            assert_eq!(with_scratch(|own: &mut GemmScratch<f32>| room(own)), 0);
            // Reused as they are the next time.
            let where_b = lent.shared_b.as_ptr();
            product(&mut lent);
            assert_eq!((room(&lent), lent.shared_b.as_ptr()), (packed, where_b));
        });
    });
    assert!(c.iter().all(|&v| v == 24.0));
}
