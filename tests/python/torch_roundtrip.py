"""katachi's weights in PyTorch and PyTorch's in katachi, both ways, strictly.

Not run by CI (torch is large). After `cargo test --test onnx` has written
the four trained networks to target/tmp/onnx-check:

    python -m venv .venv-torch && .venv-torch/bin/pip install torch numpy safetensors
    .venv-torch/bin/python tests/python/torch_roundtrip.py target/tmp/onnx-check

1. katachi → PyTorch: each `{name}.safetensors` (katachi's default layout)
   loads into a PyTorch module with the same attribute names with
   `load_state_dict(..., strict=True)`, and its scores on the 10 000 MNIST
   test images match katachi's within 1e-5.
2. PyTorch → katachi: the modules' weights are moved (one Adam step on a
   batch, so they are PyTorch's own, BatchNorm's running statistics and
   count included), saved with `safetensors.torch.save_file`, and the
   ignored test `weights_saved_by_pytorch_load_and_give_its_scores` loads
   them into the katachi structs and compares with PyTorch's scores.
"""

import subprocess
import sys
from collections import OrderedDict
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import load_file, save_file
from torch import nn

TOLERANCE = 1e-5


def modules():
    """The four networks, attribute for attribute as in tests/onnx.rs."""
    seq = lambda *layers: nn.Sequential(OrderedDict(layers))
    return {
        "two_layer_net": ((784,), seq(
            ("affine1", nn.Linear(784, 50)), ("relu", nn.ReLU()), ("affine2", nn.Linear(50, 10)))),
        "norm_mlp": ((784,), seq(
            ("affine1", nn.Linear(784, 100)), ("norm", nn.BatchNorm1d(100)), ("relu", nn.ReLU()),
            ("drop", nn.Dropout(0.5)), ("affine2", nn.Linear(100, 10)))),
        "simple_conv_net": ((1, 28, 28), seq(
            ("conv1", nn.Conv2d(1, 30, 5)), ("relu1", nn.ReLU()), ("pool1", nn.MaxPool2d(2, 2)),
            ("flatten", nn.Flatten()), ("affine1", nn.Linear(4320, 100)), ("relu2", nn.ReLU()),
            ("affine2", nn.Linear(100, 10)))),
        "strided_cnn": ((1, 28, 28), seq(
            ("conv1", nn.Conv2d(1, 8, 3, stride=2, padding=1)), ("relu1", nn.ReLU()),
            ("conv2", nn.Conv2d(8, 16, 3, stride=2, padding=1)), ("relu2", nn.ReLU()),
            ("flatten", nn.Flatten()), ("affine", nn.Linear(784, 10)))),
    }


def scores(module, images):
    module.eval()
    with torch.no_grad():
        return module(images).numpy()


def main(folder: Path) -> int:
    torch.manual_seed(0)
    pixels = np.fromfile(folder / "images", dtype="<f4").reshape(10000, 784)
    failed = 0
    for name, (sample, module) in modules().items():
        images = torch.from_numpy(pixels.reshape((10000,) + sample))
        # 1. katachi → PyTorch, strictly.
        module.load_state_dict(load_file(folder / f"{name}.safetensors"), strict=True)
        want = np.fromfile(folder / f"{name}.logits", dtype="<f4").reshape(10000, 10)
        diff = float(np.max(np.abs(scores(module, images) - want)))
        ok = diff <= TOLERANCE
        failed += not ok
        print(f"{'ok  ' if ok else 'FAIL'} {name}: katachi's weights in PyTorch (strict), max |Δlogit| {diff:.2e}")
        # 2. PyTorch's own weights, for katachi.
        module.train()
        opt = torch.optim.Adam(module.parameters(), lr=1e-3)
        loss = nn.functional.cross_entropy(module(images[:100]), torch.arange(100) % 10)
        loss.backward()
        opt.step()
        save_file(module.state_dict(), folder / f"{name}.torch.safetensors")
        scores(module, images).astype("<f4").tofile(folder / f"{name}.torch.logits")
    back = subprocess.run(
        ["cargo", "test", "--test", "onnx", "--", "--ignored", "--nocapture",
         "weights_saved_by_pytorch_load_and_give_its_scores"],
        capture_output=True, text=True)
    for line in back.stdout.splitlines():
        if "PyTorch's weights" in line or "test result" in line:
            print(line)
    failed += back.returncode != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
