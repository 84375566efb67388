"""refimpl's issue-17 layers: ``functions.conv_more`` (conv1d, conv3d, depthwise), ``functions.
layers_more`` (prelu, maxout, bilinear), ``functions.gru`` and ``nn.layers_more``: values
against direct loops written here (independent of any engine), gradients to second order by
central differences, and the arguments they reject. The per-framework conventions are
tested per policy in ``test_policies.py``."""
import itertools

import numpy as np
import pytest

import refimpl
import refimpl.functions as F
from refimpl.functions import gru as G
from refimpl.gradient_check import check_backward, check_double_backward
from refimpl.nn.layers_more import GRU, ConvTranspose2d, GRUCell, Highway

RNG = np.random.default_rng(17)


def naive_conv_nd(x, W, b, stride, pad, dilation, groups):
    """A direct loop over output positions: ``y[n, o, p...] = b[o] + sum W[o, c, k...]
    x[n, g C/G + c, p s + k d - pad...]``, 0 outside x."""
    spatial = x.ndim - 2
    stride, pad, dilation = ((v,) * spatial if isinstance(v, int) else v
                             for v in (stride, pad, dilation))
    out = [(n + 2 * p - (k - 1) * d - 1) // s + 1 for n, k, s, p, d in
           zip(x.shape[2:], W.shape[2:], stride, pad, dilation)]
    per_group, out_per_group = W.shape[1], W.shape[0] // groups
    y = np.zeros((x.shape[0], W.shape[0]) + tuple(out))
    for n, o in itertools.product(range(x.shape[0]), range(W.shape[0])):
        first = (o // out_per_group) * per_group
        for position in itertools.product(*map(range, out)):
            total = 0.0 if b is None else b[o]
            for c in range(per_group):
                for tap in itertools.product(*map(range, W.shape[2:])):
                    at = [p * s + k * d - q for p, s, k, d, q in
                          zip(position, stride, tap, dilation, pad)]
                    if all(0 <= a < n_ for a, n_ in zip(at, x.shape[2:])):
                        total += W[(o, c) + tap] * x[(n, first + c) + tuple(at)]
            y[(n, o) + position] = total
    return y


@pytest.mark.parametrize("spatial, groups, stride, pad, dilation", [
    (1, 1, 1, 0, 1), (1, 2, 2, 1, 2), (3, 1, 1, 1, 1), (3, 2, (1, 2, 1), (0, 1, 1), (2, 1, 1)),
])
def test_conv_nd_values_match_a_direct_loop(spatial, groups, stride, pad, dilation):
    x = RNG.standard_normal((2, 2 * groups) + (5,) * spatial)
    W = RNG.standard_normal((2 * groups, 2) + (2,) * spatial)
    b = RNG.standard_normal(2 * groups)
    function = F.conv1d if spatial == 1 else F.conv3d
    y = function(x, W, b, stride=stride, pad=pad, dilation=dilation, groups=groups)
    np.testing.assert_allclose(y.data, naive_conv_nd(x, W, b, stride, pad, dilation, groups),
                               rtol=1e-12, atol=1e-12)


def test_conv3d_cover_all_adds_the_last_window():
    x = np.arange(5, dtype=np.float64).reshape(1, 1, 5, 1, 1)
    W = np.ones((1, 1, 2, 1, 1))
    assert F.conv3d(x, W, stride=2).data.ravel().tolist() == [1.0, 5.0]
    assert F.conv3d(x, W, stride=2, cover_all=True).data.ravel().tolist() == [1.0, 5.0, 4.0]


@pytest.mark.parametrize("function, shapes", [
    (lambda x, W: F.conv1d(x, W, stride=2, pad=1), ((1, 2, 4), (2, 2, 2))),
    (lambda x, W: F.conv3d(x, W, pad=1, dilation=(2, 1, 1)), ((1, 1, 3, 2, 2), (1, 1, 2, 2, 1))),
    (lambda x, W: F.depthwise_conv2d(x, W, layout="multiplier_first"), ((1, 2, 3, 3), (2, 2, 2, 2))),
    (lambda x, W: F.prelu(x, W), ((2, 3), (3,))),
    (lambda x, W: F.bilinear(x, x[:, :2], W, layout="in1_in2_out"), ((2, 3), (3, 2, 2))),
])
def test_gradients_to_second_order(function, shapes):
    x, W = (RNG.standard_normal(shape) for shape in shapes)
    x = np.where(np.abs(x) < 0.1, 0.5, x)  # off prelu's kink at 0
    outputs = function(x, W).shape
    gy = RNG.standard_normal(outputs)
    check_backward(function, (x, W), gy)
    check_double_backward(function, (x, W), gy, (RNG.standard_normal(x.shape),
                                                  RNG.standard_normal(W.shape)))


def test_maxout_takes_the_largest_of_each_run():
    x = np.array([[1.0, 5.0, 2.0, 0.0, -1.0, 3.0]])
    assert F.maxout(x, 3).data.tolist() == [[5.0, 3.0]]
    assert F.maxout(x.reshape(1, 2, 3), 3, axis=2).data.tolist() == [[[5.0], [3.0]]]
    with pytest.raises(ValueError, match="pool_size=4"):
        F.maxout(x, 4)
    variable = refimpl.Variable(x, requires_grad=True)
    F.sum(F.maxout(variable, 2)).backward()
    assert variable.grad.tolist() == [[0.0, 1.0, 1.0, 0.0, 0.0, 1.0]]


def test_bilinear_with_linear_terms_and_bias():
    x1, x2 = np.array([[1.0, 2.0]]), np.array([[3.0]])
    W = np.array([[[1.0], [2.0]]])  # torch layout (out=1, in1=2, in2=1)
    V1, V2, b = np.array([[10.0], [20.0]]), np.array([[100.0]]), np.array([0.5])
    y = F.bilinear(x1, x2, W, b, V1, V2, layout="out_in1_in2")
    assert y.data.tolist() == [[(1 * 1 * 3 + 2 * 2 * 3) + (10 + 40) + 300 + 0.5]]
    with pytest.raises(ValueError, match="give V1 and V2 together"):
        F.bilinear(x1, x2, W, b, V1)


def naive_gru_step(x, h, W_ih, W_hh, b_ih, b_hh):
    """torch's documented GRU step, written out per gate."""
    sigmoid = lambda v: 1 / (1 + np.exp(-v))  # noqa: E731
    H = h.shape[-1]
    gi, gh = x @ W_ih.T + b_ih, h @ W_hh.T + b_hh
    r = sigmoid(gi[:, :H] + gh[:, :H])
    z = sigmoid(gi[:, H:2 * H] + gh[:, H:2 * H])
    n = np.tanh(gi[:, 2 * H:] + r * gh[:, 2 * H:])
    return (1 - z) * n + z * h


def test_gru_sequence_matches_the_step_written_out():
    T, B, I, H = 3, 2, 2, 3
    weights = [RNG.standard_normal(s) for s in ((3 * H, I), (3 * H, H), (3 * H,), (3 * H,))]
    x, h0 = RNG.standard_normal((T, B, I)), RNG.standard_normal((1, B, H))
    output, h_n = G.gru(x, [tuple(weights)], h0)
    h, expected = h0[0], []
    for t in range(T):
        h = naive_gru_step(x[t], h, *weights)
        expected.append(h)
    np.testing.assert_allclose(output.data, np.stack(expected), rtol=1e-12)
    np.testing.assert_allclose(h_n.data[0], h, rtol=1e-12)


def test_gru_cell_gradients_to_second_order():
    weights = [RNG.standard_normal(s) for s in ((6, 2), (6, 2), (6,), (6,))]
    for reset, update in itertools.product(G.RESET_GATES, G.UPDATE_GATES):
        def cell(x, h):
            return G.gru_cell(x, h, *weights, reset_gate=reset, update_gate=update)
        x, h = RNG.standard_normal((2, 2)), RNG.standard_normal((2, 2))
        gy = RNG.standard_normal((2, 2))
        check_backward(cell, (x, h), gy)
        check_double_backward(cell, (x, h), gy, (RNG.standard_normal((2, 2)),
                                                 RNG.standard_normal((2, 2))))


def test_layers_build_and_run():
    with refimpl.semantics("torch"):
        gru = GRU(2, 3, num_layers=2, bidirectional=True, rng=0)
        output, h_n = gru(refimpl.Variable(np.ones((4, 1, 2), np.float32)))
        assert output.shape == (4, 1, 6) and h_n.shape == (4, 1, 3)
        assert GRUCell(2, 3, rng=0)(np.ones((1, 2), np.float32)).shape == (1, 3)
        layer = ConvTranspose2d(2, 4, 3, stride=2, groups=2, rng=0)
        assert layer.weight.shape == (2, 2, 3, 3)
        assert layer(np.ones((1, 2, 3, 3), np.float32), (8, 7)).shape == (1, 4, 8, 7)
    with refimpl.semantics("chainer"):
        highway = Highway(3, rng=0)
        assert highway.transform.bias.data.tolist() == [-1.0, -1.0, -1.0]
        assert highway.plain.bias.data.tolist() == [0.0, 0.0, 0.0]
        x = np.ones((2, 3), np.float32)
        t = 1 / (1 + np.exp(-(x @ highway.transform.weight.data.T - 1)))
        expected = np.maximum(x @ highway.plain.weight.data.T, 0) * t + x * (1 - t)
        np.testing.assert_allclose(highway(x).data, expected, rtol=1e-6)


@pytest.mark.parametrize("call, message", [
    (lambda: F.conv1d(np.ones((1, 1, 4, 1)), np.ones((1, 1, 2))), "conv1d: x must be 3-D"),
    (lambda: F.conv3d(np.ones((1, 1, 2, 2, 2)), np.ones((1, 1, 3, 1, 1))),
     "conv3d: the dilated kernel depth 3"),
    (lambda: F.conv3d(np.ones((1, 1, 2, 2, 2)), np.ones((1, 1, 1, 1, 1)), stride=(1, 1)),
     "stride must be an int or a tuple of 3 ints"),
    (lambda: F.depthwise_conv2d(np.ones((1, 2, 2, 2)), np.ones((3, 1, 1, 1)), layout="grouped"),
     r"W must be \(C \* multiplier, 1, kh, kw\)"),
    (lambda: F.gru_cell(np.ones((1, 2)), None, np.ones((5, 2)), np.ones((5, 1))),
     "W_hh must have shape"),
])
def test_bad_arguments_name_themselves(call, message):
    with pytest.raises(ValueError, match=message):
        call()
