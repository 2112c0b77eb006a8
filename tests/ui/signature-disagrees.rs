//! A layer whose `Signature` promises one shape while its `Layer` gives
//! another is refused where its author checks it, naming both shapes.
use katachi::check::Signature;
use katachi::layer::signature_agrees;
use katachi::prelude::*;

/// Widens rows of 2 to rows of 4, but promises rows of 3.
struct Widen;

impl Layer<Tensor<Batch<2>>> for Widen {
    type Out = Tensor<Batch<4>>;
    fn forward(&mut self, x: Tensor<Batch<2>>) -> Self::Out {
        self.predict(x)
    }
    fn backward(&mut self, _: Self::Out) -> Tensor<Batch<2>> {
        unimplemented!()
    }
    fn predict(&self, x: Tensor<Batch<2>>) -> Self::Out {
        Tensor::zeros((x.num_rows(), Const))
    }
}

impl<X> Signature<X> for Widen {
    type Input = Tensor<Batch<2>>;
    type Output = Tensor<Batch<3>>;
}

const _: () = signature_agrees::<Widen, Tensor<Batch<2>>>();

fn main() {}
