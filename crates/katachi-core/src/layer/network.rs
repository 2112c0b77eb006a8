//! `Network`: what `#[derive(Network)]` implements besides `Layer`.

use crate::init::Init;
use crate::param::{ParamPath, Parameters};

/// A struct of layers with `#[derive(Network)]`: a layer itself (it
/// implements [`Layer`](super::Layer) for every input its first field takes),
/// with named parameters and a known input ([`FixedInput`](crate::check::FixedInput)).
///
/// Derive it rather than implementing it by hand; see `katachi::Network`.
/// (Its requirements sit on the methods rather than as supertraits, so that a
/// struct with a field that is not a layer gets one error, at that field.)
pub trait Network {
    /// The layer fields, in forward order (skipped fields left out).
    const LAYERS: &'static [&'static str];

    /// A network with every parameter initialised by the book's default,
    /// `N(0, 0.01²)` weights and zero biases, from a generator seeded with
    /// `seed`. The same seed gives the same network.
    fn seeded(seed: u64) -> Self
    where
        Self: Default + Parameters,
    {
        let mut net = Self::default();
        net.init(Init::default(), seed);
        net
    }

    /// One line per parameter (name, extents, count) and the total.
    fn summary(&self) -> String
    where
        Self: Parameters,
    {
        let mut lines = Vec::new();
        let mut total = 0;
        self.visit(&ParamPath::ROOT, &mut |path, p| {
            total += p.value.len();
            lines.push(format!(
                "{:<24} {:<14} {:>10}",
                path.to_string(),
                format!("{:?}", p.dims),
                p.value.len()
            ));
        });
        lines.push(format!("{:<24} {:<14} {:>10}", "total", "", total));
        lines.join("\n")
    }
}
