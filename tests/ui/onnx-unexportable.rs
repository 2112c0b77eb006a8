//! A network holding a layer of the user's without an ONNX form compiles
//! and trains; exporting it is the error, and the error names the layer.
use katachi::check::Signature;
use katachi::param::{ParamMut, ParamPath, ParamView};
use katachi::prelude::*;

/// Doubles its input.
struct Double;

impl Layer<Tensor<Batch<2>>> for Double {
    type Out = Tensor<Batch<2>>;
    fn forward(&mut self, x: Tensor<Batch<2>>) -> Self::Out {
        self.predict(x)
    }
    fn backward(&mut self, dy: Self::Out) -> Tensor<Batch<2>> {
        dy.map(|v| 2.0 * v)
    }
    fn predict(&self, x: Tensor<Batch<2>>) -> Self::Out {
        x.map(|v| 2.0 * v)
    }
}

impl<X> Signature<X> for Double {
    type Input = Tensor<Batch<2>>;
    type Output = Tensor<Batch<2>>;
}

impl Parameters for Double {
    type Elem = f32;
    fn visit(&self, _: &ParamPath<'_>, _: &mut dyn FnMut(&ParamPath<'_>, ParamView<'_, f32>)) {}
    fn visit_mut(&mut self, _: &ParamPath<'_>, _: &mut dyn FnMut(&ParamPath<'_>, ParamMut<'_, f32>)) {}
}

#[derive(Network)]
struct Net {
    affine: Affine<4, 2>,
    double: Double,
}

fn main() {
    let net = Net { affine: Affine::zeros(), double: Double };
    let _ = net.predict(Tensor::zeros((1, Const)));
    katachi::onnx::export(&net, "net.onnx".as_ref()).unwrap();
}
