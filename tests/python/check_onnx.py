"""The ONNX models katachi exported, run by onnxruntime.

For each model `tests/onnx.rs` wrote (the book's TwoLayerNet and
SimpleConvNet, an MLP with BatchNorm and Dropout, a CNN with stride-2 padded
convolutions, a CNN with BatchNorm2d, average pooling and a global average
pool): `onnx.checker.check_model` passes, and onnxruntime's scores
on the 10 000 MNIST test images match katachi's within 1e-5 (max absolute
difference) with the same argmax on every image. Also: a model exported with
a softmax at the output gives softmax(katachi's scores), and an f64 network
runs in double precision (within 1e-12).

    python tests/python/check_onnx.py target/tmp/onnx-check
"""

import sys
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort

NETWORKS = {
    "two_layer_net": (784,),
    "norm_mlp": (784,),
    "simple_conv_net": (1, 28, 28),
    "strided_cnn": (1, 28, 28),
    "normed_cnn": (1, 28, 28),
}
TOLERANCE = 1e-5


def main(folder: Path) -> int:
    images = np.fromfile(folder / "images", dtype="<f4").reshape(10000, 784)
    failed = 0
    for name, sample in NETWORKS.items():
        path = folder / f"{name}.onnx"
        model = onnx.load(path)
        onnx.checker.check_model(model, full_check=True)
        session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
        (got,) = session.run(None, {"input": images.reshape((10000,) + sample)})
        want = np.fromfile(folder / f"{name}.logits", dtype="<f4").reshape(10000, 10)
        diff = float(np.max(np.abs(got - want)))
        same = int(np.sum(got.argmax(axis=1) == want.argmax(axis=1)))
        ok = diff <= TOLERANCE and same == 10000
        failed += not ok
        print(
            f"{'ok  ' if ok else 'FAIL'} {name}: opset {model.opset_import[0].version}, "
            f"IR {model.ir_version}, max |Δlogit| {diff:.2e}, same argmax on {same}/10000"
        )
    failed += not check_variants(folder, images)
    return 1 if failed else 0


def check_variants(folder: Path, images) -> bool:
    """The softmax at the output, and a network in f64."""
    ok = True
    path = folder / "two_layer_net_softmax.onnx"
    onnx.checker.check_model(onnx.load(path), full_check=True)
    (probabilities,) = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]).run(
        None, {"input": images})
    logits = np.fromfile(folder / "two_layer_net_softmax.logits", dtype="<f4").reshape(10000, 10)
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    diff = float(np.max(np.abs(probabilities - e / e.sum(axis=1, keepdims=True))))
    ok &= diff <= TOLERANCE
    print(f"{'ok  ' if diff <= TOLERANCE else 'FAIL'} two_layer_net with softmax: max |Δp| {diff:.2e}")
    path = folder / "two_layer_net_f64.onnx"
    onnx.checker.check_model(onnx.load(path), full_check=True)
    (got,) = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]).run(
        None, {"input": images.astype("<f8")})
    want = np.fromfile(folder / "two_layer_net_f64.logits", dtype="<f8").reshape(10000, 10)
    diff = float(np.max(np.abs(got - want)))
    ok &= diff <= 1e-12
    print(f"{'ok  ' if diff <= 1e-12 else 'FAIL'} two_layer_net in f64: max |Δlogit| {diff:.2e}")
    return ok


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
