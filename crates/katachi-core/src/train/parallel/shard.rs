//! Which samples of a global batch each group holds, which groups each rank
//! computes, and the dropout generator of each group.

use std::ops::Range;

use crate::init::{LayerRng, RngState};

/// The positions in a batch of `n` samples that group `k` of `groups`
/// holds: contiguous, sizes differing by at most one (a batch smaller than
/// the group count leaves some groups empty).
pub(crate) fn group_rows(n: usize, groups: usize, k: usize) -> Range<usize> {
    k * n / groups..(k + 1) * n / groups
}

/// The groups rank `rank` of `size` computes: contiguous, counts differing
/// by at most one.
pub(crate) fn rank_groups(groups: usize, size: usize, rank: usize) -> Range<usize> {
    rank * groups / size..(rank + 1) * groups / size
}

/// Words of a layer generator one group of one step may draw before the
/// next group's would begin (2³⁶ = 64 Gi words): far more than any mask.
const WORDS_PER_STEP: u128 = 1 << 36;

/// The generator a stochastic layer draws group `group`'s masks from at
/// step `step` of a data-parallel run whose generator stood at `base`: a
/// stream of its own per group, a stretch of it per step. It depends on
/// the step and the group alone, never on the rank that computes it.
pub(crate) fn group_rng(base: &RngState, step: usize, group: usize) -> LayerRng {
    let mut state = *base;
    state.stream ^= splitmix64(group as u64 + 1);
    state.word_pos = base
        .word_pos
        .wrapping_add(WORDS_PER_STEP.wrapping_mul(step as u128));
    state.restore()
}

/// A 64-bit mixing function (SplitMix64's finaliser): consecutive group
/// numbers give unrelated streams.
fn splitmix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::init::layer_rng;
    use rand::RngCore;

    #[test]
    fn groups_cover_the_batch_in_order() {
        let ranges: Vec<_> = (0..6).map(|k| group_rows(100, 6, k)).collect();
        assert_eq!(ranges[0], 0..16);
        assert_eq!(ranges[5], 83..100);
        for pair in ranges.windows(2) {
            assert_eq!(pair[0].end, pair[1].start);
        }
        assert_eq!(group_rows(4, 6, 0), 0..0); // small batches leave groups empty
        assert_eq!((0..6).map(|k| group_rows(4, 6, k).len()).sum::<usize>(), 4);
    }

    #[test]
    fn ranks_share_the_groups_out() {
        assert_eq!(rank_groups(6, 1, 0), 0..6);
        assert_eq!([rank_groups(6, 2, 0), rank_groups(6, 2, 1)], [0..3, 3..6]);
        let four: Vec<_> = (0..4).map(|r| rank_groups(6, 4, r)).collect();
        assert_eq!(four, [0..1, 1..3, 3..4, 4..6]);
    }

    #[test]
    fn every_group_and_step_draws_its_own_numbers() {
        let base = RngState::of(&layer_rng(7, "drop"));
        let first = |step, group| group_rng(&base, step, group).next_u64();
        assert_eq!(first(3, 2), first(3, 2));
        let all = [first(0, 0), first(0, 1), first(1, 0), first(1, 1)];
        for (i, a) in all.iter().enumerate() {
            for b in &all[i + 1..] {
                assert_ne!(a, b);
            }
        }
    }
}
