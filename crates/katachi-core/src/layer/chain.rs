//! Tuples of layers as chains: `(A, B, C)` runs `A`, then `B`, then `C`.
//!
//! Tuples of 2 to 12 layers are chains, as the standard library implements
//! its traits for tuples of up to 12; nest a tuple (or derive a network)
//! for longer ones.
//!
//! ```
//! use katachi::prelude::*;
//! let net = (
//!     Affine::<2, 2>::zeros(), Relu::new(), Affine::<2, 2>::zeros(), Relu::new(),
//!     Affine::<2, 2>::zeros(), Relu::new(), Affine::<2, 2>::zeros(), Relu::new(),
//!     Affine::<2, 2>::zeros(), Relu::new(), Affine::<2, 2>::zeros(), Sigmoid::new(),
//! );
//! let y = net.predict(Tensor::<Batch<2>>::zeros((3, Const)));
//! assert_eq!(y.as_slice(), &[0.5; 6]);
//! assert_eq!(net.param_names().last().map(String::as_str), Some("10.bias"));
//! ```

use rand_chacha::ChaCha8Rng;

use super::Layer;
use crate::check::{FixedInput, Signature};
use crate::param::{Mode, ParamMut, ParamPath, ParamView, Parameters};

/// `Layer`, `Signature`, `Parameters` and `FixedInput` for one tuple size.
/// Each element's input type is an impl parameter (`X0`, `X1`, …) pinned by
/// the element before it (`Out = X1`), so the where-clause reads like the
/// chain itself. `back` lists the indices after the first in reverse.
macro_rules! chain {
    (
        $(($L:ident, $X:ident, $NextX:ident, $i:tt)),+;
        last = ($Last:ident, $XLast:ident, $last:tt);
        back = $($b:tt),+
    ) => {
        impl<$($L, $X,)+ $Last, $XLast> Layer<X0> for ($($L,)+ $Last)
        where
            $($L: Layer<$X, Out = $NextX>,)+
            $Last: Layer<$XLast>,
        {
            type Out = $Last::Out;

            fn forward(&mut self, x: X0) -> Self::Out {
                $(let x = self.$i.forward(x);)+
                self.$last.forward(x)
            }

            fn backward(&mut self, dy: Self::Out) -> X0 {
                $(let dy = self.$b.backward(dy);)+
                self.0.backward(dy)
            }

            fn backward_params(&mut self, dy: Self::Out) {
                $(let dy = self.$b.backward(dy);)+
                self.0.backward_params(dy)
            }

            fn predict(&self, x: X0) -> Self::Out {
                $(let x = self.$i.predict(x);)+
                self.$last.predict(x)
            }
        }

        /// The first element decides the input, each next one takes what
        /// the one before gives. (Not listed when a field is not a layer:
        /// eleven tuple sizes would crowd out the layers.)
        #[diagnostic::do_not_recommend]
        impl<$($L, $X,)+ $Last, $XLast> Signature<X0> for ($($L,)+ $Last)
        where
            $($L: Signature<$X, Output = $NextX>,)+
            $Last: Signature<$XLast>,
        {
            type Input = L0::Input;
            type Output = $Last::Output;
        }

        #[diagnostic::do_not_recommend]
        impl<$($L,)+ $Last> FixedInput for ($($L,)+ $Last)
        where
            L0: FixedInput,
        {
            type Input = L0::Input;
        }

        /// Each element's parameters, under its index (`0.weight`).
        impl<Elem: katachi_par::Element, $($L,)+ $Last> Parameters for ($($L,)+ $Last)
        where
            $($L: Parameters<Elem = Elem>,)+
            $Last: Parameters<Elem = Elem>,
        {
            type Elem = Elem;

            fn visit(&self, path: &ParamPath<'_>, f: &mut dyn FnMut(&ParamPath<'_>, ParamView<'_, Elem>)) {
                $(self.$i.visit(&path.child(stringify!($i)), f);)+
                self.$last.visit(&path.child(stringify!($last)), f);
            }

            fn visit_mut(&mut self, path: &ParamPath<'_>, f: &mut dyn FnMut(&ParamPath<'_>, ParamMut<'_, Elem>)) {
                $(self.$i.visit_mut(&path.child(stringify!($i)), f);)+
                self.$last.visit_mut(&path.child(stringify!($last)), f);
            }

            fn set_mode(&mut self, mode: Mode) {
                $(self.$i.set_mode(mode);)+
                self.$last.set_mode(mode);
            }

            fn visit_rngs(&mut self, path: &ParamPath<'_>, f: &mut dyn FnMut(&ParamPath<'_>, &mut ChaCha8Rng)) {
                $(self.$i.visit_rngs(&path.child(stringify!($i)), f);)+
                self.$last.visit_rngs(&path.child(stringify!($last)), f);
            }
        }
    };
}

chain!((L0, X0, X1, 0); last = (L1, X1, 1); back = 1);
chain!((L0, X0, X1, 0), (L1, X1, X2, 1); last = (L2, X2, 2); back = 2, 1);
chain!((L0, X0, X1, 0), (L1, X1, X2, 1), (L2, X2, X3, 2); last = (L3, X3, 3); back = 3, 2, 1);
chain!((L0, X0, X1, 0), (L1, X1, X2, 1), (L2, X2, X3, 2), (L3, X3, X4, 3); last = (L4, X4, 4); back = 4, 3, 2, 1);
chain!((L0, X0, X1, 0), (L1, X1, X2, 1), (L2, X2, X3, 2), (L3, X3, X4, 3), (L4, X4, X5, 4); last = (L5, X5, 5); back = 5, 4, 3, 2, 1);
chain!((L0, X0, X1, 0), (L1, X1, X2, 1), (L2, X2, X3, 2), (L3, X3, X4, 3), (L4, X4, X5, 4), (L5, X5, X6, 5); last = (L6, X6, 6); back = 6, 5, 4, 3, 2, 1);
chain!((L0, X0, X1, 0), (L1, X1, X2, 1), (L2, X2, X3, 2), (L3, X3, X4, 3), (L4, X4, X5, 4), (L5, X5, X6, 5), (L6, X6, X7, 6); last = (L7, X7, 7); back = 7, 6, 5, 4, 3, 2, 1);
chain!((L0, X0, X1, 0), (L1, X1, X2, 1), (L2, X2, X3, 2), (L3, X3, X4, 3), (L4, X4, X5, 4), (L5, X5, X6, 5), (L6, X6, X7, 6), (L7, X7, X8, 7); last = (L8, X8, 8); back = 8, 7, 6, 5, 4, 3, 2, 1);
chain!((L0, X0, X1, 0), (L1, X1, X2, 1), (L2, X2, X3, 2), (L3, X3, X4, 3), (L4, X4, X5, 4), (L5, X5, X6, 5), (L6, X6, X7, 6), (L7, X7, X8, 7), (L8, X8, X9, 8); last = (L9, X9, 9); back = 9, 8, 7, 6, 5, 4, 3, 2, 1);
chain!((L0, X0, X1, 0), (L1, X1, X2, 1), (L2, X2, X3, 2), (L3, X3, X4, 3), (L4, X4, X5, 4), (L5, X5, X6, 5), (L6, X6, X7, 6), (L7, X7, X8, 7), (L8, X8, X9, 8), (L9, X9, X10, 9); last = (L10, X10, 10); back = 10, 9, 8, 7, 6, 5, 4, 3, 2, 1);
chain!((L0, X0, X1, 0), (L1, X1, X2, 1), (L2, X2, X3, 2), (L3, X3, X4, 3), (L4, X4, X5, 4), (L5, X5, X6, 5), (L6, X6, X7, 6), (L7, X7, X8, 7), (L8, X8, X9, 8), (L9, X9, X10, 9), (L10, X10, X11, 10); last = (L11, X11, 11); back = 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1);
