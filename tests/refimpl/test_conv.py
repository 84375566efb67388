"""2-D convolution ``refimpl.functions.conv``: values against a direct loop over pixels, output
shapes from the definition of a window, gradients to second (and third) order, the invalid
configurations, the per-framework behaviours (dtypes, unbatched input), the committed probe
records of torch 2.13.0 / chainer 7.8.1, and torch ``F.conv2d`` / chainer ``F.convolution_2d``.
"""
import json
import os

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import refimpl
from refimpl import policies
import refimpl.functions as F
from refimpl.errors import InvalidType
from refimpl.functions.conv import conv2d, conv_transpose2d, convolution_2d, deconvolution_2d
from refimpl.gradient_check import check_backward, check_double_backward
from framework_imports import import_chainer as _import_chainer, import_torch as _import_torch

PROBES = os.path.join(os.path.dirname(__file__), "..", "..", "scripts", "probe_results")


# --------------------------------------------------------------------------------------
# The independent reference: a direct loop (tests only)
# --------------------------------------------------------------------------------------

def naive_conv2d(x, W, b, stride, pads, dilation, groups, out_size):
    """``y[n, o, p, q] = b[o] + sum_{c, i, j} W[o, c, i, j] x[n, gc + c, p s + i d - top,
    q s + j d - left]``, reading 0 outside x; ``pads`` = (top, left)."""
    n_batch, channels, height, width = x.shape
    out_channels, per_group, kh, kw = W.shape
    y = np.zeros((n_batch, out_channels) + tuple(out_size), dtype=np.result_type(x, W))
    for n in range(n_batch):
        for o in range(out_channels):
            first = (o // (out_channels // groups)) * per_group
            for p in range(out_size[0]):
                for q in range(out_size[1]):
                    total = 0 if b is None else b[o]
                    for c in range(per_group):
                        for i in range(kh):
                            for j in range(kw):
                                row = p * stride[0] + i * dilation[0] - pads[0]
                                col = q * stride[1] + j * dilation[1] - pads[1]
                                if 0 <= row < height and 0 <= col < width:
                                    total = total + W[o, c, i, j] * x[n, first + c, row, col]
                    y[n, o, p, q] = total
    return y


def windows_count(size, extent, stride, pad, cover_all):
    """Output length from the definition: the number of window starts 0, s, 2s, ... whose
    window fits in the padded input (floor), or, with cover_all, the fewest starts whose last
    window reaches the end of the padded input."""
    padded = size + 2 * pad
    count = 0
    while count * stride + extent <= padded:
        count += 1
    if cover_all:
        count = 1
        while (count - 1) * stride + extent < padded:
            count += 1
    return count


def pair(value):
    return (value, value) if isinstance(value, int) else tuple(value)


# --------------------------------------------------------------------------------------
# Strategies
# --------------------------------------------------------------------------------------

@st.composite
def conv_configs(draw, max_side=6):
    """A valid conv2d configuration on small float64 arrays."""
    groups = draw(st.integers(1, 3), label="groups")
    per_group = draw(st.integers(1, 2), label="in_per_group")
    out_channels = groups * draw(st.integers(1, 2), label="out_per_group")
    kernel = (draw(st.integers(1, 3), label="kh"), draw(st.integers(1, 3), label="kw"))
    stride = (draw(st.integers(1, 3), label="sy"), draw(st.integers(1, 3), label="sx"))
    dilation = (draw(st.integers(1, 2), label="dy"), draw(st.integers(1, 2), label="dx"))
    pad = (draw(st.integers(0, 2), label="py"), draw(st.integers(0, 2), label="px"))
    cover_all = draw(st.booleans(), label="cover_all")
    extents = [(k - 1) * d + 1 for k, d in zip(kernel, dilation)]
    sizes = [draw(st.integers(max(1, e - 2 * p), max(max_side, e)), label="size")
             for e, p in zip(extents, pad)]
    batch = draw(st.integers(1, 2), label="batch")
    seed = draw(st.integers(0, 2 ** 16), label="seed")
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((batch, groups * per_group) + tuple(sizes))
    W = rng.standard_normal((out_channels, per_group) + kernel)
    b = rng.standard_normal(out_channels) if draw(st.booleans(), label="bias") else None
    return dict(x=x, W=W, b=b, stride=stride, pad=pad, dilation=dilation, groups=groups,
                cover_all=cover_all)


def call(config, **overrides):
    """conv2d on the config, with any of its entries (x, W, b too) overridden."""
    config = dict(config, **overrides)
    x, W, b = config.pop("x"), config.pop("W"), config.pop("b")
    return conv2d(x, W, b, **config)


# --------------------------------------------------------------------------------------
# Values and shapes
# --------------------------------------------------------------------------------------

@given(config=conv_configs())
def test_output_shape_follows_the_window_definition(config):
    x, W = config["x"], config["W"]
    extents = [(k - 1) * d + 1 for k, d in zip(W.shape[2:], config["dilation"])]
    expected = tuple(windows_count(n, e, s, p, config["cover_all"]) for n, e, s, p
                     in zip(x.shape[2:], extents, config["stride"], config["pad"]))
    assert call(config).shape == (x.shape[0], W.shape[0]) + expected


@given(config=conv_configs())
def test_values_match_a_direct_loop(config):
    y = call(config)
    expected = naive_conv2d(config["x"], config["W"], config["b"], config["stride"],
                            config["pad"], config["dilation"], config["groups"], y.shape[2:])
    np.testing.assert_allclose(y.data, expected, rtol=1e-12, atol=1e-12)


def test_cover_all_reads_zero_padding_past_the_end():
    """H=6, k=3, s=2: floor gives 2 windows, chainer's cover_all 3; the third reads rows
    4, 5 and a zero row 6."""
    x = np.arange(36.0).reshape(1, 1, 6, 6)
    W = np.ones((1, 1, 3, 3))
    assert conv2d(x, W, stride=2).shape == (1, 1, 2, 2)
    y = conv2d(x, W, stride=2, cover_all=True)
    assert y.shape == (1, 1, 3, 3)
    assert y.data[0, 0, 2, 2] == x[0, 0, 4:, 4:].sum()


@pytest.mark.parametrize("kernel, dilation, expected_pads", [
    ((3, 3), (1, 1), ((1, 1), (1, 1))),
    ((2, 4), (1, 1), ((0, 1), (1, 2))),   # odd total: the extra row/column after
    ((2, 2), (3, 3), ((1, 2), (1, 2))),   # total d (k - 1) = 3
    ((1, 1), (1, 1), ((0, 0), (0, 0))),
])
def test_same_padding_is_torchs_asymmetric_rule(kernel, dilation, expected_pads):
    """'same' keeps H x W; total padding d (k - 1) per axis, floor half before (observed in
    torch 2.13.0: k=2 pads (top 0, bottom 1), k=4 pads (1, 2), k=2 d=3 pads (1, 2))."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 2, 5, 6))
    W = rng.standard_normal((3, 2) + kernel)
    y = conv2d(x, W, pad="same", dilation=dilation)
    (top, bottom), (left, right) = expected_pads
    padded = np.pad(x, ((0, 0), (0, 0), (top, bottom), (left, right)))
    expected = naive_conv2d(padded, W, None, (1, 1), (0, 0), dilation, 1, (5, 6))
    assert y.shape == (2, 3, 5, 6)
    np.testing.assert_allclose(y.data, expected, rtol=1e-12, atol=1e-12)


def test_valid_padding_is_no_padding():
    rng = np.random.default_rng(1)
    x, W = rng.standard_normal((1, 2, 5, 5)), rng.standard_normal((3, 2, 3, 2))
    np.testing.assert_array_equal(conv2d(x, W, pad="valid").data, conv2d(x, W).data)


def test_depthwise_convolution_filters_each_channel_alone():
    rng = np.random.default_rng(2)
    x, W = rng.standard_normal((2, 3, 5, 5)), rng.standard_normal((3, 1, 3, 3))
    y = conv2d(x, W, groups=3, pad=1)
    for c in range(3):
        alone = conv2d(x[:, c:c + 1], W[c:c + 1], pad=1)
        np.testing.assert_allclose(y.data[:, c:c + 1], alone.data, rtol=1e-12, atol=1e-12)


def test_chainer_names_give_the_same_result():
    rng = np.random.default_rng(3)
    x, W, b = rng.standard_normal((1, 4, 7, 7)), rng.standard_normal((2, 2, 3, 3)), np.ones(2)
    expected = conv2d(x, W, b, 2, 1, 2, 2, True)
    actual = convolution_2d(x, W, b, 2, 1, True, dilate=2, groups=2)
    np.testing.assert_array_equal(actual.data, expected.data)


# --------------------------------------------------------------------------------------
# Transposed convolution
# --------------------------------------------------------------------------------------

@given(config=conv_configs(max_side=5))
def test_transpose_is_the_adjoint_of_conv(config):
    """<conv(x, W), y> == <x, conv_transpose(y, W)> for any y: conv_transpose2d is the
    gradient of conv2d in x."""
    x, W = config["x"], config["W"]
    assume(not config["cover_all"])  # cover_all windows may reach past x: no transpose size
    y = call(config, b=None)
    r = np.random.default_rng(5).standard_normal(y.shape)
    back = conv_transpose2d(r, W, stride=config["stride"], pad=config["pad"],
                            dilation=config["dilation"], groups=config["groups"],
                            outsize=x.shape[2:])
    assert back.shape == x.shape
    np.testing.assert_allclose(np.sum(y.data * r), np.sum(x * back.data), rtol=1e-10)


def test_transpose_with_stride_output_padding_and_outsize():
    rng = np.random.default_rng(6)
    x = rng.standard_normal((1, 2, 3, 4))
    W = rng.standard_normal((2, 3, 3, 2))
    y = conv_transpose2d(x, W, stride=2, pad=1, output_padding=(1, 0))
    assert y.shape == (1, 3, 6, 6)  # (3 - 1) 2 - 2 + 3 + 1 = 6, (4 - 1) 2 - 2 + 2 = 6
    np.testing.assert_array_equal(deconvolution_2d(x, W, None, 2, 1, outsize=(6, 6)).data, y.data)
    # adjoint of the strided conv from the 6 x 6 output back to 3 x 4
    r = rng.standard_normal(y.shape)
    forward = conv2d(r, W, stride=2, pad=1)  # W (2, 3, ...) read as conv weights (O=2, C=3)
    np.testing.assert_allclose(np.sum(forward.data * x), np.sum(r * y.data), rtol=1e-10)


@pytest.mark.parametrize("kwargs, names", [
    (dict(stride=2, output_padding=2), "output_padding"),
    (dict(stride=2, outsize=(8, 8)), "outsize"),  # convolves back to 4 rows
    (dict(stride=2, outsize=(4, 4)), "outsize"),  # even with cover_all only 2 rows
    (dict(output_padding=1, outsize=(5, 5)), "output_padding"),
    (dict(pad=3), "output size"),
])
def test_transpose_rejects_bad_sizes(kwargs, names):
    with pytest.raises(ValueError, match=names):
        conv_transpose2d(np.ones((1, 1, 3, 3)), np.ones((1, 1, 2, 2)), **kwargs)


# --------------------------------------------------------------------------------------
# Gradients
# --------------------------------------------------------------------------------------

def _call_with(config):
    def f(*arrays):
        kwargs = {k: v for k, v in config.items() if k not in ("x", "W", "b")}
        return conv2d(*arrays, **kwargs)
    return f


@given(config=conv_configs(max_side=4))
def test_first_order_gradients(config):
    inputs = [config["x"], config["W"]] + ([config["b"]] if config["b"] is not None else [])
    f = _call_with(config)
    gy = np.random.default_rng(7).standard_normal(f(*inputs).shape)
    check_backward(f, inputs, [gy])


@given(config=conv_configs(max_side=4))
def test_second_order_gradients(config):
    inputs = [config["x"], config["W"]] + ([config["b"]] if config["b"] is not None else [])
    f = _call_with(config)
    rng = np.random.default_rng(8)
    gy = rng.standard_normal(f(*inputs).shape)
    check_double_backward(f, inputs, [gy], [rng.standard_normal(a.shape) for a in inputs])


def test_third_order_gradients_through_a_nonlinearity():
    """tanh(conv(x, W)): the second-order gradient function is checked with
    check_double_backward, which differentiates ConvTranspose2D's and Convolution2DGradW's
    own backward (third order of the conv)."""
    rng = np.random.default_rng(9)
    x, W = rng.standard_normal((1, 2, 4, 3)) * 0.5, rng.standard_normal((2, 1, 2, 2)) * 0.5
    gy = rng.standard_normal((1, 2, 3, 2))

    def first_order(x, W):
        y = F.tanh(conv2d(x, W, stride=(1, 2), pad=(0, 1), groups=2))
        return refimpl.grad(y, [x, W], gy, create_graph=True)

    outputs = first_order(refimpl.Variable(x, requires_grad=True),
                          refimpl.Variable(W, requires_grad=True))
    grad_outputs = [rng.standard_normal(g.shape) for g in outputs]
    check_double_backward(first_order, [x, W], grad_outputs,
                          [rng.standard_normal(x.shape), rng.standard_normal(W.shape)])


def test_bias_gradient_is_the_sum_over_batch_and_pixels():
    rng = np.random.default_rng(10)
    b = refimpl.Variable(np.zeros(3), requires_grad=True)
    y = conv2d(rng.standard_normal((2, 2, 4, 4)), rng.standard_normal((3, 2, 2, 2)), b)
    gy = rng.standard_normal(y.shape)
    F.sum(y * gy).backward()
    np.testing.assert_allclose(b.grad, gy.sum(axis=(0, 2, 3)), rtol=1e-12)


def test_zero_stride_output_gradient_is_handled():
    """The gradient of sum() reaches conv as a broadcast (zero-stride) array."""
    rng = np.random.default_rng(11)
    x = refimpl.Variable(rng.standard_normal((1, 2, 4, 4)), requires_grad=True)
    W = refimpl.Variable(rng.standard_normal((3, 2, 3, 3)), requires_grad=True)
    F.sum(conv2d(x, W, pad=1)).backward()
    ones = np.ones((1, 3, 4, 4))
    np.testing.assert_allclose(x.grad, conv_transpose2d(ones, W.data, pad=1).data, rtol=1e-12)


@given(config=conv_configs(max_side=4))
def test_a_second_backward_through_a_retained_graph_gathers_the_columns_again(config):
    """The backward drops the forward's columns once the gradient in W has them; a second
    backward (retain_graph) gathers them again: it adds exactly the first one's gradients."""
    rng = np.random.default_rng(12)
    config = dict(config)
    arrays = {name: config.pop(name) for name in ("x", "W", "b")}
    leaves = {name: refimpl.Variable(a, requires_grad=True) for name, a in arrays.items()
              if a is not None}
    y = conv2d(leaves["x"], leaves["W"], leaves.get("b"), **config)
    loss = F.sum(y * rng.standard_normal(y.shape))
    loss.backward(retain_graph=True)
    assert y.creator.columns is None  # not held while the graph is
    first = {name: v.grad.copy() for name, v in leaves.items()}
    loss.backward()
    for name, v in leaves.items():
        np.testing.assert_array_equal(v.grad, 2 * first[name], err_msg=name)


# --------------------------------------------------------------------------------------
# Invalid configurations
# --------------------------------------------------------------------------------------

INVALID = [  # (x shape, W shape, b shape, kwargs, words the message must contain)
    ((1, 1, 3, 3), (1, 1, 4, 4), None, {}, "larger than the padded input"),
    ((1, 1, 3, 3), (1, 1, 6, 6), None, dict(pad=1), "larger than the padded input"),
    ((1, 1, 4, 4), (1, 1, 3, 3), None, dict(dilation=2), "dilation=(2, 2)"),
    ((1, 3, 5, 5), (4, 1, 3, 3), None, dict(groups=2), "not divisible by groups=2"),
    ((1, 4, 5, 5), (3, 2, 3, 3), None, dict(groups=2), "W.shape[0]=3"),
    ((1, 4, 5, 5), (4, 3, 3, 3), None, {}, "W.shape[1] * groups"),
    ((1, 4, 5, 5), (4, 4, 3, 3), None, dict(groups=2), "W.shape[1] * groups"),
    ((1, 4, 5, 5), (4, 4, 3, 3), None, dict(groups=0), "groups=0"),
    ((1, 1, 5, 5), (1, 1, 3, 3), None, dict(stride=0), "stride=0"),
    ((1, 1, 5, 5), (1, 1, 3, 3), None, dict(stride=(1, -1)), "stride=(1, -1)"),
    ((1, 1, 5, 5), (1, 1, 3, 3), None, dict(dilation=0), "dilation=0"),
    ((1, 1, 5, 5), (1, 1, 3, 3), None, dict(dilation=-1), "dilation=-1"),
    ((1, 1, 5, 5), (1, 1, 3, 3), None, dict(pad=-1), "pad=-1"),
    ((1, 1, 5, 5), (1, 1, 3, 3), None, dict(stride=1.5), "stride=1.5"),
    ((1, 1, 1, 5, 5), (1, 1, 3, 3), None, {}, "x.shape=(1, 1, 1, 5, 5)"),
    ((1, 1, 5, 5), (1, 3, 3), None, {}, "W.shape=(1, 3, 3)"),
    ((1, 1, 5, 5), (1, 1, 0, 3), None, {}, "kernel must not be empty"),
    ((1, 1, 5, 5), (2, 1, 3, 3), (3,), {}, "b.shape=(3,)"),
    ((1, 1, 5, 5), (1, 1, 3, 3), None, dict(stride=2, pad="same"), "stride=(2, 2)"),
    ((1, 1, 5, 5), (1, 1, 3, 3), None, dict(pad="full"), "pad='full'"),
]


@pytest.mark.parametrize("semantics", ["torch", "chainer"])
@pytest.mark.parametrize("x_shape, W_shape, b_shape, kwargs, words", INVALID)
def test_invalid_configurations_raise_value_error(semantics, x_shape, W_shape, b_shape, kwargs,
                                                  words):
    """ValueError naming the argument; a channel mismatch is the policy's 'shape' error and a
    non-positive stride/dilation (or negative pad) its 'value' error (torch RuntimeError, chainer
    InvalidType / ValueError: tests/refimpl/test_error_classes.py checks them on the frameworks)."""
    b = None if b_shape is None else np.ones(b_shape)
    with refimpl.semantics(semantics), pytest.raises((ValueError, RuntimeError,
                                                      refimpl.InvalidType)) as raised:
        conv2d(np.ones(x_shape), np.ones(W_shape), b, **kwargs)
    assert words in str(raised.value)
    if type(raised.value) is not ValueError:
        kind = "shape" if "groups" in words else "value"
        assert type(raised.value).__name__ == dict(policies.get_policy(semantics).error_classes)[kind]


def test_unbatched_input_follows_the_framework():
    """torch accepts a 3-D (C, H, W) input; chainer's type check raises (probe records)."""
    rng = np.random.default_rng(12)
    x, W = rng.standard_normal((2, 5, 5)), rng.standard_normal((3, 2, 3, 3))
    with refimpl.semantics("torch"):
        y = conv2d(x, W)
    np.testing.assert_allclose(y.data, conv2d(x[None], W).data[0], rtol=1e-12)
    with refimpl.semantics("chainer"), pytest.raises(ValueError, match="4-D"):
        conv2d(x, W)
    with refimpl.semantics("chainer"):
        assert conv2d(x, W, allow_unbatched=True).shape == (3, 3, 3)


def test_mixed_dtypes_follow_the_framework():
    """torch raises; chainer computes in x's dtype and gives W a gradient of W's dtype."""
    x = np.ones((1, 1, 4, 4), dtype=np.float32)
    W = np.full((1, 1, 3, 3), 0.5)
    with refimpl.semantics("torch"), pytest.raises(RuntimeError, match="W.dtype=float64"):
        conv2d(x, W)
    with refimpl.semantics("chainer"):
        xv, Wv = refimpl.Variable(x), refimpl.Variable(W)
        y = conv2d(xv, Wv)
        F.sum(y).backward()
    assert y.dtype == np.float32 and xv.grad.dtype == np.float32 and Wv.grad.dtype == np.float64
    np.testing.assert_array_equal(y.data, np.full((1, 1, 2, 2), 4.5, dtype=np.float32))
    for semantics, error in (("torch", RuntimeError), ("chainer", InvalidType)):  # probe records
        with refimpl.semantics(semantics), pytest.raises(error, match="b.dtype"):
            conv2d(x, W.astype(np.float32), np.zeros(1))


def test_integer_inputs_follow_the_framework():
    """torch computes integer convolutions; chainer's type check wants floats."""
    x = np.arange(25, dtype=np.int64).reshape(1, 1, 5, 5)
    W = np.ones((1, 1, 2, 2), dtype=np.int64)
    with refimpl.semantics("torch"):
        y = conv2d(x, W)
    assert y.dtype == np.int64
    np.testing.assert_array_equal(y.data, naive_conv2d(x, W, None, (1, 1), (0, 0), (1, 1), 1,
                                                       (4, 4)))
    with refimpl.semantics("chainer"), pytest.raises(InvalidType):
        conv2d(x, W)


# --------------------------------------------------------------------------------------
# The committed probe records: refimpl raises exactly where each framework raised
# --------------------------------------------------------------------------------------

def _probe_records(framework):
    paths = [p for p in os.listdir(PROBES) if p.startswith(f"conv-{framework}-")]
    if not paths:
        pytest.skip(f"no probe records for {framework} under {PROBES}")
    with open(os.path.join(PROBES, sorted(paths)[-1])) as handle:
        return [r for r in map(json.loads, handle) if r["scenario"].startswith("conv2d.")]


def _expressible(framework, config):
    """Whether the framework has the config's arguments (torch: no cover_all; chainer: no
    string padding)."""
    if framework == "torch":
        return not config["cover_all"]
    return not isinstance(config["pad"], str)


#: Configs where refimpl deliberately raises although the framework computes something.
KNOWN_DIVERGENCES = {
    # chainer 7.8.1 accepts an empty (kh = 0) kernel and returns the bias on a (H + 1) x W
    # grid (get_conv_outsize with dk = 0); torch raises 'kernel size should be greater than
    # zero'. refimpl raises: no sensible convolution to model.
    ("chainer", "conv2d.kernel_empty"),
}


@pytest.mark.parametrize("framework", ["torch", "chainer"])
def test_refimpl_raises_where_the_framework_raised(framework):
    checked = 0
    for record in _probe_records(framework):
        config = record["config"]
        if not _expressible(framework, config) or (framework, record["scenario"]) in \
                KNOWN_DIVERGENCES:
            continue
        rng = np.random.default_rng(0)
        x = rng.standard_normal(config["x"]).astype(config["dtype"])
        W = rng.standard_normal(config["w"]).astype(config["w_dtype"])
        b = (None if config["b"] is None
             else rng.standard_normal(config["b"]).astype(config["dtype"]))
        pad = config["pad"] if isinstance(config["pad"], (int, str)) else tuple(config["pad"])
        stride, dilation = (v if isinstance(v, int) else tuple(v)
                            for v in (config["stride"], config["dilation"]))
        with refimpl.semantics(framework):
            try:
                shape = list(conv2d(x, W, b, stride, pad, dilation, config["groups"],
                                    config["cover_all"]).shape)
            except (ValueError, TypeError, RuntimeError, InvalidType) as error:
                shape = f"raises {type(error).__name__}"
        expected = record["result"].get("shape", "raises")
        if isinstance(expected, list):
            assert shape == expected, (record["scenario"], record["result"])
        else:
            assert isinstance(shape, str), (record["scenario"], shape, record["result"])
        checked += 1
    assert checked >= 30


# --------------------------------------------------------------------------------------
# The real frameworks
# --------------------------------------------------------------------------------------

FRAMEWORK_CONFIGS = [  # x shape, W shape, bias, kwargs
    ((2, 3, 7, 7), (4, 3, 3, 3), True, dict(stride=2, pad=1)),
    ((1, 4, 6, 5), (6, 2, 3, 2), True, dict(stride=(1, 2), pad=(1, 0), dilation=(2, 1), groups=2)),
    ((2, 4, 5, 5), (4, 1, 3, 3), False, dict(groups=4, pad=1)),
    ((1, 2, 5, 6), (3, 2, 2, 4), True, dict(pad="same")),
    ((1, 2, 6, 6), (1, 2, 2, 2), False, dict(pad="same", dilation=3)),
]

# float64 on both sides; sums in different orders differ by a few ulps of values of order 10.
TOL = dict(rtol=1e-10, atol=1e-10)


def _arrays(x_shape, W_shape, bias, seed=13):
    rng = np.random.default_rng(seed)
    x, W = rng.standard_normal(x_shape), rng.standard_normal(W_shape)
    return x, W, (rng.standard_normal(W_shape[0]) if bias else None)


def _refimpl_grads(x, W, b, gy, **kwargs):
    leaves = [refimpl.Variable(a, requires_grad=True) for a in (x, W, b) if a is not None]
    y = conv2d(*leaves, **kwargs) if b is not None else conv2d(leaves[0], leaves[1], **kwargs)
    F.sum(y * gy).backward()
    return y.data, [v.grad for v in leaves]


@pytest.mark.frameworks
@pytest.mark.parametrize("x_shape, W_shape, bias, kwargs", FRAMEWORK_CONFIGS)
def test_matches_torch_conv2d(x_shape, W_shape, bias, kwargs):
    torch = _import_torch()
    x, W, b = _arrays(x_shape, W_shape, bias)
    tensors = [torch.tensor(a, requires_grad=True) for a in (x, W, b) if a is not None]
    torch_kwargs = {("padding" if k == "pad" else k): v for k, v in kwargs.items()}
    y = torch.nn.functional.conv2d(tensors[0], tensors[1], tensors[2] if bias else None,
                                   **torch_kwargs)
    gy = np.random.default_rng(14).standard_normal(tuple(y.shape))
    (y * torch.tensor(gy)).sum().backward()
    with refimpl.semantics("torch"):
        value, grads = _refimpl_grads(x, W, b, gy, **kwargs)
    np.testing.assert_allclose(value, y.detach().numpy(), **TOL)
    for grad, tensor in zip(grads, tensors):
        np.testing.assert_allclose(grad, tensor.grad.numpy(), **TOL)


@pytest.mark.frameworks
def test_second_order_matches_torch():
    """d/d(x, W) of <grad_x conv, r> against torch's double backward."""
    torch = _import_torch()
    x, W, _ = _arrays((1, 2, 5, 5), (2, 1, 3, 3), False)
    rng = np.random.default_rng(15)
    kwargs = dict(stride=2, pad=1, groups=2)
    gy = rng.standard_normal((1, 2, 3, 3))
    r = rng.standard_normal(x.shape)
    tx, tW = (torch.tensor(a, requires_grad=True) for a in (x, W))
    ty = torch.nn.functional.conv2d(tx, tW, stride=2, padding=1, groups=2)
    (tgx,) = torch.autograd.grad(ty, tx, torch.tensor(gy), create_graph=True)
    expected = torch.autograd.grad((tgx * torch.tensor(r)).sum(), [tW])
    with refimpl.semantics("torch"):
        rx, rW = (refimpl.Variable(a, requires_grad=True) for a in (x, W))
        (gx,) = refimpl.grad(conv2d(rx, rW, **kwargs), [rx], gy, create_graph=True)
        (gW,) = refimpl.grad(F.sum(gx * r), [rW])
    np.testing.assert_allclose(gW.data, expected[0].numpy(), **TOL)


@pytest.mark.frameworks
@pytest.mark.parametrize("x_shape, W_shape, bias, kwargs", [
    c for c in FRAMEWORK_CONFIGS if not isinstance(c[3].get("pad"), str)] + [
    ((1, 1, 6, 6), (2, 1, 3, 3), True, dict(stride=2, cover_all=True)),
    ((1, 2, 10, 9), (2, 1, 3, 3), False, dict(stride=3, dilation=2, groups=2, cover_all=True)),
])
def test_matches_chainer_convolution_2d(x_shape, W_shape, bias, kwargs):
    chainer = _import_chainer()
    x, W, b = _arrays(x_shape, W_shape, bias)
    variables = [chainer.Variable(a.copy()) for a in (x, W, b) if a is not None]
    chainer_kwargs = {("dilate" if k == "dilation" else k): v for k, v in kwargs.items()}
    y = chainer.functions.convolution_2d(variables[0], variables[1],
                                         variables[2] if bias else None, **chainer_kwargs)
    gy = np.random.default_rng(16).standard_normal(y.shape)
    chainer.functions.sum(y * gy).backward()
    with refimpl.semantics("chainer"):
        value, grads = _refimpl_grads(x, W, b, gy, **kwargs)
    np.testing.assert_allclose(value, y.array, **TOL)
    for grad, variable in zip(grads, variables):
        np.testing.assert_allclose(grad, variable.grad, **TOL)


@pytest.mark.frameworks
def test_conv_transpose_matches_torch_and_chainer():
    torch, chainer = _import_torch(), _import_chainer()
    rng = np.random.default_rng(17)
    x, W, b = rng.standard_normal((2, 4, 3, 4)), rng.standard_normal((4, 3, 3, 2)), np.ones(6)
    expected_torch = torch.nn.functional.conv_transpose2d(
        torch.tensor(x), torch.tensor(W), torch.tensor(b), stride=2, padding=1,
        output_padding=(1, 0), groups=2, dilation=1)
    actual = conv_transpose2d(x, W, b, stride=2, pad=1, groups=2, output_padding=(1, 0))
    np.testing.assert_allclose(actual.data, expected_torch.numpy(), **TOL)
    for outsize in [(6, 6), (5, 7), (4, 6)]:  # 4 rows fit by the cover_all rule only
        expected_chainer = chainer.functions.deconvolution_2d(x, W, b, stride=2, pad=1,
                                                              outsize=outsize, groups=2)
        actual = deconvolution_2d(x, W, b, stride=2, pad=1, outsize=outsize, groups=2)
        np.testing.assert_allclose(actual.data, expected_chainer.array, **TOL)
    with pytest.raises(Exception):
        chainer.functions.deconvolution_2d(x, W, b, stride=2, pad=1, outsize=(3, 6), groups=2)
    with pytest.raises(ValueError, match="outsize"):
        deconvolution_2d(x, W, b, stride=2, pad=1, outsize=(3, 6), groups=2)
