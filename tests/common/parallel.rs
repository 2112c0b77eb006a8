//! The data-parallel fixtures: a network with weights and a dropout
//! generator, a small learnable data set, and the runs every number of
//! ranks must reproduce bit for bit.

use katachi::dist::{Collective, DataParallel};
use katachi::models::SimpleConvNet;
use katachi::prelude::*;
use katachi::train::{Progress, Trainer};

/// Affine → ReLU → Dropout → Affine: weights and a generator, the state
/// every rank must keep identical.
#[derive(Network, Default, Clone)]
pub struct Net {
    pub affine1: Affine<12, 16>,
    pub relu: Relu,
    pub drop: Dropout,
    pub affine2: Affine<16, 3>,
}

/// Samples in [`data`].
pub const SAMPLES: usize = 90;

/// 90 rows of 12 pseudo-random values in [-1, 1); the class is the largest
/// of the first three features (learnable).
pub fn data() -> (Tensor<Batch<12>>, Labels<3>) {
    let x = Tensor::from_fn((SAMPLES, Const), |i| {
        let h = (i[0] as u64 * 12 + i[1] as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        (h >> 40) as f32 / (1u64 << 23) as f32 - 1.0
    });
    let v = |i: usize, j: usize| x.as_slice()[i * 12 + j];
    let class = |i| (0..3).fold(0, |best, j| if v(i, j) > v(i, best) { j } else { best });
    let labels = Labels::new((0..SAMPLES).map(class).collect()).unwrap();
    (x, labels)
}

/// A network whose start depends on `seed`.
pub fn net(seed: u64) -> Net {
    let mut net = Net::default();
    net.init(Init::He, seed);
    net
}

/// Every parameter's bits, in visiting order.
pub fn bits<P: Parameters<Elem = f32>>(net: &P) -> Vec<u32> {
    let mut out = Vec::new();
    net.visit(&ParamPath::ROOT, &mut |_, p| {
        out.extend(p.value.iter().map(|v| v.to_bits()))
    });
    out
}

/// Three epochs of Adam on [`data`] with batches of 30 in 6 groups, on
/// `comm`; every rank starts from another network (rank 0's wins). The
/// parameters' bits and each step's loss as bits.
pub fn train_on(comm: &dyn Collective) -> (Vec<u32>, Vec<u64>) {
    let mut net = net(3 + 100 * comm.rank() as u64);
    let report = Trainer::new(&mut net, SoftmaxWithLoss::new(), Adam::new(0.05))
        .epochs(3)
        .batch(30)
        .seed(9)
        .data_parallel(DataParallel::new(comm))
        .progress(Progress::Off)
        .fit(&data())
        .unwrap();
    let losses = report.steps.iter().map(|s| s.loss.to_bits()).collect();
    (bits(&net), losses)
}

/// Eight 28×28 images and their labels.
pub fn images() -> (Tensor<Nchw<1, 28, 28>>, Labels<10>) {
    let x = Tensor::from_fn((8, Const, Const, Const), |i| {
        ((i[0] * 31 + i[2] * 7 + i[3] * 3) % 11) as f32 / 11.0
    });
    (x, Labels::new(vec![3, 1, 4, 1, 5, 9, 2, 6]).unwrap())
}

/// Two Adam steps of SimpleConvNet on [`images`] in 4 groups, on `comm`:
/// the parameters' bits.
pub fn cnn_steps(comm: &dyn Collective) -> Vec<u32> {
    let mut net = SimpleConvNet::<f32>::default();
    net.init(Init::He, 4);
    let (x, t) = images();
    let mut step = DataParallel::new(comm).groups(4);
    let mut adam = Adam::new(0.001);
    for s in 0..2 {
        step.backprop(&mut net, &mut SoftmaxWithLoss::new(), &x, &t, s)
            .unwrap();
        adam.step(&mut net);
    }
    bits(&net)
}
