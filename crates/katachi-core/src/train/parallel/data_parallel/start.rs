//! [`DataParallel::start`]: every rank on the same network before the
//! first step.

use super::DataParallel;
use crate::error::{Error, Result};
use crate::init::RngState;
use crate::param::{ParamPath, Parameters};
use crate::train::parallel::agree::agree;
use crate::train::parallel::stash::Stash;
use katachi_par::Element;

impl DataParallel<'_> {
    /// Makes every rank start from the same network: checks that every rank
    /// has the same settings and the same network, then gives every rank
    /// rank 0's parameters. [`DataParallel::backprop`] calls it before the
    /// first step; a collective, like every method here.
    ///
    /// # Errors
    /// [`Error::Setting`] for fewer groups than ranks, or for a network with
    /// running statistics (`BatchNorm`), which data-parallel training does
    /// not support yet; [`Error::Rank`] if a rank's settings or network
    /// differ from rank 0's.
    pub fn start<P: Parameters>(&mut self, net: &mut P) -> Result<()> {
        let comm = self.comm;
        agree(comm, "the number of groups", self.groups as i64)?;
        if self.groups == 0 || self.groups < comm.size() {
            return Err(Error::setting(
                "the number of groups",
                self.groups,
                format!(
                    "at least the number of ranks ({}): every rank computes whole groups",
                    comm.size()
                ),
            ));
        }
        let mut names = Vec::new();
        let mut running = None;
        net.visit(&ParamPath::ROOT, &mut |path, p| {
            names.push(format!("{path}{:?}", p.dims.as_slice()));
            if !p.role.is_learned() && running.is_none() {
                running = Some(path.to_string());
            }
        });
        agree(
            comm,
            "the network's parameters",
            fnv(names.join(",").as_bytes()),
        )?;
        if let Some(name) = running {
            return Err(Error::setting(
                "data-parallel training",
                format!("a network with running statistics (`{name}`)"),
                "not supported yet: each rank would update them from its own samples",
            ));
        }
        let mut words = Vec::new();
        net.visit(&ParamPath::ROOT, &mut |_, p| {
            words.extend(p.value.iter().map(|v| v.to_f64().to_bits() as i64))
        });
        comm.broadcast(&mut words, 0);
        let mut next = words.iter();
        let mut tensors = Vec::new();
        net.visit_mut(&ParamPath::ROOT, &mut |_, p| {
            for (v, w) in p.value.iter_mut().zip(&mut next) {
                *v = P::Elem::from_f64(f64::from_bits(*w as u64));
            }
            if p.role.is_learned() {
                tensors.push(p.value.len());
            }
        });
        self.stash = Stash::for_tensors(tensors);
        // The dropout generators too: each group's masks derive from them.
        let mut states = net.rng_states();
        let mut words: Vec<i64> = states.iter().flat_map(|(_, s)| state_words(s)).collect();
        comm.broadcast(&mut words, 0);
        for ((_, state), w) in states.iter_mut().zip(words.chunks(7)) {
            *state = words_state(w);
        }
        net.restore_rngs(&states)?;
        self.started = true;
        Ok(())
    }
}

/// A generator's state as seven words: key, stream, position.
fn state_words(s: &RngState) -> [i64; 7] {
    let key = |i: usize| i64::from_le_bytes(s.seed[i * 8..i * 8 + 8].try_into().expect("8 bytes"));
    let pos = s.word_pos;
    [
        key(0),
        key(1),
        key(2),
        key(3),
        s.stream as i64,
        pos as u64 as i64,
        (pos >> 64) as u64 as i64,
    ]
}

/// [`state_words`] read back.
fn words_state(w: &[i64]) -> RngState {
    let mut seed = [0u8; 32];
    for (chunk, word) in seed.chunks_mut(8).zip(w) {
        chunk.copy_from_slice(&word.to_le_bytes());
    }
    RngState {
        seed,
        stream: w[4] as u64,
        word_pos: u128::from(w[5] as u64) | (u128::from(w[6] as u64) << 64),
    }
}

/// FNV-1a, as a signed word for the collectives.
fn fnv(bytes: &[u8]) -> i64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    }) as i64
}
