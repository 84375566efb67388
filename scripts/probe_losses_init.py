#!/usr/bin/env python
"""Probe what torch and chainer do for linear, the losses and the initializers that
``refimpl.functions.linear``, ``refimpl.functions.loss`` and ``refimpl.initializers`` model.

Same record format as ``probe_frameworks.py`` (one JSON object per scenario and framework)::

    SETUPTOOLS_USE_DISTUTILS=stdlib python scripts/probe_losses_init.py --framework torch \\
        > scripts/probe_results/losses_init-torch-<version>.jsonl

``--bench-linear`` instead times a Linear 1024 -> 1024 on a batch of 512 (forward and
backward, float32) in refimpl, in raw NumPy (the three products refimpl's op performs) and in
torch, interleaved, and prints the best and median times. On the development VM NumPy's
bundled OpenBLAS 0.3.23 (DYNAMIC_ARCH) detects the CPU as "Prescott" and runs its generic
kernels, about 4.6x slower than torch's MKL; with ``OPENBLAS_CORETYPE=SkylakeX`` (the CPU has
AVX-512; ``OPENBLAS_VERBOSE=2`` prints the core chosen) refimpl is within 1.1x of torch.
Compare single-threaded (``OPENBLAS_NUM_THREADS=1``, torch.set_num_threads(1)): two thread
pools on two shared cores make the two-thread figures noise.
"""
import argparse
import json
import math
import os
import sys
import time
import warnings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(1, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # refimpl
from probe_frameworks import Probe  # noqa: E402  (shared recording helpers)

import numpy as np  # noqa: E402

SCENARIOS = {"torch": [], "chainer": []}


def scenario(framework):
    def register(fn):
        SCENARIOS[framework].append((fn.__name__[len(framework) + 1:], fn))
        return fn
    return register


def _rng():
    return np.random.default_rng(0)


def _stats(values):
    values = np.ravel(np.asarray(values, dtype=np.float64))
    return {"n": int(values.size), "mean": float(values.mean()), "std": float(values.std()),
            "max_abs": float(np.abs(values).max())}


# ---------------------------------------------------------------------------
# torch
# ---------------------------------------------------------------------------

@scenario("torch")
def torch_linear_layouts(p):
    import torch
    F = torch.nn.functional
    rng = _rng()

    def shape(x, W, b=None):
        args = [torch.tensor(rng.standard_normal(x)), torch.tensor(rng.standard_normal(W))]
        if b is not None:
            args.append(torch.tensor(rng.standard_normal(b)))
        return list(F.linear(*args).shape)

    p.step("x3d_W(5,4)", lambda: shape((2, 3, 4), (5, 4), (5,)))
    p.step("x4d_W(5,6)", lambda: shape((2, 3, 4, 6), (5, 6)))
    p.step("x1d", lambda: shape((3,), (5, 3)))
    p.step("W1d", lambda: shape((2, 3), (3,)))
    p.step("b(2,5)", lambda: shape((2, 3), (5, 3), (2, 5)))
    p.step("b0d", lambda: shape((2, 3), (5, 3), ()))
    p.step("inner_mismatch", lambda: shape((2, 3), (5, 4)))
    p.step("bias_mismatch", lambda: shape((2, 3), (5, 3), (4,)))
    p.step("x0d", lambda: shape((), (5, 3)))
    p.step("W3d", lambda: shape((2, 3), (5, 3, 1)))
    p.step("dtype_mismatch", lambda: F.linear(torch.ones(2, 3), torch.ones(4, 3, dtype=torch.float64)))
    p.step("int64", lambda: str(F.linear(torch.ones(2, 3, dtype=torch.long),
                                         torch.ones(4, 3, dtype=torch.long)).dtype))


@scenario("torch")
def torch_cross_entropy(p):
    import torch
    F = torch.nn.functional
    rng = _rng()
    x = torch.tensor(rng.standard_normal((3, 4)), requires_grad=True)
    t_ignored = torch.tensor([-100, -100, -100])

    def all_ignored():
        loss = F.cross_entropy(x, t_ignored)
        x.grad = None
        loss.backward()
        return {"loss": loss, "grad_abs_max": x.grad.abs().max()}

    p.step("all_ignored_mean", all_ignored)
    p.step("all_ignored_sum", lambda: F.cross_entropy(x, t_ignored, reduction="sum"))
    p.step("empty_batch", lambda: F.cross_entropy(torch.zeros(0, 3), torch.zeros(0, dtype=torch.long)))
    for dtype in ("int32", "int16", "uint8", "int64"):
        p.step("target_" + dtype, lambda d=dtype: F.cross_entropy(
            x, torch.tensor(np.array([0, 1, 2], dtype=d))))
    p.step("target_out_of_range", lambda: F.cross_entropy(x, torch.tensor([0, 1, 4])))
    p.step("target_minus_1", lambda: F.cross_entropy(x, torch.tensor([0, 1, -1])))
    p.step("batch_mismatch", lambda: F.cross_entropy(x, torch.tensor([0, 1])))
    p.step("spatial_mismatch", lambda: F.cross_entropy(torch.zeros(2, 3, 5),
                                                       torch.zeros(2, 6, dtype=torch.long)))
    p.step("weight_size", lambda: F.cross_entropy(x, torch.tensor([0, 1, 2]),
                                                  weight=torch.ones(3, dtype=torch.float64)))
    p.step("label_smoothing_1.5", lambda: F.cross_entropy(x, torch.tensor([0, 1, 2]),
                                                          label_smoothing=1.5))
    p.step("label_smoothing_-0.1_equals_0", lambda: bool(
        F.cross_entropy(x, torch.tensor([0, 1, 2]), label_smoothing=-0.1)
        == F.cross_entropy(x, torch.tensor([0, 1, 2]))))
    w = torch.tensor([0.5, 2.0, 1.0, 1.0], dtype=torch.float64)
    t = torch.tensor([0, 1, 2])
    lp = torch.log_softmax(x, 1).detach()
    picked = -lp[torch.arange(3), t] * w[t]
    p.step("weighted_mean_over_total_weight", lambda: {
        "loss": F.cross_entropy(x, t, weight=w), "sum/total_weight": picked.sum() / w[t].sum(),
        "sum/count": picked.sum() / 3})
    p.step("double_backward", lambda: torch.autograd.grad(
        torch.autograd.grad(F.cross_entropy(x, t), x, create_graph=True)[0].pow(2).sum(), x)[0].shape)


@scenario("torch")
def torch_bce_and_mse(p):
    import torch
    F = torch.nn.functional
    x = torch.tensor([-40.0, 0.0, 40.0], dtype=torch.float64, requires_grad=True)
    p.step("bce_t0_extremes", lambda: F.binary_cross_entropy_with_logits(
        x, torch.zeros(3, dtype=torch.float64), reduction="none"))
    p.step("bce_target_grad", lambda: torch.autograd.grad(F.binary_cross_entropy_with_logits(
        x, torch.full((3,), 0.3, dtype=torch.float64, requires_grad=True), reduction="sum"),
        [x])[0])
    p.step("bce_weight_requires_grad", lambda: F.binary_cross_entropy_with_logits(
        x, torch.zeros(3, dtype=torch.float64),
        weight=torch.ones(3, dtype=torch.float64, requires_grad=True)))
    p.step("bce_pos_weight_requires_grad", lambda: F.binary_cross_entropy_with_logits(
        x, torch.zeros(3, dtype=torch.float64),
        pos_weight=torch.ones(3, dtype=torch.float64, requires_grad=True)))
    p.step("bce_target_shape", lambda: F.binary_cross_entropy_with_logits(
        torch.zeros(4, 3), torch.zeros(4, 1)))
    p.step("bce_pos_weight_shape", lambda: F.binary_cross_entropy_with_logits(
        torch.zeros(4, 3), torch.zeros(4, 3), pos_weight=torch.ones(4)))
    p.step("bce_f32_logits_f64_weights_dtype", lambda: str(F.binary_cross_entropy_with_logits(
        torch.zeros(2, 3), torch.ones(2, 3), weight=torch.ones(2, 3, dtype=torch.float64),
        pos_weight=torch.ones(3, dtype=torch.float64)).dtype))
    p.step("mse_broadcast", lambda: F.mse_loss(torch.zeros(3, 4), torch.ones(4)))
    p.step("mse_weighted_mean", lambda: F.mse_loss(torch.tensor([1.0, 2.0]), torch.zeros(2),
                                                   weight=torch.tensor([1.0, 3.0])))
    p.step("mse_weight_shape", lambda: F.mse_loss(torch.zeros(2, 3), torch.zeros(2, 3),
                                                  weight=torch.ones(3)))
    p.step("mse_bad_reduction", lambda: F.mse_loss(torch.zeros(2), torch.zeros(2), reduction="avg"))


@scenario("torch")
def torch_initializers(p):
    import torch
    torch.manual_seed(0)
    conv = torch.nn.Conv2d(16, 32, 3, groups=4)
    p.step("conv_groups_weight_shape", lambda: list(conv.weight.shape))
    p.step("conv_groups_weight", lambda: _stats(conv.weight.detach()))
    p.step("conv_groups_bias", lambda: _stats(conv.bias.detach()))
    p.step("bound_1/sqrt(fan_in=4*9)", lambda: 1 / math.sqrt(36))
    lin = torch.nn.Linear(100, 400)
    p.step("linear_weight", lambda: _stats(lin.weight.detach()))
    p.step("linear_bias", lambda: _stats(lin.bias.detach()))
    lstm = torch.nn.LSTM(5, 7)
    p.step("lstm_parameters", lambda: {name: list(v.shape) for name, v in lstm.named_parameters()})
    p.step("lstm_all", lambda: _stats(torch.cat([v.detach().ravel() for v in lstm.parameters()])))
    p.step("bound_1/sqrt(hidden=7)", lambda: 1 / math.sqrt(7))
    p.step("fan_1d", lambda: torch.nn.init.kaiming_uniform_(torch.empty(5)))
    p.step("gain_leaky_relu_sqrt5", lambda: torch.nn.init.calculate_gain("leaky_relu", math.sqrt(5)))


# ---------------------------------------------------------------------------
# chainer
# ---------------------------------------------------------------------------

@scenario("chainer")
def chainer_linear_layouts(p):
    import chainer.functions as F
    rng = _rng()

    def shape(x, W, b=None, **kwargs):
        args = [rng.standard_normal(x), rng.standard_normal(W)]
        if b is not None:
            args.append(rng.standard_normal(b))
        return list(F.linear(*args, **kwargs).shape)

    p.step("x3d_W(5,12)", lambda: shape((2, 3, 4), (5, 12), (5,)))
    p.step("x3d_W(5,4)", lambda: shape((2, 3, 4), (5, 4), (5,)))
    p.step("x3d_W(5,4)_n_batch_axes=2", lambda: shape((2, 3, 4), (5, 4), (5,), n_batch_axes=2))
    p.step("x4d_W(5,72)", lambda: shape((2, 3, 4, 6), (5, 72)))
    p.step("x4d_W(5,24)_n_batch_axes=2", lambda: shape((2, 3, 4, 6), (5, 24), n_batch_axes=2))
    p.step("x1d", lambda: shape((3,), (5, 3)))
    p.step("W1d", lambda: shape((2, 3), (3,)))
    p.step("b0d", lambda: shape((2, 3), (5, 3), ()))
    p.step("b2d", lambda: shape((2, 3), (5, 3), (2, 5)))
    p.step("inner_mismatch", lambda: shape((2, 3), (5, 4)))
    p.step("bias_mismatch", lambda: shape((2, 3), (5, 3), (4,)))
    p.step("W3d", lambda: shape((2, 3), (5, 3, 1)))
    p.step("n_batch_axes=0", lambda: shape((2, 3), (5, 3), n_batch_axes=0))
    p.step("x_f32_W_f64", lambda: str(F.linear(np.ones((2, 3), np.float32), np.ones((4, 3))).dtype))
    p.step("b_dtype", lambda: F.linear(np.ones((2, 3)), np.ones((5, 3)), np.ones(5, np.float32)))
    p.step("int64", lambda: F.linear(np.ones((2, 3), np.int64), np.ones((4, 3), np.int64)))


@scenario("chainer")
def chainer_softmax_cross_entropy(p):
    import chainer
    import chainer.functions as F
    rng = _rng()
    x = rng.standard_normal((2, 3, 4, 5))
    t = rng.integers(0, 3, (2, 4, 5)).astype(np.int32)
    t[0, 0, :3] = -1
    lp = x - np.log(np.exp(x).sum(1, keepdims=True))
    picked = -np.take_along_axis(lp, np.where(t < 0, 0, t)[:, None], 1)[:, 0] * (t != -1)
    p.step("normalize_true", lambda: {"loss": F.softmax_cross_entropy(x, t),
                                      "sum/valid": picked.sum() / (t != -1).sum()})
    p.step("normalize_false", lambda: {"loss": F.softmax_cross_entropy(x, t, normalize=False),
                                       "sum/N": picked.sum() / 2})
    x2 = rng.standard_normal((3, 4))
    p.step("all_ignored", lambda: F.softmax_cross_entropy(x2, np.full(3, -1, np.int32)))
    w = np.array([0.5, 2.0, 1.0, 1.0])
    t2 = np.array([0, 1, 2], np.int32)
    lp2 = x2 - np.log(np.exp(x2).sum(1, keepdims=True))
    picked2 = -lp2[np.arange(3), t2] * w[t2]
    p.step("class_weight_mean_over_count", lambda: {
        "loss": F.softmax_cross_entropy(x2, t2, class_weight=w), "sum/count": picked2.sum() / 3,
        "sum/total_weight": picked2.sum() / w[t2].sum()})
    p.step("label_minus_2", lambda: F.softmax_cross_entropy(x2, np.array([0, 1, -2], np.int32)))
    p.step("label_4", lambda: F.softmax_cross_entropy(x2, np.array([0, 1, 4], np.int32)))

    def debug_label_minus_2():
        with chainer.using_config("debug", True):
            return F.softmax_cross_entropy(x2, np.array([0, 1, -2], np.int32))

    p.step("debug_label_minus_2", debug_label_minus_2)
    p.step("batch_mismatch", lambda: F.softmax_cross_entropy(x2, np.array([0, 1], np.int32)))
    p.step("x1d", lambda: F.softmax_cross_entropy(x2[0], np.array(1, np.int32)))
    p.step("target_uint8", lambda: F.softmax_cross_entropy(x2, t2.astype(np.uint8)))
    p.step("reduce_sum", lambda: F.softmax_cross_entropy(x2, t2, reduce="sum"))

    def double_backward(enable):
        v = chainer.Variable(x2)
        loss = F.softmax_cross_entropy(v, t2, enable_double_backprop=enable)
        gx, = chainer.grad([loss], [v], enable_double_backprop=True)
        return chainer.grad([F.sum(gx * gx)], [v])[0].shape

    p.step("double_backward_default", lambda: double_backward(False))
    p.step("double_backward_enabled", lambda: double_backward(True))


@scenario("chainer")
def chainer_sigmoid_cross_entropy_and_mse(p):
    import chainer.functions as F
    x = np.array([[-2.0, 3.0, 0.5], [5.0, 2.0, -0.5]])
    t = np.array([[0, 1, 0], [1, 1, -1]], np.int32)
    p.step("normalize_true", lambda: F.sigmoid_cross_entropy(x, t))
    p.step("normalize_false", lambda: F.sigmoid_cross_entropy(x, t, normalize=False))
    p.step("reduce_no", lambda: F.sigmoid_cross_entropy(x, t, reduce="no"))
    p.step("all_ignored", lambda: F.sigmoid_cross_entropy(x, -np.ones_like(t)))
    p.step("target_uint8", lambda: F.sigmoid_cross_entropy(x, t.astype(np.uint8)))
    p.step("target_float", lambda: F.sigmoid_cross_entropy(x, t.astype(np.float64)))
    p.step("x0d_normalize_false", lambda: F.sigmoid_cross_entropy(
        np.array(1.0), np.array(1, np.int32), normalize=False))
    p.step("mse", lambda: F.mean_squared_error(x, x * 0.5))
    p.step("mse_shape", lambda: F.mean_squared_error(x, x[0]))
    p.step("mse_dtype", lambda: F.mean_squared_error(x, x.astype(np.float32)))


@scenario("chainer")
def chainer_initializers(p):
    import chainer.links as L
    np.random.seed(0)
    lstm = L.LSTM(3, 2)
    p.step("lstm_upward_b", lambda: lstm.upward.b.array)
    p.step("lstm_shapes", lambda: {"upward.W": lstm.upward.W.shape, "lateral.W": lstm.lateral.W.shape,
                                   "lateral.b": lstm.lateral.b})
    big = L.LSTM(50, 400)
    p.step("lstm_upward_W_std_vs_1/sqrt(in=50)",
           lambda: [float(big.upward.W.array.std()), 1 / math.sqrt(50)])
    p.step("lstm_lateral_W_std_vs_1/sqrt(out=400)",
           lambda: [float(big.lateral.W.array.std()), 1 / math.sqrt(400)])
    conv = L.Convolution2D(16, 32, 3, groups=4)
    p.step("conv_groups_W_shape", lambda: conv.W.shape)
    p.step("conv_groups_W_std_vs_1/sqrt(4*9)", lambda: [float(conv.W.array.std()), 1 / 6])
    p.step("conv_bias", lambda: np.unique(conv.b.array))
    lin = L.Linear(100, 400)
    p.step("linear_W", lambda: _stats(lin.W.array))
    p.step("linear_b", lambda: np.unique(lin.b.array))
    import chainer.initializers as I
    p.step("fan_1d", lambda: I.LeCunNormal()(np.empty(5, np.float32)))


# ---------------------------------------------------------------------------
# Timing
# ---------------------------------------------------------------------------

def bench_linear(repeats=12):
    """Best and median ms of Linear 1024 -> 1024, batch 512, forward + backward, float32."""
    import torch

    import refimpl
    import refimpl.functions as RF
    from refimpl.functions.linear import linear
    rng = np.random.default_rng(0)
    x = rng.standard_normal((512, 1024)).astype(np.float32)
    W = (rng.standard_normal((1024, 1024)) * 0.03).astype(np.float32)
    b = np.zeros(1024, np.float32)
    gy = np.ones((512, 1024), np.float32)
    tensors = [torch.tensor(a, requires_grad=True) for a in (x, W, b)]

    def run_refimpl():
        variables = [refimpl.Variable(a, requires_grad=True) for a in (x, W, b)]
        RF.sum(linear(*variables)).backward()

    def run_numpy():  # the three products (and the bias work) refimpl's op performs
        y = x @ W.T
        y += b
        return gy @ W, gy.T @ x, gy.sum(0)

    def run_torch():
        for t in tensors:
            t.grad = None
        torch.nn.functional.linear(*tensors).sum().backward()

    times = {"refimpl": [], "numpy (3 products)": [], "torch": []}
    runs = dict(zip(times, (run_refimpl, run_numpy, run_torch)))
    for _ in range(repeats):
        for name, run in runs.items():
            start = time.perf_counter()
            run()
            times[name].append(1e3 * (time.perf_counter() - start))
    for name, values in times.items():
        values = values[2:]  # warm-up
        print(f"{name:20s} best {min(values):7.1f} ms  median {np.median(values):7.1f} ms")
    print(f"torch threads {torch.get_num_threads()}, "
          f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS')}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--framework", choices=sorted(SCENARIOS))
    parser.add_argument("--bench-linear", action="store_true")
    args = parser.parse_args()
    if args.bench_linear:
        bench_linear()
        return
    if args.framework is None:
        parser.error("give --framework or --bench-linear")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        module = __import__(args.framework)
    for name, fn in SCENARIOS[args.framework]:
        probe = Probe()
        fn(probe)
        print(json.dumps({"scenario": name, "framework": args.framework,
                          "version": module.__version__, "result": probe.result,
                          "warnings": probe.warnings}))


if __name__ == "__main__":
    main()
