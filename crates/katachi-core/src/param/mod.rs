//! Parameters and the one way to visit them.
//!
//! Optimisers, checkpoints, the gradient check and `#[derive(Network)]` all
//! walk a layer's parameters through [`Parameters`]: in a fixed order, each
//! with its value, its gradient, its extents and a dotted name
//! (`weight`, `affine1.weight`, `block.affine.bias`).

mod extents;
mod field;
mod path;

pub use extents::Extents;
pub use field::{
    FileForm, Param, ParamMut, ParamView, visit_param, visit_param_as, visit_param_mut,
    visit_param_mut_as,
};
pub use path::ParamPath;

use katachi_par::Element;
use rand::RngCore;
use rand_distr::{Distribution, StandardNormal};

use crate::init::{Init, LayerRng, RngState, layer_rng, seeded_rng};

/// Whether layers behave as in training or in inference.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Mode {
    /// Dropout drops, BatchNorm uses batch statistics and updates its
    /// running averages.
    #[default]
    Train,
    /// Dropout passes everything, BatchNorm uses its running averages.
    Eval,
}

/// What a parameter is for, which decides how it is initialised.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Role {
    /// A weight drawn at random; `fan_in` is the number of inputs each output
    /// sums over (`I` for `Affine<I, O>`), which Xavier and He scale by.
    Weight {
        /// Inputs per output.
        fan_in: usize,
    },
    /// A bias: starts at zero.
    Bias,
    /// A learned scale (BatchNorm's γ): starts at one.
    Scale,
    /// Not learned but kept with the network (BatchNorm's running mean and
    /// variance): starts at the value given, is saved in checkpoints, and
    /// is left alone by optimisers and the gradient check.
    Buffer {
        /// The starting value of every element.
        init: f64,
    },
}

impl Role {
    /// Whether optimisers update it and the gradient check probes it.
    pub fn is_learned(self) -> bool {
        !matches!(self, Role::Buffer { .. })
    }
}

/// Anything with parameters (or none): layers, chains, networks.
///
/// `visit` and `visit_mut` call `f` once per parameter, always in the same
/// order, with the parameter's full dotted path under `path`.
///
/// ```
/// use katachi::prelude::*;
/// let affine = Affine::<3, 2, f64>::zeros();
/// let mut names = Vec::new();
/// affine.visit(&ParamPath::ROOT.child("affine1"), &mut |path, p| names.push((path.to_string(), p.dims.to_vec())));
/// assert_eq!(names, [("affine1.weight".to_string(), vec![3, 2]), ("affine1.bias".to_string(), vec![2])]);
/// ```
pub trait Parameters {
    /// The element type of every parameter.
    type Elem: Element;

    /// Visits every parameter, read-only.
    fn visit(
        &self,
        path: &ParamPath<'_>,
        f: &mut dyn FnMut(&ParamPath<'_>, ParamView<'_, Self::Elem>),
    );

    /// Visits every parameter, writable.
    fn visit_mut(
        &mut self,
        path: &ParamPath<'_>,
        f: &mut dyn FnMut(&ParamPath<'_>, ParamMut<'_, Self::Elem>),
    );

    /// Number of scalar parameters.
    fn num_params(&self) -> usize {
        let mut n = 0;
        self.visit(&ParamPath::ROOT, &mut |_, p| n += p.value.len());
        n
    }

    /// The dotted names of all parameters, in visiting order.
    fn param_names(&self) -> Vec<String> {
        let mut names = Vec::new();
        self.visit(&ParamPath::ROOT, &mut |path, _| {
            names.push(path.to_string())
        });
        names
    }

    /// The first parameter (in visiting order) whose value holds a NaN or
    /// an infinity: its dotted name, the element's index and its value.
    /// Training checks this after an epoch's last update and checkpoints
    /// before every save, so a diverged network is never kept silently.
    ///
    /// ```
    /// use katachi::prelude::*;
    /// let mut layer = Affine::<2, 2, f64>::zeros();
    /// assert_eq!(layer.first_non_finite(), None);
    /// layer.bias.value.as_mut_slice()[1] = f64::NAN;
    /// let (name, index, value) = layer.first_non_finite().unwrap();
    /// assert_eq!((name.as_str(), index), ("bias", 1));
    /// assert!(value.is_nan());
    /// ```
    fn first_non_finite(&self) -> Option<(String, usize, Self::Elem)> {
        let mut found = None;
        self.visit(&ParamPath::ROOT, &mut |path, p| {
            if found.is_none() {
                found = katachi_par::finite::first_non_finite(p.value)
                    .map(|(i, v)| (path.to_string(), i, v));
            }
        });
        found
    }

    /// Switches training and inference behaviour, for the layers that have
    /// both (`Dropout`, `BatchNorm`); networks pass it to every field.
    /// `forward` follows the mode; `predict` is always inference. The
    /// default does nothing, which is right for every other layer.
    fn set_mode(&mut self, mode: Mode) {
        let _ = mode;
    }

    /// Visits every random generator the layers draw from while training
    /// (a [`Dropout`](crate::layer::Dropout)'s masks), each with the dotted
    /// path of its layer. The default has none, which is right for every
    /// deterministic layer; networks and chains pass it to every field.
    ///
    /// This is how [`Parameters::reseed`] gives each stochastic layer its own
    /// stream, and how the gradient check replays the same draws for every
    /// evaluation.
    fn visit_rngs(
        &mut self,
        path: &ParamPath<'_>,
        f: &mut dyn FnMut(&ParamPath<'_>, &mut LayerRng),
    ) {
        let _ = (path, f);
    }

    /// Where every stochastic layer's generator stands, by the dotted path
    /// of its layer: what a training checkpoint keeps so that the dropout
    /// masks after a resume are the ones an uninterrupted run would draw.
    ///
    /// ```
    /// use katachi::prelude::*;
    /// let mut net = (Affine::<4, 4, f64>::zeros(), Dropout::<f64>::new(0.5));
    /// net.reseed(3);
    /// let x = || Tensor::<Rank1<4>, f64>::filled((Const,), 1.0);
    /// net.1.forward(x());
    /// let saved = net.rng_states();
    /// assert_eq!(saved[0].0, "1");
    /// let next = net.1.forward(x());
    /// net.reseed(99); // another stream altogether...
    /// net.restore_rngs(&saved)?; // ...and back where it stood
    /// assert_eq!(net.1.forward(x()), next);
    /// # Ok::<(), katachi::Error>(())
    /// ```
    fn rng_states(&mut self) -> Vec<(String, RngState)>
    where
        Self: Sized,
    {
        let mut states = Vec::new();
        self.visit_rngs(&ParamPath::ROOT, &mut |path, rng| {
            states.push((path.to_string(), RngState::of(rng)))
        });
        states
    }

    /// Puts every stochastic layer's generator back where
    /// [`Parameters::rng_states`] found it.
    ///
    /// # Errors
    /// [`Error::Setting`](crate::error::Error::Setting) if the layers with
    /// generators are not the ones saved (another network), naming the
    /// first that differs; nothing is changed then.
    fn restore_rngs(&mut self, states: &[(String, RngState)]) -> crate::error::Result<()>
    where
        Self: Sized,
    {
        let mine: Vec<String> = self.rng_states().into_iter().map(|(p, _)| p).collect();
        let saved: Vec<&str> = states.iter().map(|(p, _)| p.as_str()).collect();
        if mine != saved {
            let differs = mine
                .iter()
                .map(String::as_str)
                .zip(saved.iter().copied())
                .find(|(a, b)| a != b)
                .map_or_else(
                    || {
                        format!(
                            "{} layers with generators, the network has {}",
                            saved.len(),
                            mine.len()
                        )
                    },
                    |(a, b)| format!("`{b}` where the network has `{a}`"),
                );
            return Err(crate::error::Error::setting(
                "the saved random generators",
                format!("for {differs}"),
                "they belong to another network",
            ));
        }
        let mut next = states.iter();
        self.visit_rngs(&ParamPath::ROOT, &mut |_, rng| {
            if let Some((_, state)) = next.next() {
                *rng = state.restore();
            }
        });
        Ok(())
    }

    /// Seeds every stochastic layer from `seed`, each from its own stream
    /// derived from its path ([`init::layer_rng`](crate::init::layer_rng)):
    /// two dropout layers of one network draw different masks, and the same
    /// seed gives the same masks. [`Parameters::init`] (and so
    /// `Network::seeded`) calls it.
    ///
    /// ```
    /// use katachi::prelude::*;
    /// let mut net = (Dropout::<f64>::new(0.5), Dropout::<f64>::new(0.5));
    /// net.reseed(7);
    /// let x = || Tensor::<Rank1<64>, f64>::filled((Const,), 1.0);
    /// let (a, b) = (net.0.forward(x()), net.1.forward(x()));
    /// assert_ne!(a, b); // each layer has its own stream
    /// net.reseed(7);
    /// assert_eq!(net.0.forward(x()), a); // and the same seed replays it
    /// ```
    fn reseed(&mut self, seed: u64)
    where
        Self: Sized,
    {
        self.visit_rngs(&ParamPath::ROOT, &mut |path, rng| {
            *rng = layer_rng(seed, &path.to_string());
        });
    }

    /// Initialises every parameter by its [`Role`]: weights from `init`,
    /// biases to zero, drawing from a generator seeded with `seed`, and
    /// seeds every stochastic layer ([`Parameters::reseed`]). The same seed
    /// always gives the same network.
    ///
    /// ```
    /// use katachi::prelude::*;
    /// let mut a = Affine::<784, 50>::zeros();
    /// let mut b = Affine::<784, 50>::zeros();
    /// a.init(Init::default(), 7);
    /// b.init(Init::default(), 7);
    /// assert_eq!(a.weight.value, b.weight.value);
    /// assert!(a.weight.value.as_slice().iter().any(|&w| w != 0.0));
    /// ```
    fn init(&mut self, init: Init, seed: u64)
    where
        Self: Sized,
    {
        self.initialize(init, &mut seeded_rng(seed));
        self.reseed(seed);
    }

    /// Initialises every parameter by its [`Role`] as [`Parameters::init`]
    /// does, drawing from `rng` and leaving the stochastic layers' streams
    /// alone: a rule per layer, from one generator (see [`init`](crate::init)).
    ///
    /// ```
    /// use katachi::prelude::*;
    /// let mut rng = katachi::init::seeded_rng(3);
    /// let mut layer = Affine::<100, 10, f64>::zeros();
    /// layer.initialize(Init::Normal { std: 2.0 }, &mut rng);
    /// let w = layer.weight.value.as_slice();
    /// let var = w.iter().map(|v| v * v).sum::<f64>() / w.len() as f64;
    /// assert!((var.sqrt() - 2.0).abs() < 0.1);
    /// assert!(layer.bias.value.as_slice().iter().all(|&b| b == 0.0));
    /// ```
    fn initialize(&mut self, init: Init, rng: &mut dyn RngCore) {
        self.visit_mut(&ParamPath::ROOT, &mut |_, p| match p.role {
            Role::Weight { fan_in } => {
                let std = init.std(fan_in);
                for v in p.value.iter_mut() {
                    let z: f64 = StandardNormal.sample(&mut *rng);
                    *v = Self::Elem::from_f64(z * std);
                }
            }
            Role::Bias => p.value.fill(Self::Elem::ZERO),
            Role::Scale => p.value.fill(Self::Elem::ONE),
            Role::Buffer { init } => p.value.fill(Self::Elem::from_f64(init)),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_paths_join_with_dots_and_root_is_empty() {
        let root = ParamPath::ROOT;
        assert_eq!(root.to_string(), "");
        assert_eq!(root.child("weight").to_string(), "weight");
        let block = root.child("block");
        let affine = block.child("affine");
        assert_eq!(affine.child("bias").to_string(), "block.affine.bias");
    }
}
