//! Initialisers (the book's chapter 6): how weights start.
//!
//! Every parameter carries a [`Role`](crate::param::Role): weights are drawn from `N(0, σ²)`
//! with σ chosen by [`Init`], biases start at zero. Initialising walks the
//! parameters in their fixed visiting order with one seeded generator, so the
//! same seed always gives the same network.
//!
//! One rule for the whole network is
//! [`Parameters::init`](crate::param::Parameters::init); a rule per layer is
//! [`Parameters::initialize`](crate::param::Parameters::initialize) on each
//! field, drawing from one generator:
//!
//! ```
//! use katachi::init::{self, Init};
//! use katachi::prelude::*;
//! let mut net = (Affine::<784, 100>::zeros(), Relu::<f32>::new(), Affine::<100, 10>::zeros());
//! let mut rng = init::seeded_rng(7);
//! net.0.initialize(Init::He, &mut rng); // before a ReLU
//! net.2.initialize(Init::Xavier, &mut rng); // before softmax
//! let rms = |w: &[f32]| (w.iter().map(|v| v * v).sum::<f32>() / w.len() as f32).sqrt();
//! assert!((rms(net.0.weight.value.as_slice()) - (2.0f32 / 784.0).sqrt()).abs() < 0.002);
//! assert!((rms(net.2.weight.value.as_slice()) - 0.1).abs() < 0.01);
//! ```

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// How weights are drawn: `N(0, σ²)` with σ from one of the book's rules.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Init {
    /// A fixed σ; the book's default is 0.01.
    Normal {
        /// The standard deviation.
        std: f64,
    },
    /// Xavier (Glorot): σ = 1/√n for `n` inputs per output; for sigmoid and tanh.
    Xavier,
    /// He: σ = √(2/n); for ReLU.
    He,
}

impl Default for Init {
    /// The book's default, `Normal { std: 0.01 }`.
    fn default() -> Self {
        Init::Normal { std: 0.01 }
    }
}

impl Init {
    /// The standard deviation for a weight with `fan_in` inputs per output.
    ///
    /// ```
    /// use katachi::init::Init;
    /// assert_eq!(Init::Normal { std: 0.01 }.std(784), 0.01);
    /// assert_eq!(Init::Xavier.std(100), 0.1);
    /// assert_eq!(Init::He.std(50), 0.2);
    /// ```
    pub fn std(self, fan_in: usize) -> f64 {
        let n = fan_in.max(1) as f64;
        match self {
            Init::Normal { std } => std,
            Init::Xavier => 1.0 / n.sqrt(),
            Init::He => (2.0 / n).sqrt(),
        }
    }
}

/// The generator a stochastic layer draws from (see
/// [`Parameters::visit_rngs`](crate::param::Parameters::visit_rngs)): ChaCha8, as for initialisation.
pub type LayerRng = ChaCha8Rng;

/// The generator behind seeded initialisation: ChaCha8, whose stream for a
/// given seed is fixed by its specification, not by a library version.
pub fn seeded_rng(seed: u64) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(seed)
}

/// The generator of the stochastic layer at `path` (its dotted name) in a
/// network seeded with `seed`: a stream of its own, so that layers never
/// share draws, fixed by the seed and the name alone.
///
/// ```
/// use katachi::init::layer_rng;
/// use katachi::prelude::*;
/// let mut a = Dropout::<f32>::new(0.5);
/// let mut b = Dropout::<f32>::new(0.5);
/// a.visit_rngs(&ParamPath::ROOT, &mut |_, rng| *rng = layer_rng(1, "drop1"));
/// b.visit_rngs(&ParamPath::ROOT, &mut |_, rng| *rng = layer_rng(1, "drop2"));
/// let x = || Tensor::<Rank1<32>>::filled((Const,), 1.0);
/// assert_ne!(a.forward(x()), b.forward(x()));
/// ```
pub fn layer_rng(seed: u64, path: &str) -> LayerRng {
    // FNV-1a of the name picks the stream; ChaCha keeps 2⁶⁴ streams per seed
    // apart by construction, so no two names can overlap.
    let stream = path.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(stream);
    rng
}

/// Where a [`LayerRng`] stands: its seed, stream and position, enough to
/// continue its draws exactly (what a training checkpoint keeps for the
/// shuffle and every dropout layer).
///
/// See [`Parameters::rng_states`](crate::param::Parameters::rng_states)
/// for a network's, and `train::Batches::state` for the shuffle's.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RngState {
    /// The 32-byte key.
    pub seed: [u8; 32],
    /// The stream (see [`layer_rng`]).
    pub stream: u64,
    /// How many 32-bit words have been drawn.
    pub word_pos: u128,
}

impl RngState {
    /// The state of `rng`.
    pub fn of(rng: &LayerRng) -> Self {
        Self {
            seed: rng.get_seed(),
            stream: rng.get_stream(),
            word_pos: rng.get_word_pos(),
        }
    }

    /// A generator that continues where the one this was taken from stood.
    pub fn restore(&self) -> LayerRng {
        let mut rng = ChaCha8Rng::from_seed(self.seed);
        rng.set_stream(self.stream);
        rng.set_word_pos(self.word_pos);
        rng
    }
}
