//! Tuples of layers as chains: `(A, B, C)` runs `A`, then `B`, then `C`.

use super::Layer;
use crate::param::{ParamMut, ParamPath, ParamView, Parameters};

// Written out per size: macro_rules cannot pair each layer with the next
// layer's input type, and four sizes cover hand-written chains; larger
// networks use #[derive(Network)].
impl<X0, X1, L0, L1> Layer<X0> for (L0, L1)
where
    L0: Layer<X0, Out = X1>,
    L1: Layer<X1>,
{
    type Out = L1::Out;

    fn forward(&mut self, x: X0) -> Self::Out {
        self.1.forward(self.0.forward(x))
    }

    fn backward(&mut self, dy: Self::Out) -> X0 {
        self.0.backward(self.1.backward(dy))
    }

    fn predict(&self, x: X0) -> Self::Out {
        self.1.predict(self.0.predict(x))
    }
}

impl<X0, X1, X2, L0, L1, L2> Layer<X0> for (L0, L1, L2)
where
    L0: Layer<X0, Out = X1>,
    L1: Layer<X1, Out = X2>,
    L2: Layer<X2>,
{
    type Out = L2::Out;

    fn forward(&mut self, x: X0) -> Self::Out {
        self.2.forward(self.1.forward(self.0.forward(x)))
    }

    fn backward(&mut self, dy: Self::Out) -> X0 {
        self.0.backward(self.1.backward(self.2.backward(dy)))
    }

    fn predict(&self, x: X0) -> Self::Out {
        self.2.predict(self.1.predict(self.0.predict(x)))
    }
}

impl<X0, X1, X2, X3, L0, L1, L2, L3> Layer<X0> for (L0, L1, L2, L3)
where
    L0: Layer<X0, Out = X1>,
    L1: Layer<X1, Out = X2>,
    L2: Layer<X2, Out = X3>,
    L3: Layer<X3>,
{
    type Out = L3::Out;

    fn forward(&mut self, x: X0) -> Self::Out {
        self.3
            .forward(self.2.forward(self.1.forward(self.0.forward(x))))
    }

    fn backward(&mut self, dy: Self::Out) -> X0 {
        self.0
            .backward(self.1.backward(self.2.backward(self.3.backward(dy))))
    }

    fn predict(&self, x: X0) -> Self::Out {
        self.3
            .predict(self.2.predict(self.1.predict(self.0.predict(x))))
    }
}

impl<X0, X1, X2, X3, X4, L0, L1, L2, L3, L4> Layer<X0> for (L0, L1, L2, L3, L4)
where
    L0: Layer<X0, Out = X1>,
    L1: Layer<X1, Out = X2>,
    L2: Layer<X2, Out = X3>,
    L3: Layer<X3, Out = X4>,
    L4: Layer<X4>,
{
    type Out = L4::Out;

    fn forward(&mut self, x: X0) -> Self::Out {
        self.4.forward(
            self.3
                .forward(self.2.forward(self.1.forward(self.0.forward(x)))),
        )
    }

    fn backward(&mut self, dy: Self::Out) -> X0 {
        self.0.backward(
            self.1
                .backward(self.2.backward(self.3.backward(self.4.backward(dy)))),
        )
    }

    fn predict(&self, x: X0) -> Self::Out {
        self.4.predict(
            self.3
                .predict(self.2.predict(self.1.predict(self.0.predict(x)))),
        )
    }
}

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
        }
    };
}

chain_params!(L0 0, L1 1);
chain_params!(L0 0, L1 1, L2 2);
chain_params!(L0 0, L1 1, L2 2, L3 3);
chain_params!(L0 0, L1 1, L2 2, L3 3, L4 4);
