//! An optimiser's state between steps, as plain numbers: what a training
//! checkpoint keeps so that a resumed run continues exactly.

use katachi_par::Element;

use crate::error::{Error, Result};

/// The buffers and step count of an optimiser, by name.
///
/// Values are kept as `f64`, which holds every `f32` and `f64` exactly, so
/// a state taken from one optimiser and loaded into a fresh one of the same
/// kind continues bit for bit. Hyperparameters (rate, β, decay) are not
/// part of it: they belong to whoever builds the optimiser.
///
/// ```
/// use katachi::prelude::*;
/// let mut net = Affine::<2, 2, f64>::zeros();
/// net.weight.grad.as_mut_slice().fill(0.5);
/// let mut adam = Adam::<f64>::new(0.01);
/// adam.step(&mut net);
/// let state = adam.state();
/// assert_eq!((state.kind.as_str(), state.steps), ("Adam", 1));
/// assert_eq!(state.buffers[0].0, "m"); // then "v": one vector per parameter
/// let mut resumed = Adam::<f64>::new(0.01);
/// resumed.load_state(&state)?;
/// assert_eq!(resumed.state(), state);
/// let err = Sgd::<f64>::new(0.1).load_state(&state).unwrap_err();
/// assert_eq!(err.to_string(), "the saved optimiser is Adam: this one is Sgd");
/// # Ok::<(), katachi::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct OptimizerState {
    /// The optimiser's kind, e.g. `"Adam"`: a state loads only into one of
    /// the same kind.
    pub kind: String,
    /// Steps taken (Adam's bias correction depends on it).
    pub steps: u64,
    /// Each per-parameter buffer by name (`"velocity"`, `"h"`, `"m"`,
    /// `"v"`), one vector per parameter in visiting order; empty before
    /// the first step.
    pub buffers: Vec<(String, Vec<Vec<f64>>)>,
}

impl OptimizerState {
    /// A state of `kind` after `steps` steps, with no buffers yet.
    pub(crate) fn new(kind: &str, steps: u64) -> Self {
        Self {
            kind: kind.to_string(),
            steps,
            buffers: Vec::new(),
        }
    }

    /// With the buffer `name`.
    pub(crate) fn with<E: Element>(mut self, name: &str, buffer: &[Vec<E>]) -> Self {
        let values = buffer
            .iter()
            .map(|v| v.iter().map(|x| x.to_f64()).collect())
            .collect();
        self.buffers.push((name.to_string(), values));
        self
    }

    /// `Ok` if the state is `kind`'s.
    pub(crate) fn expect_kind(&self, kind: &str) -> Result<()> {
        if self.kind == kind {
            return Ok(());
        }
        Err(Error::setting(
            "the saved optimiser",
            &self.kind,
            format!("this one is {kind}"),
        ))
    }

    /// The buffer `name`, in the element type.
    pub(crate) fn buffer<E: Element>(&self, name: &str) -> Result<Vec<Vec<E>>> {
        let (_, values) = self
            .buffers
            .iter()
            .find(|(n, _)| n == name)
            .ok_or_else(|| {
                let has: Vec<String> = self.buffers.iter().map(|(n, _)| format!("`{n}`")).collect();
                Error::setting(
                    format!("the saved {} state", self.kind),
                    format!("without a buffer `{name}` (it has {})", has.join(", ")),
                    "it cannot be resumed",
                )
            })?;
        Ok(values
            .iter()
            .map(|v| v.iter().map(|&x| E::from_f64(x)).collect())
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use crate::labels::Labels;
    use crate::layer::{Affine, Relu, SoftmaxWithLoss, backprop};
    use crate::optim::{AdaGrad, Adam, Momentum, Optimizer, RmsProp, Sgd};
    use crate::param::Parameters;
    use crate::shape::Batch;
    use crate::tensor::Tensor;

    type Net = (Affine<3, 4>, Relu, Affine<4, 2>);

    fn net() -> Net {
        let mut net = Net::default();
        net.init(crate::init::Init::He, 9);
        net
    }

    /// `steps` training steps on a fixed batch.
    fn train(net: &mut Net, opt: &mut dyn Optimizer<f32>, steps: usize) {
        let x = Tensor::<Batch<3>>::from_rows(&[[0.5, -1.0, 2.0], [1.5, 0.3, -0.7]]).unwrap();
        let t = Labels::<2>::new(vec![1, 0]).unwrap();
        for _ in 0..steps {
            backprop(net, &mut SoftmaxWithLoss::new(), x.clone(), &t).unwrap();
            opt.step(net);
        }
    }

    fn bits(net: &Net) -> Vec<u32> {
        let mut out = Vec::new();
        net.visit(&crate::param::ParamPath::ROOT, &mut |_, p| {
            out.extend(p.value.iter().map(|v| v.to_bits()))
        });
        out
    }

    /// Five steps straight, against two, a state handed to a fresh
    /// optimiser, and three more: the same bits. And a fresh optimiser
    /// without the state: different bits, whenever there is state to lose.
    fn resumes_exactly(make: impl Fn() -> Box<dyn Optimizer<f32>>, has_state: bool) {
        let mut straight = net();
        train(&mut straight, make().as_mut(), 5);
        let mut first = make();
        let mut resumed = net();
        train(&mut resumed, first.as_mut(), 2);
        let mut restarted = resumed.clone();
        let mut second = make();
        second.load_state(&first.state()).unwrap();
        assert_eq!(second.state(), first.state());
        train(&mut resumed, second.as_mut(), 3);
        assert_eq!(bits(&resumed), bits(&straight), "{:?}", first.state().kind);
        train(&mut restarted, make().as_mut(), 3);
        assert_eq!(bits(&restarted) != bits(&straight), has_state);
    }

    #[test]
    fn every_optimizer_resumes_bit_for_bit() {
        resumes_exactly(|| Box::new(Sgd::new(0.1)), false);
        resumes_exactly(|| Box::new(Momentum::new(0.1)), true);
        resumes_exactly(|| Box::new(AdaGrad::new(0.1)), true);
        resumes_exactly(|| Box::new(RmsProp::new(0.01)), true);
        resumes_exactly(|| Box::new(Adam::new(0.01).with_weight_decay(0.1)), true);
    }

    #[test]
    fn a_state_missing_a_buffer_is_refused_by_name() {
        let mut state = Adam::<f32>::new(0.1).state();
        state.buffers.retain(|(name, _)| name != "v");
        assert_eq!(
            Adam::<f32>::new(0.1)
                .load_state(&state)
                .unwrap_err()
                .to_string(),
            "the saved Adam state is without a buffer `v` (it has `m`): it cannot be resumed"
        );
    }
}
