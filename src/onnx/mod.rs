//! ONNX export of any derived network (feature `onnx`): `export(&net,
//! path)` writes a model onnxruntime, ONNX checkers and every ONNX
//! consumer read — opset 17, a symbolic batch dimension, the parameters as
//! initialisers named by their dotted paths — with no tracing: the derive
//! knows the whole graph.
//!
//! ```
//! use katachi::models::TwoLayerNet;
//! use katachi::onnx::{self, Options};
//! use katachi::prelude::*;
//! let net = <TwoLayerNet>::seeded(1);
//! let path = std::env::temp_dir().join(format!("katachi-doc-{}.onnx", std::process::id()));
//! onnx::export(&net, &path)?;
//! let graph = onnx::graph(&net, Options::default());
//! let ops: Vec<&str> = graph.nodes.iter().map(|n| n.op).collect();
//! assert_eq!(ops, ["Gemm", "Relu", "Gemm"]);
//! # std::fs::remove_file(&path).unwrap();
//! # Ok::<(), katachi::Error>(())
//! ```
//!
//! What each layer becomes, and how to export a layer of your own, is in
//! [`Export`].

mod proto;

use std::path::Path;

use prost::Message;

use katachi_core::check::{FixedInput, HasSample};
use katachi_core::checkpoint;
use katachi_core::layer::Layer;
pub use katachi_core::onnx::{Attribute, Export, Graph, Initializer, Node, Onnx};
use katachi_core::param::{ParamPath, Parameters};
use katachi_core::shape::Shape;
use katachi_core::{Error, Result};
use katachi_par::ElementKind;

use proto::dimension::Value;

/// The operator set the models use.
pub const OPSET: i64 = 17;

/// The ONNX IR version written: 8, the first with opset 17, read by every
/// onnxruntime since 1.12.
pub const IR_VERSION: i64 = 8;

/// What the graph's input is called; its output is `logits`, or
/// `probabilities` with [`Options::softmax`].
pub const INPUT: &str = "input";

/// How a network is exported.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Options {
    /// A `Softmax` over the classes at the end, so the model outputs
    /// probabilities (the network itself ends in scores, its loss applying
    /// the softmax in training).
    pub softmax: bool,
}

impl Options {
    /// With a softmax at the output.
    pub fn with_softmax(mut self) -> Self {
        self.softmax = true;
        self
    }
}

/// A network [`export`] can write: every layer has an ONNX form
/// ([`Export`]), its input is fixed ([`FixedInput`]), and its input and
/// output are tensors, whose extents the model declares. Every derived
/// network of built-in layers is one.
pub trait Exportable:
    Export<Onnx> + FixedInput + Parameters + Layer<<Self as FixedInput>::Input>
{
    /// The input's extents, `None` for the batch.
    fn input_dims() -> Vec<Option<usize>>;
    /// The output's extents, `None` for the batch.
    fn output_dims() -> Vec<Option<usize>>;
}

impl<N> Exportable for N
where
    N: Export<Onnx> + FixedInput + Parameters + Layer<<N as FixedInput>::Input>,
    <N as FixedInput>::Input: HasSample,
    <N as Layer<<N as FixedInput>::Input>>::Out: HasSample,
{
    fn input_dims() -> Vec<Option<usize>> {
        dims::<<<N as FixedInput>::Input as HasSample>::Shape>()
    }

    fn output_dims() -> Vec<Option<usize>> {
        dims::<<<N as Layer<<N as FixedInput>::Input>>::Out as HasSample>::Shape>()
    }
}

/// The ONNX graph of `net`.
pub fn graph<N: Export<Onnx> + Parameters>(net: &N, options: Options) -> Graph {
    let mut graph = Graph::new::<N::Elem>();
    let out = net.export(&mut graph, &ParamPath::ROOT, INPUT.to_string());
    if options.softmax {
        let attributes = vec![("axis", Attribute::Int(-1))];
        graph.node("Softmax", &ParamPath::ROOT, vec![out], attributes);
    }
    graph
}

/// Writes `net` as an ONNX model to `path` (atomically, like a
/// checkpoint), its output the network's scores.
///
/// # Errors
/// [`Error::NonFinite`] naming the parameter if one holds a NaN or an
/// infinity (nothing is written); [`Error::Io`] if the file cannot be
/// written.
pub fn export<N: Exportable>(net: &N, path: &Path) -> Result<()> {
    export_with(net, path, Options::default())
}

/// [`export`] with [`Options`].
///
/// # Errors
/// As [`export`].
pub fn export_with<N: Exportable>(net: &N, path: &Path, options: Options) -> Result<()> {
    if let Some((name, index, value)) = net.first_non_finite() {
        return Err(Error::NonFinite {
            what: format!("parameter `{name}`"),
            at: format!("element {index}; nothing was written to {}", path.display()),
            value: format!("{value}"),
        });
    }
    let graph = graph(net, options);
    let model = model(&graph, &N::input_dims(), &N::output_dims(), options);
    checkpoint::write_atomically(path, &model.encode_to_vec())
}

/// A shape's extents for ONNX: the static ones as numbers, a runtime one
/// (the batch) as the symbol `batch`.
fn dims<S: Shape>() -> Vec<Option<usize>> {
    S::STATIC_DIMS[..S::RANK].to_vec()
}

fn value_info(name: &str, elem_type: i32, dims: &[Option<usize>]) -> proto::ValueInfoProto {
    let dim = dims
        .iter()
        .map(|d| proto::Dimension {
            value: Some(match d {
                Some(n) => Value::DimValue(*n as i64),
                None => Value::DimParam("batch".to_string()),
            }),
        })
        .collect();
    proto::ValueInfoProto {
        name: name.to_string(),
        r#type: Some(proto::TypeProto {
            tensor_type: Some(proto::TensorTypeProto {
                elem_type,
                shape: Some(proto::TensorShapeProto { dim }),
            }),
        }),
    }
}

/// The model of `graph`, whose input and output have extents `input` and
/// `output`.
fn model(
    graph: &Graph,
    input: &[Option<usize>],
    output: &[Option<usize>],
    options: Options,
) -> proto::ModelProto {
    let elem_type = match graph.element {
        ElementKind::F32 => proto::FLOAT,
        ElementKind::F64 => proto::DOUBLE,
    };
    let raw = |values: &[f64]| -> Vec<u8> {
        match graph.element {
            ElementKind::F32 => values
                .iter()
                .flat_map(|&v| (v as f32).to_le_bytes())
                .collect(),
            ElementKind::F64 => values.iter().flat_map(|v| v.to_le_bytes()).collect(),
        }
    };
    let initializer = graph
        .initializers
        .iter()
        .map(|i| proto::TensorProto {
            dims: i.dims.clone(),
            data_type: elem_type,
            name: i.name.clone(),
            raw_data: raw(&i.values),
        })
        .collect();
    let last = graph.nodes.len().saturating_sub(1);
    let output_name = if options.softmax {
        "probabilities"
    } else {
        "logits"
    };
    let node = graph
        .nodes
        .iter()
        .enumerate()
        .map(|(k, n)| proto::NodeProto {
            input: n.inputs.clone(),
            // The last node writes the graph's output under its own name.
            output: match k == last {
                true => vec![output_name.to_string()],
                false => n.outputs.clone(),
            },
            name: n.name.clone(),
            op_type: n.op.to_string(),
            attribute: n
                .attributes
                .iter()
                .map(|(name, a)| attribute(name, a))
                .collect(),
        })
        .collect::<Vec<_>>();
    // A network of no layers is the identity.
    let node = match node.is_empty() {
        true => vec![proto::NodeProto {
            input: vec![INPUT.to_string()],
            output: vec![output_name.to_string()],
            name: "Identity".to_string(),
            op_type: "Identity".to_string(),
            attribute: Vec::new(),
        }],
        false => node,
    };
    proto::ModelProto {
        ir_version: IR_VERSION,
        producer_name: "katachi".to_string(),
        producer_version: env!("CARGO_PKG_VERSION").to_string(),
        graph: Some(proto::GraphProto {
            node,
            name: "katachi".to_string(),
            initializer,
            input: vec![value_info(INPUT, elem_type, input)],
            output: vec![value_info(output_name, elem_type, output)],
        }),
        opset_import: vec![proto::OperatorSetIdProto {
            domain: String::new(),
            version: OPSET,
        }],
    }
}

fn attribute(name: &str, a: &Attribute) -> proto::AttributeProto {
    let mut out = proto::AttributeProto {
        name: name.to_string(),
        ..Default::default()
    };
    match a {
        Attribute::Int(i) => (out.i, out.r#type) = (Some(*i), proto::ATTRIBUTE_INT),
        Attribute::Ints(v) => (out.ints, out.r#type) = (v.clone(), proto::ATTRIBUTE_INTS),
        Attribute::Float(f) => (out.f, out.r#type) = (Some(*f), proto::ATTRIBUTE_FLOAT),
    }
    out
}
