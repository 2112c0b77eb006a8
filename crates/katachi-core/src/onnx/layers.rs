//! How each built-in layer, and a tuple of layers, writes itself.

use katachi_par::Element;

use super::{Attribute, Export, Graph};
use crate::layer::{
    Affine, AvgPool2d, BatchNorm, BatchNorm2d, Conv2d, Dropout, Flatten, GlobalAvgPool, MaxPool2d,
    Relu, Sigmoid, Tanh,
};
use crate::param::ParamPath;

impl<M, const I: usize, const O: usize, E: Element> Export<M> for Affine<I, O, E> {
    fn export(&self, graph: &mut Graph, path: &ParamPath<'_>, input: String) -> String {
        // [out, in] with transB = 1: the layout nn.Linear exports.
        let w = self.weight.value.as_slice();
        let transposed: Vec<E> = (0..O * I).map(|k| w[(k % I) * O + k / I]).collect();
        let weight = graph.initializer(path, "weight", &[O, I], &transposed);
        let bias = graph.initializer(path, "bias", &[O], self.bias.value.as_slice());
        let attributes = vec![("transB", Attribute::Int(1))];
        graph.node("Gemm", path, vec![input, weight, bias], attributes)
    }
}

/// An activation: one node of `op`.
macro_rules! unary {
    ($layer:ident, $op:literal) => {
        impl<M, E: Element> Export<M> for $layer<E> {
            fn export(&self, graph: &mut Graph, path: &ParamPath<'_>, input: String) -> String {
                graph.node($op, path, vec![input], Vec::new())
            }
        }
    };
}

unary!(Relu, "Relu");
unary!(Sigmoid, "Sigmoid");
unary!(Tanh, "Tanh");

impl<M, E: Element> Export<M> for Dropout<E> {
    /// At inference a dropout passes its input on.
    fn export(&self, graph: &mut Graph, path: &ParamPath<'_>, input: String) -> String {
        graph.node("Identity", path, vec![input], Vec::new())
    }
}

impl<M, E: Element> Export<M> for Flatten<E> {
    fn export(&self, graph: &mut Graph, path: &ParamPath<'_>, input: String) -> String {
        graph.node(
            "Flatten",
            path,
            vec![input],
            vec![("axis", Attribute::Int(1))],
        )
    }
}

impl<M, const C_IN: usize, const C_OUT: usize, const K: usize, const S: usize, const P: usize, E>
    Export<M> for Conv2d<C_IN, C_OUT, K, S, P, E>
where
    E: Element,
{
    fn export(&self, graph: &mut Graph, path: &ParamPath<'_>, input: String) -> String {
        let weight = graph.initializer(
            path,
            "weight",
            &[C_OUT, C_IN, K, K],
            self.weight.value.as_slice(),
        );
        let bias = graph.initializer(path, "bias", &[C_OUT], self.bias.value.as_slice());
        let (k, s, p) = (K as i64, S as i64, P as i64);
        let attributes = vec![
            ("kernel_shape", Attribute::Ints(vec![k, k])),
            ("strides", Attribute::Ints(vec![s, s])),
            ("pads", Attribute::Ints(vec![p, p, p, p])),
        ];
        graph.node("Conv", path, vec![input, weight, bias], attributes)
    }
}

impl<M, const K: usize, const S: usize, E: Element> Export<M> for MaxPool2d<K, S, E> {
    fn export(&self, graph: &mut Graph, path: &ParamPath<'_>, input: String) -> String {
        let (k, s) = (K as i64, S as i64);
        let attributes = vec![
            ("kernel_shape", Attribute::Ints(vec![k, k])),
            ("strides", Attribute::Ints(vec![s, s])),
        ];
        graph.node("MaxPool", path, vec![input], attributes)
    }
}

impl<M, const N: usize, E: Element> Export<M> for BatchNorm<N, E> {
    /// The inference form: the running statistics, not the batch's.
    fn export(&self, graph: &mut Graph, path: &ParamPath<'_>, input: String) -> String {
        let scale = graph.initializer(path, "weight", &[N], self.gamma.value.as_slice());
        let bias = graph.initializer(path, "bias", &[N], self.beta.value.as_slice());
        let mean = graph.initializer(
            path,
            "running_mean",
            &[N],
            self.running_mean.value.as_slice(),
        );
        let var = graph.initializer(path, "running_var", &[N], self.running_var.value.as_slice());
        let attributes = vec![("epsilon", Attribute::Float(self.eps as f32))];
        graph.node(
            "BatchNormalization",
            path,
            vec![input, scale, bias, mean, var],
            attributes,
        )
    }
}

impl<M, const K: usize, const S: usize, E: Element> Export<M> for AvgPool2d<K, S, E> {
    fn export(&self, graph: &mut Graph, path: &ParamPath<'_>, input: String) -> String {
        let (k, s) = (K as i64, S as i64);
        let attributes = vec![
            ("kernel_shape", Attribute::Ints(vec![k, k])),
            ("strides", Attribute::Ints(vec![s, s])),
        ];
        graph.node("AveragePool", path, vec![input], attributes)
    }
}

impl<M, E: Element> Export<M> for GlobalAvgPool<E> {
    /// `[batch, C, 1, 1]` from ONNX's pooling, flattened to katachi's rows.
    fn export(&self, graph: &mut Graph, path: &ParamPath<'_>, input: String) -> String {
        let pooled = graph.node("GlobalAveragePool", path, vec![input], Vec::new());
        let axis = vec![("axis", Attribute::Int(1))];
        graph.node("Flatten", path, vec![pooled], axis)
    }
}

impl<M, const C: usize, E: Element> Export<M> for BatchNorm2d<C, E> {
    /// `BatchNormalization` normalises axis 1, the channels, of 4-D input.
    fn export(&self, graph: &mut Graph, path: &ParamPath<'_>, input: String) -> String {
        Export::<M>::export(&self.norm, graph, path, input)
    }
}

/// A tuple of layers writes them in order, each under its index.
macro_rules! chain {
    ($($L:ident $i:tt),+) => {
        impl<M, $($L: Export<M>),+> Export<M> for ($($L,)+) {
            fn export(&self, graph: &mut Graph, path: &ParamPath<'_>, input: String) -> String {
                let x = input;
                $(let x = self.$i.export(graph, &path.child(stringify!($i)), x);)+
                x
            }
        }
    };
}

chain!(L0 0, L1 1);
chain!(L0 0, L1 1, L2 2);
chain!(L0 0, L1 1, L2 2, L3 3);
chain!(L0 0, L1 1, L2 2, L3 3, L4 4);
chain!(L0 0, L1 1, L2 2, L3 3, L4 4, L5 5);
chain!(L0 0, L1 1, L2 2, L3 3, L4 4, L5 5, L6 6);
chain!(L0 0, L1 1, L2 2, L3 3, L4 4, L5 5, L6 6, L7 7);
chain!(L0 0, L1 1, L2 2, L3 3, L4 4, L5 5, L6 6, L7 7, L8 8);
chain!(L0 0, L1 1, L2 2, L3 3, L4 4, L5 5, L6 6, L7 7, L8 8, L9 9);
chain!(L0 0, L1 1, L2 2, L3 3, L4 4, L5 5, L6 6, L7 7, L8 8, L9 9, L10 10);
chain!(L0 0, L1 1, L2 2, L3 3, L4 4, L5 5, L6 6, L7 7, L8 8, L9 9, L10 10, L11 11);
