//! ONNX export of four networks — the book's TwoLayerNet and SimpleConvNet,
//! an MLP with BatchNorm and Dropout, a CNN of stride-2 padded
//! convolutions — each trained a little on MNIST: the graphs hold the
//! operators and initialisers they should, and the models, the 10 000 test
//! images and katachi's scores for them are written for
//! `tests/python/check_onnx.py`, which `.ci/run` runs under onnxruntime
//! (`onnx.checker`, max |Δlogit| ≤ 1e-5, the same argmax on every image).

use std::path::{Path, PathBuf};

use katachi::data::{Mnist, Split};
use katachi::models::{SimpleConvNet, TwoLayerNet};
use katachi::onnx::{self, Options};
use katachi::prelude::*;
use katachi::train::{Progress, Trainer};

/// 784 → 100 → BatchNorm → ReLU → Dropout → 10.
#[derive(Network, Default)]
struct NormMlp {
    affine1: Affine<784, 100>,
    norm: BatchNorm<100>,
    relu: Relu,
    drop: Dropout,
    affine2: Affine<100, 10>,
}

/// Two 3×3 convolutions of stride 2 and padding 1: 28 → 14 → 7.
#[derive(Network, Default)]
#[network(input = Tensor<Nchw<1, 28, 28>>)]
struct StridedCnn {
    conv1: Conv2d<1, 8, 3, 2, 1>,
    relu1: Relu,
    conv2: Conv2d<8, 16, 3, 2, 1>,
    relu2: Relu,
    flatten: Flatten,
    affine: Affine<784, 10>,
}

/// Batch-normalised convolutions, an average pool and a global average
/// pool in front of the classifier: 28 → 14 → one number per channel.
#[derive(Network, Default)]
#[network(input = Tensor<Nchw<1, 28, 28>>)]
struct NormedCnn {
    conv1: Conv2d<1, 8, 3, 1, 1>,
    norm1: BatchNorm2d<8>,
    relu1: Relu,
    pool: AvgPool2d<2>,
    conv2: Conv2d<8, 16, 3, 1, 1>,
    norm2: BatchNorm2d<16>,
    relu2: Relu,
    gap: GlobalAvgPool,
    affine: Affine<16, 10>,
}

/// Where the models and arrays go: read by the Python check.
fn out_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("onnx-check");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn ops<N: onnx::Exportable>(net: &N) -> Vec<&'static str> {
    onnx::graph(net, Options::default())
        .nodes
        .iter()
        .map(|n| n.op)
        .collect()
}

fn initializer_names<N: onnx::Exportable>(net: &N) -> Vec<String> {
    let graph = onnx::graph(net, Options::default());
    graph.initializers.iter().map(|i| i.name.clone()).collect()
}

#[test]
fn each_layer_becomes_its_operator_and_each_parameter_an_initializer() {
    assert_eq!(ops(&<TwoLayerNet>::default()), ["Gemm", "Relu", "Gemm"]);
    assert_eq!(
        ops(&<SimpleConvNet>::default()),
        ["Conv", "Relu", "MaxPool", "Flatten", "Gemm", "Relu", "Gemm"]
    );
    assert_eq!(
        ops(&NormMlp::default()),
        ["Gemm", "BatchNormalization", "Relu", "Identity", "Gemm"]
    );
    assert_eq!(
        ops(&StridedCnn::default()),
        ["Conv", "Relu", "Conv", "Relu", "Flatten", "Gemm"]
    );
    assert_eq!(
        ops(&NormedCnn::default()),
        [
            "Conv",
            "BatchNormalization",
            "Relu",
            "AveragePool",
            "Conv",
            "BatchNormalization",
            "Relu",
            "GlobalAveragePool",
            "Flatten",
            "Gemm"
        ]
    );
    // Every parameter by its dotted path, but BatchNorm's count of batches
    // (inference does not use it).
    let net = NormMlp::default();
    let mut names = net.param_names();
    names.retain(|n| !n.ends_with("num_batches_tracked"));
    assert_eq!(initializer_names(&net), names);
    let graph = onnx::graph(
        &<SimpleConvNet>::default(),
        Options::default().with_softmax(),
    );
    assert_eq!(graph.nodes.last().unwrap().op, "Softmax");
    let conv = &onnx::graph(&StridedCnn::default(), Options::default()).nodes[2];
    assert_eq!(
        conv.attributes,
        [
            ("kernel_shape", onnx::Attribute::Ints(vec![3, 3])),
            ("strides", onnx::Attribute::Ints(vec![2, 2])),
            ("pads", onnx::Attribute::Ints(vec![1, 1, 1, 1])),
        ]
    );
}

fn little_endian(values: &[f32]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_le_bytes()).collect()
}

/// Trains `net` for a few steps, exports it, and writes its scores on `test`.
fn train_and_write<S, N>(name: &str, mut net: N, train: &Split<S>, test: &Split<S>)
where
    S: Shape,
    N: Layer<Tensor<S>, Out = Tensor<Batch<10>>> + Parameters<Elem = f32> + onnx::Exportable,
{
    net.init(Init::He, 1);
    Trainer::new(&mut net, SoftmaxWithLoss::new(), Adam::new(0.001))
        .steps(60)
        .batch(100)
        .seed(1)
        .progress(Progress::Off)
        .fit(train)
        .unwrap();
    let dir = out_dir();
    onnx::export(&net, &dir.join(format!("{name}.onnx"))).unwrap();
    // The weights too, in PyTorch's layout, for tests/python/torch_roundtrip.py.
    katachi::checkpoint::save(&net, &dir.join(format!("{name}.safetensors"))).unwrap();
    let logits = net.predict(test.images.clone());
    std::fs::write(
        dir.join(format!("{name}.logits")),
        little_endian(logits.as_slice()),
    )
    .unwrap();
}

#[test]
fn the_five_networks_are_written_for_onnxruntime() {
    let Mnist { train, test } = Mnist::<f32>::load(Path::new("data/mnist")).unwrap();
    let dir = out_dir();
    std::fs::write(dir.join("images"), little_endian(test.images.as_slice())).unwrap();
    let head = train.head(6000);
    train_and_write("two_layer_net", <TwoLayerNet>::default(), &head, &test);
    train_and_write("norm_mlp", NormMlp::default(), &head, &test);
    // The same TwoLayerNet ending in a softmax, and one in f64.
    let mut net = <TwoLayerNet>::default();
    net.init(Init::He, 1);
    let with_softmax = Options::default().with_softmax();
    onnx::export_with(&net, &dir.join("two_layer_net_softmax.onnx"), with_softmax).unwrap();
    let logits = net.predict(test.images.clone());
    std::fs::write(
        dir.join("two_layer_net_softmax.logits"),
        little_endian(logits.as_slice()),
    )
    .unwrap();
    let mut wide = TwoLayerNet::<784, 50, 10, f64>::default();
    wide.init(Init::He, 1);
    onnx::export(&wide, &dir.join("two_layer_net_f64.onnx")).unwrap();
    let pixels = test
        .images
        .as_slice()
        .iter()
        .map(|&v| f64::from(v))
        .collect();
    let images = Tensor::<Batch<784>, f64>::from_vec((test.len(), Const), pixels).unwrap();
    let logits: Vec<u8> = (wide.predict(images).as_slice().iter())
        .flat_map(|v| v.to_le_bytes())
        .collect();
    std::fs::write(dir.join("two_layer_net_f64.logits"), logits).unwrap();
    let (head, test): (Split<Nchw<1, 28, 28>>, Split<Nchw<1, 28, 28>>) =
        (head.reshape().unwrap(), test.reshape().unwrap());
    train_and_write("simple_conv_net", <SimpleConvNet>::default(), &head, &test);
    train_and_write("strided_cnn", StridedCnn::default(), &head, &test);
    train_and_write("normed_cnn", NormedCnn::default(), &head, &test);
    for name in [
        "two_layer_net",
        "norm_mlp",
        "simple_conv_net",
        "strided_cnn",
        "normed_cnn",
    ] {
        let model = std::fs::read(dir.join(format!("{name}.onnx"))).unwrap();
        assert!(model.len() > 1000, "{name}: {} bytes", model.len());
    }
}

/// Scores of `net` with the weights PyTorch saved for `name`, against
/// PyTorch's own scores for them.
fn max_difference_from_pytorch<S, N>(name: &str, mut net: N, test: &Split<S>) -> f32
where
    S: Shape,
    N: Layer<Tensor<S>, Out = Tensor<Batch<10>>> + Parameters<Elem = f32>,
{
    let dir = out_dir();
    katachi::checkpoint::load(&mut net, &dir.join(format!("{name}.torch.safetensors"))).unwrap();
    let ours = net.predict(test.images.clone());
    let bytes = std::fs::read(dir.join(format!("{name}.torch.logits"))).unwrap();
    let theirs: Vec<f32> = (bytes.chunks_exact(4))
        .map(|b| f32::from_le_bytes(b.try_into().unwrap()))
        .collect();
    let diff = (ours.as_slice().iter().zip(&theirs)).fold(0.0f32, |m, (a, b)| m.max((a - b).abs()));
    println!("{name}: PyTorch's weights, max |Δlogit| {diff:.2e}");
    diff
}

/// The way back: weights PyTorch saved with `safetensors.torch.save_file`
/// load into the katachi networks and give PyTorch's scores. Needs the
/// files `tests/python/torch_roundtrip.py` writes (it runs this test).
#[test]
#[ignore = "run by tests/python/torch_roundtrip.py, which needs torch"]
fn weights_saved_by_pytorch_load_and_give_its_scores() {
    let Mnist { test, .. } = Mnist::<f32>::load(Path::new("data/mnist")).unwrap();
    assert!(max_difference_from_pytorch("two_layer_net", <TwoLayerNet>::default(), &test) <= 1e-5);
    assert!(max_difference_from_pytorch("norm_mlp", NormMlp::default(), &test) <= 1e-5);
    let test: Split<Nchw<1, 28, 28>> = test.reshape().unwrap();
    assert!(
        max_difference_from_pytorch("simple_conv_net", <SimpleConvNet>::default(), &test) <= 1e-5
    );
    assert!(max_difference_from_pytorch("strided_cnn", StridedCnn::default(), &test) <= 1e-5);
}
