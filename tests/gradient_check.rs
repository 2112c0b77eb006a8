//! Backprop against central differences, on chains written by hand.

use katachi::prelude::*;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

type X = Tensor<Batch<4>, f64>;

fn input() -> X {
    Tensor::from_rows(&[
        [0.5, -1.2, 0.3, 2.0],
        [1.0, 0.1, -0.4, -0.6],
        [-0.8, 0.9, 1.5, 0.2],
    ])
    .unwrap()
}

fn rng() -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(2024)
}

/// The book's two-layer net, chained by hand: Affine → ReLU → Affine → SoftmaxWithLoss.
fn two_layer() -> (Affine<4, 5, f64>, Relu<f64>, Affine<5, 3, f64>) {
    let mut rng = rng();
    (
        Affine::normal(&mut rng, 1.0),
        Relu::new(),
        Affine::normal(&mut rng, 1.0),
    )
}

#[test]
fn two_layer_net_with_labels_passes() {
    let mut net = two_layer();
    let t = Labels::<3>::new(vec![0, 2, 1]).unwrap();
    let report = gradient_check(&mut net, &mut SoftmaxWithLoss::new(), &input(), &t).unwrap();
    let names: Vec<_> = report
        .params
        .iter()
        .map(|p| (p.name.as_str(), p.numel))
        .collect();
    assert_eq!(
        names,
        [
            ("0.weight", 20),
            ("0.bias", 5),
            ("2.weight", 15),
            ("2.bias", 3)
        ]
    );
    for p in &report.params {
        assert!(p.max_relative_error < 1e-6, "{report}");
    }
}

#[test]
fn two_layer_net_with_one_hot_targets_matches_labels() {
    let labels = Labels::<3>::new(vec![0, 2, 1]).unwrap();
    let mut a = two_layer();
    let mut b = two_layer();
    let by_label = gradient_check(&mut a, &mut SoftmaxWithLoss::new(), &input(), &labels).unwrap();
    let by_one_hot = gradient_check(
        &mut b,
        &mut SoftmaxWithLoss::new(),
        &input(),
        &labels.one_hot::<f64>(),
    )
    .unwrap();
    assert!(by_one_hot.max_relative_error() < 1e-6, "{by_one_hot}");
    // Same network, same loss: the backprop gradients themselves agree exactly.
    let grads = |net: &(Affine<4, 5, f64>, Relu<f64>, Affine<5, 3, f64>)| {
        let mut all = Vec::new();
        net.visit(&ParamPath::ROOT, &mut |_, p| all.extend_from_slice(p.grad));
        all
    };
    assert_eq!(grads(&a), grads(&b));
    assert_eq!(by_label.params.len(), by_one_hot.params.len());
}

#[test]
fn sigmoid_and_tanh_regression_chain_passes() {
    let mut rng = rng();
    let mut net = (
        Affine::<4, 6, f64>::normal(&mut rng, 1.0),
        Sigmoid::new(),
        Affine::<6, 3, f64>::normal(&mut rng, 1.0),
        Tanh::new(),
    );
    let t: Tensor<Batch<3>, f64> =
        Tensor::from_rows(&[[0.1, -0.5, 0.9], [0.0, 0.3, -0.2], [0.7, 0.7, -0.7]]).unwrap();
    let report = gradient_check(&mut net, &mut IdentityWithLoss::new(), &input(), &t).unwrap();
    assert_eq!(report.params.len(), 4);
    assert!(report.max_relative_error() < 1e-6, "{report}");
}

/// An affine layer whose backward reports the weight gradient 1 % too large.
struct BrokenAffine(Affine<4, 3, f64>);

impl Layer<X> for BrokenAffine {
    type Out = Tensor<Batch<3>, f64>;

    fn forward(&mut self, x: X) -> Self::Out {
        self.0.forward(x)
    }

    fn backward(&mut self, dy: Self::Out) -> X {
        let dx = self.0.backward(dy);
        self.0
            .weight
            .grad
            .as_mut_slice()
            .iter_mut()
            .for_each(|g| *g *= 1.01);
        dx
    }

    fn predict(&self, x: X) -> Self::Out {
        self.0.predict(x)
    }
}

impl Parameters for BrokenAffine {
    type Elem = f64;

    fn visit(
        &self,
        path: &ParamPath<'_>,
        f: &mut dyn FnMut(&ParamPath<'_>, katachi::param::ParamView<'_, f64>),
    ) {
        self.0.visit(path, f);
    }

    fn visit_mut(
        &mut self,
        path: &ParamPath<'_>,
        f: &mut dyn FnMut(&ParamPath<'_>, katachi::param::ParamMut<'_, f64>),
    ) {
        self.0.visit_mut(path, f);
    }
}

#[test]
fn a_wrong_backward_is_caught_and_located() {
    let mut net = BrokenAffine(Affine::normal(&mut rng(), 1.0));
    let t = Labels::<3>::new(vec![1, 1, 0]).unwrap();
    let report = gradient_check(&mut net, &mut SoftmaxWithLoss::new(), &input(), &t).unwrap();
    let weight = report.get("weight").unwrap();
    let bias = report.get("bias").unwrap();
    // 1.01·a vs a: relative error 0.01 / 1.01 on every element.
    assert!(
        (weight.max_relative_error - 0.01 / 1.01).abs() < 1e-6,
        "{report}"
    );
    assert!(bias.max_relative_error < 1e-6, "{report}");
}

#[test]
fn the_check_leaves_parameters_as_it_found_them() {
    let mut net = two_layer();
    let before = net.clone();
    gradient_check(
        &mut net,
        &mut SoftmaxWithLoss::new(),
        &input(),
        &Labels::<3>::new(vec![0, 0, 0]).unwrap(),
    )
    .unwrap();
    assert_eq!(net.0.weight.value, before.0.weight.value);
    assert_eq!(net.2.bias.value, before.2.bias.value);
}

#[test]
fn a_target_of_the_wrong_batch_is_an_error() {
    let mut net = two_layer();
    let err = gradient_check(
        &mut net,
        &mut SoftmaxWithLoss::new(),
        &input(),
        &Labels::<3>::new(vec![0]).unwrap(),
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "SoftmaxWithLoss: the input has 3 rows but the target has 1"
    );
}
