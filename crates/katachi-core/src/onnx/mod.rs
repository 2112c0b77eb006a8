//! A network as an ONNX graph: what `#[derive(Network)]` and each built-in
//! layer write, as plain data. Encoding it as an ONNX file is the facade's
//! `katachi::onnx` (feature `onnx`).
//!
//! Every layer katachi has writes itself ([`Export`]): `Affine` as `Gemm`
//! (its weight `[out, in]` with `transB = 1`, as `nn.Linear` is exported),
//! the activations as `Relu`, `Sigmoid`, `Tanh`, `Conv2d` as `Conv` with its
//! stride and padding, `MaxPool2d` as `MaxPool`, `Flatten` as `Flatten`,
//! `BatchNorm` as `BatchNormalization` in its inference form, `Dropout` as
//! `Identity` (what it is at inference). A derived network writes its
//! fields in order into one flat graph, nested networks included, with
//! every initialiser named by its parameter's dotted path.
//!
//! A layer of your own exports once it implements [`Export`]; until then
//! exporting a network that holds it does not compile, and the error names
//! the layer.
//!
//! ```
//! use katachi::onnx::{Export, Graph, Onnx};
//! use katachi::param::ParamPath;
//! use katachi::prelude::*;
//! let net = (Affine::<4, 3>::zeros(), Relu::<f32>::new(), Affine::<3, 2>::zeros());
//! let mut graph = Graph::new::<f32>();
//! let out = Export::<Onnx>::export(&net, &mut graph, &ParamPath::ROOT, "input".to_string());
//! let ops: Vec<&str> = graph.nodes.iter().map(|n| n.op).collect();
//! assert_eq!(ops, ["Gemm", "Relu", "Gemm"]);
//! assert_eq!(graph.initializers[0].name, "0.weight");
//! assert_eq!(graph.initializers[0].dims, [3, 4]); // [out, in]
//! assert_eq!(out, graph.nodes[2].outputs[0]);
//! ```

mod layers;

use katachi_par::{Element, ElementKind};

use crate::param::ParamPath;

/// The marker [`Export`] is asked for: `Export<Onnx>`. (A trait with a
/// parameter lets a derived network export exactly when all its layers
/// do, without failing to compile when one cannot and nobody exports.)
#[derive(Clone, Copy, Debug)]
pub struct Onnx;

/// A layer or network that writes itself into an ONNX [`Graph`].
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be exported to ONNX",
    label = "this layer has no ONNX form",
    note = "implement `katachi::onnx::Export<M>` for it (for every `M`), writing its nodes into the graph"
)]
pub trait Export<M> {
    /// Appends this layer's nodes (and initialisers, named under `path`) to
    /// `graph`, reading the value named `input`; returns the name of the
    /// value it produces.
    fn export(&self, graph: &mut Graph, path: &ParamPath<'_>, input: String) -> String;
}

/// An attribute of a node.
#[derive(Clone, Debug, PartialEq)]
pub enum Attribute {
    /// One integer (`axis`).
    Int(i64),
    /// Integers (`kernel_shape`, `strides`, `pads`).
    Ints(Vec<i64>),
    /// One float (`epsilon`).
    Float(f32),
}

/// One operator application.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    /// The ONNX operator (`"Gemm"`, `"Conv"`, …), default domain.
    pub op: &'static str,
    /// A name unique in the graph (the layer's path and the operator).
    pub name: String,
    /// The values it reads, in the operator's order.
    pub inputs: Vec<String>,
    /// The values it writes.
    pub outputs: Vec<String>,
    /// Its attributes by name.
    pub attributes: Vec<(&'static str, Attribute)>,
}

/// A constant tensor of the graph: a parameter.
#[derive(Clone, Debug, PartialEq)]
pub struct Initializer {
    /// The parameter's dotted path (`affine1.weight`).
    pub name: String,
    /// Its extents, in ONNX's layout.
    pub dims: Vec<i64>,
    /// Its values, row-major (exact for `f32` and `f64` elements).
    pub values: Vec<f64>,
}

/// A graph being written: nodes in execution order and initialisers.
#[derive(Clone, Debug, PartialEq)]
pub struct Graph {
    /// The element type of every value (`f32` or `f64`).
    pub element: ElementKind,
    /// The nodes, each reading only the graph's input, initialisers and
    /// earlier nodes' outputs.
    pub nodes: Vec<Node>,
    /// The parameters.
    pub initializers: Vec<Initializer>,
}

impl Graph {
    /// An empty graph of `E` values.
    pub fn new<E: Element>() -> Self {
        Self {
            element: E::KIND,
            nodes: Vec::new(),
            initializers: Vec::new(),
        }
    }

    /// Adds a parameter named `path.name` and returns its name.
    pub fn initializer<E: Element>(
        &mut self,
        path: &ParamPath<'_>,
        name: &str,
        dims: &[usize],
        values: &[E],
    ) -> String {
        let name = path.child(name).to_string();
        self.initializers.push(Initializer {
            name: name.clone(),
            dims: dims.iter().map(|&d| d as i64).collect(),
            values: values.iter().map(|v| v.to_f64()).collect(),
        });
        name
    }

    /// Adds an `op` node of the layer at `path` reading `inputs` and
    /// returns the name of its one output.
    pub fn node(
        &mut self,
        op: &'static str,
        path: &ParamPath<'_>,
        inputs: Vec<String>,
        attributes: Vec<(&'static str, Attribute)>,
    ) -> String {
        let at = match path.to_string() {
            p if p.is_empty() => op.to_string(),
            p => format!("{p}/{op}"),
        };
        // A layer may write several nodes of one kind: number the repeats.
        let repeats = self
            .nodes
            .iter()
            .filter(|n| n.name.starts_with(&at))
            .count();
        let name = match repeats {
            0 => at,
            n => format!("{at}_{n}"),
        };
        let output = format!("{name}:0");
        self.nodes.push(Node {
            op,
            name,
            inputs,
            outputs: vec![output.clone()],
            attributes,
        });
        output
    }
}
