//! The data caches this CPU reports, which the GEMM sizes its blocks from.
//!
//! Read once from CPUID on x86-64 (leaf 4 on Intel, leaf `0x8000_001D` on
//! AMD: the same layout); elsewhere, or where the CPU reports nothing (some
//! hypervisors), [`CacheSizes::FALLBACK`] stands in.
//!
//! ```
//! let caches = katachi::par::caches::cache_sizes();
//! assert!(caches.l1d >= 16 << 10 && caches.l2 >= caches.l1d);
//! println!("{caches}");
//! ```

use std::fmt;
use std::sync::OnceLock;

/// Sizes in bytes of the caches one core's GEMM can count on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CacheSizes {
    /// The level-1 data cache of one core.
    pub l1d: usize,
    /// The level-2 cache of one core (not divided between its
    /// hyperthreads: a core's GEMM runs on one of them at a time).
    pub l2: usize,
    /// The last-level (level-3) cache, divided by the logical processors
    /// that share it; the level-2 size where there is no level 3.
    pub l3: usize,
    /// Whether these were read from the CPU (`false`: the fallback).
    pub detected: bool,
}

impl CacheSizes {
    /// Used where the CPU reports nothing: the smallest caches of the x86
    /// cores of the last decade (32 KiB L1d, 256 KiB L2, 1 MiB of L3 per core).
    pub const FALLBACK: CacheSizes = CacheSizes {
        l1d: 32 << 10,
        l2: 256 << 10,
        l3: 1 << 20,
        detected: false,
    };
}

impl fmt::Display for CacheSizes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "L1d {} KiB, L2 {} KiB, L3 {} KiB per core{}",
            self.l1d >> 10,
            self.l2 >> 10,
            self.l3 >> 10,
            if self.detected { "" } else { " (assumed)" }
        )
    }
}

/// This CPU's caches, read once.
pub fn cache_sizes() -> CacheSizes {
    static SIZES: OnceLock<CacheSizes> = OnceLock::new();
    *SIZES.get_or_init(|| detect().unwrap_or(CacheSizes::FALLBACK))
}

/// One cache as CPUID describes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct CacheLeaf {
    /// 1 data, 2 instruction, 3 unified.
    kind: u32,
    level: u32,
    bytes: usize,
    /// Logical processors sharing it.
    shared_by: usize,
}

/// Decodes one sub-leaf of CPUID leaf 4 / `0x8000_001D`; `None` ends the list.
fn decode(eax: u32, ebx: u32, ecx: u32) -> Option<CacheLeaf> {
    let kind = eax & 0x1f;
    if kind == 0 {
        return None;
    }
    let ways = (ebx >> 22) as usize + 1;
    let partitions = ((ebx >> 12) & 0x3ff) as usize + 1;
    let line = (ebx & 0xfff) as usize + 1;
    let sets = ecx as usize + 1;
    Some(CacheLeaf {
        kind,
        level: (eax >> 5) & 7,
        bytes: ways * partitions * line * sets,
        shared_by: ((eax >> 14) & 0xfff) as usize + 1,
    })
}

/// The per-core sizes from a list of caches; `None` without an L1d and an L2.
fn summarize(leaves: impl IntoIterator<Item = CacheLeaf>) -> Option<CacheSizes> {
    let (mut l1d, mut l2, mut l3) = (None, None, None);
    for leaf in leaves {
        match (leaf.level, leaf.kind) {
            (1, 1 | 3) => l1d = Some(leaf.bytes),
            (2, 2) | (3, 2) => {}
            (2, _) => l2 = Some(leaf.bytes),
            (3, _) => l3 = Some(leaf.bytes / leaf.shared_by.max(1)),
            _ => {}
        }
    }
    let (l1d, l2) = (l1d?, l2?);
    // A report smaller than any real cache is a hypervisor's placeholder.
    if l1d < 4 << 10 || l2 < l1d {
        return None;
    }
    Some(CacheSizes {
        l1d,
        l2,
        l3: l3.unwrap_or(l2).max(l2),
        detected: true,
    })
}

/// Whether the CPU's vendor string is AMD's ("AuthenticAMD"): AMD and
/// Intel report their caches in different CPUID leaves, and the GEMM picks
/// its AVX-512 tile height by vendor (`gemm::kernel`).
#[cfg(target_arch = "x86_64")]
pub(crate) fn cpu_is_amd() -> bool {
    let vendor = std::arch::x86_64::__cpuid_count(0, 0);
    (vendor.ebx, vendor.edx, vendor.ecx) == (0x6874_7541, 0x6974_6e65, 0x444d_4163)
}

/// Whether this CPU executes 512-bit vector instructions as two 256-bit
/// halves: AMD's Zen 4 (family 19h with AVX-512). Its AVX-512 FMAs then
/// cost twice a 256-bit one, so the GEMM computes a ragged panel's half
/// and quarter apart rather than the whole panel (`gemm::tile`). Zen 5
/// (family 1Ah) and Intel's AVX-512 cores have full-width units.
pub(crate) fn avx512_in_halves() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        if !cpu_is_amd() || !is_x86_feature_detected!("avx512f") {
            return false;
        }
        family(std::arch::x86_64::__cpuid_count(1, 0).eax) == 0x19
    }
    #[cfg(not(target_arch = "x86_64"))]
    false
}

/// The CPU family in CPUID leaf 1's `eax`: the base family, plus the
/// extended family where the base is 0xF (as every AMD core since K8).
#[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
fn family(eax: u32) -> u32 {
    let base = (eax >> 8) & 0xf;
    if base == 0xf {
        base + ((eax >> 20) & 0xff)
    } else {
        base
    }
}

#[cfg(target_arch = "x86_64")]
fn detect() -> Option<CacheSizes> {
    use std::arch::x86_64::__cpuid_count;
    let vendor = __cpuid_count(0, 0);
    let leaf = if cpu_is_amd() {
        // The extended leaf exists only from Zen (the `topoext` flag).
        if __cpuid_count(0x8000_0000, 0).eax < 0x8000_001d {
            return None;
        }
        0x8000_001d
    } else {
        if vendor.eax < 4 {
            return None;
        }
        4
    };
    summarize((0..16).map_while(|sub| {
        let r = __cpuid_count(leaf, sub);
        decode(r.eax, r.ebx, r.ecx)
    }))
}

#[cfg(not(target_arch = "x86_64"))]
fn detect() -> Option<CacheSizes> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A sub-leaf encoding `ways × 1 partition × 64-byte lines × sets`.
    fn leaf(kind: u32, level: u32, shared_by: u32, ways: u32, sets: u32) -> (u32, u32, u32) {
        let eax = kind | (level << 5) | ((shared_by - 1) << 14);
        let ebx = ((ways - 1) << 22) | 63;
        (eax, ebx, sets - 1)
    }

    #[test]
    fn decodes_a_zen3_report() {
        // What a Zen 3 core reports: 32 KiB 8-way L1d and L1i, 512 KiB
        // 8-way L2, 32 MiB 16-way L3 shared by 16 threads.
        let raw = [
            leaf(1, 1, 2, 8, 64),
            leaf(2, 1, 2, 8, 64),
            leaf(3, 2, 2, 8, 1024),
            leaf(3, 3, 16, 16, 32768),
        ];
        let leaves: Vec<_> = raw
            .iter()
            .map(|&(a, b, c)| decode(a, b, c).unwrap())
            .collect();
        assert_eq!(leaves[0].bytes, 32 << 10);
        assert_eq!(leaves[2].bytes, 512 << 10);
        assert_eq!(leaves[3].bytes, 32 << 20);
        // The private caches whole; the L3 split between 16 threads.
        assert_eq!(
            summarize(leaves),
            Some(CacheSizes {
                l1d: 32 << 10,
                l2: 512 << 10,
                l3: 2 << 20,
                detected: true
            })
        );
        assert_eq!(decode(0, 0, 0), None);
    }

    #[test]
    fn an_incomplete_report_falls_back() {
        // Only an instruction cache, or a placeholder of a few bytes.
        let icache = decode(leaf(2, 1, 1, 8, 64).0, leaf(2, 1, 1, 8, 64).1, 63);
        assert_eq!(summarize(icache), None);
        let tiny = [
            decode(1 | (1 << 5), 0, 0).unwrap(),
            decode(3 | (2 << 5), 0, 0).unwrap(),
        ];
        assert_eq!(tiny[0].bytes, 1);
        assert_eq!(summarize(tiny), None);
    }

    #[test]
    fn without_l3_the_l2_stands_in() {
        let leaves = [leaf(1, 1, 1, 8, 64), leaf(3, 2, 1, 16, 2048)]
            .map(|(a, b, c)| decode(a, b, c).unwrap());
        let sizes = summarize(leaves).unwrap();
        assert_eq!((sizes.l2, sizes.l3), (2 << 20, 2 << 20));
    }

    #[test]
    fn families_decode_as_vendors_number_them() {
        // Zen 4 (EPYC 9004, family 19h model 11h), Zen 5 (EPYC 9005,
        // family 1Ah model 02h), Sapphire Rapids (family 6 model 8Fh).
        assert_eq!(family(0x00A1_0F11), 0x19);
        assert_eq!(family(0x00B0_0F20), 0x1A);
        assert_eq!(family(0x0008_06F8), 6);
    }
}
