"""The book's SimpleConvNet and DeepConvNet training steps in PyTorch, for
side-by-side timing with `cargo bench --bench conv` (train_step/simple_conv_net
and train_step/deep_conv_net) and with benches/numpy/conv_nets.py.

The networks are the ones katachi defines (katachi::models): SimpleConvNet
is conv 30×5×5 - ReLU - max pool 2 - affine 100 - ReLU - affine 10;
DeepConvNet is the book's chapter 8 network (six 3×3 convolutions with
padding 1, 1, 1, 2, 1, 1, ReLU after each, max pool 2 after every second,
affine 50 - ReLU - dropout 0.5 - affine 10 - dropout 0.5), He-initialised.
One step is eager forward, cross-entropy, autograd backward and
torch.optim.Adam (lr 0.001) on a batch of 100 random 1×28×28 images; the
median of the timed steps (200 for SimpleConvNet, 30 for DeepConvNet) after
warm-up steps is printed as JSON, with the convolution kernels PyTorch ran
(oneDNN on x86).

    python3 -m venv .venv && .venv/bin/pip install torch
    OMP_NUM_THREADS=1 .venv/bin/python benches/torch/conv_nets.py 1
    OMP_NUM_THREADS=2 .venv/bin/python benches/torch/conv_nets.py 2 deep
"""
import json
import sys
import time

import torch
import torch.nn.functional as F
from torch import nn


def simple_conv_net():
    net = nn.Sequential(
        nn.Conv2d(1, 30, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
        nn.Linear(4320, 100), nn.ReLU(), nn.Linear(100, 10))
    with torch.no_grad():
        for m in net:
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                m.weight.normal_(0.0, 0.01)
                m.bias.zero_()
    return net


def deep_conv_net():
    layers, channels = [], 1
    for out, pad, pool in [(16, 1, False), (16, 1, True), (32, 1, False),
                           (32, 2, True), (64, 1, False), (64, 1, True)]:
        layers += [nn.Conv2d(channels, out, 3, padding=pad), nn.ReLU()]
        if pool:
            layers.append(nn.MaxPool2d(2))
        channels = out
    layers += [nn.Flatten(), nn.Linear(64 * 4 * 4, 50), nn.ReLU(), nn.Dropout(0.5),
               nn.Linear(50, 10), nn.Dropout(0.5)]
    net = nn.Sequential(*layers)
    with torch.no_grad():
        for m in net:
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
                m.bias.zero_()
    return net


def conv_kernels(fn):
    """Names of the aten ops a call of fn runs whose name mentions conv."""
    from torch.profiler import ProfilerActivity, profile
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        fn()
    return sorted({e.key for e in prof.key_averages() if "conv" in e.key.lower()})


def main():
    threads = int(sys.argv[1])
    which = sys.argv[2] if len(sys.argv) > 2 else "simple"
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    net = deep_conv_net() if which == "deep" else simple_conv_net()
    net.train()
    # Like katachi's, the first layer's input needs no gradient.
    x = torch.rand(100, 1, 28, 28)
    t = torch.randint(0, 10, (100,))
    opt = torch.optim.Adam(net.parameters(), lr=0.001)

    def step():
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(net(x), t)
        loss.backward()
        opt.step()
        return loss

    warm, steps = (3, 30) if which == "deep" else (20, 200)
    first = step().item()
    kernels = conv_kernels(step)
    for _ in range(warm):
        step()
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    times.sort()
    print(json.dumps({
        "net": "deep_conv_net" if which == "deep" else "simple_conv_net",
        "peer": f"torch {torch.__version__}",
        "threads": threads,
        "median_ms": 1000 * times[len(times) // 2],
        "min_ms": 1000 * times[0],
        "loss_first": first,
        "loss_last": step().item(),
        "conv_kernels": kernels,
    }))


if __name__ == "__main__":
    main()
