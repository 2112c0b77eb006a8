//! The compile-time check that a layer gives what its signature promises.

use super::Layer;
use crate::check::Signature;

/// Compiles only when layer `L`, where `X` arrives, gives what its
/// [`Signature`] promises: `L: Layer<Input>` with `Out = Output`. A layer
/// that promised one shape and produced another would pass the network's
/// checks and then fail to build inside it; this names the layer instead.
/// Call it in a `const` for each input form the layer works on:
///
/// ```
/// use katachi::layer::signature_agrees;
/// use katachi::prelude::*;
/// const _: () = signature_agrees::<Relu, Tensor<Rank2<2, 3>>>();
/// const _: () = signature_agrees::<MaxPool2d<2>, Tensor<Nchw<3, 8, 8>>>();
/// ```
pub const fn signature_agrees<L, X>()
where
    L: Signature<X> + Layer<<L as Signature<X>>::Input, Out = <L as Signature<X>>::Output>,
{
}

#[cfg(test)]
mod tests {
    use super::signature_agrees;
    use crate::layer::{
        Affine, BatchNorm, Conv2d, Dropout, Flatten, MaxPool2d, Relu, Sigmoid, Tanh,
    };
    use crate::shape::{Batch, Const, Flat, Nchw, Rank2, Window};
    use crate::tensor::Tensor;

    type Maps = Nchw<1, 28, 28>;
    type Conv = Window<Const<28>, 5, 1, 0>;
    type Pooled = Window<Conv, 2, 2, 0>;
    type Rows = (usize, Flat<Const<30>, Pooled, Pooled>);

    // Every built-in layer gives what its Signature promises, for each form
    // of input it works on: plain rows, maps, and extents the compiler computes.
    const _: () = signature_agrees::<Affine<784, 50>, Tensor<Batch<784>>>();
    const _: () = signature_agrees::<Affine<4320, 10>, Tensor<Rows>>();
    const _: () = signature_agrees::<Affine<2, 3, f64>, Tensor<Rank2<5, 2>, f64>>();
    const _: () = signature_agrees::<Relu, Tensor<Maps>>();
    const _: () = signature_agrees::<Sigmoid, Tensor<Batch<7>>>();
    const _: () = signature_agrees::<Tanh<f64>, Tensor<Rank2<2, 2>, f64>>();
    const _: () = signature_agrees::<Conv2d<1, 30, 5>, Tensor<Maps>>();
    const _: () =
        signature_agrees::<Conv2d<30, 8, 3, 2, 1>, Tensor<(usize, Const<30>, Conv, Conv)>>();
    const _: () = signature_agrees::<MaxPool2d<2>, Tensor<(usize, Const<30>, Conv, Conv)>>();
    const _: () = signature_agrees::<Flatten, Tensor<(usize, Const<30>, Pooled, Pooled)>>();
    const _: () = signature_agrees::<BatchNorm<50>, Tensor<Batch<50>>>();
    const _: () = signature_agrees::<BatchNorm<4320>, Tensor<Rows>>();
    const _: () = signature_agrees::<Dropout, Tensor<Batch<50>>>();
    const _: () = signature_agrees::<(Affine<4, 3>, Relu, Affine<3, 2>), Tensor<Batch<4>>>();

    #[test]
    fn built_in_layers_keep_their_promises() {
        // The checks above run when this module compiles; here one value
        // confirms a promised output shape by running the layer.
        use crate::layer::Layer;
        let mut conv = Conv2d::<1, 30, 5>::zeros();
        let y = conv.forward(Tensor::<Maps>::zeros((2, Const, Const, Const)));
        assert_eq!(y.dims(), [2, 30, 24, 24]);
    }
}
