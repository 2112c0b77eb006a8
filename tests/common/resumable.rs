//! A network with every kind of state a resumed run must restore — weights,
//! BatchNorm's running statistics, a Dropout generator — and a small data
//! set: the fixture of the resume tests.

use katachi::prelude::*;

/// Affine → BatchNorm → ReLU → Dropout → Affine, 6 inputs, 3 classes.
#[derive(Network, Default, Clone)]
pub struct Net {
    pub affine1: Affine<6, 8>,
    pub norm: BatchNorm<8>,
    pub relu: Relu,
    pub drop: Dropout,
    pub affine2: Affine<8, 3>,
}

/// Samples in [`data`].
pub const EXAMPLES: usize = 40;

/// 40 rows of mixed values, 3 classes by row.
pub fn data() -> (Tensor<Batch<6>>, Labels<3>) {
    let x = Tensor::from_fn((EXAMPLES, Const), |i| {
        ((i[0] * 7 + i[1] * 13) % 17) as f32 / 8.0 - 1.0
    });
    (
        x,
        Labels::new((0..EXAMPLES).map(|i| i % 3).collect()).unwrap(),
    )
}

/// A network initialised from a fixed seed.
pub fn fresh_net() -> Net {
    let mut net = Net::default();
    net.init(Init::He, 5);
    net
}

/// The bits of every parameter (running statistics included), in order.
pub fn bits(net: &Net) -> Vec<u32> {
    let mut out = Vec::new();
    net.visit(&ParamPath::ROOT, &mut |_, p| {
        out.extend(p.value.iter().map(|v| v.to_bits()))
    });
    out
}
