//! Tuples of layers as chains: `(A, B, C)` runs `A`, then `B`, then `C`.

use super::Layer;
use crate::param::{Mode, ParamMut, ParamPath, ParamView, Parameters};

/// `Layer` for one tuple size. Each element's input type is an impl
/// parameter (`X0`, `X1`, …) pinned by the element before it (`Out = X1`), so
/// the where-clause reads like the chain itself.
macro_rules! chain_layer {
    (
        $(($L:ident, $X:ident, $NextX:ident, $i:tt)),+;
        last = ($Last:ident, $XLast:ident, $last:tt);
        first_backward = $first:tt;
        rest_backward = $($rb:tt),+
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
                $(let dy = self.$rb.backward(dy);)+
                self.$first.backward(dy)
            }

            fn backward_params(&mut self, dy: Self::Out) {
                $(let dy = self.$rb.backward(dy);)+
                self.$first.backward_params(dy)
            }

            fn predict(&self, x: X0) -> Self::Out {
                $(let x = self.$i.predict(x);)+
                self.$last.predict(x)
            }
        }
    };
}

chain_layer!((L0, X0, X1, 0); last = (L1, X1, 1); first_backward = 0; rest_backward = 1);
chain_layer!(
    (L0, X0, X1, 0), (L1, X1, X2, 1);
    last = (L2, X2, 2); first_backward = 0; rest_backward = 2, 1
);
chain_layer!(
    (L0, X0, X1, 0), (L1, X1, X2, 1), (L2, X2, X3, 2);
    last = (L3, X3, 3); first_backward = 0; rest_backward = 3, 2, 1
);
chain_layer!(
    (L0, X0, X1, 0), (L1, X1, X2, 1), (L2, X2, X3, 2), (L3, X3, X4, 3);
    last = (L4, X4, 4); first_backward = 0; rest_backward = 4, 3, 2, 1
);

/// Parameters of a chain: each element's, under its index (`0.weight`).
macro_rules! chain_params {
    ($L0:ident 0 $(, $L:ident $i:tt)+) => {
        impl<$L0: Parameters $(, $L: Parameters<Elem = $L0::Elem>)+> Parameters for ($L0, $($L),+) {
            type Elem = $L0::Elem;

            fn visit(&self, path: &ParamPath<'_>, f: &mut dyn FnMut(&ParamPath<'_>, ParamView<'_, Self::Elem>)) {
                self.0.visit(&path.child("0"), f);
                $(self.$i.visit(&path.child(stringify!($i)), f);)+
            }

            fn visit_mut(&mut self, path: &ParamPath<'_>, f: &mut dyn FnMut(&ParamPath<'_>, ParamMut<'_, Self::Elem>)) {
                self.0.visit_mut(&path.child("0"), f);
                $(self.$i.visit_mut(&path.child(stringify!($i)), f);)+
            }

            fn set_mode(&mut self, mode: Mode) {
                self.0.set_mode(mode);
                $(self.$i.set_mode(mode);)+
            }
        }
    };
}

chain_params!(L0 0, L1 1);
chain_params!(L0 0, L1 1, L2 2);
chain_params!(L0 0, L1 1, L2 2, L3 3);
chain_params!(L0 0, L1 1, L2 2, L3 3, L4 4);
