"""Hypothesis strategies of the issue-17 layer subjects (``conformance.subjects.layers_more``):
1-D/3-D and depthwise convolution, PReLU, Maxout and the bilinear form as functions;
convolution, dilated, depthwise and transposed-convolution layers, Highway, the GRU cell
and the recurrent layers as runs.

Conventions as ``conformance.subjects.layer_strategies`` (keyword-only arguments, labelled
draws, values on the grid of 1/32, small shapes: at most ``MAX_ELEMENTS`` input elements).
Layer API features read here (``Plugin.features``; a weight is drawn in the layout of the
API that is called, and refimpl reads it under the policy modelling that API):

- ``cover_all``: conv1d/conv3d take ``cover_all`` (chainer).
- ``depthwise_weight_multiplier_first``: the depthwise weight is (m, C, kh, kw) (chainer's
  ``F.depthwise_convolution_2d``); otherwise (C m, 1, kh, kw) (torch's grouped conv2d).
- ``prelu_slope_leading_axes``: prelu's W has the shape of ``x.shape[1:1 + k]`` (chainer);
  otherwise one element or one per channel (torch).
- ``bilinear_weight_in1_in2_out``: the bilinear W is (in1, in2, out) (chainer); otherwise
  (out, in1, in2) (torch). ``bilinear_linear_terms``: V1, V2 and b come together (chainer).
- ``conv_transpose_outsize`` / ``conv_transpose_output_padding``: the deconvolution layer's
  explicit output size may be below the natural size (chainer's ``outsize``) or only
  natural .. natural + stride - 1 (torch's ``output_size``).
- ``unbatched_input``: the GRU cell takes one unbatched sample (torch).
"""
import math

import numpy
from hypothesis import assume
from hypothesis import strategies as st

from .layer_strategies import (
    GRID,
    MAX_ELEMENTS,
    ConvConfig,
    conv_configs,
    conv_outsize,
    distinct_values,
    grid_values,
    pair,
)
from .strategies import Sample, composite


def _per_axis(draw, values, label, axes):
    """An int, or a tuple of ``axes`` ints, each from ``values``."""
    if axes > 1 and draw(st.booleans(), label=f"{label} per axis"):
        return tuple(draw(st.sampled_from(values), label=f"{label}[{i}]") for i in range(axes))
    return draw(st.sampled_from(values), label=label)


def _tuple(value, axes):
    return tuple(value) if isinstance(value, (tuple, list)) else (value,) * axes


# =============================================================================================
# Functions
# =============================================================================================

@composite
def conv_nd_samples(draw, *, features, spatial):
    """A valid ``spatial``-D convolution (1 or 3): ``Sample({x, W[, b]}, {stride, pad,
    dilation, groups[, cover_all]})`` with W ``(O, C / groups, k...)``."""
    groups = draw(st.sampled_from([1, 1, 2]), label="groups")
    in_channels = groups * draw(st.integers(1, 2), label="in channels per group")
    out_channels = groups * draw(st.integers(1, 2), label="out channels per group")
    largest_kernel = 3 if spatial == 1 else 2
    kernel = tuple(draw(st.integers(1, largest_kernel), label=f"k[{i}]") for i in range(spatial))
    stride = _per_axis(draw, [1, 1, 2], "stride", spatial)
    dilation = _per_axis(draw, [1, 1, 2], "dilation", spatial)
    pad = _per_axis(draw, [0, 0, 1], "pad", spatial)
    kwargs = {"stride": stride, "pad": pad, "dilation": dilation, "groups": groups}
    if "cover_all" in features:
        kwargs["cover_all"] = draw(st.booleans(), label="cover_all")
    extents = [(k - 1) * d + 1 for k, d in zip(kernel, _tuple(dilation, spatial))]
    sizes = tuple(draw(st.integers(max(1, e - 2 * p), max(1, e - 2 * p) + (4 if spatial == 1
                                                                               else 2)),
                       label=f"size[{i}]")
                  for i, (e, p) in enumerate(zip(extents, _tuple(pad, spatial))))
    batch = draw(st.integers(1, 2), label="batch")
    x_shape = (batch, in_channels) + sizes
    assume(math.prod(x_shape) <= MAX_ELEMENTS)
    inputs = {"x": draw(grid_values(shape=x_shape, label="x")),
              "W": draw(grid_values(shape=(out_channels, in_channels // groups) + kernel,
                                    label="W"))}
    if draw(st.booleans(), label="bias"):
        inputs["b"] = draw(grid_values(shape=(out_channels,), label="b"))
    return Sample(inputs, kwargs)


@composite
def depthwise_samples(draw, *, features):
    """A depthwise convolution: C channels, multiplier m, W in the API's layout."""
    channels = draw(st.integers(1, 3), label="channels")
    multiplier = draw(st.integers(1, 2), label="multiplier")
    kernel = (draw(st.integers(1, 3), label="kh"), draw(st.integers(1, 3), label="kw"))
    stride = _per_axis(draw, [1, 1, 2], "stride", 2)
    pad = _per_axis(draw, [0, 0, 1], "pad", 2)
    sizes = tuple(draw(st.integers(max(1, k - 2 * p), max(1, k - 2 * p) + 3), label=name)
                  for k, p, name in zip(kernel, pair(pad), ("H", "W")))
    x_shape = (draw(st.integers(1, 2), label="batch"), channels) + sizes
    assume(math.prod(x_shape) <= MAX_ELEMENTS)
    if "depthwise_weight_multiplier_first" in features:
        w_shape = (multiplier, channels) + kernel
    else:
        w_shape = (channels * multiplier, 1) + kernel
    inputs = {"x": draw(grid_values(shape=x_shape, label="x")),
              "W": draw(grid_values(shape=w_shape, label="W"))}
    if draw(st.booleans(), label="bias"):
        inputs["b"] = draw(grid_values(shape=(channels * multiplier,), label="b"))
    return Sample(inputs, {"stride": stride, "pad": pad})


def _nonzero(values):
    """Grid values with 0 moved to 1/GRID (prelu's kink at 0 is a behaviour case)."""
    return numpy.where(values == 0, 1 / GRID, values)


@composite
def prelu_samples(draw, *, features):
    """``prelu(x, W)``: x of 2 to 4 axes (no element at the kink 0), W in a shape the API
    takes."""
    ndim = draw(st.integers(2, 4), label="x.ndim")
    shape = tuple(draw(st.integers(1, 3), label=f"x.shape[{i}]") for i in range(ndim))
    if "prelu_slope_leading_axes" in features:
        w_shape = shape[1:1 + draw(st.integers(0, min(2, ndim - 1)), label="W.ndim")]
    else:
        w_shape = (shape[1],) if draw(st.booleans(), label="one slope per channel") else (1,)
    return Sample({"x": _nonzero(draw(grid_values(shape=shape, label="x"))),
                   "W": draw(grid_values(shape=w_shape, label="W"))}, {})


@composite
def maxout_samples(draw, *, features):
    """``maxout(x, pool_size, axis)``: distinct values (no ties), the pooled axis a multiple
    of pool_size. Non-negative axes only: chainer 7.8.1's ``F.maxout`` reshapes to
    ``x.shape[:axis] + (C // p, p) + x.shape[axis + 1:]``, which a negative axis breaks
    (``axis=-1`` of a (1, 2) input: InvalidType from Reshape)."""
    ndim = draw(st.integers(2, 3), label="x.ndim")
    axis = draw(st.sampled_from([1, 1, ndim - 1]), label="axis")
    pool_size = draw(st.integers(1, 3), label="pool_size")
    shape = [draw(st.integers(1, 3), label=f"x.shape[{i}]") for i in range(ndim)]
    shape[axis] = pool_size * draw(st.integers(1, 2), label="pools")
    return Sample({"x": draw(distinct_values(shape=tuple(shape), label="x"))},
                  {"pool_size": pool_size, "axis": axis})


@composite
def bilinear_samples(draw, *, features):
    """``bilinear(x1, x2, W[, b][, V1, V2])``: W in the API's layout; an API with
    ``bilinear_linear_terms`` takes V1, V2 and b all or none."""
    batch, in1, in2, out = (draw(st.integers(1, 3), label=name)
                            for name in ("batch", "in1", "in2", "out"))
    w_shape = ((in1, in2, out) if "bilinear_weight_in1_in2_out" in features
               else (out, in1, in2))
    inputs = {"x1": draw(grid_values(shape=(batch, in1), label="x1")),
              "x2": draw(grid_values(shape=(batch, in2), label="x2")),
              "W": draw(grid_values(shape=w_shape, label="W"))}
    if draw(st.booleans(), label="bias"):
        inputs["b"] = draw(grid_values(shape=(out,), label="b"))
        if "bilinear_linear_terms" in features:
            inputs["V1"] = draw(grid_values(shape=(in1, out), label="V1"))
            inputs["V2"] = draw(grid_values(shape=(in2, out), label="V2"))
    return Sample(inputs, {})


# =============================================================================================
# Runs: layers built from given weights
# =============================================================================================

def _conv_case(draw, config, transposed, out_shape=None):
    case = {"x": draw(grid_values(shape=config.x_shape, label="x")),
            "W": draw(grid_values(shape=config.w_shape, label="W")),
            "kwargs": dict(config.kwargs)}
    out_shape = out_shape or config.expected_shape(transposed)
    if config.bias:
        case["b"] = draw(grid_values(shape=(out_shape[1],), label="b"))
    case["gy"] = draw(grid_values(shape=out_shape, label="gy"))
    return case


@composite
def conv_layer_cases(draw, *, features):
    """A 2-D convolution layer (``nn.Conv2d`` / ``L.Convolution2D``) with given W (and b):
    stride, pad, dilation, groups (incl. depthwise)."""
    config = draw(conv_configs(features=frozenset()), label="config")
    return _conv_case(draw, config, False)


@composite
def conv_nd_layer_cases(draw, *, features, spatial):
    """A 1-D or 3-D convolution layer (``nn.Conv1d``/``nn.Conv3d`` /
    ``L.Convolution1D``/``L.Convolution3D``) with given W (and b): groups, stride, pad,
    dilation (as ``conv_nd_samples``, without ``cover_all``)."""
    sample = draw(conv_nd_samples(features=frozenset(), spatial=spatial), label="call")
    x, weight, kwargs = sample.inputs["x"], sample.inputs["W"], sample.kwargs
    out_shape = (x.shape[0], weight.shape[0]) + tuple(
        conv_outsize(n, k, s, p, d) for n, k, s, p, d in zip(
            x.shape[2:], weight.shape[2:], _tuple(kwargs["stride"], spatial),
            _tuple(kwargs["pad"], spatial), _tuple(kwargs["dilation"], spatial)))
    case = {"x": x, "W": weight, "kwargs": dict(kwargs)}
    if "b" in sample.inputs:
        case["b"] = sample.inputs["b"]
    case["gy"] = draw(grid_values(shape=out_shape, label="gy"))
    return case


@composite
def dilated_conv_layer_cases(draw, *, features):
    """A dilated 2-D convolution layer (``nn.Conv2d(dilation=d)`` /
    ``L.DilatedConvolution2D(dilate=d)``), one group, dilation 2 or 3."""
    kernel = (draw(st.integers(2, 3), label="kh"), draw(st.integers(1, 3), label="kw"))
    dilation = (draw(st.integers(2, 3), label="dilation[0]"),
                draw(st.integers(1, 3), label="dilation[1]"))
    dilation = dilation[0] if draw(st.booleans(), label="one dilation") else dilation
    stride = draw(st.sampled_from([1, 1, 2]), label="stride")
    pad = draw(st.sampled_from([0, 1, 2]), label="pad")
    extents = [(k - 1) * d + 1 for k, d in zip(kernel, pair(dilation))]
    sizes = tuple(draw(st.integers(max(1, e - 2 * pad), max(1, e - 2 * pad) + 3), label=name)
                  for e, name in zip(extents, ("H", "W")))
    x_shape = (draw(st.integers(1, 2), label="batch"), draw(st.integers(1, 2), label="in")) + sizes
    assume(math.prod(x_shape) <= MAX_ELEMENTS)
    w_shape = (draw(st.integers(1, 2), label="out"), x_shape[1]) + kernel
    config = ConvConfig(x_shape, w_shape, draw(st.booleans(), label="bias"),
                        {"stride": stride, "pad": pad, "dilation": dilation, "groups": 1})
    return _conv_case(draw, config, False)


@composite
def depthwise_layer_cases(draw, *, features):
    """A depthwise convolution layer (``nn.Conv2d(C, C m, k, groups=C)`` /
    ``L.DepthwiseConvolution2D(C, m, k)``), W in the API's layout."""
    sample = draw(depthwise_samples(features=features), label="call")
    x, weight = sample.inputs["x"], sample.inputs["W"]
    channels = (x.shape[1] * weight.shape[0] if "depthwise_weight_multiplier_first" in features
                else weight.shape[0])
    stride, pad = pair(sample.kwargs["stride"]), pair(sample.kwargs["pad"])
    out_shape = (x.shape[0], channels) + tuple(conv_outsize(n, k, s, p) for n, k, s, p in zip(
        x.shape[2:], weight.shape[2:], stride, pad))
    case = {"x": x, "W": weight, "kwargs": dict(sample.kwargs)}
    if "b" in sample.inputs:
        case["b"] = sample.inputs["b"]
    case["gy"] = draw(grid_values(shape=out_shape, label="gy"))
    return case


@composite
def deconv_layer_cases(draw, *, features):
    """A transposed-convolution layer (``nn.ConvTranspose2d`` / ``L.Deconvolution2D``) with
    given W (and b), sometimes asked for an output size: for an API with
    ``conv_transpose_outsize`` anywhere it convolves back to the input (below the natural size
    too), else natural .. natural + stride - 1.

    Not drawn: a size below the natural one on one axis and above it on the other. chainer
    (5.4.0, 6.7.0, 7.8.1) cannot backprop it: Deconvolution2DFunction's backward takes one
    ``cover_all`` flag for both axes (``_set_cover_all``), so gx comes out one pixel too long
    on the other axis (x = Variable(ones((1, 1, 1, 1), float32)), W = Variable(ones((1, 1, 1,
    2), float32)), y = F.deconvolution_2d(x, W, stride=2, outsize=(2, 1));
    F.sum(y).backward() raises ValueError 'shape-mismatch for sum'; refimpl computes it). Left
    in, every chainer cell failed on it and spent half a minute shrinking."""
    config = draw(conv_configs(features=frozenset(), transposed=True), label="config")
    case_kwargs = dict(config.kwargs)
    out_shape = config.expected_shape(True)
    if draw(st.booleans(), label="output size given"):
        natural = out_shape[2:]
        strides = pair(config.kwargs["stride"])
        low = (lambda s: -(s - 1)) if "conv_transpose_outsize" in features else (lambda s: 0)
        size = tuple(n + draw(st.integers(low(s), s - 1), label=f"output size extra[{i}]")
                     for i, (n, s) in enumerate(zip(natural, strides)))
        assume(min(size) >= 1)
        below = [n < m for n, m in zip(size, natural)]
        above = [n > m for n, m in zip(size, natural)]
        assume(not (any(below) and any(above)))  # chainer's defect, see the docstring
        if "conv_transpose_outsize" in features:  # chainer's check: it convolves back
            assume(all(conv_outsize(o, k, s, p, d) <= n <= conv_outsize(o, k, s, p, d, True)
                       for o, n, k, s, p, d in zip(size, config.x_shape[2:], config.w_shape[2:],
                                                   strides, pair(config.kwargs["pad"]),
                                                   pair(config.kwargs["dilation"]))))
        case_kwargs["output_size"] = size
        out_shape = out_shape[:2] + size
    case = _conv_case(draw, config, True, out_shape)
    case["kwargs"] = case_kwargs
    return case


@composite
def bilinear_layer_cases(draw, *, features):
    """A Bilinear layer from one set of weights in torch's layout (weight (out, in1, in2), bias
    or none), which each binding maps to its own (chainer: W = weight.transpose(1, 2, 0),
    V1 = V2 = 0, b = bias; ``nobias`` without a bias), as a port would."""
    batch, in1, in2, out = (draw(st.integers(1, 3), label=name)
                            for name in ("batch", "in1", "in2", "out"))
    case = {"x1": draw(grid_values(shape=(batch, in1), label="x1")),
            "x2": draw(grid_values(shape=(batch, in2), label="x2")),
            "weight": draw(grid_values(shape=(out, in1, in2), label="weight"))}
    if draw(st.booleans(), label="bias"):
        case["bias"] = draw(grid_values(shape=(out,), label="bias"))
    case["gy"] = draw(grid_values(shape=(batch, out), label="gy"))
    return case


@composite
def highway_cases(draw):
    """chainer's ``L.Highway(in_size)`` with given plain/transform weights and biases."""
    size = draw(st.integers(1, 3), label="in_size")
    batch = draw(st.integers(1, 3), label="batch")
    weights = {name: draw(grid_values(shape=shape, label=name, low=-1, high=1)) for name, shape in
               (("plain/W", (size, size)), ("plain/b", (size,)),
                ("transform/W", (size, size)), ("transform/b", (size,)))}
    return {"weights": weights, "x": draw(grid_values(shape=(batch, size), label="x")),
            "gy": draw(grid_values(shape=(batch, size), label="gy"))}


@composite
def gru_cell_cases(draw, *, features):
    """A GRU cell (``nn.GRUCell`` / ``L.StatelessGRU``) with torch-layout weights (blocks r,
    z, n), given or zero initial state, batched (or unbatched where the API takes it)."""
    in_size = draw(st.integers(1, 3), label="input_size")
    hidden = draw(st.integers(1, 3), label="hidden_size")
    bias = draw(st.booleans(), label="bias")
    batch = draw(st.integers(1, 2), label="batch")
    if "unbatched_input" in features and draw(st.integers(0, 4), label="unbatched") == 0:
        batch = None
    lead = () if batch is None else (batch,)
    shapes = {"weight_ih": (3 * hidden, in_size), "weight_hh": (3 * hidden, hidden)}
    if bias:
        shapes.update(bias_ih=(3 * hidden,), bias_hh=(3 * hidden,))
    case = {"options": {"input_size": in_size, "hidden_size": hidden, "bias": bias},
            "weights": {name: draw(grid_values(shape=shape, label=name, low=-1, high=1))
                        for name, shape in shapes.items()},
            "x": draw(grid_values(shape=lead + (in_size,), label="x"))}
    if draw(st.booleans(), label="initial state given"):
        case["h0"] = draw(grid_values(shape=lead + (hidden,), label="h0", low=-1, high=1))
    case["grad_h"] = draw(grid_values(shape=lead + (hidden,), label="grad_h"))
    return case


@composite
def gru_cases(draw):
    """torch ``nn.GRU`` with given weights (as ``layer_strategies.rnn_cases``: layers,
    directions, bias, batch_first, unbatched input, given or zero initial state)."""
    options = {"input_size": draw(st.integers(1, 3), label="input_size"),
               "hidden_size": draw(st.integers(1, 3), label="hidden_size"),
               "num_layers": draw(st.integers(1, 2), label="num_layers"),
               "bias": draw(st.booleans(), label="bias"),
               "batch_first": draw(st.booleans(), label="batch_first"),
               "bidirectional": draw(st.booleans(), label="bidirectional")}
    steps = draw(st.integers(1, 3), label="sequence length")
    batch = draw(st.one_of(st.none(), st.integers(1, 2)), label="batch (None: unbatched)")
    directions = 2 if options["bidirectional"] else 1
    hidden = options["hidden_size"]
    if batch is None:
        x_shape, state_shape = (steps, options["input_size"]), (directions * options["num_layers"],
                                                                 hidden)
        out_shape = (steps, directions * hidden)
    else:
        x_shape = ((batch, steps) if options["batch_first"] else (steps, batch)) \
            + (options["input_size"],)
        state_shape = (directions * options["num_layers"], batch, hidden)
        out_shape = x_shape[:2] + (directions * hidden,)
    weights = {}
    for layer in range(options["num_layers"]):
        for suffix in [f"_l{layer}"] + ([f"_l{layer}_reverse"] if directions == 2 else []):
            inputs = options["input_size"] if layer == 0 else directions * hidden
            shapes = {"weight_ih": (3 * hidden, inputs), "weight_hh": (3 * hidden, hidden)}
            if options["bias"]:
                shapes.update(bias_ih=(3 * hidden,), bias_hh=(3 * hidden,))
            for name, shape in shapes.items():
                weights[name + suffix] = draw(grid_values(shape=shape, label=name + suffix,
                                                          low=-1, high=1))
    case = {"mode": "gru", "options": options, "weights": weights,
            "x": draw(grid_values(shape=x_shape, label="x"))}
    if draw(st.booleans(), label="initial state given"):
        case["h0"] = draw(grid_values(shape=state_shape, label="h0", low=-1, high=1))
    case["grad_output"] = draw(grid_values(shape=out_shape, label="grad_output"))
    case["grad_h_n"] = draw(grid_values(shape=state_shape, label="grad_h_n"))
    return case


__all__ = ["bilinear_layer_cases", "bilinear_samples", "conv_layer_cases", "conv_nd_layer_cases", "conv_nd_samples", "deconv_layer_cases",
           "depthwise_layer_cases", "depthwise_samples", "dilated_conv_layer_cases",
           "gru_cases", "gru_cell_cases", "highway_cases", "maxout_samples", "prelu_samples"]


# =============================================================================================
# Invalid calls (``conv_nd.errors`` / ``layer_function.errors``)
# =============================================================================================

def _ones(*shape):
    return numpy.ones(shape) / 8


def invalid_calls(subject, features):
    """``[(name, Sample)]``: calls of the functional ``subject`` that every API must refuse,
    in the API's argument layout (``features``). Only *that* a call raises is compared:
    the frameworks raise RuntimeError (torch) or InvalidType/ValueError (chainer) where
    refimpl raises a ValueError naming the argument."""
    if subject == "conv1d":
        return [("channel_mismatch", Sample({"x": _ones(1, 3, 5), "W": _ones(2, 2, 3)}, {})),
                ("kernel_larger_than_input", Sample({"x": _ones(1, 1, 2), "W": _ones(1, 1, 3)},
                                                    {})),
                ("stride_zero", Sample({"x": _ones(1, 1, 4), "W": _ones(1, 1, 2)},
                                       {"stride": 0})),
                ("bias_wrong_length", Sample({"x": _ones(1, 1, 4), "W": _ones(2, 1, 2),
                                              "b": _ones(3)}, {}))]
    if subject == "conv3d":
        return [("channel_mismatch", Sample({"x": _ones(1, 3, 2, 2, 2),
                                             "W": _ones(1, 2, 1, 1, 1)}, {})),
                ("kernel_larger_than_input", Sample({"x": _ones(1, 1, 2, 3, 3),
                                                     "W": _ones(1, 1, 3, 1, 1)}, {})),
                ("pad_negative", Sample({"x": _ones(1, 1, 3, 3, 3), "W": _ones(1, 1, 1, 1, 1)},
                                        {"pad": -1})),
                ("dilation_zero", Sample({"x": _ones(1, 1, 3, 3, 3), "W": _ones(1, 1, 2, 2, 2)},
                                         {"dilation": 0}))]
    if subject == "depthwise_conv2d":
        multiplier_first = "depthwise_weight_multiplier_first" in features
        big = (1, 2, 4, 4) if multiplier_first else (2, 1, 4, 4)
        return [("kernel_larger_than_input", Sample({"x": _ones(1, 2, 3, 3), "W": _ones(*big)},
                                                    {})),
                ("w_ndim3", Sample({"x": _ones(1, 2, 3, 3), "W": _ones(2, 1, 1)}, {})),
                ("bias_wrong_length", Sample({"x": _ones(1, 2, 3, 3),
                                              "W": _ones(*big[:2], 1, 1), "b": _ones(5)}, {}))]
    if subject == "prelu":
        return [("slopes_not_per_channel", Sample({"x": -_ones(2, 3, 4), "W": _ones(5)}, {}))]
    if subject == "maxout":
        return [("pool_size_not_dividing", Sample({"x": _ones(2, 5)}, {"pool_size": 2})),
                ("pool_size_zero", Sample({"x": _ones(2, 4)}, {"pool_size": 0}))]
    if subject == "bilinear":
        w_shape = (3, 4, 2) if "bilinear_weight_in1_in2_out" in features else (2, 3, 4)
        return [("batch_mismatch", Sample({"x1": _ones(2, 3), "x2": _ones(3, 4),
                                           "W": _ones(*w_shape)}, {})),
                ("in1_mismatch", Sample({"x1": _ones(2, 5), "x2": _ones(2, 4),
                                         "W": _ones(*w_shape)}, {})),
                ("w_ndim2", Sample({"x1": _ones(2, 3), "x2": _ones(2, 4), "W": _ones(3, 4)},
                                   {}))]
    raise ValueError(f"no invalid calls for subject={subject!r}")
