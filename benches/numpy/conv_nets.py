"""The book's SimpleConvNet and DeepConvNet training steps in NumPy, for
side-by-side timing with `cargo bench --bench conv` (train_step/simple_conv_net
and train_step/deep_conv_net).

The layers are the book's: im2col and col2im as in its common/util.py,
Convolution (with padding) and Pooling through them, Affine, ReLU, Dropout,
softmax with cross-entropy, Adam. One step is forward, loss, backward
(without the input gradient of the first layer, which katachi skips too) and
an Adam update, on a batch of 100 random 1×28×28 images; the median of the
timed steps (200 for SimpleConvNet, 30 for DeepConvNet) after warm-up steps
is printed as JSON.

    python3 -m venv .venv && .venv/bin/pip install numpy threadpoolctl
    OPENBLAS_NUM_THREADS=1 .venv/bin/python benches/numpy/conv_nets.py 1
    OPENBLAS_NUM_THREADS=2 .venv/bin/python benches/numpy/conv_nets.py 2 deep
"""
import sys, time, json
import numpy as np
from threadpoolctl import threadpool_limits

def im2col(x, fh, fw, stride=1, pad=0):
    N, C, H, W = x.shape
    oh = (H + 2*pad - fh)//stride + 1; ow = (W + 2*pad - fw)//stride + 1
    img = np.pad(x, [(0,0),(0,0),(pad,pad),(pad,pad)], 'constant') if pad else x
    col = np.zeros((N, C, fh, fw, oh, ow), dtype=x.dtype)
    for y in range(fh):
        ym = y + stride*oh
        for xx in range(fw):
            xm = xx + stride*ow
            col[:, :, y, xx, :, :] = img[:, :, y:ym:stride, xx:xm:stride]
    return col.transpose(0, 4, 5, 1, 2, 3).reshape(N*oh*ow, -1)

def col2im(col, shape, fh, fw, stride=1, pad=0):
    N, C, H, W = shape
    oh = (H + 2*pad - fh)//stride + 1; ow = (W + 2*pad - fw)//stride + 1
    col = col.reshape(N, oh, ow, C, fh, fw).transpose(0, 3, 4, 5, 1, 2)
    img = np.zeros((N, C, H + 2*pad + stride - 1, W + 2*pad + stride - 1), dtype=col.dtype)
    for y in range(fh):
        ym = y + stride*oh
        for xx in range(fw):
            xm = xx + stride*ow
            img[:, :, y:ym:stride, xx:xm:stride] += col[:, :, y, xx, :, :]
    return img[:, :, pad:H + pad, pad:W + pad]

class Conv:
    def __init__(s, W, b, pad=0): s.W, s.b, s.pad = W, b, pad
    def forward(s, x):
        FN, C, FH, FW = s.W.shape; N, C, H, W = x.shape
        oh = H + 2*s.pad - FH + 1; ow = W + 2*s.pad - FW + 1
        s.col = im2col(x, FH, FW, 1, s.pad); s.col_W = s.W.reshape(FN, -1).T; s.x_shape = x.shape
        out = s.col @ s.col_W + s.b
        return out.reshape(N, oh, ow, -1).transpose(0, 3, 1, 2)
    def backward(s, dout, need_dx=False):
        FN, C, FH, FW = s.W.shape
        dout = dout.transpose(0, 2, 3, 1).reshape(-1, FN)
        s.db = dout.sum(axis=0)
        s.dW = (s.col.T @ dout).transpose(1, 0).reshape(FN, C, FH, FW)
        if need_dx:
            return col2im(dout @ s.col_W.T, s.x_shape, FH, FW, 1, s.pad)

class Pool:
    def forward(s, x):
        N, C, H, W = x.shape; oh = H // 2; ow = W // 2
        col = im2col(x, 2, 2, 2).reshape(-1, 4)
        s.arg = col.argmax(axis=1); s.x_shape = x.shape
        return col.max(axis=1).reshape(N, oh, ow, C).transpose(0, 3, 1, 2)
    def backward(s, dout):
        dout = dout.transpose(0, 2, 3, 1)
        dmax = np.zeros((dout.size, 4), dtype=dout.dtype)
        dmax[np.arange(s.arg.size), s.arg.flatten()] = dout.flatten()
        dcol = dmax.reshape(dout.shape + (4,)).reshape(dout.shape[0]*dout.shape[1]*dout.shape[2], -1)
        return col2im(dcol, s.x_shape, 2, 2, 2)

def step(p, conv, pool, x, t, adam):
    c = conv.forward(x); r1 = c > 0; a = c * r1
    pl = pool.forward(a); N = x.shape[0]; f = pl.reshape(N, -1)
    h = f @ p['W2'] + p['b2']; r2 = h > 0; h2 = h * r2
    y = h2 @ p['W3'] + p['b3']
    y = y - y.max(axis=1, keepdims=True); e = np.exp(y); sm = e / e.sum(axis=1, keepdims=True)
    loss = -np.log(sm[np.arange(N), t] + 1e-7).mean()
    dy = sm.copy(); dy[np.arange(N), t] -= 1; dy /= N
    g = {}
    g['W3'] = h2.T @ dy; g['b3'] = dy.sum(0); dh2 = dy @ p['W3'].T; dh = dh2 * r2
    g['W2'] = f.T @ dh; g['b2'] = dh.sum(0); df = dh @ p['W2'].T
    dpl = df.reshape(pl.shape); da = pool.backward(dpl); dc = da * r1
    conv.backward(dc); g['W1'] = conv.dW; g['b1'] = conv.db
    adam(p, g)
    conv.W, conv.b = p['W1'], p['b1']
    return loss

def make_adam(p, lr=0.001, b1=0.9, b2=0.999):
    m = {k: np.zeros_like(v) for k, v in p.items()}; v = {k: np.zeros_like(v) for k, v in p.items()}; it = [0]
    def upd(p, g):
        it[0] += 1; lr_t = lr * np.sqrt(1 - b2**it[0]) / (1 - b1**it[0])
        for k in p:
            m[k] += (1 - b1) * (g[k] - m[k]); v[k] += (1 - b2) * (g[k]**2 - v[k])
            p[k] -= lr_t * m[k] / (np.sqrt(v[k]) + 1e-7)
    return upd

def deep_step(p, convs, pools, x, t, adam, rng):
    """DeepConvNet: conv-relu ×2, pool, ×3; affine-relu-dropout, affine-dropout."""
    a = x; relus = []
    for i, conv in enumerate(convs):
        c = conv.forward(a); r = c > 0; relus.append(r); a = c * r
        if i % 2 == 1: a = pools[i // 2].forward(a)
    N = x.shape[0]; pooled_shape = a.shape; f = a.reshape(N, -1)
    h = f @ p['W7'] + p['b7']; r7 = h > 0; m1 = rng.random(h.shape) > 0.5; h2 = h * r7 * m1
    y = (h2 @ p['W8'] + p['b8']); m2 = rng.random(y.shape) > 0.5; y = y * m2
    y = y - y.max(axis=1, keepdims=True); e = np.exp(y); sm = e / e.sum(axis=1, keepdims=True)
    loss = -np.log(sm[np.arange(N), t] + 1e-7).mean()
    dy = sm.copy(); dy[np.arange(N), t] -= 1; dy /= N; dy = dy * m2
    g = {}
    g['W8'] = h2.T @ dy; g['b8'] = dy.sum(0); dh = (dy @ p['W8'].T) * m1 * r7
    g['W7'] = f.T @ dh; g['b7'] = dh.sum(0); d = (dh @ p['W7'].T).reshape(pooled_shape)
    for i in reversed(range(6)):
        if i % 2 == 1: d = pools[i // 2].backward(d)
        d = d * relus[i]
        d = convs[i].backward(d, need_dx=i > 0)
        g[f'W{i+1}'] = convs[i].dW; g[f'b{i+1}'] = convs[i].db
    adam(p, g)
    for i, conv in enumerate(convs):
        conv.W, conv.b = p[f'W{i+1}'], p[f'b{i+1}']
    return loss

def timed(run, warm, steps):
    for _ in range(warm): run()
    times = []
    for _ in range(steps):
        s = time.perf_counter(); run(); times.append(time.perf_counter() - s)
    times.sort()
    return {"median_ms": 1000*times[len(times)//2], "min_ms": 1000*times[0]}

threads = int(sys.argv[1])
net = sys.argv[2] if len(sys.argv) > 2 else "simple"
if net == "deep":
    with threadpool_limits(threads):
        rng = np.random.default_rng(0); f32 = np.float32
        shapes = [(16,1), (16,16), (32,16), (32,32), (64,32), (64,64)]
        pads = [1, 1, 1, 2, 1, 1]
        p = {}
        for i, (fo, fi) in enumerate(shapes):
            p[f'W{i+1}'] = (np.sqrt(2/(fi*9))*rng.standard_normal((fo,fi,3,3))).astype(f32)
            p[f'b{i+1}'] = np.zeros(fo, f32)
        p['W7'] = (np.sqrt(2/1024)*rng.standard_normal((1024,50))).astype(f32); p['b7'] = np.zeros(50, f32)
        p['W8'] = (np.sqrt(2/50)*rng.standard_normal((50,10))).astype(f32); p['b8'] = np.zeros(10, f32)
        convs = [Conv(p[f'W{i+1}'], p[f'b{i+1}'], pads[i]) for i in range(6)]
        pools = [Pool(), Pool(), Pool()]; adam = make_adam(p)
        x = rng.random((100,1,28,28), dtype=f32); t = rng.integers(0, 10, 100)
        result = timed(lambda: deep_step(p, convs, pools, x, t, adam, rng), 3, 30)
        print(json.dumps({"net": "deep_conv_net", "threads": threads, **result}))
    sys.exit(0)
with threadpool_limits(threads):
    rng = np.random.default_rng(0)
    f32 = np.float32
    p = {'W1': (0.01*rng.standard_normal((30,1,5,5))).astype(f32), 'b1': np.zeros(30, f32),
         'W2': (0.01*rng.standard_normal((4320,100))).astype(f32), 'b2': np.zeros(100, f32),
         'W3': (0.01*rng.standard_normal((100,10))).astype(f32), 'b3': np.zeros(10, f32)}
    conv = Conv(p['W1'], p['b1']); pool = Pool(); adam = make_adam(p)
    x = rng.random((100,1,28,28), dtype=f32); t = rng.integers(0, 10, 100)
    result = timed(lambda: step(p, conv, pool, x, t, adam), 20, 200)
    print(json.dumps({"net": "simple_conv_net", "threads": threads, **result}))
