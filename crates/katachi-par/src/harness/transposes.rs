//! The 8 × 8 transposes packing uses: each against the definition.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use super::random;
use crate::gemm::kernel;

#[test]
fn every_transpose_moves_each_element_to_its_mirror_and_writes_nothing_else() {
    const SENTINEL: f32 = 1234.5;
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    for transpose in kernel::transposes_f32() {
        for (src_rs, out_rs) in [(8, 8), (13, 8), (8, 13), (32, 12), (100, 16)] {
            let src = random::<f32>(&mut rng, 7 * src_rs + 8);
            let mut out = vec![SENTINEL; 7 * out_rs + 8];
            transpose(&src, src_rs, &mut out, out_rs);
            for (at, &got) in out.iter().enumerate() {
                let (q, r) = (at / out_rs, at % out_rs);
                let want = if r < 8 { src[r * src_rs + q] } else { SENTINEL };
                assert_eq!(
                    got.to_bits(),
                    want.to_bits(),
                    "strides ({src_rs}, {out_rs}): out[{q}·{out_rs} + {r}]"
                );
            }
        }
    }
}

#[test]
#[should_panic(expected = "transpose: source has")]
fn a_transpose_refuses_a_source_too_short_for_its_stride() {
    let src = vec![0.0f32; 7 * 9 + 7];
    let mut out = vec![0.0f32; 64];
    (kernel::transposes_f32()[0])(&src, 9, &mut out, 8);
}
