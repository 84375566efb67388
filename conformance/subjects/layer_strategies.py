"""Hypothesis strategies for the layer-level property suites: convolution and pooling
configurations (valid, and invalid by construction), linear inputs in each framework's
layout, loss arguments, recurrent layers, optimizer hyperparameters and gradient sequences,
and save/load cases.

Conventions as ``conformance.subjects.strategies``: keyword-only arguments, labelled draws, samples
as ``strategies.Sample(inputs, kwargs)`` (``inputs``: the differentiated float64 arrays).
``features`` are the API features of the framework whose function is called
(``Adapter.features``; the plugins' ``LAYER_FEATURES``): a sample carries only what that API
can express (``cover_all`` only where "cover_all" is a feature, ``'same'`` padding only where
"conv_string_padding" is). Every draw, its order and its label are those the API branches
had, so a derandomized run draws the same examples per framework.

Layer API features read here:

- ``conv_string_padding``: conv2d takes ``pad='same'``/``'valid'``.
- ``conv_transpose_output_padding``: conv_transpose2d takes ``output_padding``, and rejects a
  negative pad or a non-positive output size.
- ``conv_transpose_outsize``: conv_transpose2d takes ``outsize`` (checked against the input).
- ``conv_empty_kernel``: an empty kernel is a valid convolution (computed, not rejected).
- ``cover_all``: conv2d and max pooling take ``cover_all`` (the ceiling output size).
- ``unbatched_input``: a 3-D (C, H, W) input of conv2d or pooling is one unbatched sample.
- ``pooling_ceil_mode``: pooling takes ``ceil_mode`` (and average pooling
  ``count_include_pad``).
- ``linear_last_axis``: linear applies W to the last axis of x (else x is flattened to
  (N, -1)).
- ``optimizer_over_params`` / ``optimizer_over_link``: optimizers are built over a list of
  parameters (``step()``, hyperparameters ``lr``/``betas``/..., ``weight_decay`` argument and
  ``clip_grad_norm_``) or set up on a link (``update()``, ``alpha``/``beta1``/..., weight decay
  and gradient clipping as hooks).

Array *values* come from a NumPy generator seeded by one labelled draw (``grid_values``):
layer inputs hold tens to hundreds of elements, and drawing them one by one through
hypothesis was most of an example's time (as for ``test_grad``'s directions). Values lie on
a grid of 1/32 in [-2, 2] (or are distinct multiples of 1/8 where ties must be dodged), so
they are exact in float16, float32 and float64: the framework and the float64 oracle see
the same numbers without rounding.
"""
import dataclasses
import math

import numpy
from hypothesis import assume
from hypothesis import strategies as st

from .strategies import SEEDS, Sample, composite

GRID = 32  # values are multiples of 1/GRID
MAX_ELEMENTS = 160  # elements of a drawn input: keeps an example well under 10 ms


# =============================================================================================
# Values
# =============================================================================================

def _generator(draw, label):
    return numpy.random.default_rng(draw(SEEDS, label=f"{label} (seed)"))


@composite
def grid_values(draw, *, shape, label, low=-2.0, high=2.0):
    """float64 array of ``shape`` with multiples of 1/GRID in [low, high]."""
    generator = _generator(draw, label)
    return generator.integers(int(low * GRID), int(high * GRID) + 1, size=shape) / GRID


@composite
def distinct_values(draw, *, shape, label):
    """float64 array of ``shape`` whose elements are distinct multiples of 1/8 (no ties)."""
    generator = _generator(draw, label)
    size = math.prod(shape)
    values = generator.permutation(2 * size)[:size] - size
    return (values / 8).reshape(shape).astype(numpy.float64)


def grad_outputs(*, shapes, label="grad_outputs"):
    """One output gradient per shape, on the grid in [-2, 2]."""
    return st.tuples(*[grid_values(shape=shape, label=f"{label}[{index}]")
                       for index, shape in enumerate(shapes)])


def _pair_or_int(draw, values, label):
    """An int, or a pair of ints (each from ``values``)."""
    if draw(st.booleans(), label=f"{label} as a pair"):
        return (draw(st.sampled_from(tuple(values)), label=f"{label}[0]"),
                draw(st.sampled_from(tuple(values)), label=f"{label}[1]"))
    return draw(st.sampled_from(tuple(values)), label=label)  # a tuple: hypothesis caches it


def pair(value):
    return tuple(value) if isinstance(value, (tuple, list)) else (value, value)


# =============================================================================================
# Convolution
# =============================================================================================

def conv_outsize(size, kernel, stride, pad, dilation=1, cover_all=False):
    """Output length along one axis: ``floor((size + 2 pad - dk) / stride) + 1`` with the dilated
    extent ``dk = (kernel - 1) dilation + 1``, or the ceiling with ``cover_all`` (chainer).
    Written out here (not imported from refimpl) as the shape property's own oracle."""
    extent = (kernel - 1) * dilation + 1
    if cover_all:
        return -(-(size + 2 * pad - extent) // stride) + 1
    return (size + 2 * pad - extent) // stride + 1


def transpose_outsize(size, kernel, stride, pad, dilation=1, output_padding=0):
    """Output length of a transposed convolution: ``(size - 1) s - 2 p + (k - 1) d + 1 + op``."""
    return (size - 1) * stride - 2 * pad + (kernel - 1) * dilation + 1 + output_padding


@dataclasses.dataclass(frozen=True)
class ConvConfig:
    """One convolution call's shapes and arguments (refimpl's argument names)."""

    x_shape: tuple
    w_shape: tuple
    bias: bool
    kwargs: dict

    def expected_shape(self, transposed):
        """The output shape by the written-out rules (``conv_outsize``/``transpose_outsize``)."""
        kwargs = self.kwargs
        stride, dilation = pair(kwargs.get("stride", 1)), pair(kwargs.get("dilation", 1))
        pad = kwargs.get("pad", 0)
        kernel = self.w_shape[2:]
        spatial = self.x_shape[-2:]
        groups = kwargs.get("groups", 1)
        if transposed:
            channels = self.w_shape[1] * groups
            if kwargs.get("outsize") is not None:
                size = pair(kwargs["outsize"])
            else:
                output_padding = pair(kwargs.get("output_padding", 0))
                size = tuple(transpose_outsize(n, k, s, p, d, o) for n, k, s, p, d, o in zip(
                    spatial, kernel, stride, pair(pad), dilation, output_padding))
        else:
            channels = self.w_shape[0]
            if pad == "same":
                size = spatial
            else:
                pad = (0, 0) if pad == "valid" else pair(pad)
                size = tuple(conv_outsize(n, k, s, p, d, kwargs.get("cover_all", False))
                             for n, k, s, p, d in zip(spatial, kernel, stride, pad, dilation))
        batch = self.x_shape[:-3]
        return tuple(batch) + (channels,) + tuple(size)


@composite
def conv_configs(draw, *, features, transposed=False):
    """A valid 2-D (transposed) convolution for an API of ``features``: groups (incl.
    depthwise), stride, pad (torch also 'same'/'valid' for conv2d), dilation, chainer's
    cover_all, torch's output_padding / chainer's outsize and unbatched (C, H, W) input,
    with or without a bias."""
    groups = draw(st.sampled_from([1, 1, 2, 3]), label="groups")
    depthwise = groups > 1 and draw(st.booleans(), label="depthwise")
    in_per_group = 1 if depthwise else draw(st.integers(1, 2), label="in channels per group")
    out_per_group = draw(st.integers(1, 2), label="out channels per group")
    kernel = (draw(st.integers(1, 3), label="kh"), draw(st.integers(1, 3), label="kw"))
    stride = _pair_or_int(draw, [1, 1, 2, 3], "stride")
    dilation = _pair_or_int(draw, [1, 1, 2], "dilation")
    pad = _pair_or_int(draw, [0, 0, 1, 2], "pad")
    batch = draw(st.integers(1, 2), label="batch")
    kwargs = {"stride": stride, "pad": pad, "dilation": dilation, "groups": groups}
    extents = [(k - 1) * d + 1 for k, d in zip(kernel, pair(dilation))]
    if transposed:
        spatial = (draw(st.integers(1, 4), label="H"), draw(st.integers(1, 4), label="W"))
        natural = [transpose_outsize(n, k, s, p, d) for n, k, s, p, d in zip(
            spatial, kernel, pair(stride), pair(pad), pair(dilation))]
        assume(min(natural) >= 1)
        if "conv_transpose_output_padding" in features:
            limits = [max(s, d) for s, d in zip(pair(stride), pair(dilation))]
            output_padding = tuple(draw(st.integers(0, limit - 1), label=f"output_padding[{i}]")
                                   for i, limit in enumerate(limits))
            kwargs["output_padding"] = output_padding
        elif "conv_transpose_outsize" in features and draw(st.booleans(),
                                                           label="outsize given"):
            outsize = tuple(m + draw(st.integers(0, s - 1), label=f"outsize extra[{i}]")
                            for i, (m, s) in enumerate(zip(natural, pair(stride))))
            assume(all(conv_outsize(o, k, s, p, d) <= n <= conv_outsize(o, k, s, p, d, True)
                       for o, n, k, s, p, d in zip(outsize, spatial, kernel, pair(stride),
                                                   pair(pad), pair(dilation))))
            kwargs["outsize"] = outsize
        x_shape = (batch, in_per_group * groups) + spatial
        w_shape = (in_per_group * groups, out_per_group) + kernel
    else:
        if "conv_string_padding" in features and draw(st.integers(0, 4),
                                                      label="string padding") == 0:
            kwargs["pad"] = draw(st.sampled_from(["same", "valid"]), label="pad")
            if kwargs["pad"] == "same":
                kwargs["stride"] = 1
        if "cover_all" in features:
            kwargs["cover_all"] = draw(st.booleans(), label="cover_all")
        pads = (0, 0) if isinstance(kwargs["pad"], str) else pair(kwargs["pad"])
        spatial = tuple(draw(st.integers(max(1, e - 2 * p), max(1, e - 2 * p) + 4),
                             label=name) for e, p, name in zip(extents, pads, ("H", "W")))
        x_shape = (batch, in_per_group * groups) + spatial
        w_shape = (out_per_group * groups, in_per_group) + kernel
    assume(math.prod(x_shape) <= MAX_ELEMENTS)
    if "unbatched_input" in features and draw(st.integers(0, 5),
                                              label="unbatched (C, H, W) input") == 0:
        x_shape = x_shape[1:]  # torch reads a 3-D input as one unbatched sample
    bias = draw(st.booleans(), label="bias")
    config = ConvConfig(x_shape, w_shape, bias, kwargs)
    assume(min(config.expected_shape(transposed)[-2:]) >= 1)
    return config


@composite
def conv_samples(draw, *, features, transposed=False):
    """A valid convolution call with values: ``Sample({x, W[, b]}, kwargs)``."""
    config = draw(conv_configs(features=features, transposed=transposed), label="config")
    inputs = {"x": draw(grid_values(shape=config.x_shape, label="x")),
              "W": draw(grid_values(shape=config.w_shape, label="W"))}
    if config.bias:
        channels = config.expected_shape(transposed)[-3]
        inputs["b"] = draw(grid_values(shape=(channels,), label="b"))
    return Sample(inputs, dict(config.kwargs))


# --- invalid configurations -------------------------------------------------------------------

# Every kind of invalid 2-D convolution an API must reject, with how to make it from a valid
# configuration, in the order they are drawn. Kinds an API accepts are left out of its list:
# chainer computes with an empty kernel (probe conv2d.kernel_empty: output (1, 1, 6, 3)) and
# has no string padding; torch reads a 3-D input as unbatched.

def invalid_conv_kinds(features):
    """The invalid conv2d kinds an API of ``features`` rejects."""
    kinds = ["kernel_larger_than_padded_input", "channel_mismatch", "in_channels_not_per_group",
             "out_channels_not_divisible_by_groups", "stride_zero", "stride_negative",
             "dilation_zero", "pad_negative"]
    if "unbatched_input" not in features:
        kinds.append("x_ndim3")
    kinds += ["x_ndim5", "w_ndim3", "bias_wrong_length"]
    if "conv_empty_kernel" not in features:
        kinds.append("kernel_empty")
    if "conv_string_padding" in features:
        kinds += ["same_strided", "unknown_padding_string"]
    return tuple(kinds)


def invalid_transpose_kinds(features):
    """The invalid conv_transpose2d kinds an API of ``features`` rejects (one that takes
    ``outsize`` takes a negative pad, and sizes its output by ``outsize`` instead)."""
    checks_output = "conv_transpose_outsize" not in features
    kinds = ["channel_mismatch", "stride_zero", "dilation_zero"]
    if checks_output:
        kinds.append("pad_negative")
    if "conv_transpose_output_padding" in features:
        kinds.append("output_padding_too_large")
    if checks_output:
        kinds.append("output_not_positive")
    else:
        kinds.append("outsize_mismatch")
    if "unbatched_input" not in features:
        kinds.append("x_ndim3")
    return tuple(kinds + ["x_ndim5", "w_ndim3", "bias_wrong_length"])


@composite
def invalid_conv_configs(draw, *, features, transposed=False):
    """``(kind, ConvConfig)``: a convolution every side must reject, made from a valid one."""
    kinds = (invalid_transpose_kinds if transposed else invalid_conv_kinds)(features)
    kind = draw(st.sampled_from(kinds), label="invalid kind")
    base = draw(conv_configs(features=features, transposed=transposed), label="valid config")
    x_shape, w_shape = list(base.x_shape), list(base.w_shape)
    if len(x_shape) == 3:  # an unbatched valid base: give it its batch axis back
        x_shape = [1] + x_shape
    kwargs, bias = dict(base.kwargs), base.bias
    groups = kwargs["groups"]
    if kind == "kernel_larger_than_padded_input":
        if isinstance(kwargs["pad"], str):  # 'same' pads any kernel: use no padding
            kwargs["pad"] = 0
        pads = pair(kwargs["pad"])
        kwargs["dilation"] = 1
        kwargs.pop("cover_all", None)
        w_shape[2] = x_shape[2] + 2 * pads[0] + draw(st.integers(1, 2), label="excess")
    elif kind == "channel_mismatch":
        x_shape[1] += groups  # still divisible by groups, but not W's channels
    elif kind == "in_channels_not_per_group":
        kwargs["groups"] = groups = 2
        x_shape[1] = 2 * w_shape[1] + 1
        w_shape[0] = 2 * w_shape[0]
    elif kind == "out_channels_not_divisible_by_groups":
        kwargs["groups"] = 2
        w_shape[1] = 1
        x_shape[1] = 2
        w_shape[0] = 3
    elif kind == "stride_zero":
        kwargs["stride"] = 0
    elif kind == "stride_negative":
        kwargs["stride"] = -1
    elif kind == "dilation_zero":
        kwargs["dilation"] = 0
    elif kind == "pad_negative":
        kwargs["pad"] = -1
    elif kind == "x_ndim3":
        x_shape = x_shape[1:]
    elif kind == "x_ndim5":
        x_shape = [1] + x_shape
    elif kind == "w_ndim3":
        w_shape = w_shape[1:]
    elif kind == "bias_wrong_length":
        bias = "wrong"
    elif kind == "kernel_empty":
        w_shape[2] = 0
    elif kind == "same_strided":
        kwargs["pad"], kwargs["stride"] = "same", 2
    elif kind == "unknown_padding_string":
        kwargs["pad"] = "full"
    elif kind == "output_padding_too_large":
        kwargs["output_padding"] = max(max(pair(kwargs["stride"])), max(pair(kwargs["dilation"])))
    elif kind == "output_not_positive":
        kwargs["output_padding"] = 0
        kwargs["stride"], kwargs["dilation"] = 1, 1
        w_shape[2] = w_shape[3] = 1
        kwargs["pad"] = max(x_shape[2:]) // 2 + 1  # (n - 1) - 2p + 1 <= 0
    elif kind == "outsize_mismatch":
        natural = [transpose_outsize(n, k, s, p, d) for n, k, s, p, d in zip(
            x_shape[2:], w_shape[2:], pair(kwargs["stride"]), pair(kwargs["pad"]),
            pair(kwargs["dilation"]))]
        kwargs["outsize"] = tuple(m + s + draw(st.integers(0, 2), label="outsize excess")
                                  for m, s in zip(natural, pair(kwargs["stride"])))
    return kind, ConvConfig(tuple(x_shape), tuple(w_shape), bias, kwargs)


def arrays_of(config, transposed):
    """Deterministic arrays (ones / 8) for a configuration: the shape property needs no
    random values. A 'wrong' bias gets one element too many."""
    inputs = {"x": numpy.ones(config.x_shape) / 8, "W": numpy.ones(config.w_shape) / 8}
    if config.bias:
        if len(config.w_shape) == 4:
            channels = (config.w_shape[1] * config.kwargs.get("groups", 1) if transposed
                        else config.w_shape[0])
        else:
            channels = 1
        inputs["b"] = numpy.ones(channels + (1 if config.bias == "wrong" else 0)) / 8
    return inputs


# =============================================================================================
# Pooling
# =============================================================================================

def pool_outsize(size, ksize, stride, pad, rule):
    """Pooling output length: 'floor' (torch default, chainer cover_all=False, chainer average
    pooling), 'cover_all' (chainer's ceiling), 'ceil_mode' (torch: the ceiling, minus one when
    the last window would start at or after size + pad)."""
    if rule == "floor":
        return (size + 2 * pad - ksize) // stride + 1
    out = -(-(size + 2 * pad - ksize) // stride) + 1
    if rule == "ceil_mode" and (out - 1) * stride >= size + pad:
        out -= 1
    return out


@composite
def pooling_samples(draw, *, features, kind):
    """A valid max ('max') or average ('average') pooling call with distinct values (no ties
    in a max window). Pads stay within ksize // 2 (torch's limit; chainer's larger pads are a
    behaviour case), and no window lies entirely outside the input (its max would be -inf)."""
    ksize = _pair_or_int(draw, [1, 2, 3], "ksize")
    stride = draw(st.one_of(st.none(), st.sampled_from([1, 2, 3])), label="stride") \
        if draw(st.booleans(), label="stride given") else None
    kernel = pair(ksize)
    pad = tuple(draw(st.integers(0, k // 2), label=f"pad[{i}]") for i, k in enumerate(kernel))
    pad_argument = pad if pad[0] != pad[1] else pad[0]
    kwargs = {"ksize": ksize, "stride": stride, "pad": pad_argument}
    rule = "floor"
    if "pooling_ceil_mode" in features:
        kwargs["ceil_mode"] = draw(st.booleans(), label="ceil_mode")
        rule = "ceil_mode" if kwargs["ceil_mode"] else "floor"
        if kind == "average":
            kwargs["count_include_pad"] = draw(st.booleans(), label="count_include_pad")
    elif kind == "max" and "cover_all" in features:
        cover_all = draw(st.sampled_from([None, True, False]), label="cover_all")
        if cover_all is not None:
            kwargs["cover_all"] = cover_all
        rule = "floor" if cover_all is False else "cover_all"
    strides = kernel if stride is None else pair(stride)
    spatial = tuple(draw(st.integers(max(1, k - 2 * p), max(1, k - 2 * p) + 4), label=name)
                    for k, p, name in zip(kernel, pad, ("H", "W")))
    sizes = [pool_outsize(n, k, s, p, rule) for n, k, s, p in zip(spatial, kernel, strides, pad)]
    assume(min(sizes) >= 1)
    assume(all((o - 1) * s - p <= n - 1 for o, s, p, n in zip(sizes, strides, pad, spatial)))
    shape = (draw(st.integers(1, 2), label="batch"), draw(st.integers(1, 2), label="channels")) \
        + spatial
    if "unbatched_input" in features and draw(st.integers(0, 5),
                                              label="unbatched (C, H, W) input") == 0:
        shape = shape[1:]  # torch reads a 3-D input as one unbatched sample
    return Sample({"x": draw(distinct_values(shape=shape, label="x"))}, kwargs)


# =============================================================================================
# Linear
# =============================================================================================

@composite
def linear_samples(draw, *, features):
    """``linear(x, W[, b])`` in the API's layout: with "linear_last_axis" (torch) W applies
    to the last axis of x (``(*, in)``, 1 to 3 leading axes); else (chainer) x is flattened
    to (N, -1) (x of 2 to 4 axes)."""
    out_size = draw(st.integers(1, 4), label="out_size")
    if "linear_last_axis" in features:
        leading = tuple(draw(st.lists(st.integers(1, 3), min_size=0, max_size=2),
                             label="leading axes"))
        in_size = draw(st.integers(1, 5), label="in_size")
        x_shape = leading + (in_size,)
    else:
        x_shape = tuple(draw(st.lists(st.integers(1, 3), min_size=2, max_size=4),
                             label="x shape"))
        in_size = math.prod(x_shape[1:])
    inputs = {"x": draw(grid_values(shape=x_shape, label="x")),
              "W": draw(grid_values(shape=(out_size, in_size), label="W"))}
    if draw(st.booleans(), label="bias"):
        inputs["b"] = draw(grid_values(shape=(out_size,), label="b"))
    return Sample(inputs, {})


# =============================================================================================
# Losses
# =============================================================================================

REDUCTIONS = ("none", "mean", "sum")  # ``reduction=`` of torch's losses
REDUCE_MODES = ("mean", "no")  # ``reduce=`` of chainer's losses


@composite
def _batch_shape(draw, *, min_dims=1, max_dims=3):
    return tuple(draw(st.lists(st.integers(1, 3), min_size=min_dims, max_size=max_dims),
                      label="shape"))


@composite
def loss_samples(draw, *, subject):
    """Arguments of the loss ``subject`` (a loss record of ``subjects.layers``), every
    reduction, with class labels (including ignored ones) and weights where it takes them."""
    if subject in ("mse_loss", "mean_squared_error"):
        shape = draw(_batch_shape(min_dims=0))
        inputs = {"x": draw(grid_values(shape=shape, label="x")),
                  "t": draw(grid_values(shape=shape, label="t"))}
        if subject == "mean_squared_error":
            return Sample({"x0": inputs["x"], "x1": inputs["t"]}, {})
        return Sample(inputs, {"reduction": draw(st.sampled_from(REDUCTIONS),
                                                 label="reduction")})
    if subject == "binary_cross_entropy_with_logits":
        shape = draw(_batch_shape())
        kwargs = {"reduction": draw(st.sampled_from(REDUCTIONS), label="reduction")}
        if draw(st.booleans(), label="weight"):
            kwargs["weight"] = draw(grid_values(shape=shape, label="weight", low=0, high=2))
        if draw(st.booleans(), label="pos_weight"):
            kwargs["pos_weight"] = draw(grid_values(shape=shape[-1:], label="pos_weight",
                                                    low=0, high=2))
        return Sample({"x": draw(grid_values(shape=shape, label="x", low=-4, high=4)),
                       "t": draw(grid_values(shape=shape, label="t", low=0, high=1))}, kwargs)
    if subject == "sigmoid_cross_entropy":
        shape = draw(_batch_shape())
        labels = _generator(draw, "t").integers(-1, 2, size=shape)  # -1: ignored
        kwargs = {"t": labels.astype(numpy.int32),
                  "normalize": draw(st.booleans(), label="normalize"),
                  "reduce": draw(st.sampled_from(REDUCE_MODES), label="reduce")}
        return Sample({"x": draw(grid_values(shape=shape, label="x", low=-4, high=4))}, kwargs)
    # softmax cross entropy: x (N, C, d...), integer labels (N, d...)
    classes = draw(st.integers(2, 4), label="classes")
    batch = draw(st.integers(1, 3), label="batch")
    spatial = tuple(draw(st.lists(st.integers(1, 2), max_size=1), label="spatial"))
    generator = _generator(draw, "labels")
    labels = generator.integers(0, classes, size=(batch,) + spatial)
    ignore = draw(st.booleans(), label="some labels ignored")
    x = draw(grid_values(shape=(batch, classes) + spatial, label="x", low=-3, high=3))
    weights = (draw(grid_values(shape=(classes,), label="class weights", low=1 / GRID, high=2))
               if draw(st.booleans(), label="class weights given") else None)
    if subject == "cross_entropy":
        ignore_index = -100
        if ignore:
            labels = numpy.where(generator.random(labels.shape) < 0.3, ignore_index, labels)
            labels.flat[0] = max(labels.flat[0], 0)  # at least one counted label (else 0/0)
        kwargs = {"t": labels.astype(numpy.int64), "ignore_index": ignore_index,
                  "reduction": draw(st.sampled_from(REDUCTIONS), label="reduction"),
                  "label_smoothing": draw(st.sampled_from([0.0, 0.0, 0.25]),
                                          label="label_smoothing")}
        if weights is not None:
            kwargs["weight"] = weights
        return Sample({"x": x}, kwargs)
    if ignore:
        labels = numpy.where(generator.random(labels.shape) < 0.3, -1, labels)
    kwargs = {"t": labels.astype(numpy.int32),
              "normalize": draw(st.booleans(), label="normalize"),
              "reduce": draw(st.sampled_from(REDUCE_MODES), label="reduce")}
    if weights is not None:
        kwargs["class_weight"] = weights
    return Sample({"x": x}, kwargs)


# =============================================================================================
# Runs: cases of stateful subjects (see conformance.checks.layers)
# =============================================================================================

@composite
def linear_layer_cases(draw, *, features):
    """A Linear layer built from given W (and b), applied to x in the API's layout."""
    sample = draw(linear_samples(features=features), label="linear call")
    x, weight = sample.inputs["x"], sample.inputs["W"]
    if "linear_last_axis" in features:
        out_shape = x.shape[:-1] + (weight.shape[0],)
    else:
        out_shape = (x.shape[0], weight.shape[0])
    case = {"x": x, "W": weight, "gy": draw(grid_values(shape=out_shape, label="gy"))}
    if "b" in sample.inputs:
        case["b"] = sample.inputs["b"]
    return case


def _rnn_weight_shapes(mode, options):
    """{torch parameter name: shape} of nn.RNN / nn.LSTM with ``options``."""
    gates = 4 if mode == "lstm" else 1
    hidden, directions = options["hidden_size"], 2 if options["bidirectional"] else 1
    shapes = {}
    for layer in range(options["num_layers"]):
        for suffix in ([f"_l{layer}", f"_l{layer}_reverse"] if directions == 2 else [f"_l{layer}"]):
            inputs = options["input_size"] if layer == 0 else directions * hidden
            shapes["weight_ih" + suffix] = (gates * hidden, inputs)
            shapes["weight_hh" + suffix] = (gates * hidden, hidden)
            if options["bias"]:
                shapes["bias_ih" + suffix] = (gates * hidden,)
                shapes["bias_hh" + suffix] = (gates * hidden,)
    return shapes


@composite
def rnn_cases(draw, *, subject):
    """torch nn.RNN (tanh or relu) or nn.LSTM with given weights: layers, directions, bias,
    batch_first, unbatched inputs, given or zero initial states."""
    mode = "lstm" if subject == "lstm" else "rnn"
    options = {"input_size": draw(st.integers(1, 3), label="input_size"),
               "hidden_size": draw(st.integers(1, 3), label="hidden_size"),
               "num_layers": draw(st.integers(1, 2), label="num_layers"),
               "bias": draw(st.booleans(), label="bias"),
               "batch_first": draw(st.booleans(), label="batch_first"),
               "bidirectional": draw(st.booleans(), label="bidirectional")}
    if mode == "rnn":
        options["nonlinearity"] = subject.split("_")[1]
    steps = draw(st.integers(1, 3), label="sequence length")
    batch = draw(st.one_of(st.none(), st.integers(1, 2)), label="batch (None: unbatched)")
    directions = 2 if options["bidirectional"] else 1
    hidden = options["hidden_size"]
    if batch is None:
        x_shape = (steps, options["input_size"])
        state_shape = (directions * options["num_layers"], hidden)
        out_shape = (steps, directions * hidden)
    else:
        x_shape = ((batch, steps) if options["batch_first"] else (steps, batch)) \
            + (options["input_size"],)
        state_shape = (directions * options["num_layers"], batch, hidden)
        out_shape = x_shape[:2] + (directions * hidden,)
    low = -1.0 if mode == "lstm" or options.get("nonlinearity") == "tanh" else -0.5
    weights = {name: draw(grid_values(shape=shape, label=name, low=low, high=1.0))
               for name, shape in _rnn_weight_shapes(mode, options).items()}
    case = {"mode": mode, "options": options, "weights": weights,
            "x": draw(grid_values(shape=x_shape, label="x"))}
    if draw(st.booleans(), label="initial state given"):
        case["h0"] = draw(grid_values(shape=state_shape, label="h0", low=-1, high=1))
        if mode == "lstm":
            case["c0"] = draw(grid_values(shape=state_shape, label="c0", low=-1, high=1))
    case["grad_output"] = draw(grid_values(shape=out_shape, label="grad_output"))
    case["grad_h_n"] = draw(grid_values(shape=state_shape, label="grad_h_n"))
    if mode == "lstm":
        case["grad_c_n"] = draw(grid_values(shape=state_shape, label="grad_c_n"))
    if mode == "rnn" and options["nonlinearity"] == "relu":
        assume(_relu_inputs_clear_of_zero(case))
    return case


def _relu_inputs_clear_of_zero(case):
    """Whether every pre-activation of a relu RNN is at least 1/64 away from 0 (relu's kink:
    central differences and float32 rounding would straddle it). Computed in float64 here."""
    options, weights = case["options"], case["weights"]
    directions = 2 if options["bidirectional"] else 1
    x = case["x"]
    if x.ndim == 2:
        x = x[:, None, :]
    elif options["batch_first"]:
        x = x.transpose(1, 0, 2)
    hidden = options["hidden_size"]
    h0 = case.get("h0")
    if h0 is not None and h0.ndim == 2:
        h0 = h0[:, None, :]
    sequence = x
    for layer in range(options["num_layers"]):
        outputs = []
        for direction in range(directions):
            suffix = f"_l{layer}" + ("_reverse" if direction else "")
            index = layer * directions + direction
            h = numpy.zeros((x.shape[1], hidden)) if h0 is None else h0[index]
            steps = range(len(sequence))[::-1] if direction else range(len(sequence))
            out = [None] * len(sequence)
            for t in steps:
                pre = (sequence[t] @ weights["weight_ih" + suffix].T
                       + h @ weights["weight_hh" + suffix].T)
                if options["bias"]:
                    pre = pre + weights["bias_ih" + suffix] + weights["bias_hh" + suffix]
                if numpy.min(numpy.abs(pre)) < 1 / 64:
                    return False
                h = numpy.maximum(pre, 0)
                out[t] = h
            outputs.append(numpy.stack(out))
        sequence = numpy.concatenate(outputs, axis=-1)
    return True


@composite
def stateful_lstm_cases(draw):
    """chainer L.LSTM(in, out) with given weights over 1 to 3 steps; the batch may shrink
    from one step to the next (chainer's variable-length batches)."""
    in_size = draw(st.integers(1, 3), label="in_size")
    out_size = draw(st.integers(1, 3), label="out_size")
    shapes = {"upward/W": (4 * out_size, in_size), "upward/b": (4 * out_size,),
              "lateral/W": (4 * out_size, out_size)}
    weights = {name: draw(grid_values(shape=shape, label=name, low=-1, high=1))
               for name, shape in shapes.items()}
    batches = sorted(draw(st.lists(st.integers(1, 3), min_size=1, max_size=3), label="batches"),
                     reverse=True)
    xs = [draw(grid_values(shape=(b, in_size), label=f"x{t}")) for t, b in enumerate(batches)]
    gys = [draw(grid_values(shape=(b, out_size), label=f"gy{t}")) for t, b in enumerate(batches)]
    return {"weights": weights, "xs": xs, "gys": gys}


# --- optimizers ----------------------------------------------------------------------------------

RATES = st.floats(1e-3, 0.5)
UNIT = st.floats(0.0, 0.95)
MOMENTUM = st.floats(0.05, 0.95)
BETA2 = st.floats(0.5, 0.9999)
EPSILONS = st.sampled_from([1e-8, 1e-6, 1e-4, 1e-3, 1e-2])
DECAY = st.floats(0.0, 0.1)


def _fixed(**strategies):
    return st.fixed_dictionaries(strategies)


_OVER_PARAMS = {
    "sgd": _fixed(lr=RATES, maximize=st.booleans()),
    "momentum_sgd": _fixed(lr=RATES, momentum=MOMENTUM, dampening=UNIT),
    "nesterov": _fixed(lr=RATES, momentum=MOMENTUM, nesterov=st.just(True)),
    "adam": _fixed(lr=RATES, betas=st.tuples(UNIT, BETA2), eps=EPSILONS,
                   weight_decay=st.sampled_from([0.0, 0.0, 0.01, 0.1]), maximize=st.booleans()),
    "adamw": _fixed(lr=RATES, betas=st.tuples(UNIT, BETA2), eps=EPSILONS, weight_decay=DECAY),
    "amsgrad": _fixed(lr=RATES, betas=st.tuples(UNIT, BETA2), eps=EPSILONS, amsgrad=st.just(True)),
    "rmsprop": _fixed(lr=st.floats(1e-3, 0.1), alpha=st.floats(0.5, 0.999), eps=EPSILONS,
                      momentum=st.sampled_from([0.0, 0.5, 0.9]), centered=st.booleans()),
    "adagrad": _fixed(lr=RATES, lr_decay=DECAY, initial_accumulator_value=st.floats(0.0, 1.0),
                      eps=st.sampled_from([1e-10, 1e-6, 1e-3])),
    "weight_decay": _fixed(lr=RATES, momentum=MOMENTUM, weight_decay=DECAY),
    "gradient_clipping": _fixed(lr=RATES, momentum=st.sampled_from([0.0, 0.9])),
    "adadelta": _fixed(lr=st.floats(0.1, 2.0), rho=UNIT, eps=st.sampled_from([1e-6, 1e-4, 1e-2]),
                       weight_decay=st.sampled_from([0.0, 0.0, 0.01]), maximize=st.booleans()),
}

_LINK_ADAM = dict(alpha=RATES, beta1=UNIT, beta2=BETA2, eps=EPSILONS, eta=st.floats(0.1, 1.0))
_OVER_LINK = {
    "sgd": _fixed(lr=RATES),
    "momentum_sgd": _fixed(lr=RATES, momentum=MOMENTUM),
    "nesterov": _fixed(lr=RATES, momentum=MOMENTUM),
    "adam": _fixed(**_LINK_ADAM, weight_decay_rate=st.sampled_from([0.0, 0.0, 0.01])),
    "adamw": _fixed(**_LINK_ADAM, weight_decay_rate=DECAY),
    "amsgrad": _fixed(**_LINK_ADAM),
    "adabound": _fixed(**_LINK_ADAM, final_lr=st.floats(0.01, 0.5), gamma=st.floats(1e-3, 0.5)),
    "amsbound": _fixed(**_LINK_ADAM, final_lr=st.floats(0.01, 0.5), gamma=st.floats(1e-3, 0.5)),
    "rmsprop": _fixed(lr=st.floats(1e-3, 0.1), alpha=st.floats(0.5, 0.999), eps=EPSILONS,
                      eps_inside_sqrt=st.booleans()),
    "rmsprop_graves": _fixed(lr=st.floats(1e-4, 0.1), alpha=st.floats(0.5, 0.999),
                             momentum=UNIT, eps=st.sampled_from([1e-4, 1e-3, 1e-2])),
    "adagrad": _fixed(lr=RATES, eps=EPSILONS),
    "weight_decay": _fixed(lr=RATES, momentum=MOMENTUM),
    "gradient_clipping": _fixed(lr=RATES),
    "adadelta": _fixed(rho=UNIT, eps=st.sampled_from([1e-6, 1e-4, 1e-2])),
    "smorms3": _fixed(lr=RATES, eps=st.sampled_from([1e-16, 1e-8, 1e-4])),
    "corrected_momentum_sgd": _fixed(lr=RATES, momentum=MOMENTUM),
}

#: Hyperparameter strategies of each optimizer subject, by the API's optimizer style.
HYPERPARAMETERS = {"optimizer_over_params": _OVER_PARAMS, "optimizer_over_link": _OVER_LINK}
OPTIMIZER_STYLES = tuple(HYPERPARAMETERS)


def optimizer_style(features):
    """The optimizer style feature of an API (None: it has neither)."""
    return next((style for style in OPTIMIZER_STYLES if style in features), None)


PARAM_SHAPES = ((3,), (2, 2))


@composite
def optimizer_cases(draw, *, subject, features, optimizer, mode):
    """An optimizer ``subject`` of the API of ``features`` (class ``optimizer``) over 1 to 4
    steps, with hypothesis-drawn hyperparameters; gradients given per step
    (``mode='step'``, sometimes None: torch skips the parameter, chainer updates it with
    zeros) or from a quadratic loss (``mode='trajectory'``)."""
    style = optimizer_style(features)
    hyper = draw(HYPERPARAMETERS[style][subject], label="hyperparameters")
    case = {"style": style, "optimizer": optimizer, "hyper": hyper, "clip": None, "hooks": [],
            "mode": mode, "steps": draw(st.integers(1, 4), label="steps"),
            "params": [draw(grid_values(shape=shape, label=f"param{index}"))
                       for index, shape in enumerate(PARAM_SHAPES)]}
    if subject == "gradient_clipping":
        if style == "optimizer_over_params":
            case["clip"] = {"max_norm": draw(st.floats(0.1, 5.0), label="max_norm"),
                            "norm_type": draw(st.sampled_from([2.0, 1.0, math.inf]),
                                              label="norm_type")}
        else:
            case["hooks"] = [("GradientClipping",
                              {"threshold": draw(st.floats(0.1, 5.0), label="threshold")})]
    if subject == "weight_decay" and style == "optimizer_over_link":
        case["hooks"] = [("WeightDecay", {"rate": draw(DECAY, label="rate")})]
    if mode == "step":
        case["grads"] = [[None if draw(st.integers(0, 7), label=f"grad {step}.{index} is None") == 0
                          else draw(grid_values(shape=shape, label=f"grad {step}.{index}"))
                          for index, shape in enumerate(PARAM_SHAPES)]
                         for step in range(case["steps"])]
    else:
        case["targets"] = [draw(grid_values(shape=shape, label=f"target{index}"))
                           for index, shape in enumerate(PARAM_SHAPES)]
        case["curvatures"] = [draw(grid_values(shape=shape, label=f"curvature{index}",
                                               low=1 / GRID, high=2))
                              for index, shape in enumerate(PARAM_SHAPES)]
    return case
