#!/usr/bin/env python
"""Probe the recurrent-layer behaviours that ``refimpl.functions.rnn`` and ``refimpl.nn.rnn``
model, by running PyTorch and Chainer. Same output format as ``probe_frameworks.py`` (one
JSON object per scenario and line; a step that raises records the exception)::

    SETUPTOOLS_USE_DISTUTILS=stdlib python scripts/probe_rnn.py --framework torch \\
        > scripts/probe_results/rnn-torch-<version>.jsonl
"""
import argparse
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from probe_frameworks import Probe  # noqa: E402

SCENARIOS = {"torch": [], "chainer": []}


def scenario(framework):
    def register(fn):
        SCENARIOS[framework].append((fn.__name__[len(framework) + 1:], fn))
        return fn
    return register


# --- torch -------------------------------------------------------------------------------

@scenario("torch")
def torch_parameters(p):
    import torch
    for name, layer in (("lstm_2_layers_bidirectional", torch.nn.LSTM(3, 2, 2, bidirectional=True)),
                        ("rnn_no_bias", torch.nn.RNN(3, 2, 2, bias=False))):
        p.step(name, lambda: [[n, list(w.shape)] for n, w in layer.named_parameters()])


@scenario("torch")
def torch_default_init(p):
    import torch
    torch.manual_seed(0)
    values = torch.cat([w.detach().ravel() for w in torch.nn.LSTM(40, 25).parameters()])
    p.step("max_abs_over_bound_1_over_sqrt_hidden", lambda: float(values.abs().max() * 5))
    p.step("std_over_uniform_std", lambda: float(values.std() / (0.2 / 3 ** 0.5)))


@scenario("torch")
def torch_gate_order(p):
    """Only rows H:2H of the bias large: if that block is the forget gate, c' = c."""
    import torch
    cell = torch.nn.LSTMCell(1, 2)
    with torch.no_grad():
        for w in cell.parameters():
            w.zero_()
        cell.bias_ih[2:4] = 30.0
        cell.bias_ih[0:2] = -30.0
    c = torch.tensor([[0.25, -0.5]])
    p.step("c_next_for_c_0.25_-0.5", lambda: cell(torch.zeros(1, 1), (torch.zeros(1, 2), c))[1])


@scenario("torch")
def torch_shapes(p):
    import torch
    layer = torch.nn.LSTM(3, 2, num_layers=2, batch_first=True)
    def shapes(out):
        return [list(out[0].shape), list(out[1][0].shape), list(out[1][1].shape)]
    p.step("batch_first_batched", lambda: shapes(layer(torch.zeros(4, 5, 3))))
    p.step("batch_first_unbatched", lambda: shapes(layer(torch.zeros(5, 3))))
    p.step("batch_zero", lambda: shapes(layer(torch.zeros(0, 5, 3))))


@scenario("torch")
def torch_errors(p):
    import torch
    nn = torch.nn
    p.step("input_feature_size", lambda: nn.LSTM(3, 2)(torch.zeros(4, 2, 4)))
    p.step("input_4d", lambda: nn.LSTM(3, 2)(torch.zeros(1, 4, 2, 3)))
    p.step("h0_batch", lambda: nn.RNN(3, 2)(torch.zeros(4, 2, 3), torch.zeros(1, 3, 2)))
    p.step("h0_2d_for_batched", lambda: nn.RNN(3, 2)(torch.zeros(4, 2, 3), torch.zeros(1, 2)))
    p.step("c0_size", lambda: nn.LSTM(3, 2)(torch.zeros(4, 2, 3), (torch.zeros(1, 2, 2), torch.zeros(1, 2, 3))))
    p.step("empty_sequence", lambda: nn.LSTM(3, 2)(torch.zeros(0, 2, 3)))
    p.step("num_layers_0", lambda: nn.LSTM(3, 2, num_layers=0))
    p.step("num_layers_float", lambda: nn.RNN(3, 2, num_layers=1.5))
    p.step("nonlinearity", lambda: nn.RNN(3, 2, nonlinearity="sigmoid"))
    p.step("input_dtype", lambda: nn.RNN(3, 2)(torch.zeros(4, 2, 3, dtype=torch.float64)))


# --- chainer -----------------------------------------------------------------------------

@scenario("chainer")
def chainer_lstm_gate_layout(p):
    """A pre-activation of 5 in one column at a time: which gate of which unit it feeds."""
    import chainer.functions as F
    for column in range(4):
        x = np.zeros((1, 8), np.float32)
        x[0, column] = 5.0
        p.step(f"column_{column}_c_from_c_prev_1", lambda: F.lstm(np.ones((1, 2), np.float32), x)[0])
    p.step("expected_if_a_i_f_o", lambda: {"a": [0.5 + np.tanh(5.0) * 0.5, 0.5], "i": [0.5, 0.5],
                                            "f": [1 / (1 + np.exp(-5.0)), 0.5], "o": [0.5, 0.5]})
    p.step("smaller_x_batch", lambda: [list(v.shape) for v in F.lstm(np.zeros((3, 2), np.float32),
                                                                   np.zeros((2, 8), np.float32))])
    p.step("one_dimensional", lambda: F.lstm(np.zeros(2, np.float32), np.zeros(8, np.float32)))
    p.step("x_width", lambda: F.lstm(np.zeros((2, 2), np.float32), np.zeros((2, 7), np.float32)))


@scenario("chainer")
def chainer_link(p):
    import chainer
    import chainer.links as L
    link = L.LSTM(3, 2)
    p.step("namedparams", lambda: [[n, list(w.shape)] for n, w in link.namedparams()])
    p.step("upward_b", lambda: link.upward.b.array)
    p.step("fresh_grad_is_nan", lambda: bool(np.isnan(link.upward.W.grad).all()))
    big = L.LSTM(200, 300)
    p.step("upward_W_std_times_sqrt_200", lambda: float(big.upward.W.array.std() * 200 ** 0.5))
    p.step("lateral_W_std_times_sqrt_300", lambda: float(big.lateral.W.array.std() * 300 ** 0.5))
    x = np.random.default_rng(0).standard_normal((2, 3)).astype(np.float32)
    y = link(x)
    first = chainer.functions.lstm(np.zeros((2, 2), np.float32), link.upward(x))[1]
    p.step("first_step_has_no_lateral_term", lambda: bool(np.array_equal(y.array, first.array)))
    link(x[:1])
    p.step("state_rows_after_smaller_batch", lambda: [list(link.h.shape), list(link.c.shape)])
    p.step("larger_batch", lambda: link(np.zeros((3, 3), np.float32)))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--framework", choices=sorted(SCENARIOS), required=True)
    args = parser.parse_args()
    module = __import__(args.framework)
    for name, fn in SCENARIOS[args.framework]:
        probe = Probe()
        fn(probe)
        print(json.dumps({"scenario": name, "framework": args.framework,
                          "version": module.__version__, "result": probe.result,
                          "warnings": probe.warnings}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
