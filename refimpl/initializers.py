"""Parameter initializers of PyTorch and Chainer, as seedable functions returning arrays.

Every initializer takes the array's ``shape`` and keyword-only ``dtype`` (default float32,
both frameworks' default), ``rng`` (a ``numpy.random.Generator``, an int seed, or None for
fresh entropy) and ``xp`` (``numpy`` by default, or ``cupy``). Values are always drawn on the
host with NumPy and then moved to ``xp``, so one seed gives the same values on CPU and GPU.
They match the frameworks *in distribution*, not value for value (each framework has its own
generator).

``fan_in`` and ``fan_out`` are computed as both frameworks do (torch
``nn.init._calculate_fan_in_and_fan_out``, chainer ``initializer.get_fans``): for a weight of
shape ``(out, in, k1, k2, ...)``, ``fan_in = in * k1 * k2 * ...`` and ``fan_out = out * k1 *
k2 * ...``; fewer than 2 dimensions raise ValueError. A grouped convolution's weight has shape
``(out, in / groups, kh, kw)`` in both, so its fan_in is ``in / groups * kh * kw`` (checked
with ``Conv2d(16, 32, 3, groups=4)`` and ``Convolution2D(16, 32, 3, groups=4)``).

Layer defaults (torch 2.13.0, chainer 7.8.1; ``scripts/probe_losses_init.py``):

* torch ``nn.Linear`` / ``nn.ConvNd``: weight ``kaiming_uniform(a=sqrt(5))`` =
  ``U(-1/sqrt(fan_in), 1/sqrt(fan_in))``; bias ``U(-1/sqrt(fan_in), 1/sqrt(fan_in))`` with
  the weight's fan_in (``fan_in_uniform``).
* chainer ``L.Linear`` / ``L.Convolution2D``: weight ``LeCunNormal()`` = ``N(0, 1/fan_in)``;
  bias 0.
* torch ``nn.RNN`` / ``nn.LSTM`` / ``nn.GRU`` (and the cells): every weight and bias
  ``U(-1/sqrt(hidden_size), 1/sqrt(hidden_size))`` (``rnn_uniform``); gates are stacked in
  blocks (LSTM: i, f, g, o).
* chainer ``L.LSTM(in_size, out_size)``: ``upward`` is a Linear(in, 4 out) and ``lateral``
  a Linear(out, 4 out) without bias; both weights ``LeCunNormal()`` (applied to each block of
  ``out`` rows, so std ``1/sqrt(in_size)`` and ``1/sqrt(out_size)``); the upward bias is 0
  except the forget gate's, which is 1 (``forget_bias_init=1``). The gates are interleaved,
  not blocked: row ``4 k + g`` belongs to gate ``g`` of unit ``k`` in the order (a: cell
  input, i, f, o), so the forget biases are at 2, 6, 10, ... (``chainer_lstm_bias``).
>>> from refimpl import initializers
>>> initializers.fans((32, 4, 3, 3))  # Conv2d(16, 32, 3, groups=4): fan_in = 16 / 4 * 3 * 3
(36, 288)
>>> initializers.default_weight((2, 3), "torch", rng=0).round(4)  # U(-1/sqrt(3), 1/sqrt(3))
array([[ 0.1581, -0.2658, -0.53  ],
       [-0.5583,  0.3617,  0.4766]], dtype=float32)
>>> initializers.chainer_lstm_bias(2)
array([0., 0., 1., 0., 0., 0., 1., 0.], dtype=float32)
"""
import math
import numbers

import numpy

from . import policies as _policies

__all__ = [
    "calculate_gain", "chainer_lstm_bias", "constant", "default_bias", "default_weight",
    "fan_in_uniform", "fans", "glorot_normal", "glorot_uniform", "he_normal", "he_uniform",
    "kaiming_normal", "kaiming_uniform", "lecun_normal", "lecun_uniform", "normal", "ones",
    "rnn_uniform", "uniform", "zeros",
]


# --------------------------------------------------------------------------------------
# Argument handling
# --------------------------------------------------------------------------------------

def _generator(rng):
    """A ``numpy.random.Generator`` for ``rng`` (a Generator, an int seed or None)."""
    if isinstance(rng, numpy.random.Generator):
        return rng
    if rng is None:
        return numpy.random.default_rng()
    if isinstance(rng, numbers.Integral) and not isinstance(rng, bool) and rng >= 0:
        return numpy.random.default_rng(int(rng))
    raise TypeError(f"rng must be a numpy.random.Generator, a non-negative int seed or None, "
                    f"got rng={rng!r}")


def _shape(shape):
    """``shape`` as a tuple of non-negative ints."""
    if isinstance(shape, numbers.Integral) and not isinstance(shape, bool):
        shape = (shape,)
    if not isinstance(shape, (tuple, list)) or not all(
            isinstance(n, numbers.Integral) and not isinstance(n, bool) and n >= 0 for n in shape):
        raise ValueError(f"shape must be a tuple of non-negative ints, got shape={shape!r}")
    return tuple(int(n) for n in shape)


def _float_dtype(dtype):
    dtype = numpy.dtype(dtype)
    if dtype.kind != "f":
        raise ValueError(f"random initializers need a floating-point dtype, got dtype={dtype}")
    return dtype


def _positive(name, value, allow_zero=False):
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value) \
        and (value >= 0 if allow_zero else value > 0)
    if not ok:
        raise ValueError(f"{name} must be a finite number {'>= 0' if allow_zero else '> 0'}, "
                         f"got {name}={value!r}")
    return float(value)


def _to_device(array, xp):
    return array if xp is None or xp is numpy else xp.asarray(array)


def _uniform_draw(shape, bound, dtype, rng, xp):
    """``shape`` values from ``U(-bound, bound)``."""
    shape, dtype = _shape(shape), _float_dtype(dtype)
    values = _generator(rng).uniform(-bound, bound, size=shape).astype(dtype)
    return _to_device(values, xp)


def _normal_draw(shape, std, dtype, rng, xp, mean=0.0):
    """``shape`` values from ``N(mean, std**2)``."""
    shape, dtype = _shape(shape), _float_dtype(dtype)
    values = _generator(rng).normal(mean, std, size=shape).astype(dtype)
    return _to_device(values, xp)


def fans(shape):
    """``(fan_in, fan_out)`` of a weight of ``shape`` ``(out, in, *kernel)``: ``(in * prod(kernel),
    out * prod(kernel))``, as torch and chainer. Fewer than 2 dimensions raise ValueError."""
    shape = _shape(shape)
    if len(shape) < 2:
        raise ValueError(f"Fan in and fan out can not be computed for a shape of fewer than 2 "
                         f"dimensions, got shape={shape}")
    receptive_field = math.prod(shape[2:])
    return shape[1] * receptive_field, shape[0] * receptive_field


def _fan(shape, mode, name="mode"):
    """fan_in or fan_out of ``shape``, as ``mode`` (an argument called ``name``) says."""
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"{name} must be 'fan_in' or 'fan_out', got {name}={mode!r}")
    fan_in, fan_out = fans(shape)
    return fan_in if mode == "fan_in" else fan_out


def calculate_gain(nonlinearity, param=None):
    """torch ``nn.init.calculate_gain``: 1 for linear/conv/sigmoid, 5/3 for tanh, sqrt(2) for
    relu, ``sqrt(2 / (1 + slope**2))`` for leaky_relu (slope ``param``, default 0.01), 3/4 for
    selu."""
    linear = ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
              "conv_transpose3d", "sigmoid")
    if nonlinearity in linear:
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "selu":
        return 3.0 / 4
    if nonlinearity == "leaky_relu":
        if param is None:
            param = 0.01
        if isinstance(param, bool) or not isinstance(param, numbers.Real):
            raise ValueError(f"negative_slope {param} not a valid number")
        return math.sqrt(2.0 / (1 + param ** 2))
    raise ValueError(f"Unsupported nonlinearity {nonlinearity!r}")


# --------------------------------------------------------------------------------------
# Plain distributions and constants
# --------------------------------------------------------------------------------------

def uniform(shape, scale, *, dtype=numpy.float32, rng=None, xp=None):
    """``U(-scale, scale)``: chainer ``initializers.Uniform(scale=0.05)``; torch
    ``nn.init.uniform_(t, -scale, scale)`` (torch's own default range is ``[0, 1)``)."""
    return _uniform_draw(shape, _positive("scale", scale, allow_zero=True), dtype, rng, xp)


def normal(shape, std, mean=0.0, *, dtype=numpy.float32, rng=None, xp=None):
    """``N(mean, std**2)``: chainer ``initializers.Normal(scale=0.05)`` (mean 0); torch
    ``nn.init.normal_(t, mean=0.0, std=1.0)``."""
    if not isinstance(mean, numbers.Real) or not math.isfinite(mean):
        raise ValueError(f"mean must be a finite number, got mean={mean!r}")
    return _normal_draw(shape, _positive("std", std, allow_zero=True), dtype, rng, xp, mean)


def constant(shape, value, *, dtype=numpy.float32, xp=None):
    """Every element ``value``: chainer ``initializers.Constant(fill_value)``; torch
    ``nn.init.constant_(t, val)``."""
    if not isinstance(value, numbers.Number):
        raise ValueError(f"value must be a number, got value={value!r}")
    return _to_device(numpy.full(_shape(shape), value, dtype=numpy.dtype(dtype)), xp)


def zeros(shape, *, dtype=numpy.float32, xp=None):
    """All zeros (chainer ``Zero``, torch ``zeros_``)."""
    return constant(shape, 0, dtype=dtype, xp=xp)


def ones(shape, *, dtype=numpy.float32, xp=None):
    """All ones (chainer ``One``, torch ``ones_``)."""
    return constant(shape, 1, dtype=dtype, xp=xp)


# --------------------------------------------------------------------------------------
# Fan-scaled initializers
# --------------------------------------------------------------------------------------

def _empty_or_none(shape, dtype, xp):
    """An empty array when ``shape`` has no elements (nothing to draw), else None."""
    shape = _shape(shape)
    fans(shape)  # both frameworks need 2 or more dimensions to compute fans
    if math.prod(shape):
        return None
    return _to_device(numpy.empty(shape, dtype=_float_dtype(dtype)), xp)


def kaiming_uniform(shape, a=math.sqrt(5), mode="fan_in", nonlinearity="leaky_relu", *,
                    dtype=numpy.float32, rng=None, xp=None):
    """torch ``nn.init.kaiming_uniform_(t, a=0, mode='fan_in', nonlinearity='leaky_relu')``:
    ``U(-bound, bound)`` with ``bound = sqrt(3) * calculate_gain(nonlinearity, a) / sqrt(fan)``.

    The default ``a = sqrt(5)`` is what ``nn.Linear``/``nn.ConvNd.reset_parameters`` use:
    gain ``sqrt(2 / 6)``, so ``bound = 1 / sqrt(fan_in)``.
    """
    empty = _empty_or_none(shape, dtype, xp)
    if empty is not None:
        return empty
    bound = math.sqrt(3.0) * calculate_gain(nonlinearity, a) / math.sqrt(_fan(shape, mode))
    return _uniform_draw(shape, bound, dtype, rng, xp)


def kaiming_normal(shape, a=0, mode="fan_in", nonlinearity="leaky_relu", *,
                   dtype=numpy.float32, rng=None, xp=None):
    """torch ``nn.init.kaiming_normal_``: ``N(0, std**2)``, ``std = gain(nonlinearity, a) /
    sqrt(fan)``."""
    empty = _empty_or_none(shape, dtype, xp)
    if empty is not None:
        return empty
    return _normal_draw(shape, calculate_gain(nonlinearity, a) / math.sqrt(_fan(shape, mode)),
                        dtype, rng, xp)


def lecun_normal(shape, scale=1.0, *, dtype=numpy.float32, rng=None, xp=None):
    """chainer ``initializers.LeCunNormal(scale=1.0)``, the default weight of ``L.Linear`` and
    ``L.Convolution2D``: ``N(0, s**2)`` with ``s = scale * sqrt(1 / fan_in)``."""
    empty = _empty_or_none(shape, dtype, xp)
    if empty is not None:
        return empty
    std = _positive("scale", scale, allow_zero=True) * math.sqrt(1.0 / fans(shape)[0])
    return _normal_draw(shape, std, dtype, rng, xp)


def lecun_uniform(shape, scale=1.0, *, dtype=numpy.float32, rng=None, xp=None):
    """chainer ``initializers.LeCunUniform(scale=1.0)``: ``U(-s, s)``, ``s = scale *
    sqrt(3 / fan_in)``."""
    empty = _empty_or_none(shape, dtype, xp)
    if empty is not None:
        return empty
    bound = _positive("scale", scale, allow_zero=True) * math.sqrt(3.0 / fans(shape)[0])
    return _uniform_draw(shape, bound, dtype, rng, xp)


def glorot_uniform(shape, scale=1.0, *, dtype=numpy.float32, rng=None, xp=None):
    """chainer ``initializers.GlorotUniform(scale=1.0)`` = torch ``nn.init.xavier_uniform_(t,
    gain=scale)``: ``U(-s, s)``, ``s = scale * sqrt(6 / (fan_in + fan_out))``."""
    empty = _empty_or_none(shape, dtype, xp)
    if empty is not None:
        return empty
    fan_in, fan_out = fans(shape)
    bound = _positive("scale", scale, allow_zero=True) * math.sqrt(6.0 / (fan_in + fan_out))
    return _uniform_draw(shape, bound, dtype, rng, xp)


def glorot_normal(shape, scale=1.0, *, dtype=numpy.float32, rng=None, xp=None):
    """chainer ``initializers.GlorotNormal(scale=1.0)`` = torch ``nn.init.xavier_normal_(t,
    gain=scale)``: ``N(0, s**2)``, ``s = scale * sqrt(2 / (fan_in + fan_out))``."""
    empty = _empty_or_none(shape, dtype, xp)
    if empty is not None:
        return empty
    fan_in, fan_out = fans(shape)
    std = _positive("scale", scale, allow_zero=True) * math.sqrt(2.0 / (fan_in + fan_out))
    return _normal_draw(shape, std, dtype, rng, xp)


def he_normal(shape, scale=1.0, fan_option="fan_in", *, dtype=numpy.float32, rng=None, xp=None):
    """chainer ``initializers.HeNormal(scale=1.0, fan_option='fan_in')``: ``N(0, s**2)``,
    ``s = scale * sqrt(2 / fan)`` (= torch ``kaiming_normal_(t, a=0, nonlinearity='relu')``
    for scale 1)."""
    empty = _empty_or_none(shape, dtype, xp)
    if empty is not None:
        return empty
    std = _positive("scale", scale, allow_zero=True) * math.sqrt(2.0 / _fan(shape, fan_option, "fan_option"))
    return _normal_draw(shape, std, dtype, rng, xp)


def he_uniform(shape, scale=1.0, *, dtype=numpy.float32, rng=None, xp=None):
    """chainer ``initializers.HeUniform(scale=1.0)``: ``U(-s, s)``, ``s = scale *
    sqrt(6 / fan_in)`` (= torch ``kaiming_uniform_(t, a=0, nonlinearity='relu')`` for scale 1).
    Chainer's HeUniform has no fan_option."""
    empty = _empty_or_none(shape, dtype, xp)
    if empty is not None:
        return empty
    bound = _positive("scale", scale, allow_zero=True) * math.sqrt(6.0 / fans(shape)[0])
    return _uniform_draw(shape, bound, dtype, rng, xp)


# --------------------------------------------------------------------------------------
# Biases, recurrent layers, and the policy defaults
# --------------------------------------------------------------------------------------

def _count(name, value):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
        raise ValueError(f"{name} must be an int >= 0, got {name}={value!r}")
    return int(value)


def fan_in_uniform(shape, fan_in, *, dtype=numpy.float32, rng=None, xp=None):
    """torch's default bias of ``nn.Linear``/``nn.ConvNd``: ``U(-1/sqrt(fan_in),
    1/sqrt(fan_in))`` with the weight's fan_in; bound 0 when ``fan_in == 0`` (as torch)."""
    fan_in = _count("fan_in", fan_in)
    return _uniform_draw(shape, 1.0 / math.sqrt(fan_in) if fan_in else 0.0, dtype, rng, xp)


def rnn_uniform(shape, hidden_size, *, dtype=numpy.float32, rng=None, xp=None):
    """torch's default for every weight and bias of ``nn.RNN``/``nn.LSTM``/``nn.GRU`` and
    their cells: ``U(-1/sqrt(hidden_size), 1/sqrt(hidden_size))`` (bound 0 for size 0)."""
    hidden_size = _count("hidden_size", hidden_size)
    bound = 1.0 / math.sqrt(hidden_size) if hidden_size else 0.0
    return _uniform_draw(shape, bound, dtype, rng, xp)


def chainer_lstm_bias(state_size, bias=0.0, forget_bias=1.0, *, dtype=numpy.float32, xp=None):
    """chainer ``L.LSTM``'s default ``upward.b`` (``bias_init=0``, ``forget_bias_init=1``):
    shape ``(4 * state_size,)``, gates interleaved per unit as (a, i, f, o), so element
    ``4 k + 2`` (the forget gate of unit k) is ``forget_bias`` and the others ``bias``."""
    state_size = _count("state_size", state_size)
    values = numpy.full((state_size, 4), bias, dtype=numpy.dtype(dtype))
    values[:, 2] = forget_bias
    return _to_device(values.reshape(-1), xp)


def default_weight(shape, policy=None, rng=None, *, dtype=numpy.float32, xp=None):
    """The default weight of a Linear/Conv layer of weight ``shape`` under ``policy`` (the
    active one when None), from its field ``weight_initializer``:
    'kaiming_uniform_a_sqrt5' (torch: ``U(-1/sqrt(fan_in), 1/sqrt(fan_in))``) or
    'lecun_normal' (chainer: ``N(0, 1/fan_in)``)."""
    policy = _policies.current() if policy is None else _policies.get_policy(policy)
    kind = policy.weight_initializer
    if kind == "kaiming_uniform_a_sqrt5":
        return kaiming_uniform(shape, a=math.sqrt(5), dtype=dtype, rng=rng, xp=xp)
    if kind == "lecun_normal":
        return lecun_normal(shape, dtype=dtype, rng=rng, xp=xp)
    raise ValueError(f"unknown weight_initializer={kind!r} in policy {policy.name!r}")


def default_bias(shape, fan_in, policy=None, rng=None, *, dtype=numpy.float32, xp=None):
    """The default bias of a Linear/Conv layer whose weight has ``fan_in`` under ``policy``
    (the active one when None), from its field ``bias_initializer``: 'fan_in_uniform' (torch:
    ``U(-1/sqrt(fan_in), 1/sqrt(fan_in))``) or 'zeros' (chainer ``initial_bias=0``)."""
    policy = _policies.current() if policy is None else _policies.get_policy(policy)
    kind = policy.bias_initializer
    if kind == "fan_in_uniform":
        return fan_in_uniform(shape, fan_in, dtype=dtype, rng=rng, xp=xp)
    if kind == "zeros":
        _count("fan_in", fan_in)
        return zeros(shape, dtype=dtype, xp=xp)
    raise ValueError(f"unknown bias_initializer={kind!r} in policy {policy.name!r}")
